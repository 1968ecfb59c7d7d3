"""What-if actions agree with editing the raw data by hand."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

from pcs_analysis import PcsError
from pcs_analysis.analysis.whatif import (
    AddCertifiedPeople,
    AddCustomer,
    Associate,
    ExpireCertification,
    GrowActiveUsers,
    LoseCustomer,
    Scenario,
    SetUsage,
    apply,
    read_scenarios,
    what_if,
)
from pcs_analysis.engine.scoring import score
from tests.builders import ADVANCED, ROOT, almost_qualified, make_data, usage_row

AS_OF = "2026-11-21"
MW = ["modern_work"]


def by_hand(data, usage=None, certs=None):
    return score(dataclasses.replace(data, usage=(usage if usage is not None else data.usage.collect()).lazy(),
                                     certifications=(certs if certs is not None else
                                                     data.certifications.collect()).lazy()),
                 as_of=AS_OF, areas=MW).scores


def via_whatif(data, *actions):
    return score(apply(data, actions, as_of=AS_OF), as_of=AS_OF, areas=MW).scores


def test_add_certified_people():
    data = almost_qualified()
    certs = data.certifications.collect()
    extra = pl.DataFrame({"partner_id": ["P1", "P1"], "person_id": ["a", "b"], "certification": [ADVANCED] * 2,
                          "earned_on": [dt.date(2026, 11, 11)] * 2, "expires_on": [None, None]}, schema=certs.schema)
    assert via_whatif(data, AddCertifiedPeople("P1", ADVANCED, count=2)).equals(
        by_hand(data, certs=pl.concat([certs, extra])))


def test_add_customer_lose_customer_and_grow_users():
    data = almost_qualified()
    usage = data.usage.collect()
    new = make_data([usage_row("NEW", f"2026-{m:02d}-01", 40, 20, association="CSP_T1") for m in range(8, 11)])
    action = AddCustomer("P1", "NEW", "Exchange Online", "CSP_T1", dt.date(2026, 8, 1), paid_units=40,
                         active_units=20, product="m365")
    assert via_whatif(data, action).equals(by_hand(data, usage=pl.concat([usage, new.usage.collect()])))
    lost = usage.filter(~((pl.col("tenant_id") == "T0") & (pl.col("month") >= dt.date(2026, 10, 1))))
    assert via_whatif(data, LoseCustomer("P1", "T0")).equals(by_hand(data, usage=lost))
    grown = usage.with_columns(pl.when((pl.col("tenant_id") == "T1") & (pl.col("month") == dt.date(2026, 10, 1)))
                               .then(156).otherwise(pl.col("active_units")).alias("active_units"))
    assert via_whatif(data, GrowActiveUsers("P1", 20, tenant_id="T1")).equals(by_hand(data, usage=grown))


def test_associate_changes_or_adds_an_association():
    data = almost_qualified()
    usage = data.usage.collect()
    moved = usage.with_columns(pl.when(pl.col("tenant_id") == "T2").then(pl.lit("DPOR"))
                               .otherwise(pl.col("association")).alias("association"))
    assert via_whatif(data, Associate("P1", "T2", "DPOR", replace=True)).equals(by_hand(data, usage=moved))


def test_scenarios_report_before_and_after_per_metric():
    data = almost_qualified()
    scenarios = [Scenario("expert", (AddCertifiedPeople("P1", ADVANCED),)),
                 Scenario("lose two", (LoseCustomer("P1", "T0"), LoseCustomer("P1", "T1")))]
    result = what_if(data, scenarios, as_of=AS_OF, areas=MW)
    summary = {r["scenario"]: r for r in result.summary.iter_rows(named=True)}
    assert summary["expert"]["total_change"] == pytest.approx(7.5) and summary["expert"]["is_qualified_after"]
    assert summary["lose two"]["total_after"] == pytest.approx(67 - 2 * 12.9)
    adv = result.metrics.filter((pl.col("scenario") == "expert") & (pl.col("metric") == "advanced_certifications")
                                & (pl.col("track") == "enterprise")).row(0, named=True)
    assert (adv["value_before"], adv["value_after"], adv["points_change"]) == (0, 1, 7.5)
    assert data.certifications.collect().height == 1  # the real data are untouched


def test_scenario_files_and_their_errors(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[scenario]]\nname = "a"\n[[scenario.action]]\ntype = "add_certified_people"\n'
                    f'partner_id = "P1"\ncertification = "{ADVANCED}"\ncount = 2\n')
    assert read_scenarios(path) == [Scenario("a", (AddCertifiedPeople("P1", ADVANCED, count=2),))]
    path.write_text('[[scenario]]\nname = "a"\n[[scenario.action]]\ntype = "add_people"\n')
    with pytest.raises(PcsError, match=r"scenario\[0\] \('a'\) action\[0\]: type must be one of"):
        read_scenarios(path)
    path.write_text('[[scenario]]\nname = "a"\n[[scenario.action]]\ntype = "lose_customer"\npartner_id = "P1"\n'
                    'tenant = "T0"\n')
    with pytest.raises(PcsError, match="unknown key 'tenant'"):
        read_scenarios(path)
    with pytest.raises(PcsError, match="no partner 'P9'"):
        apply(almost_qualified(), [LoseCustomer("P9", "T0")], as_of=AS_OF)


def test_the_readme_scenario_example_has_every_action_type_and_applies_to_the_sample(tmp_path, sample_data):
    import re

    from pcs_analysis.analysis.whatif import ACTION_TYPES, what_if
    readme = (ROOT / "README.md").read_text()
    [block] = [b for b in re.findall(r"```toml\n(.*?)```", readme, flags=re.S) if "[[scenario]]" in b]
    path = tmp_path / "scenarios.toml"
    path.write_text(block)
    [scenario] = read_scenarios(path)
    assert [type(a) for a in scenario.actions] == list(ACTION_TYPES.values())
    result = what_if(sample_data.only_partners(["P005"]), [scenario], as_of="2026-11-21", areas=["modern_work"])
    assert result.summary.height == 1


@pytest.mark.parametrize(("text", "expected"), [
    ('[[scenarios]]\nname = "a"\n', r"unknown table or key 'scenarios': a scenario file holds \[\[scenario\]\]"),
    ('[[scenario]]\nname = "a"\n[[scenario.actions]]\ntype = "lose_customer"\n',
     r"unknown key 'actions': a scenario holds a name and \[\[scenario.action\]\] tables"),
    ('[[scenario]]\nname = "a"\n', r"no action: add \[\[scenario.action\]\] tables \(with a type: add_"),
    ('[scenario]\nname = "a"\n', r"write \[\[scenario\]\], not \[scenario\]"),
])
def test_a_wrong_table_name_in_a_scenario_file_names_the_expected_one(tmp_path, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(PcsError, match=expected):
        read_scenarios(path)


def test_scenarios_written_as_toml_read_back_as_they_are(tmp_path):
    import datetime as dt

    from pcs_analysis.analysis.whatif import (
        AddCertifiedPeople,
        AddCustomer,
        Associate,
        ExpireCertification,
        GrowActiveUsers,
        LoseCustomer,
        Scenario,
        SetUsage,
        scenarios_toml,
    )
    scenarios = [
        Scenario('a "quoted" plan — ünïcode', (
            AddCertifiedPeople("P005", "Microsoft 365 Certified: Enterprise Administrator Expert", count=2),
            AddCustomer("P005", "NEW-1", "Exchange Online", "CPOR", dt.date(2026, 10, 1), paid_units=150,
                        active_units=80),
            Associate("P005", "T1", "PAL", replace=True, workloads=("Azure SQL Database", "Key Vault")),
            GrowActiveUsers("P005", 12.5, tenant_id="T2"),
        )),
        Scenario("losses", (LoseCustomer("P005", "T3", from_month=dt.date(2026, 9, 1)),
                            SetUsage("P005", "T4", revenue_usd=1234.5),
                            ExpireCertification("P005", "p1", "Some Certification", dt.date(2026, 11, 1)))),
    ]
    path = tmp_path / "scenarios.toml"
    path.write_text(scenarios_toml(scenarios), encoding="utf-8")
    assert read_scenarios(path) == scenarios


@pytest.mark.parametrize("action", [
    LoseCustomer("P1", "NO-SUCH"), GrowActiveUsers("P1", 10.0, tenant_id="NO-SUCH"),
    SetUsage("P1", "NO-SUCH", paid_units=5),
    ExpireCertification("P1", "nobody", "Microsoft 365 Certified: Teams Administrator Associate",
                        dt.date(2026, 11, 1))])
def test_an_action_that_changes_no_row_is_an_error_not_a_no_op(action):
    """A tenant or a person the partner does not have (a typo in a scenario file) is said, naming
    the partner and what it lacks, instead of scoring the scenario unchanged."""
    with pytest.raises(PcsError, match=r"partner 'P1' has no (tenant 'NO-SUCH'|person 'nobody')"):
        apply(almost_qualified(), [action], as_of=AS_OF)
