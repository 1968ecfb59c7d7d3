"""Reading the canonical tables: formats, and every problem reported at once."""

import shutil

import polars as pl
import pytest

from pcs_analysis import DataValidationError, read_data
from pcs_analysis.config import SAMPLE_DIR


def test_csv_and_parquet_read_the_same(tmp_path):
    for name in ("usage", "certifications", "partners", "enrollments"):
        pl.read_csv(SAMPLE_DIR / f"{name}.csv", try_parse_dates=True).write_parquet(tmp_path / f"{name}.parquet")
    a, b = read_data(SAMPLE_DIR), read_data(tmp_path)
    assert a.usage.collect().equals(b.usage.collect())
    assert a.certifications.collect().equals(b.certifications.collect())


def test_optional_tables_may_be_absent(tmp_path):
    for name in ("usage", "certifications"):
        shutil.copy(SAMPLE_DIR / f"{name}.csv", tmp_path)
    data = read_data(tmp_path)
    assert data.partners.collect().height == 0 and data.enrollments.collect().height == 0


def test_problems_in_several_tables_are_reported_together(tmp_path):
    (tmp_path / "usage.csv").write_text(
        "partner_id,tenant_id,month,workload,association,associated_on,paid_units,active_units,"
        "revenue_usd,customer_segment,paid_unitz\n"
        "P1,T1,2026-10,Teams,CPOR,,10,1,,,\n")
    (tmp_path / "certifications.csv").write_text(
        "partner_id,person_id,certification,earned_on,expires_on\nP1,a,X,yesterday,\n")
    (tmp_path / "partners.csv").write_text("partner_id,partner_name,track_modern_work,track_moon\nP1,A,tiny,\n")
    with pytest.raises(DataValidationError) as info:
        read_data(tmp_path)
    text = str(info.value)
    assert "usage.csv, column 'paid_unitz': unknown column" in text
    assert "certifications.csv, column 'earned_on', line 2: expected a date YYYY-MM-DD (found: 'yesterday')" in text
    assert "partners.csv, column 'track_moon': 'moon' is not a solution area" in text
    assert "partners.csv, column 'track_modern_work', line 2: unknown value" in text
    assert len(info.value.problems) == 4


def test_both_formats_present_is_an_error(tmp_path):
    shutil.copy(SAMPLE_DIR / "usage.csv", tmp_path)
    shutil.copy(SAMPLE_DIR / "certifications.csv", tmp_path)
    pl.read_csv(SAMPLE_DIR / "usage.csv").write_parquet(tmp_path / "usage.parquet")
    with pytest.raises(DataValidationError, match="keep one"):
        read_data(tmp_path)


def test_parquet_fractional_counts_are_reported_not_truncated(tmp_path):
    shutil.copy(SAMPLE_DIR / "certifications.csv", tmp_path)
    usage = pl.read_csv(SAMPLE_DIR / "usage.csv", try_parse_dates=True).head(5)
    usage = usage.with_columns(pl.col("active_units").cast(pl.Float64))
    usage = usage.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(1.5)
                               .otherwise(pl.col("active_units")).alias("active_units"))
    usage.write_parquet(tmp_path / "usage.parquet")
    with pytest.raises(DataValidationError) as info:
        read_data(tmp_path)
    assert "usage.parquet, column 'active_units', row 3: expected a whole number (found: '1.5')" in str(info.value)


def test_the_product_column_is_optional(tmp_path):
    shutil.copy(SAMPLE_DIR / "certifications.csv", tmp_path)
    pl.read_csv(SAMPLE_DIR / "usage.csv").drop("product").write_csv(tmp_path / "usage.csv")
    usage = read_data(tmp_path).usage.collect()
    assert usage["product"].null_count() == usage.height
    assert usage.drop("product").equals(read_data(SAMPLE_DIR).usage.collect().drop("product"))


def test_unread_inputs_takes_the_rulebook_by_keyword_and_the_old_call_warns():
    from pcs_analysis import load_rules, read_data
    from pcs_analysis.config import SAMPLE_DIR
    from pcs_analysis.inputs.unread import unread_inputs

    data, rules = read_data(SAMPLE_DIR), load_rules("2023-06")
    by_keyword = unread_inputs(data, rules=rules)
    with pytest.warns(DeprecationWarning, match="give the rulebook by keyword"):
        assert unread_inputs(data, rules).equals(by_keyword)
    # The default is the current rulebook, which reads names the 2023 one does not.
    assert unread_inputs(data).height <= by_keyword.height
    with pytest.raises(TypeError, match="by keyword"):
        unread_inputs(data, rules, rules=rules)
