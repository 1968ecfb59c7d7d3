"""What a metric kind is: everything the rest of the package needs to know about it, in one value.

Each kind's module (`rules/kinds/<kind>.py`) builds one `Kind`; `rules.kinds.KINDS` registers
them. The loader reads a kind's settings keys from it, `rules show` its settings to describe,
the engine its contribution and value functions, the forecast how it moves, the planner the
people slots it has, and recommendations the changes that raise it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import polars as pl

from pcs_analysis.rules.model import AreaRules, Certification, Metric, Rulebook, TrackRule
from pcs_analysis.rules.schema import rulebook_keys

if TYPE_CHECKING:
    from pcs_analysis.rules.kinds.frames import Context
    from pcs_analysis.rules.schema import Doc

#: Contribution rows of a metric (see `frames`): the facts behind its value.
Contributions = Callable[["Context", Metric], pl.LazyFrame]
#: A value function returns the value keys, `value`, and optionally `base_points` (points earned
#: whatever the value) and `is_open` (false: the linear points of `value` are withheld, e.g. a
#: prerequisite or gate is not met). Without one, a metric's value is the sum of its counted
#: contributions.
ValueFunction = Callable[["Context", Metric, pl.LazyFrame], pl.LazyFrame]
#: A change to a partner's data, as `Proposals` makes it (a what-if action): opaque to a kind.
Change = Any
#: The people slots of a skilling metric: (step label or None, the certifications that fill it).
Slots = tuple[tuple[str | None, tuple[Certification, ...]], ...]


class Proposals(Protocol):
    """What a kind may propose to raise its value: recommendations hand a kind this object for one
    partner, area and data month, and rescore every change it adds."""

    area: AreaRules
    month: dt.date

    def add(self, kind: str, subject: str, text: str, change: Change | tuple[Change, ...]) -> None:
        """Propose `change` (or several changes made together), described by `text`."""

    def new_customer(self) -> str:
        """A tenant id the partner does not use yet."""

    def customer_rows(self, tenant: str, workload: str | None, association: str | None, *, paid: int | None = None,
                      active: int | None = None, revenue: float | None = None,
                      product: str | None = None) -> Change:
        """Adds one usage row of the data month."""

    def change_row(self, row: dict[str, Any], **values: Any) -> Change:
        """Sets `values` on one usage row of the data month (as `month_rows` gave it)."""

    def certify(self, person: str, certification: str, count: int = 1) -> Change:
        """Adds `count` people holding `certification`, earned in time to count."""

    def people_counted(self, leaf: Metric, step: str | None) -> int:
        """The people the partner has counted in a step of a skilling metric on the day."""

    def month_rows(self, leaf: Metric) -> pl.DataFrame:
        """The partner's usage rows of the data month that the metric reads."""

    def workload_name(self, leaf: Metric) -> str | None:
        """The first of the metric's workloads, as the rulebook names it."""

    def association_moves(self, label: str, leaf: Metric, track: str) -> None:
        """Proposes moving the largest tenants of one association option to another."""


def no_lookback(metric: Metric) -> int:
    return 0


def no_proposals(sink: Proposals, label: str, leaf: Metric, track: str) -> None:
    return None


def no_slots(metric: Metric) -> Slots:
    return ()


def no_steps(metric: Metric, track: str) -> dict[str, int]:
    return {}


def no_step_points(metric: Metric, track: str) -> float:
    return 0.0


def no_sentence_settings(metric: Metric, rule: TrackRule) -> dict[str, str | None]:
    return {}


def no_reasons(rules: Rulebook) -> dict[str, pl.Expr]:
    return {}


def best_option(metric: Metric) -> str:
    return "best"


def no_baseline_credit(leaf: Metric, baselines: pl.DataFrame, months: list[int]) -> np.ndarray:
    return np.zeros(len(months))


