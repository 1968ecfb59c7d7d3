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
import html
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from .config import PACKAGE_DIR, RULES_DIR
from .errors import PcsError
from .output import write_csv

NOTEBOOK = PACKAGE_DIR.parent / "notebooks" / "partner_report.ipynb"
KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    partner_id: str
    parameters: dict
    notebook: str
    html_path: str
    inputs_hash: str
    timeout: int
    ipc_dir: str


@dataclass
class Outcome:
    partner_id: str
    status: str            # ok, failed, timeout, skipped (done before with the same inputs)
    cell: int | None
    message: str
    seconds: float
    html: str
    inputs_hash: str


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
                workers: int = 2, timeout: int = 600, rules_version: str | None = None,
                notebook: str | Path = NOTEBOOK, progress: Callable[[str], None] | None = None,
                scheduler: str | None = None) -> pl.DataFrame:
    """Run the report notebook for each partner (all by default); returns the manifest. With
    `scheduler` (a Dask distributed address such as tcp://host:8786) the same jobs run on that
    cluster, with the same manifest, resume and failure handling."""
    from .api import load_folder

    data_dir, out = Path(data_dir).resolve(), Path(out)
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=partners)
    ids = data.partner_ids()
    (out / "reports").mkdir(parents=True, exist_ok=True)
    base_hash = hashlib.sha256("|".join([
        _digest(p for p in data_dir.iterdir() if p.is_file()),
        _digest((RULES_DIR / rules.version).glob("*.toml")),
        _digest([Path(notebook)]),
    ]).encode()).hexdigest()
    previous = _read_manifest(out)
    jobs, outcomes = [], {}
    ipc_dir = tempfile.mkdtemp(prefix="pcs-ipc-")
    for pid in ids:
        params = {"data_dir": str(data_dir), "as_of": as_of.isoformat(), "rules_version": rules.version,
                  "partner_id": pid, "chart_renderer": "svg"}
        digest = hashlib.sha256((base_hash + json.dumps(params, sort_keys=True)).encode()).hexdigest()[:16]
        target = out / "reports" / f"{safe_name(pid)}.html"
        done = previous.get(pid)
        if done and done["status"] in ("ok", "skipped") and done["inputs_hash"] == digest and target.exists():
            outcomes[pid] = Outcome(pid, "skipped", None, "", 0.0, str(target.relative_to(out)), digest)
            continue
        jobs.append(Job(pid, params, str(notebook), str(target), digest, timeout, ipc_dir))
    say = progress or (lambda _line: None)
    start = time.perf_counter()
    for count, (job, outcome) in enumerate(_execute(jobs, workers, scheduler), start=1):
        outcome.html = str(Path(outcome.html).relative_to(out)) if outcome.html else ""
        outcomes[job.partner_id] = outcome
        _write_manifest(out, [outcomes.get(p) or _pending(previous, p) for p in ids])
        elapsed = time.perf_counter() - start
        left = elapsed / count * (len(jobs) - count)
        say(f"[{count}/{len(jobs)}] {job.partner_id}: {outcome.status} "
            f"({outcome.seconds:.1f} s; about {left:.0f} s left)")
    manifest = _write_manifest(out, [outcomes[p] for p in ids])
    _write_index(out, data, rules, as_of, manifest)
    return manifest


def _execute(jobs: list[Job], workers: int, scheduler: str | None):
    """(job, outcome) pairs as the jobs finish, on local worker processes or a Dask cluster."""
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = {client.submit(_run_one, job, pure=False, key=f"report-{uuid.uuid4().hex}"): job
                       for job in jobs}
            yield from _collect(futures, dask_completed(futures))
        return
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(_run_one, job): job for job in jobs}
        yield from _collect(futures, as_completed(futures))


def _collect(futures: dict, finished):
    """Each finished future's outcome; a worker that died is a failed partner."""
    for future in finished:
        job = futures[future]
        try:
            yield job, future.result()
        except Exception as exc:
            yield job, Outcome(job.partner_id, "failed", None, f"worker error: {exc}", 0.0, "", job.inputs_hash)


