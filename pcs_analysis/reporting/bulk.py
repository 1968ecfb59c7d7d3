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
import functools
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from pcs_analysis.config import PACKAGE_DIR, RULES_DIR
from pcs_analysis.errors import PcsError
from pcs_analysis.output import write_csv

NOTEBOOK = PACKAGE_DIR.parent / "notebooks" / "partner_report.ipynb"
KERNEL = "python3"
START_TIMEOUT = 60         # seconds a kernel may take to start
CHUNK = 200                # at most this many partners prepared in one scoring pass
MESSAGE_CHARS = 500        # a failure message is cut to this length in the manifest


@dataclass(frozen=True)
class Job:
    partner_id: str
    parameters: dict
    notebook: str
    html_path: str
    inputs_hash: str
    timeout: int
    ipc_dir: str
    wall_limit: float = 0.0    # seconds for the whole notebook, kernel start included (0: no limit)
    pdf: bool = False          # also print the report to PDF (Debian's Chromium)


@dataclass
class Outcome:
    partner_id: str
    status: str            # ok, failed, timeout, skipped (done before with the same inputs)
    cell: int | None
    message: str
    seconds: float         # running the notebook and writing the HTML
    prepare_seconds: float  # its share of preparing its chunk of partners
    html: str
    inputs_hash: str
    pdf: str = ""          # the report as PDF (with --pdf)


@dataclass(frozen=True)
class Progress:
    """Where a run stands, sent to `run_reports(progress=...)` after every step."""

    stage: str                  # "preparing", "reports" or "done"
    prepared: int               # partners whose report is prepared
    done: int                   # reports finished in this run (ok, failed or timeout)
    total: int                  # reports to make in this run
    counts: dict[str, int]      # outcomes so far per status, partners skipped included
    elapsed: float              # seconds since the run started
    left: float | None          # estimated seconds left, once a report has finished
    last: Outcome | None = None


class _Tracker:
    """Counts a run's steps and sends a `Progress` after each one."""

    def __init__(self, total: int, skipped: int, progress: Callable[[Progress], None] | None):
        self.total, self.progress = total, progress
        self.counts = {"skipped": skipped} if skipped else {}
        self.n_prepared = self.done = 0
        self.started = time.perf_counter()
        self.reports_started: float | None = None
        self.stage = "preparing"

    def prepared(self, count: int) -> None:
        self.n_prepared += count
        self._send(None)

    def reports(self) -> None:
        self.stage, self.reports_started = "reports", time.perf_counter()
        self._send(None)

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        self._send(outcome)

    def close(self) -> None:
        self.stage = "done"
        self._send(None)

    def _send(self, last: Outcome | None) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        left = None
        if self.stage == "done":
            left = 0.0
        elif self.stage == "reports" and self.done:
            left = (now - self.reports_started) / self.done * (self.total - self.done)
        self.progress(Progress(self.stage, self.n_prepared, self.done, self.total, dict(self.counts),
                               now - self.started, left, last))


