"""The notebooks of notebooks/: stored without outputs, each starting the same way, and what each shows
when it runs in fast mode.

They run once, in the documentation build (tests/sitebuild.py, shared with test_site.py): myst-nb
executes each in docs/notebooks/ with DEEPBASICS_FAST=1 and keeps the executed copy, which the tests
here read.
"""

import os
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

import sitebuild
from conftest import ROOT, dataDir

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]


def read(path):
    return nbformat.read(path, as_version=4)


def firstCode(notebook):
    return next(cell for cell in notebook.cells if cell.cell_type == "code")


def test_the_five_notebooks_of_the_issue_are_there():
    assert {"chapter", "autoencoder", "vae", "gan", "look_inside"} <= set(NAMES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_a_notebook_is_valid_nbformat_4_and_stored_without_outputs(path):
    notebook = read(path)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4 and notebook.metadata.kernelspec.name == "python3"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: cell {index} has outputs; clear them before committing "
                f"(Jupyter: Edit > Clear All Outputs, or jupyter nbconvert --clear-output --inplace {path})")
        assert "attachments" not in cell or not cell.attachments, f"{path.name}: cell {index} has attachments"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_the_first_code_cell_states_the_install_line_and_the_fast_mode(path):
    source = firstCode(read(path)).source
    assert re.search(r'^# .*pip install "deepbasics\[[a-z,]+\]"', source, re.MULTILINE), source
    assert 'FAST = os.environ.get("DEEPBASICS_FAST") == "1"' in source
    assert "os.chdir(" in source and "sys.path.insert(0" in source


@pytest.mark.parametrize("folder", ["notebooks", "docs", "."])
def test_the_first_cell_finds_the_repository_from_where_jupyter_starts(folder, tmp_path):
    """Run each notebook's first cell from ``folder`` of a copy of the repository: its modules must win.

    In a copy, an installed deepbasics (``pip install -e .`` points at the original) cannot be what
    ``import dataset`` finds: only the first cell's chdir and sys.path can make the copy's modules load.
    """
    copy = tmp_path / "repo"
    for sub in ("notebooks", "docs"):
        (copy / sub).mkdir(parents=True)
    for module in ROOT.glob("*.py"):
        (copy / module.name).write_bytes(module.read_bytes())
    for path in NOTEBOOKS:
        probe = tmp_path / f"{path.stem}.py"
        probe.write_text(firstCode(read(path)).source
                         + "\nfrom nn import MLP\nimport dataset\nprint(os.getcwd(), dataset.__file__, FAST)\n",
                         encoding="utf-8")
        result = subprocess.run([sys.executable, str(probe)], cwd=copy / folder, capture_output=True, text=True,
                                timeout=120, env={**os.environ, "DEEPBASICS_FAST": "1", "PYTHONPATH": ""})
        assert result.returncode == 0, (path.name, result.stderr[-2000:])
        cwd, datasetFile, fast = result.stdout.split()
        assert (pathlib.Path(cwd), pathlib.Path(datasetFile), fast) == (copy, copy / "dataset.py", "True"), path.name


# ------------------------------------------------------------------ what they show, from the build
def executed(name):
    build = sitebuild.builtSite(dataDir())
    path = build["executed"] / "notebooks" / f"{name}.ipynb"
    assert path.is_file(), f"the build left no executed {name}.ipynb in {build['executed']}"
    return read(path)


def outputs(notebook, kind=None):
    found = [(index, output) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             for output in cell.outputs]
    return [(index, output) for index, output in found if kind is None or output.output_type == kind]


def text(notebook):
    parts = []
    for _, output in outputs(notebook):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "\n".join(parts)


def images(notebook):
    return [output for _, output in outputs(notebook) if "image/png" in output.get("data", {})]


