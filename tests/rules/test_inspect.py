"""Rulebook loading, validation errors and the "no PCS number in code" rule."""

import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from pcs_analysis import RulebookError, list_versions, load_rules
from pcs_analysis.config import PACKAGE_DIR, RULES_DIR


def test_versions_and_default():
    assert list_versions() == ["2023-06", "2026-05"]
    assert load_rules().version == "2026-05"


def test_modern_work_numbers(rules, rules_2023):
    for r in (rules, rules_2023):
        mw = r.area("modern_work")
        assert [m.max_points for m in mw.metrics] == [20, 10, 15, 30, 25]
        assert r.qualification.min_total_points == 70
        assert (r.refresh.performance_day_of_month, r.refresh.skilling_lag_days) == (20, 10)
        assert mw.metric("deployments").active_share_min == 0.40
    assert "teams premium" in rules.area("modern_work").metric("usage_growth").workloads
    assert "teams premium" not in rules.area("modern_work").metric("net_customer_adds").workloads
    assert "viva engage" in rules_2023.area("modern_work").metric("net_customer_adds").workloads  # Yammer
    def smb_band(r):
        return r.area("modern_work").metric("net_customer_adds").tracks["smb"].seat_band

    assert smb_band(rules).promoted_within_months == 12
    assert smb_band(rules_2023).promoted_within_months is None


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR / "2026-05", target / "2026-05")
    return target


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("modern_work.toml", "max_points = 20", 'max_points = "twenty"', "metrics.net_customer_adds.max_points"),
    ("modern_work.toml", 'kind = "deployment_growth"', 'kind = "magic"', "unknown metric kind 'magic'"),
    ("modern_work.toml", 'associations = ["CPOR", "DPOR"]', 'associations = ["CPOR", "XPOR"]',
     "unknown association type 'XPOR'"),
    ("modern_work.toml", "active_share_min = 0.40", "active_share_mim = 0.40",
     "metrics.deployments.active_share_mim"),
    ("program.toml", "min_total_points = 70", "", "qualification.min_total_points': is required"),
    ("program.toml", 'min_metric_comparison = "ge"', 'min_metric_comparison = "gte"',
     "qualification.min_metric_comparison': must be one of 'gt', 'ge', got 'gte'"),
    ("program.toml", "history_months = 6", "history_months = 0", "window.history_months': must be 1 or more"),
    ("program.toml", 'alignment = "month"', 'alignment = "week"',
     "window.alignment': must be one of 'month', 'day', got 'week'"),
    ("program.toml", "[names]", "[names]\nprefixes = []", "names.prefixes': unknown key"),
    ("program.toml", "skilling_lag_days = 10", "skilling_lag_days = -1",
     "refresh.skilling_lag_days': must be 0 or more"),
    ("program.toml", "performance_day_of_month = 20", "performance_day_of_month = 31",
     "refresh.performance_day_of_month': must be a day between 1 and 28"),
    ("modern_work.toml", "min_paid_units = 301", "min_paid_units = 301\nmax_paid_units = 12",
     "seat_bands.enterprise.max_paid_units': is below min_paid_units"),
    ("business_applications.toml", "months_back = [0, 12]", "months_back = [0, -12]",
     "track_classification.months_back': expected a non-empty list of whole numbers (0 or more)"),
    ("business_applications.toml", "min_workloads = 5", 'min_workloads = "five"',
     "track_classification.min_workloads': expected a number, got str 'five'"),
    ("program.toml", 'points_rounding = "exact"', 'points_rounding = "ceil"', "qualification.points_rounding"),
    ("business_applications.toml", 'measure = "consumption_value"\ngrowth', 'measure = "mcv"\ngrowth',
     "metrics.usage_growth.measure': must be one of 'revenue_usd', 'consumption_value'"),
    ("business_applications.toml", "min_value = 1500,", "min_value = 1500, above_value = 1500,",
     "give either min_value (at least) or above_value (more than)"),
    ("business_applications.toml", '"Guides" = { rate = 1000, per = "MAU" }',
     '"Guides" = { rate = 1000, per = "MAU" }\n"Sales" = { rate = 5 }', "'Sales' is on two rate-card lines"),
    ("business_applications.toml", "workload_associations = { pal_only = [\"PAL\"] }\ntracks.enterprise = { "
     "associations = [\"CPOR_OSU\", \"CSP_T1\", \"CSP_T2\", \"DPOR\"], full_marks_at = 30",
     "workload_associations = { pal_only = [\"PALX\"] }\ntracks.enterprise = { "
     "associations = [\"CPOR_OSU\", \"CSP_T1\", \"CSP_T2\", \"DPOR\"], full_marks_at = 30",
     "metrics.usage_growth.workload_associations.pal_only': unknown association type 'PALX'"),
    ("security.toml", 'kind = "tenant_count_growth"\nworkloads = "m365_workloads"',
     'kind = "certified_people"\nworkloads = "m365_workloads"', "'certified_people' cannot be a part"),
    ("security.toml", "max_value = 12000, promoted_within_months = 12, full_marks_at = 6",
     "promoted_within_months = 12, full_marks_at = 6", "promoted_within_months': a promotion rule needs max_value"),
    ("business_applications.toml", 'count = "tenant_workload"', 'count = "pairs"', "track_classification.count"),
])
def test_invalid_rulebooks_name_the_file_and_key(tmp_path, file, old, new, message):
    base = _copy(tmp_path)
    path = base / "2026-05" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RulebookError) as info:
        load_rules("2026-05", rules_dir=base)
    assert str(path) in str(info.value) and message in str(info.value)


