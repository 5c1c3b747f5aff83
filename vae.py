"""The variational autoencoder (Kingma and Welling, 2014): an encoder MLP, a
``Sampler`` and a decoder MLP, trained to maximise the evidence lower bound.

For an image ``x`` (pixels in ``[0, 1]``), the encoder and the sampler's two
heads give the mean ``mu`` and the log-variance ``logVar`` of a Gaussian over
the latent code; the sampler draws ``z = mu + sigma * eps`` with
``sigma = exp(logVar / 2)`` and ``eps ~ N(0, I)`` (the reparameterisation:
the randomness sits in ``eps``, so gradients flow through ``mu`` and
``sigma``); the decoder turns ``z`` into pixel probabilities ``p``. The loss is
the negative ELBO of each image, in nats, averaged over the batch::

    -ELBO = sum_pixels -[x ln p + (1 - x) ln(1 - p)]                (reconstruction)
            + 0.5 * sum_latent (exp(logVar) + mu^2 - 1 - logVar)    (KL to N(0, I))

The first term is the chapter's ``CrossEntropy`` (a sum over outputs, a mean
over samples); the second is the Kullback-Leibler divergence of the encoder's
Gaussian from the prior, whose gradient ``Sampler.backward`` adds.

>>> import numpy as np
>>> from activations import ReLU, Sigmoid
>>> from layers import Dense
>>> from nn import MLP
>>> encoder, decoder = MLP(), MLP()
>>> encoder.addLayer(Dense(inputDim=6, outputDim=4, activation=ReLU(), seed=0))
>>> decoder.addLayer(Dense(inputDim=2, outputDim=6, activation=Sigmoid(), seed=1))
>>> vae = VAE(encoder, Sampler(inputDim=4, latentDim=2, seed=2), decoder)
>>> vae.sample(3, seed=0).shape
(3, 6)
"""

import warnings

import numpy as np

from checks import checkChain, checkInstance, checkInteger
from activations import Identity, Sigmoid
from layers import Dense
from loss import CrossEntropy
from nn import MLP, Composite, Model

_BLOCK = 2048   # rows per block in evaluate: bounded memory for any test set


def _noise(owner, noise, shape, rng, dtype):
    """``eps (n, latentDim)``: ``noise`` as given, checked against ``shape``, or drawn from ``rng`` when None."""
    if noise is None:
        return rng.standard_normal(shape, dtype=dtype)
    noise = np.asarray(noise, dtype=dtype)
    if noise.shape != shape:
        raise ValueError(f"{owner}: noise has shape {noise.shape}, expected {shape} (n, latentDim)")
    return noise


def klDivergence(mu, logVar):
    """KL divergence of ``N(mu, exp(logVar))`` from ``N(0, I)``, one value per row.

    Parameters
    ----------
    mu, logVar : ndarray (n, latentDim)

    Returns
    -------
    ndarray (n,): ``0.5 * sum(exp(logVar) + mu^2 - 1 - logVar)`` over each row, in nats.

    Near the prior (``logVar`` close to 0), ``exp(logVar) - 1`` would cancel
    to round-off, even below zero; ``expm1`` computes it exactly, so the KL
    stays accurate and never negative.
    """
    return 0.5 * np.sum(np.expm1(logVar) - logVar + mu * mu, axis=1)


