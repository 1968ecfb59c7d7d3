"""sum_of_parts: sub-metrics (e.g. Azure and Microsoft 365) computed separately, whose points or
values are summed. The parts are metrics of their own kinds; this kind reads nothing itself."""

from __future__ import annotations

from pcs_analysis.rules.kinds.base import Kind

KIND = Kind(
    name="sum_of_parts",
    summary="the parts' points (or values) summed",
    metric_keys=frozenset({"parts", "parts_combine"}),
    can_be_part=False,
)
