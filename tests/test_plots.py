"""plots.py: what each figure holds (lines, marks, circles, tiles, counts), and the files it writes."""

import doctest
import os
import struct
import subprocess
import sys
import types

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

import plots  # noqa: E402
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from callbacks import EarlyStopping  # noqa: E402
from conftest import ROOT  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import SGD  # noqa: E402

HISTORY = {"train_loss": [1.0, 0.5, 0.3, 0.25, 0.26], "test_loss": [1.1, 0.6, 0.4, 0.45, 0.5],
           "train_accuracy": [0.5, 0.7, 0.8, 0.85, 0.86], "test_accuracy": [0.5, 0.68, 0.78, 0.77, 0.76]}


def pngSize(path):
    """(width, height) from the IHDR chunk of a PNG file."""
    with open(path, "rb") as file:
        header = file.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def dataLines(ax):
    """The plotted curves, without the vertical marks and the best-epoch star."""
    return [line for line in ax.lines if line.get_label() in ("train", "test")]


def verticalMarks(ax):
    """{label: x} of the vertical lines drawn across an axes."""
    return {line.get_label(): line.get_xdata()[0] for line in ax.lines
            if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]}


def classifierOf(weights, bias):
    """A one-layer model with Identity activation and the given W, b: its arg-max is easy to predict by hand."""
    weights = np.asarray(weights, dtype=float)
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(weights.shape[1], weights.shape[0], activation=Identity(), seed=0))
    model.setWeights([weights, np.asarray(bias, dtype=float)])
    return model


# ------------------------------------------------------------------ optional matplotlib
def test_without_matplotlib_the_core_imports_and_plots_name_the_install_command():
    code = ("import sys\n"
            "sys.modules['matplotlib'] = None\n"
            "import nn, layers, plots\n"
            "try:\n"
            "    plots.plotActivations()\n"
            "except ImportError as error:\n"
            "    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'pip install "deepbasics[plot]"' in result.stdout


def test_docstring_examples_run():
    failures, tried = doctest.testmod(plots, verbose=False)
    assert failures == 0 and tried > 0


# ------------------------------------------------------------------ history
def test_history_has_a_loss_and_an_accuracy_panel_with_train_and_test_lines():
    figure = plots.plotHistory(HISTORY)
    loss, accuracy = figure.axes
    assert loss.get_ylabel() == "loss" and accuracy.get_ylabel() == "accuracy"
    for ax, metric in ((loss, "loss"), (accuracy, "accuracy")):
        lines = dataLines(ax)
        assert [line.get_label() for line in lines] == ["train", "test"]
        for line, prefix in zip(lines, ("train", "test")):
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])   # epochs counted from 1
            np.testing.assert_array_equal(line.get_ydata(), HISTORY[f"{prefix}_{metric}"])


def test_history_marks_the_best_epoch_of_the_monitored_metric():
    figure = plots.plotHistory(HISTORY)   # monitors test_loss, lowest at the third epoch
    for ax in figure.axes:
        assert verticalMarks(ax) == {"best test_loss (epoch 3)": 3}
    star = [line for line in figure.axes[0].lines if line.get_marker() == "*"]
    assert len(star) == 1 and star[0].get_xydata().tolist() == [[3, 0.4]]

    figure = plots.plotHistory(HISTORY, monitor="train_accuracy")   # accuracies are best when highest
    assert verticalMarks(figure.axes[1]) == {"best train_accuracy (epoch 5)": 5}
    assert [line.get_xydata().tolist() for line in figure.axes[1].lines if line.get_marker() == "*"] == [[[5, 0.86]]]


