"""Threshold sensitivity: a portfolio scored under many variants of a rulebook at once.

A parameter is named by a path inside one area's rules (see `PARAMETERS` and `set_parameter`).
Parameters of the points stage (the 70-point bar, the per-metric minimum rule, a metric's maximum,
an option's full-marks value) are applied to metric values computed once: every variant of them is
one column of a vectorized computation. Every other parameter (seat band edges, revenue thresholds,
gates, shares, prerequisite people, readings such as `growth_basis`) changes the metric values:
the values are computed once per distinct setting of those, by the same engine.

Results (`Sensitivity`):

- `variants`: per variant, the parameter values, partners qualified, mean total, partners gained
  and lost against the rulebook as it is;
- `flips`: per variant, the partners whose qualification differs from the rulebook as it is;
- `margins`: per partner and parameter (the others as they are), the nearest grid values below and
  above the current one at which the partner's qualification changes: its margin of safety.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pcs_analysis.engine.context import build_context
from pcs_analysis.engine.evaluate import metric_values
from pcs_analysis.engine.points import (
    TOTAL_DECIMALS,
    above_minimum,
    follows_scores,
    is_preferred,
    metric_points,
    qualifies,
)
from pcs_analysis.engine.scoring import ScoreResult, score
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import AreaRules, Metric, Rulebook, TrackRule, load_rules
from pcs_analysis.rules.areas import read_area
from pcs_analysis.rules.model import TrackSettings
from pcs_analysis.rules.periods import parse_date, snapshots

#: Parameters applied at the points stage (no metric is recomputed).
POINTS_STAGE = ("min_total_points", "min_metric_points", "min_metric_comparison", "max_points", "full_marks_at")
_SEP = "\x1f"


@dataclass(frozen=True)
class Sensitivity:
    """A grid of rulebook variants scored, per area: `variants` (partners qualified, gained and
    lost, the mean total), `flips` (partners whose qualification a variant changes), `margins`
    (each parameter's nearest flipping values per partner) and `partners` (every partner under
    every variant)."""

    areas: tuple[str, ...]
    parameters: tuple[str, ...]
    variants: pl.DataFrame
    flips: pl.DataFrame
    margins: pl.DataFrame
    #: One row per variant x partner: the kept track, its total and qualification under the
    #: variant, and the qualification and total as scored.
    partners: pl.DataFrame


# --- parameters ----------------------------------------------------------------------------

def _parts(path: str) -> list[str]:
    parts = path.split(".")
    if not all(parts):
        raise ValueError(f"parameter {path!r}: empty name in the path")
    return parts


def get_parameter(rules: Rulebook, area: str, path: str) -> Any:
    """The current value of a parameter of `area` (see `set_parameter` for the paths).

    Parameters
    ----------
    rules : Rulebook
        The rulebook.
    area : str
        The solution area.
    path : str
        The parameter's path (see `set_parameter`).

    Returns
    -------
    object
        The parameter's value.

    Examples
    --------
    >>> rules = load_rules()
    >>> get_parameter(rules, "modern_work", "usage_growth.enterprise.CPOR.full_marks_at")
    1000
    """
    holder, field = _locate(rules.area(area), _parts(path), path)
    return holder.parameter(field) if isinstance(holder, TrackSettings) else getattr(holder, field)


def set_parameter(rules: Rulebook, area: str, path: str, value: Any) -> Rulebook:
    """A copy of `rules` with one parameter of `area` changed.

    Paths:

    - `min_total_points`, `min_metric_points`, `min_metric_comparison`, `points_rounding`;
    - `seat_bands.<band>.<min_paid_units|max_paid_units|promoted_within_months>` (every metric
      using the band);
    - `<metric>.<setting>` (for example `deployments.active_share_min`, `usage_growth.growth_basis`,
      `net_customer_adds.parts_combine`, `<metric>.max_points`);
    - `<metric>.<track>.<setting>` (`min_value`, `max_value`, `min_baseline`, `prerequisite_people`,
      `prerequisite_points`, `promoted_within_months`, and `full_marks_at` of a single option);
    - `<metric>.<track>.<option>.full_marks_at`;
    - in a sum of parts, `<metric>.<part>....` as above.

    The value is set in the area's file at the setting's TOML path, and the file is read again by
    the loader (`rules.areas.read_area`): a variant is checked as a rulebook is (a value of the
    wrong type, a band's maximum below its minimum, ... raise `RulebookError` naming the file,
    the key and the variant), and it holds on every day, after the file's dated changes.

    Parameters
    ----------
    rules : Rulebook
        The rulebook (not changed).
    area : str
        The solution area.
    path : str
        The parameter's path.
    value : object
        Its new value.

    Returns
    -------
    Rulebook
        The changed copy.

    Examples
    --------
    >>> r = set_parameter(load_rules(), "modern_work", "min_total_points", 65)
    >>> r.area("modern_work").qualification.min_total_points
    65
    """
    area_rules = rules.area(area)
    changed = read_area(area_rules, rules, _variant(area_rules, _parts(path), value, path))
    return dataclasses.replace(rules, areas={**rules.areas, area: changed})


def _locate(area: AreaRules, parts: list[str], path: str) -> tuple[Any, str]:
    """The object holding the parameter and the attribute name (for reading)."""
    if len(parts) == 1:
        if parts[0] in ("min_total_points", "min_metric_points", "min_metric_comparison", "points_rounding"):
            return area.qualification, parts[0]
        raise ValueError(f"parameter {path!r}: unknown area-level setting")
    if parts[0] == "seat_bands":
        if len(parts) != 3:
            raise ValueError(f"parameter {path!r}: expected seat_bands.<band>.<setting>")
        for metric in _leaves(area):
            for rule in metric.tracks.values():
                if rule.seat_band is not None and rule.seat_band.name == parts[1]:
                    return rule.seat_band, parts[2]
        raise ValueError(f"parameter {path!r}: no seat band {parts[1]!r} in {area.area}")
    metric, rest = _metric_and_rest(area, parts, path)
    return _locate_in_metric(metric, rest, path)


def _leaves(area: AreaRules) -> list[Metric]:
    return [leaf for m in area.metrics for leaf in m.leaves()]


def _metric_and_rest(area: AreaRules, parts: list[str], path: str) -> tuple[Metric, list[str]]:
    try:
        metric = area.metric(parts[0])
    except KeyError:
        raise ValueError(f"parameter {path!r}: {area.area} has no metric {parts[0]!r} "
                         f"(metrics: {', '.join(m.name for m in area.metrics)})") from None
    rest = parts[1:]
    leaves = metric.sub_metrics()
    if rest and rest[0] in leaves:
        metric, rest = leaves[rest[0]], rest[1:]
    return metric, rest


def _locate_in_metric(metric: Metric, rest: list[str], path: str) -> tuple[Any, str]:
    if len(rest) == 1:
        _check_field(metric, rest[0], path)
        return metric, rest[0]
    if not rest or rest[0] not in metric.tracks:
        raise ValueError(f"parameter {path!r}: expected a setting or a track ({', '.join(metric.tracks)}) "
                         f"after {metric.name!r}")
    rule = metric.tracks[rest[0]]
    if len(rest) == 2:
        return _locate_in_track(rule, rest[1], path)
    if len(rest) == 3 and rest[2] == "full_marks_at":
        for option in rule.options:
            if option.name == rest[1]:
                return option, "full_marks_at"
        raise ValueError(f"parameter {path!r}: no option {rest[1]!r}")
    raise ValueError(f"parameter {path!r}: not a parameter path")


def _locate_in_track(rule: TrackRule, field: str, path: str) -> tuple[Any, str]:
    """A setting of one track: the full marks of its only option, or one of its kind's own
    settings of the track (`TrackSettings.parameter_names`)."""
    if field == "full_marks_at":
        if len(rule.options) != 1:
            names = ", ".join(o.name or "" for o in rule.options)
            raise ValueError(f"parameter {path!r}: name the option ({names})")
        return rule.options[0], field
    names = rule.settings.parameter_names() if rule.settings is not None else frozenset()
    if field not in names:
        known = f" (it has {', '.join(sorted(names))})" if names else ""
        raise ValueError(f"parameter {path!r}: track {rule.track!r} has no setting {field!r}{known}")
    return rule.settings, field


def _check_field(metric: Metric, field: str, path: str) -> None:
    # A composite metric's leaves are metrics, not a setting a variant gives a value.
    settable = {f.name for f in dataclasses.fields(metric.settings) if "key" in f.metadata} - {"parts"}
    if field != "max_points" and field not in settable:
        raise ValueError(f"parameter {path!r}: a {metric.kind} metric has no setting {field!r}")


def _variant(area: AreaRules, parts: list[str], value: Any, path: str) -> list[tuple[str, Any]]:
    """A parameter as settings of the area's file: (TOML path, value) pairs that `read_area`
    sets before it reads the file again, as it reads it at first."""
    holder, field = _locate(area, parts, path)    # the path names a setting
    if len(parts) == 1:
        table = {f.name: getattr(area.qualification, f.name) for f in dataclasses.fields(holder)}
        return [("qualification", table), (f"qualification.{field}", value)]
    if parts[0] == "seat_bands":
        return [(path, value)]
    metric, rest = _metric_and_rest(area, parts, path)
    parent = area.metric(parts[0])
    base = f"metrics.{parts[0]}" + ("" if metric is parent else f".parts.{metric.name}")
    if len(rest) == 1:
        key = next((f.metadata["key"] or f.name for f in dataclasses.fields(metric.settings)
                    if f.name == field and "key" in f.metadata), field)
        return [(f"{base}.{key}", value)]
    track = f"{base}.tracks.{rest[0]}"
    if len(rest) == 3 and metric.composite:
        # A sum of parts' option is a part: its full marks are the part's own, on that track.
        track = f"{base}.parts.{rest[1]}.tracks.{rest[0]}"
        return [(f"{track}.full_marks_at", value)]
    if len(rest) == 3:
        return [(f"{track}.options.{rest[1]}.full_marks_at", value)]
    if rest[1] == "full_marks_at":
        table = _table(area.source[1] if area.source else {}, track)
        if "options" in table:
            return [(f"{track}.options.{next(iter(table['options']))}.full_marks_at", value)]
    rule = metric.tracks[rest[0]]
    pairs = rule.settings.keys_to_set(rest[1], value) if rule.settings is not None else [(rest[1], value)]
    return [(f"{track}.{key}", setting) for key, setting in pairs]


def _table(data: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    for name in path.split("."):
        data = data.get(name, {}) if isinstance(data, Mapping) else {}
    return data


def is_points_stage(path: str) -> bool:
    """Whether a parameter acts on points only (values are not recomputed)."""
    return path.split(".")[-1] in POINTS_STAGE


# --- the computation -----------------------------------------------------------------------

def sensitivity(data: PartnerData, *, as_of: dt.date | str, grid: Mapping[str, Sequence[Any]],
                areas: Iterable[str] | None = None, rules: Rulebook | None = None,
                lag: bool = True) -> Sensitivity:
    """Score the portfolio under every combination of the `grid` values, area by area (a
    parameter path names the same setting in each area: `min_total_points`, or a metric the
    areas share).

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    grid : mapping of str to list
        Parameter path -> the values to try; every combination is scored.
    areas : list of str, optional
        The solution areas, each of which must have every parameter of the grid (default: every
        area of the rulebook that has them).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).

    Returns
    -------
    Sensitivity
        Per area and variant the partners qualified and the change, per partner its total, the
        flips and the margins of each parameter.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> s = sensitivity(read_data(SAMPLE_DIR), as_of="2026-11-21", areas=["modern_work"],
    ...                 grid={"min_total_points": [60, 70, 80]})
    >>> s.variants.sort("min_total_points")["partners_qualified"].to_list()[0] >= 11
    True
    """
    day = parse_date(as_of)
    rules = (rules or load_rules()).on(day)   # the rules in force that day
    if not grid:
        raise ValueError("the grid names no parameter")
    names = list(grid)
    for name in names:
        if not grid[name]:
            raise ValueError(f"parameter {name!r}: the grid has no values")
    area_names = _grid_areas(rules, names, areas)
    # The data as they are, scored once for every area.
    base = score(data, as_of=day, rules=rules, areas=area_names, lag=lag)
    each = [_area_sensitivity(data, day, area, grid, rules, lag, base) for area in area_names]

    def tagged(i: int) -> pl.DataFrame:
        return pl.concat([frames[i].select(pl.lit(a).alias("area"), pl.all()) for a, frames in
                          zip(area_names, each, strict=True)], how="diagonal_relaxed")

    return Sensitivity(areas=tuple(area_names), parameters=tuple(names),
                       variants=pl.concat([frames[0] for frames in each], how="diagonal_relaxed"),
                       flips=tagged(1), margins=tagged(2), partners=tagged(3))


def _grid_areas(rules: Rulebook, names: list[str], areas: Iterable[str] | None) -> list[str]:
    """The areas a grid is scored in: those asked (each must have every parameter; an unknown
    path fails here, before any work), else every area that has them all."""
    if areas is not None:
        chosen = list(areas)
        for area in chosen:
            for name in names:
                get_parameter(rules, area, name)
        return chosen

    def has_all(area: str) -> bool:
        try:
            for name in names:
                get_parameter(rules, area, name)
        except (ValueError, KeyError):
            return False
        return True

    chosen = [a for a in rules.areas if has_all(a)]
    if not chosen:
        raise ValueError(f"no area of rulebook {rules.version} has every parameter of the grid ({', '.join(names)})")
    return chosen


def _area_sensitivity(data: PartnerData, day: dt.date, area: str, grid: Mapping[str, Sequence[Any]],
                      rules: Rulebook, lag: bool,
                      scored: ScoreResult) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One area's variants, flips, margins and per-partner rows (`scored`: the data as they are)."""
    names = list(grid)
    points_params = [n for n in names if is_points_stage(n)]
    value_params = [n for n in names if not is_points_stage(n)]
    summary = scored.summary.filter(pl.col("area") == area)
    fixed = _fixed_tracks(summary)
    variants, totals = [], []
    value_combos = list(itertools.product(*(grid[n] for n in value_params))) or [()]
    point_combos = list(itertools.product(*(grid[n] for n in points_params))) or [()]
    for combo_index, combo in enumerate(value_combos):
        variant_rules = rules
        for name, value in zip(value_params, combo, strict=True):
            variant_rules = set_parameter(variant_rules, area, name, value)
        values = (scored.option_values.filter(pl.col("area") == area) if not value_params
                  else _option_values(data, variant_rules, area, day, lag))
        table = pl.DataFrame(
            [{"variant": combo_index * len(point_combos) + i, **dict(zip(value_params, combo, strict=True)),
              **dict(zip(points_params, pc, strict=True))} for i, pc in enumerate(point_combos)],
            schema={"variant": pl.Int64, **{n: value_dtype(grid[n]) for n in names}})
        variants.append(table)
        totals.append(_points_stage(values, variant_rules.area(area), points_params, point_combos, table, fixed))
    variant_table = pl.concat(variants, how="diagonal")
    kept = pl.concat(totals)
    before = summary.select("partner_id", pl.col("is_qualified").alias("was_qualified"),
                                 pl.col("total").alias("total_before"))
    joined = kept.join(before, on="partner_id", how="left")
    summary = joined.group_by("variant").agg(
        pl.col("is_qualified").sum().alias("partners_qualified"),
        pl.col("total").mean().alias("mean_total"),
        (pl.col("is_qualified") & ~pl.col("was_qualified")).sum().alias("partners_gained"),
        (~pl.col("is_qualified") & pl.col("was_qualified")).sum().alias("partners_lost"),
    )
    variants_out = (variant_table.join(summary, on="variant", how="left")
                    .with_columns(pl.lit(area).alias("area")).sort("variant"))
    flips = (joined.filter(pl.col("is_qualified") != pl.col("was_qualified"))
             .select("variant", "partner_id", "was_qualified", "is_qualified", "total_before",
                     pl.col("total").alias("total_after"), "track").sort("variant", "partner_id"))
    margins = _margins(rules, area, grid, variant_table, joined)
    partners = joined.select("variant", "partner_id", "track", "total", "is_qualified", "was_qualified",
                             "total_before").sort("variant", "partner_id")
    return variants_out, flips, margins, partners


