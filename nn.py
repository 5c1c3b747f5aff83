"""The Multi-Layer Perceptron: a stack of dense layers, trained by backpropagation.

>>> from layers import Dense
>>> nn = MLP()
>>> nn.addLayer(Dense(inputDim = 3, outputDim = 4))
>>> nn.addLayer(Dense(inputDim = 4, outputDim = 2))
>>> nn.forward([0.5, -1.0, 2.0]).shape
(2,)

One training step is the chapter's loop in four lines::

    yPred = mlp.forward(x)                          # forward propagation
    value = loss(yPred, y)                          # how wrong we are
    mlp.backward(loss.gradient(yPred, y))           # dL/dW, dL/db of every layer
    mlp.update()                                    # each layer's optimizer steps it

``MLP.train`` runs it over a data set for some epochs, with metrics,
callbacks and progress output (see :mod:`training`).
"""

import json
import os
import uuid
import zipfile

import numpy as np

import activations
import optimizer as optimizerModule
import training
from checks import checkInstance
from layers import Dense

_BLOCK = 2048  # rows per block when predicting many samples: small enough to stay in cache
_FORMAT = 2    # version of the .npz layout written by save()


class MLP:
    """A Multi-Layer Perceptron.

    Parameters
    ----------
    dtype : numpy.float32 or numpy.float64, default numpy.float32
        dtype of every parameter and of the arithmetic; ``addLayer`` converts
        layers, ``forward`` converts inputs. Use float64 for gradient checks.

    Attributes
    ----------
    layers : list of Dense
    stop_training : bool
        Set it to True from a callback to stop ``train`` after the epoch.
    """

    def __init__(self, dtype=np.float32):
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"MLP: dtype must be numpy.float32 or numpy.float64, got {dtype}")
        self.dtype = dtype
        self.layers = []
        self.stop_training = False

    def addLayer(self, layer):
        """Append ``layer``, converted to the model's dtype; its ``inputDim`` must equal the previous ``outputDim``."""
        checkInstance("addLayer", "layer", layer, Dense, "a Dense layer")
        if self.layers and layer.inputDim != self.layers[-1].outputDim:
            raise ValueError(
                f"addLayer: layer {len(self.layers)} has inputDim={layer.inputDim} but the previous "
                f"layer has outputDim={self.layers[-1].outputDim}; they must be equal")
        if any(layer is existing for existing in self.layers):
            raise ValueError("addLayer: this layer object is already in the network; create a new Dense")
        self.layers.append(layer.astype(self.dtype))

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

    def parameters(self):
        """Every ``(parameter, gradient)`` pair, layer by layer."""
        return [pair for layer in self.layers for pair in layer.parameters()]

    # ------------------------------------------------------- computation
    def _input(self, x):
        """``x`` as an array of the model's dtype, checked against ``inputDim``."""
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
        """
        x = self._input(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def predict(self, x):
        """The output of ``forward`` without touching training state, in blocks of rows."""
        x = self._input(x)
        if x.ndim == 1:
            return self.predict(x[np.newaxis])[0]
        out = np.empty((x.shape[0], self.outputDim), dtype=self.dtype)
        for start in range(0, x.shape[0], _BLOCK):
            block = x[start:start + _BLOCK]
            for layer in self.layers:
                block = layer.predict(block)
            out[start:start + _BLOCK] = block
        return out

    def backward(self, lossGradient, inputGradient=False):
        """Backpropagation: fill ``dW``, ``db`` of every layer, from the last to the first.

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
        if layers[-1].a is None:
            raise RuntimeError("MLP.backward called before forward")
        gradient = np.asarray(lossGradient, dtype=self.dtype)
        if gradient.shape != layers[-1].a.shape:
            raise ValueError(f"MLP.backward: lossGradient has shape {gradient.shape}, expected the shape "
                             f"of the last forward output {layers[-1].a.shape}")
        for index in reversed(range(len(layers))):
            gradient = layers[index].backward(gradient, inputGradient=index > 0 or inputGradient)
        return gradient

    def update(self):
        """Let each layer's optimizer step its parameters: every layer's ``update()``."""
        for layer in self.layers:
            layer.update()

    # ---------------------------------------------------------- training
    def train(self, dataset, loss, epochs, metrics=(), tensorboard=False, callbacks=None, verbose=True):
        """Train on ``dataset`` with mini-batch gradient descent.

        Parameters
        ----------
        dataset : Dataset
            Iterating it yields shuffled ``(x, y)`` mini-batches; ``x_test``,
            ``y_test`` are used for the test metrics.
        loss : Loss
            e.g. ``CrossEntropy()`` or ``MSE()``.
        epochs : int
            Passes over the training set.
        metrics : list of str
            Any of ``"train_loss"``, ``"test_loss"``, ``"train_accuracy"``,
            ``"test_accuracy"``. Train metrics are averages over the epoch's
            batches (as in Keras); test metrics are computed on the whole test
            set after the epoch. Accuracy is the share of samples whose
            arg-max output is the arg-max target.
        tensorboard : bool
            Also write the metrics for TensorBoard under ``runs/<timestamp>/``
            (needs ``pip install "deepbasics[tensorboard]"``).
        callbacks : dict or list, optional
            ``{event: callable or [callables]}``; see :mod:`callbacks` for the
            events, what each receives and how to stop early.
        verbose : bool
            Print one line per epoch, and a progress bar on a terminal.

        Returns
        -------
        dict from metric name to a list with one float per finished epoch.

        Raises
        ------
        FloatingPointError
            When the loss becomes NaN or infinite; the weights are restored
            to those of the last finite loss.

        Calling ``train`` again continues from the current weights and
        optimizer state. Ctrl-C stops training and returns the history of
        the finished epochs.
        """
        return training.train(self, dataset, loss, epochs, metrics, tensorboard, callbacks, verbose)

    def evaluate(self, x, y, loss):
        """Loss and accuracy on ``x (n, inputDim)``, ``y (n, outputDim)``, computed in blocks.

        Returns
        -------
        dict with ``"loss"`` (the mean over the samples) and ``"accuracy"``
        (share of samples whose arg-max output is the arg-max of ``y``).
        """
        x, y = self._input(x), np.asarray(y)
        if x.ndim != 2 or y.shape != (x.shape[0], self.outputDim):
            raise ValueError(f"evaluate: x has shape {x.shape} and y {y.shape}; expected "
                             f"(n, {self.inputDim}) and (n, {self.outputDim})")
        total, correct = 0.0, 0
        for start in range(0, x.shape[0], _BLOCK):
            yPred, yBlock = self.predict(x[start:start + _BLOCK]), y[start:start + _BLOCK]
            total += loss(yPred, yBlock) * len(yBlock)
            correct += np.count_nonzero(yPred.argmax(axis=1) == yBlock.argmax(axis=1))
        return {"loss": float(total / x.shape[0]), "accuracy": float(correct / x.shape[0])}

    # -------------------------------------------------------- persistence
    def getWeights(self):
        """A copy of every parameter array (``W`` and ``b`` of each layer, in order)."""
        return [parameter.copy() for parameter, _ in self.parameters()]

    def setWeights(self, weights):
        """Copy ``weights`` (as returned by ``getWeights``) into the parameters, in place."""
        parameters = [parameter for parameter, _ in self.parameters()]
        if len(weights) != len(parameters):
            raise ValueError(f"setWeights: expected {len(parameters)} arrays, got {len(weights)}")
        for index, (parameter, value) in enumerate(zip(parameters, weights)):
            if np.shape(value) != parameter.shape:
                raise ValueError(f"setWeights: array {index} has shape {np.shape(value)}, "
                                 f"expected {parameter.shape}")
            np.copyto(parameter, value)

    def save(self, path):
        """Write architecture, weights and optimizer state to one ``.npz`` file; return its path.

        The file holds only numeric arrays and one JSON string, so ``load``
        never needs pickle. ``.npz`` is appended when missing, as
        ``numpy.savez`` does. See ``writeArchive`` for how it is written.
        """
        return writeArchive(path, self.toArrays())

    @classmethod
    def load(cls, path):
        """Rebuild a model written by ``save``: same layers, weights and optimizer state.

        The whole file is checked before anything is allocated; a file that
        is unreadable, not a deepbasics model, or inconsistent raises
        ``ValueError`` naming the file and the part.
        """
        return cls.fromArrays(readArchive(path), source=os.fspath(path))

    def toArrays(self, prefix=""):
        """Everything ``save`` writes, as a dict of arrays whose names start with ``prefix``.

        Models made of several networks save each under its own prefix in one file.
        """
        optimizers = []
        for layer in self.layers:
            if not any(layer.optimizer is known for known in optimizers):
                optimizers.append(layer.optimizer)
        architecture = {
            "format": _FORMAT, "dtype": self.dtype.name,
            "optimizers": [{"name": type(o).__name__, "config": o.config()} for o in optimizers],
            "layers": [{"inputDim": layer.inputDim, "outputDim": layer.outputDim,
                        "activation": {"name": type(layer.activation).__name__,
                                       "config": layer.activation.config()},
                        "optimizer": next(i for i, o in enumerate(optimizers) if o is layer.optimizer)}
                       for layer in self.layers]}
        arrays = {prefix + "architecture": np.array(json.dumps(architecture))}
        for index, layer in enumerate(self.layers):
            for name in ("W", "b"):
                arrays[f"{prefix}layer{index}.{name}"] = getattr(layer, name)
                for key, value in layer.optimizerState[name].items():
                    arrays[f"{prefix}layer{index}.{name}.{key}"] = np.asarray(value)
        return arrays

    @classmethod
    def fromArrays(cls, arrays, prefix="", source="arrays"):
        """The model that ``toArrays(prefix)`` described, after checking every part of it.

        Raises
        ------
        ValueError
            Naming ``source`` and the part, for a wrong format version,
            dtype, activation, optimizer, reference, size, shape or key.
        """
        def fail(problem):
            raise ValueError(f"MLP.load: {source} is not a valid deepbasics model file: {problem}")

        spec = _readArchitecture(arrays, prefix, fail)
        dtype = np.dtype(spec["dtype"])
        expected = {prefix + "architecture"}
        for index, layer in enumerate(spec["layers"]):
            shapes = {"W": (layer["outputDim"], layer["inputDim"]), "b": (layer["outputDim"],)}
            for name, shape in shapes.items():
                key = f"{prefix}layer{index}.{name}"
                _checkArray(arrays, key, shape, fail)
                stateKeys = {k for k in arrays if k.startswith(key + ".")}
                wanted = {f"{key}.{k}" for k in spec["optimizers"][layer["optimizer"]].stateKeys()}
                if stateKeys and stateKeys != wanted:
                    fail(f"optimizer state of {key} has {sorted(stateKeys)}, expected {sorted(wanted)}")
                for stateKey in stateKeys:
                    _checkArray(arrays, stateKey, () if stateKey.endswith(".t") else shape, fail)
                expected |= {key} | stateKeys
        unexpected = sorted(k for k in arrays if k.startswith(prefix) and k not in expected)
        if unexpected:
            fail(f"unexpected parts {unexpected}")

        model = cls(dtype=dtype)
        for index, layer in enumerate(spec["layers"]):
            dense = Dense(layer["inputDim"], layer["outputDim"], activation=layer["activation"],
                          optimizer=spec["optimizers"][layer["optimizer"]], dtype=dtype)
            for name in ("W", "b"):
                key = f"{prefix}layer{index}.{name}"
                setattr(dense, name, arrays[key].astype(dtype))
                dense.optimizerState[name] = {
                    stateKey[len(key) + 1:]: int(value) if value.ndim == 0 else value.astype(dtype)
                    for stateKey, value in arrays.items() if stateKey.startswith(key + ".")}
            model.addLayer(dense)
        return model

    # ------------------------------------------------------------ display
    def summary(self):
        """Print a table of the layers: shapes, activations and parameter counts."""
        rows = [("#", "layer", "input", "output", "activation", "optimizer", "parameters")]
        for index, layer in enumerate(self.layers):
            rows.append((str(index), "Dense", f"(n, {layer.inputDim})", f"(n, {layer.outputDim})",
                         repr(layer.activation), type(layer.optimizer).__name__,
                         f"{layer.countParameters():,}"))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        rule = "-" * max(len(line) for line in lines)
        total = sum(layer.countParameters() for layer in self.layers)
        print("\n".join([f"MLP (dtype {self.dtype.name})", rule, lines[0], rule, *lines[1:], rule,
                         f"Total parameters: {total:,}"]))

    def __repr__(self):
        if not self.layers:
            return f"MLP(dtype=numpy.{self.dtype.name})"
        inner = "".join(f"\n    {layer!r}," for layer in self.layers)
        return f"MLP(dtype=numpy.{self.dtype.name}, layers=[{inner}\n])"

    def __len__(self):
        return len(self.layers)


