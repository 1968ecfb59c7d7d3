"""Certification planning: the cheapest set of certifications that makes a partner qualify.

Given the people on staff (everyone in the certifications table, plus optional named staff and
new hires), what each certification costs and how long it takes, the skilling rules of the chosen
areas (people per metric, prerequisite steps, "one person counts once per metric") and the other
metrics as they are on the target day, `plan_certifications` finds the minimum-cost set of
(person, certification) pairs with which every chosen area qualifies on the target day (on the
state of that day: its data month and the certifications that still count), by mixed-integer
linear programming (HiGHS through scipy, solved to a zero optimality gap: the plan is optimal,
not a heuristic). It then carries the plan out on a copy of the data and rescores it: a plan that
does not qualify then is a defect (`PlanCheckError`).

The model, per chosen area and track:

- `x[p, c]` = 1 when person p earns certification c; `y[p, s]` = 1 when p counts in slot s (a
  people metric, a prerequisite step or a scoring step), allowed when p already counts there on
  the target day or earns one of the slot's certifications;
- a people metric's points `<= n * max / full_marks_at` and `<= max`;
- a stepped metric: `z[k] = 1` only with at least the step's people; its points `<= sum z[k] *
  prerequisite points + w`, with `w <= n_scoring * points per person` and `w <= max * z[k]` for
  every step, and `<= max`;
- the area qualifies: skilling points + the other metrics' points >= the bar, and every metric
  above the per-metric minimum.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pcs_analysis.analysis.explanation import Explanation, explain_days
from pcs_analysis.analysis.status import windows_of
from pcs_analysis.config import DEFAULT_LEAD_DAYS
from pcs_analysis.engine.points import follows_scores
from pcs_analysis.engine.scoring import score
from pcs_analysis.errors import DefectError, PcsError
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.inputs.unread import month_warnings
from pcs_analysis.rules import Certification, Rulebook, load_rules
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.periods import month_end, months_spanned, parse_date

#: Monte Carlo paths of the forecast behind `others="forecast"`.
FORECAST_PATHS = 2000


@dataclass(frozen=True)
class CertificationPlan:
    """Attributes
    ----------
    plan
        One row per certification to earn: person, certification, cost, lead time, the latest
        day it may be earned to count on the target day, the latest day to start, and whether
        that day has passed already (`is_late`).
    areas
        Per chosen area: the track planned for, total and qualification now, and after the plan
        (by rescoring the data with the plan's certifications on the target day).
    renewals
        Certifications now counting that expire (or stop counting) before the target day.
    cost
        The plan's total cost (minimal).
    status
        "optimal", "already qualified" or "infeasible" (with `reason`).
    target
        The day the plan qualifies on.
    warnings
        What in the data weakens the plan: the data month shown on the target day (or the month a
        year earlier it is compared with) has no usage rows.
    """

    plan: pl.DataFrame
    areas: pl.DataFrame
    renewals: pl.DataFrame
    cost: float
    status: str
    reason: str = ""
    target: dt.date | None = None
    warnings: tuple[str, ...] = ()

    @property
    def late_steps(self) -> pl.DataFrame:
        """The certifications whose latest start day has already passed (`is_late`)."""
        return self.plan.filter(pl.col("is_late"))


class PlanCheckError(DefectError):
    """The plan's own check failed: carried out and rescored, it does not qualify (a defect)."""


@dataclass(frozen=True)
class _Slot:
    area: str
    metric: str
    step: str | None          # the kind's label of the slot (None: a metric of one slot)
    keys: tuple[str, ...]     # certification keys that count in the slot
    prerequisite: bool = False  # a prerequisite step: it opens the metric's points


def plan_certifications(data: PartnerData, partner_id: str, *, as_of: dt.date | str, areas: Iterable[str],
                        costs: Mapping[str, float] | None = None, default_cost: float = 1.0,
                        lead_days: Mapping[str, int] | None = None, default_lead_days: int = DEFAULT_LEAD_DAYS,
                        target: dt.date | str | None = None, tracks: Mapping[str, str] | None = None,
                        staff: Iterable[str] = (), new_hires: int = 0, hire_cost: float = 0.0,
                        others: str = "as_is", seed: int = 0, rules: Rulebook | None = None) -> CertificationPlan:
    """The minimum-cost certifications with which `partner_id` qualifies in every area of `areas`
    on the `target` day. The default target: for a partner enrolled in one of the areas, the end
    of the renewal's qualification window; otherwise the last day of the month in which a
    certification started on `as_of` first counts (`as_of` + `default_lead_days` + the skilling
    lag), e.g. 2026-11-10 with 30 days of lead and the 10-day lag gives 2026-12-31.

    The plan starts from the partner's state on the target day: the data month shown that day and
    the certifications that still count then (not the state on `as_of`). `others` takes the
    non-skilling metrics "as_is" (their points on the target day, from the data) or as "forecast"
    (their median points on the last refresh day up to the target in a Monte Carlo forecast with
    `seed`; a metric counts as below the minimum when it is in most paths). `tracks` fixes a track
    per area; by default every track the scores may keep is tried and the cheapest plan kept.

    The plan is carried out on a copy of the data and rescored on the target day (`areas`
    columns `*_rescored`). With "as_is" a plan that does not qualify when rescored is a defect
    and raises `PlanCheckError`.

    `costs` and `lead_days` are per certification name (case and prefixes ignored).

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> p = plan_certifications(read_data(SAMPLE_DIR), "P005", as_of="2026-11-01", areas=["modern_work"],
    ...                         target="2026-11-30", default_lead_days=5)
    >>> p.status, p.cost, p.plan["earn_by"].to_list()
    ('optimal', 1.0, [datetime.date(2026, 11, 20)])
    """
    rules = rules or load_rules()
    day = parse_date(as_of)
    area_names = list(areas)
    if not area_names:
        raise PcsError("plan_certifications: name at least one area")
    data.require_partners([partner_id])
    mine = data.only_partners([partner_id])
    target_day = (parse_date(target) if target is not None
                  else _default_target(mine, rules, area_names, day, default_lead_days))
    if target_day < day:
        raise PcsError(f"target {target_day} is before as_of {day}")
    lag = rules.refresh.skilling_lag_days
    cost_by_key = {rules.certification_key(n): float(c) for n, c in (costs or {}).items()}
    lead_by_key = {rules.certification_key(n): int(d) for n, d in (lead_days or {}).items()}
    if others not in ("as_is", "forecast"):
        raise PcsError(f"others must be 'as_is' or 'forecast', got {others!r}")
    warnings = tuple(month_warnings(mine, rules, target_day))
    # Today's state, and the state the plan must lift: the target day's (its data month, the
    # certifications that count that day), not the state on as_of; both from one scoring pass.
    today, at_target = explain_days(mine, partner_id, [day, target_day], rules=rules, areas=area_names)
    now = today.result
    candidates = _candidate_tracks(at_target.result.summary, rules, area_names, tracks or {})
    # the rules in force on the target day decide what the plan must reach
    slots, certs = _slots(rules.on(target_day), area_names)
    # Certifications that can still be earned (not retired by the target's latest earning day).
    latest_earn = target_day - dt.timedelta(days=lag)
    earnable = {k: c for k, c in certs.items() if (c.retires_on is None or c.retires_on >= latest_earn)
                and (c.counts_through is None or c.counts_through >= target_day)}
    people = _people(mine, at_target, staff, new_hires)
    holds = _holds(at_target, slots)
    renewals = _renewals(today, certs, rules, target_day)
    fixed_of = functools.cache(lambda a, track: _fixed_points(
        at_target.result.scores, mine, partner_id, rules, a, track, others, day, target_day, seed))
    problem = _Problem(rules.on(target_day), area_names, slots, people, holds, earnable, cost_by_key, default_cost,
                       {p: hire_cost for p in people if p.startswith("new-hire-")}, latest_earn, target_day,
                       fixed_of, "; ".join(warnings))
    best, reasons = None, []
    for combo in itertools.product(*[candidates[a] for a in area_names]):
        chosen = dict(zip(area_names, combo, strict=True))
        solution, reason = problem.attempt(chosen)
        if solution is None:
            reasons.append(reason)
        elif best is None or solution[1] < best[1][1] - 1e-9:
            best = (chosen, solution)
    if best is None:
        chosen = {a: candidates[a][0] for a in area_names}
        return _result(pl.DataFrame(), area_names, chosen, now, None, renewals, 0.0, "infeasible",
                       _infeasible_reason(reasons, warnings), target_day, warnings)
    chosen, (pairs, cost, predicted) = best
    rows = []
    for person, cert_key in pairs:
        lead = lead_by_key.get(cert_key, default_lead_days)
        rows.append({"person_id": person, "certification": earnable[cert_key].name,
                     "cost": cost_by_key.get(cert_key, default_cost), "lead_days": lead,
                     "earn_by": latest_earn, "start_by": latest_earn - dt.timedelta(days=lead),
                     "is_new_hire": person.startswith("new-hire-"),
                     "is_late": latest_earn - dt.timedelta(days=lead) < day})
    plan = pl.DataFrame(rows, schema={"person_id": pl.String, "certification": pl.String, "cost": pl.Float64,
                                      "lead_days": pl.Int64, "earn_by": pl.Date, "start_by": pl.Date,
                                      "is_new_hire": pl.Boolean, "is_late": pl.Boolean})
    verified = _verify(mine, plan, latest_earn, target_day, rules, area_names)
    if others == "as_is":
        _check(verified, predicted, rules, target_day)
    status = "already qualified" if not rows else "optimal"
    return _result(plan, area_names, chosen, now, (predicted, verified), renewals, cost, status, "", target_day,
                   warnings)


def _infeasible_reason(reasons: list[str], warnings: tuple[str, ...]) -> str:
    """Why no plan exists: each track's reason once, and a gap in the data named as the cause."""
    reason = " / ".join(dict.fromkeys(reasons))
    if warnings:
        reason += f". The cause is in the data, not in skilling: {'; '.join(warnings)}"
    return reason


def _candidate_tracks(summary: pl.DataFrame, rules: Rulebook, areas: list[str],
                      given: Mapping[str, str]) -> dict[str, list[str]]:
    """The tracks to plan for per area: the one asked for; else, where the scores choose the track,
    every track (the kept one first: the partner qualifies when any track does); else the track
    fixed on the target day (override, enrollment or classification)."""
    out = {}
    for a in areas:
        area = rules.area(a)
        if a in given:
            if given[a] not in area.tracks:
                raise PcsError(f"{a} has no track {given[a]!r} (tracks: {', '.join(area.tracks)})")
            out[a] = [given[a]]
            continue
        row = summary.filter(pl.col("area") == a).row(0, named=True)
        follows = pl.select(follows_scores(pl.lit(row["track_basis"]))).item()
        out[a] = [row["track"]] + ([t for t in area.tracks if t != row["track"]] if follows else [])
    return out


def _slots(rules: Rulebook, areas: list[str]) -> tuple[list[_Slot], dict[str, Certification]]:
    """The people slots of the areas' skilling metrics and their certifications by key."""
    slots, certs = [], {}
    for a in areas:
        for metric in rules.area(a).metrics:
            kind = kind_of(metric)
            prerequisites = kind.prerequisites(metric)
            for step, certifications in kind.people_slots(metric):
                slots.append(_Slot(a, metric.name, step, tuple(c.key for c in certifications),
                                   step in prerequisites))
                certs.update({c.key: c for c in certifications})
    return slots, certs


def _fixed_points(scores: pl.DataFrame, data: PartnerData, partner_id: str, rules: Rulebook, area: str, track: str,
                  others: str, day: dt.date, target: dt.date, seed: int) -> tuple[float, list[str]]:
    """The points of the area's non-skilling metrics on `track` on the target day (as the data
    have them, or their forecast median) and those below the per-metric minimum."""
    skilling = [m.name for m in rules.area(area).metrics if m.counts_people]
    if others == "forecast":
        return _forecast_others(data, partner_id, area, track, skilling, day, target, seed, rules)
    rest = scores.filter((pl.col("area") == area) & (pl.col("track") == track) & ~pl.col("metric").is_in(skilling))
    return float(rest["points"].sum()), rest.filter(~pl.col("is_above_minimum"))["metric"].to_list()


def _check(verified: pl.DataFrame, predicted: Mapping[str, float], rules: Rulebook, target: dt.date) -> None:
    """A plan the model calls qualifying must qualify when rescored; anything else is a defect."""
    failed = verified.filter(~pl.col("is_qualified_rescored"))
    if failed.height:
        detail = "; ".join(f"{r['area']}: the model predicts {predicted[r['area']]:.2f} points, rescoring on "
                           f"{target} gives {r['total_rescored']:.2f} ({r['track_rescored']}), not qualified"
                           for r in failed.iter_rows(named=True))
        raise PlanCheckError(f"the optimal plan does not qualify when carried out ({detail}); this is a "
                             "defect of pcs-analysis, please report it with the data")


def _forecast_others(data: PartnerData, partner_id: str, area: str, track: str, skilling: list[str],
                     day: dt.date, target: dt.date, seed: int, rules: Rulebook) -> tuple[float, list[str]]:
    """Median points of the non-skilling metrics on the last refresh day up to the target."""
    from pcs_analysis.analysis.forecasts import forecast

    months = max(1, months_spanned(day, target))
    result = forecast(data, partner_id, as_of=day, areas=[area], months=months, seed=seed, paths=FORECAST_PATHS,
                      rules=rules)
    rows = result.metrics.filter((pl.col("track") == track) & ~pl.col("metric").is_in(skilling)
                                 & (pl.col("refresh_day") <= target))
    if not rows.height:
        raise PcsError(f"no refresh day between {day} and the target {target} to forecast")
    last = rows.filter(pl.col("refresh_day") == rows["refresh_day"].max())
    return float(last["points_p50"].sum()), last.filter(pl.col("share_above_minimum") < 0.5)["metric"].to_list()


def _why_infeasible(rules: Rulebook, areas: list[str], tracks: Mapping[str, str],
                    fixed: Mapping[str, tuple[float, list[str]]], people: int, slots: list[_Slot],
                    holds: set[tuple[str, int]], earnable: Mapping[str, Certification], latest_earn: dt.date) -> str:
    reasons = []
    for i, slot in enumerate(slots):
        if not any(k in earnable for k in slot.keys) and not any(s == i for _, s in holds):
            where = f"{slot.metric} ({slot.step})" if slot.step else slot.metric
            reasons.append(f"{slot.area}: nobody counts in {where} on the target day and none of its "
                           f"certifications can still be earned by {latest_earn} (retired)")
    if reasons:
        return "; ".join(reasons)
    for a in areas:
        area = rules.area(a)
        ceiling = fixed[a][0] + sum(m.max_points for m in area.metrics if m.counts_people)
        if ceiling < area.qualification.min_total_points:
            bar = area.qualification.min_total_points
            reasons.append(f"{a} ({tracks[a]}): the other metrics give {fixed[a][0]:.1f} points, so even full "
                           f"skilling reaches only {ceiling:.1f}, {bar - ceiling:.1f} short of {bar:g} with every "
                           "certification")
    if reasons:
        return "; ".join(reasons)
    on_tracks = ", ".join(f"{a} ({tracks[a]})" for a in areas)
    return (f"{on_tracks}: {people} people cannot hold enough certifications: add staff or new hires "
            "(each person counts once per metric and step)")


def _default_target(data: PartnerData, rules: Rulebook, areas: list[str], day: dt.date, lead: int) -> dt.date:
    """Enrolled: the end of the renewal's window. Otherwise the end of the month in which a
    certification started today (default lead time, skilling lag) first counts."""
    windows = windows_of(data, rules, areas, day)
    enrolled = windows.filter(pl.col("is_enrolled"))
    if enrolled.height:
        return enrolled["window_end"].min()
    ready = day + dt.timedelta(days=lead + rules.refresh.skilling_lag_days)
    return month_end(ready)


def _people(data: PartnerData, at_target, staff: Iterable[str], new_hires: int) -> list[str]:
    known = data.certifications.collect()["person_id"].unique().sort().to_list()
    extra = [s for s in staff if s not in known]
    return known + extra + [f"new-hire-{i + 1}" for i in range(new_hires)]


def _holds(at_target, slots: list[_Slot]) -> set[tuple[str, int]]:
    """(person, slot index) pairs already counting on the target day."""
    people = at_target.people
    out = set()
    if not people.height:
        return out
    counted = people.filter(pl.col("is_counted"))
    for i, slot in enumerate(slots):
        rows = counted.filter((pl.col("area") == slot.area) & (pl.col("metric") == slot.metric))
        if slot.step is not None:
            rows = rows.filter(pl.col("step") == slot.step)
        out |= {(p, i) for p in rows["person_id"].to_list()}
    return out


def _renewals(e: Explanation, certs: Mapping[str, Certification], rules: Rulebook, target: dt.date) -> pl.DataFrame:
    """Certifications of the chosen areas' lists that count today (`e`: today's explanation) and
    stop counting by the target."""
    rows = e.people.filter(pl.col("is_counted")) if e.people.height else e.people
    out = []
    for r in rows.iter_rows(named=True):
        cert = certs.get(rules.certification_key(r["certification"]))
        if cert is None:
            continue
        end = rules.held_until(cert, r["expires_on"])
        if end is not None and end <= target:
            out.append({"person_id": r["person_id"], "certification": r["certification"], "area": r["area"],
                        "metric": r["metric"], "step": r["step"], "stops_counting_on": end,
                        "renew_by": end - dt.timedelta(days=1 + rules.refresh.skilling_lag_days)})
    schema = {"person_id": pl.String, "certification": pl.String, "area": pl.String, "metric": pl.String,
              "step": pl.String, "stops_counting_on": pl.Date, "renew_by": pl.Date}
    return pl.DataFrame(out, schema=schema).unique().sort("stops_counting_on", "person_id", "area", "metric")


@dataclass(frozen=True)
class _Problem:
    """What every track combination of one plan shares."""

    rules: Rulebook
    areas: list[str]
    slots: list[_Slot]
    people: list[str]
    holds: set[tuple[str, int]]
    earnable: Mapping[str, Certification]
    cost_by_key: Mapping[str, float]
    default_cost: float
    hire_costs: Mapping[str, float]
    latest_earn: dt.date
    target: dt.date
    fixed_of: Any
    #: Why the data cannot show the target day's metrics (a missing data month), or "".
    data_gap: str = ""

    def attempt(self, chosen: dict[str, str]):
        """The cheapest plan on these tracks and "", or None and why there is none."""
        fixed = {a: self.fixed_of(a, chosen[a]) for a in self.areas}
        blocked = {a: f[1] for a, f in fixed.items() if f[1]}
        if blocked:
            cause = "" if self.data_gap else ", which no certification changes"
            return None, "; ".join(f"{a} ({chosen[a]}): {', '.join(ms)} below the minimum on {self.target}"
                                   f"{cause}" for a, ms in blocked.items())
        solution = _solve(self.rules, self.areas, chosen, self.slots, fixed, self.people, self.holds, self.earnable,
                          self.cost_by_key, self.default_cost, self.hire_costs)
        if solution is None:
            return None, _why_infeasible(self.rules, self.areas, chosen, fixed, len(self.people), self.slots,
                                         self.holds, self.earnable, self.latest_earn)
        return solution, ""


class _Model:
    """A mixed-integer linear program built variable by variable and row by row."""

    def __init__(self):
        self.names: list[str] = []
        self.index: dict[tuple, int] = {}
        self.continuous: set[int] = set()
        self.rows: list[dict[int, float]] = []
        self.low: list[float] = []
        self.high: list[float] = []

    def var(self, *key, continuous: bool = False) -> int:
        """The variable named `key` (binary unless `continuous`: then 0 or more)."""
        if key not in self.index:
            self.index[key] = len(self.names)
            self.names.append(str(key))
            if continuous:
                self.continuous.add(self.index[key])
        return self.index[key]

    def constrain(self, coefs: dict[int, float], low: float, high: float) -> None:
        """low <= sum(coef x var) <= high."""
        self.rows.append(coefs)
        self.low.append(low)
        self.high.append(high)

    def solve(self, cost: dict[int, float]):
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.names)
        integer, upper = np.ones(n), np.ones(n)
        for j in self.continuous:
            integer[j], upper[j] = 0, np.inf
        matrix = np.zeros((len(self.rows), n))
        for i, coefs in enumerate(self.rows):
            for j, v in coefs.items():
                matrix[i, j] += v
        c = np.zeros(n)
        for j, v in cost.items():
            c[j] = v
        return milp(c, integrality=integer, bounds=Bounds(np.zeros(n), upper),
                    constraints=LinearConstraint(matrix, np.array(self.low), np.array(self.high)),
                    options={"mip_rel_gap": 0.0, "presolve": True})


