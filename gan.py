"""A generative adversarial network (Goodfellow et al., 2014) built from two MLPs.

The *generator* ``G`` turns noise ``z (n, latentDim)`` into samples
``G(z) (n, features)``; the *discriminator* ``D`` (one Sigmoid output) says how
likely a sample is to be real. They take turns on every mini-batch:

1. ``D`` learns to tell real samples (label 1) from generated ones (label 0):
   one step on the chapter's ``CrossEntropy`` over both halves of the batch.
2. ``G`` learns to make ``D`` call its samples real: its loss is
   ``CrossEntropy(D(G(z)), 1)`` (the "non-saturating" loss of the paper).

Step 2 needs ``dL/dG(z)``, the gradient of the loss with respect to the
discriminator's *input*, while the discriminator's own weights stay untouched.
With the chapter's API that is::

    p = discriminator.forward(generator.forward(z))
    dLdFake = discriminator.backward(loss.gradient(p, ones), inputGradient=True)
    generator.backward(dLdFake)
    generator.update()        # and *not* discriminator.update()

Backpropagating through a network without calling its ``update`` leaves its
weights as they were: that is the whole of "freezing" a network here.
``GAN`` also sets ``discriminator.trainable = False`` for step 2 (Keras'
idiom), which skips the discriminator's ``dW`` and ``db``, gradients nobody
would use: 7% of a step's time.

>>> import numpy as np
>>> from activations import LeakyReLU, Sigmoid, Tanh
>>> from layers import Dense
>>> from nn import MLP
>>> generator, discriminator = MLP(), MLP()
>>> generator.addLayer(Dense(2, 8, activation=LeakyReLU(0.2), seed=0))
>>> generator.addLayer(Dense(8, 3, activation=Tanh(), seed=1))
>>> discriminator.addLayer(Dense(3, 8, activation=LeakyReLU(0.2), seed=2))
>>> discriminator.addLayer(Dense(8, 1, activation=Sigmoid(), seed=3))
>>> gan = GAN(generator, discriminator, latentDim=2, seed=0)
>>> gan.sample(5).shape
(5, 3)

The module also holds :func:`mnistScore`, the Inception Score computed with an
MNIST classifier, to tell how recognisable and how varied generated digits are.
"""

import numpy as np

import nn
from activations import Sigmoid
from checks import checkChain, checkDataset, checkInstance, checkInteger, checkNumber
from loss import CrossEntropy


