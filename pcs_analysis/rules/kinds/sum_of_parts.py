"""sum_of_parts: sub-metrics (e.g. Azure and Microsoft 365) computed separately, whose points or
values are summed. The parts are metrics of their own kinds; this kind reads nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pcs_analysis.rules.kinds.base import Kind
from pcs_analysis.rules.kinds.settings import Reads, setting


@dataclass(frozen=True, kw_only=True)
class Settings(Reads):
    #: The parts, metrics of their own kinds, each with one option per track.
    parts: tuple[Any, ...] = setting(read="parts")
    #: Each part's points summed ("points", negatives earning 0), or the parts' values
    #: summed before points ("values").
    parts_combine: Literal["points", "values"] = setting("points")

KIND = Kind(
    name="sum_of_parts",
    summary="the parts' points (or values) summed",
    settings=Settings,
    can_be_part=False,
)
