"""`pcs app`: the scenario planner served by Voilà on 127.0.0.1 with a token, opened in headless
Chromium (Debian's): no code shown, and moving a control changes the score card to the total the
engine gives for the same scenario."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request

import pytest

from pcs_analysis.analysis.whatif import AddCertifiedPeople, Scenario, what_if
from pcs_analysis.config import SAMPLE_DIR
from tests.browser import chrome, planner_card, planner_certify, wait
from tests.builders import run

pytestmark = pytest.mark.slow  # Voilà in a browser

AS_OF = dt.date(2026, 11, 21)
EXPERT = "Microsoft 365 Certified: Enterprise Administrator Expert"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from pcs_analysis.reporting.app import serve, wait_until_up
    saved = tmp_path_factory.mktemp("app") / "session.toml"
    with serve(data_dir=SAMPLE_DIR, partner_id="P005", as_of=AS_OF, save_to=saved) as running:
        wait_until_up(running)
        yield running


def test_the_page_needs_its_token(app):
    import http.client
    host, port = app.url.split("//")[1].split("/")[0].split(":")
    assert host == "127.0.0.1"
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/")
    answer = connection.getresponse()
    assert answer.status in (302, 403) and "login" in (answer.getheader("Location") or "login")
    with urllib.request.urlopen(app.url, timeout=30) as page:
        assert page.status == 200 and "Scenario planner" in page.read().decode()
        # Nothing from elsewhere: the browser refuses the template's CDN links at once.
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self' ")


def test_a_moved_control_changes_the_card_to_the_engines_total(app, tmp_path, sample_data, rules):
    expected = what_if(sample_data, [Scenario("x", (AddCertifiedPeople("P005", EXPERT),))], as_of=AS_OF,
                       rules=rules, areas=["modern_work"]).summary.row(0, named=True)
    # Voilà runs the notebook while it sends the page: `get` does not wait for the page to load
    # (under a loaded machine that took longer than the driver's 120 s); the cards are waited for.
    browser = chrome(tmp_path / "chromium-app", page_load="none", log_network=True)
    try:
        browser.get(app.url)

        def card():
            return planner_card(browser, "modern_work")

        assert wait(card, 180, "the score cards") == f"{expected['total_before']:.1f}"
        assert "import pcs_analysis" not in browser.page_source and "checked(" not in browser.page_source
        planner_certify(browser, EXPERT)
        wait(lambda: card() == f"{expected['total_after']:.1f}", 60, "the card to show the new total")
        assert expected["total_after"] > expected["total_before"]
        browser.save_screenshot(str(tmp_path / "planner.png"))
        assert _sent_elsewhere(browser, app.url) == []
    finally:
        browser.quit()


def _sent_elsewhere(browser, url: str) -> list[str]:
    """The requests the page sent to another host than the app's (refused by the page's content
    security policy they are not sent)."""
    origin = url.split("/?")[0]
    events = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    asked = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
             if e["method"] == "Network.requestWillBeSent"}
    refused = {e["params"]["requestId"] for e in events
               if e["method"] == "Network.loadingFailed" and e["params"].get("blockedReason") == "csp"}
    return [u for i, u in asked.items() if re.match(r"(https?|wss?)://", u) and i not in refused
            and not re.match(r"(https?|wss?)://" + re.escape(origin.split("//")[1]), u)]


def test_pcs_app_refuses_an_unknown_partner_before_serving():
    done = run("app", SAMPLE_DIR, "--partner", "P999", "--as-of", "2026-11-21", check=False)
    assert done.returncode == 2 and "P999" in done.stderr and "http://" not in done.stdout
