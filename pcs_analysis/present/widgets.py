"""Live what-if controls for JupyterLab (ipywidgets). Each builder returns a widget whose callbacks
call the package's own functions; the notebooks only display it. Under papermill (no front end)
the widget shows its first result as static output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
from IPython.display import display

from pcs_analysis.analysis.planning import plan_certifications
from pcs_analysis.analysis.sensitivities import get_parameter, sensitivity
from pcs_analysis.analysis.track_comparison import track_choice
from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.present import charts
from pcs_analysis.present.html import table
from pcs_analysis.rules import Rulebook


def _refresh(output: widgets.Output, show) -> None:
    output.clear_output(wait=True)
    with output:
        show()


def sensitivity_explorer(data: PartnerData, *, as_of: dt.date, area: str, rules: Rulebook,
                         parameters: Sequence[str], spread: float = 0.5, steps: int = 21) -> widgets.VBox:
    """Pick a parameter, move its value: partners qualified and who flips, rescored live."""
    choice = widgets.Dropdown(options=list(parameters), description="parameter")
    value = widgets.FloatSlider(description="value", continuous_update=False)
    output = widgets.Output()

    def bounds(*_) -> None:
        current = float(get_parameter(rules, area, choice.value))
        low, high = current * (1 - spread), (current * (1 + spread)) or 1.0
        value.max = max(high, value.min)  # keep min <= max at every assignment
        value.min = low
        value.max = high
        value.step = (high - low) / max(steps - 1, 1) or 1.0
        value.value = current

    def show(*_) -> None:
        result = sensitivity(data, as_of=as_of, areas=[area], rules=rules, grid={choice.value: [value.value]})
        row = result.variants.row(0, named=True)

        def render() -> None:
            print(f"{choice.value} = {value.value:g}: {row['partners_qualified']} partners qualified "
                  f"(+{row['partners_gained']} / -{row['partners_lost']})")
            display(table(result.flips, labels={"partner_id": "Partner", "was_qualified": "Qualified before",
                                                "is_qualified": "Qualified after", "total_before": "Total before",
                                                "total_after": "Total after"},
                          decimals={"total_before": 1, "total_after": 1}, title="Partners that flip",
                          table_id="flips"))
        _refresh(output, render)

    choice.observe(bounds, names="value")
    value.observe(show, names="value")
    bounds()
    show()
    return widgets.VBox([choice, value, output])


def track_explorer(data: PartnerData, partner_id: str, *, as_of: dt.date, areas: Sequence[str], rules: Rulebook,
                   kinds: Sequence[str] = ("add_customer", "add_person", "grow_users", "add_deployment",
                                           "move_association")) -> widgets.VBox:
    """Set the cost of each kind of action: the path to qualification on each track, rebuilt."""
    sliders = {k: widgets.FloatSlider(value=1.0, min=0.1, max=10.0, step=0.1, description=k,
                                      continuous_update=False) for k in kinds}
    output = widgets.Output()

    def show(*_) -> None:
        result = track_choice(data, partner_id, as_of=as_of, areas=areas, rules=rules,
                              costs={k: s.value for k, s in sliders.items()}, max_steps=8)
        paths = table(result.paths, labels={"area": "Area", "track": "Track", "step": "Step", "cost": "Cost",
                                            "total": "Total", "is_qualified": "Qualifies", "action": "Action"},
                      decimals={"cost": 1, "total": 1}, title="Paths to qualification", table_id="paths")
        _refresh(output, lambda: display(paths))

    for slider in sliders.values():
        slider.observe(show, names="value")
    show()
    return widgets.VBox([*sliders.values(), output])


def plan_explorer(data: PartnerData, partner_id: str, *, as_of: dt.date, areas: Sequence[str], rules: Rulebook,
                  target: dt.date | None = None, costs: Mapping[str, float] | None = None) -> widgets.VBox:
    """Change the default certification cost and the new hires allowed: the optimal plan, re-solved."""
    default_cost = widgets.FloatSlider(value=1.0, min=0.1, max=10.0, step=0.1, description="default cost",
                                       continuous_update=False)
    hires = widgets.IntSlider(value=0, min=0, max=5, description="new hires", continuous_update=False)
    output = widgets.Output()

    def show(*_) -> None:
        plan = plan_certifications(data, partner_id, as_of=as_of, areas=areas, rules=rules, target=target,
                                   costs=costs, default_cost=default_cost.value, new_hires=hires.value)

        def render() -> None:
            print(f"{plan.status}, cost {plan.cost:g}" + (f": {plan.reason}" if plan.reason else ""))
            if plan.plan.height:
                display(charts.plan_timeline(plan.plan))
        _refresh(output, render)

    default_cost.observe(show, names="value")
    hires.observe(show, names="value")
    show()
    return widgets.VBox([default_cost, hires, output])


def scenario_planner(data: PartnerData, partner_id: str, *, as_of: dt.date, rules: Rulebook,
                     save_to: str = "scenario.toml") -> widgets.VBox:
    """The scenario planner (`present.planner`): build a scenario action by action, rescored live."""
    from pcs_analysis.present.planner import scenario_planner as planner

    return planner(data, partner_id, as_of=as_of, rules=rules, save_to=save_to)


__all__ = ["plan_explorer", "scenario_planner", "sensitivity_explorer", "track_explorer"]
