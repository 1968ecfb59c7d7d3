"""Metric kinds over certified people (skilling)."""

from __future__ import annotations

import polars as pl

from pcs_analysis.engine.context import COUNTED, PERSON_COLUMNS, Context
from pcs_analysis.rules import Metric

# --- certified_people: skilling -------------------------------------------------------------

def _held(ctx: Context, certifications: tuple, metric_name: str, step: str | None) -> pl.LazyFrame:
    """Person x eligible certification rows with whether each counts on the snapshot day.

    A certification counts when it was earned by the skilling cut-off (the refresh lag), has not
    expired (by default `expires_on` is the last day it counts), was earned before its
    retirement and the day is within its `counts_through` date. Each person counts once: the
    first valid certification (by earned date, then name) counts, the others are marked.
    """
    certs = pl.DataFrame(
        {
            "certification_key": [c.key for c in certifications],
            "retires_on": [c.retires_on for c in certifications],
            "counts_through": [c.counts_through for c in certifications],
        },
        schema={"certification_key": pl.String, "retires_on": pl.Date, "counts_through": pl.Date},
    ).lazy()
    held = ctx.certifications.join(certs, on="certification_key", how="inner").join(
        ctx.snapshots.select("as_of", "skill_cutoff"), how="cross")
    # `certification_expiry`: "last_day_counts" (it still counts on the day it expires) or
    # "first_day_not_counted".
    past_expiry = (pl.col("as_of") > pl.col("expires_on") if ctx.rules.certification_expiry == "last_day_counts"
                   else pl.col("as_of") >= pl.col("expires_on"))
    reason = (
        pl.when(pl.col("retires_on").is_not_null() & (pl.col("earned_on") > pl.col("retires_on")))
        .then(pl.lit("earned_after_retirement"))
        .when(pl.col("earned_on") > pl.col("as_of")).then(pl.lit("not_yet_earned"))
        .when(pl.col("earned_on") > pl.col("skill_cutoff")).then(pl.lit("within_refresh_lag"))
        .when(pl.col("expires_on").is_not_null() & past_expiry).then(pl.lit("expired"))
        .when(pl.col("counts_through").is_not_null() & (pl.col("as_of") > pl.col("counts_through")))
        .then(pl.lit("retired"))
        .otherwise(pl.lit(COUNTED))
    )
    person = ["partner_id", "as_of", "person_id"]
    held = held.with_columns(reason.alias("reason")).with_columns(
        (pl.col("reason") == COUNTED).alias("is_valid"))
    held = held.sort([*person, "is_valid", "earned_on", "certification"],
                     descending=[False, False, False, True, False, False])
    first = pl.col("is_valid") & (pl.col("is_valid").cast(pl.Int32).cum_sum().over(person) == 1)
    held = held.with_columns(
        first.alias("is_counted"),
        pl.when(pl.col("is_valid") & ~first).then(pl.lit("person_already_counted"))
        .otherwise(pl.col("reason")).alias("reason"),
    ).with_columns(
        pl.when(pl.col("is_counted")).then(1.0).otherwise(0.0).alias("contribution"),
        pl.lit(metric_name).alias("metric"),
        pl.lit(step, pl.String).alias("step"),
    )
    return held.select(pl.col(c).cast(t) for c, t in PERSON_COLUMNS.items())


def certified_people(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """People holding at least one of the metric's certifications that counts on the day."""
    return _held(ctx, metric.certifications, metric.name, None)


SCORING_STEP = "scoring"


def step_labels(metric: Metric) -> list[str]:
    return [f"step {i + 1}" for i in range(len(metric.steps))]


def certified_people_in_steps(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """People per prerequisite step and in the scoring step. A person can count in several
    steps, once per step."""
    frames = [_held(ctx, certs, metric.name, label) for label, certs in zip(step_labels(metric), metric.steps,
                                                                              strict=True)]
    frames.append(_held(ctx, metric.certifications, metric.name, SCORING_STEP))
    return pl.concat(frames)


def stepped_values(ctx: Context, metric: Metric, contributions: pl.LazyFrame) -> pl.LazyFrame:
    """Value = people in the scoring step; per track, every prerequisite step with at least
    `prerequisite_people` people earns `prerequisite_points`, and the scoring step's points need
    every prerequisite met."""
    labels = step_labels(metric)
    counted = contributions.filter(pl.col("is_counted"))
    per_partner = counted.group_by("partner_id", "as_of").agg(
        *[pl.col("person_id").filter(pl.col("step") == label).n_unique().alias(label)
          for label in [*labels, SCORING_STEP]])
    return step_values_from_counts(per_partner, metric, ["partner_id", "as_of"])


def step_values_from_counts(counts: pl.LazyFrame, metric: Metric, keys: list[str]) -> pl.LazyFrame:
    """The values of a stepped metric from people counted per step (one column per step label
    and `scoring`), per track: `value` (people in the scoring step), `base_points` (met
    prerequisite steps x their points) and `is_open` (every prerequisite met)."""
    labels = step_labels(metric)
    frames = []
    for track, rule in metric.tracks.items():
        met = [pl.col(label) >= rule.prerequisite_people for label in labels]
        base = pl.sum_horizontal([m.cast(pl.Float64) for m in met]) * rule.prerequisite_points if met else pl.lit(0.0)
        frames.append(counts.select(
            *keys, pl.lit(track).alias("track"), pl.lit(metric.name).alias("metric"),
            pl.lit(None, pl.String).alias("option"), pl.col(SCORING_STEP).cast(pl.Float64).alias("value"),
            base.alias("base_points"), (pl.all_horizontal(met) if met else pl.lit(True)).alias("is_open")))
    return pl.concat(frames)
