"""The registry of metric kinds: one module per kind, each exporting its `Kind` (see `base`).

A new kind is a module of this folder and a line below; the loader, `rules show`, the engine,
the forecast, the planner and recommendations all find it here.

>>> from pcs_analysis.rules.kinds import KINDS
>>> KINDS["certified_people"].counts_people
True
>>> sorted(k for k, kind in KINDS.items() if not kind.can_be_part)
['certified_people', 'certified_people_in_steps', 'sum_of_parts']
"""

from __future__ import annotations

from pcs_analysis.rules.kinds import (
    active_usage_growth,
    certified_people,
    certified_people_in_steps,
    deployment_growth,
    distinct_services,
    measure_growth,
    sum_of_parts,
    tenant_count_growth,
    threshold_count_growth,
)
from pcs_analysis.rules.kinds.base import Kind, Proposals
from pcs_analysis.rules.model import Metric

KINDS: dict[str, Kind] = {module.KIND.name: module.KIND for module in (
    tenant_count_growth,
    certified_people,
    certified_people_in_steps,
    active_usage_growth,
    deployment_growth,
    threshold_count_growth,
    measure_growth,
    distinct_services,
    sum_of_parts,
)}


def kind_of(metric: Metric) -> Kind:
    """The registered kind of a metric."""
    return KINDS[metric.kind]


__all__ = ["KINDS", "Kind", "Proposals", "kind_of"]
