import os
import pathlib

import pytest

import helpers

ROOT = pathlib.Path(__file__).resolve().parent.parent


def dataDir():
    """``$DEEPBASICS_DATA_DIR``, else ``../shared/data`` beside the project, else None."""
    configured = os.environ.get("DEEPBASICS_DATA_DIR")
    if configured:
        return pathlib.Path(configured).resolve()
    default = ROOT.parent / "shared" / "data"
    return default if default.is_dir() else None


@pytest.fixture
def mnistDir():
    folder = dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    return folder


def pytest_terminal_summary(terminalreporter):
    if helpers.WORST["where"]:
        terminalreporter.write_line(
            f"largest relative gradient error seen: {helpers.WORST['error']:.2e} ({helpers.WORST['where']})")
