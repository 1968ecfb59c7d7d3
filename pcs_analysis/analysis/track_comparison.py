"""Track choice: one partner's tracks side by side, what each kind of action is worth on each,
and a short path to qualification on each.

Everything is measured with the engine: the marginal points are the recommendations' measured
actions, and the path applies the best action, rescores, and repeats (a greedy path: each step
is the action with the most points per unit of cost, an action that lifts a metric at zero
first, until the track qualifies or nothing helps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from pcs_analysis.analysis.recommendations import apply_candidate, measured_actions
from pcs_analysis.engine.scoring import score
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.periods import parse_date

#: Default cost of one action of each kind (override per kind; unlisted kinds cost 1).
DEFAULT_COSTS: Mapping[str, float] = {}


@dataclass(frozen=True)
class TrackChoice:
    """Attributes
    ----------
    side_by_side
        One row per area x metric: value and points on each track, and each track's total.
    marginal
        One row per area x track x action kind: the most points one such action adds.
    paths
        One row per area x track x step: the action taken, its cost, the track total and
        whether the track qualifies after it.
    """

    side_by_side: pl.DataFrame
    marginal: pl.DataFrame
    paths: pl.DataFrame


def track_choice(data: PartnerData, partner_id: str, *, as_of: dt.date | str, areas: Iterable[str] | None = None,
                 rules: Rulebook | None = None, costs: Mapping[str, float] | None = None, max_steps: int = 12,
                 lag: bool = True) -> TrackChoice:
    """Compare the tracks of every area (with two tracks) for one partner.

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    partner_id : str
        The partner to look at; an unknown id is an `UnknownPartnerError`.
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    areas : list of str, optional
        The solution areas (default: every area of the rulebook).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    costs : mapping of str to float, optional
        Cost of one action of each kind (default 1).
    max_steps : int, default 12
        Actions taken at most on each track's path.
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).

    Returns
    -------
    TrackChoice
        Both tracks side by side, and each track's cheapest path to qualifying.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> t = track_choice(read_data(SAMPLE_DIR), "P005", as_of="2026-11-21", areas=["modern_work"])
    >>> t.paths.filter(t.paths["track"] == "smb")["is_qualified"].to_list()[-1]
    True
    """
    day = parse_date(as_of)
    rules = (rules or load_rules()).on(day)   # the rules in force that day
    data.require_partners([partner_id])
    mine = data.only_partners([partner_id])
    area_names = [a for a in (areas if areas is not None else rules.areas) if len(rules.area(a).tracks) > 1]
    costs = {**DEFAULT_COSTS, **(costs or {})}
    base = score(mine, as_of=day, rules=rules, areas=area_names, lag=lag)
    side = _side_by_side(base.scores, base.summary)
    marginal, paths = [], []
    for area in area_names:
        candidates, measured = measured_actions(mine, as_of=day, area=area, rules=rules, lag=lag)
        if measured.height:
            marginal.append(measured.filter(pl.col("type") == "action").group_by("area", "track", "kind").agg(
                pl.col("points_change").max().alias("best_points"), pl.len().alias("candidates"))
                .sort("track", "best_points", descending=[False, True]))
        for track in rules.area(area).tracks:
            paths.append(_path(mine, area, track, day, rules, costs, max_steps, lag))
    empty = pl.DataFrame(schema={"area": pl.String, "track": pl.String, "kind": pl.String,
                                 "best_points": pl.Float64, "candidates": pl.UInt32})
    return TrackChoice(side_by_side=side, marginal=pl.concat(marginal) if marginal else empty,
                       paths=pl.concat(paths, how="diagonal_relaxed"))


def _side_by_side(scores: pl.DataFrame, summary: pl.DataFrame) -> pl.DataFrame:
    wide = scores.pivot(on="track", index=["area", "metric", "category", "max_points"],
                        values=["value", "points"], aggregate_function="first")
    totals = summary.select("area", pl.col("track").alias("kept_track"), "track_basis")
    return wide.join(totals, on="area", how="left")


def _path(data: PartnerData, area: str, track: str, day: dt.date, rules: Rulebook, costs: Mapping[str, float],
          max_steps: int, lag: bool) -> pl.DataFrame:
    rows = []
    current = data
    total_cost = 0.0
    taken: tuple[str | None, str | None] = (None, None)  # the action of the step, and its kind
    for step in range(max_steps + 1):
        state = _track_state(current, area, track, day, rules, lag)
        rows.append({"area": area, "track": track, "step": step, "action": taken[0], "kind": taken[1],
                     "cost": total_cost, "total": state["total"], "is_qualified": state["is_qualified"],
                     "missing_metrics": state["missing"]})
        if state["is_qualified"] or step == max_steps:
            break
        candidates, measured = measured_actions(current, as_of=day, area=area, rules=rules, lag=lag)
        if not measured.height:
            break
        options = measured.filter((pl.col("type") == "action") & (pl.col("track") == track))
        if not options.height:
            break
        missing = [m for m in (state["missing"] or "").split(";") if m]
        options = options.with_columns(
            pl.col("kind").replace_strict(dict(costs), default=1.0, return_dtype=pl.Float64).alias("cost"),
            pl.col("metric").str.split(" ").list.first().str.strip_chars(",").is_in(missing).alias("lifts"))
        options = options.with_columns((pl.col("points_change") / pl.col("cost")).alias("per_cost"))
        best = options.sort(["lifts", "per_cost", "candidate"], descending=[True, True, False]).row(0, named=True)
        chosen = candidates[best["candidate"]]
        taken = (best["recommendation"], best["kind"])
        total_cost += best["cost"]
        current = apply_candidate(current, chosen, as_of=day, rules=rules, lag=lag)
    return pl.DataFrame(rows, schema={"area": pl.String, "track": pl.String, "step": pl.Int64, "action": pl.String,
                                      "kind": pl.String, "cost": pl.Float64, "total": pl.Float64,
                                      "is_qualified": pl.Boolean, "missing_metrics": pl.String})


def _track_state(data: PartnerData, area: str, track: str, day: dt.date, rules: Rulebook, lag: bool) -> dict:
    result = score(data, as_of=day, rules=rules, areas=[area], lag=lag)
    summary = result.summary.row(0, named=True)
    if summary["track"] == track:
        return {"total": summary["total"], "is_qualified": summary["is_qualified"],
                "missing": summary["missing_metrics"]}
    on_track = result.scores.filter(pl.col("track") == track)
    missing = ";".join(on_track.filter(~pl.col("is_above_minimum"))["metric"].to_list())
    return {"total": summary["other_track_total"], "is_qualified": summary["other_track_is_qualified"],
            "missing": missing}
