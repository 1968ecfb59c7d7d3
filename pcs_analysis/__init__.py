"""pcs-analysis: compute, explain and plan Microsoft's Partner Capability Score.

`import pcs_analysis as pcs` gives the public API:

>>> import pcs_analysis as pcs
>>> data = pcs.read_data(pcs.SAMPLE_DIR)
>>> result = pcs.score(data, as_of="2026-11-21")
>>> result.summary.columns[:3]
['partner_id', 'partner_name', 'as_of']
"""

from .config import AREAS, DEFAULT_RULES_VERSION, SAMPLE_DIR
from .errors import DataValidationError, PcsError, Problem, RulebookError
from .explain import Explanation, explain
from .forecast import Forecast, Rates, forecast
from .io import CanonicalTables, PartnerData, read_data, validate_frame
from .planning import CertificationPlan, plan_certifications
from .recommend import recommend
from .rules import Rulebook, list_versions, load_rules
from .sample import generate_sample
from .scoring import ScoreResult, score
from .sensitivity import Sensitivity, get_parameter, sensitivity, set_parameter
from .status import History, Qualification, history, qualification
from .track_choice import TrackChoice, track_choice
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

__all__ = [
    "AREAS", "CanonicalTables", "DEFAULT_RULES_VERSION", "SAMPLE_DIR", "DataValidationError", "Explanation",
    "History", "PartnerData", "PcsError", "Problem", "Qualification", "Rulebook", "RulebookError",
    "ScoreResult", "explain", "generate_sample", "history", "list_versions", "load_rules", "qualification",
    "read_data", "recommend", "score", "validate_frame", "Sensitivity", "get_parameter", "sensitivity",
    "set_parameter", "AddCertifiedPeople", "AddCustomer", "Associate", "GrowActiveUsers", "LoseCustomer",
    "Scenario", "WhatIf", "what_if", "Forecast", "Rates", "forecast", "CertificationPlan", "plan_certifications",
    "TrackChoice", "track_choice",
]
