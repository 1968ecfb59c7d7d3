"""Scoring a portfolio in partner chunks: the same bytes as scoring it at once, from CSV, Parquet
or a partitioned Parquet folder, locally or on a Dask cluster; a problem in any chunk leaves no
output and names the file's own rows."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from pcs_analysis import load_rules, score
from pcs_analysis.config import SAMPLE_DIR
from pcs_analysis.errors import DataValidationError, PcsError
from pcs_analysis.inputs.chunks import plan_chunks
from pcs_analysis.inputs.read import PartnerRange, read_data
from pcs_analysis.inputs.sample import generate_sample, write_sample_dataset
from pcs_analysis.inputs.unread import unread_inputs
from pcs_analysis.output import write_csvs
from pcs_analysis.reporting.scores import score_portfolio

AS_OF = "2026-11-21"
FILES = ("scores", "summary", "options", "unread_inputs")


@pytest.fixture(scope="module")
def at_once(tmp_path_factory):
    """The four files as scoring every partner in one pass writes them."""
    out = tmp_path_factory.mktemp("at_once")
    data = read_data(SAMPLE_DIR)
    result, unread = score(data, as_of=AS_OF), unread_inputs(data, rules=load_rules())
    write_csvs(out, {"scores": result.scores, "summary": result.summary, "options": result.options,
                     "unread_inputs": unread})
    return {name: (out / f"{name}.csv").read_bytes() for name in FILES}


def _files(out):
    return {name: (out / f"{name}.csv").read_bytes() for name in FILES}


def _partitioned(tmp_path, parts=3):
    """The sample as a Parquet folder: usage split into `parts` files by partner."""
    folder = tmp_path / "data"
    (folder / "usage").mkdir(parents=True)
    data = read_data(SAMPLE_DIR)
    usage = data.usage.collect()
    ids = sorted(usage["partner_id"].unique().to_list())
    size = -(-len(ids) // parts)
    for number in range(parts):
        chunk = ids[number * size:(number + 1) * size]
        usage.filter(pl.col("partner_id").is_in(chunk)).write_parquet(folder / "usage" / f"part-{number:05d}.parquet")
    for name in ("certifications", "partners", "enrollments"):
        shutil.copy(SAMPLE_DIR / f"{name}.csv", folder / f"{name}.csv")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("rows_per_chunk, workers", [(10**9, 1), (4_000, 1), (9_000, 2)])
def test_chunks_write_the_same_bytes_as_scoring_at_once(tmp_path, at_once, rows_per_chunk, workers):
    run = score_portfolio(SAMPLE_DIR, tmp_path / "out", as_of=AS_OF, rows_per_chunk=rows_per_chunk,
                          workers=workers)
    assert _files(tmp_path / "out") == at_once
    assert run.partners == 50
    assert (run.chunks == 1) == (rows_per_chunk == 10**9)
    assert run.chunks > 1 or rows_per_chunk == 10**9
    assert run.summary.height == pl.read_csv(tmp_path / "out" / "summary.csv").height
    assert not list((tmp_path / "out").glob(".pcs-*")), "the staging folder and the lock are removed"


def test_chunks_are_contiguous_ranges_of_partners_and_cover_them_all():
    ranges, partners = plan_chunks(SAMPLE_DIR, 4_000)
    ids = read_data(SAMPLE_DIR).partner_ids()
    assert partners == len(ids) == 50
    covered = [pid for r in ranges for pid in ids if r.first <= pid <= r.last]
    assert covered == ids, "every partner in exactly one chunk, in order"
    assert [r.blank for r in ranges] == [True] + [False] * (len(ranges) - 1)


def test_a_partitioned_parquet_folder_scores_like_the_csv_folder(tmp_path, at_once):
    folder = _partitioned(tmp_path)
    score_portfolio(folder, tmp_path / "out", as_of=AS_OF, rows_per_chunk=5_000)
    assert _files(tmp_path / "out") == at_once
    assert read_data(folder).usage.collect().height == read_data(SAMPLE_DIR).usage.collect().height


def test_a_chunk_opens_only_the_files_holding_its_partners(tmp_path):
    folder = _partitioned(tmp_path, parts=5)
    ranges, _ = plan_chunks(folder, 4_000)
    files = sorted(p.name for p in (folder / "usage").iterdir())
    assert all(r.usage_files and set(r.usage_files) < set(files) for r in ranges)
    assert sorted({f for r in ranges for f in r.usage_files}) == files
    for r in ranges:  # a file it skips holds none of its partners
        for name in set(files) - set(r.usage_files):
            ids = pl.read_parquet(folder / "usage" / name)["partner_id"]
            assert not ids.is_between(r.first, r.last).any()


def test_a_range_of_partners_reads_only_their_rows(tmp_path):
    folder = _partitioned(tmp_path)
    data = read_data(folder, partners=PartnerRange("P010", "P019"))
    assert data.partner_ids() == [f"P0{i}" for i in range(10, 20)]
    assert data.usage.collect().height == read_data(SAMPLE_DIR).only_partners(
        [f"P0{i}" for i in range(10, 20)]).usage.collect().height


@pytest.mark.slow
def test_a_problem_in_one_chunk_names_the_file_rows_and_leaves_no_output(tmp_path):
    folder = _partitioned(tmp_path)
    part = folder / "usage" / "part-00002.parquet"
    usage = pl.read_parquet(part)
    bad = usage.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(-5).otherwise(pl.col("paid_units"))
                             .alias("paid_units"))
    bad.write_parquet(part)
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.csv").write_text("kept\n")
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(DataValidationError) as caught:
        score_portfolio(folder, out, as_of=AS_OF, rows_per_chunk=4_000)
    [problem] = caught.value.problems
    assert (problem.file, problem.column, problem.rows) == (str(part), "paid_units", (8,))
    assert (out / "scores.csv").read_text() == "kept\n" and (out / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "scores.csv"]


def test_a_key_repeated_across_files_is_named_in_both(tmp_path):
    folder = _partitioned(tmp_path)
    first = pl.read_parquet(folder / "usage" / "part-00000.parquet")
    pl.concat([pl.read_parquet(folder / "usage" / "part-00001.parquet"), first.head(1)]).write_parquet(
        folder / "usage" / "part-00001.parquet")
    rows = pl.read_parquet(folder / "usage" / "part-00001.parquet").height
    with pytest.raises(DataValidationError) as caught:
        read_data(folder)
    found = {(p.file.rsplit("/", 1)[-1], p.rows) for p in caught.value.problems}
    assert found == {("part-00000.parquet", (1,)), ("part-00001.parquet", (rows,))}
    assert all("another file" in p.message for p in caught.value.problems)


@pytest.mark.slow
def test_rows_without_a_partner_id_are_reported_when_chunked(tmp_path):
    folder = _partitioned(tmp_path)
    part = folder / "usage" / "part-00001.parquet"
    usage = pl.read_parquet(part)
    usage.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("  ")).otherwise(pl.col("partner_id"))
                       .alias("partner_id")).write_parquet(part)
    with pytest.raises(DataValidationError) as caught:
        score_portfolio(folder, tmp_path / "out", as_of=AS_OF, rows_per_chunk=4_000)
    assert [(p.file, p.column, p.rows) for p in caught.value.problems] == [(str(part), "partner_id", (4,))]


@pytest.mark.slow
def test_the_same_chunks_run_on_a_dask_cluster(tmp_path, at_once):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = score_portfolio(SAMPLE_DIR, tmp_path / "out", as_of=AS_OF, rows_per_chunk=9_000,
                              scheduler=cluster.scheduler_address)
    assert run.chunks > 1
    assert _files(tmp_path / "out") == at_once


def test_the_generated_dataset_is_written_block_by_block(tmp_path):
    folder = tmp_path / "big"
    usage_rows, _ = write_sample_dataset(folder, partners=25, seed=3, block=10)
    files = sorted(p.name for p in (folder / "usage").iterdir())
    assert files == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    data = read_data(folder)
    assert data.partner_ids() == [f"P{i:03d}" for i in range(1, 26)]
    assert data.usage.collect().height == usage_rows
    first = generate_sample(partners=10, seed=3, id_digits=3).usage.sort("partner_id", "tenant_id", "month")
    # the optional customer_name column, empty in generated data, is not written
    assert pl.read_parquet(folder / "usage" / "part-00000.parquet").equals(first.drop("customer_name"))
    # written again over its own files: replaced; over a folder holding other files: refused
    write_sample_dataset(folder, partners=12, seed=3, block=10)
    assert len(list((folder / "usage").iterdir())) == 2
    (folder / "usage" / "notes.txt").write_text("mine")
    with pytest.raises(PcsError, match="other than generated part files"):
        write_sample_dataset(folder, partners=12, seed=3, block=10)
    assert (folder / "usage" / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_a_usage_csv_is_read_once_for_all_chunks(tmp_path, at_once, monkeypatch):
    """Chunks of a CSV folder read the rows split from the file in one pass, not the whole file
    each: the file's own reader is never called on it, and the bytes are those of one pass."""
    from pcs_analysis.inputs import read
    whole_reads = []
    original = read._typed_frame

    def recording(path, schema, partners):
        if path.name == "usage.csv":
            whole_reads.append(partners)
        return original(path, schema, partners)

    monkeypatch.setattr(read, "_typed_frame", recording)
    run = score_portfolio(SAMPLE_DIR, tmp_path / "out", as_of=AS_OF, rows_per_chunk=4_000)
    assert run.chunks > 5 and whole_reads == []
    assert _files(tmp_path / "out") == at_once


@pytest.mark.slow
def test_a_problem_in_a_split_csv_names_its_lines(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, folder)
    lines = (folder / "usage.csv").read_text().splitlines()
    fields = lines[30_000].split(",")
    fields[6] = "-3"                                  # paid_units of line 30,001
    lines[30_000] = ",".join(fields)
    (folder / "usage.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as caught:
        score_portfolio(folder, tmp_path / "out", as_of=AS_OF, rows_per_chunk=4_000)
    assert [(p.file, p.column, p.rows, p.label) for p in caught.value.problems] == [
        (str(folder / "usage.csv"), "paid_units", (30_001,), "line")]
    with pytest.raises(DataValidationError) as once:
        score_portfolio(folder, tmp_path / "out", as_of=AS_OF)
    assert once.value.problems == caught.value.problems
