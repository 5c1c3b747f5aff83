"""The chapter's MNIST classifier: 784-100-50-10, ReLU, Softmax, CrossEntropy, one shared Adam.

Run from the project root (the data is downloaded to ~/.cache/deepbasics the
first time, or read from $DEEPBASICS_DATA_DIR / --data-dir):

    python examples/mnist_classifier.py
    python examples/mnist_classifier.py --epochs 3 --save mnist.npz
    python examples/mnist_classifier.py --epochs 2 --plots out/    # needs matplotlib
"""

import argparse
import os
import pathlib
import sys
import time

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from activations import ReLU, Softmax  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training set (default 10)")
    # The chapter writes Adam(learningRate = 0.1). With standard Adam that step
    # is far too large for this network: most ReLU units die within the first
    # epoch and test accuracy stays near 10%. 0.001 is Adam's own default
    # (Kingma and Ba) and reaches 97.5%+.
    parser.add_argument("--learning-rate", type=float, default=0.001, help="Adam's step size (default 0.001)")
    parser.add_argument("--batch-size", type=int, default=50, help="samples per mini-batch (default 50)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and shuffling (default 0)")
    parser.add_argument("--save", metavar="PATH", help="save the trained model to PATH (.npz)")
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    parser.add_argument("--train-size", type=int, default=60000, help="training samples to use (default 60000)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--plots", metavar="DIR",
                        help="write history, network, weights, confusion and mistakes PNGs to DIR "
                             '(needs pip install "deepbasics[plot]")')
    arguments = parser.parse_args(argv)
    if arguments.plots:
        # Say so now rather than after training.
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error('--plots needs matplotlib: pip install "deepbasics[plot]"')
    return arguments


def arithmetic():
    """NumPy, its BLAS and the BLAS's thread count: what the printed figures depend on, besides the processor.

    OpenBLAS adds up a matrix product in an order that depends on its thread
    count and on the kernels it picks for the processor, and training turns
    those last-bit differences into different weights.
    """
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]   # NumPy 1.26 and newer
        name = {"scipy-openblas": "OpenBLAS", "openblas": "OpenBLAS"}.get(blas["name"], blas["name"])
        blas = f"{name} {'.'.join(str(blas['version']).split('.')[:3])}"
    except (TypeError, KeyError):
        blas = "its BLAS"
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    threads = f"OPENBLAS_NUM_THREADS={threads}" if threads else "its default threads (OPENBLAS_NUM_THREADS not set)"
    return f"NumPy {np.__version__} with {blas}, {threads}"


def buildClassifier(learningRate, seed, dtype):
    """The chapter's network; one Adam instance serves all three layers."""
    classifier = MLP(dtype=dtype)
    optimizer = Adam(learningRate=learningRate)
    seeds = [None] * 3 if seed is None else [seed, seed + 1, seed + 2]
    classifier.addLayer(Dense(inputDim=28 * 28, outputDim=100, activation=ReLU(), optimizer=optimizer, seed=seeds[0]))
    classifier.addLayer(Dense(inputDim=100, outputDim=50, activation=ReLU(), optimizer=optimizer, seed=seeds[1]))
    classifier.addLayer(Dense(inputDim=50, outputDim=10, activation=Softmax(), optimizer=optimizer, seed=seeds[2]))
    return classifier


def main(argv=None):
    arguments = parseArguments(argv)
    dtype = np.dtype(arguments.dtype)
    start = time.perf_counter()
    dataset = Dataset(name=arguments.dataset, train_size=arguments.train_size, test_size=10000,
                      batch_size=arguments.batch_size, data_dir=arguments.data_dir, seed=arguments.seed,
                      dtype=dtype)
    print(f"Loaded {dataset} in {time.perf_counter() - start:.2f}s")
    print(f"Arithmetic: {arithmetic()}")   # the README's figures say on which they come back
    classifier = buildClassifier(arguments.learning_rate, arguments.seed, dtype)
    classifier.summary()
    start = time.perf_counter()
    history = classifier.train(dataset, loss=CrossEntropy(), epochs=arguments.epochs,
                               metrics=["train_loss", "test_loss", "train_accuracy", "test_accuracy"],
                               tensorboard=False, callbacks={})
    seconds = time.perf_counter() - start
    if history["test_accuracy"]:
        epochs = len(history["test_accuracy"])
        print(f"Final test accuracy: {history['test_accuracy'][-1]:.2%} after {epochs} epoch(s), "
              f"{seconds / epochs:.2f}s per epoch")
    if arguments.save:
        print(f"Saved the model to {classifier.save(arguments.save)}")
    if arguments.plots:
        for path in writePlots(classifier, history, dataset, arguments.plots):
            print(f"Wrote {path}")
    return history


def writePlots(classifier, history, dataset, folder):
    """The five figures of the trained classifier, as PNGs in ``folder``; returns their paths."""
    import plots   # only now: training needs no matplotlib

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "history.png": lambda path: plots.plotHistory(history, save=path),
        "network.png": lambda path: plots.plotNetwork(classifier, weights=True, save=path),
        "weights.png": lambda path: plots.plotWeights(classifier.layers[0], shape=(28, 28), save=path),
        "confusion.png": lambda path: plots.plotConfusion(classifier, dataset.x_test, dataset.y_test, save=path),
        "mistakes.png": lambda path: plots.plotMistakes(classifier, dataset.x_test, dataset.y_test, count=25,
                                                        save=path),
    }
    for name, draw in figures.items():
        draw(folder / name)
    return [folder / name for name in figures]


if __name__ == "__main__":
    main()
