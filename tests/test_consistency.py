"""Each metric kind means the same everywhere: scoring, sensitivity, forecasts and plans agree.

For every registered kind and every setting it has (each flipped from its rulebook value in turn),
a sensitivity variant equals rescoring under the changed rulebook, and the forecast's value of the
data month it starts from equals the score of that month.
"""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import polars as pl
import pytest

from pcs_analysis import load_rules, score, sensitivity
from pcs_analysis.analysis import forecasts
from pcs_analysis.analysis.sensitivities import get_parameter, set_parameter
from pcs_analysis.engine.points import metric_points
from pcs_analysis.rules.kinds import KINDS
from pcs_analysis.rules.periods import month_index, published_on

AS_OF = "2026-11-21"
PARTNERS = 24
RULES = load_rules("2026-05")
_CHOICES = {name: typing.get_args(hint) for kind in KINDS.values()
            for name, hint in typing.get_type_hints(kind.settings).items() if typing.get_origin(hint) is typing.Literal}


def _changed(value, setting: str):
    """Another value of a setting: another choice, the other boolean, or a number moved enough to
    matter."""
    if setting in _CHOICES:
        return next(c for c in _CHOICES[setting] if c != value)
    if isinstance(value, bool):
        return not value
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool):
        return value + 1
    return value * 0.5 if value else 1000.0


def _variants() -> list[tuple[str, str, str, object]]:
    """(kind, area, parameter path, changed value): the first metric of each kind for each of its
    settings (metric settings, then per-track settings and full-marks values)."""
    seen, out = set(), []
    for area in RULES.areas.values():
        for metric in area.metrics:
            for leaf in metric.leaves():
                prefix = f"{metric.name}.{leaf.name}" if metric.composite else metric.name
                kind = KINDS[leaf.kind]
                track = area.tracks[0]
                rule = leaf.tracks[track]
                settings = sorted({f.name for f in dataclasses.fields(kind.settings) if "key" in f.metadata
                                   and f.metadata["read"] is None} - {"measure"})
                paths = [f"{prefix}.{s}" for s in settings]
                # The kind's own track settings that the track gives (a band's lower end, a gate,
                # prerequisite people and points).
                given = rule.settings.parameters() if rule.settings is not None else {}
                paths += [f"{prefix}.{track}.{s}" for s, v in given.items()
                          if v is not None and s not in ("max_value", "promoted_within_months")]
                option = rule.options[0]
                paths.append(f"{prefix}.{track}.{option.name}.full_marks_at" if option.name and not metric.composite
                             else f"{prefix}.{track}.full_marks_at")
                for path in paths:
                    setting = path.rsplit(".", 1)[1]
                    if (kind.name, setting) in seen:
                        continue
                    seen.add((kind.name, setting))
                    value = get_parameter(RULES, area.area, path)
                    out.append((kind.name, area.area, path, _changed(value, setting)))
    return out


VARIANTS = _variants()


def test_every_kind_is_covered():
    assert {k for k, *_ in VARIANTS} == {k for k in KINDS if k != "sum_of_parts"}


@pytest.fixture(scope="module")
def few(sample_data):
    return sample_data.only_partners(sample_data.partner_ids()[:PARTNERS])


@pytest.mark.parametrize(("kind", "area", "path", "value"), VARIANTS,
                         ids=[f"{k}:{p}" for k, _, p, _ in VARIANTS])
def test_a_sensitivity_variant_equals_rescoring_under_the_changed_rulebook(few, kind, area, path, value):
    variant = sensitivity(few, as_of=AS_OF, areas=[area], grid={path: [value]}, rules=RULES).partners
    rescored = score(few, as_of=AS_OF, rules=set_parameter(RULES, area, path, value), areas=[area]).summary
    joined = variant.join(rescored.select("partner_id", pl.col("track").alias("track_rescored"),
                                          pl.col("total").alias("total_rescored"),
                                          pl.col("is_qualified").alias("qualified_rescored")), on="partner_id")
    assert joined.height == PARTNERS
    mismatch = joined.filter((pl.col("track") != pl.col("track_rescored"))
                             | ((pl.col("total") - pl.col("total_rescored")).abs() > 1e-9)
                             | (pl.col("is_qualified") != pl.col("qualified_rescored")))
    assert mismatch.is_empty(), mismatch


#: Settings the forecast's value of a usage metric depends on, flipped one at a time.
FORECAST_SETTINGS = {"growth", "gate_applies_to", "growth_basis", "credit_from_association", "window_value",
                     "unit", "min_baseline", "lookback_months"}
STILL = forecasts.Rates(arrivals=0, losses=0, growth_mean=0, growth_sd=0, attrition=0, new_people=0)


