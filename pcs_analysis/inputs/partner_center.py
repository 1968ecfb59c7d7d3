"""Import Partner Center Insights downloads into the canonical tables.

Reads, from one folder (several files of a kind, e.g. monthly downloads, are read together):

- `OfficeUsage*.csv`: Microsoft 365 paid and active units per tenant, workload and month;
- `AzureUsage*.csv`: Azure consumed revenue (ACR) per tenant, service (level 2) and month;
- `DynamicsUsage*.csv`: Dynamics 365 and Power Platform monthly active users (or capacity) and
  billed revenue per tenant, workload and month;
- `CustomersAndTenants*.csv`: customer segments (filled into the usage rows of the same tenant
  and month) and, when no AzureUsage file is present, tenant-level ACR (without services);
- `TrainingCompletions*.csv`: certifications of the partner's people.

Rules:

- rows with `IsDuplicateRowForPGA = 1` are dropped (one PGA with several MPN ids repeats facts);
- attribution types map to association types through the rulebook's `[aliases.associations]`;
  an unknown attribution type is an error;
- workloads that no area of the rulebook counts are skipped, counted and reported, never dropped
  silently;
- Azure and Dynamics rows of the same tenant, workload, month and attribution type (several
  subscriptions or SKUs) are summed; in OfficeUsage such a repeat is an error;
- a person is identified by MCPID where present, else by e-mail; an e-mail seen on a row with an
  MCPID resolves to that MCPID, so one person counts once;
- an unknown or missing column is an error naming the file and the column. The AzureUsage and
  DynamicsUsage column lists are not published; the columns read are listed below, and the
  other CustomersAndTenants columns may appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from pcs_analysis.errors import DataValidationError, PcsError, Problem
from pcs_analysis.inputs.csvfiles import read_csv_text, shorten
from pcs_analysis.inputs.read import CanonicalTables, read_table, table_path, validate_frame
from pcs_analysis.inputs.schemas import CERTIFICATIONS, ENROLLMENTS, PARTNERS, USAGE
from pcs_analysis.inputs.unread import is_read_expr, unknown_certification_rows
from pcs_analysis.names import name_key_expr
from pcs_analysis.rules import Rulebook, load_rules

OFFICE_USAGE = (
    "PGAMpnId", "CustomerTenantId", "CustomerTpid", "WorkloadName", "Month", "PaidAvailableUnits",
    "MonthlyActiveUsers", "CustomerName", "CustomerMarket", "CustomerSegment", "MPNId", "PartnerName",
    "PartnerLocation", "PartnerAttributionType", "IsDuplicateRowForPGA",
)
CUSTOMERS_AND_TENANTS = (
    "PGAMpnId", "MpnId", "PartnerName", "CustomerName", "CustomerTpid", "DUNSNumber", "CustomerSegment",
    "TopSegment", "CustomerMarket", "CustomerStatus", "CustomerTenantId", "CustomerTenantName",
    "CustomerTenantCountry", "TenantDomainName", "Product", "RawProductName", "ProductPartNumber", "SKU", "Month",
    "PartnerLocation", "PartnerAttributionType", "SalesChannel", "IsDuplicateRowForPGA", "AvailableSeats",
    "BilledRevenueUSD", "AzureConsumedRevenueUSD",
)
TRAINING_COMPLETIONS = (
    "PGAMpnId", "TrainingActivityId", "TrainingTitle", "TrainingType", "IndividualFirstName",
    "IndividualLastName", "Email", "CorpEmail", "TrainingCompletionDate", "ExpirationDate",
    "ActivationStatus", "Month", "IcMCP", "MCPID", "MPNId", "PartnerName", "PartnerCityLocation",
    "PartnerCountryLocation",
)
#: CustomersAndTenants' Product value of Azure rows.
AZURE_PRODUCT = "Microsoft Azure"
#: The workload name of tenant-level ACR from CustomersAndTenants (it names no service).
AZURE_WITHOUT_SERVICE = "Azure consumption (all services)"


@dataclass(frozen=True)
class UsageDownload:
    """How one kind of usage download maps onto the usage table."""

    kind: str
    product: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    #: The workload column, or None with `fixed_workload` naming every row's workload.
    workload: str | None
    fixed_workload: str | None = None
    paid: str | None = None
    active: tuple[str, ...] = ()
    revenue: str | None = None
    #: Repeated facts (several subscriptions or SKUs) are summed; otherwise they are an error.
    sums_repeats: bool = False


_COMMON = ("PGAMpnId", "CustomerTenantId", "Month", "PartnerAttributionType", "IsDuplicateRowForPGA")
OFFICE = UsageDownload("OfficeUsage", "m365", OFFICE_USAGE, (), "WorkloadName", paid="PaidAvailableUnits",
                       active=("MonthlyActiveUsers",))
AZURE = UsageDownload(
    "AzureUsage", "azure", (*_COMMON, "ServiceLevel2Name", "AzureConsumedRevenueUSD"),
    tuple(c for c in CUSTOMERS_AND_TENANTS if c not in _COMMON)
    + ("ServiceLevel1Name", "ServiceLevel3Name", "ServiceLevel4Name", "SubscriptionId"),
    "ServiceLevel2Name", revenue="AzureConsumedRevenueUSD", sums_repeats=True)
DYNAMICS = UsageDownload(
    "DynamicsUsage", "dynamics", (*_COMMON, "WorkloadName", "MonthlyActiveUsers", "BilledRevenueUSD"),
    tuple(c for c in CUSTOMERS_AND_TENANTS if c not in _COMMON) + ("Capacity",),
    "WorkloadName", active=("MonthlyActiveUsers", "Capacity"), revenue="BilledRevenueUSD", sums_repeats=True)
#: Tenant-level ACR from CustomersAndTenants, used when there is no AzureUsage download.
AZURE_FROM_CUSTOMERS = UsageDownload("CustomersAndTenants", "azure", CUSTOMERS_AND_TENANTS, (), None,
                                     fixed_workload=AZURE_WITHOUT_SERVICE, revenue="AzureConsumedRevenueUSD",
                                     sums_repeats=True)


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
    files_not_used: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: certification, rows: titles no certification list of the rulebook knows (kept in the
    #: data, counted for nothing).
    unknown_certifications: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"certification": pl.String, "rows": pl.UInt32}))

    def describe(self) -> str:
        lines = [f"read {len(self.files)} file(s)",
                 f"usage: {self.usage_rows_read} rows, {self.duplicate_rows_dropped} dropped as "
                 "IsDuplicateRowForPGA = 1"]
        for row in self.skipped_workloads.iter_rows(named=True):
            lines.append(f"  skipped workload '{row['workload']}' ({row['rows']} rows): no area counts it")
        lines.append(f"certifications: {self.certification_rows_read} rows, "
                     f"{self.repeated_certification_rows} repeated rows merged, "
                     f"{self.people_merged_by_email} e-mail-only rows resolved to an MCPID")
        for row in self.unknown_certifications.iter_rows(named=True):
            lines.append(f"  unknown certification '{row['certification']}' ({row['rows']} rows): no list of "
                         "the rulebook has it, so it counts for nothing")
        for name in self.files_not_used:
            lines.append(f"  not used: {name}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class _Downloads:
    """What the downloads of a folder give, file by file: usage, names, segments and training
    rows, the counts read and dropped, and every problem found."""

    rules: Rulebook
    problems: list[Problem] = field(default_factory=list)
    usage_parts: list[pl.DataFrame] = field(default_factory=list)
    skipped_parts: list[pl.DataFrame] = field(default_factory=list)
    names: list[pl.DataFrame] = field(default_factory=list)
    segments: list[pl.DataFrame] = field(default_factory=list)
    cert_parts: list[pl.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read: int = 0
    dropped: int = 0
    cert_read: int = 0

    def _kept(self, path: Path, raw: pl.DataFrame) -> pl.DataFrame:
        self.read += raw.height
        kept, n_dropped = _without_duplicates(raw, path, self.problems)
        self.dropped += n_dropped
        self.names.append(_names(kept))
        return kept

    def _add_usage(self, rows: pl.DataFrame, path: Path, spec: Any) -> None:
        usage, skipped = _usage(rows, path, spec, self.rules, self.problems)
        self.usage_parts.append(usage)
        self.skipped_parts.append(skipped)

    def customers(self, path: Path, *, with_azure: bool) -> None:
        """CustomersAndTenants: segments and names, and Azure revenue when no AzureUsage came."""
        raw = _read(path, CUSTOMERS_AND_TENANTS, self.problems)
        if raw is None:
            return
        kept = self._kept(path, raw)
        self.segments.append(_segments(kept, path, self.problems))
        if with_azure:
            self._add_usage(kept.filter(pl.col("Product").str.strip_chars() == AZURE_PRODUCT), path,
                            AZURE_FROM_CUSTOMERS)

    def usage(self, path: Path, spec: Any) -> None:
        """An OfficeUsage, AzureUsage or DynamicsUsage download."""
        raw = _read(path, spec.required, self.problems, optional=spec.optional)
        if raw is not None:
            self._add_usage(self._kept(path, raw), path, spec)

    def tables(self) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
        """Usage (repeated rows merged, segments filled in) and certifications (people merged),
        with the repeated certification rows and people merged; raises with every problem."""
        usage = (pl.concat(self.usage_parts) if self.usage_parts
                 else pl.DataFrame(schema={**{c: pl.String for c in USAGE.column_names}, "__source": pl.String,
                                           "__line": pl.UInt32, "__sums": pl.Boolean}))
        usage, repeats = _merge_repeats(usage)
        segments = (pl.concat(self.segments) if self.segments else
                    pl.DataFrame(schema={"partner_id": pl.String, "tenant_id": pl.String, "month": pl.String,
                                         "segment": pl.String, "name": pl.String}))
        usage = _fill_names(_fill_segments(usage, segments), segments)
        certs, repeated, merged = _people(pl.concat(self.cert_parts) if self.cert_parts else None)
        if repeats:
            raise DataValidationError(self.problems + repeats)
        return usage, certs, repeated, merged

    def partners(self) -> pl.DataFrame:
        """Each partner's name, the first a download gives."""
        if not self.names:
            return pl.DataFrame(schema={c: pl.String for c in PARTNERS.column_names})
        return (pl.concat(self.names).group_by("partner_id").agg(pl.col("partner_name").drop_nulls().first())
                .sort("partner_id"))

    def skipped(self) -> pl.DataFrame:
        """Rows of workloads no area reads, per workload."""
        if not self.skipped_parts:
            return pl.DataFrame(schema={"workload": pl.String, "rows": pl.UInt32})
        return pl.concat(self.skipped_parts).group_by("workload").agg(pl.col("rows").sum()).sort("workload")

    def training(self, path: Path) -> None:
        raw = _read(path, TRAINING_COMPLETIONS, self.problems)
        if raw is not None:
            self.cert_read += raw.height
            self.cert_parts.append(_training(raw, path, self.problems))


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
    downloads = {spec.kind: _files(src, spec.kind) for spec in (OFFICE, AZURE, DYNAMICS)}
    customers = _files(src, "CustomersAndTenants")
    training = _files(src, "TrainingCompletions")
    if not any(downloads.values()) and not customers and not training:
        raise PcsError(f"{src}: no Partner Center downloads found (OfficeUsage, AzureUsage, DynamicsUsage, "
                       "CustomersAndTenants or TrainingCompletions *.csv)")
    got = _Downloads(rules)
    for path in customers:
        got.customers(path, with_azure=not downloads["AzureUsage"])
    if customers and not downloads["AzureUsage"]:
        got.notes.append(f"Azure consumed revenue taken from CustomersAndTenants as '{AZURE_WITHOUT_SERVICE}': "
                         "it names no service, so Azure deployments (distinct services) and Security's Azure "
                         "parts need the AzureUsage download")
    for spec in (OFFICE, AZURE, DYNAMICS):
        for path in downloads[spec.kind]:
            got.usage(path, spec)
    for path in training:
        got.training(path)
    if got.problems:
        raise DataValidationError(got.problems)
    usage, certs, repeated, merged = got.tables()
    partners, skipped = got.partners(), got.skipped()
    tables = CanonicalTables(
        usage=validate_frame(usage.sort(USAGE.key), USAGE, file="imported usage", rules=rules),
        certifications=validate_frame(certs.sort(CERTIFICATIONS.key), CERTIFICATIONS,
                                      file="imported certifications", rules=rules),
        partners=validate_frame(partners, PARTNERS, file="imported partners", rules=rules),
        enrollments=validate_frame(pl.DataFrame(schema={c: pl.String for c in ENROLLMENTS.column_names}),
                                   ENROLLMENTS, file="imported enrollments", rules=rules),
    )
    unknown = (unknown_certification_rows(certs.lazy(), rules).group_by("certification")
               .agg(pl.len().alias("rows")).sort("certification").collect())
    files = [p for spec in (OFFICE, AZURE, DYNAMICS) for p in downloads[spec.kind]] + customers + training
    report = ImportReport(
        files=tuple(p.name for p in files), usage_rows_read=got.read, duplicate_rows_dropped=got.dropped,
        skipped_workloads=skipped, certification_rows_read=got.cert_read, repeated_certification_rows=repeated,
        people_merged_by_email=merged, notes=tuple(got.notes), unknown_certifications=unknown,
    )
    return tables, report


