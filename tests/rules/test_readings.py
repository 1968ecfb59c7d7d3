"""The readings of Microsoft's text that decide figures, each pinned by the sentence it rests on
(README, "Readings")."""

import dataclasses
import datetime as dt

import polars as pl
import pytest

from pcs_analysis.analysis.explanation import explain
from pcs_analysis.analysis.forecasts import forecast
from pcs_analysis.analysis.sensitivities import sensitivity
from pcs_analysis.analysis.status import qualification
from pcs_analysis.engine.points import is_preferred
from pcs_analysis.engine.scoring import score
from tests.builders import AS_OF, BASE, ROOT, M, cert_row, make_data, metric, usage_row

INTERMEDIATE = "Microsoft 365 Certified: Teams Administrator Associate"
ADVANCED = "Microsoft 365 Certified: Enterprise Administrator Expert"


def hidden_smb_qualification():
    """Enterprise 80 points with net customer adds at 0; SMB 78 points with every metric above
    the minimum.

    Enterprise: five tenants present a year ago (no net add) that grew from 100 to 600 active of
    1,000 paid: 5 deployments (25), 2,500 more users (30), 4 intermediate (10), 2 advanced (15).
    SMB: five new tenants with 60 of 100 active: 5 adds (10), 5 deployments (25), 300 users (18),
    the same people (10 + 15).
    """
    rows = []
    for i in range(5):
        rows += [usage_row(f"E{i}", BASE, 1000, 100), usage_row(f"E{i}", M, 1000, 600)]
        rows += [usage_row(f"S{i}", M, 100, 60)]
    certs = [cert_row(f"i{i}", INTERMEDIATE, "2025-01-01") for i in range(4)]
    certs += [cert_row(f"a{i}", ADVANCED, "2025-01-01") for i in range(2)]
    return make_data(rows, certs)


def test_a_qualifying_track_is_kept_over_a_higher_total_that_does_not_qualify(rules):
    """S3: "Microsoft evaluates partners on both paths and selects the highest score from either
    path"; H3 (2023): "choose the highest scores towards qualifying". A partner qualifies when
    any scored track qualifies, and the kept track is a qualifying one."""
    result = score(hidden_smb_qualification(), as_of=AS_OF, rules=rules, areas=["modern_work"])
    s = result.summary.row(0, named=True)
    assert (s["track"], s["total"], s["is_qualified"], s["track_basis"]) == ("smb", 78, True, "qualifying track")
    assert (s["other_track"], s["other_track_total"], s["other_track_is_qualified"]) == ("enterprise", 80, False)


def test_status_history_forecast_and_sensitivity_follow_the_same_track_rule(rules):
    data = hidden_smb_qualification()
    q = qualification(data, as_of=AS_OF, rules=rules, areas=["modern_work"]).status.row(0, named=True)
    assert (q["status"], q["is_qualified_today"], q["track_today"]) == ("Qualified", True, "smb")
    assert q["days_qualified"] > 0
    f = forecast(data, "P1", as_of=AS_OF, areas=["modern_work"], paths=50, seed=1, months=1, rules=rules)
    assert f.already_qualified and f.probability == 1.0
    s = sensitivity(data, as_of=AS_OF, areas=["modern_work"], grid={"min_total_points": [70, 79, 81]}, rules=rules)
    qualified = {float(k): n for k, n in s.variants.select("min_total_points", "partners_qualified").iter_rows()}
    # At 79 only SMB (78) misses the bar and Enterprise still has a metric at zero.
    assert qualified == {70: 1, 79: 0, 81: 0}


def test_equal_totals_keep_the_rulebook_order_and_qualification_decides_first():
    frame = pl.DataFrame({"q_a": [False, True, True, False], "t_a": [80.0, 70.0, 75.0, 60.0],
                          "q_b": [True, False, True, False], "t_b": [74.0, 90.0, 75.0, 60.0]})
    preferred = frame.select(is_preferred(pl.col("q_b"), pl.col("t_b"), pl.col("q_a"), pl.col("t_a")))
    assert preferred.to_series().to_list() == [True, False, False, False]


