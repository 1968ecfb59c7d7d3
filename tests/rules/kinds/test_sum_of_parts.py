"""sum_of_parts (Security's metrics): a composite metric whose leaves are scored each by its own
kind, their points summed and capped at the metric's maximum."""

from __future__ import annotations

import polars as pl

from pcs_analysis import score
from pcs_analysis.rules.kinds import KINDS
from tests.builders import AS_OF, M, azure_row, make_data, usage_row


def test_the_leaves_are_scored_by_their_kinds_and_summed(rules):
    m = rules.area("security").metric("net_customer_adds")
    assert m.kind == "sum_of_parts" and m.composite
    assert [(leaf.name, leaf.kind) for leaf in m.leaves()] == [("azure", "threshold_count_growth"),
                                                              ("m365", "tenant_count_growth")]
    assert KINDS["sum_of_parts"].combine(m) == "sum_points"
    rows = [azure_row("A1", M, 5000.0, service="Microsoft Sentinel", association="PAL"),
            usage_row("T1", M, 50, 5, workload="Microsoft Defender for Office 365")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["security"])
    options = result.options.filter((pl.col("metric") == "net_customer_adds") & (pl.col("track") == "smb"))
    parts = dict(zip(options["option"], options["points"], strict=True))
    total = result.scores.filter((pl.col("metric") == "net_customer_adds") & (pl.col("track") == "smb"))
    assert set(parts) == {"azure", "m365"} and parts["azure"] > 0
    assert total["points"][0] == min(m.max_points, sum(max(p, 0) for p in parts.values()))


def test_a_metric_that_reads_data_is_its_own_leaf(rules):
    m = rules.area("modern_work").metric("net_customer_adds")
    assert not m.composite and m.leaves() == (m,)
    assert KINDS[m.kind].combine(m) == "best"
