"""Scoring history, daily qualification in the eligibility window, and status (issue: status)."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

from pcs_analysis.analysis.status import (
    ENROLLED,
    IN_PROGRESS,
    QUALIFIED,
    RENEWAL_DUE,
    history,
    history_days,
    qualification,
)
from pcs_analysis.engine.scoring import score
from tests.builders import ADVANCED, almost_qualified, cert_row, enrolled


def one_day(day: dt.date):
    """An advanced certification that counts on `day` only: earned 10 days before (the skilling
    lag) and expiring that day (expires_on is the last day it counts)."""
    return cert_row("adv", ADVANCED, (day - dt.timedelta(days=10)).isoformat(), day.isoformat())


def status_row(data, as_of, **kwargs):
    q = qualification(data, as_of=as_of, areas=["modern_work"], **kwargs)
    return q.status.row(0, named=True), q


def test_the_building_block_qualifies_only_with_the_advanced_person():
    day = dt.date(2026, 9, 11)
    without = score(almost_qualified(), as_of=day, areas=["modern_work"]).summary.row(0, named=True)
    assert without["total"] == pytest.approx(67) and not without["is_qualified"]
    with_one = score(almost_qualified([one_day(day)]), as_of=day, areas=["modern_work"]).summary.row(0, named=True)
    assert with_one["total"] == pytest.approx(74.5) and with_one["is_qualified"]


def test_qualified_on_exactly_one_day_with_a_certification_expiring_the_day_after():
    day = dt.date(2026, 9, 11)
    row, q = status_row(almost_qualified([one_day(day)]), "2026-11-21")
    assert (row["status"], row["days_qualified"], row["first_qualified_on"], row["last_qualified_on"]) == (
        QUALIFIED, 1, day, day)
    assert (row["window_start"], row["window_end"], row["days_observed"]) == (
        dt.date(2026, 6, 1), dt.date(2026, 11, 21), 174)
    assert not row["is_qualified_today"]
    assert q.days.filter(pl.col("is_qualified"))["day"].to_list() == [day]


@pytest.mark.parametrize(("as_of", "status", "days"), [
    ("2026-11-30", QUALIFIED, 1),      # window 2026-06-01 .. 2026-11-30 holds June 30
    ("2026-12-01", IN_PROGRESS, 0),    # the window rolls forward to 2026-07-01 on the 1st
])
def test_the_window_rolls_forward_at_the_start_of_a_month(as_of, status, days):
    row, _ = status_row(almost_qualified([one_day(dt.date(2026, 6, 30))]), as_of)
    assert (row["status"], row["days_qualified"]) == (status, days)


@pytest.mark.parametrize(("as_of", "status"), [
    ("2027-03-31", ENROLLED),          # before the anniversary month
    ("2027-04-01", RENEWAL_DUE),       # the anniversary month is the renewal window
    ("2027-04-10", RENEWAL_DUE),       # the anniversary itself: still enrolled
    ("2027-04-11", IN_PROGRESS),       # after the anniversary: no longer enrolled, renewal's window
    ("2027-04-30", IN_PROGRESS),       # ... to the end of its month
    ("2027-05-01", IN_PROGRESS),       # lapsed: scored as not enrolled (and not qualified lately)
])
def test_enrolled_partner_status_around_the_anniversary(as_of, status):
    """Seed 000 (H5): "if the partner is enrolled in Modern Work, and the Anniversary date is August
    15, 2024, then the partner continues to be enrolled until August 15, 2024, even if their
    partner capability score decreases. The partner has to qualify on at least one day during the
    qualification window, which in this example is from March 1,2024-August 31, 2024." Enrolled
    through the anniversary day, never after it; the renewal's window runs to the month's end."""
    data = enrolled(almost_qualified([one_day(dt.date(2026, 9, 11))]), "2026-04-10", "2027-04-10")
    row, _ = status_row(data, as_of)
    assert row["status"] == status
    assert row["is_enrolled"] == (status in (ENROLLED, RENEWAL_DUE))
    if as_of < "2027-05-01":
        # The renewal month and the five months before it, whatever the day.
        assert (row["window_start"], row["window_end"]) == (dt.date(2026, 11, 1), dt.date(2027, 4, 30))
        assert row["anniversary_on"] == dt.date(2027, 4, 10)


def test_after_the_anniversary_a_partner_that_qualified_in_the_renewal_window_is_qualified():
    data = enrolled(almost_qualified([one_day(dt.date(2026, 9, 11))]), "2025-11-05", "2026-11-05")
    row, _ = status_row(data, "2026-11-21")
    assert (row["status"], row["is_enrolled"], row["days_qualified"]) == (QUALIFIED, False, 1)
    assert (row["window_start"], row["window_end"]) == (dt.date(2026, 6, 1), dt.date(2026, 11, 30))
    assert "the enrollment ended on the anniversary 2026-11-05" in row["explanation"]


def test_seed_example_2023_window_is_day_aligned_and_2024_is_month_aligned(rules_2023):
    """Seed 000 (H5, 2023): "if the partner isn't enrolled in Modern Work, and today is August 15,
    2023, then in order to be eligible, they must have been qualified for at least one day between
    March 15, 2023-August 15, 2023." P1 (2024): "today is August 15, 2024 ... March 1, 2024"."""
    data = almost_qualified()
    q23 = qualification(data, as_of="2023-08-15", rules=rules_2023, areas=["modern_work"]).status.row(0, named=True)
    assert (q23["window_start"], q23["window_end"]) == (dt.date(2023, 3, 15), dt.date(2023, 8, 15))
    q24 = qualification(data, as_of="2024-08-15", areas=["modern_work"]).status.row(0, named=True)
    assert (q24["window_start"], q24["window_end"]) == (dt.date(2024, 3, 1), dt.date(2024, 8, 15))
    # The same rule on the building block's dates: as of 2026-11-21 the 2023 window starts on
    # 2026-06-21; a qualifying day then counts, the day before does not.
    for day, days in ((dt.date(2026, 6, 21), 1), (dt.date(2026, 6, 20), 0)):
        row = qualification(almost_qualified([one_day(day)]), as_of="2026-11-21", rules=rules_2023,
                            areas=["modern_work"]).status.row(0, named=True)
        assert (row["window_start"], row["days_qualified"]) == (dt.date(2026, 6, 21), days)


