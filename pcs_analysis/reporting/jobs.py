"""What a bulk run hands its workers and gets back: one partner's job and its outcome, and the
settings every job shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pcs_analysis.config import PACKAGE_DIR

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
class PrepareJob:
    data_dir: str
    rules_version: str
    as_of: dt.date
    top: int
    folders: dict[str, str]        # partner id -> the folder its prepared report goes to
