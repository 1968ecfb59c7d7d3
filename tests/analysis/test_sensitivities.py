"""Threshold sensitivity agrees with rescoring under the modified rulebook."""

import pytest

from pcs_analysis.analysis.sensitivities import get_parameter, sensitivity, set_parameter
from pcs_analysis.engine.scoring import score

AS_OF = "2026-11-21"


def rescored(data, rules, area, settings):
    for name, value in settings.items():
        rules = set_parameter(rules, area, name, value)
    return score(data, as_of=AS_OF, rules=rules, areas=[area]).summary


@pytest.mark.parametrize(("area", "grid"), [
    ("modern_work", {"min_total_points": [60, 70, 80], "usage_growth.enterprise.CPOR.full_marks_at": [500, 1000]}),
    ("modern_work", {"seat_bands.smb.min_paid_units": [5, 11, 50], "min_metric_comparison": ["gt", "ge"],
                     "min_metric_points": [0, 1]}),
    ("security", {"net_customer_adds.azure.smb.full_marks_at": [3, 5, 10], "net_customer_adds.max_points": [15, 20]}),
    ("business_applications", {"usage_growth.smb.min_baseline": [10_000, 25_000],
                               "deployments.enterprise.min_value": [5_000, 10_000]}),
    ("data_ai", {"intermediate_certifications.smb.prerequisite_points": [0, 4], "usage_growth.growth_basis":
                 ["month", "trailing_12"]}),
])
def test_every_variant_agrees_with_rescoring(sample_data, rules, area, grid):
    result = sensitivity(sample_data, as_of=AS_OF, areas=[area], grid=grid, rules=rules)
    assert result.variants.height == len(list(__import__("itertools").product(*grid.values())))
    for row in result.variants.iter_rows(named=True):
        settings = {name: type(values[0])(row[name]) if not isinstance(values[0], str) else row[name]
                    for name, values in grid.items()}
        summary = rescored(sample_data, rules, area, settings)
        assert summary["is_qualified"].sum() == row["partners_qualified"], settings
        assert summary["total"].mean() == pytest.approx(row["mean_total"]), settings
        flipped = set(result.flips.filter(result.flips["variant"] == row["variant"])["partner_id"])
        base = score(sample_data, as_of=AS_OF, rules=rules, areas=[area]).summary
        changed = {p for p, a, b in zip(base["partner_id"], base["is_qualified"], summary["is_qualified"], strict=True)
                   if a != b}
        assert flipped == changed, settings


def test_margin_of_safety_is_the_nearest_flipping_value(sample_data, rules):
    grid = {"min_total_points": [50, 60, 65, 70, 75, 80, 90]}
    result = sensitivity(sample_data, as_of=AS_OF, areas=["modern_work"], grid=grid, rules=rules)
    totals = dict(score(sample_data, as_of=AS_OF, rules=rules, areas=["modern_work"]).summary
                  .select("partner_id", "total").iter_rows())
    for row in result.margins.iter_rows(named=True):
        total = totals[row["partner_id"]]
        if row["is_qualified"]:
            # Loses qualification at the first bar above its total.
            expected = next((v for v in grid["min_total_points"] if v > 70 and v > total + 1e-9), None)
            assert row["flips_above"] == (None if expected is None else str(expected))
            assert row["flips_below"] is None


def test_parameters_are_read_and_written_by_path(rules):
    assert get_parameter(rules, "security", "deployments.azure.smb.max_value") == 12000
    changed = set_parameter(rules, "security", "deployments.azure.smb.max_value", 15000)
    assert get_parameter(changed, "security", "deployments.azure.smb.max_value") == 15000
    assert get_parameter(rules, "security", "deployments.azure.smb.max_value") == 12000  # the original is intact
    for bad in ("nope", "usage_growth.enterprise.full_marks_at", "deployments.magic"):
        with pytest.raises(ValueError, match="parameter"):
            get_parameter(rules, "modern_work", bad)


