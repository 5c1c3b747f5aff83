"""Callbacks: code that ``MLP.train`` runs at fixed moments of training.

``train(..., callbacks=...)`` takes a dict from event name to a callable (or a
list of callables). Each is called with the model first:

=================  ==========================================  ==============================
event              called as                                   when
=================  ==========================================  ==============================
on_train_begin     ``f(model)``                                once, before the first epoch
on_batch_end       ``f(model, batch, logs)``                   after every update; ``batch``
                                                               counts from 0 in the epoch,
                                                               ``logs`` holds the batch's
                                                               figures, for ``MLP.train``
                                                               ``{"train_loss": float}``
                                                               (and ``"train_accuracy"``
                                                               when requested)
on_epoch_end       ``f(model, epoch, logs)``                   after every epoch; ``epoch``
                                                               counts from 0, ``logs`` maps
                                                               ``"train_loss"`` and every
                                                               requested metric to its value
on_train_end       ``f(model, history)``                       once, at the end (also after
                                                               an early stop or Ctrl-C)
=================  ==========================================  ==============================

To stop training early, a callback sets ``model.stop_training = True``;
training stops after the current epoch, as in Keras.

The classes below are objects with one method per event. Put one in the dict
under an event (its method for that event is used) or pass a list of them,
Keras style (``callbacks=[EarlyStopping()]``), to subscribe to every event.

>>> stopper = EarlyStopping(monitor="test_loss", patience=2)
>>> stopper
EarlyStopping(monitor='test_loss', patience=2, min_delta=0.0, restore_best_weights=True)
"""

import math
import os
import time

from checks import checkInstance, checkInteger, checkNumber

EVENTS = ("on_train_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class Callback:
    """Base class: every event does nothing until overridden."""

    def on_train_begin(self, model):
        pass

    def on_batch_end(self, model, batch, logs):
        pass

    def on_epoch_end(self, model, epoch, logs):
        pass

    def on_train_end(self, model, history):
        pass


def collect(callbacks):
    """Turn ``train``'s ``callbacks`` argument into ``{event: [callables]}``.

    Accepts the dict form of the chapter, a list of :class:`Callback` objects,
    or ``None``; raises ``ValueError``/``TypeError`` for anything else.
    """
    events = {event: [] for event in EVENTS}
    if callbacks is None:
        return events
    if isinstance(callbacks, (list, tuple)):
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks: a list must hold Callback objects, got {callback!r}; "
                                f"use a dict {{event: function}} for plain functions")
            for event in EVENTS:
                events[event].append(getattr(callback, event))
        return events
    if not isinstance(callbacks, dict):
        raise TypeError(f"callbacks must be a dict from event name to callable, got {type(callbacks).__name__}")
    for event, functions in callbacks.items():
        if event not in events:
            raise ValueError(f"callbacks: unknown event {event!r}; known events: {', '.join(EVENTS)}")
        for function in functions if isinstance(functions, (list, tuple)) else [functions]:
            if isinstance(function, Callback):
                function = getattr(function, event)
            if not callable(function):
                raise TypeError(f"callbacks[{event!r}]: {function!r} is not callable")
            events[event].append(function)
    return events


def _better(mode, value, best, minDelta):
    return value < best - minDelta if mode == "min" else value > best + minDelta


def _mode(monitor):
    return "max" if monitor.endswith("accuracy") else "min"


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "test_loss"
        A key of the epoch logs: ``"train_loss"`` or a requested metric.
        Losses should fall, accuracies rise.
    patience : int, default 3
        Epochs without improvement before stopping.
    min_delta : float, default 0
        Smallest change that counts as an improvement.
    restore_best_weights : bool, default True
        When stopping (and at the end of training, when subscribed to
        ``on_train_end``), copy back the weights of the best epoch.
    """

    def __init__(self, monitor="test_loss", patience=3, min_delta=0.0, restore_best_weights=True):
        self.monitor = checkInstance("EarlyStopping", "monitor", monitor, str, "a metric name such as 'test_loss'")
        self.patience = checkInteger("EarlyStopping", "patience", patience, low=0)
        self.min_delta = checkNumber("EarlyStopping", "min_delta", min_delta, 0)
        self.restore_best_weights = restore_best_weights
        self.mode = _mode(monitor)
        self.on_train_begin(None)

    def on_train_begin(self, model):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.bestEpoch, self.bestWeights, self.wait, self.stoppedEpoch = None, None, 0, None

    def on_epoch_end(self, model, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping: monitor {self.monitor!r} is not in the epoch logs "
                             f"{sorted(logs)}; request it in train(metrics=[...])")
        value = logs[self.monitor]
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.bestEpoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.bestWeights = model.getWeights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stoppedEpoch = epoch
                model.stop_training = True
                self._restore(model)

    __call__ = on_epoch_end

    def on_train_end(self, model, history):
        self._restore(model)

    def _restore(self, model):
        if self.restore_best_weights and self.bestWeights is not None:
            model.setWeights(self.bestWeights)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best_weights={self.restore_best_weights})")


class ModelCheckpoint(Callback):
    """Save the model to ``path`` after every epoch (or only when it improves).

    Parameters
    ----------
    path : str or os.PathLike
        Where ``MLP.save`` writes; may contain ``{epoch}`` (counted from 1).
    monitor : str, default "test_loss"
        Used with ``save_best_only``.
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    """

    def __init__(self, path, monitor="test_loss", save_best_only=False):
        self.path, self.monitor, self.save_best_only = os.fspath(path), monitor, save_best_only
        self.best = math.inf if _mode(monitor) == "min" else -math.inf

    def on_epoch_end(self, model, epoch, logs):
        if self.save_best_only:
            if self.monitor not in logs:
                raise ValueError(f"ModelCheckpoint: monitor {self.monitor!r} is not in the epoch logs "
                                 f"{sorted(logs)}; request it in train(metrics=[...])")
            if not _better(_mode(self.monitor), logs[self.monitor], self.best, 0.0):
                return
            self.best = logs[self.monitor]
        model.save(self.path.format(epoch=epoch + 1))

    __call__ = on_epoch_end

    def __repr__(self):
        return (f"ModelCheckpoint(path={self.path!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only})")


class TensorBoard(Callback):
    """Write every epoch's metrics as TensorBoard scalars under ``runs/<timestamp>/``.

    Uses the optional dependency tensorboardX
    (``pip install "deepbasics[tensorboard]"``); view with
    ``tensorboard --logdir runs``.
    """

    def __init__(self, logDir=None):
        try:
            from tensorboardX import SummaryWriter
        except ImportError as error:
            raise ImportError('tensorboard=True needs the optional dependency tensorboardX: '
                              'pip install "deepbasics[tensorboard]"') from error
        self.logDir = logDir or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))
        self._writer = SummaryWriter(self.logDir)

    def __repr__(self):
        return f"TensorBoard(logDir={self.logDir!r})"

    def on_epoch_end(self, model, epoch, logs):
        for name, value in logs.items():
            self._writer.add_scalar(name, value, epoch + 1)
        self._writer.flush()

    def on_train_end(self, model, history):
        self._writer.close()

