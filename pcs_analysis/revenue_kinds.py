"""Metric kinds over revenue (Azure consumed revenue, billed revenue): customers with enough
revenue, percentage revenue growth with a gate, and distinct services with revenue."""

from __future__ import annotations

import polars as pl

from .context import COUNTED, YEAR, Context, tenant_frame, year_on_year
from .rules import Metric
from .tenants import TENANT, eligible_workload_rows, option_rows


def _monthly_revenue(ctx: Context, metric: Metric, *, by_workload: bool = False) -> pl.LazyFrame:
    """Revenue of associated rows per tenant (x workload) x track x option x month."""
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option", "month_index"]
    rows = option_rows(eligible_workload_rows(ctx.usage, metric), metric)
    return rows.group_by(keys).agg(
        pl.when(pl.col("is_associated")).then(pl.col("revenue_cents")).otherwise(0).sum().alias("revenue"),
        pl.col("is_associated").any(),
        *([pl.col("workload").first()] if by_workload else []),
    )


def _spread(table: pl.LazyFrame, keys: list[str], months: int, how: str) -> pl.LazyFrame:
    """Each month's value over the `months` months ending there (max or sum)."""
    if months == 1:
        return table
    spread = table.with_columns(pl.int_ranges(0, months, dtype=pl.Int32).alias("offset")).explode("offset") \
        .with_columns((pl.col("month_index") + pl.col("offset")).alias("month_index"))
    agg = pl.col("revenue").max() if how == "max" else pl.col("revenue").sum()
    return spread.group_by([*keys, "month_index"]).agg(agg, pl.col("is_associated").any())


def _in_dollars(table: pl.LazyFrame) -> pl.LazyFrame:
    """Revenue is summed in whole cents (exact); dollars for comparisons and output."""
    return table.with_columns((pl.col("revenue") / 100).alias("revenue"))


def revenue_customer_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Customers with at least the track's `min_revenue_usd` in one of the last
    `revenue_months` months, in the scored month minus 12 months earlier."""
    keys = [*TENANT, "track", "option"]
    table = _in_dollars(_spread(_monthly_revenue(ctx, metric), keys, metric.revenue_months, "max"))
    thresholds = pl.DataFrame({"track": list(metric.tracks),
                               "min_revenue": [r.min_revenue_usd for r in metric.tracks.values()]}).lazy()
    table = table.join(thresholds, on="track", how="left")
    reason = pl.when(pl.col("revenue") >= pl.col("min_revenue")).then(pl.lit(COUNTED)).otherwise(
        pl.lit("below_revenue"))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.lit(1.0)), metric)


def revenue_growth_percent(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Qualifying revenue per tenant in the scored month and 12 months earlier (`growth_basis`:
    the month itself, or the trailing 12 months ending there); the percentage is taken over the
    whole customer base by `percent_growth_values`."""
    keys = [*TENANT, "track", "option"]
    months = YEAR if metric.growth_basis == "trailing_12" else 1
    table = _in_dollars(_spread(_monthly_revenue(ctx, metric), keys, months, "sum"))
    reason = pl.when(pl.col("revenue") > 0).then(pl.lit(COUNTED)).otherwise(pl.lit("no_revenue"))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.col("revenue")), metric)



def percent_growth_values(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """Growth in percent of the baseline; the gate (`min_baseline_revenue_usd` on the baseline,
    the current month or both) must hold for any points. Sums are taken in whole cents."""
    cents = (pl.col("contribution") * 100).round(0).cast(pl.Int64)
    sums = contributions.group_by("partner_id", "as_of", "track", "metric", "option").agg(
        cents.filter(pl.col("period") == "current").sum().alias("current"),
        (-cents.filter(pl.col("period") == "baseline").sum()).alias("baseline"),
    ).with_columns(pl.col("current") / 100, pl.col("baseline") / 100)
    minimum = metric.min_baseline_revenue_usd
    gate = {"baseline": pl.col("baseline") >= minimum, "current": pl.col("current") >= minimum,
            "both": (pl.col("baseline") >= minimum) & (pl.col("current") >= minimum)}[metric.gate_applies_to]
    growth = pl.when(pl.col("baseline") > 0).then(
        (pl.col("current") - pl.col("baseline")) * 100 / pl.col("baseline")).otherwise(0.0)
    return sums.select("partner_id", "as_of", "track", "metric", "option", growth.alias("value"),
                       (gate & (pl.col("baseline") > 0)).alias("is_open"))


def distinct_services(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Distinct eligible services with revenue above zero across the whole customer base over
    the `lookback_months` months ending with the scored month (not a net, not per tenant)."""
    per_month = _monthly_revenue(ctx, metric, by_workload=True)
    window = per_month.join(ctx.snapshots.select("as_of", pl.col("month_index").alias("scored")), how="cross") \
        .filter((pl.col("month_index") > pl.col("scored") - metric.lookback_months)
                & (pl.col("month_index") <= pl.col("scored")))
    services = _in_dollars(window.group_by("partner_id", "as_of", "track", "option", "workload_key").agg(
        pl.col("revenue").sum(), pl.col("workload").first(), pl.col("scored").first().alias("month_index")))
    counted = pl.col("revenue") > 0
    return tenant_frame(services.with_columns(
        pl.lit("current").alias("period"), counted.alias("is_counted"),
        pl.when(counted).then(pl.lit(COUNTED)).otherwise(pl.lit("no_revenue")).alias("reason"),
        pl.when(counted).then(1.0).otherwise(0.0).alias("contribution")), metric)
