"""Points, totals, qualification and track choice: one evaluator for every area.

`score` computes every metric of every requested area for every partner and snapshot, then
turns values into points (linear partial credit, capped; negative values earn 0), keeps the
best association option of each metric, totals each track, decides qualification and keeps one
track per area.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from pcs_analysis.engine.classification import classify, unclassified
from pcs_analysis.engine.context import build_context, person_state_days
from pcs_analysis.engine.evaluate import by_day, evaluated, metric_values
from pcs_analysis.engine.points import (
    EQUAL_TOTALS,
    HIGHER_TOTAL,
    QUALIFYING_TRACK,
    TOTAL_DECIMALS,
    above_minimum,
    best_options,
    combine_parts,
    points_expr,
    qualifies,
    tracks_in_order,
)
from pcs_analysis.inputs.prepare import prepare_usage
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import AreaRules, Rulebook, TrackClassification, load_rules
from pcs_analysis.rules.periods import history_days, month_start_expr, parse_date, snapshots

SCORE_COLUMNS = [
    "partner_id", "as_of", "month", "area", "track", "metric", "category", "option", "value",
    "points", "max_points", "full_marks_at", "is_above_minimum", "rules_version",
]
SUMMARY_COLUMNS = [
    "partner_id", "partner_name", "as_of", "month", "area", "track", "track_basis", "total",
    "is_qualified", "missing_metrics", "points_to_qualify", "other_track", "other_track_total",
    "other_track_is_qualified", "rules_version",
]


@dataclass(frozen=True)
class ScoreResult:
    """The result of a scoring run.

    Attributes
    ----------
    scores
        One row per partner x snapshot x area x track x metric: the option that scored, its
        value and points.
    options
        The same per association option (every option, not only the best).
    summary
        One row per partner x snapshot x area: the kept track, total and qualification.
    contributions
        Per area and metric, the (lazy) contribution rows the values were summed from; what
        `explain` shows.
    """

    scores: pl.DataFrame
    options: pl.DataFrame
    summary: pl.DataFrame
    rules_version: str
    contributions: Mapping[str, Mapping[str, pl.LazyFrame]] = field(default_factory=dict)
    #: Every option with the inputs of its points (`base_points`, `is_open`, `combine`, the
    #: rulebook orders): what threshold sensitivity recomputes points from.
    option_values: pl.DataFrame | None = None


def score(
    data: PartnerData,
    *,
    as_of: dt.date | str | Sequence[dt.date | str],
    rules: Rulebook | None = None,
    areas: Iterable[str] | None = None,
    lag: bool = True,
) -> ScoreResult:
    """Score every partner in `data` as Partner Center would show it on `as_of`.

    Parameters
    ----------
    data
        Validated input tables (`read_data`).
    as_of
        The day (or days) the score is shown. The data month is the latest month published by
        then; certifications count when valid that day and past the skilling lag.
    rules
        Rulebook; default: the newest version.
    areas
        Areas to score; default: every area the rulebook covers.
    lag
        False scores "as if current": the month before `as_of` and no skilling lag.

    Examples
    --------
    >>> from pcs_analysis import read_data, score
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> result = score(read_data(SAMPLE_DIR), as_of="2026-11-21", areas=["modern_work"])
    >>> result.summary.select("area", "track").row(0)[0]
    'modern_work'
    """
    rules = rules or load_rules()
    days = [parse_date(as_of)] if isinstance(as_of, str | dt.date) else [parse_date(d) for d in as_of]
    area_names = list(areas) if areas is not None else list(rules.areas)
    editions = _days_by_edition(rules, days)
    if len(editions) == 1:
        return _score_days(data, days, editions[0][0], area_names, lag)
    return _joined([_score_days(data, some, edition, area_names, lag) for edition, some in editions])


def _days_by_edition(rules: Rulebook, days: list[dt.date]) -> list[tuple[Rulebook, list[dt.date]]]:
    """The days grouped by the rules in force on them (one group when no setting changes)."""
    changes = rules.change_days()
    groups: dict[int, list[dt.date]] = {}
    for day in days:
        groups.setdefault(sum(1 for change in changes if change <= day), []).append(day)
    return [(rules.on(some[0]), some) for some in groups.values()]


def _joined(results: list[ScoreResult]) -> ScoreResult:
    """Results of the same areas on different days as one (rows of a partner and day stay in
    their order)."""
    def rows(frames: list[pl.DataFrame]) -> pl.DataFrame:
        return pl.concat(frames, how="diagonal_relaxed").sort(["partner_id", "as_of"], maintain_order=True)

    contributions = {
        area: {metric: pl.concat([r.contributions[area][metric] for r in results], how="diagonal_relaxed")
               for metric in results[0].contributions[area]}
        for area in results[0].contributions
    }
    return ScoreResult(scores=rows([r.scores for r in results]), options=rows([r.options for r in results]),
                       summary=rows([r.summary for r in results]), rules_version=results[0].rules_version,
                       contributions=contributions,
                       option_values=rows([r.option_values for r in results]))


def _score_days(data: PartnerData, days: list[dt.date], rules: Rulebook, area_names: list[str],
                lag: bool) -> ScoreResult:
    points_in_time = snapshots(days, rules.refresh, lag=lag)
    partners = data.partner_id_frame()
    option_frames, classifications, contributions = [], {}, {}
    prepared = prepare_usage(data, rules).collect()
    person_days = person_state_days(data, rules, points_in_time)
    shared: dict = {}
    contexts = {name: build_context(data, rules, rules.area(name), points_in_time, prepared=prepared,
                                    person_days=person_days, shared=shared)
                for name in area_names}
    # Every area's contribution rows in one pass of the engine (its threads share the work).
    held = evaluated(list(contexts.values()))
    for (name, ctx), rows in zip(contexts.items(), held, strict=True):
        area = ctx.area
        contributions[name] = by_day(ctx, rows)
        values = metric_values(ctx, partners, rows)
        option_frames.append(score_options(values, area).with_columns(pl.lit(name).alias("area")))
        if area.classification is not None:
            classifications[name] = ctx.to_days(classify(ctx.by_month())).lazy()
    if classifications:
        classifications = dict(zip(classifications, pl.collect_all(list(classifications.values())), strict=True))
    options = pl.concat(option_frames).collect() if option_frames else _empty_options()
    options = options.with_columns(pl.lit(rules.version).alias("rules_version"))
    best = best_options(options)
    if "combine" in options.columns:
        parts = options.filter(pl.col("combine") != "best")
        best = pl.concat([best.filter(pl.col("combine") == "best"), combine_parts(parts, rules)],
                         how="diagonal_relaxed")
    enrollments = enrollment_tracks(data, rules, area_names, lag)
    summary = summarize(best, rules, data, area_names, classifications, enrollments)
    order = ["partner_id", "as_of", "area_order", "track_order", "metric_order"]
    area_order = pl.col("area").replace_strict({a: i for i, a in enumerate(area_names)},
                                               return_dtype=pl.Int32).alias("area_order")
    scores = best.with_columns(area_order).sort(order).select(SCORE_COLUMNS)
    option_values = options
    options = options.with_columns(area_order).sort([*order, "option_order"])
    return ScoreResult(scores=scores, options=options.select(SCORE_COLUMNS), summary=summary,
                       rules_version=rules.version, contributions=contributions, option_values=option_values)


def score_options(values: pl.LazyFrame, area: AreaRules) -> pl.LazyFrame:
    """Points of every option: linear partial credit, capped at the maximum; negatives earn 0.

    Where a kind sets them, `base_points` are added (for example met prerequisite steps) and
    `is_open = false` withholds the linear part (an unmet prerequisite or gate).
    """
    q = area.qualification
    names = values.collect_schema().names()
    base = pl.col("base_points") if "base_points" in names else pl.lit(0.0)
    is_open = pl.col("is_open") if "is_open" in names else pl.lit(True)
    points = points_expr(pl.col("value"), q, base=base, is_open=is_open)
    return values.with_columns(points.alias("points")).with_columns(
        above_minimum(pl.col("points"), q).alias("is_above_minimum"),
        month_start_expr(pl.col("month_index")).alias("month"),
    )


def enrollment_tracks(data: PartnerData, rules: Rulebook, area_names: Sequence[str], lag: bool) -> pl.DataFrame:
    """The enrollments, with the track of each enrollment in an area that keeps it.

    S1, "Enrollment track": after enrolment the track stays fixed "for one year until the next
    renewal", and it is SMB "if you qualified as SMB at least once" in the qualification window
    ("at least one SMB in the six rows" of the scoring history). Where the enrollments table gives
    no track, it is derived so: SMB when the partner qualified on the SMB track at the end of one
    of the history months up to the enrolment day, else the other track (`track_source`:
    "enrollments" or "scoring history").
    """
    enrollments = data.enrollments.collect()
    if "track" not in enrollments.columns:
        enrollments = enrollments.with_columns(pl.lit(None, pl.String).alias("track"))
    enrollments = enrollments.with_columns(
        pl.when(pl.col("track").is_not_null()).then(pl.lit("enrollments")).alias("track_source"))
    keeping = {a: rules.area(a).classification for a in area_names
               if rules.area(a).keep_enrolled_track and isinstance(rules.area(a).classification, TrackClassification)}
    todo = enrollments.filter(pl.col("area").is_in(list(keeping)) & pl.col("track").is_null()
                              & pl.col("partner_id").is_in(data.partner_ids()))
    if todo.is_empty():
        return enrollments
    days = pl.DataFrame(
        [(p, a, on, day) for p, a, on in todo.select("partner_id", "area", "enrolled_on").iter_rows()
         for day in history_days(on, rules.history_months)],
        schema={"partner_id": pl.String, "area": pl.String, "enrolled_on": pl.Date, "as_of": pl.Date}, orient="row")
    history = score(dataclasses.replace(data.only_partners(todo["partner_id"].unique().to_list()),
                                        enrollments=data.enrollments.clear()),
                    as_of=days["as_of"].unique().sort().to_list(), rules=rules, areas=list(keeping), lag=lag)
    smb_track = pl.col("area").replace_strict({a: c.smb_track for a, c in keeping.items()})
    smb_days = history.summary.filter((pl.col("track") == smb_track) & pl.col("is_qualified")).select(
        "partner_id", "area", "as_of")
    derived = (days.join(smb_days, on=["partner_id", "area", "as_of"], how="left", coalesce=False)
               .group_by("partner_id", "area", "enrolled_on")
               .agg(pl.col("as_of_right").is_not_null().any().alias("as_smb"))
               .with_columns(pl.when(pl.col("as_smb")).then(smb_track)
                   .otherwise(pl.col("area").replace_strict({a: c.other_track for a, c in keeping.items()}))
                   .alias("derived_track")).drop("as_smb"))
    return (enrollments.join(derived, on=["partner_id", "area", "enrolled_on"], how="left")
            .with_columns(pl.coalesce("track", "derived_track").alias("track"),
                          pl.when(pl.col("track").is_null() & pl.col("derived_track").is_not_null())
                          .then(pl.lit("scoring history")).otherwise(pl.col("track_source")).alias("track_source"))
            .drop("derived_track"))


def summarize(best: pl.DataFrame, rules: Rulebook, data: PartnerData, area_names: Sequence[str],
              classifications: dict[str, pl.DataFrame] | None = None,
              enrollments: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per partner x snapshot x area with the kept track and its qualification."""
    frames = []
    partners = data.partners.collect()
    enrollments = enrollments if enrollments is not None else data.enrollments.collect()
    for name in area_names:
        area = rules.area(name)
        per_track = _track_totals(best.filter(pl.col("area") == name), area)
        enrolled = _enrolled_tracks(enrollments, per_track, name) if area.keep_enrolled_track else None
        frames.append(_choose_track(per_track, area, partners, (classifications or {}).get(name), enrolled))
    if not frames:
        return pl.DataFrame(schema={c: pl.String for c in SUMMARY_COLUMNS})
    summary = pl.concat(frames).join(partners.select("partner_id", "partner_name"), on="partner_id", how="left")
    area_order = {a: i for i, a in enumerate(area_names)}
    return (summary.with_columns(pl.lit(rules.version).alias("rules_version"),
                                 pl.col("area").replace_strict(area_order).alias("_area_order"))
            .sort("partner_id", "as_of", "_area_order").select(SUMMARY_COLUMNS))


