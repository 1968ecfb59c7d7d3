"""Security (pcs-rules.md §5): every skilling worked example of S2, and hand-built cases for the
Azure and Microsoft 365 parts of customer adds, deployments and usage growth. Where S2 contradicts
itself (§6 items 7-10) the tests follow the formula and say which item."""

import dataclasses

import polars as pl
import pytest

from pcs_analysis.analysis.explanation import explain
from pcs_analysis.engine.scoring import score
from tests.builders import AS_OF, BASE, M, azure_row, cert_row, make_data, metric, usage_row

AREA = "security"
ENGINEER = "Microsoft Certified: Azure Security Engineer Associate"
ANALYST = "Microsoft Certified: Security Operations Analyst Associate"
ARCHITECT = "Microsoft Certified: Cybersecurity Architect Expert"
DEFENDER = "Microsoft Defender for Office 365"


def sec(rows=(), certs=(), rules=None, as_of=AS_OF):
    return score(make_data(list(rows), list(certs)), as_of=as_of, rules=rules, areas=[AREA])


def people(cert, names):
    return [cert_row(n, cert, "2025-01-10") for n in names]


SKILLING_EXAMPLES = [
    # Enterprise 1: "3 people complete Step 2, earning 20 points" means step 3 (§6 item 7):
    # 3 x 20/3 = 20 (S2 shows 6.67 per person; §6 item 10).
    ("enterprise", people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "cde"), 20),
    # Enterprise 2: the same two people in every step: 13.3 (2 x 20/3).
    ("enterprise", people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "ab"), 40 / 3),
    ("enterprise", people(ENGINEER, "ab") + people(ARCHITECT, "cd"), 0),
    ("enterprise", people(ENGINEER, "a") + people(ANALYST, "ab") + people(ARCHITECT, "cd"), 0),
    # SMB 1: 4 + 4 + 3 x 8 = 32 ("step 2" for step 3 again, §6 item 7).
    ("smb", people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "cde"), 32),
    # SMB 2: the same two people everywhere: 4 + 4 + 2 x 8 = 24; the text says step 3 earns
    # "eight points" but totals 24 (§6 item 7).
    ("smb", people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "ab"), 24),
    ("smb", people(ENGINEER, "ab") + people(ARCHITECT, "cd"), 4),
    ("smb", people(ARCHITECT, "cd"), 0),
]


@pytest.mark.parametrize(("track", "certs", "points"), SKILLING_EXAMPLES)
def test_skilling_examples(rules, track, certs, points):
    result = sec(certs=certs, rules=rules)
    assert metric(result, "intermediate_certifications", track)[1] == pytest.approx(points)


def test_skilling_maximum_is_40(rules):
    # 40 is implied (§5.1): SMB reaches it with 4 step-3 people, Enterprise with 6.
    certs = people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "cdefghij")
    result = sec(certs=certs, rules=rules)
    assert metric(result, "intermediate_certifications", "smb")[1] == 40
    assert metric(result, "intermediate_certifications", "enterprise")[1] == pytest.approx(40)


def monthly(tenant, total, months, *, end=M, service="Key Vault", association="PAL"):
    """A tenant with `total` ACR spread over the `months` months ending with `end` (in whole cents,
    the last month taking the remainder)."""
    year, month = int(end[:4]), int(end[5:7])
    cents = round(total * 100)
    each = cents // months
    rows = []
    for back in range(months):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        amount = each + (cents - each * months if back == 0 else 0)
        rows.append(azure_row(tenant, f"{y}-{m + 1:02d}-01", amount / 100, service=service,
                              association=association))
    return rows


@pytest.mark.parametrize(("total", "adds"), [(600, 1), (599.99, 0)])
def test_azure_customer_needs_600_dollars_over_the_trailing_12_months(rules, total, adds):
    result = sec(monthly("T1", total, 12), rules=rules)
    assert metric(result, "net_customer_adds", "enterprise", option="azure")[0] == adds
    assert metric(result, "net_customer_adds", "smb", option="azure")[0] == adds


def test_azure_customers_count_eligible_services_and_associations_only(rules):
    rows = (monthly("T1", 1200, 12, service="Azure SQL Database") + monthly("T2", 1200, 12, association="DPOR")
            + monthly("T3", 1200, 12, service="Microsoft Sentinel", association="CSP_T2"))
    assert metric(sec(rows, rules=rules), "net_customer_adds", "enterprise", option="azure")[0] == 1


