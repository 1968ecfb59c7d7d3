"""Benchmark scoring at every size, and the interactive calls; results to bench/results.md.

Every measurement runs in a process of its own, so that its time and peak memory are its own:

- portfolio scale: `pcs score` (read, validate, score every area, write) of generated Parquet
  data folders of 1,000, 5,000, 20,000 and 100,000 partners (`pcs sample-data --parquet`,
  generated once into the git-ignored bench/data/ and reused), each against its floor in the
  same run: polars scanning the same usage files and grouping them once by partner and month;
- the same 20,000 partners from a CSV folder (the tables of that Parquet folder written as the
  CSV files `pcs sample-data` and `pcs import partner-center` write), against polars scanning the
  same CSV file and grouping it once by partner and month;
- the same 20,000 partners on a Dask `LocalCluster` (`pcs score --scheduler`), checked to write
  the same bytes as the local run;
- the interactive calls on the sample, warm, best of 5: `score` of one partner (every area),
  `explain`, `qualification` (every day of the window), `what_if` (one scenario, one area),
  `recommend` (one partner, and a number of partners, all areas) and `plan_certifications`
  (one partner and area).

Peak memory is the largest sum of the resident memory of the measured process and its children
(sampled every 50 ms, and never below the kernel's own maximum for the process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import hashlib
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import psutil

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "out"
AS_OF = "2026-11-21"
SEED = 7
SIZES = (1_000, 5_000, 20_000, 100_000)
BULK_HEADING = "## Bulk reports"
GB = 1024


def measure(args: list[str]) -> tuple[float, float, str]:
    """Wall time (s), peak memory (MB) of the process tree, and standard output of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(args)}\n{err}")
    return elapsed, peak / 2**20, out


def dataset(partners: int) -> tuple[Path, bool]:
    """The generated data folder of a size, for the generator's current code (a changed generator
    makes new data); generated when missing. Returns the folder and whether it was reused."""
    code = hashlib.sha256((ROOT / "pcs_analysis" / "inputs" / "sample.py").read_bytes()).hexdigest()[:10]
    folder = DATA / f"p{partners}-s{SEED}-{code}"
    done = folder / ".complete"
    if done.exists():
        return folder, True
    subprocess.run([pcs(), "sample-data", str(folder), "--partners", str(partners), "--seed", str(SEED),
                    "--parquet"], check=True, stdout=subprocess.DEVNULL)
    done.write_text("")
    return folder, False


def csv_dataset(parquet: Path) -> Path:
    """The Parquet data folder's tables as a CSV folder (written once, streamed: the usage table
    never held in memory)."""
    folder = parquet.with_name(parquet.name + "-csv")
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    pl.scan_parquet(parquet / "usage" / "*.parquet").sink_csv(folder / "usage.csv", date_format="%Y-%m-%d")
    for name in ("certifications", "partners", "enrollments"):
        pl.read_parquet(parquet / f"{name}.parquet").write_csv(folder / f"{name}.csv", date_format="%Y-%m-%d")
    done.write_text("")
    return folder


CSV_FLOOR = textwrap.dedent("""
    import sys, polars as pl
    units = {"paid_units": pl.Int64, "active_units": pl.Int64}   # first rows (Azure) leave them empty
    (pl.scan_csv(sys.argv[1] + "/usage.csv", schema_overrides=units).group_by("partner_id", "month")
       .agg(pl.len(), pl.col("active_units").sum(), pl.col("paid_units").sum()).collect())
""")


def csv_row(parquet_row: dict, workers: int) -> dict:
    folder = csv_dataset(parquet_row["folder"])
    out = OUT / f"p{parquet_row['partners']}-csv"
    seconds, peak, _ = measure([pcs(), "score", str(folder), "--as-of", AS_OF, "--out", str(out), "-q",
                                "--workers", str(workers)])
    floor_s, _, _ = measure([sys.executable, "-c", CSV_FLOOR, str(folder)])
    same = all(filecmp.cmp(parquet_row["out"] / f"{n}.csv", out / f"{n}.csv", shallow=False)
               for n in ("scores", "summary", "options"))
    return {"seconds": seconds, "peak": peak, "floor": floor_s, "same": same}


def pcs() -> str:
    return str(Path(sys.executable).with_name("pcs"))


FLOOR = textwrap.dedent("""
    import sys, polars as pl
    (pl.scan_parquet(sys.argv[1] + "/usage/*.parquet").group_by("partner_id", "month")
       .agg(pl.len(), pl.col("active_units").sum(), pl.col("paid_units").sum()).collect())
""")


def scale_row(partners: int, workers: int) -> dict:
    folder, reused = dataset(partners)
    rows = pl.scan_parquet(folder / "usage" / "*.parquet").select(pl.len()).collect().item()
    out = OUT / f"p{partners}"
    seconds, peak, _ = measure([pcs(), "score", str(folder), "--as-of", AS_OF, "--out", str(out), "-q",
                                "--workers", str(workers)])
    floor_s, floor_mb, _ = measure([sys.executable, "-c", FLOOR, str(folder)])
    return {"partners": partners, "rows": rows, "seconds": seconds, "peak": peak, "floor": floor_s,
            "floor_mb": floor_mb, "reused": reused, "out": out, "folder": folder}


