"""What the tests share: hand-built partner data (short rows in, validated PartnerData out), the
building blocks several modules score, random partner data for the property tests, the fixture
folders and running the `pcs` command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pcs_analysis.engine.scoring import score
from pcs_analysis.inputs.read import PartnerData, validate_frame
from pcs_analysis.inputs.schemas import CERTIFICATIONS, PARTNERS, USAGE

AS_OF = dt.date(2026, 11, 21)   # scores data month 2026-10 against 2025-10
M = "2026-10-01"
BASE = "2025-10-01"


def usage_row(tenant: str, month: str, paid: int, active: int, *, partner: str = "P1",
              workload: str = "Exchange Online", association: str = "CPOR",
              associated_on: str | None = None) -> dict:
    return {"partner_id": partner, "tenant_id": tenant, "month": month, "workload": workload,
            "association": association, "associated_on": associated_on, "paid_units": paid,
            "active_units": active, "revenue_usd": None, "customer_segment": None, "product": "m365"}


def azure_row(tenant: str, month: str, acr: float, *, service: str = "Azure SQL Database",
              partner: str = "P1", association: str = "CSP_T1", segment: str | None = None) -> dict:
    return {"partner_id": partner, "tenant_id": tenant, "month": month, "workload": service,
            "association": association, "associated_on": None, "paid_units": None,
            "active_units": None, "revenue_usd": acr, "customer_segment": segment, "product": "azure"}


def cert_row(person: str, certification: str, earned_on: str, expires_on: str | None = None, *,
             partner: str = "P1") -> dict:
    return {"partner_id": partner, "person_id": person, "certification": certification,
            "earned_on": earned_on, "expires_on": expires_on}


def score_modern_work(data, **kwargs):
    """Score Modern Work only (the area the Modern Work tests are about)."""
    from pcs_analysis.engine.scoring import score
    return score(data, areas=["modern_work"], **kwargs)


def make_data(usage: list[dict] = (), certs: list[dict] = (), partners: list[dict] = ()) -> PartnerData:
    def frame(rows, schema):
        if rows:
            return pl.DataFrame(list(rows), schema={k: pl.String for k in rows[0]}).with_columns(
                pl.all().cast(pl.String))
        return pl.DataFrame(schema={c: pl.String for c in schema.column_names})

    u = validate_frame(frame(usage, USAGE), USAGE, file="usage")
    c = validate_frame(frame(certs, CERTIFICATIONS), CERTIFICATIONS, file="certifications")
    p = validate_frame(frame(partners, PARTNERS), PARTNERS, file="partners")
    from pcs_analysis.inputs.read import _empty
    from pcs_analysis.inputs.schemas import ENROLLMENTS
    return PartnerData(usage=u.lazy(), certifications=c.lazy(), enrollments=_empty(ENROLLMENTS).lazy(),
                       partners=p.lazy())


def steady(tenant: str, paid: int, active_then: int, active_now: int, **kw) -> list[dict]:
    """A tenant present in the baseline month and the scored month."""
    return [usage_row(tenant, BASE, paid, active_then, **kw), usage_row(tenant, M, paid, active_now, **kw)]


def metric(result, name: str, track: str, *, partner: str = "P1", option: str | None = "__best__",
           area: str | None = None):
    """(value, points) of a metric on a track; `option` picks one option from `options`.
    `area` defaults to the only area scored."""
    frame = result.scores if option == "__best__" else result.options
    if area is None:
        areas = frame["area"].unique().to_list()
        assert len(areas) == 1, f"say which area: {areas}"
        area = areas[0]
    rows = frame.filter((pl.col("partner_id") == partner) & (pl.col("metric") == name)
                        & (pl.col("track") == track) & (pl.col("area") == area))
    if option != "__best__":
        rows = rows.filter(pl.col("option").eq_missing(pl.lit(option, pl.String)))
    assert rows.height == 1, rows
    return rows["value"][0], rows["points"][0]


def dynamics_row(tenant: str, month: str, workload: str, *, active: int = 0, revenue: float | None = None,
                 association: str = "DPOR", partner: str = "P1") -> dict:
    return {"partner_id": partner, "tenant_id": tenant, "month": month, "workload": workload,
            "association": association, "associated_on": None, "paid_units": None,
            "active_units": active, "revenue_usd": revenue, "customer_segment": None, "product": "dynamics"}


# --- what many test modules share --------------------------------------------------------

#: The Partner Center downloads of the import tests.
#: The tests' folder and the repository's.
TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
FIXTURES = TESTS_DIR / "fixtures" / "partner_center"
PCS = [str(Path(sys.executable).with_name("pcs"))]


def run(*args, check=True):
    """Run the `pcs` command; fail with its output unless it succeeds (`check`)."""
    proc = subprocess.run([*PCS, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


ADVANCED = "Microsoft 365 Certified: Enterprise Administrator Expert"
INTERMEDIATE = "Teams Administrator Associate"


def almost_qualified(extra_certs=()):
    """Modern Work, Enterprise track, in every month from 2025-12 to 2026-10: five new customers
    (20 points), five deployments (25), 650 more active users via CPOR (19.5) and one
    intermediate person (2.5) = 67 points, with the advanced metric at zero. One advanced person
    (7.5) makes it qualify."""
    rows = [usage_row(f"T{t}", f"{y}-{m:02d}-01", 301, 130)
            for t in range(5) for y, m in [(2025, 12)] + [(2026, k) for k in range(1, 11)]]
    certs = [cert_row("int", INTERMEDIATE, "2024-01-01"), *extra_certs]
    return make_data(rows, certs)


def enrolled(data: PartnerData, enrolled_on: str, anniversary_on: str) -> PartnerData:
    table = pl.DataFrame({"partner_id": ["P1"], "area": ["modern_work"],
                          "enrolled_on": [dt.date.fromisoformat(enrolled_on)],
                          "anniversary_on": [dt.date.fromisoformat(anniversary_on)]})
    return dataclasses.replace(data, enrollments=table.lazy())


#: The certification plans' day and target (the plans carried out, and their consistency test).
PLAN_AS_OF, PLAN_TARGET = "2026-11-01", "2026-11-30"


def with_certifications(data: PartnerData, rows: list[dict]) -> PartnerData:
    """`data` plus certification rows, each under the partner id it names."""
    certs = data.certifications.collect()
    extra = pl.DataFrame(rows, schema=certs.schema) if rows else certs.clear()
    return dataclasses.replace(data, certifications=pl.concat([certs, extra]).lazy())


def virtual(data: PartnerData, partner_id: str, vid: str) -> PartnerData:
    """The partner's data under another id (so many variants score in one pass)."""
    mine = data.only_partners([partner_id])
    rename = pl.col("partner_id").replace({partner_id: vid})
    return PartnerData(usage=mine.usage.with_columns(rename), certifications=mine.certifications.with_columns(rename),
                       enrollments=mine.enrollments.with_columns(rename), partners=mine.partners.with_columns(rename))


