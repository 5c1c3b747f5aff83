
import numpy as np
import pytest

from activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from gradcheck import gradcheck, numericalGradient, relativeError
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import Adam


class Swish(Activation):
    """``f(z) = z sigmoid(z)``, written as a learner would: it keeps ``z`` for backward."""

    def forward(self, z):
        self.z = z
        return z / (1 + np.exp(-z))

    def backward(self, a, gradient):
        s = 1 / (1 + np.exp(-self.z))
        return gradient * (s + self.z * s * (1 - s))


class WrongSwish(Swish):
    """The common slip: the derivative of ``sigmoid(z)`` alone, forgetting the product rule."""

    def backward(self, a, gradient):
        return gradient / (1 + np.exp(-self.z))


class MSEWithoutMean(MSE):
    """A gradient that forgot the ``1/n`` of the mean over the batch."""

    def gradient(self, yPred, yTrue):
        return np.asarray(yPred) - np.asarray(yTrue)


class DenseWithoutBiasSum(Dense):
    """A layer whose ``db`` keeps only the first sample's share."""

    def backward(self, gradient, inputGradient=True):
        dx = super().backward(gradient, inputGradient)
        self.db[...] = self.activation.backward(self.a, gradient)[0]
        return dx


def classifier(activation=ReLU, seed=0):
    """The chapter's classifier, shrunk (784-100-50-10 becomes 12-8-6-4) so that every entry is checked quickly."""
    model = MLP()
    optimizer = Adam(learningRate=0.001)
    model.addLayer(Dense(inputDim=12, outputDim=8, activation=activation(), optimizer=optimizer, seed=seed))
    model.addLayer(Dense(inputDim=8, outputDim=6, activation=activation(), optimizer=optimizer, seed=seed + 1))
    model.addLayer(Dense(inputDim=6, outputDim=4, activation=Softmax(), optimizer=optimizer, seed=seed + 2))
    return model


# ------------------------------------------------------------ arithmetic
def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    gradient = numericalGradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(gradient, 3 * x ** 2, rtol=1e-9)
    np.testing.assert_array_equal(x, [[0.5, -1.0], [2.0, 3.0]])   # restored


def test_numerical_gradient_reaches_a_non_contiguous_view():
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]
    gradient = numericalGradient(lambda: float(np.sum(base ** 2)), view)
    np.testing.assert_allclose(gradient, 2 * view, rtol=1e-9)


def test_relative_error_is_relative_above_the_floor_and_absolute_below():
    assert relativeError([100.0, 0.0], [101.0, 0.0]) == pytest.approx(1 / 101)
    assert relativeError([1e-9], [2e-9]) == pytest.approx(1e-9 / 1e-4)


# ------------------------------------------------------------ activations
@pytest.mark.parametrize("activation", [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softmax(), Swish()],
                         ids=repr)
def test_correct_activations_pass(activation):
    report = gradcheck(activation)
    assert report.passed and bool(report)
    assert report.worstError < 1e-8
    assert report.checks[0].entries == 20


def test_a_wrong_swish_fails_with_a_message_pointing_at_its_backward():
    report = gradcheck(WrongSwish())
    assert not report.passed and not bool(report)
    check = report.failures[0]
    assert check.name == "WrongSwish().backward" and check.error > 1e-2
    assert "WrongSwish.backward: its derivative does not match its forward" in report.message()
    text = str(report)
    assert "FAIL" in text and "FAILED (1 of 1)" in text
    with pytest.raises(AssertionError, match=r"WrongSwish\.backward: its derivative does not match"):
        report.raiseIfFailed()


def test_the_activation_check_uses_the_given_inputs_unchanged():
    z = np.array([[0.3, -0.7, 1.5]])
    report = gradcheck(Tanh(), x=z)
    assert report.checks[0].shape == (1, 3)
    np.testing.assert_array_equal(z, [[0.3, -0.7, 1.5]])


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("loss", [MSE(), CrossEntropy()], ids=repr)
def test_correct_losses_pass(loss):
    assert gradcheck(loss).passed