class GAN(nn.Model):
    """A generator and a discriminator trained against each other.

    Parameters
    ----------
    generator : MLP
        Maps noise ``(n, latentDim)`` to samples ``(n, features)``; a Tanh
        output suits data scaled to ``[-1, 1]``.
    discriminator : MLP
        Maps samples ``(n, features)`` to ``(n, 1)``, the probability that each
        is real: its last activation must be a Sigmoid.
    latentDim : int
        Width of the noise, the generator's ``inputDim``.
    realLabel : float in (0.5, 1], default 1.0
        Target for real samples when training the discriminator. ``0.9`` is
        *one-sided label smoothing* (Salimans et al., 2016): a discriminator
        that is never asked for full certainty saturates less, and the
        generator keeps receiving gradients. Generated samples are always
        labelled 0, and the generator always aims at 1.
    seed : int or None
        Seed for the noise (reproducible training and sampling when given).

    Attributes
    ----------
    generator, discriminator : MLP
    dtype : numpy.dtype, the networks' (both must share it)
    loss : Loss
        What both players minimise unless ``train`` is given another: the
        chapter's binary cross entropy.
    rng : numpy.random.Generator
        Where the noise comes from; saved with the GAN.
    """

    def __init__(self, generator, discriminator, latentDim, realLabel=1.0, seed=None):
        checkInstance("GAN", "generator", generator, nn.MLP, "an MLP")
        checkInstance("GAN", "discriminator", discriminator, nn.MLP, "an MLP")
        checkChain("GAN", [("generator", generator), ("discriminator", discriminator)])
        self.latentDim = checkInteger("GAN", "latentDim", latentDim)
        if self.latentDim != generator.inputDim:
            raise ValueError(f"GAN: latentDim={latentDim} but the generator's inputDim is {generator.inputDim}; "
                             f"they must be equal")
        if discriminator.outputDim != 1 or not isinstance(discriminator.layers[-1].activation, Sigmoid):
            raise ValueError(f"GAN: the discriminator must end in one Sigmoid output (a probability), got "
                             f"outputDim={discriminator.outputDim} with {discriminator.layers[-1].activation!r}")
        self.realLabel = checkNumber("GAN", "realLabel", realLabel, 0.5, 1, closed="right")
        self.generator, self.discriminator = generator, discriminator
        self.dtype = generator.dtype
        self.loss = CrossEntropy()
        self.seed, self.rng = seed, np.random.default_rng(seed)

    # ------------------------------------------------------------ sampling
    def noise(self, n):
        """Standard normal noise ``(n, latentDim)``, the generator's input."""
        n = checkInteger("GAN", "the number of samples n", n)
        return self.rng.standard_normal((n, self.latentDim)).astype(self.dtype)

    def generate(self, z):
        """The generator's samples ``(n, features)`` for the noise ``z (n, latentDim)``; trains nothing."""
        return self.generator.predict(z)

    def sample(self, n):
        """``n`` new samples ``(n, features)`` from fresh noise."""
        return self.generate(self.noise(n))

    # ------------------------------------------------------------ training
    def discriminatorBackward(self, real, z, loss=None):
        """Fill the discriminator's gradients for one batch; return its loss.

        Parameters
        ----------
        real : ndarray (n, features)
            Real samples, labelled ``realLabel``.
        z : ndarray (m, latentDim)
            Noise for ``m`` generated samples, labelled 0.

        The loss is the mean over all ``n + m`` samples, i.e. for ``m = n``
        the mean of the losses on the real and on the generated half
        (``loss``, by default the GAN's own). Nothing's weights change; the
        generator is only run forward.
        """
        real = np.asarray(real, dtype=self.dtype)
        both = np.concatenate([real, self.generate(z)])
        labels = np.zeros((len(both), 1), dtype=self.dtype)
        labels[:len(real)] = self.realLabel
        p = self.discriminator.forward(both)
        value, gradient = (loss or self.loss).valueAndGradient(p, labels)
        self.discriminator.backward(gradient)
        return value

    def generatorBackward(self, z, loss=None):
        """Fill the generator's gradients for the noise ``z (n, latentDim)``; return its loss.

        The loss is ``CrossEntropy(D(G(z)), 1)``: small when the discriminator
        takes the generated samples for real. Its gradient flows back through
        the discriminator, frozen for the while (its ``dW``, ``db`` and
        weights are left alone), to its input and on into the generator: only
        ``generator.update()`` should follow.
        """
        p = self.discriminator.forward(self.generator.forward(z))
        value, gradient = (loss or self.loss).valueAndGradient(p, np.ones_like(p))
        trainable = [layer.trainable for layer in self.discriminator.layers]
        self.discriminator.trainable = False
        try:
            dLdFake = self.discriminator.backward(gradient, inputGradient=True)
        finally:
            for layer, wasTrainable in zip(self.discriminator.layers, trainable):
                layer.trainable = wasTrainable
        self.generator.backward(dLdFake)
        return value

    METRICS = DEFAULT_METRICS = ("discriminator_loss", "generator_loss")
    LOGGED = METRICS

    def trainStep(self, x, y=None, loss=None, metrics=()):
        """One round of the game on a mini-batch of real samples ``x (n, features)``; return both losses.

        First the discriminator takes a step on ``x`` and ``n`` generated
        samples, then the generator takes a step on ``n`` fresh ones, judged
        by the discriminator it has just updated. ``y`` is not used; ``loss``
        is both players' (None: the GAN's own ``CrossEntropy``).
        """
        n = len(x)
        discriminatorLoss = self.discriminatorBackward(x, self.noise(n), loss)
        self.discriminator.update()
        generatorLoss = self.generatorBackward(self.noise(n), loss)
        self.generator.update()
        return {"discriminator_loss": discriminatorLoss, "generator_loss": generatorLoss}

    def checkLoss(self, loss):
        """Both players' loss: ``loss``, or the GAN's own ``CrossEntropy`` when None."""
        return self.loss if loss is None else super().checkLoss(loss)

    def checkData(self, dataset):
        checkDataset("GAN.train", dataset, {"x": (self.discriminator.inputDim, "the discriminator")})

    def networks(self, x):
        # Noise of its own: the remark must not change what training draws next.
        z = np.random.default_rng(0).standard_normal((len(x), self.latentDim)).astype(self.dtype)
        return [("generator", self.generator, z), ("discriminator", self.discriminator, x)]

    # --------------------------------------------------------- persistence
    # The parts, saved under these names; parameters() and getWeights() go through them in this order. Training
    # never calls update() on the whole GAN: each step updates one network only.
    PARTS = {"generator": nn.MLP, "discriminator": nn.MLP}
    RECORD = "gan"

    def record(self):
        return {"latentDim": self.latentDim, "realLabel": self.realLabel, "rng": self.rng.bit_generator.state}

    @classmethod
    def fromParts(cls, record, parts):
        gan = cls(parts["generator"], parts["discriminator"], record["latentDim"], realLabel=record["realLabel"])
        if "rng" in record:   # files written before the noise was saved have none
            gan.rng.bit_generator.state = record["rng"]
        return gan

    @classmethod
    def load(cls, path, seed=None):
        """Rebuild a GAN written by ``save``, noise generator included; ``seed`` starts a new one instead.

        ``ValueError`` naming the file and the part for a file that is not a valid GAN file.
        """
        gan = super().load(path)
        if seed is not None:
            gan.seed, gan.rng = seed, np.random.default_rng(seed)
        return gan

    def __repr__(self):
        return (f"GAN(latentDim={self.latentDim}, realLabel={self.realLabel}, "
                f"generator={self.generator!r}, discriminator={self.discriminator!r})")


