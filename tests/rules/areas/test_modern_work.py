"""Hand-built tenant- and person-level cases for each Modern Work rule."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

from pcs_analysis.analysis.explanation import explain
from tests.builders import AS_OF, BASE, M, cert_row, make_data, metric, steady, usage_row
from tests.builders import score_modern_work as score


def nca(rows, rules, track):
    return metric(score(make_data(rows), as_of=AS_OF, rules=rules), "net_customer_adds", track)[0]


@pytest.mark.parametrize(("paid", "is_smb", "is_enterprise"), [
    (10, False, False), (11, True, False), (300, True, False), (301, False, True)])
def test_seat_band_edges(rules, paid, is_smb, is_enterprise):
    rows = [usage_row("T1", M, paid, 1)]  # a new customer in the scored month
    assert nca(rows, rules, "smb") == int(is_smb)
    assert nca(rows, rules, "enterprise") == int(is_enterprise)


def test_one_workload_in_band_is_enough_and_a_tenant_can_be_in_both_tracks(rules):
    rows = [usage_row("T1", M, 500, 10, workload="Exchange Online"),
            usage_row("T1", M, 50, 10, workload="Teams")]
    assert nca(rows, rules, "enterprise") == 1
    assert nca(rows, rules, "smb") == 1


def test_ineligible_workloads_do_not_make_a_tenant_eligible(rules):
    rows = [usage_row("T1", M, 5000, 10, workload="Power BI Pro")]
    assert nca(rows, rules, "enterprise") == 0


@pytest.mark.parametrize(("association", "enterprise", "smb"), [
    ("CPOR", 1, 1), ("DPOR", 1, 0), ("CSP_T1", 0, 1), ("CSP_T2", 0, 1), ("PAL", 0, 0)])
def test_association_types_per_track(rules, association, enterprise, smb):
    rows = [usage_row("T1", M, 500, 10, association=association, workload="Exchange Online"),
            usage_row("T1", M, 100, 10, association=association, workload="Teams")]
    assert nca(rows, rules, "enterprise") == enterprise
    assert nca(rows, rules, "smb") == smb


def test_lost_customers_are_subtracted_and_negative_nets_earn_zero(rules):
    rows = [usage_row(f"T{i}", BASE, 500, 10) for i in range(3)] + [usage_row("T9", M, 500, 10)]
    value, points = metric(score(make_data(rows), as_of=AS_OF, rules=rules), "net_customer_adds",
                           "enterprise")
    assert (value, points) == (-2, 0)


def test_legacy_workload_names_resolve_through_aliases(rules_2023, rules):
    rows = [usage_row("T1", M, 500, 10, workload="ProPlus")]
    assert nca(rows, rules, "enterprise") == 1
    assert nca([usage_row("T1", M, 500, 10, workload="  microsoft 365 APPS ")], rules_2023, "enterprise") == 1


def test_usage_growth_is_credited_only_from_the_association_month(rules):
    # Associated in 2026-05 with 100 active users; 400 now: growth 300, not 400.
    rows = [usage_row("T1", "2026-05-01", 1000, 100, associated_on="2026-05-14"),
            usage_row("T1", M, 1000, 400, associated_on="2026-05-14")]
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules), "usage_growth", "enterprise",
                  option="CPOR")[0] == 300


def test_rows_before_the_association_began_do_not_count(rules):
    # A baseline row dated before the association: the tenant contributes from its association.
    rows = [usage_row("T1", BASE, 1000, 100, associated_on="2026-03-02"),
            usage_row("T1", "2026-03-01", 1000, 250, associated_on="2026-03-02"),
            usage_row("T1", M, 1000, 400, associated_on="2026-03-02")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules)
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 150
    assert metric(result, "net_customer_adds", "enterprise")[0] == 1


def test_usage_growth_of_a_lost_tenant_counts_as_a_loss(rules):
    rows = [usage_row("T1", BASE, 1000, 300)] + steady("T2", 1000, 100, 500)
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules), "usage_growth", "enterprise",
                  option="CPOR")[0] == 100


def test_tenant_leaving_the_band_loses_its_baseline(rules):
    rows = [usage_row("T1", BASE, 1000, 300), usage_row("T1", M, 200, 190)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules)
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == -300
    assert metric(result, "usage_growth", "smb", option="CPOR")[0] == 190


def _deployment_rows(share_at_association):
    return [usage_row("T1", "2026-06-01", 1000, int(1000 * share_at_association), associated_on="2026-06-03"),
            usage_row("T1", M, 1000, 600, associated_on="2026-06-03")]


def test_deployment_already_active_at_association_is_excluded(rules):
    result = score(make_data(_deployment_rows(0.5)), as_of=AS_OF, rules=rules)
    assert metric(result, "deployments", "enterprise", option="CPOR")[0] == 0
    e = explain(make_data(_deployment_rows(0.5)), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"])
    row = e.tenants.filter((pl.col("metric") == "deployments") & (pl.col("option") == "CPOR")
                           & (pl.col("track") == "enterprise") & (pl.col("period") == "current"))
    assert row["reason"].to_list() == ["active_at_association"]
    assert "already at 40% active" in row["why"][0]


def test_deployment_that_grew_after_association_counts(rules):
    result = score(make_data(_deployment_rows(0.2)), as_of=AS_OF, rules=rules)
    assert metric(result, "deployments", "enterprise", option="CPOR")[0] == 1


def test_exclusion_applies_only_within_twelve_months(rules):
    rows = [usage_row("T1", "2025-09-01", 1000, 500, associated_on="2025-09-03"),
            usage_row("T1", BASE, 1000, 300, associated_on="2025-09-03"),
            usage_row("T1", M, 1000, 600, associated_on="2025-09-03")]
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules), "deployments", "enterprise",
                  option="CPOR")[0] == 1


@pytest.mark.parametrize(("active", "deployed"), [(399, 0), (400, 1)])
def test_forty_percent_activity_edge(rules, active, deployed):
    rows = steady("T1", 1000, 100, active)
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules), "deployments", "enterprise",
                  option="CPOR")[0] == deployed


def test_any_workload_reading_versus_pooled(rules):
    import dataclasses
    rows = steady("T1", 1000, 100, 500, workload="Teams") + steady("T1", 1000, 0, 100, workload="Intune")
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules), "deployments", "enterprise",
                  option="CPOR")[0] == 1
    area = rules.area("modern_work")
    pooled_metric = area.metric("deployments").with_settings(active_share_basis="pooled")
    pooled_area = dataclasses.replace(area, metrics=tuple(
        pooled_metric if m.name == "deployments" else m for m in area.metrics))
    pooled = dataclasses.replace(rules, areas={"modern_work": pooled_area})
    assert metric(score(make_data(rows), as_of=AS_OF, rules=pooled), "deployments", "enterprise",
                  option="CPOR")[0] == 0  # 600 / 2000 = 30 %


def test_smb_promotion_rule_only_in_the_newest_rulebook(rules, rules_2023):
    rows = [usage_row("T1", "2025-12-01", 250, 10), usage_row("T1", M, 350, 10)]
    assert nca(rows, rules, "smb") == 1
    assert nca(rows, rules_2023, "smb") == 0
    # Grown past 300 more than 12 months after leaving the band: no longer promoted.
    old = [usage_row("T1", "2025-09-01", 250, 10), usage_row("T1", M, 350, 10)]
    assert nca(old, rules, "smb") == 0


CERT = "Microsoft 365 Certified: Teams Administrator Associate"


@pytest.mark.parametrize(("expires_on", "counted"), [("2026-11-20", 0), ("2026-11-21", 1), ("2026-11-22", 1),
                                                     (None, 1)])
def test_certification_expiry(rules, expires_on, counted):
    """Microsoft Learn shows an active credential as "Expires on <date>": it still counts on that
    day (`certifications.expiry = "last_day_counts"`)."""
    data = make_data(certs=[cert_row("a", CERT, "2025-01-01", expires_on)])
    assert metric(score(data, as_of=AS_OF, rules=rules), "intermediate_certifications", "smb")[0] == counted


@pytest.mark.parametrize(("expires_on", "counted"), [("2026-11-21", 0), ("2026-11-22", 1)])
def test_certification_expiry_other_reading(rules, expires_on, counted):
    """The named alternative: `expires_on` is the first day it no longer counts."""
    other = dataclasses.replace(rules, certification_expiry="first_day_not_counted")
    data = make_data(certs=[cert_row("a", CERT, "2025-01-01", expires_on)])
    assert metric(score(data, as_of=AS_OF, rules=other), "intermediate_certifications", "smb")[0] == counted


@pytest.mark.parametrize(("earned_on", "lag", "counted"), [
    ("2026-11-11", True, 1), ("2026-11-12", True, 0), ("2026-11-12", False, 1), ("2026-11-22", False, 0)])
def test_skilling_refresh_lag(rules, earned_on, lag, counted):
    data = make_data(certs=[cert_row("a", CERT, earned_on)])
    result = score(data, as_of=AS_OF, rules=rules, lag=lag)
    assert metric(result, "intermediate_certifications", "smb")[0] == counted


def test_one_person_with_several_certifications_counts_once_per_metric(rules):
    certs = [cert_row("a", CERT, "2025-01-01"),
             cert_row("a", "Identity and Access Administrator Associate", "2025-02-01"),
             cert_row("a", "microsoft 365 certified:  ENTERPRISE administrator expert", "2025-03-01")]
    result = score(make_data(certs=certs), as_of=AS_OF, rules=rules)
    assert metric(result, "intermediate_certifications", "enterprise") == (1, 2.5)
    assert metric(result, "advanced_certifications", "enterprise") == (1, 7.5)
    people = explain(make_data(certs=certs), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"]).people
    inter = people.filter(pl.col("metric") == "intermediate_certifications")
    assert sorted(inter["reason"].to_list()) == ["counted", "person_already_counted"]


def test_retired_certification_counts_through_its_date(rules):
    data = make_data(certs=[cert_row("a", "Microsoft 365 Fundamentals", "2026-01-10")])
    assert metric(score(data, as_of="2027-03-31", rules=rules), "intermediate_certifications", "smb")[0] == 1
    assert metric(score(data, as_of="2027-04-01", rules=rules), "intermediate_certifications", "smb")[0] == 0
    late = make_data(certs=[cert_row("a", "Microsoft 365 Fundamentals", "2026-04-10")])
    assert metric(score(late, as_of=AS_OF, rules=rules), "intermediate_certifications", "smb")[0] == 0


@pytest.mark.parametrize(("day", "month"), [(19, dt.date(2026, 9, 1)), (20, dt.date(2026, 10, 1))])
def test_as_of_uses_the_latest_published_month(rules, day, month):
    result = score(make_data([usage_row("T1", M, 500, 1)]), as_of=dt.date(2026, 11, day), rules=rules)
    assert result.summary["month"][0] == month


def test_area_keeps_the_track_with_the_higher_total_not_the_best_metrics(rules):
    # Enterprise: strong usage growth; SMB: strong net customer adds. No mixing of tracks.
    rows = steady("E1", 5000, 1000, 2000)
    rows += [usage_row(f"S{i}", M, 100, 10, association="CSP_T1") for i in range(10)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules)
    s = result.summary.row(0, named=True)
    ent = result.scores.filter(pl.col("track") == "enterprise")["points"].sum()
    smb = result.scores.filter(pl.col("track") == "smb")["points"].sum()
    assert s["total"] == max(ent, smb)
    assert s["track"] == ("enterprise" if ent > smb else "smb")
    assert s["other_track_total"] == min(ent, smb)


def test_partner_override_wins(rules):
    rows = steady("E1", 5000, 1000, 2000)
    data = make_data(rows, partners=[{"partner_id": "P1", "partner_name": "X", "track_modern_work": "smb"}])
    s = score(data, as_of=AS_OF, rules=rules).summary.row(0, named=True)
    assert (s["track"], s["track_basis"]) == ("smb", "partner override")


def test_qualification_needs_the_total_and_every_metric_above_zero(rules):
    rows = []
    for i in range(5):
        rows += [usage_row(f"N{i}", M, 1000, 600)]          # 5 new customers, deployed
    rows += steady("G1", 5000, 1000, 2000)                    # usage growth 1,000
    certs = [cert_row(f"i{i}", CERT, "2025-01-01") for i in range(4)]
    full = make_data(rows, certs + [cert_row(f"a{i}", "Enterprise Administrator Expert", "2025-01-01")
                                    for i in range(2)])
    s = score(full, as_of=AS_OF, rules=rules).summary.row(0, named=True)
    assert (s["total"], s["is_qualified"], s["missing_metrics"]) == (100, True, "")
    no_advanced = make_data(rows, certs)
    s = score(no_advanced, as_of=AS_OF, rules=rules).summary.row(0, named=True)
    assert (s["total"], s["is_qualified"], s["missing_metrics"]) == (85, False, "advanced_certifications")
    assert s["points_to_qualify"] == 0


def test_every_partner_appears_even_without_usage(rules):
    data = make_data([usage_row("T1", M, 500, 1)], [cert_row("a", CERT, "2025-01-01", partner="P2")])
    assert score(data, as_of=AS_OF, rules=rules).summary["partner_id"].to_list() == ["P1", "P2"]


def test_paid_units_are_one_figure_per_tenant_workload_month(rules):
    # Two association rows of the same workload disagree (250 vs 350 paid): the tenant's figure
    # is 350, so it is Enterprise-sized, not SMB, in that month.
    rows = [usage_row("T1", M, 250, 10, association="CPOR"), usage_row("T1", M, 350, 10, association="CSP_T1")]
    assert nca(rows, rules, "smb") == 0
    assert nca(rows, rules, "enterprise") == 1


def test_explain_lists_only_rows_the_area_reads_that_a_metric_rejects(rules):
    from tests.builders import azure_row
    rows = [usage_row("T1", M, 500, 10, workload="Teams Premium"), usage_row("T2", M, 500, 10, association="PAL"),
            azure_row("A1", M, 5000, association="CPOR")]
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules)
    mw = e.ignored.filter(pl.col("area") == "modern_work")
    assert set(mw["tenant_id"]) == {"T1", "T2"}  # no Azure row in Modern Work
    assert set(mw.filter(pl.col("tenant_id") == "T1")["metric"]) == {"net_customer_adds"}  # UG/deployments count it
    azure = e.ignored.filter(pl.col("area") == "data_ai")
    assert set(azure["tenant_id"]) == {"A1"} and azure["why"].str.contains("association type CPOR").all()


def test_ignored_rows_are_in_one_order_on_every_run(rules):
    """A rejected workload under several association types: the rows are ordered by association
    too (the file `pcs explain --out` writes is the same on every run)."""
    rows = [usage_row("T1", M, 500, 10, workload="Teams Premium", association=a) for a in ("CSP_T1", "PAL", "CPOR")]
    keys = ["metric", "track", "tenant_id", "workload", "month", "association"]
    for _ in range(5):
        e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules)
        mw = e.ignored.filter(pl.col("area") == "modern_work")
        assert mw.height >= 3
        assert mw.equals(mw.sort(keys, maintain_order=True))
