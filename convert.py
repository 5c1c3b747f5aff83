"""Taking a network out of deepbasics, to PyTorch or ONNX, and bringing one back from PyTorch.

A deepbasics ``MLP`` is a stack of ``Dense`` layers, ``a = f(x W^T + b)``
with ``W (outputDim, inputDim)``. That is exactly PyTorch's ``nn.Linear``
(whose ``weight`` has the same shape) followed by an activation module, and
ONNX's ``Gemm(x, W, b, transB=1)`` followed by an activation operator, so
nothing is approximated: the weights are copied as they are.

===========================  =============================  ========================
deepbasics                   PyTorch                        ONNX
===========================  =============================  ========================
``Dense(W, b)``              ``nn.Linear``                  ``Gemm``, ``transB=1``
``Identity()``               ``nn.Identity()``              ``Identity``
``Sigmoid()``                ``nn.Sigmoid()``               ``Sigmoid``
``Tanh()``                   ``nn.Tanh()``                  ``Tanh``
``ReLU()``                   ``nn.ReLU()``                  ``Relu``
``LeakyReLU(epsilon)``       ``nn.LeakyReLU(epsilon)``      ``LeakyRelu``, ``alpha``
``Softmax()``                ``nn.Softmax(dim=-1)``         ``Softmax``, ``axis=-1``
``Adam(...)``, ``SGD(...)``  ``torch.optim.Adam``, ``SGD``
===========================  =============================  ========================

The losses, for training on in PyTorch as deepbasics would:

- the chapter's ``CrossEntropy`` is the per-output binary form on the
  network's outputs (after its Softmax), so it is
  ``nn.BCELoss(reduction="sum")(output, y) / n``, **not**
  ``nn.CrossEntropyLoss``, which takes logits and is the categorical form.
  One difference remains: PyTorch bounds the gradient's denominator
  ``p (1 - p)`` below by 1e-12, where deepbasics only keeps ``p`` inside
  ``[eps, 1 - eps]``, so outputs within about 1e-12 of 0 or 1 (a quarter of
  a trained MNIST classifier's) get other gradients. ``torchLoss(CrossEntropy())``
  computes deepbasics' value and gradient exactly;
- ``MSE`` is ``1/(2n) sum ||yPred - y||^2``, so it is
  ``nn.MSELoss(reduction="sum")(output, y) / (2 * n)`` (``MSELoss()``'s mean
  also divides by the number of outputs, and has no 1/2).

An ``Autoencoder``, ``VAE`` or ``GAN`` is not one stack of layers; export
its networks, each an ``MLP``: ``toTorch(autoencoder.encoder)``,
``toTorch(vae.sampler.mean)``, ``toONNX(gan.generator, "generator.onnx")``.

PyTorch and the ``onnx`` package are optional (extras ``torch`` and
``onnx``) and imported only by the function that needs them.
"""

import importlib

import numpy as np

import activations
import optimizer as optimizerModule
from checks import checkInstance
from files import writeAtomically
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP

# The parts of each model made of several networks, for the message that says what to export instead.
_PARTS = {"Autoencoder": ("encoder", "decoder"), "VAE": ("encoder", "sampler.mean", "sampler.logVar", "decoder"),
          "GAN": ("generator", "discriminator"), "Sampler": ("mean", "logVar")}
_ONNX_OPERATORS = {"Identity": "Identity", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "ReLU": "Relu",
                   "LeakyReLU": "LeakyRelu", "Softmax": "Softmax"}
# torch.optim settings that deepbasics' Adam and SGD do not have: fromTorch refuses any that is set.
_UNSUPPORTED = ("weight_decay", "amsgrad", "maximize", "nesterov", "dampening", "decoupled_weight_decay")
_PACKAGES = {"torch": "PyTorch", "onnx": "the onnx package"}   # the optional packages, as their errors name them


