"""threshold_count_growth: units (tenants, or tenant x workload) whose measure is in the track's
value band, now minus a year earlier."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import COUNTED, Context, tenant_frame, year_on_year
from pcs_analysis.rules.kinds.measures import (
    BAND_KEYS,
    MEASURE_SHOWN,
    banded_track,
    measure_reasons,
    measure_sentences,
    window_lookback,
    windowed,
    with_band,
)
from pcs_analysis.rules.kinds.settings import MeasureRows, setting
from pcs_analysis.rules.kinds.tenants import TENANT, first_association
from pcs_analysis.rules.model import Metric


@dataclass(frozen=True, kw_only=True)
class Settings(MeasureRows):
    #: What is counted: tenants, or tenant x workload pairs.
    unit: Literal["tenant", "tenant_workload"] = setting("tenant")


def threshold_count_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Units (tenants, or tenant x workload) whose measure over the metric's window is in the
    track's band, in the scored month minus those 12 months earlier."""
    by_workload = metric.unit == "tenant_workload"
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option"]
    table = with_band(windowed(ctx, metric, keys, by_workload=by_workload), metric, keys)
    reason = pl.when(pl.col("in_band")).then(pl.lit(COUNTED)).otherwise(pl.col("band_reason"))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.lit(1.0)), metric)


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """One more customer at the bottom of the track's value band."""
    rule = leaf.tracks[track]
    band = rule.value_band
    if band is None:
        return
    new, association = sink.new_customer(), first_association(rule)
    amount = band.minimum + (0.01 if band.above else 0.0)
    if leaf.measure == "consumption_value":
        key = sorted(leaf.rates)[0]
        line = leaf.rates[key]
        users = math.ceil(amount / line.rate)
        change = sink.customer_rows(new, line.unit, association, active=users, revenue=0.0,
                                    product=sink.area.workload_products.get(key))
        text = f"{label}: one more {line.unit} deployment with {users} monthly active users"
    else:
        workload = sink.workload_name(leaf) if leaf.workloads else "Azure consumption (all services)"
        # The product family: the metric's own, else the workload's in the rulebook (inferred).
        change = sink.customer_rows(new, workload, association, revenue=amount,
                                    product=leaf.products[0] if leaf.products else None)
        text = f"{label}: one more customer with USD {amount:,.2f} of {workload} in {sink.month:%Y-%m}"
    sink.add("add_customer", new, text, change)


KIND = Kind(
    name="threshold_count_growth",
    summary="units whose measure is in the value band now minus a year earlier",
    settings=Settings,
    track_keys=frozenset({"associations", "options", "full_marks_at"}) | BAND_KEYS,
    contributions=threshold_count_growth,
    read_track=banded_track,
    lookback=window_lookback,
    shown=(*MEASURE_SHOWN, "unit"),
    propose=propose,
    reasons=measure_reasons,
    sentence_settings=measure_sentences,
)
