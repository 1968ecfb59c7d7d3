"""The sample data scores exactly as recorded, per rulebook version."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pcs_analysis import list_versions
from tests.golden import GOLDEN_DIR, compute


@pytest.mark.parametrize("version", list_versions())
def test_sample_scores_match_golden_results(version):
    result = compute(version)
    for name, frame in (("scores", result.scores), ("summary", result.summary)):
        expected = pl.read_csv(GOLDEN_DIR / version / f"{name}.csv", try_parse_dates=True,
                               schema_overrides=frame.schema)
        assert_frame_equal(frame, expected, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


def test_sample_covers_the_promised_partner_shapes():
    summary = compute("2026-05").summary.filter(pl.col("area") == "modern_work")
    totals = summary["total"]
    assert summary.height == 50
    assert summary.filter(pl.col("is_qualified")).height >= 5
    assert summary.filter(pl.col("total").is_between(60, 70, closed="left")).height >= 3  # just under
    assert summary.filter(pl.col("total").is_between(70, 80)).height >= 3                 # just over
    assert summary.filter((pl.col("total") >= 70) & ~pl.col("is_qualified")).height >= 1  # a zero metric
    assert summary.filter(pl.col("track") == "smb").height >= 5
    assert summary.filter(pl.col("track") == "enterprise").height >= 5
    assert totals.min() < 20 and totals.max() > 80