@pytest.mark.parametrize(("paid", "enterprise", "smb"), [(301, 1, 0), (300, 0, 1), (5, 0, 1), (4, 0, 0)])
def test_m365_customer_by_seat_band(rules, paid, enterprise, smb):
    result = sec([usage_row("T1", M, paid, 1, workload=DEFENDER)], rules=rules)
    assert metric(result, "net_customer_adds", "enterprise", option="m365")[0] == enterprise
    assert metric(result, "net_customer_adds", "smb", option="m365")[0] == smb


def test_customer_adds_sum_the_parts_points(rules):
    rows = [usage_row(f"M{i}", M, 400, 10, workload=DEFENDER) for i in range(2)]
    for i in range(3):
        rows += monthly(f"A{i}", 1200, 12)
    result = sec(rows, rules=rules)
    # Enterprise: 2 points per add, 3 Azure + 2 Microsoft 365 = 10 points.
    assert metric(result, "net_customer_adds", "enterprise") == (5, 10)
    # SMB: 4 points per add; the Microsoft 365 tenants are above the SMB band: 3 x 4 = 12.
    assert metric(result, "net_customer_adds", "smb") == (3, 12)
    assert result.scores.filter(result.scores["metric"] == "net_customer_adds")["option"][0] == "azure+m365"


def test_a_negative_part_earns_zero_unless_values_are_summed(rules):
    # Azure: two customers lost (-2); Microsoft 365: five added (+5).
    rows = [usage_row(f"M{i}", M, 400, 10, workload=DEFENDER) for i in range(5)]
    rows += monthly("OLD1", 1200, 12, end=BASE) + monthly("OLD2", 1200, 12, end=BASE)
    assert metric(sec(rows, rules=rules), "net_customer_adds", "enterprise") == (3, 10)
    area = rules.area(AREA)
    summed = area.metric("net_customer_adds").with_settings(parts_combine="values")
    variant = dataclasses.replace(rules, areas={**rules.areas, AREA: dataclasses.replace(
        area, metrics=tuple(summed if m.name == summed.name else m for m in area.metrics))})
    assert metric(sec(rows, rules=variant), "net_customer_adds", "enterprise") == (3, 6)


@pytest.mark.parametrize(("total", "enterprise", "smb"), [
    # 12,000.01 is also an SMB deployment: its trailing 12 months were inside the SMB band in the
    # months before (the data start 12 months ago), and the promotion rule keeps it there.
    (12_000.01, 1, 1), (12_000, 0, 1), (750, 0, 1), (749.99, 0, 0)])
def test_azure_deployment_by_trailing_12_month_acr(rules, total, enterprise, smb):
    result = sec(monthly("T1", total, 12), rules=rules)
    assert metric(result, "deployments", "enterprise", option="azure")[0] == enterprise
    assert metric(result, "deployments", "smb", option="azure")[0] == smb


def test_azure_smb_deployment_keeps_a_promoted_tenant(rules):
    # Last year's trailing 12 months were USD 6,000 (SMB); this year's USD 24,000.
    rows = monthly("T1", 24_000, 12) + monthly("T1", 6_000, 12, end="2025-10-01")
    result = sec(rows, rules=rules)
    assert metric(result, "deployments", "enterprise", option="azure")[0] == 1
    # SMB: counted now through the promotion rule, and counted a year ago too: net 0.
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=[AREA])
    smb = e.tenants.filter((e.tenants["metric"] == "deployments") & (e.tenants["track"] == "smb")
                           & (e.tenants["option"] == "azure"))
    assert smb.filter(smb["period"] == "current")["is_counted"].to_list() == [True]


@pytest.mark.parametrize(("active", "deployed"), [(15, 1), (14, 0)])
def test_m365_deployment_needs_15_percent_active(rules, active, deployed):
    result = sec([usage_row("T1", M, 100, active, workload=DEFENDER)], rules=rules)
    assert metric(result, "deployments", "smb", option="m365")[0] == deployed


def test_six_deployments_earn_20_points(rules):
    rows = [usage_row(f"M{i}", M, 100, 50, workload=DEFENDER) for i in range(3)]
    for i in range(3):
        rows += monthly(f"A{i}", 5000, 12)
    result = sec(rows, rules=rules)
    assert metric(result, "deployments", "smb") == (6, pytest.approx(20))
    assert metric(sec(rows[:1], rules=rules), "deployments", "smb")[1] == pytest.approx(20 / 6)