def growth_in_units(leaf: Metric, rule: TrackRule, baseline: np.ndarray,
                    current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A forecast value of a growth metric: the forecast level minus the baseline, always open."""
    return current - baseline, np.ones_like(current, dtype=bool)


#: See `Kind.read_track`.
TrackReader = Callable[["Doc", Mapping[str, Any], str, float], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """A metric kind. Only `name`, `summary` and `settings` are required; the defaults describe a
    usage kind whose value is the sum of its counted contributions."""

    name: str
    summary: str
    #: Its settings: a frozen dataclass whose fields are the rulebook keys of a metric of this
    #: kind (see `settings`).
    settings: type
    #: Keys the metric's track tables may hold.
    track_keys: frozenset[str] = frozenset()
    contributions: Contributions | None = None
    value: ValueFunction | None = None
    #: Counts certified people (skilling) rather than reading usage rows.
    counts_people: bool = False
    #: May be a part of a sum of parts (parts read usage rows).
    can_be_part: bool = True
    #: The kind's own settings of a track table (a value band, a gate, prerequisite steps ...):
    #: (doc, track table, its TOML path, the metric's maximum) -> TrackRule fields; "options"
    #: among them stands for the track's association options.
    read_track: TrackReader | None = None
    #: Months before a compared month the kind reads beyond its windows and bands.
    lookback: Callable[[Metric], int] = no_lookback
    #: The metric settings `rules show` lists for the kind, in order: early (after `kind`) and
    #: late (after the certification lists); a track's own settings list themselves
    #: (`TrackSettings.parameters`).
    shown: tuple[str, ...] = ()
    shown_late: tuple[str, ...] = ()
    #: How a metric's option rows make its points: "best" (the best option's), or for a
    #: composite metric "sum_points" / "sum_values" (its leaves' points, or values, summed).
    combine: Callable[[Metric], str] = best_option
    #: How the forecast moves it: the monthly sum grows lognormally (True), or units arrive and
    #: leave (False); and the value of a forecast level against its baseline.
    forecast_sums: bool = False
    forecast_value: Callable[[Metric, TrackRule, np.ndarray, np.ndarray],
                             tuple[np.ndarray, np.ndarray]] = growth_in_units
    #: What a forecast month's baseline adds to the units counted a year before it, from the data
    #: month's baseline rows (a customer measured from its association month).
    forecast_baseline: Callable[[Metric, pl.DataFrame, list[int]], np.ndarray] = no_baseline_credit
    #: The changes recommendations try for one metric and track.
    propose: Callable[[Proposals, str, Metric, str], None] = no_proposals
    #: The people slots the certification planner fills.
    people_slots: Callable[[Metric], Slots] = no_slots
    #: The prerequisite steps of a track and the people each needs (step label -> people): what
    #: opens the metric's points, as explanations and recommendations say it.
    step_needs: Callable[[Metric, str], dict[str, int]] = no_steps
    #: The points each met prerequisite step earns on a track.
    step_points: Callable[[Metric, str], float] = no_step_points
    #: A people metric's values from people counted per slot (a column per slot label, "value"
    #: for an unlabelled slot) over `keys`: `value`, `base_points` and `is_open` per track, as
    #: its value function gives them (the forecast counts people this way).
    people_values: Callable[[pl.LazyFrame, Metric, list[str]], pl.LazyFrame] | None = None
    #: Why a contribution row counted or not, in words, under a rulebook: reason code -> the
    #: sentence (an expression over the row's columns and the `sentence_settings` columns).
    reasons: Callable[[Rulebook], Mapping[str, pl.Expr]] = no_reasons
    #: The settings a track's sentences mention, as text columns (for example its value band).
    sentence_settings: Callable[[Metric, TrackRule], dict[str, str | None]] = no_sentence_settings

    def prerequisites(self, metric: Metric) -> frozenset[str]:
        """The labels of the metric's people slots that are prerequisite steps (on any track)."""
        return frozenset(label for track in metric.tracks for label in self.step_needs(metric, track))

    @property
    def metric_keys(self) -> frozenset[str]:
        """Keys a metric table of this kind may hold (beyond kind, category, max_points, tracks)."""
        return rulebook_keys(self.settings)