def test_a_metric_needs_at_least_one_point(rules):
    """S3: "at least one point in each of the following individual metrics" (S1: "one or more
    points"); only H5 says "greater than zero points". 10 more users = 0.3 points: not enough."""
    rows = [usage_row("G1", BASE, 5000, 1000), usage_row("G1", M, 5000, 1010)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    row = result.scores.filter((pl.col("metric") == "usage_growth") & (pl.col("track") == "enterprise")).row(
        0, named=True)
    assert row["points"] == pytest.approx(0.3) and not row["is_above_minimum"]
    general = dataclasses.replace(rules.qualification, min_metric_points=0, min_metric_comparison="gt")
    other = dataclasses.replace(rules, areas={"modern_work": dataclasses.replace(
        rules.area("modern_work"), qualification=general)})
    again = score(make_data(rows), as_of=AS_OF, rules=other, areas=["modern_work"])
    assert again.scores.filter((pl.col("metric") == "usage_growth")
                               & (pl.col("track") == "enterprise"))["is_above_minimum"][0]


def test_both_rulebooks_default_to_at_least_one_point(rules, rules_2023):
    for book in (rules, rules_2023):
        for area in book.areas.values():
            assert (area.qualification.min_metric_points, area.qualification.min_metric_comparison) == (1, "ge")


@pytest.mark.parametrize(("active_at_association", "deployments"), [(399, 1), (400, 1), (401, 0)])
def test_already_greater_than_forty_percent_at_association_is_strict(rules, active_at_association, deployments):
    """S3: "excludes deployments that were claimed or associated within the last 12 months and were
    already greater than 40% at the time of claim or association": exactly 40 % is not excluded."""
    rows = [usage_row("T1", "2026-06-01", 1000, active_at_association, associated_on="2026-06-03"),
            usage_row("T1", M, 1000, 600, associated_on="2026-06-03")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "deployments", "enterprise", option="CPOR")[0] == deployments


def test_growth_is_credited_only_since_association_whatever_the_band_then(rules):
    """S3: "You can only receive points for usage growth from the time you claim or associate with
    a customer." Associated in 2026-05 with 5 paid licences (below every seat band then) and 100
    active users; 400 active of 1,000 paid now: growth 300, not 400."""
    rows = [usage_row("T1", "2026-05-01", 5, 100, associated_on="2026-05-14"),
            usage_row("T1", M, 1000, 400, associated_on="2026-05-14")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 300


def test_a_customer_associated_after_the_baseline_and_not_counted_now_adds_nothing(rules):
    """The formula compares the scored month with the same month last year: a customer associated
    in between that is not counted now (here: below the band) contributes nothing."""
    rows = [usage_row("T1", "2026-05-01", 1000, 300, associated_on="2026-05-14"),
            usage_row("T1", M, 200, 190, associated_on="2026-05-14")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["modern_work"])
    assert metric(result, "usage_growth", "enterprise", option="CPOR")[0] == 0
    why = explain(make_data(rows), "P1", as_of=AS_OF, rules=rules, areas=["modern_work"]).tenants.filter(
        (pl.col("metric") == "usage_growth") & (pl.col("track") == "enterprise") & (pl.col("period") == "baseline"))
    assert why["reason"].to_list() == ["not_counted_in_scored_month"]


def test_a_certification_counts_on_its_expiry_date_and_explain_says_through(rules):
    """Microsoft Learn shows an active credential as "Expires on <date>": it counts that day."""
    data = make_data(certs=[cert_row("a", INTERMEDIATE, "2025-01-01", AS_OF.isoformat()),
                            cert_row("b", INTERMEDIATE, "2025-01-01", (AS_OF - dt.timedelta(days=1)).isoformat())])
    people = explain(data, "P1", as_of=AS_OF, rules=rules, areas=["modern_work"]).people
    rows = {r["person_id"]: r for r in people.filter(pl.col("metric") == "intermediate_certifications")
            .iter_rows(named=True)}
    assert rows["a"]["is_counted"] and rows["a"]["why"] == f"counted (counts through {AS_OF})"
    day_before = AS_OF - dt.timedelta(days=1)
    assert not rows["b"]["is_counted"] and rows["b"]["why"] == f"expired: counted through {day_before}"


def _data_ai_smb(certified: bool):
    """Data & AI, every customer SMB: 3 new customers of USD 600 (30), ACR from 1,000 to 3,000
    (20), five services (10) and, when `certified`, 4 + 4 + 6 x 4 = 32 skilling points."""
    from tests.builders import azure_row

    services = ["Azure SQL Database", "Storage", "Azure Cosmos DB", "Azure Databricks", "Azure OpenAI"]
    rows = [azure_row("B", BASE, 1000, segment="SMB"), azure_row("B", M, 1200, segment="SMB")]
    rows += [azure_row(f"N{i}", M, 200, service=s, segment="SMB") for i in range(3) for s in services[i:i + 3]]
    certs = []
    if certified:
        certs = [cert_row("admin", "Microsoft Certified: Azure Administrator Associate", "2025-01-01"),
                 cert_row("arch", "Microsoft Certified: Azure Solutions Architect Expert", "2025-01-01")]
        certs += [cert_row(f"d{i}", "Microsoft Certified: Azure Database Administrator Associate", "2025-01-01")
                  for i in range(6)]
    data = make_data(rows, certs)
    return dataclasses.replace(data, enrollments=pl.DataFrame(
        {"partner_id": ["P1"], "area": ["data_ai"], "enrolled_on": [AS_OF],
         "anniversary_on": [dt.date(2027, 11, 21)]}).lazy())


@pytest.mark.parametrize(("certified", "track"), [(True, "smb"), (False, "enterprise")])
def test_azure_enrolled_track_without_a_track_column_comes_from_the_scoring_history(rules, certified, track):
    """S1, "Enrollment track": SMB "if you qualified as SMB at least once" in the window ("at least
    one SMB in the six rows" of the scoring history), otherwise Enterprise; fixed until renewal."""
    result = score(_data_ai_smb(certified), as_of=AS_OF, rules=rules, areas=["data_ai"])
    s = result.summary.row(0, named=True)
    assert s["track"] == track
    assert s["track_basis"].startswith("enrolled track (from the scoring history")
    if certified:
        assert s["is_qualified"] and s["total"] == pytest.approx(92)


# Microsoft Learn's credential titles (and the names the sources use) -> the rulebook list they
# must land in. A title that resolves nowhere counts for nothing, so each is checked.
LEARN_TITLES = {
    "modern_work": ["Microsoft 365 Certified: Fundamentals", "Microsoft 365 Fundamentals",
                    "Microsoft 365 Certified: Teams Administrator Associate",
                    "Microsoft Certified: Identity and Access Administrator Associate",
                    "Microsoft 365 Certified: Endpoint Administrator Associate",
                    "Microsoft 365 Certified: Modern Desktop Administrator Associate",
                    "Microsoft 365 Certified: Collaboration Communications Systems Engineer Associate",
                    "Microsoft 365 Certified: Enterprise Administrator Expert"],
    "data_ai": ["Microsoft Certified: Azure Administrator Associate",
                "Microsoft Certified: Azure Solutions Architect Expert",
                "Microsoft Certified: Power BI Data Analyst Associate", "Microsoft Certified: Data Analyst Associate",
                "Microsoft Certified: Azure Database Administrator Associate",
                "Microsoft Certified: Fabric Data Engineer Associate"],
    "digital_app_innovation": ["Microsoft Certified: DevOps Engineer Expert",
                               "Microsoft Certified: Azure Developer Associate", "GitHub Copilot"],
    "security": ["Microsoft Certified: Security Operations Analyst Associate", "Microsoft Security Operations Analyst",
                 "Microsoft Certified: Cybersecurity Architect Expert", "Microsoft Cybersecurity Architect Expert",
                 "Microsoft Certified: Information Protection and Compliance Administrator Associate",
                 "Microsoft Information Protection Administrator",
                 "Microsoft Certified: Information Security Administrator Associate",
                 "Microsoft Certified: Azure Security Engineer Associate"],
    "business_applications": ["Microsoft Certified: Power BI Data Analyst Associate",
                              "Microsoft Certified: Dynamics 365: Finance and Operations Apps Developer Associate",
                              "Microsoft Certified: Power Platform Solution Architect Expert"],
}


@pytest.mark.parametrize("area", sorted(LEARN_TITLES))
def test_microsoft_learn_titles_resolve_to_the_rulebook_lists(rules, area):
    from pcs_analysis.inputs.unread import known_certifications
    from pcs_analysis.names import canonical_key_expr

    keys = {c.key for m in rules.area(area).metrics for leaf in m.leaves()
            for c in leaf.all_certifications}
    titles = pl.Series("title", LEARN_TITLES[area])
    resolved = pl.select(canonical_key_expr(pl.lit(titles), aliases=rules.certification_aliases,
                                            prefixes=rules.certification_prefixes)).to_series().to_list()
    assert [t for t, k in zip(LEARN_TITLES[area], resolved, strict=True) if k not in keys] == []
    assert set(resolved) <= set(known_certifications(rules))


def test_microsoft_365_fundamentals_under_its_learn_title_counts(rules):
    """Issue: "Microsoft 365 Certified: Fundamentals" is the listed "Microsoft 365 Fundamentals"
    (S3: "Microsoft 365 Fundamentals ... remains eligible ... through March 31, 2027")."""
    data = make_data(certs=[cert_row("a", "Microsoft 365 Certified: Fundamentals", "2026-01-10")])
    assert metric(score(data, as_of=AS_OF, rules=rules, areas=["modern_work"]),
                  "intermediate_certifications", "smb")[0] == 1


def test_unread_workloads_and_certifications_are_reported_with_names_and_counts(rules):
    from pcs_analysis.inputs.unread import unread_inputs

    rows = [usage_row("T1", M, 500, 10, workload="Exchnage Online"), usage_row("T2", M, 500, 10, partner="P2",
                                                                              workload="Exchnage Online"),
            usage_row("T3", M, 500, 10)]
    certs = [cert_row("a", "Microsoft 365 Certified: Teams Adminstrator Associate", "2025-01-01")]
    unread = unread_inputs(make_data(rows, certs), rules=rules)
    assert unread.rows(named=True) == [
        {"kind": "workload", "name": "Exchnage Online", "rows": 2, "partners": 2, "example_partners": "P1, P2",
         "closest_known": "Exchange Online"},
        {"kind": "certification", "name": "Microsoft 365 Certified: Teams Adminstrator Associate", "rows": 1,
         "partners": 1, "example_partners": "P1",
         "closest_known": "Microsoft 365 Certified: Teams Administrator Associate"},
    ]


def test_without_a_product_column_the_family_is_inferred_from_the_workload(rules):
    """The README allows leaving `product` out: Azure areas select rows by product family, so the
    family is inferred (Azure catalog, the areas' lists) instead of every Azure metric scoring 0."""
    from tests.builders import azure_row

    rows = [azure_row("B", BASE, 1000), azure_row("B", M, 1200), azure_row("N", M, 800, service="Storage")]
    with_product = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["infrastructure"])
    without = make_data([{**r, "product": None} for r in rows])
    inferred = score(without, as_of=AS_OF, rules=rules, areas=["infrastructure"])
    assert inferred.scores["points"].sum() > 0
    assert inferred.scores.equals(with_product.scores)


def test_azure_growth_gate_is_on_the_baseline(rules):
    """S1: "Total ACR must be at least USD1,000 to qualify for scoring", read on the baseline of the
    percentage: growing from USD 500 to 5,000 earns nothing; with the gate on the current month it
    earns the maximum."""
    from tests.builders import azure_row

    rows = [azure_row("T1", BASE, 500), azure_row("T1", M, 5000)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["data_ai"])
    assert metric(result, "usage_growth", "enterprise")[1] == 0
    area = rules.area("data_ai")
    current = dataclasses.replace(area, metrics=tuple(
        m.with_settings(gate_applies_to="current") if m.name == "usage_growth" else m for m in area.metrics))
    other = score(make_data(rows), as_of=AS_OF, rules=dataclasses.replace(rules, areas={"data_ai": current}),
                  areas=["data_ai"])
    assert metric(other, "usage_growth", "enterprise")[1] == 20


def test_azure_customers_without_a_segment_are_left_out_and_said(rules):
    """S1: "SMB if 80% or more of your customers are under the SMB segment": the share is of the
    customers with a known segment, and track_basis says how many had none."""
    from tests.builders import azure_row

    rows = [azure_row(f"S{i}", M, 2000, segment="SMB") for i in range(4)]
    rows += [azure_row("E", M, 2000, segment="Enterprise"), azure_row("U", M, 2000)]
    s = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["data_ai"]).summary.row(0, named=True)
    assert s["track"] == "smb"
    assert s["track_basis"] == ("customer segments: 80% SMB of 5 customers with a segment; 1 without a segment "
                                "left out (SMB from 80%)")
    area = rules.area("data_ai")
    counted = dataclasses.replace(area, classification=dataclasses.replace(area.classification,
                                                                            unknown_segment="not_smb"))
    s = score(make_data(rows), as_of=AS_OF, rules=dataclasses.replace(rules, areas={"data_ai": counted}),
              areas=["data_ai"]).summary.row(0, named=True)
    assert s["track"] == "enterprise" and s["track_basis"].startswith("customer segments: 67% SMB")


