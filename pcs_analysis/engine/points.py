"""Points, best option, sums of parts, qualification and the kept track: the expressions every
computation of points uses (scoring, sensitivity, forecast, planning), so that they cannot
disagree.
"""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.classification import UNDECIDED
from pcs_analysis.rules import Qualification, Rulebook

#: Totals are rounded to this many decimals before comparisons, so that float noise in a sum
#: of exact fractions (20/3 + 20/3 + ...) never flips a qualification.
TOTAL_DECIMALS = 9

#: `track_basis` values of a track kept by the scores themselves (not fixed by an override, an
#: enrollment or Microsoft's classification).
QUALIFYING_TRACK = "qualifying track"
HIGHER_TOTAL = "higher total"
EQUAL_TOTALS = "equal totals"
SCORE_BASES = (QUALIFYING_TRACK, HIGHER_TOTAL, EQUAL_TOTALS)


def points_expr(value: pl.Expr, qualification: Qualification, *, base: pl.Expr | None = None,
                is_open: pl.Expr | None = None, max_points: pl.Expr | None = None,
                full_marks_at: pl.Expr | None = None) -> pl.Expr:
    """The one points formula: linear partial credit on the value (negatives earn 0) when the
    metric is open (`is_open`: met prerequisites and gates), plus `base` points (met prerequisite
    steps), capped at the maximum, rounded per the rulebook. The maximum and the full-marks value
    default to the rows' columns."""
    max_points = pl.col("max_points") if max_points is None else max_points
    full_marks_at = pl.col("full_marks_at") if full_marks_at is None else full_marks_at
    linear = value.clip(lower_bound=0.0) * max_points / full_marks_at
    if is_open is not None:
        linear = pl.when(is_open).then(linear).otherwise(0.0)
    raw = linear if base is None else base + linear
    return rounded(pl.min_horizontal(raw, max_points), qualification)


def rounded(points: pl.Expr, qualification: Qualification) -> pl.Expr:
    """A metric's points under the rulebook's `points_rounding`."""
    if qualification.points_rounding == "floor":
        # A hair of tolerance so that 3 x 20/3 stays 20 and is not floored to 19.
        return (points + 1e-9).floor()
    if qualification.points_rounding == "one_decimal":
        return points.round(1)
    return points


def above_minimum(points: pl.Expr, qualification: Qualification, *, minimum: pl.Expr | None = None,
                  comparison: pl.Expr | None = None) -> pl.Expr:
    """Whether a metric's points meet the per-metric minimum of the qualification rule.

    `minimum` and `comparison` ("gt" or "ge") replace the rule's settings with columns, for
    variants of the rule scored side by side (sensitivity).
    """
    minimum = pl.lit(qualification.min_metric_points) if minimum is None else minimum
    if comparison is not None:
        return pl.when(comparison == "ge").then(points >= minimum).otherwise(points > minimum)
    if qualification.min_metric_comparison == "gt":
        return points > minimum
    return points >= minimum


def qualifies(total: pl.Expr, every_metric_above: pl.Expr, qualification: Qualification, *,
              bar: pl.Expr | None = None) -> pl.Expr:
    """A track qualifies: its total reaches the bar (`bar`: a column in place of the rule's) and
    every metric meets the minimum."""
    return (total >= (pl.lit(qualification.min_total_points) if bar is None else bar)) & every_metric_above


def parts_points_expr(qualification: Qualification, *, summed_values: pl.Expr | None = None) -> pl.Expr:
    """The points of a sum of parts: the parts' summed values through the points formula
    (`combine = "sum_values"`), else the parts' points summed (`sum_points`), capped."""
    summed_values = pl.col("value") if summed_values is None else summed_values
    by_values = points_expr(summed_values, qualification)
    return pl.when(pl.col("combine") == "sum_values").then(by_values).otherwise(
        rounded(pl.min_horizontal(pl.col("sum_points"), pl.col("max_points")), qualification))


