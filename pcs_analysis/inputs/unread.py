"""Inputs that no rule reads: workloads and certifications in the data that no area of the
rulebook counts. They are reported with names and counts (and the closest name a rule does read),
so that a typo such as "Exchnage Online" never quietly costs points. Workloads read as Azure
services for their revenue, though the catalog does not name them, are reported too (kind
"inferred"), so that nothing is guessed in silence either.
"""

from __future__ import annotations

import datetime as dt
import difflib
import warnings

import polars as pl

from pcs_analysis.inputs.csvfiles import shorten
from pcs_analysis.inputs.prepare import usage_names
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.periods import month_start, parse_date, scored_month

UNREAD_COLUMNS = ["kind", "name", "rows", "partners", "example_partners", "closest_known"]
_EXAMPLES = 3


def read_workloads(rules: Rulebook) -> tuple[list[str], list[str]]:
    """The workload keys some area's metric lists and the product families some area reads."""
    reads = [area.workload_reads() for area in rules.areas.values()]
    return sorted(set().union(*(k for k, _ in reads))), sorted(set().union(*(p for _, p in reads)))


def is_read_expr(rules: Rulebook, key: pl.Expr, product: pl.Expr) -> pl.Expr:
    """Whether a usage row (its workload key and product family) is read by some area."""
    keys, products = read_workloads(rules)
    return key.is_in(keys) | product.is_in(products).fill_null(False)


def known_certifications(rules: Rulebook) -> dict[str, str]:
    """Certification key -> rulebook name, over every list of every area."""
    known: dict[str, str] = {}
    for area in rules.areas.values():
        for metric in area.metrics:
            for leaf in metric.leaves():
                for cert in leaf.all_certifications:
                    known.setdefault(cert.key, cert.name)
    return known


def unknown_certification_rows(certifications: pl.LazyFrame, rules: Rulebook) -> pl.LazyFrame:
    """The certification rows whose title no list of any area knows (after aliases and prefixes)."""
    key = rules.certification_key_expr(pl.col("certification"))
    return certifications.filter(~key.is_in(list(known_certifications(rules))))


def unread_inputs(data: PartnerData, *positional: Rulebook, rules: Rulebook | None = None) -> pl.DataFrame:
    """Workloads and certifications of `data` that no area of `rules` reads.

    One row per name (`kind` is "workload" or "certification", or "inferred" for a workload read
    as an Azure service for its revenue though the catalog does not name it): the rows and
    partners it has, a few partner ids, and the closest name a rule reads (a likely typo).

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    rules : Rulebook, optional
        The rulebook whose areas are asked (default: the current one, `load_rules()`). Given as
        the second positional argument, as before this release, it is read with a deprecation
        warning.

    Returns
    -------
    polars.DataFrame
        One row per unread name (`UNREAD_COLUMNS`): rows, partners, examples and the closest name a
        rule reads.

    Examples
    --------
    >>> from pcs_analysis import load_rules, read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> unread_inputs(read_data(SAMPLE_DIR), rules=load_rules()).columns
    ['kind', 'name', 'rows', 'partners', 'example_partners', 'closest_known']
    """
    if positional:
        if len(positional) > 1 or rules is not None:
            raise TypeError("unread_inputs(data, *, rules=None) takes the rulebook once, by keyword")
        warnings.warn("unread_inputs(data, rules): give the rulebook by keyword, unread_inputs(data, rules=...); "
                      "the positional form stops working in the next release", DeprecationWarning, stacklevel=2)
        rules = positional[0]
    rules = rules or load_rules()
    key, product, inferred = usage_names(data.usage, rules)
    kind = (pl.when(~is_read_expr(rules, key, product)).then(pl.lit("workload"))
            .when(inferred).then(pl.lit("inferred")))
    workloads = data.usage.select(kind.alias("kind"), pl.col("workload").cast(pl.String).alias("name"),
                                  pl.col("partner_id").cast(pl.String)).drop_nulls("kind")
    certs = unknown_certification_rows(data.certifications, rules).select(
        pl.lit("certification").alias("kind"), pl.col("certification").alias("name"), "partner_id")
    rows = pl.concat([workloads, certs]).group_by("kind", "name").agg(
        pl.len().cast(pl.Int64).alias("rows"), pl.col("partner_id").n_unique().cast(pl.Int64).alias("partners"),
        pl.col("partner_id").unique().sort().head(_EXAMPLES).str.join(", ").alias("example_partners"),
    ).collect()
    return _finished(rows, rules)


def merge_unread(parts: list[pl.DataFrame], rules: Rulebook) -> pl.DataFrame:
    """The unread inputs of a portfolio from those of its parts, each part holding other partners
    (rows and partners add up; the examples are the first partner ids of all parts)."""
    if not parts:
        return _finished(pl.DataFrame(schema={"kind": pl.String, "name": pl.String, "rows": pl.Int64,
                                              "partners": pl.Int64, "example_partners": pl.String}), rules)
    table = pl.concat([p.drop("closest_known") for p in parts])
    examples = (table.select("kind", "name", pl.col("example_partners").str.split(", ")).explode("example_partners")
                .group_by("kind", "name").agg(pl.col("example_partners").sort().head(_EXAMPLES).str.join(", ")))
    rows = table.group_by("kind", "name").agg(pl.col("rows").sum(), pl.col("partners").sum()).join(
        examples, on=["kind", "name"], how="left")
    return _finished(rows, rules)


