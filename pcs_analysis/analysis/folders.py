"""Folder-level conveniences shared by the CLI, notebooks and reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pcs_analysis.analysis.explanation import Explanation, explain
from pcs_analysis.analysis.recommendations import recommend
from pcs_analysis.analysis.status import History, Qualification, history, qualification
from pcs_analysis.errors import PcsError
from pcs_analysis.inputs.read import PartnerData, read_data
from pcs_analysis.inputs.unread import describe_unread, month_warnings, not_read, unread_inputs
from pcs_analysis.rules import Rulebook, load_rules


def explain_folder(data_dir: str | Path, partner_id: str, *, as_of: dt.date | str,
                   rules_version: str | None = None, lag: bool = True,
                   areas: list[str] | None = None,
                   strict: bool = False) -> tuple[Explanation, pl.DataFrame, list[str]]:
    """Read, validate and explain one partner of a data folder (what `pcs explain` does), with
    that partner's inputs no rule reads and warnings about the data month shown."""
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=[partner_id])
    unread = checked_unread(data, rules, strict=strict, where=data_dir)
    explanation = explain(data, partner_id, as_of=as_of, rules=rules, lag=lag, areas=areas or None)
    return explanation, unread, month_warnings(data, rules, as_of, lag=lag)


def checked_unread(data: PartnerData, rules: Rulebook, *, strict: bool, where: str | Path) -> pl.DataFrame:
    """The inputs no rule reads; with `strict`, their presence is an error naming them."""
    unread = unread_inputs(data, rules=rules)
    if strict and not_read(unread).height:
        raise PcsError(f"{where}: --strict: inputs no rule reads\n{describe_unread(unread)}")
    return unread


def load_folder(data_dir: str | Path, *, rules_version: str | None = None,
                partners: list[str] | None = None) -> tuple[PartnerData, Rulebook]:
    """Read and validate a data folder, optionally keeping only some partners (an unknown
    partner id is an error)."""
    rules = load_rules(rules_version)
    data = read_data(data_dir, rules=rules)
    if partners:
        data.require_partners(partners)
        data = data.only_partners(partners)
    return data, rules


def history_folder(data_dir: str | Path, *, as_of: dt.date | str, months: int | None = None,
                   rules_version: str | None = None, lag: bool = True, areas: list[str] | None = None,
                   partners: list[str] | None = None) -> History:
    """What `pcs history` computes: the scoring history of a data folder."""
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=partners)
    return history(data, as_of=as_of, months=months, rules=rules, lag=lag, areas=areas or None)


def qualification_folder(data_dir: str | Path, *, as_of: dt.date | str, rules_version: str | None = None,
                         lag: bool = True, areas: list[str] | None = None,
                         partners: list[str] | None = None) -> Qualification:
    """What `pcs status` computes: window, qualifying days and status per partner and area."""
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=partners)
    return qualification(data, as_of=as_of, rules=rules, lag=lag, areas=areas or None)


def recommend_folder(data_dir: str | Path, *, as_of: dt.date | str, rules_version: str | None = None,
                     lag: bool = True, areas: list[str] | None = None, partners: list[str] | None = None,
                     on_area: Callable[[str, int, int], None] | None = None):
    """What `pcs recommend` computes: ranked actions, gaps and risks per partner and area."""
    data, rules = load_folder(data_dir, rules_version=rules_version, partners=partners)
    return recommend(data, as_of=as_of, rules=rules, lag=lag, areas=areas or None, on_area=on_area).table
