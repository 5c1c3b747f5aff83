"""Activation functions: the non-linearities applied after a dense layer.

Every activation works on a batch ``z`` of shape ``(n, features)`` (or a single
sample ``(features,)``) and offers two things:

``forward(z)``
    the activation ``a = f(z)``;
``backward(a, gradient)``
    given the output ``a`` and ``gradient = dL/da``, the gradient ``dL/dz``.

Writing the derivative in terms of the *output* ``a`` (as scikit-learn does)
means a layer keeps only ``a`` from the forward pass and recomputes nothing.
Both methods accept ``out=`` so that the training loop can work in place.

>>> import numpy as np
>>> ReLU()(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 2.])
>>> Softmax()(np.array([[1.0, 1.0]]))
array([[0.5, 0.5]])
"""

import numpy as np


class Activation:
    """Base class: an element-wise (or, for Softmax, row-wise) function."""

    def __call__(self, z):
        """Return ``f(z)`` for an array-like ``z``, as a new array."""
        z = np.asarray(z)
        if not np.issubdtype(z.dtype, np.floating):
            z = z.astype(np.float64)
        return self.forward(z)

    def forward(self, z, out=None):
        """Return ``a = f(z)``, written into ``out`` when given (may be ``z``)."""
        raise NotImplementedError

    def backward(self, a, gradient, out=None):
        """Return ``dL/dz`` from the output ``a = f(z)`` and ``gradient = dL/da``.

        ``out`` may be ``gradient`` itself, to work in place.
        """
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

    def forward(self, z, out=None):
        if out is None:
            return z.copy()
        if out is not z:
            np.copyto(out, z)
        return out

    def backward(self, a, gradient, out=None):
        return self.forward(gradient, out)


class Sigmoid(Activation):
    """``f(z) = 1 / (1 + exp(-z))``, with ``f'(z) = a (1 - a)``.

    Computed as ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``,
    with ``e = exp(-|z|)``: ``exp`` never sees a large positive number, so
    nothing overflows and no warning is raised, whatever the input.
    """

    def forward(self, z, out=None):
        e = np.exp(-np.abs(z))
        numerator = np.where(z >= 0, 1.0, e).astype(z.dtype, copy=False)
        e += 1.0
        return np.divide(numerator, e, out=out)

    def backward(self, a, gradient, out=None):
        slope = a * (1.0 - a)
        return np.multiply(gradient, slope, out=out)


class Tanh(Activation):
    """``f(z) = tanh(z)``, with ``f'(z) = 1 - a^2``."""

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def backward(self, a, gradient, out=None):
        slope = 1.0 - a * a
        return np.multiply(gradient, slope, out=out)


class ReLU(Activation):
    """``f(z) = max(0, z)``; its derivative is 1 where ``a > 0`` and 0 elsewhere.

    At ``z = 0`` we use the derivative 0, as PyTorch and scikit-learn do.
    """

    def forward(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def backward(self, a, gradient, out=None):
        return np.multiply(gradient, a > 0, out=out)


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
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.floating)):
            raise TypeError(f"LeakyReLU: epsilon must be a number, got {type(epsilon).__name__} {epsilon!r}")
        if not 0 <= epsilon < 1:
            raise ValueError(f"LeakyReLU: epsilon must be in [0, 1), got {epsilon!r}")
        self.epsilon = float(epsilon)

    def forward(self, z, out=None):
        return np.maximum(z, self.epsilon * z, out=out)

    def backward(self, a, gradient, out=None):
        slope = np.where(a > 0, 1.0, self.epsilon).astype(gradient.dtype, copy=False)
        return np.multiply(gradient, slope, out=out)

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

    def forward(self, z, out=None):
        shifted = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(shifted, out=shifted)
        shifted /= shifted.sum(axis=-1, keepdims=True)
        return shifted

    def backward(self, a, gradient, out=None):
        projection = np.einsum("...i,...i->...", a, gradient)[..., np.newaxis]
        difference = np.subtract(gradient, projection, out=out)
        difference *= a
        return difference


ACTIVATIONS = {cls.__name__: cls for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax)}


def fromConfig(name, config):
    """Rebuild an activation from its class name and ``config()``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name](**config)