SENSITIVITY = textwrap.dedent("""
    import sys, time
    from pcs_analysis import read_data
    from pcs_analysis.analysis.sensitivities import sensitivity
    from pcs_analysis.inputs.read import PartnerRange
    n, digits = int(sys.argv[2]), int(sys.argv[4])  # the generator's ids: P, then the number in digits
    data = read_data(sys.argv[1], partners=PartnerRange("P" + "1".zfill(digits), "P" + str(n).zfill(digits)))
    grid = {"min_total_points": [50 + 0.5 * i for i in range(40)],
            "usage_growth.enterprise.CPOR.full_marks_at": [400 + 50 * i for i in range(25)]}
    start = time.perf_counter()
    result = sensitivity(data, as_of=sys.argv[3], areas=["modern_work"], grid=grid)
    print(time.perf_counter() - start, result.variants.height, len(data.partner_ids()))
""")


DASK = textwrap.dedent("""
    import subprocess, sys, time
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        start = time.perf_counter()
        subprocess.run([sys.argv[1], "score", sys.argv[2], "--as-of", sys.argv[3], "--out", sys.argv[4], "-q",
                        "--scheduler", cluster.scheduler_address], check=True)
        print(time.perf_counter() - start)
""")


def dask_row(local: dict) -> dict:
    out = OUT / f"p{local['partners']}-dask"
    _, peak, stdout = measure([sys.executable, "-c", DASK, pcs(), str(local["folder"]), AS_OF, str(out)])
    same = all(filecmp.cmp(local["out"] / f"{n}.csv", out / f"{n}.csv", shallow=False)
               for n in ("scores", "summary", "options", "unread_inputs"))
    return {"seconds": float(stdout.strip().splitlines()[-1]), "peak": peak, "same": same}


