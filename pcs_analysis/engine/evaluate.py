"""The metric evaluator: every metric kind applied to every partner, track, option and snapshot.

Each kind (registered in `rules.kinds`) returns *contribution rows*: the
tenant-level (or person-level) facts behind a metric, with whether each counted, why not, and
what it added. A metric's value is the sum of its contributions, unless its kind has a value
function of its own (percentage growth, prerequisite steps). `explain` shows the same rows.
"""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.context import Context
from pcs_analysis.rules import AreaRules, Metric
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.kinds.frames import band_key

VALUE_KEYS = ["partner_id", "as_of", "track", "metric", "option"]


def summed_values(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """The default value of a metric: the sum of its counted contributions."""
    counted = contributions.filter(pl.col("is_counted"))
    if metric.counts_people:
        per_partner = counted.group_by("partner_id", "as_of", "metric").agg(
            pl.col("contribution").sum().alias("value"))
        options = pl.DataFrame([{"track": t, "option": o.name} for t, r in metric.tracks.items() for o in r.options],
                               schema={"track": pl.String, "option": pl.String}).lazy()
        return per_partner.join(options, how="cross").select(*VALUE_KEYS, "value")
    return counted.group_by(VALUE_KEYS).agg(pl.col("contribution").sum().alias("value"))


def _contributions_of(ctx: Context, metric: Metric) -> pl.LazyFrame:
    return kind_of(metric).contributions(ctx, metric)


def _value_of(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """A metric's values from its contribution rows: its kind's value function, else the sum."""
    return (kind_of(metric).value or summed_values)(ctx, metric, contributions)


def compute_contributions(ctx: Context) -> dict[str, pl.LazyFrame]:
    """The contribution rows of every metric of the context's area, by metric name. The rows of
    a composite metric (a sum of parts) are its leaves' rows, with the leaf's name as the option. Usage metrics are
    computed once per data month and repeated for every snapshot day showing it."""
    return by_day(ctx, _contributions(ctx))


def evaluated(contexts: list[Context]) -> list[dict[str, pl.DataFrame]]:
    """The contribution rows of every metric of each context, usage metrics by data month,
    computed together and held: a metric's value and its explanation then read the same rows,
    and no query plan repeats a metric's work (`metric_values(..., contributions=)`, `by_day`)."""
    lazy = [_contributions(ctx) for ctx in contexts]
    # A metric that several areas define alike over the very same rows (`build_context`'s
    # `shared`: the three Azure areas' usage metrics) is computed once for all of them.
    first: list[tuple[Context, Metric, int]] = []
    queries, slots = [], []
    for i, (ctx, metrics) in enumerate(zip(contexts, lazy, strict=True)):
        for name, frame in metrics.items():
            metric = ctx.area.metric(name)
            same = None if metric.counts_people else next(
                (slot for other, m, slot in first if _same_rows(other, ctx, m, metric)), None)
            if same is None:
                same = len(queries)
                queries.append(frame)
                first.append((ctx, metric, same))
            slots.append((i, name, same))
    frames = pl.collect_all(queries)
    held: list[dict[str, pl.DataFrame]] = [{} for _ in contexts]
    for i, name, slot in slots:
        held[i][name] = frames[slot]
    return held


def _same_rows(a: Context, b: Context, metric_a: Metric, metric_b: Metric) -> bool:
    """Whether two tenant metrics give the same contribution rows: defined alike and reading the
    same usage table, seat bands and snapshots (the same objects, see `build_context`)."""
    return (metric_a == metric_b and a.usage is b.usage and a.snapshots is b.snapshots
            and a.day_map is b.day_map and a.bands.get(band_key(metric_a)) is b.bands.get(band_key(metric_b)))


def by_day(ctx: Context, contributions: dict[str, pl.LazyFrame] | dict[str, pl.DataFrame]) -> dict[str, pl.LazyFrame]:
    """Contribution rows (usage metrics by data month) for every snapshot day."""
    return {name: (ctx.person_to_days(frame.lazy()) if ctx.area.metric(name).counts_people
                   else ctx.to_days(frame.lazy()))
            for name, frame in contributions.items()}


def _contributions(ctx: Context) -> dict[str, pl.LazyFrame]:
    """Contribution rows, usage metrics by data month (see `Context.by_month`), people metrics by
    certification state (`Context.by_person_state`)."""
    monthly, states = ctx.by_month(), ctx.by_person_state()
    out = {}
    for metric in ctx.area.metrics:
        if metric.composite:
            out[metric.name] = pl.concat([frame for _, frame in leaf_contributions(monthly, metric)])
        else:
            out[metric.name] = _contributions_of(states if metric.counts_people else monthly, metric)
    return out


def leaf_contributions(ctx: Context, metric: Metric) -> list[tuple[Metric, pl.LazyFrame]]:
    """Each leaf of a composite metric with its own contribution rows (option: the leaf's name)."""
    return [(leaf, _contributions_of(ctx, leaf).with_columns(pl.lit(metric.name).alias("metric"),
                                                             pl.lit(leaf.name).alias("option")))
            for leaf in metric.leaves()]


def _values(ctx: Context, metric: Metric, rows: pl.DataFrame | None = None) -> pl.LazyFrame:
    """A metric's values per snapshot day; usage metrics are valued by data month and repeated.
    `rows`: its contribution rows already computed (`evaluated`)."""
    if rows is not None:
        return _values_of_rows(ctx, metric, rows.lazy())
    if metric.counts_people:
        states = ctx.by_person_state()
        return ctx.person_to_days(_value_of(states, metric, _contributions_of(states, metric)))
    monthly = ctx.by_month()
    if not metric.composite:
        values = _value_of(monthly, metric, _contributions_of(monthly, metric))
        return ctx.to_days(values)
    # Each leaf's value from its own rows (not by filtering the concatenation, which would
    # evaluate every leaf once per leaf).
    return ctx.to_days(pl.concat([
        _value_of(monthly, leaf, frame)
        .with_columns(pl.lit(metric.name).alias("metric"), pl.lit(leaf.name).alias("option"))
        for leaf, frame in leaf_contributions(monthly, metric)], how="diagonal_relaxed"))


def _values_of_rows(ctx: Context, metric: Metric, rows: pl.LazyFrame) -> pl.LazyFrame:
    if metric.counts_people:
        return ctx.person_to_days(_value_of(ctx.by_person_state(), metric, rows))
    monthly = ctx.by_month()
    if not metric.composite:
        return ctx.to_days(_value_of(monthly, metric, rows))
    return ctx.to_days(pl.concat([_value_of(monthly, leaf, rows.filter(pl.col("option") == leaf.name))
                                  for leaf in metric.leaves()], how="diagonal_relaxed"))


def metric_values(ctx: Context, partner_ids: pl.LazyFrame,
                  contributions: dict[str, pl.DataFrame] | None = None) -> pl.LazyFrame:
    """One row per partner x snapshot x track x metric x option with the metric's value,
    `base_points` and `is_open` (see `rules.kinds.base.ValueFunction`). Missing rows get a value of 0.
    `contributions`: the area's rows from `evaluated`, read instead of computed again."""
    frames = []
    for metric in ctx.area.metrics:
        values = _values(ctx, metric, None if contributions is None else contributions[metric.name])
        names = values.collect_schema().names()
        frames.append(values.select(
            *[pl.col(k).cast(pl.String) if k != "as_of" else pl.col(k) for k in VALUE_KEYS],
            pl.col("value").cast(pl.Float64),
            (pl.col("base_points") if "base_points" in names else pl.lit(0.0)).cast(pl.Float64).alias("base_points"),
            (pl.col("is_open") if "is_open" in names else pl.lit(True)).alias("is_open"),
        ))
    skeleton = _skeleton(ctx.area, partner_ids, ctx.snapshots)
    return skeleton.join(pl.concat(frames), on=VALUE_KEYS, how="left", nulls_equal=True).with_columns(
        pl.col("value").fill_null(0.0), pl.col("base_points").fill_null(0.0), pl.col("is_open").fill_null(True))


def _skeleton(area: AreaRules, partner_ids: pl.LazyFrame, snapshots: pl.LazyFrame) -> pl.LazyFrame:
    rows = []
    for metric_order, metric in enumerate(area.metrics):
        for track_order, track in enumerate(area.tracks):
            for option_order, option in enumerate(metric.tracks[track].options):
                rows.append({
                    "track": track, "metric": metric.name, "option": option.name,
                    "full_marks_at": float(option.full_marks_at),
                    "max_points": float(metric.max_points), "category": metric.category,
                    "metric_order": metric_order, "track_order": track_order,
                    "option_order": option_order,
                    "combine": kind_of(metric).combine(metric),
                })
    grid = pl.DataFrame(rows, schema={
        "track": pl.String, "metric": pl.String, "option": pl.String, "full_marks_at": pl.Float64,
        "max_points": pl.Float64, "category": pl.String, "metric_order": pl.Int32,
        "track_order": pl.Int32, "option_order": pl.Int32, "combine": pl.String}).lazy()
    return (partner_ids.join(snapshots.select("as_of", "month_index"), how="cross")
            .join(grid, how="cross"))
