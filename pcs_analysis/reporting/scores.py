"""`pcs score` of a whole data folder in partner chunks: bounded memory on one machine, the same
chunks on a Dask cluster beyond it.

Scoring is independent per partner, so the partners are cut into contiguous ranges of their
sorted ids with about `rows_per_chunk` usage rows each (`inputs.chunks`). Each chunk reads only
its partners' rows (Parquet row groups of other partners are skipped), is validated and
scored, and writes its rows of the output files into a staging folder inside the output folder.
The parts are then joined in partner order, so the files are byte for byte those of scoring
everything at once, and committed only when every chunk succeeded and no input changed
(`output.staged`): a problem in any chunk leaves no output.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pcs_analysis.config import ROWS_PER_CHUNK
from pcs_analysis.errors import DataValidationError, PcsError, Problem
from pcs_analysis.inputs.chunks import check_unchanged, chunk_plan, input_identity, split_usage_csv
from pcs_analysis.inputs.read import PartnerRange, read_data
from pcs_analysis.inputs.unread import (
    describe_unread,
    merge_unread,
    not_read,
    unread_inputs,
    usage_months,
    warnings_for_months,
)
from pcs_analysis.output import DATE_FORMAT, check_output_folder, staged

#: The files `pcs score` writes, in the order they are joined.
OUTPUTS = ("scores", "summary", "options")


@dataclass(frozen=True)
class ScoreJob:
    """One chunk of a scoring run: what a worker (a local process or a Dask worker) needs. The
    data folder and the staging folder must be paths every worker sees."""

    data_dir: str
    staging: str
    number: int
    partners: PartnerRange | None
    as_of: dt.date
    rules_version: str | None
    lag: bool
    areas: tuple[str, ...] | None


@dataclass(frozen=True)
class ChunkDone:
    """What a chunk returns: its problems (nothing was written then), or its summary rows, its
    unread inputs and the months its usage rows span."""

    number: int
    problems: list[Problem] = field(default_factory=list)
    summary: pl.DataFrame | None = None
    unread: pl.DataFrame | None = None
    months: tuple[dt.date | None, dt.date | None] = (None, None)


@dataclass(frozen=True)
class ScoreRun:
    """The outcome of `score_portfolio`: the summary rows (for the terminal), the unread inputs,
    the data-month warnings, and how the work was cut."""

    summary: pl.DataFrame
    unread: pl.DataFrame
    warnings: list[str]
    chunks: int
    partners: int


def score_chunk(job: ScoreJob) -> ChunkDone:
    """Read, validate and score one chunk of partners; write its parts of the output files."""
    from pcs_analysis.engine.scoring import score
    from pcs_analysis.rules import load_rules

    rules = load_rules(job.rules_version)
    try:
        data = read_data(job.data_dir, rules=rules, partners=job.partners)
    except DataValidationError as exc:
        return ChunkDone(job.number, problems=list(exc.problems))
    result = score(data, as_of=job.as_of, rules=rules, lag=job.lag, areas=list(job.areas) if job.areas else None)
    for name in OUTPUTS:
        getattr(result, name).write_csv(Path(job.staging) / f"{name}.{job.number:05d}.part",
                                        include_header=job.number == 0, date_format=DATE_FORMAT)
    return ChunkDone(job.number, summary=result.summary, unread=unread_inputs(data, rules=rules),
                     months=usage_months(data))


def score_portfolio(data_dir: str | Path, out: str | Path, *, as_of: dt.date, rules_version: str | None = None,
                    lag: bool = True, areas: list[str] | None = None, strict: bool = False,
                    rows_per_chunk: int = ROWS_PER_CHUNK, workers: int = 1, scheduler: str | None = None,
                    on_chunk: Callable[[int, int], None] | None = None) -> ScoreRun:
    """Score every partner of a data folder into OUT/scores.csv, summary.csv, options.csv and
    unread_inputs.csv, chunk by chunk (see the module's description).

    Parameters
    ----------
    rows_per_chunk
        Usage rows per chunk (a partner is never split); memory grows with it, not with the
        portfolio.
    workers
        Local worker processes (1: in this process).
    scheduler
        The address of a Dask distributed scheduler (`tcp://HOST:PORT`): the chunks run on its
        workers, which must see `data_dir` and `out` at the same paths.
    on_chunk
        Called with (chunks done, chunks) as chunks finish.

    Raises
    ------
    DataValidationError
        Every problem of every chunk, as one reading of the whole folder would list them.
    """
    from pcs_analysis.rules import load_rules

    rules = load_rules(rules_version)
    data_dir, out = Path(data_dir), check_output_folder(out)
    if not data_dir.is_dir():
        raise PcsError(f"{data_dir}: data folder not found")
    _check_targets(out, [*OUTPUTS, "unread_inputs"])
    ranges, partners, chunk_of = chunk_plan(data_dir, rows_per_chunk)
    inputs = input_identity(data_dir)
    with staged(out, what="pcs score") as stage:
        ranges = split_usage_csv(data_dir, ranges, chunk_of, stage.file("usage-parts"))
        jobs = [ScoreJob(str(data_dir.absolute()), str(stage.path.absolute()), number, partner_range, as_of,
                         rules_version, lag, tuple(areas) if areas else None)
                for number, partner_range in enumerate(ranges)]
        done = _run(jobs, workers, scheduler, on_chunk)
        problems = _merged_problems([p for d in done for p in d.problems])
        if problems:
            raise DataValidationError(problems)
        unread = merge_unread([d.unread for d in done], rules)
        if strict and not_read(unread).height:
            raise PcsError(f"{data_dir}: --strict: inputs no rule reads\n{describe_unread(unread)}")
        firsts = [d.months[0] for d in done if d.months[0] is not None]
        months = (min(firsts), max(d.months[1] for d in done if d.months[1] is not None)) if firsts else (None, None)
        _join_parts(stage.path, len(jobs))
        unread.write_csv(stage.file("unread_inputs.csv"), date_format=DATE_FORMAT)
        check_unchanged(data_dir, inputs)
        stage.commit([f"{name}.csv" for name in (*OUTPUTS, "unread_inputs")])
    summary = pl.concat([d.summary for d in done]) if done else pl.DataFrame()
    return ScoreRun(summary=summary, unread=unread, warnings=warnings_for_months(months, rules, as_of, lag=lag),
                    chunks=len(jobs), partners=partners)


def _run(jobs: list[ScoreJob], workers: int, scheduler: str | None,
         on_chunk: Callable[[int, int], None] | None) -> list[ChunkDone]:
    done: list[ChunkDone] = []
    if len(jobs) == 1 and not scheduler:
        done.append(score_chunk(jobs[0]))
    else:
        from pcs_analysis.reporting.pool import worker_pool

        with worker_pool(min(workers, len(jobs)), scheduler) as run:
            for job, outcome in run(score_chunk, jobs):
                if isinstance(outcome, BaseException):
                    raise PcsError(f"scoring the partners {_describe(job.partners)} failed: "
                                   f"{type(outcome).__name__}: {outcome}") from outcome
                done.append(outcome)
                if on_chunk:
                    on_chunk(len(done), len(jobs))
    return sorted(done, key=lambda d: d.number)


def _describe(partners: PartnerRange | None) -> str:
    return "of the whole folder" if partners is None else f"{partners.first} to {partners.last}"


def _merged_problems(problems: list[Problem]) -> list[Problem]:
    """One problem per file, column and message, with the rows of every chunk (a missing column
    or file is found by every chunk, but is one problem)."""
    merged: dict[tuple, list[int]] = {}
    for p in problems:
        merged.setdefault((p.file, p.column, p.message, p.label), []).extend(p.rows)
    return [Problem(file, column, tuple(sorted(set(rows))), message, label)
            for (file, column, message, label), rows in merged.items()]


def _join_parts(staging: Path, chunks: int) -> None:
    """Each output file from its chunks' parts, in partner order (the first part has the header)."""
    for name in OUTPUTS:
        with open(staging / f"{name}.csv", "wb") as target:
            for number in range(chunks):
                part = staging / f"{name}.{number:05d}.part"
                with open(part, "rb") as source:
                    shutil.copyfileobj(source, target, length=1 << 20)
                part.unlink()
        (staging / f"{name}.csv").chmod(0o644)


def _check_targets(out: Path, names: list[str]) -> None:
    """Refuse, before any work, to replace a folder or a link of the output folder."""
    for name in names:
        target = out / f"{name}.csv"
        if target.is_dir() or target.is_symlink():
            raise PcsError(f"{target}: is a folder or a link; it would be replaced: remove it or choose "
                           "another folder")
