"""The typed rulebook: frozen dataclasses built from the TOML files by `load_rules`.

Scenario analysis changes a rulebook with `dataclasses.replace`, never by editing files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from pcs_analysis.names import canonical_key_expr, name_key
from pcs_analysis.rules import schema
from pcs_analysis.rules.schema import SettingError, setting

CATEGORIES: tuple[str, ...] = ("performance", "skilling", "customer_success")
#: The latest day of a month on which a refresh can fall (every month has it).
LAST_REFRESH_DAY = 28


@dataclass(frozen=True)
class Qualification:
    """What it takes to qualify in an area: the total bar and the per-metric minimum."""

    min_total_points: float = setting(positive=True)
    min_metric_points: float = setting()
    min_metric_comparison: Literal["gt", "ge"] = setting()
    #: How a metric's points are rounded: kept exact, floored to whole points, or rounded to one
    #: decimal as the published examples print them.
    points_rounding: Literal["exact", "floor", "one_decimal"] = setting("exact")


@dataclass(frozen=True)
class Refresh:
    """When data become visible: month M on `performance_day_of_month` of M+1; a
    certification `skilling_lag_days` after it is earned."""

    performance_day_of_month: int = setting()
    skilling_lag_days: int = setting(minimum=0)

    def __post_init__(self) -> None:
        if not 1 <= self.performance_day_of_month <= LAST_REFRESH_DAY:
            raise SettingError("performance_day_of_month", f"must be a day between 1 and {LAST_REFRESH_DAY}")


@dataclass(frozen=True)
class SeatBand:
    """A tenant is in the band when one eligible workload has paid units in [min, max]."""

    name: str
    min_paid_units: int = setting()
    max_paid_units: int | None = setting(None)
    #: Promotion rule: a tenant in the band during this many months before the month scored
    #: stays eligible for it even when it has grown past `max_paid_units`.
    promoted_within_months: int | None = setting(None)

    def __post_init__(self) -> None:
        if self.max_paid_units is not None and self.max_paid_units < self.min_paid_units:
            raise SettingError("max_paid_units", "is below min_paid_units")

    def describe(self) -> str:
        """The band in paid units, in words: "11 to 300", "at least 301"."""
        if self.max_paid_units is None:
            return f"at least {self.min_paid_units}"
        return f"{self.min_paid_units} to {self.max_paid_units}"

    def holds(self, paid: pl.Expr) -> pl.Expr:
        """Whether `paid` units are inside the band: at least its minimum, at most its maximum."""
        inside = paid >= self.min_paid_units
        return inside if self.max_paid_units is None else inside & (paid <= self.max_paid_units)


@dataclass(frozen=True)
class ValueBand:
    """A unit (tenant, or tenant x workload) is in the band when its measure is at least
    `minimum` (`above`: greater than it) and at most `maximum`."""

    minimum: float
    above: bool = False
    maximum: float | None = None
    #: Promotion rule, as for seat bands: a unit in the band during this many months before the
    #: month scored stays eligible for it when its measure has grown past `maximum`.
    promoted_within_months: int | None = None

    def __post_init__(self) -> None:
        low = "above_value" if self.above else "min_value"
        if self.minimum < 0:
            raise SettingError(low, "must be 0 or more")
        if self.maximum is not None and self.maximum < self.minimum:
            raise SettingError("max_value", f"is below {low}")
        if self.promoted_within_months is not None and self.maximum is None:
            raise SettingError("promoted_within_months", "a promotion rule needs max_value")

    def describe(self, unit: str = "") -> str:
        low = f"{'more than' if self.above else 'at least'} {self.minimum:,g}{unit}"
        return low if self.maximum is None else f"{low} and at most {self.maximum:,g}{unit}"


@dataclass(frozen=True)
class Rate:
    """A rate-card line: usage of `workloads` counts as `unit` at `rate` per active unit."""

    unit: str
    unit_key: str
    rate: float


@dataclass(frozen=True)
class Certification:
    name: str = setting()
    key: str = ""
    retires_on: dt.date | None = setting(None)
    #: Last day on which a certification earned before retirement still counts.
    counts_through: dt.date | None = setting(None)

    def __post_init__(self) -> None:
        if self.retires_on and self.counts_through and self.counts_through < self.retires_on:
            raise SettingError("counts_through", "is before retires_on")


@dataclass(frozen=True)
class Option:
    """An association option of a metric on a track (for example CPOR): the association
    types it pools and the value that earns the metric's maximum."""

    name: str | None
    associations: tuple[str, ...] = setting()
    full_marks_at: float = setting(positive=True)