def _readArchitecture(arrays, prefix, fail):
    """The architecture's JSON, checked part by part, with activations and optimizers built."""
    text = arrays.get(prefix + "architecture")
    if not isinstance(text, np.ndarray) or text.shape != () or text.dtype.kind != "U":
        fail(f"no architecture string at {prefix + 'architecture'!r}")
    try:
        spec = json.loads(str(text))
    except (ValueError, RecursionError) as error:
        fail(f"the architecture is not JSON ({error})")
    if not isinstance(spec, dict) or spec.get("format") != _FORMAT:
        fail(f"format {spec.get('format') if isinstance(spec, dict) else None!r}, "
             f"expected {_FORMAT} (this version of deepbasics reads format {_FORMAT} only)")
    if spec.get("dtype") not in ("float32", "float64"):
        fail(f"dtype {spec.get('dtype')!r}, expected 'float32' or 'float64'")
    try:
        optimizers = [optimizerModule.fromConfig(o["name"], o["config"]) for o in spec["optimizers"]]
        layers = [{"inputDim": layer["inputDim"], "outputDim": layer["outputDim"], "optimizer": layer["optimizer"],
                   "activation": activations.fromConfig(layer["activation"]["name"], layer["activation"]["config"])}
                  for layer in spec["layers"]]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        fail(f"malformed architecture ({type(error).__name__}: {error})")
    if not layers:
        fail("the architecture has no layers")
    for index, layer in enumerate(layers):
        for name in ("inputDim", "outputDim"):
            if type(layer[name]) is not int or layer[name] < 1:
                fail(f"layer {index} has {name}={layer[name]!r}, expected a positive integer")
        if type(layer["optimizer"]) is not int or not 0 <= layer["optimizer"] < len(optimizers):
            fail(f"layer {index} refers to optimizer {layer['optimizer']!r}, but the file has {len(optimizers)}")
        if index and layer["inputDim"] != layers[index - 1]["outputDim"]:
            fail(f"layer {index} has inputDim={layer['inputDim']} but layer {index - 1} "
                 f"has outputDim={layers[index - 1]['outputDim']}")
    return {"dtype": spec["dtype"], "optimizers": optimizers, "layers": layers}


