"""The dense (fully connected) layer: ``a = f(x W^T + b)``.

Samples are rows. For a batch ``x`` of shape ``(n, inputDim)``:

- ``W`` has shape ``(outputDim, inputDim)``: the chapter's ``W x + b`` for one
  sample (a column) is ``x W^T + b`` for a batch of rows;
- ``b`` has shape ``(outputDim,)``;
- the output ``a`` has shape ``(n, outputDim)``.

Backpropagation through one layer, with ``delta = dL/dz`` for ``z = x W^T + b``::

    delta = f'(z) * dL/da      (the activation's backward)
    dL/dW = delta^T x          (outputDim, inputDim), summed over the batch
    dL/db = sum_rows delta     (outputDim,)
    dL/dx = delta W            (n, inputDim), handed to the layer below

The sums over the batch are plain sums: the loss already divided by ``n``.

>>> import numpy as np
>>> layer = Dense(inputDim=3, outputDim=2, activation=ReLU(), seed=0)
>>> layer.forward(np.ones((5, 3))).shape
(5, 2)
"""

import numpy as np

from activations import Activation, LeakyReLU, ReLU, Sigmoid
from optimizer import Adam, Optimizer


def _checkDimension(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Dense: {name} must be a positive integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"Dense: {name} must be a positive integer, got {value}")
    return int(value)


