"""The scenario planner: a partner manager and a partner build a scenario one action at a time
(certify people, win or lose a customer, grow users, move an association, let a certification
expire) and watch the six score cards move, each change rescored by `what_if`.

`ScenarioPlanner` holds the scenario and computes; `scenario_planner` lays it out as ipywidgets
(in JupyterLab, or served as a web page by Voilà: `pcs app`). The scenario so far can be saved as
a scenario file that `pcs whatif --scenarios` reads back.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import polars as pl

from pcs_analysis.analysis.whatif import (
    Action,
    AddCertifiedPeople,
    AddCustomer,
    Associate,
    ExpireCertification,
    GrowActiveUsers,
    LoseCustomer,
    Scenario,
    SetUsage,
    WhatIf,
    scenarios_toml,
    what_if,
)
from pcs_analysis.engine.scoring import score
from pcs_analysis.inputs.customers import customer_labels
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.output import write_text
from pcs_analysis.present.tables import TRACKS
from pcs_analysis.rules import Rulebook
from pcs_analysis.rules.kinds.people import people_slots
from pcs_analysis.rules.periods import month_start, parse_date, scored_month

#: The scenario's name in a saved file.
SCENARIO_NAME = "planning session"


class ScenarioPlanner:
    """One partner's scenario, built one action at a time, and its effect on every area."""

    def __init__(self, data: PartnerData, partner_id: str, *, as_of: dt.date | str, rules: Rulebook):
        data.require_partners([partner_id])
        self.partner_id = partner_id
        self.as_of = parse_date(as_of)
        self.rules = rules.on(self.as_of)
        self.data = data.only_partners([partner_id])
        self.actions: list[Action] = []
        self.before = score(self.data, as_of=self.as_of, rules=self.rules).summary
        self.result: WhatIf | None = None
        usage = self.data.usage.collect()
        self._usage = usage.select("tenant_id", self.rules.workload_key_expr(pl.col("workload")).alias("workload_key"),
                                   pl.col("product").cast(pl.String) if "product" in usage.columns
                                   else pl.lit(None, pl.String).alias("product"))
        self.month = month_start(scored_month(self.as_of, self.rules.refresh))
        self.customers = dict(customer_labels(usage).select("tenant_id", "customer").iter_rows())
        self.certifications = sorted({c.name for area in self.rules.areas.values() for metric in area.metrics
                                      for leaf in metric.leaves() if leaf.counts_people
                                      for _, certs in people_slots(leaf) for c in certs})
        self.workloads = sorted({name for area in self.rules.areas.values()
                                 for name in area.workload_names.values()} | set(self.rules.azure_services))
        held = self.data.certifications.collect().filter(
            pl.col("expires_on").is_null() | (pl.col("expires_on") >= self.as_of))
        self.held = sorted(held.select("person_id", "certification").unique().iter_rows())

    # --- the scenario ---------------------------------------------------------------------

    def add(self, action: Action) -> WhatIf | None:
        """Add an action and rescore; an action the engine refuses is taken back and raised."""
        self.actions.append(action)
        try:
            return self.rescore()
        except Exception:
            self.actions.pop()
            self.rescore()
            raise

    def undo(self) -> WhatIf | None:
        """Drop the last action and rescore."""
        if self.actions:
            self.actions.pop()
        return self.rescore()

    def rescore(self) -> WhatIf | None:
        """Score the scenario in the areas its actions can change (the others keep their figures)."""
        self.result = (what_if(self.data, [self.scenario()], as_of=self.as_of, rules=self.rules,
                               areas=self.areas_changed()) if self.actions else None)
        return self.result

    def areas_changed(self) -> list[str]:
        """The areas whose lists read a certification or a workload the actions touch."""
        return [name for name, area in self.rules.areas.items() if any(self._reads(area, a) for a in self.actions)]

    def _reads(self, area, action: Action) -> bool:
        if isinstance(action, AddCertifiedPeople | ExpireCertification):
            key = self.rules.certification_key(action.certification)
            return any(c.key == key for metric in area.metrics for leaf in metric.leaves() if leaf.counts_people
                       for _, certs in people_slots(leaf) for c in certs)
        keys, products = area.workload_reads()
        if isinstance(action, AddCustomer):
            return (self.rules.workload_key(action.workload) in keys
                    or (action.product or self.rules.workload_products.get(self.rules.workload_key(action.workload)))
                    in products)
        tenant = getattr(action, "tenant_id", None)
        rows = self._usage if tenant is None else self._usage.filter(pl.col("tenant_id") == tenant)
        return bool(rows.filter(pl.col("workload_key").is_in(sorted(keys))
                                | pl.col("product").is_in(sorted(products))).height)

    def scenario(self) -> Scenario:
        return Scenario(SCENARIO_NAME, tuple(self.actions))

    def save(self, path: str | Path) -> Path:
        """The scenario so far as a scenario file (`pcs whatif --scenarios` reads it)."""
        path = Path(path)
        write_text(path, scenarios_toml([self.scenario()]))
        return path

    # --- actions from the controls ----------------------------------------------------------

    def certify(self, certification: str, count: int) -> Action:
        return AddCertifiedPeople(self.partner_id, certification, count=count)

    def new_customer(self, workload: str, association: str, paid: int, active: int, revenue: float) -> Action:
        taken = {a.tenant_id for a in self.actions if isinstance(a, AddCustomer)}
        tenant = next(f"new-customer-{n}" for n in range(1, len(taken) + 2) if f"new-customer-{n}" not in taken)
        return AddCustomer(self.partner_id, tenant, workload, association, self.month, paid_units=paid or None,
                           active_units=active or None, revenue_usd=revenue or None)

    def lose(self, tenant_id: str) -> Action:
        return LoseCustomer(self.partner_id, tenant_id)

    def grow(self, percent: float, tenant_id: str | None) -> Action:
        return GrowActiveUsers(self.partner_id, percent, tenant_id=tenant_id)

    def move(self, tenant_id: str, association: str) -> Action:
        return Associate(self.partner_id, tenant_id, association, replace=True)

    def expire(self, person_id: str, certification: str) -> Action:
        """The certification stops counting on the planner's day."""
        return ExpireCertification(self.partner_id, person_id, certification, self.rules.expires_on_for(self.as_of))

    # --- what the page shows ----------------------------------------------------------------

    def cards(self) -> pl.DataFrame:
        """Per area: the kept track, total and qualification now and with the scenario."""
        now = self.before.select("area", pl.col("track").alias("track_before"), pl.col("total").alias("total_before"),
                                 pl.col("is_qualified").alias("is_qualified_before"))
        if self.result is None:
            return now.with_columns(pl.col("track_before").alias("track_after"),
                                    pl.col("total_before").alias("total_after"),
                                    pl.col("is_qualified_before").alias("is_qualified_after"))
        after = self.result.summary.select("area", "track_after", "total_after", "is_qualified_after")
        return now.join(after, on="area", how="left", maintain_order="left").with_columns(
            pl.coalesce("track_after", "track_before").alias("track_after"),
            pl.coalesce("total_after", "total_before").alias("total_after"),
            pl.coalesce("is_qualified_after", "is_qualified_before").alias("is_qualified_after"))

    def changed_metrics(self) -> pl.DataFrame:
        """The metrics whose points the scenario changes."""
        if self.result is None:
            return pl.DataFrame(schema={"area": pl.String, "track": pl.String, "metric": pl.String,
                                        "points_before": pl.Float64, "points_after": pl.Float64,
                                        "points_change": pl.Float64})
        return self.result.metrics.filter(pl.col("points_change").abs() > 1e-9)

    def cards_html(self) -> str:
        """The six score cards: total now -> with the scenario, the track and whether it qualifies."""
        parts = []
        for r in self.cards().iter_rows(named=True):
            change = r["total_after"] - r["total_before"]
            verdict = "qualifies" if r["is_qualified_after"] else "does not qualify"
            badge = "pcs-qualified" if r["is_qualified_after"] else "pcs-progress"
            track = (TRACKS.get(r["track_after"], r["track_after"]) if r["track_after"] == r["track_before"]
                     else f"{TRACKS.get(r['track_before'], r['track_before'])} → "
                          f"{TRACKS.get(r['track_after'], r['track_after'])}")
            title = html.escape(self.rules.area(r["area"]).title)
            parts.append(
                f"<div class='pcs-card' data-area='{r['area']}'><h3>{title}</h3>"
                f"<span class='pcs-total-before'>{r['total_before']:.1f}</span> → "
                f"<span class='pcs-total pcs-total-after'>{r['total_after']:.1f}</span> "
                f"<span class='pcs-muted'>({change:+.1f})</span><br>"
                f"<span class='pcs-badge {badge}'>{verdict}</span> <span class='pcs-muted'>{html.escape(track)} "
                f"track</span></div>")
        return f"<div class='pcs-report'><div class='pcs-cards'>{''.join(parts)}</div></div>"

    def actions_html(self) -> str:
        if not self.actions:
            return "<p class='pcs-muted'>No action yet: the cards show the partner as it is.</p>"
        items = "".join(f"<li>{html.escape(describe(a, self.customers))}</li>" for a in self.actions)
        return f"<ol class='pcs-actions'>{items}</ol>"


