"""Load and validate rulebooks from `pcs_analysis/rules/<version>/*.toml`."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pcs_analysis.config import AREAS, DEFAULT_RULES_VERSION, RULES_DIR
from pcs_analysis.errors import RulebookError
from pcs_analysis.names import alias_keys, name_key
from pcs_analysis.rules.kinds import KINDS
from pcs_analysis.rules.model import (
    CATEGORIES,
    AreaRules,
    Certification,
    KindSettings,
    Metric,
    Option,
    Qualification,
    Rate,
    Reading,
    Refresh,
    Rulebook,
    RuleChange,
    SeatBand,
    TrackClassification,
    TrackRule,
    ValueBand,
    WorkloadRevenueClassification,
)
from pcs_analysis.rules.schema import Doc, SettingError, build, fields, read

_COMMON_METRIC_KEYS = {"kind", "category", "max_points", "tracks"}


def list_versions() -> list[str]:
    """The rulebook versions shipped with the package, oldest first.

    Returns
    -------
    list of str
        Version names such as "2026-05".

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
    if not isinstance(version, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", version) or ".." in version:
        raise RulebookError(f"{version!r} is not a rulebook version name (shipped: {', '.join(list_versions())})")
    base = Path(rules_dir) if rules_dir is not None else RULES_DIR
    if rules_dir is None:
        if version not in list_versions():
            raise RulebookError(f"no rulebook version '{version}' is shipped (shipped: {', '.join(list_versions())}); "
                                "a rulebook of your own: load_rules(NAME, rules_dir=FOLDER)")
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
    doc = Doc(folder / "program.toml")
    data = doc.data
    doc.only(data, "", {"version", "title", "sources", "qualification", "refresh", "window",
                        "associations", "products", "names", "aliases", "certifications"})
    if doc.get(data, "version", "", str) != version:
        raise doc.fail("version", f"says {data['version']!r} but the folder is '{version}'")
    qualification = read(doc, Qualification, doc.get(data, "qualification", "", dict), "qualification")
    refresh = read(doc, Refresh, doc.get(data, "refresh", "", dict), "refresh")
    window = doc.get(data, "window", "", dict)
    doc.only(window, "window", {"months_before_current", "renewal_window_months", "history_months", "alignment"})
    for key in ("renewal_window_months", "history_months"):
        if key in window and (not isinstance(window[key], int) or window[key] < 1):
            raise doc.fail(f"window.{key}", "must be a whole number of months, 1 or more")
    alignment = doc.choice(window, "alignment", "window", ("month", "day"), "month")
    certifications_t = doc.get(data, "certifications", "", dict, {})
    doc.only(certifications_t, "certifications", {"expiry"})
    expiry = doc.choice(certifications_t, "expiry", "certifications", ("last_day_counts", "first_day_not_counted"),
                        "last_day_counts")
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
    products_t = doc.get(data, "products", "", dict)
    doc.only(products_t, "products", {"types", "azure_catalog", "infer_azure_from_revenue"})
    services = tuple(doc.strings(products_t, "azure_catalog", "products"))
    workload_aliases = {**azure_name_aliases(services), **workload_aliases}
    catalog = {name_key(w): "azure" for w in services}
    catalog = {workload_aliases.get(k, k): p for k, p in catalog.items()}
    rulebook = Rulebook(
        version=version,
        title=doc.get(data, "title", "", str),
        sources=tuple(doc.get(data, "sources", "", list, [])),
        qualification=qualification,
        refresh=refresh,
        window_months_before_current=doc.get(window, "months_before_current", "window", int),
        renewal_window_months=doc.get(window, "renewal_window_months", "window", int, 1),
        history_months=doc.get(window, "history_months", "window", int, 6),
        window_alignment=alignment,
        certification_expiry=expiry,
        association_types=associations,
        certification_prefixes=prefixes,
        workload_aliases=workload_aliases,
        certification_aliases=certification_aliases,
        areas={},
        association_aliases=association_aliases,
        products=doc.strings(products_t, "types", "products"),
        azure_services=services,
        infer_azure_from_revenue=doc.get(products_t, "infer_azure_from_revenue", "products", bool, False),
    )
    areas = {}
    for area in AREAS:
        path = folder / f"{area}.toml"
        if path.is_file():
            areas[area] = _area(Doc(path), rulebook)
    extra = sorted(p.stem for p in folder.glob("*.toml") if p.stem not in (*AREAS, "program", "readings"))
    if extra:
        raise RulebookError(f"{folder / (extra[0] + '.toml')}: not a known solution area "
                            f"(known: {', '.join(AREAS)})")
    return Rulebook(**{**rulebook.__dict__, "areas": areas,
                       "workload_products": _workload_products(folder, catalog, areas),
                       "readings": _readings(folder / "readings.toml")})


def azure_name_aliases(services: tuple[str, ...]) -> dict[str, str]:
    """The names Azure usage data give a catalog service with or without its "Azure " prefix
    ("SQL Database" in usage and price sheets, "Azure SQL Database" in the catalog; "Azure Key
    Vault" for "Key Vault"), as aliases of the catalog's name.

    Examples
    --------
    >>> azure_name_aliases(("Azure SQL Database", "Key Vault"))
    {'sql database': 'azure sql database', 'azure key vault': 'key vault'}
    """
    keys = {name_key(s) for s in services}
    aliases = {}
    for service in services:
        other = service.removeprefix("Azure ") if service.startswith("Azure ") else f"Azure {service}"
        if name_key(other) not in keys:
            aliases[name_key(other)] = name_key(service)
    return aliases


def _readings(path: Path) -> tuple[Reading, ...]:
    """readings.toml: [[reading]] tables (optional file)."""
    if not path.is_file():
        return ()
    doc = Doc(path)
    doc.only(doc.data, "", {"reading"})
    return tuple(read(doc, Reading, table, f"reading[{i}]")
                 for i, table in enumerate(doc.get(doc.data, "reading", "", list, [])))


def _tagged_products(doc: Doc, data: Mapping[str, Any], workload_sets: Mapping[str, tuple[str, ...]],
                     rates: Mapping[str, Any], rulebook: Rulebook) -> dict[str, str]:
    """[workload_products]: a workload list (or `rate_card`, every rate-card workload) -> the
    product family its workloads belong to."""
    tagged: dict[str, str] = {}
    for name, product in doc.get(data, "workload_products", "", dict, {}).items():
        path = f"workload_products.{name}"
        if name != "rate_card" and name not in workload_sets:
            raise doc.fail(path, f"no workload list {name!r} in [workloads] (or 'rate_card')")
        if product not in rulebook.products:
            raise doc.fail(path, f"unknown product {product!r} (known: {', '.join(rulebook.products)})")
        if name == "rate_card":
            tagged.update({key: product for key in rates})
            continue
        for workload in workload_sets[name]:
            tagged[rulebook.workload_key(workload)] = product
    return tagged


def _workload_products(folder: Path, catalog: Mapping[str, str], areas: Mapping[str, AreaRules]) -> dict[str, str]:
    """Workload key -> product family: the Azure catalog and every area's tagged lists; a workload
    tagged with two families is an error."""
    merged = dict(catalog)
    for area in areas.values():
        for key, product in area.workload_products.items():
            if merged.setdefault(key, product) != product:
                raise RulebookError(f"{folder / (area.area + '.toml')}: workload_products: '{key}' is "
                                    f"{product} here but {merged[key]} elsewhere")
    return merged


#: A variant's value that removes the key (`read_area`).
REMOVE = object()


def read_area(area: AreaRules, rulebook: Rulebook, variant: Sequence[tuple[str, Any]]) -> AreaRules:
    """The area read again from the text it was read from, with `variant` set in it: (TOML path
    of the area file, value) pairs, in order, set in every edition (the value holds on every day,
    after the file's dated changes); the value `REMOVE` removes a key. The result is checked as
    the file itself is, and errors name the variant."""
    if area.source is None:
        raise RulebookError(f"area {area.area!r} was not read from a file: its settings cannot be varied")
    path, data, before = area.source
    if _area(Doc(path, data), rulebook, before) != area:
        raise RulebookError(f"area {area.area!r} was changed after it was read (dataclasses.replace): "
                            "vary its settings with set_parameter only")
    return _area(Doc(path, data), rulebook, (*before, *variant))


def _area(doc: Doc, rulebook: Rulebook, variant: tuple[tuple[str, Any], ...] = ()) -> AreaRules:
    """An area file: its rules as first published, with the editions its [[changes]] make."""
    data = dict(doc.data)
    changes = doc.get(data, "changes", "", list, [])
    data.pop("changes", None)
    first = _edition(doc, data, rulebook, variant, "")
    dated, edited, last = [], copy.deepcopy(data), None
    for n, table in enumerate(changes):
        where = f"changes[{n}]"
        if not isinstance(table, dict):
            raise doc.fail(where, "expected a table (effective, source, quote, set)")
        doc.only(table, where, {"effective", "source", "quote", "set"})
        effective = doc.get(table, "effective", where, dt.date)
        if last is not None and effective <= last:
            raise doc.fail(f"{where}.effective", f"{effective} is not after the change before it ({last})")
        settings = doc.get(table, "set", where, dict)
        if not settings:
            raise doc.fail(f"{where}.set", "names no setting")
        for path, value in settings.items():
            _set_path(doc, edited, path, value, f"{where}.set")
        rules = _edition(doc, edited, rulebook, variant, f" (as changed from {effective})")
        dated.append(RuleChange(effective=effective, settings=dict(settings), rules=rules,
                                source=doc.get(table, "source", where, str),
                                quote=doc.get(table, "quote", where, str)))
        last = effective
    return dataclasses.replace(first, changes=tuple(dated), source=(doc.path, doc.data, variant))


def _edition(doc: Doc, data: dict[str, Any], rulebook: Rulebook, variant: tuple[tuple[str, Any], ...],
             label: str) -> AreaRules:
    """One edition of an area file (`data`: the file as changed up to it), with the variant set."""
    data = copy.deepcopy(data)
    for path, value in variant:
        _set_path(doc, data, path, value, "variant")
    if variant:
        label += " (as varied: " + ", ".join(f"{p} = {'removed' if v is REMOVE else repr(v)}" for p, v in variant) + ")"
    edition = _area_edition(Doc(doc.path, data, label), rulebook)
    return dataclasses.replace(edition, source=(doc.path, data, ()))


def _set_path(doc: Doc, data: dict[str, Any], path: str, value: Any, where: str) -> None:
    """Set (or, with `REMOVE`, remove) the value at a dotted TOML path of the area file; every
    table on the way must exist."""
    *tables, key = path.split(".")
    holder: Any = data
    for n, name in enumerate(tables):
        holder = holder.get(name) if isinstance(holder, dict) else None
        if not isinstance(holder, dict):
            raise doc.fail(f"{where}.\"{path}\"", f"the file has no table '{'.'.join(tables[:n + 1])}'")
    if value is REMOVE:
        holder.pop(key, None)
    else:
        holder[key] = value


def _area_edition(doc: Doc, rulebook: Rulebook) -> AreaRules:
    data = doc.data
    doc.only(data, "", {"area", "title", "sources", "track_selection", "track_classification", "tracks",
                        "seat_bands", "workloads", "certifications", "rate_card", "metrics", "qualification",
                        "keep_enrolled_track", "workload_products"})
    area = doc.get(data, "area", "", str)
    if area != doc.path.stem:
        raise doc.fail("area", f"says {area!r} but the file is '{doc.path.name}'")
    tracks = doc.strings(data, "tracks", "")
    selection = doc.get(data, "track_selection", "", str)
    if selection not in _CLASSIFICATIONS:
        raise doc.fail("track_selection", f"unknown track selection {selection!r} "
                       "(known: higher_total, customer_segment_share, workload_revenue)")
    classification = (_classification(doc, data, tracks, rulebook, _CLASSIFICATIONS[selection])
                      if _CLASSIFICATIONS[selection] else None)
    bands = _seat_bands(doc, data)
    workload_sets, display = _workload_lists(doc, data, rulebook)
    cert_lists = {
        level: _certifications(doc, data["certifications"], level, rulebook)
        for level in doc.get(data, "certifications", "", dict, {})
    }
    rates = _rate_card(doc, doc.get(data, "rate_card", "", dict, {}), rulebook, display)
    qualification = rulebook.qualification
    if "qualification" in data:
        qualification = read(doc, Qualification, doc.get(data, "qualification", "", dict), "qualification")
    lists = _AreaLists(tracks=tracks, bands=bands, workload_sets=workload_sets,
                       cert_lists=cert_lists, rates=rates, rulebook=rulebook)
    metric_tables = doc.get(data, "metrics", "", dict)
    if not metric_tables:
        raise doc.fail("metrics", "an area needs at least one metric")
    metrics = []
    for name, table in metric_tables.items():
        if not isinstance(table, dict):
            raise doc.fail(f"metrics.{name}", "expected a table")
        metrics.append(_metric(doc, name, table, lists))
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
        keep_enrolled_track=doc.get(data, "keep_enrolled_track", "", bool, False),
        workload_products=_tagged_products(doc, data, workload_sets, rates, rulebook),
    )


