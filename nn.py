"""The Multi-Layer Perceptron: a stack of dense layers, trained by backpropagation.

>>> from layers import Dense
>>> nn = MLP()
>>> nn.addLayer(Dense(inputDim = 3, outputDim = 4))
>>> nn.addLayer(Dense(inputDim = 4, outputDim = 2))
>>> nn.forward([0.5, -1.0, 2.0]).shape
(2,)

One training step (``MLP.trainStep``) is the chapter's loop in four lines::

    yPred = mlp.forward(x)                               # forward propagation
    value, gradient = loss.valueAndGradient(yPred, y)    # how wrong we are, and dL/dyPred
    mlp.backward(gradient)                               # dL/dW, dL/db of every layer
    mlp.update()                                         # each layer's optimizer steps it

``train`` runs it over a data set for some epochs, with metrics, callbacks
and progress output (see :class:`Model` and :mod:`training`).
"""

import numpy as np

import saving
import training
from checks import checkDataset, checkFloatType, checkInstance
from layers import Dense
from loss import Loss
from tables import formatTable


class Composite(saving.Saveable):
    """Anything made of parts that hold parameters: every model, and a part made of parts (a VAE's ``Sampler``).

    A subclass names its parts in ``PARTS`` (or writes ``parts()``, as an
    ``MLP`` does for its layers): layers, or networks, each with
    ``parameters()``, ``update()``, ``resetOptimizerState()`` and
    ``trainable``. The rest follows, through the parts.
    """

    def parts(self):
        """What holds the parameters: by default the parts that ``PARTS`` names, in its order."""
        if not self.PARTS:
            raise NotImplementedError(f"{type(self).__name__} must name its parts in PARTS or define parts(): "
                                      f"what holds its parameters")
        return [getattr(self, name) for name in self.PARTS]

    def parameters(self):
        """Every ``(parameter, gradient)`` pair, part by part."""
        return [pair for part in self.parts() for pair in part.parameters()]

    def update(self):
        """Let every part update: each layer's optimizer steps its parameters with their gradients."""
        for part in self.parts():
            part.update()

    def resetOptimizerState(self):
        """Forget what the optimizers remember (moments, velocities, step counts) of every part."""
        for part in self.parts():
            part.resetOptimizerState()

    @property
    def trainable(self):
        """True unless a layer is frozen; setting it freezes (False) or thaws (True) every layer, as in Keras.

        Unlike Keras' flag it is not stored: reading False and setting it back
        thaws every layer, so keep each ``layer.trainable`` to restore a
        network that was frozen only in part.
        """
        return all(part.trainable for part in self.parts())

    @trainable.setter
    def trainable(self, value):
        checkInstance(type(self).__name__, "trainable", value, bool, "True or False")
        for part in self.parts():
            part.trainable = value

    def getWeights(self):
        """A copy of every parameter array, in the order of ``parameters()``."""
        return [parameter.copy() for parameter, _ in self.parameters()]

    def setWeights(self, weights):
        """Copy ``weights`` (as returned by ``getWeights``) into the parameters, in place."""
        parameters = [parameter for parameter, _ in self.parameters()]
        owner = type(self).__name__
        if len(weights) != len(parameters):
            raise ValueError(f"{owner}.setWeights: expected {len(parameters)} arrays, got {len(weights)}")
        for index, (parameter, value) in enumerate(zip(parameters, weights)):
            if np.shape(value) != parameter.shape:
                raise ValueError(f"{owner}.setWeights: array {index} has shape {np.shape(value)}, "
                                 f"expected {parameter.shape}")
            np.copyto(parameter, value)


