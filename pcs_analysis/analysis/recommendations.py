"""Recommendations: what would move a partner's score, and what threatens it.

Every recommendation is measured, not estimated: each candidate action or risk is a change to the
partner's own data (one more customer, one more certified person, more active users, a lost
customer, an expiring certification, ...). All candidates of all partners are scored in one pass
as *virtual partners* (copies of a partner with one change each; partners are scored
independently), and a candidate's points are the difference to the partner's real score. The
ranking therefore agrees with rescoring by construction.

Rows (RECOMMENDATION_COLUMNS), one per partner x area x candidate, plus one `to_qualify` row per
partner x area with the points still needed and the metrics at zero:

- `action`: something the partner can do, on the kept track and on the other one, ranked by the
  points it adds to that track's total;
- `risk`: a certification that stops counting before the next refresh, by the end of the month or,
  for an enrolled partner, inside the renewal's qualification window; a customer whose loss or move
  out of its seat band would cost points;
- `gap`: a tenant using eligible workloads under an association type the metric does not accept,
  with the points the accepted association would add.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from pcs_analysis.analysis.status import month_end, windows_of
from pcs_analysis.analysis.whatif import (
    Action,
    AddCertifiedPeople,
    AddCustomer,
    Associate,
    ExpireCertification,
    LoseCustomer,
    SetUsage,
    added_people,
    added_rows,
    apply,
    apply_to_tables,
)
from pcs_analysis.engine.scoring import score
from pcs_analysis.inputs.customers import customer_labels
from pcs_analysis.inputs.prepare import name_columns
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import AreaRules, Metric, Rulebook, load_rules
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.periods import month_start, parse_date, refresh_days_after, scored_month

RECOMMENDATION_COLUMNS = [
    "partner_id", "area", "track", "is_kept_track", "type", "kind", "metric", "subject", "points_change",
    "total_before", "total_after", "is_qualified_after", "rank", "recommendation",
]
#: Separates a partner id from a candidate number in virtual partner ids.
_SEP = "\x1f#"



@dataclass(frozen=True)
class Candidate:
    """One change to one partner's data and what to say about it."""

    partner_id: str
    area: str
    track: str | None      # the track an action is for; None: compare the kept track (risks)
    type: str              # action, risk, gap
    kind: str              # what kind of change (add_customer, add_person, ...)
    metric: str
    subject: str
    text: str              # the sentence, with {points} for the measured change
    actions: tuple[Action, ...]   # the change, as what-if actions (replayable with `what_if`)


@dataclass(frozen=True)
class _Scope:
    """What candidate generation reads for one partner and area."""

    partner_id: str
    area: AreaRules
    usage: pl.DataFrame         # the partner's usage rows, with workload_key
    certs: pl.DataFrame         # the partner's certification rows, with certification_key
    month: dt.date              # the scored data month
    as_of: dt.date
    earned_on: dt.date          # a certification earned that day counts on as_of
    horizon: dt.date            # risks up to this day count
    kept_track: str
    rules: Rulebook
    month_rows: dict = dataclasses.field(default_factory=dict)   # id(metric) -> its rows of the month
    names: dict = dataclasses.field(default_factory=dict)        # tenant id -> customer label
    people: dict = dataclasses.field(default_factory=dict)       # (metric, step) -> people counted

    def customer(self, tenant: str) -> str:
        """The tenant as a sentence names it: the customer's name, with the id where two share a
        name (`customer_labels`)."""
        return self.names.get(tenant, tenant)


