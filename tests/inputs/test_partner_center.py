"""Importing Partner Center downloads (fixtures written in the documented formats)."""

import datetime as dt
import shutil

import polars as pl
import pytest

from pcs_analysis import DataValidationError, PcsError, load_rules, score
from pcs_analysis.inputs.partner_center import import_partner_center
from tests.builders import AS_OF, FIXTURES, metric, run

PARTNER = "4455667"


@pytest.fixture(scope="module")
def imported():
    return import_partner_center(FIXTURES, rules=load_rules())


def test_duplicates_dropped_workloads_mapped_and_skips_reported(imported):
    sample, report = imported
    # OfficeUsage 10 rows, AzureUsage 8, DynamicsUsage 9, CustomersAndTenants 7; one duplicate in
    # each but OfficeUsage (two).
    assert report.usage_rows_read == 34 and report.duplicate_rows_dropped == 5
    assert report.skipped_workloads.rows() == [("Dynamics 365 Marketing", 1), ("Power BI Pro", 1)]
    usage = sample.usage
    office = usage.filter(pl.col("product") == "m365")
    assert office.height == 7
    assert sorted(set(office["association"])) == ["CPOR", "CSP_T2", "DPOR", "PAL"]
    assert usage.filter(pl.col("workload") == "ProPlus")["association"].to_list() == ["DPOR"]
    assert usage["month"].max().isoformat() == "2026-10-01"   # 10/1/2026 and ISO with time parsed
    assert sample.partners.filter(pl.col("partner_id") == "7788990")["partner_name"][0] \
        == "Société Générale d'Informatique"


def test_people_identified_by_mcpid_or_email_and_counted_once(imported):
    sample, report = imported
    certs = sample.certifications.filter(pl.col("partner_id") == PARTNER)
    # Ana's e-mail-only row resolves to her MCPID; Ben has only an e-mail; his repeated row merges.
    assert sorted(set(certs["person_id"])) == ["991001", "991003", "ben.okafor@contoso.example"]
    assert report.people_merged_by_email == 1 and report.repeated_certification_rows == 1
    assert certs.filter(pl.col("person_id") == "991001").height == 2
    elodie = sample.certifications.filter(pl.col("partner_id") == "7788990")
    assert elodie["earned_on"][0].isoformat() == "2026-11-02" and elodie["expires_on"][0] is None


def test_imported_data_scores(imported):
    sample, _ = imported
    result = score(sample.to_partner_data(), as_of=AS_OF, rules=load_rules())
    # Enterprise: tenant 1 in both months (net 0) + tenant 2 new via DPOR -> 1 net add.
    assert metric(result, "net_customer_adds", "enterprise", partner=PARTNER, area="modern_work") == (1, 4)
    # Usage growth CPOR: 900 - 300 on tenant 1 (Power BI Pro is not a Modern Work workload).
    assert metric(result, "usage_growth", "enterprise", partner=PARTNER, option="CPOR", area="modern_work") == (600, 18)
    # SMB: tenant 3 (CSP Tier 2) grows 70 users; the PAL tenant counts nowhere.
    assert metric(result, "usage_growth", "smb", partner=PARTNER, option="CSP", area="modern_work")[0] == 70
    # People: Ana (intermediate + advanced), Ben (intermediate); Chen's Modern Work cert expired.
    assert metric(result, "intermediate_certifications", "enterprise", partner=PARTNER, area="modern_work")[0] == 2
    assert metric(result, "advanced_certifications", "enterprise", partner=PARTNER, area="modern_work")[0] == 1
    # Élodie earned hers on 11/2/2026: visible on 2026-11-21, past the 10-day lag.
    assert metric(result, "intermediate_certifications", "smb", partner="7788990", area="modern_work")[0] == 1


