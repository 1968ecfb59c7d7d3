"""Benchmark `pcs reports` on the sample against the floor; its section of bench/results.md.

For 1, 2 and 4 workers, in the same run:

- floor: papermill executing an empty notebook with the same kernel (`python3`, IPC transport
  with a unique socket per kernel) once per sample partner, in the runner's own worker pool;
- reports: `run_reports` over the sample into a fresh folder, every step included (reading the
  data, preparing the reports, one notebook per partner, HTML, manifest and index), with the
  time of each stage taken from its progress events.

A report's cost is the run's wall-clock time per report; the floor's the same for the empty
notebook. Goals: a report costs at most 1.5x the floor, and throughput grows with workers up to
the cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 21)
HEADING = "## Bulk reports"
COLUMNS = ("| workers | floor: notebooks/min | reports/min | floor per notebook | per report | report / floor "
           "| set-up | preparing | notebooks and index | that stage / floor |")
EMPTY = """{"cells": [{"cell_type": "code", "execution_count": null, "id": "p", "metadata": {"tags": ["parameters"]},
"outputs": [], "source": ["partner_id = ''"]}], "metadata": {"kernelspec": {"name": "python3",
"display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}"""


def run_empty(job: tuple[str, str, str]) -> float:
    """papermill on the empty notebook, configured as the report runner configures it."""
    import papermill
    from traitlets.config import Config

    from pcs_analysis.reporting.jobs import KERNEL

    notebook, ipc_dir, partner = job
    started = time.perf_counter()
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(ipc_dir) / f"k-{uuid.uuid4().hex}")}})
    with tempfile.TemporaryDirectory(prefix="pcs-floor-") as tmp:
        papermill.execute_notebook(notebook, str(Path(tmp) / "out.ipynb"), parameters={"partner_id": partner},
                                   kernel_name=KERNEL, progress_bar=False, log_output=False, config=config, cwd=tmp)
    return time.perf_counter() - started


def floor(partners: list[str], workers: int, work: Path) -> float:
    """Wall-clock seconds for the empty notebook once per partner on `workers` workers."""
    from pcs_analysis.reporting.pool import worker_pool

    notebook = work / "empty.ipynb"
    notebook.write_text(EMPTY)
    ipc_dir = tempfile.mkdtemp(prefix="pcs-ipc-")
    try:
        with worker_pool(workers, None) as run:
            list(run(run_empty, [(str(notebook), ipc_dir, "warm-up")] * workers))   # start the workers
            start = time.perf_counter()
            failed = [r for _, r in run(run_empty, [(str(notebook), ipc_dir, p) for p in partners])
                      if isinstance(r, BaseException)]
            elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    if failed:
        raise SystemExit(f"the empty notebook failed: {failed[0]}")
    return elapsed


def reports(workers: int, out: Path) -> dict[str, float]:
    """One whole `run_reports` over the sample; its wall-clock time and that of each stage."""
    from pcs_analysis.config import SAMPLE_DIR
    from pcs_analysis.reporting.bulk import run_reports

    marks: dict[str, float] = {}

    def note(progress) -> None:
        marks.setdefault(progress.stage, time.perf_counter())

    start = time.perf_counter()
    manifest = run_reports(SAMPLE_DIR, as_of=AS_OF, out=out, workers=workers, progress=note)
    end = time.perf_counter()
    if set(manifest["status"]) != {"ok"}:
        raise SystemExit(f"reports failed: {manifest.filter(manifest['status'] != 'ok').rows()[:3]}")
    return {"total": end - start, "setup": marks["preparing"] - start,
            "prepare": marks["reports"] - marks["preparing"], "notebooks": marks["done"] - marks["reports"],
            "reports": manifest.height, "notebook_seconds": manifest["seconds"].sum()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pcs_analysis import read_data
    from pcs_analysis.config import SAMPLE_DIR

    partners = read_data(SAMPLE_DIR).partner_ids()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pcs-bench-reports-") as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            floor_s = floor(partners, workers, Path(tmp))
            run = reports(workers, Path(tmp) / f"run-{workers}")
            rows.append((workers, floor_s, run))
            print(f"{workers} workers: floor {floor_s:.1f} s, reports {run['total']:.1f} s", flush=True)
    n = len(partners)
    table = []
    for workers, floor_s, run in rows:
        table.append(f"| {workers} | {n / floor_s * 60:.1f} | {n / run['total'] * 60:.1f} "
                     f"| {floor_s / n:.2f} s | {run['total'] / n:.2f} s | {run['total'] / floor_s:.2f}x "
                     f"| {run['setup']:.1f} s | {run['prepare']:.1f} s | {run['notebooks']:.1f} s "
                     f"| {run['notebooks'] / floor_s:.2f}x |")
    best = max(rows, key=lambda r: n / r[2]["total"])
    cores = os.cpu_count() or 1
    within = [r for r in rows if r[0] <= cores]
    grows = all(n / b[2]["total"] > n / a[2]["total"] for a, b in zip(within, within[1:], strict=False))
    ratio = min(r[2]["total"] / r[1] for r in rows)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    section = f"""{HEADING}

Generated by `make bench` (or `make bench-reports`) on {dt.date.today().isoformat()} ({platform.machine()},
{cores} cores, Python {platform.python_version()}): `run_reports` over the {n} sample partners as of
{AS_OF}, every step included, against the floor (papermill executing an empty notebook with the
same kernel, `python3` over IPC, once per partner in the same worker pool), both measured in this
run. Stages of a run: set-up (reading the data, hashing the inputs), preparing the reports
(portfolio-wide scoring passes and SVG charts), then the notebooks (papermill, HTML export) and the
index.

{COLUMNS}
{"|---" * COLUMNS.count(" | ")}|---|
{chr(10).join(table)}

| goal | result | |
|---|---|---|
| a report costs at most 1.5x the floor | best {ratio:.2f}x (whole run per report over floor per notebook) \
| {verdict(ratio <= 1.5)} |
| throughput grows with workers up to the cores ({cores}) | \
{", ".join(f"{r[0]}: {n / r[2]['total'] * 60:.1f}/min" for r in within)} | {verdict(grows)} |

Most reports per minute: {n / best[2]['total'] * 60:.1f} with {best[0]} workers.
"""
    text = args.out.read_text() if args.out.exists() else "# Benchmark results\n"
    if HEADING in text:
        text = text[:text.index(HEADING)].rstrip() + "\n"
    args.out.write_text(text.rstrip() + "\n\n" + section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