def test_a_loss_gradient_without_the_mean_fails_by_name():
    report = gradcheck(MSEWithoutMean(), x=np.full((5, 2), 0.3), y=np.zeros((5, 2)))
    assert not report.passed
    assert "MSEWithoutMean.gradient: it is not the derivative of MSEWithoutMean()" in report.message()
    # Off by exactly the batch size: the numbers say so too.
    check = report.failures[0]
    assert check.analytic == pytest.approx(5 * check.numeric, rel=1e-8)


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("activation", [Sigmoid(), ReLU(), Softmax(), Swish()], ids=repr)
def test_a_correct_dense_passes_for_W_b_and_its_input(activation):
    report = gradcheck(Dense(5, 3, activation=activation, seed=0))
    assert report.passed, str(report)
    assert [check.name for check in report.checks[:3]] == ["W", "b", "x (input)"]
    assert report["W"].shape == (3, 5) and report["b"].shape == (3,) and report["x (input)"].shape == (4, 5)


def test_a_layer_with_a_wrong_bias_gradient_fails_on_b_only_and_blames_the_users_class():
    report = gradcheck(DenseWithoutBiasSum(5, 3, activation=Tanh(), seed=0))
    assert [check.name for check in report.failures] == ["b"]
    assert "Look at DenseWithoutBiasSum.backward (dW = delta^T x" in report.message()
    assert " Dense.backward" not in report.message()        # the library's code is not the one at fault


def test_a_layer_that_changes_only_forward_names_that_forward_and_the_librarys_backward():
    class DoubledDense(Dense):
        """Twice the output, with the library's backward (which does not know about the 2)."""

        def forward(self, x):
            return 2 * super().forward(x)

    report = gradcheck(DoubledDense(5, 3, activation=Tanh(), seed=0))
    assert {"W", "b", "x (input)"} <= {check.name for check in report.failures}
    assert "Look at DoubledDense.forward and Dense.backward (dW" in report.message()


def test_a_network_of_a_users_layers_names_their_backward():
    model = MLP(dtype=np.float64)
    model.addLayer(DenseWithoutBiasSum(5, 4, activation=Tanh(), seed=0))
    model.addLayer(Dense(4, 2, activation=Sigmoid(), seed=1))
    report = gradcheck(model)
    assert "layer 0 b" in [check.name for check in report.failures]
    assert ("Look at MLP.backward and the backward of every layer below the output "
            "(DenseWithoutBiasSum.backward, Dense.backward), or a check below that fails.") in report.message()


def test_a_dense_with_the_wrong_swish_points_at_the_activation():
    report = gradcheck(Dense(5, 3, activation=WrongSwish(), seed=0))
    names = [check.name for check in report.failures]
    assert "WrongSwish().backward" in names and "W" in names


# --------------------------------------------------------------- networks
def test_the_chapter_classifier_passes_on_every_entry():
    model = classifier()
    report = gradcheck(model, loss=CrossEntropy(), entries=None)
    assert report.passed, str(report)
    assert report.dtype == np.float64
    assert [(check.name, check.entries) for check in report.checks[:7]] == [
        ("layer 0 W", 96), ("layer 0 b", 8), ("layer 1 W", 48), ("layer 1 b", 6),
        ("layer 2 W", 24), ("layer 2 b", 4), ("x (input)", 48)]
    assert {"ReLU().backward", "Softmax().backward", "CrossEntropy().gradient"} <= {c.name for c in report.checks}


def test_a_frozen_model_is_checked_as_if_thawed_and_stays_frozen():
    model = classifier()
    model.trainable = False
    assert gradcheck(model, loss=CrossEntropy()).passed
    assert model.trainable is False


def test_gradcheck_leaves_the_model_as_it_was():
    model = classifier()
    before = [array.copy() for array in model.getWeights()]
    x = np.random.default_rng(0).normal(size=(3, 12)).astype(np.float32)
    prediction = model.predict(x)
    gradcheck(model, x=x, loss=CrossEntropy())
    assert model.dtype == np.float32 and all(layer.W.dtype == np.float32 for layer in model.layers)
    for old, new in zip(before, model.getWeights()):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(model.predict(x), prediction)


