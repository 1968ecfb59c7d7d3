"""Metric kinds: one small function per kind, parameterised by the rulebook.

Each kind returns *contribution rows*: the tenant-level (or person-level) facts behind a metric,
with whether each counted, why not, and what it added to the metric's value. The metric value
is the sum of the contributions; `explain` shows the same rows, so a value can always be traced
to the rows that produced it. All partners, tracks, options and snapshots are computed at once.

Tenant contribution columns
    partner_id, as_of, track, metric, option, period ("current" or "baseline"), month_index,
    tenant_id, workload, is_counted, reason, contribution, active, paid, share, max_paid,
    assoc_month
Person contribution columns
    partner_id, as_of, metric, person_id, certification, earned_on, expires_on, is_counted,
    reason, contribution
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .io import PartnerData
from .names import canonical_key_expr
from .rules import AreaRules, Metric, Rulebook
from .tenants import (
    TENANT,
    area_usage_rows,
    eligible_workload_rows,
    prepare_usage,
    seat_bands,
    tenant_option_months,
)

TENANT_COLUMNS = {
    "partner_id": pl.String, "as_of": pl.Date, "track": pl.String, "metric": pl.String,
    "option": pl.String, "period": pl.String, "month_index": pl.Int32, "tenant_id": pl.String,
    "workload": pl.String, "is_counted": pl.Boolean, "reason": pl.String,
    "contribution": pl.Float64, "active": pl.Float64, "paid": pl.Float64, "share": pl.Float64,
    "max_paid": pl.Float64, "assoc_month": pl.Int32,
}
PERSON_COLUMNS = {
    "partner_id": pl.String, "as_of": pl.Date, "metric": pl.String, "person_id": pl.String,
    "certification": pl.String, "earned_on": pl.Date, "expires_on": pl.Date,
    "is_counted": pl.Boolean, "reason": pl.String, "contribution": pl.Float64,
}

#: Reason codes of contribution rows (explain turns them into sentences).
COUNTED = "counted"
#: "The same month last year": metric formulas compare month M with M - YEAR.
YEAR = 12


@dataclass(frozen=True)
class Context:
    """What every metric kind reads: prepared inputs and the snapshots to evaluate."""

    usage: pl.LazyFrame
    certifications: pl.LazyFrame
    snapshots: pl.LazyFrame
    rules: Rulebook
    area: AreaRules
    #: Seat bands per (workload list, track bands), computed once and shared by the metrics.
    bands: dict[tuple, pl.LazyFrame]

    def seat_bands(self, metric: Metric) -> pl.LazyFrame:
        return self.bands[band_key(metric)]


def band_key(metric: Metric) -> tuple:
    return (metric.workload_set, tuple((t, r.seat_band) for t, r in metric.tracks.items()))


def build_context(data: PartnerData, rules: Rulebook, area: AreaRules,
                  snapshots: pl.DataFrame) -> Context:
    """Prepare the inputs once per area: usage restricted to the months the snapshots need
    (the scored months, the year before them, and the seat-band look-back) and materialized,
    so every metric reads the same prepared table."""
    lookback = max([m.tracks[t].seat_band.promoted_within_months or 0
                    for m in area.metrics for t in m.tracks if m.tracks[t].seat_band] or [0])
    first = snapshots["month_index"].min() - YEAR - lookback
    last = snapshots["month_index"].max()
    usage = (area_usage_rows(prepare_usage(data, rules), area)
             .filter(pl.col("month_index").is_between(first, last)).collect().lazy())
    certifications = data.certifications.with_columns(
        canonical_key_expr(pl.col("certification"), aliases=rules.certification_aliases,
                           prefixes=rules.certification_prefixes).alias("certification_key")
    )
    bands: dict[tuple, pl.LazyFrame] = {}
    for metric in area.metrics:
        if metric.workloads and band_key(metric) not in bands:
            rows = eligible_workload_rows(usage, metric)
            bands[band_key(metric)] = seat_bands(rows, metric).collect().lazy()
    return Context(usage=usage, certifications=certifications, snapshots=snapshots.lazy(),
                   rules=rules, area=area, bands=bands)


def _tenant_frame(frame: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Select the tenant contribution columns, in order and with their types."""
    frame = frame.with_columns(pl.lit(metric.name).alias("metric"))
    missing = [c for c in TENANT_COLUMNS if c not in frame.collect_schema().names()]
    frame = frame.with_columns(pl.lit(None).alias(c) for c in missing)
    return frame.select(pl.col(c).cast(t) for c, t in TENANT_COLUMNS.items())