@dataclass(frozen=True)
class Recommendations:
    """What `recommend` found.

    Attributes
    ----------
    table
        One row per partner, area and recommendation (`RECOMMENDATION_COLUMNS`), by `type`: the
        points still needed ("to_qualify"), ranked actions ("action"), association gaps ("gap")
        and risks ("risk"), each measured by rescoring its what-if actions.
    """

    table: pl.DataFrame

    @property
    def actions(self) -> pl.DataFrame:
        return self.table.filter(pl.col("type") == "action")

    @property
    def gaps(self) -> pl.DataFrame:
        return self.table.filter(pl.col("type") == "gap")

    @property
    def risks(self) -> pl.DataFrame:
        return self.table.filter(pl.col("type") == "risk")

    def __getattr__(self, name: str) -> Any:
        # `recommend` returned the table itself until this release: its attributes still answer.
        if name.startswith("__") or name == "table":
            raise AttributeError(name)
        _returned_the_table()
        return getattr(self.table, name)

    def __getitem__(self, key: Any) -> Any:
        _returned_the_table()
        return self.table[key]

    def __len__(self) -> int:
        _returned_the_table()
        return len(self.table)


def _returned_the_table() -> None:
    warnings.warn("recommend() returns Recommendations: read its rows from `.table` (or .actions, .gaps, "
                  ".risks); using the result as the table itself stops working in the next release",
                  DeprecationWarning, stacklevel=3)


def recommend(data: PartnerData, *, as_of: dt.date | str, rules: Rulebook | None = None,
              areas: Iterable[str] | None = None, lag: bool = True,
              on_area: Callable[[str, int, int], None] | None = None) -> Recommendations:
    """Ranked recommendations and risks for every partner and area of `data`.

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    areas : list of str, optional
        The solution areas (default: every area of the rulebook).
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).
    on_area : callable, optional
        Called with (area, areas done, areas) as each area's candidates are measured.

    Returns
    -------
    Recommendations
        Its `table`: one row per partner, area and recommendation (`RECOMMENDATION_COLUMNS`): points
        to qualify, ranked actions and gaps, and risks, each measured by rescoring its what-if actions.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> data = read_data(SAMPLE_DIR).only_partners(["P005"])
    >>> r = recommend(data, as_of="2026-11-21", areas=["modern_work"])
    >>> r.actions["points_change"].max() > 0
    True
    """
    day = parse_date(as_of)
    rules = (rules or load_rules()).on(day)   # the rules in force that day
    area_names = list(areas) if areas is not None else list(rules.areas)
    base = score(data, as_of=day, rules=rules, areas=area_names, lag=lag)
    usage, certs = _prepared(data, rules)
    names = _customer_names(usage)
    frames = []
    # One scoring pass per area over its candidates (virtual partners): a pass over every area's
    # candidates at once scores each candidate in all six areas, and measured slower.
    for done, name in enumerate(area_names, start=1):
        candidates = _area_candidates(data, base, usage, certs, rules, name, day, lag, names)
        frames.append(_measure(candidates, base, data, usage, certs, rules, name, day, lag))
        frames.append(_to_qualify(base.summary.filter(pl.col("area") == name)))
        if on_area is not None:
            on_area(name, done, len(area_names))
    if not frames:
        return Recommendations(pl.DataFrame(schema={c: pl.String for c in RECOMMENDATION_COLUMNS}))
    out = pl.concat(frames, how="diagonal_relaxed")
    order = {a: i for i, a in enumerate(area_names)}
    type_order = {"to_qualify": 0, "action": 1, "gap": 2, "risk": 3}
    return Recommendations(out.with_columns(pl.col("area").replace_strict(order).alias("_a"),
                                            pl.col("type").replace_strict(type_order).alias("_t"))
                           .sort("partner_id", "_a", "_t", pl.col("is_kept_track").not_(), "rank", nulls_last=True)
                           .select(RECOMMENDATION_COLUMNS))


