"""Rulebooks as data: `<version>/program.toml` plus one `<area>.toml` per solution area."""

from pcs_analysis.rules.load import list_versions, load_rules
from pcs_analysis.rules.model import (
    AreaRules,
    Certification,
    Metric,
    Option,
    Qualification,
    Rate,
    Reading,
    Refresh,
    Rulebook,
    SeatBand,
    TrackClassification,
    TrackRule,
    ValueBand,
    WorkloadRevenueClassification,
)

__all__ = [
    "AreaRules", "Certification", "Metric", "Option", "Qualification", "Rate", "Reading", "Refresh", "Rulebook",
    "SeatBand", "TrackClassification", "TrackRule", "ValueBand", "WorkloadRevenueClassification",
    "list_versions", "load_rules",
]
