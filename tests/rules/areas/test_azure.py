"""Data & AI, Infrastructure and Digital & App Innovation (pcs-rules.md §2): every skilling
worked example of S1, and hand-built cases for the revenue metrics and the track classification.

Where S1's examples contradict themselves (pcs-rules.md §6 items 1-4) the tests follow the
formula and say which item.
"""

import pytest

from pcs_analysis.engine.scoring import score
from tests.builders import AS_OF, BASE, M, azure_row, cert_row, make_data, metric

ADMIN = "Microsoft Certified: Azure Administrator Associate"
ARCHITECT = "Microsoft Certified: Azure Solutions Architect Expert"
DATA_AI = "Microsoft Certified: Azure Database Administrator Associate"
INFRA_INT = "Microsoft Certified: Azure Network Engineer Associate"
INFRA_ADV = "Microsoft Certified: Azure Virtual Desktop Specialty"
DAI_INT = "Microsoft Certified: Azure Developer Associate"
DAI_ADV = "GitHub Copilot"
DATA_ENGINEER_2023 = "Microsoft Certified: Azure Data Engineer Associate"  # on the 2023 list only


def people(cert, names):
    return [cert_row(n, cert, "2025-01-10") for n in names]


def skilling(rules, area, metric_name, track, certs):
    result = score(make_data(certs=certs), as_of=AS_OF, rules=rules, areas=[area])
    return metric(result, metric_name, track)[1]


# Data & AI (three steps). Enterprise example 1 labels its steps 2 and 3 the wrong way round
# (§6 item 1); SMB example 1 says "step 2" for step 3 (§6 item 2).
DATA_AI_EXAMPLES = [
    ("enterprise", people(ADMIN, "ab") + people(ARCHITECT, "ab") + people(DATA_AI, "cde"), 12),
    ("enterprise", people(ADMIN, "ab") + people(ARCHITECT, "ab") + people(DATA_AI, "ab"), 8),
    ("enterprise", people(ADMIN, "ab") + people(DATA_AI, "cd"), 0),
    ("enterprise", people(ADMIN, "a") + people(ARCHITECT, "ab") + people(DATA_AI, "cd"), 0),
    ("smb", people(ADMIN, "ab") + people(ARCHITECT, "ab") + people(DATA_AI, "cde"), 20),
    ("smb", people(ADMIN, "ab") + people(ARCHITECT, "ab") + people(DATA_AI, "ab"), 16),
    ("smb", people(ADMIN, "ab") + people(DATA_AI, "cd"), 4),
    ("smb", people(DATA_AI, "cd"), 0),
]


@pytest.mark.parametrize(("track", "certs", "points"), DATA_AI_EXAMPLES)
def test_data_ai_skilling_examples(rules, track, certs, points):
    assert skilling(rules, "data_ai", "intermediate_certifications", track, certs) == pytest.approx(points)


def two_step_examples(prereq, scoring):
    return [
        # Enterprise 1: two prerequisite people, then "two people ... eight points" and "three
        # people complete step 2, earning 12 points" in a phantom step 3 (§6 item 3): 5 people, 20.
        ("enterprise", people(prereq, "ab") + people(scoring, "cdefg"), 20),
        ("enterprise", people(prereq, "ab") + people(scoring, "ab"), 8),
        ("enterprise", people(prereq, "a") + people(scoring, "bc"), 0),
        ("smb", people(prereq, "ab") + people(scoring, "cd"), 12),
        ("smb", people(prereq, "ab") + people(scoring, "ab"), 12),
        ("smb", people(prereq, "a") + people(scoring, "bc"), 12),
        # SMB 4: "No individual completes the Azure Administrator Associate" for the advanced
        # metric, whose prerequisite is Solutions Architect Expert (§6 item 4): nobody in step 1.
        ("smb", people(scoring, "bc"), 0),
    ]


@pytest.mark.parametrize("area", ["infrastructure", "digital_app_innovation"])
@pytest.mark.parametrize(("level", "prereq"), [("intermediate", ADMIN), ("advanced", ARCHITECT)])
def test_two_step_skilling_examples(rules, area, level, prereq):
    scoring = {("infrastructure", "intermediate"): INFRA_INT, ("infrastructure", "advanced"): INFRA_ADV,
               ("digital_app_innovation", "intermediate"): DAI_INT,
               ("digital_app_innovation", "advanced"): DAI_ADV}[(area, level)]
    for track, certs, points in two_step_examples(prereq, scoring):
        assert skilling(rules, area, f"{level}_certifications", track, certs) == pytest.approx(points), (track, certs)


def test_smb_prerequisite_points_count_towards_the_cap(rules):
    certs = people(ADMIN, "ab") + people(ARCHITECT, "ab") + people(DATA_AI, "cdefghijkl")
    assert skilling(rules, "data_ai", "intermediate_certifications", "smb", certs) == 40
    assert skilling(rules, "data_ai", "intermediate_certifications", "enterprise", certs) == 40