# --- random partner data in every area (Hypothesis) ----------------------------------------

MONTHS = ["2025-09-01", "2025-10-01", "2026-03-01", "2026-09-01", "2026-10-01"]
M365 = ["Exchange Online", "Intune", "Microsoft Defender for Office 365", "Microsoft Defender for Identity"]
AZURE = ["Azure SQL Database", "Key Vault", "Sentinel", "Virtual Machines", "Azure Firewall"]
DYNAMICS = ["Sales", "Customer Service", "Business Central", "Power Apps", "Customer Insights"]
CERTS = [
    "Teams Administrator Associate", "Azure Administrator Associate", "Azure Solutions Architect Expert",
    "Azure Database Administrator Associate", "Azure Network Engineer Associate",
    "Azure Security Engineer Associate", "Security Operations Analyst Associate", "Cybersecurity Architect Expert",
    "Power Platform Developer Associate", "Power Platform Solution Architect Expert",
]

m365_row = st.builds(
    lambda p, t, m, w, a, paid, share: usage_row(f"M{t}", m, paid, int(paid * share), partner=f"P{p}",
                                                 workload=w, association=a),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(M365),
    st.sampled_from(["CPOR", "DPOR", "CSP_T1"]), st.integers(0, 800), st.floats(0, 1))
azure = st.builds(
    lambda p, t, m, s, a, acr, seg: azure_row(f"A{t}", m, acr, service=s, partner=f"P{p}", association=a,
                                              segment=seg),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(AZURE),
    st.sampled_from(["PAL", "CSP_T1", "DPOR", "CPOR"]), st.floats(0, 20_000).map(lambda x: round(x, 2)),
    st.sampled_from([None, "SMB", "Enterprise"]))
dynamics = st.builds(
    lambda p, t, m, w, a, mau, revenue: dynamics_row(f"D{t}", m, w, active=mau, revenue=revenue, partner=f"P{p}",
                                                     association=a),
    st.integers(1, 2), st.integers(1, 4), st.sampled_from(MONTHS), st.sampled_from(DYNAMICS),
    st.sampled_from(["PAL", "DPOR", "CPOR_REVREC", "CPOR_OSU", "CSP_T2"]), st.integers(0, 300),
    st.floats(0, 9000).map(lambda x: round(x, 2)))
cert = st.builds(
    lambda p, person, c, earned: cert_row(f"x{person}", c, earned, partner=f"P{p}"),
    st.integers(1, 2), st.integers(1, 5), st.sampled_from(CERTS), st.sampled_from(["2024-05-01", "2026-11-15"]))


def unique(rows, keys):
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


USAGE_KEY = ["partner_id", "tenant_id", "month", "workload", "association"]
CERT_KEY = ["partner_id", "person_id", "certification", "earned_on"]
data_st = st.tuples(
    st.lists(st.one_of(m365_row, azure, dynamics), max_size=40).map(lambda rows: unique(rows, USAGE_KEY)),
    st.lists(cert, max_size=12).map(lambda rows: unique(rows, CERT_KEY)))
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def score_generated(usage, certs, rules):
    """Score generated rows as of AS_OF."""
    return score(make_data(usage, certs), as_of=AS_OF, rules=rules)
