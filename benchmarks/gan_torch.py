"""The PyTorch reference for examples/gan.py: the same GAN, trained the same way, scored the same way.

Generator 100-256-512-1024-784 (LeakyReLU(0.2), Tanh), discriminator
784-1024-512-256-1 (LeakyReLU(0.2), Sigmoid), nn.BCELoss, Adam(0.0002,
betas=(0.5, 0.999)) for each, batch 128, MNIST scaled to [-1, 1]. Every batch
does what gan.GAN.trainStep does: one discriminator step on the real digits
(label --real-label) and as many generated ones (label 0), then one generator
step on fresh noise with label 1. The weights keep PyTorch's default
initialisation unless --init deepbasics draws them as layers.Dense does. After
every epoch it prints the MNIST score of 10,000 generated digits, computed by
the same classifier and the same function (gan.mnistScore) as the example.

Run from the project root:

    python benchmarks/gan_torch.py --epochs 30 --classifier mnist.npz
    python benchmarks/gan_torch.py --threads 1   # on a machine shared with other jobs
    python benchmarks/gan_torch.py --epochs 0 --speed-rounds 5   # only the speed, in turns
"""

import argparse
import importlib.util
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compare import machine  # noqa: E402  (this folder: the processor and library versions)


def loadExample():
    """examples/gan.py as a module (its data loading, classifier and scoring are shared)."""
    spec = importlib.util.spec_from_file_location("gan_example", ROOT / "examples" / "gan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30,
                        help="passes over the training set (default 30; 0 with --speed-rounds only times)")
    parser.add_argument("--speed-rounds", type=int, default=0,
                        help="first time deepbasics and PyTorch in turns, this many rounds of 20 batches (default 0)")
    parser.add_argument("--classifier", metavar="PATH",
                        help="MNIST classifier saved by examples/mnist_classifier.py --save (default: train one)")
    parser.add_argument("--real-label", type=float, default=1.0, help="target for real digits (default 1.0)")
    parser.add_argument("--train-size", type=int, default=60000, help="real digits to learn from (default 60000)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's); on a machine shared with other jobs, 1 "
                             "avoids threads waiting for each other (give OPENBLAS_NUM_THREADS=1 to the example)")
    parser.add_argument("--data-dir", default=None, help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR)")
    parser.add_argument("--init", choices=["pytorch", "deepbasics"], default="pytorch",
                        help="initial weights: PyTorch's default, or deepbasics' (He uniform before LeakyReLU, "
                             "Glorot uniform before Tanh and Sigmoid, zero biases) (default pytorch)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, noise and shuffling (default 0)")
    return parser.parse_args(argv)


def buildNetworks(torch):
    generator = torch.nn.Sequential(
        torch.nn.Linear(100, 256), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(256, 512), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(512, 1024), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(1024, 784), torch.nn.Tanh())
    discriminator = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(1024, 512), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(512, 256), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(256, 1), torch.nn.Sigmoid())
    return generator, discriminator


def initialiseLikeDeepbasics(torch, network):
    """Draw each Linear's weights as layers.Dense does: He before a LeakyReLU, Glorot otherwise; zero biases."""
    modules = list(network)
    for linear, activation in zip(modules[::2], modules[1::2]):
        fanOut, fanIn = linear.weight.shape
        heFamily = isinstance(activation, torch.nn.LeakyReLU)
        limit = (6.0 / fanIn) ** 0.5 if heFamily else (6.0 / (fanIn + fanOut)) ** 0.5
        with torch.no_grad():
            linear.weight.uniform_(-limit, limit)
            linear.bias.zero_()


def torchTrainer(torch, realLabel, init="pytorch"):
    """The reference's networks and its training step ``step(x) -> (discriminatorLoss, generatorLoss)``."""
    generator, discriminator = buildNetworks(torch)
    if init == "deepbasics":
        initialiseLikeDeepbasics(torch, generator)
        initialiseLikeDeepbasics(torch, discriminator)
    loss = torch.nn.BCELoss()
    generatorOptimizer = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    discriminatorOptimizer = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))

    def step(x):
        n = len(x)
        fake = generator(torch.randn(n, 100)).detach()
        labels = torch.cat([torch.full((n, 1), realLabel), torch.zeros(n, 1)])
        discriminatorLoss = loss(discriminator(torch.cat([x, fake])), labels)
        discriminatorOptimizer.zero_grad()
        discriminatorLoss.backward()
        discriminatorOptimizer.step()
        generatorLoss = loss(discriminator(generator(torch.randn(n, 100))), torch.ones(n, 1))
        generatorOptimizer.zero_grad()
        generatorLoss.backward()   # also fills the discriminator's gradients; they are zeroed before use
        generatorOptimizer.step()
        return discriminatorLoss.item(), generatorLoss.item()

    return generator, step


