"""Writing results: every CSV is written completely or not at all.

Files are written into a staging folder next to the target and only then moved into place, so
a failure or an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pcs_analysis.errors import PcsError

DATE_FORMAT = "%Y-%m-%d"


def check_output_folder(folder: str | Path) -> Path:
    """Refuse an output folder that is an existing file or lies under one (nothing is written)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PcsError(f"{folder}: is an existing file, not a folder; choose another output folder")
    _check_ancestors(folder)
    return folder


def check_output_file(path: str | Path) -> Path:
    """Refuse an output file that is an existing folder or lies under a file."""
    path = Path(path)
    if path.is_dir():
        raise PcsError(f"{path}: is an existing folder, not a file; choose another output file")
    _check_ancestors(path)
    return path


def _check_ancestors(path: Path) -> None:
    for parent in path.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise PcsError(f"{path}: cannot be written because {parent} is a file, not a folder")


def write_csvs(folder: str | Path, frames: Mapping[str, pl.DataFrame]) -> Path:
    """Write each frame as `folder/<name>.csv`, all of them or none; other files in the folder
    are kept (nothing is moved or deleted that this call did not write)."""
    folder = check_output_folder(folder)
    for name in frames:
        target = folder / f"{name}.csv"
        if target.is_dir() or target.is_symlink():
            raise PcsError(f"{target}: is a folder or a link; it would be replaced: remove it or choose "
                           "another folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, frame in frames.items():
            frame.write_csv(staging / f"{name}.csv", date_format=DATE_FORMAT)
            (staging / f"{name}.csv").chmod(0o644)
        folder.mkdir(parents=True, exist_ok=True)
        for name in frames:
            (staging / f"{name}.csv").replace(folder / f"{name}.csv")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def write_csv(path: str | Path, frame: pl.DataFrame) -> Path:
    """Write one CSV file atomically (a temporary file renamed into place)."""
    return _write_atomically(path, lambda stream: frame.write_csv(stream, date_format=DATE_FORMAT))


def write_text(path: str | Path, text: str) -> Path:
    """Write one text file (UTF-8) atomically (a temporary file renamed into place)."""
    return _write_atomically(path, lambda stream: stream.write(text.encode("utf-8")))


def _write_atomically(path: str | Path, write) -> Path:
    path = check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with open(handle, "wb") as stream:
            write(stream)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
