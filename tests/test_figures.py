"""figures.py: matplotlib only when drawing, figures of whole pixels, atomic saving, and knowing a notebook."""

import os
import subprocess
import sys
import types

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import figures  # noqa: E402
import plots  # noqa: E402
from conftest import ROOT  # noqa: E402
from plothelpers import pngSize  # noqa: E402

HISTORY = {"train_loss": [1.0, 0.5, 0.3], "test_loss": [1.1, 0.6, 0.4]}


def test_without_matplotlib_the_core_imports_and_every_plot_names_the_install_command():
    code = ("import sys\n"
            "sys.modules['matplotlib'] = None\n"
            "import numpy as np\n"
            "import nn, layers, plots\n"
            "for draw in (plots.plotActivations, lambda: plots.plotImages(np.zeros((1, 4))), plots.LivePlot,\n"
            "             lambda: plots.plotHistory({'train_loss': [1.0]})):\n"
            "    try:\n"
            "        draw()\n"
            "    except ImportError as error:\n"
            "        print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('pip install "deepbasics[plot]"') == 4, result.stdout


def test_new_figures_are_whole_pixels_and_not_kept_by_pyplot():
    pyplot = figures.pyplot()
    before = pyplot.get_fignums()
    figure, axes = figures.newFigure((3.333, 1.2), rows=2, columns=3)
    assert axes.shape == (2, 3)
    assert (figure.get_size_inches() * figures.DPI).tolist() == [333.0, 120.0]
    assert pyplot.get_fignums() == before   # closed in pyplot: nothing accumulates, a notebook shows it once


def test_image_grid_holds_count_tiles_without_ticks_in_the_grid_asked_for():
    figure, tiles = figures.imageGrid(7, rows=2, tile=(1.0, 1.5), margin=(0.5, 0.3))
    assert len(tiles) == len(figure.axes) == 7   # 2 x 4 without its spare cell
    assert figure.get_size_inches().tolist() == [4.5, 3.3]
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in tiles)
    _, tiles = figures.imageGrid(10)   # about square: 4 columns, 3 rows
    assert [ax.get_subplotspec().rowspan.start for ax in tiles] == [0] * 4 + [1] * 4 + [2] * 2


def test_save_writes_a_png_of_the_requested_size_atomically(tmp_path):
    path = tmp_path / "history.png"
    plots.plotHistory(HISTORY, figsize=(4, 3), save=path)
    assert pngSize(path) == (4 * plots.DPI, 3 * plots.DPI)
    plots.plotImages([[0.0, 0.0, 0.0, 0.0]] * 2, figsize=(2.5, 1.5), save=str(path))   # replaces it
    assert pngSize(path) == (250, 150)
    assert os.listdir(tmp_path) == ["history.png"]   # no temporary file left behind
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()


def test_save_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "shared.png"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    plots.plotHistory(HISTORY, save=path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and pngSize(path) == (500, 400)


def test_save_figure_writes_any_figure_and_returns_its_path(tmp_path):
    pyplot = figures.pyplot()
    figure = pyplot.figure(figsize=(2, 1))
    pyplot.close(figure)
    assert plots.saveFigure(figure, tmp_path / "own") == str(tmp_path / "own")   # no suffix: PNG
    assert pngSize(tmp_path / "own") == (200, 100)
    figures.saveFigure(figure, tmp_path / "own.svg")
    assert (tmp_path / "own.svg").read_text().lstrip().startswith("<?xml")


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_save_errors_name_the_path(tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=f"the folder {missing} does not exist"):
        plots.plotHistory(HISTORY, save=missing / "history.png")
    with pytest.raises(ValueError, match="cannot write 'docx' files .*; use one of .*png"):
        plots.plotHistory(HISTORY, save=tmp_path / "history.docx")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("shell, expected", [
    (None, False),                                     # plain Python, or IPython imported outside a kernel
    ("TerminalInteractiveShell", False),               # the ipython command
    ("ZMQInteractiveShell", True),                     # Jupyter, JupyterLab, VS Code
    ("Shell(ZMQInteractiveShell)", True),              # Colab's shell, a subclass of it
])
def test_in_notebook_only_inside_a_jupyter_kernel(monkeypatch, shell, expected):
    if shell is None:
        instance = None
    elif shell.startswith("Shell("):
        instance = type("Shell", (type("ZMQInteractiveShell", (), {}),), {})()
    else:
        instance = type(shell, (), {})()
    IPython = types.ModuleType("IPython")
    IPython.get_ipython = lambda: instance
    monkeypatch.setitem(sys.modules, "IPython", IPython)
    assert figures.inNotebook() is expected
    monkeypatch.delitem(sys.modules, "IPython")
    assert figures.inNotebook() is False   # IPython never imported: not a kernel (and no second spent importing it)
