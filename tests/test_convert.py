"""PyTorch and ONNX: the same predictions, the same optimizer state, and training that goes on exactly."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import convert
from conftest import ROOT, dataDir
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autoencoder import Autoencoder
from gan import GAN
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import SGD, Adam
from vae import VAE, Sampler

ALL_SIX = [ReLU(), LeakyReLU(0.2), Identity(), Tanh(), Sigmoid(), Softmax()]


def network(dtype=np.float64, optimizers=None, widths=(6, 9, 8, 8, 7, 5, 4), activations=ALL_SIX, trainable=None):
    """A network with every activation; ``optimizers[i]`` for layer ``i`` (one shared Adam by default)."""
    shared = Adam(0.01)
    model = MLP(dtype=dtype)
    for index, activation in enumerate(activations):
        model.addLayer(Dense(widths[index], widths[index + 1], activation=activation,
                             optimizer=optimizers[index] if optimizers else shared, seed=index,
                             trainable=True if trainable is None else trainable[index]))
    return model


def batches(count, seed=0, n=16, inputs=6, outputs=4):
    rng = np.random.default_rng(seed)
    return [(rng.random((n, inputs)), np.eye(outputs)[rng.integers(0, outputs, n)]) for _ in range(count)]


def deepbasicsSteps(model, loss, steps):
    for x, y in steps:
        model.backward(loss.gradient(model.forward(x), y))
        model.update()


def torchSteps(torch, network, optimizer, loss, steps, exact=False):
    """The same steps in PyTorch, with the chapter's loss written with torch.nn's losses (see convert's docstring),
    or ``exact``ly as deepbasics computes it (``convert.torchLoss``)."""
    for x, y in steps:
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        output = network(x)
        if exact:
            value = convert.torchLoss(loss)(output, y)
        elif isinstance(loss, CrossEntropy):
            value = torch.nn.BCELoss(reduction="sum")(output, y) / len(x)
        else:
            value = torch.nn.MSELoss(reduction="sum")(output, y) / (2 * len(x))
        optimizer.zero_grad()
        value.backward()
        optimizer.step()


def weights(model):
    return [parameter for parameter, _ in model.parameters()]


# -------------------------------------------------------------- toTorch
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_toTorch_predicts_as_deepbasics_with_the_same_weights_in_the_same_dtype(dtype, tolerance):
    torch = pytest.importorskip("torch")
    model = network(dtype)
    deepbasicsSteps(model, CrossEntropy(), batches(3))
    net = convert.toTorch(model)
    assert [type(module).__name__ for module in net] == [
        "Linear", "ReLU", "Linear", "LeakyReLU", "Linear", "Identity", "Linear", "Tanh", "Linear", "Sigmoid",
        "Linear", "Softmax"]
    assert net[3].negative_slope == 0.2 and net[11].dim == -1
    for layer, linear in zip(model.layers, net[0::2]):
        assert linear.weight.dtype == {np.float32: torch.float32, np.float64: torch.float64}[dtype]
        assert np.array_equal(linear.weight.detach().numpy(), layer.W)
        assert np.array_equal(linear.bias.detach().numpy(), layer.b)
    x = np.random.default_rng(1).normal(size=(50, 6)).astype(dtype)
    with torch.no_grad():
        difference = np.abs(net(torch.from_numpy(x)).numpy() - model.predict(x)).max()
    assert difference <= tolerance
    # copies: training the torch module leaves the deepbasics model alone
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert not np.array_equal(net[0].weight.detach().numpy(), model.layers[0].W)


def test_toTorch_freezes_the_frozen_layers_and_leaves_torchs_random_stream_alone():
    torch = pytest.importorskip("torch")
    model = network(trainable=[True, False, True, True, False, True])
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    net = convert.toTorch(model)
    assert torch.equal(torch.rand(3), expected)
    assert [linear.weight.requires_grad for linear in net[0::2]] == [True, False, True, True, False, True]
    assert [linear.bias.requires_grad for linear in net[0::2]] == [True, False, True, True, False, True]


def test_toTorch_carries_adam_hyperparameters_and_state_per_parameter():
    torch = pytest.importorskip("torch")
    own = Adam(0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    shared = Adam(0.01)
    model = network(optimizers=[shared, shared, own, shared, shared, shared])
    deepbasicsSteps(model, CrossEntropy(), batches(4))
    net, optimizer = convert.toTorch(model, optimizer=True)
    assert type(optimizer) is torch.optim.Adam
    groups = optimizer.param_groups
    assert len(groups) == 2   # one per deepbasics optimizer, the layers that share one in one group
    assert (groups[0]["lr"], groups[0]["betas"], groups[0]["eps"]) == (0.01, (0.9, 0.999), 1e-8)
    assert (groups[1]["lr"], groups[1]["betas"], groups[1]["eps"]) == (0.003, (0.8, 0.99), 1e-7)
    assert [len(group["params"]) for group in groups] == [10, 2]
    assert groups[1]["params"][0] is net[4].weight
    for layer, linear in zip(model.layers, net[0::2]):
        for name, parameter in (("W", linear.weight), ("b", linear.bias)):
            ours, theirs = layer.optimizerState[name], optimizer.state[parameter]
            assert torch.is_tensor(theirs["step"]) and theirs["step"].item() == ours["t"] == 4
            assert np.array_equal(theirs["exp_avg"].numpy(), ours["m"])
            assert np.array_equal(theirs["exp_avg_sq"].numpy(), ours["v"])
            assert theirs["exp_avg"].dtype == torch.float64


@pytest.mark.parametrize("make, loss", [
    (lambda: network(optimizers=[Adam(0.01)] * 2 + [Adam(0.02, beta_1=0.8)] + [Adam(0.01)] * 3), CrossEntropy()),
    (lambda: network(optimizers=[SGD(0.05, momentum=0.9)] * 5 + [SGD(0.1, momentum=0.5)],
                     activations=[ReLU(), LeakyReLU(0.2), Identity(), Tanh(), Sigmoid(), Identity()]), MSE()),
    (lambda: network(trainable=[True, True, False, True, True, True]), CrossEntropy()),
    (lambda: network(optimizers=[SGD(0.1)] * 6), CrossEntropy()),
], ids=["Adam, two groups", "SGD with momentum, two groups, MSE", "Adam, one layer frozen", "plain SGD"])
def test_k_steps_in_deepbasics_then_m_in_pytorch_equal_k_plus_m_in_deepbasics(make, loss):
    torch = pytest.importorskip("torch")
    steps = batches(12, seed=3)
    throughout, handedOver = make(), make()
    deepbasicsSteps(throughout, loss, steps)
    deepbasicsSteps(handedOver, loss, steps[:5])
    net, optimizer = convert.toTorch(handedOver, optimizer=True)
    torchSteps(torch, net, optimizer, loss, steps[5:])
    moved = max(np.abs(a - b).max() for a, b in zip(weights(throughout), weights(make())))
    assert moved > 1e-3   # the steps did move the weights
    for layer, linear in zip(throughout.layers, net[0::2]):
        np.testing.assert_allclose(linear.weight.detach().numpy(), layer.W, rtol=0, atol=1e-10)
        np.testing.assert_allclose(linear.bias.detach().numpy(), layer.b, rtol=0, atol=1e-10)
    if any(layer.optimizerState["W"] for layer in handedOver.layers):
        # The state matters: handed over without it, PyTorch's optimizer starts afresh and ends elsewhere.
        forgetful = make()
        deepbasicsSteps(forgetful, loss, steps[:5])
        net, optimizer = convert.toTorch(forgetful, optimizer=True)
        optimizer.state.clear()
        torchSteps(torch, net, optimizer, loss, steps[5:])
        assert max(np.abs(linear.weight.detach().numpy() - layer.W).max()
                   for layer, linear in zip(throughout.layers, net[0::2])) > 1e-3


def test_confident_outputs_need_torchLoss_for_the_chapters_gradient():
    """BCELoss bounds p (1 - p) below by 1e-12; deepbasics does not: on saturated outputs only torchLoss agrees."""
    torch = pytest.importorskip("torch")
    steps = batches(10, seed=6)

    def make():
        model = network(optimizers=[Adam(0.01)] * 6)
        model.layers[-1].W *= 40   # a confident classifier: many outputs within 1e-12 of 0 or 1
        return model
    assert np.mean(make().predict(steps[0][0]) < 1e-12) > 0.3
    throughout = make()
    deepbasicsSteps(throughout, CrossEntropy(), steps)
    differences = {}
    for exact in (True, False):
        handedOver = make()
        deepbasicsSteps(handedOver, CrossEntropy(), steps[:4])
        net, optimizer = convert.toTorch(handedOver, optimizer=True)
        torchSteps(torch, net, optimizer, CrossEntropy(), steps[4:], exact=exact)
        differences[exact] = max(np.abs(theirs.detach().numpy() - ours).max()
                                 for theirs, ours in zip(net.parameters(), weights(throughout)))
    assert differences[True] < 1e-10 < differences[False]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torchLoss_has_deepbasics_value_and_gradient_even_at_0_and_1(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    p = rng.random((6, 5)).astype(dtype)
    p[0, :4] = [0.0, 1.0, 1e-30, 1 - 1e-15]
    y = np.eye(5, dtype=dtype)[rng.integers(0, 5, 6)]
    y[0, :4] = [1, 0, 1, 1]
    for loss in (CrossEntropy(), MSE()):
        tensor = torch.tensor(p, requires_grad=True)
        value = convert.torchLoss(loss)(tensor, torch.from_numpy(y))
        value.backward()
        assert value.item() == pytest.approx(loss(p, y), rel=1e-6 if dtype == np.float32 else 1e-14)
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(tensor.grad.numpy(), loss.gradient(p, y), rtol=tolerance)
    with pytest.raises(TypeError, match=r"torchLoss: loss must be CrossEntropy\(\) or MSE\(\), got str 'mse'"):
        convert.torchLoss("mse")


def test_back_from_pytorch_with_its_optimizer_deepbasics_trains_on_as_if_it_never_left():
    torch = pytest.importorskip("torch")
    steps = batches(15, seed=4)
    make = lambda: network(optimizers=[Adam(0.01)] * 3 + [Adam(0.005)] * 3)   # noqa: E731
    throughout, travelling = make(), make()
    deepbasicsSteps(throughout, CrossEntropy(), steps)
    deepbasicsSteps(travelling, CrossEntropy(), steps[:5])
    net, optimizer = convert.toTorch(travelling, optimizer=True)
    torchSteps(torch, net, optimizer, CrossEntropy(), steps[5:10])
    back = convert.fromTorch(net, optimizer)
    assert all(layer.optimizerState["W"]["t"] == 10 for layer in back.layers)
    assert back.layers[0].optimizer is back.layers[2].optimizer is not back.layers[3].optimizer
    assert back.layers[3].optimizer.config() == Adam(0.005).config()
    deepbasicsSteps(back, CrossEntropy(), steps[10:])
    for ours, theirs in zip(weights(back), weights(throughout)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)


def test_back_from_pytorch_with_sgd_momentum():
    torch = pytest.importorskip("torch")
    steps = batches(9, seed=5)
    make = lambda: network(optimizers=[SGD(0.05, momentum=0.9)] * 6)   # noqa: E731
    throughout, travelling = make(), make()
    deepbasicsSteps(throughout, MSE(), steps)
    deepbasicsSteps(travelling, MSE(), steps[:3])
    net, optimizer = convert.toTorch(travelling, optimizer=True)
    torchSteps(torch, net, optimizer, MSE(), steps[3:6])
    back = convert.fromTorch(net, optimizer)
    assert back.layers[0].optimizer.config() == {"learningRate": 0.05, "momentum": 0.9}
    deepbasicsSteps(back, MSE(), steps[6:])
    for ours, theirs in zip(weights(back), weights(throughout)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)


def test_toTorch_refuses_an_optimizer_mix_it_cannot_express():
    pytest.importorskip("torch")
    model = network(optimizers=[Adam()] * 5 + [SGD(0.1)])
    with pytest.raises(ValueError, match=r"toTorch: one torch.optim optimizer needs every layer to use Adam, or "
                                         r"every layer SGD \(layer 0: Adam\(.*layer 5: SGD\(learningRate=0.1"):
        convert.toTorch(model, optimizer=True)
    convert.toTorch(model)   # the network alone is fine
    with pytest.raises(TypeError, match="optimizer must be True or False, got str 'adam'"):
        convert.toTorch(model, optimizer="adam")


def test_models_made_of_networks_export_their_parts():
    torch = pytest.importorskip("torch")
    encoder, decoder = network(widths=(6, 3), activations=[ReLU()]), network(widths=(3, 6), activations=[Sigmoid()])
    autoencoder = Autoencoder(encoder, decoder)
    with pytest.raises(TypeError, match=r"toTorch: model must be an MLP, got Autoencoder; export its networks, "
                                        r"each an MLP: toTorch\(model.encoder\), toTorch\(model.decoder\)"):
        convert.toTorch(autoencoder)
    vae = VAE(network(widths=(6, 4), activations=[ReLU()]), Sampler(4, 2, dtype=np.float64),
              network(widths=(2, 6), activations=[Sigmoid()]))
    with pytest.raises(TypeError, match=r"toTorch\(model.sampler.mean\), toTorch\(model.sampler.logVar\)"):
        convert.toTorch(vae)
    gan = GAN(network(widths=(2, 6), activations=[Tanh()]), network(widths=(6, 1), activations=[Sigmoid()]), 2)
    with pytest.raises(TypeError, match=r"toONNX\(model.generator\), toONNX\(model.discriminator\)"):
        convert.toONNX(gan, "gan.onnx")
    x = np.random.default_rng(0).random((5, 6))
    together = torch.nn.Sequential(convert.toTorch(autoencoder.encoder), convert.toTorch(autoencoder.decoder))
    with torch.no_grad():
        assert np.abs(together(torch.from_numpy(x)).numpy() - autoencoder.reconstruct(x)).max() < 1e-12
    mean = convert.toTorch(vae.sampler.mean)
    with torch.no_grad():
        code = vae.encoder.predict(x)
        assert np.abs(mean(torch.from_numpy(code)).numpy() - vae.encode(x)[0]).max() < 1e-12
    # and a Sequential of Sequentials comes back as one MLP
    assert np.abs(convert.fromTorch(together).predict(x) - autoencoder.reconstruct(x)).max() < 1e-12


def test_an_empty_network_and_a_foreign_activation_are_refused():
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="toTorch: the MLP has no layers yet"):
        convert.toTorch(MLP())

    class Swish(Sigmoid):
        pass
    model = network(widths=(3, 2), activations=[Swish()])
    with pytest.raises(TypeError, match=r"toTorch: layer 0 has activation Swish\(\), which has no counterpart"):
        convert.toTorch(model)


# ------------------------------------------------------------ fromTorch
def test_fromTorch_reads_a_sequential_built_in_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 6),
                              torch.nn.LeakyReLU(0.1), torch.nn.Linear(6, 6), torch.nn.Linear(6, 4),
                              torch.nn.Tanh(), torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))
    net[2].requires_grad_(False)
    model = convert.fromTorch(net)
    assert model.dtype == np.float32
    assert [repr(layer.activation) for layer in model.layers] == [
        "ReLU()", "LeakyReLU(epsilon=0.1)", "Identity()", "Tanh()", "Softmax()"]
    assert [layer.trainable for layer in model.layers] == [True, False, True, True, True]
    assert all(layer.optimizer is model.layers[0].optimizer for layer in model.layers)
    assert model.layers[0].optimizer.config() == Adam().config()
    x = np.random.default_rng(0).random((20, 5)).astype(np.float32)
    with torch.no_grad():
        assert np.abs(net(torch.from_numpy(x)).numpy() - model.predict(x)).max() < 1e-6
    # and the model is an ordinary deepbasics network, weights copied (not shared with the module)
    deepbasicsSteps(model, CrossEntropy(), [(x, np.eye(3)[np.arange(20) % 3])])
    assert not np.array_equal(net[0].weight.detach().numpy(), model.layers[0].W)


def test_fromTorch_of_toTorch_is_the_same_network():
    pytest.importorskip("torch")
    model = network()
    back = convert.fromTorch(convert.toTorch(model))
    assert repr(back).replace("0.001", "0.01") == repr(model)
    for ours, theirs in zip(weights(back), weights(model)):
        assert np.array_equal(ours, theirs)


def test_fromTorch_refuses_what_deepbasics_has_no_layer_for_naming_the_module():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    cases = [
        (nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2)), ValueError,
         r"fromTorch: module 1 \(Dropout\(p=0.5, inplace=False\)\) is not supported here \(which deepbasics has "
         r"no layer for\)"),
        (nn.Sequential(nn.ReLU(), nn.Linear(3, 4)), ValueError, r"module 0 \(ReLU\(\)\) .*before any Linear"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sigmoid()), ValueError,
         r"module 2 \(Sigmoid\(\)\) .*after an activation"),
        (nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 2), nn.GELU())), ValueError, r"module 1.1 \(GELU"),
        (nn.Sequential(nn.Linear(3, 4, bias=False)), ValueError, r"module 0 \(Linear.*bias=False\)\) has no bias"),
        (nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=0)), ValueError, r"module 1 \(Softmax\(dim=0\)\) takes the "
                                                                        r"softmax over dim=0"),
        (nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(1.5)), ValueError, r"negative_slope=1.5"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2).double()), ValueError, r"mix dtypes \['float32', 'float64'\]"),
        (nn.Sequential(nn.Linear(3, 4).half()), ValueError, r"torch.float16"),
        (nn.Sequential(), ValueError, r"holds no Linear layer"),
        (nn.Linear(3, 4), TypeError, r"module must be a torch.nn.Sequential .*got Linear"),
    ]
    for module, error, message in cases:
        with pytest.raises(error, match=message):
            convert.fromTorch(module)
    half = nn.Sequential(nn.Linear(3, 4))
    half[0].bias.requires_grad_(False)
    with pytest.raises(ValueError, match=r"module 0 .* trains its weight but not its bias"):
        convert.fromTorch(half)


def test_fromTorch_refuses_optimizer_settings_deepbasics_does_not_have():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
    for optimizer, message in [
        (torch.optim.Adam(net.parameters(), weight_decay=0.01), r"parameter group 0 sets \{'weight_decay': 0.01\}"),
        (torch.optim.Adam(net.parameters(), amsgrad=True), r"'amsgrad': True"),
        (torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True), r"'nesterov': True"),
        (torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, dampening=0.1), r"'dampening': 0.1"),
        (torch.optim.Adam([net[0].weight]), r"does not step the weight and bias of Linear layer 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            convert.fromTorch(net, optimizer)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Adam or torch.optim.SGD, got AdamW"):
        convert.fromTorch(net, torch.optim.AdamW(net.parameters()))


def test_without_torch_the_error_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)   # what `import torch` meets when it is not installed
    for call in (lambda: convert.toTorch(network()), lambda: convert.fromTorch(None)):
        with pytest.raises(ImportError, match=r'needs PyTorch: pip install "deepbasics\[torch\]"'):
            call()


# ----------------------------------------------------------------- ONNX
def graphOf(path):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    return model


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-6), (np.float64, 1e-12)])
def test_onnxruntime_predicts_like_deepbasics_for_any_batch_size(tmp_path, dtype, tolerance):
    ort = pytest.importorskip("onnxruntime")
    # 0.25: ONNX keeps attributes in float32, so a float64 network's slope must be one that float32 holds exactly.
    model = network(dtype, activations=[ReLU(), LeakyReLU(0.25), Identity(), Tanh(), Sigmoid(), Softmax()])
    deepbasicsSteps(model, CrossEntropy(), batches(3))
    path = convert.toONNX(model, tmp_path / "model.onnx")
    assert path == str(tmp_path / "model.onnx")
    graphOf(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for n in (1, 37, 200):
        x = np.random.default_rng(n).normal(size=(n, 6)).astype(dtype)
        output, = session.run(None, {"input": x})
        assert output.dtype == dtype and output.shape == (n, 4)
        assert np.abs(output - model.predict(x)).max() <= tolerance


def test_the_onnx_graph_is_gemm_with_transB_and_the_activations(tmp_path):
    pytest.importorskip("onnx")
    from onnx import numpy_helper
    model = network(np.float32)
    graph = graphOf(convert.toONNX(model, tmp_path / "model.onnx", opset=18))
    assert [node.op_type for node in graph.graph.node] == [
        "Gemm", "Relu", "Gemm", "LeakyRelu", "Gemm", "Identity", "Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm", "Softmax"]
    attributes = {node.name: {a.name: a for a in node.attribute} for node in graph.graph.node}
    assert all(attributes[f"layer{i}.Gemm"]["transB"].i == 1 for i in range(6))
    assert attributes["layer1.LeakyRelu"]["alpha"].f == pytest.approx(0.2)
    assert attributes["layer5.Softmax"]["axis"].i == -1
    assert [opset.version for opset in graph.opset_import if opset.domain == ""] == [18]
    (batch, width), = [[d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
                       for value in graph.graph.input]
    assert (batch, width) == ("batch", 6)
    assert [d.dim_param or d.dim_value for d in graph.graph.output[0].type.tensor_type.shape.dim] == ["batch", 4]
    stored = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.graph.initializer}
    assert np.array_equal(stored["layer2.W"], model.layers[2].W)
    assert np.array_equal(stored["layer2.b"], model.layers[2].b)


def test_toONNX_needs_no_torch_and_writes_atomically(tmp_path, monkeypatch):
    pytest.importorskip("onnx")
    monkeypatch.setitem(sys.modules, "torch", None)
    model = network(np.float32)
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    convert.toONNX(model, path)
    assert graphOf(str(path)).producer_name == "deepbasics" and (os.stat(path).st_mode & 0o777) == 0o640
    with pytest.raises(FileNotFoundError, match="the folder .*missing does not exist"):
        convert.toONNX(model, tmp_path / "missing" / "model.onnx")
    assert os.listdir(tmp_path) == ["model.onnx"]   # no temporary file left behind


def test_toONNX_checks_its_arguments(tmp_path, monkeypatch):
    onnx = pytest.importorskip("onnx")
    for opset in (16, 10**3, 17.0, True):
        with pytest.raises(ValueError, match=rf"opset must be an integer from 17 to {onnx.defs.onnx_opset_version()}"):
            convert.toONNX(network(), tmp_path / "model.onnx", opset=opset)
    with pytest.raises(TypeError, match="toONNX: model must be an MLP, got Dense"):
        convert.toONNX(Dense(2, 3), tmp_path / "model.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'toONNX needs the onnx package: pip install "deepbasics\[onnx\]"'):
        convert.toONNX(network(), tmp_path / "model.onnx")
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------ the example
def runExport(*arguments):
    return subprocess.run([sys.executable, "examples/export.py", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def tableRows(stdout):
    """``{name: (accuracy, difference, digits beyond 1e-6, fromFloat64)}`` from the table the example prints last."""
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"(deepbasics|PyTorch|onnxruntime)\S* .*?\s{2,}([0-9.]+)%\s+(\S+)\s+(\S+)\s+(\S+)$", line)
        if match:
            rows[match.group(1)] = tuple(float("nan") if cell == "-" else float(cell.replace(",", ""))
                                         for cell in match.groups()[1:])
    return rows


def test_the_export_example_has_help():
    result = runExport("--help")
    assert result.returncode == 0
    for option in ("--model", "--epochs", "--out", "--data-dir", "--dtype", "--train-size"):
        assert option in result.stdout


@pytest.mark.slow
def test_the_export_example_writes_both_files_that_predict_like_the_saved_model(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    folder = dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    saved = tmp_path / "mnist.npz"
    subprocess.run([sys.executable, "examples/mnist_classifier.py", "--epochs", "1", "--train-size", "3000",
                    "--data-dir", str(folder), "--save", str(saved)], cwd=ROOT, check=True, capture_output=True,
                   timeout=600)
    result = runExport("--model", str(saved), "--out", str(tmp_path / "out"), "--data-dir", str(folder),
                       "--continue-steps", "20")
    assert result.returncode == 0, result.stderr[-3000:]
    handedOver = dict(re.findall(r"^(torchLoss\(CrossEntropy\(\)\)|torchLoss, the optimizer's state left behind)"
                                 r"\s+([0-9.e+-]+)$", result.stdout, re.MULTILINE))
    assert float(handedOver["torchLoss(CrossEntropy())"]) < 1e-10, result.stdout
    assert float(handedOver["torchLoss, the optimizer's state left behind"]) > 1e-4
    assert sorted(os.listdir(tmp_path / "out")) == ["mnist.onnx", "mnist_torch.pt"]
    graph = "input (batch, 784) -> Gemm -> Relu -> Gemm -> Relu -> Gemm -> Softmax -> output (batch, 10)"
    assert graph in result.stdout
    rows = tableRows(result.stdout)
    assert set(rows) == {"deepbasics", "PyTorch", "onnxruntime"}, result.stdout
    accuracy = rows["deepbasics"][0]
    assert accuracy > 80 and rows["PyTorch"][0] == rows["onnxruntime"][0] == accuracy
    # float32: each library rounds its sums in its own order, by about what float32 arithmetic itself moves
    assert rows["PyTorch"][1] < 1e-5 and rows["onnxruntime"][1] < 1e-5
    assert rows["PyTorch"][2] < 100 and rows["onnxruntime"][2] < 100   # of 10,000: 1e-6 holds for almost all
    # Without --model it trains one; in float64 the files predict what deepbasics does, to rounding.
    result = runExport("--epochs", "1", "--train-size", "2000", "--out", str(tmp_path / "out64"),
                       "--data-dir", str(folder), "--dtype", "float64")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Epoch 1/1" in result.stdout
    rows = tableRows(result.stdout)
    assert rows["deepbasics"][0] > 70 and rows["deepbasics"][3] != rows["deepbasics"][3]   # no float64 column: nan
    assert rows["PyTorch"][1] < 1e-12 and rows["onnxruntime"][1] < 1e-12
    assert rows["PyTorch"][2] == rows["onnxruntime"][2] == 0
