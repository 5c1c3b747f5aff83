"""networkplots.py: a network's circles and connections, each neuron's weight tile, and the activation curves."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

import networkplots  # noqa: E402
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from layers import Dense  # noqa: E402
from nn import MLP  # noqa: E402


# ------------------------------------------------------------------ network
def test_network_draws_one_circle_per_neuron_coloured_by_layer_and_every_connection():
    model = MLP()
    model.addLayer(Dense(inputDim=3, outputDim=4))
    model.addLayer(Dense(inputDim=4, outputDim=2))   # the chapter's Figure 1
    ax = networkplots.plotNetwork(model).axes[0]
    circles = [patch for patch in ax.patches if isinstance(patch, Circle)]
    colors = [to_hex(circle.get_facecolor()) for circle in circles]
    assert colors == [networkplots.INPUT_COLOR] * 3 + [networkplots.HIDDEN_COLOR] * 4 + [networkplots.OUTPUT_COLOR] * 2
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
    ax = networkplots.plotNetwork(model, maxNeurons=6).axes[0]
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
    ax = networkplots.plotNetwork(model, weights=True).axes[0]
    lines = ax.collections[0]
    # Match each segment to its neurons by position: neuron k of a column of n sits at (n - 1) / 2 - k.
    for (start, end), value, width in zip(lines.get_segments(), lines.get_array(), lines.get_linewidths()):
        i, j = int(round((3 - 1) / 2 - start[1])), int(round((2 - 1) / 2 - end[1]))
        assert value == pytest.approx(W[j, i] / 2.0)   # scaled by the largest |weight|
        assert width == pytest.approx(0.3 + 2.5 * abs(W[j, i]) / 2.0)


def test_network_errors():
    with pytest.raises(TypeError, match="expected an MLP"):
        networkplots.plotNetwork(Dense(2, 2))
    with pytest.raises(ValueError, match="no layers"):
        networkplots.plotNetwork(MLP())


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
    ax = networkplots.plotActivation(activation, interval=(-4, 3)).axes[0]
    value, slope = ax.lines[:2]
    z = value.get_xdata()
    assert z[0] == -4 and z[-1] == 3
    away = np.abs(z) > 1e-9   # ReLU's derivative at exactly 0 is a convention
    np.testing.assert_allclose(value.get_ydata(), function(z), atol=1e-12)
    np.testing.assert_allclose(slope.get_ydata()[away], derivative(z)[away], atol=1e-12)


def test_all_six_activations_in_one_figure():
    figure = networkplots.plotActivations()
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == \
        ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax"]
    assert all(len(ax.lines) >= 2 for ax in figure.axes)


def test_activation_errors():
    with pytest.raises(TypeError, match="expected an activation"):
        networkplots.plotActivation(np.tanh)
    with pytest.raises(ValueError, match="low < high"):
        networkplots.plotActivation(ReLU(), interval=(1, -1))


# ------------------------------------------------------------------ weights
def test_weight_tiles_are_the_incoming_weights_of_each_neuron():
    layer = Dense(inputDim=12, outputDim=5, seed=3)
    figure = networkplots.plotWeights(layer, shape=(3, 4))
    tiles = [ax for ax in figure.axes if ax.images]
    assert len(tiles) == 5
    for neuron, ax in enumerate(tiles):
        np.testing.assert_array_equal(ax.images[0].get_array(), layer.W[neuron].reshape(3, 4))
        # One symmetric scale for all tiles: 0 is the middle of the colour map.
        assert ax.images[0].get_clim() == (-np.abs(layer.W).max(), np.abs(layer.W).max())


def test_the_weights_title_fits_a_few_tiles():
    figure = networkplots.plotWeights(Dense(inputDim=4, outputDim=7, seed=3), shape=(2, 2))
    figure.canvas.draw()
    box = figure._suptitle.get_window_extent()
    assert 0 <= box.x0 and box.x1 <= figure.bbox.width   # shrunk to the figure, not cut at its edges


def test_weight_errors():
    with pytest.raises(ValueError, match=r"shape \(28, 28\) holds 784 values but the layer has inputDim 12"):
        networkplots.plotWeights(Dense(12, 5))
    with pytest.raises(ValueError, match=r"shape must be \(height, width\), such as \(28, 28\), got \(2, 2, 3\)"):
        networkplots.plotWeights(Dense(12, 5), shape=(2, 2, 3))
    model = MLP()
    model.addLayer(Dense(784, 3))
    with pytest.raises(TypeError, match=r"pass model.layers\[0\]"):
        networkplots.plotWeights(model)


def test_weights_of_a_large_layer_show_its_first_max_neurons_and_say_how_many_it_has():
    layer = Dense(inputDim=4, outputDim=1000, seed=0)   # a thousand tiles took matplotlib about 19 s
    figure = networkplots.plotWeights(layer, shape=(2, 2))
    tiles = [ax for ax in figure.axes if ax.images]
    assert len(tiles) == 100
    for neuron in (0, 99):
        np.testing.assert_array_equal(tiles[neuron].images[0].get_array(), layer.W[neuron].reshape(2, 2))
    # The colour scale is the whole layer's, so the tiles compare with any other picture of it.
    assert tiles[0].images[0].get_clim() == (-np.abs(layer.W).max(), np.abs(layer.W).max())
    assert figure._suptitle.get_text() == "incoming weights of the first 100 of 1,000 neurons " \
                                          "(red positive, blue negative)"
    figure = networkplots.plotWeights(layer, shape=(2, 2), maxNeurons=6, columns=3)
    assert sum(1 for ax in figure.axes if ax.images) == 6
    assert "first 6 of 1,000" in figure._suptitle.get_text()
    with pytest.raises(ValueError, match="^plotWeights: maxNeurons must be a positive integer, got 0$"):
        networkplots.plotWeights(layer, shape=(2, 2), maxNeurons=0)
