"""explain: one training step in the chapter's notation, every number checked against the model's own."""

import copy
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autoencoder import Autoencoder
from conftest import ROOT
from explain import explain, plotBackprop
from layers import Dense
from loss import CrossEntropy, MSE
from nn import MLP
from optimizer import SGD, Adam

X = [0.5, -1.0, 2.0]     # the hand-picked input of the chapter's Figure 1 network
Y = [1.0, 0.0]
ACTIVATIONS = {"Identity": Identity, "Sigmoid": Sigmoid, "Tanh": Tanh, "ReLU": ReLU,
               "LeakyReLU": lambda: LeakyReLU(epsilon=0.1), "Softmax": Softmax}


def figureOne(hidden=None, output=None, optimizer=None, dtype=np.float64):
    """The chapter's Figure 1 network, 3-4-2, with fixed seeds (Sigmoid and Adam by default, as in the chapter)."""
    network = MLP(dtype=dtype)
    network.addLayer(Dense(inputDim=3, outputDim=4, activation=hidden, optimizer=optimizer, seed=0))
    network.addLayer(Dense(inputDim=4, outputDim=2, activation=output, optimizer=optimizer, seed=1))
    return network


def assertClose(actual, expected, where, tolerance=1e-12):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected))))
    difference = float(np.max(np.abs(actual - expected)))
    assert difference <= tolerance * scale, f"{where}: differs by {difference:.3e}"


def modelStep(model, x, y, loss):
    """The model's own forward, backward and update, on a copy: (dW, db, W, b) per layer."""
    model = copy.deepcopy(model)
    output = model.forward(x)
    model.backward(loss.gradient(output, y))
    gradients = [(layer.dW.copy(), layer.db.copy()) for layer in model.layers]
    model.update()
    return [(dW, db, layer.W.copy(), layer.b.copy()) for (dW, db), layer in zip(gradients, model.layers)]


def snapshot(model):
    """Everything explain must leave alone, as copies: parameters, gradients, state, flags, kept values."""
    layers = model.layers if isinstance(model, MLP) else model.encoder.layers + model.decoder.layers
    return [{"W": layer.W.copy(), "b": layer.b.copy(), "dW": layer.dW.copy(), "db": layer.db.copy(),
             "state": copy.deepcopy(layer.optimizerState), "trainable": layer.trainable,
             "x": None if layer.x is None else np.array(layer.x, copy=True),
             "a": None if layer.a is None else np.array(layer.a, copy=True),
             "ids": (id(layer.W), id(layer.b), id(layer.dW), id(layer.db), id(layer.optimizer), id(layer.activation))}
            for layer in layers]


def assertSameBits(before, after, sameObjects=True):
    assert len(before) == len(after)
    for index, (old, new) in enumerate(zip(before, after)):
        if sameObjects:
            assert old["ids"] == new["ids"], f"layer {index}: an array or object was replaced"
        assert old["trainable"] == new["trainable"]
        for key in ("W", "b", "dW", "db", "x", "a"):
            if old[key] is None:
                assert new[key] is None, f"layer {index} {key}"
            else:
                assert old[key].dtype == new[key].dtype and old[key].tobytes() == new[key].tobytes(), \
                    f"layer {index} {key} changed"
        assert old["state"].keys() == new["state"].keys()
        for name in old["state"]:
            assert old["state"][name].keys() == new["state"][name].keys()
            for key, value in old["state"][name].items():
                other = new["state"][name][key]
                assert np.asarray(value).tobytes() == np.asarray(other).tobytes(), f"layer {index} state {name} {key}"


class Swish(Activation):
    """``z sigmoid(z)``, a user's own activation; ``right`` chooses a correct or a wrong backward."""

    def __init__(self, right=True):
        self.right = right

    def forward(self, z):
        self.z = z                               # kept for backward, as a learner would
        return z / (1 + np.exp(-z))

    def backward(self, a, gradient):
        s = 1 / (1 + np.exp(-self.z))
        if self.right:
            return gradient * (s + self.z * s * (1 - s))
        return gradient * s                      # forgot the product rule


class SloppySigmoid(Sigmoid):
    """The chapter's Sigmoid with a wrong derivative: a (1 + a) instead of a (1 - a)."""

    def backward(self, a, gradient):
        return gradient * a * (1 + a)


