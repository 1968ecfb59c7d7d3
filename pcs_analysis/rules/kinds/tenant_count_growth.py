"""tenant_count_growth: net customer adds, the customers in a seat band gained over a year."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import (
    YEAR,
    Context,
    eligibility_reason,
    read_months,
    tenant_frame,
    tenant_reasons,
    tenant_sentences,
    year_on_year,
)
from pcs_analysis.rules.kinds.settings import TenantWorkloads
from pcs_analysis.rules.kinds.tenants import eligible_workload_rows, first_association, tenant_option_months
from pcs_analysis.rules.model import Metric


@dataclass(frozen=True, kw_only=True)
class Settings(TenantWorkloads):
    """The workload list whose seat bands make a customer count."""


def tenant_count_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Qualifying tenants in the scored month minus qualifying tenants 12 months earlier.

    A tenant qualifies on a track when one eligible workload puts it in the track's seat band
    and it has an eligible association that had begun by that month.
    """
    rows = read_months(eligible_workload_rows(ctx.usage, metric), ctx.snapshots, (0, YEAR))
    table = tenant_option_months(rows, ctx.seat_bands(metric), metric)
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=eligibility_reason(), value=pl.lit(1.0)), metric)


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """One more customer at the bottom of the track's seat band."""
    rule = leaf.tracks[track]
    if rule.seat_band is None:
        return
    new, workload, association = sink.new_customer(), sink.workload_name(leaf), first_association(rule)
    paid = rule.seat_band.min_paid_units
    sink.add("add_customer", new, f"{label}: win one more customer with {paid} paid {workload} licences, "
             f"associated via {association}", sink.customer_rows(new, workload, association, paid=paid, active=0))


KIND = Kind(
    name="tenant_count_growth",
    summary="customers in the seat band now minus a year earlier",
    settings=Settings,
    track_keys=frozenset({"seat_band", "associations", "options", "full_marks_at"}),
    contributions=tenant_count_growth,
    propose=propose,
    reasons=tenant_reasons,
    sentence_settings=tenant_sentences,
)
