import copy
import gc
import weakref

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from helpers import assertGradient, chapterNetwork, numericalGradient, oneStep
from dataset import Dataset
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import SGD, Adam

HIDDEN = [Identity, Sigmoid, Tanh, ReLU, lambda: LeakyReLU(0.1), Softmax]


def test_the_chapters_first_network():
    nn = MLP()
    nn.addLayer(Dense(inputDim=3, outputDim=4))
    nn.addLayer(Dense(inputDim=4, outputDim=2))
    assert len(nn) == 2
    assert nn.forward(np.ones((5, 3))).shape == (5, 2)
    assert nn.forward(np.ones(3)).shape == (2,)


def test_forward_is_the_composition_of_the_layers():
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(3, 4, activation=Tanh(), seed=0))
    model.addLayer(Dense(4, 2, activation=Identity(), seed=1))
    x = np.random.default_rng(0).normal(size=(6, 3))
    (W1, b1), (W2, b2) = ((layer.W, layer.b) for layer in model.layers)
    np.testing.assert_allclose(model.forward(x), np.tanh(x @ W1.T + b1) @ W2.T + b2, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_everything_is_in_the_models_dtype(dtype):
    model = chapterNetwork(dtype)
    for theta, gradient in model.parameters():
        assert theta.dtype == dtype and gradient.dtype == dtype
    x = np.random.default_rng(0).random((4, 8))  # float64 input is converted
    out = model.forward(x)
    assert out.dtype == dtype
    model.backward(CrossEntropy().gradient(out, np.eye(3)[[0, 1, 2, 0]]))
    assert all(gradient.dtype == dtype for _, gradient in model.parameters())
    assert model.predict(x).dtype == dtype


def test_predict_equals_forward_and_keeps_no_state():
    model = chapterNetwork(np.float64)
    rng = np.random.default_rng(0)
    x, other = rng.random((5, 8)), rng.random((20000, 8))
    out = model.forward(x)
    np.testing.assert_allclose(model.predict(other)[:5], model.forward(other[:5]), rtol=1e-12)
    model.forward(x)
    model.predict(other)  # must not replace what backward needs
    model.backward(MSE().gradient(out, np.zeros_like(out)))
    expected = [gradient.copy() for _, gradient in model.parameters()]
    model.forward(x)
    model.backward(MSE().gradient(out, np.zeros_like(out)))
    for (_, gradient), before in zip(model.parameters(), expected):
        np.testing.assert_array_equal(gradient, before)
    assert model.predict(x[0]).shape == (3,)


def networkLoss(model, x, y, loss):
    return lambda: loss(model.predict(x), y)


@settings(max_examples=60, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       hidden=st.lists(st.sampled_from(range(len(HIDDEN))), min_size=4, max_size=4),
       lossName=st.sampled_from(["MSE", "CrossEntropy-Sigmoid", "CrossEntropy-Softmax", "MSE-Identity"]),
       batch=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_whole_network_gradients_match_finite_differences(widths, hidden, lossName, batch, seed):
    rng = np.random.default_rng(seed)
    model = MLP(dtype=np.float64)
    for i, (fanIn, fanOut) in enumerate(zip(widths[:-1], widths[1:])):
        last = i == len(widths) - 2
        if last and lossName != "MSE":
            activation = {"CrossEntropy-Sigmoid": Sigmoid, "CrossEntropy-Softmax": Softmax,
                          "MSE-Identity": Identity}[lossName]()
        else:
            activation = HIDDEN[hidden[i % len(hidden)]]()
        model.addLayer(Dense(fanIn, fanOut, activation=activation, seed=seed + i))
    x = rng.normal(size=(batch, widths[0]))
    # stay away from the kinks of the ReLU family, where no derivative exists
    z = x
    for layer in model.layers:
        preActivation = z @ layer.W.T + layer.b
        assume(np.abs(preActivation).min() > 1e-2)
        z = layer.predict(z)
    loss = CrossEntropy() if lossName.startswith("CrossEntropy") else MSE()
    y = rng.uniform(0, 1, size=(batch, widths[-1]))
    out = model.forward(x)
    # Where a probability is within 1e-6 of 0 or 1, ln(1 - p) keeps fewer than
    # ten digits in float64, and that noise, not our gradient, swamps the
    # finite differences (checked: a larger step agrees to 5e-8 there).
    assume(isinstance(loss, MSE) or np.all((out > 1e-6) & (out < 1 - 1e-6)))
    dx = model.backward(loss.gradient(out, y), inputGradient=True)
    function = networkLoss(model, x, y, loss)
    for index, layer in enumerate(model.layers):
        assertGradient(layer.dW, numericalGradient(function, layer.W), f"network dW{index} {lossName}")
        assertGradient(layer.db, numericalGradient(function, layer.b), f"network db{index} {lossName}")
    assertGradient(dx, numericalGradient(function, x), f"network dx {lossName}")


def test_chapter_classifier_gradients_against_pytorch_autograd():
    torch = pytest.importorskip("torch")
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(12, 10, activation=ReLU(), seed=0))
    model.addLayer(Dense(10, 7, activation=LeakyReLU(0.05), seed=1))
    model.addLayer(Dense(7, 6, activation=Tanh(), seed=2))
    model.addLayer(Dense(6, 4, activation=Softmax(), seed=3))
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(9, 12)), np.eye(4)[rng.integers(0, 4, 9)]
    out = model.forward(x)
    value = CrossEntropy()(out, y)
    model.backward(CrossEntropy().gradient(out, y))

    parameters = [torch.tensor(theta.copy(), requires_grad=True)
                  for layer in model.layers for theta in (layer.W, layer.b)]
    W1, b1, W2, b2, W3, b3, W4, b4 = parameters
    h = torch.relu(torch.tensor(x) @ W1.T + b1)
    h = torch.nn.functional.leaky_relu(h @ W2.T + b2, 0.05)
    h = torch.tanh(h @ W3.T + b3)
    p = torch.softmax(h @ W4.T + b4, dim=1)
    reference = torch.nn.functional.binary_cross_entropy(p, torch.tensor(y), reduction="sum") / len(y)
    reference.backward()
    np.testing.assert_allclose(out, p.detach().numpy(), rtol=1e-12)
    assert value == pytest.approx(reference.item(), rel=1e-12)
    for gradient, tensor in zip((g for layer in model.layers for g in (layer.dW, layer.db)), parameters):
        assertGradient(gradient, tensor.grad.numpy(), "classifier vs torch", 1e-10)