class ProgressBar:
    """Draws a run's progress: a bar redrawn in place on a terminal, with counts per status and
    an estimate of the time left; one line per finished report anywhere else (logs, pipes)."""

    def __init__(self, stream=None, width: int = 28):
        self.stream = stream or sys.stderr
        self.width = width
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = 0

    def __call__(self, p: Progress) -> None:
        counts = " · ".join(f"{status} {n}" for status, n in sorted(p.counts.items()))
        if p.stage == "preparing":
            line = f"preparing reports: {p.prepared}/{p.total} partners · {_clock(p.elapsed)} elapsed"
        else:
            filled = round(self.width * p.done / p.total) if p.total else self.width
            left = "estimating" if p.left is None else f"about {_clock(p.left)} left"
            line = (f"reports [{'#' * filled}{'-' * (self.width - filled)}] {p.done}/{p.total}"
                    f"{' · ' + counts if counts else ''} · {_clock(p.elapsed)} elapsed · {left}")
            if p.stage == "done":
                line = f"reports: {p.done}/{p.total} made in {_clock(p.elapsed)}{' · ' + counts if counts else ''}"
        if self.live:
            self.stream.write("\r" + line.ljust(self.shown) + ("\n" if p.stage == "done" else ""))
            self.shown = len(line)
        elif p.last is not None or p.stage == "done" or (p.stage == "preparing" and p.prepared in (0, p.total)):
            last = f" · {p.last.partner_id} {p.last.status}" if p.last is not None else ""
            self.stream.write(line + last + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


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


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode())
        h.update(path.read_bytes())
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
        base_hash = hashlib.sha256("|".join([
            _digest(p for p in data_dir.iterdir() if p.is_file()),
            _digest((RULES_DIR / rules.version).glob("*.toml")),
            _digest([Path(notebook)]),
            _digest(PACKAGE_DIR / name for name in ("reporting/partner.py", "reporting/page.py",
                                                    "present/charts.py", "present/html.py")),
        ]).encode()).hexdigest()
        if wall_limit is None:
            cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
            wall_limit = START_TIMEOUT + timeout * (1 + sum(c["cell_type"] == "code" for c in cells))
        previous = _read_manifest(out)
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
        tell = _Tracker(len(jobs), len(ids) - len(jobs), progress)
        try:
            with _pool(workers, scheduler) as run:
                ready = _prepare_all(jobs, data_dir, rules.version, as_of, top, workers, run, outcomes, tell)
                tell.reports()
                for job, outcome in run(_run_one, [j for j in jobs if j.partner_id in ready]):
                    if isinstance(outcome, BaseException):
                        outcome = Outcome(job.partner_id, "failed", None, f"worker error: {outcome}", 0.0, 0.0, "",
                                          job.inputs_hash)
                    outcome.prepare_seconds = ready[job.partner_id]
                    outcome.html = str(Path(outcome.html).relative_to(out)) if outcome.html else ""
                    outcome.pdf = str(Path(outcome.pdf).relative_to(out)) if outcome.pdf else ""
                    outcomes[job.partner_id] = outcome
                    _write_manifest(out, [outcomes.get(p) or _pending(previous, p) for p in ids])
                    tell.finished(outcome)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(ipc_dir, ignore_errors=True)
        manifest = _write_manifest(out, [outcomes[p] for p in ids])
        _write_index(out, data, rules, as_of, manifest)
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


@dataclass(frozen=True)
class PrepareJob:
    data_dir: str
    rules_version: str
    as_of: dt.date
    top: int
    folders: dict[str, str]        # partner id -> the folder its prepared report goes to


