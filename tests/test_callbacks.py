"""The callbacks: EarlyStopping, ModelCheckpoint and TensorBoard, in training."""

import os
import sys
import warnings

import numpy as np
import pytest

import callbacks
from callbacks import Callback, EarlyStopping, ModelCheckpoint
from helpers import blobs, classifier
from loss import CrossEntropy


class Scripted(Callback):
    """Pretend test_loss values (set before the EarlyStopping after it reads them); keeps every epoch's weights."""

    def __init__(self, values):
        self.values, self.snapshots = values, []

    def on_epoch_end(self, model, epoch, logs):
        logs["test_loss"] = self.values[epoch]
        self.snapshots.append(model.getWeights())


def trainScripted(stopper, values, epochs=6):
    """Train ``classifier()`` with ``stopper`` after a ``Scripted(values)``; returns the model, history and script."""
    script, model = Scripted(values), classifier()
    history = model.train(blobs(), loss=CrossEntropy(), epochs=epochs, metrics=["train_loss", "test_loss"],
                          callbacks=[script, stopper], verbose=False)
    return model, history, script


# ------------------------------------------------------------ EarlyStopping
def test_early_stopping_restores_the_best_weights():
    stopper = EarlyStopping(monitor="test_loss", patience=2, verbose=False)
    model, history, script = trainScripted(stopper, [0.5, 0.2, 0.3, 0.4, 0.6, 0.7])
    assert len(history["train_loss"]) == 4
    assert (stopper.stopped_epoch, stopper.best_epoch, stopper.best, stopper.wait) == (3, 1, 0.2, 2)
    for restored, best, kept in zip(model.getWeights(), script.snapshots[1], stopper.best_weights):
        np.testing.assert_array_equal(restored, best)
        np.testing.assert_array_equal(kept, best)


def test_early_stopping_says_when_it_stops_and_which_epochs_weights_it_restored(capsys):
    trainScripted(EarlyStopping(monitor="test_loss", patience=2), [0.5, 0.2, 0.3, 0.4, 0.6, 0.7])
    # Once each, although it is subscribed to on_train_end too, which restores the same weights again.
    assert capsys.readouterr().out.splitlines() == [
        "EarlyStopping: stopped after epoch 4: test_loss has not improved on 0.2000 (epoch 2) for 2 epochs",
        "EarlyStopping: restored the weights from the end of epoch 2, the best (test_loss: 0.2000)"]


def test_early_stopping_names_min_delta_when_it_counts(capsys):
    stopper, model = EarlyStopping(monitor="test_accuracy", patience=1, min_delta=0.05), classifier()
    stopper.on_epoch_end(model, 0, {"test_accuracy": 0.9})
    stopper.on_epoch_end(model, 1, {"test_accuracy": 0.93})    # better, but by less than 0.05
    assert model.stop_training is True
    assert capsys.readouterr().out.splitlines()[0] == ("EarlyStopping: stopped after epoch 2: test_accuracy has not "
                                                       "improved by more than min_delta=0.05 on 0.9000 (epoch 1) "
                                                       "for 1 epoch")


def test_early_stopping_that_never_stops_says_so_only_when_the_end_of_training_changes_the_weights(capsys):
    stopper = EarlyStopping(monitor="test_loss", patience=5)
    model, history, script = trainScripted(stopper, [0.5, 0.2, 0.3], epochs=3)
    assert stopper.stopped_epoch is None and len(history["test_loss"]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "EarlyStopping: restored the weights from the end of epoch 2, the best (test_loss: 0.2000)"]
    for restored, best in zip(model.getWeights(), script.snapshots[1]):
        np.testing.assert_array_equal(restored, best)
    trainScripted(stopper, [0.5, 0.4, 0.3], epochs=3)         # the best is the last: nothing changes
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", [False, 0])
def test_early_stopping_is_quiet_with_verbose_false_or_keras_0(capsys, verbose):
    stopper = EarlyStopping(monitor="test_loss", patience=2, verbose=verbose)
    trainScripted(stopper, [0.5, 0.2, 0.3, 0.4, 0.6, 0.7])
    assert stopper.stopped_epoch == 3 and capsys.readouterr().out == ""


