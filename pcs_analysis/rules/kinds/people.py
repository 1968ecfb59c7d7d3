"""What the people kinds share: the certifications a person holds that count on a day, and the
changes that add a certified person."""

from __future__ import annotations

import polars as pl

from pcs_analysis.rules.kinds.base import Proposals, Slots
from pcs_analysis.rules.kinds.frames import COUNTED, PERSON_COLUMNS, Context
from pcs_analysis.rules.model import Certification, Metric, Rulebook


def held(ctx: Context, certifications: tuple, metric_name: str, step: str | None) -> pl.LazyFrame:
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


def person_reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    """The sentences of a person row's reasons (`held`); "counts through" the certification's
    last counting day under the rulebook's `certification_expiry`."""
    through = (pl.col("expires_on") if rules.certification_expiry == "last_day_counts"
               else pl.col("expires_on").dt.offset_by("-1d"))
    return {
        COUNTED: pl.when(pl.col("expires_on").is_not_null())
        .then(pl.format("counted (counts through {})", through)).otherwise(pl.lit("counted")),
        "person_already_counted": pl.lit("person already counted for this metric by another certification"),
        "within_refresh_lag": pl.format("earned {}: not yet visible (skilling refresh lag)", pl.col("earned_on")),
        "not_yet_earned": pl.format("earned later, on {}", pl.col("earned_on")),
        "expired": pl.format("expired: counted through {}", through),
        "retired": pl.lit("retired certification, past the date it counts through"),
        "earned_after_retirement": pl.lit("earned after the certification retired"),
    }


def counted_values(counts: pl.LazyFrame, metric: Metric, keys: list[str]) -> pl.LazyFrame:
    """The values of a people metric from the people counted (column `value`) over `keys`: the
    count on every track, nothing withheld."""
    return pl.concat([counts.select(*keys, pl.col("value").cast(pl.Float64), pl.lit(track).alias("track"),
                                    pl.lit(metric.name).alias("metric"), pl.lit(None, pl.String).alias("option"),
                                    pl.lit(0.0).alias("base_points"), pl.lit(True).alias("is_open"))
                      for track in metric.tracks])


def propose_people(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """One more person certified in each list the metric counts (a still valid certification):
    the scoring list first, then the prerequisite steps."""
    *steps, scoring = people_slots(leaf)
    for where, certifications in (scoring, *steps):
        where = "scoring step" if where == SCORING_STEP else where or leaf.certification_level
        name = first_valid(certifications).name
        person = f"new-person-{where.replace(' ', '-')}"
        sink.add("add_person", person, f"{label}: certify one more person ({where}): {name}",
                 sink.certify(person, name))


def first_valid(certifications: tuple[Certification, ...]) -> Certification:
    """The certification a proposal names: the first of a list not retiring, else the first."""
    return next((c for c in certifications if c.retires_on is None), certifications[0])


SCORING_STEP = "scoring"


def step_labels(metric: Metric) -> list[str]:
    return [f"step {i + 1}" for i in range(len(metric.steps))]


def people_slots(metric: Metric) -> Slots:
    """The metric's people slots: one per prerequisite step, then the scoring list (unlabelled
    when there are no steps)."""
    steps = tuple(zip(step_labels(metric), metric.steps, strict=True))
    return (*steps, (SCORING_STEP if metric.steps else None, metric.certifications))
