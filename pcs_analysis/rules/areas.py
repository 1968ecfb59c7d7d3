"""Read one area file (`pcs_analysis/rules/<version>/<area>.toml`): its lists, metrics, tracks and
options, each edition its dated [[changes]] make, and a variant of its settings (`read_area`)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pcs_analysis.errors import RulebookError
from pcs_analysis.rules.kinds import KINDS
from pcs_analysis.rules.lists import AreaLists
from pcs_analysis.rules.model import (
    CATEGORIES,
    AreaRules,
    KindSettings,
    Metric,
    Option,
    Qualification,
    Rulebook,
    RuleChange,
    TrackClassification,
    TrackRule,
    WorkloadRevenueClassification,
)
from pcs_analysis.rules.schema import REMOVE, Doc, SettingError, build, fields, read

_COMMON_METRIC_KEYS = {"kind", "category", "max_points", "tracks"}


def read_area(area: AreaRules, rulebook: Rulebook, variant: Sequence[tuple[str, Any]]) -> AreaRules:
    """The area read again from the text it was read from, with `variant` set in it: (TOML path
    of the area file, value) pairs, in order, set in every edition (the value holds on every day,
    after the file's dated changes); the value `REMOVE` removes a key. The result is checked as
    the file itself is, and errors name the variant."""
    if area.source is None:
        raise RulebookError(f"area {area.area!r} was not read from a file: its settings cannot be varied")
    path, data, before = area.source
    if read_area_file(Doc(path, data), rulebook, before) != area:
        raise RulebookError(f"area {area.area!r} was changed after it was read (dataclasses.replace): "
                            "vary its settings with set_parameter only")
    return read_area_file(Doc(path, data), rulebook, (*before, *variant))


def read_area_file(doc: Doc, rulebook: Rulebook, variant: tuple[tuple[str, Any], ...] = ()) -> AreaRules:
    """An area file: its rules as first published, with the editions its [[changes]] make (each
    with `variant` set, see `read_area`)."""
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
    lists = AreaLists.read(doc, data, rulebook)
    selection = doc.get(data, "track_selection", "", str)
    if selection not in _CLASSIFICATIONS:
        raise doc.fail("track_selection", f"unknown track selection {selection!r} "
                       "(known: higher_total, customer_segment_share, workload_revenue)")
    classification = (_classification(doc, data, lists.tracks, rulebook, _CLASSIFICATIONS[selection])
                      if _CLASSIFICATIONS[selection] else None)
    qualification = rulebook.qualification
    if "qualification" in data:
        qualification = read(doc, Qualification, doc.get(data, "qualification", "", dict), "qualification")
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
        tracks=lists.tracks,
        metrics=tuple(metrics),
        qualification=qualification,
        workload_names=lists.display,
        classification=classification,
        keep_enrolled_track=doc.get(data, "keep_enrolled_track", "", bool, False),
        workload_products=_tagged_products(doc, data, lists.workload_sets, lists.rates, rulebook),
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


def _metric(doc: Doc, name: str, table: Mapping[str, Any], lists: AreaLists, *,
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
    if settings.leaves:
        return _composite_metric(name, kind, settings, lists, category, max_points)
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

def _settings(doc: Doc, cls: type, table: Mapping[str, Any], path: str, lists: AreaLists,
              context: Mapping[str, Any]) -> KindSettings:
    """The settings of a metric of one kind, read field by field (see `rules.kinds.settings`)."""
    readers = {**lists.readers(), "parts": functools.partial(_parts, lists=lists, context=context)}
    values = fields(doc, cls, table, path, readers=readers)
    try:
        values = cls.resolve(values, lists.rates)
    except SettingError as exc:
        raise doc.fail(f"{path}.{exc.key}", str(exc)) from None
    return build(doc, cls, values, path)


def _parts(doc: Doc, table, key: str, path: str, f, *, lists: AreaLists, context) -> dict[str, Any]:
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


def _composite_metric(name: str, kind: str, settings: KindSettings, lists: AreaLists, category: str,
                      max_points: float) -> Metric:
    """A metric made of others (its kind's `leaves`, e.g. the Azure and Microsoft 365 parts of a
    sum), each computed by its own kind. Its options are the leaves; its tracks take each leaf's
    full-marks value."""
    tracks = {}
    for track in lists.tracks:
        options = tuple(Option(name=leaf.name, associations=leaf.tracks[track].options[0].associations,
                               full_marks_at=leaf.tracks[track].options[0].full_marks_at)
                        for leaf in settings.leaves)
        tracks[track] = TrackRule(track=track, options=options)
    return Metric(name=name, kind=kind, category=category, max_points=max_points, tracks=tracks, settings=settings)


def _track(doc: Doc, path: str, track: str, table: Any, kind: str, lists: AreaLists,
           max_points: float) -> TrackRule:
    """A track table: its seat band (by name), its kind's own settings, its options."""
    if not isinstance(table, dict):
        raise doc.fail(path, "expected a table")
    spec = KINDS[kind]
    doc.only(table, path, spec.track_keys)
    own = spec.read_track(doc, table, path, max_points) if spec.read_track else {}
    if "seat_band" in spec.track_keys:
        own["seat_band"] = lists.seat_band(doc, table, path)
    options = own.pop("options", None) or _options(doc, path, table, spec.track_keys, lists)
    return TrackRule(track=track, options=options, **own)


def _options(doc: Doc, path: str, table: Mapping[str, Any], allowed: frozenset[str],
             lists: AreaLists) -> tuple[Option, ...]:
    """A track's association options: named ones, or one from its associations and full marks."""
    if "options" not in table:
        with_associations = "associations" in allowed
        spec = {k: table[k] for k in ("associations", "full_marks_at") if k in table}
        if not with_associations:
            spec["associations"] = []
        return (_option(doc, path, None, spec, lists, allow_empty=not with_associations),)
    if "associations" in table or "full_marks_at" in table:
        raise doc.fail(path, "give either options or associations + full_marks_at, not both")
    options = tuple(_option(doc, f"{path}.options.{name}", name, spec, lists)
                    for name, spec in doc.get(table, "options", path, dict).items())
    if not options:
        raise doc.fail(f"{path}.options", "needs at least one option")
    return options


def _option(doc: Doc, path: str, name: str | None, spec: Any, lists: AreaLists, allow_empty: bool = False) -> Option:
    option = read(doc, Option, spec, path, fixed={"name": name, **({"associations": ()} if allow_empty else {})})
    lists.check_associations(doc, f"{path}.associations", option.associations)
    return option


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
