"""Tenant-level building blocks shared by the tenant metric kinds.

Everything here is a polars LazyFrame over all partners, tenants and months at once:
the usage rows restricted to a metric's eligible workloads and association options, the seat
band of each tenant in each month, and the per-tenant (or per tenant x workload) monthly
aggregates the metric kinds count.
"""

from __future__ import annotations

import polars as pl

from pcs_analysis.rules.model import AreaRules, Metric, SeatBand, TrackRule

TENANT = ["partner_id", "tenant_id"]


def eligible_workload_rows(usage: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Usage rows of the metric's eligible workloads (a workload list, or product families minus
    excluded workloads)."""
    return usage.filter(eligible_workload_expr(metric))


def eligible_workload_expr(metric: Metric) -> pl.Expr:
    key = pl.col("workload_key").cast(pl.String)
    if metric.products:
        return pl.col("product").cast(pl.String).is_in(list(metric.products)) & ~key.is_in(
            sorted(metric.excluded_workloads))
    return key.is_in(sorted(metric.workloads))


def option_map(metric: Metric) -> pl.DataFrame:
    """One row per track x option x association type of a tenant metric."""
    rows = [
        {"track": track, "option": option.name, "association": association}
        for track, rule in metric.tracks.items()
        for option in rule.options
        for association in option.associations
    ]
    return pl.DataFrame(rows, schema={"track": pl.String, "option": pl.String, "association": pl.String})


def seat_bands(rows: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Whether each tenant is in each track's seat band, per month.

    Columns: partner_id, tenant_id, month_index, track, in_band, is_promoted, max_paid.
    A tenant is in a band when at least one eligible workload (under any association) has paid
    units inside it; with a promotion rule, a tenant above the band that was inside it during
    the previous `promoted_within_months` months stays in it.
    """
    # Paid units are a fact of the tenant's workload: one figure per tenant x workload x month
    # (the largest, should association rows disagree).
    per_month = rows.group_by([*TENANT, "month_index", "workload_key"]).agg(pl.col("paid").max())
    frames = []
    for track, rule in metric.tracks.items():
        band = rule.seat_band
        if band is None:
            continue
        frames.append(_band(per_month, band).with_columns(pl.lit(track).alias("track")))
    return pl.concat(frames, how="vertical")


def _band(per_month: pl.LazyFrame, band: SeatBand) -> pl.LazyFrame:
    paid = pl.col("paid")
    inside = band.holds(paid)
    above = pl.lit(False) if band.max_paid_units is None else paid > band.max_paid_units
    table = per_month.with_columns(inside.alias("in_raw_band"), above.alias("is_above_band")).group_by(
        [*TENANT, "month_index"]).agg(
        pl.col("in_raw_band").any(), pl.col("is_above_band").any(), paid.max().alias("max_paid"))
    months = band.promoted_within_months
    if not months:
        return table.select(*TENANT, "month_index", pl.col("in_raw_band").alias("in_band"),
                            pl.lit(False).alias("is_promoted"), "max_paid")
    promoted = promoted_expr(pl.lit(months), TENANT)
    return table.select(*TENANT, "month_index", (pl.col("in_raw_band") | promoted).alias("in_band"),
                        promoted.alias("is_promoted"), "max_paid")


def promoted_expr(months: pl.Expr, keys: list[str]) -> pl.Expr:
    """The promotion rule over columns `in_raw_band`, `is_above_band` and `month_index`: a unit
    above its band that was inside it during the previous `months` months (null: no rule)."""
    # The latest earlier month in which the unit was inside the band.
    last_inside = (
        pl.when(pl.col("in_raw_band")).then(pl.col("month_index"))
        .shift(1).forward_fill().over(keys, order_by="month_index")
    )
    return (
        pl.col("is_above_band") & ~pl.col("in_raw_band")
        & (pl.col("month_index") - last_inside <= months).fill_null(False)
    )


