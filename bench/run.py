"""Benchmark `pcs score` against the floor and a per-partner loop; results to bench/results.md.

Each measurement runs in its own process so that its peak memory (max RSS) is its own:

- score: `pcs score` on 20,000 generated partners (every step: read, validate, score every area, write);
- floor: polars scanning the same usage file and grouping it once by partner and month;
- loop: the same scoring called once per partner in a plain Python loop, on a 100-partner
  subset (data read once, outside the timing), compared per partner with the vectorized run.

- sensitivity: 1,000 rulebook variants for 10,000 partners in one area.

Goals: score within 4x of the floor, at least 50x faster per partner
than the loop, peak memory under 4 GB; sensitivity under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
AS_OF = "2026-11-21"


def measure(args: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(args)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def data_folder(partners: int, seed: int) -> Path:
    """The cached data of a size and seed, for the generator's current code (a changed generator
    makes new data)."""
    code = hashlib.sha256((ROOT / "pcs_analysis" / "sample.py").read_bytes()).hexdigest()[:10]
    return DATA / f"p{partners}-s{seed}-{code}"


def generate(partners: int, seed: int) -> Path:
    """Generate (in a child process, so that this process stays small: a child's peak memory as
    the kernel reports it includes what its parent held when it was started) or reuse the data."""
    folder = data_folder(partners, seed)
    if not (folder / "usage.parquet").exists():
        subprocess.run([sys.executable, __file__, "--generate-only", "--partners", str(partners),
                        "--seed", str(seed)], check=True)
    return folder


def write_data(partners: int, seed: int) -> None:
    folder = data_folder(partners, seed)
    from pcs_analysis.inputs.sample import generate_sample

    sample = generate_sample(partners=partners, seed=seed, months=25, tenants_per_partner=6.0,
                             workloads_per_tenant=2.2)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("certifications", "partners", "enrollments", "usage"):  # usage last: it marks the data done
        getattr(sample, name).write_parquet(folder / f"{name}.parquet")


FLOOR = textwrap.dedent("""
    import sys, polars as pl
    (pl.scan_parquet(sys.argv[1]).group_by("partner_id", "month")
       .agg(pl.len(), pl.col("active_units").sum(), pl.col("paid_units").sum()).collect())
""")
SENSITIVITY = textwrap.dedent("""
    import sys, time
    from pcs_analysis import read_data
    from pcs_analysis.analysis.sensitivities import sensitivity
    data = read_data(sys.argv[1])
    data = data.only_partners(data.partner_ids()[: int(sys.argv[2])])
    grid = {"min_total_points": [50 + 0.5 * i for i in range(40)],
            "usage_growth.enterprise.CPOR.full_marks_at": [400 + 50 * i for i in range(25)]}
    start = time.perf_counter()
    result = sensitivity(data, as_of=sys.argv[3], areas=["modern_work"], grid=grid)
    print(time.perf_counter() - start, result.variants.height)
""")
LOOP = textwrap.dedent("""
    import sys, time, polars as pl
    from pcs_analysis import read_data, score
    data = read_data(sys.argv[1])
    ids = data.partner_ids()[: int(sys.argv[2])]
    data = data.only_partners(ids)
    data = type(data)(**{k: (v.collect().lazy() if hasattr(v, "collect") else v)
                         for k, v in data.__dict__.items()})
    start = time.perf_counter()
    for pid in ids:
        score(data.only_partners([pid]), as_of=sys.argv[3])
    print(time.perf_counter() - start)
""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--loop-partners", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sensitivity-partners", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        write_data(args.partners, args.seed)
        return 0

    start = time.perf_counter()
    cached = (data_folder(args.partners, args.seed) / "usage.parquet").exists()
    folder = generate(args.partners, args.seed)
    generated = "reused from `bench/data/`" if cached else f"generated in {time.perf_counter() - start:.1f} s"
    rows = pl.scan_parquet(folder / "usage.parquet").select(pl.len()).collect().item()
    out_dir = ROOT / "bench" / "out"
    pcs = str(Path(sys.executable).with_name("pcs"))
    score_s, score_mb = measure([pcs, "score", str(folder), "--as-of", AS_OF, "--out", str(out_dir), "-q"])
    floor_s, floor_mb = measure([sys.executable, "-c", FLOOR, str(folder / "usage.parquet")])

    sens_proc = subprocess.run([sys.executable, "-c", SENSITIVITY, str(folder), str(args.sensitivity_partners), AS_OF],
                               capture_output=True, text=True, check=True)
    sens_s, sens_variants = sens_proc.stdout.strip().splitlines()[-1].split()
    sens_s = float(sens_s)
    loop_proc = subprocess.run([sys.executable, "-c", LOOP, str(folder), str(args.loop_partners), AS_OF],
                               capture_output=True, text=True, check=True)
    loop_s = float(loop_proc.stdout.strip().splitlines()[-1])
    per_partner_loop = loop_s / args.loop_partners
    per_partner_vec = score_s / args.partners
    ratio = score_s / floor_s
    speedup = per_partner_loop / per_partner_vec

    loop_ms, vec_ms = f"{per_partner_loop * 1000:.1f}", f"{per_partner_vec * 1000:.3f}"

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    text = f"""# Benchmark results

Generated by `make bench` on {dt.date.today().isoformat()} ({platform.machine()}, {os.cpu_count()} cores,
Python {platform.python_version()}, polars {pl.__version__}). Timings are wall-clock seconds of one
run each; peak memory is the max RSS of the measured process.

Data: {args.partners:,} generated partners (seed {args.seed}), {rows:,} usage rows (Parquet),
{generated}.

| measurement | time | peak memory |
|---|---|---|
| `pcs score` (read + validate + score every area of the rulebook + write CSV), all partners \
| {score_s:.2f} s | {score_mb:,.0f} MB |
| floor: polars scan of the usage file, one group-by partner x month | {floor_s:.2f} s | {floor_mb:,.0f} MB |
| per-partner Python loop over `score`, {args.loop_partners:,} partners | {loop_s:.2f} s | – |

| goal | result | |
|---|---|---|
| within 4x of the floor | {ratio:.1f}x | {verdict(ratio <= 4)} |
| at least 50x faster per partner than the loop | {loop_ms} ms vs {vec_ms} ms per partner: {speedup:,.0f}x \
| {verdict(speedup >= 50)} |
| peak memory under 4 GB | {score_mb:,.0f} MB | {verdict(score_mb < 4096)} |

Threshold sensitivity: {sens_variants} variants (the 70-point bar x Modern Work's Enterprise CPOR
usage-growth full marks, 40 x 25 values) for {args.sensitivity_partners:,} partners, Modern Work, metric
values computed once (data read before the timing): **{sens_s:.1f} s** (goal: under 60 s,
{verdict(sens_s < 60)}).
"""
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
