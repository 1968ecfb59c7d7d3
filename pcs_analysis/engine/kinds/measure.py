"""Metric kinds over a measure summed from usage rows: Azure consumed or billed revenue (USD), or
Business Applications' monthly consumption value (MCV: active users or capacity x the area's
rate card). Units (tenants, or tenant x workload) within a band, growth of the measure over the
customer base (percent or absolute, with a gate), and distinct services with revenue.

Amounts are summed in hundredths (whole cents for USD) so that sums are exact and independent of
the order of summation; they are divided back only for comparisons and output.
"""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.context import COUNTED, YEAR, Context, tenant_frame, year_on_year
from pcs_analysis.engine.tenants import TENANT, eligible_workload_rows, option_rows, promoted_expr
from pcs_analysis.rules import Metric


def _measure_rows(ctx: Context, metric: Metric, *, by_workload: bool = False) -> pl.LazyFrame:
    """The measure of associated rows per tenant (x workload) x track x option x month, in
    hundredths. With the consumption value, a workload is its rate-card line (Sales counts as
    Customer Engagement)."""
    rows = option_rows(eligible_workload_rows(ctx.usage, metric), metric)
    if metric.measure == "consumption_value":
        lines = pl.DataFrame(
            [{"workload_key": k, "unit_key": r.unit_key, "unit": r.unit, "rate": r.rate}
             for k, r in metric.rates.items()],
            schema={"workload_key": pl.String, "unit_key": pl.String, "unit": pl.String, "rate": pl.Float64},
        ).lazy()
        rows = rows.with_columns(pl.col("workload_key").cast(pl.String)).join(
            lines, on="workload_key", how="inner").with_columns(
            (pl.col("active") * pl.col("rate") * 100).round(0).cast(pl.Int64).alias("amount"),
            pl.col("unit_key").alias("workload_key"), pl.col("unit").alias("workload"))
    else:
        rows = rows.with_columns(pl.col("revenue_cents").alias("amount"))
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option", "month_index"]
    return rows.group_by(keys).agg(
        pl.when(pl.col("is_associated")).then(pl.col("amount")).otherwise(0).sum().alias("amount"),
        pl.col("is_associated").any(),
        *([pl.col("workload").cast(pl.String).first()] if by_workload else []),
    )


def _spread(table: pl.LazyFrame, keys: list[str], months: int, how: str) -> pl.LazyFrame:
    """Each month's amount over the `months` months ending there: the largest single month
    ("any_month") or the total ("total")."""
    if months == 1:
        return table
    spread = table.with_columns(pl.int_ranges(0, months, dtype=pl.Int32).alias("offset")).explode("offset") \
        .with_columns((pl.col("month_index") + pl.col("offset")).alias("month_index"))
    carried = [pl.col("workload").first()] if "workload" in table.collect_schema().names() else []
    agg = pl.col("amount").max() if how == "any_month" else pl.col("amount").sum()
    return spread.group_by([*keys, "month_index"]).agg(agg, pl.col("is_associated").any(), *carried)


def _in_units(table: pl.LazyFrame) -> pl.LazyFrame:
    """Hundredths back to USD (or MCV) for comparisons and output."""
    return table.with_columns((pl.col("amount") / 100).alias("amount"))


def _windowed(ctx: Context, metric: Metric, keys: list[str], *, by_workload: bool = False) -> pl.LazyFrame:
    monthly = _measure_rows(ctx, metric, by_workload=by_workload)
    return _in_units(_spread(monthly, keys, metric.window_months, metric.window_value))


def _with_band(table: pl.LazyFrame, metric: Metric, keys: list[str]) -> pl.LazyFrame:
    """Adds `in_band` (the unit's amount is in the track's value band, or was within the
    promotion window), `is_promoted` and `band_reason` (below_band / above_band). Tracks without
    a band: every unit is in it."""
    rows = [{"track": t, "band_min": r.value_band.minimum if r.value_band else None,
             "band_above": r.value_band.above if r.value_band else False,
             "band_max": r.value_band.maximum if r.value_band else None,
             "band_months": r.value_band.promoted_within_months if r.value_band else None}
            for t, r in metric.tracks.items()]
    bands = pl.DataFrame(rows, schema={"track": pl.String, "band_min": pl.Float64, "band_above": pl.Boolean,
                                       "band_max": pl.Float64, "band_months": pl.Int32}).lazy()
    amount = pl.col("amount")
    low_ok = pl.col("band_min").is_null() | pl.when(pl.col("band_above")).then(amount > pl.col("band_min")) \
        .otherwise(amount >= pl.col("band_min"))
    high_ok = pl.col("band_max").is_null() | (amount <= pl.col("band_max"))
    is_above = pl.col("band_max").is_not_null() & (amount > pl.col("band_max"))
    table = table.join(bands, on="track", how="left").with_columns(
        (low_ok & high_ok).alias("in_raw_band"), is_above.alias("is_above_band"))
    promoted = promoted_expr(pl.col("band_months"), [*keys])
    return table.with_columns(promoted.alias("is_promoted")).with_columns(
        (pl.col("in_raw_band") | pl.col("is_promoted")).alias("in_band"),
        pl.when(pl.col("is_above_band")).then(pl.lit("above_band")).otherwise(pl.lit("below_band"))
        .alias("band_reason"),
    ).drop("in_raw_band", "is_above_band", "band_min", "band_above", "band_max", "band_months")


