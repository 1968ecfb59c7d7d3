"""Interrupted, concurrent and cramped runs: every write is all or nothing, signals stop a run
promptly and leave no worker behind, one writer per folder, the disk's refusals are one clear
line, and inputs that change under a run are noticed. Signals are sent at chosen moments: a run
is stopped from inside (a patched step kills its own process) or when it reports a chunk done."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from pcs_analysis.config import SAMPLE_DIR
from pcs_analysis.errors import PcsError
from pcs_analysis.output import COMMIT, LOCK, STAGE_PREFIX, exclusive, recover
from tests.builders import FIXTURES, PCS, run

pytestmark = pytest.mark.slow  # every test starts and stops processes and kernels

AS_OF = ["--as-of", "2026-11-21"]
OUTPUTS = ["options.csv", "scores.csv", "summary.csv", "unread_inputs.csv"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file's hash (the empty lock a killed run leaves aside: the next run removes it)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*")) if p.name != LOCK}


def pcs_killed_at(step: str, after: int, *args) -> subprocess.CompletedProcess:
    """`pcs *args` in a process that kills itself with SIGKILL at call number `after` + 1 of one
    of its own steps: `move` (a file renamed into the output folder) or `commit` (the commit of a
    staging folder, before its record is written)."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pcs_analysis import output
        calls = [0]
        original = {{"move": output._move_in, "commit": output.Stage.commit}}[{step!r}]
        def killing(*a, **k):
            calls[0] += 1
            if calls[0] > {after}:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*a, **k)
        if {step!r} == "move":
            output._move_in = killing
        else:
            output.Stage.commit = killing
        from pcs_analysis.cli import main
        sys.argv = ["pcs", *{[str(a) for a in args]!r}]
        main()
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


def stages(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{STAGE_PREFIX}*"))


# --- one commit, all or nothing --------------------------------------------------------------

def test_score_killed_between_renames_is_finished_by_the_next_run(tmp_path):
    reference = tmp_path / "reference"
    run("score", SAMPLE_DIR, *AS_OF, "--out", reference, "-q")
    out = tmp_path / "out"
    run("score", SAMPLE_DIR, "--as-of", "2026-06-21", "--out", out, "-q")      # earlier results
    before = snapshot(out)
    killed = pcs_killed_at("move", 1, "score", SAMPLE_DIR, *AS_OF, "--out", out, "-q")
    assert killed.returncode == -signal.SIGKILL
    # The commit record was written before the first rename: the set is decided, only half moved.
    [stage] = stages(out)
    assert set((stage / COMMIT).read_text().split()) == set(OUTPUTS)
    changed = [name for name in OUTPUTS if snapshot(out)[name] != before[name]]
    assert len(changed) == 1                  # mixed until finished ...
    assert len(recover(out)) == 3             # ... by the next run into the folder
    assert stages(out) == []
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_score_killed_before_its_commit_leaves_the_folder_as_it_was_and_the_next_run_clears_it(tmp_path):
    out = tmp_path / "out"
    run("score", SAMPLE_DIR, "--as-of", "2026-06-21", "--out", out, "-q")
    before = snapshot(out)
    killed = pcs_killed_at("commit", 0, "score", SAMPLE_DIR, *AS_OF, "--out", out, "-q")
    assert killed.returncode == -signal.SIGKILL
    [stage] = stages(out)
    assert not (stage / COMMIT).exists() and (stage / "scores.csv").exists()
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(STAGE_PREFIX)} == before
    run("score", SAMPLE_DIR, "--as-of", "2026-06-21", "--out", out, "-q")
    assert stages(out) == [] and not (out / LOCK).exists() and snapshot(out) == before


def test_import_and_sample_data_commit_all_their_tables_at_once(tmp_path):
    out = tmp_path / "canonical"
    run("import", "partner-center", FIXTURES, out, "-q")
    (out / "usage.csv").write_text("old usage\n")
    (out / "certifications.csv").write_text("old certifications\n")
    killed = pcs_killed_at("move", 1, "import", "partner-center", FIXTURES, out, "-q")
    assert killed.returncode == -signal.SIGKILL
    old = [(out / name).read_text().startswith("old") for name in ("usage.csv", "certifications.csv")]
    assert old.count(True) == 1               # one table renamed, the other not yet
    recover(out)
    assert "old" not in (out / "usage.csv").read_text() and "old" not in (out / "certifications.csv").read_text()

    sample = tmp_path / "sample"
    run("sample-data", sample, "--partners", "3", "--seed", "1", "-q")
    before = snapshot(sample)
    killed = pcs_killed_at("move", 2, "sample-data", sample, "--partners", "3", "--seed", "2", "-q")
    assert killed.returncode == -signal.SIGKILL
    run("sample-data", tmp_path / "expected", "--partners", "3", "--seed", "2", "-q")
    recover(sample)
    assert snapshot(sample) == snapshot(tmp_path / "expected") != before


