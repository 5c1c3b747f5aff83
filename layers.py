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
from checks import checkFloatType, checkInstance, checkInteger
from optimizer import Adam, Optimizer


class Dense:
    """A fully connected layer followed by an activation.

    The layer owns its parameters, their gradients and its optimizer's
    state for each of them, whether or not it is part of an ``MLP``.

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
    trainable : bool, default True
        False freezes the layer, as in Keras: ``backward`` still hands
        ``dL/dx`` to the layer below but leaves ``dW`` and ``db`` alone, and
        ``update`` changes nothing (a GAN's discriminator while its generator
        learns, a pretrained layer kept as it is).

    Attributes
    ----------
    W : ndarray (outputDim, inputDim)
        Weights, drawn so that the signal keeps its scale from layer to
        layer: He initialisation (variance ``2 / inputDim``) for the ReLU
        family, which zeroes about half of its inputs, and Glorot (variance
        ``2 / (inputDim + outputDim)``) otherwise.
    b : ndarray (outputDim,)
        Biases, initially zero.
    dW, db : ndarray, shapes of W and b
        Gradients of the loss, filled by ``backward`` (left as they were
        while the layer is frozen).
    optimizerState : dict
        ``{"W": {...}, "b": {...}}``: what the optimizer remembers about each
        parameter (empty before the first ``update``).
    """

    def __init__(self, inputDim, outputDim, activation=None, optimizer=None, seed=None,
                 dtype=np.float32, trainable=True):
        self.inputDim = checkInteger("Dense", "inputDim", inputDim)
        self.outputDim = checkInteger("Dense", "outputDim", outputDim)
        self.activation = checkInstance("Dense", "activation", Sigmoid() if activation is None else activation,
                                        Activation, "an Activation such as ReLU()")
        self.optimizer = checkInstance("Dense", "optimizer", Adam() if optimizer is None else optimizer,
                                       Optimizer, "an Optimizer such as Adam()")
        dtype = checkFloatType("Dense", dtype)
        if seed is not None:
            checkInteger("Dense", "seed", seed, low=0)
        rng = np.random.default_rng(seed)
        if isinstance(self.activation, (ReLU, LeakyReLU)):
            limit = np.sqrt(6.0 / self.inputDim)                      # He (uniform)
        else:
            limit = np.sqrt(6.0 / (self.inputDim + self.outputDim))   # Glorot (uniform)
        self.W = rng.uniform(-limit, limit, (self.outputDim, self.inputDim)).astype(dtype)
        self.b = np.zeros(self.outputDim, dtype=dtype)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        self.resetOptimizerState()
        self.trainable = checkInstance("Dense", "trainable", trainable, bool, "True or False")
        self.x = self.a = None

    @property
    def dtype(self):
        """The dtype of the parameters and of the arithmetic."""
        return self.W.dtype

    def astype(self, dtype):
        """Convert parameters, gradients and optimizer state to ``dtype``, in place; return the layer."""
        for name in ("W", "b", "dW", "db"):
            setattr(self, name, getattr(self, name).astype(dtype, copy=False))
        for state in self.optimizerState.values():   # arrays such as Adam's m and v; a step count stays an int
            state.update({key: value.astype(dtype, copy=False) for key, value in state.items()
                          if isinstance(value, np.ndarray)})
        return self

    def parameters(self):
        """``[(W, dW), (b, db)]``: every parameter with its gradient."""
        return [(self.W, self.dW), (self.b, self.db)]

    def forward(self, x):
        """Return ``f(x W^T + b)`` for ``x (n, inputDim)`` or ``(inputDim,)``; keep ``x`` and the output."""
        self.x = x
        self.a = self.predict(x)
        return self.a

    def predict(self, x):
        """Like ``forward`` but keeps nothing."""
        z = x @ self.W.T
        z += self.b
        return self.activation.forward(z)

    def backward(self, gradient, inputGradient=True):
        """Fill ``dW``, ``db`` (unless frozen) from ``gradient = dL/da`` (the output's shape); return ``dL/dx``.

        Parameters
        ----------
        gradient : ndarray (n, outputDim) or (outputDim,)
        inputGradient : bool, default True
            Whether to compute ``dL/dx``. The first layer of a network has
            no layer below to hand it to; skipping it saves a quarter of the
            chapter's classifier's matrix products, 14% of its training time
            (``benchmarks/tricks.py``).

        Returns
        -------
        ndarray (n, inputDim) or (inputDim,), or None
            ``dL/dx``, the gradient handed to the layer below.
        """
        if self.a is None:
            raise RuntimeError("Dense.backward called before forward")
        if gradient.shape != self.a.shape:
            raise ValueError(f"{type(self).__name__}.backward: the gradient dL/da has shape {gradient.shape}, "
                             f"expected the shape of the last forward output {self.a.shape}")
        delta = self.activation.backward(self.a, gradient)
        if self.trainable:
            deltas, inputs = np.atleast_2d(delta), np.atleast_2d(self.x)   # a single sample is a batch of one
            np.matmul(deltas.T, inputs, out=self.dW)
            np.sum(deltas, axis=0, out=self.db)
        return delta @ self.W if inputGradient else None

    def update(self):
        """Let the optimizer step ``W`` with ``dW`` and ``b`` with ``db`` (unless the layer is frozen)."""
        if not self.trainable:
            return
        self.optimizer.step(self.W, self.dW, self.optimizerState["W"])
        self.optimizer.step(self.b, self.db, self.optimizerState["b"])

    def resetOptimizerState(self):
        """Forget what the optimizer remembers of ``W`` and ``b``: the next ``update`` starts afresh."""
        self.optimizerState = {"W": {}, "b": {}}

    def countParameters(self):
        """The number of weights and biases, ``outputDim * inputDim + outputDim``."""
        return self.W.size + self.b.size

    def __repr__(self):
        frozen = "" if self.trainable else ", trainable=False"
        return (f"Dense(inputDim={self.inputDim}, outputDim={self.outputDim}, "
                f"activation={self.activation!r}, optimizer={self.optimizer!r}{frozen})")