def _pending(previous: dict, pid: str) -> Outcome:
    row = previous.get(pid)
    if row:
        return Outcome(pid, row["status"], row["cell"], row["message"], row["seconds"], row["html"],
                       row["inputs_hash"])
    return Outcome(pid, "pending", None, "", 0.0, "", "")


def _run_one(job: Job) -> Outcome:
    """Execute one partner's notebook and export it; never raises for a notebook failure."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    started = time.perf_counter()
    target = Path(job.html_path)
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(job.ipc_dir) / f"k-{uuid.uuid4().hex}")}})
    with tempfile.TemporaryDirectory(prefix="pcs-report-") as tmp:
        executed = Path(tmp) / "report.ipynb"
        try:
            papermill.execute_notebook(job.notebook, str(executed), parameters=job.parameters, kernel_name=KERNEL,
                                       progress_bar=False, log_output=False, execution_timeout=job.timeout,
                                       config=config, cwd=tmp)
        except Exception as exc:  # papermill raises PapermillExecutionError, timeouts, kernel deaths
            status = "timeout" if "timed out" in str(exc).lower() or type(exc).__name__ == "CellTimeoutError" \
                else "failed"
            cell = getattr(exc, "exec_count", None)
            message = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', str(exc))}"
            return Outcome(job.partner_id, status, cell, message.strip()[:500], time.perf_counter() - started, "",
                           job.inputs_hash)
        book = nbformat.read(executed, as_version=4)
        exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(book)
        body = _offline(body)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        partial.write_text(body, encoding="utf-8")
        os.replace(partial, target)
    return Outcome(job.partner_id, "ok", None, "", time.perf_counter() - started, str(target), job.inputs_hash)


_NETWORK_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*?</script>"
                             r"|<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.S | re.I)


def _offline(page: str) -> str:
    """Drop the template's scripts that load from the network (MathJax, require.js, mermaid):
    the report needs none of them (its charts are static SVG), and it must open offline."""
    return _NETWORK_SCRIPT.sub("", page)


MANIFEST_COLUMNS = {"partner_id": pl.String, "status": pl.String, "cell": pl.Int64, "message": pl.String,
                    "seconds": pl.Float64, "html": pl.String, "inputs_hash": pl.String}


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
    from .scoring import score

    summary = score(data, as_of=as_of, rules=rules).summary
    names = dict(data.partners.collect().select("partner_id", "partner_name").iter_rows())
    areas = list(rules.areas)
    head = "".join(f"<th>{html.escape(rules.area(a).title)}</th>" for a in areas)
    rows = []
    for r in manifest.iter_rows(named=True):
        pid = r["partner_id"]
        mine = {s["area"]: s for s in summary.filter(pl.col("partner_id") == pid).iter_rows(named=True)}
        cells = "".join(
            f"<td class=\"{'q' if mine[a]['is_qualified'] else 'n'}\">{mine[a]['total']:.1f}"
            f"{' ✓' if mine[a]['is_qualified'] else ''}</td>" if a in mine else "<td></td>" for a in areas)
        status = r["status"] if r["status"] != "skipped" else "ok"
        link = (f"<a href=\"{html.escape(r['html'], quote=True)}\">report</a>" if r["html"] and status == "ok"
                else html.escape(r["message"] or ""))
        rows.append(f"<tr><td>{html.escape(pid)}</td><td>{html.escape(names.get(pid) or '')}</td>"
                    f"<td>{html.escape(status)}</td>{cells}<td>{link}</td></tr>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner Capability Score reports, {as_of}</title>
<style>body{{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}td.q{{color:#2e8540}}</style></head>
<body><h1>Partner Capability Score reports</h1><p>Scores as shown on {as_of}; rulebook {html.escape(rules.version)}.</p>
<table><tr><th>partner</th><th>name</th><th>status</th>{head}<th></th></tr>
{''.join(rows)}
</table></body></html>
"""
    partial = out / f".index.html.{uuid.uuid4().hex}.tmp"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out / "index.html")


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
