"""One partner's report: the tables and charts `notebooks/partner_report.ipynb` shows.

`partner_report` computes them for one partner, live. `build_reports` computes them for many
partners at once, in portfolio-wide passes of the engine (scores, explanations, status, history,
recommendations), which costs a fraction of scoring partner by partner; `pcs reports` prepares
them this way, saves each partner's report to its own folder (`save`, only that partner's rows
and its charts as static SVG) and has the notebook `load` it, so a report's kernel only displays.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pcs_analysis.errors import PcsError

if TYPE_CHECKING:
    from pcs_analysis.inputs.read import PartnerData
    from pcs_analysis.rules import Rulebook

TABLES = ("summary", "scores", "not_counted", "people", "status", "recommendations", "history")
CHARTS = ("score_cards", "history")
_FORMAT = 2


@dataclass(frozen=True)
class PartnerReport:
    """What the partner report shows, for one partner on one day.

    Attributes
    ----------
    summary
        Per area: the track shown, why that track, the total, qualified or not, metrics at zero.
    scores
        Per area and metric, on the track shown: value, points and maximum.
    not_counted
        Tenant rows that did not count, and why.
    people
        People counted per area, metric and prerequisite step.
    status
        The qualification window per area: status, days qualified and observed.
    recommendations
        Points to qualify, and the `top` actions and risks per area and track.
    history
        The total per area and month.
    top
        Actions and risks kept per area and track.
    bars
        The qualifying bar per area, and under "all" the rulebook's bar (from the rulebook).
    titles
        Each area's title, as the rulebook names it.
    svg
        The charts drawn as static SVG when the report was prepared in bulk; empty when computed
        live (the charts are then drawn by altair's renderer in the notebook).
    """

    partner_id: str
    partner_name: str
    as_of: dt.date
    rules_version: str
    top: int
    bars: dict[str, float]
    summary: pl.DataFrame
    scores: pl.DataFrame
    not_counted: pl.DataFrame
    people: pl.DataFrame
    status: pl.DataFrame
    recommendations: pl.DataFrame
    history: pl.DataFrame
    svg: dict[str, str] = field(default_factory=dict)
    #: The areas' titles (from the rulebook).
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.partner_id} {self.partner_name} — scores as shown on {self.as_of}, rulebook {self.rules_version}"

    def score_cards(self):
        """One bar chart per area: points per metric against their maximum, and the bar."""
        if "score_cards" in self.svg:
            return _svg(self.svg["score_cards"])
        from pcs_analysis.present import charts

        cards = [charts.score_card(self.scores.filter(pl.col("area") == area), bar=self.bars[area],
                                   title=self.titles.get(area, area))
                 for area in self.summary["area"]]
        return charts.alt.vconcat(*cards)

    def history_chart(self):
        """The total per area and month, against the qualifying bar."""
        if "history" in self.svg:
            return _svg(self.svg["history"])
        from pcs_analysis.present import charts

        return charts.history_chart(self.history, bar=self.bars["all"], titles=self.titles)

    def headline(self):
        """Per area: status, total against the bar, points still needed, metrics below the
        minimum, the qualification window and the track kept."""
        from pcs_analysis.reporting.page import headline

        return headline(self)

    def next_steps(self):
        """What to do next per area, as sentences ranked by the points they add, then risks."""
        from pcs_analysis.reporting.page import next_steps

        return next_steps(self)

    def score_table(self):
        """Each metric's value and points on the track kept, against its maximum."""
        from pcs_analysis.present.html import table

        frame = self.scores.with_columns(pl.col("area").replace(self.titles).alias("area"),
                                         pl.col("metric").str.replace_all("_", " "))
        return table(frame, labels={"area": "Area", "track": "Track", "metric": "Metric", "option": "Option",
                                    "value": "Value", "points": "Points", "max_points": "Maximum"},
                     decimals={"value": 1, "points": 1, "max_points": 0}, title="Points per metric",
                     table_id="scores")

    def behind_the_metrics(self):
        """The people counted, and the customer rows that did not count and why (folded)."""
        from pcs_analysis.present.html import Html, table

        people = table(self.people.with_columns(pl.col("area").replace(self.titles),
                                                pl.col("metric").str.replace_all("_", " ")),
                       labels={"area": "Area", "metric": "Metric", "step": "Step", "people": "People counted"},
                       integers=["people"], title="People counted", table_id="people")
        rows = table(self.not_counted.with_columns(pl.col("area").replace(self.titles),
                                                   pl.col("metric").str.replace_all("_", " ")),
                     labels={"area": "Area", "metric": "Metric", "track": "Track", "period": "Period",
                             "customer": "Customer", "workload": "Workload", "why": "Why it did not count"},
                     title="Customer rows that did not count", table_id="not-counted")
        return Html(people + rows)

    def status_table(self):
        """The qualification window per area: status, window and days qualified."""
        from pcs_analysis.present.html import table

        frame = self.status.with_columns(pl.col("area").replace(self.titles))
        return table(frame, labels={"area": "Area", "status": "Status", "window_start": "Window from",
                                    "window_end": "to", "days_qualified": "Days qualified",
                                    "days_observed": "Days observed"},
                     integers=["days_qualified", "days_observed"], title="Qualification window", table_id="status")

    def glossary(self):
        """The metrics and terms in plain words."""
        from pcs_analysis.reporting.page import glossary

        return glossary()

    def check_text(self) -> str:
        """A stable text form of the report's figures (what the notebook's checks compare)."""
        from pcs_analysis.present.tables import text

        area = pl.col("area").replace(self.titles)
        return "\n\n".join(text(frame.with_columns(area)) for frame in (
            self.summary.select("area", "track", "total", "is_qualified", "missing_metrics"),
            self.status.select("area", "status", "days_qualified", "days_observed")))

    def draw(self) -> PartnerReport:
        """The same report with its charts drawn as static SVG (for reading offline), in the
        package's theme; the session's altair renderer is left as it was."""
        from pcs_analysis.present import charts

        charts.alt.theme.enable(charts.THEME)
        drawn = {"score_cards": self.score_cards(), "history": self.history_chart()}
        return replace(self, svg={name: charts.to_svg(chart) for name, chart in drawn.items()})

    def save(self, folder: str | Path) -> Path:
        """Write the report to `folder` (replaced whole, atomically)."""
        folder = Path(folder)
        partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
        partial.mkdir(parents=True)
        for name in TABLES:
            getattr(self, name).write_parquet(partial / f"{name}.parquet")
        meta = {"format": _FORMAT, "partner_id": self.partner_id, "partner_name": self.partner_name,
                "as_of": self.as_of.isoformat(), "rules_version": self.rules_version, "top": self.top,
                "bars": self.bars, "svg": self.svg, "titles": self.titles}
        (partial / "report.json").write_text(json.dumps(meta), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(partial, folder)
        return folder


def load(folder: str | Path) -> PartnerReport:
    """A report saved by `PartnerReport.save`."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        tables = {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    except (OSError, ValueError) as exc:
        raise PcsError(f"{folder}: not a prepared partner report ({exc})") from None
    if meta.get("format") != _FORMAT:
        raise PcsError(f"{folder}: prepared with another version of the report (format {meta.get('format')})")
    return PartnerReport(partner_id=meta["partner_id"], partner_name=meta["partner_name"],
                         as_of=dt.date.fromisoformat(meta["as_of"]), rules_version=meta["rules_version"],
                         top=meta["top"], bars=meta["bars"], svg=meta["svg"], titles=meta["titles"], **tables)


def partner_report(data: PartnerData | str | Path | None = None, partner_id: str | None = None, *,
                   as_of: dt.date | str, rules: Rulebook | str | None = None, top: int = 3,
                   chart_renderer: str = "svg", prepared: str | Path = "", data_dir: str | Path | None = None,
                   rules_version: str | None = None) -> PartnerReport:
    """One partner's report: loaded from `prepared` (a folder saved by `pcs reports`), which must
    be this partner's on this day, or else computed live.

    Parameters
    ----------
    data : PartnerData, or a data folder
        The partners' data (`read_data`), or the folder of the canonical tables, of which only
        this partner's rows are read (not read at all with `prepared`).
    partner_id : str
        The partner the report is about.
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    rules : Rulebook or str, optional
        The rulebook, or its version name (default: the newest).
    top : int, default 3
        Actions and risks shown per area and track.
    chart_renderer : str, default "svg"
        "svg" (static, offline) or "default" (interactive, loads vega from a CDN).
    prepared : str or Path, optional
        This partner's report as `pcs reports` saved it.
    data_dir, rules_version
        The names `data` and `rules` had before this release: still read, with a deprecation
        warning, for one release.

    Examples
    --------
    >>> import datetime as dt
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> r = partner_report(SAMPLE_DIR, "P005", as_of=dt.date(2026, 11, 21))
    >>> r.summary.filter(r.summary["area"] == "security")["is_qualified"].to_list()
    [True]
    """
    from pcs_analysis.rules import Rulebook
    from pcs_analysis.rules.periods import parse_date

    data, rules = _renamed(data, data_dir, "data_dir", "data"), _renamed(rules, rules_version, "rules_version", "rules")
    if partner_id is None:
        raise TypeError("partner_report() needs the partner_id")
    as_of = parse_date(as_of)
    version = rules.version if isinstance(rules, Rulebook) else rules
    if prepared:
        report = load(prepared)
        wanted = (partner_id, as_of, version or report.rules_version, top)
        if (report.partner_id, report.as_of, report.rules_version, report.top) != wanted:
            raise PcsError(f"{prepared}: prepared for {report.partner_id} on {report.as_of} (rulebook "
                           f"{report.rules_version}, top {report.top}), not for {partner_id} on {as_of} (top {top})")
        return report
    from pcs_analysis.analysis.folders import load_folder
    from pcs_analysis.inputs.read import PartnerData
    from pcs_analysis.present import charts
    from pcs_analysis.rules import load_rules

    if isinstance(data, PartnerData):
        data.require_partners([partner_id], what="partner_report")
        data, rules = data.only_partners([partner_id]), rules if isinstance(rules, Rulebook) else load_rules(rules)
    else:
        data, rules = load_folder(data, rules_version=version, partners=[partner_id])
    charts.use_theme(chart_renderer)
    return build_reports(data, as_of=as_of, rules=rules, top=top)[partner_id]


def _renamed(value: Any, old: Any, old_name: str, new_name: str) -> Any:
    """A parameter given under the name it had before this release: read, with a warning."""
    if old is None:
        return value
    if value is not None:
        raise TypeError(f"partner_report() got both {new_name} and {old_name} (its former name)")
    warnings.warn(f"partner_report({old_name}=...) is now partner_report({new_name}=...); the former name stops "
                  "working in the next release", DeprecationWarning, stacklevel=3)
    return old


def build_reports(data: PartnerData, *, as_of: dt.date, rules: Rulebook, top: int = 3) -> dict[str, PartnerReport]:
    """The report of every partner of `data`, from one pass of each part of the engine."""
    from pcs_analysis.analysis.explanation import contribution_reasons
    from pcs_analysis.analysis.recommendations import recommend
    from pcs_analysis.analysis.status import history, qualification
    from pcs_analysis.engine.scoring import score
    from pcs_analysis.inputs.customers import customer_labels

    areas = list(rules.areas)
    result = score(data, as_of=as_of, rules=rules, areas=areas)
    tenants, people = contribution_reasons(result, rules, areas, customers=customer_labels(data.usage))
    kept = result.summary.select("partner_id", "area", "track")
    frames = {
        "summary": result.summary.select("partner_id", "area", "track", "track_basis", "total", "is_qualified",
                                         "missing_metrics", "points_to_qualify"),
        "scores": result.scores.join(kept, on=["partner_id", "area", "track"]),
        "not_counted": tenants.filter(~pl.col("is_counted"))
        .select("partner_id", "area", "metric", "track", "period", "customer", "workload", "why"),
        "people": people.filter(pl.col("is_counted"))
        .group_by("partner_id", "area", "metric", "step")
        .agg(pl.col("person_id").n_unique().alias("people"))
        .sort("partner_id", "area", "metric", "step"),
        "status": qualification(data, as_of=as_of, rules=rules, areas=areas).status
        .select("partner_id", "area", "status", "days_qualified", "days_observed", "window_start", "window_end",
                "is_enrolled", "anniversary_on"),
        "recommendations": recommend(data, as_of=as_of, rules=rules, areas=areas).table
        .filter((pl.col("rank") <= top) | (pl.col("type") == "to_qualify"))
        .select("partner_id", "area", "track", "type", "points_change", "recommendation"),
        "history": history(data, as_of=as_of, rules=rules, areas=areas).summary,
    }
    split = {name: frame.partition_by("partner_id", as_dict=True, maintain_order=True)
             for name, frame in frames.items()}
    names = dict(data.partners.collect().select("partner_id", "partner_name").iter_rows())
    bars = {"all": rules.qualification.min_total_points,
            **{area: rules.area(area).qualification.min_total_points for area in areas}}
    titles = {area: rules.area(area).title for area in areas}
    reports = {}
    for pid in data.partner_ids():
        tables = {}
        for name, frame in frames.items():
            part = split[name].get((pid,), frame.clear())
            tables[name] = part if name == "history" else part.drop("partner_id")
        reports[pid] = PartnerReport(partner_id=pid, partner_name=names.get(pid) or "", as_of=as_of,
                                     rules_version=rules.version, top=top, bars=bars, titles=titles, **tables)
    return reports


def _svg(markup: str):
    from IPython.display import SVG

    return SVG(data=markup)