def _classification(doc: Doc, data: Mapping[str, Any], tracks: tuple[str, ...], rulebook: Rulebook,
                    cls: type) -> TrackClassification | WorkloadRevenueClassification:
    """The [track_classification] table of a selection that reads one; its tracks must be the
    two it names."""
    classification = read(doc, cls, doc.get(data, "track_classification", "", dict), "track_classification")
    product = getattr(classification, "product", None)
    if product is not None and product not in rulebook.products:
        raise doc.fail("track_classification.product", f"unknown product {product!r}")
    named = {getattr(classification, f) for f in ("smb_track", "enterprise_track", "other_track")
             if hasattr(classification, f)}
    if set(tracks) != named:
        raise doc.fail("tracks", f"{doc.data['track_selection']} needs the tracks {' and '.join(sorted(named))}")
    return classification


#: `track_selection` -> how its classification table is read (None: the higher total decides).
_CLASSIFICATIONS = {"higher_total": None, "customer_segment_share": TrackClassification,
                    "workload_revenue": WorkloadRevenueClassification}


def _seat_bands(doc: Doc, data: Mapping[str, Any]) -> dict[str, SeatBand]:
    return {name: read(doc, SeatBand, table, f"seat_bands.{name}", fixed={"name": name})
            for name, table in doc.get(data, "seat_bands", "", dict, {}).items()}