def test_a_variant_is_read_and_checked_as_the_rulebook_file_is(rules):
    """A parameter is set in the area's file and the file read again by the loader: a value the
    file could not hold fails as the file would, naming the file, the key and the variant."""
    from pcs_analysis import RulebookError, load_rules

    with pytest.raises(RulebookError) as info:
        set_parameter(rules, "security", "deployments.azure.smb.max_value", "lots")
    assert "security.toml: key 'metrics.deployments.parts.azure.tracks.smb.max_value'" in str(info.value)
    assert "as varied: metrics.deployments.parts.azure.tracks.smb.max_value = 'lots'" in str(info.value)
    varied = r"' \(as varied: .*\): "
    with pytest.raises(RulebookError, match="seat_bands.smb.max_paid_units" + varied + "is below min_paid_units"):
        set_parameter(rules, "modern_work", "seat_bands.smb.max_paid_units", 5)
    with pytest.raises(RulebookError, match="promoted_within_months" + varied + "a promotion rule needs max_value"):
        set_parameter(rules, "security", "deployments.azure.enterprise.promoted_within_months", 6)
    # A setting the file gives another way (points per person) is replaced by the one varied.
    older = load_rules("2023-06")
    people = "intermediate_certifications.enterprise.full_marks_at"
    assert get_parameter(older, "data_ai", people) == 10    # 40 points at 4 points per person
    assert get_parameter(set_parameter(older, "data_ai", people, 8), "data_ai", people) == 8
    # A sum of parts' option is its part: both say the new full marks.
    both = set_parameter(rules, "security", "deployments.enterprise.azure.full_marks_at", 7)
    assert get_parameter(both, "security", "deployments.azure.enterprise.full_marks_at") == 7
    assert get_parameter(both, "security", "deployments.enterprise.azure.full_marks_at") == 7
    # Above or at least: the one varied replaces the other.
    above = set_parameter(rules, "security", "deployments.azure.smb.above_value", 100)
    band = above.area("security").metric("deployments").parts[0].tracks["smb"].value_band
    assert (band.minimum, band.above) == (100.0, True)


def test_variant_values_keep_their_type_and_sort_as_numbers(sample_data, rules, tmp_path):
    """Numbers stay numbers: sorting variants by a numeric setting gives 5, 11, 20, 100 (as text
    it gave 100, 11, 20, 5); the CLI's values, typed as text, are numbers too."""
    import polars as pl

    from pcs_analysis.config import SAMPLE_DIR
    from tests.builders import run
    grid = {"net_customer_adds.smb.full_marks_at": [100, 11, 20, 5], "min_metric_comparison": [">=", ">"]}
    result = sensitivity(sample_data, as_of=AS_OF, areas=["modern_work"], grid=grid, rules=rules)
    assert result.variants.schema["net_customer_adds.smb.full_marks_at"] == pl.Int64
    assert result.variants.schema["min_metric_comparison"] == pl.String
    ordered = result.variants.sort("net_customer_adds.smb.full_marks_at")["net_customer_adds.smb.full_marks_at"]
    assert ordered.unique(maintain_order=True).to_list() == [5, 11, 20, 100]
    run("sensitivity", SAMPLE_DIR, "--as-of", AS_OF, "--area", "modern_work", "--param",
        "min_total_points=100,65.5,70", "--out", tmp_path)
    variants = pl.read_csv(tmp_path / "sensitivity_variants.csv")
    assert variants.schema["min_total_points"] == pl.Float64
    assert variants.sort("min_total_points")["min_total_points"].to_list() == [65.5, 70.0, 100.0]


def test_a_rulebook_changed_by_hand_is_not_varied_from_its_file(rules):
    """Varying re-reads the area's file: an area changed by hand since it was read would lose
    that change in silence, so it is refused."""
    import dataclasses

    from pcs_analysis import RulebookError

    area = rules.area("modern_work")
    by_hand = dataclasses.replace(rules, areas={**rules.areas, "modern_work": dataclasses.replace(
        area, keep_enrolled_track=not area.keep_enrolled_track)})
    with pytest.raises(RulebookError, match="changed after it was read"):
        set_parameter(by_hand, "modern_work", "min_total_points", 60)
    assert set_parameter(rules, "modern_work", "min_total_points", 60).area("modern_work") \
        .qualification.min_total_points == 60