@pytest.mark.parametrize("version", ["2023-06", "2026-05"])
def test_every_reading_names_a_real_setting_with_its_value_and_an_existing_test(version):
    import ast

    from pcs_analysis.rules import load_rules
    from pcs_analysis.rules.inspect import reading_rows, rules_table

    rules = load_rules(version)
    table = rules_table(rules)
    readings = reading_rows(rules)
    assert readings.height >= 10
    root = ROOT
    for r in readings.iter_rows(named=True):
        if r["setting"]:
            # the value as the rulebook first gives it (a dated change shows in pcs rules show)
            rows = table.filter(_address(r["setting"], set(table["metric"])) & (pl.col("effective") == ""))
            assert rows.height, r["setting"]
            assert set(rows["value"]) == {r["value"]}, (r["setting"], rows["value"].to_list(), r["value"])
        path, _, name = r["test"].partition("::")
        assert (root / path).is_file(), r["test"]
        if name:
            tree = ast.parse((root / path).read_text())
            assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, r["test"]


def _address(setting: str, metrics: set[str]) -> pl.Expr:
    """A reading's setting address, [area.][metric[.part].][track.]setting, as a filter of rules_table."""
    *scope, name = setting.split(".")
    if len(scope) >= 3 and f"{scope[1]}.{scope[2]}" in metrics:
        scope = [scope[0], f"{scope[1]}.{scope[2]}", *scope[3:]]
    condition = pl.col("setting") == name
    for column, value in zip(("area", "metric", "track"), scope, strict=False):
        condition = condition & (pl.col(column) == value)
    if not scope:
        condition = condition & (pl.col("area") == "")
    return condition


