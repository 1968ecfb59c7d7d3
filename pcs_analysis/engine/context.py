"""What every metric kind reads, and the helpers they share.

Tenant contribution columns
    partner_id, as_of, track, metric, option, period ("current" or "baseline"), month_index,
    tenant_id, workload, is_counted, reason, contribution, active, paid, share, max_paid,
    assoc_month, amount (the measure: USD, or consumption value)
Person contribution columns
    partner_id, as_of, metric, step, person_id, certification, earned_on, expires_on, is_counted,
    reason, contribution
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from pcs_analysis.engine.tenants import area_usage_rows, eligible_workload_rows, seat_bands
from pcs_analysis.inputs.prepare import prepare_usage
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.names import canonical_key_expr
from pcs_analysis.rules import AreaRules, Metric, Rulebook

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
    #: Days that show the same data month share one evaluation of the usage metrics: `day_map`
    #: links each month's first day (`month_as_of`) to every snapshot day showing it; None when
    #: every snapshot shows a month of its own.
    day_map: pl.LazyFrame | None = None

    def seat_bands(self, metric: Metric) -> pl.LazyFrame:
        return self.bands[band_key(metric)]

    def by_month(self) -> Context:
        """The context whose snapshots are one day per data month (for usage metrics, which
        depend on the data month only)."""
        if self.day_map is None:
            return self
        months = self.snapshots.join(self.day_map.select(pl.col("month_as_of").alias("as_of")).unique(),
                                     on="as_of", how="semi")
        return replace(self, snapshots=months, day_map=None)

    def to_days(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Rows computed by month (`by_month`) repeated for every snapshot day showing that month."""
        if self.day_map is None:
            return frame
        return frame.rename({"as_of": "month_as_of"}).join(self.day_map, on="month_as_of", how="inner") \
            .drop("month_as_of")


def band_key(metric: Metric) -> tuple:
    return (metric.workload_set, tuple((t, r.seat_band) for t, r in metric.tracks.items()))


def build_context(data: PartnerData, rules: Rulebook, area: AreaRules,
                  snapshots: pl.DataFrame) -> Context:
    """Prepare the inputs once per area: usage restricted to the months the snapshots need
    (the scored months, the year before them, and the seat-band look-back) and materialized,
    so every metric reads the same prepared table."""
    first = snapshots["month_index"].min() - YEAR - max(lookback_months(m) for m in leaves(area))
    last = snapshots["month_index"].max()
    usage = (area_usage_rows(prepare_usage(data, rules), area)
             .filter(pl.col("month_index").is_between(first, last)).collect().lazy())
    certifications = data.certifications.with_columns(
        canonical_key_expr(pl.col("certification"), aliases=rules.certification_aliases,
                           prefixes=rules.certification_prefixes).alias("certification_key")
    )
    bands: dict[tuple, pl.LazyFrame] = {}
    for metric in leaves(area):
        if any(r.seat_band for r in metric.tracks.values()) and band_key(metric) not in bands:
            rows = eligible_workload_rows(usage, metric)
            bands[band_key(metric)] = seat_bands(rows, metric).collect().lazy()
    first_day = snapshots.group_by("month_index").agg(pl.col("as_of").min().alias("month_as_of"))
    day_map = None
    if first_day.height < snapshots.height:
        day_map = snapshots.join(first_day, on="month_index").select("month_as_of", "as_of").lazy()
    return Context(usage=usage, certifications=certifications, snapshots=snapshots.lazy(),
                   rules=rules, area=area, bands=bands, day_map=day_map)


def leaves(area: AreaRules) -> list[Metric]:
    """Every metric of the area that reads data (the parts of a sum of parts)."""
    return [leaf for metric in area.metrics for leaf in metric.leaves()]


def lookback_months(metric: Metric) -> int:
    """Months before a compared month that a metric reads (windows and promotion rules)."""
    months = [metric.window_months - 1]
    if metric.kind == "distinct_services":  # reads back from the scored month only
        months.append(metric.lookback_months - 1 - YEAR)
    if metric.growth_basis == "trailing_12":
        months.append(YEAR - 1)
    for rule in metric.tracks.values():
        if rule.seat_band is not None:
            months.append(rule.seat_band.promoted_within_months or 0)
        if rule.value_band is not None:
            months.append((rule.value_band.promoted_within_months or 0) + metric.window_months - 1)
    return max(months)


def tenant_frame(frame: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Select the tenant contribution columns, in order and with their types."""
    frame = frame.with_columns(pl.lit(metric.name).alias("metric"))
    missing = [c for c in TENANT_COLUMNS if c not in frame.collect_schema().names()]
    frame = frame.with_columns(pl.lit(None).alias(c) for c in missing)
    return frame.select(pl.col(c).cast(t) for c, t in TENANT_COLUMNS.items())


def at_snapshot(table: pl.LazyFrame, snapshots: pl.LazyFrame, *, months_back: int) -> pl.LazyFrame:
    """Rows of `table` in the month `months_back` before each snapshot's scored month."""
    points = snapshots.select("as_of", (pl.col("month_index") - months_back).alias("month_index"))
    return table.join(points, on="month_index", how="inner")




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
