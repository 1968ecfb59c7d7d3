"""Where a partner stands: the scoring history, the days it qualified in its qualification
eligibility window, and its status per area (In progress, Qualified, Enrolled, Enrolled (Renewal
due)).

Everything is scoring on a list of days (`score` with many `as_of` dates), which evaluates the
usage metrics once per data month and the certifications per day: performance and customer
success change on each refresh day, skilling on any day.

Windows (rulebook `[window]`):

- not enrolled: the current month and the previous `months_before_current` full calendar months,
  up to the day of the status (`alignment = "month"`, the 2024 text), or from the same day
  `months_before_current` months back (`alignment = "day"`, the 2023 example: "today is August
  15, 2023 ... between March 15, 2023-August 15, 2023");
- enrolled: the renewal (anniversary) month and the `months_before_current` months before it. The
  partner "continues to be enrolled until" the anniversary date whatever its score; from the
  start of the last `renewal_window_months` months up to the anniversary its status is "Enrolled
  (Renewal due)". After the anniversary day the partner is no longer enrolled: to the end of the
  anniversary month it is judged on the renewal's window (Qualified when it qualified on a day
  of it, else In progress, the statuses the sources give a partner that is not enrolled); after
  that month the enrollment has lapsed and the partner is scored as not enrolled;
- enrolled in one area, qualified in another: "If you're already enrolled in one solution area,
  and when you achieve qualified status in any other solution area during the qualification
  eligibility window, you're automatically enrolled in the other solution area" (seed 000): the
  other area is Enrolled from the first day it qualified while the partner was enrolled, until
  the anniversary of the enrollment it was enrolled by (`implied_enrollments`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from pcs_analysis.engine.scoring import score
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.periods import history_days, month_end, month_index, month_start, parse_date

IN_PROGRESS = "In progress"
QUALIFIED = "Qualified"
ENROLLED = "Enrolled"
RENEWAL_DUE = "Enrolled (Renewal due)"

HISTORY_COLUMNS = [
    "partner_id", "partner_name", "area", "month", "as_of", "data_month", "track", "total", "is_qualified",
    "missing_metrics", "points_to_qualify", "other_track", "other_track_total",
]
STATUS_COLUMNS = [
    "partner_id", "partner_name", "area", "as_of", "status", "is_enrolled", "enrolled_on", "anniversary_on",
    "window_start", "window_end", "days_observed", "days_qualified", "first_qualified_on", "last_qualified_on",
    "is_qualified_today", "track_today", "total_today", "missing_metrics_today", "points_to_qualify_today",
    "explanation",
]


@dataclass(frozen=True)
class History:
    """Scores of every month of a range.

    Attributes
    ----------
    summary
        One row per partner x area x month: the score shown at the end of that month (for the
        current month: on `as_of`), with the kept track.
    scores
        The same per track and metric.
    """

    summary: pl.DataFrame
    scores: pl.DataFrame


def history(data: PartnerData, *, as_of: dt.date | str, months: int | None = None, rules: Rulebook | None = None,
            areas: Iterable[str] | None = None, lag: bool = True) -> History:
    """Scores for the current month and the months before it (the rulebook's `history_months`,
    six by default), for every partner and area, in one scoring pass over the months.

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    months : int, optional
        Months to show (default: the rulebook's `history_months`).
    rules : Rulebook, optional
        The rulebook (default: the current one, `load_rules()`).
    areas : list of str, optional
        The solution areas (default: every area of the rulebook).
    lag : bool, default True
        Show data with Partner Center's refresh lag (False: the data month as if published at once).

    Returns
    -------
    History
        The scores of each month-end day and of `as_of`.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> h = history(read_data(SAMPLE_DIR), as_of="2026-11-21", areas=["modern_work"])
    >>> h.summary["month"].n_unique()
    6
    """
    rules = rules or load_rules()
    day = parse_date(as_of)
    days = history_days(day, months or rules.history_months)
    result = score(data, as_of=days, rules=rules, areas=areas, lag=lag)
    month_of = pl.col("as_of").dt.month_start()
    summary = (result.summary.rename({"month": "data_month"}).with_columns(month_of.alias("month"))
               .select(HISTORY_COLUMNS).sort("partner_id", "area", "month"))
    scores = result.scores.rename({"month": "data_month"}).with_columns(month_of.alias("month"))
    return History(summary=summary, scores=scores)


@dataclass(frozen=True)
class Qualification:
    """Status per partner and area on a day, and the daily scores behind it.

    Attributes
    ----------
    status
        One row per partner x area (STATUS_COLUMNS).
    days
        One row per partner x area x day of the window up to `as_of`: the kept track, total and
        whether the partner qualified that day.
    """

    status: pl.DataFrame
    days: pl.DataFrame


def qualification(data: PartnerData, *, as_of: dt.date | str, rules: Rulebook | None = None,
                  areas: Iterable[str] | None = None, lag: bool = True) -> Qualification:
    """The qualification eligibility window of every partner and area, the days in it on which
    the partner qualified (as Partner Center showed the score that day), and the status.

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

    Returns
    -------
    Qualification
        Per partner and area the window, the days qualified and the status.

    Examples
    --------
    >>> from pcs_analysis import read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> q = qualification(read_data(SAMPLE_DIR), as_of="2026-11-21", areas=["modern_work"])
    >>> sorted(q.status["status"].unique())[:2]
    ['Enrolled', 'In progress']
    """
    rules = rules or load_rules()
    day = parse_date(as_of)
    area_names = list(areas) if areas is not None else list(rules.areas)
    windows = windows_of(data, rules, area_names, day)
    first = windows["window_start"].min() if windows.height else day
    span = [first + dt.timedelta(days=i) for i in range((day - first).days + 1)] if first <= day else [day]
    result = score(data, as_of=span, rules=rules, areas=area_names, lag=lag)
    daily = result.summary.select("partner_id", "area", pl.col("as_of").alias("day"), "track", "total",
                                  "is_qualified", "missing_metrics", "points_to_qualify")
    in_window = daily.join(windows.select("partner_id", "area", "window_start", "window_end"),
                           on=["partner_id", "area"], how="inner").filter(
        (pl.col("day") >= pl.col("window_start")) & (pl.col("day") <= pl.col("window_end"))
        & (pl.col("day") <= day)).drop("window_start", "window_end")
    counts = in_window.group_by("partner_id", "area").agg(
        pl.len().alias("days_observed"),
        pl.col("is_qualified").sum().alias("days_qualified"),
        pl.col("day").filter(pl.col("is_qualified")).min().alias("first_qualified_on"),
        pl.col("day").filter(pl.col("is_qualified")).max().alias("last_qualified_on"),
    )
    today = daily.filter(pl.col("day") == day).select(
        "partner_id", "area", pl.col("is_qualified").alias("is_qualified_today"),
        pl.col("track").alias("track_today"), pl.col("total").alias("total_today"),
        pl.col("missing_metrics").alias("missing_metrics_today"),
        pl.col("points_to_qualify").alias("points_to_qualify_today"))
    table = (windows.join(counts, on=["partner_id", "area"], how="left")
             .join(today, on=["partner_id", "area"], how="left")
             .with_columns(pl.col("days_observed").fill_null(0), pl.col("days_qualified").fill_null(0)))
    table = table.with_columns(_status().alias("status")).with_columns(_explanation().alias("explanation"))
    table = implied_enrollments(table, in_window, rules, day)
    names = data.partners.collect().select("partner_id", "partner_name")
    order = {a: i for i, a in enumerate(area_names)}
    status = (table.join(names, on="partner_id", how="left")
              .with_columns(pl.lit(day).alias("as_of"), pl.col("area").replace_strict(order).alias("_order"))
              .sort("partner_id", "_order").select(STATUS_COLUMNS))
    return Qualification(status=status, days=in_window.sort("partner_id", "area", "day"))


def implied_enrollments(table: pl.DataFrame, days: pl.DataFrame, rules: Rulebook, day: dt.date) -> pl.DataFrame:
    """Areas a partner is enrolled in because it qualified in them while enrolled in another
    (seed 000: "If you're already enrolled in one solution area, and when you achieve qualified
    status in any other solution area during the qualification eligibility window, you're
    automatically enrolled in the other solution area"): such an area, Qualified on a day of its
    window on or after the start of a current enrollment of another area, is Enrolled from the
    first such day until that enrollment's anniversary (the partner's renewal date), with the
    reason. `table`: the status rows; `days`: the daily qualification in each window."""
    enrolled = (table.filter(pl.col("is_enrolled"))
                .select("partner_id", pl.col("area").alias("by_area"), pl.col("enrolled_on").alias("by_since"),
                        pl.col("anniversary_on").alias("by_anniversary")))
    if enrolled.is_empty():
        return table
    candidates = (days.filter(pl.col("is_qualified")).join(enrolled, on="partner_id", how="inner")
                  .filter((pl.col("area") != pl.col("by_area")) & (pl.col("day") >= pl.col("by_since"))
                          & (pl.col("day") <= pl.col("by_anniversary")))
                  .sort("partner_id", "area", "day", "by_anniversary", "by_area")
                  .group_by("partner_id", "area", maintain_order=True).first()
                  .select("partner_id", "area", pl.col("day").alias("implied_on"), "by_area", "by_anniversary"))
    renewal_start = _renewal_start(pl.col("by_anniversary"), rules)
    implied = pl.col("implied_on").is_not_null() & ~pl.col("is_enrolled") & (pl.col("status") == QUALIFIED)
    reason = pl.format("automatically enrolled on {}: qualified that day while enrolled in {} (\"If you're already "
                       "enrolled in one solution area, and when you achieve qualified status in any other solution "
                       "area ... you're automatically enrolled in the other solution area\"); enrolled until {}; {}",
                       pl.col("implied_on"), pl.col("by_area"), pl.col("by_anniversary"), pl.col("explanation"))
    return (table.join(candidates, on=["partner_id", "area"], how="left")
            .with_columns(
                pl.when(implied & (pl.lit(day) >= renewal_start)).then(pl.lit(RENEWAL_DUE))
                .when(implied).then(pl.lit(ENROLLED)).otherwise(pl.col("status")).alias("status"),
                pl.when(implied).then(pl.col("implied_on")).otherwise(pl.col("enrolled_on")).alias("enrolled_on"),
                pl.when(implied).then(pl.col("by_anniversary")).otherwise(pl.col("anniversary_on"))
                .alias("anniversary_on"),
                (pl.col("is_enrolled") | implied).alias("is_enrolled"),
                pl.when(implied).then(reason).otherwise(pl.col("explanation")).alias("explanation"))
            .drop("implied_on", "by_area", "by_anniversary"))


def window_start(day: dt.date, months_before: int, alignment: str) -> dt.date:
    """The first day of a not-enrolled partner's window on `day`: the first day of the month
    `months_before` months back ("month"), or the same day of that month ("day", clamped to its
    last day).

    Examples
    --------
    >>> window_start(dt.date(2024, 8, 15), 5, "month"), window_start(dt.date(2023, 8, 15), 5, "day")
    (datetime.date(2024, 3, 1), datetime.date(2023, 3, 15))
    """
    first = month_start(month_index(day) - months_before)
    if alignment == "month":
        return first
    return min(first + dt.timedelta(days=day.day - 1), month_end(first))


def windows_of(data: PartnerData, rules: Rulebook, areas: list[str], day: dt.date) -> pl.DataFrame:
    """Per partner x area: the enrollment current on `day` (if any) and the qualification window
    (`is_enrolled`, `is_renewal_due`, `is_after_anniversary`, `window_start`, `window_end`,
    `enrolled_on`, `anniversary_on`, `lapsed_on`).

    Enrolled from `enrolled_on` through `anniversary_on` ("continues to be enrolled until August
    15, 2024", H5); the renewal's window (the anniversary month and the months before it) runs to
    the end of the anniversary month, so between the anniversary and that month's end the
    partner is no longer enrolled but is still judged on the renewal's window.
    """
    before = rules.window_months_before_current
    partners = data.partner_id_frame().collect()
    grid = partners.join(pl.DataFrame({"area": areas}), how="cross")
    enrollments = data.enrollments.collect().filter(pl.col("area").is_in(areas)).select(
        "partner_id", "area", "enrolled_on", "anniversary_on")
    table = grid.join(enrollments, on=["partner_id", "area"], how="left")
    anniversary_month_end = (pl.col("anniversary_on").dt.month_end())
    started = pl.col("enrolled_on").is_not_null() & (pl.col("enrolled_on") <= day)
    is_enrolled = (started & (pl.lit(day) <= pl.col("anniversary_on"))).fill_null(False)
    in_renewal_window = (started & (pl.lit(day) <= anniversary_month_end)).fill_null(False)
    renewal_start = _renewal_start(pl.col("anniversary_on"), rules)
    enrolled_window_start = pl.col("anniversary_on").dt.month_start().dt.offset_by(f"-{before}mo")
    open_window_start = window_start(day, before, rules.window_alignment)
    return table.with_columns(
        is_enrolled.alias("is_enrolled"),
        (is_enrolled & (pl.lit(day) >= renewal_start)).alias("is_renewal_due"),
        (in_renewal_window & ~is_enrolled).alias("is_after_anniversary"),
        in_renewal_window.alias("_renewal"),
    ).with_columns(
        pl.when(pl.col("_renewal")).then(enrolled_window_start).otherwise(pl.lit(open_window_start))
        .alias("window_start"),
        pl.when(pl.col("_renewal")).then(anniversary_month_end).otherwise(pl.lit(day)).alias("window_end"),
        pl.when(pl.col("_renewal")).then(pl.col("enrolled_on")).alias("enrolled_on"),
        pl.when(pl.col("_renewal")).then(pl.col("anniversary_on")).alias("anniversary_on"),
        pl.when(~pl.col("_renewal") & pl.col("anniversary_on").is_not_null() & (pl.col("anniversary_on") < day))
        .then(pl.col("anniversary_on")).alias("lapsed_on"),
    ).drop("_renewal")


def _renewal_start(anniversary: pl.Expr, rules: Rulebook) -> pl.Expr:
    """The first day of the renewal window: the anniversary month, and the months before it that
    `renewal_window_months` adds."""
    return anniversary.dt.month_start().dt.offset_by(f"-{rules.renewal_window_months - 1}mo")


def _status() -> pl.Expr:
    return (pl.when(pl.col("is_renewal_due")).then(pl.lit(RENEWAL_DUE))
            .when(pl.col("is_enrolled")).then(pl.lit(ENROLLED))
            .when(pl.col("days_qualified") > 0).then(pl.lit(QUALIFIED))
            .otherwise(pl.lit(IN_PROGRESS)))


def _explanation() -> pl.Expr:
    qualified_days = pl.format("qualified on {} of {} days observed in the window {} to {} (first {}, last {})",
                               pl.col("days_qualified"), pl.col("days_observed"), pl.col("window_start"),
                               pl.col("window_end"), pl.col("first_qualified_on"), pl.col("last_qualified_on"))
    not_yet = pl.format("not qualified on any of the {} days observed in the window {} to {}",
                        pl.col("days_observed"), pl.col("window_start"), pl.col("window_end"))
    days_text = pl.when(pl.col("days_qualified") > 0).then(qualified_days).otherwise(not_yet)
    today = (pl.when(pl.col("is_qualified_today")).then(pl.lit("qualified today"))
             .otherwise(pl.format("today {} points on the {} track, {} short{}", pl.col("total_today").round(1),
                                  pl.col("track_today"), pl.col("points_to_qualify_today").round(1),
                                  pl.when(pl.col("missing_metrics_today") != "")
                                  .then(pl.format(", metrics at zero: {}", pl.col("missing_metrics_today")
                                                  .str.replace_all(";", ", ")))
                                  .otherwise(pl.lit("")))))
    lapsed = pl.when(pl.col("lapsed_on").is_not_null()).then(
        pl.format(" (enrollment lapsed after the anniversary on {})", pl.col("lapsed_on"))).otherwise(pl.lit(""))
    after = pl.format("the enrollment ended on the anniversary {}; the renewal's window is {} to {}: {}; {}",
                      pl.col("anniversary_on"), pl.col("window_start"), pl.col("window_end"), days_text, today)
    return (
        pl.when(pl.col("is_after_anniversary")).then(after)
        .when(pl.col("is_renewal_due")).then(pl.format(
            "enrolled until {}; renewal due: {}; {}", pl.col("anniversary_on"), days_text, today))
        .when(pl.col("is_enrolled")).then(pl.format(
            "enrolled until {} whatever the score; the renewal's qualification window is {} to {}; {}",
            pl.col("anniversary_on"),
            pl.col("window_start"), pl.col("window_end"), today))
        .otherwise(pl.format("{}; {}{}", days_text, today, lapsed))
    )
