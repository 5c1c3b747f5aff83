"""A small network learns a toy data set in seconds; with --plots, watch its decision boundary bend.

Run from the project root:

    python examples/playground.py                              # the spiral, 3 arms
    python examples/playground.py --dataset xor --hidden 8
    python examples/playground.py --plots out/                 # needs pip install "deepbasics[plot]"

With ``--plots DIR`` it writes ``DIR/<dataset>-epoch-000.png`` before training
and more after epochs 1, 2, 4, 8, 16, ... (the boundary bends most at first)
and after the last, or every ``--every`` epochs: the predicted class over
the plane, with the training points on top.
"""

import argparse
import os
import pathlib
import sys
import time

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from activations import ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def hiddenSizes(text):
    """``"32,32"`` -> ``[32, 32]``: the widths of the hidden layers."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--hidden takes widths separated by commas, such as 32,32; got {text!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--hidden widths must be positive integers, got {text!r}")
    return sizes


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["spiral", "xor", "moons", "circles"], default="spiral")
    parser.add_argument("--hidden", type=hiddenSizes, default=[32, 32],
                        help="widths of the hidden layers, separated by commas (default 32,32)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                        help="activation of the hidden layers (default relu)")
    parser.add_argument("--epochs", type=int, default=60, help="passes over the training set (default 60)")
    parser.add_argument("--learning-rate", type=float, default=0.01, help="Adam's step size (default 0.01)")
    parser.add_argument("--batch-size", type=int, default=20, help="samples per mini-batch (default 20)")
    parser.add_argument("--train-size", type=int, default=600, help="training points (default 600)")
    parser.add_argument("--noise", type=float, default=None, help="jitter of the points (default: the set's own)")
    parser.add_argument("--classes", type=int, default=None, help="arms of the spiral (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the points, weights and shuffling (default 0)")
    parser.add_argument("--plots", metavar="DIR", help="write the decision boundary as PNGs to DIR")
    parser.add_argument("--every", type=int, default=None,
                        help="with --plots: epochs between pictures (default: after epochs 1, 2, 4, 8, ...)")
    arguments = parser.parse_args(argv)
    if arguments.classes is not None and arguments.dataset != "spiral":
        parser.error("--classes is for --dataset spiral")
    if arguments.every is not None and arguments.every < 1:
        parser.error(f"--every must be at least 1, got {arguments.every}")
    return arguments


def buildNetwork(classes, hidden, activation, learningRate, seed):
    """2 inputs, the hidden layers, a Softmax over the classes; one Adam for all."""
    model = MLP()
    optimizer = Adam(learningRate=learningRate)
    sizes = [2] + hidden
    for index, (inputDim, outputDim) in enumerate(zip(sizes, sizes[1:])):
        model.addLayer(Dense(inputDim, outputDim, activation=ACTIVATIONS[activation](), optimizer=optimizer,
                             seed=seed + index))
    model.addLayer(Dense(sizes[-1], classes, activation=Softmax(), optimizer=optimizer, seed=seed + len(hidden)))
    return model


def boundaryWriter(folder, dataset, every, epochs):
    """An ``on_epoch_end`` callback that draws the boundary every ``every`` epochs (None: after epochs 1, 2, 4,
    8, ...) and after the last, and ``draw`` for a first picture now."""
    import plots   # only with --plots: the rest of the playground needs no matplotlib

    os.makedirs(folder, exist_ok=True)

    def draw(model, epoch, accuracy=None):
        path = os.path.join(folder, f"{dataset.name}-epoch-{epoch:03d}.png")
        title = f"{dataset.name}, epoch {epoch}" + ("" if accuracy is None else f": test accuracy {accuracy:.1%}")
        plots.plotDecisionBoundary(model, dataset.x_train, dataset.y_train, save=path, title=title)
        print(f"wrote {path}")

    def onEpochEnd(model, epoch, logs):
        finished = epoch + 1
        due = finished % every == 0 if every else finished & (finished - 1) == 0   # a power of two
        if due or finished == epochs:
            draw(model, finished, logs.get("test_accuracy"))

    return draw, onEpochEnd


def main(argv=None):
    arguments = parseArguments(argv)
    dataset = Dataset(name=arguments.dataset, train_size=arguments.train_size, test_size=arguments.train_size // 2,
                      batch_size=arguments.batch_size, seed=arguments.seed, noise=arguments.noise,
                      classes=arguments.classes)
    model = buildNetwork(dataset.y_train.shape[1], arguments.hidden, arguments.activation, arguments.learning_rate,
                         arguments.seed)
    model.summary()
    callbacks = {}
    if arguments.plots:
        draw, onEpochEnd = boundaryWriter(arguments.plots, dataset, arguments.every, arguments.epochs)
        draw(model, 0, model.evaluate(dataset.x_test, dataset.y_test, CrossEntropy())["accuracy"])
        callbacks["on_epoch_end"] = onEpochEnd
    start = time.perf_counter()
    history = model.train(dataset, loss=CrossEntropy(), epochs=arguments.epochs,
                          metrics=["train_loss", "test_accuracy"], callbacks=callbacks, verbose=False)
    seconds = time.perf_counter() - start
    epochs = len(history["test_accuracy"])
    if epochs:
        print(f"Epoch {epochs}: train_loss {history['train_loss'][-1]:.4f}, test_accuracy "
              f"{history['test_accuracy'][-1]:.4f}")
    accuracy = model.evaluate(dataset.x_test, dataset.y_test, CrossEntropy())["accuracy"]
    print(f"Final test accuracy on the {dataset.name}: {accuracy:.2%} after {epochs} epoch(s) in {seconds:.1f}s")
    return accuracy


if __name__ == "__main__":
    main()