def test_history_marks_the_epoch_early_stopping_restored_and_where_it_stopped():
    model = classifierOf(np.eye(2), np.zeros(2))
    stopper = EarlyStopping(monitor="test_loss", patience=2, min_delta=0.08)
    # With min_delta 0.08, 0.45 (epoch 2) is not enough of an improvement over 0.5 (epoch 1):
    # EarlyStopping keeps epoch 1 as its best, while the lowest test_loss is at epoch 2.
    history = {"test_loss": [0.5, 0.45, 0.47]}
    stopper.on_train_begin(model)
    for epoch, value in enumerate(history["test_loss"]):
        stopper.on_epoch_end(model, epoch, {"test_loss": value})
    assert (stopper.bestEpoch, stopper.stoppedEpoch) == (0, 2)
    marks = verticalMarks(plots.plotHistory(history, earlyStopping=stopper).axes[0])
    assert marks == {"best test_loss (epoch 2)": 2, "restored by EarlyStopping (epoch 1)": 1,
                     "stopped (epoch 3)": 3}


def test_history_says_restored_on_the_best_mark_when_they_agree():
    model = classifierOf(np.eye(2), np.zeros(2))
    stopper = EarlyStopping(monitor="test_accuracy", patience=1)
    history = {"test_accuracy": [0.5, 0.9, 0.8]}
    stopper.on_train_begin(model)
    for epoch, value in enumerate(history["test_accuracy"]):
        stopper.on_epoch_end(model, epoch, {"test_accuracy": value})
    marks = verticalMarks(plots.plotHistory(history, earlyStopping=stopper).axes[0])
    assert marks == {"best test_accuracy, restored (epoch 2)": 2, "stopped (epoch 3)": 3}


def test_history_with_only_a_training_loss_has_one_panel():
    figure = plots.plotHistory({"train_loss": [0.9, 0.4]})
    assert len(figure.axes) == 1
    assert verticalMarks(figure.axes[0]) == {"best train_loss (epoch 2)": 2}


def test_history_errors_name_the_problem():
    with pytest.raises(TypeError, match="dict that train returns"):
        plots.plotHistory([0.5, 0.4])
    with pytest.raises(ValueError, match="no epochs"):
        plots.plotHistory({"train_loss": []})
    with pytest.raises(ValueError, match="'val_loss' is not in the history"):
        plots.plotHistory(HISTORY, monitor="val_loss")


# ------------------------------------------------------------------ network
def test_network_draws_one_circle_per_neuron_coloured_by_layer_and_every_connection():
    model = MLP()
    model.addLayer(Dense(inputDim=3, outputDim=4))
    model.addLayer(Dense(inputDim=4, outputDim=2))   # the chapter's Figure 1
    ax = plots.plotNetwork(model).axes[0]
    circles = [patch for patch in ax.patches if isinstance(patch, Circle)]
    colors = [to_hex(circle.get_facecolor()) for circle in circles]
    assert colors == [plots.INPUT_COLOR] * 3 + [plots.HIDDEN_COLOR] * 4 + [plots.OUTPUT_COLOR] * 2
    assert [len(collection.get_segments()) for collection in ax.collections
            if isinstance(collection, LineCollection)] == [3 * 4, 4 * 2]
    assert ax.get_title() == "MLP 3-4-2"
    # Everything is inside the visible area: circles and the captions below them.
    (left, right), (bottom, top) = ax.get_xlim(), ax.get_ylim()
    for circle in circles:
        (x, y), r = circle.center, circle.radius
        assert left < x - r and x + r < right and bottom < y - r and y + r < top
    for text in ax.texts:
        assert left < text.get_position()[0] < right and bottom < text.get_position()[1] < top


def test_a_large_layer_shows_its_first_and_last_neurons_around_an_ellipsis_with_its_count():
    model = MLP()
    model.addLayer(Dense(inputDim=784, outputDim=100, activation=ReLU()))
    model.addLayer(Dense(inputDim=100, outputDim=10, activation=Softmax()))
    ax = plots.plotNetwork(model, maxNeurons=6).axes[0]
    circles = [patch for patch in ax.patches if isinstance(patch, Circle)]
    assert len(circles) == 6 + 6 + 6
    texts = [text.get_text() for text in ax.texts]
    assert texts.count("\u22ee") == 3   # all three columns are larger than 6
    assert any("784" in text for text in texts) and any("100" in text for text in texts)
    assert [len(collection.get_segments()) for collection in ax.collections] == [6 * 6, 6 * 6]


