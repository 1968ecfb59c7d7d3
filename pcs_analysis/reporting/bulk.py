"""Per-partner reports in bulk: `notebooks/partner_report.ipynb` executed with papermill for each
partner, in worker processes, and published as self-contained HTML without input cells.

- Each execution gets its own kernel on an IPC transport with a unique socket path (no TCP port
  races between parallel kernels), the explicit kernel name `python3` of the environment, and a
  per-cell timeout; a failing or hanging partner never stops the others.
- Charts are drawn as static SVG in the kernel, so a report opens with no network.
- A manifest (CSV and JSON) has one row per partner: status (ok, failed, timeout), the failing cell
  and message, duration, output path and a hash of the inputs (data, parameters, rulebook,
  notebook). Re-running skips partners done with the same hash and retries the rest.
- Every file is written to a temporary name and renamed: a run killed at any moment leaves no
  half-written report and can be resumed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from pcs_analysis.config import PACKAGE_DIR, RULES_DIR
from pcs_analysis.errors import PcsError
from pcs_analysis.reporting.export import chromium_path, run_one
from pcs_analysis.reporting.jobs import MESSAGE_CHARS, NOTEBOOK, START_TIMEOUT, Job, Outcome, PrepareJob
from pcs_analysis.reporting.pool import chunks, worker_pool
from pcs_analysis.reporting.portfolio import read_manifest, write_index, write_manifest
from pcs_analysis.reporting.progress import Progress, Tracker


def safe_name(partner_id: str) -> str:
    """A file name for any partner id: letters, digits, '-' and '_' kept, the rest replaced, and
    a short hash of the id appended when anything was replaced (so distinct ids stay distinct).

    Examples
    --------
    >>> safe_name("P001"), safe_name("../evil id")[:9]
    ('P001', '___evil_i')
    """
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", partner_id)[:60] or "partner"
    if cleaned != partner_id:
        cleaned += "-" + hashlib.sha256(partner_id.encode()).hexdigest()[:8]
    return cleaned


def inputs_hash(data_dir: Path, rules_version: str, notebook: Path) -> str:
    """What a report depends on besides its parameters: every file of the data folder (the files
    of a partitioned table included), the rulebook, the notebook and the report code."""
    return hashlib.sha256("|".join([
        _digest((p for p in data_dir.rglob("*") if p.is_file()
                 and not any(part.startswith(".") for part in p.relative_to(data_dir).parts)), root=data_dir),
        _digest((RULES_DIR / rules_version).glob("*.toml")),
        _digest([notebook]),
        _digest(PACKAGE_DIR / name for name in ("reporting/partner.py", "reporting/page.py",
                                                "present/charts.py", "present/html.py")),
    ]).encode()).hexdigest()


def _digest(paths: Iterable[Path], root: Path | None = None) -> str:
    """One hash of the files' names (below `root`, else their own) and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(root) if root else path.name).encode())
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def run_reports(data_dir: str | Path, *, as_of: dt.date, out: str | Path, partners: list[str] | None = None,
                workers: int = 2, timeout: int = 600, rules_version: str | None = None, top: int = 3,
                notebook: str | Path = NOTEBOOK, progress: Callable[[Progress], None] | None = None,
                scheduler: str | None = None, wall_limit: float | None = None, pdf: bool = False) -> pl.DataFrame:
    """Run the report notebook for each partner (all by default); returns the manifest. With
    `scheduler` (a Dask distributed address such as tcp://host:8786) the same jobs run on that
    cluster, with the same manifest, resume and failure handling.

    `timeout` limits each cell; `wall_limit` the whole notebook (by default the kernel's start-up
    plus `timeout` for every code cell). With `pdf`, each report is also printed to PDF by
    Debian's Chromium in headless mode (never a downloaded browser).

    Two stages: the partners' reports are first prepared in a few portfolio-wide passes of the
    engine (`report.build_reports`, one chunk of partners per job), then the notebook runs once
    per partner and only displays its prepared report."""
    from pcs_analysis.analysis.folders import load_folder

    data_dir, out = Path(data_dir).resolve(), Path(out).resolve()    # kernels run in a folder of their own
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=partners)
    if pdf:
        chromium_path()
    ids = data.partner_ids()
    (out / "reports").mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        base_hash = inputs_hash(data_dir, rules.version, Path(notebook))
        if wall_limit is None:
            cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
            wall_limit = START_TIMEOUT + timeout * (1 + sum(c["cell_type"] == "code" for c in cells))
        previous = read_manifest(out)
        jobs, outcomes = [], {}
        ipc_dir = tempfile.mkdtemp(prefix="pcs-ipc-")
        staging = out / f".prepared-{uuid.uuid4().hex[:12]}"
        for pid in ids:
            params = {"data_dir": str(data_dir), "as_of": as_of.isoformat(), "rules_version": rules.version,
                      "partner_id": pid, "top": top, "chart_renderer": "svg"}
            digest = hashlib.sha256((base_hash + json.dumps({**params, "pdf": pdf}, sort_keys=True)).encode()
                                    ).hexdigest()[:16]
            target = out / "reports" / f"{safe_name(pid)}.html"
            printed = target.with_suffix(".pdf")
            done = previous.get(pid)
            if (done and done["status"] in ("ok", "skipped") and done["inputs_hash"] == digest and target.exists()
                    and (not pdf or printed.exists())):
                outcomes[pid] = Outcome(pid, "skipped", None, "", 0.0, 0.0, str(target.relative_to(out)), digest,
                                        str(printed.relative_to(out)) if pdf else "")
                continue
            params["prepared"] = str(staging / safe_name(pid))
            jobs.append(Job(pid, params, str(notebook), str(target), digest, timeout, ipc_dir, wall_limit, pdf))
        tell = Tracker(len(jobs), len(ids) - len(jobs), progress)
        try:
            with worker_pool(workers, scheduler) as run:
                ready = _prepare_all(jobs, data_dir, rules.version, as_of, top, workers, run, outcomes, tell)
                tell.reports()
                for job, outcome in run(run_one, [j for j in jobs if j.partner_id in ready]):
                    if isinstance(outcome, BaseException):
                        outcome = Outcome(job.partner_id, "failed", None, f"worker error: {outcome}", 0.0, 0.0, "",
                                          job.inputs_hash)
                    outcome.prepare_seconds = ready[job.partner_id]
                    outcome.html = str(Path(outcome.html).relative_to(out)) if outcome.html else ""
                    outcome.pdf = str(Path(outcome.pdf).relative_to(out)) if outcome.pdf else ""
                    outcomes[job.partner_id] = outcome
                    write_manifest(out, [outcomes.get(p) or _pending(previous, p) for p in ids])
                    tell.finished(outcome)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(ipc_dir, ignore_errors=True)
        manifest = write_manifest(out, [outcomes[p] for p in ids])
        write_index(out, data, rules, as_of, manifest)
        tell.close()
        return manifest


