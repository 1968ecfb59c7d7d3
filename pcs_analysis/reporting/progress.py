"""Where a bulk run stands: progress sent after every step, and a bar that draws it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pcs_analysis.reporting.jobs import Outcome


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


class Tracker:
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