class Model(Composite):
    """What every trainable model is: an MLP, an autoencoder, a VAE, a GAN, or one of your own.

    A model says four things, and everything else (``train``, ``save``,
    ``load``, ``getWeights``, ``trainable``) follows from them:

    - ``parts()``: what holds the parameters (an MLP's layers; the networks
      of a model made of several), each with ``parameters()`` and ``update()``;
    - ``trainStep(x, y, loss, metrics)``: one training step on a mini-batch,
      returning that step's figures, e.g. ``{"train_loss": 0.31}``;
    - ``METRICS``: the figures ``train`` can record, ``train_*`` per batch
      and ``test_*`` from ``testFigures(dataset, loss)`` after each epoch;
    - ``checkData(dataset)``: what it needs of a data set, checked before
      any work.

    To be saved, a model made of parts also names them in ``PARTS`` (name ->
    class), keeps its own settings in ``record()`` and is rebuilt from both
    by ``fromParts``: see :class:`saving.Saveable`, whose ``save`` and
    ``load`` every model inherits.

    A fifth model (a beta-VAE, a conditional GAN) subclasses ``Model`` and
    writes these; ``Autoencoder`` is the shortest to copy.

    Attributes
    ----------
    stop_training : bool
        Set it to True from a callback to stop ``train`` after the epoch, as
        in Keras; ``train`` sets it back to False when it starts.
    """

    METRICS = ()           # names train can record
    DEFAULT_METRICS = ()   # what train records when metrics is empty
    LOGGED = ()            # the figures every epoch's logs hold, asked for or not
    stop_training = False

    def trainStep(self, x, y, loss, metrics):
        """One training step on the mini-batch ``x``, ``y``; return its figures (finite floats)."""
        raise NotImplementedError(f"{type(self).__name__} must define trainStep(x, y, loss, metrics): one "
                                  f"training step on a mini-batch, returning its figures such as {{'train_loss': ...}}")

    def testFigures(self, dataset, loss):
        """The ``test_*`` figures after an epoch, computed on ``dataset``'s test set."""
        return {}

    def checkData(self, dataset):
        """Fail before any work when ``dataset`` does not fit the model (its first part takes ``x``)."""
        who = f"the {next(iter(self.PARTS), 'model')}"   # the first part takes x
        checkDataset(f"{type(self).__name__}.train", dataset, {"x": (self.inputDim, who)})

    def checkLoss(self, loss):
        """The loss ``train`` uses: ``loss`` itself, checked (a VAE and a GAN have their own)."""
        owner = f"{type(self).__name__}.train"
        return checkInstance(owner, "loss", loss, Loss, "a Loss such as CrossEntropy() or MSE()")

    def networks(self, x):
        """``(name, MLP, its inputs)`` for each network, given the inputs ``x``: for the dead-unit remark."""
        return []

    @property
    def inputDim(self):
        """The width of a sample: what the first part takes (an autoencoder's or a VAE's encoder)."""
        return self.parts()[0].inputDim

    def train(self, dataset, loss=None, epochs=1, metrics=(), tensorboard=False, callbacks=None, verbose=True):
        """Train on ``dataset`` with mini-batch gradient descent; return the history.

        Parameters
        ----------
        dataset : Dataset
            Iterating it yields shuffled ``(x, y)`` mini-batches; ``x_test``
            (and ``y_test``) serve the test metrics.
        loss : Loss or None
            What is minimised, e.g. ``CrossEntropy()`` or ``MSE()``. A VAE
            minimises its negative ELBO, whose reconstruction term is the
            chapter's ``CrossEntropy`` (None or ``CrossEntropy()``); a GAN's two
            players both use ``loss`` (None: ``CrossEntropy()``, the
            non-saturating game).
        epochs : int, default 1
            Passes over the training set.
        metrics : list of str
            Names from the model's ``METRICS``. Train figures are averages
            over the epoch's batches, weighted by batch size (as in Keras);
            test figures are computed on the whole test set after the
            epoch. An empty list records the model's ``DEFAULT_METRICS``
            (an MLP: nothing; a VAE: ``train_loss``; a GAN: both players'
            losses).
        tensorboard : bool
            Also write the metrics for TensorBoard under ``runs/<timestamp>/``
            (needs ``pip install "deepbasics[tensorboard]"``).
        callbacks : dict or list, optional
            ``{event: callable or [callables]}`` or a list of ``Callback``
            objects; see :mod:`callbacks` for the events, what each
            receives and how to stop early (``model.stop_training = True``).
        verbose : bool
            Print one line per epoch, and a progress bar on a terminal.

        Returns
        -------
        dict from metric name to a list with one float per finished epoch.

        Raises
        ------
        FloatingPointError
            When a figure becomes NaN or infinite; the weights are restored
            to those before the last step whose figures were finite, and the
            optimizers start afresh, so that training can go on at a lower
            learning rate.

        Calling ``train`` again continues from the current weights and
        optimizer state. Ctrl-C stops training after the step under way (a
        second Ctrl-C at once) and returns the history of the finished epochs.
        """
        if type(self).trainStep is Model.trainStep:   # before any callback runs
            self.trainStep(None, None, loss, metrics)
        return training.train(self, dataset, loss, epochs, metrics, tensorboard, callbacks, verbose)