def write_import(tables: CanonicalTables, out_dir: str | Path, *, rules: Rulebook | None = None) -> tuple[str, ...]:
    """Write an import into a canonical data folder, keeping what the user typed there.

    `usage.csv` and `certifications.csv` are replaced. Partner Center downloads hold no
    enrollments, so an enrollments table already in the folder is kept as it is (an empty
    `enrollments.csv` is written only where there is none). A partners table already there keeps
    its rows, names and track overrides; partners of the downloads it lacks are added, and an
    empty name is filled from the downloads. Returns one sentence per table kept or merged.

    Raises
    ------
    DataValidationError
        A kept table that is not valid (nothing is written).
    """
    out = Path(out_dir)
    rules = rules or load_rules()
    names: list[str] = ["usage", "certifications"]
    notes: list[str] = []
    enrollments = table_path(out, ENROLLMENTS) if out.is_dir() else None
    if enrollments is None:
        names.append("enrollments")
        notes.append("enrollments.csv written with no rows: Partner Center downloads hold no enrollments; type "
                     "them in (see the README) and a later import keeps them")
    else:
        kept = read_table(out, ENROLLMENTS, rules=rules)
        rows = 0 if kept is None else kept.height
        notes.append(f"kept {enrollments.name} as it was ({rows} rows): the downloads hold no enrollments")
    partners = table_path(out, PARTNERS) if out.is_dir() else None
    if partners is None:
        names.append("partners")
    else:
        existing = read_table(out, PARTNERS, rules=rules)
        merged, added, filled = merge_partners(existing, tables.partners)
        if added or filled:
            names.append("partners")
            tables = replace(tables, partners=merged)
        notes.append(f"kept the {existing.height if existing is not None else 0} partner rows of {partners.name} "
                     f"with their names and track overrides; added {added} partner(s) of the downloads, filled "
                     f"{filled} empty name(s)")
    tables.write(out, names=tuple(names))
    return tuple(notes)


