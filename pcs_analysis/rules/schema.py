"""The rulebook's dataclasses are its schema: one reader turns a TOML table into one of them.

A field read from a rulebook file carries its key (`setting`); its type says how the value is
read (a boolean, a whole number, a number, a string, a date, one of a `Literal`'s choices, a list
of strings or of whole numbers, any of them or nothing with `X | None`), unless `read` names a
reader of the caller's (a workload list given by its name, for example). Fields without a key are
not read: the caller fills them (`fixed`). What one field implies for another, and what no type
can say (a maximum below its minimum), the dataclass checks itself, raising `SettingError`; the
reader turns every problem into a `RulebookError` naming the file, the TOML path and what was
expected.

>>> import dataclasses
>>> @dataclasses.dataclass(frozen=True)
... class Band:
...     low: int = setting(minimum=0)
...     high: int | None = setting(None)
>>> doc = Doc(Path("band.toml"), {"band": {"low": -1}})
>>> read(doc, Band, doc.data["band"], "band")
Traceback (most recent call last):
...
pcs_analysis.errors.RulebookError: band.toml: key 'band.low': must be 0 or more
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pcs_analysis.errors import RulebookError

MISSING = dataclasses.MISSING
#: A variant's value that removes the key (`rules.areas.read_area`).
REMOVE = object()


def setting(default: Any = MISSING, *, key: str | None = None, table: str = "", read: str | None = None,
            minimum: int | None = None, share: bool = False, positive: bool = False, as_float: bool = False,
            factory: Any = MISSING) -> Any:
    """A field read from the rulebook under `key` (default: the field's name), in the file's
    `table` when the dataclass is a whole file (see `tables`).

    `read` names the caller's reader of a value its type cannot say how to read (see `read`).
    `minimum` bounds a whole number (or each of a list of them); `positive` makes a number
    greater than 0 and `share` a share in (0, 1]; `as_float` keeps a number as a float. Without
    a default the key is required.
    """
    metadata = {"key": key, "table": table, "read": read, "minimum": minimum, "share": share,
                "positive": positive, "as_float": as_float}
    if factory is not MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    if default is MISSING:
        return dataclasses.field(metadata=metadata)
    if isinstance(default, (dict, list, set)):
        raise TypeError("use an immutable default")
    return dataclasses.field(default=default, metadata=metadata)


def rulebook_keys(cls: type) -> frozenset[str]:
    """The rulebook keys a dataclass reads."""
    return frozenset(f.metadata["key"] or f.name for f in dataclasses.fields(cls) if "key" in f.metadata)


class SettingError(ValueError):
    """A value that breaks a rule of its dataclass: the key to name and what is wrong."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


class Doc:
    """A parsed TOML file with typed accessors that fail naming the file and the key.
    `edition`: words added to every error (a dated change's edition of the file)."""

    def __init__(self, path: Path, data: dict[str, Any] | None = None, edition: str = ""):
        self.path = path
        self.edition = edition
        if data is not None:
            self.data = data
            return
        try:
            with path.open("rb") as handle:
                self.data = tomllib.load(handle)
        except FileNotFoundError:
            raise RulebookError(f"{path}: rulebook file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise RulebookError(f"{path}: not valid TOML ({exc})") from None

    def fail(self, key: str, message: str) -> RulebookError:
        return RulebookError(f"{self.path}: key '{key}'{self.edition}: {message}")

    def get(self, table: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
            default: Any = MISSING) -> Any:
        full = f"{path}.{key}" if path else key
        if key not in table:
            if default is MISSING:
                raise self.fail(full, "is required")
            return default
        value = table[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(full, f"expected {type_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(full, f"expected {type_name(kind)}, got {type(value).__name__} {value!r}")
        return value

    def number(self, table: Mapping[str, Any], key: str, path: str, *, positive: bool = False,
               default: Any = MISSING) -> Any:
        value = self.get(table, key, path, (int, float), default)
        if value is not default and positive and not value > 0:
            raise self.fail(f"{path}.{key}", f"must be greater than 0, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        values = self.get(table, key, path, list)
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise self.fail(f"{path}.{key}", "expected a non-empty list of non-empty strings")
        return tuple(values)

    def choice(self, table: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...],
               default: Any = MISSING) -> str:
        value = self.get(table, key, path, str, default)
        if value not in choices:
            raise self.fail(f"{path}.{key}", f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
        return value

    def only(self, table: Mapping[str, Any], path: str, allowed: set[str] | frozenset[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"{path}." if path else ""
            raise self.fail(f"{where}{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def table(self, table: Mapping[str, Any], key: str, path: str) -> Any:
        """`table[key]` when it is a table (path: where it is)."""
        if not isinstance(table.get(key), dict):
            raise self.fail(f"{path}.{key}" if path else key, "expected a table")
        return table[key]


def type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a table", bool: "true or false", dt.date: "a date"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


#: A caller's reader of one field: (doc, table, key, path, field) -> the values it sets.
Reader = Callable[[Doc, Mapping[str, Any], str, str, dataclasses.Field], dict[str, Any]]


def fields(doc: Doc, cls: type, table: Mapping[str, Any], path: str, *,
           readers: Mapping[str, Reader] | None = None, skip: frozenset[str] = frozenset(),
           of_table: str | None = None) -> dict[str, Any]:
    """The values of `cls`'s keyed fields found in `table` (a required one must be there); with
    `of_table`, only the fields of that table of a file (see `tables`)."""
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in _keyed(cls):
        if f.name in skip or (of_table is not None and f.metadata["table"] != of_table):
            continue
        key = f.metadata["key"] or f.name
        if key in table or _required(f):
            reader = (readers or {})[f.metadata["read"]] if f.metadata["read"] else _scalar(hints[f.name])
            values.update(reader(doc, table, key, path, f))
    return values


def tables(doc: Doc, cls: type, data: Mapping[str, Any], *, extra_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The values of a dataclass that is a whole file: fields of its top level, and of its tables
    (`setting(table=...)`), each table holding only its fields' keys; a table is required when
    one of its fields is. `extra_keys`: the caller's top-level keys."""
    by_table: dict[str, list[dataclasses.Field]] = {}
    for f in _keyed(cls):
        by_table.setdefault(f.metadata["table"], []).append(f)
    top = {f.metadata["key"] or f.name for f in by_table.get("", [])}
    doc.only(data, "", top | {t for t in by_table if t} | extra_keys)
    values: dict[str, Any] = {}
    for name, group in by_table.items():
        table = data if not name else doc.get(data, name, "", dict, MISSING if any(map(_required, group)) else {})
        if name:
            doc.only(table, name, {f.metadata["key"] or f.name for f in group})
        values.update(fields(doc, cls, table, name, of_table=name))
    return values


def _keyed(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "key" in f.metadata]


def _required(f: dataclasses.Field) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def read(doc: Doc, cls: type, table: Any, path: str, *, readers: Mapping[str, Reader] | None = None,
         fixed: Mapping[str, Any] | None = None, extra_keys: frozenset[str] = frozenset()) -> Any:
    """A `cls` read from a TOML table: only its keys (and `extra_keys`, the caller's), each read
    by its type or its reader, with `fixed` values for the fields the caller fills."""
    if not isinstance(table, dict):
        raise doc.fail(path, "expected a table")
    doc.only(table, path, rulebook_keys(cls) | extra_keys)
    values = {**fields(doc, cls, table, path, readers=readers, skip=frozenset(fixed or ())), **(fixed or {})}
    return build(doc, cls, values, path)


def build(doc: Doc, cls: type, values: Mapping[str, Any], path: str) -> Any:
    """`cls(**values)`, its own checks failing as the file's key at `path`."""
    try:
        return cls(**values)
    except SettingError as exc:
        raise doc.fail(f"{path}.{exc.key}" if path else exc.key, str(exc)) from None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _scalar(hint: Any) -> Reader:
    """The reader of a value its type says how to read."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return lambda doc, table, key, path, f: {f.name: doc.choice(table, key, path, typing.get_args(hint))}
    # `X | None`: an X (or nothing, the default).
    kind = next(a for a in typing.get_args(hint) if a is not type(None)) if origin in (typing.Union, types.UnionType) \
        else hint
    if dataclasses.is_dataclass(kind):
        return lambda doc, table, key, path, f: {
            f.name: read(doc, kind, doc.get(table, key, path, dict), f"{path}.{key}" if path else key)}
    if typing.get_origin(kind) is tuple:
        return _whole_numbers if typing.get_args(kind)[0] is int else _strings
    return {bool: _plain(bool), str: _plain(str), dt.date: _plain(dt.date), int: _whole}.get(kind, _number)


def _plain(kind: type) -> Reader:
    return lambda doc, table, key, path, f: {f.name: doc.get(table, key, path, kind, f.default)}


def _whole(doc: Doc, table: Mapping[str, Any], key: str, path: str, f: dataclasses.Field) -> dict[str, Any]:
    value = doc.get(table, key, path, int, f.default)
    if value is not None and f.metadata["minimum"] is not None and value < f.metadata["minimum"]:
        raise doc.fail(f"{path}.{key}", f"must be {f.metadata['minimum']} or more")
    return {f.name: value}


def _number(doc: Doc, table: Mapping[str, Any], key: str, path: str, f: dataclasses.Field) -> dict[str, Any]:
    value = doc.number(table, key, path, positive=f.metadata["positive"] or f.metadata["share"], default=f.default)
    if value is None:
        return {f.name: value}
    if f.metadata["share"] and value > 1:
        raise doc.fail(f"{path}.{key}", "is a share between 0 and 1")
    return {f.name: float(value) if f.metadata["as_float"] else value}


def _strings(doc: Doc, table: Mapping[str, Any], key: str, path: str, f: dataclasses.Field) -> dict[str, Any]:
    return {f.name: doc.strings(table, key, path)}


def _whole_numbers(doc: Doc, table: Mapping[str, Any], key: str, path: str, f: dataclasses.Field) -> dict[str, Any]:
    values, least = doc.get(table, key, path, list), f.metadata["minimum"]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and (least is None or v >= least)
                             for v in values):
        bound = f" ({least} or more)" if least is not None else ""
        raise doc.fail(f"{path}.{key}", f"expected a non-empty list of whole numbers{bound}")
    return {f.name: tuple(values)}
