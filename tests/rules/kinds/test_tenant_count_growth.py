"""tenant_count_growth (Modern Work's net customer adds): customers in the track's seat band in
the scored month minus a year earlier, and the words of a customer outside the band."""

from __future__ import annotations

import polars as pl

from pcs_analysis.analysis.explanation import explain
from pcs_analysis.rules.kinds import KINDS
from tests.builders import AS_OF, BASE, M, make_data, metric, score_modern_work, usage_row


def test_customers_in_the_band_now_minus_a_year_earlier(rules):
    assert rules.area("modern_work").metric("net_customer_adds").kind == "tenant_count_growth"
    rows = [usage_row("T1", BASE, 50, 5), usage_row("T1", M, 50, 5),   # small, then and now
            usage_row("T2", M, 60, 5),                                  # small, new
            usage_row("T3", M, 500, 5)]                                 # large, new
    result = score_modern_work(make_data(rows), as_of=AS_OF, rules=rules)
    assert metric(result, "net_customer_adds", "smb")[0] == 1        # T1 and T2 now, T1 then
    assert metric(result, "net_customer_adds", "enterprise")[0] == 1  # T3


def test_a_customer_outside_the_band_is_said_so_with_the_band(rules):
    e = explain(make_data([usage_row("T3", M, 500, 5)]), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"])
    row = e.tenants.filter((pl.col("metric") == "net_customer_adds") & (pl.col("track") == "smb")).row(0, named=True)
    assert row["reason"] == "seat_band"
    assert row["why"] == "outside the smb seat band: largest eligible workload has 500 paid units (band: 11 to 300)"
    assert set(KINDS["tenant_count_growth"].reasons(rules)) == {"counted", "seat_band", "not_associated_yet"}
