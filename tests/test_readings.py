"""The readings of Microsoft's text that decide figures, each pinned by the sentence it rests on
(README, "Readings")."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

from pcs_analysis.explain import explain
from pcs_analysis.forecast import forecast
from pcs_analysis.scoring import is_preferred, score
from pcs_analysis.sensitivity import sensitivity
from pcs_analysis.status import qualification
from tests.builders import AS_OF, BASE, M, cert_row, make_data, metric, usage_row

INTERMEDIATE = "Microsoft 365 Certified: Teams Administrator Associate"
ADVANCED = "Microsoft 365 Certified: Enterprise Administrator Expert"


def hidden_smb_qualification():
    """Enterprise 80 points with net customer adds at 0; SMB 78 points with every metric above
    the minimum.

    Enterprise: five tenants present a year ago (no net add) that grew from 100 to 600 active of
    1,000 paid: 5 deployments (25), 2,500 more users (30), 4 intermediate (10), 2 advanced (15).
    SMB: five new tenants with 60 of 100 active: 5 adds (10), 5 deployments (25), 300 users (18),
    the same people (10 + 15).
    """
    rows = []
    for i in range(5):
        rows += [usage_row(f"E{i}", BASE, 1000, 100), usage_row(f"E{i}", M, 1000, 600)]
        rows += [usage_row(f"S{i}", M, 100, 60)]
    certs = [cert_row(f"i{i}", INTERMEDIATE, "2025-01-01") for i in range(4)]
    certs += [cert_row(f"a{i}", ADVANCED, "2025-01-01") for i in range(2)]
    return make_data(rows, certs)


def test_a_qualifying_track_is_kept_over_a_higher_total_that_does_not_qualify(rules):
    """S3: "Microsoft evaluates partners on both paths and selects the highest score from either
    path"; H3 (2023): "choose the highest scores towards qualifying". A partner qualifies when
    any scored track qualifies, and the kept track is a qualifying one."""
    result = score(hidden_smb_qualification(), as_of=AS_OF, rules=rules, areas=["modern_work"])
    s = result.summary.row(0, named=True)
    assert (s["track"], s["total"], s["is_qualified"], s["track_basis"]) == ("smb", 78, True, "qualifying track")
    assert (s["other_track"], s["other_track_total"], s["other_track_is_qualified"]) == ("enterprise", 80, False)


def test_status_history_forecast_and_sensitivity_follow_the_same_track_rule(rules):
    data = hidden_smb_qualification()
    q = qualification(data, as_of=AS_OF, rules=rules, areas=["modern_work"]).status.row(0, named=True)
    assert (q["status"], q["is_qualified_today"], q["track_today"]) == ("Qualified", True, "smb")
    assert q["days_qualified"] > 0
    f = forecast(data, "P1", as_of=AS_OF, area="modern_work", paths=50, seed=1, months=1, rules=rules)
    assert f.already_qualified and f.probability == 1.0
    s = sensitivity(data, as_of=AS_OF, area="modern_work", grid={"min_total_points": [70, 79, 81]}, rules=rules)
    qualified = {float(k): n for k, n in s.variants.select("min_total_points", "partners_qualified").iter_rows()}
    # At 79 only SMB (78) misses the bar and Enterprise still has a metric at zero.
    assert qualified == {70: 1, 79: 0, 81: 0}


def test_equal_totals_keep_the_rulebook_order_and_qualification_decides_first():
    frame = pl.DataFrame({"q_a": [False, True, True, False], "t_a": [80.0, 70.0, 75.0, 60.0],
                          "q_b": [True, False, True, False], "t_b": [74.0, 90.0, 75.0, 60.0]})
    preferred = frame.select(is_preferred(pl.col("q_b"), pl.col("t_b"), pl.col("q_a"), pl.col("t_a")))
    assert preferred.to_series().to_list() == [True, False, False, False]


def _growth_points(rules, users):
    rows = [usage_row("G1", BASE, 5000, 1000), usage_row("G1", M, 5000, 1000 + users)]
    return metric(score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"]),
                  "usage_growth", "enterprise")


def test_a_metric_needs_at_least_one_point(rules):
    """S3: "at least one point in each of the following individual metrics" (S1: "one or more
    points"); only H5 says "greater than zero points". 10 more users = 0.3 points: not enough."""
    rows = [usage_row("G1", BASE, 5000, 1000), usage_row("G1", M, 5000, 1010)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    row = result.scores.filter((pl.col("metric") == "usage_growth") & (pl.col("track") == "enterprise")).row(
        0, named=True)
    assert row["points"] == pytest.approx(0.3) and not row["is_above_minimum"]
    general = dataclasses.replace(rules.qualification, min_metric_points=0, min_metric_comparison="gt")
    other = dataclasses.replace(rules, areas={"modern_work": dataclasses.replace(
        rules.area("modern_work"), qualification=general)})
    again = score(make_data(rows), as_of=AS_OF, rules=other, areas=["modern_work"])
    assert again.scores.filter((pl.col("metric") == "usage_growth")
                               & (pl.col("track") == "enterprise"))["is_above_minimum"][0]


def test_both_rulebooks_default_to_at_least_one_point(rules, rules_2023):
    for book in (rules, rules_2023):
        for area in book.areas.values():
            assert (area.qualification.min_metric_points, area.qualification.min_metric_comparison) == (1, "ge")


@pytest.mark.parametrize(("active_at_association", "deployments"), [(399, 1), (400, 1), (401, 0)])
def test_already_greater_than_forty_percent_at_association_is_strict(rules, active_at_association, deployments):
    """S3: "excludes deployments that were claimed or associated within the last 12 months and were
    already greater than 40% at the time of claim or association": exactly 40 % is not excluded."""
    rows = [usage_row("T1", "2026-06-01", 1000, active_at_association, associated_on="2026-06-03"),
            usage_row("T1", M, 1000, 600, associated_on="2026-06-03")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "deployments", "enterprise", option="CPOR")[0] == deployments


def test_growth_is_credited_only_since_association_whatever_the_band_then(rules):
    """S3: "You can only receive points for usage growth from the time you claim or associate with
    a customer." Associated in 2026-05 with 5 paid licences (below every seat band then) and 100
    active users; 400 active of 1,000 paid now: growth 300, not 400."""
    rows = [usage_row("T1", "2026-05-01", 5, 100, associated_on="2026-05-14"),
            usage_row("T1", M, 1000, 400, associated_on="2026-05-14")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 300


def test_a_customer_associated_after_the_baseline_and_not_counted_now_adds_nothing(rules):
    """The formula compares the scored month with the same month last year: a customer associated
    in between that is not counted now (here: below the band) contributes nothing."""
    rows = [usage_row("T1", "2026-05-01", 1000, 300, associated_on="2026-05-14"),
            usage_row("T1", M, 200, 190, associated_on="2026-05-14")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 0
    why = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"]).tenants.filter(
        (pl.col("metric") == "usage_growth") & (pl.col("track") == "enterprise") & (pl.col("period") == "baseline"))
    assert why["reason"].to_list() == ["not_counted_in_scored_month"]


def test_a_certification_counts_on_its_expiry_date_and_explain_says_through(rules):
    """Microsoft Learn shows an active credential as "Expires on <date>": it counts that day."""
    data = make_data(certs=[cert_row("a", INTERMEDIATE, "2025-01-01", AS_OF.isoformat()),
                            cert_row("b", INTERMEDIATE, "2025-01-01", (AS_OF - dt.timedelta(days=1)).isoformat())])
    people = explain(data, "P1", as_of=AS_OF, rules=rules, areas=["modern_work"]).people
    rows = {r["person_id"]: r for r in people.filter(pl.col("metric") == "intermediate_certifications")
            .iter_rows(named=True)}
    assert rows["a"]["is_counted"] and rows["a"]["why"] == f"counted (counts through {AS_OF})"
    assert not rows["b"]["is_counted"] and rows["b"]["why"] == f"expired: counted through {AS_OF - dt.timedelta(days=1)}"


def _data_ai_smb(certified: bool):
    """Data & AI, every customer SMB: 3 new customers of USD 600 (30), ACR from 1,000 to 3,000
    (20), five services (10) and, when `certified`, 4 + 4 + 6 x 4 = 32 skilling points."""
    from tests.builders import azure_row

    services = ["Azure SQL Database", "Storage", "Azure Cosmos DB", "Azure Databricks", "Azure OpenAI"]
    rows = [azure_row("B", BASE, 1000, segment="SMB"), azure_row("B", M, 1200, segment="SMB")]
    rows += [azure_row(f"N{i}", M, 200, service=s, segment="SMB") for i in range(3) for s in services[i:i + 3]]
    certs = []
    if certified:
        certs = [cert_row("admin", "Microsoft Certified: Azure Administrator Associate", "2025-01-01"),
                 cert_row("arch", "Microsoft Certified: Azure Solutions Architect Expert", "2025-01-01")]
        certs += [cert_row(f"d{i}", "Microsoft Certified: Azure Database Administrator Associate", "2025-01-01")
                  for i in range(6)]
    data = make_data(rows, certs)
    return dataclasses.replace(data, enrollments=pl.DataFrame(
        {"partner_id": ["P1"], "area": ["data_ai"], "enrolled_on": [AS_OF],
         "anniversary_on": [dt.date(2027, 11, 21)]}).lazy())


@pytest.mark.parametrize(("certified", "track"), [(True, "smb"), (False, "enterprise")])
def test_azure_enrolled_track_without_a_track_column_comes_from_the_scoring_history(rules, certified, track):
    """S1, "Enrollment track": SMB "if you qualified as SMB at least once" in the window ("at least
    one SMB in the six rows" of the scoring history), otherwise Enterprise; fixed until renewal."""
    result = score(_data_ai_smb(certified), as_of=AS_OF, rules=rules, areas=["data_ai"])
    s = result.summary.row(0, named=True)
    assert s["track"] == track
    assert s["track_basis"].startswith("enrolled track (from the scoring history")
    if certified:
        assert s["is_qualified"] and s["total"] == pytest.approx(92)