def test_seed_example_2023_enrolled_window(rules_2023):
    """Seed 000, enrolled: anniversary August 15, 2024, enrolled until that day, window March 1,
    2024 - August 31, 2024 (the enrolled window is month-aligned in the 2023 text too)."""
    data = dataclasses.replace(almost_qualified(), enrollments=pl.DataFrame(
        {"partner_id": ["P1"], "area": ["modern_work"], "enrolled_on": [dt.date(2023, 8, 15)],
         "anniversary_on": [dt.date(2024, 8, 15)]}).lazy())
    on = qualification(data, as_of="2024-08-15", rules=rules_2023, areas=["modern_work"]).status.row(0, named=True)
    assert (on["status"], on["window_start"], on["window_end"]) == (RENEWAL_DUE, dt.date(2024, 3, 1),
                                                                   dt.date(2024, 8, 31))
    after = qualification(data, as_of="2024-08-16", rules=rules_2023, areas=["modern_work"]).status.row(0, named=True)
    assert (after["status"], after["is_enrolled"]) == (IN_PROGRESS, False)


def test_renewal_window_counts_the_qualifying_days_inside_it():
    # Qualified on 2026-11-02 only: inside the renewal's window (from 2026-11-01).
    data = enrolled(almost_qualified([one_day(dt.date(2026, 11, 2))]), "2026-04-10", "2027-04-10")
    row, _ = status_row(data, "2026-11-21")
    assert (row["status"], row["days_qualified"], row["days_observed"]) == (ENROLLED, 1, 21)
    assert "enrolled until 2027-04-10" in row["explanation"]