@pytest.mark.parametrize("arguments, error, message", [
    ({"patience": 1.5}, TypeError, "EarlyStopping: patience must be an integer of at least 0, got float 1.5"),
    ({"patience": -1}, ValueError, "EarlyStopping: patience must be an integer of at least 0, got -1"),
    ({"min_delta": "0.1"}, TypeError, "EarlyStopping: min_delta must be a number, got str"),
    ({"monitor": 3}, TypeError, "EarlyStopping: monitor must be a metric name"),
    ({"verbose": "yes"}, TypeError, "EarlyStopping: verbose must be True or False, got str 'yes'"),
])
def test_early_stopping_checks_its_arguments(arguments, error, message):
    with pytest.raises(error, match=message):
        EarlyStopping(**arguments)


def test_a_monitor_missing_from_the_epoch_logs_is_named_with_the_logs():
    """A loop that did not ask checkMetrics first still gets a clear message after the epoch."""
    with pytest.raises(ValueError) as raised:
        EarlyStopping(monitor="test_accuracy").on_epoch_end(classifier(), 0, {"train_loss": 0.3})
    assert str(raised.value) == ("EarlyStopping: monitor 'test_accuracy' is not in the epoch logs ['train_loss']; "
                                 "add it to train(metrics=[...])")
    with pytest.raises(ValueError, match="ModelCheckpoint: monitor 'val_loss' is not in the epoch logs"):
        ModelCheckpoint("x.npz", monitor="val_loss", save_best_only=True).on_epoch_end(classifier(), 0, {})


# ------------------------------------------------------------ checkMetrics
def test_check_metrics_names_the_monitor_and_the_metrics_train_records():
    metrics = ["train_loss", "train_accuracy"]
    with pytest.raises(ValueError) as raised:
        EarlyStopping(monitor="test_accuracy").checkMetrics(metrics)
    assert str(raised.value) == ("EarlyStopping: monitor 'test_accuracy' is not among the metrics that train "
                                 "records, ['train_loss', 'train_accuracy']; add it to train(metrics=[...])")
    with pytest.raises(ValueError) as raised:
        ModelCheckpoint("best.npz", save_best_only=True).checkMetrics(metrics)
    assert str(raised.value) == ("ModelCheckpoint: monitor 'test_loss' is not among the metrics that train "
                                 "records, ['train_loss', 'train_accuracy']; add it to train(metrics=[...])")
    assert EarlyStopping(monitor="train_accuracy").checkMetrics(metrics) is None
    assert ModelCheckpoint("every.npz").checkMetrics(metrics) is None    # saves every epoch: needs no monitor
    assert Callback().checkMetrics(metrics) is None


def test_check_metrics_tells_a_keras_user_that_val_is_test_here():
    with pytest.raises(ValueError) as raised:
        EarlyStopping(monitor="val_loss").checkMetrics(["train_loss", "test_loss"])
    assert str(raised.value) == ("EarlyStopping: monitor 'val_loss' is not among the metrics that train records, "
                                 "['train_loss', 'test_loss']; deepbasics names Keras' validation figures test_...: "
                                 "use monitor='test_loss'")
    with pytest.raises(ValueError, match=r"use monitor='test_accuracy' and add it to train\(metrics=\[\.\.\.\]\)$"):
        EarlyStopping(monitor="val_accuracy").checkMetrics(["train_loss"])


def test_collect_asks_every_callback_object_once_however_it_was_given():
    asked = []

    class Asking(Callback):
        def checkMetrics(self, metrics):
            asked.append((self, metrics))

    inList, inDict, asMethod = Asking(), Asking(), Asking()
    callbacks.collect([inList], metrics=("train_loss",))
    callbacks.collect({"on_epoch_end": inDict, "on_train_end": [inDict.on_train_end, lambda model, history: None],
                       "on_batch_end": asMethod.on_batch_end}, metrics=["train_loss"])
    assert [metrics for _, metrics in asked] == [["train_loss"]] * 3
    assert {id(owner) for owner, _ in asked} == {id(inList), id(inDict), id(asMethod)}
    callbacks.collect([inList])                               # no metrics given: nothing to check
    assert len(asked) == 3