def test_the_readings_page_is_generated_from_the_rulebooks():
    """docs/readings.md is `make readings`' output; a changed reading regenerates it."""

    from pcs_analysis.rules import list_versions, load_rules
    from pcs_analysis.rules.inspect import readings_markdown

    page = ROOT / "docs" / "readings.md"
    assert page.read_text(encoding="utf-8") == readings_markdown([load_rules(v) for v in reversed(list_versions())])


def test_an_unknown_partner_is_the_same_error_everywhere(sample_data):
    import pcs_analysis as pcs

    calls = {
        "explain": lambda: pcs.explain(sample_data, "P999", as_of=AS_OF, areas=["modern_work"]),
        "forecast": lambda: pcs.forecast(sample_data, "P999", as_of=AS_OF, areas=["modern_work"], paths=10),
        "plan": lambda: pcs.plan_certifications(sample_data, "P999", as_of=AS_OF, areas=["modern_work"]),
        "tracks": lambda: pcs.track_choice(sample_data, "P999", as_of=AS_OF, areas=["modern_work"]),
        "what_if": lambda: pcs.what_if(sample_data, [pcs.Scenario("s", (pcs.LoseCustomer("P999", "T1"),))],
                                       as_of=AS_OF, areas=["modern_work"]),
    }
    for name, call in calls.items():
        with pytest.raises(pcs.UnknownPartnerError, match="no partner 'P999'"):
            call()
        assert issubclass(pcs.UnknownPartnerError, pcs.PcsError), name


