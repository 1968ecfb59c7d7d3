"""Charts for analysts (altair). Each helper takes an aggregated, tidy polars frame (what the
package's functions return) and returns an *unconfigured* chart; all styling lives in the one
registered theme, `pcs` (`use_theme()` enables it). Numbers of the rules (the qualifying bar)
are passed in from the rulebook, never written here.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import polars as pl

THEME = "pcs"
LABEL_FONT, TITLE_FONT = 11, 12
_PALETTE = ["#1f5aa6", "#e07b00", "#2e8540", "#8e44ad", "#c0392b", "#7f8c8d"]


@alt.theme.register(THEME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            # Static SVG is laid out with the fonts of the machine that draws it: the first font is a
            # wide one found on Linux, so labels still fit where a reader has a narrower one.
            "font": "DejaVu Sans, Verdana, Segoe UI, Helvetica, Arial, sans-serif",
            "view": {"stroke": None},
            "axis": {"labelFontSize": LABEL_FONT, "titleFontSize": TITLE_FONT, "gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": LABEL_FONT, "titleFontSize": TITLE_FONT, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start"},
            "range": {"category": _PALETTE},
            "bar": {"color": _PALETTE[0]},
            "line": {"color": _PALETTE[0], "strokeWidth": 2},
        }
    }


def use_theme(renderer: str = "svg") -> None:
    """Enable the package's chart theme, and an altair renderer: "svg" (static, drawn in the
    kernel: charts that show in JupyterLab and in reports with no network) or "default"
    (interactive; this altair's vega-lite version is not built into JupyterLab, so its page loads
    the vega scripts from a CDN and needs the network)."""
    alt.theme.enable(THEME)
    if renderer not in ("default", "svg"):
        raise ValueError(f"chart renderer must be 'default' or 'svg', got {renderer!r}")
    alt.renderers.enable(renderer)


def score_card(scores: pl.DataFrame, *, bar: float, title: str = "") -> alt.LayerChart:
    """Points against the maximum per metric of one partner, area and track (rows of
    `ScoreResult.scores`), with metrics at or below the minimum flagged, and the total against
    the qualifying `bar` in the title."""
    data = scores.select("metric", "points", "max_points", "is_above_minimum").with_columns(
        pl.when(pl.col("is_above_minimum")).then(pl.lit("above the minimum")).otherwise(pl.lit("below the minimum"))
        .alias("state"), pl.col("metric").str.replace_all("_", " "))
    total = float(scores["points"].sum())
    base = alt.Chart(data)
    maximum = base.mark_bar(opacity=0.25).encode(
        x=alt.X("max_points:Q", title="points"), y=alt.Y("metric:N", sort=None, title=None))
    points = base.mark_bar().encode(
        x="points:Q", y=alt.Y("metric:N", sort=None),
        color=alt.Color("state:N", title=None, scale=alt.Scale(domain=["above the minimum", "below the minimum"])),
        tooltip=["metric:N", alt.Tooltip("points:Q", format=".1f"), "max_points:Q"])
    heading = f"{total:.1f} points (qualifying bar {bar:g})"
    return alt.layer(maximum, points, title=f"{title}: {heading}" if title else heading)


def area_titles(rules) -> dict[str, str]:
    """Each area's title in a rulebook (what the charts' legends and panels show)."""
    return {name: area.title for name, area in rules.areas.items()}


def history_chart(history: pl.DataFrame, *, bar: float, titles: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Totals per month and area (rows of `History.summary`), with the qualifying bar; areas by
    their `titles` where given."""
    data = history.select("month", pl.col("area").replace(dict(titles or {})), "total", "is_qualified")
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("month:T", title="month"), y=alt.Y("total:Q", title="points (of 100)"),
        color=alt.Color("area:N", title="area"),
        tooltip=["area:N", "month:T", alt.Tooltip("total:Q", format=".1f"), "is_qualified:N"])
    rule = alt.Chart(pl.DataFrame({"bar": [bar]})).mark_rule(strokeDash=[4, 4], color="#c0392b").encode(y="bar:Q")
    return alt.layer(lines, rule, title=f"Total per area at the end of each month (qualifying bar {bar:g})")


def tracks_chart(side_by_side: pl.DataFrame) -> alt.Chart:
    """Points per metric on each track (`TrackChoice.side_by_side`)."""
    points = [c for c in side_by_side.columns if c.startswith("points_")]
    data = side_by_side.select("area", "metric", *points).unpivot(
        index=["area", "metric"], on=points, variable_name="track", value_name="points").with_columns(
        pl.col("track").str.replace("points_", "").replace({"smb": "SMB", "enterprise": "Enterprise"}),
        pl.col("metric").str.replace_all("_", " "))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("points:Q", title="points"), y=alt.Y("metric:N", title=None, sort=None),
        yOffset="track:N", color=alt.Color("track:N", title="track"),
        tooltip=["track:N", "metric:N", alt.Tooltip("points:Q", format=".1f")])


