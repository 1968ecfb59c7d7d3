"""Load and validate rulebooks from `pcs_analysis/rules/<version>/*.toml`."""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import AREAS, DEFAULT_RULES_VERSION, RULES_DIR
from ..errors import RulebookError
from ..names import alias_keys, name_key
from .model import (
    CATEGORIES,
    METRIC_KINDS,
    AreaRules,
    Certification,
    Metric,
    Option,
    Qualification,
    Refresh,
    Rulebook,
    SeatBand,
    TrackClassification,
    TrackRule,
)

_MISSING = object()

#: Settings each metric kind requires (beyond name, kind, category, max_points, tracks).
_KIND_KEYS: dict[str, dict[str, bool]] = {
    # key -> required?
    "tenant_count_growth": {"workloads": True},
    "certified_people": {"certifications": True},
    "active_usage_growth": {"workloads": True, "credit_from_association": False},
    "deployment_growth": {
        "workloads": True,
        "active_share_min": True,
        "active_share_basis": False,
        "exclude_active_at_association_within_months": False,
    },
    "certified_people_in_steps": {"certifications": True, "steps": True},
    "revenue_customer_growth": {"products": True, "exclude_workloads": False, "revenue_months": True},
    "revenue_growth_percent": {"products": True, "exclude_workloads": False, "growth_basis": False,
                               "min_baseline_revenue_usd": False, "gate_applies_to": False},
    "distinct_services": {"products": True, "exclude_workloads": False, "lookback_months": False},
}
#: Keys a metric's track table may hold, per kind.
_TRACK_KEYS: dict[str, set[str]] = {
    "tenant_count_growth": {"seat_band", "associations", "options", "full_marks_at"},
    "active_usage_growth": {"seat_band", "associations", "options", "full_marks_at"},
    "deployment_growth": {"seat_band", "associations", "options", "full_marks_at"},
    "certified_people": {"full_marks_at"},
    "certified_people_in_steps": {"prerequisite_people", "prerequisite_points", "points_per_person"},
    "revenue_customer_growth": {"associations", "full_marks_at", "min_revenue_usd"},
    "revenue_growth_percent": {"associations", "full_marks_at"},
    "distinct_services": {"associations", "full_marks_at"},
}
_COMMON_METRIC_KEYS = {"kind", "category", "max_points", "tracks"}


