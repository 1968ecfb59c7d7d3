"""deployment_growth: deployments, the tenants with enough active users gained over a year."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import (
    YEAR,
    Context,
    at_snapshot,
    eligibility_reason,
    read_months,
    signed_periods,
    tenant_frame,
    tenant_reasons,
    tenant_sentences,
)
from pcs_analysis.rules.kinds.settings import TenantWorkloads, setting
from pcs_analysis.rules.kinds.tenants import TENANT, eligible_workload_rows, first_association, tenant_option_months
from pcs_analysis.rules.model import Metric, Rulebook, TrackRule
from pcs_analysis.rules.periods import month_start_expr


@dataclass(frozen=True, kw_only=True)
class Settings(TenantWorkloads):
    #: The share of paid licences active that makes a tenant deployed.
    active_share_min: float = setting(share=True)
    #: The share of one workload ("any_workload") or of the workloads pooled ("pooled").
    active_share_basis: Literal["any_workload", "pooled"] = setting("any_workload")
    #: A deployment associated within this many months and already above the share then is
    #: excluded (None: never).
    exclude_active_at_association_within_months: int | None = setting(None)


def deployment_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Tenants deployed in the scored month minus those deployed 12 months earlier.

    A tenant is deployed on a track x option when it is in the seat band, associated, and its
    active share of paid units reaches `active_share_min`. A current deployment whose
    association began within `exclude_active_at_association_within_months` months and which was
    already above the share (strictly) in its association month is excluded.
    """
    window = metric.exclude_active_at_association_within_months
    # The scored month, the same month a year earlier, and the months of association the
    # exclusion looks back over.
    rows = read_months(eligible_workload_rows(ctx.usage, metric), ctx.snapshots, (*range(window or 1), YEAR))
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    keys = [*TENANT, "track", "option"]
    active_enough = pl.col("share").fill_null(0.0) >= metric.active_share_min
    current = at_snapshot(table, ctx.snapshots, months_back=0)
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


def sentences(metric: Metric, rule: TrackRule) -> dict[str, str | None]:
    """The seat band, the active share a deployment needs and the exclusion window."""
    months = metric.exclude_active_at_association_within_months
    return {**tenant_sentences(metric, rule), "_needed": f"{metric.active_share_min * 100:g}%",
            "_exclude_months": None if months is None else str(months)}


def reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    share_pct = (pl.col("share").fill_null(0.0) * 100).round(1)
    return {**tenant_reasons(rules),
            "below_active_share": pl.format("{}% of paid licences active; a deployment needs {}", share_pct,
                                            pl.col("_needed")),
            "active_at_association": pl.format(
                "associated in {} and already at {} active then: excluded for {} months",
                month_start_expr(pl.col("assoc_month")), pl.col("_needed"), pl.col("_exclude_months"))}


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """Moving tenants between options; per option, the tenant closest to the active share raised
    to it."""
    rule = leaf.tracks[track]
    if len(rule.options) > 1:
        sink.association_moves(label, leaf, track)
    share = leaf.active_share_min or 0
    for opt in rule.options:
        rows = sink.month_rows(leaf).filter(pl.col("association").is_in(list(opt.associations))
                                            & (pl.col("paid_units").fill_null(0) > 0))
        rows = rows.with_columns((pl.col("active_units").fill_null(0) / pl.col("paid_units")).alias("share"))
        below = rows.filter(pl.col("share") < share)
        if below.height:
            r = below.sort("share", descending=True).row(0, named=True)
            target = math.ceil(share * r["paid_units"])
            sink.add("add_deployment", r["tenant_id"], f"{label}: raise active users of {r['workload']} at "
                     f"{r['tenant_id']} from {r['active_units']} to {target} ({share:.0%} of {r['paid_units']} "
                     f"paid) for one more deployment ({opt.name or first_association(rule)})",
                     sink.change_row(r, active_units=target))


KIND = Kind(
    name="deployment_growth",
    summary="tenants with enough active users now minus a year earlier",
    settings=Settings,
    track_keys=frozenset({"seat_band", "associations", "options", "full_marks_at"}),
    contributions=deployment_growth,
    shown_late=("active_share_min", "active_share_basis", "exclude_active_at_association_within_months"),
    propose=propose,
    reasons=reasons,
    sentence_settings=sentences,
)
