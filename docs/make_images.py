"""Regenerate the README's pictures in docs/images/ from a real training run.

Trains the chapter's MNIST classifier (as examples/mnist_classifier.py does)
with EarlyStopping, then draws its history and its network with
plots.plotHistory and plots.plotNetwork, and prints the epoch EarlyStopping
put back with its test loss and accuracy (the README's figures). Run from the
project root, with one BLAS thread: the figures depend on how OpenBLAS splits
its sums, which moves with the thread count and the processor (the README
says on which the pictures were made):

    OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python docs/make_images.py

Needs matplotlib and Pillow (pip install "deepbasics[plot,image]"): Pillow
stores the PNGs with a 256-colour palette, which keeps each a few tens of KB.
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import plots  # noqa: E402
from callbacks import EarlyStopping  # noqa: E402
from dataset import Dataset  # noqa: E402
from files import writeAtomically  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from mnist_classifier import buildClassifier  # noqa: E402


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="most epochs; EarlyStopping usually ends sooner")
    parser.add_argument("--patience", type=int, default=3, help="EarlyStopping's patience on test_loss (default 3)")
    parser.add_argument("--train-size", type=int, default=60000, help="training samples (default 60000)")
    parser.add_argument("--data-dir", default=None, help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and shuffling (default 0)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"),
                        help="folder for the PNGs (default docs/images)")
    return parser.parse_args(argv)


def shrink(path, colors=256):
    """Rewrite a PNG with a palette of ``colors`` colours, atomically: plots are mostly flat colours."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    writeAtomically(path, lambda file: small.save(file, format="PNG", optimize=True))


def main(argv=None):
    arguments = parseArguments(argv)
    out = pathlib.Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = Dataset(name="mnist", train_size=arguments.train_size, test_size=10000, batch_size=50,
                      data_dir=arguments.data_dir, seed=arguments.seed)
    classifier = buildClassifier(learningRate=0.001, seed=arguments.seed, dtype="float32")
    stopper = EarlyStopping(monitor="test_loss", patience=arguments.patience)
    history = classifier.train(dataset, loss=CrossEntropy(), epochs=arguments.epochs,
                               metrics=["train_loss", "test_loss", "train_accuracy", "test_accuracy"],
                               callbacks=[stopper])
    # The weights now in the model are those EarlyStopping put back: report them, not the last epoch's.
    restored = min(range(len(history["test_loss"])), key=history["test_loss"].__getitem__) + 1
    reached = classifier.evaluate(dataset.x_test, dataset.y_test, CrossEntropy())
    print(f"EarlyStopping stopped after epoch {len(history['test_loss'])} and put back the weights of epoch "
          f"{restored}: test loss {reached['loss']:.4f}, test accuracy {reached['accuracy']:.2%}")
    plots.plotHistory(history, earlyStopping=stopper, figsize=(8, 3.2), save=out / "history.png")
    plots.plotNetwork(classifier, weights=True, maxNeurons=8, figsize=(7, 4.6), save=out / "network.png")
    for name in ("history.png", "network.png"):
        shrink(out / name)
        print(f"Wrote {out / name} ({(out / name).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