def test_collect_raises_what_a_callback_objects_check_raises():
    with pytest.raises(ValueError, match="EarlyStopping: monitor 'val_loss' is not among the metrics"):
        callbacks.collect({"on_epoch_end": EarlyStopping(monitor="val_loss").on_epoch_end}, metrics=["train_loss"])


@pytest.mark.parametrize("make", [lambda: EarlyStopping(monitor="val_loss"),
                                  lambda: ModelCheckpoint("never.npz", monitor="val_loss", save_best_only=True)],
                         ids=["EarlyStopping", "ModelCheckpoint"])
@pytest.mark.parametrize("form", ["list", "dict"])
def test_train_refuses_a_monitor_it_will_not_record_before_the_first_step(make, form, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    steps = []

    class Counter(Callback):
        def on_batch_end(self, model, batch, logs):
            steps.append(batch)

    callback = make()
    given = ([Counter(), callback] if form == "list"
             else {"on_batch_end": Counter().on_batch_end, "on_epoch_end": callback})
    with pytest.raises(ValueError) as raised:
        classifier().train(blobs(), loss=CrossEntropy(), epochs=2, metrics=["train_loss", "test_loss"],
                           callbacks=given, verbose=False)
    assert str(raised.value).startswith(f"{type(callback).__name__}: monitor 'val_loss' is not among the metrics "
                                        f"that train records")
    assert "'test_loss'" in str(raised.value) and steps == []
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_saves_every_epoch_or_the_best(tmp_path):
    model = classifier()
    model.train(blobs(), loss=CrossEntropy(), epochs=2, verbose=False,
                callbacks={"on_epoch_end": ModelCheckpoint(tmp_path / "model-{epoch}.npz")})
    assert sorted(os.listdir(tmp_path)) == ["model-1.npz", "model-2.npz"]
    best = tmp_path / "best.npz"
    model.train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["test_accuracy"], verbose=False,
                callbacks=[ModelCheckpoint(filepath=best, monitor="test_accuracy", save_best_only=True)])
    assert best.is_file()


def test_model_checkpoint_has_keras_names():
    checkpoint = ModelCheckpoint(filepath="best.npz", monitor="test_accuracy", save_best_only=True)
    assert (checkpoint.filepath, checkpoint.monitor, checkpoint.save_best_only) == ("best.npz", "test_accuracy", True)
    assert repr(checkpoint) == "ModelCheckpoint(filepath='best.npz', monitor='test_accuracy', save_best_only=True)"
    with pytest.raises(TypeError, match=r"ModelCheckpoint: filepath is required, e.g. ModelCheckpoint\('best.npz'\)"):
        ModelCheckpoint()
    with pytest.raises(TypeError, match="ModelCheckpoint: monitor must be a metric name such as 'test_loss', got int"):
        ModelCheckpoint("best.npz", monitor=1)


# ----------------------------------------------------------- old spellings
@pytest.mark.parametrize("old, new", [("bestEpoch", "best_epoch"), ("bestWeights", "best_weights"),
                                      ("stoppedEpoch", "stopped_epoch")])
def test_early_stoppings_old_attribute_names_still_work_with_a_warning_naming_the_new(old, new):
    stopper = EarlyStopping(monitor="test_loss", patience=2, verbose=False)
    trainScripted(stopper, [0.5, 0.2, 0.3, 0.4, 0.6, 0.7])
    message = f"EarlyStopping.{old} is deprecated; use EarlyStopping.{new}, Keras' name"
    with pytest.warns(DeprecationWarning, match=message) as caught:
        value = getattr(stopper, old)
    assert caught[0].filename == __file__                    # the warning points at the line that used the name
    assert value is getattr(stopper, new)
    with pytest.warns(DeprecationWarning, match=message):
        setattr(stopper, old, 7)
    assert getattr(stopper, new) == 7


