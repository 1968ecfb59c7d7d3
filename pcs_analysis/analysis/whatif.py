"""What-if scenarios: actions as plain data, applied to a partner's data and rescored.

An action is a frozen dataclass naming the partner it changes. A `Scenario` is a named list of
actions; `what_if` applies each scenario to a copy of the data (the real data are never changed),
scores it with the same engine, and returns the before/after of every metric.

Scenario files (TOML) for `pcs whatif`::

    [[scenario]]
    name = "two more admins and a new customer"
    [[scenario.action]]
    type = "add_certified_people"
    partner_id = "P005"
    certification = "Microsoft 365 Certified: Enterprise Administrator Expert"
    count = 2
    [[scenario.action]]
    type = "add_customer"
    partner_id = "P005"
    tenant_id = "NEW-1"
    workload = "Exchange Online"
    association = "CPOR"
    paid_units = 150
    active_units = 80
    start_month = 2026-05-01
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pcs_analysis.engine.scoring import score
from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.names import name_key_expr
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.periods import month_index, month_start, months_spanned, parse_date, scored_month


@dataclass(frozen=True)
class AddCertifiedPeople:
    """`count` new people holding `certification`, earned on `earned_on` (default: just in time
    to count on the scoring day, past the skilling lag)."""

    partner_id: str
    certification: str
    count: int = 1
    earned_on: dt.date | None = None
    expires_on: dt.date | None = None


@dataclass(frozen=True)
class AddCustomer:
    """A new customer tenant with one workload, from `start_month` through the scored month."""

    partner_id: str
    tenant_id: str
    workload: str
    association: str
    start_month: dt.date
    paid_units: int | None = None
    active_units: int | None = None
    revenue_usd: float | None = None
    product: str | None = None
    associated_on: dt.date | None = None
    customer_segment: str | None = None


@dataclass(frozen=True)
class Associate:
    """Associate an existing tenant through `association` (from `associated_on`; rows of its
    other association types are kept unless `replace` is set: a change of association).

    `workloads`, `from_associations` and `month` narrow the rows moved to those workloads, those
    association types and that month (empty: all)."""

    partner_id: str
    tenant_id: str
    association: str
    associated_on: dt.date | None = None
    replace: bool = False
    workloads: tuple[str, ...] = ()
    from_associations: tuple[str, ...] = ()
    month: dt.date | None = None


@dataclass(frozen=True)
class GrowActiveUsers:
    """Active users up (or down, with a negative `percent`) by `percent` in the scored month,
    never above the paid units, for one tenant (and workload) or all of the partner's."""

    partner_id: str
    percent: float
    tenant_id: str | None = None
    workload: str | None = None


@dataclass(frozen=True)
class LoseCustomer:
    """A tenant lost from `from_month` on (default: the scored month)."""

    partner_id: str
    tenant_id: str
    from_month: dt.date | None = None


@dataclass(frozen=True)
class SetUsage:
    """Usage figures of one tenant set in one month (default: the scored month), on every row of
    the tenant or only those of one workload and association; figures left None are kept."""

    partner_id: str
    tenant_id: str
    workload: str | None = None
    association: str | None = None
    month: dt.date | None = None
    paid_units: int | None = None
    active_units: int | None = None
    revenue_usd: float | None = None


@dataclass(frozen=True)
class ExpireCertification:
    """A person's certification expires: its `expires_on` (the last day it counts, or the first
    day it does not, as the rulebook reads the column) set on the person's rows of it (only the
    one earned on `earned_on`, when given)."""

    partner_id: str
    person_id: str
    certification: str
    expires_on: dt.date
    earned_on: dt.date | None = None


Action = (AddCertifiedPeople | AddCustomer | Associate | GrowActiveUsers | LoseCustomer | SetUsage
          | ExpireCertification)
ACTION_TYPES = {"add_certified_people": AddCertifiedPeople, "add_customer": AddCustomer, "associate": Associate,
                "grow_active_users": GrowActiveUsers, "lose_customer": LoseCustomer, "set_usage": SetUsage,
                "expire_certification": ExpireCertification}


