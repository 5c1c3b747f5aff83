"""The denoising autoencoder: learn to give back a clean input from a corrupted one.

An autoencoder is two networks joined end to end: an *encoder* squeezes an
input ``x (n, inputDim)`` into a short code ``z (n, codeDim)``, and a
*decoder* expands the code back into an input ``(n, inputDim)``. Trained to
reproduce its input through the narrow code, it has to learn what the inputs
have in common. A *denoising* autoencoder (Vincent et al., 2008) sees a
corrupted copy of every input and is scored against the clean one, which
stops it from learning the identity and teaches it to undo the noise::

    noisy = noise(x)                       # fresh noise for every batch
    yPred = decoder(encoder(noisy))
    L = MSE(yPred, x)                      # against the *clean* x

The gradient flows back through the decoder into the encoder: the decoder's
``backward`` returns ``dL/dz``, which is the encoder's loss gradient.

>>> import numpy as np
>>> from nn import MLP, Model
>>> from layers import Dense
>>> from activations import ReLU, Sigmoid
>>> encoder, decoder = MLP(), MLP()
>>> encoder.addLayer(Dense(4, 2, activation=ReLU(), seed=0))
>>> decoder.addLayer(Dense(2, 4, activation=Sigmoid(), seed=1))
>>> autoencoder = Autoencoder(encoder, decoder, noise=GaussianNoise(std=0.1, seed=0))
>>> autoencoder
Autoencoder(encoder=4-2, decoder=2-4, noise=GaussianNoise(std=0.1, bounds=(0.0, 1.0), seed=0))
>>> autoencoder.reconstruct(np.zeros((3, 4))).shape
(3, 4)
"""

import inspect
import math

import numpy as np

from checks import checkChain, checkInstance, checkNumber
from loss import Loss
from nn import MLP, Model


# ------------------------------------------------------------------- noise
class Noise:
    """Base class of the corruptions: ``noise(x)`` returns a corrupted copy of ``x``.

    Every call draws fresh noise from the object's own random generator, so
    a seed makes a whole training run reproducible. The result is clipped to
    ``bounds``, the range of the data (pixels stay in ``[0, 1]``). A new kind
    of noise subclasses ``Noise`` and implements ``corrupt(x, rng)``.

    Parameters
    ----------
    bounds : (float, float) or None, default (0.0, 1.0)
        The data's range ``(low, high)``; ``None`` for no clipping.
    seed : int or None, default None
    """

    def __init__(self, bounds=(0.0, 1.0), seed=None):
        if bounds is not None:
            wanted = (f"{type(self).__name__}: bounds must be a pair (low, high) of finite numbers "
                      f"with low < high, or None")
            if not isinstance(bounds, (tuple, list)) or not all(_isNumber(value) for value in bounds):
                raise TypeError(f"{wanted}, got {type(bounds).__name__} {bounds!r}")
            if len(bounds) != 2 or not all(math.isfinite(value) for value in bounds) or not bounds[0] < bounds[1]:
                raise ValueError(f"{wanted}, got {bounds!r}")
            bounds = (float(bounds[0]), float(bounds[1]))
        self.bounds, self.seed = bounds, seed
        self.rng = np.random.default_rng(seed)

    def __call__(self, x):
        """A corrupted copy of ``x (n, features)``, with this object's generator."""
        return self.apply(x, self.rng)

    def apply(self, x, rng):
        """A corrupted copy of ``x``, drawing from ``rng`` (e.g. a fixed one for a test set)."""
        x = np.asarray(x)
        if x.dtype not in (np.float32, np.float64):   # the dtypes NumPy's generators draw in
            x = x.astype(np.float64)
        noisy = self.corrupt(x, rng)
        if self.bounds is not None:
            np.clip(noisy, self.bounds[0], self.bounds[1], out=noisy)
        return noisy

    def corrupt(self, x, rng):
        """Return a new array: ``x`` with noise drawn from ``rng``; what a new kind of noise implements."""
        raise NotImplementedError

    def config(self):
        """The keyword arguments that rebuild this noise (its generator's state aside): its constructor's, as kept."""
        return {name: getattr(self, name) for name in list(inspect.signature(type(self).__init__).parameters)[1:]}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class GaussianNoise(Noise):
    """Add ``std * N(0, 1)`` to every input, then clip to ``bounds``.

    Parameters
    ----------
    std : float
        Standard deviation of the added noise, at least 0.
    bounds, seed : see :class:`Noise`
    """

    def __init__(self, std, bounds=(0.0, 1.0), seed=None):
        self.std = checkNumber(type(self).__name__, "std", std, 0)
        super().__init__(bounds, seed)

    def corrupt(self, x, rng):
        return x + self.std * rng.standard_normal(x.shape, dtype=x.dtype)