def _importOptional(owner, package):
    """The optional ``package`` (``"torch"`` or ``"onnx"``); an ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(package)
    except ImportError as error:
        raise ImportError(f'{owner} needs {_PACKAGES[package]}: pip install "deepbasics[{package}]"') from error


def _checkModel(owner, model):
    """Fail unless ``model`` is an MLP with layers; for a composite model, the TypeError names the parts to export."""
    if not isinstance(model, MLP):
        parts = _PARTS.get(type(model).__name__)
        hint = (f"; export its networks, each an MLP: {', '.join(f'{owner}(model.{part})' for part in parts)}"
                if parts else "")
        raise TypeError(f"{owner}: model must be an MLP, got {type(model).__name__}{hint}")
    if not model.layers:
        raise ValueError(f"{owner}: the MLP has no layers yet; add some with addLayer(Dense(...))")
    for index, layer in enumerate(model.layers):
        if type(layer.activation) not in activations.ACTIVATIONS.values():
            raise TypeError(f"{owner}: layer {index} has activation {layer.activation!r}, which has no "
                            f"counterpart; known: {', '.join(activations.ACTIVATIONS)}")


# ------------------------------------------------------------------ PyTorch
def toTorch(model, optimizer=False):
    """The ``MLP`` as a ``torch.nn.Sequential`` of ``Linear`` and activation modules, in the model's dtype.

    Parameters
    ----------
    model : MLP
    optimizer : bool, default False
        Also return a ``torch.optim.Adam`` (or ``SGD``) with the layers'
        hyperparameters and their optimizer state (``step``, ``exp_avg``,
        ``exp_avg_sq``; ``momentum_buffer``), so that training goes on in
        PyTorch as it would have in deepbasics. Layers that share an
        optimizer share a parameter group; each other optimizer gets a group
        of its own. All layers need the same kind of optimizer.

    Returns
    -------
    torch.nn.Sequential, or (torch.nn.Sequential, torch.optim.Optimizer)
        ``Linear(inputDim, outputDim)`` with ``weight = W (outputDim,
        inputDim)`` and ``bias = b`` (copies), each followed by its
        activation module. A frozen layer's parameters have
        ``requires_grad=False``. The module takes ``(n, inputDim)``.

    Examples
    --------
    >>> from layers import Dense
    >>> from activations import ReLU, Softmax
    >>> model = MLP()
    >>> model.addLayer(Dense(4, 3, activation=ReLU(), seed=0))
    >>> model.addLayer(Dense(3, 2, activation=Softmax(), seed=1))
    >>> toTorch(model)
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=2, bias=True)
      (3): Softmax(dim=-1)
    )
    """
    torch = _importOptional("toTorch", "torch")
    _checkModel("toTorch", model)
    checkInstance("toTorch", "optimizer", optimizer, bool, "True or False")
    modules = []
    for layer in model.layers:
        # skip_init: no random initialisation to overwrite, and torch's global random stream left alone;
        # the parameters are then copies of W and b, in their dtype.
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.inputDim, layer.outputDim)
        linear.weight = torch.nn.Parameter(torch.from_numpy(layer.W.copy()), requires_grad=layer.trainable)
        linear.bias = torch.nn.Parameter(torch.from_numpy(layer.b.copy()), requires_grad=layer.trainable)
        modules += [linear, _torchActivation(torch, layer.activation)]
    network = torch.nn.Sequential(*modules)
    return (network, _torchOptimizer(torch, model, network)) if optimizer else network


def _torchActivation(torch, activation):
    name = type(activation).__name__
    if name == "LeakyReLU":
        return torch.nn.LeakyReLU(negative_slope=activation.epsilon)
    if name == "Softmax":
        return torch.nn.Softmax(dim=-1)
    return getattr(torch.nn, name)()   # Identity, Sigmoid, Tanh, ReLU: the same names


def _torchOptimizer(torch, model, network):
    """A torch.optim optimizer with one parameter group per deepbasics optimizer, and the layers' state."""
    byOptimizer = {}   # id of each deepbasics optimizer -> (it, its layers' parameters), in the layers' order
    for layer, linear in zip(model.layers, network[0::2]):
        byOptimizer.setdefault(id(layer.optimizer), (layer.optimizer, []))[1].extend([linear.weight, linear.bias])
    groups = byOptimizer.values()
    kinds = {type(optimizer) for optimizer, _ in groups}
    if len(kinds) > 1 or not kinds <= {optimizerModule.Adam, optimizerModule.SGD}:
        used = ", ".join(f"layer {index}: {layer.optimizer!r}" for index, layer in enumerate(model.layers))
        raise ValueError(f"toTorch: one torch.optim optimizer needs every layer to use Adam, or every layer SGD "
                         f"({used}); give the layers one kind, or call toTorch(model) without the optimizer")
    if kinds == {optimizerModule.Adam}:
        result = torch.optim.Adam([{"params": parameters, "lr": adam.learningRate,
                                    "betas": (adam.beta_1, adam.beta_2), "eps": adam.epsilon}
                                   for adam, parameters in groups])
    else:
        result = torch.optim.SGD([{"params": parameters, "lr": sgd.learningRate, "momentum": sgd.momentum}
                                  for sgd, parameters in groups])
    # torch.optim keeps Adam's step count as a tensor, of this dtype (its own _get_scalar_dtype).
    stepType = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    for layer, linear in zip(model.layers, network[0::2]):
        for name, parameter in (("W", linear.weight), ("b", linear.bias)):
            state = layer.optimizerState[name]
            if "t" in state:
                result.state[parameter] = {"step": torch.tensor(float(state["t"]), dtype=stepType),
                                           "exp_avg": torch.from_numpy(state["m"].copy()),
                                           "exp_avg_sq": torch.from_numpy(state["v"].copy())}
            elif "velocity" in state:
                result.state[parameter] = {"momentum_buffer": torch.from_numpy(state["velocity"].copy())}
    return result


