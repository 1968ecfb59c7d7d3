"""distinct_services (the Azure areas' deployments): the services with revenue over the look-back,
each counted once whatever its customers; services the metric excludes count for nothing."""

from __future__ import annotations

import polars as pl

from pcs_analysis import score
from pcs_analysis.analysis.explanation import explain
from tests.builders import AS_OF, M, azure_row, make_data, metric


def test_each_service_with_revenue_counts_once(rules):
    m = rules.area("data_ai").metric("deployments")
    assert m.kind == "distinct_services" and "virtual machines" in m.excluded_workloads
    rows = [azure_row("A1", M, 100.0, service="Azure SQL Database"),
            azure_row("A2", M, 50.0, service="Azure SQL Database"),
            azure_row("A1", M, 10.0, service="Key Vault"), azure_row("A1", M, 0.0, service="Azure Monitor"),
            azure_row("A1", M, 500.0, service="Virtual Machines")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["data_ai"])
    assert metric(result, "deployments", "smb")[0] == 2


def test_a_service_without_revenue_is_said_so(rules):
    rows = [azure_row("A1", M, 0.0, service="Azure Monitor")]
    e = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=["data_ai"])
    row = e.tenants.filter(pl.col("metric") == "deployments").row(0, named=True)
    assert row["reason"] == "no_revenue" and row["why"] == "no USD in the period"
