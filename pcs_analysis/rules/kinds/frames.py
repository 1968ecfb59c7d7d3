"""What every metric kind reads (`Context`), the contribution columns it returns, and the frame
helpers the kinds share.

Tenant contribution columns
    partner_id, as_of, track, metric, option, period ("current" or "baseline"), month_index,
    tenant_id, workload, is_counted, reason, contribution, active, paid, share, max_paid,
    assoc_month, amount (the measure: USD, or consumption value)
Person contribution columns
    partner_id, as_of, metric, step, person_id, certification, earned_on, expires_on, is_counted,
    reason, contribution
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import polars as pl

from pcs_analysis.rules.model import AreaRules, Metric, Rulebook, TrackRule
from pcs_analysis.rules.periods import month_start_expr

TENANT_COLUMNS = {
    "partner_id": pl.String, "as_of": pl.Date, "track": pl.String, "metric": pl.String,
    "option": pl.String, "period": pl.String, "month_index": pl.Int32, "tenant_id": pl.String,
    "workload": pl.String, "is_counted": pl.Boolean, "reason": pl.String,
    "contribution": pl.Float64, "active": pl.Float64, "paid": pl.Float64, "share": pl.Float64,
    "max_paid": pl.Float64, "assoc_month": pl.Int32, "amount": pl.Float64,
}
PERSON_COLUMNS = {
    "partner_id": pl.String, "as_of": pl.Date, "metric": pl.String, "step": pl.String,
    "person_id": pl.String,
    "certification": pl.String, "earned_on": pl.Date, "expires_on": pl.Date,
    "is_counted": pl.Boolean, "reason": pl.String, "contribution": pl.Float64,
}

#: Reason codes of contribution rows (explain turns them into sentences).
COUNTED = "counted"
#: "The same month last year": metric formulas compare month M with M - YEAR.
YEAR = 12


class Context(Protocol):
    """What a metric kind reads: the prepared inputs of one area and the snapshots to evaluate.
    The engine builds it (`engine.context.Context`, which also knows how snapshot days share an
    evaluation); a kind reads these and nothing else."""

    usage: pl.LazyFrame
    certifications: pl.LazyFrame
    snapshots: pl.LazyFrame
    rules: Rulebook
    area: AreaRules

    def seat_bands(self, metric: Metric) -> pl.LazyFrame:
        """The seat bands of the metric's workloads per tenant, track and month."""


def band_key(metric: Metric) -> tuple:
    return (metric.workload_set, tuple((t, r.seat_band) for t, r in metric.tracks.items()))


def tenant_frame(frame: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Select the tenant contribution columns, in order and with their types."""
    frame = frame.with_columns(pl.lit(metric.name).alias("metric"))
    present = set(frame.collect_schema().names())   # once: resolving a plan's schema is not free
    missing = [c for c in TENANT_COLUMNS if c not in present]
    frame = frame.with_columns(pl.lit(None).alias(c) for c in missing)
    return frame.select(pl.col(c).cast(t) for c, t in TENANT_COLUMNS.items())


def read_months(rows: pl.LazyFrame, snapshots: pl.LazyFrame, months_back: Iterable[int]) -> pl.LazyFrame:
    """Rows of the months a kind reads: each snapshot's scored month minus each of `months_back`
    (aggregating only those months, not every month the context holds)."""
    months = pl.concat([snapshots.select((pl.col("month_index") - back).cast(pl.Int32).alias("month_index"))
                        for back in sorted(set(months_back))]).unique()
    return rows.join(months, on="month_index", how="semi")


def at_snapshot(table: pl.LazyFrame, snapshots: pl.LazyFrame, *, months_back: int) -> pl.LazyFrame:
    """Rows of `table` in the month `months_back` before each snapshot's scored month."""
    points = snapshots.select("as_of", (pl.col("month_index") - months_back).alias("month_index"))
    return table.join(points, on="month_index", how="inner")




def tenant_sentences(metric: Metric, rule: TrackRule) -> dict[str, str | None]:
    """The settings the tenant sentences mention: the track's seat band."""
    return {"_band": "" if rule.seat_band is None else rule.seat_band.describe()}


def tenant_reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    """The sentences of the reasons every tenant kind gives (`eligibility_reason`)."""
    return {
        COUNTED: pl.when(pl.col("period") == "current").then(pl.lit("counted in the scored month"))
        .otherwise(pl.lit("counted in the baseline month (subtracted)")),
        "seat_band": pl.format("outside the {} seat band: largest eligible workload has {} paid units (band: {})",
                               pl.col("track"), pl.col("max_paid").cast(pl.Int64), pl.col("_band").fill_null("")),
        "not_associated_yet": pl.format("association began in {}, after this month",
                                        month_start_expr(pl.col("assoc_month"))),
    }


def eligibility_reason(*more: tuple[pl.Expr, str]) -> pl.Expr:
    """The reason code of a tenant row: outside the seat band, not yet associated, then the
    kind's own conditions (`(is_failing, code)` pairs, in order), else counted."""
    reason = pl.when(~pl.col("in_band")).then(pl.lit("seat_band")).when(~pl.col("is_associated")).then(
        pl.lit("not_associated_yet"))
    for failing, code in more:
        reason = reason.when(failing).then(pl.lit(code))
    return reason.otherwise(pl.lit(COUNTED))


def signed_periods(current: pl.LazyFrame, baseline: pl.LazyFrame, *, reason: pl.Expr,
                   value: pl.Expr) -> pl.LazyFrame:
    """Contribution rows of a year-on-year metric: rows whose `reason` is counted add `value`
    in the scored month and subtract it in the baseline month."""
    frames = [
        frame.with_columns(pl.lit(period).alias("period"), reason.alias("reason"))
        .with_columns((pl.col("reason") == COUNTED).alias("is_counted"))
        .with_columns(pl.when(pl.col("is_counted")).then(sign * value).otherwise(0.0).alias("contribution"))
        for period, frame, sign in (("current", current, 1.0), ("baseline", baseline, -1.0))
    ]
    return pl.concat(frames, how="diagonal_relaxed")


def year_on_year(table: pl.LazyFrame, snapshots: pl.LazyFrame, *, reason: pl.Expr,
                 value: pl.Expr) -> pl.LazyFrame:
    """Signed contributions of each snapshot's scored month and the same month a year earlier."""
    return signed_periods(at_snapshot(table, snapshots, months_back=0),
                          at_snapshot(table, snapshots, months_back=YEAR), reason=reason, value=value)
