"""The impact of a rule change on a portfolio: every partner and area scored under two rulebooks.

Microsoft rewrites the Partner Capability Score every year. `impact` scores the same data under
the rulebook in force and a newer one (or any two), and says per partner and area both totals,
both statuses, whether the designation is won or lost, and which metrics move the total, each
joined to the settings that changed for it (`rules diff`).

A designation is earned in a rulebook when the partner qualifies on at least one day of its
qualification window (`qualification`'s `days_qualified`): the program's rule for a first
designation and for its renewal.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from pcs_analysis.analysis.status import qualification
from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook, load_rules
from pcs_analysis.rules.inspect import diff_rules
from pcs_analysis.rules.periods import parse_date

PARTNER_COLUMNS = [
    "partner_id", "partner_name", "area", "track_from", "track_to", "total_from", "total_to", "total_change",
    "status_from", "status_to", "has_designation_from", "has_designation_to", "designation", "metrics_changed",
]
METRIC_COLUMNS = [
    "partner_id", "area", "metric", "track_from", "track_to", "points_from", "points_to", "points_change",
    "rule_changes",
]
SUMMARY_COLUMNS = [
    "area", "partners", "designated_from", "designated_to", "gain", "lose", "keep", "without",
    "total_change_mean",
]

#: `designation` of a partner and area: how it changes from the first rulebook to the second.
GAINS, LOSES, KEEPS, WITHOUT = "gains", "loses", "keeps", "without"


@dataclass(frozen=True)
class Impact:
    """What a second rulebook does to a portfolio.

    Attributes
    ----------
    partners
        One row per partner x area (PARTNER_COLUMNS): the kept track, total and status under each
        rulebook, whether the designation is won (`gains`), lost (`loses`), kept or held in
        neither, and the metrics whose points change.
    metrics
        One row per partner x area x metric of either rulebook (METRIC_COLUMNS): its points on
        each rulebook's kept track and the settings of the metric that changed (`rules diff`).
    summary
        One row per area (SUMMARY_COLUMNS): partners designated under each rulebook, how many
        gain, lose or keep a designation, and the mean change of the total.
    """

    from_version: str
    to_version: str
    as_of: dt.date
    partners: pl.DataFrame
    metrics: pl.DataFrame
    summary: pl.DataFrame

    def moved(self) -> pl.DataFrame:
        """The partners that gain or lose a designation, largest change of the total first."""
        return self.partners.filter(pl.col("designation").is_in([GAINS, LOSES])).sort(
            "designation", "area", "total_change", descending=[False, False, True])

    def moving_metrics(self) -> pl.DataFrame:
        """Per area and metric, the partners whose points change and the mean change, with the
        settings that changed for the metric."""
        moving = self.metrics.filter(pl.col("points_change").abs() > 1e-9)
        return (moving.group_by("area", "metric", maintain_order=True)
                .agg(pl.len().alias("partners"), pl.col("points_change").mean().round(2).alias("mean_change"),
                     pl.col("rule_changes").first())
                .sort("area", "partners", descending=[False, True]))


def impact(data: PartnerData, *, as_of: dt.date | str, rules: Rulebook | None = None,
           compared_to: Rulebook | None = None, areas: Iterable[str] | None = None, lag: bool = True,
           from_rules: Rulebook | None = None, to_rules: Rulebook | None = None) -> Impact:
    """Score `data` under two rulebooks and compare, per partner and area: what `rules` changes
    against `compared_to` (the result's "from" side is `compared_to`, its "to" side `rules`).

    Parameters
    ----------
    data : PartnerData
        The partners' data (`read_data`).
    as_of : date or str
        The day Partner Center would show (YYYY-MM-DD).
    rules : Rulebook, optional
        The rulebook whose effect is measured (default: the current one, `load_rules()`).
    compared_to : Rulebook
        The rulebook it is compared with, for example the one in force (`load_rules(VERSION)`).
    areas : list of str, optional
        The solution areas (default: every area both rulebooks cover).
    lag : bool, default True
        Show data with Partner Center's refresh lag.

    Examples
    --------
    >>> from pcs_analysis import load_rules, read_data
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> data = read_data(SAMPLE_DIR).only_partners(["P005"])
    >>> i = impact(data, as_of="2026-11-21", rules=load_rules("2026-05"), compared_to=load_rules("2023-06"),
    ...            areas=["modern_work"])
    >>> i.partners.select("total_from", "total_to").row(0)
    (47.68, 67.34)
    """
    from_rules, to_rules = _sides(rules, compared_to, from_rules, to_rules)
    day = parse_date(as_of)
    asked = list(areas) if areas is not None else list(to_rules.areas)
    missing = [f"{a} (not in {', '.join(r.version for r in (from_rules, to_rules) if a not in r.areas)})"
               for a in asked if a not in from_rules.areas or a not in to_rules.areas]
    if missing:
        raise PcsError(f"impact compares areas both rulebooks cover: {'; '.join(missing)}")
    area_names = asked
    sides = {}
    for side, rules in (("from", from_rules), ("to", to_rules)):
        status = qualification(data, as_of=day, rules=rules, areas=area_names, lag=lag)
        sides[side] = status
    partners = _partners(sides["from"].status, sides["to"].status)
    metrics = _metrics(data, day, from_rules, to_rules, area_names, lag)
    changed = (metrics.filter(pl.col("points_change").abs() > 1e-9)
               .group_by("partner_id", "area", maintain_order=True)
               .agg(pl.col("metric").str.join(";").alias("metrics_changed")))
    partners = (partners.join(changed, on=["partner_id", "area"], how="left", maintain_order="left")
                .with_columns(pl.col("metrics_changed").fill_null("")).select(PARTNER_COLUMNS))
    return Impact(from_version=from_rules.version, to_version=to_rules.version, as_of=day, partners=partners,
                  metrics=metrics, summary=_summary(partners, area_names))


def _sides(rules: Rulebook | None, compared_to: Rulebook | None, from_rules: Rulebook | None,
           to_rules: Rulebook | None) -> tuple[Rulebook, Rulebook]:
    """The rulebooks compared ("from", "to"), also from the former keywords `from_rules` and
    `to_rules`, which keep working this release with a warning."""
    if from_rules is not None or to_rules is not None:
        warnings.warn("impact(from_rules=, to_rules=) is deprecated: use impact(compared_to=, rules=); the former "
                      "keywords stop working in the next release", DeprecationWarning, stacklevel=3)
        compared_to = compared_to if compared_to is not None else from_rules
        rules = rules if rules is not None else to_rules
    if compared_to is None:
        raise TypeError("impact() needs compared_to: the rulebook to compare with")
    return compared_to, rules if rules is not None else load_rules()


def _partners(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    def side(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
        return frame.select("partner_id", "partner_name", "area", pl.col("track_today").alias(f"track_{suffix}"),
                            pl.col("total_today").alias(f"total_{suffix}"), pl.col("status").alias(f"status_{suffix}"),
                            (pl.col("days_qualified") > 0).alias(f"has_designation_{suffix}"))

    joined = side(before, "from").join(side(after, "to").drop("partner_name"), on=["partner_id", "area"],
                                       how="full", coalesce=True, maintain_order="left")
    had, has = pl.col("has_designation_from").fill_null(False), pl.col("has_designation_to").fill_null(False)
    designation = (pl.when(~had & has).then(pl.lit(GAINS)).when(had & ~has).then(pl.lit(LOSES))
                   .when(had & has).then(pl.lit(KEEPS)).otherwise(pl.lit(WITHOUT)))
    return joined.with_columns((pl.col("total_to") - pl.col("total_from")).round(9).alias("total_change"),
                               designation.alias("designation"))


def _metrics(data: PartnerData, day: dt.date, from_rules: Rulebook, to_rules: Rulebook, area_names: list[str],
             lag: bool) -> pl.DataFrame:
    """Each metric's points on each rulebook's kept track, with the settings that changed."""
    from pcs_analysis.engine.scoring import score

    def kept(rules: Rulebook, suffix: str) -> pl.DataFrame:
        result = score(data, as_of=day, rules=rules, areas=area_names, lag=lag)
        tracks = result.summary.select("partner_id", "area", "track")
        return (result.scores.join(tracks, on=["partner_id", "area", "track"], how="semi", maintain_order="left")
                .select("partner_id", "area", "metric", pl.col("track").alias(f"track_{suffix}"),
                        pl.col("points").alias(f"points_{suffix}")))

    joined = kept(from_rules, "from").join(kept(to_rules, "to"), on=["partner_id", "area", "metric"], how="full",
                                           coalesce=True, maintain_order="left")
    changes = _rule_changes(from_rules, to_rules, area_names)
    return (joined.with_columns((pl.col("points_to").fill_null(0.0) - pl.col("points_from").fill_null(0.0))
                                .round(9).alias("points_change"))
            .join(changes, on=["area", "metric"], how="left", maintain_order="left")
            .with_columns(pl.col("rule_changes").fill_null(""))
            .select(METRIC_COLUMNS))


def _rule_changes(from_rules: Rulebook, to_rules: Rulebook, area_names: list[str]) -> pl.DataFrame:
    """Per area and metric, the settings `rules diff` finds changed, in one line: a track one
    rulebook has and the other lacks as `smb track: added`, a scalar as `track setting: old -> new`,
    a list as `setting: +added -removed`."""
    rows = []
    for area in area_names:
        diff = diff_rules(from_rules, to_rules, area).filter(pl.col("metric") != "")
        diff = diff.with_columns(pl.col("metric").str.split(".").list.first().alias("top"))
        tracks = {side: _tracks(rules, area) for side, rules in (("from", from_rules), ("to", to_rules))}
        for (metric,), part in diff.group_by("top", maintain_order=True):
            rows.append((area, metric, "; ".join(_change_texts(part, tracks))))
    return pl.DataFrame(rows, schema={"area": pl.String, "metric": pl.String, "rule_changes": pl.String},
                        orient="row")


def _tracks(rules: Rulebook, area: str) -> set[tuple[str, str]]:
    """(metric or `metric.part`, track) of every track an area's metrics have."""
    return {(name, track) for metric in rules.area(area).metrics
            for name, leaf in [(metric.name, metric),
                               *((f"{metric.name}.{part}", m) for part, m in metric.sub_metrics().items())]
            for track in leaf.tracks}


def _change_texts(diff: pl.DataFrame, tracks: dict[str, set[tuple[str, str]]]) -> list[str]:
    texts, whole = [], set()
    for (name, track), _ in diff.filter(pl.col("track") != "").group_by("metric", "track", maintain_order=True):
        change = ("added" if (name, track) not in tracks["from"] else
                  "removed" if (name, track) not in tracks["to"] else None)
        if change:
            whole.add((name, track))
            texts.append(f"{_where(name, track)} track: {change}")
    for (name, setting, track, option), rows in diff.group_by("metric", "setting", "track", "option",
                                                             maintain_order=True):
        if (name, track) in whole:
            continue
        label = f"{_where(name, track, option)} {setting}".strip()
        if rows["item"].first():
            counts = {c: (rows["change"] == c).sum() for c in ("added", "removed", "changed")}
            words = [f"{n} {c}" for c, n in counts.items() if n]
            texts.append(f"{label}: {', '.join(words)}")
            continue
        r = rows.row(0, named=True)
        if (r["old"] or "") != (r["new"] or ""):
            texts.append(f"{label}: {r['old'] or '(none)'} -> {r['new'] or '(none)'}")
    return texts


def _where(metric: str, track: str, option: str = "") -> str:
    """A part's name (of `metric.part`), the track and the option, as words."""
    return " ".join(w for w in (metric.partition(".")[2], track, option) if w)


def _summary(partners: pl.DataFrame, area_names: list[str]) -> pl.DataFrame:
    counts = partners.group_by("area").agg(
        pl.len().alias("partners"),
        pl.col("has_designation_from").fill_null(False).sum().alias("designated_from"),
        pl.col("has_designation_to").fill_null(False).sum().alias("designated_to"),
        *[(pl.col("designation") == d).sum().alias(name)
          for d, name in ((GAINS, "gain"), (LOSES, "lose"), (KEEPS, "keep"), (WITHOUT, "without"))],
        pl.col("total_change").mean().round(2).alias("total_change_mean"),
    )
    order = {a: i for i, a in enumerate(area_names)}
    return (counts.with_columns(pl.col("area").replace_strict(order).alias("_o")).sort("_o")
            .select(SUMMARY_COLUMNS))
