"""The expected outputs of the notebooks' checked cells (tag `nbval-check-output`).

The templates in `notebooks/` are committed without outputs, except these cells' expected text:
nbval re-executes every notebook in `make test` and compares them, so a changed figure fails.
Regenerate after an intended change with `make notebook-outputs` (or
`python -m tests.notebook_outputs --write`) and review the diff.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECKED = "nbval-check-output"


def is_checked(cell) -> bool:
    return CHECKED in cell.get("metadata", {}).get("tags", [])


def refresh(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / path.name
        papermill.execute_notebook(str(path), str(executed), kernel_name="python3", progress_bar=False,
                                   log_output=False)
        ran = nbformat.read(executed, as_version=4)
    template = nbformat.read(path, as_version=4)
    code = [c for c in template.cells if c.cell_type == "code"]
    done = [c for c in ran.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    for number, (cell, result) in enumerate(zip(code, done, strict=True), start=1):
        # nbval skips a cell with outputs but no execution count ("unrun"): checked cells keep one.
        cell.outputs = result.outputs if is_checked(cell) else []
        cell.execution_count = number if is_checked(cell) else None
        for output in cell.outputs:
            if "execution_count" in output:
                output["execution_count"] = number
    nbformat.write(template, path)


def main(argv: list[str]) -> int:
    if "--write" not in argv:
        print("usage: python -m tests.notebook_outputs --write")
        return 2
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        refresh(path)
        print(f"wrote the checked outputs of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