def test_network_weights_colour_each_connection_by_its_own_weight():
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(inputDim=3, outputDim=2, activation=Identity(), seed=0))
    W = np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.5]])
    model.setWeights([W, np.zeros(2)])
    ax = plots.plotNetwork(model, weights=True).axes[0]
    lines = ax.collections[0]
    # Match each segment to its neurons by position: neuron k of a column of n sits at (n - 1) / 2 - k.
    for (start, end), value, width in zip(lines.get_segments(), lines.get_array(), lines.get_linewidths()):
        i, j = int(round((3 - 1) / 2 - start[1])), int(round((2 - 1) / 2 - end[1]))
        assert value == pytest.approx(W[j, i] / 2.0)   # scaled by the largest |weight|
        assert width == pytest.approx(0.3 + 2.5 * abs(W[j, i]) / 2.0)


def test_network_errors():
    with pytest.raises(TypeError, match="expected an MLP"):
        plots.plotNetwork(Dense(2, 2))
    with pytest.raises(ValueError, match="no layers"):
        plots.plotNetwork(MLP())


# -------------------------------------------------------------- activations
@pytest.mark.parametrize("activation, function, derivative", [
    (Sigmoid(), lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    (Tanh(), np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    (ReLU(), lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    (LeakyReLU(epsilon=0.1), lambda z: np.maximum(z, 0.1 * z), lambda z: np.where(z > 0, 1.0, 0.1)),
    (Identity(), lambda z: z, np.ones_like),
    # The two-class slice: softmax([z, 0])[0] is the sigmoid of z.
    (Softmax(), lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
])
def test_activation_panel_holds_the_function_and_its_derivative(activation, function, derivative):
    ax = plots.plotActivation(activation, interval=(-4, 3)).axes[0]
    value, slope = ax.lines[:2]
    z = value.get_xdata()
    assert z[0] == -4 and z[-1] == 3
    away = np.abs(z) > 1e-9   # ReLU's derivative at exactly 0 is a convention
    np.testing.assert_allclose(value.get_ydata(), function(z), atol=1e-12)
    np.testing.assert_allclose(slope.get_ydata()[away], derivative(z)[away], atol=1e-12)


def test_all_six_activations_in_one_figure():
    figure = plots.plotActivations()
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == \
        ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax"]
    assert all(len(ax.lines) >= 2 for ax in figure.axes)


def test_activation_errors():
    with pytest.raises(TypeError, match="expected an activation"):
        plots.plotActivation(np.tanh)
    with pytest.raises(ValueError, match="low < high"):
        plots.plotActivation(ReLU(), interval=(1, -1))


# ------------------------------------------------------------------ weights
def test_weight_tiles_are_the_incoming_weights_of_each_neuron():
    layer = Dense(inputDim=12, outputDim=5, seed=3)
    figure = plots.plotWeights(layer, shape=(3, 4))
    tiles = [ax for ax in figure.axes if ax.images]
    assert len(tiles) == 5
    for neuron, ax in enumerate(tiles):
        np.testing.assert_array_equal(ax.images[0].get_array(), layer.W[neuron].reshape(3, 4))
        # One symmetric scale for all tiles: 0 is the middle of the colour map.
        assert ax.images[0].get_clim() == (-np.abs(layer.W).max(), np.abs(layer.W).max())


def test_weight_errors():
    with pytest.raises(ValueError, match=r"shape \(28, 28\) holds 784 values but the layer has inputDim 12"):
        plots.plotWeights(Dense(12, 5))
    model = MLP()
    model.addLayer(Dense(784, 3))
    with pytest.raises(TypeError, match=r"pass model.layers\[0\]"):
        plots.plotWeights(model)


# ------------------------------------------------------------------ images
def test_images_grid_shows_each_image_with_its_caption():
    images = np.random.default_rng(0).random((7, 16))
    figure = plots.plotImages(images, labels=list("abcdefg"), rows=2)
    assert len(figure.axes) == 7   # a 2 x 4 grid without its empty cell
    for index, ax in enumerate(figure.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[index].reshape(4, 4))
        assert ax.get_title() == "abcdefg"[index]
        assert ax.images[0].get_clim() == (0.0, 1.0)


def test_images_keep_the_signature_other_examples_call_positionally(tmp_path):
    figure = plots.plotImages(np.zeros((3, 4)), ["a", "b", "c"], 1, tmp_path / "grid.png", title="three")
    assert figure._suptitle.get_text() == "three" and len(figure.axes) == 3
    # 3 x 1.2 inches wide; 1.2 inches per image + 0.25 per caption line + 0.3 for the title high.
    assert pngSize(tmp_path / "grid.png") == (360, 175)


def test_images_accept_one_hot_labels_shaped_images_and_a_tanh_range():
    images = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)
    figure = plots.plotImages(images, labels=np.eye(3)[[2, 0]], valueRange=(-1, 1))
    assert [ax.get_title() for ax in figure.axes] == ["2", "0"]
    assert figure.axes[0].images[0].get_clim() == (-1.0, 1.0)
    assert figure.axes[1].images[0].get_array().shape == (5, 3)


def test_image_errors_name_the_problem():
    with pytest.raises(ValueError, match="not square"):
        plots.plotImages(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"values span \[0, 255\].*pixels / 255"):
        plots.plotImages(np.array([[0.0, 255.0, 3.0, 4.0]]))
    with pytest.raises(ValueError, match=r"valueRange=\(-1, 1\)"):
        plots.plotImages(-np.ones((1, 4)))
    with pytest.raises(ValueError, match="3 labels for 2 images"):
        plots.plotImages(np.zeros((2, 4)), labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="rows must be"):
        plots.plotImages(np.zeros((2, 4)), rows=3)


# --------------------------------------------------------- classification
def test_confusion_counts_equal_a_hand_count():
    # With W = I and b = 0 the model predicts the arg-max of x: each x row is the predicted class.
    model = classifierOf(np.eye(3), np.zeros(3))
    predicted = [0, 0, 1, 2, 2, 2, 1, 0]
    truth = [0, 1, 1, 2, 0, 2, 1, 0]
    figure = plots.plotConfusion(model, np.eye(3)[predicted], np.eye(3)[truth], classNames=["a", "b", "c"])
    ax = figure.axes[0]
    # Rows true, columns predicted: true 0 -> predicted 0 twice and 2 once; true 1 -> 0 once, 1 twice; ...
    np.testing.assert_array_equal(ax.images[0].get_array(), [[2, 0, 1], [1, 2, 0], [0, 0, 2]])
    assert ax.get_title() == "accuracy 75.00% on 8 samples"
    assert [label.get_text() for label in ax.get_xticklabels()] == ["a", "b", "c"]
    assert sorted(text.get_text() for text in ax.texts) == sorted(["2", "0", "1", "1", "2", "0", "0", "0", "2"])


def test_confusion_takes_integer_labels_and_checks_sizes():
    model = classifierOf(np.eye(2), np.zeros(2))
    figure = plots.plotConfusion(model, np.eye(2)[[1, 1]], np.array([0, 1]))
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[0, 1], [0, 1]])
    # One sigmoid output and 0/1 targets in one column: class 1 where the output is above 0.5.
    binary = classifierOf([[1.0, 0.0]], [0.0])
    figure = plots.plotConfusion(binary, np.array([[0.9, 0], [0.2, 0], [0.7, 0]]), np.array([[1.0], [1.0], [0.0]]))
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="class indices from 0, got -1"):
        plots.plotConfusion(model, np.eye(2), np.array([0, -1]))
    with pytest.raises(ValueError, match="x has 2 samples but y has 3"):
        plots.plotConfusion(model, np.eye(2), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="3 classNames for a model with 2 outputs"):
        plots.plotConfusion(model, np.eye(2), np.eye(2), classNames="abc")