# ------------------------------------------------------------ by hand
def test_figure_one_step_computed_by_hand_matches_the_explanation():
    """Forward, loss, backward and one Adam step of the 3-4-2 network written out in scalars, with Python's math."""
    network = figureOne()
    W1, b1 = network.layers[0].W.tolist(), network.layers[0].b.tolist()
    W2, b2 = network.layers[1].W.tolist(), network.layers[1].b.tolist()

    def sigmoid(value):
        return 1 / (1 + math.exp(-value))
    z1 = [sum(W1[j][i] * X[i] for i in range(3)) + b1[j] for j in range(4)]
    a1 = [sigmoid(value) for value in z1]
    z2 = [sum(W2[j][i] * a1[i] for i in range(4)) + b2[j] for j in range(2)]
    a2 = [sigmoid(value) for value in z2]
    loss = -sum(Y[j] * math.log(a2[j]) + (1 - Y[j]) * math.log(1 - a2[j]) for j in range(2))
    dLda2 = [-Y[j] / a2[j] + (1 - Y[j]) / (1 - a2[j]) for j in range(2)]
    delta2 = [a2[j] * (1 - a2[j]) * dLda2[j] for j in range(2)]
    dW2 = [[delta2[j] * a1[i] for i in range(4)] for j in range(2)]
    dLda1 = [sum(W2[j][i] * delta2[j] for j in range(2)) for i in range(4)]
    delta1 = [a1[i] * (1 - a1[i]) * dLda1[i] for i in range(4)]
    dW1 = [[delta1[j] * X[i] for i in range(3)] for j in range(4)]

    def adam(theta, g):   # the first step of Algorithm 1, alpha = 0.001, beta_1 = 0.9, beta_2 = 0.999
        m, v = 0.1 * g, 0.001 * g * g
        mHat, vHat = m / (1 - 0.9), v / (1 - 0.999)
        return m, v, theta - 0.001 * mHat / (math.sqrt(vHat) + 1e-8)

    explanation = explain(network, X, Y, CrossEntropy())
    assert explanation.passed, explanation.message()
    for key, expected in [("z^1", [z1]), ("a^1", [a1]), ("z^2", [z2]), ("a^2", [a2]), ("L", loss),
                          ("dL/da^2", [dLda2]), ("delta^2", [delta2]), ("dL/dW^2", dW2), ("dL/db^2", delta2),
                          ("dL/da^1", [dLda1]), ("delta^1", [delta1]), ("dL/dW^1", dW1), ("dL/db^1", delta1)]:
        assertClose(explanation[key].value, expected, key)
    for name, theta, gradient in [("W^1", W1, dW1), ("b^1", b1, delta1), ("W^2", W2, dW2), ("b^2", b2, delta2)]:
        steps = np.vectorize(adam)(np.array(theta), np.array(gradient))
        assert explanation[f"t[{name}]"].value == 1
        assertClose(explanation[f"m[{name}]"].value, steps[0], f"m of {name}")
        assertClose(explanation[f"v[{name}]"].value, steps[1], f"v of {name}")
        assertClose(explanation[f"new {name}"].value, steps[2], f"new {name}")


# ------------------------------------------- against the model, to 1e-12
@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("output, loss", [(name, MSE) for name in ACTIVATIONS]
                         + [("Sigmoid", CrossEntropy), ("Softmax", CrossEntropy)])
def test_agrees_with_the_models_gradients_and_update_in_float64(hidden, output, loss):
    rng = np.random.default_rng(7)
    network = figureOne(ACTIVATIONS[hidden](), ACTIVATIONS[output]())
    x = rng.normal(size=(5, 3))
    y = np.eye(2)[[0, 1, 1, 0, 1]]
    explanation = explain(network, x, y, loss())
    assert explanation.passed, explanation.message()
    for index, (dW, db, W, b) in enumerate(modelStep(network, x, y, loss()), start=1):
        assertClose(explanation[f"dL/dW^{index}"].value, dW, f"dL/dW^{index}")
        assertClose(explanation[f"dL/db^{index}"].value, db, f"dL/db^{index}")
        assertClose(explanation[f"new W^{index}"].value, W, f"new W^{index}")
        assertClose(explanation[f"new b^{index}"].value, b, f"new b^{index}")


@pytest.mark.parametrize("optimizer", [SGD(learningRate=0.1), SGD(learningRate=0.1, momentum=0.9),
                                       Adam(learningRate=0.01)], ids=repr)
