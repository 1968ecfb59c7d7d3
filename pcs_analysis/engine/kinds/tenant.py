"""Metric kinds over Microsoft 365 tenants: net customer adds, usage growth, deployments."""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.context import (
    COUNTED,
    YEAR,
    Context,
    at_snapshot,
    eligibility_reason,
    signed_periods,
    tenant_frame,
    year_on_year,
)
from pcs_analysis.engine.tenants import TENANT, eligible_workload_rows, tenant_option_months
from pcs_analysis.rules import Metric

# --- tenant_count_growth: net customer adds ------------------------------------------------

def tenant_count_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Qualifying tenants in the scored month minus qualifying tenants 12 months earlier.

    A tenant qualifies on a track when one eligible workload puts it in the track's seat band
    and it has an eligible association that had begun by that month.
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=eligibility_reason(), value=pl.lit(1.0)), metric)


# --- active_usage_growth: usage growth in active users ------------------------------------

def active_usage_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Eligible active units in the scored month minus those of the same month a year earlier,
    per tenant x workload x option.

    With `credit_from_association` ("You can only receive points for usage growth from the time
    you claim or associate with a customer", S3), a tenant workload whose association began after
    the baseline month is measured from its association month: counted in the scored month, it
    adds its users then minus its users in the association month, whatever its seat band was
    then; not counted in the scored month, it adds nothing (it was not eligible a year earlier
    either).
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric, by_workload=True)
    keys = [*TENANT, "workload_key", "track", "option"]
    reason = eligibility_reason()
    current = at_snapshot(table, ctx.snapshots, months_back=0).with_columns(
        reason.alias("current_reason"), pl.lit(False).alias("since_association"))
    baseline_month = pl.col("month_index") - YEAR
    if metric.credit_from_association:
        baseline_month = pl.max_horizontal(baseline_month, pl.col("assoc_month"))
    from_current = current.select(*keys, "as_of", baseline_month.alias("base_month"), "current_reason",
                                  (baseline_month > pl.col("month_index") - YEAR).alias("since_association"))
    lost = (
        at_snapshot(table, ctx.snapshots, months_back=YEAR)
        .join(current.select(*keys, "as_of"), on=[*keys, "as_of"], how="anti", nulls_equal=True)
        .select(*keys, "as_of", pl.col("month_index").alias("base_month"),
                pl.lit(None, pl.String).alias("current_reason"), pl.lit(False).alias("since_association"))
    )
    baseline = (
        pl.concat([from_current, lost])
        .join(table, left_on=[*keys, "base_month"], right_on=[*keys, "month_index"], how="inner",
              nulls_equal=True)
        .rename({"base_month": "month_index"})
    )
    # Measured since its association: the association month counts exactly when the scored
    # month does.
    reason = pl.when(pl.col("since_association")).then(
        pl.when(pl.col("current_reason") == COUNTED).then(pl.lit(COUNTED))
        .otherwise(pl.lit("not_counted_in_scored_month"))).otherwise(reason)
    value = pl.col("active").cast(pl.Float64)
    return tenant_frame(signed_periods(current, baseline, reason=reason, value=value), metric)


# --- deployment_growth: deployments --------------------------------------------------------

def deployment_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Tenants deployed in the scored month minus those deployed 12 months earlier.

    A tenant is deployed on a track x option when it is in the seat band, associated, and its
    active share of paid units reaches `active_share_min`. A current deployment whose
    association began within `exclude_active_at_association_within_months` months and which was
    already above the share (strictly) in its association month is excluded.
    """
    rows = eligible_workload_rows(ctx.usage, metric)
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    keys = [*TENANT, "track", "option"]
    active_enough = pl.col("share").fill_null(0.0) >= metric.active_share_min
    current = at_snapshot(table, ctx.snapshots, months_back=0)
    window = metric.exclude_active_at_association_within_months
    if window:
        at_association = table.select(*keys, pl.col("month_index").alias("assoc_month"),
                                      pl.col("share").alias("share_at_association"))
        recent = (pl.col("assoc_month") > pl.col("month_index") - window) & (
            pl.col("assoc_month") <= pl.col("month_index"))
        current = current.join(at_association, on=[*keys, "assoc_month"], how="left", nulls_equal=True).with_columns(
            # "... and were already greater than 40% at the time of claim or association" (S3):
            # strictly greater, so a tenant at exactly the share when associated is not excluded.
            (recent.fill_null(False)
             & (pl.col("share_at_association").fill_null(0.0) > metric.active_share_min))
            .alias("is_excluded")
        )
    else:
        current = current.with_columns(pl.lit(False).alias("is_excluded"))
    baseline = at_snapshot(table, ctx.snapshots, months_back=YEAR).with_columns(
        pl.lit(False).alias("is_excluded"))
    reason = eligibility_reason((~active_enough, "below_active_share"),
                                (pl.col("is_excluded"), "active_at_association"))
    return tenant_frame(signed_periods(current, baseline, reason=reason, value=pl.lit(1.0)), metric)