def _at_snapshot(table: pl.LazyFrame, snapshots: pl.LazyFrame, *, months_back: int) -> pl.LazyFrame:
    """Rows of `table` in the month `months_back` before each snapshot's scored month."""
    points = snapshots.select("as_of", (pl.col("month_index") - months_back).alias("month_index"))
    return table.join(points, on="month_index", how="inner")


# --- tenant_count_growth: net customer adds ------------------------------------------------

def tenant_count_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Qualifying tenants in the scored month minus qualifying tenants 12 months earlier.

    A tenant qualifies on a track when one eligible workload puts it in the track's seat band
    and it has an eligible association that had begun by that month.
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    reason = (
        pl.when(~pl.col("in_band")).then(pl.lit("seat_band"))
        .when(~pl.col("is_associated")).then(pl.lit("not_associated_yet"))
        .otherwise(pl.lit(COUNTED))
    )
    frames = []
    for period, back, sign in (("current", 0, 1.0), ("baseline", YEAR, -1.0)):
        frames.append(
            _at_snapshot(table, ctx.snapshots, months_back=back).with_columns(
                pl.lit(period).alias("period"),
                reason.alias("reason"),
                (pl.col("in_band") & pl.col("is_associated")).alias("is_counted"),
            ).with_columns(
                pl.when(pl.col("is_counted")).then(sign).otherwise(0.0).alias("contribution")
            )
        )
    return _tenant_frame(pl.concat(frames, how="diagonal_relaxed"), metric)


# --- active_usage_growth: usage growth in active users ------------------------------------

def active_usage_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Eligible active units in the scored month minus those of the same month a year earlier,
    per tenant x workload x option.

    With `credit_from_association`, a tenant workload whose association began after the
    baseline month is measured from its association month instead.
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric, by_workload=True)
    keys = [*TENANT, "workload_key", "track", "option"]
    current = _at_snapshot(table, ctx.snapshots, months_back=0)
    baseline_month = pl.col("month_index") - YEAR
    if metric.credit_from_association:
        baseline_month = pl.max_horizontal(baseline_month, pl.col("assoc_month"))
    from_current = current.select(*keys, "as_of", baseline_month.alias("base_month"))
    lost = (
        _at_snapshot(table, ctx.snapshots, months_back=YEAR)
        .join(current.select(*keys, "as_of"), on=[*keys, "as_of"], how="anti")
        .select(*keys, "as_of", pl.col("month_index").alias("base_month"))
    )
    baseline = (
        pl.concat([from_current, lost])
        .join(table, left_on=[*keys, "base_month"], right_on=[*keys, "month_index"], how="inner")
        .rename({"base_month": "month_index"})
    )
    reason = (
        pl.when(~pl.col("in_band")).then(pl.lit("seat_band"))
        .when(~pl.col("is_associated")).then(pl.lit("not_associated_yet"))
        .otherwise(pl.lit(COUNTED))
    )
    counted = pl.col("in_band") & pl.col("is_associated")
    frames = [
        frame.with_columns(pl.lit(period).alias("period"), reason.alias("reason"),
                           counted.alias("is_counted"))
        .with_columns(pl.when(pl.col("is_counted")).then(sign * pl.col("active").cast(pl.Float64))
                      .otherwise(0.0).alias("contribution"))
        for period, frame, sign in (("current", current, 1.0), ("baseline", baseline, -1.0))
    ]
    return _tenant_frame(pl.concat(frames, how="diagonal_relaxed"), metric)


