"""The documentation site: it builds with warnings as errors, holds the chapter with every snippet run, the
notebooks and an API page for every public class and function, and a real browser shows it as it should.

The build (tests/sitebuild.py) runs once per test run and executes every notebook; test_notebooks.py
checks what the notebooks printed and drew in that same build.
"""

import html
import importlib
import inspect
import json
import pathlib
import re
import shutil
import struct
import subprocess
import sys

import pytest

import sitebuild
from conftest import ROOT, dataDir

CHAPTER = ROOT.parent / "shared" / "spec" / "basics-of-deep-learning.txt"
CHECKER = ROOT / "docs" / "check_site.py"


def chapterLines():
    if not CHAPTER.is_file():
        sitebuild._missing("the chapter", f"expected at {CHAPTER}")
    return [match.group(1).strip() for match in re.finditer(r"^\s*>>> ?(.*)$", CHAPTER.read_text(encoding="utf-8"),
                                                            re.MULTILINE)]


def assertInOrder(lines, text, where):
    """Every line occurs in ``text``, each after the one before."""
    position = 0
    for line in lines:
        found = text.find(line, position)
        assert found >= 0, f"{where}: the chapter's line {line!r} is missing (or out of order)"
        position = found + len(line)


def pageText(path):
    """The text of an HTML page, tags removed and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def modules():
    import tomllib   # Python 3.11+, as the docs build itself

    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return settings["tool"]["setuptools"]["py-modules"]


def publicObjects(name):
    module = importlib.import_module(name)
    return [member for member, value in vars(module).items()
            if not member.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == name]


# ------------------------------------------------------------------ without building
def test_the_chapter_page_holds_every_snippet_of_the_chapter_verbatim_as_code_cells():
    source = (ROOT / "docs" / "chapter.md").read_text(encoding="utf-8")
    cells = re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", source, re.MULTILINE | re.DOTALL)
    shown = []
    for cell in cells:
        options = re.match(r"(?s)(---\n.*?\n---\n)|((:[^\n]*\n)+)", cell)
        header = options.group(0) if options else ""
        if "remove-input" in header or "remove-cell" in header:
            continue   # the page's own setup and the figures: not the chapter's snippets
        shown.append(cell[len(header):])
    assert len(shown) > 15
    assertInOrder(chapterLines(), "\n".join(shown), "docs/chapter.md")


def test_the_readme_gives_the_build_and_check_commands_and_ci_installs_what_they_need():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m sphinx -W -b html docs docs/_build/html" in readme
    assert "python docs/check_site.py" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci and "chromium" in ci and "npm ci --prefix docs" in ci and ".[docs]" in ci


# ------------------------------------------------------------------ the build
@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors_executing_the_chapter_and_every_notebook():
    build = sitebuild.builtSite(dataDir())
    executed = re.findall(r"(\S+): Executed notebook in ([0-9.]+) seconds", build["log"])
    names = sorted(pathlib.Path(path).stem for path, _ in executed)
    notebooks = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert names == sorted(notebooks + ["chapter"]), build["log"][-3000:]
    for path, seconds in executed:
        print(f"{path}: {float(seconds):.1f}s")
    for notebook in notebooks:
        assert (build["html"] / "notebooks" / f"{notebook}.html").is_file()


@pytest.mark.slow
def test_the_chapter_page_shows_each_snippet_with_what_it_printed():
    build = sitebuild.builtSite(dataDir())
    text = pageText(build["html"] / "chapter.html")
    assertInOrder(chapterLines(), text, "chapter.html")
    # The chapter's training ran (10 epochs, the chapter's settings) and the page shows its output.
    after = text[text.rindex("classifier.train(dataset"):]
    assert len(re.findall(r"Epoch \d+/10 ", after)) == 10
    assert "'train_loss': [" in after and "'test_accuracy': [" in after
    for figure in range(1, 6):
        assert f"Figure {figure}:" in text


@pytest.mark.slow
def test_the_api_reference_has_a_page_for_every_module_and_an_entry_for_every_public_class_and_function():
    build = sitebuild.builtSite(dataDir())
    for name in modules():
        page = build["html"] / "api" / f"{name}.html"
        assert page.is_file(), f"no API page for {name}"
        source = page.read_text(encoding="utf-8")
        for member in publicObjects(name):
            assert f'id="{name}.{member}"' in source, f"{name}.{member} is not documented on {page.name}"
    # The maths of the core modules is on their pages as formulas (MathJax's input), not as code.
    for name in ("activations", "loss", "optimizer", "layers"):
        source = (build["html"] / "api" / f"{name}.html").read_text(encoding="utf-8")
        assert source.count('class="math') >= 5, name


@pytest.mark.slow
def test_every_page_passes_the_browser_check_and_the_screenshots_are_taken(tmp_path):
    sitebuild.requireChromium()
    build = sitebuild.builtSite(dataDir())
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, str(CHECKER), "--site", str(build["html"]), "--shots",
                             str(tmp_path / "shots"), "--report", str(report)],
                            capture_output=True, text=True, timeout=600)
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    findings = json.loads(report.read_text(encoding="utf-8"))
    assert {"chapter.html", "index.html", "guide.html", "api/nn.html", "notebooks/chapter.html"} <= set(findings)
    chapter = findings["chapter.html"]
    assert chapter["formulas"] >= 30 and chapter["renderedSvg"] >= chapter["formulas"] and chapter["images"] >= 5
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        page = findings[f"notebooks/{notebook.stem}.html"]
        assert page["images"] >= 2 and not page["failures"], (notebook.name, page)
    for name in ("chapter.png", "notebook.png", "api.png"):
        data = (tmp_path / "shots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (1280, 1500)
    # Keep the last run's pictures where the README says, for a person to look at.
    kept = ROOT / "docs" / "_build" / "shots"
    kept.mkdir(parents=True, exist_ok=True)
    for name in ("chapter.png", "notebook.png", "api.png"):
        shutil.copy2(tmp_path / "shots" / name, kept / name)


# ------------------------------------------------------------------ the checker itself
MATHJAX = ROOT / "docs" / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
PAGES = {
    "index.html": "<p>index</p>",
    "good.html": '<script src="tex-svg.js"></script><p>Inline <span class="math">\\(x^2 + 1\\)</span>.</p>'
                 '<div class="math">\\[\\frac{1}{1 + e^{-x}}\\]</div><img src="dot.png">',
    "raw.html": "<p>A formula nobody rendered: $$x^2$$</p>",
    "markdown.html": "<p>Markdown output read as plain text: $\\displaystyle z^1 = W^1 a^0$</p>",
    "unrendered.html": '<p><span class="math">\\(x\\)</span></p>',
    "texerror.html": '<script src="tex-svg.js"></script><p><span class="math">\\(\\frac{1}\\)</span></p>',
    "broken.html": '<img src="missing.png">',
    "console.html": '<script>console.error("something broke")</script>',
    "exception.html": "<script>undefinedFunction()</script>",
    "network.html": '<img src="http://127.0.0.1:9/remote.png">',
}
# A 1x1 PNG.
DOT = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082")


def test_the_browser_check_fails_each_kind_of_broken_page_and_passes_a_good_one(tmp_path):
    sitebuild.requireChromium()
    sitebuild.requireDocsTools()
    for name, body in PAGES.items():
        (tmp_path / name).write_text(f"<!doctype html><html><head><title>{name}</title></head>"
                                     f"<body>{body}</body></html>", encoding="utf-8")
    (tmp_path / "dot.png").write_bytes(DOT)
    shutil.copy2(MATHJAX, tmp_path / "tex-svg.js")
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, str(CHECKER), "--site", str(tmp_path), "--shots", str(tmp_path / "shots"),
                             "--report", str(report), *PAGES], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    failures = {page: " | ".join(found["failures"]) for page, found in json.loads(report.read_text()).items()}
    assert failures["index.html"] == "" and failures["good.html"] == "", failures
    assert "raw TeX left in the visible text: $$" in failures["raw.html"]
    assert "raw TeX left in the visible text: $\\" in failures["markdown.html"]
    assert "MathJax did not load" in failures["unrendered.html"]
    assert "MathJax could not typeset: Missing argument for \\frac" in failures["texerror.html"]
    assert "image did not load" in failures["broken.html"] and "missing.png" in failures["broken.html"]
    assert "console error: something broke" in failures["console.html"]
    assert "uncaught exception" in failures["exception.html"] and "undefinedFunction" in failures["exception.html"]
    assert "network request: http://127.0.0.1:9/remote.png" in failures["network.html"]
    # The three screenshots belong to the real site's pages, which this one lacks: each is reported.
    assert result.stdout.count("not in the site, no screenshot") == 3
