"""Business Applications (pcs-rules.md §3): the monthly consumption value and its worked examples,
workload-level customer adds and deployments, the usage-growth gate, skilling and the
workload-revenue track rule. Where S4 contradicts itself (§6 items 15-18) the tests follow the
formula and say which item."""

import dataclasses

import pytest

from pcs_analysis.analysis.explanation import explain
from pcs_analysis.engine.scoring import score
from tests.builders import AS_OF, BASE, M, cert_row, dynamics_row, make_data, metric

AREA = "business_applications"


def ba(rows=(), certs=(), rules=None):
    return score(make_data(list(rows), list(certs)), as_of=AS_OF, rules=rules, areas=[AREA])


def test_rate_card_worked_example_gives_20000_mcv(rules):
    # "(10 Business Central MAU * 1000) + (50,000 Customer Insights profiles * 0.2) = 20,000 MCV"
    rows = [dynamics_row("T1", BASE, "Business Central", active=10),
            dynamics_row("T2", BASE, "Customer Insights", active=50_000, association="PAL")]
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=[AREA])
    baseline = e.tenants.filter((e.tenants["metric"] == "usage_growth") & (e.tenants["track"] == "smb")
                                & (e.tenants["period"] == "baseline"))
    assert baseline["amount"].sum() == pytest.approx(20_000)


def test_usage_growth_needs_the_baseline_mcv_of_the_track(rules):
    # Baseline 30,000 MCV: below Enterprise's 50,000 gate, above SMB's 25,000; growth 10 %.
    rows = [dynamics_row("T1", BASE, "Sales", active=150), dynamics_row("T1", M, "Sales", active=165)]
    result = ba(rows, rules=rules)
    assert metric(result, "usage_growth", "smb") == (pytest.approx(10), pytest.approx(10))
    value, points = metric(result, "usage_growth", "enterprise")
    assert value == pytest.approx(10) and points == 0


def test_usage_growth_is_capped_at_30_points(rules):
    rows = [dynamics_row("T1", BASE, "Business Central", active=60),
            dynamics_row("T1", M, "Business Central", active=90)]
    assert metric(ba(rows, rules=rules), "usage_growth", "enterprise") == (pytest.approx(50), 30)


@pytest.mark.parametrize(("mau", "smb", "enterprise"), [(25, 1, 0), (24, 0, 0), (50, 1, 1)])
def test_deployment_is_a_tenant_workload_with_enough_mcv(rules, mau, smb, enterprise):
    # P5: the Customer Engagement rate of 200 means "only 25 monthly active users" reach 5,000
    # MCV; Sales counts as Customer Engagement.
    result = ba([dynamics_row("T1", M, "Sales", active=mau)], rules=rules)
    assert metric(result, "deployments", "smb") == (smb, 4 * smb)
    assert metric(result, "deployments", "enterprise") == (enterprise, 4 * enterprise)


def test_customer_engagement_workloads_pool_into_one_deployment(rules):
    # Sales 15 MAU + Customer Service 15 MAU = 30 x 200 = 6,000 MCV: one SMB deployment, not two.
    rows = [dynamics_row("T1", M, "Sales", active=15), dynamics_row("T1", M, "Customer Service", active=15)]
    assert metric(ba(rows, rules=rules), "deployments", "smb")[0] == 1


def test_power_platform_counts_under_pal_only(rules):
    rows = [dynamics_row("T1", M, "Power Apps", active=60, association="PAL"),
            dynamics_row("T2", M, "Power Apps", active=60, association="DPOR"),
            dynamics_row("T3", M, "Sales", active=60, association="PAL"),
            dynamics_row("T4", M, "Sales", active=60, association="CPOR_OSU")]
    result = ba(rows, rules=rules)
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=[AREA])
    counted = e.tenants.filter((e.tenants["metric"] == "deployments") & (e.tenants["track"] == "smb")
                               & e.tenants["is_counted"])["tenant_id"].to_list()
    assert sorted(counted) == ["T1", "T4"]
    assert metric(result, "deployments", "smb")[0] == 2
    ignored = e.ignored.filter(e.ignored["metric"] == "deployments")
    assert set(ignored["tenant_id"]) == {"T2", "T3"}
    assert any("accepted: PAL" in w for w in ignored["why"])


