"""The notebooks as a person uses them: JupyterLab from the project environment on 127.0.0.1
with a token, each notebook opened in headless Chromium (Debian's), all cells run, and the page
checked: every code cell ran, no error output, the charts drawn and the live controls shown.
Screenshots go to the test's temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser import chrome, jupyterlab, run_notebook
from tests.builders import ROOT

pytestmark = pytest.mark.slow  # JupyterLab in a browser

NOTEBOOKS = ROOT / "notebooks"
#: Notebook -> (charts at least, live controls expected).
EXPECTED = {
    "partner_report.ipynb": (2, False),
    "portfolio_overview.ipynb": (1, False),
    "threshold_sensitivity.ipynb": (1, True),
    "track_choice.ipynb": (1, True),
    "certification_planning.ipynb": (1, True),
    "rule_impact.ipynb": (0, False),
    "scenario_planner.ipynb": (0, True),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of the notebooks."""
    root = tmp_path_factory.mktemp("lab")
    for notebook in EXPECTED:
        shutil.copy(NOTEBOOKS / notebook, root / notebook)
    with jupyterlab(root) as (base, token):
        yield base, token


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(tmp_path_factory.mktemp("chromium-lab"))
    yield driver
    driver.quit()


@pytest.mark.parametrize("notebook", list(EXPECTED))
def test_a_notebook_runs_in_jupyterlab_with_its_charts_and_controls(lab, browser, notebook, tmp_path):
    browser.get("about:blank")
    browser.get_log("browser")   # forget what the previous notebook's page logged
    state = run_notebook(browser, *lab, notebook)
    browser.save_screenshot(str(tmp_path / f"{Path(notebook).stem}.png"))
    charts, controls = EXPECTED[notebook]
    assert state["errors"] == [], state["errors"]
    assert state["charts"] >= charts, state
    if controls:
        assert state["widgets"] > 0, state
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"] and "beforeunload" not in e["message"]]
    assert severe == [], severe


def test_make_lab_starts_jupyterlab_also_as_root():
    """`make lab` as a container runs it (root): Jupyter refuses root without --allow-root."""
    import os
    import secrets
    import signal
    import subprocess

    from tests.browser import _answers, _free_port, wait

    root = ROOT
    port, token = _free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token} "
            "--LabApp.news_url= --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    process = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait(lambda: _answers(f"http://127.0.0.1:{port}/api/status?token={token}", process), 90, "make lab")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