def test_one_shared_adam_trains_exactly_like_one_adam_per_layer():
    rng = np.random.default_rng(0)
    shared = chapterNetwork(np.float64, Adam(0.01))
    separate = MLP(dtype=np.float64)
    for layer in shared.layers:
        separate.addLayer(Dense(layer.inputDim, layer.outputDim, activation=layer.activation,
                                optimizer=Adam(0.01)))
    separate.setWeights(shared.getWeights())
    for _ in range(5):
        x, y = rng.random((4, 8)), np.eye(3)[rng.integers(0, 3, 4)]
        for model in (shared, separate):
            out = model.forward(x)
            model.backward(CrossEntropy().gradient(out, y))
            model.update()
    for a, b in zip(shared.getWeights(), separate.getWeights()):
        np.testing.assert_array_equal(a, b)


def stepAlone(layers, rng):
    """``oneStep`` by hand, through layers that belong to no network, each updating itself."""
    x = rng.random((4, layers[0].inputDim))
    for layer in layers:
        x = layer.forward(x)
    gradient = MSE().gradient(x, np.zeros_like(x))
    for layer in reversed(layers):
        gradient = layer.backward(gradient)
    for layer in layers:
        layer.update()


def twins(model, optimizer):
    """Copies of the model's layers, outside any network, each with its own ``optimizer()``."""
    alone = [Dense(layer.inputDim, layer.outputDim, activation=layer.activation, optimizer=optimizer(),
                   dtype=np.float64) for layer in model.layers]
    for layer, twin in zip(model.layers, alone):
        twin.W, twin.b = layer.W.copy(), layer.b.copy()
    return alone


