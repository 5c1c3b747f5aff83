"""Read your own handwritten digit from a photo or drawing and let a trained MNIST model name it.

Train and save a model first, then point this at an image of one digit:

    python examples/mnist_classifier.py --epochs 3 --save mnist.npz
    python examples/predict_image.py my_digit.jpg --model mnist.npz
    python examples/predict_image.py my_digit.jpg --model mnist.npz --show seen.png

The image is prepared the way MNIST's digits were (see ``dataset.readImage``):
grayscale, inverted if the ink is dark, cropped, scaled into 20x20 and
centred by its centre of mass in 28x28. ``--show`` writes those 28x28 pixels,
enlarged, so you can see what the network sees. Needs Pillow
(``pip install "deepbasics[image]"``).
"""

import argparse
import pathlib
import sys

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from dataset import readImage  # noqa: E402
from files import writeAtomically  # noqa: E402
from nn import MLP  # noqa: E402


def argumentParser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", metavar="PATH", help="photo or drawing of one digit (PNG, JPEG, ...)")
    parser.add_argument("--model", default="mnist.npz",
                        help="model saved by MLP.save, e.g. by mnist_classifier.py --save (default mnist.npz)")
    parser.add_argument("--top", type=int, default=3, help="how many classes to list (default 3)")
    parser.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                        help="dark ink on light paper is inverted; auto decides from the border (default auto)")
    parser.add_argument("--show", metavar="PNG", help="write the 28x28 digit the network sees, enlarged 10 times")
    return parser


def parseArguments(argv=None, parser=None):
    parser = parser or argumentParser()
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.top <= 10:
        parser.error(f"--top must be between 1 and 10, got {arguments.top}")
    return arguments


def topClasses(probabilities, count):
    """``[(class, probability)]`` of the ``count`` most likely classes, most likely first."""
    order = np.argsort(probabilities)[::-1][:count]
    return [(int(index), float(probabilities[index])) for index in order]


def writeEnlarged(digit, path, factor=10):
    """Save the 28x28 digit as a grayscale PNG, ``factor`` times larger, atomically."""
    from PIL import Image

    pixels = (np.asarray(digit).reshape(28, 28) * 255).round().astype(np.uint8)
    image = Image.fromarray(pixels).resize((28 * factor, 28 * factor), Image.Resampling.NEAREST)
    writeAtomically(path, lambda file: image.save(file, format="PNG"))


def main(argv=None):
    parser = argumentParser()
    arguments = parseArguments(argv, parser)
    # A file that is not there, not a model or shows no ink is the user's input: say so, as for a bad option.
    try:
        model = MLP.load(arguments.model)
    except (OSError, ValueError) as error:
        parser.error(f"--model {arguments.model}: {error}")
    if model.inputDim != 784:
        parser.error(f"--model {arguments.model}: the model takes {model.inputDim} inputs; "
                     f"an MNIST model takes 784 (28x28)")
    try:
        digit = readImage(arguments.image, invert={"auto": None, "yes": True, "no": False}[arguments.invert])
    except (OSError, ValueError) as error:
        hint = "" if arguments.invert == "auto" else f" (it was read with --invert {arguments.invert})"
        parser.error(f"{error}{hint}")
    if arguments.show:
        try:
            writeEnlarged(digit, arguments.show)
        except OSError as error:
            parser.error(f"--show {arguments.show}: {error}")
        print(f"wrote {arguments.show}")
    outputs = np.asarray(model.predict(digit), dtype=np.float64)
    probabilities = outputs / outputs.sum()   # a Softmax output already sums to 1
    print(f"{arguments.image}: " + ", ".join(f"{label} ({probability:.1%})"
                                              for label, probability in topClasses(probabilities, arguments.top)))
    return probabilities


if __name__ == "__main__":
    main()