def _solve(rules: Rulebook, areas: list[str], tracks: Mapping[str, str], slots: list[_Slot],
           fixed: Mapping[str, tuple[float, list[str]]], people: list[str], holds: set[tuple[str, int]],
           earnable: Mapping[str, Certification], cost_by_key: Mapping[str, float], default_cost: float,
           person_costs: Mapping[str, float]):
    """The MILP. Returns ([(person, certification key)], cost, predicted points per area) or None.

    x[p, c]: person p earns certification c; y[p, s]: p counts in slot s (holding, or earning, one
    of its certifications); hire[p]; per skilling metric its points `pts` and the points `w` of its
    scoring step; z[s]: prerequisite step s is met.
    """
    cert_keys = sorted({k for s in slots for k in s.keys if k in earnable})
    model = _Model()
    x = {(p, c): model.var("x", p, c) for p in people for c in cert_keys}
    y = {(p, i): model.var("y", p, i) for p in people for i in range(len(slots))}
    hires = {p: model.var("hire", p) for p in person_costs}
    by_metric: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(slots):
        by_metric.setdefault((s.area, s.metric), []).append(i)
    for a, m in sorted(by_metric, key=lambda k: (k[0], k[1])):
        model.var("pts", a, m, continuous=True)
        model.var("w", a, m, continuous=True)
    z = {i: model.var("z", i) for i, s in enumerate(slots) if s.prerequisite}
    # y[p, s] <= held(p, s) + sum of x[p, c] over the slot's earnable certifications.
    for p in people:
        for i, s in enumerate(slots):
            coefs = {y[(p, i)]: 1.0, **{x[(p, c)]: -1.0 for c in s.keys if c in earnable}}
            model.constrain(coefs, -np.inf, 1.0 if (p, i) in holds else 0.0)
    # A hire's certifications need the hire.
    for p, hire in hires.items():
        for c in cert_keys:
            model.constrain({x[(p, c)]: 1.0, hire: -1.0}, -np.inf, 0.0)
    for (a, m), slot_ids in by_metric.items():
        _metric_points(model, rules.area(a).metric(m), tracks[a], a, slot_ids, slots, people, y, z)
    predicted_terms = {a: _area_qualifies(model, rules.area(a).qualification, a, by_metric, fixed[a][0])
                       for a in areas}
    cost = {x[(p, c)]: cost_by_key.get(c, default_cost) for p in people for c in cert_keys}
    cost.update({hires[p]: c for p, c in person_costs.items()})
    result = model.solve(cost)
    if result.status != 0 or result.x is None:
        return None
    pairs = sorted((p, c) for p in people for c in cert_keys if result.x[x[(p, c)]] > 0.5)
    predicted = {a: fixed[a][0] + sum(result.x[j] for j in predicted_terms[a]) for a in areas}
    return pairs, float(round(result.fun, 9)), predicted