def _finished(rows: pl.DataFrame, rules: Rulebook) -> pl.DataFrame:
    """Unread names in order (workloads first, then by name), with the closest name a rule reads."""
    rows = rows.sort("kind", "name", descending=[True, False])
    names = {"workload": _read_workload_names(rules),
             "certification": sorted(set(known_certifications(rules).values())),
             "inferred": sorted(rules.azure_services)}
    closest = [_closest(name, names[kind]) for kind, name in rows.select("kind", "name").iter_rows()]
    return rows.with_columns(pl.Series("closest_known", closest, dtype=pl.String)).select(UNREAD_COLUMNS)


def _read_workload_names(rules: Rulebook) -> list[str]:
    keys, _ = read_workloads(rules)
    display = {k: v for area in rules.areas.values() for k, v in area.workload_names.items()}
    return sorted({display.get(k, k) for k in keys})


#: A suggestion is a near-typo: at most this many characters typed wrong (left out, added,
#: swapped or replaced), one more per 25 characters of the name, up to `_MAX_TYPOS`.
_TYPOS_PER = 25
#: Longest name quoted whole (a credential title runs to 80 characters).
_NAME_CHARS = 120
_MAX_TYPOS = 3


def _closest(name: str, candidates: list[str]) -> str | None:
    """The known name `name` is a near-typo of, if any: a few characters apart (not another word,
    as "Sales" for "Finance" in an otherwise equal title, which is another credential).

    Examples
    --------
    >>> _closest("Exchnage Online", ["Exchange Online", "Teams"])
    'Exchange Online'
    >>> _closest("Dynamics 365 Sales Functional Consultant Associate",
    ...          ["Dynamics 365 Finance Functional Consultant Associate"]) is None
    True
    """
    by_lower = {c.lower(): c for c in candidates}
    allowed = min(_MAX_TYPOS, 1 + len(name) // _TYPOS_PER)
    near = [c for c in difflib.get_close_matches(name.lower(), list(by_lower), n=5, cutoff=0.8)
            if _typos(name.lower(), c) <= allowed]
    return by_lower[near[0]] if near else None


def _typos(a: str, b: str) -> int:
    """Characters to change to turn `a` into `b`: left out, added, replaced, or two neighbours
    swapped (each one typo)."""
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, row = row, current
    return row[-1]


def not_read(unread: pl.DataFrame) -> pl.DataFrame:
    """The rows of `unread_inputs` no rule reads (leaving out the workloads read as Azure)."""
    return unread.filter(pl.col("kind") != "inferred")


def describe_unread(unread: pl.DataFrame) -> str:
    """Terminal lines for the unread inputs, and for the workloads read as Azure for their
    revenue (empty when every input is read by a rule that names it)."""
    lines = _describe_inferred(unread.filter(pl.col("kind") == "inferred"))
    unread = not_read(unread)
    if unread.is_empty():
        return "\n".join(lines)
    lines.append("not read by any rule (a typo or a name the rulebook does not know costs points):")
    lines += [_line(r, f"{r['kind']} ") for r in unread.iter_rows(named=True)]
    return "\n".join(lines)


def _describe_inferred(inferred: pl.DataFrame) -> list[str]:
    if inferred.is_empty():
        return []
    return ["read as Azure services though the catalog does not name them (rows without a product, "
            "with revenue and no seats, under no Microsoft 365 or Dynamics name):",
            *(_line(r, "") for r in inferred.iter_rows(named=True))]


def _line(r: dict, kind: str) -> str:
    """One name of `unread_inputs` on the terminal: rows, partners, examples and a hint."""
    hint = (f"; did you mean '{r['closest_known']}'?" if r["closest_known"]
            else "; no area of the rulebook counts it" if r["kind"] == "certification" else "")
    return (f"  {kind}'{shorten(r['name'], _NAME_CHARS)}': {r['rows']} rows, {r['partners']} partner(s) "
            f"({r['example_partners']}{', ...' if r['partners'] > _EXAMPLES else ''}){hint}")


def month_warnings(data: PartnerData, rules: Rulebook, as_of: dt.date | str, *, lag: bool = True) -> list[str]:
    """Warnings when the data month shown on `as_of`, or the month a year earlier it is compared
    with, is outside the months the usage table holds: the usage metrics then score for want of
    data, not of customers."""
    return warnings_for_months(usage_months(data), rules, as_of, lag=lag)


def usage_months(data: PartnerData) -> tuple[dt.date | None, dt.date | None]:
    """The first and last month of the usage table (None, None when it has no rows)."""
    months = data.usage.select(pl.col("month").min().alias("first"), pl.col("month").max().alias("last")).collect()
    return months.row(0)


def warnings_for_months(months: tuple[dt.date | None, dt.date | None], rules: Rulebook, as_of: dt.date | str, *,
                        lag: bool = True) -> list[str]:
    """`month_warnings` from the first and last month of the usage table."""
    day = parse_date(as_of)
    first, last = months
    if first is None:
        return ["the usage table has no rows: every usage metric scores 0"]
    shown = month_start(scored_month(day, rules.refresh, lag=lag))
    held = f"the usage data run from {first:%Y-%m} to {last:%Y-%m}"
    if shown < first or shown > last:
        return [f"on {day} Partner Center shows the data month {shown:%Y-%m}, which has no usage rows ({held}): "
                "every usage metric scores 0"]
    baseline = shown.replace(year=shown.year - 1)
    if baseline < first:
        return [f"the data month {shown:%Y-%m} is compared with {baseline:%Y-%m}, which has no usage rows "
                f"({held}): net adds and growth count every customer as new"]
    return []