class MLP(Model):
    """A Multi-Layer Perceptron.

    Parameters
    ----------
    dtype : numpy.float32 or numpy.float64, default numpy.float32
        dtype of every parameter and of the arithmetic; ``addLayer`` converts
        layers, ``forward`` converts inputs. Use float64 for gradient checks.

    Attributes
    ----------
    layers : list of Dense
    """

    def __init__(self, dtype=np.float32):
        self.dtype = checkFloatType("MLP", dtype)
        self.layers = []

    def addLayer(self, layer):
        """Append ``layer``, converted to the model's dtype; its ``inputDim`` must equal the previous ``outputDim``.

        The layer keeps its weights and optimizer state, so a layer can move
        from one network to another, or belong to two (an autoencoder's
        encoder and the whole autoencoder). It is one layer all the same:
        adding it to a network of another dtype converts it for both.
        """
        checkInstance("addLayer", "layer", layer, Dense, "a Dense layer")
        if self.layers and layer.inputDim != self.layers[-1].outputDim:
            raise ValueError(
                f"addLayer: layer {len(self.layers)} has inputDim={layer.inputDim} but the previous "
                f"layer has outputDim={self.layers[-1].outputDim}; they must be equal")
        if any(layer is existing for existing in self.layers):
            raise ValueError("addLayer: this layer object is already in the network; create a new Dense")
        self.layers.append(layer.astype(self.dtype))

    def parts(self):
        """The layers: ``parameters()``, ``update()``, ``getWeights()`` go through them in order."""
        return self.layers

    @property
    def inputDim(self):
        return self._layersOrFail()[0].inputDim

    @property
    def outputDim(self):
        return self._layersOrFail()[-1].outputDim

    def _layersOrFail(self):
        if not self.layers:
            raise RuntimeError("MLP has no layers yet; add some with addLayer(Dense(...))")
        return self.layers

    # ------------------------------------------------------- computation
    def _input(self, x):
        """``x`` as an array of the model's dtype, checked against ``inputDim``."""
        if hasattr(x, "x_train"):
            raise TypeError(f"MLP: expected an array of inputs (n, {self.inputDim}), got a Dataset; "
                            f"pass its arrays, e.g. model.predict(dataset.x_test)")
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.inputDim:
            raise ValueError(f"MLP: expected input of shape (n, {self.inputDim}) or ({self.inputDim},), "
                             f"got shape {x.shape}")
        return x

    def forward(self, x):
        """Forward propagation, keeping what ``backward`` needs.

        Parameters
        ----------
        x : array_like (n, inputDim) or (inputDim,)

        Returns
        -------
        ndarray (n, outputDim) or (outputDim,), in the model's dtype.
            The last layer's own record of its output, which ``backward``
            reads: change a copy of it, not the array itself.
        """
        x = self._input(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def predict(self, x):
        """The output of ``forward`` without touching training state."""
        x = self._input(x)
        for layer in self.layers:
            x = layer.predict(x)
        return x

    def backward(self, lossGradient, inputGradient=False):
        """Backpropagation: fill ``dW``, ``db`` of every layer that is not frozen, from the last to the first.

        Parameters
        ----------
        lossGradient : array_like, the shape of the last ``forward`` output
            ``dL/dyPred``, e.g. ``loss.gradient(yPred, yTrue)``.
        inputGradient : bool, default False
            Also compute and return ``dL/dx``, with the shape of the input
            (a GAN's generator learns from its discriminator's).

        Returns
        -------
        ndarray or None
            ``dL/dx`` when ``inputGradient`` is True.
        """
        layers = self._layersOrFail()
        gradient = np.asarray(lossGradient, dtype=self.dtype)   # the last layer checks its shape
        for index in reversed(range(len(layers))):
            gradient = layers[index].backward(gradient, inputGradient=index > 0 or inputGradient)
        return gradient

    # ---------------------------------------------------------- training
    METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
    LOGGED = ("train_loss",)
    RECORD = "architecture"

    def trainStep(self, x, y, loss, metrics=()):
        """One step of the chapter's loop on ``x (n, inputDim)``, ``y (n, outputDim)``; return its figures.

        ``{"train_loss": ...}``, and ``"train_accuracy"`` when ``metrics`` asks for it.
        """
        yPred = self.forward(x)
        value, gradient = loss.valueAndGradient(yPred, y)
        self.backward(gradient)
        self.update()
        figures = {"train_loss": value}
        if "train_accuracy" in metrics:
            figures["train_accuracy"] = accuracy(yPred, y)
        return figures

    def testFigures(self, dataset, loss):
        test = self.evaluate(dataset.x_test, dataset.y_test, loss)
        return {"test_loss": test["loss"], "test_accuracy": test["accuracy"]}

    def checkData(self, dataset):
        checkDataset(f"{type(self).__name__}.train", dataset, {"x": (self.inputDim, "the network"),
                                                              "y": (self.outputDim, "the network's last layer")})

    def networks(self, x):
        return [("", self, x)]

    def evaluate(self, x, y, loss):
        """Loss and accuracy on ``x (n, inputDim)``, ``y (n, outputDim)``, in one pass of ``predict``.

        Returns
        -------
        dict with ``"loss"`` (the mean over the samples) and ``"accuracy"``
        (share of samples whose arg-max output is the arg-max of ``y``).
        """
        x, y = self._input(x), np.asarray(y)
        if x.ndim != 2 or y.shape != (x.shape[0], self.outputDim):
            raise ValueError(f"evaluate: x has shape {x.shape} and y {y.shape}; expected "
                             f"(n, {self.inputDim}) and (n, {self.outputDim})")
        yPred = self.predict(x)
        return {"loss": loss(yPred, y), "accuracy": accuracy(yPred, y)}

    # -------------------------------------------------------- persistence
    # The archive layout of an MLP (architecture, weights, optimizer state) lives in saving.py.
    toArrays = saving.modelArrays
    fromArrays = classmethod(saving.modelFromArrays)

    # ------------------------------------------------------------ display
    def summary(self):
        """Print a table of the layers: shapes, activations and parameter counts."""
        rows = [(str(index), "Dense", f"(n, {layer.inputDim})", f"(n, {layer.outputDim})", repr(layer.activation),
                 type(layer.optimizer).__name__, f"{layer.countParameters():,}")
                for index, layer in enumerate(self.layers)]
        total = sum(layer.countParameters() for layer in self.layers)
        frozen = sum(layer.countParameters() for layer in self.layers if not layer.trainable)
        print(formatTable(("#", "layer", "input", "output", "activation", "optimizer", "parameters"), rows,
                          title=f"MLP (dtype {self.dtype.name})",
                          footer=[f"Total parameters: {total:,}"] + ([f"Frozen (trainable=False): {frozen:,}"]
                                                                     if frozen else [])))

    def __repr__(self):
        if not self.layers:
            return f"MLP(dtype=numpy.{self.dtype.name})"
        inner = "".join(f"\n    {layer!r}," for layer in self.layers)
        return f"MLP(dtype=numpy.{self.dtype.name}, layers=[{inner}\n])"

    def __len__(self):
        return len(self.layers)


def accuracy(yPred, y):
    """Share of the rows whose arg-max prediction is the arg-max target."""
    return float(np.mean(yPred.argmax(axis=-1) == y.argmax(axis=-1)))