def torchLoss(loss):
    """The deepbasics ``loss`` as a function ``(output, target)`` of torch tensors: the same value and gradient.

    Parameters
    ----------
    loss : CrossEntropy or MSE

    Returns
    -------
    callable
        ``f(output (n, outputs), target (n, outputs))``, a 0-d tensor: the
        mean over the batch, as deepbasics' loss. For ``MSE`` that is
        ``nn.MSELoss(reduction="sum")(output, target) / (2 * n)``; for
        ``CrossEntropy``, ``nn.BCELoss(reduction="sum")(output, target) / n``
        but for outputs within about 1e-12 of 0 or 1, where this one keeps
        deepbasics' gradient (see the module's docstring).
    """
    torch = _importOptional("torchLoss", "torch")

    def batchSize(output):
        return output.shape[0] if output.dim() == 2 else 1

    if type(loss) is CrossEntropy:
        def crossEntropy(output, target):
            eps = torch.finfo(output.dtype).eps
            # The value at the clipped p and, as in deepbasics, the gradient of the clipped point.
            p = output + (output.clamp(eps, 1 - eps) - output).detach()
            return -(target * torch.log(p) + (1 - target) * torch.log1p(-p)).sum() / batchSize(output)
        return crossEntropy
    if type(loss) is MSE:
        return lambda output, target: torch.nn.functional.mse_loss(output, target, reduction="sum") / (
            2 * batchSize(output))
    raise TypeError(f"torchLoss: loss must be CrossEntropy() or MSE(), got {type(loss).__name__} {loss!r}")


def fromTorch(module, optimizer=None):
    """The ``MLP`` that a ``torch.nn.Sequential`` of ``Linear`` layers and supported activations computes.

    Parameters
    ----------
    module : torch.nn.Sequential
        ``Linear`` modules (with bias), each followed by at most one of
        ``Identity``, ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``,
        ``Softmax(dim=-1)``; none is ``Identity``. Nested ``Sequential`` s are
        read in order. All in float32 or all in float64.
    optimizer : torch.optim.Adam or torch.optim.SGD, optional
        Its hyperparameters and state come along: each parameter group
        becomes one deepbasics optimizer shared by its layers. Without it,
        every layer gets one shared ``Adam()`` with no state.

    Returns
    -------
    MLP
        In the module's dtype; a layer whose parameters do not require
        gradients is frozen (``trainable=False``).

    Raises
    ------
    TypeError, ValueError
        Naming the module (by its index in ``module``) or the optimizer
        setting that deepbasics has no counterpart for.
    """
    torch = _importOptional("fromTorch", "torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"fromTorch: module must be a torch.nn.Sequential of Linear layers and activations, "
                        f"got {type(module).__name__}")
    shared = optimizerModule.Adam()   # one Adam for every layer, as in the chapter, unless optimizer is given
    layers, linears, open_ = [], [], False   # open_: the last Linear still waits for its activation
    for name, child in _flatten(torch, module):
        if isinstance(child, torch.nn.Linear):
            linears.append(child)
            layers.append(_denseFromLinear(torch, name, child, shared))
            open_ = True
        elif open_ and _isActivation(torch, child):
            layers[-1].activation = _activationFromTorch(name, child)
            open_ = False
        else:
            where = ("before any Linear" if not layers else "after an activation" if _isActivation(torch, child)
                     else "which deepbasics has no layer for")
            raise ValueError(f"fromTorch: module {name} ({child!r}) is not supported here ({where}); deepbasics "
                             f"reads Linear layers, each followed by at most one of Identity, Sigmoid, Tanh, ReLU, "
                             f"LeakyReLU, Softmax(dim=-1)")
    if not layers:
        raise ValueError("fromTorch: the module holds no Linear layer")
    dtypes = {layer.dtype for layer in layers}
    if len(dtypes) > 1:
        raise ValueError(f"fromTorch: the Linear layers mix dtypes {sorted(d.name for d in dtypes)}; "
                         f"convert the module with .float() or .double() first")
    if optimizer is not None:
        _optimizerFromTorch(torch, optimizer, layers, linears)
    model = MLP(dtype=dtypes.pop())
    for layer in layers:
        model.addLayer(layer)
    return model


