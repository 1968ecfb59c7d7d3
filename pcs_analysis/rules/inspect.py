"""Rulebooks as tables: every setting of a version as rows, and what changed between versions.

Analysts track Microsoft's changes with `diff_rules`: per area, metric, track and option, which
thresholds, maxima, seat bands, workloads and certifications were added, removed or changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl

from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.model import (
    AreaRules,
    Certification,
    Metric,
    Rulebook,
    TrackClassification,
    TrackRule,
    WorkloadRevenueClassification,
)

ROW_KEYS = ["area", "metric", "track", "option", "setting", "item"]
_SCHEMA = {"area": pl.String, "metric": pl.String, "track": pl.String, "option": pl.String,
           "setting": pl.String, "item": pl.String, "value": pl.String, "effective": pl.String}
_DIFF_SCHEMA = {**{k: pl.String for k in ROW_KEYS}, "change": pl.String, "old": pl.String, "new": pl.String,
                "effective": pl.String}


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
    rows = [(*row, "") for row in _program_rows(rules)] if area is None else []
    areas = [rules.area(area)] if area is not None else list(rules.areas.values())
    for a in areas:
        rows += [(*row, "") for row in _area_rows(a)]
        rows += [(*key, f"no longer: {old}" if new is None else new, day)
                 for key, _, old, new, day in _dated_changes(a)]
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def _dated_changes(area: AreaRules) -> Iterator[tuple[tuple[str, ...], str, str | None, str | None, str]]:
    """The settings an area's dated changes add, change or remove: (row key, change, old, new,
    effective day), each against the edition before it."""
    before = {row[:-1]: row[-1] for row in _area_rows(area)}
    for change in area.changes:
        now = {row[:-1]: row[-1] for row in _area_rows(change.rules)}
        day = str(change.effective)
        for key, value in now.items():
            if key not in before:
                yield key, "added", None, value, day
            elif before[key] != value:
                yield key, "changed", before[key], value, day
        for key, value in before.items():
            if key not in now:
                yield key, "removed", value, None, day
        before = now


def _row(area: str, metric: str, track: str, option: str, setting: str, value: object,
         item: str = "") -> tuple[str, ...]:
    return (area, metric, track, option, setting, item, _text(value))


def _program_rows(rules: Rulebook) -> Iterator[tuple[str, ...]]:
    q, r = rules.qualification, rules.refresh
    yield _row("", "", "", "", "min_total_points", q.min_total_points)
    yield _row("", "", "", "", "min_metric_points", q.min_metric_points)
    yield _row("", "", "", "", "min_metric_comparison", q.min_metric_comparison)
    yield _row("", "", "", "", "points_rounding", q.points_rounding)
    yield _row("", "", "", "", "performance_day_of_month", r.performance_day_of_month)
    yield _row("", "", "", "", "skilling_lag_days", r.skilling_lag_days)
    yield _row("", "", "", "", "window_months_before_current", rules.window_months_before_current)
    yield _row("", "", "", "", "renewal_window_months", rules.renewal_window_months)
    yield _row("", "", "", "", "history_months", rules.history_months)
    yield _row("", "", "", "", "window_alignment", rules.window_alignment)
    yield _row("", "", "", "", "certification_expiry", rules.certification_expiry)
    yield _row("", "", "", "", "infer_azure_from_revenue", str(rules.infer_azure_from_revenue).lower())
    for association in rules.association_types:
        yield _row("", "", "", "", "association_type", association, association)


def _area_rows(area: AreaRules) -> Iterator[tuple[str, ...]]:
    a = area.area
    yield _row(a, "", "", "", "track_selection", area.track_selection)
    yield _row(a, "", "", "", "tracks", ", ".join(area.tracks))
    if area.keep_enrolled_track:
        yield _row(a, "", "", "", "keep_enrolled_track", True)
    c = area.classification
    if isinstance(c, TrackClassification):
        yield _row(a, "", "", "", "classification_smb_share_min", c.smb_share_min)
        yield _row(a, "", "", "", "classification_smb_segments", ", ".join(c.smb_segments))
        yield _row(a, "", "", "", "classification_unknown_segment", c.unknown_segment)
        yield _row(a, "", "", "", "classification_customers", c.customers)
    elif isinstance(c, WorkloadRevenueClassification):
        yield _row(a, "", "", "", "classification_min_workloads", c.min_workloads)
        yield _row(a, "", "", "", "classification_above_revenue_usd", c.above_revenue_usd)
        yield _row(a, "", "", "", "classification_count", c.count)
        yield _row(a, "", "", "", "classification_months_back", ", ".join(map(str, c.months_back)))
        yield _row(a, "", "", "", "classification_without_revenue", c.without_revenue)
        yield _row(a, "", "", "", "classification_association_rows", c.association_rows)
    if area.qualification is not None:
        yield _row(a, "", "", "", "min_total_points", area.qualification.min_total_points)
    for metric in area.metrics:
        yield from _metric_rows(area, metric)


def _read_rows(area: AreaRules, m: str, metric: Metric, *, with_category: bool) -> Iterator[tuple[str, ...]]:
    """What a metric reads, one row each: products, excluded and listed workloads, certifications
    (a part's category and maximum are its parent's)."""
    a = area.area
    for product in metric.products:
        yield _row(a, m, "", "", "product", product, product)
    for key in sorted(metric.excluded_workloads):
        yield _row(a, m, "", "", "excluded_workload", area.workload_name(key), key)
    if with_category:
        yield _row(a, m, "", "", "category", metric.category)
        yield _row(a, m, "", "", "max_points", metric.max_points)
    for key in sorted(metric.workloads):
        yield _row(a, m, "", "", "workload", area.workload_name(key), key)
    for cert in metric.certifications:
        yield _row(a, m, "", "", "certification", _cert_text(cert), cert.key)
    kind = kind_of(metric)
    prerequisites = kind.prerequisites(metric)
    for label, certifications in kind.people_slots(metric):
        if label in prerequisites:
            for cert in certifications:
                yield _row(a, m, "", "", f"{label.replace(' ', '_')}_certification", _cert_text(cert), cert.key)


def _settings_rows(area: AreaRules, m: str, metric: Metric, settings: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Rows of a kind's metric settings; the rate card and workload associations one line each."""
    a = area.area
    for setting in settings:
        if setting == "rates":
            for key, rate in sorted(metric.rates.items()):
                yield _row(a, m, "", "", "rate", f"{area.workload_name(key)}: {rate.rate:g} ({rate.unit})",
                           key)
        elif setting == "workload_associations":
            for key, accepted in sorted(metric.workload_associations.items()):
                yield _row(a, m, "", "", "workload_associations",
                           f"{area.workload_name(key)}: {', '.join(accepted)}", key)
        else:
            value = getattr(metric, setting)
            yield _row(a, m, "", "", setting, "" if value is None else value)


