"""Hand-built partner data for tests: short rows in, validated PartnerData out."""

from __future__ import annotations

import datetime as dt

import polars as pl

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
