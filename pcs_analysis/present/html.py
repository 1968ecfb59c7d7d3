"""The partner report as a reader sees it: a headline per area, formatted tables, next steps in
full sentences and a glossary, as HTML fragments a notebook displays (and nbconvert keeps).

Tables are drawn with great-tables (numbers formatted: points to one decimal, counts with
thousands separators), without dtype rows or truncation; long tables are folded in `<details>`.
A print stylesheet keeps each area on its own page and charts whole.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pcs_analysis.reporting.partner import PartnerReport

#: Tables longer than this are folded (the reader opens them).
FOLD_ROWS = 12

STYLE = """<style>
.pcs-report{font-family:"Segoe UI","Noto Sans","Noto Sans CJK JP","Noto Sans Arabic",Helvetica,Arial,sans-serif;
  color:#1b1b1b;max-width:1100px}
.pcs-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px;margin:8px 0 16px}
.pcs-card{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;break-inside:avoid}
.pcs-card h3{margin:0 0 6px;font-size:1.05em}
.pcs-badge{display:inline-block;border-radius:12px;padding:1px 10px;font-size:.85em;font-weight:600}
.pcs-qualified,.pcs-enrolled{background:#dff3e4;color:#1a6b34}
.pcs-progress{background:#fff4d6;color:#7a5200}.pcs-renewal{background:#e3ecfb;color:#1f4e9c}
.pcs-total{font-size:1.6em;font-weight:600}
.pcs-bar{height:8px;background:#eef1f4;border-radius:4px;position:relative;margin:4px 0 8px}
.pcs-bar span{position:absolute;left:0;top:0;bottom:0;border-radius:4px;background:#4c78a8}
.pcs-bar i{position:absolute;top:-3px;bottom:-3px;width:2px;background:#c0392b}
.pcs-card ul{margin:4px 0 0 18px;padding:0}.pcs-muted{color:#57606a;font-size:.9em}
.pcs-report details summary{cursor:pointer;color:#1f4e9c;margin:6px 0}
.pcs-steps li{margin:3px 0}
@media print{
  .jp-Cell,.jp-Cell-outputWrapper,.jp-OutputArea,.jp-OutputArea-child{break-inside:auto!important;
    page-break-inside:auto!important}
  .pcs-card,svg,img,figure,tr{break-inside:avoid;page-break-inside:avoid}
  .jp-OutputArea-output img{max-height:20cm;max-width:100%;width:auto;height:auto;object-fit:contain}
  .pcs-cards{grid-template-columns:1fr 1fr}
  .jp-MarkdownCell h2{break-before:page}
  .pcs-report details{display:block}.pcs-report details>*{display:block}
  body{font-size:11pt}a{color:inherit}
}
</style>"""


class Html(str):
    """An HTML fragment that notebooks display as HTML; its plain text is a short label."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return "<pcs report section>"


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


def table(frame: pl.DataFrame, *, labels: Mapping[str, str], decimals: Mapping[str, int] | None = None,
          integers: Sequence[str] = (), title: str = "", table_id: str = "t", fold: bool = False) -> Html:
    """A frame as an HTML table (great-tables): the columns in `labels`, with their labels,
    numbers formatted, folded in `<details>` past FOLD_ROWS rows (or always with `fold`)."""
    from great_tables import GT

    shown = frame.select(list(labels))
    if shown.is_empty():
        return Html(f"<div class='pcs-report'><p class='pcs-muted'>{html.escape(title)}: none</p></div>")
    gt = GT(shown, id=table_id).cols_label(**dict(labels)).opt_row_striping()
    for column, places in (decimals or {}).items():
        gt = gt.fmt_number(columns=column, decimals=places)
    if integers:
        gt = gt.fmt_integer(columns=list(integers))
    gt = gt.sub_missing(missing_text="")
    body = gt.as_raw_html(inline_css=False)
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    if fold or shown.height > FOLD_ROWS:
        body = f"<details><summary>{html.escape(title or 'rows')}: {shown.height:,} rows</summary>{body}</details>"
        heading = ""
    return Html(f"<div class='pcs-report'>{heading}{body}</div>")


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
