"""pcs-analysis: compute, explain and plan Microsoft's Partner Capability Score.

`import pcs_analysis as pcs` gives the public API:

>>> import pcs_analysis as pcs
>>> data = pcs.read_data(pcs.SAMPLE_DIR)
>>> result = pcs.score(data, as_of="2026-11-21")
>>> result.summary.columns[:3]
['partner_id', 'partner_name', 'as_of']

Each name is imported from its module when first used, so a kernel that only shows a prepared
report does not pay for altair, scipy or the scenario tools.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

_WHERE = {
    ".config": ("AREAS", "DEFAULT_RULES_VERSION", "SAMPLE_DIR"),
    ".errors": ("DataValidationError", "PcsError", "Problem", "RulebookError", "UnknownPartnerError"),
    ".explain": ("Explanation", "explain"),
    ".forecast": ("Forecast", "Rates", "forecast"),
    ".io": ("CanonicalTables", "PartnerData", "read_data", "validate_frame"),
    ".planning": ("CertificationPlan", "plan_certifications"),
    ".recommend": ("recommend",),
    ".report": ("PartnerReport", "partner_report"),
    ".rules": ("Rulebook", "list_versions", "load_rules"),
    ".sample": ("generate_sample",),
    ".scoring": ("ScoreResult", "score"),
    ".sensitivity": ("Sensitivity", "get_parameter", "sensitivity", "set_parameter"),
    ".status": ("History", "Qualification", "history", "qualification"),
    ".track_choice": ("TrackChoice", "track_choice"),
    ".unread": ("unread_inputs",),
    ".whatif": ("AddCertifiedPeople", "AddCustomer", "Associate", "GrowActiveUsers", "LoseCustomer", "Scenario",
                "WhatIf", "what_if"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = list(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)       # a submodule: pcs.charts, pcs.widgets
    else:
        raise AttributeError(f"module 'pcs_analysis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Importing a submodule binds it on its package: `pcs_analysis.recommend` the module would
    then hide `recommend` the function. The functions keep their names."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _MODULE_OF and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # for type checkers and editors: the names `__getattr__` resolves (a test keeps both lists equal)
    from .config import AREAS, DEFAULT_RULES_VERSION, SAMPLE_DIR
    from .errors import DataValidationError, PcsError, Problem, RulebookError, UnknownPartnerError
    from .explain import Explanation, explain
    from .forecast import Forecast, Rates, forecast
    from .io import CanonicalTables, PartnerData, read_data, validate_frame
    from .planning import CertificationPlan, plan_certifications
    from .recommend import recommend
    from .report import PartnerReport, partner_report
    from .rules import Rulebook, list_versions, load_rules
    from .sample import generate_sample
    from .scoring import ScoreResult, score
    from .sensitivity import Sensitivity, get_parameter, sensitivity, set_parameter
    from .status import History, Qualification, history, qualification
    from .track_choice import TrackChoice, track_choice
    from .unread import unread_inputs
    from .whatif import (
        AddCertifiedPeople,
        AddCustomer,
        Associate,
        GrowActiveUsers,
        LoseCustomer,
        Scenario,
        WhatIf,
        what_if,
    )
