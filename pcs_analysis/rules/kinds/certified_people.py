"""certified_people: skilling, the people holding one of the metric's certifications."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pcs_analysis.rules.kinds.base import Kind
from pcs_analysis.rules.kinds.frames import Context
from pcs_analysis.rules.kinds.people import counted_values, held, people_slots, person_reasons, propose_people
from pcs_analysis.rules.kinds.settings import People
from pcs_analysis.rules.model import Metric


@dataclass(frozen=True, kw_only=True)
class Settings(People):
    """The certification list whose holders count."""


def certified_people(ctx: Context, metric: Metric) -> pl.LazyFrame:
    """People holding at least one of the metric's certifications that counts on the day."""
    return held(ctx, metric.certifications, metric.name, None)


KIND = Kind(
    name="certified_people",
    summary="people holding one of the certifications",
    settings=Settings,
    track_keys=frozenset({"full_marks_at"}),
    contributions=certified_people,
    counts_people=True,
    can_be_part=False,
    propose=propose_people,
    people_slots=people_slots,
    people_values=counted_values,
    reasons=person_reasons,
)
