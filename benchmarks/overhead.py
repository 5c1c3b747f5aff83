"""How much time ``MLP.train`` spends beyond NumPy's own floor.

The floor is a bare loop that trains the chapter's classifier with the same
arithmetic as deepbasics (one array per parameter, the chapter's
CrossEntropy, Adam as Algorithm 1, a copy of the weights per step for
divergence) written as one function, and nothing else: no checks, no
classes, no callbacks. The two take turns epoch by epoch in one
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
    """Return a function that trains one epoch of the bare loop, on copies of
    ``model``'s initial weights, and the list of those weights ``[W0, b0, W1, ...]``."""
    W = [layer.W.copy() for layer in model.layers]
    b = [layer.b.copy() for layer in model.layers]
    dW, db = [np.zeros_like(w) for w in W], [np.zeros_like(v) for v in b]
    parameters = [array for pair in zip(W, b) for array in pair]
    gradients = [array for pair in zip(dW, db) for array in pair]
    m, v = [np.zeros_like(p) for p in parameters], [np.zeros_like(p) for p in parameters]
    good = [np.zeros_like(p) for p in parameters]
    eps = np.finfo(W[0].dtype).eps
    steps = [0]

    def epoch():
        for x, y in data:
            for saved, parameter in zip(good, parameters):
                np.copyto(saved, parameter)
            outputs = [x]
            for layer in range(3):
                z = outputs[-1] @ W[layer].T
                z += b[layer]
                if layer < 2:
                    outputs.append(np.maximum(z, 0))
                else:
                    e = np.exp(z - z.max(axis=-1, keepdims=True))
                    outputs.append(e / e.sum(axis=-1, keepdims=True))
            n = len(y)
            p = np.minimum(np.maximum(outputs[-1], eps), 1 - eps)
            value = -float(np.vdot(y, np.log(p)) + np.vdot(1 - y, np.log1p(-p))) / n
            if not math.isfinite(value):
                raise FloatingPointError("the bare loop diverged")
            p = np.minimum(np.maximum(outputs[-1], eps), 1 - eps)
            gradient = (p - y) / (p * (1 - p) * n)
            a = outputs[-1]
            delta = a * (gradient - np.sum(a * gradient, axis=-1, keepdims=True))
            for layer in (2, 1, 0):
                np.matmul(delta.T, outputs[layer], out=dW[layer])
                np.sum(delta, axis=0, out=db[layer])
                if layer:
                    delta = (delta @ W[layer]) * (outputs[layer] > 0)
            steps[0] += 1
            t = steps[0]
            for parameter, g, first, second in zip(parameters, gradients, m, v):
                work = np.multiply(g, 1 - beta_1)
                first *= beta_1
                first += work
                np.multiply(g, g, out=work)
                work *= 1 - beta_2
                second *= beta_2
                second += work
                np.divide(second, 1 - beta_2**t, out=work)
                np.sqrt(work, out=work)
                work += epsilon
                np.divide(first, work, out=work)
                work *= learningRate / (1 - beta_1**t)
                parameter -= work
                if t % 100 == 0:
                    np.copyto(first, 0, where=np.abs(first) < np.finfo(first.dtype).tiny)

    return epoch, parameters


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
    bareEpoch, bareParameters = bareTrainer(model, load())   # the same batches, from a twin data set
    loops = {"bare NumPy": bareEpoch,
             "MLP.train": lambda: model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)}
    times = {name: [] for name in loops}
    for epoch in range(arguments.epochs):
        for name in (list(loops) if epoch % 2 == 0 else list(reversed(loops))):
            start = time.perf_counter()
            loops[name]()
            times[name].append(time.perf_counter() - start)
        identical = all(np.array_equal(bare, ours) for bare, ours in zip(bareParameters, model.getWeights()))
    ratios = [ours / bare for bare, ours in zip(times["bare NumPy"], times["MLP.train"])]
    for name, seconds in times.items():
        print(f"{name:<10} {statistics.median(seconds):.3f} s per epoch (median of {len(seconds)})")
    print(f"MLP.train / bare NumPy: {statistics.median(ratios):.3f} (median of the epoch-by-epoch ratios)")
    print(f"Same weights after {arguments.epochs} epoch(s), bit for bit: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
