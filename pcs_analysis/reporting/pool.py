"""The workers of a bulk run: local processes, or an existing Dask cluster; partners in chunks."""

from __future__ import annotations

import multiprocessing
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
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        def run(fn, items):
            futures = {pool.submit(fn, item): item for item in items}
            yield from collect(futures, as_completed(futures))
        yield run


def collect(futures: dict, finished):
    for future in finished:
        try:
            yield futures[future], future.result()
        except Exception as exc:
            yield futures[future], exc
