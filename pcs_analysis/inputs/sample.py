"""A deterministic generator of realistic synthetic data in the canonical format.

Partners come in shapes an analyst meets: enterprise-heavy, SMB-heavy and mixed customer
bases, partners close to the 70-point bar, a partner missing one metric, certifications about
to expire, associations that begin mid-year, churned customers, tenants that grow or shrink
across a seat band, legacy workload names and certification names written in several ways.
Everything is drawn from one seeded numpy generator, vectorized over tenants and months, so
the same code makes the 50-partner sample and the benchmark's 20,000 partners.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl

from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import CanonicalTables, validate_frame, without_empty_optional
from pcs_analysis.inputs.schemas import CERTIFICATIONS, ENROLLMENTS, PARTNERS, USAGE
from pcs_analysis.rules.periods import month_index, month_start, month_start_expr

#: The shapes of partner the generator cycles through.
ARCHETYPES = (
    "enterprise", "smb", "mixed", "near_bar", "no_advanced", "expiring_certs",
    "newly_associated", "churning", "band_movers", "small",
)

_WORKLOADS = (
    # (name in the data, weight); legacy names appear too, resolved by the rulebook's aliases
    ("Exchange Online", 10), ("Teams", 10), ("SharePoint Online", 7), ("Microsoft 365 Apps", 7),
    ("Intune", 5), ("Teams Phone", 3), ("Viva Engage", 2), ("M365 Copilot", 3),
    ("Microsoft Entra ID P1", 3), ("Windows 365", 1), ("Teams Premium", 1),
    ("ProPlus", 2), ("Yammer", 1), ("Power BI Pro", 2),
)
_INTERMEDIATE = (
    "Microsoft 365 Certified: Teams Administrator Associate",
    "Teams Administrator Associate",
    "Microsoft Certified: Identity and Access Administrator Associate",
    "Microsoft 365 Certified: Endpoint Administrator Associate",
    "Microsoft 365 Certified: Modern Desktop Administrator Associate",
    "Microsoft 365 Certified: Collaboration Communications Systems Engineer Associate",
    "microsoft 365 certified:  copilot and agent administration fundamentals",
    "Microsoft 365 Fundamentals",
)
_ADVANCED = (
    "Microsoft 365 Certified: Enterprise Administrator Expert",
    "Teams Meetings and Meeting Rooms Technical Assessment",
)
_OTHER = (
    "Microsoft Certified: Azure Administrator Associate",
    "Microsoft Certified: Azure Solutions Architect Expert",
    "Microsoft Certified: Power BI Data Analyst Associate",
)
_NAMES = (
    "Contoso Cloud Services", "Fabrikam Consulting", "Müller & Söhne IT GmbH",
    "<Northwind> \"Digital\" Partners", "Société Générale d'Informatique", "Tailspin Toys IT",
    "O'Brien & Daughters", "Adatum Corporation", "Woodgrove Tech", "Łódź Systemy Sp. z o.o.",
    "北京云科技有限公司", "Proseware, Inc.", "Litware <script>alert(1)</script>", "Lucerne Publishing",
    "Coho Winery IT", "Wide World Importers", "Alpine Ski House", "Bellows College Labs",
    "Trey Research", "Fourth Coffee Digital", "Humongous Insurance IT", "Margie's Travel Tech",
    "Nod Publishers", "Relecloud", "VanArsdel Ltd.", "Wingtip Toys", "Graphic Design Institute",
    "School of Fine Art IT", "Consolidated Messenger", "Blue Yonder Airlines IT",
)


#: The seed of the committed sample (data/sample): chosen for a realistic spread of scores.
DEFAULT_SEED = 11


#: The usage columns the generator writes (no customer names: tenants are known by their ids).
_COLUMNS = tuple(n for n in USAGE.column_names if n != "customer_name")


def generate_sample(*, partners: int = 50, seed: int = DEFAULT_SEED, last_month: dt.date = dt.date(2026, 10, 1),
                    months: int = 26, tenants_per_partner: float = 12.0,
                    workloads_per_tenant: float = 2.6, first_partner: int = 1,
                    id_digits: int | None = None) -> CanonicalTables:
    """Generate a synthetic dataset in the canonical format.

    Parameters
    ----------
    partners
        Number of partners.
    seed
        Random seed: the same arguments always give the same data.
    last_month
        The last month with usage data; `months` months end there.
    tenants_per_partner, workloads_per_tenant
        Average sizes (the benchmark uses smaller tenants per partner and more partners).
    first_partner, id_digits
        The number of the first partner and the digits of the ids (default: enough for
        `partners`): a large portfolio is generated block by block (`write_sample_dataset`).

    Examples
    --------
    >>> s = generate_sample(partners=3, seed=1)
    >>> s.partners.height, s.usage["partner_id"].n_unique()
    (3, 3)
    """
    if partners < 1:
        raise ValueError("partners must be at least 1")
    rng = np.random.default_rng(seed)
    last = month_index(last_month)
    first = last - months + 1
    digits = id_digits or max(3, len(str(first_partner + partners - 1)))
    numbers = range(first_partner - 1, first_partner - 1 + partners)
    ids = np.array([f"P{i + 1:0{digits}d}" for i in numbers])
    kinds = np.array([ARCHETYPES[i % len(ARCHETYPES)] for i in numbers])
    # How strongly each partner is growing: drives new customers, adoption and skilling.
    momentum = rng.beta(2.0, 1.6, partners)
    fixed = {"near_bar": 0.62, "small": 0.15, "churning": 0.3, "no_advanced": 0.8}
    momentum = np.array([fixed.get(k, m) for k, m in zip(kinds, momentum, strict=True)])
    usage = _usage(rng, ids, kinds, momentum, first, last, tenants_per_partner, workloads_per_tenant)
    certs = _certifications(rng, ids, kinds, momentum, last)
    # Azure data come from a stream of their own, so adding them leaves the Microsoft 365 data
    # of a seed unchanged.
    azure_rng = np.random.default_rng([seed, 1])
    usage = pl.concat([usage, _azure_usage(azure_rng, ids, kinds, momentum, first, last, tenants_per_partner)])
    certs = pl.concat([certs, _azure_certifications(azure_rng, ids, momentum, last)])
    # Business Applications and Security: streams of their own too.
    ba_rng = np.random.default_rng([seed, 2])
    ba_drive = np.clip(rng_beta(ba_rng, len(ids)) * (0.5 + momentum), 0, 1)
    usage = pl.concat([usage, _dynamics_usage(ba_rng, ids, ba_drive, first, last, tenants_per_partner)])
    security_rng = np.random.default_rng([seed, 3])
    usage = pl.concat([usage, _security_m365_usage(security_rng, usage)])
    people_rng = np.random.default_rng([seed, 4])
    certs = pl.concat([certs, _dynamics_certifications(people_rng, ids, ba_drive, last),
                       _security_certifications(people_rng, ids, momentum, last)]).sort(
        "partner_id", "person_id", "certification")
    table = _partners(rng, ids, kinds, first_partner - 1)
    enrol = pl.concat([_enrollments(rng, ids, last), _azure_enrollments(people_rng, ids, last)])
    return CanonicalTables(
        usage=validate_frame(usage, USAGE, file="generated usage"),
        certifications=validate_frame(certs, CERTIFICATIONS, file="generated certifications"),
        partners=validate_frame(table, PARTNERS, file="generated partners"),
        enrollments=validate_frame(enrol, ENROLLMENTS, file="generated enrollments"),
    )


def _usage(rng: np.random.Generator, ids: np.ndarray, kinds: np.ndarray, momentum: np.ndarray,
           first: int, last: int,
           tenants_per_partner: float, workloads_per_tenant: float) -> pl.DataFrame:
    n_months = last - first + 1
    scale = {"small": 0.35, "enterprise": 0.8, "smb": 1.3}
    counts = np.maximum(2, rng.poisson([tenants_per_partner * scale.get(k, 1.0) for k in kinds]))
    partner = np.repeat(np.arange(len(ids)), counts)
    kind = kinds[partner]
    drive = momentum[partner]
    n = len(partner)
    # Customer size: share of enterprise-sized tenants depends on the partner's shape.
    ent_share = np.select([kind == "enterprise", kind == "smb", kind == "small"], [0.85, 0.08, 0.2], 0.45)
    is_ent = rng.random(n) < ent_share
    seats = np.where(is_ent, np.exp(rng.uniform(np.log(320), np.log(4000), n)),
                     np.exp(rng.uniform(np.log(6), np.log(290), n)))
    movers = (kind == "band_movers") | (rng.random(n) < 0.08)
    seats = np.where(movers, rng.uniform(200, 420, n), seats)
    growth = rng.normal(0.12, 0.25, n)  # yearly growth of paid units
    # Activity share: from a start level towards an end level over the data window.
    act0 = rng.uniform(0.05, 0.55, n)
    act1 = np.clip(act0 + rng.normal(0.05 + 0.35 * drive, 0.15, n), 0.02, 0.98)
    # Start and end of the relationship (months relative to the first month).
    recent = rng.random(n) < 0.1 + 0.5 * drive
    start = np.where(recent, rng.integers(n_months - 12, n_months, n),
                     np.where(rng.random(n) < 0.75, 0, rng.integers(0, n_months - 12, n)))
    start = np.where((kind == "newly_associated") & (rng.random(n) < 0.6),
                     rng.integers(n_months - 12, n_months, n), start)
    churn_p = np.where(kind == "churning", 0.45, 0.1)
    end = np.where(rng.random(n) < churn_p, rng.integers(1, n_months, n), n_months)
    end = np.maximum(end, start + 1)
    # New customers start with low adoption and ramp up from their first month.
    act0 = np.where(start > 0, rng.uniform(0.02, 0.3, n), act0)
    # Association: CPOR / DPOR mostly for enterprise tenants, CSP mostly for SMB tenants.
    assoc_ent = np.array(["CPOR", "DPOR", "PAL", "CSP_T1"])
    assoc_smb = np.array(["CSP_T1", "CSP_T2", "CPOR", "DPOR", "PAL"])
    association = np.where(
        is_ent, assoc_ent[rng.choice(4, n, p=[0.5, 0.38, 0.06, 0.06])],
        assoc_smb[rng.choice(5, n, p=[0.35, 0.2, 0.33, 0.06, 0.06])])
    known_start = (start > 0) | (rng.random(n) < 0.3)
    assoc_day = rng.integers(1, 29, n)
    tenants = pl.DataFrame({
        "t": np.arange(n), "partner_id": ids[partner],
        "tenant_id": [f"{ids[p]}-T{i:03d}" for p, i in zip(partner, _within(partner), strict=True)],
        "seats": seats, "growth": growth, "act0": act0, "act1": act1,
        "start": start, "end": end, "association": association,
        "assoc_known": known_start, "assoc_day": assoc_day,
    })
    # A second association on some tenants (for example CPOR on top of CSP).
    second = rng.random(n) < 0.1
    extra = tenants.filter(pl.Series(second)).with_columns(
        pl.when(pl.col("association") == "CPOR").then(pl.lit("DPOR")).otherwise(pl.lit("CPOR"))
        .alias("association"))
    tenants = pl.concat([tenants, extra])
    # Workloads per tenant.
    names = np.array([w for w, _ in _WORKLOADS])
    weights = np.array([w for _, w in _WORKLOADS], dtype=float)
    k = np.clip(rng.poisson(workloads_per_tenant - 1, n) + 1, 1, len(names))
    picks = [rng.choice(len(names), size=kk, replace=False, p=weights / weights.sum()) for kk in k]
    chosen = np.concatenate(picks)
    tw = pl.DataFrame({"t": np.repeat(np.arange(n), k), "workload": names[chosen],
                       "wscale": rng.uniform(0.5, 1.0, int(k.sum()))})
    months = pl.DataFrame({"m": np.arange(n_months, dtype=np.int32)})
    rows = tenants.join(tw, on="t").join(months, how="cross").filter(
        (pl.col("m") >= pl.col("start")) & (pl.col("m") < pl.col("end")))
    noise = rng.normal(1.0, 0.04, rows.height)
    frac = (pl.col("m") - pl.col("start")) / (n_months - 1 - pl.col("start")).clip(lower_bound=1)
    paid = (pl.col("seats") * pl.col("wscale").sqrt()
            * (1 + pl.col("growth")).clip(lower_bound=0.2).pow(pl.col("m") / 12) * pl.Series(noise))
    main = pl.col("wscale") > 0.75  # the tenant's main workloads carry its full seat count
    paid = pl.when(main).then(pl.col("seats") * (1 + pl.col("growth")).clip(lower_bound=0.2)
                              .pow(pl.col("m") / 12) * pl.Series(noise)).otherwise(paid)
    share = pl.col("act0") + (pl.col("act1") - pl.col("act0")) * frac
    rows = rows.with_columns(paid.round().cast(pl.Int64).clip(lower_bound=1).alias("paid_units"))
    rows = rows.with_columns(
        (pl.col("paid_units") * (share * pl.Series(rng.normal(1.0, 0.05, rows.height))).clip(0, 1))
        .round().cast(pl.Int64).alias("active_units"),
        pl.date(
            (pl.col("start") + first) // 12, (pl.col("start") + first) % 12 + 1, pl.col("assoc_day")
        ).alias("associated_on"),
    )
    # Legacy names in the early months only (as Partner Center renamed workloads over time).
    legacy = {"Microsoft 365 Apps": "ProPlus", "Viva Engage": "Yammer"}
    rows = rows.with_columns(
        pl.when((pl.col("m") < n_months // 3) & pl.col("workload").is_in(list(legacy)))
        .then(pl.col("workload").replace(legacy)).otherwise(pl.col("workload")).alias("workload"),
        pl.when(pl.col("assoc_known")).then(pl.col("associated_on")).alias("associated_on"),
        month_start_expr(pl.col("m") + first).alias("month"),
        pl.when(pl.col("seats") > 300).then(pl.lit("Enterprise")).otherwise(pl.lit("SMB"))
        .alias("customer_segment"),
        pl.lit(None, pl.Float64).alias("revenue_usd"),
        pl.lit("m365").alias("product"),
    )
    rows = rows.unique(subset=["tenant_id", "month", "workload", "association"], keep="first",
                       maintain_order=True)
    return rows.select(_COLUMNS).sort("partner_id", "tenant_id", "month", "workload",
                                                 "association")


_AZURE_SERVICES = (
    ("Virtual Machines", 10), ("Storage", 9), ("Azure SQL Database", 6), ("Azure App Service", 6),
    ("Azure Monitor", 5), ("Key Vault", 5), ("Azure Kubernetes Service", 3), ("Azure Cosmos DB", 3),
    ("Azure OpenAI", 3), ("Azure Databricks", 2), ("Azure Virtual Desktop", 2), ("Microsoft Sentinel", 2),
    ("Azure Firewall", 2), ("Azure Backup", 3), ("Microsoft Defender for Cloud", 2),
)
_AZURE_CERTS = {
    "admin": ("Microsoft Certified: Azure Administrator Associate",),
    "architect": ("Microsoft Certified: Azure Solutions Architect Expert",),
    "intermediate": (
        "Microsoft Certified: Azure Database Administrator Associate", "Microsoft Certified: Data Analyst Associate",
        "Microsoft Certified: Fabric Data Engineer Associate", "Microsoft Certified: Azure AI Engineer Associate",
        "Microsoft Certified: Azure Network Engineer Associate",
        "Microsoft Certified: Windows Server Hybrid Administrator Associate",
        "Microsoft Certified: Azure Virtual Desktop Specialty", "Microsoft Certified: Azure Developer Associate",
        "Microsoft Certified: DevOps Engineer Expert", "GitHub Copilot", "GitHub Actions",
    ),
}


def _azure_usage(rng: np.random.Generator, ids: np.ndarray, kinds: np.ndarray, momentum: np.ndarray,
                 first: int, last: int, tenants_per_partner: float) -> pl.DataFrame:
    """Azure consumed revenue per tenant, service and month."""
    n_months = last - first + 1
    scale = {"small": 0.2, "enterprise": 0.7, "smb": 0.9}
    counts = np.maximum(1, rng.poisson([tenants_per_partner * 0.45 * scale.get(k, 0.6) for k in kinds]))
    partner = np.repeat(np.arange(len(ids)), counts)
    drive = momentum[partner]
    n = len(partner)
    # Partners differ in how SMB-heavy their Azure customers are (so the 80 % rule splits them).
    smb_share = np.clip(rng.beta(2, 2, len(ids)) + np.where(kinds == "smb", 0.45, 0.0), 0, 1)[partner]
    is_smb = rng.random(n) < smb_share
    base = np.exp(np.where(is_smb, rng.uniform(np.log(80), np.log(1500), n),
                           rng.uniform(np.log(400), np.log(9000), n)))
    growth = rng.normal(0.05 + 0.3 * drive, 0.2, n)
    start, end = _lifetimes(rng, n_months, recent_share=0.15 + 0.55 * drive, churn=0.06)
    associations = np.array(["CSP_T1", "CSP_T2", "DPOR", "PAL", "CPOR"])
    association = associations[rng.choice(5, n, p=[0.3, 0.25, 0.2, 0.2, 0.05])]
    tenants = pl.DataFrame({
        "t": np.arange(n), "partner_id": ids[partner],
        "tenant_id": [f"{ids[p]}-A{i:03d}" for p, i in zip(partner, _within(partner), strict=True)],
        "base": base, "growth": growth, "start": start, "end": end, "association": association,
        "customer_segment": np.where(is_smb, "SMB", "Enterprise"),
    })
    names = np.array([w for w, _ in _AZURE_SERVICES])
    weights = np.array([w for _, w in _AZURE_SERVICES], dtype=float)
    k = np.clip(rng.poisson(2.5 + 2 * drive), 1, len(names))
    picks = [rng.choice(len(names), size=kk, replace=False, p=weights / weights.sum()) for kk in k]
    tw = pl.DataFrame({"t": np.repeat(np.arange(n), k), "workload": names[np.concatenate(picks)],
                       "share": rng.dirichlet(np.ones(3), int(k.sum()))[:, 0] + 0.05,
                       "first_month": rng.integers(0, n_months, int(k.sum()))})
    months = pl.DataFrame({"m": np.arange(n_months, dtype=np.int32)})
    rows = tenants.join(tw, on="t").join(months, how="cross").filter(
        (pl.col("m") >= pl.max_horizontal("start", pl.when(pl.col("share") < 0.15).then(pl.col("first_month"))
                                          .otherwise(0))) & (pl.col("m") < pl.col("end")))
    noise = pl.Series(rng.lognormal(0, 0.15, rows.height))
    acr = pl.col("base") * pl.col("share") * (1 + pl.col("growth")).clip(lower_bound=0.2).pow(pl.col("m") / 12) * noise
    rows = rows.with_columns(
        acr.round(2).alias("revenue_usd"),
        month_start_expr(pl.col("m") + first).alias("month"),
        pl.lit(None, pl.Date).alias("associated_on"),
        pl.lit(None, pl.Int64).alias("paid_units"),
        pl.lit(None, pl.Int64).alias("active_units"),
        pl.lit("azure").alias("product"),
    )
    return rows.select(_COLUMNS).sort("partner_id", "tenant_id", "month", "workload", "association")


def _azure_certifications(rng: np.random.Generator, ids: np.ndarray, momentum: np.ndarray, last: int) -> pl.DataFrame:
    """Azure people: prerequisite steps (Administrator, Solutions Architect) and scoring steps."""
    reference = month_start(last + 1)
    rows = []
    for pid, drive in zip(ids, momentum, strict=True):
        for person in range(int(rng.poisson(2 + 9 * drive))):
            person_id = f"{pid.lower()}.azure{person + 1:02d}@example.com"
            held = []
            if rng.random() < 0.75:
                held.append(_AZURE_CERTS["admin"][0])
            if rng.random() < 0.5:
                held.append(_AZURE_CERTS["architect"][0])
            for _ in range(int(rng.integers(1, 4))):
                held.append(_AZURE_CERTS["intermediate"][rng.integers(len(_AZURE_CERTS["intermediate"]))])
            for cert in dict.fromkeys(held):
                earned = reference - dt.timedelta(days=int(rng.integers(15, 600)))
                expires = max(earned + dt.timedelta(days=200),
                              reference + dt.timedelta(days=int(rng.integers(-90, 330))))
                rows.append((pid, person_id, cert, earned, expires))
    return pl.DataFrame(rows, schema=CERTIFICATIONS.column_names, orient="row")


def _lifetimes(rng: np.random.Generator, n_months: int, *, recent_share: np.ndarray,
               churn: float) -> tuple[np.ndarray, np.ndarray]:
    """First and end month (exclusive) of each customer: a share won within the last year, most
    of the others there from the start; some lost on the way."""
    n = len(recent_share)
    recent = rng.random(n) < recent_share
    start = np.where(recent, rng.integers(n_months - 12, n_months, n),
                     np.where(rng.random(n) < 0.8, 0, rng.integers(0, n_months - 12, n)))
    end = np.where(rng.random(n) < churn, rng.integers(1, n_months, n), n_months)
    return start, np.maximum(end, start + 1)


def _within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    return np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))


def _certifications(rng: np.random.Generator, ids: np.ndarray, kinds: np.ndarray,
                    momentum: np.ndarray, last: int) -> pl.DataFrame:
    reference = month_start(last + 1)  # the month in which the sample is meant to be scored
    people_mean = {"enterprise": 7, "smb": 4, "mixed": 5, "near_bar": 3, "no_advanced": 4,
                   "expiring_certs": 5, "newly_associated": 4, "churning": 3, "band_movers": 4,
                   "small": 1.5}
    rows = []
    for pid, kind, drive in zip(ids, kinds, momentum, strict=True):
        n_people = max(1, int(rng.poisson(people_mean[kind] * (0.6 + drive))))
        for person in range(n_people):
            person_id = f"{pid.lower()}.person{person + 1:02d}@example.com"
            held = []
            if rng.random() < 0.8:
                held.append(_INTERMEDIATE[rng.integers(len(_INTERMEDIATE))])
            if kind != "no_advanced" and rng.random() < 0.2 + 0.4 * drive:
                held.append(_ADVANCED[rng.integers(len(_ADVANCED))])
            if rng.random() < 0.3:
                held.append(_OTHER[rng.integers(len(_OTHER))])
            for cert in dict.fromkeys(held):
                earned = reference - dt.timedelta(days=int(rng.integers(5, 700)))
                if "Fundamentals" in cert and "copilot" not in cert.lower():
                    expires = None  # fundamentals do not expire
                elif kind == "expiring_certs" and rng.random() < 0.6:
                    expires = reference + dt.timedelta(days=int(rng.integers(1, 45)))
                else:
                    expires = reference + dt.timedelta(days=int(rng.integers(-120, 365)))
                    if expires <= earned:
                        expires = earned + dt.timedelta(days=365)
                rows.append((pid, person_id, cert, earned, expires))
    return pl.DataFrame(rows, schema=CERTIFICATIONS.column_names, orient="row").sort(
        "partner_id", "person_id", "certification")


def _partners(rng: np.random.Generator, ids: np.ndarray, kinds: np.ndarray, offset: int = 0) -> pl.DataFrame:
    names = [_NAMES[i % len(_NAMES)] + ("" if i < len(_NAMES) else f" {i // len(_NAMES) + 1}")
             for i in range(offset, offset + len(ids))]
    override = [None] * len(ids)
    if offset <= 7 < offset + len(ids):
        override[7 - offset] = "smb"  # one partner that pins its Modern Work track
    return pl.DataFrame({"partner_id": ids, "partner_name": names, "track_modern_work": override},
                        schema={"partner_id": pl.String, "partner_name": pl.String,
                                "track_modern_work": pl.String})


def _enrollments(rng: np.random.Generator, ids: np.ndarray, last: int) -> pl.DataFrame:
    enrolled = rng.random(len(ids)) < 0.3
    rows = []
    for pid, flag in zip(ids, enrolled, strict=True):
        if not flag:
            continue
        day = int(rng.integers(1, 29))
        enrolled_on = month_start(last - int(rng.integers(2, 11)))
        enrolled_on = enrolled_on.replace(day=day)
        rows.append((pid, "modern_work", enrolled_on, enrolled_on.replace(year=enrolled_on.year + 1), None))
    return pl.DataFrame(rows, schema=_ENROLLMENT_TYPES, orient="row")


_ENROLLMENT_TYPES = {"partner_id": pl.String, "area": pl.String, "enrolled_on": pl.Date, "anniversary_on": pl.Date,
                     "track": pl.String}


def _azure_enrollments(rng: np.random.Generator, ids: np.ndarray, last: int) -> pl.DataFrame:
    """Some partners enrolled in Infrastructure, with the track they enrolled on (kept a year)."""
    rows = []
    for pid in ids:
        if rng.random() < 0.2:
            enrolled_on = month_start(last - int(rng.integers(1, 11))).replace(day=int(rng.integers(1, 29)))
            track = "smb" if rng.random() < 0.5 else "enterprise"
            rows.append((pid, "infrastructure", enrolled_on, enrolled_on.replace(year=enrolled_on.year + 1), track))
    return pl.DataFrame(rows, schema=_ENROLLMENT_TYPES, orient="row")


def rng_beta(rng: np.random.Generator, n: int) -> np.ndarray:
    """How active each partner is in an area (most a little, some a lot)."""
    return rng.beta(1.3, 1.8, n)


# (workload, weight, typical monthly active users (Customer Insights: profiles), USD per user)
_DYNAMICS = (
    ("Sales", 8, 60, 95.0), ("Customer Service", 6, 50, 80.0), ("Field Service", 2, 30, 95.0),
    ("Business Central", 5, 25, 70.0), ("Finance", 3, 40, 180.0), ("Project Operations", 1, 20, 120.0),
    ("Power Apps", 7, 150, 20.0), ("Power Automate", 5, 100, 15.0), ("Power BI", 6, 300, 10.0),
    ("Customer Insights", 2, 80_000, 0.02), ("Contact Center", 1, 40, 110.0), ("Copilot Studio", 2, 0, 0.0),
    ("Dynamics 365 Marketing", 1, 30, 60.0),
)
_POWER_PLATFORM = {"Power Apps", "Power Automate", "Power BI", "Customer Insights"}


def _dynamics_usage(rng: np.random.Generator, ids: np.ndarray, drive: np.ndarray, first: int, last: int,
                    tenants_per_partner: float) -> pl.DataFrame:
    """Dynamics 365 and Power Platform: monthly active users and billed revenue per tenant,
    workload and association."""
    n_months = last - first + 1
    counts = rng.poisson(tenants_per_partner * 0.6 * drive)
    partner = np.repeat(np.arange(len(ids)), counts)
    n = len(partner)
    d = drive[partner]
    size = np.exp(rng.normal(0.0, 0.8, n)) * (0.5 + d)
    growth = rng.normal(0.05 + 0.35 * d, 0.2, n)
    start, end = _lifetimes(rng, n_months, recent_share=0.15 + 0.45 * d, churn=0.07)
    tenants = pl.DataFrame({
        "t": np.arange(n), "partner_id": ids[partner],
        "tenant_id": [f"{ids[p]}-D{i:03d}" for p, i in zip(partner, _within(partner), strict=True)],
        "size": size, "growth": growth, "start": start, "end": end,
        "customer_segment": np.where(size > 1.2, "Enterprise", "SMB"),
    })
    names = np.array([w[0] for w in _DYNAMICS])
    weights = np.array([w[1] for w in _DYNAMICS], dtype=float)
    k = np.clip(rng.poisson(1.2 + 2.5 * d), 1, len(names))
    picks = np.concatenate([rng.choice(len(names), size=kk, replace=False, p=weights / weights.sum()) for kk in k])
    m = int(k.sum())
    dynamics_assoc = np.array(["CSP_T1", "CSP_T2", "DPOR", "CPOR_REVREC", "CPOR_OSU"])
    platform_assoc = np.array(["PAL", "CSP_T1", "DPOR"])
    is_platform = np.isin(names[picks], list(_POWER_PLATFORM))
    association = np.where(is_platform, platform_assoc[rng.choice(3, m, p=[0.6, 0.25, 0.15])],
                           dynamics_assoc[rng.choice(5, m, p=[0.3, 0.15, 0.25, 0.2, 0.1])])
    tw = pl.DataFrame({
        "t": np.repeat(np.arange(n), k), "workload": names[picks], "association": association,
        "mau": np.array([_DYNAMICS[i][2] for i in picks], dtype=float) * rng.lognormal(0, 0.6, m),
        "price": np.array([_DYNAMICS[i][3] for i in picks], dtype=float),
    })
    # Revenue recognised through CPOR RevRec often comes with an OSU usage claim as well.
    extra = tw.filter((pl.col("association") == "CPOR_REVREC") & pl.Series(rng.random(m) < 0.5)) \
        .with_columns(pl.lit("CPOR_OSU").alias("association"))
    tw = pl.concat([tw, extra])
    months = pl.DataFrame({"m": np.arange(n_months, dtype=np.int32)})
    rows = tenants.join(tw, on="t").join(months, how="cross").filter(
        (pl.col("m") >= pl.col("start")) & (pl.col("m") < pl.col("end")))
    noise = pl.Series(rng.lognormal(0, 0.08, rows.height))
    ramp = ((pl.col("m") - pl.col("start") + 1) / 4).clip(upper_bound=1.0)
    users = (pl.col("mau") * pl.col("size") * (1 + pl.col("growth")).clip(lower_bound=0.2).pow(pl.col("m") / 12)
             * ramp * noise)
    rows = rows.with_columns(users.round().cast(pl.Int64).alias("active_units")).with_columns(
        pl.when(pl.col("price") > 0).then((pl.col("active_units") * pl.col("price")).round(2))
        .otherwise(pl.lit(400.0) * pl.col("size")).round(2).alias("revenue_usd"),
        month_start_expr(pl.col("m") + first).alias("month"),
        pl.lit(None, pl.Date).alias("associated_on"),
        pl.lit(None, pl.Int64).alias("paid_units"),
        pl.lit("dynamics").alias("product"),
    )
    return rows.select(_COLUMNS).sort("partner_id", "tenant_id", "month", "workload", "association")


_SECURITY_M365 = ("Microsoft Defender for Office 365", "Microsoft Defender for Endpoint P2",
                  "Microsoft Defender for Identity", "Microsoft Purview Information Protection")


def _security_m365_usage(rng: np.random.Generator, usage: pl.DataFrame) -> pl.DataFrame:
    """Security workloads on some Microsoft 365 tenants: paid licences a share of the tenant's
    largest workload, with their own activity."""
    m365 = usage.filter(pl.col("product") == "m365")
    per_month = m365.group_by("partner_id", "tenant_id", "month", "association").agg(
        pl.col("paid_units").max(), pl.col("associated_on").first(), pl.col("customer_segment").first())
    tenants = per_month.select("tenant_id").unique().sort("tenant_id")
    n = tenants.height
    chosen = tenants.with_columns(
        pl.Series("take", rng.random(n) < 0.45),
        pl.Series("k", rng.integers(1, 4, n)),
        pl.Series("frac", rng.uniform(0.2, 1.0, n)),
        pl.Series("act0", rng.uniform(0.03, 0.3, n)),
        pl.Series("act1", rng.uniform(0.05, 0.7, n)),
        pl.Series("first_pick", rng.integers(0, len(_SECURITY_M365), n)),
    ).filter(pl.col("take"))
    names = pl.Series(_SECURITY_M365)
    chosen = chosen.with_columns(pl.int_ranges(0, pl.col("k")).alias("j")).explode("j").with_columns(
        ((pl.col("first_pick") + pl.col("j")) % len(_SECURITY_M365)).alias("w"))
    chosen = chosen.with_columns(pl.col("w").map_elements(lambda i: names[i], return_dtype=pl.String)
                                 .alias("workload"))
    rows = per_month.join(chosen.select("tenant_id", "workload", "frac", "act0", "act1"), on="tenant_id")
    rows = rows.sort("tenant_id", "workload", "association", "month")
    position = pl.col("month").rank("dense").over("tenant_id", "workload", "association") - 1
    span = pl.col("month").n_unique().over("tenant_id", "workload", "association").clip(lower_bound=2) - 1
    share = pl.col("act0") + (pl.col("act1") - pl.col("act0")) * position / span
    noise = pl.Series(rng.normal(1.0, 0.05, rows.height))
    rows = rows.with_columns((pl.col("paid_units") * pl.col("frac")).round().cast(pl.Int64).clip(lower_bound=1)
                             .alias("paid_units")).with_columns(
        (pl.col("paid_units") * (share * noise).clip(0, 1)).round().cast(pl.Int64).alias("active_units"),
        pl.lit(None, pl.Float64).alias("revenue_usd"),
        pl.lit("m365").alias("product"),
    )
    return rows.select(_COLUMNS).sort("partner_id", "tenant_id", "month", "workload", "association")


_DYNAMICS_CERTS = {
    "intermediate": (
        "Microsoft Certified: Dynamics 365 Finance Functional Consultant Associate",
        "Microsoft Certified: Dynamics 365 Customer Service Functional Consultant Associate",
        "Microsoft Certified: Dynamics 365 Business Central Functional Consultant Associate",
        "Microsoft Certified: Power BI Data Analyst Associate",
        "Microsoft Certified: Power Platform Developer Associate",
        "Microsoft Certified: Power Platform Functional Consultant Associate",
        "Microsoft Certified: Dynamics 365 Field Service Functional Consultant Associate",
        "Microsoft Certified: Dynamics 365 Sales AI Consultant Associate",
    ),
    "advanced": (
        "Microsoft Certified: Power Platform Solution Architect Expert",
        "Microsoft Certified: Dynamics 365 Business Central Developer Associate",
        "Microsoft Certified: Agentic AI Business Solutions Architect",
    ),
}
_SECURITY_CERTS = {
    "step_1": ("Microsoft Certified: Azure Security Engineer Associate",
               "Microsoft Certified: Cloud and AI Security Engineer Associate"),
    "step_2": ("Microsoft Certified: Security Operations Analyst Associate",),
    "step_3": ("Microsoft Certified: Cybersecurity Architect Expert",
               "Microsoft Certified: Identity and Access Administrator Associate",
               "Microsoft Certified: Information Security Administrator Associate"),
}


def _people(rng: np.random.Generator, pid: str, label: str, n_people: int, draws: list[tuple[float, tuple]],
            reference: dt.date) -> list[tuple]:
    """Certification rows of `n_people` people; each (probability, names) draw adds one name."""
    rows = []
    for person in range(n_people):
        person_id = f"{pid.lower()}.{label}{person + 1:02d}@example.com"
        held = [names[rng.integers(len(names))] for p, names in draws if rng.random() < p]
        for cert in dict.fromkeys(held):
            earned = reference - dt.timedelta(days=int(rng.integers(15, 600)))
            expires = max(earned + dt.timedelta(days=200), reference + dt.timedelta(days=int(rng.integers(-90, 330))))
            rows.append((pid, person_id, cert, earned, expires))
    return rows


def _dynamics_certifications(rng: np.random.Generator, ids: np.ndarray, drive: np.ndarray,
                             last: int) -> pl.DataFrame:
    reference = month_start(last + 1)
    rows = []
    for pid, d in zip(ids, drive, strict=True):
        draws = [(0.9, _DYNAMICS_CERTS["intermediate"]), (0.3, _DYNAMICS_CERTS["intermediate"]),
                 (0.15 + 0.3 * d, _DYNAMICS_CERTS["advanced"])]
        rows += _people(rng, pid, "bizapps", int(rng.poisson(1 + 14 * d)), draws, reference)
    return pl.DataFrame(rows, schema=CERTIFICATIONS.column_names, orient="row")


def _security_certifications(rng: np.random.Generator, ids: np.ndarray, momentum: np.ndarray,
                             last: int) -> pl.DataFrame:
    reference = month_start(last + 1)
    rows = []
    for pid, d in zip(ids, momentum, strict=True):
        draws = [(0.55, _SECURITY_CERTS["step_1"]), (0.45, _SECURITY_CERTS["step_2"]),
                 (0.8, _SECURITY_CERTS["step_3"]), (0.2, _SECURITY_CERTS["step_3"])]
        rows += _people(rng, pid, "security", int(rng.poisson(0.5 + 5 * d)), draws, reference)
    return pl.DataFrame(rows, schema=CERTIFICATIONS.column_names, orient="row")


#: Partners generated at once when a dataset is written block by block.
DATASET_BLOCK = 5_000


def write_sample_dataset(folder: str | Path, *, partners: int, seed: int = DEFAULT_SEED,
                         block: int = DATASET_BLOCK, **sizes) -> tuple[int, int]:
    """Write a generated portfolio as a Parquet data folder: `usage/part-NNNNN.parquet` (one file
    per block of `block` partners, each sorted by partner), `certifications.parquet`,
    `partners.parquet` and `enrollments.parquet`.

    Memory stays that of one block whatever the portfolio's size. The first block is
    `generate_sample(partners=min(partners, block), seed=seed)`; block `b` uses the seed
    `seed + b * 1_000_003`. Every file is written in a staging folder inside `folder` and
    committed at the end, all at once (`output.staged`); the four tables are the only files
    replaced (`usage/` only when it holds nothing but part files). Returns the usage and
    certification row counts.
    """
    from pcs_analysis.output import staged

    folder = Path(folder)
    _check_dataset_target(folder)
    others: dict[str, list[pl.DataFrame]] = {"certifications": [], "partners": [], "enrollments": []}
    counts = [0, 0]
    digits = max(3, len(str(partners)))
    with staged(folder, what="pcs sample-data") as stage:
        stage.file("usage").mkdir()
        for number, start in enumerate(range(0, partners, block)):
            tables = generate_sample(partners=min(block, partners - start), seed=seed + number * 1_000_003,
                                     first_partner=start + 1, id_digits=digits, **sizes)
            without_empty_optional(tables.usage, "usage").sort("partner_id", "tenant_id", "month").write_parquet(
                stage.file("usage") / f"part-{number:05d}.parquet", row_group_size=100_000)
            counts[0] += tables.usage.height
            counts[1] += tables.certifications.height
            for name, frames in others.items():
                frames.append(getattr(tables, name))
        for name, frames in others.items():
            pl.concat(frames).write_parquet(stage.file(f"{name}.parquet"))
        stage.commit([f"{name}.parquet" for name in others] + ["usage"])
    return counts[0], counts[1]


def _check_dataset_target(folder: Path) -> None:
    from pcs_analysis.output import check_output_folder

    check_output_folder(folder)
    for name in ("usage", "certifications", "partners", "enrollments"):
        if (folder / f"{name}.csv").exists():
            raise PcsError(f"{folder / f'{name}.csv'}: the folder already holds this table as CSV; writing "
                           "it as Parquet beside it would make the folder ambiguous: remove it or choose "
                           "another folder")
    if (folder / "usage.parquet").exists():
        raise PcsError(f"{folder / 'usage.parquet'}: the folder already holds the usage table in one file; "
                       "remove it or choose another folder")
    usage = folder / "usage"
    if usage.exists() and (not usage.is_dir() or usage.is_symlink()
                           or any(not re.fullmatch(r"part-\d{5}\.parquet", p.name) for p in usage.iterdir())):
        raise PcsError(f"{usage}: exists and holds files other than generated part files; it would be "
                       "replaced: remove it or choose another folder")
