"""The `pcs` command run as a subprocess, bad inputs included."""

import shutil
import subprocess

import polars as pl
import pytest

from pcs_analysis.config import SAMPLE_DIR
from tests.builders import PCS, ROOT, run


def test_score_writes_scores_and_summary(tmp_path):
    out = tmp_path / "out"
    proc = run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", out)
    scores = pl.read_csv(out / "scores.csv")
    summary = pl.read_csv(out / "summary.csv")
    assert {"partner_id", "month", "area", "track", "metric", "option", "value", "points",
            "max_points", "rules_version"} <= set(scores.columns)
    assert {"partner_id", "month", "area", "track", "total", "is_qualified", "missing_metrics",
            "points_to_qualify", "rules_version"} <= set(summary.columns)
    from pcs_analysis import load_rules
    areas = load_rules().areas
    assert set(summary["area"]) == set(areas) and summary.height == 50 * len(areas)
    per_metric = sum(len(a.metrics) for a in areas.values())
    assert scores.height == 50 * 2 * per_metric  # both tracks of every metric of every area
    assert set(scores.filter(pl.col("area") == "modern_work")["metric"]) == {
        "net_customer_adds", "intermediate_certifications", "advanced_certifications", "usage_growth",
        "deployments"}
    assert "qualify" in proc.stdout and "P001" in proc.stdout


@pytest.mark.slow
def test_score_in_chunks_on_workers_writes_the_same_files(tmp_path):
    run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "once", "-q")
    proc = run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "chunks", "--chunk-rows", "6000",
               "--workers", "2")
    assert "scored 1 of" in proc.stderr and "chunks of partners" in proc.stderr
    for name in ("scores", "summary", "options", "unread_inputs"):
        assert (tmp_path / "once" / f"{name}.csv").read_bytes() == (tmp_path / "chunks" / f"{name}.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks", "once"], "no staging folder is left"


def test_score_with_older_rulebook_and_no_lag(tmp_path):
    run("score", SAMPLE_DIR, "--as-of", "2026-11-05", "--rules", "2023-06", "--no-lag", "--out", tmp_path, "-q")
    summary = pl.read_csv(tmp_path / "summary.csv", try_parse_dates=True)
    assert summary["rules_version"].unique().to_list() == ["2023-06"]
    assert str(summary["month"][0]) == "2026-10-01"


def test_bad_input_exits_2_lists_every_problem_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    usage = (data / "usage.csv").read_text().splitlines()
    first = usage[1].split(",")
    bad = list(first)
    bad[2] = "2026-13-01"            # month
    bad[4] = "FOO"                   # association
    bad[6] = "-3"                    # paid_units
    usage += [",".join(bad), usage[1]]  # and a duplicate of line 2
    (data / "usage.csv").write_text("\n".join(usage) + "\n")
    (data / "certifications.csv").write_text(
        (data / "certifications.csv").read_text().replace("earned_on", "earned"))
    out = tmp_path / "out"
    proc = run("score", data, "--as-of", "2026-11-21", "--out", out, check=False)
    assert proc.returncode == 2
    err = proc.stderr
    n = len(usage)  # the line numbers of the two appended rows are n - 1 and n
    assert f"usage.csv, column 'month', line {n - 1}" in err
    assert f"column 'association', line {n - 1}" in err and "FOO" in err
    assert f"column 'paid_units', line {n - 1}: must be 0 or more" in err
    assert f"lines 2, {n}" in err and "duplicated key" in err
    assert "certifications.csv, column 'earned_on': required column is missing" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_table_and_unknown_rules_version(tmp_path):
    proc = run("score", tmp_path, "--as-of", "2026-11-21", "--out", tmp_path / "o", check=False)
    assert proc.returncode == 2 and "required table 'usage' not found" in proc.stderr
    proc = run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--rules", "1999-01", "--out", tmp_path / "o",
               check=False)
    assert proc.returncode == 2 and "no rulebook version '1999-01' is shipped" in proc.stderr
    proc = run("score", SAMPLE_DIR, "--as-of", "21/11/2026", "--out", tmp_path / "o", check=False)
    assert proc.returncode == 2 and "not a date" in proc.stderr