class _Doc:
    """A parsed TOML file with typed accessors that fail naming the file and the key."""

    def __init__(self, path: Path):
        self.path = path
        try:
            with path.open("rb") as handle:
                self.data = tomllib.load(handle)
        except FileNotFoundError:
            raise RulebookError(f"{path}: rulebook file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise RulebookError(f"{path}: not valid TOML ({exc})") from None

    def fail(self, key: str, message: str) -> RulebookError:
        return RulebookError(f"{self.path}: key '{key}': {message}")

    def get(self, table: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
            default: Any = _MISSING) -> Any:
        full = f"{path}.{key}" if path else key
        if key not in table:
            if default is _MISSING:
                raise self.fail(full, "is required")
            return default
        value = table[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(full, f"expected {_type_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(full, f"expected {_type_name(kind)}, got {type(value).__name__} {value!r}")
        return value

    def number(self, table: Mapping[str, Any], key: str, path: str, *, positive: bool = False,
               default: Any = _MISSING) -> Any:
        value = self.get(table, key, path, (int, float), default)
        if value is not default and positive and not value > 0:
            raise self.fail(f"{path}.{key}", f"must be greater than 0, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        values = self.get(table, key, path, list)
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise self.fail(f"{path}.{key}", "expected a non-empty list of non-empty strings")
        return tuple(values)

    def only(self, table: Mapping[str, Any], path: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"{path}." if path else ""
            raise self.fail(f"{where}{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a table", bool: "true or false", dt.date: "a date"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def list_versions() -> list[str]:
    """The rulebook versions shipped with the package, oldest first.

    Examples
    --------
    >>> "2026-05" in list_versions()
    True
    """
    return sorted(p.name for p in RULES_DIR.iterdir() if (p / "program.toml").is_file())


def load_rules(version: str | None = None, *, rules_dir: Path | None = None) -> Rulebook:
    """Load and validate one rulebook version (the newest published text by default).

    Parameters
    ----------
    version
        A folder name under `pcs_analysis/rules/` such as ``"2026-05"`` or ``"2023-06"``.
    rules_dir
        Load from another folder of versions (for example a copy an analyst edited).

    Raises
    ------
    RulebookError
        Naming the file and the key, when a file is missing, malformed or inconsistent.

    Examples
    --------
    >>> rules = load_rules("2023-06")
    >>> rules.area("modern_work").metric("net_customer_adds").max_points
    20
    """
    version = version or DEFAULT_RULES_VERSION
    base = Path(rules_dir) if rules_dir is not None else RULES_DIR
    if rules_dir is None:
        return _load_cached(version, str(base))
    return _load(version, base)


@functools.lru_cache(maxsize=16)
def _load_cached(version: str, base: str) -> Rulebook:
    return _load(version, Path(base))


def _load(version: str, base: Path) -> Rulebook:
    folder = base / version
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in base.iterdir() if p.is_dir())) if base.is_dir() else "none"
        raise RulebookError(f"{folder}: no such rulebook version '{version}' (known: {known})")
    doc = _Doc(folder / "program.toml")
    data = doc.data
    doc.only(data, "", {"version", "title", "sources", "qualification", "refresh", "window",
                        "associations", "products", "names", "aliases"})
    if doc.get(data, "version", "", str) != version:
        raise doc.fail("version", f"says {data['version']!r} but the folder is '{version}'")
    qualification = _qualification(doc, doc.get(data, "qualification", "", dict), "qualification")
    refresh_t = doc.get(data, "refresh", "", dict)
    doc.only(refresh_t, "refresh", {"performance_day_of_month", "skilling_lag_days"})
    refresh = Refresh(
        performance_day_of_month=doc.get(refresh_t, "performance_day_of_month", "refresh", int),
        skilling_lag_days=doc.get(refresh_t, "skilling_lag_days", "refresh", int),
    )
    if not 1 <= refresh.performance_day_of_month <= 28:
        raise doc.fail("refresh.performance_day_of_month", "must be a day between 1 and 28")
    if refresh.skilling_lag_days < 0:
        raise doc.fail("refresh.skilling_lag_days", "must be 0 or more")
    window = doc.get(data, "window", "", dict)
    associations = doc.strings(doc.get(data, "associations", "", dict), "types", "associations")
    names_t = doc.get(data, "names", "", dict, {})
    prefixes = tuple(doc.get(names_t, "certification_prefixes", "names", list, []))
    aliases = doc.get(data, "aliases", "", dict, {})
    doc.only(aliases, "aliases", {"workloads", "certifications", "associations"})
    workload_aliases = alias_keys(doc.get(aliases, "workloads", "aliases", dict, {}))
    certification_aliases = alias_keys(doc.get(aliases, "certifications", "aliases", dict, {}),
                                       prefixes=prefixes)
    association_aliases = {name_key(k): v for k, v in doc.get(aliases, "associations", "aliases", dict, {}).items()}
    association_aliases.update({name_key(a): a for a in associations})
    bad = sorted(v for v in association_aliases.values() if v not in associations)
    if bad:
        raise doc.fail("aliases.associations", f"maps to {bad[0]!r}, which is not in associations.types")
    rulebook = Rulebook(
        version=version,
        title=doc.get(data, "title", "", str),
        sources=tuple(doc.get(data, "sources", "", list, [])),
        qualification=qualification,
        refresh=refresh,
        window_months_before_current=doc.get(window, "months_before_current", "window", int),
        association_types=associations,
        certification_prefixes=prefixes,
        workload_aliases=workload_aliases,
        certification_aliases=certification_aliases,
        areas={},
        association_aliases=association_aliases,
        products=doc.strings(doc.get(data, "products", "", dict), "types", "products"),
    )
    areas = {}
    for area in AREAS:
        path = folder / f"{area}.toml"
        if path.is_file():
            areas[area] = _area(_Doc(path), rulebook)
    extra = sorted(p.stem for p in folder.glob("*.toml") if p.stem not in AREAS and p.stem != "program")
    if extra:
        raise RulebookError(f"{folder / (extra[0] + '.toml')}: not a known solution area "
                            f"(known: {', '.join(AREAS)})")
    return Rulebook(**{**rulebook.__dict__, "areas": areas})


def _qualification(doc: _Doc, table: Mapping[str, Any], path: str) -> Qualification:
    doc.only(table, path, {"min_total_points", "min_metric_points", "min_metric_comparison"})
    comparison = doc.get(table, "min_metric_comparison", path, str)
    if comparison not in ("gt", "ge"):
        raise doc.fail(f"{path}.min_metric_comparison", f"must be 'gt' or 'ge', got {comparison!r}")
    return Qualification(
        min_total_points=doc.number(table, "min_total_points", path, positive=True),
        min_metric_points=doc.number(table, "min_metric_points", path),
        min_metric_comparison=comparison,
    )


def _area(doc: _Doc, rulebook: Rulebook) -> AreaRules:
    data = doc.data
    doc.only(data, "", {"area", "title", "sources", "track_selection", "track_classification", "tracks",
                        "seat_bands", "workloads", "certifications", "metrics", "qualification"})
    area = doc.get(data, "area", "", str)
    if area != doc.path.stem:
        raise doc.fail("area", f"says {area!r} but the file is '{doc.path.name}'")
    tracks = doc.strings(data, "tracks", "")
    selection = doc.get(data, "track_selection", "", str)
    if selection not in ("higher_total", "customer_segment_share"):
        raise doc.fail("track_selection", f"unknown track selection {selection!r} "
                       "(known: higher_total, customer_segment_share)")
    classification = None
    if selection == "customer_segment_share":
        table = doc.get(data, "track_classification", "", dict)
        path = "track_classification"
        doc.only(table, path, {"smb_share_min", "smb_segments", "product"})
        classification = TrackClassification(
            smb_share_min=doc.number(table, "smb_share_min", path, positive=True),
            smb_segments=doc.strings(table, "smb_segments", path),
            product=doc.get(table, "product", path, str),
        )
        if classification.product not in rulebook.products:
            raise doc.fail(f"{path}.product", f"unknown product {classification.product!r}")
        if set(tracks) != {classification.smb_track, classification.other_track}:
            raise doc.fail("tracks", "customer_segment_share needs the tracks enterprise and smb")
    bands = {}
    for name, table in doc.get(data, "seat_bands", "", dict, {}).items():
        path = f"seat_bands.{name}"
        if not isinstance(table, dict):
            raise doc.fail(path, "expected a table")
        doc.only(table, path, {"min_paid_units", "max_paid_units", "promoted_within_months"})
        band = SeatBand(
            name=name,
            min_paid_units=doc.get(table, "min_paid_units", path, int),
            max_paid_units=doc.get(table, "max_paid_units", path, int, None),
            promoted_within_months=doc.get(table, "promoted_within_months", path, int, None),
        )
        if band.max_paid_units is not None and band.max_paid_units < band.min_paid_units:
            raise doc.fail(f"{path}.max_paid_units", "is below min_paid_units")
        bands[name] = band
    workload_sets: dict[str, tuple[str, ...]] = {}
    display: dict[str, str] = {}
    for name in doc.get(data, "workloads", "", dict, {}):
        names = doc.strings(data["workloads"], name, "workloads")
        workload_sets[name] = names
        for workload in names:
            key = name_key(workload)
            display.setdefault(rulebook.workload_aliases.get(key, key), workload)
    cert_lists = {
        level: _certifications(doc, data["certifications"], level, rulebook)
        for level in doc.get(data, "certifications", "", dict, {})
    }
    qualification = rulebook.qualification
    if "qualification" in data:
        qualification = _qualification(doc, doc.get(data, "qualification", "", dict), "qualification")
    metrics = []
    metric_tables = doc.get(data, "metrics", "", dict)
    if not metric_tables:
        raise doc.fail("metrics", "an area needs at least one metric")
    for name, table in metric_tables.items():
        if not isinstance(table, dict):
            raise doc.fail(f"metrics.{name}", "expected a table")
        metrics.append(_metric(doc, name, table, tracks, bands, workload_sets, cert_lists, rulebook))
    return AreaRules(
        area=area,
        title=doc.get(data, "title", "", str),
        sources=tuple(doc.get(data, "sources", "", list, [])),
        track_selection=selection,
        tracks=tracks,
        metrics=tuple(metrics),
        qualification=qualification,
        workload_names=display,
        classification=classification,
    )


def _certifications(doc: _Doc, table: Mapping[str, Any], level: str,
                    rulebook: Rulebook) -> tuple[Certification, ...]:
    path = f"certifications.{level}"
    entries = doc.get(table, level, "certifications", list)
    if not entries:
        raise doc.fail(path, "expected a non-empty list")
    out = []
    for i, entry in enumerate(entries):
        where = f"{path}[{i}]"
        if not isinstance(entry, dict):
            raise doc.fail(where, "expected a table such as { name = \"...\" }")
        doc.only(entry, where, {"name", "retires_on", "counts_through"})
        name = doc.get(entry, "name", where, str)
        key = name_key(name, prefixes=rulebook.certification_prefixes)
        key = rulebook.certification_aliases.get(key, key)
        cert = Certification(
            name=name,
            key=key,
            retires_on=doc.get(entry, "retires_on", where, dt.date, None),
            counts_through=doc.get(entry, "counts_through", where, dt.date, None),
        )
        if cert.retires_on and cert.counts_through and cert.counts_through < cert.retires_on:
            raise doc.fail(f"{where}.counts_through", "is before retires_on")
        out.append(cert)
    keys = [c.key for c in out]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise doc.fail(path, f"lists the same certification twice: {dupes[0]!r}")
    return tuple(out)


def _metric(doc: _Doc, name: str, table: Mapping[str, Any], tracks: tuple[str, ...],
            bands: Mapping[str, SeatBand], workload_sets: Mapping[str, tuple[str, ...]],
            cert_lists: Mapping[str, tuple[Certification, ...]], rulebook: Rulebook) -> Metric:
    path = f"metrics.{name}"
    kind = doc.get(table, "kind", path, str)
    if kind not in METRIC_KINDS:
        raise doc.fail(f"{path}.kind", f"unknown metric kind {kind!r} (known: {', '.join(METRIC_KINDS)})")
    keys = _KIND_KEYS[kind]
    doc.only(table, path, _COMMON_METRIC_KEYS | set(keys))
    category = doc.get(table, "category", path, str)
    if category not in CATEGORIES:
        raise doc.fail(f"{path}.category", f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
    settings: dict[str, Any] = {}
    if "workloads" in keys:
        set_name = doc.get(table, "workloads", path, str)
        if set_name not in workload_sets:
            raise doc.fail(f"{path}.workloads", f"no workload list named {set_name!r} under [workloads]")
        settings["workload_set"] = set_name
        settings["workloads"] = frozenset(
            rulebook.workload_aliases.get(name_key(w), name_key(w)) for w in workload_sets[set_name]
        )
    if "certifications" in keys:
        level = doc.get(table, "certifications", path, str)
        if level not in cert_lists:
            raise doc.fail(f"{path}.certifications", f"no certification list {level!r} under [certifications]")
        settings["certification_level"] = level
        settings["certifications"] = cert_lists[level]
    if "products" in keys:
        products = doc.strings(table, "products", path)
        unknown = [p for p in products if p not in rulebook.products]
        if unknown:
            known = ", ".join(rulebook.products)
            raise doc.fail(f"{path}.products", f"unknown product {unknown[0]!r} (known: {known})")
        settings["products"] = products
        excluded = doc.get(table, "exclude_workloads", path, list, [])
        settings["excluded_workloads"] = frozenset(
            rulebook.workload_aliases.get(name_key(w), name_key(w)) for w in excluded)
    if "steps" in keys:
        levels = doc.strings(table, "steps", path)
        for level in levels:
            if level not in cert_lists:
                raise doc.fail(f"{path}.steps", f"no certification list {level!r} under [certifications]")
        settings["step_levels"] = levels
        settings["steps"] = tuple(cert_lists[level] for level in levels)
    if "revenue_months" in keys:
        settings["revenue_months"] = doc.get(table, "revenue_months", path, int)
        if settings["revenue_months"] < 1:
            raise doc.fail(f"{path}.revenue_months", "must be 1 or more")
    if "growth_basis" in keys:
        basis = doc.get(table, "growth_basis", path, str, "month")
        if basis not in ("month", "trailing_12"):
            raise doc.fail(f"{path}.growth_basis", "must be 'month' or 'trailing_12'")
        settings["growth_basis"] = basis
        settings["min_baseline_revenue_usd"] = doc.number(table, "min_baseline_revenue_usd", path, default=0.0)
        gate = doc.get(table, "gate_applies_to", path, str, "baseline")
        if gate not in ("baseline", "current", "both"):
            raise doc.fail(f"{path}.gate_applies_to", "must be 'baseline', 'current' or 'both'")
        settings["gate_applies_to"] = gate
    if "lookback_months" in keys:
        settings["lookback_months"] = doc.get(table, "lookback_months", path, int, 12)
    if "credit_from_association" in keys:
        settings["credit_from_association"] = doc.get(table, "credit_from_association", path, bool, True)
    if "active_share_min" in keys:
        share = doc.number(table, "active_share_min", path, positive=True)
        if share > 1:
            raise doc.fail(f"{path}.active_share_min", "is a share between 0 and 1")
        settings["active_share_min"] = share
        basis = doc.get(table, "active_share_basis", path, str, "any_workload")
        if basis not in ("any_workload", "pooled"):
            raise doc.fail(f"{path}.active_share_basis", "must be 'any_workload' or 'pooled'")
        settings["active_share_basis"] = basis
        settings["exclude_active_at_association_within_months"] = doc.get(
            table, "exclude_active_at_association_within_months", path, int, None)
    max_points = doc.number(table, "max_points", path, positive=True)
    track_tables = doc.get(table, "tracks", path, dict)
    missing = [t for t in tracks if t not in track_tables]
    if missing:
        raise doc.fail(f"{path}.tracks.{missing[0]}", "is required (every track of the area)")
    track_rules = {}
    for track in tracks:
        track_rules[track] = _track(doc, f"{path}.tracks.{track}", track, track_tables[track],
                                    kind, bands, rulebook, max_points)
    extra = sorted(set(track_tables) - set(tracks))
    if extra:
        raise doc.fail(f"{path}.tracks.{extra[0]}", "is not one of the area's tracks")
    return Metric(name=name, kind=kind, category=category, max_points=max_points,
                  tracks=track_rules, **settings)


def _track(doc: _Doc, path: str, track: str, table: Any, kind: str,
           bands: Mapping[str, SeatBand], rulebook: Rulebook, max_points: float) -> TrackRule:
    if not isinstance(table, dict):
        raise doc.fail(path, "expected a table")
    allowed = _TRACK_KEYS[kind]
    doc.only(table, path, allowed)
    band = None
    if "seat_band" in allowed:
        band_name = doc.get(table, "seat_band", path, str)
        if band_name not in bands:
            raise doc.fail(f"{path}.seat_band", f"no seat band {band_name!r} under [seat_bands]")
        band = bands[band_name]
    extra: dict[str, Any] = {}
    if "min_revenue_usd" in allowed:
        extra["min_revenue_usd"] = float(doc.number(table, "min_revenue_usd", path, positive=True))
    if "points_per_person" in allowed:
        people = doc.get(table, "prerequisite_people", path, int)
        if people < 1:
            raise doc.fail(f"{path}.prerequisite_people", "must be 1 or more")
        extra["prerequisite_people"] = people
        extra["prerequisite_points"] = float(doc.number(table, "prerequisite_points", path))
        per_person = doc.number(table, "points_per_person", path, positive=True)
        # Linear points per person, expressed like every other option: the value for full marks.
        options = (Option(name=None, associations=(), full_marks_at=max_points / per_person),)
        return TrackRule(track=track, options=options, **extra)
    if "options" in table:
        if "associations" in table or "full_marks_at" in table:
            raise doc.fail(path, "give either options or associations + full_marks_at, not both")
        options = tuple(
            _option(doc, f"{path}.options.{name}", name, spec, rulebook)
            for name, spec in doc.get(table, "options", path, dict).items()
        )
        if not options:
            raise doc.fail(f"{path}.options", "needs at least one option")
    else:
        with_associations = "associations" in allowed
        spec = {k: table[k] for k in ("associations", "full_marks_at") if k in table}
        if not with_associations:
            spec["associations"] = []
        options = (_option(doc, path, None, spec, rulebook, allow_empty=not with_associations),)
    return TrackRule(track=track, options=options, seat_band=band, **extra)


def _option(doc: _Doc, path: str, name: str | None, spec: Any, rulebook: Rulebook,
            allow_empty: bool = False) -> Option:
    if not isinstance(spec, dict):
        raise doc.fail(path, "expected a table")
    doc.only(spec, path, {"associations", "full_marks_at"})
    associations = tuple(spec.get("associations", [])) if allow_empty else doc.strings(spec, "associations", path)
    unknown = [a for a in associations if a not in rulebook.association_types]
    if unknown:
        raise doc.fail(f"{path}.associations", f"unknown association type {unknown[0]!r} "
                       f"(program.toml lists: {', '.join(rulebook.association_types)})")
    return Option(name=name, associations=associations,
                  full_marks_at=doc.number(spec, "full_marks_at", path, positive=True))
