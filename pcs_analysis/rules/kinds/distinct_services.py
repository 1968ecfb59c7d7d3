"""distinct_services: distinct eligible services with revenue across the customer base."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import COUNTED, YEAR, Context, tenant_frame
from pcs_analysis.rules.kinds.measures import in_units, measure_reasons, measure_rows, measure_sentences
from pcs_analysis.rules.kinds.settings import Reads, setting
from pcs_analysis.rules.model import Metric, TrackRule


@dataclass(frozen=True, kw_only=True)
class Settings(Reads):
    #: Services are counted by their revenue (not a setting).
    measure: ClassVar[str] = "revenue_usd"
    products: tuple[str, ...] = setting(read="products")
    excluded_workloads: frozenset[str] = setting(frozenset(), key="exclude_workloads", read="workload_names")
    #: Months, ending with the scored month, over which services with revenue are counted.
    lookback_months: int = setting(12)


def distinct_services(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """Distinct eligible services with revenue above zero across the whole customer base over
    the `lookback_months` months ending with the scored month (not a net, not per tenant)."""
    per_month = measure_rows(ctx, metric, by_workload=True)
    window = per_month.join(ctx.snapshots.select("as_of", pl.col("month_index").alias("scored")), how="cross") \
        .filter((pl.col("month_index") > pl.col("scored") - metric.lookback_months)
                & (pl.col("month_index") <= pl.col("scored")))
    services = in_units(window.group_by("partner_id", "as_of", "track", "option", "workload_key").agg(
        pl.col("amount").sum(), pl.col("workload").first(), pl.col("scored").first().alias("month_index")))
    counted = pl.col("amount") > 0
    return tenant_frame(services.with_columns(
        pl.lit("current").alias("period"), counted.alias("is_counted"),
        pl.when(counted).then(pl.lit(COUNTED)).otherwise(pl.lit("no_revenue")).alias("reason"),
        pl.when(counted).then(1.0).otherwise(0.0).alias("contribution")), metric)


def lookback(metric: Metric) -> int:
    """Reads back from the scored month only (not from a year earlier)."""
    return metric.lookback_months - 1 - YEAR


def forecast_value(leaf: Metric, rule: TrackRule, baseline: np.ndarray,
                   current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forecast count itself (not a growth)."""
    return current, np.ones_like(current, dtype=bool)


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """One more service in use at a tenant already associated on the track."""
    option = leaf.tracks[track].options[0]
    rows = sink.month_rows(leaf).filter(pl.col("association").is_in(list(option.associations)))
    if rows.height:
        r = rows.row(0, named=True)
        excluded = sorted(sink.area.workload_name(k) for k in leaf.excluded_workloads)
        unless = f" ({', '.join(excluded)} do not count)" if excluded else ""
        sink.add("add_service", r["tenant_id"], f"{label}: bring one more Azure service into use at "
                 f"{r['tenant_id']}{unless}",
                 sink.customer_rows(r["tenant_id"], "Another Azure service", r["association"], revenue=1.0,
                                    product=leaf.products[0] if leaf.products else None))


KIND = Kind(
    name="distinct_services",
    summary="distinct services with revenue over the look-back",
    settings=Settings,
    track_keys=frozenset({"associations", "full_marks_at"}),
    contributions=distinct_services,
    lookback=lookback,
    forecast_value=forecast_value,
    propose=propose,
    reasons=measure_reasons,
    sentence_settings=measure_sentences,
)