def _metric_rows(area: AreaRules, metric: Metric, parent: str = "") -> Iterator[tuple[str, ...]]:
    a, m = area.area, (f"{parent}.{metric.name}" if parent else metric.name)
    yield _row(a, m, "", "", "kind", metric.kind)
    kind = kind_of(metric)
    if metric.composite:
        yield _row(a, m, "", "", "category", metric.category)
        yield _row(a, m, "", "", "max_points", metric.max_points)
        yield from _settings_rows(area, m, metric, kind.shown)
        for leaf in metric.leaves():
            yield from _metric_rows(area, leaf, parent=metric.name)
        return
    yield from _settings_rows(area, m, metric, kind.shown)
    yield from _read_rows(area, m, metric, with_category=not parent)
    yield from _settings_rows(area, m, metric, kind.shown_late)
    for track, rule in metric.tracks.items():
        yield from _track_rows(a, m, track, rule)


def _track_rows(a: str, m: str, track: str, rule: TrackRule) -> Iterator[tuple[str, ...]]:
    """A metric's rows of one track: its seat band, its kind's own settings of the track (a value
    band, a gate, prerequisite steps ...) and its options."""
    def blank(value: object) -> object:
        return "" if value is None else value

    band = rule.seat_band
    if band is not None:
        yield _row(a, m, track, "", "seat_band_min_paid_units", band.min_paid_units)
        yield _row(a, m, track, "", "seat_band_max_paid_units", blank(band.max_paid_units))
        yield _row(a, m, track, "", "seat_band_promoted_within_months", blank(band.promoted_within_months))
    if rule.settings is not None:
        for key, value in rule.settings.parameters().items():
            yield _row(a, m, track, "", key, blank(value))
    for option in rule.options:
        name = option.name or ""
        yield _row(a, m, track, name, "full_marks_at", option.full_marks_at)
        for association in option.associations:
            yield _row(a, m, track, name, "association", association, association)


