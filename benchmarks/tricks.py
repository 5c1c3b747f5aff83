"""Does each speed trick in the core earn its place? Time the chapter's classifier with each one undone.

The core keeps a trick that makes the code harder to read only when it saves
5% or more. This script trains one model per variant, the variants taking
turns epoch by epoch in one process (so that a noisy neighbour slows them
alike), and prints each variant's median seconds per epoch against the core
as it is. Times are CPU seconds of this process (``time.process_time``), which
a busy neighbour disturbs much less than wall-clock seconds; run it with
``OPENBLAS_NUM_THREADS=1`` so that idle BLAS threads spinning do not count:

- ``no subnormal flush``: Adam never sets first moments below float32's
  smallest normal number to zero (``optimizer._flushSubnormals``);
- ``first layer's input gradient``: ``MLP.backward`` also computes ``dL/dx``
  for the network's input, which training never uses;
- ``textbook Adam``: ``Adam.step`` written line by line as the paper's
  Algorithm 1, with ``mHat``, ``vHat`` and each product an array of its own,
  instead of one work array reused in place.

and, for the GAN of ``examples/gan.py`` (one ``GAN.trainStep`` after another):

- ``discriminator not frozen``: the generator's step backpropagates through a
  trainable discriminator, which computes ``dW``, ``db`` that nobody uses
  (``GAN.generatorBackward`` sets ``discriminator.trainable = False``).

(Predicting in blocks of 2048 rows was measured here too, and removed: it
saved 4% of the time to predict the test set, a millisecond an epoch.)

    OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python benchmarks/tricks.py --epochs 6
"""

import argparse
import contextlib
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gan  # noqa: E402
import layers  # noqa: E402
import nn  # noqa: E402
import optimizer  # noqa: E402
from activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from dataset import Dataset  # noqa: E402
from loss import CrossEntropy  # noqa: E402


@contextlib.contextmanager
def patched(module, name, value):
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def alwaysInputGradient():
    backward = layers.Dense.backward
    return patched(layers.Dense, "backward", lambda self, gradient, inputGradient=True: backward(self, gradient, True))




def unfrozenGeneratorBackward(self, z, loss=None):
    """``GAN.generatorBackward`` without freezing the discriminator."""
    loss = loss or self.loss
    p = self.discriminator.forward(self.generator.forward(z))
    value, gradient = loss.valueAndGradient(p, np.ones_like(p))
    self.generator.backward(self.discriminator.backward(gradient, inputGradient=True))
    return value


def textbookAdamStep(self, parameter, gradient, state):
    """``Adam.step`` as the paper's Algorithm 1 reads, each line an array of its own (no shared work array)."""
    if not state:
        state.update(t=0, m=np.zeros_like(parameter), v=np.zeros_like(parameter))
    state["t"] += 1
    t, m, v = state["t"], state["m"], state["v"]
    m *= self.beta_1
    m += (1 - self.beta_1) * gradient
    v *= self.beta_2
    v += (1 - self.beta_2) * gradient * gradient
    mHat = m / (1 - self.beta_1**t)
    vHat = v / (1 - self.beta_2**t)
    parameter -= self.learningRate * mHat / (np.sqrt(vHat) + self.epsilon)
    if t % 100 == 0:
        optimizer._flushSubnormals(m)


VARIANTS = {
    "as is": contextlib.nullcontext,
    "no subnormal flush": lambda: patched(optimizer, "_flushSubnormals", lambda array: None),
    "first layer's input gradient": alwaysInputGradient,
    "textbook Adam": lambda: patched(optimizer.Adam, "step", textbookAdamStep),
}


GAN_VARIANTS = {
    "as is": contextlib.nullcontext,
    "discriminator not frozen": lambda: patched(gan.GAN, "generatorBackward", unfrozenGeneratorBackward),
}