def test_recommendations_are_the_same_without_a_product_column(sample_data):
    """Candidates select rows by product family too: without the column they use the inferred
    family, so the recommendations do not lose the Azure actions."""
    import pcs_analysis as pcs

    mine = sample_data.only_partners(["P005"])
    without = dataclasses.replace(mine, usage=mine.usage.with_columns(pl.lit(None, pl.String).alias("product")))
    areas = ["data_ai", "security"]
    a = pcs.recommend(mine, as_of=AS_OF, areas=areas).table
    b = pcs.recommend(without, as_of=AS_OF, areas=areas).table
    assert a.filter(pl.col("type") == "action").height > 0
    assert a.equals(b)


def test_a_real_credential_no_list_holds_gets_no_misleading_suggestion(rules):
    """"Dynamics 365 Sales Functional Consultant Associate" is a real credential, not a typo of
    "... Finance Functional Consultant Associate": it is said to count for nothing, without a
    "did you mean"; a near-typo still gets one."""
    from pcs_analysis.inputs.unread import describe_unread, unread_inputs

    certs = [cert_row("a", "Microsoft Certified: Dynamics 365 Sales Functional Consultant Associate", "2025-01-01"),
             cert_row("b", "Microsoft Certified: Dynamics 365 Finance Functional Consultnat Associate", "2025-01-01")]
    unread = unread_inputs(make_data([usage_row("T3", M, 500, 10)], certs), rules=rules)
    assert dict(unread.select("name", "closest_known").iter_rows()) == {
        "Microsoft Certified: Dynamics 365 Finance Functional Consultnat Associate":
            "Microsoft Certified: Dynamics 365 Finance Functional Consultant Associate",
        "Microsoft Certified: Dynamics 365 Sales Functional Consultant Associate": None}
    text = describe_unread(unread)
    assert ("'Microsoft Certified: Dynamics 365 Sales Functional Consultant Associate': 1 rows, 1 partner(s) (P1); "
            "no area of the rulebook counts it") in text
    assert "did you mean 'Microsoft Certified: Dynamics 365 Finance Functional Consultant Associate'?" in text


