"""Bulk reports: manifest, resume, failures that do not stop the others, offline HTML, safe names
and no other partner's data in a report."""

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from pcs_analysis.config import SAMPLE_DIR
from pcs_analysis.reporting.bulk import run_reports, safe_name
from tests.browser import chrome

pytestmark = pytest.mark.slow  # every test runs report kernels

AS_OF = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=out, partners=["P003", "P013"], workers=2)
    return out, manifest


def test_each_partner_gets_an_offline_report_without_inputs(run):
    out, manifest = run
    assert manifest["status"].to_list() == ["ok", "ok"]
    page = (out / manifest["html"][0]).read_text()
    assert "data:image/svg+xml;base64" in page             # charts drawn as static SVG
    assert not re.search(r"<script[^>]*src=[\"']https?://", page) and "cdnjs" not in page
    assert "pcs.explain" not in page                       # no input cells
    index = (out / "index.html").read_text()
    assert 'href="reports/P003.html"' in index and "&lt;script&gt;" in index   # P013's name is escaped
    p013 = (out / manifest["html"][1]).read_text()
    assert "Litware &lt;script&gt;alert(1)&lt;/script&gt;" in p013 and "<script>alert" not in p013
    assert json.loads((out / "manifest.json").read_text())[0]["partner_id"] == "P003"


def test_a_report_holds_only_its_own_partner(run):
    out, manifest = run
    usage = pl.read_csv(SAMPLE_DIR / "usage.csv")
    people = pl.read_csv(SAMPLE_DIR / "certifications.csv")
    partners = pl.read_csv(SAMPLE_DIR / "partners.csv")
    for row in manifest.iter_rows(named=True):
        page = (out / row["html"]).read_text()
        mine = pl.col("partner_id") == row["partner_id"]
        own_name = partners.filter(mine)["partner_name"].item()
        names = [n for n in partners.filter(~mine)["partner_name"].to_list() if n not in own_name]
        others = (usage.filter(~mine)["tenant_id"].unique().to_list()
                  + people.filter(~mine)["person_id"].unique().to_list()
                  + [p for p in partners.filter(~mine)["partner_id"].to_list() if len(p) > 3]
                  + names + [html.escape(n) for n in names])
        assert not [t for t in others if t in page], row["partner_id"]
        assert row["partner_id"] in page and html.escape(own_name) in page


def test_rerun_skips_done_partners_and_retries_failed_ones(run, tmp_path):
    out, manifest = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    again = run_reports(SAMPLE_DIR, as_of=AS_OF, out=copy, partners=["P003", "P013"], workers=2)
    assert again["status"].to_list() == ["skipped", "skipped"]
    (copy / again["html"][1]).unlink()                      # a report went missing: it is made again
    redone = run_reports(SAMPLE_DIR, as_of=AS_OF, out=copy, partners=["P003", "P013"], workers=2)
    assert redone["status"].to_list() == ["skipped", "ok"]


def test_a_failing_partner_does_not_stop_the_others(tmp_path):
    notebook = tmp_path / "broken.ipynb"
    text = (SAMPLE_DIR.parents[1] / "notebooks" / "partner_report.ipynb").read_text()
    notebook.write_text(text.replace('"report = pcs.partner_report(',
                                     '"assert params[\\"partner_id\\"] != \\"P003\\", \\"boom\\"\\n",\n'
                                     '"report = pcs.partner_report('))
    manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path / "out", partners=["P003", "P013"],
                           workers=2, notebook=notebook)
    rows = {r["partner_id"]: r for r in manifest.iter_rows(named=True)}
    assert rows["P003"]["status"] == "failed" and "boom" in rows["P003"]["message"] and rows["P003"]["cell"] == 3
    assert rows["P013"]["status"] == "ok"
    assert not list((tmp_path / "out").rglob("*.tmp"))      # nothing half-written


