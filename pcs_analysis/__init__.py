"""pcs-analysis: compute, explain and plan Microsoft's Partner Capability Score.

`import pcs_analysis as pcs` gives the public API:

>>> import pcs_analysis as pcs
>>> data = pcs.read_data(pcs.SAMPLE_DIR)
>>> result = pcs.score(data, as_of="2026-11-21")
>>> result.summary.columns[:3]
['partner_id', 'partner_name', 'as_of']

Each name is imported from its module when first used, so a kernel that only shows a prepared
report does not pay for altair, scipy or the scenario tools. The modules live in one folder per
layer (`rules`, `inputs`, `engine`, `analysis`, `present`, `reporting`); none is named like a
public function, so importing one never hides a name of this page.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "pcs_analysis.config": ("AREAS", "DEFAULT_RULES_VERSION", "SAMPLE_DIR"),
    "pcs_analysis.errors": ("DataValidationError", "PcsError", "Problem", "RulebookError", "UnknownPartnerError"),
    "pcs_analysis.analysis.explanation": ("Explanation", "explain"),
    "pcs_analysis.analysis.forecasts": ("Forecast", "Rates", "forecast"),
    "pcs_analysis.analysis.impact": ("Impact", "impact"),
    "pcs_analysis.inputs.read": ("CanonicalTables", "PartnerData", "read_data", "validate_frame"),
    "pcs_analysis.analysis.planning": ("CertificationPlan", "plan_certifications"),
    "pcs_analysis.analysis.recommendations": ("Recommendations", "recommend"),
    "pcs_analysis.reporting.partner": ("PartnerReport", "partner_report"),
    "pcs_analysis.rules": ("Rulebook", "list_versions", "load_rules"),
    "pcs_analysis.inputs.sample": ("generate_sample",),
    "pcs_analysis.engine.scoring": ("ScoreResult", "score"),
    "pcs_analysis.analysis.sensitivities": ("Sensitivity", "get_parameter", "sensitivity", "set_parameter"),
    "pcs_analysis.analysis.status": ("History", "Qualification", "history", "qualification"),
    "pcs_analysis.analysis.track_comparison": ("TrackChoice", "track_choice"),
    "pcs_analysis.inputs.unread": ("unread_inputs",),
    "pcs_analysis.analysis.whatif": ("AddCertifiedPeople", "AddCustomer", "Associate", "ExpireCertification",
                                     "GrowActiveUsers", "LoseCustomer", "Scenario", "SetUsage", "WhatIf",
                                     "what_if"),
}
#: Modules an analyst reaches as `pcs.charts`, `pcs.tables` and `pcs.widgets`.
_SUBMODULES = {"charts": "pcs_analysis.present.charts", "tables": "pcs_analysis.present.tables",
               "widgets": "pcs_analysis.present.widgets"}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = list(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'pcs_analysis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors: the names `__getattr__` resolves (a test keeps both lists equal)
    from pcs_analysis.analysis.explanation import Explanation, explain
    from pcs_analysis.analysis.forecasts import Forecast, Rates, forecast
    from pcs_analysis.analysis.impact import Impact, impact
    from pcs_analysis.analysis.planning import CertificationPlan, plan_certifications
    from pcs_analysis.analysis.recommendations import Recommendations, recommend
    from pcs_analysis.analysis.sensitivities import Sensitivity, get_parameter, sensitivity, set_parameter
    from pcs_analysis.analysis.status import History, Qualification, history, qualification
    from pcs_analysis.analysis.track_comparison import TrackChoice, track_choice
    from pcs_analysis.analysis.whatif import (
        AddCertifiedPeople,
        AddCustomer,
        Associate,
        ExpireCertification,
        GrowActiveUsers,
        LoseCustomer,
        Scenario,
        SetUsage,
        WhatIf,
        what_if,
    )
    from pcs_analysis.config import AREAS, DEFAULT_RULES_VERSION, SAMPLE_DIR
    from pcs_analysis.engine.scoring import ScoreResult, score
    from pcs_analysis.errors import DataValidationError, PcsError, Problem, RulebookError, UnknownPartnerError
    from pcs_analysis.inputs.read import CanonicalTables, PartnerData, read_data, validate_frame
    from pcs_analysis.inputs.sample import generate_sample
    from pcs_analysis.inputs.unread import unread_inputs
    from pcs_analysis.reporting.partner import PartnerReport, partner_report
    from pcs_analysis.rules import Rulebook, list_versions, load_rules