def test_malformed_toml(tmp_path):
    base = _copy(tmp_path)
    (base / "2026-05" / "modern_work.toml").write_text("area = \n")
    with pytest.raises(RulebookError, match="not valid TOML"):
        load_rules("2026-05", rules_dir=base)


#: PCS numbers (bars, caps, thresholds, seat-band edges, shares) that live in the rulebooks only.
PCS_NUMBERS = {"70", "300", "301", "40", "0.4", "0.40", "1000", "4000", "2000", "500", "25", "30", "15", "11"}
#: Modules whose numbers are no rules: the sample generator draws synthetic data (seat counts,
#: rates, date spreads) that no rule reads.
NOT_RULES = {"inputs/sample.py"}
#: A number may name a setting of the package (a constant or a default): `NAME = number`.
_NAMED = re.compile(r"^[A-Z_][A-Z0-9_]*(, [A-Z_][A-Z0-9_]*)* = [\d., ]+(#.*)?$")


def test_no_pcs_number_is_written_in_the_code():
    """Rules are data: the qualification bar, caps, thresholds and seat-band edges live in TOML.
    Every module is scanned (numbers in code, not in docstrings, comments or strings); a number
    that names a package setting of its own (`MAX_PROBLEMS = 30`) is allowed."""
    import io
    import tokenize

    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        where = path.relative_to(PACKAGE_DIR).as_posix()
        if where in NOT_RULES:
            continue
        text = path.read_text()
        lines = text.splitlines()
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.NUMBER or token.string.replace("_", "") not in PCS_NUMBERS:
                continue
            line = lines[token.start[0] - 1].strip()
            if not _NAMED.match(line):
                offenders.append(f"{where}:{token.start[0]}: {line}")
    assert not offenders, "\n".join(offenders)


def test_the_number_guard_finds_a_number_in_code(tmp_path):
    """The guard reads numbers in code and skips them in strings and docstrings."""
    import io
    import tokenize

    source = 'def f(x):\n    """Seventy is 70."""\n    return x >= 70  # the bar\n'
    found = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline)
             if t.type == tokenize.NUMBER and t.string in PCS_NUMBERS]
    assert found == ["70"]


def test_rules_table_lists_every_number_of_an_area(rules):
    from pcs_analysis.rules.inspect import rules_table
    t = rules_table(rules, "modern_work")

    def values(metric, setting, track=""):
        rows = t.filter((t["metric"] == metric) & (t["setting"] == setting) & (t["track"] == track))
        return rows["value"].to_list()

    assert values("deployments", "max_points") == ["25"]
    assert values("deployments", "active_share_min") == ["0.4"]
    assert values("usage_growth", "full_marks_at", "smb") == ["500", "2000"]
    assert values("net_customer_adds", "seat_band_min_paid_units", "enterprise") == ["301"]
    assert len(values("usage_growth", "workload")) == 22
    program = rules_table(rules)
    assert program.filter(program["setting"] == "min_total_points")["value"].to_list()[0] == "70"


