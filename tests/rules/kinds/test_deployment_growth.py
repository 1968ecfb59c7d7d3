"""deployment_growth (Modern Work's deployments): customers whose active share of paid units
reaches the metric's minimum, now minus a year earlier, and the words of one below it."""

from __future__ import annotations

import polars as pl

from pcs_analysis.analysis.explanation import explain
from tests.builders import AS_OF, make_data, metric, score_modern_work, steady


def test_deployed_customers_now_minus_a_year_earlier(rules):
    m = rules.area("modern_work").metric("deployments")
    assert m.kind == "deployment_growth" and m.active_share_min == 0.4
    rows = steady("T1", 100, 10, 50) + steady("T2", 100, 50, 50) + steady("T3", 100, 10, 30)
    result = score_modern_work(make_data(rows), as_of=AS_OF, rules=rules)
    # Now T1 and T2 reach 40 %, a year earlier T2 only: one more deployment; T3 never.
    assert metric(result, "deployments", "smb", option="CPOR")[0] == 1


def test_a_customer_below_the_share_is_said_so_with_the_share_it_needs(rules):
    rows = steady("T3", 100, 10, 30)
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"])
    row = e.tenants.filter((pl.col("metric") == "deployments") & (pl.col("track") == "smb")
                           & (pl.col("period") == "current")).row(0, named=True)
    assert row["reason"] == "below_active_share"
    assert row["why"] == "30.0% of paid licences active; a deployment needs 40%"