def measured_actions(data: PartnerData, *, as_of: dt.date | str, area: str, rules: Rulebook | None = None,
                     lag: bool = True) -> tuple[list[Candidate], pl.DataFrame]:
    """The candidates of one area and their measured figures (RECOMMENDATION_COLUMNS and
    `candidate`, the index of the candidate in the list), for building on: `apply_candidate`
    makes the change for real."""
    day = parse_date(as_of)
    rules = (rules or load_rules()).on(day)   # the rules in force that day
    base = score(data, as_of=day, rules=rules, areas=[area], lag=lag)
    usage, certs = _prepared(data, rules)
    candidates = _area_candidates(data, base, usage, certs, rules, area, day, lag, _customer_names(usage))
    return candidates, _measure(candidates, base, data, usage, certs, rules, area, day, lag, keep_index=True)


def apply_candidate(data: PartnerData, candidate: Candidate, *, as_of: dt.date | str, rules: Rulebook | None = None,
                    lag: bool = True) -> PartnerData:
    """`data` with one candidate's actions applied (see `whatif.apply`)."""
    return apply(data, candidate.actions, as_of=as_of, rules=rules, lag=lag)


def _prepared(data: PartnerData, rules: Rulebook) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The partner rows with matching keys; a row without a product takes its workload's, as the
    engine reads it (so candidates select the same rows the engine scores)."""
    workload_key, product = name_columns(data.usage, rules)
    usage = data.usage.collect().with_columns(workload_key.alias("workload_key"), product.alias("product"))
    certs = data.certifications.collect().with_columns(
        rules.certification_key_expr(pl.col("certification")).alias("certification_key"))
    return usage, certs


def _customer_names(usage: pl.DataFrame) -> dict[str, dict[str, str]]:
    """Per partner, each tenant's label in a sentence (`customer_labels`), for every area."""
    names: dict[str, dict[str, str]] = {}
    for pid, tenant, label in customer_labels(usage).iter_rows():
        names.setdefault(pid, {})[tenant] = label
    return names


def _area_candidates(data: PartnerData, base, usage: pl.DataFrame, certs: pl.DataFrame, rules: Rulebook,
                     name: str, day: dt.date, lag: bool, names: dict[str, dict[str, str]]) -> list[Candidate]:
    area = rules.area(name)
    month = month_start(scored_month(day, rules.refresh, lag=lag))
    lag_days = rules.refresh.skilling_lag_days if lag else 0
    next_refresh = next(refresh_days_after(day, rules.refresh))
    windows = windows_of(data, rules, [name], day)
    window_end = dict(windows.filter(pl.col("is_enrolled")).select("partner_id", "window_end").iter_rows())
    usage_of, certs_of = _by_partner(usage), _by_partner(certs)
    people = _people_counted(base, area)
    candidates = []
    for row in base.summary.filter(pl.col("area") == name).iter_rows(named=True):
        pid = row["partner_id"]
        scope = _Scope(partner_id=pid, area=area, usage=usage_of(pid), certs=certs_of(pid), month=month, as_of=day,
                       earned_on=day - dt.timedelta(days=lag_days),
                       horizon=max(next_refresh, month_end(day), window_end.get(pid, day)),
                       kept_track=row["track"], rules=rules, people=people.get(pid, {}),
                       names=names.get(pid, {}))
        candidates += _candidates(scope)
    return candidates


def _people_counted(base, area: AreaRules) -> dict[str, dict[tuple[str, str | None], int]]:
    """Per partner, the people counted per skilling metric and step in `base` (a score)."""
    frames = [base.contributions[area.area][m.name].filter(pl.col("is_counted"))
              .group_by("partner_id", "step").agg(pl.col("person_id").n_unique().alias("people"))
              .with_columns(pl.lit(m.name).alias("metric"))
              for m in area.metrics if m.counts_people and m.name in base.contributions.get(area.area, {})]
    out: dict[str, dict[tuple[str, str | None], int]] = {}
    for frame in pl.collect_all(frames) if frames else []:
        for pid, step, people, metric in frame.select("partner_id", "step", "people", "metric").iter_rows():
            out.setdefault(str(pid), {})[(metric, step)] = people
    return out


