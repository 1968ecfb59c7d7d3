"""Regenerate the screenshots under docs/ (`make screenshots`, or `python docs/screenshots.py NAME...`
for some of them): a partner report and the index of a run over a few sample partners, a notebook
in JupyterLab, and the scenario planner served by `pcs app` and in JupyterLab, each taken by
Debian's Chromium in headless mode. Never edit the images by hand."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pcs_analysis.config import SAMPLE_DIR  # noqa: E402
from pcs_analysis.reporting.bulk import run_reports  # noqa: E402
from tests.browser import chrome, jupyterlab, planner_card, planner_certify, run_notebook, wait  # noqa: E402

DOCS = ROOT / "docs"
#: Close the news toast and bring the first chart into view.
SHOW_CHART_JS = """
for (const b of document.querySelectorAll('.jp-toast-button')) { if (b.innerText.trim() === 'No') b.click(); }
const chart = document.querySelector('.jp-RenderedSVG, .jp-OutputArea-output img');
if (chart) chart.scrollIntoView({block: 'start'});
"""
#: Close the news toast and bring the planner's cards into view.
SHOW_PLANNER_JS = """
for (const b of document.querySelectorAll('.jp-toast-button')) { if (b.innerText.trim() === 'No') b.click(); }
const cards = document.querySelector('.pcs-cards');
if (cards) cards.scrollIntoView({block: 'start'});
"""
PARTNERS = ["P003", "P004", "P005", "P013"]
AS_OF = dt.date(2026, 11, 21)
EXPERT = "Microsoft 365 Certified: Enterprise Administrator Expert"


def reports(tmp_path: Path) -> list[str]:
    run = tmp_path / "run"
    run_reports(SAMPLE_DIR, as_of=AS_OF, out=run, partners=PARTNERS, workers=2)
    browser = chrome(tmp_path / "profile", offline=True, window="1200,1400")
    try:
        browser.get((run / "reports" / "P005.html").as_uri())
        browser.save_screenshot(str(DOCS / "report.png"))
        browser.get((run / "index.html").as_uri())
        browser.save_screenshot(str(DOCS / "index.png"))
    finally:
        browser.quit()
    return ["report.png", "index.png"]


def lab(tmp_path: Path, notebook: str, image: str, show_js: str) -> list[str]:
    lab_root = tmp_path / f"lab-{Path(notebook).stem}"
    lab_root.mkdir()
    (lab_root / notebook).write_bytes((ROOT / "notebooks" / notebook).read_bytes())
    browser = chrome(tmp_path / f"profile-{Path(notebook).stem}", window="1400,1000")
    try:
        with jupyterlab(lab_root) as (base, token):
            run_notebook(browser, base, token, notebook)
            browser.execute_script(show_js)
            time.sleep(1)
            browser.save_screenshot(str(DOCS / image))
    finally:
        browser.quit()
    return [image]


def planner(tmp_path: Path) -> list[str]:
    """The planner served by `pcs app` (Voila), after one action."""
    from selenium.webdriver.common.by import By

    from pcs_analysis.reporting.app import serve, wait_until_up

    with serve(data_dir=SAMPLE_DIR, partner_id="P005", as_of=AS_OF, save_to=tmp_path / "s.toml") as app:
        wait_until_up(app)
        browser = chrome(tmp_path / "profile-app", window="1300,1100")
        try:
            browser.get(app.url)
            wait(lambda: planner_card(browser, "modern_work"), 180, "the cards")
            planner_certify(browser, EXPERT)
            wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".pcs-actions li"), 60, "the scenario")
            time.sleep(1)
            browser.save_screenshot(str(DOCS / "planner.png"))
        finally:
            browser.quit()
    return ["planner.png"]


SHOTS = {
    "reports": reports,
    "jupyterlab": lambda tmp: lab(tmp, "track_choice.ipynb", "jupyterlab.png", SHOW_CHART_JS),
    "planner": planner,
    "planner-lab": lambda tmp: lab(tmp, "scenario_planner.ipynb", "planner-lab.png", SHOW_PLANNER_JS),
}


def main(names: list[str]) -> None:
    """Take the screenshots named (default: all)."""
    written = []
    with tempfile.TemporaryDirectory(prefix="pcs-shots-") as tmp:
        for name in names or list(SHOTS):
            written += SHOTS[name](Path(tmp))
    for name in written:
        print(f"wrote {DOCS / name} ({(DOCS / name).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
