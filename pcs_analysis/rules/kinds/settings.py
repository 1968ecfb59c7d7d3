"""The settings of a metric kind: a frozen dataclass whose fields are the rulebook's keys.

Its fields are read as every rulebook dataclass is (`rules.schema`): a field read from the
rulebook carries its key and, unless its type says how, the list it names (`read`). Fields
without a key are filled by the reader of another (a workload list's name fills `workload_set`
and `workloads`). A settings class may `resolve` what one field implies for another.

Every settings class answers the questions the whole package asks of a metric (which workloads,
products, rate-card lines and certifications it reads) with empty answers when it reads none:
those are class attributes here, not settings a kind without them could be given.

>>> from pcs_analysis.rules.schema import rulebook_keys
>>> from pcs_analysis.rules.kinds.active_usage_growth import Settings
>>> sorted(rulebook_keys(Settings))
['credit_from_association', 'workloads']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pcs_analysis.rules.model import Certification, KindSettings, Rate
from pcs_analysis.rules.schema import SettingError, setting

_NONE: Mapping = MappingProxyType({})


class Reads(KindSettings):
    """What every metric answers about the rows it reads; empty unless its kind reads them."""

    workloads: frozenset[str] = frozenset()
    workload_set: str | None = None
    products: tuple[str, ...] = ()
    excluded_workloads: frozenset[str] = frozenset()
    workload_associations: Mapping[str, tuple[str, ...]] = _NONE
    rates: Mapping[str, Rate] = _NONE
    certifications: tuple[Certification, ...] = ()
    certification_level: str | None = None
    steps: tuple[tuple[Certification, ...], ...] = ()
    step_levels: tuple[str, ...] = ()
    parts: tuple[Any, ...] = ()

    @property
    def all_certifications(self) -> tuple[Certification, ...]:
        """Every certification the metric reads: its list's, then its prerequisite steps'."""
        return (*self.certifications, *(c for step in self.steps for c in step))

    @classmethod
    def resolve(cls, values: dict[str, Any], rates: Mapping[str, Rate]) -> dict[str, Any]:
        """What one setting implies for another (values read so far, the area's rate card)."""
        return values


@dataclass(frozen=True, kw_only=True)
class TenantWorkloads(Reads):
    """Usage of a workload list, in tenants (Microsoft 365 kinds)."""

    workloads: frozenset[str] = setting(read="workload_list")
    workload_set: str | None = None


@dataclass(frozen=True, kw_only=True)
class MeasureRows(Reads):
    """A measure (revenue, or consumption value from the rate card) of a workload list or of whole
    product families, over a window of months."""

    #: "revenue_usd" (Azure consumed or billed revenue) or "consumption_value" (Business
    #: Applications' monthly active users x the area's rate card).
    measure: Literal["revenue_usd", "consumption_value"] = setting("revenue_usd")
    workloads: frozenset[str] = setting(frozenset(), read="workload_list")
    workload_set: str | None = None
    products: tuple[str, ...] = setting((), read="products")
    excluded_workloads: frozenset[str] = setting(frozenset(), key="exclude_workloads", read="workload_names")
    #: Workload key -> the association types accepted for it (instead of the option's), e.g.
    #: Power Platform workloads that count under PAL only.
    workload_associations: Mapping[str, tuple[str, ...]] = setting(factory=dict, read="workload_associations")
    rates: Mapping[str, Rate] = field(default_factory=dict)
    window_months: int = setting(1, minimum=1)
    window_value: Literal["any_month", "total"] = setting("any_month")

    @classmethod
    def resolve(cls, values: dict[str, Any], rates: Mapping[str, Rate]) -> dict[str, Any]:
        if values.get("measure") == "consumption_value":
            if not rates:
                raise SettingError("measure", "consumption_value needs the area's [rate_card]")
            values["rates"] = rates
        if values.get("products") and values.get("workload_set"):
            raise SettingError("products", "give either products or workloads, not both")
        if not values.get("products") and not values.get("workload_set"):
            if values.get("measure") != "consumption_value":
                raise SettingError("workloads", "give products or workloads (the rows this metric reads)")
            # The consumption value reads the rate card's workloads.
            values["workloads"] = frozenset(rates)
        return values


@dataclass(frozen=True, kw_only=True)
class People(Reads):
    """People holding one of a certification list's certifications."""

    certifications: tuple[Certification, ...] = setting(read="certification_list")
    certification_level: str | None = None
