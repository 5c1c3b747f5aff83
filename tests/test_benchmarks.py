"""The benchmark does not run in CI, but it must start and produce its table."""

import os
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
