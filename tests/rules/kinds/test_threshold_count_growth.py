"""threshold_count_growth (the Azure areas' net customer adds): customers whose measure over the
metric's window is in the track's value band, now minus a year earlier."""

from __future__ import annotations

import polars as pl

from pcs_analysis import score
from pcs_analysis.analysis.explanation import explain
from pcs_analysis.rules.schema import REMOVE
from tests.builders import AS_OF, M, azure_row, make_data, metric


def test_customers_in_the_value_band_per_track(rules):
    m = rules.area("data_ai").metric("net_customer_adds")
    assert m.kind == "threshold_count_growth"
    rows = [azure_row("A1", M, 1200.0), azure_row("A2", M, 700.0), azure_row("A3", M, 100.0)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["data_ai"])
    assert metric(result, "net_customer_adds", "enterprise")[0] == 1   # at least USD 1,000: A1
    assert metric(result, "net_customer_adds", "smb")[0] == 2          # at least USD 500: A1, A2


def test_a_customer_below_the_band_is_said_so_with_the_band(rules):
    e = explain(make_data([azure_row("A2", M, 700.0)]), "P1", as_of=AS_OF, rules=rules, areas=["data_ai"])
    row = e.tenants.filter((pl.col("metric") == "net_customer_adds") & (pl.col("track") == "enterprise")
                           & (pl.col("period") == "current")).row(0, named=True)
    assert row["reason"] == "below_band"
    assert row["why"].startswith("USD 700.0 over the 2 months to this one (best month): below the enterprise band")
    assert row["why"].endswith("(USD at least 1,000)")


def test_a_track_lists_its_band_and_a_variant_of_one_end_removes_the_other(rules):
    settings = rules.area("data_ai").metric("net_customer_adds").tracks["smb"].settings
    assert settings.parameters() == {"min_value": 500.0, "max_value": None, "promoted_within_months": None}
    assert settings.parameter("above_value") == 500.0
    assert settings.keys_to_set("above_value", 600) == [("min_value", REMOVE), ("above_value", 600)]
    assert settings.keys_to_set("max_value", 900) == [("max_value", 900)]
