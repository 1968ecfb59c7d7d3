"""Invariants of scoring every area on random Microsoft 365, Azure and Dynamics data (Hypothesis)."""

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcs_analysis.engine.scoring import score
from tests.builders import AS_OF, azure_row, cert_row, dynamics_row, make_data, usage_row

MONTHS = ["2025-09-01", "2025-10-01", "2026-03-01", "2026-09-01", "2026-10-01"]
M365 = ["Exchange Online", "Intune", "Microsoft Defender for Office 365", "Microsoft Defender for Identity"]
AZURE = ["Azure SQL Database", "Key Vault", "Sentinel", "Virtual Machines", "Azure Firewall"]
DYNAMICS = ["Sales", "Customer Service", "Business Central", "Power Apps", "Customer Insights"]
CERTS = [
    "Teams Administrator Associate", "Azure Administrator Associate", "Azure Solutions Architect Expert",
    "Azure Database Administrator Associate", "Azure Network Engineer Associate",
    "Azure Security Engineer Associate", "Security Operations Analyst Associate", "Cybersecurity Architect Expert",
    "Power Platform Developer Associate", "Power Platform Solution Architect Expert",
]

m365_row = st.builds(
    lambda p, t, m, w, a, paid, share: usage_row(f"M{t}", m, paid, int(paid * share), partner=f"P{p}",
                                                 workload=w, association=a),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(M365),
    st.sampled_from(["CPOR", "DPOR", "CSP_T1"]), st.integers(0, 800), st.floats(0, 1))
azure = st.builds(
    lambda p, t, m, s, a, acr, seg: azure_row(f"A{t}", m, acr, service=s, partner=f"P{p}", association=a,
                                              segment=seg),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(AZURE),
    st.sampled_from(["PAL", "CSP_T1", "DPOR", "CPOR"]), st.floats(0, 20_000).map(lambda x: round(x, 2)),
    st.sampled_from([None, "SMB", "Enterprise"]))
dynamics = st.builds(
    lambda p, t, m, w, a, mau, revenue: dynamics_row(f"D{t}", m, w, active=mau, revenue=revenue, partner=f"P{p}",
                                                     association=a),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(DYNAMICS),
    st.sampled_from(["PAL", "DPOR", "CPOR_REVREC", "CPOR_OSU", "CSP_T2"]), st.integers(0, 300),
    st.floats(0, 9000).map(lambda x: round(x, 2)))
cert = st.builds(
    lambda p, person, c, earned: cert_row(f"x{person}", c, earned, partner=f"P{p}"),
    st.integers(1, 2), st.integers(1, 5), st.sampled_from(CERTS), st.sampled_from(["2024-05-01", "2026-11-15"]))


def unique(rows, keys):
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


USAGE_KEY = ["partner_id", "tenant_id", "month", "workload", "association"]
CERT_KEY = ["partner_id", "person_id", "certification", "earned_on"]
data_st = st.tuples(
    st.lists(st.one_of(m365_row, azure, dynamics), max_size=40).map(lambda rows: unique(rows, USAGE_KEY)),
    st.lists(cert, max_size=12).map(lambda rows: unique(rows, CERT_KEY)))
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(usage, certs, rules):
    return score(make_data(usage, certs), as_of=AS_OF, rules=rules)


@SETTINGS
@given(data_st)
def test_points_stay_within_bounds_in_every_area(rules, data):
    result = run(*data, rules)
    for frame in (result.options, result.scores):
        assert (frame["points"] >= 0).all() and (frame["points"] <= frame["max_points"] + 1e-9).all()
    totals = result.summary
    assert (totals["total"] >= 0).all() and (totals["total"] <= 100 + 1e-9).all()
    assert totals.group_by("partner_id").len()["len"].to_list() == [len(rules.areas)] * totals["partner_id"].n_unique()
    # A sum of parts never earns more than its parts' points.
    parts = result.options.filter(pl.col("option").is_in(["azure", "m365"])).group_by(
        "partner_id", "area", "track", "metric").agg(pl.col("points").sum())
    joined = result.scores.join(parts, on=["partner_id", "area", "track", "metric"])
    assert (joined["points"] <= joined["points_right"] + 1e-9).all()


@SETTINGS
@given(data_st, st.integers(1, 2), st.sampled_from(CERTS))
def test_another_certified_person_never_lowers_skilling_in_any_area(rules, data, partner, certification):
    usage, certs = data
    before = run(usage, certs, rules).scores.filter(pl.col("category") == "skilling")
    more = certs + [cert_row("new-person", certification, "2024-01-01", partner=f"P{partner}")]
    after = run(usage, more, rules).scores.filter(pl.col("category") == "skilling")
    joined = before.join(after, on=["partner_id", "area", "track", "metric"], how="left")
    assert (joined["points_right"] >= joined["points"] - 1e-9).all()


@SETTINGS
@given(data_st, st.floats(1, 5000))
def test_more_revenue_in_the_scored_month_never_lowers_open_ended_revenue_metrics(rules, data, extra):
    # Metrics whose bands have no upper end: Azure customer adds and usage growth, Business
    # Applications customer adds.
    usage, certs = data
    grown = [dict(r, revenue_usd=round(r["revenue_usd"] + extra, 2))
             if r["month"] == "2026-10-01" and r["revenue_usd"] is not None else r for r in usage]
    keys = ["partner_id", "area", "track", "metric", "option"]
    watched = (pl.col("area").is_in(["data_ai", "infrastructure", "business_applications"])
               & pl.col("metric").is_in(["net_customer_adds", "usage_growth"])
               & ~((pl.col("area") == "business_applications") & (pl.col("metric") == "usage_growth")))
    before = run(usage, certs, rules).options.filter(watched)
    after = run(grown, certs, rules).options.filter(watched)
    joined = before.join(after, on=keys, how="left", nulls_equal=True)
    assert (joined["points_right"] >= joined["points"] - 1e-9).all()
