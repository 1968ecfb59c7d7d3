"""Every bad input refused clearly, and nothing of the user's ever lost.

A fixed catalogue of broken inputs (types, encodings, delimiters, duplicates, NaN/inf, extreme
dates, empty and huge fields, wrong Parquet schemas, missing or renamed columns, symlinks) is run
through every command that reads data. Each run must end with exit 0 or 2, never a traceback; on
2 the output folder is byte-for-byte what it was and no file outside it changed, and the message
names the file and stays short.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pcs_analysis.cli import app
from pcs_analysis.config import SAMPLE_DIR
from tests.builders import FIXTURES

AS_OF = ["--as-of", "2026-11-21"]
RUNNER = CliRunner()


def _tiny(folder: Path, partners: tuple[str, ...] = ("P005",)) -> None:
    """One sample partner's tables (fast to score with every command)."""
    folder.mkdir()
    for table in ("usage", "certifications", "partners"):
        frame = pl.read_csv(SAMPLE_DIR / f"{table}.csv", infer_schema_length=0)
        frame.filter(pl.col("partner_id").is_in(partners)).write_csv(folder / f"{table}.csv")


def _lines(folder: Path, table: str) -> list[str]:
    return (folder / f"{table}.csv").read_text().splitlines()


def _edit(table: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / f"{table}.csv").write_text("\n".join(change(_lines(folder, table))) + "\n")
    return mutate


def _cell(table: str, column: str, value: str, row: int = 1) -> Callable[[Path], None]:
    def change(lines: list[str]) -> list[str]:
        names = lines[0].split(",")
        fields = lines[row].split(",")
        fields[names.index(column)] = value
        return [*lines[:row], ",".join(fields), *lines[row + 1:]]
    return _edit(table, change)


def _latin1(folder: Path) -> None:
    text = (folder / "usage.csv").read_text()
    (folder / "usage.csv").write_bytes(text.replace("Teams", "Téams", 1).encode("latin-1"))


def _parquet(change: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        frame = pl.read_csv(folder / "usage.csv", infer_schema_length=0)
        (folder / "usage.csv").unlink()
        change(frame).write_parquet(folder / "usage.parquet")
    return mutate


def _revenue_nan(frame: pl.DataFrame) -> pl.DataFrame:
    revenue = pl.col("revenue_usd").cast(pl.Float64)
    return frame.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(float("nan")).otherwise(revenue)
                              .alias("revenue_usd"))


def _symlink(folder: Path) -> None:
    (folder / "usage.csv").unlink()
    os.symlink(folder / "missing" / "usage.csv", folder / "usage.csv")


def _folder(folder: Path) -> None:
    (folder / "usage.csv").unlink()
    (folder / "usage.csv").mkdir()


def _both(folder: Path) -> None:
    pl.read_csv(folder / "usage.csv", infer_schema_length=0).write_parquet(folder / "usage.parquet")


def _garbage(folder: Path) -> None:
    (folder / "certifications.csv").write_bytes(bytes(range(256)) * 40)