def _kind_setting(owner: Any, name: str, label: Callable[[], str]) -> Any:
    """`owner.<name>` for a name that is not one of its own fields (`__getattr__` is called only
    then): its kind's setting, read off `owner.settings`; `label` names the owner in the error."""
    settings = owner.__dict__.get("settings")
    if name.startswith("__") or settings is None:
        raise AttributeError(name)
    try:
        return getattr(settings, name)
    except AttributeError:
        raise AttributeError(f"{label()} has no setting {name!r}") from None


class TrackSettings:
    """A kind's own settings of a track table (a value band, a gate, prerequisite steps ...):
    each kind that has them defines a frozen dataclass of its own (see `rules.kinds`), and
    answers for them: `rules show` lists `parameters()`, sensitivity varies them."""

    def parameters(self) -> dict[str, Any]:
        """The settings by their rulebook key, in the order `rules show` lists them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def parameter_names(self) -> frozenset[str]:
        """The keys a variant may set (`analysis.sensitivities`)."""
        return frozenset(self.parameters())

    def parameter(self, key: str) -> Any:
        """The value of one of `parameter_names`."""
        return self.parameters()[key]

    def keys_to_set(self, key: str, value: Any) -> list[tuple[str, Any]]:
        """The (key, value) pairs of the track table that give parameter `key` the value
        `value` (a value of `schema.REMOVE` removes a key)."""
        return [(key, value)]


@dataclass(frozen=True)
class TrackRule:
    """A metric's rule on one track: its options, its seat band, and its kind's own settings
    (`settings`, read as the rule's attributes inside the kind's module)."""

    track: str
    options: tuple[Option, ...]
    seat_band: SeatBand | None = None
    settings: TrackSettings | None = None

    def __getattr__(self, name: str) -> Any:
        return _kind_setting(self, name, lambda: f"track {self.track!r}")


class KindSettings:
    """The settings of a metric's kind: each kind's module (`rules.kinds`) defines a frozen
    dataclass of its own, whose fields are the rulebook's keys for that kind."""

    #: The metrics that make up a composite metric (a sum of parts), read and scored each by
    #: its own kind; empty for a metric that reads data itself.
    leaves: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Metric:
    """A metric of an area: what is common to every kind, and its kind's `settings`.

    A kind's settings read as the metric's own attributes (`metric.window_months`); a setting
    the metric's kind does not have is an AttributeError, not a default.
    """

    name: str
    kind: str
    category: str
    max_points: float
    tracks: Mapping[str, TrackRule]
    settings: KindSettings
    #: The metric counts certified people (skilling) rather than reading usage: its kind's
    #: `counts_people` (see `rules.kinds`), set by the loader.
    counts_people: bool = False

    def __getattr__(self, name: str) -> Any:
        return _kind_setting(self, name, lambda: f"metric {self.name!r} ({self.kind})")

    def with_settings(self, **changes: Any) -> Metric:
        """A copy with some of its kind's settings changed."""
        return replace(self, settings=replace(self.settings, **changes))

    def leaves(self) -> tuple[Metric, ...]:
        """The metrics that read data: those a composite metric is made of, or the metric itself."""
        return self.settings.leaves or (self,)

    @property
    def composite(self) -> bool:
        """Made of other metrics (`leaves`), whose rows carry the leaf's name as their option."""
        return bool(self.settings.leaves)

    def sub_metrics(self) -> dict[str, Metric]:
        """The metrics a composite metric is made of, by name (none for one that reads data)."""
        return {leaf.name: leaf for leaf in self.settings.leaves}


@dataclass(frozen=True)
class TrackClassification:
    """customer_segment_share: a partner is SMB when at least `smb_share_min` of its customers
    (tenants with `product` rows in the scored month) have a segment in `smb_segments`."""

    smb_share_min: float = setting(positive=True)
    smb_segments: tuple[str, ...] = setting()
    product: str = setting()
    #: Customers without a segment: left out of the share ("excluded") or counted as not SMB
    #: ("not_smb").
    unknown_segment: Literal["excluded", "not_smb"] = setting("excluded")
    #: Who the customers are: every tenant with rows of `product` in the month ("every_tenant"),
    #: or only those with revenue above zero ("with_revenue").
    customers: Literal["every_tenant", "with_revenue"] = setting("every_tenant")
    smb_track: str = "smb"
    other_track: str = "enterprise"


