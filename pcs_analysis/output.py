"""Writing results: every CSV is written completely or not at all.

Files are written into a staging folder next to the target and only then moved into place, so
a failure or an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import polars as pl

DATE_FORMAT = "%Y-%m-%d"


def write_csvs(folder: str | Path, frames: Mapping[str, pl.DataFrame], *, replace: bool = False) -> Path:
    """Write each frame as `folder/<name>.csv`, all of them or none.

    With `replace`, the folder is replaced as a whole (a data folder); otherwise the files are
    moved into it and other files there are kept (an output folder).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, frame in frames.items():
            frame.write_csv(staging / f"{name}.csv", date_format=DATE_FORMAT)
        if replace:
            staging.chmod(0o755)
            _replace_dir(staging, folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            for name in frames:
                (staging / f"{name}.csv").replace(folder / f"{name}.csv")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def write_csv(path: str | Path, frame: pl.DataFrame) -> Path:
    """Write one CSV file atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with open(handle, "wb") as stream:
            frame.write_csv(stream, date_format=DATE_FORMAT)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write one text file atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with open(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _replace_dir(staging: Path, target: Path) -> None:
    """Move a fully written `staging` folder to `target`, replacing what was there."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(backup)
    staging.rename(target)
    if backup is not None:
        shutil.rmtree(backup)
