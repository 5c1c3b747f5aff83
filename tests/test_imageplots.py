"""imageplots.py: the tiles and captions of an image grid, and a classifier's confusion, mistakes and boundary."""

import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import imageplots  # noqa: E402
from plothelpers import classifierOf, pngSize  # noqa: E402


# ------------------------------------------------------------------ images
def test_images_grid_shows_each_image_with_its_caption():
    images = np.random.default_rng(0).random((7, 16))
    figure = imageplots.plotImages(images, labels=list("abcdefg"), rows=2)
    assert len(figure.axes) == 7   # a 2 x 4 grid without its empty cell
    for index, ax in enumerate(figure.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[index].reshape(4, 4))
        assert ax.get_title() == "abcdefg"[index]
        assert ax.images[0].get_clim() == (0.0, 1.0)


def test_images_keep_the_signature_other_examples_call_positionally(tmp_path):
    figure = imageplots.plotImages(np.zeros((3, 4)), ["a", "b", "c"], 1, tmp_path / "grid.png", title="three")
    assert figure._suptitle.get_text() == "three" and len(figure.axes) == 3
    # 3 x 1.2 inches wide; 1.2 inches per image + 0.25 per caption line + 0.3 for the title high.
    assert pngSize(tmp_path / "grid.png") == (360, 175)


def test_images_accept_one_hot_labels_shaped_images_and_a_tanh_range():
    images = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)
    figure = imageplots.plotImages(images, labels=np.eye(3)[[2, 0]], valueRange=(-1, 1))
    assert [ax.get_title() for ax in figure.axes] == ["2", "0"]
    assert figure.axes[0].images[0].get_clim() == (-1.0, 1.0)
    assert figure.axes[1].images[0].get_array().shape == (5, 3)


def test_image_errors_name_the_problem():
    with pytest.raises(ValueError, match="not square"):
        imageplots.plotImages(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"values span \[0, 255\].*pixels / 255"):
        imageplots.plotImages(np.array([[0.0, 255.0, 3.0, 4.0]]))
    with pytest.raises(ValueError, match=r"valueRange=\(-1, 1\)"):
        imageplots.plotImages(-np.ones((1, 4)))
    with pytest.raises(ValueError, match="3 labels for 2 images"):
        imageplots.plotImages(np.zeros((2, 4)), labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="rows must be"):
        imageplots.plotImages(np.zeros((2, 4)), rows=3)


@pytest.mark.parametrize("shape", [(3, 0), (2, 0, 5), (2, 4, 0)])
def test_images_without_a_pixel_are_refused_with_their_shape(shape):
    with pytest.raises(ValueError, match=rf"^plotImages: images must be \(n, height \* width\) or \(n, height, "
                                         rf"width\) with n, height and width at least 1, got shape "
                                         rf"{re.escape(str(shape))}$"):
        imageplots.plotImages(np.zeros(shape))


# --------------------------------------------------------- classification
def test_confusion_counts_equal_a_hand_count():
    # With W = I and b = 0 the model predicts the arg-max of x: each x row is the predicted class.
    model = classifierOf(np.eye(3), np.zeros(3))
    predicted = [0, 0, 1, 2, 2, 2, 1, 0]
    truth = [0, 1, 1, 2, 0, 2, 1, 0]
    figure = imageplots.plotConfusion(model, np.eye(3)[predicted], np.eye(3)[truth], classNames=["a", "b", "c"])
    ax = figure.axes[0]
    # Rows true, columns predicted: true 0 -> predicted 0 twice and 2 once; true 1 -> 0 once, 1 twice; ...
    np.testing.assert_array_equal(ax.images[0].get_array(), [[2, 0, 1], [1, 2, 0], [0, 0, 2]])
    assert ax.get_title() == "accuracy 75.00% on 8 samples"
    assert [label.get_text() for label in ax.get_xticklabels()] == ["a", "b", "c"]
    assert sorted(text.get_text() for text in ax.texts) == sorted(["2", "0", "1", "1", "2", "0", "0", "0", "2"])


def test_confusion_numbers_contrast_with_their_cells():
    # Counts 3, 2, 2, 2: the colour scale runs from 2 (lightest) to 3 (darkest), so 2 is written in black.
    model = classifierOf(np.eye(2), np.zeros(2))
    pairs = [(0, 0)] * 3 + [(0, 1)] * 2 + [(1, 0)] * 2 + [(1, 1)] * 2   # (true, predicted)
    truth, predicted = zip(*pairs)
    ax = imageplots.plotConfusion(model, np.eye(2)[list(predicted)], np.array(truth)).axes[0]
    colors = {text.get_position(): text.get_color() for text in ax.texts}   # (column, row) -> colour
    assert colors == {(0, 0): "white", (1, 0): "black", (0, 1): "black", (1, 1): "black"}


