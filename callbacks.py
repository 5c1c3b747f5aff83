"""Callbacks: code that every model's ``train`` runs at fixed moments of training.

``train(..., callbacks=...)`` takes a dict from event name to a callable (or a
list of callables). Each is called with the model first:

=================  ==========================================  ==============================
event              called as                                   when
=================  ==========================================  ==============================
on_train_begin     ``f(model)``                                once, before the first epoch
on_epoch_begin     ``f(model, epoch)``                         before every epoch; ``epoch``
                                                               counts from 0
on_batch_end       ``f(model, batch, logs)``                   after every update; ``batch``
                                                               counts from 0 in the epoch,
                                                               ``logs`` holds the batch's
                                                               figures, for an MLP
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
Their names are Keras': ``EarlyStopping(monitor, patience, min_delta,
restore_best_weights, verbose)`` with ``best``, ``best_epoch``,
``best_weights``, ``wait`` and ``stopped_epoch``;
``ModelCheckpoint(filepath, monitor, save_best_only)``;
``TensorBoard(log_dir)``; and ``ProgbarLogger(metrics, remark, width)``,
which prints what training says: ``train(verbose=True)`` makes one, and one
in ``callbacks`` takes its place. Before the first step, ``train`` asks each
:class:`Callback` to ``checkMetrics``, so that a monitor which no epoch will
log fails at once rather than after the first epoch:

>>> stopper = EarlyStopping(monitor="test_loss", patience=2)
>>> stopper
EarlyStopping(monitor='test_loss', patience=2, min_delta=0.0, restore_best_weights=True, verbose=True)
>>> stopper.checkMetrics(["train_loss", "train_accuracy"])     # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: EarlyStopping: monitor 'test_loss' is not among the metrics that train records, ['train_loss', ...
"""

import math
import os
import sys
import time
import warnings

import numpy as np

from checks import checkInstance, checkInteger, checkNumber

EVENTS = ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class Callback:
    """Base class: every event does nothing until overridden."""

    def checkMetrics(self, metrics):
        """Raise ``ValueError`` if this callback needs a figure that is not among ``metrics``.

        ``train`` calls it once, before any work, with the names its epoch
        logs will hold. The base class needs none.
        """

    def on_train_begin(self, model):
        """Once, before the first epoch."""

    def on_epoch_begin(self, model, epoch):
        """Before every epoch; ``epoch`` counts from 0."""

    def on_batch_end(self, model, batch, logs):
        """After every update; ``batch`` counts from 0 in the epoch, ``logs`` holds the batch's figures."""

    def on_epoch_end(self, model, epoch, logs):
        """After every epoch; ``epoch`` counts from 0, ``logs`` maps every recorded metric to its value."""

    def on_train_end(self, model, history):
        """Once, at the end, also after an early stop or Ctrl-C; ``history`` maps each metric to its list."""


