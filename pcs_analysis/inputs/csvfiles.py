"""Reading CSV files as text, and saying clearly why one cannot be read.

Polars' own parse errors name no line and give advice a user cannot act on; when a file does not
parse, `diagnose_csv` reads it again with Python's csv module and says what is wrong and where:
not UTF-8 (the line, and how to re-save), another delimiter, a line with more or fewer fields
than the header, a quote that is never closed, an empty file. Quoted values are cut to a
readable length (`shorten`), so a message stays a few lines whatever the file holds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from pcs_analysis.errors import Problem

#: Longest quoted value in a message.
MAX_VALUE_CHARS = 60


def shorten(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """`value` as text, cut to `limit` characters with the length said.

    Examples
    --------
    >>> shorten("W" * 100, 10)
    'WWWWWWWWWW… (100 characters)'
    """
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def read_csv_text(path: Path) -> tuple[pl.DataFrame | None, Problem | None]:
    """Every column of a CSV file as text, or the problem that stops it from being read."""
    problem = _unreadable_path(path)
    if problem is not None:
        return None, problem
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except Exception:  # polars raises several error types for unreadable files
        return None, diagnose_csv(path)
    # Another delimiter parses as a single column named after the whole header line.
    hint = delimiter_hint(frame.columns[0]) if len(frame.columns) == 1 else None
    if hint:
        return None, Problem(str(path), None, (1,), hint, "line")
    return frame, None


def _unreadable_path(path: Path) -> Problem | None:
    if path.is_symlink() and not path.exists():
        return Problem(str(path), None, (), f"is a broken symbolic link (to {path.readlink()})")
    if path.is_dir():
        return Problem(str(path), None, (), "is a folder, not a file")
    return None


def diagnose_csv(path: Path) -> Problem:
    """Why `path` cannot be read as a comma-separated UTF-8 file, with the line."""
    data = path.read_bytes()
    if not data.strip():
        return Problem(str(path), None, (), "is empty (expected a header line with the column names)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return Problem(str(path), None, (line,), f"is not UTF-8 text (byte 0x{data[exc.start]:02X}); re-save the "
                       "file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')", "line")
    header = text.splitlines()[0]
    hint = delimiter_hint(header)
    if hint:
        return Problem(str(path), None, (1,), hint, "line")
    return _shape_problem(path, text) or Problem(str(path), None, (), "cannot be read as CSV")


def delimiter_hint(header: str) -> str | None:
    """A hint when a header line looks separated by something other than commas."""
    if "," in header:
        return None
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
        if delimiter in header:
            return (f"looks separated by {name}, not commas (header: {shorten(header)!r}); pcs reads "
                    "comma-separated files: re-save it as CSV with commas")
    return None


def _shape_problem(path: Path, text: str) -> Problem | None:
    """The first record whose field count differs from the header's, or a quote never closed."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected, start = None, 1
    try:
        for fields in reader:
            if expected is None:
                expected = len(fields)
            elif fields and len(fields) != expected:
                return Problem(str(path), None, (start,), f"has {len(fields)} fields where the header has "
                               f"{expected} (a comma inside a value needs quotes)", "line")
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = "a quote is opened and never closed" if "end of data" in str(exc) or "EOF" in str(exc) \
            else f"malformed quoting ({shorten(exc)})"
        return Problem(str(path), None, (start,), f"{reason} in the record starting here", "line")
    return None