def test_azure_rows_are_not_lost_for_want_of_a_catalog_name(rules):
    """S1/S2: the Azure areas count "All Azure Service Level 2 services". Without a `product`
    column, "SQL Database" (the usage and price sheets' name) is the catalog's "Azure SQL
    Database"; a service no list names, with revenue and no seats, is read as Azure and reported
    (kind "inferred", with the closest catalog name for a typo), so nothing is lost or guessed in
    silence; a Microsoft 365 row without a product is not taken for Azure."""
    from pcs_analysis.inputs.unread import describe_unread, unread_inputs
    from tests.builders import azure_row

    named = [azure_row("B", BASE, 1000), azure_row("B", M, 1200), azure_row("N", M, 800, service="Storage"),
             azure_row("N", M, 300, service="Azure Quantum"), azure_row("N", M, 50, service="Key Vualt")]
    as_usage = [{**r, "product": None, "workload": {"Azure SQL Database": "SQL Database"}.get(r["workload"],
                                                                                            r["workload"])}
                for r in named]
    seats = usage_row("T9", M, 500, 100, workload="Exchnage Online")
    with_product = score(make_data(named), as_of=AS_OF, rules=rules, areas=["infrastructure"])
    data = make_data([*as_usage, {**seats, "product": None}])
    inferred = score(data, as_of=AS_OF, rules=rules, areas=["infrastructure"])
    assert inferred.scores.equals(with_product.scores)
    assert metric(inferred, "deployments", "smb")[0] == 4      # SQL Database, Storage, Azure Quantum, Key Vualt
    unread = unread_inputs(data, rules=rules)
    assert unread.select("kind", "name", "rows", "closest_known").rows() == [
        ("workload", "Exchnage Online", 1, "Exchange Online"),
        ("inferred", "Azure Quantum", 1, None),
        ("inferred", "Key Vualt", 1, "Key Vault"),
    ]
    text = describe_unread(unread)
    assert text.startswith("read as Azure services though the catalog does not name them")
    assert "'Key Vualt': 1 rows, 1 partner(s) (P1); did you mean 'Key Vault'?" in text
    assert "not read by any rule" in text and "Exchnage Online" in text


