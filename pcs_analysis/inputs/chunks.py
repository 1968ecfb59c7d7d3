"""A data folder cut into chunks of partners, and its files watched while they are read.

Scoring is independent per partner, so `pcs score` cuts the partners into contiguous ranges of
their sorted ids with about `rows_per_chunk` usage rows each (`plan_chunks`); each chunk then
reads only its partners' rows (`inputs.read.PartnerRange`). A usage table kept as one CSV file
is split once, in one streaming pass, into each chunk's part (`split_usage_csv`). What the
chunks read must not change while they read it (`input_identity`, `check_unchanged`).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import polars as pl

from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import CSV_LINE, PartnerRange, table_files
from pcs_analysis.inputs.schemas import TABLES


def plan_chunks(data_dir: Path, rows_per_chunk: int) -> tuple[list[PartnerRange | None], int]:
    """Contiguous ranges of the sorted partner ids (of every table) with about `rows_per_chunk`
    usage rows each, and the number of partners. The first range also takes the rows without a
    partner id, so that they are reported. A table that cannot be scanned here gives one chunk
    of everything (reading it then reports what is wrong)."""
    ranges, partners, _ = chunk_plan(data_dir, rows_per_chunk)
    return ranges, partners


def chunk_plan(data_dir: Path, rows_per_chunk: int) -> tuple[list[PartnerRange | None], int, pl.DataFrame | None]:
    """`plan_chunks`, and each partner id's range (`partner_id`, `chunk`: its number)."""
    try:
        ids, spans = _partner_rows(data_dir)
    except Exception:  # an unreadable or malformed file: the reader of the one chunk names it
        return [None], 0, None
    if ids.height == 0:
        return [None], 0, None
    chunk = ((ids["rows"].cum_sum() - ids["rows"]) // max(1, rows_per_chunk)).cast(pl.UInt32)
    chunk_of = ids.select("partner_id").with_columns(chunk.alias("chunk"))
    bounds = chunk_of.group_by("chunk", maintain_order=True).agg(
        pl.col("partner_id").first().alias("first"), pl.col("partner_id").last().alias("last"))
    ranges = [PartnerRange(first, last, blank=number == 0, usage_files=_files_of(spans, first, last, number == 0))
              for number, (first, last) in enumerate(bounds.select("first", "last").iter_rows())]
    return (ranges if len(ranges) > 1 else [None]), ids.height, chunk_of


#: Rows of a usage CSV file split at a time (text): about a hundred megabytes.
SPLIT_ROWS = 500_000


def split_usage_csv(data_dir: Path, ranges: list[PartnerRange | None], chunk_of: pl.DataFrame | None,
                    into: Path) -> list[PartnerRange | None]:
    """A usage table kept as one CSV file, read once: each range's rows (as text, with their line
    numbers) written into `into/<range>/` in one streaming pass, for the chunks to read instead
    of the whole file (`PartnerRange.usage_parts`). `chunk_of`: each partner id's range (rows
    without a partner id go with the first). A file that cannot be read this way is left to the
    chunks, whose reader names its problem."""
    csv = data_dir / "usage.csv"
    if len(ranges) < 2 or chunk_of is None or not csv.is_file() or any(r is None for r in ranges):
        return ranges
    # A join with the plan's (small) table of ids streams; a search in a list of bounds does not.
    ranges_of = chunk_of.select(pl.col("partner_id").alias("__pid"), pl.col("chunk").alias("__chunk")).lazy()
    try:
        rows = (pl.scan_csv(csv, infer_schema=False, row_index_name=CSV_LINE, row_index_offset=2)
                .with_columns(pl.col("partner_id").str.strip_chars().alias("__pid"))
                .join(ranges_of, on="__pid", how="left", maintain_order="left").drop("__pid")
                .with_columns(pl.col("__chunk").fill_null(0)))
        for number, batch in enumerate(rows.collect_batches(chunk_size=SPLIT_ROWS, engine="streaming")):
            for (k,), part in batch.partition_by("__chunk", as_dict=True, maintain_order=True).items():
                folder = into / f"{k:05d}"
                folder.mkdir(parents=True, exist_ok=True)
                part.drop("__chunk").write_parquet(folder / f"{number:06d}.parquet", compression="lz4")
    except pl.exceptions.PolarsError:   # not UTF-8, ragged lines, ...: the chunks' reader says what
        shutil.rmtree(into, ignore_errors=True)
        return ranges
    return [dataclasses.replace(r, usage_parts=str((into / f"{k:05d}").absolute()))
            for k, r in enumerate(ranges) if r is not None]


#: Per file of a partitioned usage folder: its name, its first and last partner id (None, None
#: when it holds none), and whether it has rows without a partner id (the first chunk reads those
#: files and every file without ids, so that they are reported and validated).
Span = tuple[str, str | None, str | None, bool]


def _files_of(spans: list[Span] | None, first: str, last: str, is_first: bool) -> tuple[str, ...] | None:
    """The files of a partitioned usage folder that hold partners of first..last (the first chunk
    also those with rows without a partner id, or without any)."""
    if spans is None:
        return None
    return tuple(name for name, low, high, blank in spans
                 if (is_first and (blank or low is None)) or (low is not None and low <= last and high >= first))


def _partner_rows(data_dir: Path) -> tuple[pl.DataFrame, list[Span] | None]:
    """Every partner id (trimmed) of every table, sorted, with its number of usage rows; and the
    span of partner ids of each file when the usage table is a folder of files."""
    frames, spans = [], None
    for schema in TABLES:
        sources = table_files(data_dir, schema)
        if schema.name == "usage" and (data_dir / "usage").is_dir():
            spans = []
        for path in sources:
            scan = (pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy") if path.suffix == ".csv"
                    else pl.scan_parquet(path))
            pid = pl.col("partner_id").cast(pl.String).str.strip_chars()
            rows = pl.len() if schema.name == "usage" else pl.lit(0, pl.UInt32)
            counted = (scan.select(pid).group_by("partner_id").agg(rows.cast(pl.Int64).alias("rows"))
                       .collect(engine="streaming"))
            named = pl.col("partner_id").is_not_null() & (pl.col("partner_id") != "")
            if schema.name == "usage" and spans is not None:
                ids = counted.filter(named)["partner_id"]
                spans.append((path.name, ids.min(), ids.max(), counted.height > ids.len()))
            frames.append(counted.filter(named))
    table = pl.concat(frames).group_by("partner_id").agg(pl.col("rows").sum())
    return table.sort("partner_id"), spans


def input_identity(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Each input file of a data folder (the tables, and the files of a partitioned table) with
    its size, modification time and inode: what `check_unchanged` compares."""
    files = [p for schema in TABLES for p in table_files(data_dir, schema)]
    out = {}
    for path in files:
        stat = path.stat()
        out[str(path)] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return out


def check_unchanged(data_dir: Path, before: dict[str, tuple[int, int, int]]) -> None:
    """Refuse to write results read from files that changed (or appeared, or went) during the
    run: the chunks would mix old and new rows."""
    after = input_identity(data_dir)
    changed = sorted(set(before) ^ set(after) | {p for p in before if p in after and before[p] != after[p]})
    if changed:
        raise PcsError(f"{changed[0]}: changed while it was being scored ({len(changed)} input file(s) changed); "
                       "nothing was written: score again once the data folder is complete")
