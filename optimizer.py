"""Optimizers: how a parameter moves, given the gradient of the loss.

An optimizer's ``step(theta, gradient)`` updates the array ``theta`` in place.
Whatever it remembers between steps (velocity, moments, step count) is kept
*per parameter*, keyed by the parameter array itself. One optimizer object can
therefore serve several layers, as in the chapter's classifier, and behave
exactly like one object per layer.

>>> import numpy as np
>>> theta = np.array([1.0, 2.0])
>>> SGD(learningRate=0.5).step(theta, np.array([1.0, -1.0]))
>>> theta
array([0.5, 2.5])
"""

import math

import numpy as np


def _checkNumber(owner, name, value, low, high=None, highInclusive=False):
    """Raise unless ``low <= value`` (and ``value < high`` or ``<= high``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    upper = "" if high is None else (f", {high}]" if highInclusive else f", {high})")
    interval = f"[{low}{upper or ', inf)'}"
    tooHigh = high is not None and (value > high if highInclusive else value >= high)
    if not value >= low or tooHigh:
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value!r}")
    return value


class Optimizer:
    """Base class: per-parameter state, created on the first step."""

    def __init__(self, learningRate):
        self.learningRate = _checkNumber(type(self).__name__, "learningRate", learningRate, 0)
        # id(theta) -> (theta, state); holding theta keeps its id from being reused.
        self._states = {}

    def step(self, theta, gradient):
        """Update ``theta`` in place from ``gradient`` (same shape and dtype)."""
        raise NotImplementedError

    def _newState(self, theta):
        raise NotImplementedError

    def state(self, theta):
        """The state kept for ``theta`` (a dict of arrays and numbers), created if new."""
        key = id(theta)
        if key not in self._states:
            self._states[key] = (theta, self._newState(theta))
        return self._states[key][1]

    def existingState(self, theta):
        """The state kept for ``theta``, or None before its first step."""
        entry = self._states.get(id(theta))
        return None if entry is None else entry[1]

    def setState(self, theta, state):
        """Replace the state kept for ``theta`` (``MLP`` does when it moves parameters, or loads them)."""
        current = self.state(theta)
        for name, value in state.items():
            if isinstance(current[name], np.ndarray):
                np.copyto(current[name], value)
            else:
                current[name] = type(current[name])(value)

    def forget(self, theta):
        """Drop the state kept for ``theta`` (it is recreated on the next step)."""
        self._states.pop(id(theta), None)

    def __setstate__(self, state):
        """After unpickling or ``copy.deepcopy``: key the states by the new arrays' ids."""
        self.__dict__.update(state)
        self._states = {id(theta): (theta, value) for theta, value in self._states.values()}

    def config(self):
        return {"learningRate": self.learningRate}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v = momentum * v + g;  theta -= learningRate * v``

    This is PyTorch's convention; with ``momentum = 0`` it is plain
    ``theta -= learningRate * g``.

    Parameters
    ----------
    learningRate : float, default 0.01
        Step size ``eta >= 0``.
    momentum : float, default 0
        Fraction of the previous velocity kept, in ``[0, 1)``.
    """

    def __init__(self, learningRate=0.01, momentum=0):
        super().__init__(learningRate)
        self.momentum = _checkNumber("SGD", "momentum", momentum, 0, 1)

    def _newState(self, theta):
        return {"velocity": np.zeros_like(theta)} if self.momentum else {}

    def step(self, theta, gradient):
        state = self.state(theta)
        if self.momentum:
            velocity = state.setdefault("velocity", np.zeros_like(theta))
            velocity *= self.momentum
            velocity += gradient
            gradient = velocity
        theta -= self.learningRate * gradient

    def config(self):
        return {"learningRate": self.learningRate, "momentum": self.momentum}


class Adam(Optimizer):
    """Adam, Algorithm 1 of Kingma and Ba (2014), with bias correction.

    For every parameter, with step count ``t`` starting at 1::

        m = beta_1 m + (1 - beta_1) g            first moment (mean)
        v = beta_2 v + (1 - beta_2) g^2          second moment (uncentred variance)
        mHat = m / (1 - beta_1^t)                bias corrections
        vHat = v / (1 - beta_2^t)
        theta -= learningRate * mHat / (sqrt(vHat) + epsilon)

    How it is computed: unrolled, ``m = (1 - beta_1) sum_i beta_1^(t-i) g_i``
    is a weighted sum of the gradients so far, and the bias correction divides
    it by ``1 - beta_1^t``, so that ``mHat`` is their weighted *average*. We keep
    the plain weighted sums ``M`` and ``V`` and divide by the sums of the
    weights, ``S_1 = (1 - beta_1^t) / (1 - beta_1)`` (likewise ``S_2``)::

        M = beta_1 M + g                         mHat = M / S_1
        V = beta_2 V + g^2                       vHat = V / S_2
        theta -= stepSize * M / (sqrt(V) + epsilon sqrt(S_2)),
                 stepSize = learningRate * sqrt(S_2) / S_1

    These are Algorithm 1's numbers, with the scalar factors moved off the
    arrays (as the paper's "efficient version" does), which saves three of the
    thirteen passes over the parameters per step. The state of a parameter is
    ``{"t", "M", "V"}``; the paper's ``m`` is ``(1 - beta_1) M``, its ``v`` is
    ``(1 - beta_2) V``.

    Parameters
    ----------
    learningRate : float, default 0.001
        Step size ``alpha >= 0``.
    beta_1, beta_2 : float, default 0.9 and 0.999
        Decay rates of the moments, in ``[0, 1)``.
    epsilon : float, default 1e-8
        Added to ``sqrt(vHat)`` so that a zero gradient does not divide by zero.
    """

    def __init__(self, learningRate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learningRate)
        self.beta_1 = _checkNumber("Adam", "beta_1", beta_1, 0, 1)
        self.beta_2 = _checkNumber("Adam", "beta_2", beta_2, 0, 1)
        self.epsilon = _checkNumber("Adam", "epsilon", epsilon, 0)

    def _newState(self, theta):
        return {"t": 0, "M": np.zeros_like(theta), "V": np.zeros_like(theta),
                "scratch": np.empty_like(theta)}

    def step(self, theta, gradient):
        state = self.state(theta)
        state["t"] += 1
        t, M, V, scratch = state["t"], state["M"], state["V"], state["scratch"]
        weights_1 = (1 - self.beta_1**t) / (1 - self.beta_1)    # S_1, the sum of M's weights
        weights_2 = (1 - self.beta_2**t) / (1 - self.beta_2)    # S_2

        M *= self.beta_1                                        # M = beta_1 M + g
        M += gradient
        V *= self.beta_2                                        # V = beta_2 V + g^2
        np.multiply(gradient, gradient, out=scratch)
        V += scratch

        np.sqrt(V, out=scratch)                                 # sqrt(V) + epsilon sqrt(S_2)
        scratch += self.epsilon * math.sqrt(weights_2)
        np.divide(M, scratch, out=scratch)
        scratch *= self.learningRate * math.sqrt(weights_2) / weights_1
        theta -= scratch

    def config(self):
        return {"learningRate": self.learningRate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS = {"SGD": SGD, "Adam": Adam}


def fromConfig(name, config):
    """Rebuild an optimizer from its class name and ``config()``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](**config)
