"""The variational autoencoder in deepbasics and in PyTorch, side by side: test negative ELBO and time.

Both train the network of examples/vae.py: 784-400-(latent)-400-784, ReLU,
Sigmoid output, a Bernoulli likelihood (binary cross entropy summed over the
pixels) plus the KL term, Adam(0.001), mini-batches of 100 MNIST digits. The
PyTorch model keeps PyTorch's own initialisation. Both are scored on the test
set with one code per image, drawn with ``numpy.random.default_rng(seed)``
exactly as ``VAE.evaluate`` does, so both see the same noise. The libraries
take turns epoch by epoch in one process, so that a noisy neighbour slows
them alike.

    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/vae_torch.py
    python benchmarks/vae_torch.py --epochs 2 --train-size 5000   # quicker
    python benchmarks/vae_torch.py --threads 1   # on a machine shared with other jobs

PyTorch is optional: without it the benchmark says so and runs deepbasics
alone (``pip install "deepbasics[bench]"``).
"""

import argparse
import importlib.util
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from compare import machine  # noqa: E402  (this folder: the processor and library versions)
from dataset import Dataset  # noqa: E402

LIBRARIES = ("deepbasics", "pytorch")


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set (default 20)")
    parser.add_argument("--latent", type=int, default=2, help="latent dimensions (default 2)")
    parser.add_argument("--hidden", type=int, default=400, help="hidden units in encoder and decoder (default 400)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per mini-batch (default 100)")
    parser.add_argument("--train-size", type=int, default=60000, help="training images (default 60000)")
    parser.add_argument("--libraries", nargs="+", choices=LIBRARIES, default=list(LIBRARIES))
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and noise (default 0)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit both libraries to this many BLAS/OpenMP threads (needs threadpoolctl); on "
                             "a machine shared with other jobs, 1 avoids threads waiting for each other")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    return parser.parse_args(argv)


def limitThreads(count):
    """Let NumPy's BLAS and PyTorch use ``count`` threads at most, for the rest of the run."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as error:
        raise ImportError('--threads needs threadpoolctl: pip install "deepbasics[bench]"') from error
    threadpool_limits(limits=count)
    if importlib.util.find_spec("torch") is not None:
        import torch
        torch.set_num_threads(count)


# ------------------------------------------------------------------ trainers
# Each returns two functions: one trains for one epoch and returns its mean
# training loss, one gives the test negative ELBO with the shared test noise.
def deepbasicsTrainer(data, testNoise, arguments):
    # examples/vae.py shares its name with the module vae.py: load it by path.
    spec = importlib.util.spec_from_file_location("vae_example", os.path.join(ROOT, "examples", "vae.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    vae = example.buildVAE(arguments.latent, arguments.hidden, 0.001, arguments.seed)

    def epoch():
        return vae.train(data, epochs=1, metrics=["train_loss"], verbose=False)["train_loss"][0]

    return epoch, lambda: vae.evaluate(data.x_test, noise=testNoise)["loss"]


def pytorchTrainer(data, testNoise, arguments):
    import torch
    from torch import nn

    torch.manual_seed(arguments.seed)
    xTrain = torch.from_numpy(np.asarray(data.x_train, dtype=np.float32))
    xTest = torch.from_numpy(np.asarray(data.x_test, dtype=np.float32))
    testNoise = torch.from_numpy(testNoise)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, arguments.hidden), nn.ReLU())
            self.mean = nn.Linear(arguments.hidden, arguments.latent)
            self.logVar = nn.Linear(arguments.hidden, arguments.latent)
            self.decoder = nn.Sequential(nn.Linear(arguments.latent, arguments.hidden), nn.ReLU(),
                                         nn.Linear(arguments.hidden, 784), nn.Sigmoid())

        def forward(self, x, noise):
            hidden = self.encoder(x)
            mu, logVar = self.mean(hidden), self.logVar(hidden)
            return self.decoder(mu + torch.exp(0.5 * logVar) * noise), mu, logVar

    def negativeElbo(x, noise):
        """Mean per image of the summed binary cross entropy plus the KL term, in nats."""
        p, mu, logVar = model(x, noise)
        reconstruction = nn.functional.binary_cross_entropy(p, x, reduction="sum")
        kl = 0.5 * torch.sum(torch.exp(logVar) + mu * mu - 1 - logVar)
        return (reconstruction + kl) / len(x)

    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

    def epoch():
        total = 0.0
        for batch in torch.randperm(len(xTrain)).split(arguments.batch_size):
            x = xTrain[batch]
            loss = negativeElbo(x, torch.randn(len(x), arguments.latent))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        return total / len(xTrain)

    def test():
        with torch.no_grad():
            return negativeElbo(xTest, testNoise).item()

    return epoch, test


def main(argv=None):
    arguments = parseArguments(argv)
    libraries = list(arguments.libraries)
    if "pytorch" in libraries and importlib.util.find_spec("torch") is None:
        print('PyTorch is not installed (pip install "deepbasics[bench]"): running deepbasics alone')
        libraries.remove("pytorch")
    if arguments.threads:
        limitThreads(arguments.threads)
    print(machine() + (f"; {arguments.threads} thread(s) each" if arguments.threads else ""))
    data = Dataset(name="mnist", train_size=arguments.train_size, test_size=10000,
                   batch_size=arguments.batch_size, data_dir=arguments.data_dir, seed=arguments.seed)
    testNoise = np.random.default_rng(arguments.seed).standard_normal((len(data.x_test), arguments.latent),
                                                                       dtype=np.float32)
    trainers = {"deepbasics": deepbasicsTrainer, "pytorch": pytorchTrainer}
    runs = {name: trainers[name](data, testNoise, arguments) for name in libraries}
    seconds = {name: [] for name in libraries}
    results = {}
    for epoch in range(arguments.epochs):
        for name, (trainEpoch, test) in runs.items():
            start = time.perf_counter()
            trainLoss = trainEpoch()
            results[name] = test()
            seconds[name].append(time.perf_counter() - start)
            print(f"{name} epoch {epoch + 1}/{arguments.epochs} - {seconds[name][-1]:.2f}s - train_loss: "
                  f"{trainLoss:.4f} - test_loss: {results[name]:.4f}", flush=True)
    for name in libraries:
        print(f"{name}: Test -ELBO: {results[name]:.1f} nats, {np.mean(seconds[name]):.2f}s per epoch "
              f"(evaluation included)")
    if len(libraries) == 2:
        print(f"deepbasics / pytorch: test -ELBO {results['deepbasics'] / results['pytorch']:.4f}, "
              f"time per epoch {np.mean(seconds['deepbasics']) / np.mean(seconds['pytorch']):.2f}")
    return results


if __name__ == "__main__":
    main()
