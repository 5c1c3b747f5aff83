"""Open the built documentation in headless Chromium, with no network, and check what a reader would see.

For every HTML page of the build (or the pages named), loaded from disk (``file://``):

- formulas rendered: the page holds no raw TeX (``\\(``, ``\\)``, ``\\[``, ``\\]``, ``$$``, ``$\\``) in its visible
  text outside code, every formula the page has became MathJax output (``mjx-container`` with an SVG),
  and MathJax reported no TeX error (an ``merror`` node);
- every image loaded (``naturalWidth > 0``);
- the console shows no error and no script raised;
- nothing was requested from the network (anything but ``file:``, ``data:`` and ``blob:`` is a failure).

It also takes screenshots of the chapter page, a notebook page and an API page (``--shots``). Run it from
the project root after building the site:

    python docs/check_site.py                                   # docs/_build/html, shots in docs/_build/shots
    python docs/check_site.py --site /tmp/html --shots /tmp/shots chapter.html api/nn.html

Needs Debian's ``chromium`` (``apt-get install chromium``) and ``websocket-client`` (the ``docs`` extra). It
talks to Chromium over the DevTools protocol on a loopback port that Chromium picks itself.
"""

import argparse
import base64
import itertools
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

DOCS = pathlib.Path(__file__).resolve().parent
# page (relative to the site), the element to scroll to (a CSS selector, or None for the top), screenshot name
SHOTS = [("chapter.html", "#sigmoid", "chapter.png"),
         ("notebooks/vae.html", "#the-latent-plane", "notebook.png"),
         ("api/activations.html", None, "api.png")]
VIEWPORT = (1280, 1500)
# Chromium from Debian, told to make no connection of its own: no updates, no sync, no safe browsing; a
# proxy that does not exist catches any request a page would make to the network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                  "--mute-audio", "--proxy-server=http://127.0.0.1:9", "--remote-debugging-port=0",
                  "--remote-allow-origins=*"]

# Runs in the page once it has loaded: waits for MathJax and for every image, then reports what it sees.
INSPECT = r"""
(async () => {
  const images = [...document.images];
  for (const image of images) image.loading = "eager";   // lazy images below the fold would never load
  await Promise.all(images.map(image => image.complete ? null : new Promise(done => {
    image.addEventListener("load", done); image.addEventListener("error", done); setTimeout(done, 10000); })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const hidden = element => !element.checkVisibility();
  // Visible text outside code and outside MathJax's own output.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("pre, code, script, style, mjx-container, .highlight") || hidden(parent)) continue;
    texts.push(node.textContent);
  }
  const text = texts.join(" ");
  const rawTeX = ["\\(", "\\)", "\\[", "\\]", "$$", "$\\"].filter(mark => text.includes(mark))
    .map(mark => { const at = text.indexOf(mark); return mark + " in: " + text.slice(Math.max(0, at - 60), at + 60); });
  return {
    title: document.title,
    formulas: document.querySelectorAll("span.math, div.math").length,
    rendered: document.querySelectorAll("mjx-container").length,
    renderedSvg: document.querySelectorAll("mjx-container svg").length,
    // MathJax marks a formula it could not typeset as an merror node (an mjx-merror element in HTML output).
    texErrors: [...document.querySelectorAll('mjx-merror, [data-mml-node="merror"]')]
      .map(e => e.getAttribute("data-mjx-error") || e.getAttribute("title") || e.textContent),
    mathJax: !!(window.MathJax && MathJax.version),
    images: images.length,
    broken: images.filter(image => !(image.complete && image.naturalWidth > 0)).map(image => image.src),
    rawTeX: rawTeX,
    height: document.documentElement.scrollHeight,
  };
})()
"""