def test_a_network_with_the_wrong_swish_fails_and_names_it():
    report = gradcheck(classifier(activation=WrongSwish), loss=CrossEntropy())
    failed = [check.name for check in report.failures]
    assert "WrongSwish().backward" in failed
    assert "layer 0 W" in failed        # the wrong derivative spoils every gradient below it
    assert "layer 2 W" not in failed    # above it, the output layer is still right
    assert "WrongSwish.backward: its derivative does not match its forward" in report.message()
    assert "kink" not in report.message()      # no ReLU here


def test_a_relu_network_that_fails_mentions_the_kink():
    model = classifier()
    x = np.random.default_rng(0).normal(size=(4, 12))
    first = model.layers[0]
    # Put one hidden unit's input exactly at 0 for sample 0: its nudges cross the kink.
    first.b[0] = -(x[0] @ first.W[0].astype(np.float64))
    report = gradcheck(model, x=x, loss=CrossEntropy(), entries=None)
    assert not report.passed and "ReLU has a kink at 0" in report.message()
    assert "layer 0 W" in [check.name for check in report.failures]


def test_entries_limits_how_many_are_nudged_and_the_seed_picks_them():
    model = classifier()
    report = gradcheck(model, entries=10, seed=3)
    assert report["layer 0 W"].entries == 10 and report["layer 0 b"].entries == 8
    assert report.passed


def test_float32_is_too_coarse_for_finite_differences():
    """Why the check runs in float64: the same correct Tanh fails in float32."""
    assert gradcheck(Tanh(), dtype=np.float64).worstError < 1e-9
    assert gradcheck(Tanh(), dtype=np.float32).worstError > 1e-4


def test_verbose_prints_the_table(capsys):
    gradcheck(Sigmoid(), verbose=True)
    out = capsys.readouterr().out
    assert "gradcheck of Sigmoid() in float64 (tolerance 1e-06): passed" in out
    assert "Sigmoid().backward" in out and "relative error" in out


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("arguments, error, message", [
    (dict(target="relu"), TypeError, "expected an MLP, a Dense, an Activation or a Loss, got str 'relu'"),
    (dict(target=Tanh(), tolerance=0), ValueError, r"tolerance must be in \(0, inf\), got 0.0"),
    (dict(target=Tanh(), tolerance="1e-6"), TypeError, "tolerance must be a number, got str '1e-6'"),
    (dict(target=Tanh(), tolerance=np.nan), ValueError, r"tolerance must be in \(0, inf\), got nan"),
    (dict(target=Tanh(), step=-1e-5), ValueError, r"step must be in \(0, inf\), got -1e-05"),
    (dict(target=Tanh(), step=None), TypeError, "step must be a number, got NoneType None"),
    (dict(target=Tanh(), entries=0), ValueError, "entries must be a positive integer, got 0"),
    (dict(target=Tanh(), entries=2.5), TypeError, "entries must be a positive integer, got float 2.5"),
    (dict(target=Tanh(), entries=True), TypeError, "entries must be a positive integer, got bool True"),
    (dict(target=Tanh(), dtype=np.int32), ValueError, "dtype must be numpy.float32 or numpy.float64, got int32"),
    (dict(target=Tanh(), dtype="real"), TypeError, "dtype must be numpy.float32 or numpy.float64, got 'real'"),
    (dict(target=Tanh(), loss=MSE()), ValueError, "loss= is for a model; Tanh brings its own function"),
    (dict(target=Dense(3, 2), x=np.ones((4, 5))), ValueError, r"x must have shape \(n, 3\), got \(4, 5\)"),
    (dict(target=CrossEntropy(), x=np.full((2, 3), 0.5), y=np.ones((2, 4))), ValueError,
     r"yTrue \(y\) must have shape \(2, 3\), got \(2, 4\)"),
])
def test_bad_arguments_are_refused_by_name(arguments, error, message):
    with pytest.raises(error, match=message):
        gradcheck(**arguments)


def test_a_model_loss_that_is_not_a_loss_is_refused():
    with pytest.raises(TypeError, match="loss must be a Loss such as MSE"):
        gradcheck(classifier(), loss="mse")


def test_a_backward_of_the_wrong_shape_is_named():
    class Transposing(Tanh):
        def backward(self, a, gradient):
            return super().backward(a, gradient).T

    with pytest.raises(ValueError, match=r"Transposing\(\)\.backward returned shape \(5, 4\), expected \(4, 5\)"):
        gradcheck(Transposing())
