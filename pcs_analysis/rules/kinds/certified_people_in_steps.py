"""certified_people_in_steps: skilling with prerequisite steps, each met step earning points and the
scoring step's points needing every step met."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.kinds.frames import Context
from pcs_analysis.rules.kinds.people import (
    SCORING_STEP,
    first_valid,
    held,
    people_slots,
    person_reasons,
    propose_people,
    step_labels,
)
from pcs_analysis.rules.kinds.settings import People, setting
from pcs_analysis.rules.model import Certification, Metric, Option, TrackSettings
from pcs_analysis.rules.schema import REMOVE, Doc


@dataclass(frozen=True, kw_only=True)
class Settings(People):
    #: The prerequisite steps' certification lists, in order (names under [certifications]).
    steps: tuple[tuple[Certification, ...], ...] = setting(read="certification_lists")
    step_levels: tuple[str, ...] = ()


def certified_people_in_steps(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """People per prerequisite step and in the scoring step. A person can count in several
    steps, once per step."""
    frames = [held(ctx, certs, metric.name, label) for label, certs in zip(step_labels(metric), metric.steps,
                                                                              strict=True)]
    frames.append(held(ctx, metric.certifications, metric.name, SCORING_STEP))
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


def propose_steps(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    """One more person per list (`propose_people`) and, where prerequisite steps lack people,
    the people that open them all at once (with one person in the scoring step if it has
    none): one more person in one step changes nothing while another step is short."""
    propose_people(sink, label, leaf, track)
    *steps, (_, scoring) = people_slots(leaf)
    needs = step_needs(leaf, track)
    short = [(step, certs, needs[step] - sink.people_counted(leaf, step)) for step, certs in steps]
    short = [(step, certs, n) for step, certs, n in short if n > 0]
    scorers = 0 if sink.people_counted(leaf, SCORING_STEP) else 1
    if not short or (len(short) == 1 and short[0][2] == 1 and not scorers):
        return  # nothing to open, or one more person in one step: `propose_people` has it
    changes, said = [], []
    for step, certs, n in short + ([(SCORING_STEP, scoring, 1)] if scorers else []):
        name = first_valid(certs).name
        changes.append(sink.certify(f"new-people-{step.replace(' ', '-')}", name, n))
        said.append(f"{n} in {'the scoring step' if step == SCORING_STEP else step} ({name})")
    sink.add("open_steps", "new-people-steps", f"{label}: certify the people the steps lack: {', '.join(said)}",
             tuple(changes))


def step_needs(metric: Metric, track: str) -> dict[str, int]:
    """Each prerequisite step's label and the people it needs on `track`."""
    return {label: metric.tracks[track].prerequisite_people for label in step_labels(metric)}


@dataclass(frozen=True)
class StepTrack(TrackSettings):
    """A track of people in steps: the people each prerequisite step needs and the points a met
    step earns (counted towards the metric's maximum)."""

    prerequisite_people: int
    prerequisite_points: float = 0.0

    def keys_to_set(self, key: str, value: Any) -> list[tuple[str, Any]]:
        # The maximum is given as people (`full_marks_at`) or as points per person: the first
        # replaces the second.
        return [("points_per_person", REMOVE), (key, value)] if key == "full_marks_at" else [(key, value)]


def read_track(doc: Doc, table: Mapping[str, Any], path: str, max_points: float) -> dict[str, Any]:
    """A track of people in steps: the people each prerequisite step needs and the points a met
    step earns, and one option of people for the maximum (given as people, or as points per
    person)."""
    people = doc.get(table, "prerequisite_people", path, int)
    if people < 1:
        raise doc.fail(f"{path}.prerequisite_people", "must be 1 or more")
    if ("points_per_person" in table) == ("full_marks_at" in table):
        raise doc.fail(path, "give either points_per_person or full_marks_at (people for the maximum)")
    if "points_per_person" in table:
        # Linear points per person, expressed like every other option: the value for full marks.
        full_marks_at = max_points / doc.number(table, "points_per_person", path, positive=True)
    else:
        full_marks_at = doc.number(table, "full_marks_at", path, positive=True)
    return {"options": (Option(name=None, associations=(), full_marks_at=full_marks_at),),
            "settings": StepTrack(people, float(doc.number(table, "prerequisite_points", path)))}


KIND = Kind(
    name="certified_people_in_steps",
    summary="people in a scoring step, after prerequisite steps",
    settings=Settings,
    track_keys=frozenset({"prerequisite_people", "prerequisite_points", "points_per_person", "full_marks_at"}),
    contributions=certified_people_in_steps,
    value=stepped_values,
    counts_people=True,
    can_be_part=False,
    read_track=read_track,
    propose=propose_steps,
    people_slots=people_slots,
    step_needs=step_needs,
    step_points=lambda metric, track: metric.tracks[track].prerequisite_points,
    people_values=step_values_from_counts,
    reasons=person_reasons,
)
