"""Monte Carlo forecast: the chance that a partner qualifies in the coming months.

The engine gives the state: each metric's counted tenants, users or revenue in every month of the
past year (the baselines of the coming months are those months), and the people who will still
hold valid certifications on each coming refresh day (known expiries and retirements). The
simulation moves only what is uncertain, vectorized over paths:

- counts (customers, deployments, services): each month, new ones arrive (Poisson, the
  partner's mean monthly arrivals over the past year) and each counted one is lost with the
  partner's monthly loss rate (binomial);
- sums (active users, revenue, consumption): each month they grow by a lognormal factor with the
  mean and spread of the partner's past monthly log-changes;
- people: each counted person leaves with a monthly attrition probability, and newly certified
  people arrive at the partner's past yearly pace (Poisson).

Rates come from the partner's own year when it has enough of it (at least six months with
data), else from `Rates` defaults; any rate can be overridden. Points, totals, the per-metric
minimum and the track are then computed by the engine's points stage, month by month and path
by path. Same inputs and seed, same result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pcs_analysis.analysis.status import qualification
from pcs_analysis.engine.points import (
    TOTAL_DECIMALS,
    above_minimum,
    follows_scores,
    metric_points,
    qualifies,
    tracks_in_order,
)
from pcs_analysis.engine.scoring import ScoreResult, score
from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.kinds.frames import YEAR
from pcs_analysis.rules.periods import (
    month_index,
    month_start,
    parse_date,
    published_on,
    refresh_days_after,
    scored_month,
)


@dataclass(frozen=True)
class Rates:
    """Monthly rates; None: estimated from the partner's history (or the default when the
    history is too short)."""

    arrivals: float | None = None          # new counted units per month (customers, deployments)
    losses: float | None = None            # share of counted units lost per month
    growth_mean: float | None = None       # mean monthly log-change of users / revenue
    growth_sd: float | None = None         # its standard deviation
    attrition: float = 0.01                # share of certified people leaving per month
    new_people: float | None = None        # newly certified people per month (per metric)
    default_losses: float = 0.02
    default_growth_sd: float = 0.05


@dataclass(frozen=True)
class Forecast:
    """Attributes
    ----------
    chances
        Per area: `probability`, the chance of qualifying on at least one day of the window (1
        when the partner already qualified on a past day of it, else the share of paths
        qualifying in a coming month), `already_qualified` and `probability_coming_months`.
    months
        Per area and coming refresh day: the data month, the share of paths qualifying, and the
        10th, 50th and 90th percentiles of the total (kept track).
    zeros
        Per area and metric: the share of path-months in which it is at or below the per-metric
        minimum.
    rates
        The rates used per area and metric (estimated or given).
    metrics
        Per area, refresh day, track and metric: the median points and the share of paths in
        which the metric is above the per-metric minimum.

    `probability`, `already_qualified` and `probability_coming_months` read `chances` of a
    forecast of one area.
    """

    chances: pl.DataFrame
    months: pl.DataFrame
    zeros: pl.DataFrame
    rates: pl.DataFrame
    metrics: pl.DataFrame

    def _one(self, column: str):
        if self.chances.height != 1:
            raise ValueError(f"a forecast of {self.chances.height} areas: read `chances` for each area's {column}")
        return self.chances[column][0]

    @property
    def probability(self) -> float:
        return self._one("probability")

    @property
    def already_qualified(self) -> bool:
        return self._one("already_qualified")

    @property
    def probability_coming_months(self) -> float:
        return self._one("probability_coming_months")


def forecast(data: PartnerData, partner_id: str, *, as_of: dt.date | str, areas: Iterable[str] | None = None,
             paths: int = 10_000, seed: int = 0, months: int | None = None, rates: Rates | None = None,
             rules: Rulebook | None = None, lag: bool = True) -> Forecast:
    """Simulate the coming months of one partner, area by area (each area with its own random
    stream from `seed`, so an area's forecast does not depend on the others asked with it).

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
    paths : int, default 10_000
        Monte Carlo paths.
    seed : int, default 0
        The random seed: the same seed gives the same forecast.
    months : int, optional
        Refresh days to simulate (default: to the end of the enrolled window, else 6).
    rates : Rates, optional
        Arrival, loss, growth and attrition rates (default: estimated from the partner's past year).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).

    Returns
    -------
    Forecast
        Per area the chances of qualifying, per coming refresh day, per-metric medians and the
        rates used.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> f = forecast(read_data(SAMPLE_DIR), "P005", as_of="2026-11-21", areas=["modern_work"], paths=500, seed=1)
    >>> 0 <= f.probability_coming_months <= 1, f.months.height
    (True, 6)
    """
    rules = rules or load_rules()
    rates = rates or Rates()
    day = parse_date(as_of)
    data.require_partners([partner_id])
    if paths < 1:
        raise PcsError("paths must be at least 1")
    mine = data.only_partners([partner_id])
    area_names = list(areas) if areas is not None else list(rules.areas)
    # Every area scored at once: today, and the past year (one day per data month M-11 .. M,
    # the day each was published).
    status = qualification(mine, as_of=day, rules=rules, areas=area_names, lag=lag).status
    now = score(mine, as_of=day, rules=rules, areas=area_names, lag=lag)
    data_month = month_index(now.summary["month"][0])
    past_days = [published_on(m, rules.refresh) for m in range(data_month - YEAR + 1, data_month + 1)]
    past = score(mine, as_of=past_days, rules=rules, areas=area_names, lag=lag)
    each = [_area_forecast(mine, partner_id, area, day, paths, seed, months, rates, rules, lag,
                           status.filter(pl.col("area") == area).row(0, named=True), now, past, data_month)
            for area in area_names]

    def tagged(name: str) -> pl.DataFrame:
        return pl.concat([getattr(f, name).select(pl.lit(a).alias("area"), pl.all()) for a, f in
                          zip(area_names, each, strict=True)], how="diagonal_relaxed")

    return Forecast(chances=tagged("chances"), months=tagged("months"), zeros=tagged("zeros"),
                    rates=tagged("rates"), metrics=tagged("metrics"))


def _area_forecast(mine: PartnerData, partner_id: str, area: str, day: dt.date, paths: int, seed: int,
                   months: int | None, rates: Rates, rules: Rulebook, lag: bool, status: dict, now: ScoreResult,
                   past: ScoreResult, data_month: int) -> Forecast:
    """The forecast of one area (`status`, `now` and `past`: the area's window today, and the
    scores of today and of the past year)."""
    area_rules = rules.area(area)
    future = _refresh_days(day, status, months, rules)
    if not future:
        raise PcsError("no refresh day between as_of and the end of the window")
    rng = np.random.default_rng(seed)
    future_months = [scored_month(d, rules.refresh, lag=lag) for d in future]
    options = now.option_values.filter(pl.col("area") == area).select(
        "track", "metric", "option", "max_points", "full_marks_at", "combine", "metric_order", "track_order",
        "option_order")
    # The coming refresh days scored once (the people who will still count then).
    coming = (score(mine, as_of=future, rules=rules, areas=[area], lag=lag)
              if any(m.counts_people for m in area_rules.metrics) else None)
    frames, rate_rows = [], []
    for metric in area_rules.metrics:
        if metric.counts_people:
            frame, used = _people(mine, metric, coming, future, day, rules, area, rng, paths, rates)
        else:
            frame, used = _usage(metric, past, area, data_month, future_months, rng, paths, rates)
        frames.append(frame)
        rate_rows += used
    values = pl.concat(frames, how="diagonal_relaxed").join(options, on=["track", "metric", "option"], how="inner",
                                                            nulls_equal=True)
    points = metric_points(values.with_columns(pl.lit(partner_id).alias("partner_id")),
                            area_rules.qualification, ["path", "k"])
    return _summarize(points, area_rules, now.summary.filter(pl.col("area") == area).row(0, named=True), status,
                      future, future_months, paths, rate_rows)


#: Refresh days a forecast simulates when it has no window end to run to (`months` not given and
#: the partner not enrolled in the area), and at most in any case (two years of monthly refreshes).
DEFAULT_MONTHS = 6
MAX_MONTHS = 24


def _refresh_days(day: dt.date, status: dict, months: int | None, rules: Rulebook) -> list[dt.date]:
    """The refresh days to simulate: `months` of them, else those to the end of an enrolled
    partner's window, else `DEFAULT_MONTHS`; never more than `MAX_MONTHS` + 1."""
    end = status["window_end"] if status["is_enrolled"] and months is None else None
    count = months if months is not None else DEFAULT_MONTHS
    days: list[dt.date] = []
    for on in refresh_days_after(day, rules.refresh):
        if (end is not None and on > end) or (end is None and len(days) >= count) or len(days) > MAX_MONTHS:
            break
        days.append(on)
    return days


def _usage(metric, past, area: str, data_month: int, future_months: list[int], rng: np.random.Generator, paths: int,
           rates: Rates) -> tuple[pl.DataFrame, list[dict]]:
    """Simulated values of a usage metric (or of each of its parts)."""
    rows = past.contributions[area][metric.name]
    contributions = rows.filter((pl.col("period") == "current") & pl.col("is_counted")).collect()
    # The baselines of the data month's score (some kinds measure a customer from its association).
    baselines = rows.filter((pl.col("period") == "baseline") & pl.col("is_counted")
                            & (pl.col("as_of") == pl.col("as_of").max())).collect()
    frames, used = [], []
    for leaf in metric.leaves():
        rows = contributions.filter(pl.col("option") == leaf.name) if metric.composite else contributions
        for track, rule in leaf.tracks.items():
            for option in rule.options:
                name = leaf.name if metric.composite else option.name
                this = (pl.col("track") == track) & pl.col("option").eq_missing(pl.lit(name, pl.String))
                mine = rows.filter(this)
                frame, info = _simulate_usage(leaf, mine, data_month, future_months, rng, paths, rates, track,
                                              baselines.filter(this))
                frames.append(frame.with_columns(pl.lit(track).alias("track"), pl.lit(metric.name).alias("metric"),
                                                 pl.lit(name, pl.String).alias("option")))
                used.append({"metric": metric.name, "part_or_option": name, "track": track, **info})
    return pl.concat(frames), used


def _simulate_usage(leaf, rows: pl.DataFrame, data_month: int, future_months: list[int], rng, paths: int,
                    rates: Rates, track: str, baselines: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    # The months up to the data month back to the first baseline the future months compare with
    # (the coming months M+1.. compare with M-11..; the data month itself with M-12).
    history = list(range(min(future_months) - YEAR if future_months else data_month - YEAR + 1, data_month + 1))
    by_month = {m: part for (m,), part in rows.group_by("month_index")}
    unit = ["tenant_id", "workload"] if "workload" in rows.columns and rows["workload"].null_count() < rows.height \
        else ["tenant_id"]
    # fsum: exact, so the same rows in another order give the same forecast to the last bit
    sums = np.array([math.fsum(by_month[m]["contribution"].to_list()) if m in by_month else 0.0 for m in history])
    k = len(future_months)
    rule = leaf.tracks[track]
    kind = kind_of(leaf)
    if kind.forecast_sums:
        ratios = [math.log(b / a) for a, b in zip(sums[:-1], sums[1:], strict=True) if a > 0 and b > 0]
        enough = len(ratios) >= 5
        mean = rates.growth_mean if rates.growth_mean is not None else (float(np.mean(ratios)) if enough else 0.0)
        sd = rates.growth_sd if rates.growth_sd is not None else (
            float(np.std(ratios, ddof=1)) if enough else rates.default_growth_sd)
        steps = rng.normal(mean, sd, size=(paths, k)) if sd > 0 else np.full((paths, k), mean)
        current = sums[-1] * np.exp(np.cumsum(steps, axis=1))
        info = {"model": "lognormal growth", "growth_mean": mean, "growth_sd": sd, "estimated": enough}
    else:
        sets = [set(map(tuple, by_month[m].select(unit).rows())) if m in by_month else set() for m in history]
        arrivals = [len(b - a) for a, b in zip(sets[:-1], sets[1:], strict=True)]
        exposed = sum(len(a) for a in sets[:-1])
        lost = sum(len(a - b) for a, b in zip(sets[:-1], sets[1:], strict=True))
        enough = sum(1 for s in sets if s) >= 6
        lam = rates.arrivals if rates.arrivals is not None else (float(np.mean(arrivals)) if enough else 0.0)
        p = rates.losses if rates.losses is not None else (
            lost / exposed if enough and exposed else rates.default_losses)
        current = np.empty((paths, k))
        level = np.full(paths, float(len(sets[-1])))
        for i in range(k):
            gone = rng.binomial(level.astype(np.int64), min(max(p, 0.0), 1.0)) if p > 0 else 0
            come = rng.poisson(lam, size=paths) if lam > 0 else 0
            level = level - gone + come
            current[:, i] = level
        info = {"model": "arrivals and losses", "arrivals": lam, "losses": p, "estimated": enough}
    baseline = np.array([sums[history.index(m - YEAR)] if (m - YEAR) in history else 0.0 for m in future_months])
    baseline = baseline + kind.forecast_baseline(leaf, baselines, future_months)
    value, is_open = kind.forecast_value(leaf, rule, baseline, current)
    frame = pl.DataFrame({
        "path": np.repeat(np.arange(paths), k), "k": np.tile(np.arange(k), paths),
        "value": value.reshape(-1), "is_open": np.asarray(is_open).reshape(-1),
        "base_points": np.zeros(paths * k),
    })
    return frame, info


def _people(data: PartnerData, metric, coming: ScoreResult, future: list[dt.date], day: dt.date, rules: Rulebook,
            area: str, rng, paths: int, rates: Rates) -> tuple[pl.DataFrame, list[dict]]:
    """People counted on each coming refresh day (known expiries, `coming`: the scores of those
    days), thinned by attrition, plus newly certified people."""
    counted = coming.contributions[area][metric.name].filter(pl.col("is_counted")).collect()
    kind = kind_of(metric)
    # The metric's people slots (prerequisite steps first); newly certified people arrive in the
    # last, where the points are scored.
    labels = [label for label, _ in kind.people_slots(metric)]
    keys = [c.key for c in metric.certifications]
    certs = data.certifications.collect()
    recent = certs.with_columns(rules.certification_key_expr(pl.col("certification")).alias("key")).filter(
        pl.col("key").is_in(keys) & (pl.col("earned_on") > day - dt.timedelta(days=365))
        & (pl.col("earned_on") <= day))["person_id"].n_unique()
    new_rate = rates.new_people if rates.new_people is not None else recent / 12
    k = len(future)
    columns = {}
    for label in labels:
        part = counted if label is None else counted.filter(pl.col("step") == label)
        known = np.array([part.filter(pl.col("as_of") == d)["person_id"].n_unique() for d in future], dtype=np.int64)
        survive = (1 - rates.attrition) ** np.arange(1, k + 1)
        kept = rng.binomial(np.broadcast_to(known, (paths, k)), np.broadcast_to(survive, (paths, k)))
        if label == labels[-1] and new_rate > 0:
            kept = kept + np.cumsum(rng.poisson(new_rate, size=(paths, k)), axis=1)
        columns[label or "value"] = kept.reshape(-1)
    base = pl.DataFrame({"path": np.repeat(np.arange(paths), k), "k": np.tile(np.arange(k), paths), **columns})
    frame = kind.people_values(base.lazy(), metric, ["path", "k"]).collect()
    info = [{"metric": metric.name, "part_or_option": None, "track": None, "model": "attrition and new people",
             "attrition": rates.attrition, "new_people": new_rate, "estimated": rates.new_people is None}]
    return frame, info


def _summarize(points: pl.DataFrame, area, now: dict, status: dict, future: list[dt.date], future_months: list[int],
               paths: int, rate_rows: list[dict]) -> Forecast:
    q = area.qualification
    minimum = above_minimum(pl.col("points"), q)
    per_track = points.group_by("path", "k", "track").agg(
        pl.col("points").sum().round(TOTAL_DECIMALS).alias("total"), minimum.all().alias("all_above"))
    per_track = per_track.with_columns(qualifies(pl.col("total"), pl.col("all_above"), q).alias("is_qualified"))
    follows = pl.select(follows_scores(pl.lit(now["track_basis"]))).item()
    fixed = None if follows else now["track"]
    order = {t: i for i, t in enumerate(area.tracks)}
    ranked = per_track.with_columns(
        (pl.col("track") == fixed if fixed else pl.lit(False)).alias("is_fixed"),
        pl.col("track").replace_strict(order, return_dtype=pl.Int32).alias("track_order"))
    kept = tracks_in_order(ranked, ["path", "k"], ["is_fixed"]).group_by("path", "k", maintain_order=True).first()
    coming = kept.group_by("path").agg(pl.col("is_qualified").any())["is_qualified"].mean()
    already = bool(status["days_qualified"] > 0)
    months = kept.group_by("k").agg(
        pl.col("is_qualified").mean().alias("share_qualified"),
        pl.col("total").quantile(0.1, "nearest").alias("total_p10"),
        pl.col("total").quantile(0.5, "nearest").alias("total_p50"),
        pl.col("total").quantile(0.9, "nearest").alias("total_p90")).sort("k")
    months = months.with_columns(
        pl.col("k").replace_strict(dict(enumerate(future)), return_dtype=pl.Date).alias("refresh_day"),
        pl.col("k").replace_strict({i: month_start(m) for i, m in enumerate(future_months)}, return_dtype=pl.Date)
        .alias("data_month")).select("refresh_day", "data_month", "share_qualified", "total_p10", "total_p50",
                                     "total_p90")
    kept_points = points.join(kept.select("path", "k", "track"), on=["path", "k", "track"])
    zeros = kept_points.group_by("metric").agg((~minimum).mean().alias("share_at_zero")).sort(
        ["share_at_zero", "metric"], descending=[True, False])
    rates_table = pl.DataFrame(rate_rows, infer_schema_length=None)
    probability = 1.0 if already else float(coming)
    metrics = points.group_by("k", "track", "metric").agg(
        pl.col("points").median().alias("points_p50"), minimum.mean().alias("share_above_minimum")).with_columns(
        pl.col("k").replace_strict(dict(enumerate(future)), return_dtype=pl.Date).alias("refresh_day")
    ).sort("k", "track", "metric").drop("k")
    chances = pl.DataFrame({"probability": [probability], "already_qualified": [already],
                            "probability_coming_months": [float(coming)]})
    return Forecast(chances=chances, months=months, zeros=zeros, rates=rates_table, metrics=metrics)

