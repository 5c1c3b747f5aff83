"""Train a GAN on MNIST and score its digits with an MNIST classifier.

The architecture of the system the chapter documents: a generator
100-256-512-1024-784 (LeakyReLU(0.2), Tanh output) and a discriminator
784-1024-512-256-1 (LeakyReLU(0.2), Sigmoid output), binary cross entropy,
Adam(0.0002, 0.5) for both, batch 128, MNIST scaled to [-1, 1].

After every epoch it prints the MNIST score of 10,000 generated digits (the
Inception Score computed with a deepbasics MNIST classifier; see
gan.mnistScore) and, with --plots DIR, saves a grid of 100 digits generated
from the same fixed noise. Run from the project root:

    python examples/gan.py --epochs 30 --plots gan_plots
    python examples/gan.py --epochs 2 --train-size 5000 --classifier mnist.npz

The classifier is trained first (10 epochs of the chapter's 784-100-50-10
network, about 10 s) unless --classifier names one saved by
`python examples/mnist_classifier.py --save PATH`.
"""

import argparse
import importlib.util
import os
import pathlib
import sys
import time

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from activations import LeakyReLU, Sigmoid, Tanh  # noqa: E402
from dataset import Dataset  # noqa: E402
from gan import GAN, classShares, mnistScore  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402

LATENT_DIM = 100
SCORE_SAMPLES = 10000


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="passes over the training set (default 30)")
    parser.add_argument("--plots", metavar="DIR", help="save a grid of 100 generated digits to DIR after every "
                        'epoch (needs pip install "deepbasics[plot]")')
    parser.add_argument("--classifier", metavar="PATH",
                        help="MNIST classifier saved by examples/mnist_classifier.py --save (default: train one)")
    parser.add_argument("--save", metavar="PATH", help="save the trained GAN to PATH (.npz)")
    parser.add_argument("--batch-size", type=int, default=128, help="samples per mini-batch (default 128)")
    parser.add_argument("--learning-rate", type=float, default=0.0002, help="Adam's step size (default 0.0002)")
    parser.add_argument("--beta1", type=float, default=0.5, help="Adam's beta_1 (default 0.5)")
    parser.add_argument("--real-label", type=float, default=1.0,
                        help="target for real digits; 0.9 is one-sided label smoothing (default 1.0)")
    parser.add_argument("--train-size", type=int, default=60000, help="real digits to learn from (default 60000)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, noise and shuffling (default 0)")
    arguments = parser.parse_args(argv)
    if arguments.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {arguments.epochs}")
    if arguments.plots:
        # Say so now rather than after an epoch of training.
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error('--plots needs matplotlib: pip install "deepbasics[plot]"')
    return arguments


def buildGAN(learningRate=0.0002, beta1=0.5, realLabel=1.0, seed=0):
    """The chapter's system's GAN: two MLPs with one Adam(learningRate, beta1) each."""
    generator, discriminator = MLP(), MLP()
    optimizer = Adam(learningRate, beta1)
    for index, (inputDim, outputDim) in enumerate([(LATENT_DIM, 256), (256, 512), (512, 1024), (1024, 784)]):
        activation = Tanh() if outputDim == 784 else LeakyReLU(0.2)
        generator.addLayer(Dense(inputDim, outputDim, activation=activation, optimizer=optimizer, seed=seed + index))
    optimizer = Adam(learningRate, beta1)
    for index, (inputDim, outputDim) in enumerate([(784, 1024), (1024, 512), (512, 256), (256, 1)]):
        activation = Sigmoid() if outputDim == 1 else LeakyReLU(0.2)
        discriminator.addLayer(Dense(inputDim, outputDim, activation=activation, optimizer=optimizer,
                                     seed=seed + 10 + index))
    return GAN(generator, discriminator, latentDim=LATENT_DIM, realLabel=realLabel, seed=seed)


def loadMnist(dataDir=None, trainSize=60000, seed=0):
    """MNIST with pixels in [0, 1] (``Dataset(name="mnist")``)."""
    return Dataset(name="mnist", train_size=trainSize, test_size=10000, data_dir=dataDir, seed=seed)


