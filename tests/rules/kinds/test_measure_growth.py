"""measure_growth (the Azure areas' usage growth): growth of the whole customer base's measure,
in percent of the baseline, behind the track's gate."""

from __future__ import annotations

from pcs_analysis import score
from tests.builders import AS_OF, BASE, M, azure_row, make_data, metric


def test_percent_growth_of_the_customer_base_behind_the_gate(rules):
    m = rules.area("data_ai").metric("usage_growth")
    assert m.kind == "measure_growth" and m.growth == "percent" and m.gate_applies_to == "baseline"
    assert m.tracks["smb"].settings.parameters() == {"min_baseline": 1000.0}
    grown = [azure_row("A1", BASE, 1500.0), azure_row("A1", M, 2000.0),
             azure_row("A2", BASE, 500.0), azure_row("A2", M, 1000.0)]
    value, points = metric(score(make_data(grown), as_of=AS_OF, rules=rules, areas=["data_ai"]), "usage_growth", "smb")
    assert value == 50.0                                      # 2,000 -> 3,000
    assert points == min(m.max_points, 50.0 * m.max_points / m.tracks["smb"].options[0].full_marks_at)
    small = [azure_row("A1", BASE, 900.0), azure_row("A1", M, 1800.0)]
    value, points = metric(score(make_data(small), as_of=AS_OF, rules=rules, areas=["data_ai"]), "usage_growth", "smb")
    assert value == 100.0 and points == 0                     # a baseline under USD 1,000 closes the gate