def test_bad_downloads_are_reported_with_file_column_and_lines(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "src")
    office = tmp_path / "src" / "OfficeUsage_2026-10.csv"
    lines = office.read_text().splitlines()
    lines[3] = lines[3].replace(",CPOR,0", ",Reseller of Record,0")          # line 4
    lines[6] = lines[6].replace(",650,400,", ",650,4x0,")                    # line 7
    lines.append(lines[8])                                                   # line 12 repeats line 9
    office.write_text("\n".join(lines) + "\n")
    training = tmp_path / "src" / "TrainingCompletions.csv"
    training.write_text(training.read_text().replace("IcMCP", "IcMCPX"))
    with pytest.raises(DataValidationError) as info:
        import_partner_center(tmp_path / "src", rules=load_rules())
    text = str(info.value)
    assert "OfficeUsage_2026-10.csv, column 'PartnerAttributionType', line 4: unknown attribution type" in text
    assert "'Reseller of Record'" in text
    assert "column 'MonthlyActiveUsers', line 7: expected a whole number" in text
    assert "TrainingCompletions.csv, column 'IcMCPX': unknown column" in text
    assert "TrainingCompletions.csv, column 'IcMCP': required column is missing" in text
    lines.pop()
    office.write_text("\n".join(lines).replace("Reseller of Record", "CPOR").replace("4x0", "400") + "\n")
    training.write_text(training.read_text().replace("IcMCPX", "IcMCP"))
    office.write_text(office.read_text() + lines[8] + "\n")
    with pytest.raises(DataValidationError, match=r"lines 9, 12: the same tenant, workload, month"):
        import_partner_center(tmp_path / "src", rules=load_rules())


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(PcsError, match="no Partner Center downloads"):
        import_partner_center(tmp_path)


def test_cli_import_then_score(tmp_path):
    proc = run("import", "partner-center", FIXTURES, tmp_path / "canonical")
    assert "skipped workload 'Power BI Pro' (1 rows)" in proc.stdout
    run("score", tmp_path / "canonical", "--as-of", "2026-11-21", "--out", tmp_path / "out", "-q")
    summary = pl.read_csv(tmp_path / "out" / "summary.csv", schema_overrides={"partner_id": pl.String})
    assert sorted(summary["partner_id"].unique()) == [PARTNER, "7788990"]


def test_azure_and_dynamics_downloads_are_mapped(imported):
    sample, report = imported
    azure = sample.usage.filter(pl.col("product") == "azure")
    # Two subscriptions of one service in one month are summed; the duplicate row is dropped.
    sql = azure.filter((pl.col("workload") == "Azure SQL Database") & (pl.col("month").dt.year() == 2026))
    assert sql["revenue_usd"].to_list() == [1600.0]
    assert set(azure["association"]) == {"PAL", "CSP_T1"}
    dynamics = sample.usage.filter(pl.col("product") == "dynamics")
    assert set(dynamics["association"]) == {"CPOR_REVREC", "CPOR_OSU", "PAL", "DPOR"}
    # Customer Insights reports capacity (profiles) in place of monthly active users.
    assert dynamics.filter(pl.col("workload") == "Customer Insights")["active_units"].to_list() == [120_000]
    assert not report.notes  # AzureUsage present: CustomersAndTenants' ACR is not used


def test_imported_azure_and_dynamics_data_score(imported):
    sample, _ = imported
    result = score(sample.to_partner_data(), as_of=AS_OF, rules=load_rules())
    summary = {r["area"]: r for r in result.summary.filter(pl.col("partner_id") == PARTNER).iter_rows(named=True)}
    # Azure: both customers of the scored month are SMB -> SMB track.
    assert summary["data_ai"]["track"] == "smb"
    assert summary["data_ai"]["track_basis"].startswith("customer segments: 100% SMB")
    # SMB customers: the SQL tenant (USD 4,650), the storage tenant (700) and the firewall tenant
    # (2,500 in the month before): 3 now, the SQL tenant's 800 a year ago: net 2.
    assert metric(result, "net_customer_adds", "smb", partner=PARTNER, area="data_ai") == (2, 20)
    assert metric(result, "net_customer_adds", "enterprise", partner=PARTNER, area="data_ai")[0] == 2
    # Distinct services with ACR over 12 months, Virtual Machines excluded: SQL, Key Vault,
    # Storage, Firewall.
    assert metric(result, "deployments", "smb", partner=PARTNER, area="data_ai") == (4, 8)
    # Business Applications: 2 tenant workloads above USD 5,000 now, 1 a year ago -> SMB.
    assert summary["business_applications"]["track"] == "smb"
    # Customer adds: Sales (RevRec) in both months; Business Central (DPOR, USD 700) is new on SMB.
    assert metric(result, "net_customer_adds", "smb", partner=PARTNER, area="business_applications") == (1, 3)
    # Deployments (5,000 MCV): Sales 130 x 200, Power Apps 300 x 200 (PAL), Customer Insights
    # 120,000 x 0.2 (PAL), Business Central 10 x 1,000 now; Sales 100 x 200 a year ago.
    assert metric(result, "deployments", "smb", partner=PARTNER, area="business_applications") == (3, 12)
    # Usage growth: the baseline MCV (20,000) is below the SMB gate of 25,000.
    value, points = metric(result, "usage_growth", "smb", partner=PARTNER, area="business_applications")
    assert value == pytest.approx(500) and points == 0
    # Security: the firewall tenant's USD 2,500 (PAL) over the trailing 12 months is an Azure add.
    assert metric(result, "net_customer_adds", "smb", partner=PARTNER, option="azure", area="security")[0] == 1