CANONICAL: dict[str, Callable[[Path], None]] = {
    "nan revenue": _cell("usage", "revenue_usd", "NaN"),
    "inf revenue": _cell("usage", "revenue_usd", "inf"),
    "overflowing revenue": _cell("usage", "revenue_usd", "1e999"),
    "negative paid units": _cell("usage", "paid_units", "-3"),
    "text in a number": _cell("usage", "active_units", "many"),
    "bad month": _cell("usage", "month", "2026-13-01"),
    "month 9999": _cell("usage", "month", "9999-12-01"),
    "earned in year 1": _cell("certifications", "earned_on", "0001-01-01"),
    "unknown association": _cell("usage", "association", "RESELLER"),
    "huge workload name": _cell("usage", "workload", "W" * 300_000),
    "empty partner id": _cell("usage", "partner_id", ""),
    "ragged row": _edit("usage", lambda ls: [*ls, ls[1] + ",EXTRA,MORE"]),
    "unclosed quote": _edit("usage", lambda ls: [*ls, '"' + ls[1]]),
    "duplicated rows": _edit("usage", lambda ls: [*ls, ls[1], ls[1]]),
    "semicolons": _edit("usage", lambda ls: [line.replace(",", ";") for line in ls]),
    "tabs": _edit("certifications", lambda ls: [line.replace(",", "\t") for line in ls]),
    "missing column": _edit("usage", lambda ls: [",".join(line.split(",")[:-2]) for line in ls]),
    "renamed column": _edit("usage", lambda ls: [ls[0].replace("tenant_id", "TenantId"), *ls[1:]]),
    "header only": _edit("usage", lambda ls: ls[:1]),
    "empty file": _edit("certifications", lambda ls: []),
    "byte order mark": _edit("usage", lambda ls: ["\ufeff" + ls[0], *ls[1:]]),
    "windows line ends": _edit("usage", lambda ls: [line + "\r" for line in ls]),
    "latin-1": _latin1,
    "binary garbage": _garbage,
    "parquet with NaN": _parquet(_revenue_nan),
    "parquet with text revenue": _parquet(lambda f: f.with_columns(pl.lit("lots").alias("revenue_usd"))),
    "parquet without a column": _parquet(lambda f: f.drop("workload")),
    "csv and parquet": _both,
    "broken symlink": _symlink,
    "folder named usage.csv": _folder,
}

COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "score": lambda d, o: ["score", str(d), *AS_OF, "--out", str(o), "-q"],
    "explain": lambda d, o: ["explain", str(d), "P005", *AS_OF, "--out", str(o), "--area", "modern_work"],
    "history": lambda d, o: ["history", str(d), *AS_OF, "--out", str(o), "--area", "modern_work"],
    "status": lambda d, o: ["status", str(d), *AS_OF, "--out", str(o), "--area", "modern_work"],
    "recommend": lambda d, o: ["recommend", str(d), *AS_OF, "--out", str(o), "--area", "modern_work"],
    "sensitivity": lambda d, o: ["sensitivity", str(d), *AS_OF, "--out", str(o), "--area", "modern_work",
                                 "--param", "min_total_points=60,70"],
    "tracks": lambda d, o: ["tracks", str(d), "P005", *AS_OF, "--out", str(o), "--area", "modern_work"],
    "plan": lambda d, o: ["plan", str(d), "P005", *AS_OF, "--out", str(o), "--area", "modern_work"],
    "forecast": lambda d, o: ["forecast", str(d), "P005", *AS_OF, "--out", str(o), "--area", "modern_work",
                              "--paths", "50"],
}


def _snapshot(root: Path) -> dict[str, str]:
    """Every file and link under `root` with a hash of its content (links: their target)."""
    out = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = "link:" + str(os.readlink(path))
        elif path.is_file():
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[key] = "dir"
    return out


def _run(args: list[str]):
    result = RUNNER.invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback
        trace = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"{' '.join(a[:80] for a in args)} raised instead of exiting 2:\n{trace}")
    return result


def _check(root: Path, args: list[str], out: Path, must_fail: bool | None) -> None:
    """Run one command with an output folder holding a file of the user's; exit 0 or 2; on 2
    nothing anywhere under `root` changed and the message is short and names a file."""
    out.mkdir(exist_ok=True)
    (out / "notes.txt").write_text("the user's own file\n")
    before = _snapshot(root)
    result = _run(args)
    assert result.exit_code in (0, 2), (args[:2], result.exit_code, result.output[-2000:])
    if must_fail is not None:
        assert (result.exit_code == 2) == must_fail, (args[:2], result.output[-2000:])
    if result.exit_code == 2:
        assert _snapshot(root) == before
        assert result.output.startswith("error: ") and len(result.output) < 4000, result.output[:4000]
    else:
        assert (out / "notes.txt").read_text() == "the user's own file\n"


#: Inputs that are odd but valid: every command must finish (exit 0).
VALID = {"month 9999", "earned in year 1", "header only", "byte order mark", "windows line ends",
         "huge workload name"}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(CANONICAL))