class Sampler(Composite):
    """Two dense heads for ``mu`` and ``logVar``, and the draw ``z = mu + sigma * eps``.

    Parameters
    ----------
    inputDim : int
        Width of the encoder's output.
    latentDim : int
        Width of the latent code ``z``.
    optimizer : Optimizer, default one Adam() per head
        Steps both heads (one instance may be shared).
    seed : int or None, default None
        Seeds the heads' initial weights and the noise ``eps``.
    dtype : numpy.float32 or numpy.float64, default numpy.float32
        Must match the encoder's and decoder's.

    Attributes
    ----------
    mean, logVar : MLP
        The two heads, each one ``Dense(inputDim, latentDim, activation=Identity())``
        (a log-variance may be any real number, hence no activation).
    dtype : numpy.dtype, the heads'
    kl : float
        Mean KL divergence per sample of the last ``forward``, in nats.
    rng : numpy.random.Generator
        Where ``eps`` comes from; saved with the model, so that a loaded model
        draws the same noise as the original would have.
    """

    def __init__(self, inputDim, latentDim, optimizer=None, seed=None, dtype=np.float32):
        self.inputDim = checkInteger("Sampler", "inputDim", inputDim)
        self.latentDim = checkInteger("Sampler", "latentDim", latentDim)
        seeds = [None, None] if seed is None else [int(s) for s in np.random.default_rng(seed).integers(2**31, size=2)]
        self.mean, self.logVar = MLP(dtype=dtype), MLP(dtype=dtype)
        for head, headSeed in zip((self.mean, self.logVar), seeds):
            head.addLayer(Dense(self.inputDim, self.latentDim, activation=Identity(), optimizer=optimizer,
                                seed=headSeed, dtype=dtype))
        self.dtype = self.mean.dtype
        self.rng = np.random.default_rng(seed)
        self.kl = None
        self._kept = None   # mu, logVar, sigma and eps of the last forward, for backward

    @property
    def outputDim(self):
        """Width of the code ``z`` handed to the decoder: ``latentDim``, named as for any network in a chain."""
        return self.latentDim

    def forward(self, x, noise=None):
        """Return ``z = mu + sigma * eps`` for ``x (n, inputDim)``; keep what backward needs.

        Parameters
        ----------
        x : ndarray (n, inputDim)
            The encoder's output.
        noise : ndarray (n, latentDim) or None
            ``eps``; drawn from ``N(0, I)`` with ``rng`` when None. Give it
            to hold the noise fixed (gradient checks, comparisons).

        Returns
        -------
        ndarray (n, latentDim)
        """
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"Sampler.forward: expected a batch x of shape (n, {self.inputDim}), got shape {x.shape}")
        mu, logVar = self.mean.forward(x), self.logVar.forward(x)
        noise = _noise("Sampler", noise, mu.shape, self.rng, self.dtype)
        sigma = np.exp(0.5 * logVar)
        self._kept = (mu, logVar, sigma, noise)
        self.kl = float(np.mean(klDivergence(mu, logVar)))
        return mu + sigma * noise

    def predict(self, x):
        """``(mu, logVar)``, each ``(n, latentDim)``, for ``x (n, inputDim)``; keeps nothing."""
        return self.mean.predict(x), self.logVar.predict(x)

    def backward(self, gradient, inputGradient=True):
        """Fill the heads' gradients from ``gradient = dL/dz (n, latentDim)``; return ``dL/dx``.

        Besides the path through ``z``, this adds the gradient of the mean KL
        term (the loss averages over the batch, so the KL counts ``1/n`` per
        sample)::

            dL/dmu     = dL/dz                          + mu / n
            dL/dlogVar = dL/dz * eps * sigma / 2        + (exp(logVar) - 1) / (2 n)

        Returns
        -------
        ndarray (n, inputDim), or None when ``inputGradient`` is False.
        """
        if self._kept is None:
            raise RuntimeError("Sampler.backward called before forward")
        mu, logVar, sigma, noise = self._kept
        gradient = np.asarray(gradient, dtype=self.dtype)
        if gradient.shape != mu.shape:
            raise ValueError(f"Sampler.backward: gradient has shape {gradient.shape}, expected {mu.shape}")
        n = mu.shape[0]
        gradientMu = gradient + mu / n
        gradientLogVar = 0.5 * (gradient * noise * sigma + np.expm1(logVar) / n)
        fromMean = self.mean.backward(gradientMu, inputGradient=inputGradient)
        fromLogVar = self.logVar.backward(gradientLogVar, inputGradient=inputGradient)
        return fromMean + fromLogVar if inputGradient else None

    @property
    def random(self):
        """Deprecated name of ``rng``, the generator every model of deepbasics names so."""
        warnings.warn("Sampler.random is deprecated; use Sampler.rng", DeprecationWarning, stacklevel=2)
        return self.rng

    @random.setter
    def random(self, generator):
        warnings.warn("Sampler.random is deprecated; use Sampler.rng", DeprecationWarning, stacklevel=2)
        self.rng = generator

    # -------------------------------------------------------- persistence
    PARTS = {"mean": MLP, "logVar": MLP}   # saved under these names; parameters() goes through them, mean first
    RECORD, FORMAT = "random", None   # the generator's state, a few large integers that JSON holds exactly

    def record(self):
        return self.rng.bit_generator.state

    @classmethod
    def fromParts(cls, record, parts):
        mean, logVar = parts["mean"], parts["logVar"]
        for name, head in parts.items():
            if len(head.layers) != 1 or not isinstance(head.layers[0].activation, Identity):
                raise ValueError(f"the sampler's {name} head must be one Dense layer with Identity activation, "
                                 f"got {head!r}")
        if (mean.inputDim, mean.outputDim) != (logVar.inputDim, logVar.outputDim) or mean.dtype != logVar.dtype:
            raise ValueError(f"the sampler's heads disagree: mean {mean.inputDim}->{mean.outputDim} "
                             f"({mean.dtype}), logVar {logVar.inputDim}->{logVar.outputDim} ({logVar.dtype})")
        sampler = cls(mean.inputDim, mean.outputDim, dtype=mean.dtype)
        sampler.mean, sampler.logVar = mean, logVar
        sampler.rng.bit_generator.state = record
        return sampler

    def __repr__(self):
        return (f"Sampler(inputDim={self.inputDim}, latentDim={self.latentDim}, "
                f"optimizer={self.mean.layers[0].optimizer!r}, dtype=numpy.{self.dtype.name})")