@pytest.mark.parametrize(("revenue", "enterprise", "smb"), [(1500, 1, 1), (1499.99, 0, 1), (250, 0, 1), (249, 0, 0)])
def test_customer_adds_count_workloads_with_enough_revenue(rules, revenue, enterprise, smb):
    result = ba([dynamics_row("T1", M, "Sales", revenue=revenue, association="CPOR_REVREC")], rules=rules)
    assert metric(result, "net_customer_adds", "enterprise")[0] == enterprise
    assert metric(result, "net_customer_adds", "smb")[0] == smb


def test_customer_adds_count_each_workload_of_a_tenant_and_subtract_last_year(rules):
    rows = [dynamics_row("T1", M, w, revenue=2000) for w in ("Sales", "Customer Service", "Power Apps")]
    rows += [dynamics_row("T2", BASE, "Finance", revenue=2000)]
    assert metric(ba(rows, rules=rules), "net_customer_adds", "enterprise") == (2, 6)
    many = [dynamics_row(f"T{i}", M, "Sales", revenue=2000) for i in range(7)]
    assert metric(ba(many, rules=rules), "net_customer_adds", "enterprise") == (7, 15)


def test_customer_adds_greater_than_reading(rules):
    # §6 item 15: the formula says "> 1500 USD", the definitions "at least".
    area = rules.area(AREA)
    m = area.metric("net_customer_adds")
    track = m.tracks["enterprise"]
    strict = dataclasses.replace(track, settings=dataclasses.replace(
        track.settings, value_band=dataclasses.replace(track.value_band, above=True)))
    m2 = dataclasses.replace(m, tracks={**m.tracks, "enterprise": strict})
    variant = dataclasses.replace(rules, areas={**rules.areas, AREA: dataclasses.replace(
        area, metrics=tuple(m2 if x.name == m.name else x for x in area.metrics))})
    result = ba([dynamics_row("T1", M, "Sales", revenue=1500)], rules=variant)
    assert metric(result, "net_customer_adds", "enterprise")[0] == 0


INTERMEDIATE = "Microsoft Certified: Power Platform Developer Associate"
INTERMEDIATE_2 = "Dynamics 365 Business Central Functional Consultant Associate"
ADVANCED = "Microsoft Certified: Power Platform Solution Architect Expert"


def people(cert, n, prefix="p"):
    return [cert_row(f"{prefix}{i}", cert, "2025-01-10") for i in range(n)]


@pytest.mark.parametrize(("n", "enterprise", "smb"), [(1, 1, 4), (5, 5, 20), (20, 20, 20), (25, 20, 20)])
def test_intermediate_certifications(rules, n, enterprise, smb):
    result = ba(certs=people(INTERMEDIATE, n), rules=rules)
    assert metric(result, "intermediate_certifications", "enterprise")[1] == enterprise
    assert metric(result, "intermediate_certifications", "smb")[1] == smb


@pytest.mark.parametrize(("n", "enterprise", "smb"), [(1, 15 / 7, 7.5), (2, 30 / 7, 15), (7, 15, 15)])
def test_advanced_certifications_use_15_over_7(rules, n, enterprise, smb):
    # "2.14 points per person ... 15 points obtained from seven certified people": 7 x 2.14 =
    # 14.98 (§6 item 16), so the exact rate 15/7 is used; "counts as one point" is read as
    # "counts once".
    result = ba(certs=people(ADVANCED, n), rules=rules)
    assert metric(result, "advanced_certifications", "enterprise")[1] == pytest.approx(enterprise)
    assert metric(result, "advanced_certifications", "smb")[1] == pytest.approx(smb)