@dataclass(frozen=True)
class WorkloadRevenueClassification:
    """workload_revenue (Business Applications): a partner is Enterprise when at least
    `min_workloads` of the area's workloads have more than `above_revenue_usd` revenue in a
    customer tenant in every month of `months_back` (0: the scored month, "current month - 1";
    12: a year before). A workload's revenue in a tenant is the largest of its association rows
    ("largest") or their sum ("summed"), as `association_rows` says.

    `count` reads "unique workloads ... for each customer tenant" either as tenant x workload
    pairs ("tenant_workload") or as distinct workloads over all tenants ("distinct_workloads").
    """

    min_workloads: int = setting()
    above_revenue_usd: float = setting(as_float=True)
    months_back: tuple[int, ...] = setting(minimum=0)
    count: Literal["tenant_workload", "distinct_workloads"] = setting("tenant_workload")
    enterprise_track: str = "enterprise"
    other_track: str = "smb"
    #: A partner with no workload revenue in the classification months: "smb" (S4: SMB "if the
    #: partner has four or fewer unique workloads contributing more than $5,000": none is four
    #: or fewer) or "undecided" (both tracks scored, the higher total kept).
    without_revenue: Literal["smb", "undecided"] = setting("smb")
    association_rows: Literal["largest", "summed"] = setting("largest")


@dataclass(frozen=True)
class AreaRules:
    area: str
    title: str
    sources: tuple[str, ...]
    track_selection: str
    tracks: tuple[str, ...]
    metrics: tuple[Metric, ...]
    qualification: Qualification
    workload_names: Mapping[str, str] = field(default_factory=dict)
    classification: TrackClassification | WorkloadRevenueClassification | None = None
    #: An enrolled partner keeps the track of its enrollment (enrollments table) until the
    #: anniversary, whatever the classification says meanwhile.
    keep_enrolled_track: bool = False
    #: Workload key -> product family of the area's tagged workload lists ([workload_products]).
    workload_products: Mapping[str, str] = field(default_factory=dict)
    #: Settings that change on a day inside the rulebook's life ([[changes]]), oldest first; each
    #: holds the area as it reads from that day.
    changes: tuple[RuleChange, ...] = ()
    #: What the area was read from: the file, its TOML data and the variant set in it (see
    #: `rules.areas.read_area`, which reads a changed setting as the file is read).
    source: tuple[Path, Mapping[str, Any], tuple[tuple[str, Any], ...]] | None = field(
        default=None, compare=False, repr=False)

    def on(self, day: dt.date) -> AreaRules:
        """The area's rules in force on `day`: the edition of the last change effective by then."""
        current = self
        for change in self.changes:
            if change.effective <= day:
                current = change.rules
        return current

    def workload_reads(self) -> tuple[frozenset[str], frozenset[str]]:
        """The workload keys the area's metrics list (rate-card lines included) and the product
        families they read whole."""
        leaves = [leaf for metric in self.metrics for leaf in metric.leaves()]
        keys = {w for m in leaves for w in m.workloads} | {k for m in leaves for k in m.rates}
        return frozenset(keys), frozenset(p for m in leaves for p in m.products)

    def workload_name(self, key: str) -> str:
        """A workload key as the area's lists first write it (the key itself when they do not)."""
        return self.workload_names.get(key, key)

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"area '{self.area}' has no metric '{name}'")


@dataclass(frozen=True)
class RuleChange:
    """Settings of an area that change on a day inside the rulebook's life (Microsoft's pages
    announce some rules "effective from" a later day)."""

    effective: dt.date
    #: TOML path in the area file -> its value from `effective` on
    settings: Mapping[str, Any]
    source: str
    quote: str
    #: The area as it reads from `effective` on (without changes of its own)
    rules: AreaRules


@dataclass(frozen=True)
class Reading:
    """A reading of the sources that decides figures: the sentence, the reading taken and why,
    the setting that flips it (empty: fixed in the engine) and the test that pins it."""

    topic: str = schema.setting()
    setting: str = schema.setting()
    value: str = schema.setting()
    source: str = schema.setting()
    reason: str = schema.setting()
    test: str = schema.setting()
    alternative: str = schema.setting("")