class VAE(Model):
    """A variational autoencoder: ``encoder -> Sampler -> decoder``.

    Parameters
    ----------
    encoder : MLP
        ``(n, inputDim) -> (n, hidden)``; e.g. 784-400 with ReLU.
    sampler : Sampler
        ``Sampler(inputDim=hidden, latentDim)``.
    decoder : MLP
        ``(n, latentDim) -> (n, inputDim)``, ending in ``Sigmoid``: its outputs
        are the probabilities of the pixels (a Bernoulli likelihood).

    Attributes
    ----------
    encoder, sampler, decoder
    dtype : numpy.dtype, the parts' (all must share it)

    The parts must agree: ``encoder.outputDim == sampler.inputDim``,
    ``sampler.latentDim == decoder.inputDim``, ``decoder.outputDim ==
    encoder.inputDim`` and one dtype; otherwise ``ValueError`` names both sides.
    """

    def __init__(self, encoder, sampler, decoder):
        checkInstance("VAE", "encoder", encoder, MLP, "an MLP")
        checkInstance("VAE", "sampler", sampler, Sampler, "a Sampler(inputDim, latentDim)")
        checkInstance("VAE", "decoder", decoder, MLP, "an MLP")
        checkChain("VAE", [("encoder", encoder), ("sampler", sampler), ("decoder", decoder)], reconstructs=True)
        if not isinstance(decoder.layers[-1].activation, Sigmoid):
            raise ValueError(f"VAE: the decoder's last layer must output pixel probabilities with Sigmoid(), "
                             f"got {decoder.layers[-1].activation!r}")
        self.encoder, self.sampler, self.decoder = encoder, sampler, decoder
        self.dtype = encoder.dtype
        self._crossEntropy = CrossEntropy()

    @property
    def latentDim(self):
        return self.sampler.latentDim

    # ------------------------------------------------------------ using it
    def encode(self, x):
        """The encoder's Gaussian for ``x (n, inputDim)``: ``(mu, logVar)``, each ``(n, latentDim)``.

        ``mu`` is the usual deterministic code of an image (e.g. for plotting the latent space).
        """
        return self.sampler.predict(self.encoder.predict(x))

    def decode(self, z):
        """Pixel probabilities ``(n, inputDim)`` for latent codes ``z (n, latentDim)``."""
        return self.decoder.predict(z)

    def reconstruct(self, x):
        """``decode(mu)`` for ``x (n, inputDim)``: the most likely code, decoded."""
        return self.decode(self.encode(x)[0])

    def sample(self, n, seed=None):
        """Decode ``n`` codes drawn from the prior ``N(0, I)``: ``(n, inputDim)`` new images.

        Uses its own generator (seeded by ``seed``), never the sampler's, so
        sampling does not change what training draws next.
        """
        n = checkInteger("VAE.sample", "n", n)
        return self.decode(np.random.default_rng(seed).standard_normal((n, self.latentDim)))

    # ------------------------------------------------------------ training
    def backpropagate(self, x, noise=None):
        """One forward and backward pass on ``x (n, inputDim)``: fill every gradient, update nothing.

        Parameters
        ----------
        x : ndarray (n, inputDim), values in [0, 1]
        noise : ndarray (n, latentDim) or None
            The sampler's ``eps``; drawn by the sampler when None.

        Returns
        -------
        dict with ``"loss"`` (the negative ELBO), ``"reconstruction"`` and
        ``"kl"``: means per image, in nats.
        """
        self._checkImages("x", x)
        return self._backpropagate(x, noise)

    def _backpropagate(self, x, noise=None):
        """``backpropagate`` without the check of ``x``: training checked all of ``x_train`` before it began."""
        hidden = self.encoder.forward(x)
        p = self.decoder.forward(self.sampler.forward(hidden, noise))
        reconstruction, gradient = self._crossEntropy.valueAndGradient(p, x)
        gradient = self.decoder.backward(gradient, inputGradient=True)
        self.encoder.backward(self.sampler.backward(gradient), inputGradient=False)
        return {"loss": reconstruction + self.sampler.kl, "reconstruction": reconstruction, "kl": self.sampler.kl}

    METRICS = ("train_loss", "test_loss", "train_reconstruction", "test_reconstruction", "train_kl", "test_kl")
    DEFAULT_METRICS = ("train_loss",)
    LOGGED = ("train_loss", "train_reconstruction", "train_kl")

    def trainStep(self, x, y, loss, metrics=()):
        """One step on the images ``x (n, inputDim)`` (``y`` is not used): the targets are the inputs.

        Returns ``train_loss`` (the negative ELBO), ``train_reconstruction``
        and ``train_kl``, means per image in nats.
        """
        figures = self._backpropagate(x)
        self.update()
        return {f"train_{name}": value for name, value in figures.items()}

    def checkLoss(self, loss):
        """The VAE minimises its negative ELBO, whose reconstruction term is the chapter's ``CrossEntropy``."""
        if loss is not None and not isinstance(loss, CrossEntropy):
            raise ValueError(f"VAE.train: the loss is the negative ELBO, whose reconstruction term is the "
                             f"chapter's CrossEntropy; pass loss=None or CrossEntropy(), got {loss!r}")
        return self._crossEntropy

    def checkData(self, dataset):
        if not hasattr(dataset, "x_train"):
            raise TypeError(f"VAE.train: dataset must be a Dataset (with x_train), got {dataset!r}")
        self._checkImages("dataset.x_train", dataset.x_train)
        if getattr(dataset, "x_test", None) is not None:
            self._checkImages("dataset.x_test", dataset.x_test)

    def testFigures(self, dataset, loss):
        return {f"test_{name}": value for name, value in self.evaluate(dataset.x_test).items()}

    def networks(self, x):
        return [("encoder", self.encoder, x), ("decoder", self.decoder, self.encode(x)[0])]

    def _checkImages(self, name, x):
        """The Bernoulli likelihood needs ``(n, inputDim)`` values in [0, 1]."""
        if np.ndim(x) != 2 or np.shape(x)[1] != self.inputDim:
            raise ValueError(f"VAE: {name} has shape {np.shape(x)}, but the encoder needs (n, {self.inputDim})")
        low, high = float(np.min(x)), float(np.max(x))
        if not 0 <= low <= high <= 1:
            raise ValueError(f"VAE: {name} must hold values in [0, 1] (pixel intensities), "
                             f"got values from {low} to {high}")

    def evaluate(self, x, noise=None, seed=0):
        """The negative ELBO of ``x (n, inputDim)`` and its two terms, means per image in nats.

        One code ``z`` is drawn per image, from a generator seeded with
        ``seed`` (not the sampler's), so the figure is reproducible and
        evaluating does not change training; or pass ``noise (n, latentDim)``.

        Returns
        -------
        dict with ``"loss"``, ``"reconstruction"`` and ``"kl"``.
        """
        x = np.asarray(x)
        self._checkImages("x", x)
        n = x.shape[0]
        noise = _noise("VAE.evaluate", noise, (n, self.latentDim), np.random.default_rng(seed), self.dtype)
        reconstruction = kl = 0.0
        for start in range(0, n, _BLOCK):
            block = x[start:start + _BLOCK]
            mu, logVar = self.encode(block)
            p = self.decode(mu + np.exp(0.5 * logVar) * noise[start:start + _BLOCK])
            reconstruction += self._crossEntropy(p, block) * len(block)
            kl += float(np.sum(klDivergence(mu, logVar)))
        return {"loss": (reconstruction + kl) / n, "reconstruction": reconstruction / n, "kl": kl / n}

    # ---------------------------------------------------------- persistence
    PARTS = {"encoder": MLP, "sampler": Sampler, "decoder": MLP}   # parameters() goes through them in this order
    RECORD = "vae"

    def __repr__(self):
        return f"VAE(\n  encoder={self.encoder!r},\n  sampler={self.sampler!r},\n  decoder={self.decoder!r}\n)"
