"""A variational autoencoder on MNIST: 784-400-(latent)-400-784, ReLU, Sigmoid output, Adam(0.001), batch 100.

It prints the test negative ELBO (nats per image) after every epoch and
finally ``Test -ELBO: ... nats``. Run from the project root (MNIST is
downloaded to ~/.cache/deepbasics the first time, or read from
$DEEPBASICS_DATA_DIR / --data-dir):

    python examples/vae.py
    python examples/vae.py --epochs 5 --plots pictures
    python examples/vae.py --latent 20 --save vae.npz
    python examples/vae.py --load vae.npz --plots pictures

With ``--plots DIR`` it writes three pictures: ``vae_latent.png`` (the codes
``mu`` of the test set, coloured by digit), ``vae_grid.png`` (digits decoded
from a grid over the latent plane) and ``vae_interpolation.png`` (decoded
codes on the line between two test digits).
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np

# Let the example run from a plain clone too, before `pip install -e .`.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from activations import ReLU, Sigmoid  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402
from vae import VAE, Sampler  # noqa: E402


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set (default 20)")
    parser.add_argument("--latent", type=int, default=2, help="latent dimensions (default 2)")
    parser.add_argument("--hidden", type=int, default=400, help="hidden units of encoder and decoder (default 400)")
    parser.add_argument("--learning-rate", type=float, default=0.001, help="Adam's step size (default 0.001)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per mini-batch (default 100)")
    parser.add_argument("--train-size", type=int, default=60000, help="training images to use (default 60000)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and noise (default 0)")
    parser.add_argument("--plots", metavar="DIR",
                        help="write vae_latent.png, vae_grid.png and vae_interpolation.png to DIR")
    parser.add_argument("--save", metavar="PATH", help="save the trained VAE to PATH (.npz)")
    parser.add_argument("--load", metavar="PATH",
                        help="evaluate (and plot) a VAE saved with --save instead of training a new one")
    arguments = parser.parse_args(argv)
    for name in ("epochs", "latent", "hidden", "batch_size", "train_size"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(arguments, name)}")
    return arguments


def buildVAE(latent, hidden, learningRate, seed):
    """784-hidden ReLU encoder, a Sampler to ``latent`` codes, latent-hidden-784 decoder ending in Sigmoid."""
    optimizer = Adam(learningRate=learningRate)   # one instance: its state is kept per parameter
    encoder, decoder = MLP(), MLP()
    encoder.addLayer(Dense(28 * 28, hidden, activation=ReLU(), optimizer=optimizer, seed=seed))
    decoder.addLayer(Dense(latent, hidden, activation=ReLU(), optimizer=optimizer, seed=seed + 1))
    decoder.addLayer(Dense(hidden, 28 * 28, activation=Sigmoid(), optimizer=optimizer, seed=seed + 2))
    return VAE(encoder, Sampler(hidden, latent, optimizer=optimizer, seed=seed + 3), decoder)


def _tileImages(images, columns):
    """Tile ``images (n, 784)`` into one grey-scale picture, ``columns`` digits to a row."""
    rows = -(-len(images) // columns)
    tiles = np.ones((rows * columns, 28, 28))
    tiles[:len(images)] = images.reshape(-1, 28, 28)
    return tiles.reshape(rows, columns, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, columns * 28)


def plotLatentSpace(vae, x, labels, path):
    """Scatter the codes ``mu`` of ``x``, coloured by digit (first two dimensions beyond a 2-D latent)."""
    import matplotlib.pyplot as plt
    from plots import saveFigure

    mu = vae.encode(x)[0]
    figure, axes = plt.subplots(figsize=(7, 6), layout="constrained")
    points = axes.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
    figure.colorbar(points, ax=axes, ticks=range(10), label="digit")
    axes.set_xlabel("z[0]")
    axes.set_ylabel("z[1]")
    shown = "" if vae.latentDim == 2 else f" (first 2 of {vae.latentDim} dimensions)"
    axes.set_title(f"Latent codes mu of {len(x):,} test digits{shown}")
    saveFigure(figure, path)
    plt.close(figure)


def plotLatentGrid(vae, path, size=15):
    """Decode a ``size`` x ``size`` grid of codes at the prior's quantiles 5% to 95% (other dimensions 0).

    Quantiles rather than equal steps, as in Kingma and Welling's figure, so
    every row and column covers the same share of the prior's mass.
    """
    import matplotlib.pyplot as plt
    from plots import saveFigure

    quantiles = [statistics.NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, size)]
    z = np.zeros((size * size, vae.latentDim))
    z[:, 0] = np.tile(quantiles, size)
    z[:, 1] = np.repeat(quantiles[::-1], size)   # z[1] grows upwards, as on the scatter plot
    figure, axes = plt.subplots(figsize=(7, 7), layout="constrained")
    # Drawn as plots.plotImages draws digits: white on black, 0 to 1.
    axes.imshow(_tileImages(vae.decode(z), size), cmap="gray", vmin=0, vmax=1)
    # The codes are not evenly spaced: tick the centres of every other digit with its code.
    centres, shown = np.arange(size) * 28 + 13.5, slice(None, None, 2)
    axes.set_xticks(centres[shown], [f"{q:.2f}" for q in quantiles[shown]])
    axes.set_yticks(centres[shown], [f"{q:.2f}" for q in quantiles[::-1][shown]])
    axes.set_xlabel("z[0]")
    axes.set_ylabel("z[1]")
    axes.set_title("Digits decoded over the latent plane (prior quantiles 5% to 95%)")
    saveFigure(figure, path)
    plt.close(figure)


def plotInterpolation(vae, first, last, path, steps=10):
    """Decode ``steps`` codes evenly spaced between the codes of two images; the originals at both ends."""
    (start, end), _ = vae.encode(np.stack([first, last]))
    weights = np.linspace(0, 1, steps)[:, np.newaxis]
    images = np.concatenate([first[np.newaxis], vae.decode((1 - weights) * start + weights * end),
                             last[np.newaxis]])
    labels = ["input"] + [f"{w:.2f}" for w in weights[:, 0]] + ["input"]
    from plots import plotImages
    plotImages(images, labels=labels, rows=1, save=path,
               title="Decoded codes on the line between the codes of two test digits")


def writePlots(vae, dataset, folder):
    """The three pictures of ``--plots``; returns their paths."""
    try:
        import matplotlib
    except ImportError:
        sys.exit('--plots needs matplotlib: pip install "deepbasics[plot]"')
    matplotlib.use("Agg")
    os.makedirs(folder, exist_ok=True)
    labels = dataset.y_test.argmax(axis=1)
    paths = [os.path.join(folder, name) for name in ("vae_latent.png", "vae_grid.png", "vae_interpolation.png")]
    plotLatentSpace(vae, dataset.x_test, labels, paths[0])
    plotLatentGrid(vae, paths[1])
    # The first 0 and the first 9 of the test set: different enough that the path between them shows a change.
    first, last = np.flatnonzero(labels == 0)[0], np.flatnonzero(labels == 9)[0]
    plotInterpolation(vae, dataset.x_test[first], dataset.x_test[last], paths[2])
    return paths


def main(argv=None):
    arguments = parseArguments(argv)
    dataset = Dataset(name="mnist", train_size=arguments.train_size, test_size=10000,
                      batch_size=arguments.batch_size, data_dir=arguments.data_dir, seed=arguments.seed)
    if arguments.load:
        vae = VAE.load(arguments.load)
        history = {"test_loss": [vae.evaluate(dataset.x_test)["loss"]]}
        print(f"Loaded {arguments.load}")
    else:
        vae = buildVAE(arguments.latent, arguments.hidden, arguments.learning_rate, arguments.seed)
        print(vae)
        start = time.perf_counter()
        history = vae.train(dataset, epochs=arguments.epochs, metrics=["train_loss", "test_loss"])
        seconds = time.perf_counter() - start
        if history["test_loss"]:
            epochs = len(history["test_loss"])
            print(f"Time per epoch: {seconds / epochs:.2f}s (mean of {epochs} epochs, evaluation included)")
    if history["test_loss"]:
        print(f"Test -ELBO: {history['test_loss'][-1]:.1f} nats")
    if arguments.plots:
        for path in writePlots(vae, dataset, arguments.plots):
            print(f"Wrote {path}")
    if arguments.save:
        print(f"Saved the VAE to {vae.save(arguments.save)}")
    return history


if __name__ == "__main__":
    main()