def test_agrees_on_a_later_step_with_state_from_the_steps_before(optimizer):
    rng = np.random.default_rng(3)
    network = figureOne(Tanh(), Sigmoid(), optimizer=optimizer)
    for _ in range(3):   # three steps of training first: velocity, moments and t are not zero any more
        x, y = rng.normal(size=(4, 3)), rng.random((4, 2))
        network.backward(MSE().gradient(network.forward(x), y))
        network.update()
    x, y = rng.normal(size=(4, 3)), rng.random((4, 2))
    explanation = explain(network, x, y, MSE())
    assert explanation.passed, explanation.message()
    for index, (dW, db, W, b) in enumerate(modelStep(network, x, y, MSE()), start=1):
        assertClose(explanation[f"new W^{index}"].value, W, f"new W^{index}")
        assertClose(explanation[f"new b^{index}"].value, b, f"new b^{index}")
    text = str(explanation)
    if isinstance(optimizer, Adam):
        assert explanation["t[W^1]"].value == 4 and "t = 3 + 1" in text
        assert "m before" in text and "v before" in text
    elif optimizer.momentum:
        assert "v = μ v + g" in text and "v before" in text
    else:
        assert "W^1 new = W^1 - η g" in text and "velocity" not in " ".join(line.key for line in explanation.lines)


def test_the_chapters_classifier_in_float32_agrees_at_the_default_tolerance():
    """No line is flagged for float32 rounding: the check is at each line's own inputs."""
    rng = np.random.default_rng(0)
    shared = Adam(learningRate=0.001)
    classifier = MLP()
    for inputDim, outputDim, activation, seed in [(784, 100, ReLU(), 1), (100, 50, ReLU(), 2), (50, 10, Softmax(), 3)]:
        classifier.addLayer(Dense(inputDim, outputDim, activation=activation, optimizer=shared, seed=seed))
    x, y = rng.random((20, 784)), np.eye(10)[rng.integers(0, 10, 20)]
    explanation = explain(classifier, x, y, CrossEntropy())
    assert explanation.passed, explanation.message()
    assert explanation.tolerance == pytest.approx(np.sqrt(np.finfo(np.float32).eps))


def test_saturated_softmax_outputs_raise_no_false_alarm():
    """Outputs near 0 and 1 make dL/dp large and ill-conditioned; each line is still checked at its own inputs."""
    network = figureOne(Tanh(), Softmax())
    network.layers[1].W *= 40
    explanation = explain(network, [[0.5, -1.0, 2.0], [-2.0, 1.0, 0.5]], [[0.0, 1.0], [1.0, 0.0]], CrossEntropy())
    assert explanation.passed, explanation.message()
    assert np.min(explanation["a^2"].value) < 1e-6


# ----------------------------------------------- flags where numbers part
def test_a_users_activation_with_a_wrong_backward_is_flagged_on_its_line():
    network = figureOne(Swish(right=False), Sigmoid())
    explanation = explain(network, X, Y, CrossEntropy())
    assert not explanation.passed
    assert [line.key for line in explanation.differences] == ["delta^1"]
    assert explanation["delta^1"].culprit == "Swish.backward"
    assert "Swish.backward" in explanation.message() and "central differences of Swish.forward" in explanation.message()
    # Everything before it agrees; what is computed from the wrong δ differs only as a consequence.
    assert all(explanation[key].status == "agrees" for key in ("a^1", "a^2", "L", "dL/da^2", "delta^2", "dL/da^1"))
    assert explanation["dL/dW^1"].status == "follows" and explanation["new W^1"].status == "follows"
    text = str(explanation)
    flagged = [line for line in text.splitlines() if line.startswith("✗")]
    assert len(flagged) == 1 and flagged[0].startswith("✗  δ^1 = σ'(z^1) ⊙ dL/da^1")
    assert "the model has" in text and "Look at Swish.backward" in text
    assert "Look at Swish.backward" in explanation.toMarkdown() and "Look at Swish.backward" in explanation.toLatex()


def test_a_users_correct_activation_agrees_with_central_differences():
    network = figureOne(Swish(right=True), Sigmoid())
    explanation = explain(network, X, Y, CrossEntropy())
    assert explanation.passed, explanation.message()
    assert explanation["delta^1"].status == "agrees"
    assert "measured by central differences of Swish.forward" in str(explanation)


def test_a_chapter_activation_with_its_own_wrong_derivative_is_checked_against_the_chapters():
    network = figureOne(Sigmoid(), SloppySigmoid())
    explanation = explain(network, X, Y, MSE())
    assert [line.key for line in explanation.differences] == ["delta^2"]
    assert "SloppySigmoid.backward" in explanation.message()
    assert explanation["delta^1"].status == "follows"


