"""Explanations: the tenant-level and person-level rows behind every metric of a partner.

They are the very contribution rows the scores are summed from (see `metrics`), restricted to
one partner, with each reason code turned into a sentence, plus the usage rows no metric could
use (ineligible workload or association type).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import polars as pl

from pcs_analysis.engine.scoring import ScoreResult, score
from pcs_analysis.inputs.customers import customer_labels
from pcs_analysis.inputs.prepare import prepare_usage
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import AreaRules, Metric, Rulebook, load_rules
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.kinds.frames import YEAR
from pcs_analysis.rules.kinds.tenants import area_usage_rows, eligible_workload_expr
from pcs_analysis.rules.periods import month_start_expr, parse_date, snapshots


@dataclass(frozen=True)
class Explanation:
    """Everything behind one partner's scores on one day.

    Attributes
    ----------
    result
        The partner's scores and summary (a `ScoreResult` of this partner alone).
    tenants
        One row per tenant (x workload for usage growth) x metric x track x option x period:
        whether it counted, why not, and what it added to the metric's value.
    people
        One row per person x eligible certification x metric: whether it counted and why not.
    ignored
        Usage rows of the scored and baseline months that no option of a metric accepts, with
        the reason (workload or association type not eligible).
    steps
        One row per prerequisite step x metric x track: the people counted in it, the people it
        needs and how many it lacks (a metric's points need every step met).
    """

    partner_id: str
    as_of: dt.date
    result: ScoreResult
    tenants: pl.DataFrame
    people: pl.DataFrame
    ignored: pl.DataFrame
    steps: pl.DataFrame = dataclasses.field(default_factory=lambda: pl.DataFrame(schema=STEP_COLUMNS))


def explain(data: PartnerData, partner_id: str, *, as_of: dt.date | str,
            rules: Rulebook | None = None, areas: list[str] | None = None,
            lag: bool = True) -> Explanation:
    """Explain one partner's score: which tenant and person counted where, and why not.

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    partner_id : str
        The partner to look at; an unknown id is an `UnknownPartnerError`.
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
    Explanation
        The score and its contribution rows (tenants and people) with the reason of each.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> data = read_data(SAMPLE_DIR)
    >>> e = explain(data, data.partner_ids()[0], as_of="2026-11-21")
    >>> {"metric", "tenant_id", "is_counted", "why"} <= set(e.tenants.columns)
    True
    """
    return explain_days(data, partner_id, [as_of], rules=rules, areas=areas, lag=lag)[0]


def explain_days(data: PartnerData, partner_id: str, days: list[dt.date | str], *,
                 rules: Rulebook | None = None, areas: list[str] | None = None,
                 lag: bool = True) -> list[Explanation]:
    """`explain` on several days (in the order given), from one scoring pass over the days."""
    days = [parse_date(d) for d in days]
    rules = rules or load_rules()
    first, last = min(days), max(days)
    if any(first < change <= last for change in rules.change_days()):
        # the rules change between the days: each day under its own
        return [explain_days(data, partner_id, [d], rules=rules, areas=areas, lag=lag)[0] for d in days]
    rules = rules.on(first)   # the rules in force on the days
    data.require_partners([partner_id])
    mine = data.only_partners([partner_id])
    area_names = list(areas) if areas is not None else list(rules.areas)
    unique = sorted(set(days))
    result = score(mine, as_of=unique, rules=rules, areas=area_names, lag=lag)
    points_in_time = snapshots(unique, rules.refresh, lag=lag)
    usage = prepare_usage(mine, rules).collect().lazy()
    tenants, people = contribution_reasons(result, rules, area_names, customers=customer_labels(mine.usage))
    ignored = [_ignored_rows(usage, rules.area(name), points_in_time) for name in area_names]
    ignored = pl.concat(ignored).collect() if ignored else pl.DataFrame()
    if len(unique) == 1:
        return [Explanation(partner_id=partner_id, as_of=unique[0], result=result, tenants=tenants, people=people,
                            ignored=ignored, steps=step_requirements(people, rules, area_names))] * len(days)
    out = {}
    for day in unique:
        mine_people = _rows_on(people, day)
        out[day] = Explanation(partner_id=partner_id, as_of=day, result=_on_day(result, day),
                               tenants=_rows_on(tenants, day), people=mine_people, ignored=_rows_on(ignored, day),
                               steps=step_requirements(mine_people, rules, area_names))
    return [out[day] for day in days]


def _rows_on(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    return frame.filter(pl.col("as_of") == day) if frame.height else frame


def _on_day(result: ScoreResult, day: dt.date) -> ScoreResult:
    """The rows of one snapshot day of a scoring result."""
    def keep(frame):
        return None if frame is None else frame.filter(pl.col("as_of") == day)

    contributions = {area: {metric: keep(frame) for metric, frame in metrics.items()}
                     for area, metrics in result.contributions.items()}
    return dataclasses.replace(result, scores=keep(result.scores), options=keep(result.options),
                               summary=keep(result.summary), contributions=contributions,
                               option_values=keep(result.option_values))


STEP_COLUMNS = {"area": pl.String, "metric": pl.String, "track": pl.String, "step": pl.String,
                "people": pl.UInt32, "needed": pl.Int64, "lacking": pl.Int64}


def step_requirements(people: pl.DataFrame, rules: Rulebook, area_names: list[str]) -> pl.DataFrame:
    """Per prerequisite step of every stepped metric and track: the people counted in it (in
    `people`, one partner's rows), the people the step needs and how many it lacks."""
    needs = [{"area": name, "metric": metric.name, "track": track, "step": step, "needed": needed}
             for name in area_names for metric in rules.area(name).metrics for track in metric.tracks
             for step, needed in kind_of(metric).step_needs(metric, track).items()]
    if not needs:
        return pl.DataFrame(schema=STEP_COLUMNS)
    counted = (people.filter(pl.col("is_counted")).group_by("area", "metric", "step")
               .agg(pl.col("person_id").n_unique().alias("people")) if people.height
               else pl.DataFrame(schema={"area": pl.String, "metric": pl.String, "step": pl.String,
                                         "people": pl.UInt32}))
    return (pl.DataFrame(needs, schema={k: v for k, v in STEP_COLUMNS.items() if k not in ("people", "lacking")})
            .join(counted, on=["area", "metric", "step"], how="left", maintain_order="left")
            .with_columns(pl.col("people").fill_null(0))
            .with_columns((pl.col("needed") - pl.col("people").cast(pl.Int64)).clip(lower_bound=0).alias("lacking"))
            .select(list(STEP_COLUMNS)))


def contribution_reasons(result: ScoreResult, rules: Rulebook, area_names: list[str], *,
                         customers: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every tenant and person row behind `result` (any number of partners), with whether it
    counted and, in words, why not: the `tenants` and `people` of an `Explanation`. `customers`
    (`customer_labels`) names each tenant in the column `customer` (default: its id)."""
    tenants, people, settings = [], [], []
    tenant_metrics, people_metrics = [], []
    for name in area_names:
        for metric in rules.area(name).metrics:
            frame = result.contributions[name][metric.name].with_columns(pl.lit(name).alias("area"))
            if metric.counts_people:
                people.append(frame)
                people_metrics.append(metric)
            else:
                part = pl.col("option") if metric.composite else pl.lit("")
                tenants.append(frame.with_columns(part.cast(pl.String).alias("_part")))
                settings += _sentence_settings(name, metric)
                tenant_metrics.append(metric)
    # One sentence expression over every row, its metric's settings joined as columns: an
    # expression per metric would cost more than the rows themselves.
    people = ([pl.concat(people).with_columns(_reason_text(_kinds_reasons(people_metrics, rules)).alias("why"))]
              if people else [])
    if tenants:
        columns = dict.fromkeys(k for row in settings for k in row)
        table = pl.DataFrame(settings, schema=dict.fromkeys(columns, pl.String)).lazy()
        tenants = [pl.concat(tenants).join(table, on=["area", "metric", "_part", "track"], how="left",
                                           maintain_order="left")
                   .with_columns(_reason_text(_kinds_reasons(tenant_metrics, rules)).alias("why"))]
    return _finish_tenants(tenants, customers), _finish_people(people)


def _finish_tenants(frames: list[pl.LazyFrame], customers: pl.DataFrame | None) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    rows = (
        pl.concat(frames).with_columns(
            month_start_expr(pl.col("month_index")).alias("month"),
            month_start_expr(pl.col("assoc_month")).alias("association_month"),
        )
        .sort("area", "metric", "track", "option", "tenant_id", "workload", "period",
              descending=[False, False, False, False, False, False, True], nulls_last=True)
        .select("partner_id", "as_of", "area", "metric", "track", "option", "period", "month",
                "tenant_id", "workload", "is_counted", "contribution", "why", "reason",
                "active", "paid", "share", "max_paid", "amount", "association_month")
        .collect()
    )
    if customers is None:
        return rows.with_columns(pl.col("tenant_id").cast(pl.String).alias("customer"))
    keys = [pl.col(k).cast(pl.String) for k in ("partner_id", "tenant_id")]
    return (rows.with_columns(keys).join(customers, on=["partner_id", "tenant_id"], how="left", maintain_order="left")
            .with_columns(pl.coalesce("customer", "tenant_id").alias("customer")))


def _finish_people(frames: list[pl.LazyFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    return (
        pl.concat(frames)
        .sort("area", "metric", "step", "person_id", "certification", "earned_on", nulls_last=False)
        .select("partner_id", "as_of", "area", "metric", "step", "person_id", "certification",
                "earned_on", "expires_on", "is_counted", "contribution", "why", "reason")
        .collect()
    )


def _sentence_settings(area: str, metric: Metric) -> list[dict[str, str | None]]:
    """The settings the sentences of a metric's tenant rows mention, per track (each leaf of a
    composite metric on its own): each kind says which (`Kind.sentence_settings`)."""
    leaves = [(leaf.name if metric.composite else "", leaf) for leaf in metric.leaves()]
    return [{"area": area, "metric": metric.name, "_part": part, "track": track,
             **kind_of(leaf).sentence_settings(leaf, rule)}
            for part, leaf in leaves for track, rule in leaf.tracks.items()]


def _reason_text(reasons: dict[str, pl.Expr]) -> pl.Expr:
    """The sentence of each row from its reason code, as the kinds word them (`Kind.reasons`);
    a code no kind words shows as it is."""
    text = None
    for code, sentence in reasons.items():
        text = (pl.when if text is None else text.when)(pl.col("reason") == code).then(sentence)
    return pl.col("reason") if text is None else text.otherwise(pl.col("reason"))


def _kinds_reasons(metrics: list[Metric], rules: Rulebook) -> dict[str, pl.Expr]:
    """The sentences of every reason the kinds of `metrics` (and of their leaves) give."""
    kinds = {leaf.kind: kind_of(leaf) for metric in metrics for leaf in metric.leaves()}
    return {code: sentence for kind in kinds.values() for code, sentence in kind.reasons(rules).items()}


def _unusable_rows(usage: pl.LazyFrame, area: AreaRules, label: str, metric: Metric, track: str,
                   rule) -> pl.LazyFrame:
    accepted = sorted({a for o in rule.options for a in o.associations})
    workload_ok = eligible_workload_expr(metric)
    key = pl.col("workload_key").cast(pl.String)
    association = pl.col("association").cast(pl.String)
    association_ok = association.is_in(accepted)
    accepted_text = pl.lit(", ".join(accepted))
    for workload, own in metric.workload_associations.items():
        association_ok = pl.when(key == workload).then(association.is_in(list(own))).otherwise(association_ok)
        accepted_text = pl.when(key == workload).then(pl.lit(", ".join(own))).otherwise(accepted_text)
    why = (
        pl.when(~workload_ok).then(pl.format("workload '{}' is not eligible", pl.col("workload")))
        .otherwise(pl.format("association type {} is not eligible (accepted: {})",
                             pl.col("association"), accepted_text))
    )
    return usage.filter(~workload_ok | ~association_ok).select(
        "partner_id", "as_of", pl.lit(area.area).alias("area"), pl.lit(label).alias("metric"),
        pl.lit(track).alias("track"), month_start_expr(pl.col("month_index")).alias("month"), "tenant_id",
        "workload", "association", why.alias("why"))


def _ignored_rows(usage: pl.LazyFrame, area: AreaRules, points_in_time: pl.DataFrame) -> pl.LazyFrame:
    """Rows the area reads (its workloads or products), in the scored or baseline month, that a
    tenant metric or track cannot use."""
    usage = area_usage_rows(usage, area)
    months = points_in_time.select(
        "as_of", pl.concat_list(pl.col("month_index"), pl.col("month_index") - YEAR).alias("month_index")
    ).explode("month_index").lazy()
    usage = usage.join(months, on="month_index", how="inner")
    frames = []
    leaves = [(parent.name, leaf) for parent in area.metrics for leaf in parent.leaves()]
    for label, metric in leaves:
        if metric.counts_people:
            continue
        if not metric.composite and label != metric.name:
            label = f"{label} ({metric.name})"
        for track, rule in metric.tracks.items():
            frames.append(_unusable_rows(usage, area, label, metric, track, rule))
    if not frames:
        return pl.LazyFrame()
    return pl.concat(frames).sort("metric", "track", "tenant_id", "workload", "month", "association")
