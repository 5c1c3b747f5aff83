"""How much time ``MLP.train`` spends beyond NumPy's own floor.

The floor is a bare loop that trains the chapter's classifier with the same
arithmetic as deepbasics (the same layout of parameters, the chapter's
CrossEntropy, Adam with bias correction, a copy of the weights per step for
divergence) in the fewest NumPy calls we could write, and nothing else: no
checks, no classes, no callbacks. The two take turns epoch by epoch in one
process, so that a noisy neighbour slows them alike.

    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/overhead.py
"""

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from activations import ReLU, Softmax  # noqa: E402
from dataset import Dataset  # noqa: E402
from layers import Dense  # noqa: E402
from loss import CrossEntropy  # noqa: E402
from nn import MLP  # noqa: E402
from optimizer import Adam  # noqa: E402


def bareTrainer(model, data, learningRate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Return a function that trains one epoch of the bare loop, on a copy of
    ``model``'s initial weights, and the vector of those weights."""
    theta = model._theta.copy()
    gradient, M, V, scratch, good = (np.zeros_like(theta) for _ in range(5))
    W, b, dW, db = [], [], [], []
    start = 0
    for layer in model.layers:
        size = layer.outputDim * layer.inputDim
        for vector, weights, biases in ((theta, W, b), (gradient, dW, db)):
            weights.append(vector[start:start + size].reshape(layer.outputDim, layer.inputDim))
            biases.append(vector[start + size:start + size + layer.outputDim])
        start += size + layer.outputDim
    eps = np.finfo(theta.dtype).eps
    steps = [0]

    def epoch():
        nonlocal theta, M, V, scratch   # updated in place with *=, +=, -=
        for x, y in data:
            outputs = [x]
            for layer in range(3):
                z = outputs[-1] @ W[layer].T
                z += b[layer]
                if layer < 2:
                    np.maximum(z, 0, out=z)
                else:
                    z -= z.max(axis=1, keepdims=True)
                    np.exp(z, out=z)
                    z /= z.sum(axis=1, keepdims=True)
                outputs.append(z)
            n = len(y)
            p = np.maximum(outputs[-1], eps)
            np.minimum(p, 1 - eps, out=p)
            value = -(np.vdot(y, np.log(p)) + np.vdot(1 - y, np.log1p(-p))) / n
            if not math.isfinite(value):
                raise FloatingPointError("the bare loop diverged")
            np.copyto(good, theta)
            delta = p - y
            delta /= p * (1 - p) * n
            a = outputs[-1]
            delta -= np.einsum("ij,ij->i", a, delta)[:, np.newaxis]
            delta *= a
            for layer in (2, 1, 0):
                np.matmul(delta.T, outputs[layer], out=dW[layer])
                np.add.reduce(delta, axis=0, out=db[layer])
                if layer:
                    delta = delta @ W[layer]
                    delta *= outputs[layer] > 0
            steps[0] += 1
            t = steps[0]
            weights_1, weights_2 = (1 - beta_1**t) / (1 - beta_1), (1 - beta_2**t) / (1 - beta_2)
            M *= beta_1
            M += gradient
            V *= beta_2
            np.multiply(gradient, gradient, out=scratch)
            V += scratch
            np.sqrt(V, out=scratch)
            scratch += epsilon * math.sqrt(weights_2)
            np.divide(M, scratch, out=scratch)
            scratch *= learningRate * math.sqrt(weights_2) / weights_1
            theta -= scratch

    return epoch, theta


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each loop (default 10)")
    parser.add_argument("--train-size", type=int, default=60000, help="training samples (default all 60000)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    arguments = parser.parse_args(argv)
    dtype = np.dtype(arguments.dtype)
    def load():
        return Dataset(name="mnist", train_size=arguments.train_size, test_size=10000, batch_size=50,
                       seed=0, dtype=dtype)

    data = load()
    model = MLP(dtype=dtype)
    optimizer = Adam(learningRate=0.001)
    model.addLayer(Dense(784, 100, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(100, 50, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(50, 10, activation=Softmax(), optimizer=optimizer, seed=2))
    bareEpoch, bareTheta = bareTrainer(model, load())   # the same batches, from a twin data set
    loops = {"bare NumPy": bareEpoch,
             "MLP.train": lambda: model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)}
    times = {name: [] for name in loops}
    for epoch in range(arguments.epochs):
        for name in (list(loops) if epoch % 2 == 0 else list(reversed(loops))):
            start = time.perf_counter()
            loops[name]()
            times[name].append(time.perf_counter() - start)
        identical = np.array_equal(bareTheta, model._theta)
    ratios = [ours / bare for bare, ours in zip(times["bare NumPy"], times["MLP.train"])]
    for name, seconds in times.items():
        print(f"{name:<10} {statistics.median(seconds):.3f} s per epoch (median of {len(seconds)})")
    print(f"MLP.train / bare NumPy: {statistics.median(ratios):.3f} (median of the epoch-by-epoch ratios)")
    print(f"Same weights after {arguments.epochs} epoch(s), bit for bit: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
