"""The argument checks every module shares (checks.py)."""

import numpy as np
import pytest

from checks import checkChain, checkDataset, checkNumber
from dataset import Dataset
from layers import Dense
from nn import MLP


def test_check_chain_names_the_owner_both_parts_and_both_values():
    def mlp(*widths, dtype=np.float32):
        model = MLP(dtype=dtype)
        for inputDim, outputDim in zip(widths, widths[1:]):
            model.addLayer(Dense(inputDim, outputDim, dtype=dtype))
        return model

    encoder, decoder = mlp(8, 3), mlp(3, 8)
    chain = [("encoder", encoder), ("decoder", decoder)]
    assert checkChain("Owner", chain, reconstructs=True) is chain
    checkChain("Owner", [("a", mlp(8, 3)), ("b", mlp(3, 5)), ("c", mlp(5, 2))])   # need not reconstruct
    for parts, reconstructs, error, message in [
        ([("encoder", encoder), ("decoder", mlp(4, 8))], False, ValueError,
         "Owner: the encoder's outputDim=3 must equal the decoder's inputDim=4"),
        ([("encoder", encoder), ("decoder", mlp(3, 7))], True, ValueError,
         "Owner: the decoder's outputDim=7 must equal the encoder's inputDim=8, since it reconstructs the input"),
        ([("encoder", encoder), ("decoder", mlp(3, 8, dtype=np.float64))], True, ValueError,
         "Owner: the encoder's dtype=float32 must equal the decoder's dtype=float64; "
         "build every part with the same dtype"),
        ([("encoder", encoder), ("middle", mlp(3, 3)), ("decoder", encoder)], False, ValueError,
         "Owner: the encoder and the decoder are the same MLP object; give two separate ones"),
        ([("encoder", encoder), ("decoder", MLP())], True, ValueError,
         "Owner: the decoder has no layers yet; add some with addLayer(Dense(...))"),
        ([("encoder", "784-400"), ("decoder", decoder)], True, TypeError,
         "Owner: the encoder must be a network with inputDim, outputDim and dtype, got str '784-400'"),
    ]:
        with pytest.raises(error) as raised:
            checkChain("Owner", parts, reconstructs=reconstructs)
        assert str(raised.value) == message


@pytest.mark.parametrize("value, low, high, closed, result", [
    (0, 0, None, "left", 0.0),
    (1, 0, 1, "right", 1.0),
    (0.5, 0, 1, "neither", 0.5),
    (0, 0, 1, "both", 0.0),
    (1, 0, 1, "both", 1.0),
    (np.float32(0.25), 0, 1, "left", 0.25),
])
def test_check_number_accepts_the_ends_its_interval_holds(value, low, high, closed, result):
    checked = checkNumber("Owner", "x", value, low, high, closed)
    assert checked == result and type(checked) is float   # a Python float: NumPy 2 keeps a float64 scalar strong


@pytest.mark.parametrize("value, low, high, closed, error, message", [
    (-0.1, 0, None, "left", ValueError, r"Owner: x must be in \[0, inf\), got -0.1"),
    (0, 0, None, "neither", ValueError, r"Owner: x must be in \(0, inf\), got 0.0"),
    (1, 0, 1, "left", ValueError, r"Owner: x must be in \[0, 1\), got 1.0"),
    (0.5, 0.5, 1, "right", ValueError, r"Owner: x must be in \(0.5, 1\], got 0.5"),
    (float("nan"), 0, 1, "both", ValueError, r"Owner: x must be in \[0, 1\], got nan"),
    (float("inf"), 0, None, "left", ValueError, r"Owner: x must be in \[0, inf\), got inf"),
    (True, 0, 1, "left", TypeError, "Owner: x must be a number, got bool True"),
    ("0.5", 0, 1, "left", TypeError, "Owner: x must be a number, got str '0.5'"),
])
def test_check_number_refuses_what_is_outside_or_not_a_number(value, low, high, closed, error, message):
    with pytest.raises(error, match=message):
        checkNumber("Owner", "x", value, low, high, closed)


def test_check_number_says_what_is_wrong_with_a_huge_integer_or_an_unknown_interval():
    with pytest.raises(ValueError, match=r"Owner: x must be in \[0, 1\), got inf"):
        checkNumber("Owner", "x", 10**400, 0, 1)
    with pytest.raises(ValueError, match="closed must be 'left', 'right', 'both' or 'neither', got 'Both'"):
        checkNumber("Owner", "x", 0.5, 0, 1, closed="Both")


def test_check_dataset_names_the_missing_arrays_and_the_one_that_does_not_fit():
    from dataset import Dataset
    data = Dataset(x_train=np.zeros((6, 3)), y_train=np.zeros((6, 2)), x_test=np.zeros((4, 5)),
                   y_test=np.zeros((4, 2)), batch_size=2)
    unlabelled = Dataset(x_train=np.zeros((6, 3)), y_train=np.zeros((6, 2)), batch_size=2)
    assert checkDataset("Owner", unlabelled, {"x": (3, "the model"), "y": (2, "the last layer")}) is unlabelled
    with pytest.raises(ValueError, match=r"Owner: dataset.x_train has shape \(6, 3\), but the model needs 5 columns"):
        checkDataset("Owner", data, {"x": (5, "the model")})
    with pytest.raises(ValueError, match=r"Owner: dataset.x_test has shape \(4, 5\), but the model needs 3 columns"):
        checkDataset("Owner", data, {"x": (3, "the model")})
    with pytest.raises(ValueError, match=r"dataset.y_train has shape \(6, 2\), but the last layer needs 3 columns"):
        checkDataset("Owner", unlabelled, {"x": (3, "the model"), "y": (3, "the last layer")})
    with pytest.raises(TypeError, match=r"Owner: dataset must be a Dataset \(with x_train, y_train\), got 'mnist'"):
        checkDataset("Owner", "mnist", {"x": (3, "the model"), "y": (2, "the model")})
    with pytest.raises(TypeError, match=r"Owner: dataset must be a Dataset \(with x_train, y_train\), got an array of "
                                        r"shape \(6, 3\); wrap arrays in one: Dataset\(x_train=x, y_train=y\)$"):
        checkDataset("Owner", np.zeros((6, 3)), {"x": (3, "the model"), "y": (2, "the model")})


def test_a_class_given_for_an_object_is_named_with_the_call_that_makes_one():
    from activations import ReLU
    from loss import CrossEntropy
    from optimizer import Adam
    data = Dataset(x_train=np.zeros((4, 3)), y_train=np.array([0, 1, 0, 1]))
    model = MLP()
    model.addLayer(Dense(3, 2))
    for call, message in [
        (lambda: model.train(data, loss=CrossEntropy), "MLP.train: loss must be a Loss such as CrossEntropy() or "
                                                       "MSE(), got the class CrossEntropy itself; create one: "
                                                       "CrossEntropy()"),
        (lambda: Dense(3, 2, activation=ReLU), "Dense: activation must be an Activation such as ReLU(), got the "
                                               "class ReLU itself; create one: ReLU()"),
        (lambda: Dense(3, 2, optimizer=Adam), "Dense: optimizer must be an Optimizer such as Adam(), got the "
                                              "class Adam itself; create one: Adam()"),
    ]:
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == message
