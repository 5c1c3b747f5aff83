"""One build of the documentation site per test run, shared by test_site.py and test_notebooks.py.

The build executes the chapter page and every notebook (in fast mode), so it is the run of the notebooks
too: test_notebooks.py reads the executed notebooks that myst-nb leaves beside the HTML instead of
running them a second time.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_BUILD = {}


def _missing(what, how):
    """Skip on a developer's machine without ``what``; fail in CI, which installs everything."""
    message = f"{what} is missing: {how}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must install it: see .ci/run)")
    pytest.skip(message)


def requireChromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    _missing("Chromium", "apt-get install -y chromium")


def requireDocsTools():
    try:
        import myst_nb  # noqa: F401
        import sphinx  # noqa: F401
        import websocket  # noqa: F401
    except ImportError as error:
        _missing(f"the docs extra ({error.name})", 'pip install -e ".[docs]"')
    if not (ROOT / "docs" / "node_modules" / "mathjax" / "es5" / "tex-svg.js").is_file():
        _missing("MathJax", "npm ci --prefix docs")


def site(dataDir):
    """Build the site once (``python -m sphinx -W -b html docs <tmp>/html``); return what the build left.

    Returns a dict: ``html`` (the site), ``executed`` (myst-nb's executed notebooks), ``log`` (what
    Sphinx printed), ``returncode``, ``seconds``.
    """
    requireDocsTools()
    if "html" not in _BUILD:
        if dataDir is None or not (dataDir / "mnist").is_dir():
            _missing("real MNIST", "set DEEPBASICS_DATA_DIR=../shared/data")
        out = pathlib.Path(tempfile.mkdtemp(prefix="deepbasics-site-"))
        environment = {**os.environ, "DEEPBASICS_DATA_DIR": str(dataDir), "DEEPBASICS_FAST": "1"}
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-b", "html", "docs", str(out / "html")],
                                cwd=ROOT, env=environment, capture_output=True, text=True, timeout=1500)
        _BUILD.update(html=out / "html", executed=out / "jupyter_execute", log=result.stdout + result.stderr,
                      returncode=result.returncode, seconds=time.perf_counter() - start)
        print(f"site built in {_BUILD['seconds']:.0f}s into {out}")
    return _BUILD


def builtSite(dataDir):
    """``site(dataDir)``, failing with Sphinx's own words when the build failed."""
    build = site(dataDir)
    if build["returncode"] != 0:
        problems = [line for line in build["log"].splitlines()
                    if ("WARNING" in line or "ERROR" in line or "Error" in line) and "Kernel is running over TCP" not in line]
        pytest.fail("the documentation build failed (warnings are errors):\n" + "\n".join(problems[:40])
                    + "\n...\n" + build["log"][-3000:])
    return build