def describe(action: Action, customers: dict[str, str] | None = None) -> str:
    """An action in words."""
    name = (customers or {}).get(getattr(action, "tenant_id", None) or "", getattr(action, "tenant_id", None))
    if isinstance(action, AddCertifiedPeople):
        return f"certify {action.count} more {'person' if action.count == 1 else 'people'}: {action.certification}"
    if isinstance(action, AddCustomer):
        units = ", ".join(f"{label} {value:g}" for label, value in (
            ("paid", action.paid_units), ("active", action.active_units), ("USD", action.revenue_usd))
            if value is not None)
        return f"win a customer ({action.tenant_id}): {action.workload} under {action.association} ({units})"
    if isinstance(action, LoseCustomer):
        return f"lose {name}"
    if isinstance(action, GrowActiveUsers):
        return f"grow active users by {action.percent:g} % at {name or 'every customer'}"
    if isinstance(action, Associate):
        return f"move {name} to {action.association}"
    if isinstance(action, ExpireCertification):
        return f"let {action.person_id}'s {action.certification} expire"
    if isinstance(action, SetUsage):
        return f"set the usage of {name}"
    return repr(action)


def scenario_planner(data: PartnerData, partner_id: str, *, as_of: dt.date | str, rules: Rulebook,
                     save_to: str = "scenario.toml"):
    """The planner as ipywidgets: score cards, one tab of controls per kind of action, the
    scenario so far (undo, save) and the metrics it changes. The box's `planner` attribute is
    the `ScenarioPlanner` behind it."""
    import ipywidgets as widgets
    from IPython.display import display

    from pcs_analysis.present.html import STYLE
    from pcs_analysis.present.tables import show

    planner = ScenarioPlanner(data, partner_id, as_of=as_of, rules=rules)
    cards, listing, status = widgets.HTML(), widgets.HTML(), widgets.HTML()
    metrics = widgets.Output()
    tenants = [(label, tenant) for tenant, label in sorted(planner.customers.items(), key=lambda kv: kv[1])]
    associations = list(planner.rules.association_types)

    def refresh() -> None:
        cards.value = STYLE + planner.cards_html()
        listing.value = planner.actions_html()
        metrics.clear_output(wait=True)
        with metrics:
            display(show(planner.changed_metrics().select("area", "track", "metric", "points_before", "points_after",
                                                          "points_change"),
                         rules=planner.rules, title="Metrics the scenario changes", table_id="planner-metrics"))

    def on_click(make):
        def handler(_) -> None:
            try:
                planner.add(make())
                status.value = ""
            except Exception as exc:  # a refused action is said on the page, not raised into the void
                status.value = f"<span class='pcs-muted'>not applied: {html.escape(str(exc))}</span>"
            refresh()
        return handler

    def button(text: str, make, *controls) -> widgets.VBox:
        go = widgets.Button(description=text, button_style="primary")
        go.on_click(on_click(make))
        return widgets.VBox([*controls, go])

    wide = widgets.Layout(width="640px")
    cert = widgets.Dropdown(options=planner.certifications, description="certification", layout=wide)
    count = widgets.BoundedIntText(value=1, min=1, max=100, description="people")
    workload = widgets.Dropdown(options=planner.workloads, description="workload", layout=wide)
    association = widgets.Dropdown(options=associations, description="association")
    paid = widgets.BoundedIntText(value=0, min=0, max=10**7, description="paid seats")
    active = widgets.BoundedIntText(value=0, min=0, max=10**7, description="active users")
    revenue = widgets.BoundedFloatText(value=0.0, min=0.0, max=10.0**9, description="revenue USD")
    lost = widgets.Dropdown(options=tenants, description="customer")
    percent = widgets.BoundedFloatText(value=10.0, min=-100.0, max=1000.0, description="percent")
    grown = widgets.Dropdown(options=[("every customer", None), *tenants], description="customer")
    moved = widgets.Dropdown(options=tenants, description="customer")
    moved_to = widgets.Dropdown(options=associations, description="to")
    expiring = widgets.Dropdown(options=[(f"{p}: {c}", (p, c)) for p, c in planner.held], description="held",
                                layout=wide)
    tabs = widgets.Tab(children=[
        button("Certify", lambda: planner.certify(cert.value, count.value), cert, count),
        button("Win customer", lambda: planner.new_customer(workload.value, association.value, paid.value,
                                                            active.value, revenue.value),
               workload, association, paid, active, revenue),
        button("Lose customer", lambda: planner.lose(lost.value), lost),
        button("Grow users", lambda: planner.grow(percent.value, grown.value), percent, grown),
        button("Move association", lambda: planner.move(moved.value, moved_to.value), moved, moved_to),
        button("Let expire", lambda: planner.expire(*expiring.value), expiring),
    ])
    for n, title in enumerate(["Certify people", "Win a customer", "Lose a customer", "Grow users",
                               "Move an association", "Let a certification expire"]):
        tabs.set_title(n, title)
    undo = widgets.Button(description="Undo last")
    path = widgets.Text(value=save_to, description="save as")
    save = widgets.Button(description="Save scenario")

    def on_undo(_) -> None:
        planner.undo()
        refresh()

    def on_save(_) -> None:
        written = planner.save(path.value)
        status.value = f"<span class='pcs-muted'>saved {html.escape(str(written))}: pcs whatif DATA_DIR --scenarios " \
                       f"{html.escape(str(written))}</span>"

    undo.on_click(on_undo)
    save.on_click(on_save)
    refresh()
    box = widgets.VBox([cards, tabs, widgets.HTML("<h4>The scenario</h4>"), listing,
                        widgets.HBox([undo, path, save]), status, metrics])
    box.add_class("pcs-planner")
    box.planner = planner
    return box