def test_usage_growth_sums_azure_dollars_and_protected_users(rules):
    # Azure (Enterprise tenant, TTM > 12,000): ACR up USD 2,500 month on month-a-year-ago = 2 points.
    # USD 1,100 a month for two years, USD 3,600 in the scored month: both trailing-12-month
    # totals are above 12,000, so the tenant counts in both months.
    rows = monthly("A1", 26_400, 24, end="2026-09-01") + [azure_row("A1", M, 3600, service="Key Vault",
                                                                    association="PAL")]
    # Microsoft 365 (Enterprise band): 125 more protected users = 1 point.
    rows += [usage_row("M1", BASE, 1000, 200, workload=DEFENDER), usage_row("M1", M, 1000, 325, workload=DEFENDER)]
    result = sec(rows, rules=rules)
    assert metric(result, "usage_growth", "enterprise", option="azure") == (pytest.approx(2500), pytest.approx(2))
    assert metric(result, "usage_growth", "enterprise", option="m365") == (125, pytest.approx(1))
    value, points = metric(result, "usage_growth", "enterprise")
    assert value is None and points == pytest.approx(3)  # dollars and users do not add up


def test_smb_usage_growth_rates(rules):
    # SMB: USD 750 and 50 users per point; the Azure tenant's TTM is within (0, 12,000].
    rows = [azure_row("A1", BASE, 100, service="Key Vault", association="CSP_T1"),
            azure_row("A1", M, 850, service="Key Vault", association="CSP_T1")]
    rows += [usage_row("M1", BASE, 200, 50, workload=DEFENDER), usage_row("M1", M, 200, 150, workload=DEFENDER)]
    result = sec(rows, rules=rules)
    assert metric(result, "usage_growth", "smb", option="azure")[1] == pytest.approx(1)
    assert metric(result, "usage_growth", "smb", option="m365")[1] == pytest.approx(2)
    assert metric(result, "usage_growth", "smb")[1] == pytest.approx(3)


def test_explain_gives_each_part_its_own_reasons(rules):
    rows = monthly("A1", 500, 12) + [usage_row("M1", M, 3, 1, workload=DEFENDER)]
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=[AREA])
    adds = e.tenants.filter((e.tenants["metric"] == "net_customer_adds") & (e.tenants["track"] == "smb")
                            & (e.tenants["period"] == "current"))
    why = dict(zip(adds["option"], adds["why"], strict=True))
    assert why["azure"].startswith("USD 500") and "below the smb band (USD at least 600)" in why["azure"]
    assert "outside the smb seat band" in why["m365"]


M365_ADMIN_2023 = "Microsoft 365 Certified: Security Administrator Associate"


# June 2023 (H2): one track; one person per prerequisite step; "Example 1" (one person per step)
# gives 6.67 points. Security Operations Analyst was then in step 2 and in step 3, so its holder
# counts in both.
def early(cert, names):
    return [cert_row(n, cert, "2023-03-01") for n in names]


@pytest.mark.parametrize(("certs", "points"), [
    (early(ENGINEER, "a") + early(M365_ADMIN_2023, "b") + early(ARCHITECT, "c"), 20 / 3),
    (early(ENGINEER, "a") + early(ANALYST, "b") + early(ARCHITECT, "c"), 40 / 3),
    (early(ANALYST, "b") + early(ARCHITECT, "c"), 0),
])
def test_2023_skilling(rules_2023, certs, points):
    result = sec(certs=certs, rules=rules_2023, as_of="2023-11-21")
    assert metric(result, "intermediate_certifications", "enterprise")[1] == pytest.approx(points)


def test_2023_retired_step_2_certification_counts_through_june_2024(rules_2023):
    # two people per prerequisite step by then (the December 2023 change below)
    certs = early(ENGINEER, "ad") + early(M365_ADMIN_2023, "be") + early(ARCHITECT, "c")
    for day, points in (("2024-06-30", 20 / 3), ("2024-07-01", 0)):
        result = sec(certs=certs, rules=rules_2023, as_of=day)
        assert metric(result, "intermediate_certifications", "enterprise")[1] == pytest.approx(points), day


