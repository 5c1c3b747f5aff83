import copy
import pickle

import numpy as np
import pytest

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from helpers import assertGradient, numericalGradient
from layers import Dense
from optimizer import SGD, Adam

ACTIVATIONS = [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softmax()]


def test_shapes_follow_the_chapters_W_x_plus_b():
    layer = Dense(inputDim=3, outputDim=4)
    assert layer.W.shape == (4, 3) and layer.b.shape == (4,)
    assert layer.forward(np.ones((7, 3), np.float32)).shape == (7, 4)
    assert layer.dW.shape == (4, 3) and layer.db.shape == (4,)


def test_defaults_are_sigmoid_and_adam_and_float32():
    layer = Dense(inputDim=3, outputDim=4)
    assert isinstance(layer.activation, Sigmoid) and isinstance(layer.optimizer, Adam)
    assert layer.W.dtype == np.float32
    # each layer gets its own default optimizer object
    assert Dense(3, 4).optimizer is not Dense(3, 4).optimizer


def test_forward_is_activation_of_affine_map():
    layer = Dense(inputDim=3, outputDim=2, activation=Tanh(), seed=0, dtype=np.float64)
    x = np.array([[0.1, -0.2, 0.3]])
    np.testing.assert_allclose(layer.forward(x), np.tanh(x @ layer.W.T + layer.b), rtol=1e-15)


def test_initialisation_is_he_for_relu_and_glorot_otherwise():
    relu = Dense(inputDim=400, outputDim=300, activation=ReLU(), seed=0)
    sigmoid = Dense(inputDim=400, outputDim=300, activation=Sigmoid(), seed=0)
    # uniform on [-l, l] has variance l^2 / 3
    assert relu.W.var() == pytest.approx(2 / 400, rel=0.03)
    assert sigmoid.W.var() == pytest.approx(2 / 700, rel=0.03)
    assert np.all(relu.b == 0)


def test_seed_makes_initialisation_reproducible():
    np.testing.assert_array_equal(Dense(5, 3, seed=42).W, Dense(5, 3, seed=42).W)
    assert not np.array_equal(Dense(5, 3, seed=1).W, Dense(5, 3, seed=2).W)


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=repr)
def test_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(0)
    layer = Dense(inputDim=4, outputDim=3, activation=activation, seed=1, dtype=np.float64)
    x = rng.normal(size=(5, 4))
    upstream = rng.normal(size=(5, 3))

    def loss():
        return float(np.sum(upstream * layer.predict(x)))

    layer.forward(x)
    dx = layer.backward(upstream.copy())
    assertGradient(layer.dW, numericalGradient(loss, layer.W), f"Dense dW {activation!r}")
    assertGradient(layer.db, numericalGradient(loss, layer.b), f"Dense db {activation!r}")
    assertGradient(dx, numericalGradient(loss, x), f"Dense dx {activation!r}")


def test_backward_for_a_single_sample():
    layer = Dense(inputDim=3, outputDim=2, activation=Tanh(), seed=0, dtype=np.float64)
    x = np.array([0.3, -0.1, 0.2])
    layer.forward(x)
    dx = layer.backward(np.array([1.0, -1.0]))
    batch = Dense(inputDim=3, outputDim=2, activation=Tanh(), seed=0, dtype=np.float64)
    batch.forward(x[np.newaxis])
    np.testing.assert_allclose(dx, batch.backward(np.array([[1.0, -1.0]]))[0])
    np.testing.assert_allclose(layer.dW, batch.dW)
    np.testing.assert_allclose(layer.db, batch.db)


def test_backward_leaves_the_callers_gradient_alone_unless_in_place():
    layer = Dense(inputDim=3, outputDim=2, activation=ReLU(), seed=0, dtype=np.float64)
    layer.forward(np.array([[1.0, -2.0, 0.5]]))
    gradient = np.array([[1.0, 1.0]])
    layer.backward(gradient)
    np.testing.assert_array_equal(gradient, [[1.0, 1.0]])


