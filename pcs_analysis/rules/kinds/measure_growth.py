"""measure_growth: growth of the measure over the whole customer base, in percent of the baseline or
absolute, behind the track's gate."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import COUNTED, YEAR, Context, tenant_frame, year_on_year
from pcs_analysis.rules.kinds.measures import (
    BAND_KEYS,
    MEASURE_SHOWN,
    BandedTrack,
    in_units,
    measure_reasons,
    measure_rows,
    measure_sentences,
    spread,
    value_band,
    window_lookback,
    windowed,
    with_band,
)
from pcs_analysis.rules.kinds.settings import MeasureRows, setting
from pcs_analysis.rules.kinds.tenants import TENANT
from pcs_analysis.rules.model import Metric, TrackRule
from pcs_analysis.rules.schema import Doc


@dataclass(frozen=True, kw_only=True)
class Settings(MeasureRows):
    #: Growth in percent of the baseline, or absolute (USD or MCV).
    growth: Literal["percent", "absolute"] = setting("percent")
    #: What is compared: the month itself, or the trailing 12 months ending there.
    growth_basis: Literal["month", "trailing_12"] = setting("month")
    #: Where the track's `min_baseline` gate applies: the baseline, the current month or both.
    gate_applies_to: Literal["baseline", "current", "both"] = setting("baseline")


def measure_growth(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """The measure per tenant in the scored month and 12 months earlier (`growth_basis`: the
    month itself, or the trailing 12 months ending there), from tenants in the track's band (the
    band is judged on the measure over the metric's window). The growth of the whole customer
    base is taken by `growth_values`."""
    keys = [*TENANT, "track", "option"]
    months = YEAR if metric.growth_basis == "trailing_12" else 1
    table = in_units(spread(measure_rows(ctx, metric), keys, months, "total"))
    if any(r.value_band for r in metric.tracks.values()):
        flags = with_band(windowed(ctx, metric, keys), metric, keys).select(
            *keys, "month_index", "in_band", "is_promoted", "band_reason")
        table = table.join(flags, on=[*keys, "month_index"], how="left", nulls_equal=True).with_columns(
            pl.col("in_band").fill_null(False), pl.col("band_reason").fill_null("below_band"))
    else:
        table = table.with_columns(pl.lit(True).alias("in_band"), pl.lit(None, pl.String).alias("band_reason"))
    reason = (pl.when(~pl.col("in_band")).then(pl.col("band_reason"))
              .when(pl.col("amount") <= 0).then(pl.lit("no_revenue")).otherwise(pl.lit(COUNTED)))
    return tenant_frame(year_on_year(table, ctx.snapshots, reason=reason, value=pl.col("amount")), metric)


def growth_values(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """Growth of the customer base: in percent of the baseline, or absolute. The track's gate
    (`min_baseline` on the baseline, the current month or both) must hold for any points; percent
    growth also needs a baseline above zero. Sums are exact (hundredths)."""
    hundredths = (pl.col("contribution") * 100).round(0).cast(pl.Int64)
    sums = contributions.group_by("partner_id", "as_of", "track", "metric", "option").agg(
        hundredths.filter(pl.col("period") == "current").sum().alias("current"),
        (-hundredths.filter(pl.col("period") == "baseline").sum()).alias("baseline"),
    ).with_columns(pl.col("current") / 100, pl.col("baseline") / 100)
    gates = pl.DataFrame({"track": list(metric.tracks), "minimum": [r.min_baseline for r in metric.tracks.values()]},
                         schema={"track": pl.String, "minimum": pl.Float64}).lazy()
    sums = sums.join(gates, on="track", how="left")
    low, high = pl.col("baseline") >= pl.col("minimum"), pl.col("current") >= pl.col("minimum")
    gate = {"baseline": low, "current": high, "both": low & high}[metric.gate_applies_to]
    if metric.growth == "percent":
        value = pl.when(pl.col("baseline") > 0).then(
            (pl.col("current") - pl.col("baseline")) * 100 / pl.col("baseline")).otherwise(0.0)
        is_open = gate & (pl.col("baseline") > 0)
    else:
        value, is_open = pl.col("current") - pl.col("baseline"), gate
    return sums.select("partner_id", "as_of", "track", "metric", "option", value.alias("value"),
                       is_open.alias("is_open"))


def lookback(metric: Metric) -> int:
    """The window and value bands, and a trailing-12 basis (the 11 months before each compared
    month)."""
    return max(window_lookback(metric), YEAR - 1 if metric.growth_basis == "trailing_12" else 0)


def gate(leaf: Metric, rule: TrackRule, baseline: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The track's growth gate on forecast arrays, where the metric's `gate_applies_to` puts it (as
    `growth_values` reads it): on the baseline, the current month, or both."""
    low = np.broadcast_to(baseline >= rule.min_baseline, current.shape)
    high = current >= rule.min_baseline
    return {"baseline": low, "current": high, "both": low & high}[leaf.gate_applies_to].copy()