# ------------------------------------------------------------- Softmax
def test_softmax_with_the_chapters_cross_entropy_uses_the_jacobian_not_p_minus_y():
    network = figureOne(Sigmoid(), Softmax())
    explanation = explain(network, X, Y, CrossEntropy())
    assert explanation.passed, explanation.message()
    p, y = explanation["a^2"].value[0], np.array(Y)
    gradient = (1 - y) / (1 - p) - y / p                        # the chapter's loss, differentiated in p
    jacobian = np.diag(p) - np.outer(p, p)
    assertClose(explanation["J^2"].value[0], jacobian, "J^2")
    assertClose(explanation["delta^2"].value[0], jacobian.T @ gradient, "delta^2")
    assert np.max(np.abs(explanation["delta^2"].value[0] - (p - y))) > 0.1   # not the familiar p - y
    assertClose(explanation["(p-y)/n"].value[0], p - y, "(p - y)/n")
    text = str(explanation)
    assert "J^2 = diag(a^2) - a^2 (a^2)ᵀ" in text and "δ^2 = (J^2)ᵀ dL/da^2" in text
    assert "This is not p - y" in text and "(1 - y) ln(1 - p)" in text
    assert r"\operatorname{diag}(a^{2})" in explanation.toMarkdown()


# -------------------------------------------------------------- safety
def trainedOnce(model, rng, loss=MSE()):
    x = rng.normal(size=(4, model.inputDim))
    output = model.forward(x)
    model.backward(loss.gradient(output, np.zeros_like(output) + 0.5))
    model.update()


@pytest.mark.parametrize("optimizer", [Adam(), SGD(learningRate=0.1, momentum=0.9)], ids=repr)
def test_the_model_is_unchanged_bit_for_bit(optimizer):
    rng = np.random.default_rng(1)
    swish = Swish()
    network = figureOne(swish, Softmax(), optimizer=optimizer)
    trainedOnce(network, rng)
    network.layers[0].trainable = False
    before, keptZ = snapshot(network), swish.z.copy()
    explanation = explain(network, rng.normal(size=(3, 3)), np.eye(2)[[0, 1, 0]], CrossEntropy())
    assertSameBits(before, snapshot(network))
    assert swish.z.tobytes() == keptZ.tobytes()            # the user's activation keeps what it kept
    assert explanation["new W^1"].status == "agrees"       # the frozen layer takes no step
    assertClose(explanation["new W^1"].value, before[0]["W"], "frozen W^1")
    assert "frozen (trainable=False): no step" in str(explanation)


def test_apply_takes_the_step_the_model_would_take():
    rng = np.random.default_rng(2)
    network = figureOne(ReLU(), Sigmoid())
    trainedOnce(network, rng)
    twin = copy.deepcopy(network)
    x, y = rng.normal(size=(3, 3)), rng.random((3, 2))
    explanation = explain(network, x, y, MSE(), apply=True)
    twin.backward(MSE().gradient(twin.forward(x), y))
    twin.update()
    assertSameBits(snapshot(twin), snapshot(network), sameObjects=False)
    assertClose(network.layers[1].W, explanation["new W^2"].value, "applied W^2")


# ------------------------------------------------------------ rendering
def test_print_aligns_rounds_and_labels_rows_and_columns():
    text = str(explain(figureOne(), X, Y, CrossEntropy()))
    lines = text.splitlines()
    assert lines[0] == "One training step of MLP 3-4-2 (float64) on 1 sample, loss CrossEntropy()"
    assert "✓  a^1 = σ(z^1)" in text and "✓  dL/dW^2 = δ^2 (a^1)ᵀ" in text
    assert lines[-1] == "All 27 checked values agree with the model."
    starts = {line.index("[") for line in lines if re.match(r"^[✓ ]  (a\^\d|z\^\d|b\^\d|a\^0 = x)", line)}
    assert len(starts) == 1, "the vectors of the forward pass start in one column"
    header = next(line for line in lines if line.startswith("   W^1 "))
    assert header.split()[1:] == ["0", "1", "2"]                        # columns of W^1 (3 inputs)
    rows = lines[lines.index(header) + 1: lines.index(header) + 5]
    assert [row.split()[0] for row in rows] == ["0", "1", "2", "3"]   # its 4 rows
    assert all(re.fullmatch(r"-?\d\.\d{4}", entry) for row in rows for entry in row.split()[1:])
    assert re.search(r"-\[1 ln 0\.\d{4} \+ 0 ln 0\.\d{4} \+ 0 ln 0\.\d{4} \+ 1 ln 0\.\d{4}\] = \d\.\d{4}", text)
    assert "eps = 2.22e-16, the machine epsilon of float64" in text
    short = explain(figureOne(), X, Y, CrossEntropy(), digits=2).text()
    assert re.search(r"a\^1 = σ\(z\^1\) +\[ 0\.\d\d  0\.\d\d  0\.\d\d  0\.\d\d \]", short)