def _workload_lists(doc: Doc, data: Mapping[str, Any],
                    rulebook: Rulebook) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The [workloads] lists by name, and each workload key's name as the lists first write it."""
    workload_sets: dict[str, tuple[str, ...]] = {}
    display: dict[str, str] = {}
    for name in doc.get(data, "workloads", "", dict, {}):
        names = doc.strings(data["workloads"], name, "workloads")
        workload_sets[name] = names
        for workload in names:
            display.setdefault(rulebook.workload_key(workload), workload)
    return workload_sets, display


def _rate_card(doc: Doc, table: Mapping[str, Any], rulebook: Rulebook,
               display: dict[str, str]) -> dict[str, Rate]:
    """Workload key -> rate-card line. A line may include other workloads (e.g. Customer
    Engagement includes Sales and Customer Service); their usage counts as the line's.
    Adds the workloads' display names to `display`."""
    rates: dict[str, Rate] = {}
    for unit, spec in table.items():
        path = f"rate_card.{unit}"
        if not isinstance(spec, dict):
            raise doc.fail(path, "expected a table such as { rate = 200, per = \"MAU\" }")
        doc.only(spec, path, {"rate", "per", "includes"})
        rate = Rate(unit=unit, unit_key=rulebook.workload_key(unit),
                    rate=float(doc.number(spec, "rate", path, positive=True)))
        doc.get(spec, "per", path, str, "")
        names = (unit, *doc.get(spec, "includes", path, list, []))
        for workload in names:
            if not isinstance(workload, str) or not workload.strip():
                raise doc.fail(f"{path}.includes", "expected a list of workload names")
            wkey = rulebook.workload_key(workload)
            if wkey in rates:
                raise doc.fail(path, f"workload {workload!r} is on two rate-card lines")
            rates[wkey] = rate
            display.setdefault(wkey, workload)
    return rates