def _fixed_tracks(summary: pl.DataFrame) -> pl.DataFrame:
    """Partners whose kept track does not follow the scores (override, classification,
    enrollment, only track)."""
    fixed = summary.filter(~follows_scores(pl.col("track_basis")))
    return fixed.select("partner_id", pl.col("track").alias("fixed_track"))


def _option_values(data: PartnerData, rules: Rulebook, area: str, day: dt.date, lag: bool) -> pl.DataFrame:
    area_rules = rules.area(area)
    ctx = build_context(data, rules, area_rules, snapshots([day], rules.refresh, lag=lag))
    return metric_values(ctx, data.partner_id_frame()).collect()


def _points_stage(values: pl.DataFrame, area: AreaRules, params: list[str], combos: list[tuple],
                  table: pl.DataFrame, fixed: pl.DataFrame) -> pl.DataFrame:
    """Kept-track totals and qualification of every partner under every points-stage variant.

    A metric's points are computed once per value of the parameters that act on it (its
    maximum, its full-marks values), not once per variant; the variants then only add the
    metrics' points up and apply the bar and the per-metric minimum.
    """
    q = area.qualification
    by_metric: dict[str, list[str]] = {}
    for p in params:
        if p.endswith(".max_points") or p.endswith(".full_marks_at"):
            by_metric.setdefault(p.split(".")[0], []).append(p)
    keys = ["partner_id", "track"]
    unaffected = metric_points(values.filter(~pl.col("metric").is_in(list(by_metric))), q, [])
    base = (values.select(*keys).unique()
            .join(unaffected.group_by(keys).agg(pl.col("points").sum().alias("total"),
                                                pl.col("points").min().alias("lowest")), on=keys, how="left")
            .with_columns(pl.col("total").fill_null(0.0), pl.col("lowest").fill_null(float("inf"))))
    variants = table.select("variant", *[pl.col(p) for p in params])
    varied = {}
    for metric, metric_params in by_metric.items():
        distinct = variants.select(metric_params).unique()
        rows = values.filter(pl.col("metric") == metric).join(distinct, how="cross")
        for p in metric_params:
            column = "max_points" if p.endswith(".max_points") else "full_marks_at"
            rows = rows.with_columns(pl.when(_option_filter(area, p)).then(pl.col(p).cast(pl.Float64))
                                     .otherwise(pl.col(column)).alias(column))
        varied[metric] = metric_points(rows, q, metric_params).select(
            *keys, *metric_params, pl.col("points").alias("_points"))
    # The variant's bar, minimum and comparison where they vary, through the one qualification rule.
    bar = pl.col("min_total_points").cast(pl.Float64) if "min_total_points" in params else None
    above = above_minimum(
        pl.col("lowest"), q,
        minimum=pl.col("min_metric_points").cast(pl.Float64) if "min_metric_points" in params else None,
        comparison=pl.col("min_metric_comparison") if "min_metric_comparison" in params else None)
    # One frame per track (partner x variant), then the kept track by comparing the columns: no
    # sort over partners x variants x tracks.
    per_track = []
    for track in area.tracks:
        totals = base.filter(pl.col("track") == track).drop("track").join(variants, how="cross")
        for metric, metric_params in by_metric.items():
            points = varied[metric].filter(pl.col("track") == track).drop("track")
            totals = totals.join(points, on=["partner_id", *metric_params], how="left").with_columns(
                (pl.col("total") + pl.col("_points")).alias("total"),
                pl.min_horizontal("lowest", "_points").alias("lowest")).drop("_points")
        totals = totals.with_columns(pl.col("total").round(TOTAL_DECIMALS)).with_columns(
            qualifies(pl.col("total"), above, q, bar=bar).alias("is_qualified"))
        per_track.append((track, totals.select("partner_id", "variant", pl.col("total").alias(f"total_{track}"),
                                               pl.col("is_qualified").alias(f"qualified_{track}"))))
    return _kept_track(per_track, area, fixed)


