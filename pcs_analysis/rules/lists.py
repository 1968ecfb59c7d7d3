"""What an area file defines once and its metrics name: its tracks, seat bands, workload lists,
certification lists and rate card, and the readers of a metric setting that names one of them
(`read=` of `rules.schema.setting`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pcs_analysis.rules.model import Certification, Rate, Rulebook, SeatBand
from pcs_analysis.rules.schema import Doc, Reader, read


@dataclass(frozen=True)
class AreaLists:
    """An area file's named lists (see the module's description)."""

    tracks: tuple[str, ...]
    bands: Mapping[str, SeatBand]
    workload_sets: Mapping[str, tuple[str, ...]]
    cert_lists: Mapping[str, tuple[Certification, ...]]
    rates: Mapping[str, Rate]
    rulebook: Rulebook
    #: Workload key -> its name as the lists first write it (the rate card's included).
    display: Mapping[str, str]

    @classmethod
    def read(cls, doc: Doc, data: Mapping[str, Any], rulebook: Rulebook) -> AreaLists:
        workload_sets: dict[str, tuple[str, ...]] = {}
        display: dict[str, str] = {}
        for name in doc.get(data, "workloads", "", dict, {}):
            workload_sets[name] = doc.strings(data["workloads"], name, "workloads")
            for workload in workload_sets[name]:
                display.setdefault(rulebook.workload_key(workload), workload)
        return cls(
            tracks=doc.strings(data, "tracks", ""),
            bands={name: read(doc, SeatBand, table, f"seat_bands.{name}", fixed={"name": name})
                   for name, table in doc.get(data, "seat_bands", "", dict, {}).items()},
            workload_sets=workload_sets,
            cert_lists={level: _certifications(doc, data["certifications"], level, rulebook)
                        for level in doc.get(data, "certifications", "", dict, {})},
            rates=_rate_card(doc, doc.get(data, "rate_card", "", dict, {}), rulebook, display),
            rulebook=rulebook, display=display)

    def workload_keys(self, names: tuple[str, ...]) -> frozenset[str]:
        return frozenset(self.rulebook.workload_key(w) for w in names)

    def seat_band(self, doc: Doc, table: Mapping[str, Any], path: str) -> SeatBand:
        name = doc.get(table, "seat_band", path, str)
        if name not in self.bands:
            raise doc.fail(f"{path}.seat_band", f"no seat band {name!r} under [seat_bands]")
        return self.bands[name]

    def check_associations(self, doc: Doc, path: str, associations: tuple[str, ...]) -> None:
        unknown = [a for a in associations if a not in self.rulebook.association_types]
        if unknown:
            raise doc.fail(path, f"unknown association type {unknown[0]!r} "
                           f"(program.toml lists: {', '.join(self.rulebook.association_types)})")

    def readers(self) -> dict[str, Reader]:
        """The readers of a setting that names a list (by the `read` of its field)."""
        return {"workload_list": self._workload_list, "workload_names": self._workload_names,
                "products": self._products, "workload_associations": self._workload_associations,
                "certification_list": self._certification_list, "certification_lists": self._certification_lists}

    def _workload_list(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                       f: dataclasses.Field) -> dict[str, Any]:
        name = doc.get(table, key, path, str)
        if name not in self.workload_sets:
            raise doc.fail(f"{path}.{key}", f"no workload list named {name!r} under [workloads]")
        return {"workload_set": name, "workloads": self.workload_keys(self.workload_sets[name])}

    def _workload_names(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                        f: dataclasses.Field) -> dict[str, Any]:
        return {f.name: self.workload_keys(tuple(doc.get(table, key, path, list, [])))}

    def _products(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                  f: dataclasses.Field) -> dict[str, Any]:
        products = doc.strings(table, key, path)
        unknown = [p for p in products if p not in self.rulebook.products]
        if unknown:
            raise doc.fail(f"{path}.{key}",
                           f"unknown product {unknown[0]!r} (known: {', '.join(self.rulebook.products)})")
        return {f.name: products}

    def _workload_associations(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                               f: dataclasses.Field) -> dict[str, Any]:
        by_workload: dict[str, tuple[str, ...]] = {}
        where = f"{path}.{key}"
        for name in doc.get(table, key, path, dict):
            if name not in self.workload_sets:
                raise doc.fail(f"{where}.{name}", f"no workload list named {name!r} under [workloads]")
            associations = doc.strings(table[key], name, where)
            self.check_associations(doc, f"{where}.{name}", associations)
            for workload in self.workload_keys(self.workload_sets[name]):
                by_workload[workload] = associations
        return {f.name: by_workload}

    def _certification_list(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                            f: dataclasses.Field) -> dict[str, Any]:
        level = self._level(doc, doc.get(table, key, path, str), f"{path}.{key}")
        return {"certification_level": level, "certifications": self.cert_lists[level]}

    def _certification_lists(self, doc: Doc, table: Mapping[str, Any], key: str, path: str,
                             f: dataclasses.Field) -> dict[str, Any]:
        levels = tuple(self._level(doc, level, f"{path}.{key}") for level in doc.strings(table, key, path))
        return {"step_levels": levels, "steps": tuple(self.cert_lists[level] for level in levels)}

    def _level(self, doc: Doc, level: str, where: str) -> str:
        if level not in self.cert_lists:
            raise doc.fail(where, f"no certification list {level!r} under [certifications]")
        return level


def _rate_card(doc: Doc, table: Mapping[str, Any], rulebook: Rulebook, display: dict[str, str]) -> dict[str, Rate]:
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
        for workload in (unit, *doc.get(spec, "includes", path, list, [])):
            if not isinstance(workload, str) or not workload.strip():
                raise doc.fail(f"{path}.includes", "expected a list of workload names")
            key = rulebook.workload_key(workload)
            if key in rates:
                raise doc.fail(path, f"workload {workload!r} is on two rate-card lines")
            rates[key] = rate
            display.setdefault(key, workload)
    return rates


def _certifications(doc: Doc, table: Mapping[str, Any], level: str, rulebook: Rulebook) -> tuple[Certification, ...]:
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