def cellWith(notebook, snippet):
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and snippet in cell.source]
    assert len(cells) == 1, f"{len(cells)} cells hold {snippet!r}"
    return cells[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_runs_in_fast_mode_without_an_error_and_draws_its_figures(name):
    notebook = executed(name)
    errors = [output for _, output in outputs(notebook, "error")]
    assert not errors, errors
    assert not [output for _, output in outputs(notebook, "stream") if output.name == "stderr"
                and "Traceback" in output.text]
    assert len(images(notebook)) >= 4, f"{name} drew {len(images(notebook))} figures"


@pytest.mark.slow
def test_the_chapter_notebook_runs_the_chapter_verbatim_diagnoses_the_dead_units_and_fixes_them():
    notebook = executed("chapter")
    shown = text(notebook)
    # Figures 1 to 5: the network and four activations, each right below its snippet.
    assert sum("image/png" in output.get("data", {}) for output in cellWith(notebook, "plotNetwork(nn)").outputs) == 1
    assert len([cell for cell in notebook.cells if cell.source.strip() == "plots.plotActivation(f)"]) == 4
    verbatim = cellWith(notebook, 'classifier.train(dataset,loss = CrossEntropy(), epochs = 10, metrics = ["train_loss", '
                                  '"test_loss", "train_accuracy", "test_accuracy"], tensorboard = False, callbacks = {})')
    printed = "".join(output.text for output in verbatim.outputs if output.output_type == "stream")
    assert printed.count("Epoch ") == 10 and "never fire on these inputs; try a lower learning rate" in printed
    assert "Adam(learningRate = 0.1)" in cellWith(notebook, "optimizer = Adam(learningRate = 0.1)").source
    dead = re.findall(r"^\d+\s+ReLU\(\)\s+\d+\s+\S+\s+\S+\s+(\d+) \((\d+)%\)", shown, re.MULTILINE)
    assert len(dead) == 4, shown[-3000:]   # two ReLU layers, before and after the fix
    # The chapter's run is not seeded: how many die varies, but more than half of a layer, as the warning said.
    before, after = [int(share) for _, share in dead[:2]], [int(share) for _, share in dead[2:]]
    assert max(before) > 50 and max(after) < 10, dead
    accuracy = float(re.search(r"Test accuracy after \d+ epochs: ([0-9.]+)%", shown).group(1))
    assert accuracy > 93, accuracy
    for snippet in ("plotConfusion(classifier", "plotMistakes(classifier"):
        assert sum("image/png" in output.get("data", {}) for output in cellWith(notebook, snippet).outputs) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name, snippet", [("chapter", "callbacks = [plots.LivePlot()]"),
                                           ("autoencoder", "callbacks = [plots.LivePlot()]"),
                                           ("vae", "callbacks = [plots.LivePlot()]")])
def test_liveplot_redraws_one_figure_in_place_and_the_cell_gets_one_line_per_epoch(name, snippet):
    cell = cellWith(executed(name), snippet)
    figures = [output for output in cell.outputs if "image/png" in output.get("data", {})]
    assert len(figures) == 1, f"{len(figures)} figures under the training cell of {name}: LivePlot must update one"
    lines = "".join(output.text for output in cell.outputs if output.output_type == "stream").splitlines()
    epochs = [line for line in lines if line.startswith("Epoch ")]
    assert epochs and len(lines) <= len(epochs) + 2, lines[:20]
    assert not any("\r" in line for line in lines), "a progress bar's carriage returns reached the cell"


@pytest.mark.slow
def test_the_autoencoder_notebook_denoises():
    shown = text(executed("autoencoder"))
    noisy, denoised = map(float, re.search(r"Test PSNR: noisy ([0-9.]+) dB -> denoised ([0-9.]+) dB", shown).groups())
    assert denoised > noisy + 2, (noisy, denoised)


@pytest.mark.slow
def test_the_vae_notebook_draws_the_latent_plane_the_grid_and_an_interpolation():
    notebook = executed("vae")
    assert float(re.search(r"Test -ELBO: ([0-9.]+) nats", text(notebook)).group(1)) < 200
    for snippet in ("axes.scatter(mu[:, 0]", "vae.decode(z)", "(1 - weights) * start + weights * end"):
        assert sum("image/png" in output.get("data", {}) for output in cellWith(notebook, snippet).outputs) == 1


@pytest.mark.slow
def test_the_gan_notebook_shows_grids_after_epochs_and_scores_against_real_digits():
    notebook = executed("gan")
    training = cellWith(notebook, "gan.train(real")
    grids = [output for output in training.outputs if "image/png" in output.get("data", {})]
    assert len(grids) == 3   # one after each of the 2 fast epochs, and LivePlot's one figure
    shown = text(notebook)
    generated, real = map(float, re.search(r"MNIST score: generated ([0-9.]+), real test digits ([0-9.]+)",
                                           shown).groups())
    assert 1 <= generated <= 10 and real > 7, (generated, real)


@pytest.mark.slow
def test_look_inside_catches_the_deliberate_mistake_and_bends_the_boundary():
    notebook = executed("look_inside")
    first, fixed = [output.text for cell in notebook.cells if "gradcheck(Swish())" in cell.source
                    for output in cell.outputs if output.output_type == "stream"][:2]
    assert "FAILED" in first and "Look at Swish.backward" in first
    assert "passed" in fixed and "FAILED" not in fixed
    assert "dead" in text(notebook)
    boundaries = cellWith(notebook, "boundary(model, 0)")
    assert sum("image/png" in output.get("data", {}) for output in boundaries.outputs) == 5   # epochs 0, 1, 2, 4, 8
