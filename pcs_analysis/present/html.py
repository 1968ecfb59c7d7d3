"""HTML fragments a notebook displays (and nbconvert keeps): formatted tables and the report's
stylesheet. The partner report's own pieces (headline, next steps, glossary) are in
`reporting.page`.

Tables are drawn with great-tables (numbers formatted: points to one decimal, counts with
thousands separators), without dtype rows or truncation; long tables are folded in `<details>`.
A print stylesheet keeps each area on its own page and charts whole.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import polars as pl

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