def test_customers_and_tenants_alone_give_tenant_level_acr(tmp_path):
    shutil.copy(FIXTURES / "CustomersAndTenants_2026-10.csv", tmp_path)
    sample, report = import_partner_center(tmp_path, rules=load_rules())
    assert report.notes and "AzureUsage" in report.notes[0]
    azure = sample.usage.filter(pl.col("product") == "azure")
    assert set(azure["workload"]) == {"Azure consumption (all services)"} and azure.height == 4
    result = score(sample.to_partner_data(), as_of=AS_OF, rules=load_rules(), areas=["data_ai"])
    assert metric(result, "net_customer_adds", "smb", partner=PARTNER)[0] == 2
    assert metric(result, "deployments", "smb", partner=PARTNER)[0] == 0  # no service names


def test_unknown_azure_column_and_attribution_type_are_errors(tmp_path):
    text = (FIXTURES / "AzureUsage_2026-10.csv").read_text()
    (tmp_path / "AzureUsage_a.csv").write_text(text.replace("ServiceLevel2Name", "ServiceName2"))
    (tmp_path / "DynamicsUsage_b.csv").write_text(
        (FIXTURES / "DynamicsUsage_2026-10.csv").read_text().replace("CPOR OSU", "CPOR Influence"))
    with pytest.raises(DataValidationError) as info:
        import_partner_center(tmp_path, rules=load_rules())
    message = str(info.value)
    assert "AzureUsage_a.csv" in message and "ServiceName2" in message and "ServiceLevel2Name" in message
    assert "DynamicsUsage_b.csv" in message and "PartnerAttributionType" in message and "CPOR Influence" in message


def test_an_unknown_certification_title_is_reported_by_the_import(tmp_path):
    """A title no list of the rulebook knows is kept but reported (names and rows), never
    dropped in silence; Microsoft Learn's own titles resolve."""
    shutil.copytree(FIXTURES, tmp_path / "src")
    path = tmp_path / "src" / "TrainingCompletions.csv"
    lines = path.read_text().splitlines()
    fundamentals = lines[1].replace("Microsoft 365 Certified: Teams Administrator Associate",
                                    "Microsoft 365 Certified: Fundamentals").replace(",a1,", ",a8,")
    typo = lines[1].replace("Teams Administrator Associate", "Teams Adminstrator Associate").replace(",a1,", ",a9,")
    path.write_text("\n".join([*lines, fundamentals, typo]) + "\n")
    tables, report = import_partner_center(tmp_path / "src", rules=load_rules())
    assert report.unknown_certifications.rows() == [("Microsoft 365 Certified: Teams Adminstrator Associate", 1)]
    assert "unknown certification 'Microsoft 365 Certified: Teams Adminstrator Associate' (1 rows)" in report.describe()
    assert "Microsoft 365 Certified: Fundamentals" in tables.certifications["certification"].to_list()


def test_a_reimport_keeps_the_enrollments_and_partner_overrides_the_user_typed(tmp_path):
    out = tmp_path / "canonical"
    first = run("import", "partner-center", FIXTURES, out)
    assert "enrollments.csv written with no rows" in first.stdout
    typed = ("partner_id,area,enrolled_on,anniversary_on\n"
             f"{PARTNER},modern_work,2025-03-01,2026-03-01\n")
    (out / "enrollments.csv").write_text(typed)
    partners = pl.read_csv(out / "partners.csv", infer_schema=False)
    mine = (partners.filter(pl.col("partner_id") == PARTNER)
            .with_columns(pl.lit("Typed name").alias("partner_name"), pl.lit("smb").alias("track_modern_work")))
    mine.write_csv(out / "partners.csv")   # the other partner is missing: the import adds it back

    again = run("import", "partner-center", FIXTURES, out)

    assert (out / "enrollments.csv").read_text() == typed
    assert "kept enrollments.csv as it was (1 rows)" in again.stdout
    merged = pl.read_csv(out / "partners.csv", infer_schema=False)
    assert merged.columns == ["partner_id", "partner_name", "track_modern_work"]
    assert merged.rows() == [(PARTNER, "Typed name", "smb"), ("7788990", partners.filter(
        pl.col("partner_id") == "7788990")["partner_name"][0], None)]
    assert "added 1 partner(s)" in again.stdout
    run("score", out, "--as-of", "2026-11-21", "--out", tmp_path / "scores", "-q")