def _metric_points(model: _Model, metric, track: str, a: str, slot_ids: list[int], slots: list[_Slot],
                   people: list[str], y: Mapping, z: Mapping) -> None:
    """A skilling metric's points as scoring gives them: linear in the people of its (scoring)
    slot, capped at the maximum; with prerequisite steps, each met step's points and the scoring
    step's points only when every step is met."""
    rule = metric.tracks[track]
    rate = metric.max_points / rule.options[0].full_marks_at
    pts, w = model.index[("pts", a, metric.name)], model.index[("w", a, metric.name)]
    model.constrain({pts: 1.0}, -np.inf, metric.max_points)
    if len(slot_ids) == 1:  # no prerequisite steps
        (i,) = slot_ids
        model.constrain({pts: 1.0, **{y[(p, i)]: -rate for p in people}}, -np.inf, 0.0)
        model.constrain({w: 1.0}, 0.0, 0.0)
        return
    kind = kind_of(metric)
    needs = kind.step_needs(metric, track)
    steps = [i for i in slot_ids if slots[i].prerequisite]
    (scoring,) = [i for i in slot_ids if not slots[i].prerequisite]
    for i in steps:
        # z = 1 only with enough people in the step.
        model.constrain({**{y[(p, i)]: 1.0 for p in people}, z[i]: -float(needs[slots[i].step])}, 0.0, np.inf)
        model.constrain({w: 1.0, z[i]: -metric.max_points}, -np.inf, 0.0)
    model.constrain({w: 1.0, **{y[(p, scoring)]: -rate for p in people}}, -np.inf, 0.0)
    step_points = kind.step_points(metric, track)
    model.constrain({pts: 1.0, w: -1.0, **{z[i]: -step_points for i in steps}}, -np.inf, 0.0)