def _forecast_of_scored_month(data, partner_id: str, area: str, rules) -> pl.DataFrame:
    """The forecast's points of every usage metric for the data month already scored (k = 0, no
    uncertainty): the level it starts from against that month's baseline."""
    mine = data.only_partners([partner_id])
    now = score(mine, as_of=AS_OF, rules=rules, areas=[area])
    data_month = month_index(now.summary["month"][0])
    past = score(mine, as_of=[published_on(m, rules.refresh) for m in range(data_month - 12, data_month + 1)],
                 rules=rules, areas=[area])
    options = now.option_values.select("track", "metric", "option", "max_points", "full_marks_at", "combine",
                                       "metric_order", "track_order", "option_order")
    frames = [forecasts._usage(metric, past, area, data_month, [data_month], np.random.default_rng(0), 1, STILL)[0]
              for metric in rules.area(area).metrics if not metric.counts_people]
    values = pl.concat(frames, how="diagonal_relaxed").join(options, on=["track", "metric", "option"],
                                                            nulls_equal=True)
    points = metric_points(values.with_columns(pl.lit(partner_id).alias("partner_id")),
                           rules.area(area).qualification, ["path", "k"])
    scored = now.scores.filter(~pl.col("metric").is_in([m.name for m in rules.area(area).metrics
                                                        if m.counts_people]))
    return scored.select("track", "metric", pl.col("points").alias("scored")).join(
        points.select("track", "metric", pl.col("points").alias("forecast")), on=["track", "metric"], how="full")


def _forecast_cases() -> list[tuple[str, str, object]]:
    cases = [(area, "", None) for area in RULES.areas]
    cases += [(area, path, value) for kind, area, path, value in VARIANTS
              if path.rsplit(".", 1)[1] in FORECAST_SETTINGS]
    return cases


@pytest.mark.parametrize(("area", "path", "value"), _forecast_cases(),
                         ids=[f"{a}:{p or 'as published'}" for a, p, _ in _forecast_cases()])
def test_a_forecast_without_uncertainty_of_the_scored_month_equals_its_score(sample_data, area, path, value):
    rules = set_parameter(RULES, area, path, value) if path else RULES
    users = (sample_data.usage.filter(pl.col("product").is_not_null()).select("partner_id").unique()
             .sort("partner_id").collect()["partner_id"].to_list())
    for partner_id in users[:4]:
        both = _forecast_of_scored_month(sample_data, partner_id, area, rules)
        wrong = both.filter((pl.col("scored") - pl.col("forecast")).abs().fill_null(1.0) > 1e-6)
        assert wrong.is_empty(), (partner_id, wrong)


#: Qualification settings the planner's constraints must read as scoring does.
PLAN_VARIANTS = [("points_rounding", "floor"), ("points_rounding", "one_decimal"), ("min_metric_comparison", "gt"),
                 ("min_metric_points", 2.5)]


@pytest.mark.parametrize(("setting", "value"), PLAN_VARIANTS, ids=[f"{s}={v}" for s, v in PLAN_VARIANTS])
@pytest.mark.parametrize("area", ["modern_work", "security"])
def test_the_planners_qualification_equals_scorings(sample_data, area, setting, value):
    """Under each qualification setting, a plan called optimal qualifies when carried out (the
    planner checks its own prediction and raises otherwise) and each of its certifications is
    needed: its constraint is neither looser nor stricter than scoring's."""
    from pcs_analysis import plan_certifications
    from tests.builders import PLAN_AS_OF, PLAN_TARGET, virtual, with_certifications

    rules = set_parameter(RULES, area, setting, value)
    variants, expected = [], {}
    for partner_id in sample_data.partner_ids()[:12]:
        mine = sample_data.only_partners([partner_id])
        plan = plan_certifications(mine, partner_id, as_of=PLAN_AS_OF, areas=[area], target=PLAN_TARGET,
                                   rules=rules)
        if plan.status != "optimal":
            continue
        rows = [{"partner_id": None, "person_id": r["person_id"], "certification": r["certification"],
                 "earned_on": r["earn_by"], "expires_on": None} for r in plan.plan.iter_rows(named=True)]
        for k, kept in [("all", rows)] + [(f"drop{i}", rows[:i] + rows[i + 1:]) for i in range(len(rows))]:
            vid = f"{partner_id}#{k}"
            variants.append(with_certifications(virtual(sample_data, partner_id, vid),
                                                [{**r, "partner_id": vid} for r in kept]))
            expected[vid] = k == "all"
    assert variants, "no plan to check"
    combined = type(sample_data)(*[pl.concat([getattr(v, f) for v in variants], how="vertical_relaxed")
                                   for f in ("usage", "certifications", "enrollments", "partners")])
    summary = score(combined, as_of=PLAN_TARGET, rules=rules, areas=[area]).summary
    wrong = summary.filter(pl.col("is_qualified") != pl.col("partner_id").replace_strict(expected))
    assert wrong.is_empty(), wrong.select("partner_id", "track", "total", "is_qualified", "missing_metrics")