def _certifications(doc: Doc, table: Mapping[str, Any], level: str,
                    rulebook: Rulebook) -> tuple[Certification, ...]:
    path = f"certifications.{level}"
    entries = doc.get(table, level, "certifications", list)
    if not entries:
        raise doc.fail(path, "expected a non-empty list")
    out = [read(doc, Certification, entry, f"{path}[{i}]") for i, entry in enumerate(entries)]
    out = [replace(c, key=rulebook.certification_key(c.name)) for c in out]
    keys = [c.key for c in out]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise doc.fail(path, f"lists the same certification twice: {dupes[0]!r}")
    return tuple(out)


@dataclass(frozen=True)
class _AreaLists:
    """What an area file defines once and its metrics refer to by name."""

    tracks: tuple[str, ...]
    bands: Mapping[str, SeatBand]
    workload_sets: Mapping[str, tuple[str, ...]]
    cert_lists: Mapping[str, tuple[Certification, ...]]
    rates: Mapping[str, Rate]
    rulebook: Rulebook


def _workload_keys(lists: _AreaLists, names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(lists.rulebook.workload_key(w) for w in names)


def _metric(doc: Doc, name: str, table: Mapping[str, Any], lists: _AreaLists, *,
            parent: Mapping[str, Any] | None = None) -> Metric:
    path = f"metrics.{name}"
    kind = doc.get(table, "kind", path, str)
    if kind not in KINDS:
        raise doc.fail(f"{path}.kind", f"unknown metric kind {kind!r} (known: {', '.join(KINDS)})")
    spec = KINDS[kind]
    if parent is not None:
        # A part takes its category and maximum from the metric it belongs to.
        if not spec.can_be_part:
            raise doc.fail(f"{path}.kind", f"a part reads usage rows; {kind!r} cannot be a part")
        doc.only(table, path, {"kind", "tracks"} | spec.metric_keys)
        category, max_points = parent["category"], parent["max_points"]
    else:
        doc.only(table, path, _COMMON_METRIC_KEYS | spec.metric_keys)
        category = doc.get(table, "category", path, str)
        if category not in CATEGORIES:
            raise doc.fail(f"{path}.category", f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        max_points = doc.number(table, "max_points", path, positive=True)
    context = {"name": name, "category": category, "max_points": max_points}
    settings = _settings(doc, spec.settings, table, path, lists, context)
    if settings.parts:
        return _parts_metric(doc, name, kind, settings, lists, category, max_points)
    track_tables = doc.get(table, "tracks", path, dict)
    missing = [t for t in lists.tracks if t not in track_tables]
    if missing:
        raise doc.fail(f"{path}.tracks.{missing[0]}", "is required (every track of the area)")
    extra = sorted(set(track_tables) - set(lists.tracks))
    if extra:
        raise doc.fail(f"{path}.tracks.{extra[0]}", "is not one of the area's tracks")
    track_rules = {track: _track(doc, f"{path}.tracks.{track}", track, track_tables[track], kind, lists, max_points)
                   for track in lists.tracks}
    return Metric(name=name, kind=kind, category=category, max_points=max_points, tracks=track_rules,
                  settings=settings, counts_people=spec.counts_people)


# --- a kind's settings: the fields of its settings class, read by type or by `read` --------

def _settings(doc: Doc, cls: type, table: Mapping[str, Any], path: str, lists: _AreaLists,
              context: Mapping[str, Any]) -> KindSettings:
    """The settings of a metric of one kind, read field by field (see `rules.kinds.settings`)."""
    readers = {name: functools.partial(reader, lists=lists, context=context) for name, reader in _READERS.items()}
    values = fields(doc, cls, table, path, readers=readers)
    try:
        values = cls.resolve(values, lists.rates)
    except SettingError as exc:
        raise doc.fail(f"{path}.{exc.key}", str(exc)) from None
    return build(doc, cls, values, path)


def _workload_list(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    set_name = doc.get(table, key, path, str)
    if set_name not in lists.workload_sets:
        raise doc.fail(f"{path}.{key}", f"no workload list named {set_name!r} under [workloads]")
    return {"workload_set": set_name, "workloads": _workload_keys(lists, lists.workload_sets[set_name])}


def _workload_names(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    return {f.name: _workload_keys(lists, tuple(doc.get(table, key, path, list, [])))}


def _products(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    products = doc.strings(table, key, path)
    unknown = [p for p in products if p not in lists.rulebook.products]
    if unknown:
        raise doc.fail(f"{path}.{key}", f"unknown product {unknown[0]!r} (known: {', '.join(lists.rulebook.products)})")
    return {f.name: products}


def _workload_associations(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    by_workload: dict[str, tuple[str, ...]] = {}
    for set_name in doc.get(table, key, path, dict):
        where = f"{path}.{key}"
        if set_name not in lists.workload_sets:
            raise doc.fail(f"{where}.{set_name}", f"no workload list named {set_name!r} under [workloads]")
        associations = doc.strings(table[key], set_name, where)
        _check_associations(doc, f"{where}.{set_name}", associations, lists.rulebook)
        for workload in _workload_keys(lists, lists.workload_sets[set_name]):
            by_workload[workload] = associations
    return {f.name: by_workload}


def _certification_list(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    level = doc.get(table, key, path, str)
    if level not in lists.cert_lists:
        raise doc.fail(f"{path}.{key}", f"no certification list {level!r} under [certifications]")
    return {"certification_level": level, "certifications": lists.cert_lists[level]}


def _certification_lists(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    levels = doc.strings(table, key, path)
    for level in levels:
        if level not in lists.cert_lists:
            raise doc.fail(f"{path}.{key}", f"no certification list {level!r} under [certifications]")
    return {"step_levels": levels, "steps": tuple(lists.cert_lists[level] for level in levels)}


def _parts(doc: Doc, table, key: str, path: str, f, *, lists: _AreaLists, context) -> dict[str, Any]:
    """The parts of a sum of parts, each a metric of its own kind with one option per track."""
    part_tables = doc.get(table, key, path, dict)
    if len(part_tables) < 2:
        raise doc.fail(f"{path}.{key}", "a sum of parts needs at least two parts")
    parts = []
    for part_name, part_table in part_tables.items():
        if not isinstance(part_table, dict):
            raise doc.fail(f"{path}.{key}.{part_name}", "expected a table")
        part = _metric(doc, f"{context['name']}.parts.{part_name}", part_table, lists, parent=context)
        for track, rule in part.tracks.items():
            if len(rule.options) != 1:
                raise doc.fail(f"{path}.{key}.{part_name}.tracks.{track}", "a part has one option (no options table)")
        parts.append(replace(part, name=part_name))
    return {f.name: tuple(parts)}


_READERS = {"workload_list": _workload_list, "workload_names": _workload_names, "products": _products,
            "workload_associations": _workload_associations, "certification_list": _certification_list,
            "certification_lists": _certification_lists, "parts": _parts}


def _parts_metric(doc: Doc, name: str, kind: str, settings: KindSettings, lists: _AreaLists, category: str,
                  max_points: float) -> Metric:
    """A metric whose parts (e.g. Azure and Microsoft 365) are computed separately and summed.
    Its options are the parts; its tracks take each part's full-marks value."""
    path = f"metrics.{name}"
    tracks = {}
    for track in lists.tracks:
        options = tuple(Option(name=p.name, associations=p.tracks[track].options[0].associations,
                               full_marks_at=p.tracks[track].options[0].full_marks_at) for p in settings.parts)
        if settings.parts_combine == "values" and len({o.full_marks_at for o in options}) > 1:
            raise doc.fail(f"{path}.parts_combine", "summing values needs the same full_marks_at in every part")
        tracks[track] = TrackRule(track=track, options=options)
    return Metric(name=name, kind=kind, category=category, max_points=max_points, tracks=tracks, settings=settings)


def _track(doc: Doc, path: str, track: str, table: Any, kind: str, lists: _AreaLists,
           max_points: float) -> TrackRule:
    if not isinstance(table, dict):
        raise doc.fail(path, "expected a table")
    allowed = KINDS[kind].track_keys
    doc.only(table, path, allowed)
    extra: dict[str, Any] = {}
    if "seat_band" in allowed:
        band_name = doc.get(table, "seat_band", path, str)
        if band_name not in lists.bands:
            raise doc.fail(f"{path}.seat_band", f"no seat band {band_name!r} under [seat_bands]")
        extra["seat_band"] = lists.bands[band_name]
    if "min_value" in allowed:
        extra["value_band"] = _value_band(doc, table, path, required=KINDS[kind].value_band_required)
    if "min_baseline" in allowed:
        extra["min_baseline"] = float(doc.number(table, "min_baseline", path, default=0.0))
    if "prerequisite_people" in allowed:
        return _stepped_track(doc, path, track, table, max_points)
    return TrackRule(track=track, options=_options(doc, path, table, allowed, lists), **extra)


def _stepped_track(doc: Doc, path: str, track: str, table: Mapping[str, Any], max_points: float) -> TrackRule:
    """A track of people in steps: the prerequisite steps, and one option of people for the maximum."""
    people = doc.get(table, "prerequisite_people", path, int)
    if people < 1:
        raise doc.fail(f"{path}.prerequisite_people", "must be 1 or more")
    if ("points_per_person" in table) == ("full_marks_at" in table):
        raise doc.fail(path, "give either points_per_person or full_marks_at (people for the maximum)")
    points = float(doc.number(table, "prerequisite_points", path))
    if "points_per_person" in table:
        # Linear points per person, expressed like every other option: the value for full marks.
        full_marks_at = max_points / doc.number(table, "points_per_person", path, positive=True)
    else:
        full_marks_at = doc.number(table, "full_marks_at", path, positive=True)
    return TrackRule(track=track, options=(Option(name=None, associations=(), full_marks_at=full_marks_at),),
                     prerequisite_people=people, prerequisite_points=points)


def _options(doc: Doc, path: str, table: Mapping[str, Any], allowed: frozenset[str],
             lists: _AreaLists) -> tuple[Option, ...]:
    """A track's association options: named ones, or one from its associations and full marks."""
    if "options" not in table:
        with_associations = "associations" in allowed
        spec = {k: table[k] for k in ("associations", "full_marks_at") if k in table}
        if not with_associations:
            spec["associations"] = []
        return (_option(doc, path, None, spec, lists.rulebook, allow_empty=not with_associations),)
    if "associations" in table or "full_marks_at" in table:
        raise doc.fail(path, "give either options or associations + full_marks_at, not both")
    options = tuple(_option(doc, f"{path}.options.{name}", name, spec, lists.rulebook)
                    for name, spec in doc.get(table, "options", path, dict).items())
    if not options:
        raise doc.fail(f"{path}.options", "needs at least one option")
    return options


def _value_band(doc: Doc, table: Mapping[str, Any], path: str, *, required: bool) -> ValueBand | None:
    has_min, has_above = "min_value" in table, "above_value" in table
    if has_min and has_above:
        raise doc.fail(path, "give either min_value (at least) or above_value (more than), not both")
    if not (has_min or has_above):
        if required:
            raise doc.fail(f"{path}.min_value", "is required (or above_value)")
        if "max_value" in table or "promoted_within_months" in table:
            raise doc.fail(path, "max_value needs min_value or above_value")
        return None
    key = "min_value" if has_min else "above_value"
    return build(doc, ValueBand, {
        "minimum": float(doc.number(table, key, path)), "above": has_above,
        "maximum": None if "max_value" not in table else float(doc.number(table, "max_value", path)),
        "promoted_within_months": doc.get(table, "promoted_within_months", path, int, None)}, path)


def _check_associations(doc: Doc, path: str, associations: tuple[str, ...], rulebook: Rulebook) -> None:
    unknown = [a for a in associations if a not in rulebook.association_types]
    if unknown:
        raise doc.fail(path, f"unknown association type {unknown[0]!r} "
                       f"(program.toml lists: {', '.join(rulebook.association_types)})")


def _option(doc: Doc, path: str, name: str | None, spec: Any, rulebook: Rulebook,
            allow_empty: bool = False) -> Option:
    option = read(doc, Option, spec, path, fixed={"name": name, **({"associations": ()} if allow_empty else {})})
    _check_associations(doc, f"{path}.associations", option.associations, rulebook)
    return option