def _by_partner(frame: pl.DataFrame):
    """`rows(partner_id)`: the partner's rows, from one split of the frame (not a filter each)."""
    parts = frame.partition_by("partner_id", as_dict=True, maintain_order=True)
    empty = frame.clear()
    return lambda pid: parts.get((pid,), empty)




def _to_qualify(summary: pl.DataFrame) -> pl.DataFrame:
    missing = pl.col("missing_metrics").str.replace_all(";", ", ")
    text = (pl.when(pl.col("is_qualified")).then(pl.format("qualified on the {} track with {} points", pl.col("track"),
                                                           pl.col("total").round(1)))
            .otherwise(pl.format("{} more points needed on the {} track{}", pl.col("points_to_qualify").round(1),
                                 pl.col("track"), pl.when(pl.col("missing_metrics") != "")
                                 .then(pl.format("; metrics at zero: {}", missing)).otherwise(pl.lit("")))))
    return summary.select(
        "partner_id", "area", "track", pl.lit(True).alias("is_kept_track"), pl.lit("to_qualify").alias("type"),
        pl.lit("to_qualify").alias("kind"), pl.col("missing_metrics").alias("metric"), pl.lit("").alias("subject"),
        pl.col("points_to_qualify").alias("points_change"), pl.col("total").alias("total_before"),
        pl.col("total").alias("total_after"), pl.col("is_qualified").alias("is_qualified_after"),
        pl.lit(None, pl.UInt32).alias("rank"), text.alias("recommendation"))


# --- measuring candidates ------------------------------------------------------------------

def _measure(candidates: list[Candidate], base, data: PartnerData, usage: pl.DataFrame, certs: pl.DataFrame,
             rules: Rulebook, area: str, day: dt.date, lag: bool, keep_index: bool = False) -> pl.DataFrame:
    """Score every candidate as a virtual partner and compare with the partner's real totals."""
    if not candidates:
        return pl.DataFrame()
    vids = [f"{c.partner_id}{_SEP}{i}" for i, c in enumerate(candidates)]
    # The copies carry only the usage rows the area reads: the others change no figure of it.
    keys, products = rules.area(area).workload_reads()
    rows = usage.filter(pl.col("workload_key").is_in(sorted(keys)) | pl.col("product").is_in(sorted(products)))
    usage_columns, cert_columns = data.usage.collect_schema().names(), data.certifications.collect_schema().names()
    # Each copy keeps its partner's enrollments and track overrides: they decide the kept track.
    copies = pl.DataFrame({"vid": vids, "partner_id": [c.partner_id for c in candidates]})
    enrollments, partners = (copies.join(table.collect(), on="partner_id", how="inner", maintain_order="left")
                             .drop("partner_id").rename({"vid": "partner_id"}).lazy()
                             for table in (data.enrollments, data.partners))
    virtual = PartnerData(
        *_copies(candidates, vids, rows.select(usage_columns), certs.select(cert_columns), day, rules, lag),
        enrollments=enrollments, partners=partners)
    after = score(virtual, as_of=day, rules=rules, areas=[area], lag=lag)
    return _compared(candidates, vids, base, after, area, keep_index)