def merge_partners(existing: pl.DataFrame | None, imported: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """The partners table a user has, with the partners of an import it lacks added (after its
    own rows) and its empty names filled from the import; also the counts added and filled.

    Examples
    --------
    >>> mine = pl.DataFrame({"partner_id": ["1", "2"], "partner_name": ["Mine", None],
    ...                      "track_modern_work": ["smb", None]})
    >>> new = pl.DataFrame({"partner_id": ["2", "3"], "partner_name": ["Two", "Three"]})
    >>> merged, added, filled = merge_partners(mine, new)
    >>> merged.rows(), added, filled
    ([('1', 'Mine', 'smb'), ('2', 'Two', None), ('3', 'Three', None)], 1, 1)
    """
    if existing is None:
        return imported, imported.height, 0
    names = imported.select("partner_id", pl.col("partner_name").alias("__imported"))
    joined = existing.join(names, on="partner_id", how="left", maintain_order="left")
    empty = pl.col("partner_name").fill_null("") == ""
    filled = joined.filter(empty & pl.col("__imported").is_not_null()).height
    kept = joined.with_columns(pl.when(empty).then(pl.col("__imported")).otherwise(pl.col("partner_name"))
                               .alias("partner_name")).drop("__imported")
    new = imported.join(existing.select("partner_id"), on="partner_id", how="anti").sort("partner_id")
    merged = pl.concat([kept, new.select("partner_id", "partner_name")], how="diagonal_relaxed")
    return merged, new.height, filled


def check_import_target(src: str | Path, out: str | Path) -> None:
    """Refuse an import folder that would touch the downloads: OUT is SRC, inside it, holds it,
    or is an existing file. Checked before anything is read or written."""
    from pcs_analysis.output import check_output_folder

    source, target = Path(src).resolve(), Path(out).resolve()
    if target == source or source in target.parents or target in source.parents:
        relation = ("is" if target == source else "is inside" if source in target.parents else "contains")
        raise PcsError(f"{out}: {relation} the downloads folder {src}; choose an output folder outside it "
                       "(the import never writes among or above the files it reads)")
    check_output_folder(out)


def _files(src: Path, kind: str) -> list[Path]:
    return sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and p.name.lower().startswith(kind.lower()))