class SaltAndPepper(Noise):
    """Set a share ``amount`` of the inputs to the ends of ``bounds``: half low, half high.

    Parameters
    ----------
    amount : float in [0, 1]
        Expected share of the inputs replaced.
    bounds : (float, float), default (0.0, 1.0)
        Pepper is ``low``, salt is ``high``; cannot be None.
    seed : int or None
    """

    def __init__(self, amount, bounds=(0.0, 1.0), seed=None):
        self.amount = checkNumber(type(self).__name__, "amount", amount, 0, 1, closed="both")
        if bounds is None:
            raise ValueError("SaltAndPepper: bounds cannot be None: salt and pepper are its high and low ends")
        super().__init__(bounds, seed)

    def corrupt(self, x, rng):
        # One uniform draw per input decides both whether and how it is hit.
        draw = rng.random(x.shape, dtype=x.dtype)
        pepper, salt = x.dtype.type(self.bounds[0]), x.dtype.type(self.bounds[1])
        return np.where(draw < self.amount / 2, pepper, np.where(draw < self.amount, salt, x))


class Masking(Noise):
    """Set a share ``fraction`` of the inputs to zero (Vincent et al.'s masking noise).

    Parameters
    ----------
    fraction : float in [0, 1]
        Expected share of the inputs zeroed.
    bounds, seed : see :class:`Noise`
    """

    def __init__(self, fraction, bounds=(0.0, 1.0), seed=None):
        self.fraction = checkNumber(type(self).__name__, "fraction", fraction, 0, 1, closed="both")
        super().__init__(bounds, seed)

    def corrupt(self, x, rng):
        return np.where(rng.random(x.shape, dtype=x.dtype) < self.fraction, x.dtype.type(0), x)


NOISES = {kind.__name__: kind for kind in (GaussianNoise, SaltAndPepper, Masking)}


