"""Debian's Chromium driven by Selenium, and JupyterLab from the project environment: what the
browser tests and `make screenshots` share. Nothing here downloads a browser."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The state of the notebook open in JupyterLab (needs `--LabApp.expose_app_in_browser`).
NOTEBOOK_STATE_JS = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
if (!panel || !panel.content || !panel.sessionContext || !panel.sessionContext.session) return null;
const kernel = panel.sessionContext.session.kernel;
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
return {
  status: kernel ? kernel.status : 'none',
  code: cells.length,
  ran: cells.filter(c => c.model.executionCount !== null).length,
  errors: [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],'
                                        + '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')]
          .map(e => e.innerText.slice(0, 300)),
  charts: document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks, .jp-OutputArea-output svg.marks,'
                                    + ' .jp-OutputArea-output img[src^="data:image/svg"], .jp-RenderedSVG svg').length,
  widgets: document.querySelectorAll('.jupyter-widgets.widget-container, .widget-slider, .widget-dropdown,'
                                     + ' .widget-inline-hbox').length,
};
"""


def chrome(profile: Path, *, offline: bool = False, window: str = "1400,1000", log_network: bool = False,
           page_load: str = "normal"):
    """Headless Debian Chromium; `offline` refuses every request to the network (a proxy that
    does not exist, and DevTools' network emulation set to offline). `page_load` "none": `get`
    returns at once, and the caller waits for what it needs with its own time budget (a page
    that a server renders while it runs, such as Voilà's, loads for as long as that takes)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise RuntimeError("Debian's chromium and chromium-driver are needed: `make test` installs them "
                           "(`make browser`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    options.page_load_strategy = page_load
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", f"--window-size={window}"]
    if offline:
        flags += ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
    for flag in flags:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"} if log_network else {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    if offline:
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.emulateNetworkConditions",
                                {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    return browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab from this environment serving `root` on 127.0.0.1 with a token: (base url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: _answers(f"{base}/api/status?token={token}", process), 60, "JupyterLab to answer")
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _answers(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"JupyterLab stopped:\n{process.stdout.read()[-3000:]}")
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except OSError:
        return False


def wait(check, seconds: float, what: str):
    """The first true value of `check()` within `seconds`, else TimeoutError naming `what`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


def run_notebook(browser, base: str, token: str, notebook: str, *, seconds: float = 240) -> dict:
    """Open `notebook` in JupyterLab, run all its cells and wait until every one has run; the
    notebook's state (NOTEBOOK_STATE_JS)."""
    browser.get("about:blank")   # leave the previous notebook (its unsaved-changes prompt is blocked)
    browser.get(f"{base}/lab/tree/{notebook}?token={token}&reset")
    wait(lambda: browser.execute_script(NOTEBOOK_STATE_JS), 90, f"{notebook} to open with its kernel")
    wait(lambda: (browser.execute_script(NOTEBOOK_STATE_JS) or {}).get("status") == "idle", 90, "an idle kernel")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

    def finished():
        state = browser.execute_script(NOTEBOOK_STATE_JS)
        return state if state and state["ran"] == state["code"] and state["status"] == "idle" else None

    wait(finished, seconds, f"every cell of {notebook} to run")
    time.sleep(2)  # let the renderers draw the last outputs
    return browser.execute_script(NOTEBOOK_STATE_JS)


def planner_card(browser, area: str) -> str | None:
    """The total with the scenario on the planner page's card of `area` (None before it is drawn)."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR, f".pcs-card[data-area='{area}'] .pcs-total-after")
    return found[0].text if found else None


def planner_certify(browser, certification: str) -> None:
    """On the planner page: choose `certification` in the first tab and click Certify."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.CSS_SELECTOR, ".widget-dropdown select")).select_by_visible_text(certification)
    [certify] = [b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Certify"]
    certify.click()
