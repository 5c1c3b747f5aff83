"""Every docstring example of every module runs and shows what it says: one runner for the whole library.

The modules are those ``pyproject.toml`` installs, so a new module is checked
as soon as it is listed there. A module whose optional extra is missing is
skipped with the install command in the reason (CI installs every extra).
"""

import ast
import doctest
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The one py-modules line (tomllib is Python 3.11's; deepbasics runs on 3.10 too).
MODULES = ast.literal_eval(re.search(r"^py-modules = (\[.*\])$", (ROOT / "pyproject.toml").read_text(), re.M).group(1))

# What each module's examples import beyond NumPy, and the extra that brings it.
EXTRAS = {"figures": ("matplotlib", "plot"), "historyplots": ("matplotlib", "plot"),
          "networkplots": ("matplotlib", "plot"), "imageplots": ("matplotlib", "plot"), "plots": ("matplotlib", "plot"),
          "explain": ("matplotlib", "plot"), "images": ("PIL", "image"), "convert": ("onnx", "onnx")}
WITHOUT_EXAMPLES = {"optimizers"}   # re-exports optimizer, whose examples run there


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    if module in EXTRAS:
        package, extra = EXTRAS[module]
        pytest.importorskip(package, reason=f'pip install "deepbasics[{extra}]"')
    failures, tried = doctest.testmod(importlib.import_module(module), verbose=False,
                                      optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    assert tried > 0 or module in WITHOUT_EXAMPLES, f"{module} has no docstring example"
