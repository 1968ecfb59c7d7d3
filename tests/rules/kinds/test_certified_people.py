"""certified_people: the people holding one of the metric's certifications, each person once."""

from __future__ import annotations

import polars as pl

from pcs_analysis.analysis.explanation import explain
from pcs_analysis.rules.kinds import KINDS
from tests.builders import AS_OF, make_data, metric, score_modern_work


def _cert(person: str, name: str) -> dict:
    return {"partner_id": "P1", "person_id": person, "certification": name, "earned_on": "2025-01-10",
            "expires_on": None}


def test_each_person_counts_once_whatever_they_hold(rules):
    m = rules.area("modern_work").metric("intermediate_certifications")
    assert m.kind == "certified_people"
    first, second = m.certifications[0].name, m.certifications[1].name
    certs = [_cert("a", first), _cert("a", second), _cert("b", first)]
    result = score_modern_work(make_data(certs=certs), as_of=AS_OF, rules=rules)
    assert metric(result, "intermediate_certifications", "smb")[0] == 2
    e = explain(make_data(certs=certs), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"])
    a = e.people.filter((pl.col("metric") == "intermediate_certifications") & (pl.col("person_id") == "a"))
    assert sorted(a["why"].to_list()) == ["counted", "person already counted for this metric by another certification"]


def test_one_slot_and_the_count_as_its_value(rules):
    m = rules.area("modern_work").metric("intermediate_certifications")
    kind = KINDS["certified_people"]
    (label, certifications), = kind.people_slots(m)
    assert label is None and certifications == m.certifications
    assert kind.step_needs(m, "smb") == {}
    values = kind.people_values(pl.LazyFrame({"k": [0, 1], "value": [0, 3]}), m, ["k"]).collect()
    assert values.filter(pl.col("track") == "smb")["value"].to_list() == [0.0, 3.0]
    assert values["is_open"].all() and (values["base_points"] == 0).all()