def test_explain_prints_and_writes_the_rows_behind_every_metric(tmp_path):
    proc = run("explain", SAMPLE_DIR, "P003", "--as-of", "2026-11-21", "--out", tmp_path)
    assert "net_customer_adds" in proc.stdout and "counted" in proc.stdout
    tenants = pl.read_csv(tmp_path / "explain_tenants.csv")
    people = pl.read_csv(tmp_path / "explain_people.csv")
    assert set(tenants["partner_id"]) == {"P003"} and set(people["partner_id"]) == {"P003"}
    assert {"tenant_id", "metric", "track", "option", "period", "is_counted", "why"} <= set(tenants.columns)
    unknown = run("explain", SAMPLE_DIR, "NOPE", "--as-of", "2026-11-21", check=False)
    assert unknown.returncode == 2 and "no partner 'NOPE' in" in unknown.stderr


def test_sample_data_is_deterministic(tmp_path):
    run("sample-data", tmp_path / "a", "--partners", "5", "--seed", "3")
    run("sample-data", tmp_path / "b", "--partners", "5", "--seed", "3")
    for name in ("usage.csv", "certifications.csv", "partners.csv", "enrollments.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_committed_sample_is_what_the_generator_makes(tmp_path):
    run("sample-data", tmp_path / "s", "--partners", "50", "--seed", "11")
    for name in ("usage.csv", "certifications.csv", "partners.csv", "enrollments.csv"):
        assert (tmp_path / "s" / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


@pytest.mark.parametrize("command", [[], ["score"], ["explain"], ["sample-data"], ["history"], ["status"],
                                     ["recommend"], ["sensitivity"], ["whatif"], ["tracks"], ["plan"],
                                     ["forecast"]])
def test_help(command):
    proc = run(*command, "--help")
    assert "Usage" in proc.stdout


def test_rules_list_show_and_diff(tmp_path):
    listed = run("rules", "list").stdout
    assert "2023-06" in listed and "2026-05 (default)" in listed
    shown = run("rules", "show", "2026-05", "modern_work", "--out", tmp_path / "rules.csv").stdout
    assert "[modern_work / usage_growth / enterprise / DPOR]" in shown and "full_marks_at: 4000" in shown
    assert pl.read_csv(tmp_path / "rules.csv").height > 100
    diff = run("rules", "diff", "2023-06", "2026-05", "--out", tmp_path / "diff.csv").stdout
    assert "modern_work / usage_growth: workload: + Teams Premium" in diff
    assert "workload: Yammer -> Viva Engage" in diff
    assert set(pl.read_csv(tmp_path / "diff.csv")["change"]) == {"added", "removed", "changed"}
    bad = run("rules", "show", "2026-05", "moon", check=False)
    assert bad.returncode == 2 and "has no area 'moon'" in bad.stderr


def test_the_same_input_gives_byte_identical_outputs(tmp_path):
    for run_dir in ("a", "b"):
        run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / run_dir, "-q")
    for name in ("scores.csv", "summary.csv", "options.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_history_status_and_recommend_write_csv_for_the_chosen_partners(tmp_path):
    proc = run("history", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "h", "--partner", "P001",
               "--area", "modern_work")
    history = pl.read_csv(tmp_path / "h" / "history.csv")
    assert history.height == 6 and set(history["partner_id"]) == {"P001"}
    assert "2026-06" in proc.stdout and "2026-11" in proc.stdout
    proc = run("status", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "s", "--partner", "P001",
               "--partner", "P004")
    status = pl.read_csv(tmp_path / "s" / "status.csv")
    assert status.height == 12 and set(status["status"]) <= {"In progress", "Qualified", "Enrolled",
                                                               "Enrolled (Renewal due)"}
    assert (tmp_path / "s" / "status_days.csv").exists() and "Enrolled" in proc.stdout
    proc = run("recommend", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "r", "--partner", "P005",
               "--area", "modern_work")
    table = pl.read_csv(tmp_path / "r" / "recommendations.csv")
    assert {"to_qualify", "action", "risk"} <= set(table["type"]) and set(table["partner_id"]) == {"P005"}
    assert "do: advanced_certifications" in proc.stdout


def test_unknown_partner_is_a_clear_error(tmp_path):
    proc = run("status", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "s", "--partner", "NOPE",
               check=False)
    assert proc.returncode == 2 and "no partner 'NOPE'" in proc.stderr and not (tmp_path / "s").exists()


def test_sensitivity_and_whatif_commands(tmp_path):
    proc = run("sensitivity", SAMPLE_DIR, "--as-of", "2026-11-21", "--area", "modern_work",
               "--param", "min_total_points=60,70,80", "--param", "min_metric_comparison=gt,ge",
               "--out", tmp_path / "s")
    variants = pl.read_csv(tmp_path / "s" / "sensitivity_variants.csv")
    assert variants.height == 6 and "6 variants of modern_work" in proc.stdout
    assert (tmp_path / "s" / "sensitivity_margins.csv").exists()
    bad = run("sensitivity", SAMPLE_DIR, "--as-of", "2026-11-21", "--area", "modern_work", "--param", "x=1",
              "--out", tmp_path / "bad", check=False)
    assert bad.returncode == 2 and "parameter 'x'" in bad.stderr and not (tmp_path / "bad").exists()
    examples = ROOT / "examples" / "scenarios.toml"
    proc = run("whatif", SAMPLE_DIR, "--as-of", "2026-11-21", "--scenarios", examples, "--area", "modern_work",
               "--out", tmp_path / "w")
    summary = pl.read_csv(tmp_path / "w" / "whatif_summary.csv")
    assert summary.height == 2 and "67.3 -> 82.3 (+15.0), qualified" in proc.stdout


@pytest.mark.slow
def test_tracks_plan_and_forecast_commands(tmp_path):
    proc = run("tracks", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--area", "modern_work", "--out", tmp_path / "t")
    assert "modern_work / smb: 67.3 points now; qualifies after 1 step(s)" in proc.stdout
    proc = run("plan", SAMPLE_DIR, "P005", "--as-of", "2026-11-01", "--area", "modern_work", "--target", "2026-11-30",
               "--default-lead", "5", "--out", tmp_path / "p")
    assert proc.stdout.startswith("plan for 2026-11-30: optimal, cost 1") and (tmp_path / "p" / "renewals.csv").exists()
    proc = run("forecast", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--area", "modern_work", "--paths", "500",
               "--seed", "2", "--rate", "attrition=0", "--out", tmp_path / "f")
    months = pl.read_csv(tmp_path / "f" / "forecast_months.csv")
    assert months.height == 6 and "probability of qualifying" in proc.stdout
    bad = run("forecast", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--area", "modern_work", "--rate", "speed=1",
              "--out", tmp_path / "bad", check=False)
    assert bad.returncode == 2 and "--rate" in bad.stderr and not (tmp_path / "bad").exists()


def test_a_misspelt_workload_is_reported_in_a_file_and_strict_refuses_it(tmp_path):
    """A workload that no area reads is never dropped in silence: named on the terminal with its
    rows and partners, listed in unread_inputs.csv, and an error (exit 2, nothing written) with
    --strict."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    usage = pl.read_csv(data / "usage.csv", infer_schema_length=0)
    usage = usage.with_columns(pl.when(pl.col("workload") == "Exchange Online").then(pl.lit("Exchnage Online"))
                               .otherwise(pl.col("workload")).alias("workload"))
    usage.write_csv(data / "usage.csv")
    proc = run("score", data, "--as-of", "2026-11-21", "--out", tmp_path / "out", "-q")
    assert "workload 'Exchnage Online'" in proc.stderr and "did you mean 'Exchange Online'?" in proc.stderr
    unread = pl.read_csv(tmp_path / "out" / "unread_inputs.csv")
    row = unread.filter(pl.col("name") == "Exchnage Online").row(0, named=True)
    assert row["rows"] == usage.filter(pl.col("workload") == "Exchnage Online").height and row["partners"] > 1
    strict = run("score", data, "--as-of", "2026-11-21", "--out", tmp_path / "strict", "--strict", check=False)
    assert strict.returncode == 2 and "Exchnage Online" in strict.stderr
    assert not (tmp_path / "strict").exists()
    partner = usage.filter(pl.col("workload") == "Exchnage Online")["partner_id"][0]
    explained = run("explain", data, partner, "--as-of", "2026-11-21", "--area", "modern_work")
    assert "workload 'Exchnage Online'" in explained.stdout


def test_a_usage_file_without_the_product_column_scores_the_same(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    pl.read_csv(data / "usage.csv", infer_schema_length=0).drop("product").write_csv(data / "usage.csv")
    run("score", SAMPLE_DIR, "--as-of", "2026-11-21", "--out", tmp_path / "with", "-q")
    run("score", data, "--as-of", "2026-11-21", "--out", tmp_path / "without", "-q")
    assert (tmp_path / "with" / "scores.csv").read_text() == (tmp_path / "without" / "scores.csv").read_text()


def test_plan_says_when_the_target_days_data_month_is_missing(tmp_path):
    """As of 2026-11-10 the default target is 2026-12-31 (+30 days of lead, +10 of skilling lag:
    2026-12-20, the end of its month), which shows the data month 2026-11 the sample lacks."""
    proc = run("plan", SAMPLE_DIR, "P011", "--as-of", "2026-11-10", "--area", "modern_work", "--out", tmp_path)
    assert "plan for 2026-12-31: infeasible" in proc.stdout
    assert "which no certification changes" not in proc.stdout
    assert "The cause is in the data" in proc.stdout and "data month 2026-11, which has no usage rows" in proc.stdout
    assert "warning: on 2026-12-31 Partner Center shows the data month 2026-11" in proc.stderr
    help_text = " ".join(run("plan", "--help").stdout.replace("│", " ").split())
    assert "else the last day of the month in which a certification started on --as-of first counts" in help_text


def test_plan_says_on_the_terminal_when_a_step_is_late(tmp_path):
    proc = run("plan", SAMPLE_DIR, "P005", "--as-of", "2026-11-20", "--area", "modern_work", "--target",
               "2026-11-30", "--out", tmp_path)
    assert "start by 2026-10-21  LATE: 30 day(s) past its start day" in proc.stdout
    assert "warning: 1 of 1 certification(s) should have been started before 2026-11-20" in proc.stderr
    assert pl.read_csv(tmp_path / "plan.csv")["is_late"].to_list() == [True]
    on_time = run("plan", SAMPLE_DIR, "P005", "--as-of", "2026-10-01", "--area", "modern_work", "--target",
                  "2026-11-30", "--out", tmp_path / "b")
    assert "LATE" not in on_time.stdout and "should have been started" not in on_time.stderr


COMPUTING = {
    "score": ["score", SAMPLE_DIR, "--as-of", "2026-11-21"],
    "status": ["status", SAMPLE_DIR, "--as-of", "2026-11-21", "--partner", "P005"],
    "history": ["history", SAMPLE_DIR, "--as-of", "2026-11-21", "--partner", "P005"],
    "recommend": ["recommend", SAMPLE_DIR, "--as-of", "2026-11-21", "--partner", "P005", "--area", "modern_work"],
    "forecast": ["forecast", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--area", "modern_work", "--paths", "200"],
    "tracks": ["tracks", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--area", "modern_work"],
    "whatif": ["whatif", SAMPLE_DIR, "--as-of", "2026-11-21", "--scenarios",
               ROOT / "examples" / "scenarios.toml", "--area", "modern_work"],
    "plan": ["plan", SAMPLE_DIR, "P005", "--as-of", "2026-11-01", "--area", "modern_work", "--target", "2026-11-30"],
    "sensitivity": ["sensitivity", SAMPLE_DIR, "--as-of", "2026-11-21", "--area", "modern_work", "--param",
                    "min_total_points=60,70", "--partner", "P005"],
}


@pytest.mark.parametrize("command", list(COMPUTING))
def test_every_computing_command_prints_its_result_without_out_and_nothing_with_quiet(command, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = run(*COMPUTING[command])
    assert shown.stdout.strip() and "wrote" not in shown.stdout
    assert list(tmp_path.iterdir()) == []     # nothing written without --out
    quiet = run(*COMPUTING[command], "-q")
    assert quiet.stdout == ""
    assert "still working" not in quiet.stderr and "measured (" not in quiet.stderr


def test_every_command_has_quiet_and_pcs_has_a_version():
    from importlib.metadata import version

    import typer.main

    from pcs_analysis.cli import app
    group = typer.main.get_command(app)
    commands = []
    for name, command in group.commands.items():
        commands += [(f"{name} {sub}", c) for sub, c in command.commands.items()] if hasattr(command, "commands") \
            else [(name, command)]
    missing = [name for name, command in commands
               if not any("--quiet" in p.opts and "-q" in p.opts for p in command.params)]
    assert missing == [] and len(commands) >= 17
    assert run("--version").stdout.strip() == f"pcs-analysis {version('pcs-analysis')}"


def test_as_of_defaults_to_today_and_says_so():
    import datetime as dt
    proc = run("explain", SAMPLE_DIR, "P005", "--area", "modern_work")
    assert f"as of today, {dt.date.today()} (--as-of chooses the day)" in proc.stderr
    assert f"score shown on {dt.date.today()}" in proc.stdout


@pytest.mark.slow
def test_recommend_says_its_progress_and_prints_one_line_per_area_for_many_partners():
    proc = run("recommend", SAMPLE_DIR, "--as-of", "2026-11-21", "--area", "modern_work", "--area", "security")
    assert "recommend: modern_work measured (1 of 2 areas)" in proc.stderr
    assert "recommend: security measured (2 of 2 areas)" in proc.stderr
    lines = [line for line in proc.stdout.splitlines() if " / " in line and line.startswith("P")]
    assert len(lines) == 50 * 2 and lines[0].startswith("P001 / modern_work: ")
    few = run("recommend", SAMPLE_DIR, "--as-of", "2026-11-21", "--area", "modern_work", "--partner", "P005")
    assert "== P005 / modern_work" in few.stdout and "   do: " in few.stdout


def test_a_reader_that_stops_early_ends_the_command_quietly():
    """`pcs score ... | head -1`: the reader is gone before the first line; exit 0, no traceback."""
    proc = subprocess.Popen([*PCS, "score", str(SAMPLE_DIR), "--as-of", "2026-11-21"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()                       # closed before scoring ends, so every write fails
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "error:" not in stderr


@pytest.mark.slow
def test_a_long_run_on_a_terminal_says_it_is_still_working():
    """stderr a terminal (a pseudo-terminal here): a run of more than 3 s says so every 10 s."""
    import os
    import pty
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*PCS, "tracks", str(SAMPLE_DIR), "P005", "--as-of", "2026-11-21"],
                            stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    proc.communicate(timeout=300)
    said = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        said += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"pcs tracks: still working (3 s)" in said


def test_the_readme_names_the_files_explain_writes(tmp_path):
    import re
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `pcs explain "))
    named = set(re.findall(r"`(\w+\.csv)`", row.split("`--out` writes", 1)[1]))
    run("explain", SAMPLE_DIR, "P005", "--as-of", "2026-11-21", "--out", tmp_path, "-q")
    assert {p.name for p in tmp_path.iterdir()} == named and len(named) == 7
