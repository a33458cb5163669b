"""The built documentation site, looked at in a real browser with the network off.

``make docs`` builds the site into ``doc/_build/html``; this test serves it on
localhost, opens pages in headless Chromium (Debian's ``chromium``) with every
host name except localhost unresolvable, and asserts what a reader sees: the
figures are loaded images (``naturalWidth > 0``) and no formula is left as raw
LaTeX (MathJax is served by the site itself, not fetched from a CDN).

No driver is needed: each page is opened inside a same-origin frame of a small
probe page served by the test, whose script waits for MathJax, loads every
image eagerly, and writes what it found into its own DOM, which
``chromium --headless --dump-dom`` prints.

Skips when the site or the browser is missing, except under ``CI=true``, where
it fails: CI builds the docs and installs Chromium before running the tests.
"""

import functools
import hashlib
import html
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.parse

import pytest

DEFAULT_SITE = pathlib.Path(__file__).parents[1] / "doc" / "_build" / "html"
SITE = pathlib.Path(os.environ.get("SKNMI_DOCS_SITE", DEFAULT_SITE))
IN_CI = os.environ.get("CI", "").lower() == "true"

# (page, the least number of loaded images it must show)
PAGES = [
    ("index.html", 0),
    ("auto_examples/index.html", 5),  # a thumbnail per example
    ("auto_examples/plot_gaussian_mi.html", 2),
    ("auto_examples/plot_which_estimator.html", 2),
    ("gen_modules/sknmi.NeuralMIEstimator.html", 0),
    ("user_guide/bounds.html", 0),
    # Beyond Normal (4) and the families at 10k and 1k rows, drawn from the CSVs
    ("benchmarks.html", 6),
]
# Pages whose maths must have been typeset (they hold formulas).
PAGES_WITH_MATHS = {
    "auto_examples/plot_gaussian_mi.html",
    "auto_examples/plot_which_estimator.html",
    "user_guide/bounds.html",
}
RAW_LATEX = re.compile(r"\\frac|\\\(|\\\)|\\\[|\\\]|\\log|\\rho|\$\$")

PROBE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head><body>
<pre id="result">pending</pre>
<iframe id="page" src="%(src)s" style="width:1280px;height:900px"></iframe>
<script>
const frame = document.getElementById("page");
function report(value) {
  document.getElementById("result").textContent = JSON.stringify(value);
}
function imageLoaded(img) {
  if (img.complete) return Promise.resolve();
  return new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  });
}
frame.addEventListener("load", async () => {
  try {
    const win = frame.contentWindow, doc = frame.contentDocument;
    const mj = win.MathJax;
    if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
    const images = Array.from(doc.querySelectorAll("img"));
    images.forEach(img => { img.loading = "eager"; });
    await Promise.all(images.map(imageLoaded));
    const scripts = Array.from(doc.querySelectorAll("script[src]"))
      .map(s => s.getAttribute("src"));
    report({
      title: doc.title,
      images: images.map(img => ({src: img.getAttribute("src"),
                                  width: img.naturalWidth})),
      text: doc.body.innerText,
      mathjax: !!(mj && mj.version),
      typeset: doc.querySelectorAll("mjx-container").length,
      maths: doc.querySelectorAll(".math").length,
      scripts: scripts,
    });
  } catch (error) {
    report({error: String(error)});
  }
});
</script></body></html>
"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _missing(reason):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the docs check must run)")
    pytest.skip(reason)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path == "/__probe__.html":
            target = urllib.parse.parse_qs(parsed.query)["page"][0]
            body = (PROBE % {"src": "/" + target}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        _missing("chromium is not installed (as root: make chromium)")
    return path


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        _missing(f"no built site in {SITE} (make docs)")
    if not any((SITE / "_images").glob("sphx_glr_plot_*_0*.png")):
        # make docs-noplot: a site without figures, not one to check.
        _missing(
            f"the site in {SITE} was built without running the gallery (make docs)"
        )
    handler = functools.partial(_Handler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _chromium_args(browser, profile):
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--mute-audio",
        f"--user-data-dir={profile}",
        # The network is off: no host name resolves except localhost, so a
        # formula that needs a CDN stays raw and fails the test.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,900",
    ]


def _probe(browser, site, page):
    with tempfile.TemporaryDirectory() as profile:
        args = _chromium_args(browser, profile) + [
            "--virtual-time-budget=30000",
            "--dump-dom",
            f"{site}/__probe__.html?page={urllib.parse.quote(page)}",
        ]
        result = subprocess.run(args, capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert match, f"no probe result for {page} from chromium: {result.stderr[-2000:]}"
    text = html.unescape(match.group(1))
    assert text != "pending", f"{page} did not finish loading in the time budget"
    return json.loads(text)


@pytest.mark.parametrize(("page", "min_images"), PAGES, ids=[p for p, _ in PAGES])
def test_page_in_browser(browser, site, page, min_images):
    if not (SITE / page).exists():
        pytest.fail(f"{page} is not in the built site")
    seen = _probe(browser, site, page)
    assert "error" not in seen, seen.get("error")
    raw = RAW_LATEX.findall(seen["text"])
    assert not raw, f"raw LaTeX visible on {page}: {sorted(set(raw))}"
    cdn = [s for s in seen["scripts"] if re.match(r"(https?:)?//", s)]
    assert not cdn, f"{page} loads scripts from the network: {cdn}"
    if page in PAGES_WITH_MATHS:
        assert seen["mathjax"], f"MathJax did not load on {page}"
        assert seen["maths"] > 0 and seen["typeset"] >= seen["maths"], (
            f"{page}: {seen['maths']} formulas, {seen['typeset']} typeset"
        )
    broken = [img["src"] for img in seen["images"] if img["width"] == 0]
    assert not broken, f"images that did not load on {page}: {broken}"
    # sphinx-gallery's stand-in for an example that was not executed
    placeholders = [img["src"] for img in seen["images"] if "no_image" in img["src"]]
    assert not placeholders, f"placeholder thumbnails on {page}: {placeholders}"
    assert len(seen["images"]) >= min_images, (
        f"{page} shows {len(seen['images'])} images, expected at least {min_images}"
    )


def test_gallery_pages_show_figures_and_output():
    """Every executed example page holds a figure and its printed output."""
    if not any((SITE / "_images").glob("sphx_glr_plot_*_0*.png")):
        _missing(f"no executed gallery in {SITE} (make docs)")
    pages = sorted((SITE / "auto_examples").glob("plot_*.html"))
    assert pages, "the gallery has no example pages"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "sphx-glr-single-img" in text or "sphx-glr-multi-img" in text, (
            f"{page.name} shows no figure: was the gallery executed?"
        )
        assert "sphx-glr-script-out" in text, f"{page.name} shows no printed output"
    # An example that was not executed gets sphinx-gallery's placeholder as its
    # thumbnail: the same picture for every such example.
    thumbnails = sorted((SITE / "_images").glob("sphx_glr_plot_*_thumb.png"))
    assert len(thumbnails) >= len(pages)
    digests = {hashlib.sha256(t.read_bytes()).hexdigest(): t.name for t in thumbnails}
    assert len(digests) == len(thumbnails), "some thumbnails are the same placeholder"
