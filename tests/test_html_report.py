"""The HTML report in a real headless browser: offline, every trial row, no request, A4."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screener import TrialLibrary, load_patient
from screener.html_report import render_html

ROOT = Path(__file__).resolve().parents[1]
BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="module")
def browser() -> str:
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium on the CI machine: .ci/run installs Debian's chromium")
        pytest.skip("no chromium installed (apt-get install chromium)")
    return BROWSER


def run_browser(browser: str, page: Path, work: Path, *extra: str) -> tuple[str, Path]:
    """The rendered DOM of a page, and the browser's net log of loading it."""
    netlog = work / f"{page.stem}.netlog.json"
    done = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={work / 'profile'}", f"--log-net-log={netlog}",
         *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, netlog


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked for (browser background services have no origin)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    return [event["params"].get("url", "") for event in log["events"]
            if names[event["type"]] == "URL_REQUEST_START_JOB"
            and event.get("params", {}).get("initiator") not in (None, "not an origin")]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The page `screen PATIENT --format html -o report.html` writes (the real CLI)."""
    page = tmp_path_factory.mktemp("html") / "report.html"
    patient = ROOT / "examples" / "liver_failure_patient.json"
    done = subprocess.run([sys.executable, "-m", "screener", str(patient), "--format", "html",
                           "-o", str(page)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    trials = len(TrialLibrary.load().screen(load_patient(patient)).trials)
    return page, trials


def test_renderer_shows_answers_and_to_collect() -> None:
    report = TrialLibrary.load().screen(
        load_patient(ROOT / "examples" / "liver_failure_answered.json"))
    html = render_html(report)
    assert "answered by A. Coordinator" in html
    assert "eligible" in html


def test_page_is_self_contained(report_page: tuple[Path, int]) -> None:
    html = report_page[0].read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "url(" not in html
    assert not re.search(r"""(src|href)=['"]?https?:""", html)
    assert "@page { size: A4" in html


def test_browser_renders_every_trial_offline_without_requests(
        browser: str, report_page: tuple[Path, int], tmp_path: Path) -> None:
    page, trials = report_page
    dom, netlog = run_browser(browser, page, tmp_path, "--dump-dom")
    assert dom.count('class="trial-row"') == trials
    assert dom.count("<details open") == trials  # every trial expanded for print
    assert page_requests(netlog) == []


def test_request_check_catches_a_page_with_external_resources(browser: str,
                                                              tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://example.com/a.png">'
                    '<link rel=stylesheet href="https://example.org/s.css">', encoding="utf-8")
    _, netlog = run_browser(browser, page, tmp_path, "--dump-dom")
    assert len(page_requests(netlog)) == 2


def test_prints_on_a4(browser: str, report_page: tuple[Path, int], tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    run_browser(browser, report_page[0], tmp_path, f"--print-to-pdf={pdf}",
                "--no-pdf-header-footer")
    boxes = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf.read_bytes()))
    assert boxes, "no page in the PDF"
    for box in boxes:
        x0, y0, width, height = (float(v) for v in box.split())
        assert (x0, y0) == (0, 0)
        assert abs(width - 595) <= 1 and abs(height - 842) <= 1, box  # A4 in points
