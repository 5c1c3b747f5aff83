"""The callbacks: EarlyStopping, ModelCheckpoint and TensorBoard, in training."""

import os
import sys

import numpy as np
import pytest

from callbacks import Callback, EarlyStopping, ModelCheckpoint
from helpers import blobs, classifier
from loss import CrossEntropy


def test_early_stopping_restores_the_best_weights():
    class Scripted(Callback):
        """Pretend test_loss values, best at epoch 1."""

        def on_epoch_end(self, model, epoch, logs):
            logs["test_loss"] = [0.5, 0.2, 0.3, 0.4, 0.6, 0.7][epoch]
            snapshots.append(model.getWeights())

    snapshots = []
    stopper = EarlyStopping(monitor="test_loss", patience=2)
    model = classifier()
    history = model.train(blobs(), loss=CrossEntropy(), epochs=6, metrics=["train_loss"],
                          callbacks=[Scripted(), stopper], verbose=False)
    assert len(history["train_loss"]) == 4 and stopper.stoppedEpoch == 3 and stopper.bestEpoch == 1
    for restored, best in zip(model.getWeights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)


@pytest.mark.parametrize("arguments, error, message", [
    ({"patience": 1.5}, TypeError, "EarlyStopping: patience must be an integer of at least 0, got float 1.5"),
    ({"patience": -1}, ValueError, "EarlyStopping: patience must be an integer of at least 0, got -1"),
    ({"min_delta": "0.1"}, TypeError, "EarlyStopping: min_delta must be a number, got str"),
    ({"monitor": 3}, TypeError, "EarlyStopping: monitor must be a metric name"),
])
def test_early_stopping_checks_its_arguments(arguments, error, message):
    with pytest.raises(error, match=message):
        EarlyStopping(**arguments)


def test_early_stopping_needs_its_metric():
    with pytest.raises(ValueError, match="monitor 'test_accuracy' is not in the epoch logs"):
        classifier().train(blobs(), loss=CrossEntropy(), epochs=2, verbose=False,
                           callbacks={"on_epoch_end": EarlyStopping(monitor="test_accuracy")})


def test_model_checkpoint_saves_every_epoch_or_the_best(tmp_path):
    model = classifier()
    model.train(blobs(), loss=CrossEntropy(), epochs=2, verbose=False,
                callbacks={"on_epoch_end": ModelCheckpoint(tmp_path / "model-{epoch}.npz")})
    assert sorted(os.listdir(tmp_path)) == ["model-1.npz", "model-2.npz"]
    best = tmp_path / "best.npz"
    model.train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["test_accuracy"], verbose=False,
                callbacks=[ModelCheckpoint(best, monitor="test_accuracy", save_best_only=True)])
    assert best.is_file()


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


def test_tensorboard_without_its_dependency_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "deepbasics\[tensorboard\]"'):
        classifier().train(blobs(), loss=CrossEntropy(), epochs=1, tensorboard=True, verbose=False)