# H2 (June 2023) announces rules "effective from December 1, 2023"; pcs-rules.md §5.3: "From Dec 1
# 2023 the prerequisites needed >= 2 people each, and Security Operations Analyst was removed from
# step 3." The rulebook's [[changes]] make them take effect on that day, not before, not never.
DECEMBER_2023 = [
    # one person per step, the analyst in step 2 and step 3: 2 people in step 3, then nothing
    (early(ENGINEER, "a") + early(ANALYST, "b") + early(ARCHITECT, "c"), 40 / 3, 0),
    # two people per step: the analysts count in step 3 only until November 30
    (early(ENGINEER, "ad") + early(ANALYST, "be") + early(ARCHITECT, "c"), 20, 20 / 3),
]


@pytest.mark.parametrize(("certs", "before", "after"), DECEMBER_2023)
def test_2023_rules_effective_from_december_1_2023(rules_2023, certs, before, after):
    result = sec(certs=certs, rules=rules_2023, as_of=["2023-11-30", "2023-12-01"])
    points = dict(result.scores.filter(pl.col("metric") == "intermediate_certifications")
                  .select(pl.col("as_of").cast(pl.String), "points").iter_rows())
    assert points == pytest.approx({"2023-11-30": before, "2023-12-01": after})
    for day, expected in (("2023-11-30", before), ("2023-12-01", after)):   # one day at a time: the same
        one = sec(certs=certs, rules=rules_2023, as_of=day)
        assert metric(one, "intermediate_certifications", "enterprise")[1] == pytest.approx(expected), day


def test_2023_december_change_is_in_the_explanation(rules_2023):
    certs = early(ENGINEER, "a") + early(ANALYST, "b") + early(ARCHITECT, "c")
    data = make_data([], certs)
    for day, needed in (("2023-11-30", [1, 1]), ("2023-12-01", [2, 2])):
        steps = explain(data, partner_id="P1", as_of=day, rules=rules_2023, areas=[AREA]).steps
        assert steps["needed"].to_list() == needed, day


def test_2023_customer_adds_use_100_dollars_and_25_seats(rules_2023):
    rows = monthly("A1", 120, 12) + monthly("A2", 90, 12)
    rows += [usage_row("M1", M, 25, 5, workload=DEFENDER), usage_row("M2", M, 24, 5, workload=DEFENDER)]
    result = sec(rows, rules=rules_2023)
    assert metric(result, "net_customer_adds", "enterprise") == (2, 4)
    s = result.summary.row(0, named=True)
    assert (s["track"], s["track_basis"]) == ("enterprise", "only track")


@pytest.mark.parametrize(("rounding", "points"), [("exact", 40 / 3), ("one_decimal", 13.3), ("floor", 13)])
def test_points_rounding_setting(rules, rounding, points):
    # Whether Partner Center rounds is not stated (pcs-rules.md §7); S2 prints 13.3.
    area = rules.area(AREA)
    variant = dataclasses.replace(rules, areas={**rules.areas, AREA: dataclasses.replace(
        area, qualification=dataclasses.replace(area.qualification, points_rounding=rounding))})
    certs = people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "ab")
    assert metric(sec(certs=certs, rules=variant), "intermediate_certifications", "enterprise")[1] \
        == pytest.approx(points)
    three = people(ENGINEER, "ab") + people(ANALYST, "ab") + people(ARCHITECT, "cde")
    assert metric(sec(certs=three, rules=variant), "intermediate_certifications", "enterprise")[1] == 20


def test_a_varied_setting_holds_before_and_after_a_dated_change(rules_2023):
    from pcs_analysis.analysis.sensitivities import set_parameter
    varied = set_parameter(rules_2023, AREA, "intermediate_certifications.enterprise.full_marks_at", 3)
    certs = early(ENGINEER, "ad") + early(ANALYST, "be") + early(ARCHITECT, "cf")
    for day, points in (("2023-11-30", 40), ("2023-12-01", 80 / 3)):   # 4 x 40/3 capped; 2 x 40/3
        result = sec(certs=certs, rules=varied, as_of=day)
        assert metric(result, "intermediate_certifications", "enterprise")[1] == pytest.approx(points), day


def test_a_qualification_window_across_the_december_2023_change_scores_each_day_by_its_rules(rules_2023):
    from pcs_analysis.analysis.status import qualification
    certs = early(ENGINEER, "a") + early(ANALYST, "b") + early(ARCHITECT, "c")
    days = qualification(make_data([], certs), as_of="2023-12-05", rules=rules_2023, areas=[AREA]).days
    seen = {str(d): t for d, t in days.select("day", "total").iter_rows()}
    assert seen["2023-11-30"] == pytest.approx(40 / 3) and seen["2023-12-01"] == 0