def option_rows(rows: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """Usage rows joined to the track x option they can count for (by association type).

    Adds `track`, `option` and `is_associated` (the association had begun by that month).
    Rows whose association type no option accepts are dropped here; `explain` reports them.
    """
    options = option_map(metric).lazy().with_columns(pl.col("association").cast(pl.Categorical))
    special = sorted(metric.workload_associations)
    if special:
        # Workloads with their own association types (e.g. Power Platform: PAL only).
        key = pl.col("workload_key").cast(pl.String)
        own = pl.DataFrame(
            [{"track": t, "option": o.name, "association": a, "own_key": w}
             for t, rule in metric.tracks.items() for o in rule.options
             for w, accepted in metric.workload_associations.items() for a in accepted],
            schema={"track": pl.String, "option": pl.String, "association": pl.String, "own_key": pl.String},
        ).lazy().with_columns(pl.col("association").cast(pl.Categorical))
        joined = pl.concat([
            rows.filter(~key.is_in(special)).join(options, on="association", how="inner"),
            rows.filter(key.is_in(special)).with_columns(key.alias("own_key"))
            .join(own, on=["association", "own_key"], how="inner").drop("own_key"),
        ])
    else:
        joined = rows.join(options, on="association", how="inner")
    return joined.with_columns(
        (pl.col("assoc_month").is_null() | (pl.col("assoc_month") <= pl.col("month_index")))
        .alias("is_associated")
    )


def tenant_option_months(rows: pl.LazyFrame, bands: pl.LazyFrame, metric: Metric,
                         by_workload: bool = False) -> pl.LazyFrame:
    """Monthly aggregates per tenant (or tenant x workload) x track x option.

    Columns: the keys, month_index, in_band, max_paid, is_promoted, is_associated (some row's
    association had begun), assoc_month (earliest association month of the associated rows),
    active and paid (sums over associated rows), share (the activity share per
    `metric.active_share_basis`, null without paid units).
    """
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option", "month_index"]
    # The share of a workload, unless the kind pools its workloads (deployments' setting).
    basis = getattr(metric.settings, "active_share_basis", "any_workload")
    ok = pl.col("is_associated")
    # Mask first, then aggregate with plain sum/min/max/any (the fast group-by path).
    masked = option_rows(rows, metric).with_columns(
        pl.when(ok).then(pl.col("active")).otherwise(0).alias("active"),
        pl.when(ok).then(pl.col("paid")).otherwise(0).alias("paid"),
        pl.when(ok).then(pl.col("assoc_month")).alias("assoc_month"),
        pl.when(ok & (pl.col("paid") > 0)).then(pl.col("active") / pl.col("paid")).alias("row_share"),
    )
    pooled = pl.when(pl.col("paid") > 0).then(pl.col("active") / pl.col("paid"))
    aggregated = masked.group_by(keys).agg(
        ok.any().alias("is_associated"),
        pl.col("assoc_month").min(),
        pl.col("active").sum(),
        pl.col("paid").sum(),
        pl.col("row_share").max(),
        *([pl.col("workload").first()] if by_workload else []),
    ).with_columns(
        (pl.col("row_share") if basis == "any_workload" else pooled).alias("share")
    ).drop("row_share")
    return aggregated.join(bands, on=[*TENANT, "month_index", "track"], how="left").with_columns(
        pl.col("in_band").fill_null(False),
        pl.col("is_promoted").fill_null(False),
    )


def area_usage_rows(usage: pl.LazyFrame, area: AreaRules) -> pl.LazyFrame:
    """Usage rows of any workload the area's tenant metrics count."""
    keys, products = area.workload_reads()
    return usage.filter(pl.col("workload_key").cast(pl.String).is_in(sorted(keys))
                        | pl.col("product").cast(pl.String).is_in(sorted(products)))


def first_association(rule: TrackRule) -> str | None:
    """The association type a proposed customer takes on a track: its first option's first."""
    option = rule.options[0]
    return option.associations[0] if option.associations else None
