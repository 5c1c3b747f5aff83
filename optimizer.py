"""Optimizers: how a parameter moves, given the gradient of the loss.

``optimizer.step(parameter, gradient, state)`` updates the array
``parameter`` in place. The optimizer itself holds only its hyperparameters.
What it remembers about one parameter between steps (velocity, moments,
step count) lives in ``state``, a dict kept next to that parameter by its
owner: a ``Dense`` layer keeps one for ``W`` and one for ``b``. So one
optimizer shared by several layers, as in the chapter's classifier, behaves
exactly like one optimizer per layer, and copying, pickling or discarding a
layer copies, pickles or discards its optimizer state with it.

>>> import numpy as np
>>> theta, state = np.array([1.0, 2.0]), {}
>>> SGD(learningRate=0.5).step(theta, np.array([1.0, -1.0]), state)
>>> theta
array([0.5, 2.5])
"""

import numpy as np

from checks import checkNumber


class Optimizer:
    """Base class: hyperparameters only; the state of each parameter is passed to ``step``."""

    def __init__(self, learningRate):
        self.learningRate = checkNumber(type(self).__name__, "learningRate", learningRate, 0)

    def __setattr__(self, name, value):
        # A hyperparameter set later, e.g. by a learning-rate schedule, may be a NumPy float64 scalar. NumPy 2
        # keeps its type, so every float32 update would go through a casting loop (1.5 times as slow).
        super().__setattr__(name, float(value) if isinstance(value, np.floating) else value)

    def step(self, parameter, gradient, state):
        """Update ``parameter`` in place from ``gradient`` (same shape and dtype).

        ``state`` is the dict this optimizer keeps for ``parameter``: empty
        before the first step, filled and updated in place by every step.
        """
        raise NotImplementedError

    def stateKeys(self):
        """The names in a parameter's state after its first step (``MLP.load`` checks them)."""
        return ()

    def config(self):
        """The keyword arguments that rebuild this optimizer."""
        return {"learningRate": self.learningRate}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v = momentum * v + g;  theta -= learningRate * v``

    This is PyTorch's convention; with ``momentum = 0`` it is plain
    ``theta -= learningRate * g`` and keeps no state.

    Parameters
    ----------
    learningRate : float, default 0.01
        Step size ``eta >= 0``.
    momentum : float, default 0
        Fraction of the previous velocity kept, in ``[0, 1)``.
    """

    def __init__(self, learningRate=0.01, momentum=0):
        super().__init__(learningRate)
        self.momentum = checkNumber("SGD", "momentum", momentum, 0, 1)

    def step(self, parameter, gradient, state):
        if self.momentum:
            if not state:
                state["velocity"] = np.zeros_like(parameter)
            velocity = state["velocity"]
            velocity *= self.momentum
            velocity += gradient
            gradient = velocity
        parameter -= self.learningRate * gradient

    def stateKeys(self):
        return ("velocity",) if self.momentum else ()

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

    The state of a parameter is ``{"t": int, "m": array, "v": array}``, the
    paper's names.

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
        self.beta_1 = checkNumber("Adam", "beta_1", beta_1, 0, 1)
        self.beta_2 = checkNumber("Adam", "beta_2", beta_2, 0, 1)
        self.epsilon = checkNumber("Adam", "epsilon", epsilon, 0)

    def step(self, parameter, gradient, state):
        if not state:
            state.update(t=0, m=np.zeros_like(parameter), v=np.zeros_like(parameter))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        # One work array, reused under the formula's names: Algorithm 1 written line by line, each product an
        # array of its own, made the chapter's classifier's epoch 12% slower (benchmarks/tricks.py, "textbook Adam").
        work = np.multiply(gradient, 1 - self.beta_1)
        m *= self.beta_1                                    # m = beta_1 m + (1 - beta_1) g
        m += work
        np.multiply(gradient, gradient, out=work)
        work *= 1 - self.beta_2
        v *= self.beta_2                                    # v = beta_2 v + (1 - beta_2) g^2
        v += work
        vHat = np.divide(v, 1 - self.beta_2**t, out=work)
        denominator = np.sqrt(vHat, out=work)
        denominator += self.epsilon                         # sqrt(vHat) + epsilon
        step = np.divide(m, denominator, out=work)          # mHat = m / (1 - beta_1^t): folded into the scalar
        step *= self.learningRate / (1 - self.beta_1**t)
        parameter -= step                                   # theta -= learningRate * mHat / (sqrt(vHat) + epsilon)
        if t % 100 == 0:
            _flushSubnormals(m)

    def stateKeys(self):
        return ("t", "m", "v")

    def config(self):
        return {"learningRate": self.learningRate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon}


def _flushSubnormals(array):
    """Set entries below the smallest normal number to zero.

    Speed only: ``m`` of a weight whose gradient is almost always zero (fed
    by an MNIST pixel that is nearly always black) shrinks by ``beta_1``
    every step into the subnormal range, where float arithmetic is many
    times slower on some processors. On an Intel Xeon that made every epoch
    of the chapter's classifier after the first about 20% slower; on an AMD
    EPYC 2% (``benchmarks/tricks.py``). Such entries move their weight by
    less than 1e-30, so zero is the same step.
    """
    np.copyto(array, 0, where=np.abs(array) < np.finfo(array.dtype).tiny)


OPTIMIZERS = {"SGD": SGD, "Adam": Adam}


def fromConfig(name, config):
    """Rebuild an optimizer from its class name and ``config()``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](**config)
