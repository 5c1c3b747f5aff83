"""The PyTorch reference for examples/vae.py: the same VAE, likelihood, optimizer and data.

784-400-(latent)-400-784, ReLU, Sigmoid output, Bernoulli likelihood (binary
cross entropy summed over the pixels) plus the KL term, Adam(0.001), batch
100, MNIST. It prints the test negative ELBO per epoch and at the end
``Test -ELBO: ... nats`` in the format of examples/vae.py, so the two can be
compared line by line. The test figure uses one code per image, drawn with
``numpy.random.default_rng(seed)`` exactly as ``VAE.evaluate`` does, so both
programs evaluate with the same noise.

PyTorch is an optional peer: ``pip install torch``. Run from the project root:

    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/vae_torch.py
    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/vae_torch.py --epochs 5 --latent 20

On a machine shared with other work, two threads that wait for each other can
be several times slower than one: compare with ``--threads 1`` here and
``OPENBLAS_NUM_THREADS=1`` for examples/vae.py.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from compare import machine  # noqa: E402  (this folder: the processor and library versions)
from dataset import Dataset  # noqa: E402


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set (default 20)")
    parser.add_argument("--latent", type=int, default=2, help="latent dimensions (default 2)")
    parser.add_argument("--hidden", type=int, default=400, help="hidden units in encoder and decoder (default 400)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per mini-batch (default 100)")
    parser.add_argument("--learning-rate", type=float, default=0.001, help="Adam's step size (default 0.001)")
    parser.add_argument("--train-size", type=int, default=60000, help="training images (default 60000)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and noise (default 0)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own choice, one per core)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mnist/ (default $DEEPBASICS_DATA_DIR, then ~/.cache/deepbasics)")
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parseArguments(argv)
    try:
        import torch
        from torch import nn
    except ImportError:
        sys.exit('This reference needs PyTorch: pip install torch')
    torch.manual_seed(arguments.seed)
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    data = Dataset(name="mnist", train_size=arguments.train_size, test_size=10000,
                   batch_size=arguments.batch_size, data_dir=arguments.data_dir)
    xTrain = torch.from_numpy(np.asarray(data.x_train, dtype=np.float32))
    xTest = torch.from_numpy(np.asarray(data.x_test, dtype=np.float32))
    testNoise = torch.from_numpy(np.random.default_rng(arguments.seed).standard_normal(
        (len(xTest), arguments.latent), dtype=np.float32))

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

    def negativeElbo(model, x, noise):
        """Mean per image of the summed binary cross entropy plus the KL term, in nats."""
        p, mu, logVar = model(x, noise)
        reconstruction = nn.functional.binary_cross_entropy(p, x, reduction="sum")
        kl = 0.5 * torch.sum(torch.exp(logVar) + mu * mu - 1 - logVar)
        return (reconstruction + kl) / len(x)

    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=arguments.learning_rate)
    print(f"{machine()}; PyTorch using {torch.get_num_threads()} thread(s)")
    seconds = []
    for epoch in range(arguments.epochs):
        start = time.perf_counter()
        model.train()
        total = 0.0
        for batch in torch.randperm(len(xTrain)).split(arguments.batch_size):
            x = xTrain[batch]
            loss = negativeElbo(model, x, torch.randn(len(x), arguments.latent))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        model.eval()
        with torch.no_grad():
            test = negativeElbo(model, xTest, testNoise).item()
        seconds.append(time.perf_counter() - start)
        print(f"Epoch {epoch + 1}/{arguments.epochs} - {seconds[-1]:.2f}s - train_loss: {total / len(xTrain):.4f}"
              f" - test_loss: {test:.4f}", flush=True)
    print(f"Test -ELBO: {test:.1f} nats")
    print(f"Time per epoch: {np.mean(seconds):.2f}s (mean of {len(seconds)} epochs, evaluation included)")


if __name__ == "__main__":
    main()