def test_a_total_equal_to_the_bar_qualifies(sample_data, rules):
    """Seed 000: "A partner capability score for the solution area ... of at least 70 points",
    against seed 002's "your total points being higher than the qualifying threshold": the bar
    is reached at exactly its value (P001's Modern Work, 78.5 points, qualifies at a bar of 78.5,
    not at 78.6)."""
    from pcs_analysis.analysis.sensitivities import set_parameter
    one = sample_data.only_partners(["P001"])
    for bar, qualified in ((78.5, True), (78.6, False)):
        variant = set_parameter(rules, "modern_work", "min_total_points", bar)
        s = score(one, as_of=AS_OF, rules=variant, areas=["modern_work"]).summary.row(0, named=True)
        assert (s["total"], s["is_qualified"]) == (78.5, qualified)


@pytest.mark.parametrize(("day", "shown"), [("2026-11-19", "2026-09"), ("2026-11-20", "2026-10")])
def test_the_refresh_day_is_an_exact_day(rules, day, shown):
    """S1-S4: performance data are "typically refreshed by the 20th day of every month": read as
    exactly the 20th (month M is shown from the 20th of M+1, never earlier or later)."""
    import datetime as dt

    from pcs_analysis.rules.periods import month_start, scored_month
    assert f"{month_start(scored_month(dt.date.fromisoformat(day), rules.refresh)):%Y-%m}" == shown


def test_a_retired_certification_counts_a_year_after_retirement_unless_it_expires_first(rules):
    """S4: "If completed before retirement, it remains valid for one year"; S3 dates the year from
    the retirement ("retires on March 31, 2026. It remains eligible for partner capability score
    points through March 31, 2027"). The person's own expiry still ends it sooner."""
    field_service = "Microsoft Certified: Dynamics 365 Field Service Functional Consultant Associate"

    def counted(day, expires_on=None):
        data = make_data(certs=[cert_row("a", field_service, "2026-01-10", expires_on)])
        result = score(data, as_of=day, rules=rules, areas=["business_applications"])
        return metric(result, "intermediate_certifications", "smb")[0]

    # retires 2026-06-30: counts through 2027-06-30, not one year after completion (2027-01-10)
    assert (counted("2027-02-01"), counted("2027-06-30"), counted("2027-07-01")) == (1, 1, 0)
    assert counted("2027-02-01", expires_on="2027-01-09") == 0


def test_azure_customers_are_every_tenant_with_azure_rows_that_month(rules):
    """S1: "SMB if 80% or more of your customers are under the SMB segment ... The last month's data
    determines the Customer base calculation." Every tenant with Azure rows in the scored month is
    a customer, whatever its association and amount: 4 SMB tenants of 6 is 67 %, Enterprise,
    though the two others (USD 0, and an association the Azure areas do not credit) earn nothing."""
    from tests.builders import azure_row
    rows = [azure_row(f"S{i}", M, 2000, association="PAL", segment="SMB") for i in range(4)]
    rows += [azure_row("Z", M, 0, association="PAL", segment="Enterprise"),
             azure_row("X", M, 2000, association="CPOR", segment="Enterprise")]
    s = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["data_ai"]).summary.row(0, named=True)
    assert s["track"] == "enterprise"
    assert s["track_basis"].startswith("customer segments: 67% SMB of 6 customers")
    # the alternative, customers with revenue only: 4 SMB of 5 is 80 %, SMB
    paying = dataclasses.replace(rules, areas={**rules.areas, "data_ai": dataclasses.replace(
        rules.area("data_ai"), classification=dataclasses.replace(rules.area("data_ai").classification,
                                                                  customers="with_revenue"))})
    s = score(make_data(rows), as_of=AS_OF, rules=paying, areas=["data_ai"]).summary.row(0, named=True)
    assert s["track"] == "smb" and s["track_basis"].startswith("customer segments: 80% SMB of 5 customers")


