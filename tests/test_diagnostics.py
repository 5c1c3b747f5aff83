
import numpy as np
import pytest

from activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from diagnostics import deadUnitWarning, diagnose
from layers import Dense
from loss import CrossEntropy
from nn import MLP
from optimizer import Adam


def network(hidden=ReLU, seed=0):
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(6, 8, activation=hidden(), seed=seed))
    model.addLayer(Dense(8, 3, activation=Softmax(), seed=seed + 1))
    return model


def inputs(n=40, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 6))


def test_mean_and_spread_are_those_of_each_layers_outputs():
    model, x = network(Tanh), inputs()
    hidden = np.tanh(x @ model.layers[0].W.T + model.layers[0].b)
    report = diagnose(model, x)
    assert len(report) == 2 and report.samples == 40
    assert report[0].mean == pytest.approx(hidden.mean()) and report[0].std == pytest.approx(hidden.std())
    assert report[1].mean == pytest.approx(1 / 3)        # Softmax rows sum to 1 over 3 outputs
    assert report[0].units == 8 and report[0].activation == "Tanh()"
    assert report[0].weightNorm == pytest.approx(np.linalg.norm(model.layers[0].W))


def test_dead_relu_units_are_those_that_never_fire():
    model, x = network(ReLU), inputs()
    assert diagnose(model, x)[0].deadUnits == 0
    model.layers[0].b[[1, 4, 6]] = -50.0                # these three can no longer fire on inputs in [-1, 1]
    model.layers[0].b[2] = -0.5                          # this one still fires on some inputs
    report = diagnose(model, x)
    assert report[0].deadUnits == 3 and report[0].deadShare == pytest.approx(3 / 8)
    assert report[1].deadUnits is None and report[1].deadShare is None   # Softmax has no dead units


def test_leaky_relu_units_are_never_counted_dead():
    model = network(LeakyReLU)
    model.layers[0].b[:] = -50.0
    assert diagnose(model, inputs())[0].deadUnits is None


@pytest.mark.parametrize("activation", [Sigmoid, Tanh])
def test_saturated_units_are_those_stuck_at_a_bound(activation):
    model, x = network(activation), inputs()
    assert diagnose(model, x)[0].saturatedShare == 0
    model.layers[0].b[:2] = [40.0, -40.0]                # stuck at the top and at the bottom
    assert diagnose(model, x)[0].saturatedShare == pytest.approx(2 / 8)
    assert diagnose(model, x)[1].saturatedShare is None


def test_gradient_norms_are_those_of_the_last_backward():
    model, x = network(ReLU), inputs()
    y = np.eye(3)[np.arange(40) % 3]
    model.backward(CrossEntropy().gradient(model.forward(x), y))
    report = diagnose(model, x[:5])
    for index, layer in enumerate(model.layers):
        assert report[index].gradientNormW == pytest.approx(np.linalg.norm(layer.dW)) and report[index].gradientNormW > 0
        assert report[index].gradientNormB == pytest.approx(np.linalg.norm(layer.db))


def test_a_frozen_layer_shows_no_gradient_norms():
    model, x = network(ReLU), inputs()
    y = np.eye(3)[np.arange(40) % 3]
    model.backward(CrossEntropy().gradient(model.forward(x), y))
    model.layers[0].trainable = False                     # its dW, db are now older than any backward to come
    report = diagnose(model, x[:5])
    assert report[0].gradientNormW is None and report[0].gradientNormB is None
    assert report[1].gradientNormW > 0
    assert str(report).splitlines()[4].split()[-2:] == ["-", "-"]   # layer 0's row of the table


def test_diagnose_changes_nothing_in_the_model():
    model, x = network(ReLU), inputs()
    y = np.eye(3)[np.arange(40) % 3]
    model.backward(CrossEntropy().gradient(model.forward(x), y))
    kept = [(layer.a.copy(), layer.dW.copy()) for layer in model.layers]
    weights = [array.copy() for array in model.getWeights()]
    diagnose(model, inputs(7, seed=1))
    for (a, dW), layer in zip(kept, model.layers):
        np.testing.assert_array_equal(layer.a, a)
        np.testing.assert_array_equal(layer.dW, dW)
    for old, new in zip(weights, model.getWeights()):
        np.testing.assert_array_equal(old, new)


def test_the_report_prints_as_a_table():
    model = network(ReLU)
    model.layers[0].b[:5] = -50.0
    text = repr(diagnose(model, inputs()))
    lines = text.splitlines()
    assert lines[0].startswith("Diagnosis on 40 samples")
    assert lines[2].split() == ["#", "activation", "units", "mean", "std", "dead", "saturated", "|W|", "|dW|", "|db|"]
    assert lines[4].split()[:6] == ["0", "ReLU()", "8", lines[4].split()[3], lines[4].split()[4], "5"]
    assert "5 (62%)" in lines[4] and lines[5].split()[1] == "Softmax()"