def sensitivity_heatmap(variants: pl.DataFrame, x: str, y: str) -> alt.Chart:
    """Partners qualified per combination of two parameters (`Sensitivity.variants`)."""
    data = variants.select(pl.col(x).alias("x"), pl.col(y).alias("y"), "partners_qualified")
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("x:O", title=x, sort=None), y=alt.Y("y:O", title=y, sort=None),
        color=alt.Color("partners_qualified:Q", title="partners qualified"),
        tooltip=["x:O", "y:O", "partners_qualified:Q"])


def margin_tornado(margins: pl.DataFrame) -> alt.Chart:
    """Per parameter, how many partners flip at the nearest grid value below and above the
    current one (`Sensitivity.margins`)."""
    data = pl.concat([
        margins.filter(pl.col("flips_below").is_not_null()).group_by("parameter")
        .agg(pl.len().cast(pl.Int64).alias("partners"))
        .with_columns(pl.lit("lower").alias("direction"), (-pl.col("partners")).alias("signed")),
        margins.filter(pl.col("flips_above").is_not_null()).group_by("parameter")
        .agg(pl.len().cast(pl.Int64).alias("partners"))
        .with_columns(pl.lit("higher").alias("direction"), pl.col("partners").alias("signed")),
    ]).sort("parameter", "direction")
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("signed:Q", title="partners whose qualification changes (lower | higher)"),
        y=alt.Y("parameter:N", title=None), color=alt.Color("direction:N", title="parameter moved"),
        tooltip=["parameter:N", "direction:N", "partners:Q"])


def plan_timeline(plan: pl.DataFrame) -> alt.Chart:
    """Each certification of a plan from its latest start to its latest earning day
    (`CertificationPlan.plan`)."""
    data = plan.select("person_id", "certification", "start_by", "earn_by", "cost")
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("start_by:T", title="prepare from / earn by"), x2="earn_by:T",
        y=alt.Y("person_id:N", title=None), color=alt.Color("certification:N", title="certification"),
        tooltip=["person_id:N", "certification:N", "start_by:T", "earn_by:T", "cost:Q"])


def forecast_fan(months: pl.DataFrame, *, bar: float) -> alt.LayerChart:
    """The 10-90 % band and the median of the total per coming refresh day (`Forecast.months`)."""
    data = months.select("refresh_day", "total_p10", "total_p50", "total_p90", "share_qualified")
    band = alt.Chart(data).mark_area(opacity=0.3).encode(
        x=alt.X("refresh_day:T", title="refresh day"), y=alt.Y("total_p10:Q", title="points"), y2="total_p90:Q")
    median = alt.Chart(data).mark_line(point=True).encode(
        x="refresh_day:T", y="total_p50:Q",
        tooltip=["refresh_day:T", alt.Tooltip("total_p50:Q", format=".1f"),
                 alt.Tooltip("share_qualified:Q", format=".0%")])
    rule = alt.Chart(pl.DataFrame({"bar": [bar]})).mark_rule(strokeDash=[4, 4]).encode(y="bar:Q")
    return alt.layer(band, median, rule)


def portfolio_distribution(summary: pl.DataFrame, titles: Mapping[str, str] | None = None) -> alt.FacetChart:
    """How the partners' totals spread per area (`ScoreResult.summary`), qualified or not: one
    small panel per area (by its `titles` where given), three to a row, totals from 0 to 100."""
    data = summary.select(pl.col("area").replace(dict(titles or {})), "total", "is_qualified").with_columns(
        pl.when(pl.col("is_qualified")).then(pl.lit("qualified")).otherwise(pl.lit("not qualified"))
        .alias("state"))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("total:Q", bin=alt.Bin(step=5, extent=[0, 100]), scale=alt.Scale(domain=[0, 100]),
                title="total points"),
        y=alt.Y("count():Q", title="partners"),
        color=alt.Color("state:N", title=None, scale=alt.Scale(domain=["qualified", "not qualified"])))
    return bars.properties(width=220, height=110).facet(facet=alt.Facet("area:N", title=None), columns=3)


def to_svg(chart: alt.Chart) -> str:
    """The chart as static SVG, drawn by vl-convert. The charts' specs are checked against the
    schema by the tests, so drawing skips altair's validation (a third of the cost)."""
    import vl_convert

    version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    return vl_convert.vegalite_to_svg(chart.to_dict(validate=False), vl_version=version)
