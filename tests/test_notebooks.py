"""Notebook hygiene: no logic in cells, typed parameters, no outputs but the checked ones, and
parameters validated by the package."""

import ast
import json
from pathlib import Path

import papermill
import pytest

from pcs_analysis import PcsError
from pcs_analysis.notebook import PARAMETERS, check_given, checked

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_function_or_class_is_defined_in_a_notebook(path):
    for cell in code_cells(path):
        tree = ast.parse("".join(cell["source"]))
        defined = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                                                | ast.Lambda)]
        assert not defined, f"{path.name}: a cell defines {type(defined[0]).__name__}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_documented_and_declared(path):
    cells = code_cells(path)
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1 and cells[0] is tagged[0]
    inspected = papermill.inspect_notebook(str(path))
    assert set(inspected) == set(PARAMETERS[path.stem])
    assert all(p["help"] for p in inspected.values()), "every parameter has a comment"
    assert all(p["inferred_type_name"] in ("str", "float", "int", "bool") for p in inspected.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_templates_hold_only_the_checked_outputs(path):
    for cell in code_cells(path):
        checked_cell = "nbval-check-output" in cell["metadata"].get("tags", [])
        assert bool(cell["outputs"]) == checked_cell
        assert (cell["execution_count"] is not None) == checked_cell


def test_parameters_are_validated():
    good = {"data_dir": "", "as_of": "2026-11-21", "rules_version": "", "partner_id": "P005"}
    assert checked("partner_report", good)["partner_id"] == "P005"
    with pytest.raises(PcsError, match="'as_of' is not a date"):
        checked("partner_report", {**good, "as_of": "21/11/2026"})
    with pytest.raises(PcsError, match="'partner_id' must be str"):
        checked("partner_report", {**good, "partner_id": 5})
    with pytest.raises(PcsError, match="unknown parameter 'partner'"):
        check_given("partner_report", {"partner": "P005"})
