"""The impact of a rule change on a portfolio (`pcs impact`): both rulebooks' figures are their own
scoring's, the designation counts add up, and each metric names the settings that changed."""

import polars as pl
import pytest

from pcs_analysis.analysis.impact import impact
from pcs_analysis.analysis.status import qualification
from pcs_analysis.engine.scoring import score
from tests.builders import run

AS_OF = "2026-11-21"


@pytest.fixture(scope="module")
def change(sample_data, rules, rules_2023):
    return impact(sample_data, as_of=AS_OF, rules=rules, compared_to=rules_2023)


@pytest.mark.slow
def test_each_side_is_its_own_rulebooks_scoring_and_status(change, sample_data, rules, rules_2023):
    for suffix, book in (("from", rules_2023), ("to", rules)):
        status = qualification(sample_data, as_of=AS_OF, rules=book).status
        expected = status.select("partner_id", "area", pl.col("total_today").alias("total"),
                                 pl.col("status"), (pl.col("days_qualified") > 0).alias("designated"))
        got = change.partners.select("partner_id", "area", pl.col(f"total_{suffix}").alias("total"),
                                     pl.col(f"status_{suffix}").alias("status"),
                                     pl.col(f"has_designation_{suffix}").alias("designated"))
        assert got.sort("partner_id", "area").equals(expected.sort("partner_id", "area"))
        points = score(sample_data, as_of=AS_OF, rules=book).scores
        kept = points.join(score(sample_data, as_of=AS_OF, rules=book).summary.select("partner_id", "area", "track"),
                           on=["partner_id", "area", "track"], how="semi")
        mine = change.metrics.filter(pl.col(f"points_{suffix}").is_not_null()).select(
            "partner_id", "area", "metric", pl.col(f"points_{suffix}").alias("points"))
        assert mine.sort("partner_id", "area", "metric").equals(
            kept.select("partner_id", "area", "metric", "points").sort("partner_id", "area", "metric"))


def test_the_designation_counts_add_up(change):
    p, s = change.partners, change.summary
    assert set(p["designation"]) <= {"gains", "loses", "keeps", "without"}
    for r in s.iter_rows(named=True):
        area = p.filter(pl.col("area") == r["area"])
        assert r["partners"] == area.height == r["gain"] + r["lose"] + r["keep"] + r["without"]
        assert r["designated_to"] - r["designated_from"] == r["gain"] - r["lose"]
    # the sample: Security's June 2023 rules designate nobody, the May 2026 ones eight partners
    security = s.filter(pl.col("area") == "security").row(0, named=True)
    assert (security["designated_from"], security["designated_to"], security["gain"]) == (0, 8, 8)


def test_a_metric_names_the_settings_that_changed_for_it(change):
    texts = dict(change.metrics.filter(pl.col("partner_id") == "P005")
                 .select(pl.concat_str("area", pl.lit("/"), "metric"), "rule_changes").iter_rows())
    assert "m365 enterprise seat_band_min_paid_units: 25 -> 301" in texts["security/net_customer_adds"]
    assert "smb track: added" in texts["data_ai/net_customer_adds"]
    assert "certification:" in texts["modern_work/intermediate_certifications"]
    moved = change.partners.filter((pl.col("partner_id") == "P005") & (pl.col("area") == "security"))
    assert "intermediate_certifications" in moved["metrics_changed"][0].split(";")


def test_the_same_rulebook_changes_nothing(sample_data, rules):
    same = impact(sample_data.only_partners(["P001", "P005"]), as_of=AS_OF, rules=rules, compared_to=rules)
    assert (same.partners["total_change"] == 0).all() and (same.metrics["points_change"] == 0).all()
    assert set(same.partners["designation"]) <= {"keeps", "without"}
    assert (same.metrics["rule_changes"] == "").all() and (same.partners["metrics_changed"] == "").all()


def test_pcs_impact_prints_who_gains_and_loses_and_writes_three_tables(tmp_path):
    from pcs_analysis.config import SAMPLE_DIR
    out = tmp_path / "impact"
    done = run("impact", SAMPLE_DIR, "--from", "2023-06", "--to", "2026-05", "--as-of", AS_OF,
               "--area", "security", "--out", out)
    assert "2023-06 -> 2026-05" in done.stdout and "security" in done.stdout and "gains" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["impact.csv", "impact_metrics.csv", "impact_summary.csv"]
    assert pl.read_csv(out / "impact_summary.csv")["gain"].to_list() == [8]


def test_an_area_one_rulebook_lacks_is_named(sample_data, rules):
    import dataclasses

    from pcs_analysis.errors import PcsError
    fewer = dataclasses.replace(rules, version="fewer", areas={k: v for k, v in rules.areas.items() if k != "security"})
    with pytest.raises(PcsError, match=r"security \(not in fewer\)"):
        impact(sample_data.only_partners(["P005"]), as_of=AS_OF, rules=rules, compared_to=fewer)


def test_the_former_keywords_still_work_with_a_warning(sample_data, rules, rules_2023):
    data = sample_data.only_partners(["P005"])
    now = impact(data, as_of=AS_OF, rules=rules, compared_to=rules_2023, areas=["modern_work"])
    with pytest.warns(DeprecationWarning, match="compared_to"):
        former = impact(data, as_of=AS_OF, from_rules=rules_2023, to_rules=rules, areas=["modern_work"])
    assert former.partners.equals(now.partners) and (former.from_version, former.to_version) == ("2023-06", "2026-05")
    with pytest.raises(TypeError, match="compared_to"):
        impact(data, as_of=AS_OF, rules=rules)