def _chunks(jobs: list[Job], workers: int) -> list[list[Job]]:
    """Partners in chunks for the preparation: one scoring pass has a fixed cost of several
    seconds, so as few chunks as keep every worker busy, of at most CHUNK partners each."""
    if not jobs:
        return []
    count = max(workers, -(-len(jobs) // CHUNK))
    size = -(-len(jobs) // count)
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _prepare_all(jobs: list[Job], data_dir: Path, rules_version: str, as_of: dt.date, top: int, workers: int,
                 run, outcomes: dict, tell: _Tracker) -> dict[str, float]:
    """Prepare every job's report; returns the prepared partners with their share of the
    preparation time. A chunk that fails is retried partner by partner, so one partner's failure
    does not stop the others; a partner that still fails gets a failed outcome."""
    ready: dict[str, float] = {}
    todo = _chunks(jobs, workers)
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


@contextmanager
def _pool(workers: int, scheduler: str | None):
    """`run(fn, items)`: (item, result) pairs as they finish, on local worker processes or a Dask
    cluster; a result is the exception when the call raised or its worker died."""
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            def run(fn, items):
                futures = {client.submit(fn, item, pure=False, key=f"{fn.__name__}-{uuid.uuid4().hex}"): item
                           for item in items}
                yield from _collect(futures, dask_completed(futures))
            yield run
        return
    # spawned, not forked: a fork of a process whose polars thread pool is running can deadlock
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        def run(fn, items):
            futures = {pool.submit(fn, item): item for item in items}
            yield from _collect(futures, as_completed(futures))
        yield run


def _collect(futures: dict, finished):
    for future in finished:
        try:
            yield futures[future], future.result()
        except Exception as exc:
            yield futures[future], exc


def _pending(previous: dict, pid: str) -> Outcome:
    row = previous.get(pid)
    if row:
        return Outcome(pid, row["status"], row["cell"], row["message"], row["seconds"],
                       row.get("prepare_seconds") or 0.0, row["html"], row["inputs_hash"], row.get("pdf") or "")
    return Outcome(pid, "pending", None, "", 0.0, 0.0, "", "")


def _run_one(job: Job) -> Outcome:
    """Execute one partner's notebook and export it; never raises for a notebook failure.

    Besides the per-cell timeout, a watchdog stops the kernel when the whole notebook passes its
    wall-clock limit (a kernel that hangs outside a cell, or dies without papermill noticing)."""
    import nbformat
    import papermill
    from traitlets.config import Config

    started = time.perf_counter()
    target = Path(job.html_path)
    kernel = Path(job.ipc_dir) / f"k-{uuid.uuid4().hex}"
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(kernel),
                                       "connection_file": f"{kernel}.json"}})
    watchdog = _Watchdog(job.wall_limit, f"{kernel}.json")
    with tempfile.TemporaryDirectory(prefix="pcs-report-") as tmp, watchdog:
        executed = Path(tmp) / "report.ipynb"
        try:
            # saved once at the end, not at every cell (a fifth of a report's cost); the engine
            # remembers the cell a stopped run was in
            papermill.execute_notebook(job.notebook, str(executed), parameters=job.parameters, kernel_name=KERNEL,
                                       engine_name=_engine(), progress_bar=False, log_output=False,
                                       execution_timeout=job.timeout, start_timeout=START_TIMEOUT,
                                       request_save_on_cell_execute=False, config=config, cwd=tmp,
                                       # jupyter_client interrupts a kernel before shutting it down; the
                                       # kernel's log would print that as an error on the terminal (a
                                       # failing cell is reported by papermill, not by this log)
                                       extra_arguments=[QUIET_KERNEL])
        except Exception as exc:  # papermill raises PapermillExecutionError, timeouts, kernel deaths
            timed_out = "timed out" in str(exc).lower() or type(exc).__name__ == "CellTimeoutError"
            cell = getattr(exc, "exec_count", None) or getattr(exc, "stopped_cell", None)
            message = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', str(exc))}"
            if watchdog.fired:
                timed_out, message = True, (f"no result after {job.wall_limit:.0f} s (the notebook's wall-clock "
                                            f"limit); its kernel was stopped")
            return Outcome(job.partner_id, "timeout" if timed_out else "failed", cell, message.strip()[:MESSAGE_CHARS],
                           time.perf_counter() - started, 0.0, "", job.inputs_hash)
        book = nbformat.read(executed, as_version=4)
        body, _ = _exporter().from_notebook_node(book)
        body = _offline(body)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        partial.write_text(body, encoding="utf-8")
        os.replace(partial, target)
        printed = ""
        if job.pdf:
            try:
                printed = str(print_pdf(target, target.with_suffix(".pdf")))
            except (OSError, subprocess.SubprocessError, PcsError) as exc:
                return Outcome(job.partner_id, "failed", None, f"PDF: {exc}"[:MESSAGE_CHARS],
                               time.perf_counter() - started, 0.0, str(target), job.inputs_hash)
    return Outcome(job.partner_id, "ok", None, "", time.perf_counter() - started, 0.0, str(target), job.inputs_hash,
                   printed)


