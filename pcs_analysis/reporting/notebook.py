"""What the notebooks in `notebooks/` call: their declared parameters and their validation.

Each notebook has one `parameters` cell of typed, commented defaults (papermill injects its
values after it); its next cell calls `checked(NAME, locals())`, which fails on a parameter of the
wrong type or value and returns them with defaults resolved. `check_given(NAME, given)` rejects
unknown parameter names before a notebook runs (papermill itself only warns about them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcs_analysis.config import AREAS, SAMPLE_DIR
from pcs_analysis.errors import PcsError


@dataclass(frozen=True)
class Param:
    kind: type
    meaning: str
    choices: tuple[str, ...] = ()
    optional: bool = False
    #: An identifier: text whatever it looks like (papermill's `-p partner_id 4567890` passes
    #: a number; Partner Center's ids are numeric).
    is_id: bool = False


_COMMON = {
    "data_dir": Param(str, "folder of the canonical tables ('' = the bundled sample)"),
    "as_of": Param(str, "the day the score is shown, YYYY-MM-DD"),
    "rules_version": Param(str, "rulebook version ('' = the newest)"),
}
PARAMETERS: Mapping[str, Mapping[str, Param]] = {
    "partner_report": {**_COMMON, "partner_id": Param(str, "the partner the report is about", is_id=True),
                       "top": Param(int, "actions and risks shown per area and track"),
                       "chart_renderer": Param(str, "svg (static, offline) or default (interactive, needs the network)",
                                               choices=("default", "svg")),
                       "prepared": Param(str, "the partner's report prepared by `pcs reports` ('' = compute it)")},
    "portfolio_overview": {**_COMMON, "close_within": Param(float, "points below the bar that count as close")},
    "threshold_sensitivity": {**_COMMON, "area": Param(str, "the area whose rules vary", choices=AREAS),
                              "bar_from": Param(float, "lowest qualifying bar tried"),
                              "bar_to": Param(float, "highest qualifying bar tried"),
                              "bar_step": Param(float, "step between bars"),
                              "second_parameter": Param(str, "a second rule parameter (path)"),
                              "second_values": Param(str, "its values, comma-separated")},
    "track_choice": {**_COMMON, "partner_id": Param(str, "the partner", is_id=True),
                     "area": Param(str, "the area whose tracks are compared", choices=AREAS)},
    "scenario_planner": {**_COMMON, "partner_id": Param(str, "the partner", is_id=True),
                         "save_to": Param(str, "the scenario file the Save button writes")},
    "rule_impact": {**_COMMON, "from_version": Param(str, "the rulebook in force, compared with rules_version")},
    "certification_planning": {**_COMMON, "partner_id": Param(str, "the partner", is_id=True),
                               "areas": Param(str, "areas to qualify in, comma-separated"),
                               "target": Param(str, "the day to qualify on, YYYY-MM-DD (empty: default)"),
                               "default_cost": Param(float, "cost of one certification"),
                               "new_hires": Param(int, "new hires the plan may use"),
                               "lead_days": Param(int, "days to prepare one certification")},
}


def _value(notebook: str, name: str, param: Any, namespace: Mapping[str, Any]) -> Any:
    """One parameter of the notebook's namespace, of its declared type (a whole number is taken
    for a float) and among its choices."""
    if name not in namespace:
        raise PcsError(f"{notebook}: parameter {name!r} is missing")
    value = namespace[name]
    if param.is_id and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if param.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, param.kind) or isinstance(value, bool) and param.kind is not bool:
        raise PcsError(f"{notebook}: parameter {name!r} must be {param.kind.__name__}, got {value!r}")
    if param.choices and value not in param.choices:
        raise PcsError(f"{notebook}: parameter {name!r} must be one of {', '.join(param.choices)}")
    return value


def checked(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters from its namespace, validated; `data_dir` '' is the sample,
    `as_of` becomes a date, `rules_version` '' is None.

    Examples
    --------
    >>> checked("portfolio_overview", {"data_dir": "", "as_of": "2026-11-21", "rules_version": "",
    ...                                "close_within": 10.0})["as_of"]
    datetime.date(2026, 11, 21)
    """
    spec = PARAMETERS.get(notebook)
    if spec is None:
        raise PcsError(f"unknown notebook {notebook!r} (known: {', '.join(PARAMETERS)})")
    out = {name: _value(notebook, name, param, namespace) for name, param in spec.items()}
    try:
        out["as_of"] = dt.date.fromisoformat(out["as_of"])
    except ValueError:
        raise PcsError(f"{notebook}: parameter 'as_of' is not a date YYYY-MM-DD: {out['as_of']!r}") from None
    out["data_dir"] = Path(out["data_dir"]) if out["data_dir"] else SAMPLE_DIR
    out["rules_version"] = out["rules_version"] or None
    if "areas" in out:
        out["areas"] = [a.strip() for a in out["areas"].split(",") if a.strip()]
        unknown = [a for a in out["areas"] if a not in AREAS]
        if unknown or not out["areas"]:
            raise PcsError(f"{notebook}: parameter 'areas' names no known area ({', '.join(AREAS)})")
    if "target" in out:
        try:
            out["target"] = dt.date.fromisoformat(out["target"]) if out["target"] else None
        except ValueError:
            raise PcsError(f"{notebook}: parameter 'target' is not a date YYYY-MM-DD") from None
    if "second_values" in out:
        out["second_values"] = [parse_scalar(v) for v in out["second_values"].split(",") if v.strip()]
    return out


def parse_scalar(text: str) -> int | float | str:
    """A whole number, a number, or else the text itself (stripped)."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def sensitivity_grid(params: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The threshold-sensitivity notebook's grid: the qualifying bar from `bar_from` to `bar_to`
    by `bar_step`, crossed with `second_parameter` over `second_values`."""
    if params["bar_step"] <= 0 or params["bar_to"] < params["bar_from"]:
        raise PcsError("threshold_sensitivity: expected bar_from <= bar_to and bar_step > 0")
    count = int(round((params["bar_to"] - params["bar_from"]) / params["bar_step"])) + 1
    bars = [params["bar_from"] + i * params["bar_step"] for i in range(count)]
    grid: dict[str, list[Any]] = {"min_total_points": bars}
    if params["second_parameter"]:
        if not params["second_values"]:
            raise PcsError("threshold_sensitivity: second_values is empty")
        grid[params["second_parameter"]] = params["second_values"]
    return grid


def check_given(notebook: str, given: Mapping[str, Any]) -> None:
    """Reject parameter names a notebook does not declare."""
    spec = PARAMETERS.get(notebook)
    if spec is None:
        raise PcsError(f"unknown notebook {notebook!r} (known: {', '.join(PARAMETERS)})")
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise PcsError(f"{notebook}: unknown parameter {unknown[0]!r} (parameters: {', '.join(spec)})")


__all__ = ["PARAMETERS", "Param", "check_given", "checked", "parse_scalar", "sensitivity_grid"]
