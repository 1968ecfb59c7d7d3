"""One partner's report made: its notebook executed in a kernel of its own (with a watchdog), exported
to self-contained HTML without input cells, and printed to PDF on request."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from pcs_analysis.errors import PcsError
from pcs_analysis.reporting.jobs import KERNEL, MESSAGE_CHARS, START_TIMEOUT, Job, Outcome
from pcs_analysis.reporting.pool import KERNEL_LIFELINE


def run_one(job: Job) -> Outcome:
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
                                       extra_arguments=[QUIET_KERNEL, KERNEL_LIFELINE])
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
