"""Writing results: a set of output files is written completely or not at all.

The files of one run are written into a staging folder inside the output folder (the same file
system as their targets, so that a container volume or a network share that is itself the output
folder works), then committed: a `COMMIT` record naming them is written into the staging folder
last (one atomic rename), and only then are they renamed into place. A run killed before the
record leaves the output folder as it was; one killed during the renames has written the record,
and the next run into that folder finishes them (`recover`). One run at a time writes into a
folder (`exclusive`): a second is refused with a clear message. Other files of the folder are
never moved or deleted.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import polars as pl

from pcs_analysis.errors import PcsError

DATE_FORMAT = "%Y-%m-%d"
#: The lock of a folder being written, and the prefix of its staging folders.
LOCK = ".pcs-lock"
STAGE_PREFIX = ".pcs-stage-"
#: The record that makes a staging folder's files the new set (written last).
COMMIT = "COMMIT"


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


def disk_error(path: Path, exc: OSError) -> PcsError:
    """The one line a user reads when the disk refuses a write."""
    reasons = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
               errno.EPERM: "permission denied", errno.ENAMETOOLONG: "a file name or the path is too long",
               errno.EXDEV: "the files cannot be moved across file systems"}
    # polars reports the system's error in its message only: "... (os error 28)".
    found = re.search(r"os error (\d+)", str(exc))
    code = exc.errno or (int(found.group(1)) if found else 0)
    reason = reasons.get(code, exc.strerror or (os.strerror(code) if code else str(exc) or type(exc).__name__))
    return PcsError(f"{path}: cannot be written: {reason}; nothing was changed there")


@contextmanager
def exclusive(folder: Path, *, what: str = "pcs") -> Iterator[Path]:
    """Hold `folder` for one writer: a second is refused at once. Creates the folder (and
    removes it again, if it stays empty and the run fails). Finishes or clears what a killed run
    left (`recover`)."""
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = _lock(folder, what)
    except OSError as exc:
        raise disk_error(folder, exc) from None
    failed = True
    try:
        recover(folder)
        yield folder
        failed = False
    finally:
        (folder / LOCK).unlink(missing_ok=True)
        os.close(handle)
        if failed and created:
            with suppress(OSError):
                folder.rmdir()


def _lock(folder: Path, what: str) -> int:
    """An exclusive lock on `folder/LOCK` (the file removed by its holder at the end; a lock
    taken on a file another writer just removed is taken again)."""
    path = folder / LOCK
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise PcsError(f"{folder}: another pcs run is writing to this folder; {what} was not started "
                           "(wait for the other run to finish, or choose another folder)") from None
        try:
            if os.fstat(handle).st_ino == os.stat(path).st_ino:
                return handle
        except FileNotFoundError:
            pass
        os.close(handle)


def recover(folder: Path) -> list[str]:
    """Finish the commit of a staging folder that holds its COMMIT record (a run killed while
    renaming), and remove the staging folders of runs killed before it. Returns the files moved."""
    moved: list[str] = []
    for stage in sorted(folder.glob(f"{STAGE_PREFIX}*")):
        record = stage / COMMIT
        if stage.is_dir() and record.is_file():
            names = [n for n in record.read_text(encoding="utf-8").splitlines() if n]
            moved += [n for n in names if _move_in(stage, folder, n)]
        shutil.rmtree(stage, ignore_errors=True)
    return moved


def _move_in(stage: Path, folder: Path, name: str) -> bool:
    """Rename `stage/name` to `folder/name` (a folder it replaces is moved aside into the stage
    first); False when it was moved already."""
    source, target = stage / name, folder / name
    if not source.exists():
        return False
    if target.is_dir() and not target.is_symlink():
        target.rename(stage / f".replaced-{name}")
    source.replace(target)
    return True


class Stage:
    """A staging folder inside an output folder: files are written here, then `commit` makes
    them the folder's, all at once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
        self.path.mkdir()

    def file(self, name: str) -> Path:
        return self.path / name

    def commit(self, names: list[str]) -> None:
        """Write the COMMIT record naming `names` (one atomic rename), then move them in."""
        for name in names:
            target = self.folder / name
            if target.is_symlink() or (target.is_dir() and not (self.path / name).is_dir()):
                raise PcsError(f"{target}: is a folder or a link; it would be replaced: remove it or choose "
                               "another folder")
        record = self.path / f".{COMMIT}.tmp"
        record.write_text("\n".join(names) + "\n", encoding="utf-8")
        record.replace(self.path / COMMIT)
        for name in names:
            _move_in(self.path, self.folder, name)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staged(folder: str | Path, *, what: str = "pcs") -> Iterator[Stage]:
    """`with staged(folder) as stage:` write into `stage.file(name)`, then `stage.commit(names)`;
    a failure or an interrupt before the commit leaves `folder` as it was. The disk's refusals
    (full, read-only, a name too long) are one clear error."""
    folder = check_output_folder(folder)
    with exclusive(folder, what=what):
        try:
            stage = Stage(folder)
        except OSError as exc:
            raise disk_error(folder, exc) from None
        try:
            yield stage
        except OSError as exc:
            raise disk_error(folder, exc) from None
        finally:
            stage.remove()


def write_csvs(folder: str | Path, frames: Mapping[str, pl.DataFrame], *, what: str = "pcs") -> Path:
    """Write each frame as `folder/<name>.csv`, all of them or none; other files in the folder
    are kept (nothing is moved or deleted that this call did not write)."""
    folder = check_output_folder(folder)
    for name in frames:
        target = folder / f"{name}.csv"
        if target.is_dir() or target.is_symlink():
            raise PcsError(f"{target}: is a folder or a link; it would be replaced: remove it or choose "
                           "another folder")
    with staged(folder, what=what) as stage:
        for name, frame in frames.items():
            frame.write_csv(stage.file(f"{name}.csv"), date_format=DATE_FORMAT)
            stage.file(f"{name}.csv").chmod(0o644)
        stage.commit([f"{name}.csv" for name in frames])
    return folder


def write_csv(path: str | Path, frame: pl.DataFrame) -> Path:
    """Write one CSV file atomically (a temporary file renamed into place)."""
    return _write_atomically(path, lambda stream: frame.write_csv(stream, date_format=DATE_FORMAT))


def write_text(path: str | Path, text: str) -> Path:
    """Write one text file (UTF-8) atomically (a temporary file renamed into place)."""
    return _write_atomically(path, lambda stream: stream.write(text.encode("utf-8")))


def _write_atomically(path: str | Path, write: Callable) -> Path:
    path = check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise disk_error(path, exc) from None
    try:
        with open(handle, "wb") as stream:
            write(stream)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except OSError as exc:
        raise disk_error(path, exc) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
