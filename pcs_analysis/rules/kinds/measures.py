"""What the measure kinds share: a measure summed from usage rows, Azure consumed or billed revenue
(USD) or Business Applications' monthly consumption value (MCV: active users or capacity x the
area's rate card), over a window, and the value bands units are judged by.

Amounts are summed in hundredths (whole cents for USD) so that sums are exact and independent of
the order of summation; they are divided back only for comparisons and output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pcs_analysis.rules.kinds.frames import Context, tenant_reasons, tenant_sentences
from pcs_analysis.rules.kinds.tenants import TENANT, eligible_workload_rows, option_rows, promoted_expr
from pcs_analysis.rules.model import Metric, Rulebook, TrackRule, TrackSettings, ValueBand
from pcs_analysis.rules.schema import REMOVE, Doc, build

#: The value band keys of a measure kind's track tables.
BAND_KEYS = frozenset({"min_value", "above_value", "max_value", "promoted_within_months"})
#: The settings `rules show` lists first for a measure kind (rates and workload associations per
#: line).
MEASURE_SHOWN = ("measure", "window_months", "window_value", "rates", "workload_associations")


@dataclass(frozen=True)
class BandedTrack(TrackSettings):
    """A measure kind's track: the value band its units must be in (None: every unit is)."""

    value_band: ValueBand | None = None

    def parameters(self) -> dict[str, Any]:
        band = self.value_band
        if band is None:
            return {}
        return {"above_value" if band.above else "min_value": band.minimum, "max_value": band.maximum,
                "promoted_within_months": band.promoted_within_months}

    def keys_to_set(self, key: str, value: Any) -> list[tuple[str, Any]]:
        # The band's lower end is either `min_value` (at least) or `above_value` (more than).
        if key in ("min_value", "above_value"):
            other = "above_value" if key == "min_value" else "min_value"
            return [(other, REMOVE), (key, value)]
        return [(key, value)]

    def parameter_names(self) -> frozenset[str]:
        # Either lower end may be set: the band then says "at least" or "more than".
        return BAND_KEYS if self.value_band is not None else frozenset()

    def parameter(self, key: str) -> Any:
        # Either lower end names the band's minimum.
        return self.value_band.minimum if key in ("min_value", "above_value") else self.parameters()[key]


def measure_sentences(metric: Metric, rule: TrackRule) -> dict[str, str | None]:
    """The settings a measure row's sentence mentions: the measure, the window and the track's
    value band."""
    unit = " MCV" if metric.measure == "consumption_value" else ""
    months = getattr(metric.settings, "window_months", 1)
    how = "total" if getattr(metric.settings, "window_value", None) == "total" else "best month"
    band = getattr(rule.settings, "value_band", None)
    return {**tenant_sentences(metric, rule), "_measure": "MCV" if unit else "USD",
            "_window": f" over the {months} months to this one ({how})" if months > 1 else "",
            "_value_band": "" if band is None else ("" if unit else "USD ") + band.describe(unit)}


def measure_reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    amount = pl.format("{} {}", pl.col("_measure"), pl.col("amount").round(2))
    bands = pl.col("_value_band").fill_null("")
    return {**tenant_reasons(rules),
            "below_band": pl.format("{}{}: below the {} band ({})", amount, pl.col("_window"), pl.col("track"), bands),
            "above_band": pl.format("{}{}: above the {} band ({})", amount, pl.col("_window"), pl.col("track"), bands),
            "no_revenue": pl.format("no {} in the period", pl.col("_measure"))}


def measure_rows(ctx: Context, metric: Metric, *, by_workload: bool = False) -> pl.LazyFrame:
    """The measure of associated rows per tenant (x workload) x track x option x month, in
    hundredths. With the consumption value, a workload is its rate-card line (Sales counts as
    Customer Engagement)."""
    rows = option_rows(eligible_workload_rows(ctx.usage, metric), metric)
    if metric.measure == "consumption_value":
        lines = pl.DataFrame(
            [{"workload_key": k, "unit_key": r.unit_key, "unit": r.unit, "rate": r.rate}
             for k, r in metric.rates.items()],
            schema={"workload_key": pl.String, "unit_key": pl.String, "unit": pl.String, "rate": pl.Float64},
        ).lazy()
        rows = rows.with_columns(pl.col("workload_key").cast(pl.String)).join(
            lines, on="workload_key", how="inner").with_columns(
            (pl.col("active") * pl.col("rate") * 100).round(0).cast(pl.Int64).alias("amount"),
            pl.col("unit_key").alias("workload_key"), pl.col("unit").alias("workload"))
    else:
        rows = rows.with_columns(pl.col("revenue_cents").alias("amount"))
    keys = [*TENANT, *(["workload_key"] if by_workload else []), "track", "option", "month_index"]
    return rows.group_by(keys).agg(
        pl.when(pl.col("is_associated")).then(pl.col("amount")).otherwise(0).sum().alias("amount"),
        pl.col("is_associated").any(),
        *([pl.col("workload").cast(pl.String).first()] if by_workload else []),
    )


