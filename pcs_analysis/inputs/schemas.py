"""The canonical tables of the data contract: one schema per table that crosses a boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["str", "date", "month", "int", "float"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = False
    #: Smallest allowed value (numbers).
    min_value: float | None = None
    #: Name of a closed vocabulary the values must belong to ("associations", "areas", "tracks",
    #: "products").
    vocabulary: str | None = None
    meaning: str = ""
    #: An optional column may be absent from a file; it is then read as empty.
    required: bool = True


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    #: Columns that identify a row; a repeated key is an error.
    key: tuple[str, ...]
    required: bool = True
    #: Optional columns whose names start with this prefix are allowed (partners: track overrides).
    extra_prefix: str | None = None
    meaning: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


USAGE = TableSchema(
    name="usage",
    meaning="one row per partner x customer tenant x workload x month x association",
    key=("partner_id", "tenant_id", "month", "workload", "association"),
    columns=(
        Column("partner_id", "str", meaning="the partner being scored (PGAMpnId)"),
        Column("tenant_id", "str", meaning="customer tenant"),
        Column("month", "month", meaning="first day of the month the figures are for"),
        Column("workload", "str", meaning="workload / Azure service (service level 2) / Dynamics workload"),
        Column("association", "str", vocabulary="associations",
               meaning="CPOR, DPOR, PAL, CSP_T1, CSP_T2 (and the CPOR sub-types the rules name)"),
        Column("associated_on", "date", nullable=True,
               meaning="when this association began (empty: before the data starts)"),
        Column("paid_units", "int", nullable=True, min_value=0,
               meaning="paid licences / seats (PaidAvailableUnits)"),
        Column("active_units", "int", nullable=True, min_value=0,
               meaning="monthly active users (or profiles/capacity where the rules say)"),
        Column("revenue_usd", "float", nullable=True, min_value=0,
               meaning="ACR for Azure services, billed revenue for Dynamics/Power Platform"),
        Column("customer_segment", "str", nullable=True,
               meaning="Microsoft's segment for the customer (SMB, Enterprise, ...)"),
        Column("product", "str", nullable=True, required=False, vocabulary="products",
               meaning="azure, m365 or dynamics: the product family of the workload (optional)"),
        Column("customer_name", "str", nullable=True, required=False,
               meaning="the customer's name (CustomerName), shown instead of the tenant id (optional)"),
    ),
)

CERTIFICATIONS = TableSchema(
    name="certifications",
    meaning="one row per person x certification (a renewal is a row with its own earned_on)",
    key=("partner_id", "person_id", "certification", "earned_on"),
    columns=(
        Column("partner_id", "str"),
        Column("person_id", "str", meaning="stable id of the person (MCPID or e-mail)"),
        Column("certification", "str", meaning="certification name as in the rulebook lists"),
        Column("earned_on", "date", meaning="the day the certification was earned"),
        Column("expires_on", "date", nullable=True,
               meaning="the last day it counts, as Learn's \"Expires on <date>\" (empty: does not expire)"),
    ),
)

ENROLLMENTS = TableSchema(
    name="enrollments",
    required=False,
    meaning="optional: the areas a partner is enrolled in",
    key=("partner_id", "area"),
    columns=(
        Column("partner_id", "str"),
        Column("area", "str", vocabulary="areas", meaning="solution area, e.g. modern_work"),
        Column("enrolled_on", "date"),
        Column("anniversary_on", "date", meaning="the renewal (anniversary) date"),
        Column("track", "str", nullable=True, required=False, vocabulary="tracks",
               meaning="the track enrolled in (Azure areas keep it until the anniversary; optional)"),
    ),
)

PARTNERS = TableSchema(
    name="partners",
    required=False,
    meaning="optional: partner names and per-area track overrides",
    key=("partner_id",),
    extra_prefix="track_",
    columns=(
        Column("partner_id", "str"),
        Column("partner_name", "str", nullable=True),
    ),
)

TABLES: tuple[TableSchema, ...] = (USAGE, CERTIFICATIONS, ENROLLMENTS, PARTNERS)