@pytest.mark.parametrize("area", list(RULES.areas))
def test_a_recommendations_points_change_equals_replaying_its_actions_with_what_if(sample_data, area):
    """Recommendations are what-if actions: replayed through `what_if`, each kind of change gives
    the points change the recommendation states (on its track; risks on the kept track)."""
    from pcs_analysis.analysis.recommendations import measured_actions
    from pcs_analysis.analysis.whatif import Scenario, what_if

    few = sample_data.only_partners(sample_data.partner_ids()[:8])
    candidates, measured = measured_actions(few, as_of=AS_OF, area=area, rules=RULES)
    # The first measured candidate of each kind of change, per partner type of row.
    chosen = measured.group_by("kind", "type", maintain_order=True).first()
    assert chosen.height, "no recommendation to replay"
    for row in chosen.iter_rows(named=True):
        candidate = candidates[row["candidate"]]
        replay = what_if(few, [Scenario(row["kind"], candidate.actions)], as_of=AS_OF, rules=RULES, areas=[area])
        if candidate.track is None:
            change = replay.summary["total_change"][0]
        else:
            on_track = replay.metrics.filter(pl.col("track") == row["track"])
            change = on_track["points_after"].sum() - on_track["points_before"].sum()
        assert change == pytest.approx(row["points_change"], abs=1e-9), (row, candidate.actions)


def test_a_new_kind_is_its_own_module_and_a_line_of_the_registry(tmp_path, monkeypatch, sample_data):
    """A kind registered with its settings and functions only (here: people holding a listed
    certification, counted twice over) is loaded, shown, scored and explained by the rest of the
    package unchanged."""
    import shutil
    from dataclasses import dataclass

    from pcs_analysis.analysis.explanation import explain
    from pcs_analysis.config import RULES_DIR
    from pcs_analysis.rules import kinds
    from pcs_analysis.rules.inspect import rules_table
    from pcs_analysis.rules.kinds import certified_people
    from pcs_analysis.rules.kinds.base import Kind
    from pcs_analysis.rules.kinds.settings import People, setting
    from pcs_analysis.rules.load import load_rules as load

    @dataclass(frozen=True, kw_only=True)
    class Settings(People):
        weight: int = setting(2, minimum=1)

    def doubled(ctx, metric):
        rows = certified_people.certified_people(ctx, metric)
        return rows.with_columns(pl.col("contribution") * metric.weight)

    new = Kind(name="weighted_people", summary="people counted `weight` times", settings=Settings,
               track_keys=frozenset({"full_marks_at"}), contributions=doubled, counts_people=True,
               can_be_part=False, shown=("weight",))
    monkeypatch.setitem(kinds.KINDS, new.name, new)
    base = tmp_path / "rules"
    shutil.copytree(RULES_DIR / "2026-05", base / "2026-05")
    area = base / "2026-05" / "modern_work.toml"
    text = area.read_text()
    old = 'kind = "certified_people"\ncategory = "skilling"\nmax_points = 10\ncertifications = "intermediate"\n'
    assert old in text
    area.write_text(text.replace(old, old.replace('"certified_people"', '"weighted_people"') + "weight = 3\n", 1))
    rules = load("2026-05", rules_dir=base)
    metric = rules.area("modern_work").metric("intermediate_certifications")
    assert (metric.kind, metric.weight, metric.counts_people) == ("weighted_people", 3, True)
    shown = rules_table(rules, "modern_work")
    weight = shown.filter((pl.col("metric") == metric.name) & (pl.col("setting") == "weight"))
    assert weight["value"].to_list() == ["3"]
    plain = score(sample_data, as_of=AS_OF, rules=RULES, areas=["modern_work"]).scores
    weighted = score(sample_data, as_of=AS_OF, rules=rules, areas=["modern_work"]).scores
    pick = (pl.col("metric") == metric.name)
    both = plain.filter(pick).select("partner_id", "track", "value").join(
        weighted.filter(pick).select("partner_id", "track", pl.col("value").alias("weighted")),
        on=["partner_id", "track"])
    assert both.height and (both["weighted"] == both["value"] * 3).all()
    # The explanation shows the kind's own rows: each counted person adds the weight, and they
    # add up to the value scored.
    people = explain(sample_data, "P005", as_of=AS_OF, rules=rules, areas=["modern_work"]).people
    counted = people.filter((pl.col("metric") == metric.name) & pl.col("is_counted"))
    assert counted.height and (counted["contribution"] == 3.0).all()
    scored = weighted.filter(pick & (pl.col("partner_id") == "P005"))["value"].unique().to_list()
    assert scored == [counted["contribution"].sum()]