def _area_qualifies(model: _Model, q, a: str, by_metric: Mapping[tuple[str, str], list[int]],
                    fixed_points: float) -> list[int]:
    """The area qualifies (scoring's rule: the total reaches the bar, every metric the minimum);
    returns the variables of its skilling points."""
    terms = [model.index[("pts", x, m)] for (x, m) in by_metric if x == a]
    model.constrain({j: 1.0 for j in terms}, q.min_total_points - fixed_points - 1e-9, np.inf)
    margin = 1e-6 if q.min_metric_comparison == "gt" else 0.0
    for j in terms:
        model.constrain({j: 1.0}, q.min_metric_points + margin, np.inf)
    return terms


def _verify(data: PartnerData, plan: pl.DataFrame, earned: dt.date, target: dt.date, rules: Rulebook,
            areas: list[str]) -> pl.DataFrame:
    """Rescore with the plan's certifications added (earned on the latest day that counts)."""
    certs = data.certifications.collect()
    pid = data.partner_ids()[0]
    extra = pl.DataFrame({"partner_id": [pid] * plan.height, "person_id": plan["person_id"],
                          "certification": plan["certification"], "earned_on": [earned] * plan.height,
                          "expires_on": [None] * plan.height}, schema=certs.schema)
    changed = dataclasses.replace(data, certifications=pl.concat([certs, extra]).lazy())
    after = score(changed, as_of=target, rules=rules, areas=areas)
    return after.summary.select("area", pl.col("track").alias("track_rescored"),
                                pl.col("total").alias("total_rescored"),
                                pl.col("is_qualified").alias("is_qualified_rescored"))