def _enrolled_tracks(enrollments: pl.DataFrame, per_track: pl.DataFrame, area: str) -> pl.DataFrame:
    """The track of each enrollment current on a snapshot day (enrolled_on <= day <= anniversary)."""
    if "track" not in enrollments.columns:
        return pl.DataFrame(schema={"partner_id": pl.String, "as_of": pl.Date, "enrolled_track": pl.String,
                                    "anniversary_on": pl.Date, "track_source": pl.String})
    if "track_source" not in enrollments.columns:
        enrollments = enrollments.with_columns(pl.lit("enrollments").alias("track_source"))
    days = per_track.select("partner_id", "as_of").unique()
    return (enrollments.filter((pl.col("area") == area) & pl.col("track").is_not_null())
            .join(days, on="partner_id", how="inner")
            .filter((pl.col("enrolled_on") <= pl.col("as_of")) & (pl.col("as_of") <= pl.col("anniversary_on")))
            .group_by("partner_id", "as_of").agg(pl.col("track").last().alias("enrolled_track"),
                                                 pl.col("anniversary_on").last(), pl.col("track_source").last()))


def _track_totals(best: pl.DataFrame, area: AreaRules) -> pl.DataFrame:
    q = area.qualification
    ordered = best.sort("metric_order")
    totals = ordered.group_by(["partner_id", "as_of", "month", "area", "track", "track_order"],
                              maintain_order=True).agg(
        pl.col("points").sum().round(TOTAL_DECIMALS).alias("total"),
        pl.col("metric").filter(~pl.col("is_above_minimum")).alias("missing"),
    )
    return totals.with_columns(
        qualifies(pl.col("total"), pl.col("missing").list.len() == 0, q).alias("is_qualified"),
        pl.col("missing").list.join(";").alias("missing_metrics"),
        (pl.lit(q.min_total_points) - pl.col("total")).clip(lower_bound=0.0)
        .round(TOTAL_DECIMALS).alias("points_to_qualify"),
    ).drop("missing")