def _compared(candidates: list[Candidate], vids: list[str], base, after, area: str,
              keep_index: bool = False) -> pl.DataFrame:
    """The candidates' totals after (`after`, their virtual partners' scores, read in `area`)
    against the partner's real totals: the points each changes, ranked."""
    # Totals per track after the change, and the kept track's.
    tracks_after = _track_totals(after)
    before = _track_totals(base).filter(pl.col("area") == area)
    rows = []
    for i, (vid, c) in enumerate(zip(vids, candidates, strict=True)):
        rows.append({"vid": vid, "i": i, "partner_id": c.partner_id, "area": area, "track": c.track,
                     "type": c.type, "kind": c.kind, "metric": c.metric, "subject": c.subject, "text": c.text})
    table = pl.DataFrame(rows, schema={"vid": pl.String, "i": pl.Int64, "partner_id": pl.String, "area": pl.String,
                                       "track": pl.String, "type": pl.String, "kind": pl.String, "metric": pl.String,
                                       "subject": pl.String, "text": pl.String})
    kept = base.summary.filter(pl.col("area") == area).select("partner_id", pl.col("track").alias("kept_track"),
                                                               pl.col("total").alias("kept_total"))
    kept_after = after.summary.select(pl.col("partner_id").alias("vid"), pl.col("total").alias("kept_total_after"),
                                      pl.col("is_qualified").alias("kept_qualified_after"))
    table = (table.join(kept, on="partner_id", how="left").join(kept_after, on="vid", how="left")
             .join(before.rename({"total": "track_total", "is_qualified": "track_qualified"}),
                   on=["partner_id", "track"], how="left")
             .join(tracks_after.rename({"partner_id": "vid", "total": "track_total_after",
                                        "is_qualified": "track_qualified_after"}).drop("area"),
                   on=["vid", "track"], how="left"))
    is_track = pl.col("track").is_not_null()
    total_before = pl.when(is_track).then(pl.col("track_total")).otherwise(pl.col("kept_total"))
    total_after = pl.when(is_track).then(pl.col("track_total_after")).otherwise(pl.col("kept_total_after"))
    qualified_after = pl.when(is_track).then(pl.col("track_qualified_after")).otherwise(pl.col("kept_qualified_after"))
    table = table.with_columns(
        total_before.alias("total_before"), total_after.alias("total_after"),
        qualified_after.alias("is_qualified_after"),
        pl.coalesce(pl.col("track"), pl.col("kept_track")).alias("track"),
    ).with_columns(
        (pl.col("total_after") - pl.col("total_before")).round(9).alias("points_change"),
        (pl.col("track") == pl.col("kept_track")).alias("is_kept_track"),
    )
    # Actions and gaps must add points and risks must cost some (losing a shrinking customer can
    # even raise usage growth: that is no risk).
    table = table.filter(pl.when(pl.col("type") == "risk").then(pl.col("points_change") < 0)
                         .otherwise(pl.col("points_change") > 0))
    table = table.with_columns(
        pl.col("points_change").abs().rank("ordinal", descending=True)
        .over("partner_id", "track", "type").cast(pl.UInt32).alias("rank"),
        pl.col("text").str.replace("{points}", pl.col("points_change").abs().round(1).cast(pl.String), literal=True)
        .str.replace("{total}", pl.col("total_after").round(1).cast(pl.String), literal=True)
        .alias("recommendation"),
    )
    return table.select(*RECOMMENDATION_COLUMNS, *([pl.col("i").alias("candidate")] if keep_index else []))