API = textwrap.dedent("""
    import json, sys, time
    from pcs_analysis import explain, plan_certifications, qualification, read_data, recommend, score
    from pcs_analysis.analysis.whatif import AddCertifiedPeople, Scenario, what_if
    from pcs_analysis.config import SAMPLE_DIR
    as_of, partner = sys.argv[1], "P005"
    data = read_data(SAMPLE_DIR)
    data = type(data)(**{k: (v.collect().lazy() if hasattr(v, "collect") else v) for k, v in vars(data).items()})
    one = data.only_partners([partner])
    expert = Scenario("one more expert", (AddCertifiedPeople(
        partner, "Microsoft 365 Certified: Enterprise Administrator Expert"),))
    calls = {
        "score": lambda: score(one, as_of=as_of),
        "explain": lambda: explain(one, partner, as_of=as_of),
        "qualification": lambda: qualification(one, as_of=as_of),
        "what_if": lambda: what_if(one, [expert], as_of=as_of, areas=["modern_work"]),
        "recommend_one": lambda: recommend(one, as_of=as_of),
        "plan": lambda: plan_certifications(one, partner, as_of="2026-11-01", areas=["modern_work"],
                                            target="2026-11-30"),
    }
    best = {}
    for name, call in calls.items():
        call()
        times = []
        for _ in range(5):
            start = time.perf_counter(); call(); times.append(time.perf_counter() - start)
        best[name] = min(times)
    many = data.only_partners(data.partner_ids()[: int(sys.argv[2])])
    start = time.perf_counter(); rows = recommend(many, as_of=as_of).table.height
    best["recommend"] = time.perf_counter() - start
    best["recommend_rows"] = rows
    print(json.dumps(best))
""")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                        help="Portfolio sizes of the scale table (partners, comma-separated).")
    parser.add_argument("--workers", type=int, default=2, help="Local workers of `pcs score`.")
    parser.add_argument("--recommend-partners", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    api_s, _, api_out = measure([sys.executable, "-c", API, AS_OF, str(args.recommend_partners)])
    api = json.loads(api_out.strip().splitlines()[-1])
    rows = [scale_row(n, args.workers) for n in sizes]
    main_row = next((r for r in rows if r["partners"] == 20_000), rows[-1])
    csv = csv_row(main_row, args.workers)
    dask = dask_row(main_row)
    _, _, sens_out = measure([sys.executable, "-c", SENSITIVITY, str(main_row["folder"]),
                              str(min(10_000, main_row["partners"])), AS_OF,
                              str(max(3, len(str(main_row["partners"]))))])
    sens_s, sens_variants, sens_partners = sens_out.strip().splitlines()[-1].split()
    sens_s = float(sens_s)

    ratio = main_row["seconds"] / main_row["floor"]
    csv_ratio = csv["seconds"] / csv["floor"]
    same_files = "the same files as from Parquet" if csv["same"] else "NOT the same files as from Parquet"
    per_partner_ms = api["recommend"] / args.recommend_partners * 1000
    thousand = per_partner_ms  # ms per partner x 1,000 partners = seconds
    scale_lines = "\n".join(
        f"| {r['partners']:,} | {r['rows']:,} | {r['seconds']:.1f} s | {r['seconds'] / r['partners'] * 1000:.2f} s "
        f"| {r['peak']:,.0f} MB | {r['floor']:.2f} s | {r['seconds'] / r['floor']:.0f}x |"
        for r in rows)
    biggest = rows[-1]
    linear = [r["seconds"] / r["partners"] for r in rows if r["partners"] >= 5_000]
    is_linear = len(linear) < 2 or max(linear) <= 1.5 * min(linear)
    text = f"""# Benchmark results

Generated by `make bench` on {dt.date.today().isoformat()} ({platform.machine()}, {os.cpu_count()} cores,
{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, polars {pl.__version__}).
Timings are wall-clock, one run each unless said otherwise; peak memory is the largest sum of the
resident memory of the measured process and its worker processes. Data: `pcs sample-data --parquet
--seed {SEED}` (usage partitioned in files of 5,000 partners), generated once into `bench/data/`, and
the same tables written as a CSV folder.
`pcs score` runs with `--workers {args.workers}` and the default chunk size.

| measure | result | floor, same run | goal | |
|---|---|---|---|---|
| `pcs score`, {main_row['partners']:,} partners ({main_row['rows']:,} usage rows), all six areas, from the \
**CSV** folder | {csv['seconds']:.1f} s, peak {csv['peak']:,.0f} MB | {csv['floor']:.2f} s (scan + one group-by of \
the same CSV file): **{csv_ratio:.0f}x** | ≤ 10x the floor; peak ≤ 2 GB | {verdict(csv_ratio <= 10)} (time); \
{verdict(csv['peak'] <= 2 * GB)} (memory); {same_files} |
| the same from the partitioned **Parquet** folder | \
{main_row['seconds']:.1f} s, peak {main_row['peak']:,.0f} MB | {main_row['floor']:.2f} s (scan + one group-by of \
the same files): **{ratio:.0f}x** | ≤ 10x the floor; peak ≤ 2 GB | \
{verdict(ratio <= 10)} (time); {verdict(main_row['peak'] <= 2 * GB)} (memory) |
| {biggest['partners']:,} partners ({biggest['rows']:,} rows, Parquet) | {biggest['seconds']:.1f} s, peak \
{biggest['peak']:,.0f} MB | {biggest['floor']:.2f} s | peak ≤ 2 GB, time linear in partners | \
{verdict(biggest['peak'] <= 2 * GB)} (memory); {verdict(is_linear)} (linear) |
| `score`, one partner, all areas (warm API, sample, best of 5) | {api['score'] * 1000:.0f} ms | – | ≤ 100 ms \
| {verdict(api['score'] <= 0.1)} |
| `explain` one partner | {api['explain'] * 1000:.0f} ms | – | ≤ 150 ms | {verdict(api['explain'] <= 0.15)} |
| `qualification` one partner (every day of the window) | {api['qualification'] * 1000:.0f} ms | – | ≤ 150 ms \
| {verdict(api['qualification'] <= 0.15)} |
| `what_if`, one scenario, one area | {api['what_if'] * 1000:.0f} ms | – | ≤ 50 ms \
| {verdict(api['what_if'] <= 0.05)} |
| `recommend`, one partner, all areas | {api['recommend_one'] * 1000:.0f} ms | – | ≤ 300 ms \
| {verdict(api['recommend_one'] <= 0.3)} |
| `recommend`, all areas, {args.recommend_partners} partners of the sample | {api['recommend']:.1f} s \
({per_partner_ms:.0f} ms per partner: about {thousand:.0f} s for 1,000) | – | 50 partners ≤ 3 s; 1,000 ≤ 60 s \
| {verdict(api['recommend'] <= 3 * args.recommend_partners / 50)} |
| `plan_certifications`, one partner and area | {api['plan'] * 1000:.0f} ms | – | ≤ 50 ms \
| {verdict(api['plan'] <= 0.05)} |
| threshold sensitivity: {sens_variants} variants (the bar x Modern Work's Enterprise CPOR usage-growth full marks, \
40 x 25 values), {int(sens_partners):,} partners, data read before the timing | {sens_s:.1f} s | – | under 60 s \
| {verdict(sens_s < 60)} |
| `pcs score --scheduler` on a Dask `LocalCluster` (2 workers), {main_row['partners']:,} partners | \
{dask['seconds']:.1f} s | local run: {main_row['seconds']:.1f} s | the same output files as the local run | \
{"met: byte-identical" if dask['same'] else "NOT met: the files differ"} |

The bulk-reports row is measured by `bench/reports.py` (its section below).

### Scale

| partners | usage rows | time | per 1,000 partners | peak memory | floor | time / floor |
|---|---|---|---|---|---|---|
{scale_lines}
"""
    previous = args.out.read_text() if args.out.exists() else ""
    if BULK_HEADING in previous:
        text = text.rstrip() + "\n\n" + previous[previous.index(BULK_HEADING):]
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