@dataclass(frozen=True)
class Rulebook:
    """Every rule of one published version: program-wide settings and the areas it covers."""

    version: str = setting()
    title: str = setting()
    qualification: Qualification = setting()
    refresh: Refresh = setting()
    window_months_before_current: int = setting(key="months_before_current", table="window")
    association_types: tuple[str, ...] = setting(key="types", table="associations")
    #: product families of the usage table's `product` column
    products: tuple[str, ...] = setting(key="types", table="products")
    #: The Azure catalog's service names (level 2), as written.
    azure_services: tuple[str, ...] = setting(key="azure_catalog", table="products")
    #: key of an old name -> key of the rulebook name (aliases.workloads, certifications)
    workload_aliases: Mapping[str, str] = field(default_factory=dict)
    certification_aliases: Mapping[str, str] = field(default_factory=dict)
    areas: Mapping[str, AreaRules] = field(default_factory=dict)
    sources: tuple[str, ...] = setting(())
    certification_prefixes: tuple[str, ...] = setting((), table="names")
    #: key of a Partner Center attribution type -> canonical association type
    association_aliases: Mapping[str, str] = field(default_factory=dict)
    #: Months, ending with the anniversary month, in which an enrolled partner is "Renewal due".
    renewal_window_months: int = setting(1, table="window", minimum=1)
    #: Months shown on the scoring history page (the current month and the ones before it).
    history_months: int = setting(6, table="window", minimum=1)
    #: Where a not-enrolled partner's window starts: the first day of the month
    #: `window_months_before_current` months back ("month", 2024 text), or the same day of that
    #: month ("day", the 2023 example "August 15 ... March 15").
    window_alignment: Literal["month", "day"] = setting("month", key="alignment", table="window")
    #: What `expires_on` means: the last day a certification counts ("last_day_counts": Learn
    #: shows an active credential as "Expires on <date>"), or the first day it no longer counts.
    certification_expiry: Literal["last_day_counts", "first_day_not_counted"] = setting(
        "last_day_counts", key="expiry", table="certifications")

    #: Workload key -> product family: the Azure catalog and the areas' tagged lists; what a row
    #: without a `product` is read as.
    workload_products: Mapping[str, str] = field(default_factory=dict)
    #: A row without a product whose workload no list names, with revenue and no seat units, is
    #: read as Azure (the Azure areas count "All Azure Service Level 2 services") and reported.
    infer_azure_from_revenue: bool = setting(False, table="products")
    #: The readings of the sources this rulebook takes (readings.toml).
    readings: tuple[Reading, ...] = ()

    def workload_key(self, name: str) -> str:
        """A workload name's key as the rulebook's lists have it (case, spacing, aliases)."""
        key = name_key(name)
        return self.workload_aliases.get(key, key)

    def certification_key(self, name: str) -> str:
        """A certification title's key as the rulebook's lists have it (case, prefixes, aliases)."""
        key = name_key(name, prefixes=self.certification_prefixes)
        return self.certification_aliases.get(key, key)

    def workload_key_expr(self, expr: pl.Expr) -> pl.Expr:
        """`workload_key` of every value of `expr`."""
        return canonical_key_expr(expr, aliases=self.workload_aliases)

    def certification_key_expr(self, expr: pl.Expr) -> pl.Expr:
        """`certification_key` of every value of `expr`."""
        return canonical_key_expr(expr, aliases=self.certification_aliases, prefixes=self.certification_prefixes)

    def stops_counting_on(self, expires_on: dt.date | None) -> dt.date | None:
        """The first day a certification with this `expires_on` no longer counts."""
        if expires_on is None:
            return None
        return expires_on + dt.timedelta(days=1) if self.certification_expiry == "last_day_counts" else expires_on

    def held_until(self, certification: Certification, expires_on: dt.date | None) -> dt.date | None:
        """The first day a held certification no longer counts: its expiry, or the end of a
        retired certification's grace (`counts_through`), whichever comes first; None: never."""
        ends = [d for d in (self.stops_counting_on(expires_on),
                            certification.counts_through + dt.timedelta(days=1) if certification.counts_through
                            else None) if d is not None]
        return min(ends) if ends else None

    def expires_on_for(self, stops_on: dt.date) -> dt.date:
        """The `expires_on` of a certification that stops counting on `stops_on`."""
        return stops_on - dt.timedelta(days=1) if self.certification_expiry == "last_day_counts" else stops_on

    def change_days(self) -> tuple[dt.date, ...]:
        """The days on which a setting of some area changes, in order."""
        return tuple(sorted({c.effective for a in self.areas.values() for c in a.changes}))

    def on(self, day: dt.date) -> Rulebook:
        """The rulebook in force on `day`: every area as its changes effective by then make it."""
        if not self.change_days():
            return self
        return replace(self, areas={name: area.on(day) for name, area in self.areas.items()})

    def area(self, name: str) -> AreaRules:
        try:
            return self.areas[name]
        except KeyError:
            known = ", ".join(self.areas) or "none"
            raise KeyError(f"rulebook {self.version} has no area '{name}' (it has: {known})") from None
