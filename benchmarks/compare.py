"""Time the chapter's classifier in deepbasics, PyTorch and scikit-learn, side by side.

The network is the chapter's: 784-100-50-10, ReLU, ReLU, Softmax, trained
with Adam (learning rate 0.001) on mini-batches of 50 MNIST images, on the
same arrays. Times come from one process in which the libraries take turns
epoch by epoch, so that a noisy neighbour slows them alike; peak memory comes
from a separate full run of each library alone.

PyTorch runs twice: ``pytorch`` gathers each batch by indexing the training
tensors (the fastest plain loop we know, and the row the goals are checked
against); ``pytorch-dataloader`` takes its batches from a ``DataLoader``, as
PyTorch's tutorials do. JAX runs twice too: ``jax-jit`` compiles one training
step with ``jax.jit`` and calls it per batch; ``jax-scan`` compiles a whole
epoch with ``jax.lax.scan``, the fastest CPU training loop we know for this
network.

Every library gets the same number of threads, 1 by default (``--threads N``;
``--threads 0`` leaves each library its own default): on a machine shared with
other jobs, a library that starts one thread per core waits for its threads to
be scheduled at every step (on a busy 2-core machine, PyTorch took 35.5 s
per epoch that way, against about 1 s). The thread count and the processor (lscpu's
model name) are printed with the figures.

``--baseline GITREF`` adds a ``baseline`` row: deepbasics as it was at that
commit, imported beside today's in the same process and timed in turn, so
that a change to the core can be measured against the code it replaces.

    DEEPBASICS_DATA_DIR=../shared/data python benchmarks/compare.py
    python benchmarks/compare.py --epochs 3 --repeats 1 --no-scaling   # quicker
    python benchmarks/compare.py --dtypes float32 --no-scaling --no-memory --baseline 2b78926

Peers that are not installed are skipped with a line saying so
(``pip install "deepbasics[bench]"``: torch==2.13.0, scikit-learn, jax, optax,
threadpoolctl).
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

THREADS = [1]   # --threads, for the workers' environment; 0: each library's own default

LIBRARIES = ("deepbasics", "baseline", "pytorch", "pytorch-dataloader", "scikit-learn", "jax-jit", "jax-scan")
MODULES = ("nn", "training", "layers", "activations", "loss", "optimizer", "optimizers", "checks", "callbacks")


# ------------------------------------------------------------------ trainers
# Each builds the chapter's network in one library and returns two functions:
# one that trains for one epoch, one that gives the test accuracy.
def loadData(dtype, trainSize):
    from dataset import Dataset
    return Dataset(name="mnist", train_size=trainSize, test_size=10000, batch_size=50, seed=0, dtype=dtype)


def importBaseline(gitRef):
    """deepbasics' core modules as they were at ``gitRef``, imported beside today's.

    The old files are extracted into a temporary folder and imported with
    today's modules moved aside in ``sys.modules``; each old module keeps
    references to its old neighbours, so both versions work side by side.
    """
    import importlib
    import tarfile
    import tempfile

    folder = tempfile.mkdtemp(prefix="deepbasics-baseline-")
    archive = subprocess.run(["git", "-C", ROOT, "archive", gitRef], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    today = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, folder)
    try:
        return {name: importlib.import_module(name) for name in ("nn", "layers", "activations", "loss", "optimizer")}
    finally:
        sys.path.remove(folder)
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(today)


def deepbasicsTrainer(data, batchSize, width, dtype, modules=None):
    import activations
    import layers
    import loss
    import nn
    import optimizer

    modules = modules or {"nn": nn, "layers": layers, "activations": activations, "loss": loss,
                          "optimizer": optimizer}
    ReLU, Softmax = modules["activations"].ReLU, modules["activations"].Softmax
    Dense, CrossEntropy = modules["layers"].Dense, modules["loss"].CrossEntropy
    MLP, Adam = modules["nn"].MLP, modules["optimizer"].Adam

    data.batch_size = batchSize
    model = MLP(dtype=dtype)
    optimizer = Adam(learningRate=0.001)
    model.addLayer(Dense(784, width, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(width, 50, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(50, 10, activation=Softmax(), optimizer=optimizer, seed=2))

    def epoch():
        model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)

    def accuracy():
        return model.evaluate(data.x_test, data.y_test, CrossEntropy())["accuracy"]

    return epoch, accuracy


def pytorchTrainer(data, batchSize, width, dtype, dataLoader=False):
    """PyTorch eager. By default the batches are gathered by indexing the
    training tensors with a random permutation, the fastest plain loop we
    know; with ``dataLoader`` they come from ``DataLoader(TensorDataset(...),
    shuffle=True)``, the loop of PyTorch's own tutorials, which gathers and
    stacks the samples one by one."""
    import torch

    torch.manual_seed(0)
    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    torchType = {"float32": torch.float32, "float64": torch.float64}[dtype.name]
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    model = torch.nn.Sequential(torch.nn.Linear(784, width), torch.nn.ReLU(), torch.nn.Linear(width, 50),
                                torch.nn.ReLU(), torch.nn.Linear(50, 10), torch.nn.Softmax(dim=1)).to(torchType)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    if dataLoader:
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batchSize,
                                             shuffle=True)

    def batches():
        if dataLoader:
            yield from loader
            return
        order = torch.randperm(len(x))
        for first in range(0, len(x), batchSize):
            indices = order[first:first + batchSize]
            yield x[indices], y[indices]

    def epoch():
        for xBatch, yBatch in batches():
            optimizer.zero_grad()
            p = model(xBatch)
            # the chapter's per-output cross entropy, averaged over the batch
            loss = torch.nn.functional.binary_cross_entropy(p, yBatch, reduction="sum") / len(yBatch)
            loss.backward()
            optimizer.step()

    def accuracy():
        with torch.no_grad():
            predicted = model(torch.from_numpy(data.x_test)).argmax(dim=1).numpy()
        return float((predicted == data.y_test.argmax(axis=1)).mean())

    return epoch, accuracy


def pytorchDataLoaderTrainer(data, batchSize, width, dtype):
    return pytorchTrainer(data, batchSize, width, dtype, dataLoader=True)


def jaxTrainer(data, batchSize, width, dtype, scan=False):
    """JAX with optax's Adam: one jit-compiled step per batch, or (``scan``) a whole
    epoch compiled with ``lax.scan``. The batches are the same shuffled gathers."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    jax.config.update("jax_enable_x64", dtype == np.float64)
    rng = np.random.default_rng(0)
    sizes = [(784, width), (width, 50), (50, 10)]
    params = []
    for index, (fanIn, fanOut) in enumerate(sizes):
        limit = np.sqrt(6 / fanIn) if index < 2 else np.sqrt(6 / (fanIn + fanOut))
        params.append((jnp.asarray(rng.uniform(-limit, limit, (fanIn, fanOut)).astype(dtype)),
                       jnp.zeros(fanOut, dtype)))
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    adam = optax.adam(0.001)
    state = [params, adam.init(params)]
    eps = np.finfo(dtype).eps

    def forward(params, inputs):
        (W1, b1), (W2, b2), (W3, b3) = params
        hidden = jax.nn.relu(jax.nn.relu(inputs @ W1 + b1) @ W2 + b2)
        return jax.nn.softmax(hidden @ W3 + b3)

    def lossFunction(params, inputs, targets):   # the chapter's per-output cross entropy
        p = jnp.clip(forward(params, inputs), eps, 1 - eps)
        return -jnp.sum(targets * jnp.log(p) + (1 - targets) * jnp.log1p(-p)) / len(targets)

    def step(carry, batch):
        params, optState = carry
        gradients = jax.grad(lossFunction)(params, *batch)
        updates, optState = adam.update(gradients, optState)
        return (optax.apply_updates(params, updates), optState), None

    jitStep = jax.jit(lambda carry, batch: step(carry, batch)[0])

    @jax.jit
    def scanEpoch(carry, order):
        batches = order[:len(order) // batchSize * batchSize].reshape(-1, batchSize)
        return jax.lax.scan(lambda c, idx: step(c, (x[idx], y[idx])), carry, batches)[0]

    def epoch():
        order = jnp.asarray(rng.permutation(len(x)))
        if scan:
            state[:] = scanEpoch(tuple(state), order)
        else:
            carry = tuple(state)
            for first in range(0, len(x), batchSize):
                indices = order[first:first + batchSize]
                carry = jitStep(carry, (x[indices], y[indices]))
            state[:] = carry
        jax.block_until_ready(state[0])

    def accuracy():
        predicted = np.asarray(forward(state[0], jnp.asarray(data.x_test))).argmax(axis=1)
        return float((predicted == data.y_test.argmax(axis=1)).mean())

    return epoch, accuracy


def scikitLearnTrainer(data, batchSize, width, dtype):
    import warnings

    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(width, 50), activation="relu", solver="adam",
                          learning_rate_init=0.001, batch_size=batchSize, random_state=0)
    labels = data.y_train.argmax(axis=1)

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(data.x_train, labels, classes=list(range(10)))  # one shuffled pass

    def accuracy():
        return float(model.score(data.x_test, data.y_test.argmax(axis=1)))

    return epoch, accuracy