@contextmanager
def _exclusive(out: Path):
    """Hold the run folder for one run at a time, and clear what a killed run left: temporary
    files and preparation folders (finished reports and the manifest are kept, for resuming)."""
    import fcntl

    with open(out / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PcsError(f"{out}: another `pcs reports` run is writing to this folder") from None
        for stale in [*out.glob(".prepared-*"), *out.glob(".*.tmp"), *(out / "reports").glob(".*.tmp")]:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        yield


def _prepare_all(jobs: list[Job], data_dir: Path, rules_version: str, as_of: dt.date, top: int, workers: int,
                 run, outcomes: dict, tell: Tracker) -> dict[str, float]:
    """Prepare every job's report; returns the prepared partners with their share of the
    preparation time. A chunk that fails is retried partner by partner, so one partner's failure
    does not stop the others; a partner that still fails gets a failed outcome."""
    ready: dict[str, float] = {}
    todo = chunks(jobs, workers)
    tell.prepared(0)
    for first_round in (True, False):
        retry: list[Job] = []
        work = [(PrepareJob(str(data_dir), rules_version, as_of, top,
                            {j.partner_id: j.parameters["prepared"] for j in chunk}), chunk) for chunk in todo]
        chunk_of = {id(prepare): chunk for prepare, chunk in work}
        for prepare, result in run(_prepare_chunk, [prepare for prepare, _ in work]):
            chunk = chunk_of[id(prepare)]
            if not isinstance(result, BaseException):
                ready.update({job.partner_id: result / len(chunk) for job in chunk})
                tell.prepared(len(chunk))
            elif first_round and len(chunk) > 1:
                retry.extend(chunk)
            else:
                for job in chunk:
                    message = f"preparing the report: {_message(result)}"[:MESSAGE_CHARS]
                    outcomes[job.partner_id] = Outcome(job.partner_id, "failed", None, message, 0.0, 0.0, "",
                                                       job.inputs_hash)
                    tell.finished(outcomes[job.partner_id])
        if not retry:
            break
        todo = [[job] for job in retry]
    return ready


def _prepare_chunk(job: PrepareJob) -> float:
    """Build, draw and save the reports of a chunk of partners; returns the seconds it took."""
    from pcs_analysis.analysis.folders import load_folder
    from pcs_analysis.reporting.partner import build_reports

    started = time.perf_counter()
    data, rules = load_folder(job.data_dir, rules_version=job.rules_version, partners=list(job.folders))
    for pid, report in build_reports(data, as_of=job.as_of, rules=rules, top=job.top).items():
        report.draw().save(job.folders[pid])
    return time.perf_counter() - started


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _pending(previous: dict, pid: str) -> Outcome:
    row = previous.get(pid)
    if row:
        return Outcome(pid, row["status"], row["cell"], row["message"], row["seconds"],
                       row.get("prepare_seconds") or 0.0, row["html"], row["inputs_hash"], row.get("pdf") or "")
    return Outcome(pid, "pending", None, "", 0.0, 0.0, "", "")


def check_partners(text: str | None) -> list[str] | None:
    """Partner ids from a comma-separated list or a file of one id per line."""
    if not text:
        return None
    path = Path(text)
    if path.is_file():
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    ids = [p.strip() for p in text.split(",") if p.strip()]
    if not ids:
        raise PcsError("--partners names no partner")
    return ids