def collect(callbacks, metrics=None, tensorboard=False, logger=None):
    """Turn ``train``'s ``callbacks`` and ``tensorboard`` arguments into ``{event: [callables]}`` and a logger.

    Accepts the dict form of the chapter, a list of :class:`Callback` objects,
    or ``None``; raises ``ValueError``/``TypeError`` for anything else.
    When ``metrics`` (the names the epoch logs will hold) is given, every
    :class:`Callback` object among them, also one put in the dict as a bound
    method such as ``stopper.on_epoch_end``, checks it (``checkMetrics``).
    ``tensorboard=True`` adds a :class:`TensorBoard` with its default folder.
    The :class:`ProgbarLogger` that ``callbacks`` holds, or else ``logger``,
    comes first at every event; returns ``(events, that logger or None)``.
    """
    if callbacks is None:
        callbacks = {}
    elif isinstance(callbacks, (list, tuple)):
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks: a list must hold Callback objects, got {callback!r}; "
                                f"use a dict {{event: function}} for plain functions")
        # A list subscribes each object to every event, as if it stood in the dict under each.
        callbacks = {event: list(callbacks) for event in EVENTS}
    elif not isinstance(callbacks, dict):
        single = (f"; put one Callback in a list: callbacks=[{type(callbacks).__name__}(...)]"
                  if isinstance(callbacks, Callback) else "")
        raise TypeError(f"callbacks must be a dict from event name to callable, or a list of Callback objects, "
                        f"got {type(callbacks).__name__}{single}")
    events = {event: [] for event in EVENTS}
    for event, functions in callbacks.items():
        if event not in events:
            raise ValueError(f"callbacks: unknown event {event!r}; known events: {', '.join(EVENTS)}")
        for function in functions if isinstance(functions, (list, tuple)) else [functions]:
            if isinstance(function, Callback):
                function = getattr(function, event)
            if not callable(function):
                raise TypeError(f"callbacks[{event!r}]: {function!r} is not callable")
            events[event].append(function)
    # Each object once, however many of its methods were given; keyed by id, as a Callback need not hash.
    owners = {id(function.__self__): function.__self__ for functions in events.values() for function in functions
              if isinstance(getattr(function, "__self__", None), Callback)}
    loggers = [owner for owner in owners.values() if isinstance(owner, ProgbarLogger)]
    if len(loggers) > 1:
        raise ValueError(f"callbacks: {len(loggers)} ProgbarLoggers; give at most one, it prints every epoch")
    logger = loggers[0] if loggers else logger   # one's own replaces train's
    if logger is not None:   # first at every event, so that the epoch's line comes before what others print
        for event in EVENTS:
            others = [function for function in events[event] if getattr(function, "__self__", None) is not logger]
            events[event] = [getattr(logger, event)] + others
    if tensorboard:
        board = TensorBoard()
        for event in EVENTS:
            events[event].append(getattr(board, event))
    if metrics is not None:
        for owner in owners.values():
            owner.checkMetrics(list(metrics))
    return events, logger


# ------------------------------------------------- old spellings, for now
_UNSET = object()


def _renamed(owner, old, new):
    """A property that reads and writes the attribute ``new`` under its old name ``old``, with a warning."""
    message = f"{owner}.{old} is deprecated; use {owner}.{new}, Keras' name"

    def read(self):
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    def write(self, value):
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        setattr(self, new, value)

    return property(read, write, doc=f"Deprecated spelling of ``{new}``.")


def _renamedArgument(owner, old, new, oldValue, newValue):
    """``newValue``, or the value given under the old keyword ``old`` (with a warning)."""
    if oldValue is _UNSET:
        return newValue
    if newValue is not None:
        raise TypeError(f"{owner}: got both {new}={newValue!r} and its old spelling {old}={oldValue!r}; give {new}")
    warnings.warn(f"{owner}({old}=...) is deprecated; use {owner}({new}=...), Keras' name", DeprecationWarning,
                  stacklevel=3)
    return oldValue


# --------------------------------------------------------------- classes
def _advice(monitor, names):
    """What to do about a ``monitor`` missing from ``names``: Keras users type ``val_loss``."""
    if monitor.startswith("val_"):
        twin = "test_" + monitor[len("val_"):]
        return (f"deepbasics names Keras' validation figures test_...: use monitor={twin!r}"
                + ("" if twin in names else " and add it to train(metrics=[...])"))
    return "add it to train(metrics=[...])"