def test_a_person_counts_once_per_metric(rules):
    certs = [cert_row("a", INTERMEDIATE, "2025-01-10"), cert_row("a", INTERMEDIATE_2, "2025-02-10")]
    assert metric(ba(certs=certs, rules=rules), "intermediate_certifications", "enterprise")[0] == 1


def revenue_units(n, month, amount=6000):
    return [dynamics_row(f"T{i}", month, "Sales", revenue=amount) for i in range(n)]


@pytest.mark.parametrize(("now", "year_ago", "track"), [(5, 5, "enterprise"), (4, 6, "smb"), (6, 0, "smb")])
def test_track_follows_the_workload_revenue_rule(rules, now, year_ago, track):
    s = ba(revenue_units(now, M) + revenue_units(year_ago, BASE), rules=rules).summary.row(0, named=True)
    assert s["track"] == track
    assert s["track_basis"].startswith(f"tenant workloads above USD 5,000: {now} in the scored month, "
                                       f"{year_ago} 12 months before")


def test_revenue_must_be_above_5000(rules):
    s = ba(revenue_units(5, M, 5000) + revenue_units(5, BASE, 5000), rules=rules).summary.row(0, named=True)
    assert s["track"] == "smb"


def test_distinct_workload_reading_of_the_track_rule(rules):
    # Five tenants of one workload: five tenant x workload pairs, but one distinct workload.
    rows = revenue_units(5, M) + revenue_units(5, BASE)
    assert ba(rows, rules=rules).summary["track"][0] == "enterprise"
    area = rules.area(AREA)
    variant = dataclasses.replace(rules, areas={**rules.areas, AREA: dataclasses.replace(
        area, classification=dataclasses.replace(area.classification, count="distinct_workloads"))})
    assert ba(rows, rules=variant).summary["track"][0] == "smb"


def test_no_workload_revenue_is_four_or_fewer_so_smb(rules):
    """S4: SMB "if the partner has four or fewer unique workloads contributing more than $5,000 in
    revenue for each customer Tenant in both current month-1 and current month-13": none is four
    or fewer, so a partner without workload revenue is SMB, even where Enterprise scores more
    (here a rule variant giving Enterprise full marks from 2 people); "undecided" is the named
    alternative (`without_revenue`), which keeps the higher total."""
    import polars as pl

    from pcs_analysis.analysis.sensitivities import set_parameter
    from pcs_analysis.engine.points import follows_scores
    richer = set_parameter(rules, AREA, "intermediate_certifications.enterprise.full_marks_at", 2)
    s = ba(certs=people(INTERMEDIATE, 2), rules=richer).summary.row(0, named=True)
    assert (s["track"], s["total"], s["other_track_total"]) == ("smb", 8, 20)
    assert s["track_basis"] == ("no workload revenue in the classification months: no workload above USD 5,000 "
                                "is 4 or fewer (smb)")
    assert not pl.select(follows_scores(pl.lit(s["track_basis"]))).item()   # the track is decided, not free
    area = richer.area(AREA)
    undecided = dataclasses.replace(richer, areas={**richer.areas, AREA: dataclasses.replace(
        area, classification=dataclasses.replace(area.classification, without_revenue="undecided"))})
    s = ba(certs=people(INTERMEDIATE, 2), rules=undecided).summary.row(0, named=True)
    assert (s["track"], s["total"]) == ("enterprise", 20) and "no workload revenue" in s["track_basis"]


def test_a_partner_override_wins_over_the_classification(rules):
    data = make_data(revenue_units(5, M) + revenue_units(5, BASE),
                     partners=[{"partner_id": "P1", "partner_name": "A", "track_business_applications": "smb"}])
    s = score(data, as_of=AS_OF, rules=rules, areas=[AREA]).summary.row(0, named=True)
    assert (s["track"], s["track_basis"]) == ("smb", "partner override")