def threshold_count_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Units (tenants, or tenant x workload) whose measure over the metric's window is in the
    track's band, in the scored month minus those 12 months earlier."""
    by_workload = metric.unit == "tenant_workload"
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option"]
    table = _with_band(_windowed(ctx, metric, keys, by_workload=by_workload), metric, keys)
    reason = pl.when(pl.col("in_band")).then(pl.lit(COUNTED)).otherwise(pl.col("band_reason"))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.lit(1.0)), metric)


def measure_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """The measure per tenant in the scored month and 12 months earlier (`growth_basis`: the
    month itself, or the trailing 12 months ending there), from tenants in the track's band (the
    band is judged on the measure over the metric's window). The growth of the whole customer
    base is taken by `growth_values`."""
    keys = [*TENANT, "track", "option"]
    months = YEAR if metric.growth_basis == "trailing_12" else 1
    table = _in_units(_spread(_measure_rows(ctx, metric), keys, months, "total"))
    if any(r.value_band for r in metric.tracks.values()):
        flags = _with_band(_windowed(ctx, metric, keys), metric, keys).select(
            *keys, "month_index", "in_band", "is_promoted", "band_reason")
        table = table.join(flags, on=[*keys, "month_index"], how="left", nulls_equal=True).with_columns(
            pl.col("in_band").fill_null(False), pl.col("band_reason").fill_null("below_band"))
    else:
        table = table.with_columns(pl.lit(True).alias("in_band"), pl.lit(None, pl.String).alias("band_reason"))
    reason = (pl.when(~pl.col("in_band")).then(pl.col("band_reason"))
              .when(pl.col("amount") <= 0).then(pl.lit("no_revenue")).otherwise(pl.lit(COUNTED)))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.col("amount")), metric)


def growth_values(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """Growth of the customer base: in percent of the baseline, or absolute. The track's gate
    (`min_baseline` on the baseline, the current month or both) must hold for any points; percent
    growth also needs a baseline above zero. Sums are exact (hundredths)."""
    hundredths = (pl.col("contribution") * 100).round(0).cast(pl.Int64)
    sums = contributions.group_by("partner_id", "as_of", "track", "metric", "option").agg(
        hundredths.filter(pl.col("period") == "current").sum().alias("current"),
        (-hundredths.filter(pl.col("period") == "baseline").sum()).alias("baseline"),
    ).with_columns(pl.col("current") / 100, pl.col("baseline") / 100)
    gates = pl.DataFrame({"track": list(metric.tracks), "minimum": [r.min_baseline for r in metric.tracks.values()]},
                         schema={"track": pl.String, "minimum": pl.Float64}).lazy()
    sums = sums.join(gates, on="track", how="left")
    low, high = pl.col("baseline") >= pl.col("minimum"), pl.col("current") >= pl.col("minimum")
    gate = {"baseline": low, "current": high, "both": low & high}[metric.gate_applies_to]
    if metric.growth == "percent":
        value = pl.when(pl.col("baseline") > 0).then(
            (pl.col("current") - pl.col("baseline")) * 100 / pl.col("baseline")).otherwise(0.0)
        is_open = gate & (pl.col("baseline") > 0)
    else:
        value, is_open = pl.col("current") - pl.col("baseline"), gate
    return sums.select("partner_id", "as_of", "track", "metric", "option", value.alias("value"),
                       is_open.alias("is_open"))


def distinct_services(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Distinct eligible services with revenue above zero across the whole customer base over
    the `lookback_months` months ending with the scored month (not a net, not per tenant)."""
    per_month = _measure_rows(ctx, metric, by_workload=True)
    window = per_month.join(ctx.snapshots.select("as_of", pl.col("month_index").alias("scored")), how="cross") \
        .filter((pl.col("month_index") > pl.col("scored") - metric.lookback_months)
                & (pl.col("month_index") <= pl.col("scored")))
    services = _in_units(window.group_by("partner_id", "as_of", "track", "option", "workload_key").agg(
        pl.col("amount").sum(), pl.col("workload").first(), pl.col("scored").first().alias("month_index")))
    counted = pl.col("amount") > 0
    return tenant_frame(services.with_columns(
        pl.lit("current").alias("period"), counted.alias("is_counted"),
        pl.when(counted).then(pl.lit(COUNTED)).otherwise(pl.lit("no_revenue")).alias("reason"),
        pl.when(counted).then(1.0).otherwise(0.0).alias("contribution")), metric)
