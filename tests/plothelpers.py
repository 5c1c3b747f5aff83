"""What the tests of the plotting modules share: reading a PNG's size, and a classifier whose answers are known."""

import struct

import numpy as np

from activations import Identity
from layers import Dense
from nn import MLP


def pngSize(path):
    """(width, height) from the IHDR chunk of a PNG file."""
    with open(path, "rb") as file:
        header = file.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def classifierOf(weights, bias):
    """A one-layer model with Identity activation and the given W, b: its arg-max is easy to predict by hand."""
    weights = np.asarray(weights, dtype=float)
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(weights.shape[1], weights.shape[0], activation=Identity(), seed=0))
    model.setWeights([weights, np.asarray(bias, dtype=float)])
    return model