def test_mistakes_show_the_wrong_images_surest_first_with_true_and_predicted_label():
    model = classifierOf(np.eye(4), np.zeros(4))
    # Softmax-free model: the "probability" shown is the output itself; rows sum to 1 here anyway.
    x = np.array([[0.7, 0.1, 0.1, 0.1],    # predicted 0, true 0: right
                  [0.1, 0.6, 0.2, 0.1],    # predicted 1, true 3: wrong, 60%
                  [0.05, 0.05, 0.9, 0.0],  # predicted 2, true 1: wrong, 90%
                  [0.0, 0.0, 0.2, 0.8]])   # predicted 3, true 3: right
    y = np.eye(4)[[0, 3, 1, 3]]
    figure = plots.plotMistakes(model, x, y)
    assert [ax.get_title() for ax in figure.axes] == ["true 1\npred 2 (90%)", "true 3\npred 1 (60%)"]
    assert figure._suptitle.get_text() == "2 of 2 mistakes on 4 samples, surest first"
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), x[2].reshape(2, 2))
    assert len(plots.plotMistakes(model, x, y, count=1).axes) == 1
    # 0.996 is not a certainty: rounded down, never shown as 100%.
    sure = np.array([[0.004, 0.996, 0.0, 0.0]])
    assert plots.plotMistakes(model, sure, np.eye(4)[[0]]).axes[0].get_title() == "true 0\npred 1 (99%)"


