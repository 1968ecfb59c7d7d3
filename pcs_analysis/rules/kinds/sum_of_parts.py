"""sum_of_parts: sub-metrics (e.g. Azure and Microsoft 365) computed separately, whose points or
values are summed. The parts are metrics of their own kinds; this kind reads nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pcs_analysis.rules.kinds.base import Kind
from pcs_analysis.rules.kinds.settings import Reads, setting
from pcs_analysis.rules.schema import SettingError


@dataclass(frozen=True, kw_only=True)
class Settings(Reads):
    #: The parts, metrics of their own kinds, each with one option per track.
    parts: tuple[Any, ...] = setting(read="parts")
    #: Each part's points summed ("points", negatives earning 0), or the parts' values
    #: summed before points ("values").
    parts_combine: Literal["points", "values"] = setting("points")

    def __post_init__(self) -> None:
        if self.parts_combine == "values":
            for track in self.parts[0].tracks if self.parts else ():
                if len({part.tracks[track].options[0].full_marks_at for part in self.parts}) > 1:
                    raise SettingError("parts_combine", "summing values needs the same full_marks_at in every part")

    @property
    def leaves(self) -> tuple[Any, ...]:
        return self.parts


KIND = Kind(
    name="sum_of_parts",
    summary="the parts' points (or values) summed",
    settings=Settings,
    can_be_part=False,
    shown=("parts_combine",),
    combine=lambda metric: f"sum_{metric.parts_combine}",
)