def test_markdown_and_latex_carry_the_chapters_notation():
    explanation = explain(figureOne(), X, Y, CrossEntropy())
    markdown = explanation._repr_markdown_()
    assert markdown == explanation.toMarkdown()
    assert r"z^{1} = W^{1} a^{0} + b^{1} = \begin{bmatrix}" in markdown
    assert r"\frac{\partial L}{\partial W^{2}} = \delta^{2} (a^{1})^\top" in markdown
    assert markdown.count("$") % 2 == 0
    latex = explanation.toLatex()
    assert latex.count(r"\begin{align*}") == latex.count(r"\end{align*}") > 3
    assert r"\checkmark" in latex and r"\hat m" in latex and "amsmath" in latex


class RenamedMSE(MSE):
    """The chapter's MSE under another name: it computes the same, so it is explained as MSE."""


def test_the_loss_formula_is_filled_in_with_the_numbers_of_the_loss_it_computes():
    mse = str(explain(figureOne(), X, Y, RenamedMSE()))
    assert re.search(r"L = RenamedMSE\(a\^2, y\) +1/2 \[\(0\.\d{4} - 1\)² \+ \(0\.\d{4} - 0\)²\] = 0\.\d{4}", mse)
    assert "MSE = 1/(2n) Σ_k ||a^2_k - y_k||²" in mse and "machine epsilon" not in mse
    batch = str(explain(figureOne(), [X, X], [Y, [0.0, 1.0]], CrossEntropy(), sample=1))
    assert re.search(r"1/2 Σ_k L_k = \d\.\d{4};  sample 1: L_1 = -\[0 ln 0\.\d{4} \+ 1 ln 0\.\d{4} \+ 1 ln", batch)


def test_a_large_layer_is_summarised_unless_full():
    rng = np.random.default_rng(0)
    network = MLP(dtype=np.float64)
    network.addLayer(Dense(784, 100, activation=ReLU(), seed=1))
    network.addLayer(Dense(100, 10, activation=Softmax(), seed=2))
    x, y = rng.random((2, 784)), np.eye(10)[[3, 7]]
    explanation = explain(network, x, y, CrossEntropy())
    W = explanation["W^1"].value
    text = str(explanation)
    norm = f"{np.linalg.norm(W):.4f}"
    assert f"100 × 784, norm {norm}" in text and "top-left corner" in text
    assert len(text.splitlines()) < 400 and max(len(line) for line in text.splitlines()) < 300
    full = explanation.text(full=True)
    assert f"{W[99, 783]:.4f}" in full and len(full.splitlines()) > len(text.splitlines()) + 500
    assert r"\cdots" in explanation.toMarkdown() and r"\cdots" not in explanation.toMarkdown(full=True)


def test_a_batch_shows_one_sample_and_sums_the_gradients():
    rng = np.random.default_rng(5)
    network = figureOne(Tanh(), Sigmoid())
    x, y = rng.normal(size=(4, 3)), rng.random((4, 2))
    explanation = explain(network, x, y, MSE(), sample=2)
    assertClose(explanation["a^0"].value, x, "a^0")
    assertClose(explanation["dL/dW^1"].value, explanation["delta^1"].value.T @ x, "sum over the batch")
    text = str(explanation)
    assert "sample 2 of 0 to 3" in text and "1/4 Σ_k L_k" in text
    shown = re.search(r"a\^0 = x +(\[.*\])", text).group(1)
    assert shown == re.search(r"a\^0 = x +(\[.*\])", explanation.text(sample=2)).group(1)
    assert shown != re.search(r"a\^0 = x +(\[.*\])", explanation.text(sample=0)).group(1)
    assert f"{x[2, 0]:.4f}" in shown


