"""Plain-text renderings of results for terminals (one decimal for points, nothing else rounded)."""

from __future__ import annotations

import polars as pl

from pcs_analysis.analysis.explanation import Explanation

NAME_WIDTH = 32
MISSING_WIDTH = 40


def _table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset()) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _clip(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def points(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def format_summary(summary: pl.DataFrame) -> str:
    """A readable table of a summary: one line per partner x area.

    Examples
    --------
    >>> import datetime as dt
    >>> s = pl.DataFrame({"partner_id": ["P1"], "partner_name": ["A"], "area": ["modern_work"],
    ...     "track": ["smb"], "total": [70.25], "is_qualified": [True], "missing_metrics": [""],
    ...     "points_to_qualify": [0.0], "other_track_total": [12.0], "month": [dt.date(2026, 10, 1)]})
    >>> print(format_summary(s).splitlines()[2])
    P1       A     modern_work  smb     70.2  yes                                   12.0  2026-10
    """
    rows = [
        [r["partner_id"], _clip(r["partner_name"], NAME_WIDTH), r["area"], r["track"], points(r["total"]),
         "yes" if r["is_qualified"] else "no",
         _clip((r["missing_metrics"] or "").replace(";", ", "), MISSING_WIDTH)
         or (points(r["points_to_qualify"]) + " pts short" if r["points_to_qualify"] else ""),
         points(r["other_track_total"]), r["month"].strftime("%Y-%m")]
        for r in summary.iter_rows(named=True)
    ]
    headers = ["partner", "name", "area", "track", "total", "qualified", "missing / short by",
               "other track", "month"]
    table = _table(headers, rows, right={4, 7})
    qualified = int(summary["is_qualified"].sum()) if summary.height else 0
    return f"{table}\n\n{qualified} of {summary.height} partner x area rows qualify."


def format_explanation(e: Explanation) -> str:
    """The metric-by-metric story of one partner's score."""
    out = [f"Partner {e.partner_id}: score shown on {e.as_of}"]
    for s in e.result.summary.iter_rows(named=True):
        verdict = "QUALIFIED" if s["is_qualified"] else "not qualified"
        out.append(f"\n== {s['area']} (data month {s['month']:%Y-%m}) - {s['track']} track "
                   f"({s['track_basis']}): {points(s['total'])} points, {verdict}")
        if s["missing_metrics"]:
            out.append(f"   metrics at or below the minimum: {s['missing_metrics'].replace(';', ', ')}")
        if s["other_track"]:
            out.append(f"   {s['other_track']} track: {points(s['other_track_total'])} points")
        scores = e.result.scores.filter((pl.col("area") == s["area"]) & (pl.col("track") == s["track"]))
        for m in scores.iter_rows(named=True):
            parts = _parts(e, m)
            if parts.height:
                value = "" if m["value"] is None else f"value {m['value']:g}, "
                out.append(f"   - {m['metric']}: {value}sum of {', '.join(parts['option'])} -> "
                           f"{points(m['points'])} of {m['max_points']:g} points")
                for p in parts.iter_rows(named=True):
                    out.append(f"     + {p['option']}: value {p['value']:g} -> {points(p['points'])} points")
                    out += ["  " + line for line in _metric_lines(e, s["area"], s["track"], m["metric"], p["option"])]
                continue
            option = f" via {m['option']}" if m["option"] else ""
            out.append(f"   - {m['metric']}: value {m['value']:g}{option} -> "
                       f"{points(m['points'])} of {m['max_points']:g} points")
            out += _metric_lines(e, s["area"], s["track"], m["metric"], m["option"])
    return "\n".join(out)


def _parts(e: Explanation, m: dict) -> pl.DataFrame:
    """The part rows of a metric that sums parts (its option names them, joined by '+')."""
    if not m["option"] or "+" not in m["option"]:
        return e.result.options.clear()
    names = m["option"].split("+")
    return e.result.options.filter(
        (pl.col("area") == m["area"]) & (pl.col("track") == m["track"]) & (pl.col("metric") == m["metric"])
        & pl.col("option").is_in(names))


def _metric_lines(e: Explanation, area: str, track: str, metric: str, option: str | None) -> list[str]:
    people = e.people.filter((pl.col("area") == area) & (pl.col("metric") == metric)) \
        if e.people.height else None
    needed = _step_rows(e, area, track, metric)["step"].to_list()
    if (people is not None and people.height) or needed:
        return _people_lines(e, people, area, track, metric, needed)
    if not e.tenants.height:
        return []
    rows = e.tenants.filter((pl.col("area") == area) & (pl.col("metric") == metric)
                            & (pl.col("track") == track)
                            & (pl.col("option").eq_missing(pl.lit(option, pl.String))))
    lines = []
    for period in ("current", "baseline"):
        part = rows.filter(pl.col("period") == period)
        counted = part.filter(pl.col("is_counted"))
        total = counted["contribution"].sum()
        label = "scored month" if period == "current" else "baseline"
        lines.append(f"       {label}: {counted.height} counted row(s), {total:+g}")
        for r in part.filter(~pl.col("is_counted")).head(5).iter_rows(named=True):
            what = (r.get("customer") or r["tenant_id"]) + (f" / {r['workload']}" if r["workload"] else "")
            lines.append(f"         not counted: {what}: {r['why']}")
        hidden = part.filter(~pl.col("is_counted")).height - 5
        if hidden > 0:
            lines.append(f"         ... and {hidden} more (see explain_tenants.csv)")
    return lines


def _people_lines(e: Explanation, people: pl.DataFrame | None, area: str, track: str, metric: str,
                  needed: list[str]) -> list[str]:
    """The people counted per step (prerequisite steps first, with the people each needs), those
    not counted and why, and the steps that withhold the points."""
    steps = people["step"].unique().to_list() if people is not None and people.height else [None]
    steps = list(dict.fromkeys([*needed, *(s for s in steps if s is not None)])) if needed else steps
    steps.sort(key=lambda step: (step not in needed, step or ""))  # prerequisite steps first
    lines = []
    for step in steps:
        part = (people if step is None else people.filter(pl.col("step") == step)) if people is not None else None
        counted = part.filter(pl.col("is_counted"))["person_id"].to_list() if part is not None else []
        label = f"{step}: " if step else ""
        lines.append(f"       {label}counted: {', '.join(counted) or 'nobody'} ({len(counted)})"
                     + _step_need(e, area, track, metric, step))
        for r in part.filter(~pl.col("is_counted")).iter_rows(named=True) if part is not None else []:
            lines.append(f"         not counted: {r['person_id']} ({r['certification']}): {r['why']}")
    return lines + _closed_steps(e, area, track, metric)


def _step_rows(e: Explanation, area: str, track: str, metric: str) -> pl.DataFrame:
    return e.steps.filter((pl.col("area") == area) & (pl.col("track") == track) & (pl.col("metric") == metric))


def _step_need(e: Explanation, area: str, track: str, metric: str, step: str | None) -> str:
    """", needs 2: 1 more person" after a prerequisite step's people (empty for other steps)."""
    rows = _step_rows(e, area, track, metric).filter(pl.col("step") == step) if step else e.steps.clear()
    if not rows.height:
        return ""
    r = rows.row(0, named=True)
    if not r["lacking"]:
        return f", needs {r['needed']}: met"
    return f", needs {r['needed']}: {r['lacking']} more {'person' if r['lacking'] == 1 else 'people'}"


def _closed_steps(e: Explanation, area: str, track: str, metric: str) -> list[str]:
    """Why a stepped metric's points are withheld: the steps that lack people."""
    lacking = _step_rows(e, area, track, metric).filter(pl.col("lacking") > 0)
    if not lacking.height:
        return []
    what = "; ".join(f"{r['step']} has {r['people']} of the {r['needed']} people it needs"
                     for r in lacking.iter_rows(named=True))
    return [f"       the points need every step met on the {track} track: {what}"]


def _scope(row: dict) -> str:
    parts = [row["area"] or "program", row["metric"], row["track"], row["option"]]
    return " / ".join(p for p in parts if p)


def format_rules(table: pl.DataFrame) -> str:
    """A rulebook table grouped by scope: one line per setting, lists on one line."""
    lines: list[str] = []
    current = None
    grouped = table.group_by(["area", "metric", "track", "option", "setting", "effective"],
                             maintain_order=True).agg(pl.col("value"))
    for row in grouped.iter_rows(named=True):
        scope = _scope(row)
        if scope != current:
            lines.append(f"\n[{scope}]")
            current = scope
        values = [v for v in row["value"] if v != ""] or ["(none)"]
        dated = f" (from {row['effective']})" if row["effective"] else ""
        lines.append(f"  {row['setting']}{dated}: {', '.join(values)}")
    return "\n".join(lines).lstrip("\n")


def format_readings(readings: pl.DataFrame, area: str | None = None) -> str:
    """The readings of the sources (`reading_rows`), each with its sentence, reason and setting;
    with `area`, the program-wide ones and that area's."""
    if area is not None:
        scope = pl.col("setting").str.split(".").list.first()
        readings = readings.filter((pl.col("setting").str.contains(r"\.").not_()) | (scope == area))
    lines = ["\n[readings: where the sources allow more than one reading]"]
    for r in readings.iter_rows(named=True):
        setting = f"{r['setting']} = {r['value']}" if r["setting"] else f"fixed: {r['value']}"
        alternative = f" (alternative: {r['alternative']})" if r["alternative"] else ""
        lines += [f"  {r['topic']}: {setting}{alternative}", f"    source: {r['source']}",
                  f"    why: {r['reason']}"]
    return "\n".join(lines)


def format_rules_diff(changes: pl.DataFrame, old: str, new: str) -> str:
    """The changes between two rulebooks, one line each."""
    if not changes.height:
        return f"no differences between {old} and {new}"
    lines = [f"{changes.height} change(s) from {old} to {new}:"]
    for row in changes.iter_rows(named=True):
        scope = _scope(row)
        if row["change"] == "added":
            what = f"+ {row['new']}"
        elif row["change"] == "removed":
            what = f"- {row['old']}"
        else:
            what = f"{row['old'] or '(none)'} -> {row['new'] or '(none)'}"
        dated = f" (in {new}, from {row['effective']})" if row["effective"] else ""
        lines.append(f"  {scope}: {row['setting']}{dated}: {what}")
    return "\n".join(lines)


def format_history(history: pl.DataFrame) -> str:
    """Totals per partner and area, one column per month (q: qualified that month)."""
    if not history.height:
        return "no partners"
    months = sorted(history["month"].unique().to_list())
    rows = []
    for (pid, area), part in history.group_by(["partner_id", "area"], maintain_order=True):
        by_month = {r["month"]: r for r in part.iter_rows(named=True)}
        rows.append([pid, area] + [
            (points(by_month[m]["total"]) + (" q" if by_month[m]["is_qualified"] else "")) if m in by_month else ""
            for m in months])
    headers = ["partner", "area"] + [m.strftime("%Y-%m") for m in months]
    return _table(headers, rows, right=set(range(2, 2 + len(months)))) + "\n\nq: qualified on that day"


def format_status(status: pl.DataFrame) -> str:
    """One line per partner and area: status, window and qualifying days."""
    rows = [[r["partner_id"], r["area"], r["status"], f"{r['window_start']} to {r['window_end']}",
             f"{r['days_qualified']}/{r['days_observed']}", points(r["total_today"]) if r["total_today"] is not None
             else "", r["track_today"] or ""]
            for r in status.iter_rows(named=True)]
    headers = ["partner", "area", "status", "window", "days qualified", "total today", "track"]
    table = _table(headers, rows, right={4, 5})
    counts = status.group_by("status").len().sort("status")
    tally = ", ".join(f"{r['status']}: {r['len']}" for r in counts.iter_rows(named=True))
    return f"{table}\n\n{tally}"


def format_recommendations(table: pl.DataFrame, *, top: int = 3, compact: bool = False) -> str:
    """Per partner and area: what is still needed, then the best actions and the largest risks;
    `compact`: one line per partner and area, what is needed and the best action of the kept
    track."""
    if compact:
        return _compact_recommendations(table)
    lines: list[str] = []
    for (pid, area), part in table.group_by(["partner_id", "area"], maintain_order=True):
        lines.append(f"\n== {pid} / {area}")
        for r in part.filter(pl.col("type") == "to_qualify").iter_rows(named=True):
            lines.append(f"   {r['recommendation']}")
        for kind, label in (("action", "do"), ("gap", "fix"), ("risk", "watch")):
            rows = part.filter((pl.col("type") == kind) & (pl.col("rank") <= top))
            if kind == "action":
                rows = rows.filter(pl.col("is_kept_track") | (pl.col("rank") == 1))
            for r in rows.iter_rows(named=True):
                lines.append(f"   {label}: {r['recommendation']}")
    return "\n".join(lines).lstrip("\n") if lines else "no recommendations"


def _compact_recommendations(table: pl.DataFrame) -> str:
    lines = []
    for (pid, area), part in table.group_by(["partner_id", "area"], maintain_order=True):
        needed = part.filter(pl.col("type") == "to_qualify")["recommendation"].to_list()
        best = part.filter((pl.col("type") == "action") & pl.col("is_kept_track") & (pl.col("rank") == 1))
        action = f"; next: {best['recommendation'][0]}" if best.height else ""
        lines.append(f"{pid} / {area}: {needed[0] if needed else 'no figures'}{action}")
    return "\n".join(lines) if lines else "no recommendations"


def format_impact(result) -> str:
    """A rule change's impact (`impact`): per area, the partners designated under each rulebook
    and who gains or loses; then each partner that gains or loses, with its totals."""
    s = result.summary
    lines = [f"{result.from_version} -> {result.to_version}, as of {result.as_of}: designations per area "
             "(qualified on a day of the window)", ""]
    rows = [[r["area"], str(r["partners"]), str(r["designated_from"]), str(r["designated_to"]), f"+{r['gain']}",
             f"-{r['lose']}", f"{r['total_change_mean']:+.1f}"] for r in s.iter_rows(named=True)]
    lines.append(_table(["area", "partners", result.from_version, result.to_version, "gain", "lose",
                         "mean total change"], rows, right={1, 2, 3, 4, 5, 6}))
    moved = result.moved()
    if moved.height:
        lines += ["", "partners that gain or lose a designation:"]
        rows = [[r["partner_id"], _clip(r["partner_name"], 32), r["area"], r["designation"],
                 f"{points(r['total_from'])} -> {points(r['total_to'])}", _clip(r["metrics_changed"].replace(";", ", "),
                                                                              60)]
                for r in moved.iter_rows(named=True)]
        lines.append(_table(["partner", "name", "area", "designation", "total today", "metrics that move"], rows))
    return "\n".join(lines)
