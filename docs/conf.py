"""Sphinx configuration of the deepbasics documentation site.

Build it from the project root (``pip install -e ".[docs]"`` and ``npm ci --prefix docs`` first):

    DEEPBASICS_DATA_DIR=../shared/data python -m sphinx -W -b html docs docs/_build/html

and open ``docs/_build/html/index.html``. The build executes the chapter page and every notebook of
``notebooks/`` in their fast mode (``DEEPBASICS_FAST=1``, set here), so it needs MNIST (read from
``$DEEPBASICS_DATA_DIR``, else ``~/.cache/deepbasics``). The API pages are written at each build
into ``docs/api/``, one per module of ``py-modules`` in ``pyproject.toml``, so that a module added
there appears without touching the docs. MathJax comes from the npm package in ``docs/node_modules``
and is copied into the build: formulas render with no network, also when the pages are opened from disk.
"""

import inspect
import importlib
import os
import pathlib
import shutil
import sys
import tomllib

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# The notebooks' short run; the kernels that execute them inherit this environment.
os.environ.setdefault("DEEPBASICS_FAST", "1")

project = "deepbasics"
author = "the deepbasics authors"
copyright = "deepbasics authors, MIT licence"
release = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

extensions = ["myst_nb", "sphinx.ext.autodoc", "numpydoc", "sphinx.ext.mathjax", "sphinx.ext.viewcode"]
exclude_patterns = ["_build", "node_modules", "formulas", "images/README*", "**/.ipynb_checkpoints"]
root_doc = "index"

# ------------------------------------------------------------------ MyST and notebooks
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3           # the README's [Data](#data) links to its own headings
nb_execution_mode = "force"        # every build runs every notebook and the chapter page
nb_execution_timeout = 900
nb_execution_raise_on_error = True  # a cell that fails fails the build
nb_execution_show_tb = True
nb_merge_streams = True            # one block for the per-epoch lines a training cell prints
nb_ipywidgets_js = {}              # no widget scripts from a CDN: the site works offline
nb_render_image_options = {}
nb_render_markdown_format = "myst"  # explain's rich display is Markdown with $...$ formulas: parse them as maths

# ------------------------------------------------------------------ API reference
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"          # the numpydoc Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# ------------------------------------------------------------------ HTML and maths
html_theme = "furo"
html_title = f"deepbasics {release}"
html_static_path = []
MATHJAX = DOCS / "node_modules" / "mathjax" / "es5"
# SVG output draws the glyphs as paths: no web fonts to load, which a page opened from disk may not do.
mathjax_path = "mathjax/tex-svg.js"
# Without noundefined, a mistyped macro is a TeX error (which check_site.py catches), not red text.
mathjax3_config = {"tex": {"packages": {"[-]": ["noundefined"]}}, "svg": {"fontCache": "global"}}


def modules():
    """The project's modules, as ``pyproject.toml`` lists them (``[tool.setuptools] py-modules``)."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(settings["tool"]["setuptools"]["py-modules"])


def publicNames(module):
    """(defined, reexported): the public classes and functions ``module`` defines, and those it passes on."""
    defined, reexported = [], []
    for name, value in vars(module).items():
        if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if value.__module__ == module.__name__:
            defined.append(name)
        elif name in getattr(module, "__all__", ()) and value.__module__ in modules():
            reexported.append((name, value))
    return defined, reexported


def apiPage(name):
    """MyST source of the API page of module ``name``: its maths (``formulas/<name>.md``), then autodoc."""
    module = importlib.import_module(name)
    defined, reexported = publicNames(module)
    lines = [f"# `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "   :no-members:", "```", ""]
    formulas = DOCS / "formulas" / f"{name}.md"
    if formulas.is_file():
        lines += ["## The maths", "", "```{include} ../formulas/" + formulas.name, "```", ""]
    if defined:
        lines += ["## Reference", "", "```{eval-rst}"]
        for member in defined:
            kind = "autoclass" if inspect.isclass(getattr(module, member)) else "autofunction"
            lines.append(f".. {kind}:: {name}.{member}")
            if kind == "autoclass":
                lines += ["   :members:", "   :special-members: __call__", ""]
            else:
                lines.append("")
        lines += ["```", ""]
    if reexported:
        lines += ["## Also importable from here", ""]
        lines += [f"- {{py:obj}}`{name}.{member} <{value.__module__}.{member}>`, defined in "
                  f"{{doc}}`{value.__module__}`" for member, value in reexported]
        lines.append("")
    return "\n".join(lines)


def writeIfChanged(path, text):
    """Write ``text`` to ``path`` unless it already holds it, so Sphinx re-reads only what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def writeApiPages():
    names = modules()
    folder = DOCS / "api"
    for name in names:
        writeIfChanged(folder / f"{name}.md", apiPage(name))
    for stale in folder.glob("*.md"):
        if stale.stem not in names and stale.stem != "index":
            stale.unlink()
    index = ["# API reference", "",
             "Every public class and function of every module, from its numpydoc docstring. The modules are "
             "flat, at the repository's root: `from nn import MLP`.", "",
             "```{toctree}", ":maxdepth: 1", ""] + names + ["```", ""]
    writeIfChanged(folder / "index.md", "\n".join(index))


