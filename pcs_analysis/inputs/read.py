"""Read the canonical tables from a folder of CSV or Parquet files, validated at the boundary.

Every problem in every table is collected before anything is raised, so a user fixes a file
once, not once per error. Reading never writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pcs_analysis.config import AREAS
from pcs_analysis.errors import DataValidationError, PcsError, Problem, UnknownPartnerError
from pcs_analysis.inputs.csvfiles import read_csv_text, shorten
from pcs_analysis.inputs.schemas import CERTIFICATIONS, ENROLLMENTS, PARTNERS, TABLES, USAGE, Column, TableSchema
from pcs_analysis.rules import Rulebook, load_rules

_INT_RE = r"^[+-]?\d+(\.0*)?$"  # 12 or 12.0 (exports often write whole numbers as floats)
_FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH_RE = r"^\d{4}-\d{2}(-01)?$"
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "date": "a date YYYY-MM-DD",
    "month": "a month YYYY-MM or YYYY-MM-01 (the first day of the month)",
}


@dataclass(frozen=True)
class PartnerData:
    """The validated input tables of one data folder, as polars LazyFrames.

    `enrollments` and `partners` are empty frames (with their columns) when the folder has no
    such file.
    """

    usage: pl.LazyFrame
    certifications: pl.LazyFrame
    enrollments: pl.LazyFrame
    partners: pl.LazyFrame
    source: str = ""

    def partner_id_frame(self) -> pl.LazyFrame:
        """Every partner id that appears in any table, once (column `partner_id`)."""
        frames = [self.usage, self.certifications, self.enrollments, self.partners]
        return pl.concat([f.select("partner_id") for f in frames]).unique()

    def partner_ids(self) -> list[str]:
        """Every partner id that appears in any table, sorted."""
        return self.partner_id_frame().sort("partner_id").collect()["partner_id"].to_list()

    def require_partners(self, partner_ids: list[str], *, what: str = "") -> None:
        """Raise `UnknownPartnerError` naming every id of `partner_ids` the data do not hold."""
        known = set(self.partner_ids())
        unknown = [p for p in partner_ids if p not in known]
        if unknown:
            where = self.source or "the data"
            raise UnknownPartnerError(f"{what}{'' if not what else ': '}no partner "
                                      f"{', '.join(repr(p) for p in unknown)} in {where}")

    def only_partners(self, partner_ids: list[str]) -> PartnerData:
        """The same data restricted to some partners, held in memory (selected once: every
        analysis then reads the partners' rows, not the whole tables again)."""
        keep = pl.col("partner_id").is_in(list(partner_ids))
        tables = pl.collect_all([self.usage.filter(keep), self.certifications.filter(keep),
                                 self.enrollments.filter(keep), self.partners.filter(keep)])
        usage, certifications, enrollments, partners = (t.lazy() for t in tables)
        return PartnerData(usage=usage, certifications=certifications, enrollments=enrollments,
                           partners=partners, source=self.source)


@dataclass(frozen=True)
class CanonicalTables:
    """The canonical tables in memory, validated (made by the sample generator and imports)."""

    usage: pl.DataFrame
    certifications: pl.DataFrame
    partners: pl.DataFrame
    enrollments: pl.DataFrame

    def to_partner_data(self, source: str = "") -> PartnerData:
        return PartnerData(usage=self.usage.lazy(), certifications=self.certifications.lazy(),
                           enrollments=self.enrollments.lazy(), partners=self.partners.lazy(), source=source)

    def write(self, folder: str | Path, *,
              names: tuple[str, ...] = ("usage", "certifications", "partners", "enrollments")) -> Path:
        """Write the tables `names` as a canonical data folder: `<table>.csv` each, all or none,
        replacing those files only (other files in the folder are left as they are). A folder
        holding one of them as Parquet is refused: it would then hold the table twice."""
        from pcs_analysis.output import check_output_folder, write_csvs

        folder = check_output_folder(folder)
        clashing = [folder / f"{n}{suffix}" for n in names for suffix in (".parquet", "")
                    if (folder / f"{n}{suffix}").exists()]
        if clashing:
            kind = "a folder of Parquet files" if clashing[0].is_dir() else "Parquet"
            raise PcsError(f"{clashing[0]}: the folder already holds this table as {kind}; writing "
                           f"{clashing[0].stem}.csv beside it would make the folder ambiguous: remove it or "
                           "choose another folder")
        return write_csvs(folder, {n: without_empty_optional(getattr(self, n), n) for n in names})


def without_empty_optional(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """The frame without the optional columns that no row fills (they are not written); an empty
    table keeps them all, as a header to fill in."""
    schema = next(t for t in TABLES if t.name == table)
    empty = [c.name for c in schema.columns if not c.required and c.name in frame.columns
             and frame.height and frame[c.name].null_count() == frame.height]
    return frame.drop(empty)


#: The column of a file's row (or line) numbers while it is validated.
ROW = "__row"
#: The line number of a usage CSV file's row, kept with the parts split from it.
CSV_LINE = "__line"


@dataclass(frozen=True)
class PartnerRange:
    """The partners whose ids (trimmed) lie between `first` and `last`, both included; `blank`
    also keeps the rows without a partner id (so that one range reports them). `usage_files`:
    when the usage table is a folder of files, the names of the only files that hold these
    partners (None: every file is read and filtered). `usage_parts`: a folder holding these
    partners' rows of the usage CSV file, as text with their line numbers (`CSV_LINE`), split
    from it in one pass (`inputs.chunks.split_usage_csv`): read instead of the whole file, and
    validated as its lines."""

    first: str
    last: str
    blank: bool = False
    usage_files: tuple[str, ...] | None = None
    usage_parts: str | None = None

    def expr(self) -> pl.Expr:
        pid = pl.col("partner_id").cast(pl.String).str.strip_chars()
        keep = pid.is_between(pl.lit(self.first), pl.lit(self.last))
        if self.blank:
            keep = keep | pid.is_null() | (pid == "")
        return keep.fill_null(False)


def read_data(folder: str | Path, *, rules: Rulebook | None = None,
              partners: PartnerRange | None = None) -> PartnerData:
    """Read and validate the canonical tables of a data folder.

    The folder holds `usage` and `certifications` (required) and `enrollments` and `partners`
    (optional), each as `<table>.csv`, `<table>.parquet` or a folder `<table>/` of Parquet files
    (a partitioned dataset, read in the order of the file names).

    Parameters
    ----------
    folder
        The data folder.
    rules
        The rulebook whose vocabulary (association types) the data must use; default: newest.
    partners
        Read and validate only the rows of these partners (a range of ids); Parquet files are
        then read without the other partners' row groups. Problems still name the file's rows.

    Raises
    ------
    DataValidationError
        Listing every problem at once: the file, the column, the rows and what was expected.

    Examples
    --------
    >>> from pcs_analysis.config import SAMPLE_DIR
    >>> data = read_data(SAMPLE_DIR)
    >>> sorted(data.usage.collect_schema().names())[:3]
    ['active_units', 'associated_on', 'association']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PcsError(f"{folder}: data folder not found")
    rules = rules or load_rules()
    vocabularies = _vocabularies(rules)
    problems: list[Problem] = []
    frames: dict[str, pl.DataFrame] = {}
    for schema in TABLES:
        frame, found = _read_table(folder, schema, vocabularies, partners)
        problems += found
        if frame is not None:
            frames[schema.name] = frame
    if problems:
        raise DataValidationError(problems)
    return PartnerData(
        usage=frames["usage"].lazy(),
        certifications=frames["certifications"].lazy(),
        enrollments=frames.get("enrollments", _empty(ENROLLMENTS)).lazy(),
        partners=frames.get("partners", _empty(PARTNERS)).lazy(),
        source=str(folder),
    )


def read_table(folder: str | Path, schema: TableSchema, *, rules: Rulebook | None = None) -> pl.DataFrame | None:
    """One canonical table of a data folder, validated (None when the folder has none).

    Raises
    ------
    DataValidationError
        Every problem of the table's file(s): the file, the column, the rows.
    """
    frame, problems = _read_table(Path(folder), schema, _vocabularies(rules or load_rules()))
    if problems:
        raise DataValidationError(problems)
    return frame


def table_path(folder: str | Path, schema: TableSchema) -> Path | None:
    """The file (or folder of Parquet files) holding a table in a data folder, if any."""
    return next((p for p in _candidates(Path(folder), schema) if p.is_file() or p.is_symlink() or p.is_dir()), None)


def table_files(folder: str | Path, schema: TableSchema) -> list[Path]:
    """The files holding a table in a data folder: its CSV or Parquet file, or the Parquet
    files of its folder (none when the folder has no such table)."""
    path = table_path(folder, schema)
    if path is None:
        return []
    if path.is_dir():
        return dataset_files(path)
    return [path] if path.is_file() else []


def _candidates(folder: Path, schema: TableSchema) -> list[Path]:
    """Where a table may be: `<table>.csv`, `<table>.parquet`, or a folder `<table>/` (last)."""
    return [folder / f"{schema.name}.{ext}" for ext in ("csv", "parquet")] + [folder / schema.name]


def validate_frame(frame: pl.DataFrame, schema: TableSchema, *, file: str = "<frame>",
                   rules: Rulebook | None = None) -> pl.DataFrame:
    """Validate an in-memory frame of strings (or typed values) against a table schema.

    Returns the typed frame or raises `DataValidationError`; used by `read_data` and by code
    that builds tables in memory (sample data, imports, what-if scenarios).

    Examples
    --------
    >>> import polars as pl
    >>> from pcs_analysis.inputs.schemas import CERTIFICATIONS
    >>> rows = pl.DataFrame({"partner_id": ["P1"], "person_id": ["a"], "earned_on": ["2025-01-01"],
    ...                      "certification": ["Teams Administrator Associate"], "expires_on": [None]})
    >>> validate_frame(rows, CERTIFICATIONS)["earned_on"].dtype
    Date
    """
    rules = rules or load_rules()
    vocabularies = _vocabularies(rules)
    typed, problems = _validate(frame.with_row_index(ROW, offset=1), schema, file, vocabularies, label="row")
    if problems:
        raise DataValidationError(problems)
    return typed.drop(ROW)


def _vocabularies(rules: Rulebook) -> dict[str, set[str]]:
    return {
        "associations": set(rules.association_types),
        "areas": set(AREAS),
        "tracks": {t for a in rules.areas.values() for t in a.tracks},
        "products": set(rules.products),
    }


def _with_optional_columns(frame: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """Add the optional columns a file does not have, as empty values."""
    absent = [c.name for c in schema.columns if not c.required and c.name not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(n) for n in absent)


def _read_table(folder: Path, schema: TableSchema, vocabularies: Mapping[str, set[str]],
                partners: PartnerRange | None = None) -> tuple[pl.DataFrame | None, list[Problem]]:
    candidates = _candidates(folder, schema)
    present = [p for p in candidates if p.is_file() or p.is_symlink() or p.is_dir()]
    if len(present) > 1:
        return None, [Problem(str(present[0]), None, (), f"both {present[0].name} and "
                              f"{present[1].name}{'/' if present[1].is_dir() else ''} exist; keep one")]
    if not present:
        if schema.required:
            return None, [Problem(str(candidates[0]), None, (),
                                  f"required table '{schema.name}' not found (expected "
                                  f"{schema.name}.csv, {schema.name}.parquet or a folder {schema.name}/ of "
                                  "Parquet files)")]
        return None, []
    if present[0] == candidates[-1]:
        return _read_dataset(present[0], schema, vocabularies, partners)
    if schema is USAGE and partners is not None and partners.usage_parts is not None:
        typed, problems = _read_csv_parts(Path(partners.usage_parts), present[0], schema, vocabularies)
        return (None if problems else typed.drop(ROW)), problems
    typed, problems = _read_file(present[0], schema, vocabularies, partners)
    return (None if problems else typed.drop(ROW)), problems


def dataset_files(folder: Path) -> list[Path]:
    """The Parquet files of a partitioned table, in the order of their names."""
    return sorted(p for p in folder.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def _read_dataset(folder: Path, schema: TableSchema, vocabularies: Mapping[str, set[str]],
                  partners: PartnerRange | None) -> tuple[pl.DataFrame | None, list[Problem]]:
    """A table partitioned into Parquet files: each file validated as a file of its own, then the
    key checked across files (a key repeated in two files is named in both)."""
    files = dataset_files(folder)
    if not files:
        return None, [Problem(str(folder), None, (), "the folder holds no .parquet files")]
    if schema is USAGE and partners is not None and partners.usage_files is not None:
        files = [f for f in files if f.name in partners.usage_files]
        if not files:
            return _empty(schema), []
    frames, problems = [], []
    for number, path in enumerate(files):
        typed, found = _read_file(path, schema, vocabularies, partners)
        problems += found
        if not found:
            frames.append(typed.with_columns(pl.col(ROW).cast(pl.Int64), pl.lit(number, pl.Int32).alias("__file")))
    if problems:
        return None, problems
    table = pl.concat(frames, how="vertical")
    problems = _cross_file_keys(table, schema, files)
    return (None, problems) if problems else (table.drop(ROW, "__file"), [])


def _cross_file_keys(table: pl.DataFrame, schema: TableSchema, files: list[Path]) -> list[Problem]:
    """Keys repeated across files (each file's own were checked with it). Every key holds the
    partner id, so only the rows of partners found in more than one file can repeat one."""
    key = list(schema.key)
    shared = (table.select("partner_id", "__file").unique().group_by("partner_id").len()
              .filter(pl.col("len") > 1)["partner_id"])
    if shared.is_empty():
        return []
    candidates = table.filter(pl.col("partner_id").is_in(shared.implode()))
    dupes = _keyed(candidates.select(ROW, "__file", *key), schema).filter(pl.struct(key).is_duplicated())
    return [Problem(str(files[number]), ", ".join(key), tuple(sorted(rows)),
                    "duplicated key: these rows repeat the same " + ", ".join(key) + " as rows of another "
                    "file of the folder", "row")
            for number, rows in dupes.group_by("__file").agg(pl.col(ROW)).sort("__file").iter_rows()]


def _read_file(path: Path, schema: TableSchema, vocabularies: Mapping[str, set[str]],
               partners: PartnerRange | None) -> tuple[pl.DataFrame | None, list[Problem]]:
    """One file, typed, with its row numbers in ROW; the fast path first, else every value
    checked as text."""
    typed = _read_typed(path, schema, vocabularies, partners) if path.is_file() else None
    if typed is not None:
        return typed, []
    if path.suffix == ".csv":
        raw, problem = read_csv_text(path)
        if problem is not None:
            return None, [problem]
        raw = raw.with_row_index(ROW, offset=2)  # the header is line 1
        label = "line"
    else:
        try:
            raw = pl.read_parquet(path)
            raw = raw.with_columns(pl.all().cast(pl.String)).with_row_index(ROW, offset=1)
        except Exception as exc:  # polars raises several error types for unreadable files
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return None, [Problem(str(path), None, (), f"cannot be read as Parquet: {shorten(first, 200)}")]
        label = "row"
    if partners is not None and "partner_id" in raw.columns:
        raw = raw.filter(partners.expr())
    typed, problems = _validate(raw, schema, str(path), vocabularies, label=label)
    return (None if problems else typed), problems


_DTYPES = {"str": pl.String, "date": pl.Date, "month": pl.Date, "int": pl.Int64, "float": pl.Float64}


def _read_csv_parts(parts: Path, csv: Path, schema: TableSchema,
                    vocabularies: Mapping[str, set[str]]) -> tuple[pl.DataFrame | None, list[Problem]]:
    """One range of partners' rows of a CSV file, from the parts split from it (text, with their
    line numbers): typed as the file itself would be, or validated as its lines, the problems
    naming the file."""
    files = sorted(parts.glob("*.parquet"))
    if not files:
        return _empty(schema).with_columns(pl.lit(None, pl.Int64).alias(ROW)).select(ROW, *schema.column_names), []
    raw = pl.read_parquet(files).rename({CSV_LINE: ROW}).with_columns(pl.col(ROW).cast(pl.Int64))
    typed = _checked(_typed_text(raw, schema), schema, vocabularies, str(csv))
    if typed is not None:
        return typed, []
    typed, problems = _validate(raw, schema, str(csv), vocabularies, label="line")
    return (None if problems else typed), problems


def _typed_text(raw: pl.DataFrame, schema: TableSchema) -> pl.DataFrame | None:
    """Text columns cast to the schema's types, as `_typed_frame` reads a file (None when a
    column is missing, unknown or does not cast)."""
    frame = _with_optional_columns(raw, schema)
    if set(frame.columns) != {ROW, *schema.column_names}:
        return None
    try:
        return frame.select(ROW, *(pl.col(c.name).cast(_DTYPES[c.type], strict=True) for c in schema.columns))
    except Exception:  # a value that does not cast: the careful path reports it
        return None


def _fast_checks(c: Column, vocabularies: Mapping[str, set[str]]) -> list[pl.Expr]:
    """Whether any typed value of a column breaks its rules (the fast path's checks)."""
    col = pl.col(c.name)
    checks = [col.is_null().any()] if not c.nullable else []
    if c.min_value is not None:
        checks.append((col < c.min_value).any())
    if c.type == "float":
        checks.append((col.is_nan() | col.is_infinite()).any())
    if c.type == "month":
        checks.append((col.dt.day() != 1).any())
    if c.vocabulary is not None:
        checks.append((col.is_not_null() & ~col.is_in(sorted(vocabularies[c.vocabulary]))).any())
    return checks


def _typed_frame(path: Path, schema: TableSchema, partners: PartnerRange | None) -> pl.DataFrame | None:
    """The file read with the schema's types (and its row numbers in ROW), only the rows of
    `partners` when given; None when a column is missing, unknown or does not cast (the careful
    path then reports it)."""
    try:
        if path.suffix == ".csv":
            names = pl.read_csv(path, n_rows=0).columns
            dtypes = {c.name: _DTYPES[c.type] for c in schema.columns if c.name in names}
            frame = pl.read_csv(path, schema_overrides=dtypes, infer_schema=False, row_index_name=ROW,
                                row_index_offset=2)
            if partners is not None:
                frame = frame.filter(partners.expr())
        else:
            scan = pl.scan_parquet(path, row_index_name=ROW, row_index_offset=1)
            frame = (scan.filter(partners.expr()) if partners is not None else scan).collect()
            ints = [c.name for c in schema.columns if c.type == "int" and c.name in frame.columns]
            if any(not (frame.schema[n].is_integer() or frame.schema[n] == pl.Null) for n in ints):
                return None  # e.g. floats: a cast would truncate 1.5 silently
        frame = _with_optional_columns(frame, schema)
        if set(frame.columns) != {ROW, *schema.column_names}:
            return None  # missing, unknown or extra (override) columns: the careful path decides
        return frame.select(pl.col(ROW).cast(pl.Int64),
                            *(pl.col(c.name).cast(_DTYPES[c.type], strict=True) for c in schema.columns))
    except Exception:  # any parse or cast failure: let the careful path report it
        return None


def _read_typed(path: Path, schema: TableSchema, vocabularies: Mapping[str, set[str]],
                partners: PartnerRange | None = None) -> pl.DataFrame | None:
    """Fast path for clean files: read with the schema's types and check the typed values.

    Returns None at the first sign of trouble; the caller then validates every value as text,
    which finds and describes every problem.
    """
    return _checked(_typed_frame(path, schema, partners), schema, vocabularies, str(path))


def _checked(frame: pl.DataFrame | None, schema: TableSchema, vocabularies: Mapping[str, set[str]],
             file: str) -> pl.DataFrame | None:
    """A typed frame whose every value keeps the schema's rules (texts cleaned), else None."""
    if frame is None:
        return None
    frame = frame.select(ROW, *(_clean_text(c) if c.type == "str" else pl.col(c.name) for c in schema.columns))
    bad = [check for c in schema.columns for check in _fast_checks(c, vocabularies)]
    if bad and any(frame.select(b.alias(f"_check{i}") for i, b in enumerate(bad)).row(0)):
        return None
    if _key_problems(frame, schema, file, "row") or _row_rules(frame, schema, file, "row"):
        return None
    return frame


def _column_problems(names: list[str], schema: TableSchema, file: str) -> list[Problem]:
    """Required columns missing, and columns the schema does not know."""
    problems = [Problem(file, c.name, (), "required column is missing") for c in schema.columns
                if c.name not in names]
    allowed = set(schema.column_names)
    for name in names:
        if name in allowed or (schema.extra_prefix and name.startswith(schema.extra_prefix)):
            continue
        hint = f" (allowed: {', '.join(schema.column_names)}"
        hint += f", {schema.extra_prefix}<area>)" if schema.extra_prefix else ")"
        problems.append(Problem(file, name, (), "unknown column" + hint))
    return problems


def _validate(raw: pl.DataFrame, schema: TableSchema, file: str,
              vocabularies: Mapping[str, set[str]], *, label: str) -> tuple[pl.DataFrame, list[Problem]]:
    """Every value of `raw` (text, with the file's row numbers in ROW) checked against the
    schema; the typed frame (with ROW) and the problems found."""
    raw = _with_optional_columns(raw, schema)
    names = [n for n in raw.columns if n != ROW]
    problems = _column_problems(names, schema, file)
    if any(c.name not in names for c in schema.columns):
        return raw, problems
    raw = raw.with_columns(pl.col(n).cast(pl.String) for n in names)
    indexed = raw
    columns = list(schema.columns)
    if schema.extra_prefix:
        columns += [Column(n, "str", nullable=True, vocabulary="tracks")
                    for n in names if n.startswith(schema.extra_prefix)]
        for n in names:
            area = n.removeprefix(schema.extra_prefix or "")
            if schema.extra_prefix and n.startswith(schema.extra_prefix) and area not in AREAS:
                problems.append(Problem(file, n, (), f"'{area}' is not a solution area "
                                        f"(known: {', '.join(AREAS)})"))
    checks = []
    for column in columns:
        checks += _column_checks(column, vocabularies)
    flags = indexed.select(pl.col(ROW), *[expr.alias(f"__chk{i}") for i, (_, expr, _) in enumerate(checks)])
    for i, (column, _, message) in enumerate(checks):
        hits = indexed.filter(flags[f"__chk{i}"])
        if hits.height:
            found = [v for v in hits[column].unique(maintain_order=True).head(3).to_list() if v is not None]
            if found and not message.startswith("empty"):
                message += " (found: " + ", ".join(repr(shorten(v)) for v in found) + ")"
            problems.append(Problem(file, column, tuple(hits[ROW].to_list()), message, label))
    typed = raw.select(ROW, *[_parse(c).alias(c.name) for c in columns])
    problems += _key_problems(typed, schema, file, label)
    problems += _row_rules(typed, schema, file, label)
    return typed, problems


def _column_checks(column: Column, vocabularies: Mapping[str, set[str]]) -> list[tuple[str, pl.Expr, str]]:
    value = pl.col(column.name)
    blank = value.is_null() | (value.str.strip_chars() == "")
    checks: list[tuple[str, pl.Expr, str]] = []
    if not column.nullable:
        checks.append((column.name, blank, "empty value (a value is required)"))
    pattern = {"int": _INT_RE, "float": _FLOAT_RE, "date": _DATE_RE, "month": _MONTH_RE}.get(column.type)
    if pattern is not None:
        parsed = _parse(column)
        bad = ~blank & (~value.str.strip_chars().str.contains(pattern) | parsed.is_null())
        checks.append((column.name, bad, f"expected {_EXPECTED[column.type]}"))
        if column.type == "float":  # "1e999" reads as infinity
            too_large = ~blank & value.str.strip_chars().str.contains(pattern) & parsed.is_infinite()
            checks.append((column.name, too_large, "expected a finite number"))
        if column.min_value is not None:
            checks.append((column.name, parsed < column.min_value,
                           f"must be {column.min_value:g} or more"))
    if column.vocabulary is not None:
        allowed = sorted(vocabularies[column.vocabulary])
        bad = ~blank & ~_parse(column).is_in(allowed)
        checks.append((column.name, bad, f"unknown value; expected one of: {', '.join(allowed)}"))
    return checks


def _clean_text(column: Column) -> pl.Expr:
    """Text as the engine reads it: trimmed, empty as missing, vocabularies in their case."""
    value = pl.col(column.name).str.strip_chars()
    value = pl.when(value == "").then(None).otherwise(value)
    if column.vocabulary == "associations":
        value = value.str.to_uppercase()
    elif column.vocabulary == "products":
        value = value.str.to_lowercase()
    return value.alias(column.name)


def _parse(column: Column) -> pl.Expr:
    """Text parsed into the column's type (null where it does not parse)."""
    value = _clean_text(column)
    match column.type:
        case "int":
            number = value.cast(pl.Float64, strict=False)
            return pl.when(number == number.floor()).then(number).cast(pl.Int64, strict=False)
        case "float":
            return value.cast(pl.Float64, strict=False)
        case "date":
            return value.str.to_date("%Y-%m-%d", strict=False)
        case "month":
            full = pl.when(value.str.len_chars() == 7).then(value + "-01").otherwise(value)
            return full.str.to_date("%Y-%m-%d", strict=False)
        case _:
            return value


def _keyed(frame: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """The key columns as they are compared: names in lower case with single spaces; rows with
    a missing key part left out (reported as empty values)."""
    name = {USAGE.name: "workload", CERTIFICATIONS.name: "certification"}.get(schema.name)
    if name is not None:
        # Each distinct name normalised once (a table has few names and many rows).
        names = frame[name].drop_nulls().unique()
        normal = names.str.to_lowercase().str.replace_all(r"\s+", " ")
        frame = frame.with_columns(pl.col(name).replace_strict(names, normal, default=None))
    return frame.drop_nulls(list(schema.key))


def _key_problems(typed: pl.DataFrame, schema: TableSchema, file: str, label: str) -> list[Problem]:
    key = list(schema.key)
    keyed = _keyed(typed.select(ROW, *key), schema)
    dupes = keyed.filter(pl.struct(key).is_duplicated())[ROW].sort().to_list()
    if not dupes:
        return []
    return [Problem(file, ", ".join(key), tuple(dupes),
                    "duplicated key: these rows repeat the same " + ", ".join(key), label)]


def _row_rules(typed: pl.DataFrame, schema: TableSchema, file: str, label: str) -> list[Problem]:
    pairs = {CERTIFICATIONS.name: ("earned_on", "expires_on"),
             ENROLLMENTS.name: ("enrolled_on", "anniversary_on")}
    if schema.name not in pairs:
        return []
    first, last = pairs[schema.name]
    rows = typed.filter(pl.col(last) <= pl.col(first))[ROW].to_list()
    if not rows:
        return []
    return [Problem(file, last, tuple(rows), f"must be after {first}", label)]


def _empty(schema: TableSchema) -> pl.DataFrame:
    dtypes = {"str": pl.String, "date": pl.Date, "month": pl.Date, "int": pl.Int64, "float": pl.Float64}
    return pl.DataFrame(schema={c.name: dtypes[c.type] for c in schema.columns})
