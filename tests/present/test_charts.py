"""Charts are tested through their Vega-Lite specification (`to_dict()`)."""

import altair as alt
import polars as pl

from pcs_analysis.analysis.forecasts import forecast
from pcs_analysis.analysis.planning import plan_certifications
from pcs_analysis.analysis.sensitivities import sensitivity
from pcs_analysis.analysis.status import history
from pcs_analysis.analysis.track_comparison import track_choice
from pcs_analysis.engine.scoring import score
from pcs_analysis.present import charts

AS_OF = "2026-11-21"


def values(spec: dict) -> list[dict]:
    """The inline data rows of a spec (top level or first layer)."""
    datasets = spec.get("datasets", {})
    return next(iter(datasets.values())) if datasets else []


def test_theme_is_registered_and_helpers_do_not_configure(sample_data):
    assert charts.THEME in alt.theme.names()
    charts.use_theme()
    assert alt.theme.active == charts.THEME
    result = score(sample_data.only_partners(["P005"]), as_of=AS_OF, areas=["modern_work"])
    rows = result.scores.filter(pl.col("track") == "smb")
    chart = charts.score_card(rows, bar=70)
    assert chart.config is alt.Undefined  # styling comes from the theme only
    spec = chart.to_dict()
    assert spec["title"] == "67.3 points (qualifying bar 70)"
    data = values(spec)
    advanced = next(r for r in data if r["metric"] == "advanced certifications")
    assert advanced["state"] == "below the minimum" and advanced["points"] == 0
    assert spec["layer"][1]["encoding"]["x"]["field"] == "points"
    alt.theme.enable("default")


def test_history_tracks_and_portfolio_charts(sample_data, rules):
    h = history(sample_data.only_partners(["P001"]), as_of=AS_OF, areas=["modern_work"])
    spec = charts.history_chart(h.summary, bar=70, titles=charts.area_titles(rules)).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["field"] == "month" and len(values(spec)) == 6
    assert {r["area"] for r in values(spec)} == {"Modern Work"}
    t = track_choice(sample_data, "P005", as_of=AS_OF, areas=["modern_work"], max_steps=1)
    spec = charts.tracks_chart(t.side_by_side).to_dict()
    assert {r["track"] for r in values(spec)} == {"Enterprise", "SMB"}
    assert "net customer adds" in {r["metric"] for r in values(spec)}
    summary = score(sample_data, as_of=AS_OF).summary
    spec = charts.portfolio_distribution(summary).to_dict()
    assert spec["facet"]["field"] == "area" and spec["columns"] == 3 and len(values(spec)) == summary.height


def test_sensitivity_plan_and_forecast_charts(sample_data):
    s = sensitivity(sample_data, as_of=AS_OF, areas=["modern_work"],
                    grid={"min_total_points": [60, 70, 80], "min_metric_comparison": ["gt", "ge"]})
    spec = charts.sensitivity_heatmap(s.variants, "min_total_points", "min_metric_comparison").to_dict()
    assert len(values(spec)) == 6
    # The bar moved either way flips partners: lower bars drawn left (negative), higher right,
    # each as many partners as the margins name.
    spec = charts.margin_tornado(s.margins).to_dict()
    bars = {(r["parameter"], r["direction"]): r["signed"] for r in values(spec)}
    bar = s.margins.filter(pl.col("parameter") == "min_total_points")
    assert bars[("min_total_points", "lower")] == -bar["flips_below"].is_not_null().sum() < 0
    assert bars[("min_total_points", "higher")] == bar["flips_above"].is_not_null().sum() > 0
    p = plan_certifications(sample_data, "P005", as_of="2026-11-01", areas=["modern_work"], target="2026-11-30",
                            default_lead_days=5)
    spec = charts.plan_timeline(p.plan).to_dict()
    assert spec["encoding"]["x2"]["field"] == "earn_by" and len(values(spec)) == 1
    f = forecast(sample_data, "P005", as_of=AS_OF, areas=["modern_work"], paths=200, seed=1)
    spec = charts.forecast_fan(f.months, bar=70).to_dict()
    assert spec["layer"][0]["encoding"]["y2"]["field"] == "total_p90" and len(values(spec)) == 6