def _read(path: Path, columns: tuple[str, ...], problems: list[Problem],
          optional: tuple[str, ...] = ()) -> pl.DataFrame | None:
    # UTF-8 only, as `pcs score` reads its tables: a download re-saved in another encoding is
    # reported with its line rather than read with replaced characters.
    raw, problem = read_csv_text(path)
    if problem is not None:
        problems.append(problem)
        return None
    found = len(problems)
    for name in raw.columns:
        if name not in columns and name not in optional:
            also = f"; it may also have: {', '.join(optional)}" if optional else ""
            problems.append(Problem(str(path), name, (), f"unknown column (expected the columns: "
                                    f"{', '.join(columns)}{also})"))
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


#: The month formats a Month column may use (Partner Center's and spreadsheets').
MONTH_FORMATS = ("YYYY-MM", "YYYY/MM", "YYYY-MM-DD (a time may follow)", "M/D/YYYY", "M/YYYY", "Oct 2026",
                 "October 2026", "Oct-2026")
_MONTH_EXPECTED = f"expected a month ({', '.join(MONTH_FORMATS)})"


def _month(expr: pl.Expr) -> pl.Expr:
    """The first day of the month a Month value names, in any of `MONTH_FORMATS`.

    Examples
    --------
    >>> values = pl.Series(["2026-10", "2026/10", "2026-10-01T00:00:00", "10/1/2026", "10/2026", "Oct 2026",
    ...                     "October-2026", "13/2026"])
    >>> pl.select(_month(pl.lit(values)).dt.strftime("%Y-%m")).to_series().to_list()
    ['2026-10', '2026-10', '2026-10', '2026-10', '2026-10', '2026-10', '2026-10', None]
    """
    text = expr.str.strip_chars()
    year_month = text.str.replace(r"^(\d{4})[-/](\d{1,2})$", "${1}-${2}-01").str.to_date("%Y-%m-%d", strict=False)
    month_year = text.str.replace(r"^(\d{1,2})/(\d{4})$", "${2}-${1}-01").str.to_date("%Y-%m-%d", strict=False)
    named = (text.str.replace(r"^([A-Za-z]{3,9})[ -](\d{4})$", "1 ${1} ${2}")
             .str.to_date("%d %B %Y", strict=False))
    return pl.coalesce(_date(expr), year_month, month_year, named).dt.month_start()