# --- deployment_growth: deployments --------------------------------------------------------

def deployment_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Tenants deployed in the scored month minus those deployed 12 months earlier.

    A tenant is deployed on a track x option when it is in the seat band, associated, and its
    active share of paid units reaches `active_share_min`. A current deployment whose
    association began within `exclude_active_at_association_within_months` months and which was
    already at the share in its association month is excluded.
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    keys = [*TENANT, "track", "option"]
    active_enough = pl.col("share").fill_null(0.0) >= metric.active_share_min
    current = _at_snapshot(table, ctx.snapshots, months_back=0)
    window = metric.exclude_active_at_association_within_months
    if window:
        at_association = table.select(*keys, pl.col("month_index").alias("assoc_month"),
                                      pl.col("share").alias("share_at_association"))
        recent = (pl.col("assoc_month") > pl.col("month_index") - window) & (
            pl.col("assoc_month") <= pl.col("month_index"))
        current = current.join(at_association, on=[*keys, "assoc_month"], how="left").with_columns(
            (recent.fill_null(False)
             & (pl.col("share_at_association").fill_null(0.0) >= metric.active_share_min))
            .alias("is_excluded")
        )
    else:
        current = current.with_columns(pl.lit(False).alias("is_excluded"))
    baseline = _at_snapshot(table, ctx.snapshots, months_back=YEAR).with_columns(
        pl.lit(False).alias("is_excluded"))
    reason = (
        pl.when(~pl.col("in_band")).then(pl.lit("seat_band"))
        .when(~pl.col("is_associated")).then(pl.lit("not_associated_yet"))
        .when(~active_enough).then(pl.lit("below_active_share"))
        .when(pl.col("is_excluded")).then(pl.lit("active_at_association"))
        .otherwise(pl.lit(COUNTED))
    )
    frames = [
        frame.with_columns(pl.lit(period).alias("period"), reason.alias("reason"))
        .with_columns((pl.col("reason") == COUNTED).alias("is_counted"))
        .with_columns(pl.when(pl.col("is_counted")).then(sign).otherwise(0.0).alias("contribution"))
        for period, frame, sign in (("current", current, 1.0), ("baseline", baseline, -1.0))
    ]
    return _tenant_frame(pl.concat(frames, how="diagonal_relaxed"), metric)


# --- certified_people: skilling -------------------------------------------------------------