def _checkArray(arrays, key, shape, fail):
    """Fail unless ``arrays[key]`` exists with exactly ``shape`` (a step count: an integer >= 1)."""
    if key not in arrays:
        fail(f"missing {key!r}")
    array = arrays[key]
    kind = "i" if shape == () else "f"
    if array.shape != shape or array.dtype.kind not in (kind, "u" if kind == "i" else kind):
        fail(f"{key!r} has shape {array.shape} and dtype {array.dtype}, expected shape {shape} "
             f"of {'integers' if kind == 'i' else 'floats'}")
    if shape == () and array < 1:
        fail(f"{key!r} is {array}, expected a step count of at least 1")


def writeArchive(path, arrays):
    """Write a dict of arrays to one ``.npz`` file, atomically; return the path.

    The file is written under a temporary name in the same folder and renamed
    into place, so an interrupted or failed save never leaves a half-written
    file and keeps the old one. It gets the permissions ``numpy.save`` would
    give (``0o666`` less the user's umask). ``.npz`` is appended when missing.
    """
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.part")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def readArchive(path):
    """Every array of a ``.npz`` file written by ``writeArchive``, as a dict; never unpickles.

    Raises
    ------
    ValueError
        Naming the file, when it is empty, truncated, corrupt, not an
        ``.npz`` archive, holds Python objects, or inflates to far more than
        its size (a "zip bomb").
    """
    path = os.fspath(path)
    size = os.path.getsize(path)   # FileNotFoundError for a missing file, as open() gives
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        with archive:
            inflated = sum(info.file_size for info in archive.zip.infolist())
            if inflated > 100 * size + 2**20:
                raise ValueError(f"its {size:,} bytes inflate to {inflated:,}")
            return {name: archive[name] for name in archive.files}
    except (ValueError, EOFError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"MLP.load: {path} is not a readable deepbasics model file "
                         f"({type(error).__name__}: {error})") from error