def test_safe_file_names():
    assert safe_name("P001") == "P001"
    names = {safe_name(p) for p in ["a/b", "a_b", "..", "Łódź", 'q"uote']}
    assert len(names) == 5 and all(re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)


def test_the_same_jobs_run_on_a_dask_cluster(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path, partners=["P003", "P013"],
                               scheduler=cluster.scheduler_address)
        assert manifest["status"].to_list() == ["ok", "ok"]
        again = run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path, partners=["P003", "P013"],
                            scheduler=cluster.scheduler_address)
    assert again["status"].to_list() == ["skipped", "skipped"]
    assert (tmp_path / "index.html").exists() and (tmp_path / manifest["html"][0]).exists()


# --- the reports in a real browser with no network ------------------------------------------------

CHARTS_JS = """
const charts = [];
for (const img of document.images) {
  if (!img.src.startsWith('data:image/svg+xml')) continue;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const pen = canvas.getContext('2d');
  let inked = 0;
  if (canvas.width && canvas.height) {
    pen.drawImage(img, 0, 0);
    const px = pen.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < px.length; i += 4)
      if (px[i + 3] > 0 && (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200)) inked++;
  }
  const box = img.getBoundingClientRect();
  charts.push({width: img.naturalWidth, height: img.naturalHeight, shown: box.width * box.height, inked});
}
return {charts, svg: document.querySelectorAll('svg, canvas').length, text: document.body.innerText};
"""


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory):
    """Debian's Chromium, headless, with every request to the network refused."""
    browser = chrome(tmp_path_factory.mktemp("chromium"), offline=True, log_network=True)
    yield browser
    browser.quit()


def _open(browser, path):
    """The page's charts and text as drawn, and the network addresses it asked for."""
    browser.get_log("performance")                        # forget what came before
    browser.get(path.resolve().as_uri())
    browser.execute_async_script("const done = arguments[arguments.length - 1];"
                                 "Promise.all([...document.images].map(i => i.decode().catch(() => null)))"
                                 ".then(() => done(null));")
    drawn = browser.execute_script(CHARTS_JS)
    events = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    asked = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    return drawn, [u for u in asked if re.match(r"https?://", u)]


def test_reports_render_their_charts_in_a_browser_with_no_network(run, offline_browser):
    out, manifest = run
    for row in manifest.iter_rows(named=True):
        drawn, network = _open(offline_browser, out / row["html"])
        assert network == [], row["partner_id"]
        assert len(drawn["charts"]) == 2, row["partner_id"]           # score cards and history
        for chart in drawn["charts"]:
            assert chart["width"] > 100 and chart["height"] > 100 and chart["shown"] > 0
            assert chart["inked"] > 1000                               # bars, rules and text were drawn
        assert row["partner_id"] in drawn["text"] and "What to do next" in drawn["text"]
        assert "Glossary" in drawn["text"] and "qualification window" in drawn["text"]
        # The checks' stable text is for the test suite: no polars text tables in a report.
        assert "shape: (" not in drawn["text"] and "┌" not in drawn["text"]
    drawn, network = _open(offline_browser, out / "index.html")
    assert network == [] and "P003" in drawn["text"] and "P013" in drawn["text"]


def test_the_offline_browser_check_can_fail(offline_browser, tmp_path):
    """A chart saved with altair's default (CDN) template: the same browser draws nothing and the
    scripts it asked for never arrive."""
    import altair as alt

    page = tmp_path / "cdn.html"
    alt.Chart(pl.DataFrame({"x": [1, 2, 3]})).mark_bar().encode(x="x").save(page)
    drawn, network = _open(offline_browser, page)
    assert drawn["charts"] == [] and drawn["svg"] == 0
    assert any("vega" in u for u in network)


def _sleepy(tmp_path, seconds):
    """The report notebook, made to hang for P003."""
    notebook = tmp_path / "sleepy.ipynb"
    text = (SAMPLE_DIR.parents[1] / "notebooks" / "partner_report.ipynb").read_text()
    notebook.write_text(text.replace('"report = pcs.partner_report(',
                                     '"import time\\n",\n'
                                     f'"time.sleep({seconds} if params[\\"partner_id\\"] == \\"P003\\" else 0)\\n",\n'
                                     '"report = pcs.partner_report('))
    return notebook