def certified_people(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """People holding at least one eligible certification that counts on the snapshot day.

    A certification counts when it was earned by the skilling cut-off (the refresh lag), has
    not expired (`expires_on` is the first day it no longer counts), was earned before its
    retirement and the day is within its `counts_through` date. Each person counts once.
    """
    certs = pl.DataFrame(
        {
            "certification_key": [c.key for c in metric.certifications],
            "listed_name": [c.name for c in metric.certifications],
            "retires_on": [c.retires_on for c in metric.certifications],
            "counts_through": [c.counts_through for c in metric.certifications],
        },
        schema={"certification_key": pl.String, "listed_name": pl.String,
                "retires_on": pl.Date, "counts_through": pl.Date},
    ).lazy()
    held = ctx.certifications.join(certs, on="certification_key", how="inner").join(
        ctx.snapshots.select("as_of", "skill_cutoff"), how="cross")
    reason = (
        pl.when(pl.col("retires_on").is_not_null() & (pl.col("earned_on") > pl.col("retires_on")))
        .then(pl.lit("earned_after_retirement"))
        .when(pl.col("earned_on") > pl.col("as_of")).then(pl.lit("not_yet_earned"))
        .when(pl.col("earned_on") > pl.col("skill_cutoff")).then(pl.lit("within_refresh_lag"))
        .when(pl.col("expires_on").is_not_null() & (pl.col("as_of") >= pl.col("expires_on")))
        .then(pl.lit("expired"))
        .when(pl.col("counts_through").is_not_null() & (pl.col("as_of") > pl.col("counts_through")))
        .then(pl.lit("retired"))
        .otherwise(pl.lit(COUNTED))
    )
    person = ["partner_id", "as_of", "person_id"]
    held = held.with_columns(reason.alias("reason")).with_columns(
        (pl.col("reason") == COUNTED).alias("is_valid"))
    # One person counts once: the first valid certification (by earned date, then name) counts.
    held = held.sort([*person, "is_valid", "earned_on", "certification"],
                     descending=[False, False, False, True, False, False])
    first = pl.col("is_valid") & (pl.col("is_valid").cast(pl.Int32).cum_sum().over(person) == 1)
    held = held.with_columns(
        first.alias("is_counted"),
        pl.when(pl.col("is_valid") & ~first).then(pl.lit("person_already_counted"))
        .otherwise(pl.col("reason")).alias("reason"),
    ).with_columns(
        pl.when(pl.col("is_counted")).then(1.0).otherwise(0.0).alias("contribution"),
        pl.lit(metric.name).alias("metric"),
    )
    return held.select(pl.col(c).cast(t) for c, t in PERSON_COLUMNS.items())


KINDS: dict[str, Callable[[Context, Metric], pl.LazyFrame]] = {
    "tenant_count_growth": tenant_count_growth,
    "active_usage_growth": active_usage_growth,
    "deployment_growth": deployment_growth,
    "certified_people": certified_people,
}
PERSON_KINDS = frozenset({"certified_people"})


def compute_contributions(ctx: Context) -> dict[str, pl.LazyFrame]:
    """The contribution rows of every metric of the context's area, by metric name."""
    return {metric.name: KINDS[metric.kind](ctx, metric) for metric in ctx.area.metrics}


def metric_values(ctx: Context, contributions: dict[str, pl.LazyFrame],
                  partner_ids: pl.LazyFrame) -> pl.LazyFrame:
    """One row per partner x snapshot x track x metric x option with the metric's value.

    Partners and options without any contribution get a value of 0.
    """
    skeleton = _skeleton(ctx.area, partner_ids, ctx.snapshots)
    tenant_sums, person_sums = [], []
    for metric in ctx.area.metrics:
        frame = contributions[metric.name].filter(pl.col("is_counted"))
        if metric.kind in PERSON_KINDS:
            person_sums.append(frame.group_by("partner_id", "as_of", "metric")
                               .agg(pl.col("contribution").sum().alias("value")))
        else:
            tenant_sums.append(frame.group_by("partner_id", "as_of", "track", "metric", "option")
                               .agg(pl.col("contribution").sum().alias("value")))
    values = skeleton
    if tenant_sums:
        values = values.join(pl.concat(tenant_sums), how="left", nulls_equal=True,
                             on=["partner_id", "as_of", "track", "metric", "option"])
    else:
        values = values.with_columns(pl.lit(None, pl.Float64).alias("value"))
    if person_sums:
        values = values.join(pl.concat(person_sums).rename({"value": "people"}),
                             on=["partner_id", "as_of", "metric"], how="left").with_columns(
            pl.coalesce("value", "people").alias("value")).drop("people")
    return values.with_columns(pl.col("value").fill_null(0.0))


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
                })
    grid = pl.DataFrame(rows, schema={
        "track": pl.String, "metric": pl.String, "option": pl.String, "full_marks_at": pl.Float64,
        "max_points": pl.Float64, "category": pl.String, "metric_order": pl.Int32,
        "track_order": pl.Int32, "option_order": pl.Int32}).lazy()
    return (partner_ids.join(snapshots.select("as_of", "month_index"), how="cross")
            .join(grid, how="cross"))