def mnistScore(probabilities):
    """The Inception Score with an MNIST classifier: ``exp(mean_x KL(p(y|x) || p(y)))``.

    ``p(y|x)`` is the classifier's class distribution for one sample and
    ``p(y)`` its mean over all samples. The score is high when every sample
    is clearly one class (each ``p(y|x)`` is peaked) *and* the classes are
    balanced (``p(y)`` is flat); for 10 classes it lies between 1 and 10.
    Salimans et al. (2016) introduced it with an ImageNet classifier.

    Parameters
    ----------
    probabilities : array_like (n, classes)
        Rows of class probabilities, e.g. a Softmax classifier's outputs.

    Returns
    -------
    float

    >>> round(mnistScore(np.eye(10)), 6)                 # ten sure, different digits
    10.0
    >>> round(mnistScore(np.full((4, 10), 0.1)), 6)     # no digit recognised
    1.0
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"mnistScore: expected probabilities of shape (n, classes), got shape {p.shape}")
    sums = p.sum(axis=1)
    if not np.all(np.isfinite(p)) or p.min() < 0 or not np.allclose(sums, 1, atol=1e-3):
        raise ValueError(f"mnistScore: every row must be non-negative and sum to 1 (got row sums from "
                         f"{sums.min():.4g} to {sums.max():.4g}, minimum {p.min():.4g})")
    marginal = p.mean(axis=0)
    # 0 ln 0 = 0: classes a sample surely is not add nothing (and p(y) > 0 wherever p(y|x) > 0).
    safe = np.where(p > 0, p, 1.0)
    divergence = np.sum(p * (np.log(safe) - np.log(np.where(p > 0, marginal, 1.0))), axis=1)
    return float(np.exp(divergence.mean()))


def classShares(probabilities):
    """Share of the samples whose most probable class is each class, ``(classes,)``; shows mode collapse."""
    p = np.asarray(probabilities)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"classShares: expected probabilities of shape (n, classes), got shape {p.shape}")
    return np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / p.shape[0]
