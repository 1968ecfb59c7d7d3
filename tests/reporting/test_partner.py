"""The partner report's contents: prepared in bulk they equal the live ones; saved and loaded
they are unchanged; a prepared report of another partner or day is refused. The bulk runner's
preparation retries a failing chunk partner by partner, and its progress bar."""

import dataclasses
import datetime as dt
import io

import pytest

from pcs_analysis import PcsError, load_rules
from pcs_analysis.config import SAMPLE_DIR
from pcs_analysis.reporting.bulk import _prepare_all
from pcs_analysis.reporting.jobs import Job, Outcome
from pcs_analysis.reporting.partner import TABLES, build_reports, load, partner_report
from pcs_analysis.reporting.progress import Progress, ProgressBar, Tracker

AS_OF = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def bulk(sample_data):
    return build_reports(sample_data.only_partners(["P003", "P005", "P013"]), as_of=AS_OF, rules=load_rules())


def test_a_report_prepared_in_bulk_equals_the_live_one(bulk):
    live = partner_report(SAMPLE_DIR, "P005", as_of=AS_OF)
    prepared = bulk["P005"]
    for name in TABLES:
        assert getattr(prepared, name).equals(getattr(live, name)), name
    assert prepared.title == live.title and prepared.bars == live.bars
    assert set(prepared.summary["area"]) == set(load_rules().areas)
    assert "partner_id" not in prepared.summary.columns        # one partner's rows only


def test_the_report_takes_data_or_a_folder_and_its_former_keywords_warn(bulk, sample_data):
    """Like every analysis: the data (or a folder of them) first, then the keywords; the names
    the parameters had before this release still work, warned."""
    from pcs_analysis import UnknownPartnerError

    live = partner_report(sample_data, "P005", as_of=AS_OF, rules=load_rules())
    assert live.summary.equals(bulk["P005"].summary)
    with pytest.warns(DeprecationWarning, match="now partner_report"):
        old = partner_report(data_dir=SAMPLE_DIR, partner_id="P005", as_of=AS_OF, rules_version="2026-05")
    assert old.summary.equals(live.summary)
    with pytest.raises(TypeError, match="both data and data_dir"):
        partner_report(SAMPLE_DIR, "P005", as_of=AS_OF, data_dir=SAMPLE_DIR)
    with pytest.raises(UnknownPartnerError, match="P999"):
        partner_report(sample_data, "P999", as_of=AS_OF)


def test_saved_and_loaded_with_its_charts(bulk, tmp_path):
    drawn = bulk["P013"].draw()
    assert set(drawn.svg) == {"score_cards", "history"}
    assert all(markup.lstrip().startswith("<svg") for markup in drawn.svg.values())
    folder = drawn.save(tmp_path / "P013")
    back = load(folder)
    assert back.svg == drawn.svg and back.partner_name == "Litware <script>alert(1)</script>"
    for name in TABLES:
        assert getattr(back, name).equals(getattr(drawn, name)), name
    assert back.score_cards().data == drawn.svg["score_cards"]
    again = partner_report(None, "P013", as_of=AS_OF, prepared=folder)
    assert again.summary.equals(drawn.summary)
    with pytest.raises(PcsError, match="prepared for P013"):
        partner_report(None, "P003", as_of=AS_OF, prepared=folder)
    with pytest.raises(PcsError, match="prepared for P013"):
        partner_report(None, "P013", as_of=AS_OF, top=5, prepared=folder)
    with pytest.raises(PcsError, match="not a prepared partner report"):
        load(tmp_path)


def test_a_failing_chunk_is_retried_partner_by_partner(tmp_path):
    jobs = [Job(p, {"prepared": str(tmp_path / p)}, "nb", "out.html", "h" + p, 60, "ipc")
            for p in ["P001", "P002", "P003", "P004"]]
    calls = []

    def run(fn, items):                     # in-process stand-in for the worker pool
        for item in items:
            calls.append(sorted(item.folders))
            yield item, (RuntimeError("bad rows") if "P003" in item.folders else 2.0)

    outcomes = {}
    ready = _prepare_all(jobs, tmp_path, "2026-05", AS_OF, 3, 2, run, outcomes, Tracker(4, 0, None))
    assert calls == [["P001", "P002"], ["P003", "P004"], ["P003"], ["P004"]]
    assert ready == {"P001": 1.0, "P002": 1.0, "P004": 2.0}
    assert outcomes["P003"].status == "failed" and "bad rows" in outcomes["P003"].message
    assert list(outcomes) == ["P003"]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _events():
    ok = Outcome("P1", "ok", None, "", 2.0, 1.0, "r.html", "h")
    bad = dataclasses.replace(ok, partner_id="P2", status="failed")
    return [Progress("preparing", 0, 0, 2, {}, 0.0, None), Progress("preparing", 2, 0, 2, {}, 5.0, None),
            Progress("reports", 2, 0, 2, {}, 5.0, None), Progress("reports", 2, 1, 2, {"ok": 1}, 7.0, 2.0, ok),
            Progress("reports", 2, 2, 2, {"ok": 1, "failed": 1}, 75.0, 0.0, bad),
            Progress("done", 2, 2, 2, {"ok": 1, "failed": 1}, 76.0, 0.0)]


def test_progress_in_a_log_is_one_line_per_report():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for event in _events():
        bar(event)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("preparing reports: 0/2") and lines[1].startswith("preparing reports: 2/2")
    assert lines[2] == ("reports [##############--------------] 1/2 · ok 1 · 0:07 elapsed · about 0:02 left"
                        " · P1 ok")
    assert "failed 1 · ok 1 · 1:15 elapsed" in lines[3] and lines[3].endswith("P2 failed")
    assert lines[4] == "reports: 2/2 made in 1:16 · failed 1 · ok 1" and len(lines) == 5


def test_progress_on_a_terminal_is_one_bar_redrawn_in_place():
    stream = _Terminal()
    bar = ProgressBar(stream)
    for event in _events():
        bar(event)
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") == len(_events())
    assert "estimating" in text                     # before the first report finishes


def test_the_public_api_loads_lazily_and_keeps_its_function_names():
    import subprocess
    import sys

    code = ("import sys, pcs_analysis as pcs\n"
            "pcs.partner_report\nimport pcs_analysis.reporting.notebook, pcs_analysis.analysis.recommendations\n"
            "print('altair' in sys.modules, 'scipy' in sys.modules, callable(pcs.recommend))\n"
            "print(all(getattr(pcs, name) is not None for name in pcs.__all__), callable(pcs.sensitivity))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # a kernel showing a prepared report pays for neither altair nor scipy
    assert shown == ["False", "False", "True", "True", "True"]
    # the names given to type checkers are the names resolved at run time
    import ast
    import inspect

    import pcs_analysis

    tree = ast.parse(inspect.getsource(pcs_analysis))
    checked = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    assert sorted(a.name for imp in checked.body for a in imp.names) == sorted(pcs_analysis.__all__)
