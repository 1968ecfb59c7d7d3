"""A bulk run's record and front page: the manifest (one row per partner) and the index page of
every report with the portfolio's distribution."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import uuid
from dataclasses import asdict
from pathlib import Path

import polars as pl

from pcs_analysis.output import write_csv
from pcs_analysis.reporting.jobs import Outcome

MANIFEST_COLUMNS = {"partner_id": pl.String, "status": pl.String, "cell": pl.Int64, "message": pl.String,
                    "seconds": pl.Float64, "prepare_seconds": pl.Float64, "html": pl.String, "inputs_hash": pl.String,
                    "pdf": pl.String}


def read_manifest(out: Path) -> dict[str, dict]:
    path = out / "manifest.json"
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text())
    except ValueError:
        return {}
    return {row["partner_id"]: row for row in rows}


def write_manifest(out: Path, outcomes: list[Outcome]) -> pl.DataFrame:
    rows = [asdict(o) for o in outcomes]
    frame = pl.DataFrame(rows, schema=MANIFEST_COLUMNS)
    write_csv(out / "manifest.csv", frame)
    partial = out / f".manifest.json.{uuid.uuid4().hex}.tmp"
    partial.write_text(json.dumps(rows, indent=1))
    os.replace(partial, out / "manifest.json")
    return frame


def write_index(out: Path, data, rules, as_of: dt.date, manifest: pl.DataFrame) -> None:
    """The portfolio page: counts per area and status, the distribution of totals, and a table of
    every partner (sortable by any column, filtered by area and status; a few lines of script of
    our own, nothing loaded from the network) with a link to each report."""
    from pcs_analysis.analysis.status import qualification

    areas = list(rules.areas)
    status = qualification(data, as_of=as_of, rules=rules, areas=areas).status.select(
        "partner_id", "area", "status", "total_today", "is_qualified_today")
    page = index_page(manifest, status, names=dict(data.partners.collect().select("partner_id", "partner_name")
                                                   .iter_rows()),
                      titles={a: rules.area(a).title for a in areas}, as_of=as_of, rules_version=rules.version,
                      distribution=_distribution_svg(status, {a: rules.area(a).title for a in areas}))
    partial = out / f".index.html.{uuid.uuid4().hex}.tmp"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out / "index.html")


def _distribution_svg(status: pl.DataFrame, titles: dict[str, str]) -> str:
    from pcs_analysis.present import charts

    charts.alt.theme.enable(charts.THEME)
    summary = status.select(pl.col("area").replace(titles), pl.col("total_today").alias("total"),
                            pl.col("is_qualified_today").alias("is_qualified"))
    return charts.to_svg(charts.portfolio_distribution(summary))


_INDEX_SCRIPT = """<script>
(function(){
  const table=document.getElementById('partners'), body=table.tBodies[0];
  const area=document.getElementById('area'), status=document.getElementById('status');
  function filter(){
    const a=area.value, s=status.value;
    for(const row of body.rows){
      let show=true;
      if(a||s){show=false;for(const cell of row.querySelectorAll('td[data-area]')){
        if((!a||cell.dataset.area===a)&&(!s||cell.dataset.status===s)){show=true;break;}}}
      row.style.display=show?'':'none';}
  }
  area.onchange=filter; status.onchange=filter;
  table.tHead.querySelectorAll('th').forEach(function(th,i){
    th.onclick=function(){
      const down=th.dataset.dir!=='asc'; th.dataset.dir=down?'asc':'desc';
      const rows=[...body.rows]; const key=r=>{const c=r.cells[i];return c.dataset.sort??c.textContent.trim();};
      rows.sort(function(x,y){const a=key(x),b=key(y),na=parseFloat(a),nb=parseFloat(b);
        const c=(!isNaN(na)&&!isNaN(nb))?na-nb:a.localeCompare(b);return down?c:-c;});
      rows.forEach(r=>body.appendChild(r));};});
})();
</script>"""


def index_page(manifest: pl.DataFrame, status: pl.DataFrame, *, names: dict, titles: dict[str, str], as_of: dt.date,
               rules_version: str, distribution: str = "") -> str:
    """The portfolio page of a run (`index.html`), as text. Names are HTML-escaped."""
    from pcs_analysis.analysis.status import ENROLLED, IN_PROGRESS, QUALIFIED, RENEWAL_DUE

    statuses = (QUALIFIED, ENROLLED, RENEWAL_DUE, IN_PROGRESS)
    e = html.escape
    areas = list(titles)
    mine = {(r["partner_id"], r["area"]): r for r in status.iter_rows(named=True)}
    counts = status.group_by("area", "status").len()
    count = {(r["area"], r["status"]): r["len"] for r in counts.iter_rows(named=True)}
    summary_rows = "".join(
        f"<tr><th>{e(titles[a])}</th>" + "".join(f"<td>{count.get((a, s), 0)}</td>" for s in statuses) + "</tr>"
        for a in areas)
    rows = []
    for r in manifest.iter_rows(named=True):
        pid = r["partner_id"]
        cells = []
        for a in areas:
            row = mine.get((pid, a))
            if row is None:
                cells.append("<td></td>")
                continue
            css = "q" if row["is_qualified_today"] or row["status"] != IN_PROGRESS else "n"
            cells.append(f"<td class='{css}' data-area='{e(a, quote=True)}' "
                         f"data-status='{e(row['status'], quote=True)}' "
                         f"data-sort='{row['total_today']:.3f}'>{row['total_today']:.1f}"
                         f"<small>{e(row['status'])}</small></td>")
        state = r["status"] if r["status"] != "skipped" else "ok"
        link = (f"<a href=\"{e(r['html'], quote=True)}\">report</a>" if r["html"] and state == "ok"
                else e(r["message"] or ""))
        rows.append(f"<tr><td>{e(pid)}</td><td dir='auto'>{e(names.get(pid) or '')}</td><td>{e(state)}</td>"
                    f"{''.join(cells)}<td>{link}</td></tr>")
    area_options = "".join(f"<option value='{e(a, quote=True)}'>{e(titles[a])}</option>" for a in areas)
    status_options = "".join(f"<option>{e(s)}</option>" for s in statuses)
    head = "".join(f"<th>{e(titles[a])}</th>" for a in areas)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner Capability Score, portfolio on {as_of}</title>
<style>
body{{font-family:"Segoe UI","Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP","Noto Sans Arabic","Noto Sans Hebrew",
 Helvetica,Arial,sans-serif;margin:2em;color:#1b1b1b}}
table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
#partners th{{cursor:pointer;user-select:none}}
#partners th:hover{{text-decoration:underline}}
td.q{{color:#1a6b34}}td.n{{color:#7a5200}}
td small{{display:block;color:#57606a;font-size:.75em}}
.counts td{{text-align:right}}.filters{{margin:1em 0}}
@media print{{.filters{{display:none}}tr{{break-inside:avoid}}}}
</style></head>
<body><h1>Partner Capability Score: portfolio</h1>
<p>Scores as Partner Center shows them on {as_of}; rulebook {e(rules_version)}; {manifest.height} partner(s).</p>
<h2>Partners per area and status</h2>
<table class="counts"><tr><th></th>{''.join(f'<th>{e(s)}</th>' for s in statuses)}</tr>{summary_rows}</table>
<h2>Totals per area</h2>
<figure>{distribution}</figure>
<h2>Partners</h2>
<div class="filters"><label>Area <select id="area"><option value="">all</option>{area_options}</select></label>
<label>Status <select id="status"><option value="">all</option>{status_options}</select></label>
<span>(click a column to sort)</span></div>
<table id="partners"><thead><tr><th>partner</th><th>name</th><th>report</th>{head}<th></th></tr></thead>
<tbody>
{''.join(rows)}
</tbody></table>
{_INDEX_SCRIPT}
</body></html>
"""