# --- signals ---------------------------------------------------------------------------------

def children(pid: int) -> set[int]:
    """The process's children (from /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(c) for c in text.split()}
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def chunked_score(out: Path) -> subprocess.Popen:
    """`pcs score` of the sample in many chunks on two workers, its stderr read line by line."""
    return subprocess.Popen([*PCS, "score", str(SAMPLE_DIR), *AS_OF, "--out", str(out), "--chunk-rows", "2000",
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_a_chunk(proc: subprocess.Popen) -> tuple[set[int], str]:
    """Read stderr until the first chunk is reported; the workers then running."""
    seen = ""
    while "scored 1 of" not in seen:
        line = proc.stderr.readline()
        assert line, f"the run ended first: {seen}"
        seen += line
    return children(proc.pid), seen


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_stops_a_chunked_score_at_once_and_leaves_nothing(tmp_path, sig, code):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    before = snapshot(out)
    proc = chunked_score(out)
    workers, _ = wait_for_a_chunk(proc)
    assert workers, "the chunks run on worker processes"
    sent = time.monotonic()
    proc.send_signal(sig)
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == code, rest
    assert took < 15, f"stopped {took:.1f} s after the signal"      # not after the remaining chunks
    assert "Traceback" not in rest and "interrupted" in rest
    assert snapshot(out) == before
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(workers) == set()


def test_killing_the_parent_ends_its_workers_and_the_next_run_clears_its_stage(tmp_path):
    out = tmp_path / "out"
    proc = chunked_score(out)
    workers, _ = wait_for_a_chunk(proc)
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(workers) == set(), "orphaned workers"
    assert stages(out)                       # a SIGKILL leaves its staging folder ...
    run("score", SAMPLE_DIR, *AS_OF, "--out", out, "-q")
    assert stages(out) == []                 # ... which the next run removes


# --- one writer per folder --------------------------------------------------------------------

def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    proc = chunked_score(out)
    wait_for_a_chunk(proc)
    second = run("score", SAMPLE_DIR, *AS_OF, "--out", out, "-q", check=False)
    proc.wait(timeout=300)
    assert proc.returncode == 0
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: {out}: another pcs run is writing to this folder; pcs score was not started (wait for the "
        "other run to finish, or choose another folder)"]
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS


def test_every_writer_holds_the_folder(tmp_path):
    out = tmp_path / "out"
    with exclusive(out):
        for args in (["score", SAMPLE_DIR, *AS_OF, "--out", out], ["sample-data", out, "--partners", "2"],
                     ["status", SAMPLE_DIR, *AS_OF, "--partner", "P001", "--out", out]):
            proc = run(*args, check=False)
            assert proc.returncode == 2 and "another pcs run is writing to this folder" in proc.stderr, args
    assert not (out / LOCK).exists()


# --- the disk says no -------------------------------------------------------------------------

@pytest.fixture
def mount(tmp_path):
    """`mount(path, size, readonly)`: a small tmpfs at `path` (skipped where mounting is not allowed)."""
    mounted = []

    def make(path: Path, size: str = "4M", readonly: bool = False) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (",ro" if readonly else "")
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
        mounted.append(path)
        return path

    yield make
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_an_output_folder_that_is_a_mount_point_works(tmp_path, mount):
    out = mount(tmp_path / "volume", size="64M")
    (out / "mine.txt").write_text("kept")
    run("score", SAMPLE_DIR, *AS_OF, "--out", out, "-q")
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, "mine.txt"])
    run("sample-data", out / "data", "--partners", "2", "-q")
    run("import", "partner-center", FIXTURES, out / "imported", "-q")


def test_a_full_disk_and_a_read_only_folder_are_one_clear_line_and_change_nothing(tmp_path, mount):
    full = mount(tmp_path / "full", size="200k")
    (full / "mine.txt").write_text("kept")
    before = snapshot(full)
    proc = run("score", SAMPLE_DIR, *AS_OF, "--out", full, "-q", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"error: {full}: cannot be written: the disk is full; nothing " \
        "was changed there"
    assert snapshot(full) == before
    status = run("status", SAMPLE_DIR, *AS_OF, "--out", full, check=False)
    assert status.returncode == 2 and "the disk is full" in status.stderr and snapshot(full) == before

    readonly = mount(tmp_path / "readonly", readonly=True)
    proc = run("score", SAMPLE_DIR, *AS_OF, "--out", readonly, "-q", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (f"error: {readonly}: cannot be written: the file system is "
                                                   "read-only; nothing was changed there")


def test_a_name_too_long_is_one_clear_line(tmp_path):
    out = tmp_path / ("o" * 300)
    proc = run("score", SAMPLE_DIR, *AS_OF, "--out", out, "-q", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "a file name or the path is too long" in proc.stderr and len(proc.stderr.strip().splitlines()) <= 5
    deep = tmp_path / "/".join(["d" * 200] * 25)
    proc = run("sample-data", deep, "--partners", "2", check=False)
    assert proc.returncode == 2 and "too long" in proc.stderr and "Traceback" not in proc.stderr


# --- inputs that change -----------------------------------------------------------------------

def test_a_data_file_changed_during_a_chunked_run_is_refused(tmp_path):
    from pcs_analysis.reporting.scores import score_portfolio
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    out = tmp_path / "out"

    def change(done: int, chunks: int) -> None:
        if done == 1:
            certs = data / "certifications.csv"
            certs.write_text(certs.read_text() + "P001,late@example.com,Teams Administrator Associate,2026-01-01,\n")

    import datetime as dt
    with pytest.raises(PcsError, match=r"certifications.csv: changed while it was being scored"):
        score_portfolio(data, out, as_of=dt.date(2026, 11, 21), rows_per_chunk=5000, on_chunk=change)
    assert not out.exists()


def test_a_changed_file_inside_a_partitioned_usage_folder_changes_the_reports_inputs(tmp_path):
    from pcs_analysis.reporting.bulk import NOTEBOOK, inputs_hash
    data = tmp_path / "data"
    run("sample-data", data, "--partners", "3", "--parquet", "-q")
    first = inputs_hash(data, "2026-05", Path(NOTEBOOK))
    part = data / "usage" / "part-00000.parquet"
    frame = pl.read_parquet(part)
    frame.with_columns(pl.col("paid_units") + 1).write_parquet(part)
    assert inputs_hash(data, "2026-05", Path(NOTEBOOK)) != first


def test_disk_errors_name_the_reason():
    from pcs_analysis.output import disk_error
    assert str(disk_error(Path("/x"), OSError(errno.ENOSPC, "No space"))) == (
        "/x: cannot be written: the disk is full; nothing was changed there")
    assert os.strerror(errno.EROFS) and "read-only" in str(disk_error(Path("/x"), OSError(errno.EROFS, "x")))


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_a_reports_run_leaves_no_worker_or_kernel(tmp_path, sig):
    proc = subprocess.Popen([*PCS, "reports", str(SAMPLE_DIR), *AS_OF, "--out", str(tmp_path / "run"), "--partners",
                             "P001,P002,P003,P004,P005,P006,P007,P008", "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    while " ok" not in seen.split("elapsed")[-1]:
        chunk = proc.stderr.read(1)
        assert chunk, f"the run ended first: {seen[-2000:]}"
        seen += chunk
    family = descendants(proc.pid)
    assert len(family) >= 3, family           # two workers and at least one kernel
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
    deadline = time.monotonic() + 20
    while alive(family) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert alive(family) == set(), [Path(f"/proc/{p}/cmdline").read_text()[:80] for p in alive(family)]


ADOPTER = textwrap.dedent("""
    import ctypes, os, subprocess, sys, time
    ctypes.CDLL("libc.so.6").prctl(36, 1)          # PR_SET_CHILD_SUBREAPER: orphans come here, not to PID 1
    worker = subprocess.run([sys.executable, "-c", sys.argv[1]], capture_output=True, text=True, check=True)
    kernel = int(worker.stdout)                     # the worker ended right after starting its kernel
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if os.waitpid(kernel, os.WNOHANG)[0]:
            print("ended")
            sys.exit(0)
        time.sleep(0.2)
    os.kill(kernel, 9)
    print("still running")
