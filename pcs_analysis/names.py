"""Name matching: workloads and certifications are compared on a normalised key.

The key is case-insensitive and ignores runs of spaces; certification keys also ignore the
prefixes a rulebook lists (for example "Microsoft Certified:"). Aliases map old names to the
rulebook's names. The same normalisation is offered as a Python function (for rulebooks) and as
a polars expression (for data), and the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import polars as pl

_SPACES = re.compile(r"\s+")


def _prefix_pattern(prefixes: Iterable[str]) -> str | None:
    keys = [_SPACES.sub(" ", p.strip().lower()).rstrip(":").strip() for p in prefixes]
    if not keys:
        return None
    alternatives = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keys, key=len, reverse=True))
    return rf"^(?:{alternatives})\s*:\s*"


def name_key(name: str, *, prefixes: Iterable[str] = ()) -> str:
    """Return the matching key of a name.

    Examples
    --------
    >>> name_key("  Microsoft 365 Certified:  Teams   Administrator Associate",
    ...          prefixes=["Microsoft 365 Certified:"])
    'teams administrator associate'
    """
    key = _SPACES.sub(" ", name.strip().lower())
    pattern = _prefix_pattern(prefixes)
    if pattern is not None:
        key = re.sub(pattern, "", key)
    return key.strip()


def name_key_expr(expr: pl.Expr, *, prefixes: Iterable[str] = ()) -> pl.Expr:
    """The polars expression computing `name_key` for every value of `expr`."""
    key = expr.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
    pattern = _prefix_pattern(prefixes)
    if pattern is not None:
        key = key.str.replace(pattern, "")
    return key.str.strip_chars()


def alias_keys(aliases: Mapping[str, str], *, prefixes: Iterable[str] = ()) -> dict[str, str]:
    """Aliases as a mapping from the key of the old name to the key of the rulebook name."""
    prefixes = tuple(prefixes)
    return {name_key(old, prefixes=prefixes): name_key(new, prefixes=prefixes) for old, new in aliases.items()}


def canonical_key_expr(
    expr: pl.Expr, *, aliases: Mapping[str, str], prefixes: Iterable[str] = ()
) -> pl.Expr:
    """Normalise `expr` to a key and resolve aliases (`aliases` maps key to key)."""
    key = name_key_expr(expr, prefixes=prefixes)
    if not aliases:
        return key
    return key.replace(dict(aliases))
