"""Time: which data month and which skilling day a score shown on a given date uses.

Scoring never reads the clock; `as_of` is always an argument. Months are handled as integer
month indexes (year * 12 + month - 1) so that "the same month last year" is `m - 12`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import polars as pl

from pcs_analysis.rules.model import Refresh


def month_index(day: dt.date) -> int:
    """Examples
    --------
    >>> month_index(dt.date(2025, 1, 31)) - month_index(dt.date(2024, 1, 1))
    12
    """
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    """The first day of month `index` (the inverse of `month_index`)."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_index_expr(expr: pl.Expr) -> pl.Expr:
    return (expr.dt.year().cast(pl.Int32) * 12 + expr.dt.month().cast(pl.Int32) - 1)


def month_start_expr(expr: pl.Expr) -> pl.Expr:
    return pl.date(expr // 12, expr % 12 + 1, 1)


#: The days a score can be asked for: years the month arithmetic (a year back, lags, windows) and
#: Partner Center's data can hold.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def parse_date(text: str | dt.date) -> dt.date:
    """A day given as a date or as text YYYY-MM-DD, within FIRST_DAY..LAST_DAY.

    Examples
    --------
    >>> parse_date("2026-11-21").isoformat()
    '2026-11-21'
    """
    if isinstance(text, dt.datetime):
        text = text.date()
    if not isinstance(text, dt.date):
        try:
            text = dt.date.fromisoformat(str(text))
        except ValueError:
            raise ValueError(f"not a date YYYY-MM-DD: {text!r}") from None
    if not FIRST_DAY <= text <= LAST_DAY:
        raise ValueError(f"{text} is outside the days pcs can score ({FIRST_DAY} to {LAST_DAY})")
    return text


def scored_month(as_of: dt.date, refresh: Refresh, *, lag: bool = True) -> int:
    """The month index Partner Center shows on `as_of`: the latest month M whose data are
    published by then (M appears on `refresh.performance_day_of_month` of M+1). Without the lag,
    the month before `as_of`.

    Examples
    --------
    >>> from pcs_analysis.rules import load_rules
    >>> r = load_rules().refresh
    >>> month_start(scored_month(dt.date(2026, 11, 21), r))
    datetime.date(2026, 10, 1)
    >>> month_start(scored_month(dt.date(2026, 11, 19), r))
    datetime.date(2026, 9, 1)
    """
    current = month_index(as_of)
    if not lag or as_of.day >= refresh.performance_day_of_month:
        return current - 1
    return current - 2


def snapshots(as_of: Iterable[dt.date] | dt.date, refresh: Refresh, *, lag: bool = True) -> pl.DataFrame:
    """The evaluation points of a scoring run, one row per `as_of` date.

    Columns: `as_of` (the day the score is shown), `month_index` (the data month scored),
    `skill_cutoff` (a certification counts when earned on or before this day).
    """
    days = [as_of] if isinstance(as_of, dt.date) else list(as_of)
    lag_days = refresh.skilling_lag_days if lag else 0
    return pl.DataFrame(
        {
            "as_of": days,
            "month_index": [scored_month(d, refresh, lag=lag) for d in days],
            "skill_cutoff": [d - dt.timedelta(days=lag_days) for d in days],
        },
        schema={"as_of": pl.Date, "month_index": pl.Int32, "skill_cutoff": pl.Date},
    )


def month_end(day: dt.date) -> dt.date:
    return month_start(month_index(day) + 1) - dt.timedelta(days=1)


def months_spanned(first: dt.date, last: dt.date) -> int:
    """How many months from `first`'s month to `last`'s, both counted (0 or less: `last`'s month
    is before `first`'s).

    >>> months_spanned(dt.date(2026, 11, 30), dt.date(2027, 1, 1))
    3
    """
    return month_index(last) - month_index(first) + 1


def refresh_day(month: int, refresh: Refresh) -> dt.date:
    """The refresh day in month index `month` (performance data are published that day)."""
    return month_start(month).replace(day=refresh.performance_day_of_month)


def published_on(data_month: int, refresh: Refresh) -> dt.date:
    """The refresh day on which data month `data_month` is published (in the month after it)."""
    return refresh_day(data_month + 1, refresh)


def refresh_days_after(day: dt.date, refresh: Refresh) -> Iterator[dt.date]:
    """The refresh days after `day`, in order, without end.

    >>> from pcs_analysis.rules import load_rules
    >>> days = refresh_days_after(dt.date(2026, 11, 20), load_rules().refresh)
    >>> [next(days).isoformat(), next(days).isoformat()]
    ['2026-12-20', '2027-01-20']
    """
    month = month_index(day)
    while True:
        if (on := refresh_day(month, refresh)) > day:
            yield on
        month += 1


def history_days(as_of: dt.date, months: int) -> list[dt.date]:
    """The day whose score stands for each month: the month's last day, or `as_of` in its month."""
    current = month_index(as_of)
    return [min(month_end(month_start(current - back)), as_of) for back in range(months - 1, -1, -1)]
