"""Loss functions: how far the network's predictions are from the targets.

A loss is called as ``loss(yPred, yTrue)`` and returns a Python float;
``loss.gradient(yPred, yTrue)`` returns ``dL/dyPred`` with the shape of
``yPred``. Both take a batch ``(n, outputs)`` or a single sample
``(outputs,)`` (then ``n = 1``).

The loss is the *mean* over the ``n`` samples of the batch. This is the one
place in deepbasics where averaging over the batch happens: the layers sum
their gradients over the samples, and the ``1/n`` already sits in
``dL/dyPred``.

>>> import numpy as np
>>> MSE()(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
2.5
>>> round(CrossEntropy()(np.array([[0.5]]), np.array([[1.0]])), 6)
0.693147
"""

import numpy as np


class Loss:
    """Base class: ``loss(yPred, yTrue)`` gives the value, ``loss.gradient(yPred, yTrue)`` its derivative.

    A new loss implements ``value(yPred, yTrue, n)`` and ``derivative(yPred,
    yTrue, n)`` on arrays already checked (``n`` is the batch size); or, as
    before, ``__call__`` and ``gradient`` themselves.
    """

    def __call__(self, yPred, yTrue):
        """The loss, a float: the mean over the samples of ``yPred (n, outputs)`` against ``yTrue`` (same shape)."""
        return self.value(*self._check(yPred, yTrue))

    def gradient(self, yPred, yTrue):
        """``dL/dyPred``, an array of ``yPred``'s shape (the ``1/n`` of the mean included)."""
        return self.derivative(*self._check(yPred, yTrue))

    def valueAndGradient(self, yPred, yTrue):
        """``(loss(yPred, yTrue), gradient(yPred, yTrue))``, checking the arguments once: a training step needs both."""
        if type(self).value is Loss.value:   # a loss of one's own that gives __call__ and gradient
            return self(yPred, yTrue), self.gradient(yPred, yTrue)
        checked = self._check(yPred, yTrue)
        return self.value(*checked), self.derivative(*checked)

    def value(self, yPred, yTrue, n):
        raise NotImplementedError(f"{type(self).__name__} must define value(yPred, yTrue, n), or __call__")

    def derivative(self, yPred, yTrue, n):
        raise NotImplementedError(f"{type(self).__name__} must define derivative(yPred, yTrue, n), or gradient")

    def _check(self, yPred, yTrue):
        """Return both as float arrays of ``yPred``'s dtype and the batch size ``n``."""
        yPred = np.asarray(yPred)
        yPred = yPred if yPred.dtype.kind == "f" else yPred.astype(np.float64)
        yTrue = np.asarray(yTrue, dtype=yPred.dtype)
        if yPred.shape != yTrue.shape:
            raise ValueError(f"{type(self).__name__}: yPred has shape {yPred.shape} but yTrue has shape "
                             f"{yTrue.shape}; they must match (one row per sample, one column per output)")
        if yPred.ndim not in (1, 2) or yPred.size == 0:
            raise ValueError(f"{type(self).__name__}: expected a non-empty batch (n, outputs) or a sample "
                             f"(outputs,), got shape {yPred.shape}")
        n = yPred.shape[0] if yPred.ndim == 2 else 1
        return yPred, yTrue, n

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error, ``1/(2n) sum_samples ||yPred - yTrue||^2``.

    The ``1/2`` makes the gradient simply ``(yPred - yTrue) / n``.
    """

    def value(self, yPred, yTrue, n):
        difference = yPred - yTrue
        return float(np.vdot(difference, difference)) / (2 * n)

    def derivative(self, yPred, yTrue, n):
        return (yPred - yTrue) / n


class CrossEntropy(Loss):
    """Cross entropy in the chapter's per-output (binary) form.

    ``L = -1/n sum_samples sum_outputs [y ln p + (1 - y) ln(1 - p)]``

    Every output is treated as an independent yes/no classifier, so the
    gradient is ``dL/dp = (p - y) / (p (1 - p)) / n``. Note that after a
    Softmax layer this is *not* the familiar ``p - y``: the Softmax
    Jacobian is applied to it in the backward pass.

    ``p`` is kept inside ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of
    its dtype (``1 - 1e-12`` would round to 1.0 in float32), so the loss and
    its gradient stay finite for predictions of exactly 0 or 1. Inside that
    interval both are exact; outside it the gradient is that of the clipped
    point, as in scikit-learn and Keras.
    """

    def value(self, p, yTrue, n):
        return -float(np.vdot(yTrue, np.log(p)) + np.vdot(1 - yTrue, np.log1p(-p))) / n

    def derivative(self, p, yTrue, n):
        return (p - yTrue) / (p * (1 - p) * n)

    def _check(self, yPred, yTrue):
        """Both checked, and ``p = yPred`` kept inside ``[eps, 1 - eps]``, ``eps`` the machine epsilon of its dtype."""
        p, yTrue, n = super()._check(yPred, yTrue)
        eps = np.finfo(p.dtype).eps
        return np.minimum(np.maximum(p, eps), 1 - eps), yTrue, n
