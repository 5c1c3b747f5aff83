"""The training loop behind every model's ``train``: epochs of mini-batch steps,
their figures, the callbacks' events, and what happens when things go wrong.

``loop`` does not know what a step does: it calls ``model.trainStep(x, y,
loss, metrics)``, which for an ``MLP`` is the chapter's loop, with the public
methods a learner types::

    yPred = model.forward(x)
    value, gradient = loss.valueAndGradient(yPred, y)
    model.backward(gradient)
    model.update()

An autoencoder, a VAE and a GAN write their own step and train with the same
loop. Around it stand two small safety nets, each a class below:
``_LastGoodWeights`` (a diverging step puts the weights back) and ``_CtrlC``
(Ctrl-C stops between two steps, never inside one). What training prints is
a callback, as in Keras: with ``verbose`` (or when ``callbacks`` holds one),
``callbacks.ProgbarLogger`` comes first at every event, draws the progress
bar on a terminal and prints each epoch's line, ending it with
``diagnostics.DeadUnitRemark``'s warning when most of a ReLU layer has died,
and says when Ctrl-C stopped training.

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
import threading

import numpy as np

import callbacks as callbackModule
import diagnostics
from checks import checkInteger, checkMetrics


def train(model, dataset, loss, epochs, metrics, tensorboard, callbacks, verbose):
    """``Model.train``: check everything before any work, then run the loop; see its docstring."""
    owner = f"{type(model).__name__}.train"
    loss = model.checkLoss(loss)
    checkInteger(owner, "epochs", epochs)
    model.checkData(dataset)
    metrics = list(checkMetrics(owner, metrics, model.METRICS, dataset)) or list(model.DEFAULT_METRICS)
    logger = callbackModule.ProgbarLogger(remark=diagnostics.DeadUnitRemark(model, dataset.x_train[:1000])) \
        if verbose else None
    events, logger = callbackModule.collect(callbacks, list(dict.fromkeys(metrics + list(model.LOGGED))),
                                            tensorboard, logger)   # one's own ProgbarLogger replaces this one
    if logger is not None:
        logger.setParams(epochs, len(dataset.x_train), dataset.batch_size, metrics)
    return loop(model, dataset, loss, epochs, metrics, events, logger)


def loop(model, dataset, loss, epochs, metrics, events, logger=None):
    """Run ``model.trainStep`` on every mini-batch of ``dataset`` for ``epochs`` epochs; return the history.

    ``logger``, a ``callbacks.ProgbarLogger`` among the ``events``, says so when Ctrl-C stops training.
    """
    history = {name: [] for name in metrics}
    weights, ctrlC = _LastGoodWeights(model), _CtrlC()
    model.stop_training, finished = False, 0
    try:
        ctrlC.catch()
        _fire(events["on_train_begin"], model)
        ctrlC.check()
        for epoch in range(epochs):
            _fire(events["on_epoch_begin"], model, epoch)
            sums = _Sums()
            for batch, (x, y) in enumerate(dataset):
                weights.keep()
                with np.errstate(over="ignore", invalid="ignore"):   # divergence is caught just below
                    figures = model.trainStep(x, y, loss, metrics)
                weights.check(figures, f"at batch {batch} of epoch {epoch + 1}")
                sums.add(figures, len(x))
                _fire(events["on_batch_end"], model, batch, figures)
                ctrlC.check()
            logs = {**sums.means(), **_testFigures(model, dataset, loss, metrics)}
            weights.checkEpoch(logs, epoch)
            for name in metrics:
                history[name].append(logs[name])
            finished += 1
            _fire(events["on_epoch_end"], model, epoch, logs)
            ctrlC.check()
            if model.stop_training:
                break
    except KeyboardInterrupt:
        if logger is not None:
            logger.interrupted(weights.steps, finished, ctrlC.cutShort)
    finally:
        ctrlC.release()
        _fire(events["on_train_end"], model, history)
    return history


def _fire(functions, *arguments):
    for function in functions:
        function(*arguments)


def _testFigures(model, dataset, loss, metrics):
    """The ``test_*`` figures that ``metrics`` asks for, computed only when it asks for one."""
    if not any(name.startswith("test_") for name in metrics):
        return {}
    return {name: value for name, value in model.testFigures(dataset, loss).items() if name in metrics}


class _Sums:
    """Each batch figure summed over an epoch, weighted by batch size, for its mean."""

    def __init__(self):
        self.totals, self.seen = {}, 0

    def add(self, figures, size):
        self.seen += size
        for name, value in figures.items():
            self.totals[name] = self.totals.get(name, 0.0) + value * size

    def means(self):
        return {name: total / self.seen for name, total in self.totals.items()}


class _LastGoodWeights:
    """Divergence: put back the weights before the last step whose figures were finite, and say so.

    A step's figures are computed before its update, from the weights the
    previous step made. So when this step's figures are NaN or infinite, the
    weights to go back to are those before the previous step: two snapshots,
    taken in turn before each step (``keep``), always hold them (at the
    first step, both still hold the initial weights). The steps that
    diverged fed the optimizers' moments too, so those start afresh: the
    model stays trainable, at a lower learning rate.
    """

    def __init__(self, model):
        self.model, self.steps = model, 0
        self.snapshots = [model.getWeights(), model.getWeights()]

    def keep(self):
        """Before a step: copy the weights into the older snapshot."""
        for saved, (parameter, _) in zip(self.snapshots[self.steps % 2], self.model.parameters()):
            np.copyto(saved, parameter)

    def check(self, figures, where):
        """After a step: restore and raise if its figures are not finite."""
        if not all(math.isfinite(value) for value in figures.values()):
            self._restore(self.snapshots[(self.steps + 1) % 2],
                          f"{figures} {where}; the weights were restored to those of the last finite values")
        self.steps += 1

    def checkEpoch(self, logs, epoch):
        """After an epoch: its last step may have made the weights, or the test figures, non-finite."""
        if not all(np.isfinite(parameter).all() for parameter, _ in self.model.parameters()):
            what = f"the last step of epoch {epoch + 1} made the weights non-finite"
        elif not all(math.isfinite(value) for value in logs.values()):
            what = (f"{logs} after epoch {epoch + 1} (a test figure is not finite: the test set holds NaN or inf, "
                    f"or the weights grew too large for it)")
        else:
            return
        self._restore(self.snapshots[(self.steps + 1) % 2], f"{what}; the weights were restored to those before "
                                                           f"that epoch's last step")

    def _restore(self, weights, what):
        self.model.setWeights(weights)
        self.model.resetOptimizerState()
        raise FloatingPointError(f"training diverged: {what}; try a lower learning rate")


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

    @property
    def cutShort(self):
        """Whether a second Ctrl-C cut a step short, in this training or in the one around it."""
        return self.cut or (self.outer is not None and self.outer.cut)