def _kept_track(per_track: list[tuple[str, pl.DataFrame]], area: AreaRules, fixed: pl.DataFrame) -> pl.DataFrame:
    """Per variant and partner, the kept track's total and qualification: the fixed track, else
    `points.track_preference` (a qualifying track, then the higher total, then the rulebook's
    order), compared column by column (no sort over partners x variants x tracks)."""
    if len(per_track) > 2:
        raise ValueError("sensitivity supports areas with one or two tracks")
    kept = per_track[0][1]
    for _, frame in per_track[1:]:
        kept = kept.join(frame, on=["partner_id", "variant"], how="full", coalesce=True)
    kept = kept.join(fixed, on="partner_id", how="left")
    first = area.tracks[0]
    choice = pl.lit(first)
    for track, _ in per_track[1:]:
        better = is_preferred(pl.col(f"qualified_{track}"), pl.col(f"total_{track}"),
                              pl.col(f"qualified_{first}"), pl.col(f"total_{first}"))
        choice = pl.when(better).then(pl.lit(track)).otherwise(choice)
    track = pl.coalesce(pl.col("fixed_track"), choice)
    total, qualified = pl.col(f"total_{first}"), pl.col(f"qualified_{first}")
    for name, _ in per_track[1:]:
        total = pl.when(track == name).then(pl.col(f"total_{name}")).otherwise(total)
        qualified = pl.when(track == name).then(pl.col(f"qualified_{name}")).otherwise(qualified)
    return kept.select("variant", "partner_id", track.alias("track"), total.alias("total"),
                       qualified.alias("is_qualified"))


