"""Recommendations: every figure is a rescoring, the ranking is right, and each risk type shows."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

import pcs_analysis as pcs
from pcs_analysis.analysis.recommendations import recommend
from pcs_analysis.engine.scoring import score
from tests.builders import ADVANCED, almost_qualified, cert_row, make_data, usage_row

AS_OF = "2026-11-21"


def mw(data):
    return recommend(data, as_of=AS_OF, areas=["modern_work"]).table


def kept_total(data):
    return score(data, as_of=AS_OF, areas=["modern_work"]).summary.row(0, named=True)


def test_points_still_needed_and_metrics_at_zero():
    r = mw(almost_qualified())
    need = r.filter(pl.col("type") == "to_qualify").row(0, named=True)
    assert need["points_change"] == pytest.approx(3)
    assert need["recommendation"] == ("3.0 more points needed on the enterprise track; "
                                      "metrics at zero: advanced_certifications")


def test_the_top_action_adds_the_most_points_as_rescoring_confirms():
    data = almost_qualified()
    r = mw(data)
    actions = r.filter((pl.col("type") == "action") & (pl.col("track") == "enterprise"))
    top = actions.filter(pl.col("rank") == 1).row(0, named=True)
    assert top["points_change"] == actions["points_change"].max()
    assert top["kind"] == "add_person" and top["metric"] == "advanced_certifications"
    assert top["points_change"] == pytest.approx(7.5) and top["is_qualified_after"]
    # Apply it by hand: one more person with the advanced certification, earned in time.
    certs = data.certifications.collect().vstack(pl.DataFrame(
        [cert_row("someone", ADVANCED, "2026-11-11")]).with_columns(
        pl.col("earned_on").str.to_date(), pl.lit(None, pl.Date).alias("expires_on")).select(
        data.certifications.collect_schema().names()))
    after = kept_total(dataclasses.replace(data, certifications=certs.lazy()))
    assert after["total"] == pytest.approx(top["total_after"]) and after["is_qualified"]


def test_every_action_figure_is_a_rescoring():
    data = almost_qualified()
    r = mw(data)
    # Enterprise customer adds are at their maximum already: the action shows on the SMB track.
    assert r.filter((pl.col("kind") == "add_customer") & (pl.col("track") == "enterprise")).height == 0
    add_customer = r.filter((pl.col("kind") == "add_customer") & (pl.col("track") == "smb")).row(0, named=True)
    new = make_data([usage_row("new", "2026-10-01", 11, 0, workload="Exchange Online")]).usage.collect()
    usage = pl.concat([data.usage.collect(), new])
    after = kept_total(dataclasses.replace(data, usage=usage.lazy()))
    assert after["other_track"] == "smb"
    assert after["other_track_total"] == pytest.approx(add_customer["total_after"])
    assert add_customer["points_change"] == pytest.approx(2)


def test_expiring_certification_is_a_risk_with_the_points_it_costs():
    day = dt.date.fromisoformat(AS_OF)
    # Expires on the day after AS_OF: it counts through that day and stops the day after.
    expiring = cert_row("adv", ADVANCED, "2026-01-10", (day + dt.timedelta(days=1)).isoformat())
    r = mw(almost_qualified([expiring]))
    risk = r.filter(pl.col("kind") == "certification_expires").row(0, named=True)
    assert risk["subject"] == "adv" and risk["points_change"] == pytest.approx(-7.5)
    assert not risk["is_qualified_after"]
    assert "stops counting on 2026-11-23" in risk["recommendation"]


def test_customer_loss_and_leaving_the_band_are_risks():
    r = mw(almost_qualified())
    lost = r.filter(pl.col("kind") == "customer_lost")
    # Each of the five tenants: one customer add (4), one deployment (5) and 130 users (3.9).
    assert lost.height == 5 and lost["points_change"].to_list() == pytest.approx([-12.9] * 5)
    assert lost["recommendation"][0] == "losing T0 would cost 12.9 points"
    band = r.filter(pl.col("kind") == "customer_leaves_band")
    assert band.height == 5 and "falling below 301 paid licences" in band["recommendation"][0]


def test_association_gap_with_the_points_an_association_would_add():
    data = almost_qualified()
    rows = data.usage.collect()
    pal = rows.filter(pl.col("tenant_id") == "T0").with_columns(pl.lit("GAP").alias("tenant_id"),
                                                                pl.lit("PAL").alias("association"))
    data = dataclasses.replace(data, usage=pl.concat([rows, pal]).lazy())
    gap = mw(data).filter(pl.col("type") == "gap").row(0, named=True)
    assert gap["subject"] == "GAP" and "associated via PAL" in gap["recommendation"]
    # Customer adds and deployments are at their maximum: only the 130 users of growth count.
    assert gap["points_change"] == pytest.approx(130 * 30 / 1000)


def test_sample_recommendations_are_ranked_per_partner_and_track(sample_data):
    result = recommend(sample_data.only_partners(["P001", "P005"]), as_of=AS_OF,
                       areas=["security", "business_applications"])
    r, actions = result.table, result.actions
    assert actions.equals(r.filter(pl.col("type") == "action"))
    assert actions.height > 0 and (actions["points_change"] > 0).all()
    # Ranks run 1, 2, ... in each partner's area and track, and points never grow down the ranks.
    for _, group in actions.group_by("partner_id", "area", "track"):
        ranked = group.sort("rank")
        assert ranked["rank"].to_list() == list(range(1, ranked.height + 1))
        assert (ranked["points_change"].diff().drop_nulls() <= 0).all()
    assert actions.group_by("partner_id", "area", "track").len()["len"].max() > 1
    assert (r.filter(pl.col("type") == "risk")["points_change"] < 0).all()


def test_moving_a_tenant_to_the_better_association_option():
    # SMB: 100 more active users via CSP (2,000 for full marks) earn 1.5 points; via CPOR (500)
    # 6. The tenant is also one deployment: 2.5 points via CSP (10), 5 via CPOR (5).
    rows = [usage_row("T1", "2025-10-01", 200, 50, association="CSP_T1"),
            usage_row("T1", "2026-10-01", 200, 150, association="CSP_T1")]
    r = mw(make_data(rows))
    move = r.filter(pl.col("kind") == "move_association").row(0, named=True)
    assert move["track"] == "smb" and move["metric"] == "usage_growth, deployments"
    assert move["points_change"] == pytest.approx(4.5 + 2.5)
    assert "associate T1 via CPOR instead of CSP" in move["recommendation"]


def test_enrolled_partner_risks_reach_to_the_end_of_the_renewal_window():
    from tests.builders import enrolled
    expiring = cert_row("adv", ADVANCED, "2026-01-10", "2027-03-15")
    data = almost_qualified([expiring])
    assert mw(data).filter(pl.col("kind") == "certification_expires").height == 0   # months away
    renewing = enrolled(data, "2026-04-10", "2027-04-10")                          # window to 2027-04-30
    risk = mw(renewing).filter(pl.col("kind") == "certification_expires").row(0, named=True)
    assert risk["points_change"] == pytest.approx(-7.5)


def _enterprise_short_of_two_steps():
    """Data & AI on the Enterprise track at 60 points without skilling: step 1 (two people
    needed) has one person, step 2 (two needed) nobody, the scoring step one person, so one more
    person in any one step changes nothing."""
    from tests.builders import azure_row
    rows = [azure_row("T1", "2025-10-01", 4000, segment="Enterprise")]
    rows += [azure_row("T1", "2026-10-01", 5000 if i == 0 else 10, service=s, segment="Enterprise")
             for i, s in enumerate(["Azure SQL Database", "Storage", "Key Vault", "Azure Monitor", "Azure Cosmos DB"])]
    rows += [azure_row(f"N{i}", "2026-10-01", 1500, segment="Enterprise") for i in range(3)]
    return make_data(rows, [cert_row("a", "Microsoft Certified: Azure Administrator Associate", "2025-01-01"),
                            cert_row("d", "Microsoft Certified: Azure Database Administrator Associate", "2025-01-01")])


def test_the_people_that_open_the_prerequisite_steps_are_recommended_and_explained():
    from pcs_analysis.analysis.explanation import explain
    from pcs_analysis.analysis.track_comparison import track_choice
    from pcs_analysis.analysis.whatif import what_if
    from pcs_analysis.present.terminal import format_explanation
    data = _enterprise_short_of_two_steps()
    e = explain(data, "P1", as_of=AS_OF, areas=["data_ai"])
    steps = e.steps.filter(pl.col("track") == "enterprise").select("step", "people", "needed", "lacking").rows()
    assert steps == [("step 1", 1, 2, 1), ("step 2", 0, 2, 2)]
    text = format_explanation(e)
    assert "- intermediate_certifications: value 1 -> 0.0 of 40 points" in text
    assert "step 1: counted: a (1), needs 2: 1 more person" in text
    assert "step 2: counted: nobody (0), needs 2: 2 more people" in text
    assert ("the points need every step met on the enterprise track: step 1 has 1 of the 2 people it needs; "
            "step 2 has 0 of the 2 people it needs") in text

    table = recommend(data, as_of=AS_OF, areas=["data_ai"]).table
    opening = table.filter((pl.col("kind") == "open_steps") & (pl.col("track") == "enterprise"))
    assert opening.height == 1 and opening["points_change"].to_list() == [4.0]
    assert opening["recommendation"][0].startswith(
        "intermediate_certifications: certify the people the steps lack: 1 in step 1 (Microsoft Certified: Azure "
        "Administrator Associate), 2 in step 2 (Microsoft Certified: Azure Solutions Architect Expert)")
    # No single person helps on the Enterprise track: each would be measured at 0 and left out.
    assert table.filter((pl.col("kind") == "add_person") & (pl.col("track") == "enterprise")).height == 0
    # Replayed with what_if, the candidate's actions give the change it states.
    from pcs_analysis.analysis.recommendations import measured_actions
    from pcs_analysis.analysis.whatif import Scenario
    candidates, measured = measured_actions(data, as_of=AS_OF, area="data_ai")
    row = measured.filter((pl.col("kind") == "open_steps") & (pl.col("track") == "enterprise")).row(0, named=True)
    actions = candidates[row["candidate"]].actions
    assert [(a.certification.split(": ")[1], a.count) for a in actions] == [
        ("Azure Administrator Associate", 1), ("Azure Solutions Architect Expert", 2)]
    after = what_if(data, [Scenario("open", actions)], as_of=AS_OF, areas=["data_ai"]).metrics.filter(
        (pl.col("metric") == "intermediate_certifications") & (pl.col("track") == "enterprise"))
    assert after["points_after"].to_list() == [4.0]
    path = track_choice(data, "P1", as_of=AS_OF, areas=["data_ai"]).paths.filter(pl.col("track") == "enterprise")
    assert path["is_qualified"].to_list()[-1] and path["total"].to_list()[:2] == [60.0, 64.0]


def test_an_enrolled_partners_risk_is_measured_on_the_track_its_enrollment_keeps(sample_data):
    """P011 is enrolled in Infrastructure on the SMB track (kept until the anniversary): a
    candidate's copy keeps the enrollment, so losing a customer costs what `what_if` says, not
    the loss on a track the copy would otherwise switch to."""
    from pcs_analysis.analysis.whatif import LoseCustomer, Scenario, what_if
    mine = sample_data.only_partners(["P011"])
    risks = recommend(mine, as_of="2026-11-21", areas=["infrastructure"]).table
    lost = risks.filter((pl.col("kind") == "customer_lost") & pl.col("recommendation").str.contains("P011-A000"))
    replay = what_if(mine, [Scenario("lose", (LoseCustomer("P011", "P011-A000"),))], as_of="2026-11-21",
                     areas=["infrastructure"])
    assert replay.summary["track_before"][0] == replay.summary["track_after"][0] == "smb"
    assert lost["points_change"][0] == pytest.approx(replay.summary["total_change"][0]) == -20


def test_the_result_read_as_the_table_still_answers_with_a_deprecation_warning(sample_data):
    """`recommend` returned the table itself until this release: code reading the result as a
    frame keeps working for one release, warned."""
    result = recommend(sample_data.only_partners(["P005"]), as_of=AS_OF, areas=["modern_work"])
    assert isinstance(result, pcs.Recommendations) and isinstance(result.table, pl.DataFrame)
    with pytest.warns(DeprecationWarning, match="read its rows from `.table`"):
        assert result.height == result.table.height
    with pytest.warns(DeprecationWarning):
        assert result["type"].to_list() == result.table["type"].to_list()
    assert result.risks.equals(result.table.filter(pl.col("type") == "risk"))
