"""The pieces of a partner's report page that read the report: the headline cards, the next
steps and the glossary (the generic HTML pieces are in `present.html`)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from typing import Protocol

import polars as pl

from pcs_analysis.present.html import STYLE, Html, table


class PartnerReport(Protocol):
    """What these pieces read of a `reporting.partner.PartnerReport`."""

    partner_id: str
    partner_name: str
    as_of: dt.date
    rules_version: str
    bars: dict[str, float]
    summary: pl.DataFrame
    status: pl.DataFrame
    recommendations: pl.DataFrame
    titles: dict[str, str]


def _status_class(status: str) -> str:
    from pcs_analysis.analysis.status import ENROLLED, QUALIFIED, RENEWAL_DUE

    classes = {QUALIFIED: "pcs-qualified", ENROLLED: "pcs-enrolled", RENEWAL_DUE: "pcs-renewal"}
    return classes.get(status, "pcs-progress")


def _names(metrics: str | None) -> str:
    return ", ".join(m.replace("_", " ") for m in (metrics or "").split(";") if m)


def _window(row: Mapping, as_of: dt.date) -> str:
    start, end = row.get("window_start"), row.get("window_end")
    if start is None or end is None:
        return ""
    if row.get("is_enrolled") or end > as_of:
        left = (end - as_of).days
        return f"qualification window {start} to {end}: {left} day{'s' if left != 1 else ''} left"
    return f"qualification window {start} to today (rolls forward each month)"


def headline(report: PartnerReport) -> Html:
    """One card per area: status, total out of 100 against the bar, points still needed, metrics
    below the minimum, the window and the track kept (and why)."""
    status = {r["area"]: r for r in report.status.iter_rows(named=True)}
    cards = []
    for r in report.summary.iter_rows(named=True):
        s = status.get(r["area"], {})
        label = s.get("status") or ("Qualified" if r["is_qualified"] else "In progress")
        bar = report.bars.get(r["area"], report.bars.get("all", 0))
        needed = r.get("points_to_qualify") or 0.0
        lines = []
        if r["is_qualified"]:
            lines.append("qualifies today")
        else:
            if needed > 0:
                lines.append(f"{needed:.1f} more points needed to reach {bar:g}")
            if r["missing_metrics"]:
                lines.append(f"below the minimum: {html.escape(_names(r['missing_metrics']))}")
        if s:
            lines.append(f"qualified on {s['days_qualified']} of {s['days_observed']} days of the window")
            window = _window(s, report.as_of)
            if window:
                lines.append(html.escape(window))
        lines.append(f"{html.escape(r['track'])} track: {html.escape(r['track_basis'] or '')}")
        width = max(0.0, min(100.0, r["total"]))
        cards.append(
            f"<div class='pcs-card'><h3>{html.escape(report.titles.get(r['area'], r['area']))} "
            f"<span class='pcs-badge {_status_class(label)}'>{html.escape(label)}</span></h3>"
            f"<div><span class='pcs-total'>{r['total']:.1f}</span> <span class='pcs-muted'>of 100 · bar {bar:g}"
            f"</span></div><div class='pcs-bar'><span style='width:{width:.1f}%'></span>"
            f"<i style='left:{bar:g}%'></i></div><ul>{''.join(f'<li>{x}</li>' for x in lines)}</ul></div>")
    title = (f"<h2>{html.escape(report.partner_name or report.partner_id)} <span class='pcs-muted'>"
             f"({html.escape(report.partner_id)})</span></h2><p class='pcs-muted'>Partner Capability Score as "
             f"Partner Center shows it on {report.as_of} · rulebook {html.escape(report.rules_version)}</p>")
    return Html(f"{STYLE}<div class='pcs-report'>{title}<div class='pcs-cards'>{''.join(cards)}</div></div>")


def next_steps(report: PartnerReport) -> Html:
    """Per area, what to do next: the actions on the kept track as full sentences, ranked by the
    points they add, then the risks."""
    kept = dict(report.summary.select("area", "track").iter_rows())
    parts = []
    for area in report.summary["area"]:
        rows = report.recommendations.filter((pl.col("area") == area) & (pl.col("track") == kept[area]))
        actions = rows.filter(pl.col("type") == "action").sort("points_change", descending=True)
        risks = rows.filter(pl.col("type") == "risk").sort("points_change")
        items = [f"<li>{html.escape(_sentence(r['recommendation']))}</li>" for r in actions.iter_rows(named=True)]
        items += [f"<li><em>Risk:</em> {html.escape(_sentence(r['recommendation']))}</li>"
                  for r in risks.iter_rows(named=True)]
        if items:
            parts.append(f"<h4>{html.escape(report.titles.get(area, area))} ({html.escape(kept[area])} track)</h4>"
                         f"<ol class='pcs-steps'>{''.join(items)}</ol>")
    if not parts:
        return Html("<div class='pcs-report'><p class='pcs-muted'>No action adds points.</p></div>")
    rows = report.recommendations.with_columns(pl.col("area").replace(dict(report.titles)))
    source = table(rows, labels={"area": "Area", "track": "Track", "type": "Type", "points_change": "Points",
                                 "recommendation": "Measured by rescoring"},
                   decimals={"points_change": 1}, title="Every measured action and risk, both tracks",
                   table_id="recommendations", fold=True)
    return Html(f"<div class='pcs-report'>{''.join(parts)}</div>{source}")


def _sentence(text: str) -> str:
    """A recommendation as a sentence: the metric name in words, a capital and a full stop."""
    metric, sep, rest = text.partition(": ")
    if sep and re.fullmatch(r"[a-z_]+( \([a-z0-9_ ]+\))?(, [a-z_]+( \([a-z0-9_ ]+\))?)*", metric):
        text = f"{metric.replace('_', ' ')}: {rest}"
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


GLOSSARY = (
    ("Net customer adds", "customers that meet the area's definition now, minus those a year earlier "
     "(a lost customer counts against the new ones)"),
    ("Intermediate and advanced certifications", "people holding an eligible certification that counts "
     "today; each person counts once per metric, and some areas need prerequisite steps first"),
    ("Usage growth", "how much the usage of the eligible workloads grew against the same month a year "
     "earlier, as active users, consumed revenue or consumption value"),
    ("Deployments", "customers (or customer workloads, or Azure services) in use at the area's level now, "
     "minus a year earlier"),
    ("Track", "Enterprise or SMB: some areas score both and keep a qualifying one, others are classified "
     "by Microsoft from the customer base"),
    ("Qualification window", "the days on which the partner must qualify at least once: the current month "
     "and the months before it, or, when enrolled, the renewal month and the months before it (the "
     "table above gives the dates)"),
)


def glossary() -> Html:
    """The metrics and terms of the report in plain words."""
    items = "".join(f"<dt><strong>{html.escape(term)}</strong></dt><dd>{html.escape(text)}</dd>"
                    for term, text in GLOSSARY)
    return Html(f"<div class='pcs-report'><dl>{items}</dl></div>")