def _choose_track(per_track: pl.DataFrame, area: AreaRules, partners: pl.DataFrame,
                  classification: pl.DataFrame | None = None,
                  enrolled: pl.DataFrame | None = None) -> pl.DataFrame:
    """Keep one track per partner: the partner's override, else the track of a current
    enrollment (areas that keep it), else Microsoft's classification where the area has one and
    the data decide it, else `track_preference` (a qualifying track, then the higher total, then
    the rulebook's order)."""
    keys = ["partner_id", "as_of"]
    if classification is None:
        classification = pl.DataFrame(schema={"partner_id": pl.String, "as_of": pl.Date,
                                              "classified_track": pl.String, "basis": pl.String})
    if enrolled is None:
        enrolled = pl.DataFrame(schema={"partner_id": pl.String, "as_of": pl.Date, "enrolled_track": pl.String,
                                        "anniversary_on": pl.Date, "track_source": pl.String})
    override_col = f"track_{area.area}"
    if override_col in partners.columns:
        overrides = partners.select("partner_id", pl.col(override_col).alias("override")).drop_nulls()
    else:
        overrides = pl.DataFrame(schema={"partner_id": pl.String, "override": pl.String})
    # A partner without a classification row: the area's default (`unclassified`), if it has one.
    default_track, default_basis = unclassified(area)
    ranked = tracks_in_order(
        per_track.join(overrides, on="partner_id", how="left")
        .join(enrolled, on=keys, how="left")
        .join(classification, on=keys, how="left")
        .with_columns(pl.col("classified_track").fill_null(pl.lit(default_track, pl.String)))
        .with_columns((pl.col("track") == pl.col("override")).fill_null(False).alias("is_override"),
                      (pl.col("track") == pl.col("enrolled_track")).fill_null(False).alias("is_enrolled"),
                      (pl.col("track") == pl.col("classified_track")).fill_null(False).alias("is_classified")),
        keys, ["is_override", "is_enrolled", "is_classified"])
    kept = ranked.group_by(keys, maintain_order=True).first()
    other = (ranked.group_by(keys, maintain_order=True).agg(pl.all().slice(1, 1).first())
             .select(*keys, pl.col("track").alias("other_track"),
                     pl.col("total").alias("other_track_total"),
                     pl.col("is_qualified").alias("other_track_is_qualified")))
    basis = (
        pl.when(pl.col("is_override")).then(pl.lit("partner override"))
        .when(pl.col("is_enrolled") & (pl.col("track_source") == "scoring history")).then(pl.format(
            "enrolled track (from the scoring history before enrolment), kept until the anniversary on {}",
            pl.col("anniversary_on")))
        .when(pl.col("is_enrolled")).then(pl.format("enrolled track, kept until the anniversary on {}",
                                                    pl.col("anniversary_on")))
        .when(pl.lit(area.classification is not None)).then(pl.col("basis").fill_null(default_basis))
        .when(pl.col("other_track").is_null()).then(pl.lit("only track"))
        .when(pl.col("is_qualified") & ~pl.col("other_track_is_qualified")
              & (pl.col("total") <= pl.col("other_track_total"))).then(pl.lit(QUALIFYING_TRACK))
        .when(pl.col("total") > pl.col("other_track_total")).then(pl.lit(HIGHER_TOTAL))
        .otherwise(pl.lit(EQUAL_TOTALS))
    )
    return kept.join(other, on=keys, how="left").with_columns(basis.alias("track_basis"))


def _empty_options() -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.String for c in SCORE_COLUMNS})