def _copies(candidates: list[Candidate], vids: list[str], usage: pl.DataFrame, certs: pl.DataFrame,
            day: dt.date, rules: Rulebook, lag: bool) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Every candidate's changed copy of its partner's tables in one frame per table, each copy
    under its virtual partner's id. Candidates that only add rows are built at once (the
    partner's rows joined to every such copy, then the added rows); the others apply their
    actions to their own copy (`apply_to_tables`)."""
    usage_parts, cert_parts = [], []
    adding: list[tuple[str, str]] = []
    added_usage: dict[str, list] = {}
    added_certs: dict[str, list] = {}
    usage_of, certs_of = _by_partner(usage), _by_partner(certs)
    people = added_people(certs)
    for vid, c in zip(vids, candidates, strict=True):
        added = added_rows(c.actions, as_of=day, rules=rules, lag=lag, people=people)
        if added is None:
            u, k = apply_to_tables(usage_of(c.partner_id), certs_of(c.partner_id), c.actions, as_of=day,
                                   rules=rules, lag=lag)
            usage_parts.append(u.with_columns(pl.lit(vid).alias("partner_id")))
            cert_parts.append(k.with_columns(pl.lit(vid).alias("partner_id")))
            continue
        adding.append((vid, c.partner_id))
        for rows, into in zip(added, (added_usage, added_certs), strict=True):
            count = len(rows.get("partner_id", ()))
            for column, values in rows.items():
                into.setdefault(column, []).extend([vid] * count if column == "partner_id" else values)
    if adding:
        copies = pl.DataFrame(adding, schema={"vid": pl.String, "partner_id": pl.String}, orient="row")
        for parts, table, rows in ((usage_parts, usage, added_usage), (cert_parts, certs, added_certs)):
            parts.append(copies.join(table, on="partner_id", how="inner", maintain_order="left_right")
                         .drop("partner_id").rename({"vid": "partner_id"}).select(table.columns))
            if rows:
                extra = pl.DataFrame(rows, schema={c: table.schema[c] for c in rows})
                parts.append(pl.concat([table.clear(), extra], how="diagonal_relaxed").select(table.columns))
    return (pl.concat(usage_parts, how="vertical_relaxed").lazy(),
            pl.concat(cert_parts, how="vertical_relaxed").lazy())


def _track_totals(result) -> pl.DataFrame:
    """Total and qualification per partner x area x track (kept and other)."""
    s = result.summary
    kept = s.select("partner_id", "area", "track", "total", "is_qualified")
    other = s.filter(pl.col("other_track").is_not_null()).select(
        "partner_id", "area", pl.col("other_track").alias("track"), pl.col("other_track_total").alias("total"),
        pl.col("other_track_is_qualified").alias("is_qualified"))
    return pl.concat([kept, other])


# --- candidate changes ---------------------------------------------------------------------

# --- candidate generation ------------------------------------------------------------------

def _candidates(scope: _Scope) -> list[Candidate]:
    out: list[Candidate] = []
    for metric in scope.area.metrics:
        for leaf in metric.leaves():
            part = f" ({leaf.name})" if metric.composite else ""
            for track in scope.area.tracks:
                out += _actions(scope, metric.name + part, metric.name, leaf, track)
            out += _gaps(scope, metric.name + part, metric.name, leaf)
    out += _risks(scope)
    return _merge_moves(out)


def _merge_moves(candidates: list[Candidate]) -> list[Candidate]:
    """The same association move proposed by several metrics (usage growth and deployments read
    the same rows) is one action: keep the first, naming every metric."""
    merged: dict[tuple, Candidate] = {}
    out = []
    for c in candidates:
        if c.kind != "move_association":
            out.append(c)
            continue
        key = (c.track, c.subject, c.text.split(": ", 1)[1])
        if key in merged:
            first = merged[key]
            metric = f"{first.metric}, {c.metric}"
            merged[key] = replace(first, metric=metric, text=f"{metric}: {key[2]}")
        else:
            merged[key] = c
    return out + list(merged.values())


def _workload_name(area: AreaRules, leaf: Metric) -> str | None:
    keys = sorted(leaf.workloads)
    return area.workload_name(keys[0]) if keys else None


def _month_rows(scope: _Scope, leaf: Metric) -> pl.DataFrame:
    """The partner's rows of the scored month that the metric reads (found once per metric)."""
    if id(leaf) not in scope.month_rows:
        rows = scope.usage.filter(pl.col("month") == scope.month)
        if leaf.products:
            rows = rows.filter(pl.col("product").is_in(list(leaf.products))
                               & ~pl.col("workload_key").is_in(sorted(leaf.excluded_workloads)))
        else:
            rows = rows.filter(pl.col("workload_key").is_in(sorted(leaf.workloads)))
        scope.month_rows[id(leaf)] = rows
    return scope.month_rows[id(leaf)]


def _actions(scope: _Scope, label: str, metric: str, leaf: Metric, track: str) -> list[Candidate]:
    """The changes the metric's kind proposes on the track (see `rules.kinds.base.Proposals`)."""
    sink = _Proposals(scope, label, track)
    kind_of(leaf).propose(sink, label, leaf, track)
    return sink.candidates