def test_no_mistakes_is_said_not_drawn_as_an_empty_grid():
    model = classifierOf(np.eye(2), np.zeros(2))
    figure = plots.plotMistakes(model, np.eye(2), np.eye(2))
    assert [text.get_text() for text in figure.axes[0].texts] == ["no mistakes on 2 samples"]
    with pytest.raises(ValueError, match="count must be a positive integer"):
        plots.plotMistakes(model, np.eye(2), np.eye(2), count=0)


def test_decision_boundary_shows_the_predicted_class_over_a_grid_and_the_points_by_class():
    # Class = arg-max of (x0, x1, 0.5): the plane splits along x0 = x1 and the 0.5 corner.
    model = classifierOf([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [0.0, 0.0, 0.5])
    x = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, 1.0], [1.0, 2.0], [0.0, 0.0]])
    y = np.eye(3)[[0, 0, 1, 1, 2]]
    ax = plots.plotDecisionBoundary(model, x, y, resolution=50).axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (50, 50)
    left, right, bottom, top = ax.images[0].get_extent()
    assert left < 0 < 2 < right and bottom < 0 < 2 < top   # covers the data
    xs, ys = np.linspace(left, right, 50), np.linspace(bottom, top, 50)
    expected = np.stack([np.broadcast_to(xs, (50, 50)), np.broadcast_to(ys[:, None], (50, 50)),
                         np.full((50, 50), 0.5)]).argmax(axis=0)
    np.testing.assert_array_equal(grid, expected)
    points = [collection.get_offsets().tolist() for collection in ax.collections]
    assert points == [x[:2].tolist(), x[2:4].tolist(), x[4:].tolist()]   # one scatter per class


def test_decision_boundary_with_one_sigmoid_output_and_errors():
    model = classifierOf([[1.0, 0.0]], [-0.5])   # class 1 where x0 > 1
    x = np.array([[0.0, 0.0], [2.0, 0.0]])
    ax = plots.plotDecisionBoundary(model, x, np.array([0, 1]), resolution=11, title="epoch 3").axes[0]
    assert ax.get_title() == "epoch 3"
    left, right, _, _ = ax.images[0].get_extent()
    np.testing.assert_array_equal(ax.images[0].get_array()[0], (np.linspace(left, right, 11) - 0.5 > 0.5))
    with pytest.raises(ValueError, match=r"x must be \(n, 2\)"):
        plots.plotDecisionBoundary(model, np.zeros((3, 3)), np.array([0, 1, 1]))


# ------------------------------------------------------------------ files
def test_save_writes_a_png_of_the_requested_size_atomically(tmp_path):
    path = tmp_path / "history.png"
    plots.plotHistory(HISTORY, figsize=(4, 3), save=path)
    assert pngSize(path) == (4 * plots.DPI, 3 * plots.DPI)
    plots.plotImages(np.zeros((2, 4)), figsize=(2.5, 1.5), save=str(path))   # replaces it
    assert pngSize(path) == (250, 150)
    assert os.listdir(tmp_path) == ["history.png"]   # no temporary file left behind
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()