def assertSameWeights(layers, others):
    for layer, other in zip(layers, others, strict=True):
        np.testing.assert_array_equal(layer.W, other.W)
        np.testing.assert_array_equal(layer.b, other.b)


def test_mlp_update_is_every_layers_update():
    model = chapterNetwork(np.float64, Adam(0.01))
    alone = twins(model, lambda: Adam(0.01))
    for seed in range(3):
        oneStep(model, np.random.default_rng(seed))
        stepAlone(alone, np.random.default_rng(seed))
    assertSameWeights(model.layers, alone)
    # calling layer.update() on each layer of the network is the same as model.update()
    rng = np.random.default_rng(7)
    x = rng.random((4, 8))
    out = model.forward(x)
    model.backward(MSE().gradient(out, np.zeros_like(out)))
    for layer in model.layers:
        layer.update()
    stepAlone(alone, np.random.default_rng(7))
    assertSameWeights(model.layers, alone)


def test_a_layer_owns_the_same_plain_arrays_before_and_after_add_layer():
    layer = Dense(3, 2, seed=0)
    arrays = (layer.W, layer.b, layer.dW, layer.db)
    model = MLP()
    model.addLayer(layer)
    assert all(now is before for now, before in zip((layer.W, layer.b, layer.dW, layer.db), arrays))
    assert all(type(array) is np.ndarray and array.base is None for array in arrays)
    assert model.parameters() == [(layer.W, layer.dW), (layer.b, layer.db)]


def test_a_layer_added_to_a_trained_network_starts_its_own_optimizer_state():
    model = chapterNetwork(np.float64, Adam(0.01))
    alone = twins(model, lambda: Adam(0.01))
    for seed in range(3):
        oneStep(model, np.random.default_rng(seed))
        stepAlone(alone, np.random.default_rng(seed))
    model.addLayer(Dense(3, 2, activation=Sigmoid(), optimizer=model.layers[0].optimizer, seed=4,
                         dtype=np.float64))
    alone.append(Dense(3, 2, activation=Sigmoid(), optimizer=Adam(0.01), seed=4, dtype=np.float64))
    oneStep(model, np.random.default_rng(5))
    stepAlone(alone, np.random.default_rng(5))
    assertSameWeights(model.layers, alone)


def test_a_layer_trained_on_its_own_keeps_its_optimizer_state_in_a_network():
    rng = np.random.default_rng(0)
    x, upstream = rng.random((4, 3)), rng.random((4, 2))
    alone, placed = (Dense(3, 2, activation=Tanh(), optimizer=Adam(0.1), seed=0, dtype=np.float64)
                     for _ in range(2))
    for layer in (alone, placed):
        for _ in range(2):
            layer.forward(x)
            layer.backward(upstream.copy())
            layer.update()
    model = MLP(dtype=np.float64)
    model.addLayer(placed)
    alone.forward(x)
    alone.backward(upstream.copy())
    alone.update()
    model.forward(x)
    model.backward(upstream.copy())
    model.update()
    np.testing.assert_array_equal(placed.W, alone.W)


def test_a_layer_moved_to_another_network_trains_on_there():
    first = chapterNetwork(np.float64, Adam(0.01))
    alone = twins(first, lambda: Adam(0.01))
    oneStep(first, np.random.default_rng(0))
    stepAlone(alone, np.random.default_rng(0))
    second = MLP(dtype=np.float64)
    for layer in first.layers:
        second.addLayer(layer)
    oneStep(second, np.random.default_rng(1))
    stepAlone(alone, np.random.default_rng(1))
    assertSameWeights(second.layers, alone)


def test_a_shallow_copy_leaves_the_original_learning():
    model = chapterNetwork(np.float64, Adam(0.01))
    alone = twins(model, lambda: Adam(0.01))
    copy.copy(model)
    for seed in range(2):
        oneStep(model, np.random.default_rng(seed))
        stepAlone(alone, np.random.default_rng(seed))
    assertSameWeights(model.layers, alone)


def test_a_shared_optimizer_does_not_keep_discarded_models_alive():
    shared = Adam(0.01)
    layers = []
    for seed in range(20):
        model = chapterNetwork(np.float64, shared)
        oneStep(model, np.random.default_rng(seed))
        layers.append(weakref.ref(model.layers[0]))
        del model
    gc.collect()
    assert all(reference() is None for reference in layers)


