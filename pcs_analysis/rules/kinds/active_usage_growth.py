"""active_usage_growth: usage growth, the active users gained over a year, since association."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import (
    COUNTED,
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
from pcs_analysis.rules.model import Metric, Rulebook
from pcs_analysis.rules.periods import month_start_expr


@dataclass(frozen=True, kw_only=True)
class Settings(TenantWorkloads):
    #: "You can only receive points for usage growth from the time you claim or associate with a
    #: customer" (S3): a customer associated within the year is measured from that month.
    credit_from_association: bool = setting(True)


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
    # The scored month back to the same month a year earlier (a later association month is the
    # baseline of a customer associated within the year).
    rows = read_months(eligible_workload_rows(ctx.usage, metric), ctx.snapshots, range(YEAR + 1))
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


def reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    return {**tenant_reasons(rules), "not_counted_in_scored_month": pl.format(
        "associated in {}, after the baseline month, and not counted in the scored month: adds nothing",
        month_start_expr(pl.col("assoc_month")))}


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """Per option, the users that earn one more point at the tenant workload with the most paid
    licences not yet active; and moving tenants between options."""
    rule = leaf.tracks[track]
    for opt in rule.options:
        users = math.ceil(opt.full_marks_at / leaf.max_points)
        rows = sink.month_rows(leaf).filter(pl.col("association").is_in(list(opt.associations)))
        rows = rows.with_columns((pl.col("paid_units").fill_null(0) - pl.col("active_units").fill_null(0))
                                 .alias("headroom")).filter(pl.col("headroom") >= users)
        if rows.height:
            r = rows.sort("headroom", descending=True).row(0, named=True)
            sink.add("grow_users", r["tenant_id"], f"{label}: {users} more active users of {r['workload']} at "
                     f"{r['tenant_id']} ({opt.name or first_association(rule)})",
                     sink.change_row(r, active_units=(r["active_units"] or 0) + users))
    if len(rule.options) > 1:
        sink.association_moves(label, leaf, track)


def forecast_baseline(leaf: Metric, baselines: pl.DataFrame, months: list[int]) -> np.ndarray:
    """With `credit_from_association`, a customer associated after a forecast month's baseline
    month is measured from its association month, as in scoring: its users then are added to that
    month's baseline (the baseline month itself counted no users of it)."""
    if not leaf.credit_from_association or baselines.is_empty():
        return np.zeros(len(months))
    since = baselines.filter(pl.col("month_index") == pl.col("assoc_month"))
    return np.array([-math.fsum(since.filter(pl.col("assoc_month") > m - YEAR)["contribution"].to_list())
                     for m in months])


KIND = Kind(
    name="active_usage_growth",
    summary="active users now minus a year earlier (or since association)",
    settings=Settings,
    track_keys=frozenset({"seat_band", "associations", "options", "full_marks_at"}),
    contributions=active_usage_growth,
    shown_late=("credit_from_association",),
    forecast_sums=True,
    forecast_baseline=forecast_baseline,
    propose=propose,
    reasons=reasons,
    sentence_settings=tenant_sentences,
)
