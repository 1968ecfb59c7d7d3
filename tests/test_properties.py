"""Invariants of scoring on random data (Hypothesis)."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import AS_OF, cert_row, make_data, usage_row
from tests.builders import score_modern_work as score

pytestmark = pytest.mark.slow  # many generated examples

MONTHS = ["2025-06-01", "2025-10-01", "2026-03-01", "2026-10-01"]
ASSOCIATIONS = ["CPOR", "DPOR", "CSP_T1", "CSP_T2", "PAL"]
WORKLOADS = ["Exchange Online", "Teams", "Intune", "Power BI Pro"]
CERTS = ["Teams Administrator Associate", "Enterprise Administrator Expert", "Azure Administrator Associate"]

row = st.builds(
    lambda p, t, m, w, a, paid, share, assoc: usage_row(
        f"T{t}", m, paid, int(paid * share), partner=f"P{p}", workload=w, association=a,
        associated_on=assoc),
    st.integers(1, 3), st.integers(1, 6), st.sampled_from(MONTHS), st.sampled_from(WORKLOADS),
    st.sampled_from(ASSOCIATIONS), st.integers(0, 2000), st.floats(0, 1),
    st.sampled_from([None, "2025-01-15", "2026-02-10", "2026-09-30"]))
cert = st.builds(
    lambda p, person, c, earned, expires: cert_row(
        f"x{person}", c, earned, expires if expires is None or expires > earned else None, partner=f"P{p}"),
    st.integers(1, 3), st.integers(1, 5), st.sampled_from(CERTS),
    st.sampled_from(["2024-05-01", "2026-11-15"]), st.sampled_from([None, "2026-12-01", "2026-11-01"]))


def unique_rows(rows):
    seen, out = set(), []
    for r in rows:
        key = (r["partner_id"], r["tenant_id"], r["month"], r["workload"], r["association"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def unique_certs(rows):
    return list({(r["partner_id"], r["person_id"], r["certification"], r["earned_on"]): r for r in rows}.values())


data_st = st.tuples(st.lists(row, max_size=40).map(unique_rows), st.lists(cert, max_size=10).map(unique_certs))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data_st)
def test_points_stay_within_bounds(rules, data):
    usage, certs = data
    result = score(make_data(usage, certs), as_of=AS_OF, rules=rules)
    options = result.options
    assert (options["points"] >= 0).all() and (options["points"] <= options["max_points"]).all()
    assert (result.summary["total"] <= 100).all() and (result.summary["total"] >= 0).all()
    # The kept option is the best one.
    best = options.group_by("partner_id", "track", "metric").agg(pl.col("points").max())
    joined = result.scores.join(best, on=["partner_id", "track", "metric"])
    assert (joined["points"] == joined["points_right"]).all()


@SETTINGS
@given(data_st, st.randoms(use_true_random=False))
def test_independent_of_row_order(rules, data, rnd):
    usage, certs = data
    shuffled_usage, shuffled_certs = usage[:], certs[:]
    rnd.shuffle(shuffled_usage)
    rnd.shuffle(shuffled_certs)
    a = score(make_data(usage, certs), as_of=AS_OF, rules=rules)
    b = score(make_data(shuffled_usage, shuffled_certs), as_of=AS_OF, rules=rules)
    assert a.scores.equals(b.scores) and a.summary.equals(b.summary)


@SETTINGS
@given(data_st)
def test_a_partner_scored_alone_equals_scored_among_others(rules, data):
    usage, certs = data
    together = score(make_data(usage, certs), as_of=AS_OF, rules=rules).scores
    for pid in together["partner_id"].unique().to_list():
        alone = score(make_data([r for r in usage if r["partner_id"] == pid],
                                [c for c in certs if c["partner_id"] == pid]), as_of=AS_OF, rules=rules)
        assert alone.scores.equals(together.filter(pl.col("partner_id") == pid))


@SETTINGS
@given(data_st, st.integers(1, 3), st.sampled_from(CERTS[:2]))
def test_another_certified_person_never_lowers_a_score(rules, data, partner, certification):
    usage, certs = data
    before = score(make_data(usage, certs), as_of=AS_OF, rules=rules).scores
    more = certs + [cert_row("new-person", certification, "2024-01-01", partner=f"P{partner}")]
    after = score(make_data(usage, more), as_of=AS_OF, rules=rules).scores
    joined = before.join(after, on=["partner_id", "area", "track", "metric"], how="left")
    assert (joined["points_right"] >= joined["points"]).all()


@SETTINGS
@given(data_st, st.integers(1, 500))
def test_more_active_users_in_the_scored_month_never_lower_usage_growth(rules, data, extra):
    usage, certs = data
    before = score(make_data(usage, certs), as_of=AS_OF, rules=rules).options
    grown = [dict(r, active_units=r["active_units"] + extra) if r["month"] == "2026-10-01" else r
             for r in usage]
    after = score(make_data(grown, certs), as_of=AS_OF, rules=rules).options
    keys = ["partner_id", "area", "track", "metric", "option"]
    joined = before.filter(pl.col("metric") == "usage_growth").join(after, on=keys, how="left", nulls_equal=True)
    assert (joined["value_right"] >= joined["value"]).all()
    assert (joined["points_right"] >= joined["points"]).all()