def _result(plan, areas, chosen, now, checked, renewals, cost, status, reason, target,
            warnings=()) -> CertificationPlan:
    # Today's total and qualification on the planned track (the kept one or the other one).
    table = pl.DataFrame({"area": areas, "track": [chosen[a] for a in areas]}).join(
        now.summary.select("area", pl.col("track").alias("kept"), "total", "is_qualified", "other_track",
                           "other_track_total", "other_track_is_qualified"), on="area", how="left")
    is_kept = pl.col("track") == pl.col("kept")
    is_other = pl.col("track") == pl.col("other_track")
    table = table.select(
        "area", "track",
        pl.when(is_kept).then("total").when(is_other).then("other_track_total").alias("total_now"),
        pl.when(is_kept).then("is_qualified").when(is_other).then("other_track_is_qualified")
        .alias("is_qualified_now"))
    if checked is not None:
        _, verified = checked
        table = table.join(verified, on="area", how="left")
    if plan is None or not plan.height:
        plan = pl.DataFrame(schema={"person_id": pl.String, "certification": pl.String, "cost": pl.Float64,
                                    "lead_days": pl.Int64, "earn_by": pl.Date, "start_by": pl.Date,
                                    "is_new_hire": pl.Boolean, "is_late": pl.Boolean})
    return CertificationPlan(plan=plan, areas=table, renewals=renewals, cost=cost, status=status, reason=reason,
                             target=target, warnings=tuple(warnings))