def test_model_checkpoints_old_keyword_and_attribute_still_work_with_a_warning(tmp_path):
    with pytest.warns(DeprecationWarning, match=r"ModelCheckpoint\(path=...\) is deprecated; use "
                                                r"ModelCheckpoint\(filepath=...\), Keras' name"):
        checkpoint = ModelCheckpoint(path=tmp_path / "old-{epoch}.npz")
    with pytest.warns(DeprecationWarning, match="ModelCheckpoint.path is deprecated; use ModelCheckpoint.filepath"):
        assert checkpoint.path == str(tmp_path / "old-{epoch}.npz")
    classifier().train(blobs(), loss=CrossEntropy(), epochs=1, callbacks=[checkpoint], verbose=False)
    assert os.listdir(tmp_path) == ["old-1.npz"]
    with pytest.raises(TypeError, match="ModelCheckpoint: got both filepath='a.npz' and its old spelling "
                                        "path='b.npz'; give filepath"):
        ModelCheckpoint("a.npz", path="b.npz")


def test_the_new_names_give_no_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopper = EarlyStopping(monitor="test_loss", patience=2, verbose=False)
        trainScripted(stopper, [0.5, 0.2, 0.3, 0.4, 0.6, 0.7])
        assert (stopper.best_epoch, stopper.stopped_epoch, len(stopper.best_weights)) == (1, 3, 4)
        assert ModelCheckpoint(filepath=tmp_path / "a.npz").filepath == str(tmp_path / "a.npz")


# -------------------------------------------------------------- TensorBoard
def test_tensorboard_writes_scalars_that_tensorboard_reads(tmp_path, monkeypatch):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    monkeypatch.chdir(tmp_path)
    classifier().train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["train_loss", "test_accuracy"],
                       tensorboard=True, verbose=False)
    (run,) = os.listdir(tmp_path / "runs")
    events = accumulator.EventAccumulator(str(tmp_path / "runs" / run))
    events.Reload()
    assert {"train_loss", "test_accuracy"} <= set(events.Tags()["scalars"])
    assert [event.step for event in events.Scalars("test_accuracy")] == [1, 2, 3]


def test_tensorboard_takes_keras_log_dir_and_still_its_old_logDir_with_a_warning(tmp_path):
    pytest.importorskip("tensorboardX")
    board = callbacks.TensorBoard(log_dir=tmp_path / "new")
    board.on_train_end(None, {})
    assert board.log_dir == str(tmp_path / "new") and (tmp_path / "new").is_dir()
    assert repr(board) == f"TensorBoard(log_dir={str(tmp_path / 'new')!r})"
    with pytest.warns(DeprecationWarning, match=r"TensorBoard\(logDir=...\) is deprecated; use "
                                                r"TensorBoard\(log_dir=...\), Keras' name"):
        old = callbacks.TensorBoard(logDir=str(tmp_path / "old"))
    old.on_train_end(None, {})
    with pytest.warns(DeprecationWarning, match="TensorBoard.logDir is deprecated; use TensorBoard.log_dir"):
        assert old.logDir == str(tmp_path / "old")


def test_tensorboard_without_its_dependency_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "deepbasics\[tensorboard\]"'):
        classifier().train(blobs(), loss=CrossEntropy(), epochs=1, tensorboard=True, verbose=False)


def test_one_callback_object_given_without_a_list_is_told_to_go_in_a_list():
    with pytest.raises(TypeError, match=r"or a list of Callback objects, got EarlyStopping; put one Callback in a "
                                        r"list: callbacks=\[EarlyStopping\(\.\.\.\)\]"):
        callbacks.collect(EarlyStopping(monitor="train_loss"))
    with pytest.raises(TypeError, match=r"callbacks must be a dict .* got int$"):
        callbacks.collect(3)


# ------------------------------------------------------------ ProgbarLogger
def test_verbose_training_prints_through_one_progbar_logger_given_or_not(capsys):
    from callbacks import ProgbarLogger
    mine = ProgbarLogger(["test_loss"])
    assert repr(mine) == "ProgbarLogger(metrics=['test_loss'], remark=None, width=30)"
    for verbose in (False, True):   # one's own is used as it is, and verbose adds no second one
        classifier().train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["train_loss", "test_loss"],
                           callbacks=[mine], verbose=verbose)
        lines = capsys.readouterr().out.splitlines()
        assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]   # train's epochs
        assert "test_loss: " in lines[0] and "train_loss" not in lines[0]


