"""A denoising autoencoder on MNIST: 784-256-64-256-784, ReLU inside, Sigmoid output, MSE, Adam.

Every training batch is corrupted afresh with Gaussian noise (standard
deviation 0.5, clipped to [0, 1]); the network learns to give back the clean
digit. After every epoch it prints the test loss; at the end, the PSNR of the
noisy test digits and of their reconstructions. Run from the project root:

    python examples/denoising_autoencoder.py
    python examples/denoising_autoencoder.py --dataset fashion-mnist --plots docs/images
"""

import argparse
import os
import pathlib
import sys
import time

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from activations import ReLU, Sigmoid  # noqa: E402
from autoencoder import Autoencoder, GaussianNoise, psnr  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import MSE  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402

WIDTHS = (784, 256, 64, 256, 784)


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training set (default 10)")
    parser.add_argument("--learning-rate", type=float, default=0.001, help="Adam's step size (default 0.001)")
    parser.add_argument("--batch-size", type=int, default=128, help="samples per mini-batch (default 128)")
    parser.add_argument("--noise", type=float, default=0.5,
                        help="standard deviation of the Gaussian noise (default 0.5)")
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    parser.add_argument("--train-size", type=int, default=60000, help="training images to use (default 60000)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and noise (default 0)")
    parser.add_argument("--plots", metavar="DIR",
                        help="write DIR/autoencoder_<dataset>.png: noisy, denoised and clean test images "
                             "(needs matplotlib)")
    parser.add_argument("--save", metavar="PATH", help="save the trained autoencoder to PATH (.npz)")
    return parser.parse_args(argv)


def buildAutoencoder(noiseStd=0.5, learningRate=0.001, seed=0, dtype=np.float32):
    """784-256-64 encoder and 64-256-784 decoder, ReLU inside and Sigmoid out, one shared Adam.

    Sigmoid keeps the reconstructed pixels in [0, 1], like the clean ones.
    """
    optimizer = Adam(learningRate=learningRate)
    encoder, decoder = MLP(dtype=dtype), MLP(dtype=dtype)
    layers = len(WIDTHS) - 1
    for index, (inputDim, outputDim) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        network = encoder if index < layers // 2 else decoder
        activation = Sigmoid() if index == layers - 1 else ReLU()
        network.addLayer(Dense(inputDim, outputDim, activation=activation, optimizer=optimizer, seed=seed + index))
    return Autoencoder(encoder, decoder, noise=GaussianNoise(std=noiseStd, bounds=(0.0, 1.0), seed=seed))


def plotDenoising(autoencoder, images, path):
    """Three rows of ``images (k, 784)``: noisy, denoised and clean, each captioned with its PSNR."""
    import plots   # needs matplotlib: pip install "deepbasics[plot]"

    noisy = autoencoder.noise.apply(images, np.random.default_rng(0))
    denoised = autoencoder.reconstruct(noisy)
    captions = ([f"noisy {psnr(image, clean):.1f} dB" for image, clean in zip(noisy, images)]
                + [f"denoised {psnr(image, clean):.1f} dB" for image, clean in zip(denoised, images)]
                + ["clean"] * len(images))
    plots.plotImages(np.concatenate([noisy, denoised, images]), labels=captions, rows=3, save=path)
    return path


def main(argv=None):
    arguments = parseArguments(argv)
    start = time.perf_counter()
    dataset = Dataset(name=arguments.dataset, train_size=arguments.train_size, test_size=10000,
                      batch_size=arguments.batch_size, data_dir=arguments.data_dir, seed=arguments.seed)
    print(f"Loaded {dataset} in {time.perf_counter() - start:.2f}s")
    autoencoder = buildAutoencoder(arguments.noise, arguments.learning_rate, arguments.seed)
    print(autoencoder)
    start = time.perf_counter()
    history = autoencoder.train(dataset, loss=MSE(), epochs=arguments.epochs, metrics=["train_loss", "test_loss"])
    seconds = time.perf_counter() - start
    figures = autoencoder.evaluate(dataset.x_test, MSE())
    epochs = len(history["test_loss"])
    print(f"Trained {epochs} epoch(s) in {seconds:.1f}s, {seconds / max(epochs, 1):.2f}s per epoch")
    print(f"Test PSNR: noisy {figures['noisy_psnr']:.1f} dB -> denoised {figures['psnr']:.1f} dB")
    if arguments.plots:
        os.makedirs(arguments.plots, exist_ok=True)
        path = os.path.join(arguments.plots, f"autoencoder_{arguments.dataset}.png")
        # The first test image of each class, so that every digit (or garment) shows once.
        labels = dataset.y_test.argmax(axis=1)
        images = dataset.x_test[[int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]]
        print(f"Wrote {plotDenoising(autoencoder, images, path)}")
    if arguments.save:
        print(f"Saved the autoencoder to {autoencoder.save(arguments.save)}")
    return history, figures


if __name__ == "__main__":
    main()
