"""Tables as an analyst reads them in a notebook: column labels in words with their units, areas,
metrics and tracks by their names, numbers formatted, no dtype row.

`show` draws a frame as an HTML table (great-tables, as the partner report does); `text` prints
the same as plain text, which is what the notebooks' checked cells compare (stable across
great-tables versions). Columns this module does not know keep their name, in words.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pcs_analysis.present.html import Html, table
from pcs_analysis.rules import Rulebook

#: Column -> (label, format): "points" one decimal, "count" whole, "usd" whole dollars, "bool"
#: yes/no, "text" as it is.
COLUMNS: dict[str, tuple[str, str]] = {
    "partner_id": ("Partner", "text"), "partner_name": ("Name", "text"), "area": ("Area", "text"),
    "track": ("Track", "text"), "metric": ("Metric", "text"), "option": ("Option", "text"),
    "status": ("Status", "text"), "total": ("Total (points)", "points"),
    "points_to_qualify": ("Points to qualify", "points"), "is_qualified": ("Qualified", "bool"),
    "qualified": ("Partners qualified", "count"), "partners": ("Partners", "count"), "len": ("Partners", "count"),
    "partners_qualified": ("Partners qualified", "count"), "partners_gained": ("Gained", "count"),
    "partners_lost": ("Lost", "count"), "step": ("Step", "count"), "cost": ("Cost", "points"),
    "action": ("Action", "text"), "total_now": ("Total now (points)", "points"),
    "is_qualified_now": ("Qualified now", "bool"), "total_after": ("Total after (points)", "points"),
    "total_before": ("Total before (points)", "points"), "is_qualified_after": ("Qualified after", "bool"),
    "points": ("Points", "points"), "points_added": ("Points added", "points"),
    "points_per_cost": ("Points per unit of cost", "points"), "kind": ("Action kind", "text"),
    "certification": ("Certification", "text"), "person_id": ("Person", "text"),
    "counts_until": ("Counts until", "text"), "renew_by": ("Renew by", "text"), "expires_on": ("Expires on", "text"),
    "track_from": ("Track (from)", "text"), "track_to": ("Track (to)", "text"),
    "total_from": ("Total (from, points)", "points"), "total_to": ("Total (to, points)", "points"),
    "total_change": ("Change (points)", "points"), "status_from": ("Status (from)", "text"),
    "status_to": ("Status (to)", "text"), "designation": ("Designation", "text"),
    "metrics_changed": ("Metrics that move", "text"), "mean_change": ("Mean change (points)", "points"),
    "rule_changes": ("Settings changed", "text"), "has_designation_from": ("Designated (from)", "bool"),
    "has_designation_to": ("Designated (to)", "bool"),
    "points_before": ("Points before", "points"), "points_after": ("Points after", "points"),
    "points_change": ("Change (points)", "points"), "value_before": ("Value before", "points"),
    "value_after": ("Value after", "points"),
}
TRACKS = {"smb": "SMB", "enterprise": "Enterprise"}


def readable(frame: pl.DataFrame, rules: Rulebook | None = None) -> pl.DataFrame:
    """Values in words: areas by their titles (`rules`), metrics and kinds with spaces, tracks
    capitalised, lists separated by commas, booleans as yes/no."""
    titles = {name: area.title for name, area in rules.areas.items()} if rules is not None else {}
    changes = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if name == "area" and titles:
            changes.append(column.replace(titles))
        elif name in ("metric", "kind", "metrics_changed", "missing_metrics"):
            changes.append(column.str.replace_all("_", " ").str.replace_all(";", ", "))
        elif name.startswith("track") and dtype == pl.String:
            changes.append(column.replace(TRACKS))
        elif dtype == pl.Boolean:
            changes.append(pl.when(column).then(pl.lit("yes")).when(~column).then(pl.lit("no")).alias(name))
    return frame.with_columns(changes) if changes else frame


def _label(name: str) -> str:
    if "." in name:   # a rule parameter's path, as the rulebook writes it
        return name
    return COLUMNS.get(name, (name.replace("_", " ").capitalize(), "text"))[0]


def _format(name: str) -> str:
    return COLUMNS.get(name, ("", "text"))[1]


def show(frame: pl.DataFrame, *, title: str = "", rules: Rulebook | None = None, table_id: str = "t",
         fold: bool = False) -> Html:
    """`frame` as a formatted HTML table (areas by their titles in `rules`)."""
    shown = readable(frame, rules)
    numeric = [c for c, t in shown.schema.items() if t.is_numeric()]
    return table(shown, labels={c: _label(c) for c in shown.columns},
                 decimals={c: 1 for c in numeric if _format(c) in ("points", "text") and shown.schema[c].is_float()},
                 integers=[c for c in numeric if _format(c) in ("count", "usd") or shown.schema[c].is_integer()],
                 title=title, table_id=table_id, fold=fold)


def text(frame: pl.DataFrame, *, rules: Rulebook | None = None) -> str:
    """`frame` as a plain-text table with the same labels and number formats as `show`."""
    shown = readable(frame, rules)
    headers = [_label(c) for c in shown.columns]
    rows = [[_cell(v) for v in row] for row in shown.iter_rows()]
    right = {i for i, t in enumerate(shown.schema.values()) if t.is_numeric()}
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
