"""Invariants of scoring every area: independence of row order and of the other partners."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import SETTINGS, data_st
from tests.builders import score_generated as run

pytestmark = pytest.mark.slow  # many generated examples


@SETTINGS
@given(data_st, st.randoms(use_true_random=False))
def test_every_area_is_independent_of_row_order(rules, data, rnd):
    usage, certs = data
    a = run(usage, certs, rules)
    usage, certs = usage[:], certs[:]
    rnd.shuffle(usage)
    rnd.shuffle(certs)
    b = run(usage, certs, rules)
    assert a.scores.equals(b.scores) and a.summary.equals(b.summary)


@SETTINGS
@given(data_st)
def test_a_partner_scored_alone_equals_scored_among_others_in_every_area(rules, data):
    usage, certs = data
    together = run(usage, certs, rules)
    for pid in together.summary["partner_id"].unique().to_list():
        alone = run([r for r in usage if r["partner_id"] == pid], [c for c in certs if c["partner_id"] == pid], rules)
        assert alone.scores.equals(together.scores.filter(pl.col("partner_id") == pid))
        assert alone.summary.drop("partner_name").equals(
            together.summary.filter(pl.col("partner_id") == pid).drop("partner_name"))
