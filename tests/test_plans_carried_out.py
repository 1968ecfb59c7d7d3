"""A plan called optimal qualifies when it is carried out (every sample partner and area).

"pcs plan ... prints 'optimal, cost 2' ... Carried out ... Security's total is 60.14, not
qualified": a plan must start from the target day's state and pass its own check. Here every plan
of the sample is carried out through the public API (its certifications earned on their earn-by
day, the data scored on the target day), and, with positive costs, each certification of it is
shown to be needed.
"""


import polars as pl
import pytest

from pcs_analysis import load_rules, plan_certifications, score
from pcs_analysis.inputs.read import PartnerData
from tests.builders import PLAN_AS_OF, PLAN_TARGET, virtual, with_certifications

pytestmark = pytest.mark.slow  # a plan per partner and area, carried out

AS_OF, TARGET = PLAN_AS_OF, PLAN_TARGET


@pytest.mark.parametrize("area", load_rules().areas)
def test_every_optimal_plan_qualifies_when_carried_out_and_needs_each_certification(sample_data, area):
    variants, expected = [], {}
    for partner_id in sample_data.partner_ids():
        plan = plan_certifications(sample_data.only_partners([partner_id]), partner_id, as_of=AS_OF, areas=[area],
                                   target=TARGET)
        if plan.status != "optimal":
            continue
        rows = [{"partner_id": None, "person_id": r["person_id"], "certification": r["certification"],
                 "earned_on": r["earn_by"], "expires_on": None} for r in plan.plan.iter_rows(named=True)]
        stated = plan.areas.row(0, named=True)
        assert stated["is_qualified_rescored"]
        # The plan carried out, then each certification left out in turn.
        for k, kept in [("all", rows)] + [(f"drop{i}", rows[:i] + rows[i + 1:]) for i in range(len(rows))]:
            vid = f"{partner_id}#{k}"
            variants.append(with_certifications(virtual(sample_data, partner_id, vid),
                                                 [{**r, "partner_id": vid} for r in kept]))
            expected[vid] = (True, stated["total_rescored"]) if k == "all" else (False, None)
    if not variants:
        pytest.skip(f"no sample partner has an optimal plan in {area}")
    combined = PartnerData(*[pl.concat([getattr(v, f) for v in variants], how="vertical_relaxed")
                             for f in ("usage", "certifications", "enrollments", "partners")])
    summary = score(combined, as_of=TARGET, areas=[area]).summary
    for r in summary.iter_rows(named=True):
        qualifies, total = expected[r["partner_id"]]
        assert r["is_qualified"] == qualifies, r
        if total is not None:
            assert r["total"] == pytest.approx(total), r
