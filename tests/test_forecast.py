"""Monte Carlo forecast: determinism under a seed and sanity of the extremes."""

import dataclasses

import polars as pl

from pcs_analysis.forecast import Rates, forecast
from tests.builders import cert_row
from tests.test_status import ADVANCED, almost_qualified

AS_OF = "2026-11-21"
STILL = Rates(arrivals=0, losses=0, growth_mean=0, growth_sd=0, attrition=0, new_people=0)


def qualified_partner():
    """Five customers from January 2026 (so the coming months' baselines, a year earlier, are
    empty), an advanced person without expiry: qualified now and, if nothing changes, later."""
    data = almost_qualified([cert_row("adv", ADVANCED, "2025-06-01")])
    usage = data.usage.collect().filter(pl.col("month").dt.year() == 2026)
    return dataclasses.replace(data, usage=usage.lazy())


def test_nothing_changes_means_certain_qualification():
    f = forecast(qualified_partner(), "P1", as_of=AS_OF, area="modern_work", paths=200, seed=3, months=2,
                 rates=STILL)
    assert f.probability_coming_months == 1.0 and f.probability == 1.0
    assert f.months["share_qualified"].to_list() == [1.0, 1.0]
    assert f.zeros["share_at_zero"].max() == 0.0


def test_losing_every_customer_means_no_qualification_in_the_coming_months():
    f = forecast(qualified_partner(), "P1", as_of=AS_OF, area="modern_work", paths=200, seed=3, months=2,
                 rates=dataclasses.replace(STILL, losses=1.0))
    assert f.probability_coming_months == 0.0
    assert f.already_qualified and f.probability == 1.0   # it qualified on days of the window already
    assert f.zeros.filter(pl.col("metric") == "net_customer_adds")["share_at_zero"][0] == 1.0


def test_same_seed_same_result_and_another_seed_differs(sample_data):
    a = forecast(sample_data, "P005", as_of=AS_OF, area="modern_work", paths=2000, seed=7)
    b = forecast(sample_data, "P005", as_of=AS_OF, area="security", paths=2000, seed=7)
    c = forecast(sample_data, "P005", as_of=AS_OF, area="modern_work", paths=2000, seed=7)
    assert a.months.equals(c.months) and a.zeros.equals(c.zeros)
    d = forecast(sample_data, "P005", as_of=AS_OF, area="modern_work", paths=2000, seed=8)
    assert not a.months.equals(d.months)
    assert b.months.height == 6 and 0.0 <= b.probability_coming_months <= 1.0