def azure(rows, rules, area="data_ai"):
    return score(make_data(rows), as_of=AS_OF, rules=rules, areas=[area])


@pytest.mark.parametrize(("acr_last", "acr_before", "enterprise", "smb"), [
    (1000, 0, 1, 1), (999, 0, 0, 1), (0, 1000, 1, 1), (499, 499, 0, 0), (500, 0, 0, 1)])
def test_customer_counts_with_revenue_in_one_of_the_last_two_months(rules, acr_last, acr_before, enterprise, smb):
    rows = [azure_row("T1", M, acr_last), azure_row("T1", "2026-09-01", acr_before)]
    result = azure(rows, rules)
    assert metric(result, "net_customer_adds", "enterprise")[0] == enterprise
    assert metric(result, "net_customer_adds", "smb")[0] == smb


def test_net_customer_adds_subtract_last_years_customers(rules):
    rows = [azure_row(f"N{i}", M, 2000) for i in range(4)] + [azure_row("OLD", BASE, 2000)]
    assert metric(azure(rows, rules), "net_customer_adds", "enterprise") == (3, 30)


def test_associations_that_count_for_azure(rules):
    rows = [azure_row("T1", M, 5000, association="CPOR"), azure_row("T2", M, 5000, association="PAL")]
    assert metric(azure(rows, rules), "net_customer_adds", "enterprise")[0] == 1


def test_usage_growth_in_percent_with_the_minimum(rules):
    rows = [azure_row("T1", BASE, 10_000), azure_row("T1", M, 11_500)]
    assert metric(azure(rows, rules), "usage_growth", "enterprise") == (pytest.approx(15), pytest.approx(15))
    small = [azure_row("T1", BASE, 900), azure_row("T1", M, 1800)]
    value, points = metric(azure(small, rules), "usage_growth", "enterprise")
    assert value == pytest.approx(100) and points == 0  # baseline below USD 1,000: no points


def test_deployments_count_distinct_services_without_virtual_machines(rules):
    services = ["Azure SQL Database", "Storage", "Azure Cosmos DB", "Key Vault", "Azure Monitor",
                "Virtual Machines"]
    rows = [azure_row(f"T{i}", "2026-03-01", 10, service=s) for i, s in enumerate(services)]
    rows.append(azure_row("T9", "2025-10-01", 10, service="Azure Kubernetes Service"))  # 13 months ago
    assert metric(azure(rows, rules), "deployments", "enterprise") == (5, 10)


@pytest.mark.parametrize(("smb_tenants", "track", "basis"), [
    (4, "smb", "customer segments: 80% SMB"), (3, "enterprise", "customer segments: 60% SMB")])
def test_track_is_classified_by_customer_segment_share(rules, smb_tenants, track, basis):
    rows = [azure_row(f"T{i}", M, 2000, segment="SMB" if i < smb_tenants else "Enterprise") for i in range(5)]
    s = azure(rows, rules).summary.row(0, named=True)
    assert s["track"] == track and s["track_basis"].startswith(basis)


def test_without_segments_both_tracks_are_scored_and_the_summary_says_why(rules):
    rows = [azure_row(f"T{i}", M, 800) for i in range(3)]  # counts on SMB only (USD 500 minimum)
    s = azure(rows, rules).summary.row(0, named=True)
    assert s["track"] == "smb" and "customer segments unknown" in s["track_basis"]
    # SMB: 3 customers (30) + one service (2); Enterprise: the service only.
    assert (s["total"], s["other_track_total"]) == (32, 2)


# June 2023 (H1): one track; Data & AI's prerequisite steps in the other order (Solutions
# Architect first); the 2023 examples give 3 x 4 = 12 and 2 x 4 = 8.
@pytest.mark.parametrize(("certs", "points"), [
    (people(ARCHITECT, "ab") + people(ADMIN, "ab") + people(DATA_AI, "cde"), 12),
    (people(ARCHITECT, "ab") + people(ADMIN, "ab") + people(DATA_AI, "ab"), 8),
    (people(ARCHITECT, "a") + people(ADMIN, "ab") + people(DATA_AI, "cde"), 0),
    (people(ARCHITECT, "ab") + people(ADMIN, "ab") + people(DATA_ENGINEER_2023, "c"), 4),
])
def test_data_ai_2023_examples(rules_2023, certs, points):
    assert skilling(rules_2023, "data_ai", "intermediate_certifications", "enterprise", certs) == points


def test_2023_azure_areas_have_one_track_and_the_1000_dollar_customer(rules_2023):
    rows = [azure_row("T1", M, 600, segment="SMB"), azure_row("T2", M, 1500, segment="SMB")]
    result = azure(rows, rules_2023)
    assert metric(result, "net_customer_adds", "enterprise")[0] == 1
    s = result.summary.row(0, named=True)
    assert (s["track"], s["track_basis"], s["other_track"]) == ("enterprise", "only track", None)
