"""The chapter, the README and the docstrings promise code that runs: run it."""

import code
import contextlib
import doctest
import importlib
import io
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


PROMPT = re.compile(r"^ *>>>(?: (?P<typed>.*))?$")
CONTINUATION = re.compile(r"^ *\.\.\.(?: (?P<typed>.*))?$")


def replBlocks(text):
    """The REPL sessions of a Markdown text: one list per fenced block that holds a ``>>>`` prompt.

    Each entry is ``(line, typed, want)``: the 1-based line of the ``>>>``
    prompt, the lines a reader types there and at the ``...`` prompts after
    it (a line of just ``...`` is an empty line typed), and the output shown
    below them, read as doctest reads it (up to a blank line or the next
    prompt, ``...`` lines in it included).
    """
    blocks, examples, fenced, state = [], None, False, "prose"
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            if fenced and examples:
                blocks.append(examples)
            fenced, examples, state = not fenced, [], "prose"
            continue
        if not fenced:
            continue
        prompt, continuation = PROMPT.match(line), CONTINUATION.match(line)
        if prompt:
            examples.append((number, [prompt.group("typed") or ""], []))
            state = "source"
        elif continuation and state == "source":
            examples[-1][1].append(continuation.group("typed") or "")
        elif not line.strip():
            state = "prose"
        elif state in ("source", "want"):
            examples[-1][2].append(line)
            state = "want"
    return blocks


def replay(examples, name="README.md"):
    """Type each example into a fresh ``code.InteractiveConsole`` one line at a time, as ``python`` reads
    a reader's typing or pasting, and compare what it shows (stdout and stderr, as on a terminal) with the
    example's output, as doctest does (ELLIPSIS, NORMALIZE_WHITESPACE). Returns one message per problem."""
    console = code.InteractiveConsole(locals={"__name__": "__console__", "__doc__": None})
    checker, flags = doctest.OutputChecker(), doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    problems, open = [], None   # open: the line where a statement the console still waits on began
    for line, typed, want in examples:
        shown, unfinished = io.StringIO(), open is not None
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
            if unfinished:
                problems.append(f"{name} line {line}: `python` still reads the block begun at line {open} when "
                                f"`{typed[0]}` is typed, and stops with a SyntaxError; end that block with a "
                                f"line of just `...` (the empty line the REPL needs)")
                console.resetbuffer()
            for text in typed:
                if not console.push(text):
                    open = None
                elif open is None:
                    open = line
        want = "\n".join(want) + "\n" if want else ""
        # Output that an unfinished statement keeps back, or that follows a SyntaxError, is not compared.
        if not unfinished and open is None and not checker.check_output(want, shown.getvalue(), flags):
            example = doctest.Example("\n".join(typed), want)
            problems.append(f"{name} line {line}: " + checker.output_difference(example, shown.getvalue(), flags))
    if open is not None:
        problems.append(f"{name} line {open}: the block ends while `python` still waits for the rest of this "
                        f"statement, which never runs; end it with a line of just `...`")
    return problems


def test_replay_types_the_lines_one_by_one_as_the_repl_reads_them():
    """The replay itself: an indented block without its empty line is caught, with it the output is checked."""
    unfinished = "```python\n>>> for i in range(3):\n...     total = i\n>>> total\n2\n```\n"
    finished = "```python\n>>> for i in range(3):\n...     total = i\n...\n>>> total\n2\n```\n"
    wrong = "```python\n>>> 1 + 1\n3\n>>> print('a')\na\n```\n"
    [problem] = [p for block in replBlocks(unfinished) for p in replay(block)]
    assert "line 4" in problem and "begun at line 2" in problem and "SyntaxError" in problem
    assert [p for block in replBlocks(finished) for p in replay(block)] == []
    [problem] = [p for block in replBlocks(wrong) for p in replay(block)]
    assert "line 2" in problem and "3" in problem and "2" in problem
    assert [p for block in replBlocks("```python\n>>> def f():\n...     return 1\n```\n") for p in replay(block)]


def test_readme_repl_blocks_run_when_typed_line_by_line_and_print_what_they_show(monkeypatch):
    """Each REPL block in a fresh `python` started in the project folder, fed one line at a time."""
    monkeypatch.chdir(ROOT)
    blocks = replBlocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2 and sum(len(block) for block in blocks) > 10
    problems = [problem for block in blocks for problem in replay(block)]
    assert not problems, "\n\n".join(problems)


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
    import numpy as np
    assert f"Arithmetic: NumPy {np.__version__} with " in result.stdout   # what the figures depend on
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


# ------------------------------------------------------------- figures that come back
CLASSIFIER = "OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python examples/mnist_classifier.py"
MAKE_IMAGES = "OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python docs/make_images.py"


def readmeText():
    """The README with its line breaks and runs of spaces made single spaces, for sentences that wrap."""
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def thisMachine():
    """lscpu's model name, NumPy's and its OpenBLAS's versions, and the OpenBLAS kernels in use (None unknown)."""
    import numpy as np

    model = None
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=30).stdout
        model = next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name:"))
    except (OSError, StopIteration, subprocess.SubprocessError):
        pass
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    kernel = None
    try:
        from threadpoolctl import threadpool_info
        kernel = next((pool["architecture"] for pool in threadpool_info() if pool["internal_api"] == "openblas"),
                      None)
    except ImportError:
        pass
    if os.environ.get("OPENBLAS_CORETYPE"):
        kernel = os.environ["OPENBLAS_CORETYPE"]
    return {"model": model, "numpy": np.__version__, "blas": blas.get("name", ""),
            "openblas": ".".join(str(blas.get("version", "")).split(".")[:3]), "kernel": kernel}