class _Monitoring(Callback):
    """What EarlyStopping and ModelCheckpoint share: a ``monitor`` to watch, and its best value so far.

    ``mode`` is ``"min"`` for a loss, which should fall, and ``"max"`` for an
    accuracy, which should rise.
    """

    WORST = {"min": math.inf, "max": -math.inf}

    def __init__(self, owner, monitor):
        self._owner = owner
        self.monitor = checkInstance(owner, "monitor", monitor, str, "a metric name such as 'test_loss'")
        self.mode = "max" if monitor.endswith("accuracy") else "min"
        self.best = self.WORST[self.mode]

    def checkMetrics(self, metrics):
        """Before training: ``monitor`` must be a figure that the epoch logs will hold."""
        if self.monitor not in metrics:
            raise ValueError(f"{self._owner}: monitor {self.monitor!r} is not among the metrics that train "
                             f"records, {list(metrics)}; {_advice(self.monitor, metrics)}")

    def _improved(self, logs, minDelta=0.0):
        """After an epoch: whether ``monitor`` beat ``best`` by more than ``minDelta``; if so it is the new ``best``.

        A loop that never called ``checkMetrics`` learns of a missing monitor here.
        """
        if self.monitor not in logs:
            raise ValueError(f"{self._owner}: monitor {self.monitor!r} is not in the epoch logs {sorted(logs)}; "
                             f"{_advice(self.monitor, logs)}")
        value = logs[self.monitor]
        better = value < self.best - minDelta if self.mode == "min" else value > self.best + minDelta
        if better:
            self.best = value
        return better


