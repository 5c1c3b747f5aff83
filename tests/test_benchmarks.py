"""The benchmark does not run in CI, but it must start and produce its table."""

import ast
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import ROOT, dataDir


def test_benchmark_has_help():
    result = subprocess.run([sys.executable, "benchmarks/compare.py", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--epochs" in result.stdout


@pytest.mark.slow
def test_benchmark_runs_a_small_comparison():
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run(
        [sys.executable, "benchmarks/compare.py", "--epochs", "1", "--train-size", "2000", "--dtypes", "float32",
         "--no-scaling"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| deepbasics")]
    assert len(rows) == 1 and "float32" in rows[0]
    # Without --threads, one thread each, said with the figures, and the processor as lscpu names it.
    assert "; 1 thread(s) per library" in result.stdout
    used = re.search(r"^On (.+) \(lscpu's model name\); threads in use while timing, as the libraries report "
                     r"them: (.+)$", result.stdout, re.MULTILINE)
    assert used, result.stdout[-2000:]
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    assert f"Model name: {used.group(1)} " in " ".join(lscpu.split()) + " "
    counts = dict(entry.rsplit(" ", 1) for entry in used.group(2).split(", "))
    assert counts["OpenBLAS"] == "1" and counts.get("PyTorch", "1") == "1", counts


@pytest.mark.slow
def test_overhead_benchmark_trains_the_same_weights_as_its_bare_numpy_loop():
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run(
        [sys.executable, "benchmarks/overhead.py", "--epochs", "2", "--train-size", "2000"], cwd=ROOT,
        capture_output=True, text=True, timeout=600, env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MLP.train / bare NumPy:" in result.stdout
    assert "Same weights after 2 epoch(s), bit for bit: yes" in result.stdout


@pytest.mark.slow
def test_benchmark_times_an_older_core_beside_todays():
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run(
        [sys.executable, "benchmarks/compare.py", "--epochs", "1", "--train-size", "2000", "--dtypes", "float32",
         "--libraries", "deepbasics", "--baseline", "2b78926", "--no-scaling", "--no-memory"], cwd=ROOT,
        capture_output=True, text=True, timeout=600, env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| baseline")]
    assert len(rows) == 1 and "float32" in rows[0]
    assert "peak MiB" not in result.stdout and "nan" not in rows[0]   # --no-memory: no column of nan


@pytest.mark.slow
def test_tricks_benchmark_runs():
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run([sys.executable, "benchmarks/tricks.py", "--epochs", "2", "--train-size", "1000",
                             "--gan-steps", "8"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no subnormal flush" in result.stdout and "first layer's input gradient" in result.stdout
    assert "discriminator not frozen" in result.stdout and "bit for bit: yes" in result.stdout


# ------------------------------------------------------------- the bench extra and the README's commands
README = ROOT / "README.md"
DISTRIBUTIONS = {"torch": "torch", "sklearn": "scikit-learn", "jax": "jax", "optax": "optax",
                 "threadpoolctl": "threadpoolctl",
                 "nbclient": "nbclient", "nbformat": "nbformat"}   # module imported -> the package that installs it


def extra(name):
    """The requirements of ``[project.optional-dependencies] name`` in pyproject.toml (no tomllib on 3.10)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(rf"^{name} = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    assert found, f"pyproject.toml has no {name!r} extra"
    return re.findall(r'"([^"]+)"', found.group(1))


def thirdPartyImports(path):
    """The top-level modules ``path`` imports that are neither the standard library nor this project's."""
    ours = {file.stem for folder in (ROOT, ROOT / "examples", ROOT / "benchmarks") for file in folder.glob("*.py")}
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - ours - {"numpy"}


def test_the_bench_extra_installs_every_package_the_benchmarks_import():
    bench = extra("bench")
    names = {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in bench}
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        for module in thirdPartyImports(path):
            assert module in DISTRIBUTIONS, f"{path.name} imports {module}: add it to the bench extra and here"
            assert DISTRIBUTIONS[module] in names, f"{path.name} imports {module}, which the bench extra {bench} " \
                                                   f"does not install"
    # The project's machines install this CPU build; a plain `torch` would fetch another one.
    assert "torch==2.13.0" in bench


def readmeBenchmarkCommands():
    """The README's command lines that run a benchmark script."""
    return [line for line in README.read_text(encoding="utf-8").splitlines()
            if re.match(r"^(\w+=\S+ )*python benchmarks/\w+\.py", line)]


def test_readme_installs_the_bench_extra_before_its_benchmark_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    install = 'python -m pip install -e ".[test,bench]"'
    assert install in lines, f"the README should install the benchmarks' peers with `{install}`"
    commands = readmeBenchmarkCommands()
    assert len(commands) >= 4
    assert lines.index(install) < min(lines.index(command) for command in commands)
    for command in commands:
        script = re.search(r"python (benchmarks/\w+\.py)", command).group(1)
        assert (ROOT / script).is_file(), command


# Short runs of each command: just that it runs as written.
SHORT = {"compare.py": ["--epochs", "1", "--train-size", "500"],
         "autoencoder_torch.py": ["--epochs", "1", "--train-size", "500"],
         "vae_torch.py": ["--epochs", "1", "--train-size", "500"],
         "gan_torch.py": ["--epochs", "1", "--train-size", "300", "--speed-rounds", "1"],
         "notebooks.py": ["--fast", "notebooks/look_inside.ipynb"]}


@pytest.mark.slow
@pytest.mark.parametrize("command", readmeBenchmarkCommands())
def test_each_readme_benchmark_command_runs_as_written(command, mnistDir, tmp_path):
    for module in ("torch", "threadpoolctl", "sklearn"):
        pytest.importorskip(module, reason='the benchmarks need the bench extra: pip install -e ".[test,bench]"')
    words = command.split()
    environment = dict(os.environ)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        environment[name] = str(mnistDir) if name == "DEEPBASICS_DATA_DIR" else value
    script = pathlib.Path(words[1]).name
    options = list(SHORT[script])
    if script == "gan_torch.py" and "--epochs" in words and words[words.index("--epochs") + 1] == "0":
        options[1] = "0"   # the speed-only command stays speed-only
    if "mnist.npz" in words:   # the classifier the README saves just before
        classifier = tmp_path / "mnist.npz"
        subprocess.run([sys.executable, "examples/mnist_classifier.py", "--epochs", "1", "--train-size", "1000",
                        "--data-dir", str(mnistDir), "--save", str(classifier)], cwd=ROOT, check=True,
                       capture_output=True, timeout=600)
        words[words.index("mnist.npz")] = str(classifier)
    result = subprocess.run([sys.executable, *words[1:], *options], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    assert " cores, Python " in result.stdout   # each says what it ran on (compare.machine)


def test_compare_gives_every_library_one_thread_by_default():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import compare
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert compare.parseArguments([]).threads == 1
    environment = compare.workerEnvironment(compare.parseArguments([]).threads)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert environment[variable] == "1"
    assert "intra_op_parallelism_threads=1" in environment["XLA_FLAGS"]
    assert compare.workerEnvironment(0) == dict(os.environ)   # --threads 0: each library's own default
    with pytest.raises(SystemExit):
        compare.parseArguments(["--threads", "-1"])


def test_the_notebook_timer_runs_a_notebook_and_prints_its_time_and_last_lines():
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run([sys.executable, "benchmarks/notebooks.py", "--fast", "--last", "2",
                             "notebooks/look_inside.ipynb"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"On .+ cores, Python .+; OPENBLAS_NUM_THREADS=\S+, fast mode", lines[0])
    assert re.fullmatch(r"look_inside\.ipynb: \d+\.\d s", lines[1]) and len(lines) == 4
    assert "Softmax()" in lines[2]   # the diagnosis table the notebook ends with
    assert not (ROOT / "notebooks" / "look_inside.ipynb").read_text().count('"output_type"')   # left without outputs


def test_the_notebook_timer_names_a_path_that_is_no_notebook():
    result = subprocess.run([sys.executable, "benchmarks/notebooks.py", "no/such.ipynb"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no/such.ipynb is not a notebook file" in result.stderr
