"""certified_people_in_steps (the Azure areas' skilling): people in the scoring step, points only
once every prerequisite step has its people, and each met step's own points."""

from __future__ import annotations

import polars as pl

from pcs_analysis import score
from pcs_analysis.rules.kinds import KINDS
from pcs_analysis.rules.kinds.people import first_valid
from pcs_analysis.rules.schema import REMOVE
from tests.builders import AS_OF, make_data, metric

KIND = KINDS["certified_people_in_steps"]


def _holders(m, counts: list[int]) -> list[dict]:
    """`counts[i]` people holding a certification of slot i (prerequisite steps, then scoring)."""
    rows = []
    for i, ((_, certifications), n) in enumerate(zip(KIND.people_slots(m), counts, strict=True)):
        name = first_valid(certifications).name
        rows += [{"partner_id": "P1", "person_id": f"s{i}-{p}", "certification": name, "earned_on": "2025-01-10",
                  "expires_on": None} for p in range(n)]
    return rows


def test_the_scoring_step_scores_only_once_every_step_is_met(rules):
    m = rules.area("data_ai").metric("intermediate_certifications")
    slots = KIND.people_slots(m)
    assert len(slots) >= 2 and KIND.step_needs(m, "smb") == {label: 1 for label, _ in slots[:-1]}
    steps = len(slots) - 1
    closed = score(make_data(certs=_holders(m, [0] * steps + [3])), as_of=AS_OF, rules=rules, areas=["data_ai"])
    opened = score(make_data(certs=_holders(m, [1] * steps + [3])), as_of=AS_OF, rules=rules, areas=["data_ai"])
    value, points = metric(closed, "intermediate_certifications", "smb")
    assert value == 3 and points == 0                          # the scoring step's points are withheld
    value, points = metric(opened, "intermediate_certifications", "smb")
    step_points = KIND.step_points(m, "smb")
    assert step_points == 4.0
    rate = m.max_points / m.tracks["smb"].options[0].full_marks_at
    assert points == min(m.max_points, steps * step_points + 3 * rate)


def test_a_track_lists_its_steps_and_a_variant_of_full_marks_replaces_points_per_person(rules):
    settings = rules.area("data_ai").metric("intermediate_certifications").tracks["smb"].settings
    assert settings.parameters() == {"prerequisite_people": 1, "prerequisite_points": 4.0}
    assert settings.keys_to_set("full_marks_at", 8) == [("points_per_person", REMOVE), ("full_marks_at", 8)]
    assert settings.keys_to_set("prerequisite_people", 2) == [("prerequisite_people", 2)]


def test_people_counted_per_step_give_the_values_scoring_gives(rules):
    m = rules.area("data_ai").metric("intermediate_certifications")
    labels = [label for label, _ in KIND.people_slots(m)]
    counts = pl.LazyFrame({"k": [0, 1], **{label: [0, 1] for label in labels[:-1]}, labels[-1]: [2, 2]})
    smb = KIND.people_values(counts, m, ["k"]).collect().filter(pl.col("track") == "smb").sort("k")
    assert smb["is_open"].to_list() == [False, True]
    assert smb["base_points"].to_list() == [0.0, 4.0 * (len(labels) - 1)]