def test_a_hanging_partner_times_out_and_the_others_go_on(tmp_path):
    import time

    started = time.perf_counter()
    manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path / "out", partners=["P003", "P013"], workers=2,
                           notebook=_sleepy(tmp_path, 300), timeout=5)
    rows = {r["partner_id"]: r for r in manifest.iter_rows(named=True)}
    assert rows["P003"]["status"] == "timeout" and rows["P003"]["html"] == ""
    assert rows["P003"]["cell"] == 3 and "Timeout" in rows["P003"]["message"]   # parameters, injected, this
    assert rows["P013"]["status"] == "ok"
    assert time.perf_counter() - started < 120


def test_the_watchdog_stops_a_kernel_past_the_wall_clock_limit(tmp_path):
    """A cell allowed 10 minutes, in a notebook allowed 20 seconds: the kernel is stopped."""
    import tempfile

    import psutil

    from pcs_analysis.reporting.export import run_one
    from pcs_analysis.reporting.jobs import Job

    ipc = tempfile.mkdtemp(prefix="pcs-ipc-test-")
    job = Job("P003", {"partner_id": "P003"}, str(_sleepy(tmp_path, 300)), str(tmp_path / "P003.html"), "h", 600,
              ipc, wall_limit=20)
    outcome = run_one(job)
    assert outcome.status == "timeout" and "wall-clock limit" in outcome.message
    assert 20 <= outcome.seconds < 60
    assert not (tmp_path / "P003.html").exists()
    assert not [p for p in psutil.process_iter(["cmdline"]) if ipc in " ".join(p.info["cmdline"] or [])]


def test_a_killed_run_leaves_no_half_written_report_and_resumes(tmp_path):
    """`pcs reports` killed (SIGKILL, workers and kernels included) once its first report is
    written; what is on disk is whole, and the same command then finishes the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    command = [str(Path(sys.executable).with_name("pcs")), "reports", str(SAMPLE_DIR), "--as-of", str(AS_OF),
               "--out", str(out), "--partners", "P001,P002,P003,P004", "--workers", "1"]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240

    def recorded() -> bool:  # a report is done once the manifest says so (its page is written just before)
        try:
            return any(row["status"] == "ok" for row in json.loads((out / "manifest.json").read_text()))
        except (OSError, ValueError):
            return False

    while not recorded() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    done = list((out / "reports").glob("*.html"))
    assert 1 <= len(done) < 4
    assert all(page.read_text().rstrip().endswith("</html>") for page in done)
    left = subprocess.run(command, capture_output=True, text=True)
    assert left.returncode == 0, left.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    statuses = sorted(row["status"] for row in manifest)
    assert statuses.count("ok") + statuses.count("skipped") == 4 and statuses.count("skipped") >= 1
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".prepared-")]


def test_two_runs_cannot_write_to_the_same_folder(tmp_path):
    import fcntl

    from pcs_analysis import PcsError

    (tmp_path / "reports").mkdir()
    with open(tmp_path / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(PcsError, match="another `pcs reports` run"):
            run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path, partners=["P003"])
    assert not (tmp_path / "manifest.json").exists()


def test_parameters_cannot_inject_code(tmp_path, monkeypatch):
    """A partner id written to break out of papermill's parameter cell is only a string (and the
    run folder may be given relative to the working directory)."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    evil = "P003\\\"; import pathlib; pathlib.Path('pwned').touch(); x = \"'"   # a backslash before the quote
    for name in ["partners.csv", "usage.csv", "certifications.csv", "enrollments.csv"]:
        frame = pl.read_csv(data / name, infer_schema=False)
        frame.with_columns(pl.col("partner_id").replace("P003", evil)).write_csv(data / name)
    monkeypatch.chdir(tmp_path)
    manifest = run_reports("data", as_of=AS_OF, out="out", partners=[evil], workers=1)
    assert manifest["status"].to_list() == ["ok"]
    page = (tmp_path / "out" / manifest["html"][0]).read_text()
    assert html.escape(evil, quote=False) in page
    assert not list(tmp_path.rglob("pwned")) and not Path("pwned").exists()
    assert re.fullmatch(r"reports/[A-Za-z0-9_-]+\.html", manifest["html"][0])


