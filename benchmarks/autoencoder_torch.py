"""The denoising autoencoder in deepbasics and in PyTorch, side by side: quality and time.

Both train the example's network (784-256-64-256-784, ReLU inside, Sigmoid
output, He/Glorot uniform initialisation, zero biases) with the chapter's MSE
(``1/(2n) sum ||yPred - x||^2``), Adam (learning rate 0.001) and mini-batches
of 128 images, each corrupted afresh with Gaussian noise of standard
deviation 0.5 clipped to [0, 1]. Both are scored on the same noisy test set
(drawn once with seed 0, as ``Autoencoder.evaluate`` does), by the PSNR of the
whole test set. The libraries take turns epoch by epoch in one process, so
that a noisy neighbour slows them alike.

    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/autoencoder_torch.py
    python benchmarks/autoencoder_torch.py --epochs 2 --train-size 5000   # quicker
    python benchmarks/autoencoder_torch.py --threads 1   # on a machine shared with other jobs

PyTorch is optional: without it the benchmark says so and runs deepbasics alone
(``pip install "deepbasics[bench]"``).
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "examples"))

import numpy as np  # noqa: E402

from autoencoder import GaussianNoise, psnr  # noqa: E402
from compare import machine  # noqa: E402  (this folder: the processor and library versions)
from dataset import Dataset  # noqa: E402

LIBRARIES = ("deepbasics", "pytorch")


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training set (default 10)")
    parser.add_argument("--batch-size", type=int, default=128, help="images per mini-batch (default 128)")
    parser.add_argument("--noise", type=float, default=0.5, help="standard deviation of the noise (default 0.5)")
    parser.add_argument("--train-size", type=int, default=60000, help="training images (default 60000)")
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    parser.add_argument("--libraries", nargs="+", choices=LIBRARIES, default=list(LIBRARIES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="limit both libraries to this many BLAS/OpenMP threads (needs threadpoolctl); on "
                             "a machine shared with other jobs, 1 avoids threads waiting for each other")
    return parser.parse_args(argv)


def limitThreads(count, torchToo):
    """Let NumPy's BLAS (and PyTorch) use ``count`` threads at most, for the rest of the run."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as error:
        raise ImportError('--threads needs threadpoolctl: pip install "deepbasics[bench]"') from error
    threadpool_limits(limits=count)
    if torchToo:
        try:
            import torch
            torch.set_num_threads(count)
        except ImportError:
            pass


# ------------------------------------------------------------------ trainers
# Each returns two functions: one trains for one epoch, one gives the
# reconstruction of the noisy test images.
def deepbasicsTrainer(data, arguments):
    from denoising_autoencoder import buildAutoencoder
    from loss import MSE

    autoencoder = buildAutoencoder(arguments.noise, 0.001, arguments.seed)

    def epoch():
        autoencoder.train(data, MSE(), epochs=1, verbose=False)

    return epoch, autoencoder.reconstruct


def pytorchTrainer(data, arguments):
    import torch

    torch.manual_seed(arguments.seed)
    generator = torch.Generator().manual_seed(arguments.seed)
    layers = []
    widths = (784, 256, 64, 256, 784)
    for index, (inputDim, outputDim) in enumerate(zip(widths, widths[1:])):
        linear = torch.nn.Linear(inputDim, outputDim)
        last = index == len(widths) - 2
        # deepbasics' initialisation: He uniform for ReLU layers, Glorot uniform for the Sigmoid one.
        limit = np.sqrt(6.0 / (inputDim + outputDim)) if last else np.sqrt(6.0 / inputDim)
        torch.nn.init.uniform_(linear.weight, -limit, limit)
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.Sigmoid() if last else torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    x = torch.from_numpy(data.x_train)

    def epoch():
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), arguments.batch_size):
            clean = x[order[start:start + arguments.batch_size]]
            noisy = (clean + arguments.noise * torch.randn(clean.shape, generator=generator)).clamp_(0, 1)
            loss = 0.5 * ((model(noisy) - clean) ** 2).sum() / len(clean)   # the chapter's MSE
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def reconstruct(images):
        with torch.no_grad():
            return model(torch.from_numpy(images)).numpy()

    return epoch, reconstruct


def main(argv=None):
    arguments = parseArguments(argv)
    if arguments.threads is not None:
        limitThreads(arguments.threads, "pytorch" in arguments.libraries)
    data = Dataset(name=arguments.dataset, train_size=arguments.train_size, test_size=10000,
                   batch_size=arguments.batch_size, seed=arguments.seed)
    noisyTest = GaussianNoise(arguments.noise).apply(data.x_test, np.random.default_rng(0))
    noisyPsnr = psnr(noisyTest, data.x_test)
    trainers = {}
    for library in arguments.libraries:
        if library == "pytorch":
            try:
                import torch  # noqa: F401
            except ImportError:
                print('pytorch: not installed, skipped (pip install "deepbasics[bench]")')
                continue
        trainers[library] = (deepbasicsTrainer if library == "deepbasics" else pytorchTrainer)(data, arguments)
    threads = "" if arguments.threads is None else f", {arguments.threads} thread(s) each"
    print(f"Denoising autoencoder 784-256-64-256-784 on {arguments.dataset} ({len(data.x_train)} training "
          f"images), batch {arguments.batch_size}, noise std {arguments.noise:g}; {machine()}{threads}")
    seconds = {library: 0.0 for library in trainers}
    results = {}
    for epoch in range(arguments.epochs):
        for library, (trainEpoch, reconstruct) in trainers.items():
            start = time.perf_counter()
            trainEpoch()
            seconds[library] += time.perf_counter() - start
            results[library] = psnr(reconstruct(noisyTest), data.x_test)
            print(f"Epoch {epoch + 1}/{arguments.epochs} - {library}: test PSNR {results[library]:.2f} dB", flush=True)
    for library in trainers:
        print(f"{library}: Test PSNR: noisy {noisyPsnr:.1f} dB -> denoised {results[library]:.1f} dB, "
              f"{seconds[library] / arguments.epochs:.2f}s per epoch")
    if len(trainers) == 2:
        print(f"deepbasics - pytorch: {results['deepbasics'] - results['pytorch']:+.2f} dB; time per epoch "
              f"deepbasics / pytorch: {seconds['deepbasics'] / seconds['pytorch']:.2f}")
    return results


if __name__ == "__main__":
    main()
