"""The training loop behind ``MLP.train``: epochs of mini-batch steps, metrics,
callbacks, progress output, and what happens when things go wrong.

One step is the chapter's loop::

    yPred = forward(x);  value, gradient = loss(yPred, y), dL/dyPred
    backward(gradient);  update()

around which this module keeps the epoch's running loss and accuracy, the
weights of the last finite loss (to restore them if training diverges), and
the callbacks.

>>> import numpy as np
>>> from nn import MLP
>>> from layers import Dense
>>> from activations import Sigmoid
>>> from loss import MSE
>>> from dataset import Dataset
>>> from optimizer import SGD
>>> data = Dataset(x_train=np.array([[0.0], [1.0]]), y_train=np.array([0.0, 1.0]), batch_size=2)
>>> model = MLP(dtype=np.float64)
>>> model.addLayer(Dense(1, 1, activation=Sigmoid(), optimizer=SGD(learningRate=5.0), seed=0))
>>> history = model.train(data, loss=MSE(), epochs=100, metrics=["train_loss"], verbose=False)
>>> history["train_loss"][-1] < 0.01 < history["train_loss"][0]
True
"""

import math
import sys
import time

import numpy as np

import callbacks as callbackModule
from loss import Loss

METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def train(model, dataset, loss, epochs, metrics, tensorboard, callbacks, verbose):
    """``MLP.train``; see its docstring."""
    _check(model, dataset, loss, epochs, metrics)
    events = callbackModule.collect(callbacks)
    if tensorboard:
        board = callbackModule.TensorBoard()
        events["on_epoch_end"].append(board.on_epoch_end)
        events["on_train_end"].append(board.on_train_end)
    history = {name: [] for name in metrics}
    model.stop_training = False
    finished = 0
    progress = _Progress(len(dataset)) if verbose and sys.stdout.isatty() else None
    try:
        for function in events["on_train_begin"]:
            function(model)
        for epoch in range(epochs):
            start = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                trainLoss, trainAccuracy = _trainEpoch(model, dataset, loss, events["on_batch_end"], progress,
                                                       "train_accuracy" in metrics)
            logs = {"train_loss": trainLoss}
            if "train_accuracy" in metrics:
                logs["train_accuracy"] = trainAccuracy
            if "test_loss" in metrics or "test_accuracy" in metrics:
                test = model.evaluate(dataset.x_test, dataset.y_test, loss)
                logs.update({f"test_{key}": value for key, value in test.items() if f"test_{key}" in metrics})
            seconds = time.perf_counter() - start
            for name in metrics:
                history[name].append(logs[name])
            if verbose:
                shown = "".join(f" - {name}: {logs[name]:.4f}" for name in metrics)
                print(f"Epoch {epoch + 1}/{epochs} - {seconds:.2f}s{shown}", flush=True)
            finished += 1
            for function in events["on_epoch_end"]:
                function(model, epoch, logs)
            if model.stop_training:
                break
    except KeyboardInterrupt:
        if progress:
            progress.clear()
        if verbose:
            print(f"Training interrupted; returning the history of {finished} finished epoch(s).", flush=True)
    finally:
        for function in events["on_train_end"]:
            function(model, history)
    return history


def _check(model, dataset, loss, epochs, metrics):
    """Fail before any work on anything ``train`` cannot use."""
    layers = model._layersOrFail()
    if not isinstance(loss, Loss):
        raise TypeError(f"train: loss must be a Loss such as CrossEntropy(), got {loss!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"train: epochs must be a positive integer, got {epochs!r}")
    if isinstance(metrics, str) or not all(isinstance(name, str) for name in metrics):
        raise TypeError(f"train: metrics must be a list of names, got {metrics!r}")
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"train: unknown metric(s) {unknown}; known metrics: {list(METRICS)}")
    for part in ("x_train", "y_train"):
        if not hasattr(dataset, part):
            raise TypeError(f"train: dataset must be a Dataset (with x_train, y_train), got {dataset!r}")
    if any(name.startswith("test") for name in metrics) and getattr(dataset, "x_test", None) is None:
        raise ValueError(f"train: metrics {list(metrics)} need a test set, but the dataset has none")
    for part, width, what in (("x", layers[0].inputDim, "inputDim of the first layer"),
                              ("y", layers[-1].outputDim, "outputDim of the last layer")):
        for split in ("train", "test"):
            array = getattr(dataset, f"{part}_{split}", None)
            if array is not None and (array.ndim != 2 or array.shape[1] != width):
                raise ValueError(f"train: dataset.{part}_{split} has shape {array.shape}, but the "
                                 f"network needs {width} columns ({what})")


def _trainEpoch(model, dataset, loss, batchCallbacks, progress, countCorrect):
    """One pass over the training set; return its mean loss and accuracy (None unless counted)."""
    parameters = model._theta   # every layer's parameters, as one vector
    lastGood = parameters.copy()
    totalLoss, correct, seen = 0.0, 0, 0
    for batch, (x, y) in enumerate(dataset):
        x = x.astype(model.dtype, copy=False)
        for layer in model.layers:
            x = layer.forward(x)
        value, gradient = loss.valueAndGradient(x, y)
        if not math.isfinite(value):
            np.copyto(parameters, lastGood)
            raise FloatingPointError(
                f"training diverged: the loss became {value} at batch {batch}; the weights were restored "
                f"to their last finite values; try a lower learning rate")
        # These weights gave a finite loss: keep them, while the forward pass
        # has left them in cache, for the restore above.
        np.copyto(lastGood, parameters)
        n = len(y)
        totalLoss += value * n
        if countCorrect:
            correct += np.count_nonzero(x.argmax(axis=1) == y.argmax(axis=1))
        seen += n
        model._backward(gradient, inputGradient=False, inPlace=True)
        model.update()
        for function in batchCallbacks:
            function(model, batch, {"loss": value})
        if progress:
            progress.show(batch + 1, totalLoss / seen)
    if progress:
        progress.clear()
    return float(totalLoss / seen), float(correct / seen) if countCorrect else None


class _Progress:
    """A one-line progress bar for a terminal, redrawn about a hundred times an epoch."""

    def __init__(self, total, width=30):
        self.total, self.width = total, width
        self.every = max(1, total // 100)

    def show(self, done, loss):
        if done % self.every and done != self.total:
            return
        filled = self.width * done // self.total
        bar = "=" * filled + "." * (self.width - filled)
        sys.stdout.write(f"\r[{bar}] {done}/{self.total} - loss: {loss:.4f}")
        sys.stdout.flush()

    def clear(self):
        sys.stdout.write("\r" + " " * (self.width + 40) + "\r")
        sys.stdout.flush()