def spread(table: pl.LazyFrame, keys: list[str], months: int, how: str) -> pl.LazyFrame:
    """Each month's amount over the `months` months ending there: the largest single month
    ("any_month") or the total ("total")."""
    if months == 1:
        return table
    spread = table.with_columns(pl.int_ranges(0, months, dtype=pl.Int32).alias("offset")).explode("offset") \
        .with_columns((pl.col("month_index") + pl.col("offset")).alias("month_index"))
    carried = [pl.col("workload").first()] if "workload" in table.collect_schema().names() else []
    agg = pl.col("amount").max() if how == "any_month" else pl.col("amount").sum()
    return spread.group_by([*keys, "month_index"]).agg(agg, pl.col("is_associated").any(), *carried)


def in_units(table: pl.LazyFrame) -> pl.LazyFrame:
    """Hundredths back to USD (or MCV) for comparisons and output."""
    return table.with_columns((pl.col("amount") / 100).alias("amount"))


def windowed(ctx: Context, metric: Metric, keys: list[str], *, by_workload: bool = False) -> pl.LazyFrame:
    monthly = measure_rows(ctx, metric, by_workload=by_workload)
    return in_units(spread(monthly, keys, metric.window_months, metric.window_value))


def with_band(table: pl.LazyFrame, metric: Metric, keys: list[str]) -> pl.LazyFrame:
    """Adds `in_band` (the unit's amount is in the track's value band, or was within the
    promotion window), `is_promoted` and `band_reason` (below_band / above_band). Tracks without
    a band: every unit is in it."""
    rows = [{"track": t, "band_min": r.value_band.minimum if r.value_band else None,
             "band_above": r.value_band.above if r.value_band else False,
             "band_max": r.value_band.maximum if r.value_band else None,
             "band_months": r.value_band.promoted_within_months if r.value_band else None}
            for t, r in metric.tracks.items()]
    bands = pl.DataFrame(rows, schema={"track": pl.String, "band_min": pl.Float64, "band_above": pl.Boolean,
                                       "band_max": pl.Float64, "band_months": pl.Int32}).lazy()
    amount = pl.col("amount")
    low_ok = pl.col("band_min").is_null() | pl.when(pl.col("band_above")).then(amount > pl.col("band_min")) \
        .otherwise(amount >= pl.col("band_min"))
    high_ok = pl.col("band_max").is_null() | (amount <= pl.col("band_max"))
    is_above = pl.col("band_max").is_not_null() & (amount > pl.col("band_max"))
    table = table.join(bands, on="track", how="left").with_columns(
        (low_ok & high_ok).alias("in_raw_band"), is_above.alias("is_above_band"))
    promoted = promoted_expr(pl.col("band_months"), [*keys])
    return table.with_columns(promoted.alias("is_promoted")).with_columns(
        (pl.col("in_raw_band") | pl.col("is_promoted")).alias("in_band"),
        pl.when(pl.col("is_above_band")).then(pl.lit("above_band")).otherwise(pl.lit("below_band"))
        .alias("band_reason"),
    ).drop("in_raw_band", "is_above_band", "band_min", "band_above", "band_max", "band_months")


def banded_track(doc: Doc, table: Mapping[str, Any], path: str, max_points: float) -> dict[str, Any]:
    """A track whose value band is required (`Kind.read_track`)."""
    return {"settings": BandedTrack(value_band(doc, table, path, required=True))}


def value_band(doc: Doc, table: Mapping[str, Any], path: str, *, required: bool) -> ValueBand | None:
    """A track's value band: at least `min_value` (or more than `above_value`), at most
    `max_value`, with a promotion rule; None when the track gives none and none is required."""
    has_min, has_above = "min_value" in table, "above_value" in table
    if has_min and has_above:
        raise doc.fail(path, "give either min_value (at least) or above_value (more than), not both")
    if not (has_min or has_above):
        if required:
            raise doc.fail(f"{path}.min_value", "is required (or above_value)")
        if "max_value" in table or "promoted_within_months" in table:
            raise doc.fail(path, "max_value needs min_value or above_value")
        return None
    key = "min_value" if has_min else "above_value"
    return build(doc, ValueBand, {
        "minimum": float(doc.number(table, key, path)), "above": has_above,
        "maximum": None if "max_value" not in table else float(doc.number(table, "max_value", path)),
        "promoted_within_months": doc.get(table, "promoted_within_months", path, int, None)}, path)


def window_lookback(metric: Metric) -> int:
    """Months a measure kind reads before a compared month: its window, and a value band's
    promotion window judged on windowed amounts."""
    months = [metric.window_months - 1]
    for rule in metric.tracks.values():
        if rule.value_band is not None:
            months.append((rule.value_band.promoted_within_months or 0) + metric.window_months - 1)
    return max(months)
