"""The chapter, the README and the docstrings promise code that runs: run it."""

import doctest
import importlib
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, dataDir

CHAPTER = ROOT.parent / "shared" / "spec" / "basics-of-deep-learning.txt"
MODULES = ["checks", "activations", "loss", "optimizer", "optimizers", "layers", "nn", "saving", "training",
           "dataset", "callbacks"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(importlib.import_module(module), verbose=False)
    assert failures == 0
    if module != "optimizers":
        assert tried > 0, f"{module} has no docstring example"


@pytest.mark.slow
def test_every_chapter_snippet_runs_verbatim_from_the_project_root(mnistDir, tmp_path):
    """The whole chapter in one interpreter, as a reader would type it; this trains for real."""
    if not CHAPTER.is_file():
        pytest.skip(f"chapter not found at {CHAPTER}")
    lines = [match.group(1) for match in re.finditer(r"^\s*>>> ?(.*)$", CHAPTER.read_text(encoding="utf-8"),
                                                      re.MULTILINE)]
    assert len(lines) > 40 and lines[-1].startswith("classifier.train(")
    # Feed the lines to an interactive interpreter, as a reader at the REPL would.
    script = tmp_path / "chapter.py"
    script.write_text(
        "import code, sys\n"
        "console = code.InteractiveConsole()\n"
        f"for line in {lines!r}:\n"
        "    if console.push(line):\n"
        "        sys.exit(f'incomplete statement: {line}')\n"
        "    if getattr(sys, 'last_value', None) is not None:\n"
        "        sys.exit(f'failed: {line}')\n", encoding="utf-8")
    environment = {**os.environ, "DEEPBASICS_DATA_DIR": str(mnistDir), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert result.stdout.count("Epoch ") == 10
    assert "{'train_loss': [" in result.stdout  # the REPL shows the returned history


def test_readme_examples_run_and_print_what_it_shows():
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 10


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[test]"' in readme and '-e ".[test]"' in ci
    assert "DEEPBASICS_DATA_DIR=../shared/data python -m pytest" in readme
    assert "DEEPBASICS_DATA_DIR=../shared/data python -m pytest" in ci
    assert "DEEPBASICS_DATA_DIR=../shared/data python examples/mnist_classifier.py" in readme


@pytest.mark.slow
def test_example_trains_on_mnist_and_saves(tmp_path):
    folder = dataDir()
    if folder is None:
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    saved = tmp_path / "mnist.npz"
    result = subprocess.run(
        [sys.executable, "examples/mnist_classifier.py", "--epochs", "1", "--train-size", "10000",
         "--data-dir", str(folder), "--save", str(saved)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    line = [line for line in result.stdout.splitlines() if line.startswith("Epoch 1/1")][0]
    for metric in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert f"{metric}: " in line
    accuracy = float(re.search(r"test_accuracy: ([0-9.]+)", line).group(1))
    assert accuracy > 0.9
    sys.path.insert(0, str(ROOT))
    from nn import MLP
    assert MLP.load(saved).outputDim == 10


def test_example_has_help():
    result = subprocess.run([sys.executable, "examples/mnist_classifier.py", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for option in ("--epochs", "--learning-rate", "--batch-size", "--data-dir", "--seed", "--save"):
        assert option in result.stdout
