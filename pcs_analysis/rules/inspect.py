"""Rulebooks as tables: every setting of a version as rows, and what changed between versions.

Analysts track Microsoft's changes with `diff_rules`: per area, metric, track and option, which
thresholds, maxima, seat bands, workloads and certifications were added, removed or changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from .model import AreaRules, Metric, Rulebook

ROW_KEYS = ["area", "metric", "track", "option", "setting", "item"]
_SCHEMA = {"area": pl.String, "metric": pl.String, "track": pl.String, "option": pl.String,
           "setting": pl.String, "item": pl.String, "value": pl.String}


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def rules_table(rules: Rulebook, area: str | None = None) -> pl.DataFrame:
    """Every setting of a rulebook as one row: area, metric, track, option, setting, item, value.

    Scalar settings have an empty `item`; list entries (workloads, certifications, association
    types) have one row each, identified by `item` (the matching key), so that renames through
    aliases are not reported as changes.

    Examples
    --------
    >>> from pcs_analysis.rules import load_rules
    >>> t = rules_table(load_rules("2026-05"), "modern_work")
    >>> t.filter((t["metric"] == "usage_growth") & (t["option"] == "DPOR")
    ...          & (t["setting"] == "full_marks_at"))["value"].to_list()
    ['4000']
    """
    rows = list(_program_rows(rules)) if area is None else []
    areas = [rules.area(area)] if area is not None else list(rules.areas.values())
    for a in areas:
        rows += list(_area_rows(a))
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def _row(area: str, metric: str, track: str, option: str, setting: str, value: object,
         item: str = "") -> tuple[str, ...]:
    return (area, metric, track, option, setting, item, _text(value))


def _program_rows(rules: Rulebook) -> Iterator[tuple[str, ...]]:
    q, r = rules.qualification, rules.refresh
    yield _row("", "", "", "", "min_total_points", q.min_total_points)
    yield _row("", "", "", "", "min_metric_points", q.min_metric_points)
    yield _row("", "", "", "", "min_metric_comparison", q.min_metric_comparison)
    yield _row("", "", "", "", "performance_day_of_month", r.performance_day_of_month)
    yield _row("", "", "", "", "skilling_lag_days", r.skilling_lag_days)
    yield _row("", "", "", "", "window_months_before_current", rules.window_months_before_current)
    for association in rules.association_types:
        yield _row("", "", "", "", "association_type", association, association)


def _area_rows(area: AreaRules) -> Iterator[tuple[str, ...]]:
    a = area.area
    yield _row(a, "", "", "", "track_selection", area.track_selection)
    yield _row(a, "", "", "", "tracks", ", ".join(area.tracks))
    if area.qualification is not None:
        yield _row(a, "", "", "", "min_total_points", area.qualification.min_total_points)
    for metric in area.metrics:
        yield from _metric_rows(area, metric)


def _metric_rows(area: AreaRules, metric: Metric) -> Iterator[tuple[str, ...]]:
    a, m = area.area, metric.name
    yield _row(a, m, "", "", "kind", metric.kind)
    yield _row(a, m, "", "", "category", metric.category)
    yield _row(a, m, "", "", "max_points", metric.max_points)
    for key in sorted(metric.workloads):
        yield _row(a, m, "", "", "workload", area.workload_names.get(key, key), key)
    for cert in metric.certifications:
        value = cert.name + (f" (counts through {cert.counts_through})" if cert.counts_through else "")
        yield _row(a, m, "", "", "certification", value, cert.key)
    if metric.kind == "active_usage_growth":
        yield _row(a, m, "", "", "credit_from_association", metric.credit_from_association)
    if metric.active_share_min is not None:
        yield _row(a, m, "", "", "active_share_min", metric.active_share_min)
        yield _row(a, m, "", "", "active_share_basis", metric.active_share_basis)
        window = metric.exclude_active_at_association_within_months
        yield _row(a, m, "", "", "exclude_active_at_association_within_months",
                   "" if window is None else window)
    for track, rule in metric.tracks.items():
        band = rule.seat_band
        if band is not None:
            yield _row(a, m, track, "", "seat_band_min_paid_units", band.min_paid_units)
            yield _row(a, m, track, "", "seat_band_max_paid_units",
                       "" if band.max_paid_units is None else band.max_paid_units)
            yield _row(a, m, track, "", "seat_band_promoted_within_months",
                       "" if band.promoted_within_months is None else band.promoted_within_months)
        for option in rule.options:
            name = option.name or ""
            yield _row(a, m, track, name, "full_marks_at", option.full_marks_at)
            for association in option.associations:
                yield _row(a, m, track, name, "association", association, association)


def diff_rules(old: Rulebook, new: Rulebook, area: str | None = None) -> pl.DataFrame:
    """What changed from rulebook `old` to `new`: one row per added, removed or changed setting.

    Columns: area, metric, track, option, setting, item, change (added / removed / changed),
    old, new.

    Examples
    --------
    >>> from pcs_analysis.rules import load_rules
    >>> d = diff_rules(load_rules("2023-06"), load_rules("2026-05"), "modern_work")
    >>> "Teams Premium" in d.filter(d["change"] == "added")["new"].to_list()
    True
    """
    before = rules_table(old, area).rename({"value": "old"})
    after = rules_table(new, area).rename({"value": "new"})
    joined = before.join(after, on=ROW_KEYS, how="full", coalesce=True, nulls_equal=True)
    change = (
        pl.when(pl.col("old").is_null()).then(pl.lit("added"))
        .when(pl.col("new").is_null()).then(pl.lit("removed"))
        .when(pl.col("old") != pl.col("new")).then(pl.lit("changed"))
    )
    return (joined.with_columns(change.alias("change")).filter(pl.col("change").is_not_null())
            .sort([*ROW_KEYS]).select(*ROW_KEYS, "change", "old", "new"))
