"""Track classification for areas where Microsoft classifies the partner (not the higher total).

Azure areas: a partner is SMB when at least `smb_share_min` of its customers in the scored month
(tenants with rows of the classification's product) are in an SMB segment. Where no customer has
a segment, the data cannot decide: the summary keeps the higher total and says so.
"""

from __future__ import annotations

import polars as pl

from .context import Context


def classify_by_segment_share(ctx: Context) -> pl.LazyFrame:
    """One row per partner x snapshot: `classified_track` (null: undetermined) and `smb_share`."""
    rule = ctx.area.classification
    if rule is None:
        raise ValueError(f"area '{ctx.area.area}' has no track classification")
    month_rows = ctx.usage.filter(pl.col("product").cast(pl.String) == rule.product).join(
        ctx.snapshots.select("as_of", "month_index"), on="month_index", how="inner")
    tenants = month_rows.group_by("partner_id", "as_of", "tenant_id").agg(
        pl.col("customer_segment").drop_nulls().first())
    shares = tenants.group_by("partner_id", "as_of").agg(
        pl.col("customer_segment").is_not_null().sum().alias("with_segment"),
        pl.col("customer_segment").is_in(list(rule.smb_segments)).sum().alias("smb"),
    ).with_columns(pl.when(pl.col("with_segment") > 0).then(pl.col("smb") / pl.col("with_segment"))
                   .alias("smb_share"))
    classified = (pl.when(pl.col("smb_share").is_null()).then(None)
                  .when(pl.col("smb_share") >= rule.smb_share_min).then(pl.lit(rule.smb_track))
                  .otherwise(pl.lit(rule.other_track)))
    return shares.select(pl.col("partner_id").cast(pl.String), "as_of", classified.alias("classified_track"),
                         "smb_share")
