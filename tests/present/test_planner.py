"""The scenario planner (`present.planner`): each change rescored as `what_if` scores the same
scenario, untouched areas kept as they are, undo and save, and the widget's buttons."""

import polars as pl
import pytest

from pcs_analysis.analysis.whatif import read_scenarios, what_if
from pcs_analysis.engine.scoring import score
from pcs_analysis.present.planner import ScenarioPlanner, describe, scenario_planner

AS_OF = "2026-11-21"
EXPERT = "Microsoft 365 Certified: Enterprise Administrator Expert"


@pytest.fixture()
def planner(sample_data, rules):
    return ScenarioPlanner(sample_data, "P005", as_of=AS_OF, rules=rules)


def test_the_cards_after_each_change_are_what_if_of_the_same_scenario(planner, sample_data, rules):
    planner.add(planner.certify(EXPERT, 1))
    planner.add(planner.lose("P005-T005"))
    planner.add(planner.new_customer("Exchange Online", "CPOR", 400, 200, 0))
    full = what_if(sample_data, [planner.scenario()], as_of=AS_OF, rules=rules)
    expected = full.summary.select("area", "total_after", "is_qualified_after", "track_after")
    got = planner.cards().select("area", "total_after", "is_qualified_after", "track_after")
    assert got.sort("area").equals(expected.sort("area"))


def test_only_the_areas_an_action_reads_are_rescored(planner, sample_data, rules):
    planner.add(planner.certify(EXPERT, 1))
    assert planner.areas_changed() == ["modern_work"]
    now = score(sample_data.only_partners(["P005"]), as_of=AS_OF, rules=rules).summary
    cards = planner.cards()
    untouched = cards.filter(pl.col("area") != "modern_work")
    assert (untouched["total_after"] == untouched["total_before"]).all()
    assert cards.filter(pl.col("area") == "modern_work")["total_after"][0] > \
        now.filter(pl.col("area") == "modern_work")["total"][0]


def test_undo_returns_to_the_partner_as_it_is(planner):
    planner.add(planner.certify(EXPERT, 2))
    planner.undo()
    cards = planner.cards()
    assert planner.result is None and (cards["total_after"] == cards["total_before"]).all()
    assert "No action yet" in planner.actions_html()


def test_a_saved_scenario_is_read_back_by_pcs_whatif(planner, tmp_path):
    from pcs_analysis.config import SAMPLE_DIR
    from tests.builders import run
    planner.add(planner.certify(EXPERT, 1))
    planner.add(planner.move("P005-T005", "DPOR"))
    path = planner.save(tmp_path / "session.toml")
    assert read_scenarios(path) == [planner.scenario()]
    done = run("whatif", SAMPLE_DIR, "--scenarios", path, "--as-of", AS_OF, "--area", "modern_work")
    total = planner.cards().filter(pl.col("area") == "modern_work")["total_after"][0]
    assert f"-> {total:.1f}" in done.stdout


def test_every_action_reads_in_words(planner):
    texts = [describe(a, planner.customers) for a in (
        planner.certify(EXPERT, 2), planner.new_customer("Exchange Online", "CPOR", 400, 0, 0),
        planner.lose("P005-T005"), planner.grow(10.0, None), planner.move("P005-T005", "DPOR"),
        planner.expire(*planner.held[0]))]
    assert texts[0] == f"certify 2 more people: {EXPERT}"
    assert texts[3] == "grow active users by 10 % at every customer"
    assert all(not t.startswith(("AddC", "Lose", "Grow", "Asso", "Expi")) for t in texts)


def test_the_widgets_buttons_add_undo_and_save(sample_data, rules, tmp_path):
    box = scenario_planner(sample_data, "P005", as_of=AS_OF, rules=rules, save_to=str(tmp_path / "s.toml"))
    cards, tabs = box.children[0], box.children[1]
    before = cards.value
    certify = tabs.children[0]
    certify.children[0].value = EXPERT
    certify.children[-1].click()
    assert box.planner.actions and cards.value != before and "83.0" not in before
    undo, _, save = box.children[4].children
    save.click()
    assert read_scenarios(tmp_path / "s.toml") == [box.planner.scenario()]
    undo.click()
    assert not box.planner.actions and cards.value == before


def test_a_refused_action_is_taken_back_and_the_earlier_ones_kept(planner):
    planner.add(planner.certify(EXPERT, 1))
    total = planner.cards()["total_after"].to_list()
    with pytest.raises(Exception, match="has no tenant 'NO-SUCH'"):
        planner.add(planner.lose("NO-SUCH"))
    assert len(planner.actions) == 1 and planner.cards()["total_after"].to_list() == total
