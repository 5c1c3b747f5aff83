"""historyplots.py: the panels, lines, colours and marks of a history, and LivePlot in files and notebooks."""

import inspect
import io
import sys
import types

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import figures  # noqa: E402
import historyplots  # noqa: E402
from activations import ReLU, Softmax  # noqa: E402
from callbacks import EarlyStopping  # noqa: E402
from conftest import ROOT  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import SGD  # noqa: E402
from plothelpers import classifierOf, pngSize  # noqa: E402

plotHistory, LivePlot = historyplots.plotHistory, historyplots.LivePlot
HISTORY = {"train_loss": [1.0, 0.5, 0.3, 0.25, 0.26], "test_loss": [1.1, 0.6, 0.4, 0.45, 0.5],
           "train_accuracy": [0.5, 0.7, 0.8, 0.85, 0.86], "test_accuracy": [0.5, 0.68, 0.78, 0.77, 0.76]}


def dataLines(ax):
    """The plotted curves, without the vertical marks and the best-epoch star."""
    return [line for line in ax.lines if line.get_label() in ("train", "test")]


def verticalMarks(ax):
    """{label: x} of the vertical lines drawn across an axes."""
    return {line.get_label(): line.get_xdata()[0] for line in ax.lines
            if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]}


def stoppedOn(metric, values, **options):
    """An EarlyStopping that has watched ``metric`` take ``values``, one per epoch."""
    stopper = EarlyStopping(monitor=metric, **options)
    model = classifierOf(np.eye(2), np.zeros(2))
    stopper.on_train_begin(model)
    for epoch, value in enumerate(values):
        stopper.on_epoch_end(model, epoch, {metric: value})
    return stopper


# ------------------------------------------------------------------ plotHistory
def test_history_has_a_loss_and_an_accuracy_panel_with_train_and_test_lines():
    figure = plotHistory(HISTORY)
    loss, accuracy = figure.axes
    assert loss.get_ylabel() == "loss" and accuracy.get_ylabel() == "accuracy"
    for ax, metric in ((loss, "loss"), (accuracy, "accuracy")):
        lines = dataLines(ax)
        assert [line.get_label() for line in lines] == ["train", "test"]
        for line, prefix in zip(lines, ("train", "test")):
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])   # epochs counted from 1
            np.testing.assert_array_equal(line.get_ydata(), HISTORY[f"{prefix}_{metric}"])


def test_a_series_keeps_its_colour_in_every_panel_even_where_the_other_is_missing():
    # No train_accuracy: the accuracy panel holds "test" alone, and "test" must still be orange there.
    figure = plotHistory({"train_loss": [0.9, 0.5], "test_loss": [0.8, 0.6], "test_accuracy": [0.7, 0.8],
                          "val_loss": [0.85, 0.7], "val_accuracy": [0.6, 0.7]})
    series = ("train", "test", "val")
    colours = [{line.get_label(): line.get_color() for line in ax.lines if line.get_label() in series}
               for ax in figure.axes]
    assert colours == [{"train": "C0", "test": "C1", "val": "C2"}, {"test": "C1", "val": "C2"}]
    legend = figure.axes[1].get_legend()   # and the legend says so
    assert [(text.get_text(), line.get_color()) for text, line in zip(legend.get_texts(), legend.get_lines())][:2] \
        == [("test", "C1"), ("val", "C2")]


def test_history_marks_the_best_epoch_of_the_monitored_metric():
    figure = plotHistory(HISTORY)   # monitors test_loss, lowest at the third epoch
    for ax in figure.axes:
        assert verticalMarks(ax) == {"best test_loss (epoch 3)": 3}
    star = [line for line in figure.axes[0].lines if line.get_marker() == "*"]
    assert len(star) == 1 and star[0].get_xydata().tolist() == [[3, 0.4]]

    figure = plotHistory(HISTORY, monitor="train_accuracy")   # accuracies are best when highest
    assert verticalMarks(figure.axes[1]) == {"best train_accuracy (epoch 5)": 5}
    assert [line.get_xydata().tolist() for line in figure.axes[1].lines if line.get_marker() == "*"] == [[[5, 0.86]]]


