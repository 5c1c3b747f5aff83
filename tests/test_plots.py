"""plots.py, the entry point: it offers every plot of the four plotting modules, their docstring examples run,
their integer arguments are checked alike, and the examples and the README's pictures draw through it."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import plots  # noqa: E402
from activations import ReLU, Softmax  # noqa: E402
from conftest import ROOT  # noqa: E402
from layers import Dense  # noqa: E402
from nn import MLP  # noqa: E402
from plothelpers import classifierOf, pngSize  # noqa: E402

MODULES = ["figures", "historyplots", "networkplots", "imageplots", "plots"]
HISTORY = {"train_loss": [1.0, 0.5, 0.3], "test_loss": [1.1, 0.6, 0.7]}


@pytest.mark.parametrize("module", MODULES[1:4])
def test_plots_offers_every_public_name_of_the_plotting_modules_and_names_each_in_its_docstring(module):
    source = importlib.import_module(module)
    public = [name for name in vars(source) if name.startswith("plot") or name == "LivePlot"]
    assert public
    for name in public:
        assert getattr(plots, name) is getattr(source, name), name
        assert name in plots.__all__ and name in plots.__doc__, name
    assert f"``{module}.py``" in plots.__doc__


# ------------------------------------------------------------------ integer arguments
def twoLayerNetwork():
    model = MLP()
    model.addLayer(Dense(4, 3, activation=ReLU()))
    model.addLayer(Dense(3, 2, activation=Softmax()))
    return model


def twoPoints():
    return np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([0, 1])


INTEGER_ARGUMENTS = {   # argument: (call with that argument, wanted, a right value)
    "every": (lambda every: plots.LivePlot(every=every), "a positive integer", 2),
    "maxNeurons": (lambda maxNeurons: plots.plotNetwork(twoLayerNetwork(), maxNeurons=maxNeurons),
                   "an integer of at least 2", 2),
    "rows": (lambda rows: plots.plotImages(np.zeros((3, 4)), rows=rows), "an integer between 1 and 3", 3),
    "count": (lambda count: plots.plotMistakes(classifierOf(np.eye(4), np.zeros(4)), np.eye(4)[[1, 0]],
                                               np.eye(4)[[0, 1]], count=count), "a positive integer", 1),
    "resolution": (lambda resolution: plots.plotDecisionBoundary(classifierOf([[1.0, 0.0]], [-0.5]), *twoPoints(),
                                                                 resolution=resolution), "an integer of at least 2", 2),
    "columns": (lambda columns: plots.plotWeights(Dense(4, 3), shape=(2, 2), columns=columns), "a positive integer", 3),
}
OWNERS = {"every": "LivePlot", "maxNeurons": "plotNetwork", "rows": "plotImages", "count": "plotMistakes",
          "resolution": "plotDecisionBoundary", "columns": "plotWeights"}


@pytest.mark.parametrize("name", INTEGER_ARGUMENTS)
@pytest.mark.parametrize("value, error, shown", [
    (2.5, TypeError, "float 2.5"), ("2", TypeError, "str '2'"), (True, TypeError, "bool True"),
    (0, ValueError, "0"), (-3, ValueError, "-3"),
])
def test_integer_arguments_refuse_a_wrong_type_with_typeerror_and_a_bad_value_with_valueerror(name, value, error,
                                                                                               shown):
    call, wanted, _ = INTEGER_ARGUMENTS[name]
    with pytest.raises(error, match=f"^{OWNERS[name]}: {name} must be {wanted}, got {shown}$"):
        call(value)


def test_integer_arguments_refuse_a_value_just_past_their_limit_and_take_numpy_integers():
    with pytest.raises(ValueError, match="^plotImages: rows must be an integer between 1 and 3, got 4$"):
        INTEGER_ARGUMENTS["rows"][0](4)
    with pytest.raises(ValueError, match="^plotNetwork: maxNeurons must be an integer of at least 2, got 1$"):
        INTEGER_ARGUMENTS["maxNeurons"][0](1)
    assert plots.LivePlot(every=np.int64(3)).every == 3
    for name, (call, _, good) in INTEGER_ARGUMENTS.items():
        if name != "every":
            assert call(np.int64(good)).axes, name


# ------------------------------------------------------------------ example and README pictures
def test_make_images_has_help_and_shrinks_a_png_to_a_palette_of_the_same_size(tmp_path, capsys):
    image = pytest.importorskip("PIL.Image")
    # make_images puts examples/ on sys.path to reuse the example's network; examples/gan.py must not
    # shadow gan.py for the tests that run after this one.
    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_images
    finally:
        sys.path[:] = saved
    with pytest.raises(SystemExit) as exit:
        make_images.parseArguments(["--help"])
    assert exit.value.code == 0
    assert "--epochs" in capsys.readouterr().out
    path = tmp_path / "history.png"
    plots.plotHistory(HISTORY, figsize=(4, 3), save=path)
    before = os.path.getsize(path)
    make_images.shrink(path)
    with image.open(path) as shrunk:
        assert shrunk.mode == "P" and shrunk.size == (400, 300)
    assert os.path.getsize(path) < before
    assert os.listdir(tmp_path) == ["history.png"]


def test_mnist_example_refuses_plots_without_matplotlib_before_training():
    code = ("import runpy, sys\n"
            "sys.modules['matplotlib'] = None\n"
            "sys.argv = ['mnist_classifier.py', '--plots', 'never']\n"
            "runpy.run_path('examples/mnist_classifier.py', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert '--plots needs matplotlib: pip install "deepbasics[plot]"' in result.stderr
    assert "Loaded" not in result.stdout and not (ROOT / "never").exists()


@pytest.mark.slow
def test_mnist_example_writes_the_five_figures(mnistDir, tmp_path):
    folder = tmp_path / "plots"
    result = subprocess.run(
        [sys.executable, "examples/mnist_classifier.py", "--epochs", "2", "--train-size", "3000",
         "--data-dir", str(mnistDir), "--plots", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    names = ["confusion.png", "history.png", "mistakes.png", "network.png", "weights.png"]
    assert sorted(os.listdir(folder)) == names
    for name in names:
        width, height = pngSize(folder / name)
        assert width > 200 and height > 200
