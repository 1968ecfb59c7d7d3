"""Invariants of scoring every area on random Microsoft 365, Azure and Dynamics data (Hypothesis)."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import CERTS, SETTINGS, cert_row, data_st
from tests.builders import score_generated as run

pytestmark = pytest.mark.slow  # many generated examples


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
