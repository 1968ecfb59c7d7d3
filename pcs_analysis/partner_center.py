"""Import Partner Center Insights downloads into the canonical tables.

Reads `OfficeUsage*.csv` (Microsoft 365 usage per tenant, workload and month) and
`TrainingCompletions*.csv` (certifications of the partner's people). Several files of a kind
(monthly downloads) are read together. Rules:

- rows with `IsDuplicateRowForPGA = 1` are dropped (one PGA with several MPN ids repeats facts);
- attribution types map to association types through the rulebook's `[aliases.associations]`;
  an unknown attribution type is an error;
- workloads that no area of the rulebook counts are skipped, counted and reported, never dropped
  silently;
- a person is identified by MCPID where present, else by e-mail; an e-mail seen on a row with an
  MCPID resolves to that MCPID, so one person counts once;
- an unknown or missing column is an error naming the file and the column.

Files of other kinds (CustomersAndTenants, AzureUsage, DynamicsUsage) are listed in the report as
not used: the areas that read them are not in the rulebook yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .errors import DataValidationError, PcsError, Problem
from .io import CanonicalTables, validate_frame
from .names import canonical_key_expr, name_key_expr
from .rules import Rulebook, load_rules
from .schemas import CERTIFICATIONS, ENROLLMENTS, PARTNERS, USAGE

OFFICE_USAGE = (
    "PGAMpnId", "CustomerTenantId", "CustomerTpid", "WorkloadName", "Month", "PaidAvailableUnits",
    "MonthlyActiveUsers", "CustomerName", "CustomerMarket", "CustomerSegment", "MPNId", "PartnerName",
    "PartnerLocation", "PartnerAttributionType", "IsDuplicateRowForPGA",
)
TRAINING_COMPLETIONS = (
    "PGAMpnId", "TrainingActivityId", "TrainingTitle", "TrainingType", "IndividualFirstName",
    "IndividualLastName", "Email", "CorpEmail", "TrainingCompletionDate", "ExpirationDate",
    "ActivationStatus", "Month", "IcMCP", "MCPID", "MPNId", "PartnerName", "PartnerCityLocation",
    "PartnerCountryLocation",
)
_OTHER_KINDS = ("CustomersAndTenants", "AzureUsage", "DynamicsUsage")


@dataclass(frozen=True)
class ImportReport:
    """What an import read, dropped and skipped."""

    files: tuple[str, ...]
    usage_rows_read: int
    duplicate_rows_dropped: int
    skipped_workloads: pl.DataFrame  # workload, rows
    certification_rows_read: int
    repeated_certification_rows: int
    people_merged_by_email: int
    files_not_used: tuple[str, ...]

    def describe(self) -> str:
        lines = [f"read {len(self.files)} file(s)",
                 f"usage: {self.usage_rows_read} rows, {self.duplicate_rows_dropped} dropped as "
                 "IsDuplicateRowForPGA = 1"]
        for row in self.skipped_workloads.iter_rows(named=True):
            lines.append(f"  skipped workload '{row['workload']}' ({row['rows']} rows): no area counts it")
        lines.append(f"certifications: {self.certification_rows_read} rows, "
                     f"{self.repeated_certification_rows} repeated rows merged, "
                     f"{self.people_merged_by_email} e-mail-only rows resolved to an MCPID")
        for name in self.files_not_used:
            lines.append(f"  not used: {name} (no area of this rulebook reads it yet)")
        return "\n".join(lines)


def import_partner_center(src_dir: str | Path, *,
                          rules: Rulebook | None = None) -> tuple[CanonicalTables, ImportReport]:
    """Convert a folder of Partner Center downloads into validated canonical tables.

    Raises
    ------
    DataValidationError
        Every problem at once, naming the download file, the column and the lines.
    """
    src = Path(src_dir)
    if not src.is_dir():
        raise PcsError(f"{src}: folder not found")
    rules = rules or load_rules()
    office = _files(src, "OfficeUsage")
    training = _files(src, "TrainingCompletions")
    if not office and not training:
        raise PcsError(f"{src}: no OfficeUsage*.csv or TrainingCompletions*.csv files found")
    problems: list[Problem] = []
    usage_parts, skipped_parts, names_parts = [], [], []
    read = dropped = 0
    for path in office:
        raw = _read(path, OFFICE_USAGE, problems)
        if raw is None:
            continue
        read += raw.height
        usage, skipped, names, n_dropped = _office_usage(raw, path, rules, problems)
        dropped += n_dropped
        usage_parts.append(usage)
        skipped_parts.append(skipped)
        names_parts.append(names)
    cert_parts = []
    cert_read = 0
    for path in training:
        raw = _read(path, TRAINING_COMPLETIONS, problems)
        if raw is None:
            continue
        cert_read += raw.height
        cert_parts.append(_training(raw, path, problems))
    if problems:
        raise DataValidationError(problems)
    usage = pl.concat(usage_parts) if usage_parts else pl.DataFrame(schema={c: pl.String for c in USAGE.column_names})
    problems += _duplicate_keys(usage)
    certs, repeated, merged = _people(pl.concat(cert_parts) if cert_parts else None)
    if problems:
        raise DataValidationError(problems)
    no_partners = pl.DataFrame(schema={c: pl.String for c in PARTNERS.column_names})
    partners = (pl.concat(names_parts).group_by("partner_id").agg(pl.col("partner_name").drop_nulls().first())
                .sort("partner_id") if names_parts else no_partners)
    skipped = (pl.concat(skipped_parts).group_by("workload").agg(pl.col("rows").sum()).sort("workload")
               if skipped_parts else pl.DataFrame(schema={"workload": pl.String, "rows": pl.UInt32}))
    tables = CanonicalTables(
        usage=validate_frame(usage.drop("__source", "__line").sort(USAGE.key), USAGE, file="imported usage",
                             rules=rules),
        certifications=validate_frame(certs.sort(CERTIFICATIONS.key), CERTIFICATIONS,
                                      file="imported certifications", rules=rules),
        partners=validate_frame(partners, PARTNERS, file="imported partners", rules=rules),
        enrollments=validate_frame(pl.DataFrame(schema={c: pl.String for c in ENROLLMENTS.column_names}),
                                   ENROLLMENTS, file="imported enrollments", rules=rules),
    )
    others = tuple(sorted(p.name for kind in _OTHER_KINDS for p in _files(src, kind)))
    report = ImportReport(
        files=tuple(p.name for p in office + training), usage_rows_read=read, duplicate_rows_dropped=dropped,
        skipped_workloads=skipped, certification_rows_read=cert_read, repeated_certification_rows=repeated,
        people_merged_by_email=merged, files_not_used=others,
    )
    return tables, report


def _files(src: Path, kind: str) -> list[Path]:
    return sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and p.name.lower().startswith(kind.lower()))


def _read(path: Path, columns: tuple[str, ...], problems: list[Problem]) -> pl.DataFrame | None:
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # polars raises several error types for unreadable files
        problems.append(Problem(str(path), None, (), f"cannot be read: {exc}"))
        return None
    found = len(problems)
    for name in raw.columns:
        if name not in columns:
            problems.append(Problem(str(path), name, (), f"unknown column (expected the documented columns: "
                                    f"{', '.join(columns)})"))
    for name in columns:
        if name not in raw.columns:
            problems.append(Problem(str(path), name, (), "required column is missing"))
    if len(problems) > found:
        return None
    return raw.with_row_index("__line", offset=2).with_columns(pl.lit(str(path)).alias("__source"))


def _date(expr: pl.Expr) -> pl.Expr:
    """Dates as Partner Center writes them: ISO (optionally with a time) or M/D/YYYY."""
    text = expr.str.strip_chars()
    iso = text.str.replace(r"[T ].*$", "").str.to_date("%Y-%m-%d", strict=False)
    us = text.str.replace(r" .*$", "").str.to_date("%m/%d/%Y", strict=False)
    return pl.coalesce(iso, us)


def _flag(problems: list[Problem], frame: pl.DataFrame, bad: pl.Expr, path: Path, column: str,
          message: str) -> None:
    hits = frame.filter(bad)
    if hits.height:
        found = [v for v in hits[column].unique(maintain_order=True).head(3).to_list() if v is not None]
        suffix = " (found: " + ", ".join(repr(v) for v in found) + ")" if found else ""
        problems.append(Problem(str(path), column, tuple(hits["__line"].to_list()), message + suffix, "line"))


def _office_usage(raw: pl.DataFrame, path: Path, rules: Rulebook,
                  problems: list[Problem]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    duplicate = pl.col("IsDuplicateRowForPGA").str.strip_chars().str.to_lowercase()
    _flag(problems, raw, ~duplicate.is_in(["0", "1", "true", "false"]) | duplicate.is_null(), path,
          "IsDuplicateRowForPGA", "expected 0 or 1")
    kept = raw.filter(~duplicate.is_in(["1", "true"]))
    n_dropped = raw.height - kept.height
    parsed = kept.with_columns(
        _date(pl.col("Month")).dt.month_start().alias("month"),
        pl.col("PaidAvailableUnits").str.strip_chars().cast(pl.Float64, strict=False).alias("paid"),
        pl.col("MonthlyActiveUsers").str.strip_chars().cast(pl.Float64, strict=False).alias("active"),
        name_key_expr(pl.col("PartnerAttributionType")).replace_strict(
            dict(rules.association_aliases), default=None, return_dtype=pl.String).alias("association"),
        canonical_key_expr(pl.col("WorkloadName"), aliases=rules.workload_aliases).alias("workload_key"),
    )
    _flag(problems, parsed, pl.col("month").is_null(), path, "Month", "expected a date (YYYY-MM-DD or M/D/YYYY)")
    for column, value in (("PaidAvailableUnits", "paid"), ("MonthlyActiveUsers", "active")):
        number = pl.col(value)
        given = pl.col(column).str.strip_chars().fill_null("") != ""
        _flag(problems, parsed, given & (number.is_null() | (number < 0) | (number != number.floor())), path,
              column, "expected a whole number of 0 or more")
    known = sorted(set(rules.association_aliases.values()))
    _flag(problems, parsed, pl.col("association").is_null(), path, "PartnerAttributionType",
          f"unknown attribution type (known: {', '.join(known)}; add an alias to the rulebook for others)")
    for column in ("PGAMpnId", "CustomerTenantId", "WorkloadName"):
        _flag(problems, parsed, pl.col(column).str.strip_chars().fill_null("") == "", path, column,
              "empty value (a value is required)")
    counted = sorted({w for area in rules.areas.values() for m in area.metrics for w in m.workloads})
    is_counted = pl.col("workload_key").is_in(counted)
    skipped = (parsed.filter(~is_counted).group_by(pl.col("WorkloadName").str.strip_chars().alias("workload"))
               .agg(pl.len().alias("rows")))
    usage = parsed.filter(is_counted).select(
        pl.col("PGAMpnId").str.strip_chars().alias("partner_id"),
        pl.col("CustomerTenantId").str.strip_chars().alias("tenant_id"),
        pl.col("month").dt.strftime("%Y-%m-%d"),
        pl.col("WorkloadName").str.strip_chars().alias("workload"),
        "association",
        pl.lit(None, pl.String).alias("associated_on"),
        pl.col("paid").cast(pl.Int64).cast(pl.String).alias("paid_units"),
        pl.col("active").cast(pl.Int64).cast(pl.String).alias("active_units"),
        pl.lit(None, pl.String).alias("revenue_usd"),
        pl.col("CustomerSegment").str.strip_chars().alias("customer_segment"),
        pl.lit("m365").alias("product"),
        "__source", "__line",
    )
    names = parsed.select(pl.col("PGAMpnId").str.strip_chars().alias("partner_id"),
                          pl.col("PartnerName").str.strip_chars().alias("partner_name")).unique()
    return usage, skipped, names, n_dropped


def _duplicate_keys(usage: pl.DataFrame) -> list[Problem]:
    """Two kept rows for the same fact: report them in their source files."""
    key = ["partner_id", "tenant_id", "month", "workload_norm", "association"]
    rows = usage.with_columns(pl.col("workload").str.to_lowercase().alias("workload_norm"))
    dupes = rows.filter(pl.struct(key).is_duplicated())
    problems = []
    for source, part in dupes.group_by("__source", maintain_order=True):
        problems.append(Problem(source[0], "CustomerTenantId, WorkloadName, Month, PartnerAttributionType",
                                tuple(sorted(part["__line"].to_list())),
                                "the same tenant, workload, month and attribution type appears more than once "
                                "with IsDuplicateRowForPGA = 0", "line"))
    return problems


def _training(raw: pl.DataFrame, path: Path, problems: list[Problem]) -> pl.DataFrame:
    parsed = raw.with_columns(
        _date(pl.col("TrainingCompletionDate")).alias("earned"),
        _date(pl.col("ExpirationDate")).alias("expires"),
        pl.col("MCPID").str.strip_chars().alias("mcpid"),
        pl.coalesce(pl.col("Email").str.strip_chars(), pl.col("CorpEmail").str.strip_chars())
        .str.to_lowercase().alias("email"),
    ).with_columns(
        pl.when(pl.col("mcpid").is_in(["", "0"])).then(None).otherwise(pl.col("mcpid")).alias("mcpid"),
        pl.when(pl.col("email") == "").then(None).otherwise(pl.col("email")).alias("email"),
    )
    _flag(problems, parsed, pl.col("earned").is_null(), path, "TrainingCompletionDate",
          "expected a date (YYYY-MM-DD or M/D/YYYY)")
    given = pl.col("ExpirationDate").str.strip_chars().fill_null("") != ""
    _flag(problems, parsed, given & pl.col("expires").is_null(), path, "ExpirationDate",
          "expected a date (YYYY-MM-DD or M/D/YYYY) or an empty value")
    _flag(problems, parsed, pl.col("mcpid").is_null() & pl.col("email").is_null(), path, "MCPID",
          "no MCPID and no e-mail: the person cannot be identified")
    _flag(problems, parsed, pl.col("TrainingTitle").str.strip_chars().fill_null("") == "", path,
          "TrainingTitle", "empty value (a value is required)")
    return parsed.select(
        pl.col("PGAMpnId").str.strip_chars().alias("partner_id"), "mcpid", "email",
        pl.col("TrainingTitle").str.strip_chars().alias("certification"), "earned", "expires",
    )


def _people(certs: pl.DataFrame | None) -> tuple[pl.DataFrame, int, int]:
    """One person id per person (MCPID, else e-mail resolved to an MCPID), repeated rows merged."""
    if certs is None:
        return pl.DataFrame(schema={c: pl.String for c in CERTIFICATIONS.column_names}), 0, 0
    known = (certs.filter(pl.col("mcpid").is_not_null() & pl.col("email").is_not_null())
             .group_by("partner_id", "email").agg(pl.col("mcpid").min().alias("resolved")))
    resolved = certs.join(known, on=["partner_id", "email"], how="left", nulls_equal=False)
    merged = resolved.filter(pl.col("mcpid").is_null() & pl.col("resolved").is_not_null()).height
    people = resolved.select(
        "partner_id",
        pl.coalesce("mcpid", "resolved", "email").alias("person_id"),
        "certification",
        pl.col("earned").dt.strftime("%Y-%m-%d").alias("earned_on"),
        pl.col("expires").dt.strftime("%Y-%m-%d").alias("expires_on"),
    )
    key = list(CERTIFICATIONS.key)
    # The same certification of the same person on the same day: keep the latest expiry.
    unique = people.sort("expires_on", nulls_last=False).group_by(key, maintain_order=True).last()
    return unique, people.height - unique.height, merged