READING_COLUMNS = ["topic", "setting", "value", "alternative", "source", "reason", "test"]


def reading_rows(rules: Rulebook) -> pl.DataFrame:
    """The readings of the sources a rulebook takes, one row each (`READING_COLUMNS`).

    Examples
    --------
    >>> from pcs_analysis.rules import load_rules
    >>> r = reading_rows(load_rules("2026-05"))
    >>> r.filter(r["setting"] == "min_metric_points")["value"].to_list()
    ['1']
    """
    return pl.DataFrame([{c: getattr(r, c) for c in READING_COLUMNS} for r in rules.readings],
                        schema={c: pl.String for c in READING_COLUMNS})


def readings_markdown(rulebooks: list[Rulebook]) -> str:
    """The readings of every rulebook as a Markdown page (docs/readings.md)."""
    lines = ["# Readings", "",
             "Where Microsoft's text allows more than one reading, the toolkit takes one and says so: the",
             "sentence, the reading, why, the rulebook setting that flips it (none: fixed in the engine) and",
             "the test that pins it. Generated from `pcs_analysis/rules/<version>/readings.toml` by",
             "`make readings`; `pcs rules show VERSION` prints the same.", ""]
    for rules in rulebooks:
        lines += [f"## Rulebook {rules.version}", ""]
        for r in rules.readings:
            setting = f"`{r.setting} = {r.value}`" if r.setting else f"fixed: {r.value}"
            lines += [f"### {r.topic}", "", f"- Source: {r.source}", f"- Reading: {setting}"]
            if r.alternative:
                lines.append(f"- Alternative: {r.alternative}")
            lines += [f"- Why: {r.reason}", f"- Test: `{r.test}`", ""]
    return "\n".join(lines)


def _cert_text(cert: Certification) -> str:
    return cert.name + (f" (counts through {cert.counts_through})" if cert.counts_through else "")


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
    # the old rulebook as it last stood (after its dated changes) against the new one as published
    last = old.on(dt.date.max)
    before = rules_table(last, area).drop("effective").rename({"value": "old"})
    after = rules_table(new, area).filter(pl.col("effective") == "").drop("effective").rename({"value": "new"})
    joined = before.join(after, on=ROW_KEYS, how="full", coalesce=True, nulls_equal=True)
    change = (
        pl.when(pl.col("old").is_null()).then(pl.lit("added"))
        .when(pl.col("new").is_null()).then(pl.lit("removed"))
        .when(pl.col("old") != pl.col("new")).then(pl.lit("changed"))
    )
    between = (joined.with_columns(change.alias("change"), pl.lit("").alias("effective"))
               .filter(pl.col("change").is_not_null()).sort([*ROW_KEYS]).select(*_DIFF_SCHEMA))
    # then the changes the new rulebook makes on later days
    areas = [new.area(area)] if area is not None else list(new.areas.values())
    dated = pl.DataFrame([(*key, what, old_value, new_value, day) for a in areas
                          for key, what, old_value, new_value, day in _dated_changes(a)],
                         schema=_DIFF_SCHEMA, orient="row")
    return pl.concat([between, dated])