def test_every_command_refuses_a_bad_canonical_input_cleanly(tmp_path, mutation):
    data = tmp_path / "data"
    _tiny(data)
    CANONICAL[mutation](data)
    for name, command in COMMANDS.items():
        if mutation in VALID and name in ("tracks", "recommend", "sensitivity") and mutation != "header only":
            continue  # the slow commands on valid data are covered by their own tests
        _check(tmp_path, command(data, tmp_path / f"out-{name}"), tmp_path / f"out-{name}",
               must_fail=mutation not in VALID)
    # Scored in chunks (one per partner), the same input gives the same exit and message as one pass.
    two = tmp_path / "two"
    _tiny(two, ("P005", "P006"))
    CANONICAL[mutation](two)
    outputs = []
    for label, chunking in (("once", []), ("chunks", ["--chunk-rows", "1"])):
        out = tmp_path / f"out-score-{label}"
        _check(tmp_path, ["score", str(two), *AS_OF, "--out", str(out), "-q", *chunking], out,
               must_fail=mutation not in VALID)
        again = _run(["score", str(two), *AS_OF, "--out", str(out), "-q", *chunking])
        outputs.append((again.exit_code, again.output.replace(str(out), "OUT"), sorted(p.name for p in out.iterdir())))
    assert outputs[0] == outputs[1]
    if mutation not in VALID:  # bulk reports: refused before a run folder or a lock is made
        out = tmp_path / "run"
        _check(tmp_path, ["reports", str(data), *AS_OF, "--out", str(out), "--partners", "P005"], out,
               must_fail=True)


def test_messages_point_at_the_file_line_and_what_was_expected(tmp_path):
    cases = {
        "ragged row": "line 16: has 13 fields where the header has 11",
        "unclosed quote": "a quote is opened and never closed",
        "latin-1": "is not UTF-8 text",
        "semicolons": "looks separated by semicolons, not commas",
        "nan revenue": "column 'revenue_usd', line 2: expected a number (found: 'NaN')",
        "overflowing revenue": "column 'revenue_usd', line 2: expected a finite number",
        "parquet with NaN": "column 'revenue_usd', row 1: expected a number",
        "broken symlink": "is a broken symbolic link",
        "folder named usage.csv": "is a folder, not a file",
        "huge workload name": "(300,000 characters)",
    }
    for mutation, expected in cases.items():
        data = tmp_path / mutation.replace(" ", "_")
        _tiny(data)
        if mutation == "ragged row":
            CANONICAL[mutation] = _edit("usage", lambda ls: [*ls[:15], ls[1] + ",EXTRA,MORE", *ls[15:]])
        CANONICAL[mutation](data)
        result = _run(["score", str(data), *AS_OF, "--out", str(tmp_path / "out"), "-q"])
        text = result.output
        assert expected in text, (mutation, text[:2000])
        assert len(text) < 4000


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "0001-01-01"], "outside the days pcs can score"),
    (["--as-of", "2026-02-30"], "not a date"),
    (["--rules", "../../x"], "is not a rulebook version name"),
    (["--rules", "1999-01"], "no rulebook version '1999-01' is shipped"),
])
def test_bad_arguments_are_refused_with_exit_2(tmp_path, args, message):
    data = tmp_path / "data"
    _tiny(data)
    base = ["score", str(data), "--out", str(tmp_path / "out"), "-q"]
    if "--as-of" not in args:
        base += AS_OF
    _check(tmp_path, base + args, tmp_path / "out", must_fail=True)
    assert message in _run(base + args).output


def test_an_output_that_is_a_file_or_under_one_is_refused_for_every_command(tmp_path):
    data = tmp_path / "data"
    _tiny(data)
    blocker = tmp_path / "a-file"
    blocker.write_text("mine\n")
    for name, command in COMMANDS.items():
        for out in (blocker, blocker / "below"):
            before = _snapshot(tmp_path)
            result = _run(command(data, out))
            assert result.exit_code == 2 and "a-file" in result.output, (name, result.output)
            assert _snapshot(tmp_path) == before