class Browser:
    """A headless Chromium and one DevTools session on its first tab."""

    def __init__(self, executable):
        import websocket   # pip install websocket-client (the docs extra)

        self.profile = tempfile.mkdtemp(prefix="deepbasics-chromium-")
        self.process = subprocess.Popen([executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                         f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [target for target in json.load(answer) if target["type"] == "page"]
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=120,
                                                  suppress_origin=True)
        self.ids, self.events = itertools.count(1), []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=VIEWPORT[0], height=VIEWPORT[1], deviceScaleFactor=1,
                  mobile=False)

    def _port(self):
        """The DevTools port Chromium chose (``--remote-debugging-port=0``), from its profile folder."""
        portFile = pathlib.Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}: "
                                   f"{self.process.stderr.read().decode(errors='replace')[-2000:]}")
            if portFile.is_file() and portFile.read_text().strip():
                return int(portFile.read_text().split()[0])
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 60 s")

    def call(self, method, **params):
        """Send one DevTools command and return its result; events that arrive meanwhile are kept."""
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def waitFor(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, message in enumerate(self.events):
                if message.get("method") == event:
                    return self.events.pop(index)   # the others stay, for _problems
            self.socket.settimeout(max(0.1, deadline - time.monotonic()))
            self.events.append(json.loads(self.socket.recv()))
        raise TimeoutError(f"no {event} within {timeout} s")

    def open(self, url):
        """Load ``url`` and return the problems the console and the network reported while it loaded."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.waitFor("Page.loadEventFired")
        result = self.evaluate(INSPECT)
        self.call("Runtime.evaluate", expression="0")   # collect the events sent while INSPECT ran
        return result, self._problems()

    def evaluate(self, expression):
        answer = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"the page's check failed: {answer['exceptionDetails']}")
        return answer["result"]["value"]

    def _problems(self):
        problems = []
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                problems.append("console error: " + " ".join(str(arg.get("value", arg.get("description", "")))
                                                             for arg in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                problems.append("uncaught exception: " + details.get("exception", {}).get("description",
                                                                                          details.get("text", "")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                problems.append(f"console error: {entry['text']} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "blob:", "about:")):
                    problems.append(f"network request: {url}")
        self.events.clear()
        return problems

    def screenshot(self, selector, path):
        """A viewport-sized PNG from ``selector``'s element down (from the top for None)."""
        # Instantly (the theme scrolls smoothly, and a capture mid-scroll is half painted), then two frames.
        target = f"document.querySelector({json.dumps(selector)})" if selector else "document.body"
        self.evaluate(f"(async () => {{ const e = {target}; if (!e) throw new Error('no element {selector}'); "
                      f"e.scrollIntoView({{behavior: 'instant', block: 'start'}}); "
                      f"await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return true; }})()")
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def findChromium(name=None):
    for candidate in ([name] if name else ["chromium", "chromium-browser", "google-chrome"]):
        path = shutil.which(candidate)
        if path:
            return path
    raise SystemExit("Chromium not found: install Debian's package with `apt-get install -y chromium` "
                     "(or pass --chromium PATH)")


def checkPage(result, problems):
    """The failures of one page, as sentences."""
    failures = list(problems)
    if result["rawTeX"]:
        failures += [f"raw TeX left in the visible text: {mark}" for mark in result["rawTeX"]]
    if result["formulas"]:
        if not result["mathJax"]:
            failures.append(f"{result['formulas']} formulas but MathJax did not load")
        elif result["renderedSvg"] < result["formulas"]:
            failures.append(f"{result['formulas']} formulas but only {result['renderedSvg']} rendered by MathJax")
    failures += [f"MathJax could not typeset: {error}" for error in result["texErrors"]]
    failures += [f"image did not load: {source}" for source in result["broken"]]
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages to check, relative to the site (default: every page)")
    parser.add_argument("--site", default=str(DOCS / "_build" / "html"), help="the built site (default %(default)s)")
    parser.add_argument("--shots", default=str(DOCS / "_build" / "shots"),
                        help="folder for the screenshots (default %(default)s)")
    parser.add_argument("--chromium", help="the browser to run (default: chromium on the PATH)")
    parser.add_argument("--report", help="also write the findings of every page to this JSON file")
    arguments = parser.parse_args(argv)
    site = pathlib.Path(arguments.site).resolve()
    if not (site / "index.html").is_file():
        raise SystemExit(f"no built site in {site}: build it first with "
                         f"python -m sphinx -W -b html docs docs/_build/html")
    pages = arguments.pages or sorted(str(path.relative_to(site)) for path in site.rglob("*.html")
                                      if "_static" not in path.parts)
    shots = pathlib.Path(arguments.shots)
    shots.mkdir(parents=True, exist_ok=True)
    browser = Browser(findChromium(arguments.chromium))
    findings, failed, missingShots = {}, 0, 0
    start = time.perf_counter()
    try:
        for page in pages:
            result, problems = browser.open((site / page).as_uri())
            failures = checkPage(result, problems)
            findings[page] = {**result, "failures": failures}
            failed += bool(failures)
            status = "FAIL" if failures else "ok"
            print(f"{status:4}  {page}: {result['formulas']} formulas, {result['rendered']} rendered, "
                  f"{result['images']} images" + "".join(f"\n      {failure}" for failure in failures), flush=True)
        for page, selector, name in SHOTS:
            if (site / page).is_file():
                browser.open((site / page).as_uri())
                browser.screenshot(selector, shots / name)
                print(f"screenshot of {page}{'' if selector is None else ' at ' + selector}: {shots / name}")
            else:
                missingShots += 1
                print(f"FAIL  {page}: not in the site, no screenshot")
    finally:
        browser.close()
    if arguments.report:
        pathlib.Path(arguments.report).write_text(json.dumps(findings, indent=1), encoding="utf-8")
    print(f"{len(pages) - failed} of {len(pages)} pages passed in {time.perf_counter() - start:.1f}s"
          + (f"; {missingShots} screenshot(s) missing" if missingShots else ""))
    return 1 if failed or missingShots else 0


if __name__ == "__main__":
    sys.exit(main())
