"""Take the chapter's MNIST classifier out of deepbasics: to PyTorch and to ONNX, and check both on the test set.

Save a model first (or let this script train one), then export it:

    python examples/mnist_classifier.py --save mnist.npz
    python examples/export.py --model mnist.npz --out exported/

It writes ``exported/mnist_torch.pt`` (a PyTorch checkpoint: the network's
``state_dict`` and its Adam's, so training can go on in PyTorch) and
``exported/mnist.onnx``. It reads both files back, runs the 10,000 MNIST test
digits through each (PyTorch, and onnxruntime for the ONNX file), and prints
the largest difference from deepbasics' own predictions and each one's test
accuracy. Needs ``pip install "deepbasics[torch]" "deepbasics[onnx]"``.
"""

import argparse
import pathlib
import sys

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import convert  # noqa: E402
from dataset import Dataset  # noqa: E402
from files import writeAtomically  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from tables import formatTable  # noqa: E402


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", metavar="PATH",
                        help="a classifier saved by examples/mnist_classifier.py --save (default: train one here)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs to train when no --model is given (default 1)")
    parser.add_argument("--out", metavar="DIR", default="exported",
                        help="folder for mnist_torch.pt and mnist.onnx (default exported/)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    parser.add_argument("--train-size", type=int, default=60000,
                        help="training samples when no --model is given (default 60000)")
    parser.add_argument("--seed", type=int, default=0, help="seed for training when no --model is given (default 0)")
    parser.add_argument("--continue-steps", type=int, default=0, metavar="N",
                        help="also hand training over: N Adam steps in deepbasics then N in PyTorch, in float64 on "
                             "MNIST batches, against 2N in deepbasics (default 0: skip)")
    parser.add_argument("--dtype", choices=["float32", "float64"],
                        help="export the network in this dtype (default: the model's own)")
    arguments = parser.parse_args(argv)
    missing = [extra for extra, module in (("torch", "torch"), ("onnx", "onnx"), ("onnx", "onnxruntime"))
               if not _installed(module)]
    if missing:   # say so now rather than after training
        parser.error(f"this example needs PyTorch, onnx and onnxruntime: pip install "
                     f"{' '.join(sorted({f'deepbasics[{extra}]' for extra in missing}))}")
    if arguments.continue_steps < 0:
        parser.error(f"--continue-steps must be 0 or more, got {arguments.continue_steps}")
    if arguments.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {arguments.epochs}")
    return arguments