def test_the_scored_month_without_data_is_a_warning(tmp_path):
    data = tmp_path / "data"
    _tiny(data)
    result = _run(["score", str(data), "--as-of", "2010-06-01", "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0
    expected = "warning: on 2010-06-01 Partner Center shows the data month 2010-04, which has no usage rows"
    assert expected in result.output


# --- Partner Center downloads -----------------------------------------------------------------

def _download_cell(name: str, column: str, value: str) -> Callable[[Path], None]:
    def mutate(src: Path) -> None:
        path = next(src.glob(f"{name}*.csv"))
        lines = path.read_text().splitlines()
        names = lines[0].split(",")
        fields = lines[1].split(",")
        fields[names.index(column)] = value
        path.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")
    return mutate


def _download_latin1(src: Path) -> None:
    path = next(src.glob("OfficeUsage*.csv"))
    path.write_bytes(path.read_text().replace("Contoso", "Contosé", 1).encode("latin-1"))


def _download_lines(name: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def mutate(src: Path) -> None:
        path = next(src.glob(f"{name}*.csv"))
        path.write_text("\n".join(change(path.read_text().splitlines())) + "\n")
    return mutate


DOWNLOADS: dict[str, Callable[[Path], None]] = {
    "nan revenue": _download_cell("AzureUsage", "AzureConsumedRevenueUSD", "NaN"),
    "inf revenue": _download_cell("DynamicsUsage", "BilledRevenueUSD", "inf"),
    "bad month": _download_cell("OfficeUsage", "Month", "13/45/2026"),
    "unknown attribution": _download_cell("OfficeUsage", "PartnerAttributionType", "Reseller"),
    "huge title": _download_cell("TrainingCompletions", "TrainingCompletionDate", "x" * 200_000),
    "latin-1": _download_latin1,
    "semicolons": _download_lines("AzureUsage", lambda ls: [line.replace(",", ";") for line in ls]),
    "ragged row": _download_lines("OfficeUsage", lambda ls: [*ls, ls[1] + ",X,Y"]),
    "renamed column": _download_lines("OfficeUsage", lambda ls: [ls[0].replace("Month", "Period"), *ls[1:]]),
    "empty file": _download_lines("TrainingCompletions", lambda ls: []),
}


@pytest.mark.parametrize("mutation", sorted(DOWNLOADS))
def test_the_import_refuses_bad_downloads_cleanly(tmp_path, mutation):
    src = tmp_path / "downloads"
    shutil.copytree(FIXTURES, src)
    DOWNLOADS[mutation](src)
    out = tmp_path / "canonical"
    _check(tmp_path, ["import", "partner-center", str(src), str(out)], out, must_fail=True)
    text = _run(["import", "partner-center", str(src), str(out)]).output
    assert "downloads/" in text or "downloads\\" in text, text[:1000]


def test_import_nan_revenue_names_the_download_its_column_and_line(tmp_path):
    src = tmp_path / "downloads"
    shutil.copytree(FIXTURES, src)
    DOWNLOADS["nan revenue"](src)
    text = _run(["import", "partner-center", str(src), str(tmp_path / "out")]).output
    assert "AzureUsage_2026-10.csv, column 'AzureConsumedRevenueUSD', line 2: expected a finite amount" in text


@pytest.mark.parametrize("where", ["same", "inside", "contains", "file"])
def test_the_import_never_writes_among_its_downloads(tmp_path, where):
    """`pcs import partner-center SRC OUT` with OUT equal to SRC, inside it, holding it or an
    existing file: refused before anything is read or written; the downloads are untouched."""
    src = tmp_path / "work" / "downloads"
    shutil.copytree(FIXTURES, src)
    (tmp_path / "work" / "a-file").write_text("mine\n")
    out = {"same": src, "inside": src / "canonical", "contains": tmp_path / "work",
           "file": tmp_path / "work" / "a-file"}[where]
    before = _snapshot(tmp_path)
    result = _run(["import", "partner-center", str(src), str(out)])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert _snapshot(tmp_path) == before


def test_the_import_keeps_other_files_of_its_output_folder(tmp_path):
    out = tmp_path / "canonical"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    assert _run(["import", "partner-center", str(FIXTURES), str(out)]).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine\n" and (out / "usage.csv").is_file()
    (out / "usage.parquet").write_bytes(b"")
    before = _snapshot(tmp_path)
    result = _run(["import", "partner-center", str(FIXTURES), str(out)])
    assert result.exit_code == 2 and "already holds this table as Parquet" in result.output
    assert _snapshot(tmp_path) == before