def test_add_layer_checks_sizes_and_types():
    model = MLP()
    model.addLayer(Dense(inputDim=3, outputDim=4))
    with pytest.raises(ValueError, match="layer 1 has inputDim=5 but the previous layer has outputDim=4"):
        model.addLayer(Dense(inputDim=5, outputDim=2))
    with pytest.raises(TypeError, match="addLayer: layer must be a Dense layer, got ReLU"):
        model.addLayer(ReLU())
    assert len(model) == 1


def test_forward_checks_the_input_width():
    model = chapterNetwork()
    with pytest.raises(ValueError, match=r"expected input of shape \(n, 8\) or \(8,\), got shape \(2, 5\)"):
        model.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"got shape \(7,\)"):
        model.predict(np.zeros(7))


def test_backward_checks_the_gradient_shape():
    model = chapterNetwork()
    model.forward(np.zeros((2, 8)))
    # Checked once, by the last layer, which MLP.backward hands it to.
    with pytest.raises(ValueError, match=r"Dense.backward: the gradient dL/da has shape \(3, 3\), expected the "
                                         r"shape of the last forward output \(2, 3\)"):
        model.backward(np.zeros((3, 3)))


def test_empty_network_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"no layers yet; add some with addLayer"):
        MLP().forward(np.zeros(3))


def test_dtype_must_be_a_float_type():
    with pytest.raises(ValueError, match="MLP: dtype must be numpy.float32 or numpy.float64, got int64"):
        MLP(dtype=np.int64)
    with pytest.raises(TypeError, match="MLP: dtype must be numpy.float32 or numpy.float64, got 'bogus'"):
        MLP(dtype="bogus")


def test_summary_prints_layers_shapes_activations_and_counts(capsys):
    chapterNetwork().summary()
    text = capsys.readouterr().out
    assert "Dense  (n, 8)  (n, 6)  ReLU()" in text
    assert "Softmax()" in text and "54" in text and "Total parameters: 107" in text


def test_repr_reads_like_the_code():
    model = MLP()
    model.addLayer(Dense(inputDim=2, outputDim=1, activation=Sigmoid(), optimizer=SGD(learningRate=0.1)))
    assert repr(model) == ("MLP(dtype=numpy.float32, layers=[\n    Dense(inputDim=2, outputDim=1, "
                           "activation=Sigmoid(), optimizer=SGD(learningRate=0.1, momentum=0.0)),\n])")


def test_set_weights_checks_shapes():
    model = chapterNetwork()
    weights = model.getWeights()
    weights[1] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"array 1 has shape \(2, 2\), expected \(6,\)"):
        model.setWeights(weights)


def test_a_frozen_first_layer_keeps_its_weights_while_the_others_learn(capsys):
    model = chapterNetwork(np.float64, SGD(learningRate=0.1))
    model.layers[0].trainable = False
    assert model.trainable is False
    before = model.getWeights()
    oneStep(model, np.random.default_rng(0))
    after = model.getWeights()
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert not np.array_equal(after[2], before[2])
    model.summary()
    assert "Frozen (trainable=False): 54" in capsys.readouterr().out


def test_setting_a_models_trainable_freezes_or_thaws_every_layer():
    model = chapterNetwork()
    model.trainable = False
    assert [layer.trainable for layer in model.layers] == [False, False, False]
    model.trainable = True
    assert model.trainable and all(layer.trainable for layer in model.layers)
    with pytest.raises(TypeError, match="MLP: trainable must be True or False, got str 'no'"):
        model.trainable = "no"


def test_predict_of_a_dataset_says_to_pass_its_arrays():
    model = chapterNetwork()
    data = Dataset(x_train=np.zeros((4, 8)), y_train=np.zeros((4, 3)), batch_size=2)
    with pytest.raises(TypeError, match=r"MLP: expected an array of inputs \(n, 8\), got a Dataset; pass its "
                                        r"arrays, e.g. model.predict\(dataset.x_test\)"):
        model.predict(data)