def _flag(problems: list[Problem], frame: pl.DataFrame, bad: pl.Expr, path: Path, column: str,
          message: str) -> None:
    hits = frame.filter(bad)
    if hits.height:
        found = [v for v in hits[column].unique(maintain_order=True).head(3).to_list() if v is not None]
        suffix = " (found: " + ", ".join(repr(shorten(v)) for v in found) + ")" if found else ""
        problems.append(Problem(str(path), column, tuple(hits["__line"].to_list()), message + suffix, "line"))


def _without_duplicates(raw: pl.DataFrame, path: Path, problems: list[Problem]) -> tuple[pl.DataFrame, int]:
    duplicate = pl.col("IsDuplicateRowForPGA").str.strip_chars().str.to_lowercase()
    _flag(problems, raw, ~duplicate.is_in(["0", "1", "true", "false"]) | duplicate.is_null(), path,
          "IsDuplicateRowForPGA", "expected 0 or 1")
    kept = raw.filter(~duplicate.is_in(["1", "true"]))
    return kept, raw.height - kept.height


def _names(frame: pl.DataFrame) -> pl.DataFrame:
    if "PartnerName" not in frame.columns:
        return pl.DataFrame(schema={"partner_id": pl.String, "partner_name": pl.String})
    return frame.select(pl.col("PGAMpnId").str.strip_chars().alias("partner_id"),
                        pl.col("PartnerName").str.strip_chars().alias("partner_name")).unique()