def requireTheReadmesConditions():
    """Skip, saying why, unless this machine is the one the README's classifier figures were measured on."""
    stated = re.search(r"lscpu's model name `([^`]+)` .*? NumPy ([0-9.]+) with its OpenBLAS ([0-9.]+), which picks "
                       r"its (\w+) kernels here", readmeText())
    assert stated, "the README no longer states the conditions of the classifier's figures"
    model, numpy, openblas, kernel = stated.groups()
    machine = thisMachine()
    differs = [f"{name} {machine[name]!r} (the README's: {want!r})"
               for name, want in (("model", model), ("numpy", numpy), ("openblas", openblas))
               if machine[name] != want]
    if machine["kernel"] not in (None, kernel):
        differs.append(f"OpenBLAS kernels {machine['kernel']!r} (the README's: {kernel!r})")
    if "openblas" not in machine["blas"]:
        differs.append(f"BLAS {machine['blas']!r}")
    if differs:
        pytest.skip("the README's classifier figures are for another machine: here " + ", ".join(differs))


def seconds(line):
    """A printed line with its timings blanked: they move with the machine's load."""
    return re.sub(r"[0-9.]+s\b", "<s>", line)


def runReadmeCommand(command, *options):
    """Run a README command line (``VAR=value ... python script``) from the project root, with the data folder
    this machine has."""
    words = command.split()
    environment = dict(os.environ)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        environment[name] = str(dataDir()) if name == "DEEPBASICS_DATA_DIR" else value
    assert words[0] == "python"
    result = subprocess.run([sys.executable, *words[1:], *options], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_readme_classifier_and_picture_commands_fix_the_blas_thread_count():
    """The figures depend on OpenBLAS's thread count: the commands that print or draw them give it."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert CLASSIFIER in lines, f"the README's install section should run the example as `{CLASSIFIER}`"
    assert MAKE_IMAGES in lines, f"the README should regenerate its pictures with `{MAKE_IMAGES}`"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_readme_classifier_figures_come_back_under_the_stated_conditions(mnistDir, seed):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert CLASSIFIER in readme.splitlines()
    requireTheReadmesConditions()
    out = runReadmeCommand(CLASSIFIER, *([] if seed == 0 else ["--seed", str(seed)]))
    final = re.search(r"Final test accuracy: ([0-9.]+)%", out).group(1)
    if seed == 0:
        shown = re.search(r"```\n(Epoch 10/10 .*)\n(Final test accuracy: .*)\n```", readme)
        assert shown, "the README no longer shows the example's last lines"
        printed = [line for line in out.splitlines() if line.startswith(("Epoch 10/10", "Final test accuracy"))]
        assert [seconds(line) for line in printed] == [seconds(line) for line in shown.groups()]
    else:
        stated = re.search(r"With `--seed 1`, `2` and `3` it ended at ([0-9.]+)%, ([0-9.]+)% and ([0-9.]+)%",
                           readmeText())
        assert stated, "the README no longer gives the figures of seeds 1 to 3"
        assert final == stated.group(seed)
    low, high = re.search(r"([0-9.]+)% to ([0-9.]+)% over the four seeds", readmeText()).groups()
    assert float(low) <= round(float(final), 1) <= float(high)


@pytest.mark.slow
def test_make_images_reaches_the_readmes_figures_and_draws_both_pictures(mnistDir, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    assert MAKE_IMAGES in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    requireTheReadmesConditions()
    out = runReadmeCommand(MAKE_IMAGES, "--out", str(tmp_path))
    printed = re.search(r"stopped after epoch (\d+) and put back the weights of epoch (\d+): test loss ([0-9.]+), "
                        r"test accuracy ([0-9.]+)%", out)
    stated = re.search(r"EarlyStopping stopped after epoch (\d+) and put back the weights of epoch (\d+) \(test loss "
                       r"([0-9.]+), ([0-9.]+)% test accuracy", readmeText())
    assert printed and stated, out[-2000:]
    assert printed.groups() == stated.groups()
    for name in ("history.png", "network.png"):
        assert (tmp_path / name).stat().st_size > 5000


def test_readme_installs_into_a_virtual_environment_and_says_why():
    """deepbasics' modules are top-level modules with generic names: the README installs them in a venv."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    venv, install = "python -m venv .venv && . .venv/bin/activate", 'python -m pip install -e ".[test]"'
    assert venv in lines and install in lines and lines.index(venv) == lines.index(install) - 1
    why = re.search(r"Why a virtual environment: (.*?) `\.venv` keeps them apart", readmeText())
    assert why, "the README should say why it installs into a virtual environment"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    modules = set(re.findall(r'"(\w+)"', re.search(r"^py-modules = \[(.*?)\]", pyproject, re.MULTILINE).group(1)))
    named = set(re.findall(r"`(\w+)`", why.group(1)))
    assert len(named & modules) >= 5 and "dataset" in named, named
    assert named - modules <= {"MLP", "Dataset"}, f"the README names modules deepbasics does not install: {named}"