def compareSpeed(torch, example, real, rounds, batches=20, batchSize=128):
    """Time ``batches`` training steps of each library in turns, ``rounds`` times; print s/epoch and the ratio.

    Taking turns in one process exposes both to the same load, which on a
    shared machine moves more than the difference being measured.
    """
    gan = example.buildGAN()
    _, torchStep = torchTrainer(torch, 1.0)
    x = real[:batchSize]
    timings = {"deepbasics": [], "PyTorch": []}
    steps = {"deepbasics": lambda: gan.trainStep(x), "PyTorch": lambda: torchStep(torch.from_numpy(x))}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(batches):
                step()
            timings[name].append((time.perf_counter() - start) / batches)
    perEpoch = -(-60000 // batchSize)   # a full MNIST epoch, whatever --train-size
    medians = {name: float(np.median(values)) * perEpoch for name, values in timings.items()}
    print(f"Speed, in turns ({rounds} rounds of {batches} batches of {batchSize} each), as seconds per MNIST epoch "
          f"({perEpoch} batches): deepbasics {medians['deepbasics']:.1f}, PyTorch {medians['PyTorch']:.1f}, "
          f"deepbasics / PyTorch = {medians['deepbasics'] / medians['PyTorch']:.2f}", flush=True)


def main(argv=None):
    arguments = parseArguments(argv)
    try:
        import torch
    except ImportError as error:
        raise ImportError('gan_torch.py compares against PyTorch: pip install "deepbasics[bench]"') from error
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    example = loadExample()
    mnist = example.loadMnist(arguments.data_dir, arguments.train_size, arguments.seed)
    print(f"{machine()}; PyTorch on {torch.get_num_threads()} thread(s), {arguments.init} initialisation",
          flush=True)
    if arguments.speed_rounds:
        compareSpeed(torch, example, mnist.x_train * 2 - 1, arguments.speed_rounds)
    if arguments.epochs == 0:
        return
    classifier = example.scoringClassifier(arguments.classifier, arguments.data_dir, arguments.seed)
    realScore, realShares = example.scoreDigits(classifier, mnist.x_test * 2 - 1)
    print(f"Real test digits: MNIST score {realScore:.2f}", flush=True)

    real = torch.from_numpy(mnist.x_train * 2 - 1)
    generator, step = torchTrainer(torch, arguments.real_label, arguments.init)
    batchSize, scores, seconds = 128, [], []
    for epoch in range(arguments.epochs):
        start = time.perf_counter()
        totals = np.zeros(2)
        order = torch.randperm(len(real))
        for first in range(0, len(real), batchSize):
            x = real[order[first:first + batchSize]]
            totals += len(x) * np.array(step(x))
        seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            samples = generator(torch.randn(example.SCORE_SAMPLES, 100)).numpy()
        score, shares = example.scoreDigits(classifier, samples)
        scores.append(score)
        print(f"Epoch {epoch + 1}/{arguments.epochs} - {seconds[-1]:.2f}s - discriminator_loss: "
              f"{totals[0] / len(real):.4f} - generator_loss: {totals[1] / len(real):.4f}", flush=True)
        print(f"  MNIST score of {example.SCORE_SAMPLES:,} generated digits: {score:.2f}; classes "
              f"{example.formatShares(shares)}", flush=True)
    last = scores[-5:]
    print(f"Seconds per epoch of training: {np.mean(seconds):.1f}")
    print(f"Mean MNIST score over the last {len(last)} epoch(s): {np.mean(last):.2f} "
          f"(from {min(last):.2f} to {max(last):.2f})")
    print(f"Class shares of {example.SCORE_SAMPLES:,} generated digits: {example.formatShares(shares)}")
    print(f"Class shares of the real test digits:    {example.formatShares(realShares)}")
    print(f"MNIST score (PyTorch): generated {scores[-1]:.1f}, real test digits {realScore:.1f}")


if __name__ == "__main__":
    main()
