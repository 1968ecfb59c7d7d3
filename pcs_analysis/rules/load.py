"""Load and validate rulebooks from `pcs_analysis/rules/<version>/*.toml`: the program file, the
readings, and each area file (`rules.areas`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path

from pcs_analysis.config import AREAS, DEFAULT_RULES_VERSION, RULES_DIR
from pcs_analysis.errors import RulebookError
from pcs_analysis.names import alias_keys, name_key
from pcs_analysis.rules.areas import read_area_file
from pcs_analysis.rules.model import AreaRules, Reading, Rulebook
from pcs_analysis.rules.schema import Doc, read, tables


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
    values = tables(doc, Rulebook, doc.data, extra_keys=frozenset({"aliases"}))
    if values["version"] != version:
        raise doc.fail("version", f"says {values['version']!r} but the folder is '{version}'")
    associations, services = values["association_types"], values["azure_services"]
    aliases = doc.get(doc.data, "aliases", "", dict, {})
    doc.only(aliases, "aliases", {"workloads", "certifications", "associations"})
    workload_aliases = alias_keys(doc.get(aliases, "workloads", "aliases", dict, {}))
    association_aliases = {name_key(k): v for k, v in doc.get(aliases, "associations", "aliases", dict, {}).items()}
    association_aliases.update({name_key(a): a for a in associations})
    bad = sorted(v for v in association_aliases.values() if v not in associations)
    if bad:
        raise doc.fail("aliases.associations", f"maps to {bad[0]!r}, which is not in associations.types")
    workload_aliases = {**azure_name_aliases(services), **workload_aliases}
    catalog = {workload_aliases.get(k, k): "azure" for k in (name_key(w) for w in services)}
    rulebook = Rulebook(**values, workload_aliases=workload_aliases, association_aliases=association_aliases,
                        certification_aliases=alias_keys(doc.get(aliases, "certifications", "aliases", dict, {}),
                                                         prefixes=values["certification_prefixes"]))
    areas = {}
    for area in AREAS:
        path = folder / f"{area}.toml"
        if path.is_file():
            areas[area] = read_area_file(Doc(path), rulebook)
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
