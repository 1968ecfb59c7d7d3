"""Regenerate the screenshots under docs/ (`make screenshots`): a partner report and the index of
a run over a few sample partners, and a notebook in JupyterLab, each taken by Debian's Chromium
in headless mode. Never edit the images by hand."""

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
from tests.browser import chrome, jupyterlab, run_notebook  # noqa: E402

DOCS = ROOT / "docs"
#: Close the news toast and bring the first chart into view.
SHOW_CHART_JS = """
for (const b of document.querySelectorAll('.jp-toast-button')) { if (b.innerText.trim() === 'No') b.click(); }
const chart = document.querySelector('.jp-RenderedSVG, .jp-OutputArea-output img');
if (chart) chart.scrollIntoView({block: 'start'});
"""
PARTNERS = ["P003", "P004", "P005", "P013"]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcs-shots-") as tmp:
        tmp_path = Path(tmp)
        run = tmp_path / "run"
        run_reports(SAMPLE_DIR, as_of=dt.date(2026, 11, 21), out=run, partners=PARTNERS, workers=2)
        browser = chrome(tmp_path / "profile", offline=True, window="1200,1400")
        try:
            browser.get((run / "reports" / "P005.html").as_uri())
            browser.save_screenshot(str(DOCS / "report.png"))
            browser.get((run / "index.html").as_uri())
            browser.save_screenshot(str(DOCS / "index.png"))
        finally:
            browser.quit()
        lab_root = tmp_path / "lab"
        lab_root.mkdir()
        (lab_root / "track_choice.ipynb").write_bytes((ROOT / "notebooks" / "track_choice.ipynb").read_bytes())
        browser = chrome(tmp_path / "profile-lab", window="1400,1000")
        try:
            with jupyterlab(lab_root) as (base, token):
                run_notebook(browser, base, token, "track_choice.ipynb")
                browser.execute_script(SHOW_CHART_JS)
                time.sleep(1)
                browser.save_screenshot(str(DOCS / "jupyterlab.png"))
        finally:
            browser.quit()
    for name in ("report.png", "index.png", "jupyterlab.png"):
        print(f"wrote {DOCS / name} ({(DOCS / name).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