def test_history_days_and_values_match_scoring_each_day():
    assert history_days(dt.date(2026, 11, 21), 3) == [dt.date(2026, 9, 30), dt.date(2026, 10, 31),
                                                      dt.date(2026, 11, 21)]
    data = almost_qualified([one_day(dt.date(2026, 9, 30))])
    h = history(data, as_of="2026-11-21", areas=["modern_work"])
    assert h.summary["month"].to_list() == [dt.date(2026, m, 1) for m in range(6, 12)]
    assert h.summary["is_qualified"].to_list() == [False, False, False, True, False, False]
    for row in h.summary.iter_rows(named=True):
        alone = score(data, as_of=row["as_of"], areas=["modern_work"]).summary.row(0, named=True)
        assert alone["total"] == pytest.approx(row["total"]) and alone["month"] == row["data_month"]


def test_scoring_many_days_equals_scoring_each_day(sample_data):
    days = [dt.date(2026, 10, 19), dt.date(2026, 10, 20), dt.date(2026, 11, 3), dt.date(2026, 11, 21)]
    together = score(sample_data, as_of=days)
    for day in days:
        alone = score(sample_data, as_of=day)
        assert alone.scores.equals(together.scores.filter(pl.col("as_of") == day))
        assert alone.summary.equals(together.summary.filter(pl.col("as_of") == day))


def test_enrolled_in_one_area_and_qualified_in_another_is_enrolled_in_both():
    """Seed 000: "If you're already enrolled in one solution area, and when you achieve qualified
    status in any other solution area during the qualification eligibility window, you're
    automatically enrolled in the other solution area." Enrolled in Security, the partner
    qualifies in Modern Work on 2026-09-11: Modern Work is Enrolled from that day until Security's
    anniversary; qualified only before the Security enrollment began, it stays Qualified."""
    def enrolled_in_security(enrolled_on, qualified_on=dt.date(2026, 9, 11)):
        table = pl.DataFrame({"partner_id": ["P1"], "area": ["security"],
                              "enrolled_on": [dt.date.fromisoformat(enrolled_on)],
                              "anniversary_on": [dt.date(2027, 3, 15)]})
        return dataclasses.replace(almost_qualified([one_day(qualified_on)]), enrollments=table.lazy())

    q = qualification(enrolled_in_security("2026-03-15"), as_of="2026-11-21", areas=["modern_work", "security"])
    mw = q.status.filter(pl.col("area") == "modern_work").row(0, named=True)
    assert (mw["status"], mw["is_enrolled"], mw["enrolled_on"], mw["anniversary_on"]) == (
        ENROLLED, True, dt.date(2026, 9, 11), dt.date(2027, 3, 15))
    assert mw["explanation"].startswith("automatically enrolled on 2026-09-11: qualified that day while enrolled "
                                        "in security")
    assert q.status.filter(pl.col("area") == "security")["status"].to_list() == [ENROLLED]
    later = qualification(enrolled_in_security("2026-10-01"), as_of="2026-11-21", areas=["modern_work", "security"])
    assert later.status.filter(pl.col("area") == "modern_work")["status"].to_list() == [QUALIFIED]
    renewal = qualification(enrolled_in_security("2026-03-15", dt.date(2026, 10, 9)), as_of="2027-03-02",
                            areas=["modern_work", "security"])
    assert renewal.status.filter(pl.col("area") == "modern_work")["status"].to_list() == [RENEWAL_DUE]


@pytest.mark.slow
def test_days_sharing_a_certification_state_score_as_each_day_alone(sample_data):
    """People metrics are evaluated once per certification state (days on which every
    certification's dates compare the same way) and repeated for its days: the same figures as
    scoring each day on its own, on days where certifications start and stop counting."""
    import datetime as dt

    from pcs_analysis.engine.context import person_state_days
    from pcs_analysis.engine.scoring import score
    from pcs_analysis.rules import load_rules
    from pcs_analysis.rules.periods import snapshots
    rules = load_rules()
    mine = sample_data.only_partners(["P005", "P011"])
    days = [dt.date(2026, 5, 1) + dt.timedelta(days=7 * i) for i in range(30)]
    states = person_state_days(mine, rules, snapshots(days, rules.refresh))
    assert states is not None and 1 < states["state_as_of"].n_unique() < len(days)
    together = score(mine, as_of=days, rules=rules).scores
    alone = pl.concat([score(mine, as_of=day, rules=rules).scores for day in days])
    keys = ["partner_id", "as_of", "area", "track", "metric"]
    assert together.sort(keys).equals(alone.sort(keys))