def test_history_marks_the_epoch_early_stopping_restored_and_where_it_stopped():
    # With min_delta 0.08, 0.45 (epoch 2) is not enough of an improvement over 0.5 (epoch 1):
    # EarlyStopping keeps epoch 1 as its best, while the lowest test_loss is at epoch 2.
    history = {"test_loss": [0.5, 0.45, 0.47]}
    stopper = stoppedOn("test_loss", history["test_loss"], patience=2, min_delta=0.08)
    assert (stopper.best_epoch, stopper.stopped_epoch) == (0, 2)
    marks = verticalMarks(plotHistory(history, earlyStopping=stopper).axes[0])
    assert marks == {"best test_loss (epoch 2)": 2, "restored by EarlyStopping (epoch 1)": 1,
                     "stopped (epoch 3)": 3}


def test_history_says_restored_on_the_best_mark_when_they_agree():
    history = {"test_accuracy": [0.5, 0.9, 0.8]}
    stopper = stoppedOn("test_accuracy", history["test_accuracy"], patience=1)
    marks = verticalMarks(plotHistory(history, earlyStopping=stopper).axes[0])
    assert marks == {"best test_accuracy, restored (epoch 2)": 2, "stopped (epoch 3)": 3}


def test_history_with_only_a_training_loss_has_one_panel():
    figure = plotHistory({"train_loss": [0.9, 0.4]})
    assert len(figure.axes) == 1
    assert verticalMarks(figure.axes[0]) == {"best train_loss (epoch 2)": 2}


def test_history_errors_name_the_problem():
    with pytest.raises(TypeError, match="dict that train returns"):
        plotHistory([0.5, 0.4])
    with pytest.raises(ValueError, match="no epochs"):
        plotHistory({"train_loss": []})
    with pytest.raises(ValueError, match="'val_loss' is not in the history"):
        plotHistory(HISTORY, monitor="val_loss")


@pytest.mark.parametrize("history, name", [
    ({"train_loss": [0.9, 0.5, 0.4], "test_loss": [np.nan, np.nan, np.nan]}, "test_loss"),   # the monitored one
    ({"train_loss": [0.9, 0.5], "test_accuracy": [np.nan, np.inf]}, "test_accuracy"),        # drawn, not monitored
])
def test_a_metric_never_finite_is_refused_by_name_not_drawn_as_an_empty_curve(history, name):
    epochs = len(history[name])
    with pytest.raises(ValueError, match=rf"^plotHistory: history\['{name}'\] is nan or infinite in every one of "
                                         rf"its {epochs} epochs: there is nothing to draw; leave it out"):
        plotHistory(history)


def test_a_metric_nan_in_some_epochs_is_drawn_and_its_best_epoch_found_among_the_others():
    figure = plotHistory({"test_loss": [np.nan, 0.5, 0.4, np.nan]})
    assert verticalMarks(figure.axes[0]) == {"best test_loss (epoch 3)": 3}


# ------------------------------------------------------------------ LivePlot
def tinyTraining():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2))
    y = np.eye(2)[(x[:, 0] > 0).astype(int)]
    dataset = Dataset(x_train=x, y_train=y, x_test=x, y_test=y, batch_size=16, seed=0)
    model = MLP()
    model.addLayer(Dense(2, 4, activation=ReLU(), optimizer=SGD(0.1), seed=0))
    model.addLayer(Dense(4, 2, activation=Softmax(), optimizer=SGD(0.1), seed=1))
    return model, dataset


def test_live_plot_rewrites_the_png_after_every_epoch(tmp_path):
    model, dataset = tinyTraining()
    path = tmp_path / "live.png"
    seen = []
    live = LivePlot(save=path, figsize=(4, 2))
    history = model.train(dataset, CrossEntropy(), epochs=3, metrics=["test_loss", "test_accuracy"],
                          callbacks={"on_train_begin": live, "on_epoch_end": [live, lambda *_: seen.append(
                              len(dataLines(plotHistory(live.history).axes[0])[0].get_xdata()))],
                                     "on_train_end": live}, verbose=False)
    assert seen == [1, 2, 3]
    assert live.history["test_loss"] == history["test_loss"]
    assert dataLines(live.figure.axes[0])[-1].get_ydata().tolist() == history["test_loss"]
    assert pngSize(path) == (400, 200)