def test_ones_own_progbar_logger_comes_first_and_clears_its_bar_for_ctrl_c(capsys, monkeypatch):
    from callbacks import ProgbarLogger
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    class Interrupt(Callback):
        def on_batch_end(self, model, batch, logs):
            if batch == 5:
                raise KeyboardInterrupt

    class Say(Callback):
        def on_epoch_end(self, model, epoch, logs):
            print(f"said after epoch {epoch + 1}")

    classifier().train(blobs(), loss=CrossEntropy(), epochs=1, callbacks=[Say(), ProgbarLogger()], verbose=False)
    lines = capsys.readouterr().out.rsplit("\r", 1)[-1].splitlines()
    assert lines[0].startswith("Epoch 1/1 - ") and lines[1] == "said after epoch 1"
    classifier().train(blobs(), loss=CrossEntropy(), epochs=1, callbacks=[ProgbarLogger(), Interrupt()],
                       verbose=False)
    bar, message = capsys.readouterr().out.rsplit("\r", 1)
    assert "6/10 - loss: " in bar and bar.endswith(" ")   # drawn, then blanked out
    assert message == "Training interrupted after 6 step(s); returning the history of 0 finished epoch(s).\n"


def test_a_progbar_logger_refuses_what_it_cannot_show():
    from callbacks import ProgbarLogger
    with pytest.raises(ValueError, match=r"ProgbarLogger: \['test_loss'\] are not among the metrics that train "
                                         r"records, \['train_loss'\]"):
        classifier().train(blobs(), loss=CrossEntropy(), metrics=["train_loss"], verbose=False,
                           callbacks=[ProgbarLogger(["test_loss"])])
    with pytest.raises(ValueError, match="callbacks: 2 ProgbarLoggers; give at most one"):
        classifier().train(blobs(), loss=CrossEntropy(), callbacks=[ProgbarLogger(), ProgbarLogger()])
    with pytest.raises(ValueError, match="ProgbarLogger: width must be"):
        ProgbarLogger(width=0)
    with pytest.raises(TypeError, match="ProgbarLogger: metrics must be a list of names, got 'train_loss'"):
        ProgbarLogger("train_loss")
    with pytest.raises(TypeError, match="ProgbarLogger: remark must be a function of no argument, got 3"):
        ProgbarLogger(remark=3)


def test_a_longer_bar_is_blanked_out_to_its_last_character(capsys, monkeypatch):
    from callbacks import ProgbarLogger
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    logger = ProgbarLogger(width=10)
    logger.setParams(epochs=1, samples=4, batchSize=2, metrics=[])
    logger.on_batch_end(None, 0, {"train_loss": 1e20})   # a diverging loss draws a long line
    logger.on_batch_end(None, 1, {"train_loss": -1e20})  # the mean, 0, draws a shorter one, padded over it
    logger.on_train_end(None, {})
    drawn = capsys.readouterr().out.split("\r")
    assert drawn[2].rstrip().endswith("2/2 - loss: 0.0000")
    assert len(drawn[1]) == len(drawn[2]) == len(drawn[3]) > 40 and drawn[3].strip() == ""


def test_the_bar_shows_the_epochs_mean_weighted_by_batch_size(capsys, monkeypatch):
    from callbacks import ProgbarLogger
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    logger = ProgbarLogger()
    logger.setParams(epochs=1, samples=45, batchSize=40, metrics=["train_loss"])
    logger.on_epoch_begin(None, 0)
    logger.on_batch_end(None, 0, {"train_loss": 1.0})
    logger.on_batch_end(None, 1, {"train_loss": 10.0})   # 5 samples
    drawn = capsys.readouterr().out.split("\r")
    assert drawn[-2].endswith("1/2 - loss: 1.0000") and drawn[-1].endswith("2/2 - loss: 2.0000")   # (40 + 50) / 45
    logger.on_train_end(None, {})   # training stopped with the bar up (a diverging step): it is blanked out
    assert capsys.readouterr().out.strip(" \r") == ""
    logger.on_train_end(None, {})
    assert capsys.readouterr().out == ""   # once
