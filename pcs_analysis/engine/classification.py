"""Track classification for areas where Microsoft classifies the partner (not the higher total).

Each classifier returns one row per partner x snapshot: `classified_track` (null where the data
cannot decide) and `basis`, the plain-language reason. Where the data cannot decide, the summary
keeps the higher total and says why.

- Azure areas (customer_segment_share): SMB when at least `smb_share_min` of the partner's
  customers in the scored month (tenants with rows of the classification's product) are in an
  SMB segment.
- Business Applications (workload_revenue): Enterprise when at least `min_workloads` workloads
  have more than `above_revenue_usd` revenue in a customer tenant in each month of `months_back`.
"""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.context import Context
from pcs_analysis.rules import AreaRules, TrackClassification, WorkloadRevenueClassification


def classify(ctx: Context) -> pl.LazyFrame:
    """The classification of every partner and snapshot of the context's area."""
    rule = ctx.area.classification
    if isinstance(rule, TrackClassification):
        return classify_by_segment_share(ctx)
    if isinstance(rule, WorkloadRevenueClassification):
        return classify_by_workload_revenue(ctx)
    raise ValueError(f"area '{ctx.area.area}' has no track classification")


#: How every `track_basis` of an undecided classification ends.
UNDECIDED = "both tracks scored, the qualifying or else higher-total track shown"


def undecided_basis(area: AreaRules) -> str:
    """Why a partner without any classification row was not classified."""
    if isinstance(area.classification, WorkloadRevenueClassification):
        return f"no workload revenue in the classification months: {UNDECIDED}"
    return f"customer segments unknown: {UNDECIDED}"


def unclassified(area: AreaRules) -> tuple[str | None, str]:
    """The track and basis of a partner the data give no classification row: Business
    Applications with no workload revenue is SMB (`without_revenue`), else both tracks are
    scored (`undecided_basis`)."""
    rule = area.classification
    if isinstance(rule, WorkloadRevenueClassification) and rule.without_revenue == rule.other_track:
        return rule.other_track, (f"no workload revenue in the classification months: no workload above USD "
                                  f"{rule.above_revenue_usd:,g} is {rule.min_workloads - 1} or fewer "
                                  f"({rule.other_track})")
    return None, undecided_basis(area)


def classify_by_segment_share(ctx: Context) -> pl.LazyFrame:
    rule = ctx.area.classification
    assert isinstance(rule, TrackClassification)
    month_rows = ctx.usage.filter(pl.col("product").cast(pl.String) == rule.product).join(
        ctx.snapshots.select("as_of", "month_index"), on="month_index", how="inner")
    if rule.customers == "with_revenue":
        month_rows = month_rows.filter(pl.col("revenue_cents") > 0)
    tenants = month_rows.group_by("partner_id", "as_of", "tenant_id").agg(
        pl.col("customer_segment").drop_nulls().first())
    shares = tenants.group_by("partner_id", "as_of").agg(
        pl.col("customer_segment").is_not_null().sum().alias("with_segment"),
        pl.col("customer_segment").is_null().sum().alias("without_segment"),
        pl.col("customer_segment").is_in(list(rule.smb_segments)).sum().alias("smb"),
    )
    counted = (pl.col("with_segment") if rule.unknown_segment == "excluded"
               else pl.col("with_segment") + pl.col("without_segment"))
    shares = shares.with_columns(pl.when(pl.col("with_segment") > 0).then(pl.col("smb") / counted)
                                 .alias("smb_share"))
    classified = (pl.when(pl.col("smb_share").is_null()).then(None)
                  .when(pl.col("smb_share") >= rule.smb_share_min).then(pl.lit(rule.smb_track))
                  .otherwise(pl.lit(rule.other_track)))
    share = (pl.col("smb_share") * 100).round(0).cast(pl.Int64)
    # Tenants without a segment: left out of the share or counted as not SMB (`unknown_segment`).
    fate = "left out" if rule.unknown_segment == "excluded" else "counted as not SMB"
    without = (pl.when(pl.col("without_segment") > 0)
               .then(pl.format("; {} without a segment {}", pl.col("without_segment"), pl.lit(fate)))
               .otherwise(pl.lit("")))
    basis = (pl.when(pl.col("smb_share").is_null()).then(pl.lit(undecided_basis(ctx.area)))
             .otherwise(pl.format("customer segments: {}% SMB of {} customers with a segment{} (SMB from {})",
                                  share, pl.col("with_segment"), without,
                                  pl.lit(f"{rule.smb_share_min * 100:g}%"))))
    return shares.select(pl.col("partner_id").cast(pl.String), "as_of", classified.alias("classified_track"),
                         basis.alias("basis"))


def classify_by_workload_revenue(ctx: Context) -> pl.LazyFrame:
    rule = ctx.area.classification
    assert isinstance(rule, WorkloadRevenueClassification)
    # A workload's revenue in a tenant and month: the largest of its association rows, or their sum.
    revenue = pl.col("revenue_cents").max() if rule.association_rows == "largest" else pl.col("revenue_cents").sum()
    per_unit = ctx.usage.group_by("partner_id", "tenant_id", "workload_key", "month_index").agg(revenue)
    counts = []
    for back in rule.months_back:
        months = ctx.snapshots.select("as_of", (pl.col("month_index") - back).alias("month_index"))
        rows = per_unit.join(months, on="month_index", how="inner")
        above = pl.col("revenue_cents") > round(rule.above_revenue_usd * 100)
        units = above.sum() if rule.count == "tenant_workload" else pl.col("workload_key").filter(above).n_unique()
        counts.append(rows.group_by("partner_id", "as_of").agg(
            (pl.col("revenue_cents") > 0).any().alias(f"has_{back}"), units.alias(f"n_{back}")))
    table = counts[0]
    for extra in counts[1:]:
        table = table.join(extra, on=["partner_id", "as_of"], how="full", coalesce=True)
    n_cols = [f"n_{b}" for b in rule.months_back]
    has_cols = [f"has_{b}" for b in rule.months_back]
    table = table.with_columns([pl.col(c).fill_null(0) for c in n_cols]
                               + [pl.col(c).fill_null(False) for c in has_cols])
    # No workload revenue: no classification row; scoring gives it the area's `unclassified` track.
    decided = pl.any_horizontal(has_cols)
    is_enterprise = pl.all_horizontal([pl.col(c) >= rule.min_workloads for c in n_cols])
    classified = (pl.when(~decided).then(None).when(is_enterprise).then(pl.lit(rule.enterprise_track))
                  .otherwise(pl.lit(rule.other_track)))
    unit_text = "tenant workloads" if rule.count == "tenant_workload" else "workloads"
    when = ["in the scored month" if b == 0 else f"{b} months before" for b in rule.months_back]
    counts_text = pl.concat_str([pl.format("{} {}", pl.col(n).cast(pl.String), pl.lit(w))
                                 for n, w in zip(n_cols, when, strict=True)], separator=", ")
    basis = (pl.when(~decided).then(None)
             .otherwise(pl.format("{} above USD {}: {} ({} from {} in each)", pl.lit(unit_text),
                                  pl.lit(f"{rule.above_revenue_usd:,g}"), counts_text,
                                  pl.lit(rule.enterprise_track), pl.lit(str(rule.min_workloads)))))
    return table.select(pl.col("partner_id").cast(pl.String), "as_of", classified.alias("classified_track"),
                        basis.alias("basis"))