def exampleGAN():
    """The GAN of examples/gan.py: 100-256-512-1024-784 and 784-1024-512-256-1, Adam(0.0002, 0.5) each."""
    networks = []
    for seed, widths, output in ((0, (100, 256, 512, 1024, 784), Tanh()), (10, (784, 1024, 512, 256, 1), Sigmoid())):
        network, adam = nn.MLP(), optimizer.Adam(0.0002, 0.5)
        for index, (inputDim, outputDim) in enumerate(zip(widths, widths[1:])):
            activation = output if index == len(widths) - 2 else LeakyReLU(0.2)
            network.addLayer(layers.Dense(inputDim, outputDim, activation=activation, optimizer=adam,
                                          seed=seed + index))
        networks.append(network)
    return gan.GAN(*networks, latentDim=100, seed=0)


def timeGAN(steps, rounds=8):
    """CPU seconds per GAN step of each variant, taking turns in ``rounds``; and whether the weights agree."""
    real = np.random.default_rng(0).uniform(-1, 1, (128, 784)).astype(np.float32)
    models = {name: exampleGAN() for name in GAN_VARIANTS}
    times = {name: [] for name in GAN_VARIANTS}
    for _ in range(rounds):
        for name, model in models.items():
            with GAN_VARIANTS[name]():
                start = time.process_time()
                for _ in range(max(1, steps // rounds)):
                    model.trainStep(real)
                times[name].append((time.process_time() - start) / max(1, steps // rounds))
    same = all(np.array_equal(a, b) for a, b in zip(*(model.getWeights() for model in models.values())))
    return {name: statistics.median(seconds) for name, seconds in times.items()}, same


def classifier():
    model = nn.MLP()
    adam = optimizer.Adam(learningRate=0.001)
    model.addLayer(layers.Dense(784, 100, activation=ReLU(), optimizer=adam, seed=0))
    model.addLayer(layers.Dense(100, 50, activation=ReLU(), optimizer=adam, seed=1))
    model.addLayer(layers.Dense(50, 10, activation=Softmax(), optimizer=adam, seed=2))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per variant (default 6)")
    parser.add_argument("--train-size", type=int, default=60000, help="training samples (default 60000)")
    parser.add_argument("--gan-steps", type=int, default=120,
                        help="GAN steps per variant, batch 128 (default 120; 0 skips the GAN)")
    arguments = parser.parse_args(argv)
    data = {name: Dataset(name="mnist", train_size=arguments.train_size, test_size=10000, batch_size=50, seed=0)
            for name in VARIANTS}
    models = {name: classifier() for name in VARIANTS}
    times = {name: [] for name in VARIANTS}
    for epoch in range(arguments.epochs):
        for name in (list(VARIANTS) if epoch % 2 == 0 else list(reversed(VARIANTS))):
            with VARIANTS[name]():
                start = time.process_time()
                models[name].train(data[name], loss=CrossEntropy(), epochs=1, verbose=False)
                times[name].append(time.process_time() - start)
    print(f"CPU seconds per training epoch, median of epochs 2 to {arguments.epochs} "
          f"(the first epoch has no subnormal numbers yet):")
    base = statistics.median(times["as is"][1:])
    for name, seconds in times.items():
        median = statistics.median(seconds[1:])
        print(f"  {name:<30} {median:.3f} s  ({median / base:.2f}x the core as is)")

    tiny = np.finfo(np.float32).tiny
    subnormal = sum(int(np.count_nonzero((np.abs(state["m"]) < tiny) & (state["m"] != 0)))
                    for layer in models["no subnormal flush"].layers for state in layer.optimizerState.values())
    print(f"Subnormal first moments without the flush after {arguments.epochs} epochs: {subnormal:,} of 84,060")

    if arguments.gan_steps:
        perStep, same = timeGAN(arguments.gan_steps)
        print("CPU seconds per step of the example's GAN (batch 128), median of 8 rounds:")
        for name, seconds in perStep.items():
            print(f"  {name:<30} {seconds:.4f} s  ({seconds / perStep['as is']:.2f}x the GAN as is)")
        print(f"Same weights after {arguments.gan_steps} steps each, bit for bit: {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