def test_diff_reports_added_removed_changed_and_nothing_else(rules, rules_2023):
    import dataclasses

    from pcs_analysis.rules.inspect import diff_rules
    d = diff_rules(rules_2023, rules, "modern_work")
    by = {(r["metric"], r["setting"], r["item"]): r for r in d.iter_rows(named=True)}
    assert by[("usage_growth", "workload", "teams premium")]["change"] == "added"
    assert ("net_customer_adds", "workload", "teams premium") not in by  # NCA list has no Teams Premium
    assert by[("usage_growth", "workload", "teams platform")]["change"] == "removed"
    assert by[("usage_growth", "workload", "viva engage")]["old"] == "Yammer"
    assert by[("intermediate_certifications", "certification", "messaging administrator associate")]["change"] \
        == "removed"
    assert diff_rules(rules, rules).height == 0
    # A threshold change shows as one changed row with the old and new value.
    area = rules.area("modern_work")
    ug = area.metric("usage_growth")
    cpor = dataclasses.replace(ug.tracks["enterprise"].options[0], full_marks_at=1200)
    track = dataclasses.replace(ug.tracks["enterprise"], options=(cpor, ug.tracks["enterprise"].options[1]))
    ug2 = dataclasses.replace(ug, tracks={**ug.tracks, "enterprise": track})
    area2 = dataclasses.replace(area, metrics=tuple(ug2 if m.name == "usage_growth" else m for m in area.metrics))
    changed = diff_rules(rules, dataclasses.replace(rules, areas={**rules.areas, "modern_work": area2}))
    assert changed.select("metric", "track", "option", "setting", "change", "old", "new").rows() == [
        ("usage_growth", "enterprise", "CPOR", "full_marks_at", "changed", "1000", "1200")]


DATED = '''
[[changes]]
effective = 2027-01-01
source = "test"
quote = "a later day"
set = { "metrics.net_customer_adds.max_points" = 30 }
'''


@pytest.mark.parametrize(("added", "message"), [
    (DATED.replace('"metrics.net_customer_adds.max_points"', '"metrics.net_customer_add.max_points"'),
     "changes[0].set.\"metrics.net_customer_add.max_points\"': the file has no table 'metrics.net_customer_add'"),
    (DATED.replace("max_points\" = 30", "max_points\" = \"thirty\""),
     "key 'metrics.net_customer_adds.max_points' (as changed from 2027-01-01): expected"),
    (DATED.replace("max_points\" = 30", "max_pointz\" = 30"),
     "(as changed from 2027-01-01): unknown key"),
    (DATED + DATED.replace("2027-01-01", "2026-12-31"), "changes[1].effective': 2026-12-31 is not after"),
    (DATED.replace('quote = "a later day"\n', ""), "changes[0].quote': is required"),
    (DATED.replace("set = {", "sett = {"), "changes[0].sett': unknown key"),
])
def test_dated_changes_are_checked_as_the_file_is(tmp_path, added, message):
    base = _copy(tmp_path)
    path = base / "2026-05" / "modern_work.toml"
    path.write_text(path.read_text() + added)
    with pytest.raises(RulebookError) as info:
        load_rules("2026-05", rules_dir=base)
    assert str(path) in str(info.value) and message in str(info.value)


def test_a_dated_change_takes_effect_on_its_day_and_shows_in_rules_show_and_diff(tmp_path, rules):
    from pcs_analysis.rules.inspect import diff_rules, rules_table
    base = _copy(tmp_path)
    path = base / "2026-05" / "modern_work.toml"
    path.write_text(path.read_text() + DATED)
    dated = load_rules("2026-05", rules_dir=base)
    assert dated.change_days() == (dt.date(2027, 1, 1),)
    assert dated.on(dt.date(2026, 12, 31)).area("modern_work").metric("net_customer_adds").max_points == 20
    assert dated.on(dt.date(2027, 1, 1)).area("modern_work").metric("net_customer_adds").max_points == 30
    shown = rules_table(dated, "modern_work").filter(pl.col("effective") != "")
    assert shown.select("metric", "setting", "value", "effective").rows() == [
        ("net_customer_adds", "max_points", "30", "2027-01-01")]
    changes = diff_rules(rules, dated, "modern_work")
    assert changes.select("setting", "change", "old", "new", "effective").rows() == [
        ("max_points", "changed", "20", "30", "2027-01-01")]
    # against a rulebook after it, the old one counts as it last stood
    assert diff_rules(dated, rules, "modern_work").select("setting", "old", "new").rows() == [
        ("max_points", "30", "20")]
