"""Track choice: both tracks side by side, marginal points, and a measured path on each."""

import pytest

from pcs_analysis.analysis.track_comparison import track_choice
from pcs_analysis.engine.scoring import score
from tests.builders import almost_qualified

AS_OF = "2026-11-21"


def test_side_by_side_marginal_points_and_paths():
    data = almost_qualified()
    t = track_choice(data, "P1", as_of=AS_OF, areas=["modern_work"])
    adv = t.side_by_side.filter(t.side_by_side["metric"] == "advanced_certifications").row(0, named=True)
    assert (adv["points_enterprise"], adv["points_smb"]) == (0, 0)
    best = t.marginal.filter((t.marginal["track"] == "enterprise") & (t.marginal["kind"] == "add_person"))
    assert best["best_points"][0] == pytest.approx(7.5)
    enterprise = t.paths.filter(t.paths["track"] == "enterprise")
    # One certified expert lifts the metric at zero and qualifies: 67 + 7.5.
    assert enterprise["step"].to_list() == [0, 1] and enterprise["is_qualified"].to_list() == [False, True]
    assert enterprise["total"].to_list() == pytest.approx([67, 74.5])
    assert "Enterprise Administrator Expert" in enterprise["action"][1]
    smb = t.paths.filter(t.paths["track"] == "smb")
    other = score(data, as_of=AS_OF, areas=["modern_work"]).summary["other_track_total"][0]
    assert smb["total"][0] == pytest.approx(other)
    assert smb["total"].is_sorted()  # every step adds points


def test_costs_steer_the_path():
    data = almost_qualified()
    cheap_people = track_choice(data, "P1", as_of=AS_OF, areas=["modern_work"], costs={"add_person": 0.1})
    smb = cheap_people.paths.filter(cheap_people.paths["track"] == "smb")
    assert smb["kind"][1] == "add_person"