def chromium_path() -> str:
    """Debian's Chromium (`apt-get install chromium`); a clear error when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise PcsError("--pdf prints with Debian's Chromium, which is not installed (apt-get install chromium)")
    return found


def print_pdf(page: Path, target: Path) -> Path:
    """`page` printed to `target` by headless Chromium (its print stylesheet: a page per area,
    charts whole), written under a temporary name and renamed."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with tempfile.TemporaryDirectory(prefix="pcs-chromium-") as profile:
        subprocess.run([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={partial}",
                        page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    if not partial.exists() or not partial.read_bytes().startswith(b"%PDF"):
        partial.unlink(missing_ok=True)
        raise PcsError(f"{page}: Chromium wrote no PDF")
    os.replace(partial, target)
    return target


#: Notebook cells with this tag are left out of the HTML report.
HIDDEN_TAG = "report-hide"

#: The report kernels' own log: critical messages only.
QUIET_KERNEL = "--IPKernelApp.log_level=CRITICAL"


@functools.cache
def _engine() -> str:
    """A papermill engine that tells, on an exception, which cell the run was in: the position
    among code cells (as papermill numbers a failing cell) of the last cell started."""
    from papermill.engines import NBClientEngine, papermill_engines

    class Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            except Exception as exc:
                code = [c for c in nb_man.nb.cells if c.cell_type == "code"]
                started = [n for n, c in enumerate(code, start=1) if c.metadata.get("papermill", {}).get("start_time")]
                exc.stopped_cell = started[-1] if started else None
                raise

    papermill_engines.register("pcs", Engine)
    return "pcs"


class _Watchdog:
    """Kills the kernel started with `connection_file` (and what it started) if still running
    after `limit` seconds; other jobs' kernels in the same worker are left alone."""

    def __init__(self, limit: float, connection_file: str):
        self.limit, self.connection_file, self.fired, self._timer = limit, connection_file, False, None

    def __enter__(self):
        if self.limit > 0:
            self._timer = threading.Timer(self.limit, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *_exc) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        import psutil

        self.fired = True
        for child in psutil.Process().children(recursive=True):
            try:
                if self.connection_file in child.cmdline():
                    for process in [*child.children(recursive=True), child]:
                        process.kill()
            except psutil.Error:
                pass


@functools.cache
def _exporter():
    """One HTML exporter per worker process (its templates are loaded once)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    # Cells tagged `report-hide` (the checks' stable text) are for the test suite, not the reader.
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDDEN_TAG}), enabled=True)
    return exporter


_NETWORK_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*?</script>"
                             r"|<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.S | re.I)


def _offline(page: str) -> str:
    """Drop the template's scripts that load from the network (MathJax, require.js, mermaid):
    the report needs none of them (its charts are static SVG), and it must open offline."""
    return _NETWORK_SCRIPT.sub("", page)


MANIFEST_COLUMNS = {"partner_id": pl.String, "status": pl.String, "cell": pl.Int64, "message": pl.String,
                    "seconds": pl.Float64, "prepare_seconds": pl.Float64, "html": pl.String, "inputs_hash": pl.String,
                    "pdf": pl.String}


def _read_manifest(out: Path) -> dict[str, dict]:
    path = out / "manifest.json"
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text())
    except ValueError:
        return {}
    return {row["partner_id"]: row for row in rows}


def _write_manifest(out: Path, outcomes: list[Outcome]) -> pl.DataFrame:
    rows = [asdict(o) for o in outcomes]
    frame = pl.DataFrame(rows, schema=MANIFEST_COLUMNS)
    write_csv(out / "manifest.csv", frame)
    partial = out / f".manifest.json.{uuid.uuid4().hex}.tmp"
    partial.write_text(json.dumps(rows, indent=1))
    os.replace(partial, out / "manifest.json")
    return frame


def _write_index(out: Path, data, rules, as_of: dt.date, manifest: pl.DataFrame) -> None:
    """The portfolio page: counts per area and status, the distribution of totals, and a table of
    every partner (sortable by any column, filtered by area and status; a few lines of script of
    our own, nothing loaded from the network) with a link to each report."""
    from pcs_analysis.analysis.status import qualification

    areas = list(rules.areas)
    status = qualification(data, as_of=as_of, rules=rules, areas=areas).status.select(
        "partner_id", "area", "status", "total_today", "is_qualified_today")
    page = index_page(manifest, status, names=dict(data.partners.collect().select("partner_id", "partner_name")
                                                   .iter_rows()),
                      titles={a: rules.area(a).title for a in areas}, as_of=as_of, rules_version=rules.version,
                      distribution=_distribution_svg(status, {a: rules.area(a).title for a in areas}))
    partial = out / f".index.html.{uuid.uuid4().hex}.tmp"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out / "index.html")


def _distribution_svg(status: pl.DataFrame, titles: dict[str, str]) -> str:
    from pcs_analysis.present import charts
    from pcs_analysis.reporting.partner import _to_svg

    charts.alt.theme.enable(charts.THEME)
    summary = status.select(pl.col("area").replace(titles), pl.col("total_today").alias("total"),
                            pl.col("is_qualified_today").alias("is_qualified"))
    return _to_svg(charts.portfolio_distribution(summary))


_INDEX_SCRIPT = """<script>
(function(){
  const table=document.getElementById('partners'), body=table.tBodies[0];
  const area=document.getElementById('area'), status=document.getElementById('status');
  function filter(){
    const a=area.value, s=status.value;
    for(const row of body.rows){
      let show=true;
      if(a||s){show=false;for(const cell of row.querySelectorAll('td[data-area]')){
        if((!a||cell.dataset.area===a)&&(!s||cell.dataset.status===s)){show=true;break;}}}
      row.style.display=show?'':'none';}
  }
  area.onchange=filter; status.onchange=filter;
  table.tHead.querySelectorAll('th').forEach(function(th,i){
    th.onclick=function(){
      const down=th.dataset.dir!=='asc'; th.dataset.dir=down?'asc':'desc';
      const rows=[...body.rows]; const key=r=>{const c=r.cells[i];return c.dataset.sort??c.textContent.trim();};
      rows.sort(function(x,y){const a=key(x),b=key(y),na=parseFloat(a),nb=parseFloat(b);
        const c=(!isNaN(na)&&!isNaN(nb))?na-nb:a.localeCompare(b);return down?c:-c;});
      rows.forEach(r=>body.appendChild(r));};});
})();
</script>"""


def index_page(manifest: pl.DataFrame, status: pl.DataFrame, *, names: dict, titles: dict[str, str], as_of: dt.date,
               rules_version: str, distribution: str = "") -> str:
    """The portfolio page of a run (`index.html`), as text. Names are HTML-escaped."""
    from pcs_analysis.analysis.status import ENROLLED, IN_PROGRESS, QUALIFIED, RENEWAL_DUE

    statuses = (QUALIFIED, ENROLLED, RENEWAL_DUE, IN_PROGRESS)
    e = html.escape
    areas = list(titles)
    mine = {(r["partner_id"], r["area"]): r for r in status.iter_rows(named=True)}
    counts = status.group_by("area", "status").len()
    count = {(r["area"], r["status"]): r["len"] for r in counts.iter_rows(named=True)}
    summary_rows = "".join(
        f"<tr><th>{e(titles[a])}</th>" + "".join(f"<td>{count.get((a, s), 0)}</td>" for s in statuses) + "</tr>"
        for a in areas)
    rows = []
    for r in manifest.iter_rows(named=True):
        pid = r["partner_id"]
        cells = []
        for a in areas:
            row = mine.get((pid, a))
            if row is None:
                cells.append("<td></td>")
                continue
            css = "q" if row["is_qualified_today"] or row["status"] != IN_PROGRESS else "n"
            cells.append(f"<td class='{css}' data-area='{e(a, quote=True)}' "
                         f"data-status='{e(row['status'], quote=True)}' "
                         f"data-sort='{row['total_today']:.3f}'>{row['total_today']:.1f}"
                         f"<small>{e(row['status'])}</small></td>")
        state = r["status"] if r["status"] != "skipped" else "ok"
        link = (f"<a href=\"{e(r['html'], quote=True)}\">report</a>" if r["html"] and state == "ok"
                else e(r["message"] or ""))
        rows.append(f"<tr><td>{e(pid)}</td><td dir='auto'>{e(names.get(pid) or '')}</td><td>{e(state)}</td>"
                    f"{''.join(cells)}<td>{link}</td></tr>")
    area_options = "".join(f"<option value='{e(a, quote=True)}'>{e(titles[a])}</option>" for a in areas)
    status_options = "".join(f"<option>{e(s)}</option>" for s in statuses)
    head = "".join(f"<th>{e(titles[a])}</th>" for a in areas)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner Capability Score, portfolio on {as_of}</title>
<style>
body{{font-family:"Segoe UI","Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP","Noto Sans Arabic","Noto Sans Hebrew",
 Helvetica,Arial,sans-serif;margin:2em;color:#1b1b1b}}
table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
#partners th{{cursor:pointer;user-select:none}}
#partners th:hover{{text-decoration:underline}}
td.q{{color:#1a6b34}}td.n{{color:#7a5200}}
td small{{display:block;color:#57606a;font-size:.75em}}
.counts td{{text-align:right}}.filters{{margin:1em 0}}
@media print{{.filters{{display:none}}tr{{break-inside:avoid}}}}
</style></head>
<body><h1>Partner Capability Score: portfolio</h1>
<p>Scores as Partner Center shows them on {as_of}; rulebook {e(rules_version)}; {manifest.height} partner(s).</p>
<h2>Partners per area and status</h2>
<table class="counts"><tr><th></th>{''.join(f'<th>{e(s)}</th>' for s in statuses)}</tr>{summary_rows}</table>
<h2>Totals per area</h2>
<figure>{distribution}</figure>
<h2>Partners</h2>
<div class="filters"><label>Area <select id="area"><option value="">all</option>{area_options}</select></label>
<label>Status <select id="status"><option value="">all</option>{status_options}</select></label>
<span>(click a column to sort)</span></div>
<table id="partners"><thead><tr><th>partner</th><th>name</th><th>report</th>{head}<th></th></tr></thead>
<tbody>
{''.join(rows)}
</tbody></table>
{_INDEX_SCRIPT}
</body></html>
"""


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
