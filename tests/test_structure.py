"""The package's structure as rules a change cannot break in silence: layers import downwards
only, no module reaches into another's private names, and time is counted in one place."""

from __future__ import annotations

import ast
import re

import pytest

from pcs_analysis.config import PACKAGE_DIR

#: Lowest first: a module imports from its own layer or a lower one only.
LAYERS = (
    {"config", "errors", "names", "output"},
    {"rules"},
    {"inputs"},
    {"engine"},
    {"analysis"},
    {"present"},
    {"reporting"},
    {"cli", "__init__", "__main__"},
)
#: Synthetic data, not rules: the sample generator draws dates of its own.
NOT_TIME_RULES = {"inputs/sample.py"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(PACKAGE_DIR).as_posix(), ast.parse(path.read_text()))
            for path in sorted(PACKAGE_DIR.rglob("*.py"))]


def _layer(name: str) -> int:
    """The layer of `pcs_analysis.<top>...` or of a module path `top/...py`."""
    top = name.removeprefix("pcs_analysis.").split(".")[0].split("/")[0].removesuffix(".py")
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def _imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)]


def _imported(node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return [alias.name for alias in node.names]


def test_every_module_has_a_layer():
    for where, _ in _modules():
        assert _layer(where) >= 0, where


def test_imports_go_to_the_same_layer_or_a_lower_one():
    """Including imports inside functions: a lazy import upwards is still a cycle of knowledge."""
    upwards = [f"{where}:{node.lineno} imports {name}"
               for where, tree in _modules() for node in _imports(tree) for name in _imported(node)
               if name.startswith("pcs_analysis.") and _layer(name) > _layer(where)]
    assert not upwards, "\n".join(upwards)


def test_no_module_imports_another_modules_private_names():
    private = [f"{where}:{node.lineno} imports {node.module}.{alias.name}"
               for where, tree in _modules() for node in _imports(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not private, "\n".join(private)


def _month_arithmetic(tree: ast.Module) -> list[int]:
    """Lines that count months or refresh days by hand: `x * 12`, `x // 12`, `x % 12`, or a
    date's `.replace(day=...)`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.FloorDiv | ast.Mod) and any(
                isinstance(side, ast.Constant) and side.value == 12 for side in (node.left, node.right)):
            lines.append(node.lineno)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace"
                and any(k.arg == "day" for k in node.keywords)):
            lines.append(node.lineno)
    return lines


def test_months_and_refresh_days_are_counted_in_rules_periods_only():
    found = [f"{where}:{line}" for where, tree in _modules()
             if where != "rules/periods.py" and where not in NOT_TIME_RULES for line in _month_arithmetic(tree)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("source", "found"), [
    ("m = year * 12 + month", [1]), ("d = day.replace(day=20)", [1]), ("y = m // 12", [1]),
    ("n = 12", []), ("d = day.replace(month=2)", []), ("x = a * 11", []),
])
def test_the_month_guard_finds_month_arithmetic(source, found):
    assert _month_arithmetic(ast.parse(source)) == found


#: The test helpers every test module may import.
TEST_HELPERS = {"tests.builders", "tests.browser", "tests.golden", "tests.notebook_outputs"}


def test_test_modules_share_helpers_only_through_the_helper_modules():
    """A test module imports no other test module: what several share lives in `tests/builders.py`
    (or the browser, golden and notebook-output helpers)."""
    folder = PACKAGE_DIR.parent / "tests"
    found = [f"{path.relative_to(folder)}:{node.lineno} imports {node.module}"
             for path in sorted(folder.rglob("*.py")) for node in _imports(ast.parse(path.read_text()))
             if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.")
             and node.module not in TEST_HELPERS]
    assert not found, "\n".join(found)


#: What particular kinds have (`rules/kinds/`): a composite metric's parts, prerequisite steps
#: and their people and points, value bands, gates. Outside the kinds' modules the package asks
#: the kind (`Kind` hooks, `TrackSettings`, `Metric.leaves`), never the field.
KIND_FIELDS = {"parts_combine", "step_levels", "prerequisite_people", "prerequisite_points", "value_band",
               "min_baseline"}
#: Kind fields whose names other objects share (a path's parts, an explanation's steps): a read
#: off a metric, a leaf, a rule or their settings.
SHARED_FIELDS = {"parts", "steps"}
METRIC_LIKE = {"metric", "leaf", "part", "parent", "m", "rule", "settings"}
#: The kinds' labels of their people slots (`rules/kinds/people.py`).
STEP_LABEL = re.compile(r"^(scoring|step \d+)$")


def _metric_like(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id in METRIC_LIKE) or (
        isinstance(node, ast.Attribute) and node.attr in METRIC_LIKE)


def _kind_knowledge(tree: ast.Module) -> list[tuple[int, str]]:
    """Attribute reads of a kind's fields (`metric.parts`, `rule.value_band`), a step's label
    ("scoring", "step 1") and a test of one (`label.startswith("step")`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (
                node.attr in KIND_FIELDS or (node.attr in SHARED_FIELDS and _metric_like(node.value))):
            found.append((node.lineno, f".{node.attr}"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and STEP_LABEL.match(node.value):
            found.append((node.lineno, repr(node.value)))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith"
                and any(isinstance(a, ast.Constant) and a.value == "step" for a in node.args)):
            found.append((node.lineno, "startswith('step')"))
    return found


def test_only_the_kinds_know_their_own_fields():
    """The engine, explanations, planner, forecasts, recommendations, sensitivity, `rules show`
    and the terminal read a kind's settings and words through the kind."""
    found = [f"{where}:{line} reads {what}" for where, tree in _modules()
             if not where.startswith("rules/kinds/") for line, what in _kind_knowledge(tree)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("source", "found"), [
    ("if metric.parts: pass", [(1, ".parts")]), ("x = rule.value_band", [(1, ".value_band")]),
    ("ok = slot.step.startswith('step')", [(1, "startswith('step')")]), ("s = 'scoring'", [(1, "'scoring'")]),
    ("y = rule.prerequisite_people", [(1, ".prerequisite_people")]), ("n = len(leaf.steps)", [(1, ".steps")]),
    ("s = 'step 2'", [(1, "'step 2'")]), ("x = self.metric.parts", [(1, ".parts")]),
    ("leaves = metric.leaves()", []), ("s = 'steps and the glossary'", []), ("p = path.parts", []),
    ("rows = e.steps", []), ("c = pl.col('step')", []),
])
def test_the_kind_guard_finds_kind_fields(source, found):
    assert _kind_knowledge(ast.parse(source)) == found