class Dense:
    """A fully connected layer followed by an activation.

    Parameters
    ----------
    inputDim : int
        Number of inputs (features) per sample.
    outputDim : int
        Number of neurons, i.e. outputs per sample.
    activation : Activation, default Sigmoid()
        Applied to ``x W^T + b``.
    optimizer : Optimizer, default Adam()
        Updates ``W`` and ``b``; may be shared with other layers.
    seed : int or None, default None
        Seed for the initial weights (reproducible when given).
    dtype : numpy float type, default numpy.float32
        Parameter dtype; ``MLP.addLayer`` converts it to the model's.

    Attributes
    ----------
    W : ndarray (outputDim, inputDim)
        Weights, drawn so that the signal keeps its scale from layer to
        layer: He initialisation (variance ``2 / inputDim``) for the ReLU
        family, which zeroes about half of its inputs, and Glorot (variance
        ``2 / (inputDim + outputDim)``) otherwise.
    b : ndarray (outputDim,)
        Biases, initially zero.
    dW, db : ndarray
        Gradients of the loss, filled by ``backward``.
    theta, gradient : ndarray (outputDim * inputDim + outputDim,)
        All parameters (and their gradients) as one vector: ``W`` and ``b``
        (``dW`` and ``db``) are views into it. Once the layer is in an
        ``MLP``, ``theta`` is itself a slice of the network's parameter vector,
        so keep references to the layer rather than to its arrays across
        ``addLayer``.
    """

    def __init__(self, inputDim, outputDim, activation=None, optimizer=None, seed=None,
                 dtype=np.float32):
        self.inputDim = _checkDimension("inputDim", inputDim)
        self.outputDim = _checkDimension("outputDim", outputDim)
        activation = Sigmoid() if activation is None else activation
        optimizer = Adam() if optimizer is None else optimizer
        if not isinstance(activation, Activation):
            raise TypeError(f"Dense: activation must be an Activation such as ReLU(), got {activation!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Dense: optimizer must be an Optimizer such as Adam(), got {optimizer!r}")
        self.activation = activation
        self.optimizer = optimizer

        rng = np.random.default_rng(seed)
        if isinstance(activation, (ReLU, LeakyReLU)):
            limit = np.sqrt(6.0 / self.inputDim)                      # He (uniform)
        else:
            limit = np.sqrt(6.0 / (self.inputDim + self.outputDim))   # Glorot (uniform)
        self._allocate(rng.uniform(-limit, limit, (self.outputDim, self.inputDim)), np.dtype(dtype))
        self.x = self.a = None
        self._network = None   # a weak reference to the MLP holding the parameters (set by addLayer)

    def _allocate(self, W, dtype, b=None):
        """Lay out ``theta = (W, b)`` and ``gradient = (dW, db)`` as two vectors.

        ``W`` and ``b`` are views into the one vector ``theta`` (the chapter's
        "parameters of the layer"), so an optimizer updates a whole layer in
        one pass; ``dW`` and ``db`` are views into ``gradient`` likewise.
        """
        theta = np.zeros(self.outputDim * self.inputDim + self.outputDim, dtype=dtype)
        self._bind(theta, np.zeros_like(theta))
        self._W[...] = W
        if b is not None:
            self._b[...] = b

    def _place(self, theta, gradient):
        """Move the parameters into ``theta`` and the gradients into ``gradient``.

        ``MLP`` calls this with views into the network's own two vectors, so
        that one optimizer step can cover several layers (see ``MLP._pack``).
        """
        np.copyto(theta, self.theta)
        np.copyto(gradient, self.gradient)
        self._bind(theta, gradient)

    def _bind(self, theta, gradient):
        """Use ``theta`` and ``gradient`` as the layer's vectors; ``W``, ``b``, ``dW``, ``db`` view them."""
        size = self.outputDim * self.inputDim
        self.theta, self.gradient = theta, gradient
        self._W = theta[:size].reshape(self.outputDim, self.inputDim)
        self._b = theta[size:]
        self.dW = gradient[:size].reshape(self.outputDim, self.inputDim)
        self.db = gradient[size:]

    @property
    def W(self):
        """Weights ``(outputDim, inputDim)``, a view into ``theta``; assigning copies in place."""
        return self._W

    @W.setter
    def W(self, value):
        self._W[...] = value

    @property
    def b(self):
        """Biases ``(outputDim,)``, a view into ``theta``; assigning copies in place."""
        return self._b

    @b.setter
    def b(self, value):
        self._b[...] = value

    @property
    def dtype(self):
        return self.theta.dtype

    def astype(self, dtype):
        """Convert parameters and gradients to ``dtype`` (nothing happens when it already matches)."""
        dtype = np.dtype(dtype)
        if dtype != self.theta.dtype:
            if self._owner() is not None:
                raise ValueError(f"Dense.astype: this layer belongs to an MLP of dtype {self.theta.dtype}, "
                                 f"which holds its parameters; build an MLP(dtype=numpy.{dtype}) instead")
            self.optimizer.forget(self.theta)
            self._allocate(self.W, dtype, self.b)
        return self

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_network"] = None   # a weak reference cannot be copied; MLP sets it again
        return state

    def __setstate__(self, state):
        """After unpickling or ``copy.deepcopy``, which copy every view as an array of its own."""
        self.__dict__.update(state)
        self._bind(self.theta, self.gradient)

    def _owner(self):
        """The live ``MLP`` whose parameter vector holds this layer's, or None."""
        return None if self._network is None else self._network()

    def parameters(self):
        """``[(theta, gradient)]``: the layer's parameter vector ``(W, b)`` with its gradient."""
        return [(self.theta, self.gradient)]

    def forward(self, x):
        """Return ``f(x W^T + b)`` for ``x (n, inputDim)``; keep ``x`` and the output for backward."""
        z = x @ self._W.T
        z += self._b
        self.x = x
        self.a = self.activation.forward(z, out=z)
        return self.a

    def predict(self, x):
        """Like ``forward`` but keeps nothing."""
        z = x @ self._W.T
        z += self._b
        return self.activation.forward(z, out=z)

    def backward(self, gradient, inputGradient=True, inPlace=False):
        """Fill ``dW``, ``db`` from ``gradient = dL/da (n, outputDim)``; return ``dL/dx``.

        Parameters
        ----------
        gradient : ndarray (n, outputDim)
        inputGradient : bool, default True
            Whether to compute ``dL/dx``; the first layer of a network needs not.
        inPlace : bool, default False
            Whether ``gradient`` may be overwritten (it is a temporary).
        """
        if self.a is None:
            raise RuntimeError("Dense.backward called before forward")
        if gradient.shape != self.a.shape:
            raise ValueError(f"Dense.backward: gradient has shape {gradient.shape}, "
                             f"expected the output's shape {self.a.shape}")
        delta = self.activation.backward(self.a, gradient, out=gradient if inPlace else None)
        if delta.ndim == 1:  # a single sample
            np.multiply.outer(delta, self.x, out=self.dW)
            np.copyto(self.db, delta)
        else:
            np.matmul(delta.T, self.x, out=self.dW)
            np.add.reduce(delta, axis=0, out=self.db)
        return delta @ self._W if inputGradient else None

    def update(self):
        """Let the optimizer step every parameter with its gradient.

        For a layer inside an ``MLP``, call ``MLP.update()`` instead: the
        network steps the parameters of the layers that share an optimizer
        together, and keeps their optimizer state for them.
        """
        for theta, gradient in self.parameters():
            self.optimizer.step(theta, gradient)

    def countParameters(self):
        return self.theta.size

    def __repr__(self):
        return (f"Dense(inputDim={self.inputDim}, outputDim={self.outputDim}, "
                f"activation={self.activation!r}, optimizer={self.optimizer!r})")