def _flatten(torch, module, prefix=""):
    """``(name, child)`` of ``module``'s children in order, nested Sequentials opened (names such as ``1.0``)."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Sequential):
            yield from _flatten(torch, child, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", child


def _isActivation(torch, child):
    return type(child) in [getattr(torch.nn, name) for name in activations.ACTIVATIONS]   # the same names in torch


def _activationFromTorch(name, child):
    kind = type(child).__name__
    if kind == "LeakyReLU":
        if not 0 <= child.negative_slope < 1:
            raise ValueError(f"fromTorch: module {name} ({child!r}) has negative_slope={child.negative_slope}; "
                             f"deepbasics' LeakyReLU takes a slope in [0, 1)")
        return activations.LeakyReLU(epsilon=child.negative_slope)
    if kind == "Softmax" and child.dim not in (-1, 1):
        raise ValueError(f"fromTorch: module {name} ({child!r}) takes the softmax over dim={child.dim}; "
                         f"deepbasics' Softmax is over each sample's outputs, dim=-1")
    return activations.ACTIVATIONS[kind]()


def _denseFromLinear(torch, name, linear, optimizer):
    if linear.bias is None:
        raise ValueError(f"fromTorch: module {name} ({linear!r}) has no bias; deepbasics' Dense always has one")
    if linear.weight.dtype not in (torch.float32, torch.float64) or linear.bias.dtype != linear.weight.dtype:
        raise ValueError(f"fromTorch: module {name} ({linear!r}) holds {linear.weight.dtype} and "
                         f"{linear.bias.dtype}; deepbasics computes in float32 or float64")
    if linear.weight.requires_grad != linear.bias.requires_grad:
        raise ValueError(f"fromTorch: module {name} ({linear!r}) trains its weight but not its bias, or the "
                         f"reverse; a deepbasics layer is frozen as a whole (trainable=False)")
    weight = linear.weight.detach().cpu().numpy().copy()
    dense = Dense(linear.in_features, linear.out_features, activation=activations.Identity(), optimizer=optimizer,
                  dtype=weight.dtype, trainable=linear.weight.requires_grad)
    dense.W, dense.b = weight, linear.bias.detach().cpu().numpy().copy()   # dW, db: Dense's zeros
    return dense


def _optimizerFromTorch(torch, optimizer, layers, linears):
    """Give ``layers`` the hyperparameters and state of the torch.optim ``optimizer`` of ``linears``."""
    if type(optimizer) not in (torch.optim.Adam, torch.optim.SGD):
        raise TypeError(f"fromTorch: optimizer must be a torch.optim.Adam or torch.optim.SGD, "
                        f"got {type(optimizer).__name__}")
    owners = {}
    for index, group in enumerate(optimizer.param_groups):
        unsupported = {key: group[key] for key in _UNSUPPORTED if group.get(key) not in (None, False, 0, 0.0)}
        if unsupported:
            raise ValueError(f"fromTorch: the optimizer's parameter group {index} sets {unsupported}, which "
                             f"deepbasics' {type(optimizer).__name__} does not have")
        if isinstance(optimizer, torch.optim.Adam):
            beta_1, beta_2 = group["betas"]
            ours = optimizerModule.Adam(float(group["lr"]), float(beta_1), float(beta_2), float(group["eps"]))
        else:
            ours = optimizerModule.SGD(float(group["lr"]), float(group["momentum"]))
        for parameter in group["params"]:
            owners[id(parameter)] = ours
    for index, (layer, linear) in enumerate(zip(layers, linears)):
        mine = {owners.get(id(linear.weight)), owners.get(id(linear.bias))}
        if None in mine or len(mine) > 1:
            raise ValueError(f"fromTorch: the optimizer does not step the weight and bias of Linear layer "
                             f"{index} ({linear!r}) in one parameter group")
        layer.optimizer = mine.pop()
        for name, parameter in (("W", linear.weight), ("b", linear.bias)):
            state = optimizer.state.get(parameter, {})
            if state.get("exp_avg") is not None:
                layer.optimizerState[name] = {"t": int(state["step"]), "m": _array(state["exp_avg"], layer),
                                              "v": _array(state["exp_avg_sq"], layer)}
            elif state.get("momentum_buffer") is not None:
                layer.optimizerState[name] = {"velocity": _array(state["momentum_buffer"], layer)}


def _array(tensor, layer):
    return tensor.detach().cpu().numpy().astype(layer.dtype, copy=True)


# --------------------------------------------------------------------- ONNX
def toONNX(model, path, opset=17):
    """Write the ``MLP`` as an ONNX model to ``path`` (atomically); return the path.

    The graph takes ``input (batch, inputDim)``, with a dynamic batch size,
    and gives ``output (batch, outputDim)``; each layer is a ``Gemm`` (with
    ``transB=1``: ONNX stores ``W (outputDim, inputDim)`` as it is) and its
    activation. Float32 models give a float32 graph, float64 ones a double
    graph. Needs the ``onnx`` package (``pip install "deepbasics[onnx]"``),
    not PyTorch; the file passes ``onnx.checker.check_model``.

    ONNX keeps operator attributes in float32, LeakyRelu's slope ``alpha``
    among them: a float64 network whose slope float32 cannot hold exactly
    (0.2, unlike 0.25) gives outputs that differ from deepbasics' by about
    ``1e-9`` of their size under onnxruntime, instead of ``1e-15``.

    Parameters
    ----------
    model : MLP
    path : str or os.PathLike
        Where to write, e.g. ``"mnist.onnx"``.
    opset : int, default 17
        The ONNX operator set version, 17 or newer.
    """
    onnx = _importOptional("toONNX", "onnx")
    from onnx import helper, numpy_helper
    _checkModel("toONNX", model)
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not 17 <= opset <= newest:
        raise ValueError(f"toONNX: opset must be an integer from 17 to {newest}, got {opset!r}")
    elementType = {np.float32: onnx.TensorProto.FLOAT, np.float64: onnx.TensorProto.DOUBLE}[model.dtype.type]
    nodes, weights, x = [], [], "input"
    for index, layer in enumerate(model.layers):
        name, activation = f"layer{index}", layer.activation
        weights += [numpy_helper.from_array(layer.W, f"{name}.W"), numpy_helper.from_array(layer.b, f"{name}.b")]
        nodes.append(helper.make_node("Gemm", [x, f"{name}.W", f"{name}.b"], [f"{name}.z"], name=f"{name}.Gemm",
                                      transB=1))
        x = "output" if index == len(model.layers) - 1 else f"{name}.a"
        operator = _ONNX_OPERATORS[type(activation).__name__]
        attributes = {"alpha": activation.epsilon} if operator == "LeakyRelu" else \
            {"axis": -1} if operator == "Softmax" else {}
        nodes.append(helper.make_node(operator, [f"{name}.z"], [x], name=f"{name}.{operator}", **attributes))
    graph = helper.make_graph(
        nodes, "deepbasics_MLP",
        [helper.make_tensor_value_info("input", elementType, ["batch", model.inputDim])],
        [helper.make_tensor_value_info("output", elementType, ["batch", model.outputDim])], initializer=weights)
    operatorSets = [helper.make_opsetid("", opset)]
    # The oldest IR version that holds this opset, so that older runtimes open the file too.
    onnxModel = helper.make_model(graph, opset_imports=operatorSets, producer_name="deepbasics",
                                  ir_version=helper.find_min_ir_version_for(operatorSets),
                                  doc_string=repr(model))
    onnx.checker.check_model(onnxModel, full_check=True)
    return writeAtomically(path, lambda file: file.write(onnxModel.SerializeToString()))