# The notebooks in reading order; any other notebook of notebooks/ follows, by name.
NOTEBOOK_ORDER = ["chapter", "look_inside", "explain", "autoencoder", "vae", "gan"]


def copyNotebooks():
    """``notebooks/*.ipynb`` into ``docs/notebooks/`` (Sphinx reads only its source folder), and their index."""
    folder = DOCS / "notebooks"
    folder.mkdir(exist_ok=True)
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for source in sources:
        target = folder / source.name
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            shutil.copy2(source, target)
    for stale in folder.glob("*.ipynb"):
        if not (ROOT / "notebooks" / stale.name).is_file():
            stale.unlink()
    names = [source.stem for source in sources]
    ordered = [name for name in NOTEBOOK_ORDER if name in names] + sorted(set(names) - set(NOTEBOOK_ORDER))
    index = ["# Notebooks", "",
             "The notebooks of the repository's `notebooks/` folder, executed when this site was built, in their "
             "fast mode (`DEEPBASICS_FAST=1`: small data, few epochs), so the figures here show models that "
             "trained only briefly. Opened in Jupyter, JupyterLab or VS Code, each runs in full by default; its "
             "first cell gives the install line.", "",
             "```{toctree}", ":maxdepth: 1", ""] + ordered + ["```", ""]
    writeIfChanged(folder / "index.md", "\n".join(index))


def copyMathJax(app, exception):
    """MathJax's SVG build and its TeX extensions into ``_static/mathjax`` of the built site."""
    if exception is not None or app.builder.format != "html":
        return
    target = pathlib.Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(MATHJAX / "tex-svg.js", target / "tex-svg.js")
    # Loaded on demand by TeX's autoload for the rarer macros.
    shutil.copytree(MATHJAX / "input" / "tex" / "extensions", target / "input" / "tex" / "extensions",
                    dirs_exist_ok=True)


def keepExecutedNotebooksAsTheyRan():
    """Merge a cell's streams for the page only: myst-nb 1.4 merges them into the first stream output in
    place, so the executed notebook it keeps (``jupyter_execute/``, which tests/test_notebooks.py reads)
    would show every later line twice."""
    import copy

    import myst_nb.core.render as render

    merge = render.coalesce_streams
    if not getattr(merge, "copiesFirst", False):
        def coalesceCopies(outputs):
            return merge(copy.deepcopy(outputs))
        coalesceCopies.copiesFirst = True
        render.coalesce_streams = coalesceCopies


def setup(app):
    if not (MATHJAX / "tex-svg.js").is_file():
        raise RuntimeError(f"MathJax not found in {MATHJAX}: run `npm ci --prefix docs` from the project root "
                           f"(the site renders formulas with its own copy of MathJax, never a CDN)")
    keepExecutedNotebooksAsTheyRan()
    writeApiPages()
    copyNotebooks()
    app.connect("build-finished", copyMathJax)