def combine_parts(parts: pl.DataFrame, rules: Rulebook) -> pl.DataFrame:
    """The metric rows of sums of parts: each part's points (negatives earning 0, each capped)
    summed and capped at the maximum ("sum_points"), or the parts' values summed before points
    ("sum_values"). The value shown is the sum of the parts' values where they share a unit
    (the same full-marks value), else empty; `option` names the parts."""
    if parts.is_empty():
        return parts
    keys = ["partner_id", "as_of", "area", "track", "metric"]
    ordered = parts.sort([*keys, "option_order"])
    one_unit = pl.col("full_marks_at").n_unique() == 1
    combined = ordered.group_by(keys, maintain_order=True).agg(
        pl.all().exclude("option", "value", "points", "full_marks_at", "base_points", "is_open").first(),
        pl.col("option").str.join("+"),
        pl.when(one_unit).then(pl.col("value").sum()).alias("value"),
        pl.when(one_unit).then(pl.col("full_marks_at").first()).alias("full_marks_at"),
        pl.col("points").sum().alias("sum_points"),
    )
    frames = []
    for name in combined["area"].unique().to_list():
        q = rules.area(name).qualification
        frames.append(combined.filter(pl.col("area") == name).with_columns(parts_points_expr(q).alias("points"))
                      .with_columns(above_minimum(pl.col("points"), q).alias("is_above_minimum")))
    return pl.concat(frames).drop("sum_points")


def metric_points(rows: pl.DataFrame, q: Qualification, extra_keys: list[str]) -> pl.DataFrame:
    """Points per partner x track x metric (x `extra_keys`: a variant, a forecast path) from option
    rows with `value`, `base_points`, `is_open`, `combine`, `max_points` and `full_marks_at`: the
    best option's points, or the sum of a metric's parts, as `best_options` and `combine_parts`
    give them in scoring (points only: what sensitivities and forecasts add up by the thousand)."""
    rows = rows.with_columns(points_expr(pl.col("value"), q, base=pl.col("base_points"),
                                         is_open=pl.col("is_open")).alias("points"))
    keys = ["partner_id", "track", "metric", *extra_keys]
    best = rows.filter(pl.col("combine") == "best").group_by(keys).agg(pl.col("points").max())
    parts = rows.filter(pl.col("combine") != "best").group_by(keys).agg(
        pl.col("combine").first(), pl.col("max_points").first(), pl.col("full_marks_at").first(),
        pl.col("points").sum().alias("sum_points"), pl.col("value").sum().alias("sum_values"))
    parts = parts.with_columns(parts_points_expr(q, summed_values=pl.col("sum_values")).alias("points")).select(
        *keys, "points")
    return pl.concat([best, parts])


def best_options(options: pl.DataFrame) -> pl.DataFrame:
    """The option that counts for each metric: most points, then highest value, then the
    rulebook's order ("you can earn points only for one association type per metric")."""
    keys = ["partner_id", "as_of", "area", "track", "metric"]
    return (options.sort([*keys, "points", "value", "option_order"],
                         descending=[False] * len(keys) + [True, True, False])
            .group_by(keys, maintain_order=True).first())


def track_preference() -> tuple[list[str], list[bool]]:
    """The one rule that keeps a track among scored tracks, as sort columns and directions.

    "Microsoft evaluates partners on both paths and selects the highest score ... at the solution
    area level" (S3; S2 for Security), and the 2023 text "choose the highest scores towards
    qualifying" (H3): a partner qualifies when any scored track qualifies, so a qualifying track
    comes first (`is_qualified`), then the higher total, then the rulebook's order (Enterprise on
    a tie). Scoring, sensitivities and forecasts all keep tracks by this rule.
    """
    return ["is_qualified", "total", "track_order"], [True, True, False]


def tracks_in_order(frame: pl.DataFrame, keys: list[str], fixed: list[str] = ()) -> pl.DataFrame:
    """The rows of `frame` (one per track and `keys`) in the order the tracks are kept: first a
    track one of the boolean columns `fixed` marks (a partner's override, an enrolled or a
    classified track, in that order), then `track_preference`. The first row of each group of
    `keys` is the track kept (`group_by(keys, maintain_order=True).first()`)."""
    preference, directions = track_preference()
    return frame.sort([*keys, *fixed, *preference],
                      descending=[False] * len(keys) + [True] * len(fixed) + directions)


def is_preferred(qualified: pl.Expr, total: pl.Expr, than_qualified: pl.Expr, than_total: pl.Expr) -> pl.Expr:
    """Whether a track (`qualified`, `total`) is kept over one earlier in the rulebook's order
    (`than_qualified`, `than_total`): `track_preference` for frames with a column per track."""
    return (qualified & ~than_qualified) | ((qualified == than_qualified) & (total > than_total))


def follows_scores(basis: pl.Expr) -> pl.Expr:
    """Whether a kept track was chosen by the scores (`track_preference`) rather than fixed by an
    override, an enrollment or a classification: what analyses that rescore may let change."""
    return basis.is_in(SCORE_BASES) | basis.str.ends_with(UNDECIDED)