def test_save_figure_writes_any_figure_and_returns_its_path(tmp_path):
    pyplot = pytest.importorskip("matplotlib.pyplot")
    figure = pyplot.figure(figsize=(2, 1))
    pyplot.close(figure)
    assert plots.saveFigure(figure, tmp_path / "own") == str(tmp_path / "own")   # no suffix: PNG
    assert pngSize(tmp_path / "own") == (200, 100)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_save_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.plotHistory(HISTORY, save=tmp_path / "missing" / "history.png")
    with pytest.raises(ValueError, match="cannot write 'docx'"):
        plots.plotHistory(HISTORY, save=tmp_path / "history.docx")
    assert os.listdir(tmp_path) == []


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
    live = plots.LivePlot(save=path, figsize=(4, 2))
    history = model.train(dataset, CrossEntropy(), epochs=3, metrics=["test_loss", "test_accuracy"],
                          callbacks={"on_train_begin": live, "on_epoch_end": [live, lambda *_: seen.append(
                              len(dataLines(plots.plotHistory(live.history).axes[0])[0].get_xdata()))],
                                     "on_train_end": live}, verbose=False)
    assert seen == [1, 2, 3]
    assert live.history["test_loss"] == history["test_loss"]
    assert dataLines(live.figure.axes[0])[-1].get_ydata().tolist() == history["test_loss"]
    assert pngSize(path) == (400, 200)


def test_live_plot_marks_the_restored_epoch_only_once_early_stopping_has_restored_it(tmp_path):
    model = classifierOf(np.eye(2), np.zeros(2))
    stopper = EarlyStopping(monitor="test_loss", patience=5)
    live = plots.LivePlot(save=tmp_path / "live.png", earlyStopping=stopper, figsize=(4, 2))
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


def test_live_plot_replaces_the_figure_in_place_in_a_notebook(monkeypatch):
    shown = []

    class Handle:
        def update(self, figure):
            shown.append(("update", figure))

    def display(figure, display_id=False):
        shown.append(("display", figure))
        return Handle()

    ipython = types.ModuleType("IPython")
    ipython.display = types.ModuleType("IPython.display")
    ipython.display.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython.display)
    monkeypatch.setattr(plots, "_inNotebook", lambda: True)
    live = plots.LivePlot()
    assert live.save is None   # nothing written to disk in a notebook unless asked
    model, dataset = tinyTraining()
    model.train(dataset, CrossEntropy(), epochs=3, callbacks=[live], verbose=False)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert shown[-1][1] is live.figure
    model.train(dataset, CrossEntropy(), epochs=1, callbacks=[live], verbose=False)
    assert [kind for kind, _ in shown][3:] == ["display"]   # a new run, a new figure under its own cell


def test_live_plot_outside_a_notebook_defaults_to_a_file_and_checks_every():
    assert plots.LivePlot().save == "training.png"
    with pytest.raises(ValueError, match="every must be a positive integer"):
        plots.LivePlot(every=0)


# ------------------------------------------------------------------ integer arguments
def twoLayerNetwork():
    model = MLP()
    model.addLayer(Dense(4, 3, activation=ReLU()))
    model.addLayer(Dense(3, 2, activation=Softmax()))
    return model


def twoPoints():
    return np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([0, 1])


INTEGER_ARGUMENTS = {   # argument: (call with that argument, wanted, a right value)
    "every": (lambda every: plots.LivePlot(every=every), "a positive integer", 2),
    "maxNeurons": (lambda maxNeurons: plots.plotNetwork(twoLayerNetwork(), maxNeurons=maxNeurons),
                   "an integer of at least 2", 2),
    "rows": (lambda rows: plots.plotImages(np.zeros((3, 4)), rows=rows), "an integer between 1 and 3", 3),
    "count": (lambda count: plots.plotMistakes(classifierOf(np.eye(4), np.zeros(4)), np.eye(4)[[1, 0]],
                                               np.eye(4)[[0, 1]], count=count), "a positive integer", 1),
    "resolution": (lambda resolution: plots.plotDecisionBoundary(classifierOf([[1.0, 0.0]], [-0.5]), *twoPoints(),
                                                                 resolution=resolution), "an integer of at least 2", 2),
    "columns": (lambda columns: plots.plotWeights(Dense(4, 3), shape=(2, 2), columns=columns), "a positive integer", 3),
}
OWNERS = {"every": "LivePlot", "maxNeurons": "plotNetwork", "rows": "plotImages", "count": "plotMistakes",
          "resolution": "plotDecisionBoundary", "columns": "plotWeights"}


