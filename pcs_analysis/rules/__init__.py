"""Rulebooks as data: `<version>/program.toml` plus one `<area>.toml` per solution area."""

from .loader import list_versions, load_rules
from .model import (
    AreaRules,
    Certification,
    Metric,
    Option,
    Qualification,
    Refresh,
    Rulebook,
    SeatBand,
    TrackRule,
)

__all__ = [
    "AreaRules", "Certification", "Metric", "Option", "Qualification", "Refresh", "Rulebook",
    "SeatBand", "TrackRule", "list_versions", "load_rules",
]