""")

STARTER = textwrap.dedent("""
    import os, subprocess, sys
    args = sys.argv[1:]
    kernel = subprocess.Popen([sys.executable, "-m", "ipykernel_launcher", "-f", args[0],
                               "--IPKernelApp.log_level=CRITICAL", *args[1:]],
                              env=dict(os.environ, JPY_PARENT_PID=str(os.getpid())), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=open(args[0] + ".log", "w"))
    print(kernel.pid)
""")


def test_a_report_kernel_whose_worker_ended_while_it_started_ends_too(tmp_path):
    """A worker stopped while its kernel is still starting: the kernel's own watch of its parent
    gives up (its parent is already gone when the watch starts) and waits for PID 1, which in a
    container may never adopt it. Here a subreaper adopts it, as there."""
    from pcs_analysis.reporting.pool import KERNEL_LIFELINE
    starter = (f"import sys; sys.argv = ['x', {str(tmp_path / 'kernel.json')!r}, {KERNEL_LIFELINE!r}]\n" + STARTER)
    done = subprocess.run([sys.executable, "-c", ADOPTER, starter], capture_output=True, text=True, timeout=90)
    assert done.stdout.strip() == "ended", done.stderr[-2000:] + (tmp_path / "kernel.json.log").read_text()[-2000:]