@pytest.mark.parametrize("name", INTEGER_ARGUMENTS)
@pytest.mark.parametrize("value, error, shown", [
    (2.5, TypeError, "float 2.5"), ("2", TypeError, "str '2'"), (True, TypeError, "bool True"),
    (0, ValueError, "0"), (-3, ValueError, "-3"),
])
def test_integer_arguments_refuse_a_wrong_type_with_typeerror_and_a_bad_value_with_valueerror(name, value, error,
                                                                                               shown):
    call, wanted, _ = INTEGER_ARGUMENTS[name]
    with pytest.raises(error, match=f"^{OWNERS[name]}: {name} must be {wanted}, got {shown}$"):
        call(value)


def test_integer_arguments_refuse_a_value_just_past_their_limit_and_take_numpy_integers():
    with pytest.raises(ValueError, match="^plotImages: rows must be an integer between 1 and 3, got 4$"):
        INTEGER_ARGUMENTS["rows"][0](4)
    with pytest.raises(ValueError, match="^plotNetwork: maxNeurons must be an integer of at least 2, got 1$"):
        INTEGER_ARGUMENTS["maxNeurons"][0](1)
    assert plots.LivePlot(every=np.int64(3)).every == 3
    for name, (call, _, good) in INTEGER_ARGUMENTS.items():
        if name != "every":
            assert call(np.int64(good)).axes, name


# ------------------------------------------------------------------ example and README pictures
def test_make_images_has_help_and_shrinks_a_png_to_a_palette_of_the_same_size(tmp_path, capsys):
    image = pytest.importorskip("PIL.Image")
    # make_images puts examples/ on sys.path to reuse the example's network; examples/gan.py must not
    # shadow gan.py for the tests that run after this one.
    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_images
    finally:
        sys.path[:] = saved
    with pytest.raises(SystemExit) as exit:
        make_images.parseArguments(["--help"])
    assert exit.value.code == 0
    assert "--epochs" in capsys.readouterr().out
    path = tmp_path / "history.png"
    plots.plotHistory(HISTORY, figsize=(4, 3), save=path)
    before = os.path.getsize(path)
    make_images.shrink(path)
    with image.open(path) as shrunk:
        assert shrunk.mode == "P" and shrunk.size == (400, 300)
    assert os.path.getsize(path) < before
    assert os.listdir(tmp_path) == ["history.png"]


def test_mnist_example_refuses_plots_without_matplotlib_before_training():
    code = ("import runpy, sys\n"
            "sys.modules['matplotlib'] = None\n"
            "sys.argv = ['mnist_classifier.py', '--plots', 'never']\n"
            "runpy.run_path('examples/mnist_classifier.py', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert '--plots needs matplotlib: pip install "deepbasics[plot]"' in result.stderr
    assert "Loaded" not in result.stdout and not (ROOT / "never").exists()


@pytest.mark.slow
def test_mnist_example_writes_the_five_figures(mnistDir, tmp_path):
    folder = tmp_path / "plots"
    result = subprocess.run(
        [sys.executable, "examples/mnist_classifier.py", "--epochs", "2", "--train-size", "3000",
         "--data-dir", str(mnistDir), "--plots", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    names = ["confusion.png", "history.png", "mistakes.png", "network.png", "weights.png"]
    assert sorted(os.listdir(folder)) == names
    for name in names:
        width, height = pngSize(folder / name)
        assert width > 200 and height > 200
        assert f"{folder / name}" in result.stdout