class _Proposals:
    """The `Proposals` a kind adds its changes to, for one partner, area, metric and track."""

    def __init__(self, scope: _Scope, label: str, track: str):
        self.scope, self.label, self.track = scope, label, track
        self.area, self.month = scope.area, scope.month
        self.candidates: list[Candidate] = []

    def add(self, kind: str, subject: str, text: str, change: Action | tuple[Action, ...]) -> None:
        s = self.scope
        self.candidates.append(Candidate(
            s.partner_id, s.area.area, self.track, "action", kind, self.label, subject,
            f"{text} (+{{points}} points on the {self.track} track, {{total}} in all)",
            change if isinstance(change, tuple) else (change,)))

    def new_customer(self) -> str:
        taken = set(self.scope.usage["tenant_id"].unique().to_list())
        return next(f"new-customer-{i}" for i in range(1, len(taken) + 2) if f"new-customer-{i}" not in taken)

    def customer_rows(self, tenant: str, workload: str | None, association: str | None, *, paid: int | None = None,
                      active: int | None = None, revenue: float | None = None,
                      product: str | None = None) -> Action:
        return AddCustomer(self.scope.partner_id, tenant, workload, association, start_month=self.scope.month,
                           paid_units=paid, active_units=active, revenue_usd=revenue, product=product)

    def change_row(self, row: dict, **values) -> Action:
        return SetUsage(self.scope.partner_id, row["tenant_id"], workload=row["workload"],
                        association=row["association"], month=row["month"], **values)

    def certify(self, person: str, certification: str, count: int = 1) -> Action:
        return AddCertifiedPeople(self.scope.partner_id, certification, count=count, earned_on=self.scope.earned_on)

    def people_counted(self, leaf: Metric, step: str | None) -> int:
        return self.scope.people.get((leaf.name, step), 0)

    def month_rows(self, leaf: Metric) -> pl.DataFrame:
        return _month_rows(self.scope, leaf)

    def workload_name(self, leaf: Metric) -> str | None:
        return _workload_name(self.scope.area, leaf)

    def association_moves(self, label: str, leaf: Metric, track: str) -> None:
        self.candidates += _association_moves(self.scope, label, leaf, track)


def _association_moves(scope: _Scope, label: str, leaf: Metric, track: str) -> list[Candidate]:
    """A tenant counted under one association option, moved to another (its three largest tenants
    per pair of options). Measured as if the new association had been in place all along: from
    the day it changes, usage growth counts from the association month."""
    out = []
    rows = _month_rows(scope, leaf)
    for source in leaf.tracks[track].options:
        for target in leaf.tracks[track].options:
            if target is source:
                continue
            mine = rows.filter(pl.col("association").is_in(list(source.associations)))
            largest = (mine.group_by("tenant_id").agg(pl.col("active_units").sum())
                       .sort("active_units", "tenant_id", descending=[True, False]).head(3))
            to = target.associations[0]
            workloads = tuple(scope.area.workload_name(k) for k in sorted(leaf.workloads))
            for tenant in largest["tenant_id"].to_list():
                out.append(Candidate(
                    scope.partner_id, scope.area.area, track, "action", "move_association", label, tenant,
                    f"{label}: associate {scope.customer(tenant)} via {to} instead of {source.name} "
                    "(had it been so all along: "
                    f"+{{points}} points on the {track} track, {{total}} in all; from the day it changes, growth "
                    f"counts from the association month)",
                    (Associate(scope.partner_id, tenant, to, replace=True, workloads=workloads,
                               from_associations=tuple(source.associations)),)))
    return out


