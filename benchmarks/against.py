"""Is this checkout as fast as an earlier one? Time both, in turns, on the same machine.

A change that should not cost speed (a redesign of the training loop, say) is
held to the version before it: this script puts that version in a temporary
git worktree, then runs the same measurement there and here in turns, each in
a fresh process with one BLAS thread, so that a busy neighbour slows both
alike. Two measurements:

- ``classifier``: one epoch of the chapter's float32 classifier (784-100-50-10,
  ReLU, ReLU, Softmax, one shared Adam(0.001), CrossEntropy, batches of 50) on
  MNIST, through ``MLP.train``;
- ``gan``: ``GAN.trainStep`` of ``examples/gan.py``'s GAN on batches of 128.

It prints each round's times and the median ratio, this checkout over the other
(below 1: this one is faster). Times are the CPU seconds of the measuring
process (``time.process_time``), which a neighbour disturbs less than
wall-clock seconds.

    OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python benchmarks/against.py 8154be9 --rounds 7
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run inside each checkout; prints one number, CPU seconds. Uses only the API both versions share.
MEASURE = {
    "classifier": """
import time, numpy as np
import nn
from nn import MLP
from layers import Dense
from activations import ReLU, Softmax
from loss import CrossEntropy
from dataset import Dataset
from optimizer import Adam
data = Dataset(name="mnist", train_size=60000, test_size=10000, batch_size=50, seed=0)
model = MLP()
adam = Adam(learningRate=0.001)
for i, (a, b, f) in enumerate([(784, 100, ReLU()), (100, 50, ReLU()), (50, 10, Softmax())]):
    model.addLayer(Dense(inputDim=a, outputDim=b, activation=f, optimizer=adam, seed=i))
start = time.process_time()
model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
print(time.process_time() - start, nn.__file__)
""",
    "gan": """
import importlib.util, time, numpy as np
import nn
spec = importlib.util.spec_from_file_location("ganExample", "examples/gan.py")   # not the library's gan
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
model = example.buildGAN(seed=0)
real = np.random.default_rng(0).uniform(-1, 1, (128, 784)).astype(np.float32)
for _ in range(5):
    model.trainStep(real)
start = time.process_time()
for _ in range(60):
    model.trainStep(real)
print((time.process_time() - start) / 60, nn.__file__)
""",
}


def measure(folder, what):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "PYTHONPATH": folder}   # this checkout's modules first, before an installed deepbasics
    if "DEEPBASICS_DATA_DIR" in os.environ:   # relative to where the script was started, not to the checkout
        environment["DEEPBASICS_DATA_DIR"] = os.path.abspath(os.environ["DEEPBASICS_DATA_DIR"])
    result = subprocess.run([sys.executable, "-c", MEASURE[what]], cwd=folder, env=environment,
                            capture_output=True, text=True, check=True)
    seconds, *where = result.stdout.split()
    if where and not where[0].startswith(folder):
        raise RuntimeError(f"measured {where[0]}, not the checkout in {folder}")
    return float(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the git revision to compare against, e.g. 8154be9")
    parser.add_argument("--rounds", type=int, default=7, help="measurements of each, in turns (default 7)")
    parser.add_argument("--only", choices=sorted(MEASURE), help="one measurement only")
    arguments = parser.parse_args(argv)
    processor = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True,
                               text=True).stdout.strip() or "unknown processor"
    print(f"{processor}, one BLAS thread; this checkout against {arguments.revision}, in turns")
    with tempfile.TemporaryDirectory() as scratch:
        other = os.path.join(scratch, "other")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", other, arguments.revision], check=True)
        try:
            for what in [arguments.only] if arguments.only else sorted(MEASURE):
                ratios = []
                for round in range(arguments.rounds):
                    theirs, ours = measure(other, what), measure(ROOT, what)
                    ratios.append(ours / theirs)
                    print(f"{what} round {round + 1}: {arguments.revision} {theirs:.4f} s, this {ours:.4f} s, "
                          f"ratio {ratios[-1]:.3f}", flush=True)
                print(f"{what}: median ratio this / {arguments.revision} = {statistics.median(ratios):.3f} "
                      f"(from {min(ratios):.3f} to {max(ratios):.3f})", flush=True)
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", other], check=True)


if __name__ == "__main__":
    main()