def _isNumber(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def psnr(x, reference, peak=1.0):
    """Peak signal-to-noise ratio of ``x`` against ``reference``, in decibels.

    ``10 log10(peak^2 / MSE)`` with the mean squared error over *all* entries
    of the two arrays (the whole test set at once, not a mean of per-image
    figures). Identical arrays give ``inf``.
    """
    x, reference = np.asarray(x, np.float64), np.asarray(reference, np.float64)
    if x.shape != reference.shape:
        raise ValueError(f"psnr: x has shape {x.shape} but reference has shape {reference.shape}")
    meanSquare = float(np.mean((x - reference) ** 2))
    return math.inf if meanSquare == 0 else 10 * math.log10(peak ** 2 / meanSquare)


# ------------------------------------------------------------- the model
class Autoencoder(Model):
    """A (denoising) autoencoder: ``decoder(encoder(noise(x)))`` trained towards ``x``.

    Parameters
    ----------
    encoder : MLP
        ``(n, inputDim) -> (n, codeDim)``.
    decoder : MLP
        ``(n, codeDim) -> (n, inputDim)``: its input width is the encoder's
        output width, its output width the encoder's input width.
    noise : Noise or None, default None
        Corrupts every training batch afresh (``GaussianNoise``,
        ``SaltAndPepper``, ``Masking``); None trains a plain autoencoder.

    Attributes
    ----------
    encoder, decoder, noise
    dtype : numpy.dtype, the networks' (both must share it)
    """

    def __init__(self, encoder, decoder, noise=None):
        checkInstance("Autoencoder", "encoder", encoder, MLP, "an MLP")
        checkInstance("Autoencoder", "decoder", decoder, MLP, "an MLP")
        checkChain("Autoencoder", [("encoder", encoder), ("decoder", decoder)], reconstructs=True)
        if noise is not None and not isinstance(noise, Noise):
            raise TypeError(f"Autoencoder: noise must be a Noise such as GaussianNoise(0.5), or None, got {noise!r}")
        self.encoder, self.decoder, self.noise = encoder, decoder, noise
        self.dtype = encoder.dtype

    @property
    def codeDim(self):
        return self.encoder.outputDim

    # ------------------------------------------------------- computation
    def encode(self, x):
        """The code ``z (n, codeDim)`` of ``x (n, inputDim)`` (no noise, no training state)."""
        return self.encoder.predict(x)

    def decode(self, z):
        """The input ``(n, inputDim)`` that the code ``z (n, codeDim)`` stands for."""
        return self.decoder.predict(z)

    def reconstruct(self, x):
        """``decode(encode(x))``: pass a (noisy) ``x`` to denoise it."""
        return self.decode(self.encode(x))

    def forward(self, x):
        """``decoder.forward(encoder.forward(x))``, keeping what ``backward`` needs."""
        return self.decoder.forward(self.encoder.forward(x))

    def backward(self, lossGradient, inputGradient=False):
        """Backpropagate ``dL/dyPred`` through the decoder, then the encoder.

        Fills ``dW``, ``db`` of every layer of both; returns ``dL/dx`` when
        ``inputGradient`` is True, else None.
        """
        codeGradient = self.decoder.backward(lossGradient, inputGradient=True)
        return self.encoder.backward(codeGradient, inputGradient=inputGradient)

    # ---------------------------------------------------------- training
    METRICS = ("train_loss", "test_loss", "test_psnr")
    LOGGED = ("train_loss",)

    def trainStep(self, x, y, loss, metrics=()):
        """One step on noisy copies of ``x (n, inputDim)`` towards the clean ``x``; ``y`` is not used.

        Every batch is corrupted afresh by ``noise``, so a labelled
        ``Dataset(name="mnist")`` trains an autoencoder as it is. Returns
        ``{"train_loss": ...}``, the loss on the noisy inputs.
        """
        x = np.asarray(x, dtype=self.dtype)
        yPred = self.forward(x if self.noise is None else self.noise(x))
        value, gradient = loss.valueAndGradient(yPred, x)
        self.backward(gradient)
        self.update()
        return {"train_loss": value}

    def testFigures(self, dataset, loss):
        """``test_loss`` and ``test_psnr`` of :meth:`evaluate` on ``dataset.x_test``."""
        figures = self.evaluate(dataset.x_test, loss)
        return {"test_loss": figures["loss"], "test_psnr": figures["psnr"]}

    def networks(self, x):
        return [("encoder", self.encoder, x), ("decoder", self.decoder, self.encode(x))]

    def evaluate(self, x, loss, seed=0):
        """How well the autoencoder cleans up noisy copies of ``x (n, inputDim)``.

        The noise is drawn from a generator seeded with ``seed``, not from
        the noise's own, so the figures of successive epochs (and runs)
        compare the same noisy inputs, and evaluating leaves training's
        random stream untouched.

        Returns
        -------
        dict with ``"loss"`` (``loss(reconstruction, x)``), ``"psnr"`` (of
        the reconstruction against ``x``, see :func:`psnr`) and
        ``"noisy_psnr"`` (of the noisy input; ``inf`` without noise).
        """
        checkInstance("Autoencoder.evaluate", "loss", loss, Loss, "a Loss such as MSE()")
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.inputDim:
            raise ValueError(f"Autoencoder.evaluate: expected x of shape (n, {self.inputDim}), got {x.shape}")
        noisy = x if self.noise is None else self.noise.apply(x, np.random.default_rng(seed))
        reconstruction = self.reconstruct(noisy)
        return {"loss": loss(reconstruction, x), "psnr": psnr(reconstruction, x), "noisy_psnr": psnr(noisy, x)}

    # -------------------------------------------------------- persistence
    PARTS = {"encoder": MLP, "decoder": MLP}   # saved under these names; parameters() goes through them in order
    RECORD = "autoencoder"

    def record(self):
        """The noise, with its generator's state: a loaded autoencoder trains on exactly as this one would."""
        if self.noise is None:
            return {"noise": None}
        if type(self.noise) not in NOISES.values():
            raise TypeError(f"Autoencoder.save: cannot save a noise of type {type(self.noise).__name__}; "
                            f"load knows {', '.join(NOISES)} only")
        return {"noise": {"name": type(self.noise).__name__, "config": self.noise.config(),
                          "state": self.noise.rng.bit_generator.state}}

    @classmethod
    def fromParts(cls, record, parts):
        saved = record["noise"]   # a noise's constructor takes the bounds as JSON gives them, a list
        noise = None if saved is None else NOISES[saved["name"]](**saved["config"])
        if noise is not None:
            noise.rng.bit_generator.state = saved["state"]
        return cls(parts["encoder"], parts["decoder"], noise)

    # ------------------------------------------------------------ display
    def summary(self):
        """Print the encoder's and the decoder's summaries, and the noise."""
        print(f"Autoencoder, noise {self.noise!r}\nEncoder:")
        self.encoder.summary()
        print("Decoder:")
        self.decoder.summary()

    def __repr__(self):
        return (f"Autoencoder(encoder={_widths(self.encoder)}, decoder={_widths(self.decoder)}, "
                f"noise={self.noise!r})")


def _widths(network):
    """``784-256-64``: a network's layer widths, input first."""
    return "-".join(str(width) for width in [network.inputDim] + [layer.outputDim for layer in network.layers])
