"""Folder-level conveniences shared by the CLI, notebooks and reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .explain import Explanation, explain
from .io import read_data
from .rules import load_rules
from .scoring import ScoreResult, score


def score_folder(data_dir: str | Path, *, as_of: dt.date | str, rules_version: str | None = None,
                 lag: bool = True, areas: list[str] | None = None) -> ScoreResult:
    """Read, validate and score a data folder (what `pcs score` does, without writing)."""
    rules = load_rules(rules_version)
    return score(read_data(data_dir, rules=rules), as_of=as_of, rules=rules, lag=lag,
                 areas=areas or None)


def explain_folder(data_dir: str | Path, partner_id: str, *, as_of: dt.date | str,
                   rules_version: str | None = None, lag: bool = True,
                   areas: list[str] | None = None) -> Explanation:
    """Read, validate and explain one partner of a data folder (what `pcs explain` does)."""
    rules = load_rules(rules_version)
    return explain(read_data(data_dir, rules=rules), partner_id, as_of=as_of, rules=rules, lag=lag,
                   areas=areas or None)
