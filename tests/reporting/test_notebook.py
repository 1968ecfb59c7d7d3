"""Notebook hygiene: no logic in cells, typed parameters, no outputs but the checked ones, and
parameters validated by the package."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from pcs_analysis import PcsError
from pcs_analysis.reporting.notebook import PARAMETERS, check_given, checked
from tests.builders import FIXTURES, ROOT

pytestmark = pytest.mark.slow  # papermill kernels

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


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
def test_no_number_is_written_outside_the_parameters_cell(path):
    # Every number a notebook uses is a parameter or comes from the rulebook (never a PCS number
    # typed into a cell).
    for cell in code_cells(path)[1:]:
        tree = ast.parse("".join(cell["source"]))
        numbers = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                   and isinstance(n.value, int | float) and not isinstance(n.value, bool)]
        assert not numbers, f"{path.name}: a cell writes the number {numbers[0]}"


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
    good = {"data_dir": "", "as_of": "2026-11-21", "rules_version": "", "partner_id": "P005", "top": 3,
            "chart_renderer": "default", "prepared": ""}
    assert checked("partner_report", good)["partner_id"] == "P005"
    with pytest.raises(PcsError, match="'as_of' is not a date"):
        checked("partner_report", {**good, "as_of": "21/11/2026"})
    with pytest.raises(PcsError, match="'partner_id' must be str"):
        checked("partner_report", {**good, "partner_id": 5.5})
    with pytest.raises(PcsError, match="'top' must be int"):
        checked("partner_report", {**good, "top": "3"})
    with pytest.raises(PcsError, match="unknown parameter 'partner'"):
        check_given("partner_report", {"partner": "P005"})


def test_notebook_helpers_parse_lists_and_the_sensitivity_grid():
    from pcs_analysis.reporting.notebook import sensitivity_grid
    base = {"data_dir": "", "as_of": "2026-11-01", "rules_version": "", "partner_id": "P5",
            "areas": "modern_work, security", "target": "", "default_cost": 1, "new_hires": 0, "lead_days": 5}
    params = checked("certification_planning", base)
    assert params["areas"] == ["modern_work", "security"] and params["target"] is None
    assert params["default_cost"] == 1.0
    with pytest.raises(PcsError, match="'areas' names no known area"):
        checked("certification_planning", {**base, "areas": "modern work"})
    grid = sensitivity_grid({"bar_from": 60.0, "bar_to": 70.0, "bar_step": 5.0, "second_parameter": "x",
                             "second_values": [1, 2]})
    assert grid == {"min_total_points": [60.0, 65.0, 70.0], "x": [1, 2]}


def test_widgets_build_and_rescore_when_moved(sample_data):
    import datetime as dt

    from pcs_analysis import load_rules, widgets
    box = widgets.sensitivity_explorer(sample_data, as_of=dt.date(2026, 11, 21), area="modern_work",
                                       rules=load_rules(), parameters=["min_total_points"])
    choice, value, _ = box.children
    assert choice.value == "min_total_points" and value.value == 70 and value.min == 35 and value.max == 105
    value.value = 60.0   # moving the slider rescores (the output needs a front end to show)


def test_the_code_and_the_notebooks_pass_the_linter():
    """`make lint` (ruff) on the package, the tests, the benchmarks, the notebooks and the docs
    script: the same settings as pyproject.toml."""
    import subprocess
    import sys
    from pathlib import Path

    root = ROOT
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run([str(ruff), "check", "pcs_analysis", "tests", "bench", "notebooks", "docs/screenshots.py"],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("notebook", [n for n, spec in PARAMETERS.items() if "partner_id" in spec])
def test_a_numeric_partner_id_is_taken_as_text(notebook):
    """papermill's `-p partner_id 4567890` injects a number: an id is text whatever it looks like."""
    given = {name: param.kind() for name, param in PARAMETERS[notebook].items()}
    given |= {"as_of": "2026-11-21", "partner_id": 4567890}
    given |= {name: PARAMETERS[notebook][name].choices[0] for name in given if PARAMETERS[notebook][name].choices}
    if "areas" in given:
        given["areas"] = "modern_work"
    assert checked(notebook, given)["partner_id"] == "4567890"


def test_papermill_runs_the_report_for_a_numeric_partner_id(tmp_path):
    """The Partner Center import's numeric PGAMpnId, given with `-p` as a user types it."""
    from tests.builders import run
    run("import", "partner-center", FIXTURES, tmp_path / "data")
    out = tmp_path / "report.ipynb"
    papermill_cli = str(Path(sys.executable).with_name("papermill"))
    proc = subprocess.run([papermill_cli, str(NOTEBOOK_DIR / "partner_report.ipynb"), str(out), "-k", "python3",
                           "-p", "data_dir", str(tmp_path / "data"), "-p", "as_of", "2026-11-21",
                           "-p", "partner_id", "4455667", "--no-progress-bar"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "4455667" in out.read_text()
