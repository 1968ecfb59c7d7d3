"""Monte Carlo forecast: determinism under a seed and sanity of the extremes."""

import dataclasses

import polars as pl
import pytest

from pcs_analysis.analysis.forecasts import Rates, forecast
from tests.builders import ADVANCED, almost_qualified, cert_row

AS_OF = "2026-11-21"
STILL = Rates(arrivals=0, losses=0, growth_mean=0, growth_sd=0, attrition=0, new_people=0)


def qualified_partner():
    """Five customers from January 2026 (so the coming months' baselines, a year earlier, are
    empty), an advanced person without expiry: qualified now and, if nothing changes, later."""
    data = almost_qualified([cert_row("adv", ADVANCED, "2025-06-01")])
    usage = data.usage.collect().filter(pl.col("month").dt.year() == 2026)
    return dataclasses.replace(data, usage=usage.lazy())


def test_nothing_changes_means_certain_qualification():
    f = forecast(qualified_partner(), "P1", as_of=AS_OF, areas=["modern_work"], paths=200, seed=3, months=2,
                 rates=STILL)
    assert f.probability_coming_months == 1.0 and f.probability == 1.0
    assert f.months["share_qualified"].to_list() == [1.0, 1.0]
    assert f.zeros["share_at_zero"].max() == 0.0


def test_losing_every_customer_means_no_qualification_in_the_coming_months():
    f = forecast(qualified_partner(), "P1", as_of=AS_OF, areas=["modern_work"], paths=200, seed=3, months=2,
                 rates=dataclasses.replace(STILL, losses=1.0))
    assert f.probability_coming_months == 0.0
    assert f.already_qualified and f.probability == 1.0   # it qualified on days of the window already
    assert f.zeros.filter(pl.col("metric") == "net_customer_adds")["share_at_zero"][0] == 1.0


def test_same_seed_same_result_and_another_seed_differs(sample_data):
    a = forecast(sample_data, "P005", as_of=AS_OF, areas=["modern_work"], paths=2000, seed=7)
    b = forecast(sample_data, "P005", as_of=AS_OF, areas=["security"], paths=2000, seed=7)
    c = forecast(sample_data, "P005", as_of=AS_OF, areas=["modern_work"], paths=2000, seed=7)
    assert a.months.equals(c.months) and a.zeros.equals(c.zeros)
    d = forecast(sample_data, "P005", as_of=AS_OF, areas=["modern_work"], paths=2000, seed=8)
    assert not a.months.equals(d.months)
    assert b.months.height == 6 and 0.0 <= b.probability_coming_months <= 1.0


def _growing_from_500(gate: str):
    """Data & AI: one customer at USD 500 a month until 2025-11, USD 5,000 from 2025-12 on, so
    the coming months compare USD 5,000 with a USD 500 baseline; `gate` sets where the USD 1,000
    minimum applies."""
    from pcs_analysis.rules import load_rules
    from tests.builders import azure_row, make_data

    rows = [azure_row("T1", f"{y}-{m:02d}-01", 500 if (y, m) < (2025, 12) else 5000, segment="SMB")
            for y, m in [(2024, k) for k in range(10, 13)] + [(2025, k) for k in range(1, 13)]
            + [(2026, k) for k in range(1, 11)]]
    rules = load_rules()
    area = rules.area("data_ai")
    flipped = dataclasses.replace(area, metrics=tuple(
        m.with_settings(gate_applies_to=gate) if m.name == "usage_growth" else m for m in area.metrics))
    return make_data(rows), dataclasses.replace(rules, areas={**rules.areas, "data_ai": flipped})


def test_the_forecast_reads_the_growth_gate_where_the_rulebook_puts_it():
    """Forecast and scoring share the rulebook's `gate_applies_to`: the coming month with a USD 500
    baseline earns no usage growth points when the minimum applies to the baseline, and full marks
    when it applies to the current month (the forecast once ignored the setting)."""
    for gate, points in (("baseline", 0.0), ("current", 20.0), ("both", 0.0)):
        data, rules = _growing_from_500(gate)
        f = forecast(data, "P1", as_of=AS_OF, areas=["data_ai"], paths=20, seed=1, months=1, rates=STILL, rules=rules)
        growth = f.metrics.filter(pl.col("metric") == "usage_growth")
        assert growth["points_p50"].to_list() == [points, points], (gate, growth)


def test_a_forecast_of_several_areas_is_each_areas_own(sample_data):
    """Each area has its own random stream from the seed: asked together or alone, an area's
    forecast is the same; a forecast of several areas gives its chances per area."""
    both = forecast(sample_data, "P005", as_of=AS_OF, areas=["modern_work", "security"], paths=300, seed=4)
    alone = forecast(sample_data, "P005", as_of=AS_OF, areas=["security"], paths=300, seed=4)
    assert both.chances["area"].to_list() == ["modern_work", "security"]
    assert both.months.filter(pl.col("area") == "security").equals(alone.months)
    assert both.chances.filter(pl.col("area") == "security").equals(alone.chances)
    with pytest.raises(ValueError, match="2 areas"):
        _ = both.probability