def scoringClassifier(path=None, dataDir=None, seed=0):
    """The classifier behind the MNIST score: loaded from ``path``, else the chapter's network trained 10 epochs."""
    if path:
        classifier = MLP.load(path)
    else:
        spec = importlib.util.spec_from_file_location("mnist_classifier", ROOT / "examples" / "mnist_classifier.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print("Training the scoring classifier (784-100-50-10, 10 epochs)...", flush=True)
        classifier = module.buildClassifier(0.001, seed, np.float32)
        classifier.train(loadMnist(dataDir, seed=seed), loss=CrossEntropy(), epochs=10, verbose=False)
    if classifier.inputDim != 784 or classifier.outputDim != 10:
        raise ValueError(f"the scoring classifier must map 784 pixels to 10 classes, got "
                         f"{classifier.inputDim} -> {classifier.outputDim}")
    return classifier


def scoreDigits(classifier, images):
    """MNIST score and class shares of ``images (n, 784)`` in [-1, 1] (the generator's range)."""
    probabilities = classifier.predict((np.asarray(images) + 1) / 2)
    return mnistScore(probabilities), classShares(probabilities)


def formatShares(shares):
    return " ".join(f"{digit}:{share:.1%}" for digit, share in enumerate(shares))


def saveGrid(images, path, title):
    """Save ``images (100, 784)`` in [-1, 1] (the generator's Tanh) as a 10x10 grid."""
    import plots   # only now: training needs no matplotlib
    plots.plotImages(images, rows=10, valueRange=(-1, 1), title=title, figsize=(6, 6.3), save=path)


def main(argv=None):
    arguments = parseArguments(argv)
    start = time.perf_counter()
    mnist = loadMnist(arguments.data_dir, arguments.train_size, arguments.seed)
    classifier = scoringClassifier(arguments.classifier, arguments.data_dir, arguments.seed)
    realScore, realShares = scoreDigits(classifier, mnist.x_test * 2 - 1)
    print(f"Real test digits: MNIST score {realScore:.2f} (classifier ready after "
          f"{time.perf_counter() - start:.1f}s)", flush=True)

    # The generator's Tanh ends in [-1, 1], so the real digits are scaled to match.
    real = Dataset(x_train=mnist.x_train * 2 - 1, y_train=mnist.y_train, batch_size=arguments.batch_size,
                   seed=arguments.seed)
    gan = buildGAN(arguments.learning_rate, arguments.beta1, arguments.real_label, arguments.seed)
    fixedNoise = np.random.default_rng(arguments.seed + 1000).standard_normal((100, LATENT_DIM))
    scores, epochSeconds = [], []
    if arguments.plots:
        os.makedirs(arguments.plots, exist_ok=True)

    def startEpoch(model, epoch):
        epochSeconds.append(time.perf_counter())

    def afterEpoch(model, epoch, logs):
        epochSeconds[-1] = time.perf_counter() - epochSeconds[-1]
        score, shares = scoreDigits(classifier, model.sample(SCORE_SAMPLES))
        scores.append(score)
        print(f"  MNIST score of {SCORE_SAMPLES:,} generated digits: {score:.2f}; classes {formatShares(shares)}",
              flush=True)
        if arguments.plots:
            saveGrid(model.generate(fixedNoise), os.path.join(arguments.plots, f"epoch_{epoch + 1:03d}.png"),
                     f"Epoch {epoch + 1}: MNIST score {score:.2f}")

    history = gan.train(real, epochs=arguments.epochs,
                        callbacks={"on_epoch_begin": startEpoch, "on_epoch_end": afterEpoch})
    if not scores:
        print("No epoch finished.")
        return history
    epochSeconds = epochSeconds[:len(scores)]
    last = scores[-5:]
    score, shares = scoreDigits(classifier, gan.sample(SCORE_SAMPLES))
    print(f"Seconds per epoch of training: {np.mean(epochSeconds):.1f}")
    print(f"Mean MNIST score over the last {len(last)} epoch(s): {np.mean(last):.2f} "
          f"(from {min(last):.2f} to {max(last):.2f})")
    print(f"Class shares of {SCORE_SAMPLES:,} generated digits: {formatShares(shares)}")
    print(f"Class shares of the real test digits:    {formatShares(realShares)}")
    if arguments.save:
        print(f"Saved the GAN to {gan.save(arguments.save)}")
    print(f"MNIST score: generated {score:.1f}, real test digits {realScore:.1f}")
    return history


if __name__ == "__main__":
    main()