def test_the_warning_names_every_layer_over_the_threshold_and_suggests_a_lower_learning_rate():
    model = MLP()
    model.addLayer(Dense(6, 10, activation=ReLU(), seed=0))
    model.addLayer(Dense(10, 4, activation=ReLU(), seed=1))
    model.addLayer(Dense(4, 3, activation=Softmax(), seed=2))
    x = inputs()
    assert deadUnitWarning(model, x) is None
    model.layers[0].b[:6] = -50.0
    assert deadUnitWarning(model, x) == ("layer 0 (ReLU): 6 of 10 units (60%) never fire on these inputs; "
                                         "try a lower learning rate")
    model.layers[1].b[:] = -50.0
    warning = deadUnitWarning(model, x)
    assert warning.startswith("layer 0 (ReLU): 6 of 10 units (60%); layer 1 (ReLU): 4 of 4 units (100%) never fire")
    assert "\n" not in warning
    assert deadUnitWarning(model, x, threshold=0.99) == ("layer 1 (ReLU): 4 of 4 units (100%) never fire on these "
                                                         "inputs; try a lower learning rate")


@pytest.mark.parametrize("call, error, message", [
    (lambda: diagnose(network(), np.ones((3, 5))), ValueError, r"x must have shape \(n, 6\) with n >= 1, got \(3, 5\)"),
    (lambda: diagnose(network(), np.ones((0, 6))), ValueError, r"got \(0, 6\)"),
    (lambda: diagnose(MLP(), np.ones((3, 6))), TypeError, "expected a model with layers, such as an MLP, got MLP"),
    (lambda: diagnose("model", np.ones((3, 6))), TypeError, "got str"),
    (lambda: deadUnitWarning(network(), inputs(), threshold=1.5), ValueError,
     r"deadUnitWarning: threshold must be in \[0, 1\), got 1.5"),
    (lambda: deadUnitWarning(network(), inputs(), threshold=1), ValueError, r"threshold must be in \[0, 1\), got 1.0"),
    (lambda: deadUnitWarning(network(), inputs(), threshold="0.5"), TypeError,
     "deadUnitWarning: threshold must be a number, got str '0.5'"),
    (lambda: deadUnitWarning(network(), inputs(), threshold=True), TypeError,
     "threshold must be a number, got bool True"),
])
def test_bad_arguments_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused_rather_than_reported_as_dead_units(bad):
    x = inputs()
    x[[3, 7], 2] = bad
    for call, owner in [(diagnose, "diagnose"), (deadUnitWarning, "deadUnitWarning")]:
        with pytest.raises(ValueError) as raised:
            call(network(ReLU), x)
        assert str(raised.value) == (f"{owner}: x contains NaN or infinite values (2 of 240 entries, the first in "
                                     f"row 3); they come from the data, not the network: replace or drop them "
                                     f"before training")


def test_the_table_has_the_shape_of_every_deepbasics_table():
    """Title, rule, header, rule, rows, rule: as gradcheck's report and MLP.summary."""
    lines = repr(diagnose(network(Tanh), inputs())).splitlines()
    assert len(lines) == 7 and lines[1] == lines[3] == lines[6] == "-" * max(len(line) for line in lines[2:6])
    assert all(line == line.rstrip() for line in lines)
    assert lines[2].index("activation") == lines[4].index("Tanh()") == lines[5].index("Softmax()")


@pytest.mark.slow
def test_the_chapters_learning_rate_kills_most_first_layer_units(mnistDir):
    """Adam(learningRate = 0.1), as the chapter writes it: the warning a learner should see."""
    from dataset import Dataset
    data = Dataset(name="mnist", train_size=10000, test_size=1000, batch_size=50, data_dir=mnistDir, seed=0)
    model = MLP()
    optimizer = Adam(learningRate=0.1)
    model.addLayer(Dense(inputDim=28 * 28, outputDim=100, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(inputDim=100, outputDim=50, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(inputDim=50, outputDim=10, activation=Softmax(), optimizer=optimizer, seed=2))
    assert deadUnitWarning(model, data.x_train[:500]) is None
    model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    warning = deadUnitWarning(model, data.x_train[:500])
    assert warning is not None and warning.startswith("layer 0 (ReLU): ")
    assert warning.endswith("never fire on these inputs; try a lower learning rate")
    assert model.evaluate(data.x_test, data.y_test, CrossEntropy())["accuracy"] < 0.3   # and it learns nothing