def _number(frame: pl.DataFrame, path: Path, problems: list[Problem], column: str, *, whole: bool) -> pl.Expr:
    """A numeric column (empty: null); bad or negative values are reported."""
    text = pl.col(column).str.strip_chars().str.replace_all(",", "")
    number = text.cast(pl.Float64, strict=False)
    given = text.fill_null("") != ""
    bad = number.is_null() | number.is_nan() | number.is_infinite() | (number < 0)
    if whole:
        bad = bad | (number != number.floor())
    kind = "a whole number of 0 or more" if whole else "a finite amount of 0 or more"
    _flag(problems, frame, given & bad, path, column, f"expected {kind}")
    return number


def _usage(kept: pl.DataFrame, path: Path, spec: UsageDownload, rules: Rulebook,
           problems: list[Problem]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The usage rows of one download, and the workloads no area counts (skipped)."""
    workload = (pl.col(spec.workload) if spec.workload else pl.lit(spec.fixed_workload)).str.strip_chars()
    paid = _number(kept, path, problems, spec.paid, whole=True) if spec.paid else pl.lit(None, pl.Float64)
    actives = [_number(kept, path, problems, c, whole=True) for c in spec.active if c in kept.columns]
    active = pl.coalesce(actives) if actives else pl.lit(None, pl.Float64)
    revenue = _number(kept, path, problems, spec.revenue, whole=False) if spec.revenue else pl.lit(None, pl.Float64)
    parsed = kept.with_columns(
        _month(pl.col("Month")).alias("month"),
        paid.alias("paid"), active.alias("active"), revenue.alias("revenue"),
        workload.alias("workload"),
        name_key_expr(pl.col("PartnerAttributionType")).replace_strict(
            dict(rules.association_aliases), default=None, return_dtype=pl.String).alias("association"),
        rules.workload_key_expr(workload).alias("workload_key"),
    )
    _flag(problems, parsed, pl.col("month").is_null(), path, "Month", _MONTH_EXPECTED)
    known = sorted(set(rules.association_aliases.values()))
    _flag(problems, parsed, pl.col("association").is_null(), path, "PartnerAttributionType",
          f"unknown attribution type (known: {', '.join(known)}; add an alias to the rulebook for others)")
    for column in ("PGAMpnId", "CustomerTenantId", *([spec.workload] if spec.workload else [])):
        _flag(problems, parsed, pl.col(column).str.strip_chars().fill_null("") == "", path, column,
              "empty value (a value is required)")
    is_counted = is_read_expr(rules, pl.col("workload_key"), pl.lit(spec.product))
    skipped = parsed.filter(~is_counted).group_by("workload").agg(pl.len().alias("rows"))
    segment = (pl.col("CustomerSegment").str.strip_chars() if "CustomerSegment" in parsed.columns
               else pl.lit(None, pl.String))
    usage = parsed.filter(is_counted).select(
        pl.col("PGAMpnId").str.strip_chars().alias("partner_id"),
        pl.col("CustomerTenantId").str.strip_chars().alias("tenant_id"),
        pl.col("month").dt.strftime("%Y-%m-%d"),
        "workload",
        "association",
        pl.lit(None, pl.String).alias("associated_on"),
        pl.col("paid").cast(pl.Int64).cast(pl.String).alias("paid_units"),
        pl.col("active").cast(pl.Int64).cast(pl.String).alias("active_units"),
        pl.col("revenue").round(2).cast(pl.String).alias("revenue_usd"),
        segment.alias("customer_segment"),
        pl.lit(spec.product).alias("product"),
        _text_or_null("CustomerName", parsed).alias("customer_name"),
        pl.lit(str(path)).alias("__source"), "__line", pl.lit(spec.sums_repeats).alias("__sums"),
    )
    return usage, skipped


def _merge_repeats(usage: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
    """Sum repeated Azure and Dynamics facts; repeated Microsoft 365 facts are an error."""
    key = ["partner_id", "tenant_id", "month", "workload_norm", "association"]
    rows = usage.with_columns(pl.col("workload").str.to_lowercase().alias("workload_norm"))
    repeated = pl.struct(key).is_duplicated()
    problems = []
    for source, part in rows.filter(repeated & ~pl.col("__sums")).group_by("__source", maintain_order=True):
        problems.append(Problem(source[0], "CustomerTenantId, WorkloadName, Month, PartnerAttributionType",
                                tuple(sorted(part["__line"].to_list())),
                                "the same tenant, workload, month and attribution type appears more than once "
                                "with IsDuplicateRowForPGA = 0", "line"))
    merged = rows.group_by(key, maintain_order=True).agg(
        pl.col("workload").first(), pl.col("associated_on").first(),
        *[pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).cast(pl.Float64).sum()).alias(c)
          for c in ("paid_units", "active_units", "revenue_usd")],
        pl.col("customer_segment").drop_nulls().first(), pl.col("product").first(),
        pl.col("customer_name").drop_nulls().first(),
    ).with_columns(
        pl.col("paid_units").cast(pl.Int64).cast(pl.String), pl.col("active_units").cast(pl.Int64).cast(pl.String),
        pl.col("revenue_usd").round(2).cast(pl.String),
    )
    return merged.select(USAGE.column_names), problems


def _segments(kept: pl.DataFrame, path: Path, problems: list[Problem]) -> pl.DataFrame:
    """Customer segment per partner, tenant and month (CustomersAndTenants)."""
    parsed = kept.with_columns(_month(pl.col("Month")).dt.strftime("%Y-%m-%d").alias("month"))
    _flag(problems, parsed, pl.col("month").is_null(), path, "Month", _MONTH_EXPECTED)
    return parsed.select(pl.col("PGAMpnId").str.strip_chars().alias("partner_id"),
                         pl.col("CustomerTenantId").str.strip_chars().alias("tenant_id"), "month",
                         pl.col("CustomerSegment").str.strip_chars().alias("segment"),
                         _text_or_null("CustomerName", parsed).alias("name")).drop_nulls(["month"])


def _text_or_null(column: str, frame: pl.DataFrame) -> pl.Expr:
    """A text column, trimmed, with empty values as null (null when the file has no such column)."""
    if column not in frame.columns:
        return pl.lit(None, pl.String)
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _fill_names(usage: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Usage rows without a customer name take their tenant's: its latest name in any download."""
    rows = pl.concat([usage.select("partner_id", "tenant_id", "month", pl.col("customer_name").alias("name")),
                      segments.select("partner_id", "tenant_id", "month", "name")])
    latest = (rows.drop_nulls("name").sort("month", "name").group_by("partner_id", "tenant_id")
              .agg(pl.col("name").last()))
    return (usage.join(latest, on=["partner_id", "tenant_id"], how="left", maintain_order="left")
            .with_columns(pl.coalesce("customer_name", "name").alias("customer_name")).drop("name"))


def _fill_segments(usage: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Usage rows without a customer segment take the tenant's segment of that month."""
    per_month = segments.filter(pl.col("segment") != "").drop_nulls("segment").group_by(
        "partner_id", "tenant_id", "month").agg(
        pl.col("segment").first())
    return usage.join(per_month, on=["partner_id", "tenant_id", "month"], how="left").with_columns(
        pl.coalesce(pl.col("customer_segment"), pl.col("segment")).alias("customer_segment")).drop("segment")


def _training(raw: pl.DataFrame, path: Path, problems: list[Problem]) -> pl.DataFrame:
    parsed = raw.with_columns(
        _date(pl.col("TrainingCompletionDate")).alias("earned"),
        # Learn's "Expires on <date>": the last day the certification counts (canonical expires_on).
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
