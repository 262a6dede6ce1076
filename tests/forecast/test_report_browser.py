"""report.html in a real headless browser (Chromium from the system packages): it renders
with no console message or error, every image loads, and the track record is there.

The page is loaded as a copy with a check script put first in its <head>: the script
records errors (window errors, failed resources, console.error/warn) from the first byte on
and, at the load event, writes what it found into an attribute that ``--dump-dom`` returns.
Chromium's own log of console messages (``--enable-logging=stderr``) must stay empty too.
``.ci/run`` installs Chromium with apt-get and sets ORECAST_REQUIRE_BROWSER=1, so in CI a
missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from forecast.cli import main
from tests.forecast.test_publish import registered_store

CHECK = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(
  String(e.message || (e.target && (e.target.src || e.target.href)) || "error")), true);
for (const level of ["error", "warn"]) {
  console[level] = (...args) => { window.__errors.push(level + ": " + args.join(" ")); };
}
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  document.documentElement.setAttribute("data-check", JSON.stringify({
    errors: window.__errors,
    images: images.length,
    loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    track: document.getElementById("track-record") !== null,
  }));
});
</script>"""


def _browser() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome")) if p), None)


def render(report: Path, tmp_path: Path) -> tuple[dict, str]:
    """Load ``report`` in headless Chromium; (what the check script found, Chromium's log)."""
    browser = _browser()
    if browser is None:
        if os.environ.get("ORECAST_REQUIRE_BROWSER"):
            pytest.fail("Chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    page = tmp_path / "checked.html"
    page.write_text(report.read_text().replace("<head>", "<head>" + CHECK, 1))
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'data-check="([^"]*)"', proc.stdout)
    assert found, "the load event never ran: " + proc.stderr[-2000:]
    return json.loads(html.unescape(found.group(1))), proc.stderr


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a June 2017 publication made after a December 2016 one (so its track
    record scores a complete year)."""
    store = registered_store(tmp_path_factory)
    root = tmp_path_factory.mktemp("browser") / "root"
    for as_of in ("2016-12", "2017-06"):
        assert main(["-q", "publish", "--tracking-uri", store, "--out", str(root),
                     "--as-of", as_of, "--n-paths", "200"]) == 0
    return root / "latest" / "report.html"


def test_the_report_renders_with_its_images_and_no_console_error(report, tmp_path):
    check, log = render(report, tmp_path)
    assert check["errors"] == [], check["errors"]
    # fan, histogram, revision waterfall and track record: every <img> of the page
    assert check["images"] == report.read_text().count("<img ") == 4, check
    assert check["loaded"] == check["images"], check
    assert check["track"], check
    assert "CONSOLE" not in log, [line for line in log.splitlines() if "CONSOLE" in line]


def test_the_check_sees_a_broken_image_and_a_console_error(tmp_path):
    # the same check on a page that is broken on purpose: it must notice
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head></head><body>'
                   '<img src="data:image/png;base64,AAAA"><script>console.error("boom")'
                   '</script></body></html>')
    check, _ = render(bad, tmp_path)
    assert check["images"] == 1 and check["loaded"] == 0
    assert any("boom" in e for e in check["errors"]) and not check["track"]