def test_an_autoencoder_is_explained_towards_its_own_input():
    rng = np.random.default_rng(4)
    encoder, decoder = MLP(dtype=np.float64), MLP(dtype=np.float64)
    encoder.addLayer(Dense(4, 2, activation=ReLU(), seed=0))
    decoder.addLayer(Dense(2, 4, activation=Sigmoid(), seed=1))
    autoencoder = Autoencoder(encoder, decoder)
    x = rng.random((3, 4))
    before = snapshot(autoencoder)
    explanation = explain(autoencoder, x, None, MSE())
    assertSameBits(before, snapshot(autoencoder))
    assert explanation.passed, explanation.message()
    twin = copy.deepcopy(autoencoder)
    twin.backward(MSE().gradient(twin.forward(x), x))
    assertClose(explanation["dL/dW^1"].value, twin.encoder.layers[0].dW, "encoder dW")
    assertClose(explanation["dL/dW^2"].value, twin.decoder.layers[0].dW, "decoder dW")
    assert "Layer 1 (encoder)" in str(explanation) and "y = x" in str(explanation)


@pytest.mark.parametrize("call, error, message", [
    (lambda: explain("model", X, Y, MSE()), TypeError, "expected an MLP or an Autoencoder, got str"),
    (lambda: explain(MLP(), X, Y, MSE()), ValueError, "no layers yet"),
    (lambda: explain(figureOne(), X, Y, "MSE"), TypeError, "loss must be a Loss"),
    (lambda: explain(figureOne(), [1.0, 2.0], Y, MSE()), ValueError, "x has shape (2,); expected (3,)"),
    (lambda: explain(figureOne(), X, [1.0, 0.0, 0.0], MSE()), ValueError, "y has shape (3,) but"),
    (lambda: explain(figureOne(), X, None, MSE()), ValueError, "only an Autoencoder may leave it out"),
    (lambda: explain(figureOne(), [X, X], [Y, Y], MSE(), sample=2), ValueError,
     "sample=2 is outside the batch of 2"),
    (lambda: explain(figureOne(), X, Y, MSE(), sample=1.0), TypeError, "sample must be an int"),
    (lambda: explain(figureOne(), X, Y, MSE(), tolerance=0), ValueError, "tolerance must be a positive number"),
    (lambda: explain(figureOne(), X, Y, MSE(), tolerance=True), ValueError, "tolerance must be a positive number"),
    (lambda: explain(figureOne(), X, Y, MSE()).text(sample=1), ValueError, "outside the batch of 1 sample"),
])
def test_bad_arguments_are_refused_with_a_message_naming_them(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# -------------------------------------------------------------- picture
def test_plot_backprop_draws_figure_one_with_activations_and_gradients(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle

    explanation = explain(figureOne(), X, Y, CrossEntropy())
    figure = plotBackprop(explanation, save=tmp_path / "backprop.png")
    assert (tmp_path / "backprop.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = figure.axes[0]
    assert len([patch for patch in ax.patches if isinstance(patch, Circle)]) == 3 + 4 + 2
    connections = [collection for collection in ax.collections if isinstance(collection, LineCollection)]
    assert [len(collection.get_segments()) for collection in connections] == [12, 8]
    for l, collection in enumerate(connections, start=1):
        gradient = explanation[f"dL/dW^{l}"].value
        assertClose(collection.get_array(), gradient.ravel() / np.max(np.abs(gradient)), f"colours of layer {l}")
        widths = collection.get_linewidths()
        assert widths[np.argmax(np.abs(gradient.ravel()))] == max(widths)
    texts = [text.get_text() for text in ax.texts]
    assert f"{explanation['a^1'].value[0, 1]:.2f}" in texts                    # an activation in its neuron
    assert f"{explanation['dL/dW^2'].value[1, 2]:.3f}" in texts                # a gradient on its connection
    assert "loss 1.2764" in ax.get_title()
    with pytest.raises(TypeError, match="expected an Explanation"):
        plotBackprop(figureOne())


def test_without_matplotlib_explain_works_and_the_picture_names_the_install_command():
    code = ("import sys\n"
            "sys.modules['matplotlib'] = None\n"
            "from nn import MLP\n"
            "from layers import Dense\n"
            "from loss import MSE\n"
            "from explain import explain, plotBackprop\n"
            "model = MLP()\n"
            "model.addLayer(Dense(3, 2, seed=0))\n"
            "explanation = explain(model, [1.0, 2.0, 3.0], [0.0, 1.0], MSE())\n"
            "print(explanation.passed)\n"
            "try:\n"
            "    plotBackprop(explanation)\n"
            "except ImportError as error:\n"
            "    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "True"
    assert 'pip install "deepbasics[plot]"' in result.stdout