TRAINERS = {"deepbasics": deepbasicsTrainer, "pytorch": pytorchTrainer,
            "pytorch-dataloader": pytorchDataLoaderTrainer, "scikit-learn": scikitLearnTrainer,
            "jax-jit": jaxTrainer, "jax-scan": lambda *arguments: jaxTrainer(*arguments, scan=True)}


def worker(arguments):
    """In a subprocess: either time the libraries epoch by epoch, interleaved
    (a noisy neighbour then slows them alike), or make one library's full run
    alone and report its peak memory."""
    import numpy as np

    dtype = np.dtype(arguments.dtype)
    data = loadData(dtype, arguments.train_size)
    libraries = arguments.libraries if arguments.worker == "interleaved" else [arguments.worker]
    def trainer(library):
        if library == "baseline":
            return deepbasicsTrainer(data, arguments.batch_size, arguments.width, dtype,
                                     importBaseline(arguments.baseline))
        return TRAINERS[library](data, arguments.batch_size, arguments.width, dtype)

    trainers = {library: trainer(library) for library in libraries}
    times = {library: [] for library in libraries}
    for _ in range(arguments.epochs):
        for library, (epoch, _) in trainers.items():
            if len(libraries) > 1:
                time.sleep(0.3)  # let the previous library's idle threads stop spinning
            clock = time.process_time if arguments.cpu_time else time.perf_counter
            start = clock()
            epoch()
            times[library].append(clock() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    threads = threadsInUse(libraries)
    print(json.dumps({library: {"times": times[library], "accuracy": trainers[library][1](), "peakMiB": peak,
                                "threads": threads} for library in libraries}))


# ------------------------------------------------------------------ driver
def available(library):
    module = {"deepbasics": "numpy", "baseline": "numpy", "pytorch": "torch", "pytorch-dataloader": "torch",
              "scikit-learn": "sklearn", "jax-jit": "optax", "jax-scan": "optax"}[library]
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def workerEnvironment(threads):
    """The environment of a worker whose libraries each use ``threads`` threads (0: their own defaults).

    The variables are read when a library loads, so they must be set before
    the worker starts: OpenBLAS (NumPy, scikit-learn), OpenMP and MKL, and
    PyTorch, which the trainer sets from OMP_NUM_THREADS; XLA can only be told
    to use one thread or its default.
    """
    environment = dict(os.environ)
    if threads:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            environment[variable] = str(threads)
        if threads == 1:
            environment["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return environment


def threadsInUse(libraries):
    """What the worker's libraries actually run on, as they report it: ``{name: threads}``."""
    used = {}
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            name = {"openblas": "OpenBLAS", "mkl": "MKL", "openmp": "OpenMP"}.get(pool["internal_api"],
                                                                                pool["internal_api"])
            used[name] = max(used.get(name, 0), pool["num_threads"])
    except ImportError:
        used["OpenBLAS"] = os.environ.get("OPENBLAS_NUM_THREADS", "default (threadpoolctl not installed)")
    if any(library.startswith("pytorch") for library in libraries):
        import torch
        used["PyTorch"] = torch.get_num_threads()
    if any(library.startswith("jax") for library in libraries):
        used["XLA"] = 1 if "intra_op_parallelism_threads=1" in os.environ.get("XLA_FLAGS", "") else "default"
    return used


def spawn(mode, libraries, dtype, epochs, batchSize=50, width=100, trainSize=60000, baseline=None, cpuTime=False):
    environment = workerEnvironment(THREADS[0])
    command = [sys.executable, os.path.abspath(__file__), "--worker", mode, "--libraries", *libraries,
               "--dtype", dtype, "--epochs", str(epochs), "--batch-size", str(batchSize),
               "--width", str(width), "--train-size", str(trainSize)] + (["--baseline", baseline] if baseline else []) \
        + (["--cpu-time"] if cpuTime else [])
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode:
        raise RuntimeError(f"{mode} worker failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def processor():
    """The processor's name as ``lscpu`` gives it (its "Model name"), else /proc/cpuinfo's, else platform's."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=30).stdout
        return next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name:"))
    except (OSError, subprocess.SubprocessError, StopIteration):
        pass
    try:
        with open("/proc/cpuinfo") as file:
            return next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine():
    import numpy as np

    cpu = processor()
    versions = [f"numpy {np.__version__}"]
    for name in ("torch", "sklearn", "jax"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {', '.join(versions)}"


def mainTable(libraries, dtypes, epochs, repeats, trainSize, memory, baseline=None, cpuTime=False):
    print(f"\nThe chapter's classifier on MNIST ({trainSize} training images), {epochs} epochs: "
          f"{'CPU ' if cpuTime else ''}seconds per "
          f"training epoch (median over {epochs} epochs x {repeats} run(s), the libraries taking turns epoch "
          f"by epoch) and test accuracy after the last epoch"
          f"{', and peak memory (RSS) of a separate full run of each library alone' if memory else ''}.\n")
    header = (f"| {'library':<18} | {'dtype':<7} | {'s/epoch':>7} | {'deepbasics / this':>17} | "
              f"{'test acc.':>9} |" + (f" {'peak MiB':>8} |" if memory else ""))
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for dtype in dtypes:
        runs = [spawn("interleaved", libraries, dtype, epochs, trainSize=trainSize, baseline=baseline,
                      cpuTime=cpuTime) for _ in range(repeats)]
        seconds = {library: statistics.median(t for run in runs for t in run[library]["times"])
                   for library in libraries}
        used = runs[0][libraries[0]]["threads"]
        for library in libraries:
            accuracy = statistics.median(run[library]["accuracy"] for run in runs)
            peak = ""
            if memory:
                alone = spawn(library, [library], dtype, epochs, trainSize=trainSize, baseline=baseline)
                peak = f" {alone[library]['peakMiB']:8.0f} |"
            print(f"| {library:<18} | {dtype:<7} | {seconds[library]:7.3f} | "
                  f"{seconds['deepbasics'] / seconds[library]:17.2f} | {accuracy:9.4f} |{peak}", flush=True)
    print(f"\nOn {processor()} (lscpu's model name); threads in use while timing, as the libraries report them: "
          f"{', '.join(f'{name} {count}' for name, count in sorted(used.items()))}")


def scalingTable(dtype, trainSize, batchSizes, widths):
    print(f"\nScaling ({dtype}; the two libraries take turns for 3 epochs of {trainSize} images; seconds per "
          f"60,000-image epoch, extrapolated from the median):\n")
    header = f"| {'batch':>5} | {'width':>5} | {'deepbasics s':>12} | {'pytorch s':>9} | {'ratio':>5} |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    scale = 60000 / trainSize
    settings = [(batch, 100) for batch in batchSizes] + [(50, width) for width in widths if width != 100]
    for batch, width in settings:
        run = spawn("interleaved", ["deepbasics", "pytorch"], dtype, 3, batch, width, trainSize)
        ours, theirs = (statistics.median(run[library]["times"]) * scale for library in ("deepbasics", "pytorch"))
        print(f"| {batch:>5} | {width:>5} | {ours:12.3f} | {theirs:9.3f} | {ours / theirs:5.2f} |", flush=True)


def parseArguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per library and dtype (default 1)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--no-scaling", action="store_true", help="skip the batch-size and width table")
    parser.add_argument("--no-memory", action="store_true", help="skip the separate runs that measure peak memory")
    parser.add_argument("--scaling-samples", type=int, default=10000,
                        help="training samples per epoch in the scaling table (default 10000)")
    parser.add_argument("--threads", type=int, metavar="N", default=1,
                        help="threads per library (OpenBLAS, OpenMP, MKL, PyTorch, XLA), the same for all "
                             "(default 1: on a machine shared with other jobs, more threads wait for each other); "
                             "0 leaves each library its own default")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time CPU seconds of the process instead of wall-clock seconds (with --threads 1, "
                             "what a busy neighbour disturbs least)")
    parser.add_argument("--baseline", metavar="GITREF",
                        help="also time deepbasics as it was at this commit (a 'baseline' row)")
    # internal: one library's run in a subprocess
    parser.add_argument("--worker", choices=[*LIBRARIES, "interleaved"], help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=50, help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--train-size", type=int, default=60000,
                        help="training samples in the main table (default all 60000)")
    arguments = parser.parse_args(argv)
    if arguments.threads < 0:
        parser.error(f"--threads must be 1 or more, or 0 for each library's own default; got {arguments.threads}")
    return arguments


def main(argv=None):
    arguments = parseArguments(argv)
    if arguments.worker:
        return worker(arguments)
    THREADS[0] = arguments.threads
    threads = (f"{arguments.threads} thread(s) per library" if arguments.threads
               else "each library's own default threads (--threads 0)")
    print(f"Machine: {machine()}; {threads}")
    libraries = []
    for library in arguments.libraries:
        if library == "baseline" and not arguments.baseline:
            continue
        if available(library):
            libraries.append(library)
        else:
            print(f"Skipping {library}: not installed (pip install \"deepbasics[bench]\")")
    if "deepbasics" not in libraries:
        libraries.insert(0, "deepbasics")
    if arguments.baseline and "baseline" not in libraries:
        libraries.insert(1, "baseline")
    mainTable(libraries, arguments.dtypes, arguments.epochs, arguments.repeats, arguments.train_size,
              not arguments.no_memory, arguments.baseline, arguments.cpu_time)
    if not arguments.no_scaling:
        if "pytorch" in libraries:
            scalingTable("float32", arguments.scaling_samples, [10, 50, 200, 1000], [100, 500, 2000])
        else:
            print("Skipping the scaling table: it compares against PyTorch, which is not installed")


if __name__ == "__main__":
    main()
