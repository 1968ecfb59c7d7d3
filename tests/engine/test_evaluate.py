"""The evaluator (`engine/evaluate.py`): every metric of every area computed in one pass, a metric
that areas define alike over the same rows computed once."""

from __future__ import annotations

import polars as pl

from pcs_analysis import load_rules, read_data
from pcs_analysis.config import SAMPLE_DIR

AS_OF = "2026-11-21"


def test_a_metric_areas_define_alike_over_the_same_rows_is_computed_once(monkeypatch):
    """The three Azure areas define their usage metrics alike and read the same rows: one
    scoring pass computes each of those metrics once, and every area reads the same rows."""
    from pcs_analysis.engine import evaluate
    from pcs_analysis.engine.context import build_context
    from pcs_analysis.rules.periods import snapshots

    rules, data = load_rules(), read_data(SAMPLE_DIR)
    azure = ["data_ai", "infrastructure", "digital_app_innovation"]
    days, shared = snapshots([pl.Series([AS_OF]).str.to_date()[0]], rules.refresh, lag=True), {}
    contexts = [build_context(data, rules, rules.area(a), days, shared=shared) for a in azure]
    queries = []
    real = pl.collect_all

    def counted(frames, **kwargs):
        queries.append(len(frames))
        return real(frames, **kwargs)

    monkeypatch.setattr(evaluate.pl, "collect_all", counted)
    held = evaluate.evaluated(contexts)
    tenant = [m.name for m in rules.area("data_ai").metrics if not m.counts_people]
    people = [m.name for m in rules.area("data_ai").metrics if m.counts_people]
    assert tenant and people
    for name in tenant:
        assert held[0][name] is held[1][name] is held[2][name]
        assert held[0][name].height > 0
    # Certifications differ by area: each its own.
    assert queries == [len(tenant) + sum(len(rules.area(a).metrics) - len(tenant) for a in azure)]
    # Built apart (no shared dictionary), nothing is taken for the same.
    apart = [build_context(data, rules, rules.area(a), days) for a in azure]
    queries.clear()
    alone = evaluate.evaluated(apart)
    assert queries == [sum(len(rules.area(a).metrics) for a in azure)]
    for name in tenant:
        assert alone[1][name].sort(pl.all()).equals(held[1][name].sort(pl.all()))