@dataclass(frozen=True)
class Scenario:
    name: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class WhatIf:
    """Before and after, per scenario.

    Attributes
    ----------
    metrics
        One row per scenario x partner x area x track x metric: value and points before and after.
    summary
        One row per scenario x partner x area: kept track, total and qualification before and after.
    """

    metrics: pl.DataFrame
    summary: pl.DataFrame


def apply(data: PartnerData, actions: Iterable[Action], *, as_of: dt.date | str, rules: Rulebook | None = None,
          lag: bool = True) -> PartnerData:
    """A copy of `data` with the actions applied in order (`as_of` fixes the scored month and
    the default certification date)."""
    rules = rules or load_rules()
    actions = list(actions)
    for action in actions:
        data.require_partners([action.partner_id], what=type(action).__name__)
    usage, certs = apply_to_tables(data.usage.collect(), data.certifications.collect(), actions, as_of=as_of,
                                   rules=rules, lag=lag)
    return dataclasses.replace(data, usage=usage.lazy(), certifications=certs.lazy())


def apply_to_tables(usage: pl.DataFrame, certs: pl.DataFrame, actions: Iterable[Action], *, as_of: dt.date | str,
                    rules: Rulebook, lag: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The usage and certification tables with the actions applied in order (the tables' own
    columns kept; rows added get nulls in columns the canonical tables do not have)."""
    day = parse_date(as_of)
    month = month_start(scored_month(day, rules.refresh, lag=lag))
    for action in actions:
        apply_one = _APPLY.get(type(action))
        if apply_one is None:
            raise TypeError(f"not an action: {action!r}")
        usage, certs = apply_one(action, usage, certs, day=day, month=month, rules=rules, lag=lag)
    return usage, certs


def _added(frame: pl.DataFrame, rows: dict) -> pl.DataFrame:
    """`frame` with rows given by column (its other columns null)."""
    extra = pl.DataFrame(rows, schema={c: frame.schema[c] for c in rows})
    return pl.concat([frame, extra], how="diagonal_relaxed").select(frame.columns)


def _add_people(action: AddCertifiedPeople, usage, certs, *, day, month, rules, lag):
    taken = added_people(certs).get((action.partner_id, action.certification), 0)
    return usage, _added(certs, _people_rows(action, day=day, rules=rules, lag=lag, first=taken + 1))


_ADDED_PERSON = "whatif-"


def added_people(certs: pl.DataFrame) -> dict[tuple[str, str], int]:
    """(partner, certification) -> the people earlier what-if actions added with it."""
    certification = pl.col("certification").cast(pl.String)
    counts = (certs.filter(pl.col("person_id").cast(pl.String).str.starts_with(
                  pl.lit(_ADDED_PERSON) + certification + pl.lit("-")))
              .group_by(pl.col("partner_id").cast(pl.String), certification).len())
    return {(p, c): n for p, c, n in counts.iter_rows()}


def _people_rows(action: AddCertifiedPeople, *, day: dt.date, rules: Rulebook, lag: bool,
                 first: int = 1) -> dict[str, list]:
    """The new people's rows, numbered from `first` (after the people earlier actions added, so
    a second action adds people rather than repeating the first one's)."""
    earned = action.earned_on or day - dt.timedelta(days=rules.refresh.skilling_lag_days if lag else 0)
    return {"partner_id": [action.partner_id] * action.count,
            "person_id": [f"{_ADDED_PERSON}{action.certification}-{first + i}" for i in range(action.count)],
            "certification": [action.certification] * action.count,
            "earned_on": [earned] * action.count, "expires_on": [action.expires_on] * action.count}


def _add_customer(action: AddCustomer, usage, certs, *, day, month, rules, lag):
    return _added(usage, _customer_rows(action, month=month, rules=rules)), certs


def _customer_rows(action: AddCustomer, *, month: dt.date, rules: Rulebook) -> dict[str, list]:
    if action.association not in rules.association_types:
        raise PcsError(f"AddCustomer: unknown association type {action.association!r}")
    months = _months(action.start_month, month)
    n = len(months)
    return {"partner_id": [action.partner_id] * n, "tenant_id": [action.tenant_id] * n, "month": months,
            "workload": [action.workload] * n, "association": [action.association] * n,
            "associated_on": [action.associated_on] * n, "paid_units": [action.paid_units] * n,
            "active_units": [action.active_units] * n, "revenue_usd": [action.revenue_usd] * n,
            "customer_segment": [action.customer_segment] * n, "product": [action.product] * n}


def added_rows(actions: Iterable[Action], *, as_of: dt.date | str, rules: Rulebook, lag: bool = True,
               people: Mapping[tuple[str, str], int] | None = None) -> tuple[dict[str, list], dict[str, list]] | None:
    """The usage and certification rows (by column) that actions made only of additions
    (`AddCustomer`, `AddCertifiedPeople`) append to the tables, in order; None when an action
    changes existing rows (then `apply_to_tables` applies them). Appending these rows after the
    partner's own is exactly what `apply_to_tables` does (`people`: the tables' `added_people`),
    so many changed copies can be built at once."""
    day = parse_date(as_of)
    month = month_start(scored_month(day, rules.refresh, lag=lag))
    usage: dict[str, list] = {}
    certs: dict[str, list] = {}
    taken = dict(people or {})
    for action in actions:
        if isinstance(action, AddCustomer):
            rows, into = _customer_rows(action, month=month, rules=rules), usage
        elif isinstance(action, AddCertifiedPeople):
            key = (action.partner_id, action.certification)
            rows, into = _people_rows(action, day=day, rules=rules, lag=lag, first=taken.get(key, 0) + 1), certs
            taken[key] = taken.get(key, 0) + action.count
        else:
            return None
        for column, values in rows.items():
            into.setdefault(column, []).extend(values)
    return usage, certs


def _workload_is(names: Iterable[str], rules: Rulebook, usage: pl.DataFrame) -> pl.Expr:
    """Rows of these workloads, matched as the engine matches them (case, spacing, aliases): the
    names of `usage` whose key is one of theirs (each distinct name keyed once)."""
    wanted = {rules.workload_key(n) for n in names}
    present = usage["workload"].drop_nulls().unique().to_list()
    return pl.col("workload").is_in(sorted(n for n in present if rules.workload_key(n) in wanted))


def _require_tenant(action: Action, usage: pl.DataFrame) -> None:
    """An action naming a tenant the partner does not have changes nothing: an error, not a no-op."""
    if action.tenant_id is None:
        return
    mine = (pl.col("partner_id") == action.partner_id) & (pl.col("tenant_id") == action.tenant_id)
    if not usage.filter(mine).height:
        raise PcsError(f"{type(action).__name__}: partner {action.partner_id!r} has no tenant {action.tenant_id!r}")


def _associate(action: Associate, usage, certs, *, day, month, rules, lag):
    _require_tenant(action, usage)
    mine = (pl.col("partner_id") == action.partner_id) & (pl.col("tenant_id") == action.tenant_id)
    if action.workloads:
        mine = mine & _workload_is(action.workloads, rules, usage)
    if action.from_associations:
        mine = mine & pl.col("association").is_in(list(action.from_associations))
    if action.month is not None:
        mine = mine & (pl.col("month") == action.month)
    moved = usage.filter(mine).with_columns(pl.lit(action.association).alias("association"),
                                            pl.lit(action.associated_on, pl.Date).alias("associated_on"))
    kept = usage.filter(~mine) if action.replace else usage.filter(
        ~(mine & (pl.col("association") == action.association)))
    return pl.concat([kept, moved.unique(["tenant_id", "month", "workload"], keep="first", maintain_order=True)]), \
        certs


def _grow_active_users(action: GrowActiveUsers, usage, certs, *, day, month, rules, lag):
    _require_tenant(action, usage)
    where = (pl.col("partner_id") == action.partner_id) & (pl.col("month") == month)
    if action.tenant_id is not None:
        where = where & (pl.col("tenant_id") == action.tenant_id)
    if action.workload is not None:
        where = where & (name_key_expr(pl.col("workload")) == name_key_expr(pl.lit(action.workload)))
    grown = (pl.col("active_units") * (1 + action.percent / 100)).round(0).cast(pl.Int64)
    capped = pl.when(pl.col("paid_units").is_not_null()).then(pl.min_horizontal(grown, pl.col("paid_units"))) \
        .otherwise(grown).clip(lower_bound=0)
    return usage.with_columns(pl.when(where).then(capped).otherwise(pl.col("active_units")).alias("active_units")), \
        certs


def _lose_customer(action: LoseCustomer, usage, certs, *, day, month, rules, lag):
    _require_tenant(action, usage)
    start = action.from_month or month
    return usage.filter(~((pl.col("partner_id") == action.partner_id) & (pl.col("tenant_id") == action.tenant_id)
                          & (pl.col("month") >= start))), certs


def _set_usage(action: SetUsage, usage, certs, *, day, month, rules, lag):
    _require_tenant(action, usage)
    where = ((pl.col("partner_id") == action.partner_id) & (pl.col("tenant_id") == action.tenant_id)
             & (pl.col("month") == (action.month or month)))
    if action.workload is not None:
        where = where & (pl.col("workload") == action.workload)
    if action.association is not None:
        where = where & (pl.col("association") == action.association)
    values = {k: v for k, v in (("paid_units", action.paid_units), ("active_units", action.active_units),
                                ("revenue_usd", action.revenue_usd)) if v is not None}
    return usage.with_columns(pl.when(where).then(pl.lit(v, usage.schema[k])).otherwise(pl.col(k)).alias(k)
                              for k, v in values.items()), certs


def _expire_certification(action: ExpireCertification, usage, certs, *, day, month, rules, lag):
    hit = ((pl.col("partner_id") == action.partner_id) & (pl.col("person_id") == action.person_id)
           & (rules.certification_key_expr(pl.col("certification")) == rules.certification_key(action.certification)))
    if action.earned_on is not None:
        hit = hit & (pl.col("earned_on") == action.earned_on)
    if not certs.filter(hit).height:
        raise PcsError(f"ExpireCertification: partner {action.partner_id!r} has no person {action.person_id!r} "
                       f"holding {action.certification!r}")
    return usage, certs.with_columns(pl.when(hit).then(pl.lit(action.expires_on)).otherwise(pl.col("expires_on"))
                                     .alias("expires_on"))


_APPLY = {AddCertifiedPeople: _add_people, AddCustomer: _add_customer, Associate: _associate,
          GrowActiveUsers: _grow_active_users, LoseCustomer: _lose_customer, SetUsage: _set_usage,
          ExpireCertification: _expire_certification}


def _months(start: dt.date, last: dt.date) -> list[dt.date]:
    if months_spanned(start, last) < 1:
        raise PcsError(f"AddCustomer: start_month {start} is after the scored month {last}")
    return [month_start(m) for m in range(month_index(start), month_index(last) + 1)]


def what_if(data: PartnerData, scenarios: Sequence[Scenario], *, as_of: dt.date | str,
            rules: Rulebook | None = None, areas: Iterable[str] | None = None, lag: bool = True) -> WhatIf:
    """Score each scenario against the data as they are: before and after per metric and area.

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    scenarios : list of Scenario
        Named lists of actions.
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    areas : list of str, optional
        The solution areas (default: every area of the rulebook).
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).

    Returns
    -------
    WhatIf
        Before and after per scenario, partner, area and metric.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> data = read_data(SAMPLE_DIR)
    >>> s = Scenario("one more expert", (AddCertifiedPeople(
    ...     "P005", "Microsoft 365 Certified: Enterprise Administrator Expert"),))
    >>> w = what_if(data, [s], as_of="2026-11-21", areas=["modern_work"])
    >>> w.summary.select("total_before", "total_after", "is_qualified_after").row(0)
    (67.34, 82.34, True)
    """
    rules = rules or load_rules()
    area_names = list(areas) if areas is not None else list(rules.areas)
    partners = sorted({a.partner_id for s in scenarios for a in s.actions})
    mine = data.only_partners(partners) if partners else data
    # One scoring pass for the partners as they are and every scenario's changed copy of them,
    # each copy under a virtual partner id (a scenario is a key, like a partner).
    copies = [_scenario_copy(apply(mine, s.actions, as_of=as_of, rules=rules, lag=lag),
                             sorted({a.partner_id for a in s.actions}), k) for k, s in enumerate(scenarios)]
    every = score(_joined_data([mine, *copies]), as_of=as_of, rules=rules, areas=area_names, lag=lag)
    real = pl.col("partner_id").str.contains(_COPY, literal=True).not_()
    before = dataclasses.replace(every, scores=every.scores.filter(real), summary=every.summary.filter(real))
    metric_keys = ["partner_id", "area", "track", "metric"]
    metrics, summaries = [], []
    for k, scenario in enumerate(scenarios):
        touched = sorted({a.partner_id for a in scenario.actions})
        mark = f"{_COPY}{k}"
        own = pl.col("partner_id").str.ends_with(mark)
        back = pl.col("partner_id").str.strip_suffix(mark)
        after = dataclasses.replace(every, scores=every.scores.filter(own).with_columns(back),
                                    summary=every.summary.filter(own).with_columns(back))
        metrics.append(
            before.scores.filter(pl.col("partner_id").is_in(touched))
            .select(*metric_keys, "category", pl.col("value").alias("value_before"),
                    pl.col("points").alias("points_before"))
            .join(after.scores.select(*metric_keys, pl.col("value").alias("value_after"),
                                      pl.col("points").alias("points_after")), on=metric_keys, how="left")
            .with_columns(pl.lit(scenario.name).alias("scenario"),
                          (pl.col("points_after") - pl.col("points_before")).round(9).alias("points_change")))
        summaries.append(
            before.summary.filter(pl.col("partner_id").is_in(touched))
            .select("partner_id", "area", pl.col("track").alias("track_before"), pl.col("total").alias("total_before"),
                    pl.col("is_qualified").alias("is_qualified_before"))
            .join(after.summary.select("partner_id", "area", pl.col("track").alias("track_after"),
                                       pl.col("total").alias("total_after"),
                                       pl.col("is_qualified").alias("is_qualified_after"),
                                       pl.col("missing_metrics").alias("missing_metrics_after")),
                  on=["partner_id", "area"], how="left")
            .with_columns(pl.lit(scenario.name).alias("scenario"),
                          (pl.col("total_after") - pl.col("total_before")).round(9).alias("total_change")))
    if not metrics:
        raise PcsError("no scenario to score")
    metric_table = pl.concat(metrics).select("scenario", *metric_keys, "category", "value_before", "value_after",
                                             "points_before", "points_after", "points_change")
    summary = pl.concat(summaries).select("scenario", "partner_id", "area", "track_before", "track_after",
                                          "total_before", "total_after", "total_change", "is_qualified_before",
                                          "is_qualified_after", "missing_metrics_after")
    return WhatIf(metrics=metric_table, summary=summary)


#: Marks a scenario's copy of a partner: `<partner_id><_COPY><scenario index>`.
_COPY = "\x1f#scenario-"


def _scenario_copy(changed: PartnerData, partner_ids: list[str], k: int) -> PartnerData:
    """The changed tables of `partner_ids`, each row under the partner's copy id for scenario `k`."""
    keep = pl.col("partner_id").is_in(partner_ids)
    copy_id = pl.col("partner_id") + pl.lit(f"{_COPY}{k}")
    tables = (changed.usage, changed.certifications, changed.enrollments, changed.partners)
    usage, certifications, enrollments, partners = (t.filter(keep).with_columns(copy_id) for t in tables)
    return PartnerData(usage=usage, certifications=certifications, enrollments=enrollments, partners=partners,
                       source=changed.source)


def _joined_data(parts: list[PartnerData]) -> PartnerData:
    """The tables of several `PartnerData` as one (in memory)."""
    tables = [pl.concat([getattr(p, name) for p in parts], how="diagonal_relaxed")
              for name in ("usage", "certifications", "enrollments", "partners")]
    usage, certifications, enrollments, partners = (t.lazy() for t in pl.collect_all(tables))
    return PartnerData(usage=usage, certifications=certifications, enrollments=enrollments, partners=partners,
                       source=parts[0].source)


def read_scenarios(path: str | Path) -> list[Scenario]:
    """Scenarios from a TOML file (see the module's documentation); errors name the file and the
    scenario and action."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except FileNotFoundError:
        raise PcsError(f"{path}: scenario file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PcsError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"scenario"})
    if unknown:
        raise PcsError(f"{path}: unknown table or key {unknown[0]!r}: a scenario file holds [[scenario]] tables, "
                       "each with a name and [[scenario.action]] tables")
    if not isinstance(doc.get("scenario", []), list):
        raise PcsError(f"{path}: 'scenario' must be a list of tables: write [[scenario]], not [scenario]")
    scenarios = [_scenario(table, f"{path}: scenario[{i}]") for i, table in enumerate(doc.get("scenario", []))]
    if not scenarios:
        raise PcsError(f"{path}: no [[scenario]] tables")
    return scenarios


def _scenario(table: dict[str, Any], where: str) -> Scenario:
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise PcsError(f"{where}: a scenario needs a name")
    unknown = sorted(set(table) - {"name", "action"})
    if unknown:
        raise PcsError(f"{where} ({name!r}): unknown key {unknown[0]!r}: a scenario holds a name and "
                       "[[scenario.action]] tables")
    if not isinstance(table.get("action", []), list):
        raise PcsError(f"{where} ({name!r}): 'action' must be a list of tables: write [[scenario.action]]")
    actions = [_action(dict(spec), f"{where} ({name!r}) action[{j}]") for j, spec in enumerate(table.get("action", []))]
    if not actions:
        raise PcsError(f"{where} ({name!r}): no action: add [[scenario.action]] tables (with a type: "
                       f"{', '.join(ACTION_TYPES)})")
    return Scenario(name, tuple(actions))


def _action(spec: dict[str, Any], where: str) -> Action:
    kind = spec.pop("type", None)
    if kind not in ACTION_TYPES:
        raise PcsError(f"{where}: type must be one of {', '.join(ACTION_TYPES)}, got {kind!r}")
    cls = ACTION_TYPES[kind]
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(spec) - fields)
    if unknown:
        raise PcsError(f"{where}: unknown key {unknown[0]!r} for {kind} (allowed: {', '.join(sorted(fields))})")
    spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}   # lists as the tuples they are
    try:
        return cls(**spec)
    except TypeError as exc:
        raise PcsError(f"{where}: {exc}") from None


def scenarios_toml(scenarios: Sequence[Scenario]) -> str:
    """Scenarios as a scenario file (`read_scenarios` reads it back as they are); an action's
    settings left at their default are not written."""
    lines: list[str] = []
    for scenario in scenarios:
        lines += ["[[scenario]]", f"name = {_toml(scenario.name)}", ""]
        for action in scenario.actions:
            kind = next(k for k, cls in ACTION_TYPES.items() if type(action) is cls)
            lines += ["[[scenario.action]]", f'type = "{kind}"']
            lines += [f"{f.name} = {_toml(getattr(action, f.name))}" for f in dataclasses.fields(action)
                      if getattr(action, f.name) is not None and getattr(action, f.name) != f.default]
            lines.append("")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    """A TOML value: strings quoted (JSON escapes are TOML's), dates bare, lists bracketed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | int | float):
        return value.isoformat() if isinstance(value, dt.date) else repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