def test_business_applications_track_rule_takes_a_workloads_largest_association_row(rules):
    """S4: Enterprise "if Partner has five or more unique workloads contributing more than $5,000 in
    revenue for each customer Tenant". One workload's revenue reported under two associations is
    one figure, the larger row (the same dollars are not counted twice): two rows of USD 3,000 are
    not above 5,000, where the customer adds, which count a workload's rows together, see 6,000."""
    from tests.builders import dynamics_row
    rows = []
    for month in (M, BASE):
        for w in ("Sales", "Customer Service", "Field Service", "Finance", "Commerce"):
            rows += [dynamics_row("T1", month, w, revenue=3000, association="DPOR"),
                     dynamics_row("T1", month, w, revenue=3000, association="CSP_T1")]
    s = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["business_applications"]).summary.row(0, named=True)
    assert s["track"] == "smb" and ": 0 in the scored month, 0 12 months before" in s["track_basis"]
    summed = dataclasses.replace(rules, areas={**rules.areas, "business_applications": dataclasses.replace(
        rules.area("business_applications"), classification=dataclasses.replace(
            rules.area("business_applications").classification, association_rows="summed"))})
    s = score(make_data(rows), as_of=AS_OF, rules=summed, areas=["business_applications"]).summary.row(0, named=True)
    assert s["track"] == "enterprise" and ": 5 in the scored month, 5 12 months before" in s["track_basis"]
    # customer adds: USD 1,000 under each of two associations is one workload of USD 2,000 (>= 1,500)
    rows = [dynamics_row("T1", M, "Sales", revenue=1000, association=a) for a in ("DPOR", "CSP_T1")]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["business_applications"])
    assert metric(result, "net_customer_adds", "enterprise")[0] == 1


@pytest.mark.parametrize(("plan", "counted"), [("Microsoft Defender for Endpoints", 1),
                                                ("Microsoft Defender for Endpoint P2", 1),
                                                ("Microsoft Defender for Endpoint P1", 0)])
def test_defender_for_endpoints_is_read_as_plan_2(rules, plan, counted):
    """S2's list: "Microsoft Defender for Endpoints (only P2)": a row under the list's spelling is
    read as P2; Plan 1 is not read."""
    rows = [usage_row("T1", M, 400, 100, workload=plan)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules, areas=["security"])
    assert metric(result, "net_customer_adds", "enterprise", option="m365")[0] == counted


def test_security_m365_deployment_needs_one_workload_at_15_percent(rules):
    """S2: a deployment is a tenant with "atleast 15% of these paid licenses ... active" from
    eligible workloads, read as Modern Work's rule is written: one workload at the share is
    enough (any_workload); pooled over the workloads the tenant would fall short."""
    from pcs_analysis.analysis.sensitivities import set_parameter
    rows = [usage_row("T1", M, 1000, 150, workload="Intune"),
            usage_row("T1", M, 1000, 0, workload="Microsoft Defender for Identity")]
    rows += [usage_row("T1", BASE, 1000, 0, workload="Intune")]
    assert metric(score(make_data(rows), as_of=AS_OF, rules=rules, areas=["security"]), "deployments", "enterprise",
                  option="m365")[0] == 1
    pooled = set_parameter(rules, "security", "deployments.m365.active_share_basis", "pooled")
    assert metric(score(make_data(rows), as_of=AS_OF, rules=pooled, areas=["security"]), "deployments",
                  "enterprise", option="m365")[0] == 0


def test_2023_security_protected_users_growth_reads_tenants_with_25_paid_seats(rules_2023):
    """H2 states "at least 25 paid seats" for customers and deployments; the protected-users growth
    reads the same tenants (the setting seat_band paid_25 on the part)."""
    defender = "Microsoft Defender for Office 365"
    rows = [usage_row("T1", BASE, 25, 0, workload=defender), usage_row("T1", M, 25, 25, workload=defender),
            usage_row("T2", BASE, 24, 0, workload=defender), usage_row("T2", M, 24, 24, workload=defender)]
    result = score(make_data(rows), as_of=AS_OF, rules=rules_2023, areas=["security"])
    assert metric(result, "usage_growth", "enterprise", option="m365")[0] == 25