def _titleInside(figure, title):
    figure.canvas.draw()
    box = title.get_window_extent()
    return 0 <= box.x0 and box.x1 <= figure.bbox.width


def test_titles_fit_a_narrow_figure():
    # Three classes or three images make a figure under 4 inches wide: the title shrinks rather than being cut.
    model = classifierOf(np.eye(3), np.zeros(3))
    confusion = imageplots.plotConfusion(model, np.eye(3)[[0, 1, 2] * 400], np.array([0, 1, 2] * 400))
    assert confusion.get_figwidth() < 3 and _titleInside(confusion, confusion.axes[0].title)
    grid = imageplots.plotImages(np.zeros((3, 4)), title="6 of 20 mistakes on 30 samples, surest first")
    assert _titleInside(grid, grid._suptitle)
    assert imageplots.plotImages(np.zeros((9, 4)), title="three")._suptitle.get_fontsize() == 12   # short: as usual


def test_confusion_takes_integer_labels_and_checks_sizes():
    model = classifierOf(np.eye(2), np.zeros(2))
    figure = imageplots.plotConfusion(model, np.eye(2)[[1, 1]], np.array([0, 1]))
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[0, 1], [0, 1]])
    # One sigmoid output and 0/1 targets in one column: class 1 where the output is above 0.5.
    binary = classifierOf([[1.0, 0.0]], [0.0])
    figure = imageplots.plotConfusion(binary, np.array([[0.9, 0], [0.2, 0], [0.7, 0]]), np.array([[1.0], [1.0], [0.0]]))
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="class indices from 0, got -1"):
        imageplots.plotConfusion(model, np.eye(2), np.array([0, -1]))
    with pytest.raises(ValueError, match="x has 2 samples but y has 3"):
        imageplots.plotConfusion(model, np.eye(2), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="3 classNames for a model with 2 outputs"):
        imageplots.plotConfusion(model, np.eye(2), np.eye(2), classNames="abc")


def test_mistakes_show_the_wrong_images_surest_first_with_true_and_predicted_label():
    model = classifierOf(np.eye(4), np.zeros(4))
    # Softmax-free model: the "probability" shown is the output itself; rows sum to 1 here anyway.
    x = np.array([[0.7, 0.1, 0.1, 0.1],    # predicted 0, true 0: right
                  [0.1, 0.6, 0.2, 0.1],    # predicted 1, true 3: wrong, 60%
                  [0.05, 0.05, 0.9, 0.0],  # predicted 2, true 1: wrong, 90%
                  [0.0, 0.0, 0.2, 0.8]])   # predicted 3, true 3: right
    y = np.eye(4)[[0, 3, 1, 3]]
    figure = imageplots.plotMistakes(model, x, y)
    assert [ax.get_title() for ax in figure.axes] == ["true 1\npred 2 (90%)", "true 3\npred 1 (60%)"]
    assert figure._suptitle.get_text() == "2 of 2 mistakes on 4 samples, surest first"
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), x[2].reshape(2, 2))
    assert len(imageplots.plotMistakes(model, x, y, count=1).axes) == 1
    # 0.996 is not a certainty: rounded down, never shown as 100%.
    sure = np.array([[0.004, 0.996, 0.0, 0.0]])
    assert imageplots.plotMistakes(model, sure, np.eye(4)[[0]]).axes[0].get_title() == "true 0\npred 1 (99%)"


def test_no_mistakes_is_said_not_drawn_as_an_empty_grid():
    model = classifierOf(np.eye(2), np.zeros(2))
    figure = imageplots.plotMistakes(model, np.eye(2), np.eye(2))
    assert [text.get_text() for text in figure.axes[0].texts] == ["no mistakes on 2 samples"]
    with pytest.raises(ValueError, match="count must be a positive integer"):
        imageplots.plotMistakes(model, np.eye(2), np.eye(2), count=0)


def test_decision_boundary_shows_the_predicted_class_over_a_grid_and_the_points_by_class():
    # Class = arg-max of (x0, x1, 0.5): the plane splits along x0 = x1 and the 0.5 corner.
    model = classifierOf([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [0.0, 0.0, 0.5])
    x = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, 1.0], [1.0, 2.0], [0.0, 0.0]])
    y = np.eye(3)[[0, 0, 1, 1, 2]]
    ax = imageplots.plotDecisionBoundary(model, x, y, resolution=50).axes[0]
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
    ax = imageplots.plotDecisionBoundary(model, x, np.array([0, 1]), resolution=11, title="epoch 3").axes[0]
    assert ax.get_title() == "epoch 3"
    left, right, _, _ = ax.images[0].get_extent()
    np.testing.assert_array_equal(ax.images[0].get_array()[0], (np.linspace(left, right, 11) - 0.5 > 0.5))
    with pytest.raises(ValueError, match=r"x must be \(n, 2\)"):
        imageplots.plotDecisionBoundary(model, np.zeros((3, 3)), np.array([0, 1, 1]))