def test_update_steps_both_parameters_with_the_layers_optimizer():
    layer = Dense(inputDim=2, outputDim=1, activation=Identity(), optimizer=SGD(learningRate=0.5),
                  seed=0, dtype=np.float64)
    W, b = layer.W.copy(), layer.b.copy()
    layer.forward(np.array([[1.0, 2.0]]))
    layer.backward(np.array([[1.0]]))
    layer.update()
    np.testing.assert_allclose(layer.W, W - 0.5 * np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(layer.b, b - 0.5)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_layer_still_updates_the_weights_it_computes_with(how):
    original = Dense(inputDim=2, outputDim=1, activation=Identity(), optimizer=SGD(learningRate=0.5),
                     seed=0, dtype=np.float64)
    layer = copy.deepcopy(original) if how == "deepcopy" else pickle.loads(pickle.dumps(original))
    W = layer.W.copy()
    layer.forward(np.array([[1.0, 2.0]]))
    layer.backward(np.array([[1.0]]))
    layer.update()
    np.testing.assert_allclose(layer.W, W - 0.5 * np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(original.W, W)


@pytest.mark.parametrize("arguments, error, message", [
    ({"inputDim": 0, "outputDim": 4}, ValueError, "inputDim must be a positive integer, got 0"),
    ({"inputDim": 3, "outputDim": -2}, ValueError, "outputDim must be a positive integer, got -2"),
    ({"inputDim": 3.5, "outputDim": 4}, TypeError, "inputDim must be a positive integer, got float 3.5"),
    ({"inputDim": 3, "outputDim": 4, "activation": "relu"}, TypeError, "activation must be an Activation"),
    ({"inputDim": 3, "outputDim": 4, "optimizer": SGD}, TypeError, "optimizer must be an Optimizer"),
    ({"inputDim": 3, "outputDim": 4, "dtype": int}, ValueError, "Dense: dtype must be numpy.float32 or numpy.float64"),
    ({"inputDim": 3, "outputDim": 4, "seed": "a"}, TypeError, "Dense: seed must be an integer of at least 0, got str"),
    ({"inputDim": 3, "outputDim": 4, "seed": 1.5}, TypeError, "Dense: seed must be an integer of at least 0, got float"),
])
def test_bad_arguments_are_refused(arguments, error, message):
    with pytest.raises(error, match=message):
        Dense(**arguments)


def test_repr_reads_like_the_code():
    layer = Dense(inputDim=784, outputDim=100, activation=ReLU())
    assert repr(layer) == ("Dense(inputDim=784, outputDim=100, activation=ReLU(), optimizer=Adam("
                           "learningRate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08))")


def test_a_frozen_layer_passes_the_gradient_on_but_neither_computes_nor_takes_a_step():
    rng = np.random.default_rng(0)
    x, upstream = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    trainable = Dense(4, 3, activation=Tanh(), optimizer=SGD(0.1), seed=0, dtype=np.float64)
    frozen = Dense(4, 3, activation=Tanh(), optimizer=SGD(0.1), seed=0, dtype=np.float64, trainable=False)
    assert frozen.trainable is False and repr(frozen).endswith(", trainable=False)")
    trainable.forward(x)
    frozen.forward(x)
    expected = trainable.backward(upstream)
    np.testing.assert_array_equal(frozen.backward(upstream), expected)    # dL/dx for the layer below
    assert not frozen.dW.any() and not frozen.db.any()                    # no weight gradients computed
    W, b = frozen.W.copy(), frozen.b.copy()
    frozen.dW[...], frozen.db[...] = 1.0, 1.0
    frozen.update()
    np.testing.assert_array_equal(frozen.W, W)
    np.testing.assert_array_equal(frozen.b, b)
    frozen.trainable = True                                               # thawed, it learns again
    frozen.update()
    np.testing.assert_array_equal(frozen.W, W - 0.1)                      # one plain SGD step of dW = 1
    np.testing.assert_array_equal(frozen.b, b - 0.1)


def test_a_reset_layer_steps_like_a_new_one():
    rng = np.random.default_rng(1)
    x, upstream = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    used, fresh = (Dense(4, 3, activation=Tanh(), optimizer=Adam(0.01), seed=0, dtype=np.float64) for _ in range(2))
    for _ in range(3):                                  # moments and a step count of 3
        used.forward(x)
        used.backward(upstream)
        used.update()
    fresh.W[...], fresh.b[...] = used.W, used.b
    used.resetOptimizerState()
    for layer in (used, fresh):
        layer.forward(x)
        layer.backward(upstream)
        layer.update()
    np.testing.assert_array_equal(used.W, fresh.W)     # Adam's first step again: t = 1, no memory of the others
    np.testing.assert_array_equal(used.b, fresh.b)


def test_trainable_must_be_a_bool():
    with pytest.raises(TypeError, match="Dense: trainable must be True or False, got int 0"):
        Dense(2, 2, trainable=0)