def _gaps(scope: _Scope, label: str, metric: str, leaf: Metric) -> list[Candidate]:
    """Tenants using the metric's workloads in the scored month under association types none of
    the kept track's options accept."""
    if leaf.counts_people:
        return []
    rule = leaf.tracks[scope.kept_track]
    accepted = sorted({a for o in rule.options for a in o.associations})
    if not accepted:
        return []
    rows = _month_rows(scope, leaf)
    tenants_ok = rows.filter(pl.col("association").is_in(accepted))["tenant_id"].unique().to_list()
    gaps = rows.filter(~pl.col("association").is_in(accepted) & ~pl.col("tenant_id").is_in(tenants_ok))
    out = []
    for tenant, part in gaps.group_by("tenant_id", maintain_order=True):
        tenant = tenant[0]
        best = rule.options[0].associations[0]
        associations = ", ".join(sorted(set(part["association"])))
        out.append(Candidate(
            scope.partner_id, scope.area.area, scope.kept_track, "gap", "association_gap", label, tenant,
            f"{label}: {scope.customer(tenant)} uses eligible workloads but is associated via {associations}, "
            "which the "
            f"{scope.kept_track} track does not accept; associated via {best} it would add {{points}} points",
            (Associate(scope.partner_id, tenant, best, workloads=tuple(sorted(set(part["workload"]))),
                       from_associations=tuple(sorted(set(part["association"]))), month=scope.month),)))
    return out


def _risks(scope: _Scope) -> list[Candidate]:
    out = []
    area = scope.area
    # Certifications of the area's lists that stop counting by the horizon.
    keys = {c.key: c for m in area.metrics for leaf in m.leaves()
            for c in leaf.all_certifications}
    held = scope.certs.filter(pl.col("certification_key").is_in(list(keys)) & (pl.col("earned_on") <= scope.earned_on))
    for r in held.iter_rows(named=True):
        cert = keys[r["certification_key"]]
        end = scope.rules.held_until(cert, r["expires_on"])
        if end is not None and scope.as_of < end <= scope.horizon:
            out.append(Candidate(
                scope.partner_id, area.area, None, "risk", "certification_expires", "", r["person_id"],
                f"{r['person_id']}: {r['certification']} stops counting on {end}: -{{points}} points "
                f"unless renewed or replaced",
                (ExpireCertification(scope.partner_id, r["person_id"], r["certification"],
                                     scope.rules.expires_on_for(scope.as_of), earned_on=r["earned_on"]),)))
    # Customers of the scored month: lost, or moved out of their seat band.
    leaves = [leaf for m in area.metrics for leaf in m.leaves() if not leaf.counts_people]
    rows = pl.concat([_month_rows(scope, leaf) for leaf in leaves]) if leaves else scope.usage.head(0)
    for tenant in sorted(rows["tenant_id"].unique().to_list()):
        out.append(Candidate(scope.partner_id, area.area, None, "risk", "customer_lost", "", tenant,
                             f"losing {scope.customer(tenant)} would cost {{points}} points",
                             (LoseCustomer(scope.partner_id, tenant, from_month=scope.month),)))
    bands = {rule.seat_band for leaf in leaves for t, rule in leaf.tracks.items()
             if t == scope.kept_track and rule.seat_band is not None}
    for band in bands:
        in_band = rows.filter(band.holds(pl.col("paid_units")))
        for tenant in sorted(in_band["tenant_id"].unique().to_list()):
            if band.max_paid_units is not None:
                out.append(Candidate(
                    scope.partner_id, area.area, None, "risk", "customer_leaves_band", "", tenant,
                    f"{scope.customer(tenant)} growing past {band.max_paid_units} paid licences would cost "
                    "{points} points",
                    (SetUsage(scope.partner_id, tenant, paid_units=band.max_paid_units + 1, month=scope.month),)))
            else:
                out.append(Candidate(
                    scope.partner_id, area.area, None, "risk", "customer_leaves_band", "", tenant,
                    f"{scope.customer(tenant)} falling below {band.min_paid_units} paid licences would cost "
                    "{points} points",
                    (SetUsage(scope.partner_id, tenant, paid_units=band.min_paid_units - 1, month=scope.month),)))
    return out
