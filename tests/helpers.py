"""What several test files share: gradcheck.py's finite differences (one implementation), and a small network."""

import numpy as np

import gradcheck
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autoencoder import Autoencoder, GaussianNoise
from dataset import Dataset
from gan import GAN
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import Adam
from vae import VAE, Sampler

# The largest relative error any gradient check has seen in this run; the
# session summary prints it (see conftest.py).
WORST = {"error": 0.0, "where": None}


def numericalGradient(function, x, step=1e-4):
    """Fourth-order central differences of ``function()`` with respect to ``x`` (changed in place, restored)."""
    return gradcheck.numericalGradient(function, x, step)


def relativeError(analytic, numeric, floor=1e-4):
    """``||a - n|| / max(||a||, ||n||, floor)``: see ``gradcheck.relativeError``."""
    return gradcheck.relativeError(analytic, numeric, floor)


def assertGradient(analytic, numeric, where, tolerance=1e-6):
    error = relativeError(analytic, numeric)
    if error > WORST["error"]:
        WORST.update(error=error, where=where)
    assert error < tolerance, f"{where}: relative gradient error {error:.3e} >= {tolerance:g}"


def chapterNetwork(dtype=np.float32, optimizer=None):
    """The chapter's classifier in miniature: 8-6-5-3, ReLU, ReLU, Softmax, one shared optimizer."""
    model = MLP(dtype=dtype)
    optimizer = optimizer or Adam(learningRate=0.001)
    model.addLayer(Dense(inputDim=8, outputDim=6, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(inputDim=6, outputDim=5, activation=ReLU(), optimizer=optimizer, seed=2))
    model.addLayer(Dense(inputDim=5, outputDim=3, activation=Softmax(), optimizer=optimizer, seed=3))
    return model


def oneStep(model, rng):
    """One training step on 4 random inputs, MSE towards zero."""
    x = rng.random((4, model.inputDim))
    out = model.forward(x)
    model.backward(MSE().gradient(out, np.zeros_like(out)))
    model.update()


def blobs(n=400, seed=0, shuffle=True, batch_size=20):
    """Three well separated Gaussian blobs in 4-D, one-hot labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=float)
    x = centres[labels] + rng.normal(0, 0.5, (n, 4))
    y = np.eye(3)[labels]
    half = n // 2
    return Dataset(x_train=x[:half], y_train=y[:half], x_test=x[half:], y_test=y[half:],
                   batch_size=batch_size, seed=seed, shuffle=shuffle)


def classifier(optimizer=None, dtype=np.float32, seed=0):
    """A 4-8-3 ReLU/Softmax network for ``blobs``, one shared optimizer (Adam 0.01 by default)."""
    model = MLP(dtype=dtype)
    optimizer = optimizer or Adam(learningRate=0.01)
    model.addLayer(Dense(4, 8, activation=ReLU(), optimizer=optimizer, seed=seed))
    model.addLayer(Dense(8, 3, activation=Softmax(), optimizer=optimizer, seed=seed + 1))
    return model


def fourModels(learningRate=0.01):
    """One small MLP, Autoencoder, VAE and GAN in float64, all with Adam(learningRate), and a data set for each."""
    def network(widths, activations):
        model = MLP(dtype=np.float64)
        for index, (inputDim, outputDim) in enumerate(zip(widths, widths[1:])):
            model.addLayer(Dense(inputDim, outputDim, activation=activations[index],
                                 optimizer=Adam(learningRate), seed=index))
        return model

    images = np.random.default_rng(0).random((40, 6))
    pixels = Dataset(x_train=images, y_train=images, x_test=images[:10], y_test=images[:10], batch_size=10, seed=0)
    sampler = Sampler(4, 2, optimizer=Adam(learningRate), seed=2, dtype=np.float64)
    return {
        "MLP": (classifier(Adam(learningRate), dtype=np.float64), blobs(n=80, batch_size=10), CrossEntropy()),
        "Autoencoder": (Autoencoder(network([6, 3], [ReLU()]), network([3, 6], [Identity()]),
                                    GaussianNoise(0.1, seed=0)), pixels, MSE()),
        "VAE": (VAE(network([6, 4], [ReLU()]), sampler, network([2, 6], [Sigmoid()])), pixels, None),
        "GAN": (GAN(network([2, 5, 6], [LeakyReLU(0.2), Tanh()]), network([6, 4, 1], [LeakyReLU(0.2), Sigmoid()]),
                    latentDim=2, seed=0), Dataset(x_train=images * 2 - 1, y_train=images, batch_size=10, seed=0),
                None),
    }
