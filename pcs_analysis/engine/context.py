"""The context of one area's evaluation: the inputs prepared once (usage restricted to the months
the snapshots need, certification keys, shared seat bands) for every metric kind to read."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from pcs_analysis.inputs.prepare import prepare_usage
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import AreaRules, Metric, Rulebook
from pcs_analysis.rules.kinds import kind_of
from pcs_analysis.rules.kinds.frames import YEAR, band_key
from pcs_analysis.rules.kinds.people import people_slots
from pcs_analysis.rules.kinds.tenants import area_usage_rows, eligible_workload_rows, seat_bands


@dataclass(frozen=True)
class Context:
    """The inputs of one area's evaluation, as every metric kind reads them (`rules.kinds.frames.Context`),
    and the snapshot days that share an evaluation."""

    usage: pl.LazyFrame
    certifications: pl.LazyFrame
    snapshots: pl.LazyFrame
    rules: Rulebook
    area: AreaRules
    #: Seat bands per (workload list, track bands), computed once and shared by the metrics.
    bands: dict[tuple, pl.LazyFrame]
    #: Days that show the same data month share one evaluation of the usage metrics: `day_map`
    #: links each month's first day (`month_as_of`) to every snapshot day showing it; None when
    #: every snapshot shows a month of its own.
    day_map: pl.LazyFrame | None = None
    #: Days on which every certification compares the same way (earned, visible, expired,
    #: retired) share one evaluation of the people metrics: `person_days` links each such state's
    #: first day (`state_as_of`) to every snapshot day in it; None when every day is its own state.
    person_days: pl.LazyFrame | None = None

    def seat_bands(self, metric: Metric) -> pl.LazyFrame:
        return self.bands[band_key(metric)]

    def by_month(self) -> Context:
        """The context whose snapshots are one day per data month (for usage metrics, which
        depend on the data month only)."""
        if self.day_map is None:
            return self
        months = self.snapshots.join(self.day_map.select(pl.col("month_as_of").alias("as_of")).unique(),
                                     on="as_of", how="semi")
        return replace(self, snapshots=months, day_map=None)

    def by_person_state(self) -> Context:
        """The context whose snapshots are one day per certification state (for people metrics,
        which depend on how each certification's dates compare with the day only)."""
        if self.person_days is None:
            return self
        states = self.snapshots.join(self.person_days.select(pl.col("state_as_of").alias("as_of")).unique(),
                                     on="as_of", how="semi")
        return replace(self, snapshots=states, person_days=None, day_map=None)

    def person_to_days(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Rows computed by certification state (`by_person_state`) repeated for every day of it."""
        if self.person_days is None:
            return frame
        return frame.rename({"as_of": "state_as_of"}).join(self.person_days, on="state_as_of", how="inner") \
            .drop("state_as_of")

    def to_days(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Rows computed by month (`by_month`) repeated for every snapshot day showing that month."""
        if self.day_map is None:
            return frame
        return frame.rename({"as_of": "month_as_of"}).join(self.day_map, on="month_as_of", how="inner") \
            .drop("month_as_of")


def build_context(data: PartnerData, rules: Rulebook, area: AreaRules,
                  snapshots: pl.DataFrame, *, prepared: pl.DataFrame | None = None,
                  person_days: pl.DataFrame | None = None, shared: dict | None = None) -> Context:
    """Prepare the inputs once per area: usage restricted to the months the snapshots need
    (the scored months, the year before them, and the seat-band look-back) and materialized,
    so every metric reads the same prepared table. `prepared`: the usage table already
    prepared (`prepare_usage`) for several areas.

    `shared`: a dictionary the contexts of one scoring pass (one data, rulebook and set of
    snapshots) share; start with an empty one.
    Areas that read the same rows (the three Azure areas read every Azure row) then hold the
    very same usage table, seat bands and snapshot frames, so that `evaluated` computes a metric
    they define alike once for all of them."""
    shared = {} if shared is None else shared
    first = snapshots["month_index"].min() - YEAR - max(lookback_months(m) for m in leaves(area))
    last = snapshots["month_index"].max()
    reads = ("usage", area.workload_reads(), first, last)
    if reads not in shared:
        source = prepared.lazy() if prepared is not None else prepare_usage(data, rules)
        shared[reads] = (area_usage_rows(source, area)
                         .filter(pl.col("month_index").is_between(first, last)).collect().lazy())
    usage = shared[reads]
    if "certifications" not in shared:
        shared["certifications"] = data.certifications.with_columns(
            rules.certification_key_expr(pl.col("certification")).alias("certification_key"))
    bands: dict[tuple, pl.LazyFrame] = {}
    for metric in leaves(area):
        key = band_key(metric)
        if any(r.seat_band for r in metric.tracks.values()) and key not in bands:
            if (reads, key) not in shared:
                shared[reads, key] = seat_bands(eligible_workload_rows(usage, metric), metric).collect().lazy()
            bands[key] = shared[reads, key]
    days = ("days", id(snapshots), id(person_days))
    if days not in shared:
        first_day = snapshots.group_by("month_index").agg(pl.col("as_of").min().alias("month_as_of"))
        day_map = None
        if first_day.height < snapshots.height:
            day_map = snapshots.join(first_day, on="month_index").select("month_as_of", "as_of").lazy()
        shared[days] = (snapshots.lazy(), day_map, None if person_days is None else person_days.lazy())
    snapshot_frame, day_map, person_frame = shared[days]
    return Context(usage=usage, certifications=shared["certifications"], snapshots=snapshot_frame,
                   rules=rules, area=area, bands=bands, day_map=day_map, person_days=person_frame)


def person_state_days(data: PartnerData, rules: Rulebook, snapshots: pl.DataFrame) -> pl.DataFrame | None:
    """Snapshot days grouped by certification state: two days are in the same state when every
    date a people metric compares with the day (earned, expiry, counts-through) and with its
    skilling cut-off (earned) falls on the same side of both, so every certification counts, or
    not, for the same reason on both. (`state_as_of`, `as_of`) pairs; None when every day is
    its own state (a single day, or dates between every two days)."""
    if snapshots.height < 2:
        return None
    held = data.certifications.select("earned_on", "expires_on").unique().collect()
    earned = sorted(set(held["earned_on"].drop_nulls().to_list()))
    day_dates = sorted(set(earned) | set(held["expires_on"].drop_nulls().to_list()) | _counts_through(rules))
    keys = [(bisect.bisect_left(day_dates, d), bisect.bisect_right(day_dates, d),
             bisect.bisect_left(earned, c), bisect.bisect_right(earned, c))
            for d, c in snapshots.select("as_of", "skill_cutoff").iter_rows()]
    if len(set(keys)) == len(keys):
        return None
    first: dict[tuple, dt.date] = {}
    pairs = []
    for key, day in sorted(zip(keys, snapshots["as_of"].to_list(), strict=True), key=lambda kd: kd[1]):
        pairs.append((first.setdefault(key, day), day))
    return pl.DataFrame(pairs, schema={"state_as_of": pl.Date, "as_of": pl.Date}, orient="row")


def _counts_through(rules: Rulebook) -> set[dt.date]:
    """Every `counts_through` date of the people metrics' certification lists."""
    return {c.counts_through for area in rules.areas.values() for metric in area.metrics for leaf in metric.leaves()
            if leaf.counts_people for _, certs in people_slots(leaf) for c in certs if c.counts_through is not None}


def leaves(area: AreaRules) -> list[Metric]:
    """Every metric of the area that reads data (the parts of a sum of parts)."""
    return [leaf for metric in area.metrics for leaf in metric.leaves()]


def lookback_months(metric: Metric) -> int:
    """Months before a compared month that a metric reads (windows and promotion rules)."""
    months = [0, kind_of(metric).lookback(metric)]
    for rule in metric.tracks.values():
        if rule.seat_band is not None:
            months.append(rule.seat_band.promoted_within_months or 0)
    return max(months)


