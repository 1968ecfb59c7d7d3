"""Every Modern Work worked example of the seed document (seeds/002), in both rulebook versions.

Where the SMB examples contradict themselves (pcs-rules.md §6 items 11-12) the test follows the
formula: the usage-growth example computes with CPOR = 1,000 (the text says 1,500), and the
deployments example computes with 4 CPOR deployments (the text says 3).
"""

import polars as pl
import pytest

from pcs_analysis.engine.scoring import score_options
from tests.builders import AS_OF, make_data, metric, steady
from tests.builders import score_modern_work as score


def _points(rules, metric_name, track, value, option):
    area = rules.area("modern_work")
    m = area.metric(metric_name)
    opt = next(o for o in m.tracks[track].options if o.name == option)
    values = pl.LazyFrame({"value": [float(value)], "max_points": [float(m.max_points)],
                           "full_marks_at": [float(opt.full_marks_at)], "month_index": [0]})
    return score_options(values, area).collect()["points"][0]


@pytest.mark.parametrize("version", ["2023-06", "2026-05"])
@pytest.mark.parametrize(("metric_name", "track", "option", "value", "points"), [
    # Enterprise usage growth: DPOR 2,000 -> 2,000/4,000*30 = 15; CPOR 1,500 -> 45, capped at 30.
    ("usage_growth", "enterprise", "DPOR", 2000, 15),
    ("usage_growth", "enterprise", "CPOR", 1500, 30),
    # SMB usage growth: CSP 1,000 -> 15; CPOR 1,000 -> 60, capped at 30 (§6 item 11).
    ("usage_growth", "smb", "CSP", 1000, 15),
    ("usage_growth", "smb", "CPOR", 1000, 30),
    # Enterprise deployments: DPOR 4 -> 4/10*25 = 10; CPOR 3 -> 3/5*25 = 15.
    ("deployments", "enterprise", "DPOR", 4, 10),
    ("deployments", "enterprise", "CPOR", 3, 15),
    # SMB deployments: CSP 4 -> 10; CPOR 4 -> 20 (the calculation's input, §6 item 12).
    ("deployments", "smb", "CSP", 4, 10),
    ("deployments", "smb", "CPOR", 4, 20),
])
def test_option_points_follow_the_worked_examples(version, metric_name, track, option, value, points):
    from pcs_analysis import load_rules
    assert _points(load_rules(version), metric_name, track, value, option) == points


@pytest.mark.parametrize(("track", "per_customer"), [("enterprise", 4), ("smb", 2)])
def test_net_customer_adds_points_per_customer_and_maximum(rules, track, per_customer):
    area = rules.area("modern_work")
    m = area.metric("net_customer_adds")
    full = m.tracks[track].options[0].full_marks_at
    values = pl.LazyFrame({"value": [1.0, full, full + 3], "max_points": [20.0] * 3,
                           "full_marks_at": [float(full)] * 3, "month_index": [0] * 3})
    assert score_options(values, area).collect()["points"].to_list() == [per_customer, 20, 20]


def _ug_partner(track_rows):
    return make_data(track_rows)


def test_enterprise_usage_growth_example_from_raw_data(rules):
    # DPOR tenant grows 2,000 active users, CPOR tenant grows 1,500 (both > 300 seats).
    data = make_data(steady("T-DPOR", 6000, 1000, 3000, association="DPOR")
                     + steady("T-CPOR", 6000, 1000, 2500, association="CPOR"))
    result = score(data, as_of=AS_OF, rules=rules)
    assert metric(result, "usage_growth", "enterprise", option="DPOR") == (2000, 15)
    assert metric(result, "usage_growth", "enterprise", option="CPOR") == (1500, 30)
    assert metric(result, "usage_growth", "enterprise") == (1500, 30)  # higher option counts
    best = result.scores.filter((pl.col("metric") == "usage_growth") & (pl.col("track") == "enterprise"))
    assert best["option"][0] == "CPOR"


def test_smb_usage_growth_example_from_raw_data(rules):
    # SMB tenants (11-300 seats): CSP growth 1,000 over five tenants, CPOR growth 1,000 over four.
    rows = []
    for i in range(5):
        rows += steady(f"T-CSP{i}", 290, 40, 240, association="CSP_T1" if i % 2 else "CSP_T2")
    for i in range(4):
        rows += steady(f"T-CPOR{i}", 280, 20, 270, association="CPOR")
    result = score(make_data(rows), as_of=AS_OF, rules=rules)
    assert metric(result, "usage_growth", "smb", option="CSP") == (1000, 15)
    assert metric(result, "usage_growth", "smb", option="CPOR") == (1000, 30)
    assert metric(result, "usage_growth", "smb") == (1000, 30)


def _deployments(n, association, paid):
    """n tenants that were below 40 % active a year ago and are above it now."""
    rows = []
    for i in range(n):
        rows += steady(f"T-{association}-{i}", paid, paid // 10, paid // 2, association=association)
    return rows


# (track, seats, [(association, option, deployments, points)], best option's (value, points)):
# Enterprise DPOR 4 -> 10, CPOR 3 -> 15; SMB CSP 4 -> 10, CPOR 4 -> 20 (§6 item 12).
@pytest.mark.parametrize(("track", "paid", "options", "best"), [
    ("enterprise", 1000, [("DPOR", "DPOR", 4, 10), ("CPOR", "CPOR", 3, 15)], (3, 15)),
    ("smb", 200, [("CSP_T1", "CSP", 4, 10), ("CPOR", "CPOR", 4, 20)], (4, 20)),
])
def test_deployments_examples_from_raw_data(rules, track, paid, options, best):
    rows = [row for association, _, n, _ in options for row in _deployments(n, association, paid)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules)
    for _, option, n, points in options:
        assert metric(result, "deployments", track, option=option) == (n, points)
    assert metric(result, "deployments", track) == best


@pytest.mark.parametrize(("track", "intermediate", "advanced"), [("enterprise", 4, 2), ("smb", 2, 1)])
def test_people_for_the_25_skilling_points(rules, track, intermediate, advanced):
    from tests.builders import cert_row
    certs = [cert_row(f"i{i}", "Teams Administrator Associate", "2025-01-01") for i in range(intermediate)]
    certs += [cert_row(f"a{i}", "Enterprise Administrator Expert", "2025-01-01") for i in range(advanced)]
    result = score(make_data(certs=certs), as_of=AS_OF, rules=rules)
    assert metric(result, "intermediate_certifications", track)[1] == 10
    assert metric(result, "advanced_certifications", track)[1] == 15
    # One person fewer gives linear partial credit.
    fewer = make_data(certs=certs[1:])
    assert metric(score(fewer, as_of=AS_OF, rules=rules), "intermediate_certifications", track)[1] \
        == pytest.approx(10 * (intermediate - 1) / intermediate)
