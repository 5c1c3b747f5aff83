"""Activation functions: the non-linearities applied after a dense layer.

Every activation works on a batch ``z`` of shape ``(n, features)`` (or a single
sample ``(features,)``) and offers two things:

``forward(z)``
    the activation ``a = f(z)``;
``backward(a, gradient)``
    given the output ``a`` and ``gradient = dL/da``, the gradient ``dL/dz``.

Writing the derivative in terms of the *output* ``a`` (as scikit-learn does)
means a layer keeps only ``a`` from the forward pass and recomputes nothing.

>>> import numpy as np
>>> ReLU()(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 2.])
>>> Softmax()(np.array([[1.0, 1.0]]))
array([[0.5, 0.5]])
"""

import numpy as np

from checks import checkNumber


class Activation:
    """Base class: an element-wise (or, for Softmax, row-wise) function."""

    def __call__(self, z):
        """Return ``f(z)`` for an array-like ``z``, as a new array."""
        z = np.asarray(z)
        if not np.issubdtype(z.dtype, np.floating):
            z = z.astype(np.float64)
        return self.forward(z)

    def forward(self, z):
        """Return ``a = f(z)`` as a new array of ``z``'s shape and dtype."""
        raise NotImplementedError

    def backward(self, a, gradient):
        """Return ``dL/dz`` from the output ``a = f(z)`` and ``gradient = dL/da``."""
        raise NotImplementedError

    def config(self):
        """The keyword arguments that rebuild this activation."""
        return {}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self.config() == other.config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(self.config().items())))


class Identity(Activation):
    """``f(z) = z``; its derivative is 1, so the gradient passes unchanged."""

    def forward(self, z):
        return z.copy()

    def backward(self, a, gradient):
        return gradient.copy()


class Sigmoid(Activation):
    """``f(z) = 1 / (1 + exp(-z))``, with ``f'(z) = a (1 - a)``.

    Computed as ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``,
    with ``e = exp(-|z|)``: ``exp`` never sees a large positive number, so
    nothing overflows and no warning is raised, whatever the input.
    """

    def forward(self, z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1, e) / (1 + e)

    def backward(self, a, gradient):
        return gradient * a * (1 - a)


class Tanh(Activation):
    """``f(z) = tanh(z)``, with ``f'(z) = 1 - a^2``."""

    def forward(self, z):
        return np.tanh(z)

    def backward(self, a, gradient):
        return gradient * (1 - a * a)


class ReLU(Activation):
    """``f(z) = max(0, z)``; its derivative is 1 where ``a > 0`` and 0 elsewhere.

    At ``z = 0`` we use the derivative 0, as PyTorch and scikit-learn do.
    """

    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, a, gradient):
        return gradient * (a > 0)


class LeakyReLU(Activation):
    """``f(z) = max(epsilon z, z)`` for a small slope ``0 <= epsilon < 1``.

    Its derivative is 1 where ``z > 0`` and ``epsilon`` elsewhere; since
    ``epsilon >= 0``, ``a > 0`` exactly when ``z > 0``.

    Parameters
    ----------
    epsilon : float, default 0.01
        Slope for negative inputs.
    """

    def __init__(self, epsilon=0.01):
        self.epsilon = checkNumber("LeakyReLU", "epsilon", epsilon, 0, 1)

    def forward(self, z):
        return np.maximum(z, self.epsilon * z)

    def backward(self, a, gradient):
        return gradient * np.where(a > 0, 1, self.epsilon).astype(gradient.dtype)

    def config(self):
        return {"epsilon": self.epsilon}


class Softmax(Activation):
    """``f(z)_i = exp(z_i) / sum_j exp(z_j)``, per row (per sample).

    Shifting each row by its maximum leaves the result unchanged and keeps
    ``exp`` at or below 1, so any finite input is safe.

    Softmax mixes the outputs of a sample, so its derivative is a Jacobian
    ``J = diag(a) - a a^T`` per sample, and ``dL/dz = J (dL/da)``, which is::

        dL/dz = a * (g - sum_j a_j g_j),   g = dL/da

    computed per row without building the ``features x features`` matrix.
    """

    def forward(self, z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, a, gradient):
        projection = np.sum(a * gradient, axis=-1, keepdims=True)   # sum_j a_j g_j, per row
        return a * (gradient - projection)


ACTIVATIONS = {cls.__name__: cls for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax)}


def fromConfig(name, config):
    """Rebuild an activation from its class name and ``config()``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name](**config)
