"""The workers of a bulk run: local processes, or an existing Dask cluster; partners in chunks."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from pcs_analysis.reporting.jobs import CHUNK, Job


def chunks(jobs: list[Job], workers: int) -> list[list[Job]]:
    """Partners in chunks for the preparation: one scoring pass has a fixed cost of several
    seconds, so as few chunks as keep every worker busy, of at most CHUNK partners each."""
    if not jobs:
        return []
    count = max(workers, -(-len(jobs) // CHUNK))
    size = -(-len(jobs) // count)
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


@contextmanager
def worker_pool(workers: int, scheduler: str | None):
    """`run(fn, items)`: (item, result) pairs as they finish, on local worker processes or a Dask
    cluster; a result is the exception when the call raised or its worker died."""
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            def run(fn, items):
                futures = {client.submit(fn, item, pure=False, key=f"{fn.__name__}-{uuid.uuid4().hex}"): item
                           for item in items}
                yield from collect(futures, dask_completed(futures))
            yield run
        return
    # spawned, not forked: a fork of a process whose polars thread pool is running can deadlock
    pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_started, initargs=(os.getpid(),))
    try:
        def run(fn, items):
            futures = {pool.submit(fn, item): item for item in items}
            yield from collect(futures, as_completed(futures))
        yield run
    except BaseException:
        # An interrupt or a failure: stop now, not after the work still queued.
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued work and end the worker processes at once."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def _worker_started(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the workers; no traceback from
    each of them), and the worker ends when its parent does, even killed with SIGKILL (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent)


def end_with_parent(parent: int) -> None:
    """Ask Linux to send SIGKILL to this process when its parent ends (elsewhere: nothing), and end
    now if `parent`, the process that started this one, has already ended. An orphan is adopted by
    PID 1 or, in many containers, by another reaper: the test is the parent's id, not 1."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if parent and os.getppid() != parent:   # the parent ended before the request
        os._exit(1)


#: Run first in each report kernel: it ends with the worker that started it. The kernel's own watch
#: of its parent gives up when the parent is gone before it starts, and then waits for PID 1, which
#: in a container may never adopt it.
KERNEL_LIFELINE = ("--IPKernelApp.exec_lines=[\"__import__('pcs_analysis.reporting.pool').reporting.pool"
                   ".end_with_parent(int(__import__('os').environ.get('JPY_PARENT_PID') or 0))\"]")


def collect(futures: dict, finished):
    for future in finished:
        try:
            yield futures[future], future.result()
        except Exception as exc:
            yield futures[future], exc
