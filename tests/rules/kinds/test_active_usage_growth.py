"""active_usage_growth (Modern Work's usage growth): active users in the scored month minus a year
earlier, per option, for customers in the track's seat band."""

from __future__ import annotations

from pcs_analysis.rules.kinds import KINDS
from tests.builders import AS_OF, make_data, metric, score_modern_work, steady


def test_active_users_now_minus_a_year_earlier_per_option(rules):
    assert rules.area("modern_work").metric("usage_growth").kind == "active_usage_growth"
    rows = steady("T1", 100, 20, 50) + steady("T2", 200, 40, 30, association="CSP_T1")
    result = score_modern_work(make_data(rows), as_of=AS_OF, rules=rules)
    assert metric(result, "usage_growth", "smb", option="CPOR")[0] == 30   # T1: 50 - 20
    assert metric(result, "usage_growth", "smb", option="CSP")[0] == -10   # T2: 30 - 40
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 0  # neither is large


def test_its_words_add_the_customer_measured_from_association(rules):
    reasons = KINDS["active_usage_growth"].reasons(rules)
    assert {"counted", "seat_band", "not_associated_yet", "not_counted_in_scored_month"} == set(reasons)