def _installed(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def classifier(arguments, dataset):
    """The model of ``--model``, or the chapter's classifier trained here for ``--epochs``."""
    if arguments.model:
        model = MLP.load(arguments.model)
        if (model.inputDim, model.outputDim) != (784, 10):
            sys.exit(f"export.py: {arguments.model} maps {model.inputDim} inputs to {model.outputDim} outputs; "
                     f"expected an MNIST classifier, 784 to 10")
        print(f"Loaded {arguments.model}: {model!r}")
        return model
    from mnist_classifier import buildClassifier
    model = buildClassifier(learningRate=0.001, seed=arguments.seed, dtype=np.float32)
    model.train(dataset, loss=CrossEntropy(), epochs=arguments.epochs, metrics=["test_accuracy"])
    return model


def inDtype(model, dtype):
    """A copy of ``model`` (weights and optimizer state) computing in ``dtype``."""
    copy = MLP(dtype=dtype)
    for layer in MLP.fromArrays(model.toArrays()).layers:
        copy.addLayer(layer)   # converts the layer to the copy's dtype
    return copy


def writeTorch(model, path):
    """The network and its optimizer as a PyTorch checkpoint of two ``state_dict`` s, written atomically."""
    import torch
    network, optimizer = convert.toTorch(model, optimizer=True)
    checkpoint = {"model": network.state_dict(), "optimizer": optimizer.state_dict()}
    writeAtomically(path, lambda file: torch.save(checkpoint, file))
    return network


def readTorch(model, path):
    """The checkpoint read back into a fresh module of the same architecture, as a PyTorch user would."""
    import torch
    network = convert.toTorch(model)   # the architecture; its weights are replaced by the file's
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.zero_()
    network.load_state_dict(torch.load(path, weights_only=True)["model"])
    return network


def row(name, predictions, reference, labels, exact):
    """How far ``predictions`` are from deepbasics' (and from float64 arithmetic), and their test accuracy.

    Also how many digits differ from deepbasics' by more than 1e-6 in some output.
    """
    apart = np.abs(predictions - reference).max(axis=1)
    return (name, f"{np.mean(predictions.argmax(axis=1) == labels):.2%}",
            "-" if predictions is reference else f"{apart.max():.2e}",
            "-" if predictions is reference else f"{np.count_nonzero(apart > 1e-6):,}",
            "-" if exact is None else f"{np.abs(predictions - exact).max():.2e}")


def handOver(model, dataset, steps):
    """Train a float64 copy ``steps`` steps in deepbasics then ``steps`` in PyTorch; another ``2 steps`` here.

    Returns ``{how: the largest difference of any weight between the two}``
    for PyTorch trained with ``convert.torchLoss(CrossEntropy())``, with
    ``BCELoss(reduction="sum") / n``, and without the optimizer's state.
    """
    import torch

    def passes():   # as many passes over the training set as the steps need
        while True:
            yield from dataset
    batches = [(x.astype(np.float64), y.astype(np.float64)) for _, (x, y) in zip(range(2 * steps), passes())]
    crossEntropy, bce = CrossEntropy(), torch.nn.BCELoss(reduction="sum")

    def deepbasicsSteps(network, part):
        for x, y in part:
            network.backward(crossEntropy.gradient(network.forward(x), y))
            network.update()

    throughout = inDtype(model, np.float64)
    deepbasicsSteps(throughout, batches)
    ours = [parameter for layer in throughout.layers for parameter in (layer.W, layer.b)]
    differences = {}
    for how, loss, keepState in [("torchLoss(CrossEntropy())", convert.torchLoss(crossEntropy), True),
                                 ('BCELoss(reduction="sum") / n', lambda p, y: bce(p, y) / len(p), True),
                                 ("torchLoss, the optimizer's state left behind",
                                  convert.torchLoss(crossEntropy), False)]:
        travelling = inDtype(model, np.float64)
        deepbasicsSteps(travelling, batches[:steps])
        network, optimizer = convert.toTorch(travelling, optimizer=True)
        if not keepState:
            optimizer.state.clear()
        for x, y in batches[steps:]:
            value = loss(network(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
        differences[how] = max(np.abs(theirs.detach().numpy() - mine).max()
                               for theirs, mine in zip(network.parameters(), ours))
    return differences


def main(argv=None):
    arguments = parseArguments(argv)
    import onnx
    import onnxruntime
    import torch

    dataset = Dataset(name="mnist", train_size=arguments.train_size, test_size=10000, data_dir=arguments.data_dir,
                      seed=arguments.seed)
    model = classifier(arguments, dataset)
    if arguments.dtype:
        model = inDtype(model, np.dtype(arguments.dtype))
    out = pathlib.Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    x, labels = dataset.x_test.astype(model.dtype), dataset.y_test.argmax(axis=1)
    reference = model.predict(x)
    # In float32 every library rounds its 784-term sums in its own order: the same weights computed in
    # float64 show how much of a difference is float32 arithmetic itself.
    exact = inDtype(model, np.float64).predict(x.astype(np.float64)) if model.dtype == np.float32 else None
    rows = [row(f"deepbasics ({model.dtype.name})", reference, reference, labels, exact)]

    torchPath = out / "mnist_torch.pt"
    print(f"PyTorch module:\n{writeTorch(model, torchPath)}")
    network = readTorch(model, torchPath)
    with torch.no_grad():
        predictions = network(torch.from_numpy(x)).numpy()
    rows.append(row(f"PyTorch {torch.__version__} ({torchPath.name})", predictions, reference, labels, exact))

    onnxPath = convert.toONNX(model, out / "mnist.onnx")
    graph = onnx.load(onnxPath).graph
    print(f"ONNX graph: input {_shape(graph.input[0])} -> "
          f"{' -> '.join(node.op_type for node in graph.node)} -> output {_shape(graph.output[0])}")
    session = onnxruntime.InferenceSession(onnxPath, providers=["CPUExecutionProvider"])
    predictions, = session.run(None, {"input": x})
    rows.append(row(f"onnxruntime {onnxruntime.__version__} ({pathlib.Path(onnxPath).name})", predictions,
                    reference, labels, exact))
    print(f"Wrote {torchPath} and {onnxPath}\n")
    print(formatTable(("on the 10,000 MNIST test digits", "test accuracy", "largest difference from deepbasics",
                       "digits beyond 1e-6", "from float64 arithmetic"), rows))
    if arguments.continue_steps:
        steps = arguments.continue_steps
        print(f"\nTraining handed over in float64, batches of {dataset.batch_size}: {steps} Adam steps in deepbasics "
              f"then {steps} in PyTorch, against {2 * steps} in deepbasics")
        print(formatTable(("PyTorch's loss", "largest weight difference"),
                          [(how, f"{difference:.2e}") for how, difference in handOver(model, dataset, steps).items()]))


def _shape(value):
    return "(" + ", ".join(d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim) + ")"


if __name__ == "__main__":
    main()
