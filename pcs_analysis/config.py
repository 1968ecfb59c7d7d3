"""Paths the package anchors on."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RULES_DIR = PACKAGE_DIR / "rules"
PROJECT_DIR = PACKAGE_DIR.parent
SAMPLE_DIR = PROJECT_DIR / "data" / "sample"

#: The rulebook version used when none is given: the newest published text.
DEFAULT_RULES_VERSION = "2026-05"

AREAS = (
    "data_ai",
    "infrastructure",
    "digital_app_innovation",
    "business_applications",
    "modern_work",
    "security",
)
#: Days it takes to prepare for a certification not given a lead time of its own (plans).
DEFAULT_LEAD_DAYS = 30

#: Usage rows `pcs score` scores at once by default (a partner is never split): about half a
#: gigabyte of peak memory per worker, whatever the portfolio's size.
ROWS_PER_CHUNK = 1_000_000