def test_a_reimport_refuses_a_broken_typed_table_and_writes_nothing(tmp_path):
    out = tmp_path / "canonical"
    run("import", "partner-center", FIXTURES, out)
    usage_before = (out / "usage.csv").read_bytes()
    (out / "usage.csv").write_text("stale")
    (out / "enrollments.csv").write_text("partner_id,area,enrolled_on,anniversary_on\nP1,modern_wrk,2025-01-01,x\n")
    proc = run("import", "partner-center", FIXTURES, out, check=False)
    assert proc.returncode == 2
    assert "enrollments.csv" in proc.stderr and "area" in proc.stderr
    assert (out / "usage.csv").read_text() == "stale" and usage_before


@pytest.mark.parametrize("form", ["%Y-%m", "%Y/%m", "%m/%Y", "%b %Y", "%B-%Y", "%Y-%m-%dT00:00:00"])
def test_the_import_accepts_the_month_formats_spreadsheets_write(tmp_path, form, imported):
    """Month = 2026-10 (the canonical tables' own YYYY-MM), as a spreadsheet re-saves it."""
    import datetime as dt

    def parse_day(text):
        day = text.split("T")[0].split(" ")[0]
        return dt.datetime.strptime(day, "%m/%d/%Y" if "/" in day else "%Y-%m-%d").date()

    src = tmp_path / "downloads"
    shutil.copytree(FIXTURES, src)
    for name in ("OfficeUsage_2026-10.csv", "CustomersAndTenants_2026-10.csv"):
        raw = pl.read_csv(src / name, infer_schema=False)
        months = raw["Month"].map_elements(lambda v: parse_day(v).strftime(form), return_dtype=pl.String)
        raw.with_columns(months.alias("Month")).write_csv(src / name)
    assert pl.read_csv(src / "OfficeUsage_2026-10.csv", infer_schema=False)["Month"][0] == dt.date(
        2025, 10, 1).strftime(form)
    tables, _ = import_partner_center(src, rules=load_rules())
    assert tables.usage.equals(imported[0].usage)


def test_a_month_in_no_known_format_names_the_formats(tmp_path):
    src = tmp_path / "downloads"
    shutil.copytree(FIXTURES, src)
    raw = pl.read_csv(src / "OfficeUsage_2026-10.csv", infer_schema=False)
    raw.with_columns(pl.lit("2026.10").alias("Month")).write_csv(src / "OfficeUsage_2026-10.csv")
    with pytest.raises(DataValidationError, match=r"(?s)OfficeUsage_2026-10.csv.*Month.*YYYY-MM, YYYY/MM"):
        import_partner_center(src, rules=load_rules())


def test_customer_names_are_carried_and_shown_with_the_id_where_two_share_one(tmp_path, imported):
    """CustomerName reaches the usage table; explain, recommendations and the report name the
    customer ("Tailspin Toys" is two tenants of the partner, so both show their id)."""
    from pcs_analysis.analysis.explanation import explain
    from pcs_analysis.analysis.recommendations import recommend
    from pcs_analysis.reporting.partner import build_reports
    tables, _ = imported
    names = tables.usage.select("tenant_id", "customer_name").unique()
    assert names.filter(pl.col("customer_name").is_null()).height == 0
    data = tables.to_partner_data()
    e = explain(data, PARTNER, as_of="2026-11-21", rules=load_rules(), areas=["modern_work"])
    not_counted = e.tenants.filter(~pl.col("is_counted") & (pl.col("metric") == "deployments")
                                   & (pl.col("track") == "enterprise"))
    assert not_counted["customer"].to_list() == ["Northwind Traders"]
    texts = recommend(data, as_of="2026-11-21", rules=load_rules(), areas=["data_ai"]).table["recommendation"].to_list()
    assert "losing Fabrikam Retail would cost 14.0 points" in texts
    assert "losing Tailspin Toys (aaaa0000-0000-4000-8000-000000000102) would cost 12.0 points" in texts
    report = build_reports(data, as_of=dt.date(2026, 11, 21), rules=load_rules())[PARTNER]
    assert "Northwind Traders" in report.not_counted["customer"].to_list()
    out = tmp_path / "canonical"
    run("import", "partner-center", FIXTURES, out)
    assert "customer_name" in pl.read_csv(out / "usage.csv", n_rows=1).columns
    shown = run("explain", out, PARTNER, "--as-of", "2026-11-21", "--area", "modern_work").stdout
    assert "not counted: Northwind Traders: 25.0% of paid licences active" in shown
