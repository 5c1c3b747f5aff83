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
    mlp.update()                                    # each optimizer steps its layer

``MLP.train`` runs it over a data set for some epochs, with metrics,
callbacks and progress output.
"""

import json
import os
import tempfile
import weakref

import numpy as np

import activations
import optimizer as optimizerModule
import training
from layers import Dense

_BLOCK = 2048  # rows per block when predicting many samples: small enough to stay in cache
_FORMAT = 1    # version of the .npz layout written by save()


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
        self._runs = []   # layers stepped together by one optimizer: see _pack

    # ----------------------------------------------------------- building
    def addLayer(self, layer):
        """Append ``layer``; its ``inputDim`` must equal the previous layer's ``outputDim``."""
        if not isinstance(layer, Dense):
            raise TypeError(f"addLayer expects a Dense layer, got {type(layer).__name__} {layer!r}")
        if self.layers and layer.inputDim != self.layers[-1].outputDim:
            raise ValueError(
                f"addLayer: layer {len(self.layers)} has inputDim={layer.inputDim} but the previous "
                f"layer has outputDim={self.layers[-1].outputDim}; they must be equal")
        if any(layer is existing for existing in self.layers):
            raise ValueError("addLayer: this layer object is already in the network; create a new Dense")
        if layer._owner() is not None:
            raise ValueError("addLayer: this layer already belongs to another MLP, whose parameter vector "
                             "holds its weights; create a new Dense (copy the weights with W and b)")
        states = self._layerStates() + [_withoutWorkspace(layer.optimizer.existingState(layer.theta))]
        layer.optimizer.forget(layer.theta)
        self.layers.append(layer.astype(self.dtype))
        layer._network = weakref.ref(self)
        self._pack(states)

    def _pack(self, states):
        """Keep all parameters in one vector, ``self._theta``, and all gradients in another.

        Every layer's ``theta`` (and so its ``W`` and ``b``) becomes a view
        into the network's vector, in layer order. Consecutive layers that
        share an optimizer form a *run*: one slice of that vector, which
        ``update`` steps once. The optimizers work element by element, so this
        is the same arithmetic as one step per layer, in a third of the NumPy
        calls for the chapter's three layers.

        ``states`` holds every layer's optimizer state (``{}`` before its
        first step); it is carried over into the runs. A layer whose step
        count differs from its neighbour's starts a run of its own.
        """
        for run in self._runs:
            run.optimizer.forget(run.theta)
        sizes = [layer.theta.size for layer in self.layers]
        bounds = np.cumsum([0] + sizes)
        self._theta = np.empty(bounds[-1], dtype=self.dtype)
        self._gradient = np.zeros_like(self._theta)
        groups = []
        for index, layer in enumerate(self.layers):
            layer._place(self._theta[bounds[index]:bounds[index + 1]],
                         self._gradient[bounds[index]:bounds[index + 1]])
            previous = groups[-1][-1] if groups else None
            if (previous is not None and self.layers[previous].optimizer is layer.optimizer
                    and _stepCount(states[previous]) == _stepCount(states[index])):
                groups[-1].append(index)
            else:
                groups.append([index])
        self._runs = [_Run(self, self.layers[group[0]].optimizer, bounds[group[0]:group[-1] + 2])
                      for group in groups]
        for run, group in zip(self._runs, groups):
            members = [states[index] for index in group]
            if members[0]:
                run.optimizer.setState(run.theta, {key: np.concatenate([state[key] for state in members])
                                                   if isinstance(value, np.ndarray) else value
                                                   for key, value in members[0].items()})

    def _layerStates(self):
        """Every layer's optimizer state, as views cut out of its run's; ``{}`` before the first step."""
        states = []
        for run in self._runs:
            state = run.optimizer.existingState(run.theta) or {}
            offsets = run.bounds - run.bounds[0]
            for start, stop in zip(offsets, offsets[1:]):
                states.append(_withoutWorkspace({key: value[start:stop] if isinstance(value, np.ndarray) else value
                                                 for key, value in state.items()}))
        return states

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
        """``x`` as a 2-D array of the model's dtype, and whether it was a single sample."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.inputDim:
            raise ValueError(f"MLP: expected input of shape (n, {self.inputDim}) or ({self.inputDim},), "
                             f"got shape {x.shape}")
        return (x[np.newaxis], True) if x.ndim == 1 else (x, False)

    def forward(self, x):
        """Forward propagation, keeping what ``backward`` needs.

        Parameters
        ----------
        x : array_like (n, inputDim) or (inputDim,)

        Returns
        -------
        ndarray (n, outputDim) or (outputDim,), in the model's dtype.
        """
        x, single = self._input(x)
        self._single = single
        for layer in self._layersOrFail():
            x = layer.forward(x)
        return x[0] if single else x

    def predict(self, x):
        """The output of ``forward`` without touching training state, in blocks of rows."""
        x, single = self._input(x)
        out = np.empty((x.shape[0], self.outputDim), dtype=self.dtype)
        for start in range(0, x.shape[0], _BLOCK):
            block = x[start:start + _BLOCK]
            for layer in self.layers:
                block = layer.predict(block)
            out[start:start + _BLOCK] = block
        return out[0] if single else out

    def backward(self, lossGradient, inputGradient=False):
        """Backpropagation: fill ``dW``, ``db`` of every layer.

        Parameters
        ----------
        lossGradient : array_like, the shape of the last ``forward`` output
            ``dL/dyPred``, e.g. ``loss.gradient(yPred, yTrue)``.
        inputGradient : bool, default False
            Also return ``dL/dx`` with the shape of the input.
        """
        layers = self._layersOrFail()
        if layers[-1].a is None:
            raise RuntimeError("MLP.backward called before forward")
        gradient = np.asarray(lossGradient, dtype=self.dtype)
        expected = layers[-1].a.shape[1:] if self._single else layers[-1].a.shape
        if gradient.shape != expected:
            raise ValueError(f"MLP.backward: lossGradient has shape {gradient.shape}, expected the shape "
                             f"of the last forward output {expected}")
        if self._single:
            gradient = gradient[np.newaxis]
        inputGrad = self._backward(gradient, inputGradient, inPlace=False)
        return (inputGrad[0] if self._single else inputGrad) if inputGradient else None

    def _backward(self, gradient, inputGradient, inPlace):
        for depth, layer in enumerate(reversed(self.layers)):
            isFirst = depth == len(self.layers) - 1
            gradient = layer.backward(gradient, inputGradient or not isFirst, inPlace or depth > 0)
        return gradient

    def update(self):
        """Let each layer's optimizer step its parameters with their gradients.

        Layers that share an optimizer are stepped together (see ``_pack``).
        """
        for run in self._runs:
            run.optimizer.step(run.theta, run.gradient)

    # ---------------------------------------------------------- training
    def train(self, dataset, loss, epochs, metrics=[], tensorboard=False, callbacks={}, verbose=True):
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
        callbacks : dict or list
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
        x, _ = self._input(x)
        y = np.asarray(y)
        if y.shape != (x.shape[0], self.outputDim):
            raise ValueError(f"evaluate: y has shape {y.shape}, expected {(x.shape[0], self.outputDim)}")
        total, correct = 0.0, 0
        for start in range(0, x.shape[0], _BLOCK):
            yPred = self.predict(x[start:start + _BLOCK])
            yBlock = y[start:start + _BLOCK]
            total += loss(yPred, yBlock) * len(yBlock)
            correct += np.count_nonzero(yPred.argmax(axis=1) == yBlock.argmax(axis=1))
        return {"loss": float(total / x.shape[0]), "accuracy": float(correct / x.shape[0])}

    # -------------------------------------------------------- persistence
    def getWeights(self):
        """A copy of every layer's parameter vector ``theta = (W, b)``, layer by layer."""
        return [theta.copy() for theta, _ in self.parameters()]

    def setWeights(self, weights):
        """Copy ``weights`` (as returned by ``getWeights``) into the parameters, in place."""
        parameters = [theta for theta, _ in self.parameters()]
        if len(weights) != len(parameters):
            raise ValueError(f"setWeights: expected {len(parameters)} arrays, got {len(weights)}")
        for index, (theta, value) in enumerate(zip(parameters, weights)):
            if np.shape(value) != theta.shape:
                raise ValueError(f"setWeights: array {index} has shape {np.shape(value)}, expected {theta.shape}")
            np.copyto(theta, value)

    def save(self, path):
        """Write architecture, weights and optimizer state to one ``.npz`` file.

        The file holds only numeric arrays and one JSON string, so ``load``
        never needs pickle. Written to a temporary file first and renamed, so
        an interrupted save never leaves a half-written file. ``.npz`` is
        appended when missing, as ``numpy.savez`` does; returns the path.
        """
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
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
        arrays = {"architecture": np.array(json.dumps(architecture))}
        for index, (layer, state) in enumerate(zip(self.layers, self._layerStates())):
            arrays[f"layer{index}.W"], arrays[f"layer{index}.b"] = layer.W, layer.b
            for key, value in state.items():
                arrays[f"layer{index}.theta.{key}"] = np.asarray(value)
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".deepbasics-", suffix=".npz.part")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **arrays)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        return path

    @classmethod
    def load(cls, path):
        """Rebuild a model written by ``save``: same layers, weights and optimizer state."""
        path = os.fspath(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except ValueError as error:
            raise ValueError(f"MLP.load: {path} holds Python objects or is not a deepbasics model "
                             f"file; loading it would need pickle, which is refused ({error})") from error
        try:
            architecture = json.loads(str(arrays["architecture"]))
            optimizers = [optimizerModule.fromConfig(o["name"], o["config"]) for o in architecture["optimizers"]]
            model = cls(dtype=np.dtype(architecture["dtype"]))
            states = []
            for index, spec in enumerate(architecture["layers"]):
                activation = activations.fromConfig(spec["activation"]["name"], spec["activation"]["config"])
                layer = Dense(spec["inputDim"], spec["outputDim"], activation=activation,
                              optimizer=optimizers[spec["optimizer"]], dtype=model.dtype)
                model.addLayer(layer)
                np.copyto(layer.W, arrays[f"layer{index}.W"])
                np.copyto(layer.b, arrays[f"layer{index}.b"])
                prefix = f"layer{index}.theta."
                states.append({key[len(prefix):]: value.item() if value.ndim == 0 else value  # t is a number
                               for key, value in arrays.items() if key.startswith(prefix)})
            model._pack(states)
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"MLP.load: {path} is not a valid deepbasics model file ({error!r})") from error
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

    def __setstate__(self, state):
        """After unpickling or ``copy.deepcopy``: pack the layers again.

        Both copy every view as an array of its own, so the copy's layers
        would no longer compute with what its optimizer steps. The optimizer
        state comes along (see ``Optimizer.__setstate__``).
        """
        self.__dict__.update(state)
        for layer in self.layers:
            layer._network = weakref.ref(self)
        self._pack(self._layerStates())

    def __repr__(self):
        if not self.layers:
            return f"MLP(dtype=numpy.{self.dtype.name})"
        inner = "".join(f"\n    {layer!r}," for layer in self.layers)
        return f"MLP(dtype=numpy.{self.dtype.name}, layers=[{inner}\n])"

    def __len__(self):
        return len(self.layers)


class _Run:
    """Consecutive layers that share an optimizer: their parameters and
    gradients are the slices ``bounds[0]:bounds[-1]`` of the network's vectors,
    layer ``i`` of the run owning ``bounds[i]:bounds[i + 1]``."""

    def __init__(self, network, optimizer, bounds):
        self.optimizer, self.bounds = optimizer, bounds
        self.theta = network._theta[bounds[0]:bounds[-1]]
        self.gradient = network._gradient[bounds[0]:bounds[-1]]


def _withoutWorkspace(state):
    """An optimizer state without its workspace, Adam's ``scratch`` (``{}`` for None)."""
    return {key: value for key, value in (state or {}).items() if key != "scratch"}


def _stepCount(state):
    """What two layers' states must share to be stepped as one: their names and numbers (the step count)."""
    return {key: None if isinstance(value, np.ndarray) else value for key, value in state.items()}