def _option_filter(area: AreaRules, path: str) -> pl.Expr:
    """The option rows a maximum or full-marks parameter applies to."""
    parts = path.split(".")
    metric = area.metric(parts[0])
    rest = parts[1:-1]
    condition = pl.col("metric") == metric.name
    if rest and rest[0] in metric.sub_metrics():
        if parts[-1] == "max_points":
            raise ValueError(f"parameter {path!r}: a part takes its maximum from {metric.name!r}")
        condition = condition & (pl.col("option") == rest[0])
        rest = rest[1:]
    if rest:
        condition = condition & (pl.col("track") == rest[0])
    if len(rest) == 2:
        condition = condition & (pl.col("option") == rest[1])
    return condition


def _margins(rules: Rulebook, area: str, grid: Mapping[str, Sequence[Any]], variants: pl.DataFrame,
             kept: pl.DataFrame) -> pl.DataFrame:
    """For each parameter alone (the others at their current values, when the grid holds them),
    the nearest grid values below and above the current one at which each partner's
    qualification differs from its qualification at the current value."""
    schema = {"partner_id": pl.String, "parameter": pl.String, "current": pl.String, "is_qualified": pl.Boolean,
              "flips_below": pl.String, "flips_above": pl.String}
    frames = []
    names = list(grid)
    current = {n: get_parameter(rules, area, n) for n in names}
    for name in names:
        others = [o for o in names if o != name]
        if any(current[o] not in grid[o] for o in others):
            continue  # the grid does not hold the current values of the other parameters
        chosen = variants.filter(pl.all_horizontal([pl.col(o) == pl.lit(current[o], value_dtype(grid[o]))
                                                    for o in others]) if others else pl.lit(True))
        ordered = _ordered(grid[name])
        here = _position(current[name], ordered)
        if here is None:
            continue
        positions = pl.DataFrame({"value": list(ordered), "position": list(range(len(ordered)))},
                                 schema={"value": value_dtype(grid[name]), "position": pl.Float64})
        rows = (kept.join(chosen.select("variant", pl.col(name).alias("value")), on="variant")
                .join(positions, on="value").filter(pl.col("is_qualified") != pl.col("was_qualified")))
        flips = rows.group_by("partner_id").agg(
            pl.col("position").filter(pl.col("position") < here).max().alias("below"),
            pl.col("position").filter(pl.col("position") > here).min().alias("above"))
        label = {float(i): str(v) for i, v in enumerate(ordered)}
        everyone = kept.select("partner_id", pl.col("was_qualified").alias("is_qualified")).unique("partner_id")
        frames.append(everyone.join(flips, on="partner_id", how="left").select(
            "partner_id", pl.lit(name).alias("parameter"), pl.lit(str(current[name])).alias("current"),
            "is_qualified",
            pl.col("below").replace_strict(label, default=None, return_dtype=pl.String).alias("flips_below"),
            pl.col("above").replace_strict(label, default=None, return_dtype=pl.String).alias("flips_above")))
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).select(list(schema)).sort("parameter", "partner_id")


def value_dtype(values: Sequence[Any]) -> pl.DataType:
    """The column type of a parameter's grid values: whole numbers, numbers, booleans, or text
    (so variants sort as numbers: 5, 11, 20, 100).

    Examples
    --------
    >>> value_dtype([5, 100, 11]), value_dtype([60, 62.5]), value_dtype([True, False]), value_dtype([">", ">="])
    (Int64, Float64, Boolean, String)
    """
    if values and all(isinstance(v, bool) for v in values):
        return pl.Boolean
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pl.Int64
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pl.Float64
    return pl.String


def _ordered(values: Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _position(value: Any, ordered: list[Any]) -> float | None:
    """Where `value` stands among the grid values (between two of them when not in the grid)."""
    if value in ordered:
        return float(ordered.index(value))
    try:
        return sum(1 for v in ordered if v < value) - 0.5
    except TypeError:
        return None


def _less(a: Any, b: Any) -> bool:
    try:
        return a < b
    except TypeError:
        return False