def test_live_plot_marks_the_restored_epoch_only_once_early_stopping_has_restored_it(tmp_path):
    model = classifierOf(np.eye(2), np.zeros(2))
    stopper = EarlyStopping(monitor="test_loss", patience=5)
    live = LivePlot(save=tmp_path / "live.png", earlyStopping=stopper, figsize=(4, 2))
    marks = []
    for callback in (stopper, live):
        callback.on_train_begin(model)
    for epoch, value in enumerate([0.5, 0.4, 0.45]):
        for callback in (stopper, live):
            callback.on_epoch_end(model, epoch, {"test_loss": value})
        marks.append(verticalMarks(live.figure.axes[0]))
    for callback in (stopper, live):
        callback.on_train_end(model, {})
    assert marks[-1] == {"best test_loss (epoch 2)": 2}   # still training: nothing restored yet
    assert verticalMarks(live.figure.axes[0]) == {"best test_loss, restored (epoch 2)": 2}


def test_live_plot_outside_a_notebook_defaults_to_a_file_and_checks_every():
    assert LivePlot().save == "training.png"
    with pytest.raises(ValueError, match="every must be a positive integer"):
        LivePlot(every=0)


def pngOf(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figures.DPI)
    return buffer.getvalue()


def test_live_plot_replaces_one_picture_in_place_in_a_notebook(monkeypatch):
    shown = []

    class Image:
        def __init__(self, data, format):
            self.data, self.format = data, format

    class Handle:
        def update(self, image):
            shown.append(("update", image))

    def display(image, display_id=False):
        assert display_id is True   # without an id, the picture could not be replaced
        shown.append(("display", image))
        return Handle()

    IPython = types.ModuleType("IPython")
    IPython.display = types.ModuleType("IPython.display")
    IPython.display.display, IPython.display.Image = display, Image
    monkeypatch.setitem(sys.modules, "IPython", IPython)
    monkeypatch.setitem(sys.modules, "IPython.display", IPython.display)
    monkeypatch.setattr(figures, "inNotebook", lambda: True)
    live = LivePlot(figsize=(4, 2))
    assert live.save is None   # nothing written to disk in a notebook unless asked
    model, dataset = tinyTraining()
    model.train(dataset, CrossEntropy(), epochs=3, callbacks=[live], verbose=False)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert shown[-1][1].format == "png" and shown[-1][1].data == pngOf(live.figure)   # the last epoch's picture
    model.train(dataset, CrossEntropy(), epochs=1, callbacks=[live], verbose=False)
    assert [kind for kind, _ in shown][3:] == ["display"]   # a new run, a new picture under its own cell


# The setup cell: the imports, and tinyTraining above, as a learner would type them.
NOTEBOOK_SETUP = """\
import matplotlib
matplotlib.use({backend!r})
import numpy as np
from activations import ReLU, Softmax
from dataset import Dataset
from layers import Dense
from loss import CrossEntropy
from nn import MLP
from optimizer import SGD
from plots import LivePlot
""" + inspect.getsource(tinyTraining) + """
model, dataset = tinyTraining()
live = LivePlot(figsize=(4, 2))
"""
TRAIN = "history = model.train(dataset, CrossEntropy(), epochs={epochs}, metrics=['test_loss'], callbacks=[live], " \
        "verbose=False)"


@pytest.mark.parametrize("backend", ["module://matplotlib_inline.backend_inline", "Agg"])
def test_live_plot_in_a_real_jupyter_kernel_shows_one_picture_and_replaces_it_after_every_epoch(backend):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [NOTEBOOK_SETUP.format(backend=backend), TRAIN.format(epochs=4),
             "import figures\nfigures.showInNotebook(live.figure);", TRAIN.format(epochs=2)]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    updates = {}

    class Client(nbclient.NotebookClient):
        def process_message(self, message, cell, index):
            if message["msg_type"] == "update_display_data":
                key = (index, message["content"]["transient"]["display_id"])
                updates[key] = updates.get(key, 0) + 1
            return super().process_message(message, cell, index)

    Client(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    for index, epochs in ((1, 4), (3, 2)):   # the cells that train
        assert [(output.output_type, "image/png" in output.data) for output in outputs[index]] == \
            [("display_data", True)], outputs[index]
        # One picture, replaced after every epoch but the first: its id was updated epochs - 1 times.
        assert [count for (cell, _), count in updates.items() if cell == index] == [epochs - 1]
    # What the cell shows in the end is the figure of the last epoch.
    assert outputs[1][0].data["image/png"] == outputs[2][0].data["image/png"]