class EarlyStopping(_Monitoring):
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
    verbose : bool, default True
        Print a line when it stops training and when it puts back the best
        epoch's weights, as Keras does with ``verbose=1`` (Keras' 0 and 1 are
        taken too). On by default, unlike Keras: ``train`` prints every
        epoch by default, and this callback changes the model's weights by
        default (Keras' ``restore_best_weights`` is False); a learner who
        is not told wonders why training ended early and which weights the
        model holds.

    Attributes
    ----------
    best : float
        The best value of ``monitor`` so far (``inf`` for a loss, ``-inf`` for
        an accuracy before the first epoch).
    best_epoch : int or None
        The epoch (from 0) that reached it.
    best_weights : list of ndarray or None
        The model's weights at the end of that epoch, kept when
        ``restore_best_weights``.
    wait : int
        Epochs since the last improvement.
    stopped_epoch : int or None
        The epoch (from 0) after which it stopped training; None while it has
        not (Keras says 0).
    """

    def __init__(self, monitor="test_loss", patience=3, min_delta=0.0, restore_best_weights=True, verbose=True):
        super().__init__("EarlyStopping", monitor)
        self.patience = checkInteger("EarlyStopping", "patience", patience, low=0)
        self.min_delta = checkNumber("EarlyStopping", "min_delta", min_delta, 0)
        self.restore_best_weights = restore_best_weights
        self.verbose = checkInstance("EarlyStopping", "verbose", verbose, int, "True or False")   # bool is an int
        self.on_train_begin(None)

    bestEpoch = _renamed("EarlyStopping", "bestEpoch", "best_epoch")
    bestWeights = _renamed("EarlyStopping", "bestWeights", "best_weights")
    stoppedEpoch = _renamed("EarlyStopping", "stoppedEpoch", "stopped_epoch")

    def on_train_begin(self, model):
        self.best = self.WORST[self.mode]
        self.best_epoch, self.best_weights, self.wait, self.stopped_epoch = None, None, 0, None

    def on_epoch_end(self, model, epoch, logs):
        if self._improved(logs, self.min_delta):
            self.best_epoch, self.wait = epoch, 0
            if self.restore_best_weights:
                self.best_weights = model.getWeights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                model.stop_training = True
                self._say(self._stopMessage(epoch))
                self._restore(model)

    __call__ = on_epoch_end

    def on_train_end(self, model, history):
        self._restore(model)

    def _restore(self, model):
        if not self.restore_best_weights or self.best_weights is None:
            return
        # Done and said only when it changes something: after a stop, on_train_end would restore the same weights.
        if any(not np.array_equal(now, best) for (now, _), best in zip(model.parameters(), self.best_weights)):
            model.setWeights(self.best_weights)
            self._say(f"EarlyStopping: restored the weights from the end of epoch {self.best_epoch + 1}, "
                      f"the best ({self.monitor}: {self.best:.4f})")

    def _stopMessage(self, epoch):
        since = ""
        if self.best_epoch is not None:   # else no epoch gave a value to compare with, e.g. NaN every time
            by = f" by more than min_delta={self.min_delta:g}" if self.min_delta else ""
            since = f"{by} on {self.best:.4f} (epoch {self.best_epoch + 1})"
        return (f"EarlyStopping: stopped after epoch {epoch + 1}: {self.monitor} has not improved{since} for "
                f"{self.wait} epoch{'s' if self.wait != 1 else ''}")

    def _say(self, line):
        if self.verbose:
            print(line, flush=True)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best_weights={self.restore_best_weights}, "
                f"verbose={self.verbose})")


class ModelCheckpoint(_Monitoring):
    """Save the model to ``filepath`` after every epoch (or only when it improves).

    Parameters
    ----------
    filepath : str or os.PathLike
        Where ``model.save`` writes; may contain ``{epoch}`` (counted from 1).
        (The old keyword ``path=`` still works, with a ``DeprecationWarning``.)
    monitor : str, default "test_loss"
        Used with ``save_best_only``.
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    """

    def __init__(self, filepath=None, monitor="test_loss", save_best_only=False, *, path=_UNSET):
        filepath = _renamedArgument("ModelCheckpoint", "path", "filepath", path, filepath)
        if filepath is None:
            raise TypeError("ModelCheckpoint: filepath is required, e.g. ModelCheckpoint('best.npz')")
        self.filepath = os.fspath(filepath)
        super().__init__("ModelCheckpoint", monitor)
        self.save_best_only = save_best_only

    path = _renamed("ModelCheckpoint", "path", "filepath")

    def checkMetrics(self, metrics):
        if self.save_best_only:   # otherwise it saves every epoch and never looks at the monitor
            super().checkMetrics(metrics)

    def on_epoch_end(self, model, epoch, logs):
        if not self.save_best_only or self._improved(logs):
            model.save(self.filepath.format(epoch=epoch + 1))

    __call__ = on_epoch_end

    def __repr__(self):
        return (f"ModelCheckpoint(filepath={self.filepath!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only})")


class TensorBoard(Callback):
    """Write every epoch's metrics as TensorBoard scalars under ``log_dir``.

    Uses the optional dependency tensorboardX
    (``pip install "deepbasics[tensorboard]"``); view with
    ``tensorboard --logdir runs``.

    Parameters
    ----------
    log_dir : str or os.PathLike, optional
        Default: ``runs/<timestamp>/``. (The old keyword ``logDir=`` still
        works, with a ``DeprecationWarning``.)
    """

    def __init__(self, log_dir=None, *, logDir=_UNSET):
        log_dir = _renamedArgument("TensorBoard", "logDir", "log_dir", logDir, log_dir)
        try:
            from tensorboardX import SummaryWriter
        except ImportError as error:
            raise ImportError('tensorboard=True needs the optional dependency tensorboardX: '
                              'pip install "deepbasics[tensorboard]"') from error
        self.log_dir = os.fspath(log_dir) if log_dir else os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))
        self._writer = SummaryWriter(self.log_dir)

    logDir = _renamed("TensorBoard", "logDir", "log_dir")

    def __repr__(self):
        return f"TensorBoard(log_dir={self.log_dir!r})"

    def on_epoch_end(self, model, epoch, logs):
        for name, value in logs.items():
            self._writer.add_scalar(name, value, epoch + 1)
        self._writer.flush()

    def on_train_end(self, model, history):
        self._writer.close()


class ProgbarLogger(Callback):
    """What ``train(verbose=True)`` prints, as Keras' callback of that name: a line per epoch, a bar on a terminal.

    After every epoch, ``Epoch 3/10 - 0.81s - train_loss: 0.1234``, ended by
    the ``remark`` when it has one. During an epoch, on a terminal only, a
    progress bar with the mean of the batches' first figure so far, weighted
    by batch size like the epoch's figures, redrawn about a hundred times an
    epoch (in a notebook or a log file each redraw would add a line). When
    Ctrl-C stops training, it says so in place of the bar.

    ``train`` gives it the run's sizes (``setParams``, Keras' ``set_params``)
    and puts it first at every event, so that the epoch's line comes before
    anything other callbacks print about that epoch. With ``verbose=True``
    it makes one, whose ``remark`` is ``diagnostics.DeadUnitRemark`` (most of
    a ReLU layer has died), unless ``callbacks`` holds one already; one of
    your own prints also with ``verbose=False``.

    Parameters
    ----------
    metrics : list of str, optional
        The figures of the epoch's line, in its order; by default those
        that ``train`` records.
    remark : callable, optional
        Called after every epoch with no argument; what it returns, unless
        None, ends the line.
    width : int, default 30
        Characters of the bar.
    """

    def __init__(self, metrics=None, remark=None, width=30):
        if metrics is not None and (not isinstance(metrics, (list, tuple))
                                    or not all(isinstance(name, str) for name in metrics)):
            raise TypeError(f"ProgbarLogger: metrics must be a list of names, got {metrics!r}")
        if remark is not None and not callable(remark):
            raise TypeError(f"ProgbarLogger: remark must be a function of no argument, got {remark!r}")
        self.metrics = None if metrics is None else list(metrics)
        self.remark = remark
        self.width = checkInteger("ProgbarLogger", "width", width)
        self._drawn = 0
        self.setParams(epochs=1, samples=1, batchSize=1, metrics=[])

    def setParams(self, epochs, samples, batchSize, metrics):
        """The run's ``epochs``, its training ``samples`` and ``batchSize``, and the ``metrics`` it records."""
        self.epochs, self.samples, self.batchSize = epochs, samples, batchSize
        self.shown = list(metrics) if self.metrics is None else self.metrics
        self.batches = -(-samples // batchSize)
        self.every = max(1, self.batches // 100)
        self.drawsBar = sys.stdout.isatty()
        self.start, self.total = time.perf_counter(), 0.0

    def checkMetrics(self, metrics):
        missing = [name for name in self.metrics or () if name not in metrics]
        if missing:
            raise ValueError(f"ProgbarLogger: {missing} are not among the metrics that train records, "
                             f"{list(metrics)}")

    def on_epoch_begin(self, model, epoch):
        self.start, self.total = time.perf_counter(), 0.0

    def on_batch_end(self, model, batch, logs):
        if not self.drawsBar:   # nothing to draw in a notebook or a log file: no work per step
            return
        seen = min((batch + 1) * self.batchSize, self.samples)   # the last batch may be smaller
        self.total += next(iter(logs.values()), 0.0) * (seen - batch * self.batchSize)
        done = batch + 1
        if done % self.every == 0 or done == self.batches:
            filled = self.width * done // self.batches
            line = (f"[{'=' * filled}{'.' * (self.width - filled)}] {done}/{self.batches} - "
                    f"loss: {self.total / seen:.4f}")
            sys.stdout.write("\r" + line.ljust(self._drawn))   # the longer line before leaves nothing behind
            sys.stdout.flush()
            self._drawn = max(self._drawn, len(line))

    def on_epoch_end(self, model, epoch, logs):
        seconds = time.perf_counter() - self.start
        self._clearBar()
        shown = "".join(f" - {name}: {logs[name]:.4f}" for name in self.shown)
        note = self.remark() if self.remark else None
        shown += f" - {note}" if note else ""
        print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s{shown}", flush=True)

    def interrupted(self, steps, finished, cutShort):
        """Say that Ctrl-C stopped training after ``steps`` steps and ``finished`` epochs (``train`` calls it)."""
        self._clearBar()
        note = " (a second Ctrl-C cut the next step short: some layers may have taken it)" if cutShort else ""
        print(f"Training interrupted after {steps} step(s){note}; returning the history of {finished} finished "
              f"epoch(s).", flush=True)

    def on_train_end(self, model, history):
        self._clearBar()   # what a diverging step cut short

    def _clearBar(self):
        if self._drawn:
            sys.stdout.write("\r" + " " * self._drawn + "\r")
            sys.stdout.flush()
            self._drawn = 0

    def __repr__(self):
        return f"ProgbarLogger(metrics={self.metrics}, remark={self.remark!r}, width={self.width})"
