"""The training loop behind ``MLP.train``: epochs of mini-batch steps, metrics,
callbacks, progress output, and what happens when things go wrong.

One step of ``MLP.train`` is the chapter's loop, with the public methods a
learner types::

    yPred = model.forward(x)
    value = loss(yPred, y)
    model.backward(loss.gradient(yPred, y))
    model.update()

``loop`` runs such a step over a data set for some epochs. It does not know
what a step does, so the autoencoders and the GAN train with it too.

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
import signal
import sys
import threading
import time

import numpy as np

import callbacks as callbackModule
import diagnostics
from checks import checkDataset, checkInstance, checkInteger, checkMetrics
from loss import Loss

METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def train(model, dataset, loss, epochs, metrics, tensorboard, callbacks, verbose):
    """``MLP.train``; see its docstring."""
    _check(model, dataset, loss, epochs, metrics)

    def step(x, y):
        yPred = model.forward(x)
        figures = {"train_loss": loss(yPred, y)}
        if "train_accuracy" in metrics:
            figures["train_accuracy"] = accuracy(yPred, y)
        model.backward(loss.gradient(yPred, y))
        model.update()
        return figures

    def evaluate():
        wanted = [name for name in metrics if name.startswith("test_")]
        test = model.evaluate(dataset.x_test, dataset.y_test, loss) if wanted else {}
        return {name: test[name[len("test_"):]] for name in wanted}

    warned = []

    def remark():
        """Say once when most of a ReLU layer has died (a learning rate too large does that)."""
        warning = None if warned else diagnostics.deadUnitWarning(model, dataset.x_train[:1000])
        if warning:
            warned.append(warning)
            return f"WARNING: {warning}"
        return None

    try:
        return loop(model, dataset, step, epochs, metrics, evaluate, callbacks, tensorboard, verbose,
                    remark if verbose else None)
    except FloatingPointError:
        # The steps that diverged also fed the optimizers' moments; start them afresh from the restored weights.
        for layer in model.layers:
            layer.optimizerState = {"W": {}, "b": {}}
        raise


def accuracy(yPred, y):
    """Share of the rows whose arg-max prediction is the arg-max target."""
    return float(np.mean(yPred.argmax(axis=-1) == y.argmax(axis=-1)))


def loop(model, dataset, step, epochs, metrics, evaluate=None, callbacks=None, tensorboard=False, verbose=True,
         remark=None):
    """Run ``step`` on every mini-batch of ``dataset``, for ``epochs`` epochs.

    Parameters
    ----------
    model : object with ``parameters()``, ``getWeights()``, ``setWeights()``, ``stop_training``
        What is trained: an ``MLP``, or a model made of several.
    dataset : iterable of ``(x, y)`` mini-batches, with ``len()``
    step : callable ``step(x, y) -> dict``
        One training step (forward, backward, update); returns the batch's
        figures, e.g. ``{"train_loss": 0.31}``. Every figure must be finite.
    epochs : int
    metrics : list of str
        The figures recorded in the history, one value per epoch.
    evaluate : callable ``evaluate() -> dict``, optional
        More figures after each epoch, e.g. ``{"test_loss": 0.12}``.
    callbacks, tensorboard, verbose
        As for ``MLP.train``.
    remark : callable ``remark() -> str or None``, optional
        Something to add to the epoch's line, e.g. a warning.

    Returns
    -------
    dict from metric name to a list with one float per finished epoch.

    Each batch figure is averaged over the epoch, weighted by batch size.
    When a figure is NaN or infinite, the weights go back to those before
    the last step whose figures were finite and ``FloatingPointError`` is
    raised. Ctrl-C ends training after the step under way (a second Ctrl-C
    at once) and returns the history of the finished epochs.
    """
    events = callbackModule.collect(callbacks)
    if tensorboard:
        board = callbackModule.TensorBoard()
        events["on_epoch_end"].append(board.on_epoch_end)
        events["on_train_end"].append(board.on_train_end)
    history = {name: [] for name in metrics}
    progress = _Progress(len(dataset)) if verbose and sys.stdout.isatty() else None
    # Weights before the previous step and before this one: when this step's
    # figures are not finite, the previous step's were, and we go back there.
    snapshots = [model.getWeights(), model.getWeights()]
    steps, finished = 0, 0
    model.stop_training = False
    interrupt = _CtrlC()
    try:
        interrupt.catch()
        for function in events["on_train_begin"]:
            function(model)
        interrupt.check()
        for epoch in range(epochs):
            start = time.perf_counter()
            totals, seen = {}, 0
            parameters = [parameter for parameter, _ in model.parameters()]   # the same arrays all epoch
            for batch, (x, y) in enumerate(dataset):
                before = snapshots[steps % 2]
                for saved, parameter in zip(before, parameters):
                    np.copyto(saved, parameter)
                with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below
                    figures = step(x, y)
                if not all(math.isfinite(value) for value in figures.values()):
                    model.setWeights(snapshots[(steps + 1) % 2] if steps else before)
                    raise FloatingPointError(
                        f"training diverged: {figures} at batch {batch} of epoch {epoch + 1}; the weights were "
                        f"restored to those of the last finite values; try a lower learning rate")
                steps, seen = steps + 1, seen + len(x)
                for name, value in figures.items():
                    totals[name] = totals.get(name, 0.0) + value * len(x)
                for function in events["on_batch_end"]:
                    function(model, batch, figures)
                if progress:
                    progress.show(batch + 1, next(iter(totals.values())) / seen)
                interrupt.check()
            if progress:
                progress.clear()
            if not all(np.isfinite(parameter).all() for parameter in parameters):
                model.setWeights(snapshots[(steps + 1) % 2])
                raise FloatingPointError(
                    f"training diverged: the last step of epoch {epoch + 1} made the weights non-finite; "
                    f"they were restored to those before it; try a lower learning rate")
            logs = {name: total / seen for name, total in totals.items()}
            logs.update(evaluate() if evaluate else {})
            for name in metrics:
                history[name].append(logs[name])
            if verbose:
                shown = "".join(f" - {name}: {logs[name]:.4f}" for name in metrics)
                note = remark() if remark else None
                shown += f" - {note}" if note else ""
                print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - start:.2f}s{shown}", flush=True)
            finished += 1
            for function in events["on_epoch_end"]:
                function(model, epoch, logs)
            interrupt.check()
            if model.stop_training:
                break
    except KeyboardInterrupt:
        if progress:
            progress.clear()
        if verbose:
            cutShort = interrupt.cut or (interrupt.outer is not None and interrupt.outer.cut)
            note = " (a second Ctrl-C cut the next step short: some layers may have taken it)" if cutShort else ""
            print(f"Training interrupted after {steps} step(s){note}; returning the history of {finished} finished "
                  f"epoch(s).", flush=True)
    finally:
        interrupt.release()
        for function in events["on_train_end"]:
            function(model, history)
    return history


def _check(model, dataset, loss, epochs, metrics):
    """Fail before any work on anything ``train`` cannot use."""
    layers = model._layersOrFail()
    checkInstance("train", "loss", loss, Loss, "a Loss such as CrossEntropy()")
    checkInteger("train", "epochs", epochs)
    checkDataset("train", dataset, {"x": (layers[0].inputDim, "the network"),
                                    "y": (layers[-1].outputDim, "the network's last layer")})
    checkMetrics("train", metrics, METRICS, dataset)


class _CtrlC:
    """Ctrl-C during training stops it between two steps, never inside one.

    A ``KeyboardInterrupt`` raised halfway through ``update()`` would leave some
    layers stepped and others not. While training runs, the first Ctrl-C only
    asks to stop, and the loop stops after the step under way: the weights are
    then exactly those after some number of whole steps. A second Ctrl-C
    interrupts at once, as usual. Only the main thread receives signals, and a
    handler of the user's own is left alone. Training inside training (a
    callback that trains another model) stops on the same request.
    """

    def __init__(self):
        self.requested, self.cut, self.previous, self.outer = False, False, None, None

    def catch(self):
        handler = signal.getsignal(signal.SIGINT)
        if isinstance(getattr(handler, "__self__", None), _CtrlC):
            self.outer = handler.__self__
        elif threading.current_thread() is threading.main_thread() and handler is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._request)

    def _request(self, signalNumber, frame):
        if self.requested:
            self.cut = True
            raise KeyboardInterrupt
        self.requested = True

    def check(self):
        if self.requested or (self.outer is not None and self.outer.requested):
            raise KeyboardInterrupt

    def release(self):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None


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