def test_a_normal_run_prints_no_kernel_errors(tmp_path):
    """Shutting a kernel down interrupts it first; its log used to print "[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel." for reports that went well. A normal run prints the
    progress and the summary only."""
    import subprocess
    import sys

    pcs = str(Path(sys.executable).with_name("pcs"))
    proc = subprocess.run([pcs, "reports", str(SAMPLE_DIR), "--as-of", AS_OF.isoformat(),
                           "--out", str(tmp_path / "out"), "--partners", "P001,P002,P003,P004", "--workers", "2"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    noise = [line for line in (proc.stdout + proc.stderr).splitlines()
             if "ERROR" in line or "WARNING" in line or "KeyboardInterrupt" in line]
    assert noise == []


def test_the_index_counts_sorts_and_filters_offline(run, offline_browser):
    """The portfolio page: counts per area and status, the distribution chart, and a partner table
    that sorts on a header click and filters by area and status, with no network."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    out, _ = run
    drawn, network = _open(offline_browser, out / "index.html")
    assert network == [] and "Partners per area and status" in drawn["text"]
    assert drawn["svg"] >= 1                                                      # the distribution chart
    b = offline_browser

    def visible():
        return [r.find_elements(By.TAG_NAME, "td")[0].text
                for r in b.find_elements(By.CSS_SELECTOR, "#partners tbody tr") if r.is_displayed()]

    assert visible() == ["P003", "P013"]
    b.find_element(By.CSS_SELECTOR, "#partners thead th:nth-child(1)").click()    # partner, ascending
    b.find_element(By.CSS_SELECTOR, "#partners thead th:nth-child(1)").click()    # descending
    assert visible() == ["P013", "P003"]
    from pcs_analysis import qualification, read_data
    q = qualification(read_data(SAMPLE_DIR).only_partners(["P003", "P013"]), as_of=AS_OF,
                      areas=["modern_work"]).status
    Select(b.find_element(By.ID, "area")).select_by_value("modern_work")
    for label in ("In progress", "Qualified", "Enrolled"):
        Select(b.find_element(By.ID, "status")).select_by_visible_text(label)
        expected = sorted(q.filter(pl.col("status") == label)["partner_id"].to_list(), reverse=True)
        assert visible() == expected, label


def test_pdf_reports_are_printed_by_debians_chromium(tmp_path):
    """`--pdf`: each report also as PDF, printed by headless Chromium with the print stylesheet
    (an area per page), listed in the manifest; rerunning skips it."""
    out = tmp_path / "out"
    manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=out, partners=["P005"], workers=1, pdf=True)
    row = manifest.row(0, named=True)
    assert row["status"] == "ok" and row["pdf"] == "reports/P005.pdf"
    printed = (out / row["pdf"]).read_bytes()
    assert printed.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", printed)) >= 3
    again = run_reports(SAMPLE_DIR, as_of=AS_OF, out=out, partners=["P005"], workers=1, pdf=True)
    assert again["status"].to_list() == ["skipped"] and again["pdf"].to_list() == ["reports/P005.pdf"]


def test_pdf_without_chromium_is_a_clear_error_before_anything_is_written(tmp_path, monkeypatch):
    from pcs_analysis.errors import PcsError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PcsError, match="Debian's Chromium"):
        run_reports(SAMPLE_DIR, as_of=AS_OF, out=tmp_path / "out", partners=["P005"], workers=1, pdf=True)
    assert not (tmp_path / "out").exists()
