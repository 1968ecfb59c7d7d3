"""Exceptions raised by pcs_analysis. Each carries a message a user can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PcsError(Exception):
    """Base class of every error this package raises on purpose."""


class DefectError(RuntimeError):
    """A check of the toolkit's own results failed: a defect to report, not a problem of the input."""


class UnknownPartnerError(PcsError, KeyError):
    """A partner id that the data do not hold (the same error from every function)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RulebookError(PcsError):
    """A rulebook file is missing, malformed or inconsistent (names the file and the key)."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input table."""

    file: str
    column: str | None
    rows: tuple[int, ...]
    message: str
    #: What the numbers in `rows` count: "line" (CSV line, the header is line 1) or "row".
    label: str = "row"

    def describe(self, *, max_rows: int = 10) -> str:
        where = self.file if self.column is None else f"{self.file}, column '{self.column}'"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:max_rows])
            more = len(self.rows) - max_rows
            noun = self.label if len(self.rows) == 1 else f"{self.label}s"
            rows = f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")
            return f"{where}, {rows}: {self.message}"
        return f"{where}: {self.message}"


#: Problems listed in a message (all of them stay in `DataValidationError.problems`).
MAX_PROBLEMS = 30


class DataValidationError(PcsError):
    """Input tables failed validation; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        lines = [f"{len(self.problems)} problem(s) in the input data:"]
        lines += [f"  - {p.describe()}" for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - MAX_PROBLEMS} more (`problems` lists them all)")
        super().__init__("\n".join(lines))