def forecast_value(leaf: Metric, rule: TrackRule, baseline: np.ndarray,
                   current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The growth of a forecast level over its baseline, as `growth_values` computes it."""
    if leaf.growth == "percent":
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(baseline > 0, (current - baseline) * 100 / baseline, 0.0)
        return value, gate(leaf, rule, baseline, current) & (baseline > 0)
    return current - baseline, gate(leaf, rule, baseline, current)


def propose(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """More of the measure at the tenant with the most of it."""
    option = leaf.tracks[track].options[0]
    rows = sink.month_rows(leaf).filter(pl.col("association").is_in(list(option.associations)))
    if leaf.measure == "consumption_value":
        rows = rows.filter(pl.col("workload_key").is_in(list(leaf.rates)))
    if not rows.height:
        return
    r = rows.sort(pl.col("revenue_usd").fill_null(0) + pl.col("active_units").fill_null(0),
                  descending=True).row(0, named=True)
    if leaf.growth == "absolute":
        step = option.full_marks_at / leaf.max_points
        sink.add("grow_revenue", r["tenant_id"], f"{label}: USD {step:,.0f} more at {r['tenant_id']} "
                 f"({r['workload']}) in {sink.month:%Y-%m}",
                 sink.change_row(r, revenue_usd=(r["revenue_usd"] or 0) + step))
    elif leaf.measure == "revenue_usd":
        step = max(1.0, round((r["revenue_usd"] or 0) * 0.1, 2))
        sink.add("grow_revenue", r["tenant_id"], f"{label}: USD {step:,.2f} more ACR at {r['tenant_id']} "
                 f"({r['workload']}) in {sink.month:%Y-%m} (+10 % of its month)",
                 sink.change_row(r, revenue_usd=(r["revenue_usd"] or 0) + step))
    else:
        extra = max(1, math.ceil((r["active_units"] or 0) * 0.1))
        sink.add("grow_users", r["tenant_id"], f"{label}: {extra} more monthly active users of {r['workload']} "
                 f"at {r['tenant_id']} (+10 %)", sink.change_row(r, active_units=(r["active_units"] or 0) + extra))


@dataclass(frozen=True)
class GatedTrack(BandedTrack):
    """A track of measure growth: a value band, if it gives one, and its gate."""

    #: The least measure the whole customer base needs (see the metric's `gate_applies_to`)
    #: for any points; 0: no gate.
    min_baseline: float = 0.0

    def parameters(self) -> dict[str, Any]:
        return {**super().parameters(), "min_baseline": self.min_baseline}

    def parameter_names(self) -> frozenset[str]:
        return super().parameter_names() | {"min_baseline"}

    def parameter(self, key: str) -> Any:
        return self.min_baseline if key == "min_baseline" else super().parameter(key)


def read_track(doc: Doc, table: Mapping[str, Any], path: str, max_points: float) -> dict[str, Any]:
    """A track's value band, if it gives one, and its gate (`min_baseline`, 0: none)."""
    return {"settings": GatedTrack(value_band(doc, table, path, required=False),
                                   float(doc.number(table, "min_baseline", path, default=0.0)))}


KIND = Kind(
    name="measure_growth",
    summary="growth of the measure over the customer base, behind a gate",
    settings=Settings,
    track_keys=frozenset({"associations", "options", "full_marks_at", "min_baseline"}) | BAND_KEYS,
    contributions=measure_growth,
    value=growth_values,
    lookback=lookback,
    shown=(*MEASURE_SHOWN, "growth", "growth_basis", "gate_applies_to"),
    read_track=read_track,
    forecast_sums=True,
    forecast_value=forecast_value,
    propose=propose,
    reasons=measure_reasons,
    sentence_settings=measure_sentences,
)
