"""The `pcs` command: a thin wrapper over the Python API.

Every command prints errors as one clear message (no traceback unless `--debug`) and exits
with 2 on bad input (data, rulebook, arguments) and 1 on anything unexpected. Every command that
computes prints its result on the terminal, and writes its tables with `--out`; `-q` leaves only
warnings and errors; a run of more than a few seconds says that it is still working; output cut
short by its reader (`| head`) ends the command quietly with status 0.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from pcs_analysis.config import DEFAULT_LEAD_DAYS, ROWS_PER_CHUNK
from pcs_analysis.errors import DefectError, PcsError
from pcs_analysis.inputs.sample import DEFAULT_SEED
from pcs_analysis.output import disk_error, write_csv, write_csvs, write_text
from pcs_analysis.reporting.notebook import parse_scalar

app = typer.Typer(
    name="pcs",
    help="Compute, explain and plan Microsoft's Partner Capability Score from Partner Center data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state: dict[str, Any] = {"debug": False, "quiet": False}

DataDir = Annotated[Path, typer.Argument(help="Folder with usage, certifications (and optional "
                                         "enrollments, partners) as CSV or Parquet.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The day the score is shown (YYYY-MM-DD; default: "
                                              "today, said on the terminal).")]
Rules = Annotated[str | None, typer.Option("--rules", help="Rulebook version (default: newest).")]
NoLag = Annotated[bool, typer.Option("--no-lag", help="Score 'as if current': the month before "
                                     "--as-of and no skilling lag.")]
Areas = Annotated[list[str] | None, typer.Option("--area", help="Only this area (repeatable).")]
Strict = Annotated[bool, typer.Option("--strict", help="A workload or certification that no rule reads is an "
                                      "error (exit 2) instead of a warning.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only warnings and errors (no result, no "
                                     "progress).")]


def _out(what: str) -> Any:
    """The optional `--out` of a command that prints its result: a folder for `what`."""
    return Annotated[Path | None, typer.Option("--out", help=f"Also write {what} into this folder.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"pcs-analysis {version('pcs-analysis')}")
        raise typer.Exit()


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
          _: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False) -> None:
    _state["debug"] = debug


def say(text: str = "") -> None:
    """A result line on the terminal (nothing with -q)."""
    if not _state["quiet"]:
        typer.echo(text)


def tell(text: str) -> None:
    """Progress or context on stderr (nothing with -q)."""
    if not _state["quiet"]:
        typer.echo(text, err=True)


class _StillWorking:
    """On a terminal, after a few silent seconds, says on stderr that the command is still
    working (every few seconds, with the time elapsed), so that no long run is silent. Logs and
    pipes get only the commands' own progress lines."""

    FIRST, EVERY = 3.0, 10.0

    def __init__(self, command: str):
        self.command, self.done = command, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        wait = self.FIRST
        while not self.done.wait(wait):
            tell(f"{self.command}: still working ({time.monotonic() - start:.0f} s)")
            wait = self.EVERY

    def __enter__(self) -> _StillWorking:
        if not _state["quiet"] and sys.stderr.isatty():
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()


def _reader_gone() -> None:
    """The reader of stdout closed it (`| head`): send what is left nowhere, exit quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(0)


#: Commands that show their own progress (a bar redrawn in place).
_OWN_PROGRESS = {"reports_cmd"}


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """One clear line instead of a traceback (exit 2 on bad input, 1 on a defect); an output path
    that cannot be written is refused before any work; `-q`; a long run says it is working; a
    closed stdout ends the command quietly."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _state["quiet"] = bool(kwargs.get("quiet"))
        try:
            _check_outputs(func, kwargs)
            name = f"pcs {func.__name__.removesuffix('_cmd').replace('_', ' ')}"
            with _StillWorking(name) if func.__name__ not in _OWN_PROGRESS else contextlib.nullcontext():
                result = func(*args, **kwargs)
            sys.stdout.flush()
            return result
        except BrokenPipeError:
            _reader_gone()
        except (KeyboardInterrupt, Terminated) as exc:
            typer.echo("\ninterrupted: stopped; files of this run that were not complete were not written",
                       err=True)
            raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 143) from None
        except OSError as exc:  # the disk refused (full, read-only, a name too long) where no check names it
            if _state["debug"]:
                raise
            typer.echo(f"error: {disk_error(Path(exc.filename or '.'), exc)}", err=True)
            raise typer.Exit(2) from None
        except (PcsError, KeyError, ValueError) as exc:
            if _state["debug"]:
                raise
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(2) from None
        except DefectError as exc:  # a check of our own failed: not the user's input
            if _state["debug"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    return wrapper


#: Commands whose --out is a file (the others write into a folder).
_FILE_OUTPUTS = {"rules_show_cmd", "rules_diff_cmd", "rules_readings_cmd"}


def _written(out: Path | None, frames: dict[str, pl.DataFrame]) -> None:
    """With --out, write the frames as OUT/<name>.csv (all or none) and say so."""
    if out is None:
        return
    write_csvs(out, frames)
    names = [str(out / f"{name}.csv") for name in frames]
    say(f"\nwrote {', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else f"\nwrote {names[0]}")


def _check_outputs(func: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    from pcs_analysis.output import check_output_file, check_output_folder

    for name in ("out", "out_dir"):
        target = kwargs.get(name)
        if isinstance(target, Path):
            (check_output_file if func.__name__ in _FILE_OUTPUTS else check_output_folder)(target)


def _as_of(text: str | None) -> dt.date:
    """--as-of, or today (said on stderr): the clock is read here, at the edge, never by scoring."""
    if text is None:
        today = dt.date.today()
        tell(f"as of today, {today} (--as-of chooses the day)")
        return today
    return _date(text)


def _date(text: str, option: str = "--as-of") -> dt.date:
    from pcs_analysis.rules.periods import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise PcsError(f"{option}: {exc}") from None


@app.command("score")
@_friendly
def score_cmd(data_dir: DataDir, as_of: AsOf = None,
              out: Annotated[Path | None, typer.Option("--out", help="Also write scores.csv, summary.csv, "
                                                       "options.csv and unread_inputs.csv into this folder.")] = None,
              rules: Rules = None, no_lag: NoLag = False, area: Areas = None, quiet: Quiet = False,
              strict: Strict = False,
              chunk_rows: Annotated[int, typer.Option("--chunk-rows", min=1, help="Usage rows scored at once "
                                                      "(partners are never split): memory follows this, not "
                                                      "the portfolio's size.")] = ROWS_PER_CHUNK,
              workers: Annotated[int, typer.Option("--workers", min=1, help="Local worker processes for "
                                                   "the chunks.")] = 1,
              scheduler: Annotated[str | None, typer.Option("--scheduler", help="Score the chunks on a Dask "
                                                            "distributed cluster at this address "
                                                            "(tcp://HOST:PORT); its workers must see the data "
                                                            "folder and OUT at the same paths.")] = None) -> None:
    """Score every partner and print the summary per area; with --out, OUT/scores.csv (per
    metric), OUT/summary.csv (per area), OUT/options.csv and OUT/unread_inputs.csv (workloads and
    certifications no rule reads). Large folders are scored in chunks of partners, written as
    they finish and moved into OUT when all succeeded."""
    import tempfile

    from pcs_analysis.inputs.unread import describe_unread, not_read
    from pcs_analysis.present.terminal import format_summary
    from pcs_analysis.reporting.scores import score_portfolio

    def progress(done: int, chunks: int) -> None:
        tell(f"scored {done} of {chunks} chunks of partners")

    day = _as_of(as_of)
    with tempfile.TemporaryDirectory(prefix="pcs-score-") as scratch:
        target = out if out is not None else Path(scratch) / "out"
        run = score_portfolio(data_dir, target, as_of=day, rules_version=rules, lag=not no_lag, areas=area,
                              strict=strict, rows_per_chunk=chunk_rows, workers=workers, scheduler=scheduler,
                              on_chunk=progress)
    for warning in run.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if run.unread.height:
        notes = [f"listed in {out / 'unread_inputs.csv'}"] if out is not None else []
        if not_read(run.unread).height:
            notes.append("--strict makes this an error")
        typer.echo(describe_unread(run.unread) + (f"\n({'; '.join(notes)})" if notes else "") + "\n", err=True)
    say(format_summary(run.summary))
    if out is not None:
        say(f"\nwrote {out / 'scores.csv'}, {out / 'summary.csv'}, {out / 'options.csv'} and "
            f"{out / 'unread_inputs.csv'}")


@app.command("explain")
@_friendly
def explain_cmd(data_dir: DataDir, partner_id: Annotated[str, typer.Argument(help="The partner.")],
                as_of: AsOf = None, rules: Rules = None, no_lag: NoLag = False, area: Areas = None,
                out: Annotated[Path | None, typer.Option("--out", help="Also write explain_tenants.csv, "
                                                         "explain_people.csv, explain_ignored.csv, explain_steps.csv, "
                                                         "scores.csv, summary.csv and unread_inputs.csv into this "
                                                         "folder.")] = None,
                strict: Strict = False, quiet: Quiet = False) -> None:
    """Explain one partner's score: which tenant and person counted where, and why not."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.inputs.unread import describe_unread
    from pcs_analysis.present.terminal import format_explanation

    e, unread, warnings = api.explain_folder(data_dir, partner_id, as_of=_as_of(as_of), rules_version=rules,
                                             lag=not no_lag, areas=area, strict=strict)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    say(format_explanation(e))
    if unread.height:
        say("\n" + describe_unread(unread))
    _written(out, {"explain_tenants": e.tenants, "explain_people": e.people, "explain_ignored": e.ignored,
                   "explain_steps": e.steps, "scores": e.result.scores, "summary": e.result.summary,
                   "unread_inputs": unread})


Partners = Annotated[list[str] | None, typer.Option("--partner", help="Only this partner (repeatable).")]


@app.command("history")
@_friendly
def history_cmd(data_dir: DataDir, as_of: AsOf = None, out: _out("history.csv and history_scores.csv") = None,
                months: Annotated[int | None, typer.Option("--months", min=1, help="Months to show (default: "
                                                           "the rulebook's, six).")] = None,
                rules: Rules = None, no_lag: NoLag = False, area: Areas = None, partner: Partners = None,
                quiet: Quiet = False) -> None:
    """The scoring history: each partner's score per area at the end of each month."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.present.terminal import format_history

    h = api.history_folder(data_dir, as_of=_as_of(as_of), months=months, rules_version=rules, lag=not no_lag,
                           areas=area, partners=partner)
    say(format_history(h.summary))
    _written(out, {"history": h.summary, "history_scores": h.scores})


@app.command("status")
@_friendly
def status_cmd(data_dir: DataDir, as_of: AsOf = None, out: _out("status.csv and status_days.csv") = None,
               rules: Rules = None, no_lag: NoLag = False, area: Areas = None, partner: Partners = None,
               quiet: Quiet = False) -> None:
    """Status per partner and area (In progress, Qualified, Enrolled, Enrolled (Renewal due)),
    with the qualification window and the days in it on which the partner qualified."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.present.terminal import format_status

    q = api.qualification_folder(data_dir, as_of=_as_of(as_of), rules_version=rules, lag=not no_lag, areas=area,
                                 partners=partner)
    say(format_status(q.status))
    _written(out, {"status": q.status, "status_days": q.days})


#: Partners shown with their actions and risks on the terminal (beyond: one line per area).
_FEW_PARTNERS = 5


@app.command("recommend")
@_friendly
def recommend_cmd(data_dir: DataDir, as_of: AsOf = None, out: _out("recommendations.csv (every action)") = None,
                  rules: Rules = None, no_lag: NoLag = False, area: Areas = None, partner: Partners = None,
                  top: Annotated[int | None, typer.Option("--top", min=0, help="Actions and risks printed per "
                                                          "partner and area (default: 3 for up to 5 partners; "
                                                          "beyond, one line per partner and area; --out writes "
                                                          "them all).")] = None,
                  quiet: Quiet = False) -> None:
    """Points still needed, the next actions ranked by the points they add (kept and other track),
    association gaps, and risks (expiring certifications, customers whose loss or move out of the
    seat band would cost points). Every figure is measured by rescoring."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.present.terminal import format_recommendations

    def progress(area_name: str, done: int, areas: int) -> None:
        tell(f"recommend: {area_name} measured ({done} of {areas} areas)")

    table = api.recommend_folder(data_dir, as_of=_as_of(as_of), rules_version=rules, lag=not no_lag, areas=area,
                                 partners=partner, on_area=progress)
    partners = table["partner_id"].n_unique()
    compact = top is None and partners > _FEW_PARTNERS
    say(format_recommendations(table, top=3 if top is None else top, compact=compact))
    if compact:
        say(f"\n(one line per partner and area for {partners} partners: the points needed and the best action "
            "of the kept track; --top N prints N actions and risks of each, --out DIR writes them all)")
    _written(out, {"recommendations": table})


@app.command("sensitivity")
@_friendly
def sensitivity_cmd(data_dir: DataDir,
                    area: Annotated[str, typer.Option("--area", help="The area whose rules vary.")],
                    param: Annotated[list[str], typer.Option("--param", help="PATH=V1,V2,... (repeatable; "
                                                             "the grid is every combination)")],
                    as_of: AsOf = None,
                    out: _out("sensitivity_variants.csv, sensitivity_flips.csv and sensitivity_margins.csv") = None,
                    rules: Rules = None, no_lag: NoLag = False, partner: Partners = None,
                    quiet: Quiet = False) -> None:
    """Score a portfolio under every combination of rule parameter values, e.g.
    --param min_total_points=60,65,70,75 --param usage_growth.enterprise.CPOR.full_marks_at=500,1000."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.analysis.sensitivities import sensitivity

    data, rulebook = api.load_folder(data_dir, rules_version=rules, partners=partner)
    grid = _assignments(param, "--param", "PATH=V1,V2,...", lambda v: [parse_scalar(x) for x in v.split(",")])
    result = sensitivity(data, as_of=_as_of(as_of), areas=[area], grid=grid, rules=rulebook, lag=not no_lag)
    best = result.variants.sort("partners_qualified", descending=True)
    say(f"{result.variants.height} variants of {area}: partners qualified from "
        f"{best['partners_qualified'].min()} to {best['partners_qualified'].max()}")
    columns = [*grid, "partners_qualified", "partners_gained", "partners_lost"]
    for r in result.variants.sort(list(grid)).select(columns).iter_rows(named=True):
        setting = ", ".join(f"{name} = {r[name]}" for name in grid)
        say(f"   {setting}: {r['partners_qualified']} qualified (+{r['partners_gained']} / "
            f"-{r['partners_lost']})")
    _written(out, {"sensitivity_variants": result.variants, "sensitivity_flips": result.flips,
                   "sensitivity_margins": result.margins})


@app.command("whatif")
@_friendly
def whatif_cmd(data_dir: DataDir,
               scenarios: Annotated[Path, typer.Option("--scenarios", help="TOML file of [[scenario]] tables "
                                                       "with [[scenario.action]] entries (see the README).")],
               as_of: AsOf = None, out: _out("whatif_summary.csv and whatif_metrics.csv") = None,
               rules: Rules = None, no_lag: NoLag = False, area: Areas = None, quiet: Quiet = False) -> None:
    """Apply named scenarios (add certified people, add or lose a customer, associate a tenant,
    grow active users) to copies of the data and show the before/after of every metric."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.analysis.whatif import read_scenarios, what_if

    plan = read_scenarios(scenarios)
    data, rulebook = api.load_folder(data_dir, rules_version=rules)
    result = what_if(data, plan, as_of=_as_of(as_of), rules=rulebook, areas=area or None, lag=not no_lag)
    for r in result.summary.iter_rows(named=True):
        verdict = "qualified" if r["is_qualified_after"] else "not qualified"
        say(f"{r['scenario']}: {r['partner_id']} {r['area']}: {r['total_before']:.1f} -> "
            f"{r['total_after']:.1f} ({r['total_change']:+.1f}), {verdict}")
    _written(out, {"whatif_summary": result.summary, "whatif_metrics": result.metrics})


@app.command("impact")
@_friendly
def impact_cmd(data_dir: DataDir,
               from_version: Annotated[str, typer.Option("--from", help="The rulebook in force, e.g. 2023-06.")],
               to_version: Annotated[str, typer.Option("--to", help="The rulebook to compare with, e.g. 2026-05.")],
               as_of: AsOf = None, out: _out("impact.csv, impact_metrics.csv and impact_summary.csv") = None,
               no_lag: NoLag = False, area: Areas = None, quiet: Quiet = False) -> None:
    """What another rulebook does to the portfolio: every partner and area scored under both,
    with both totals and statuses, who gains and who loses a designation, and the metrics that
    move, each with the settings that changed for it."""
    from pcs_analysis.analysis.impact import impact
    from pcs_analysis.inputs.read import read_data
    from pcs_analysis.present.terminal import format_impact
    from pcs_analysis.rules import load_rules

    before, after = load_rules(from_version), load_rules(to_version)
    data = read_data(data_dir, rules=after)
    result = impact(data, as_of=_as_of(as_of), rules=after, compared_to=before, areas=area or None,
                    lag=not no_lag)
    say(format_impact(result))
    _written(out, {"impact": result.partners, "impact_metrics": result.metrics, "impact_summary": result.summary})


@app.command("app")
@_friendly
def app_cmd(data_dir: DataDir,
            partner: Annotated[str, typer.Option("--partner", help="The partner the planner is about.")],
            as_of: AsOf = None, rules: Rules = None,
            port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).")] = None,
            save_to: Annotated[Path, typer.Option("--save-to", help="The scenario file the page's Save button "
                                                  "writes.")] = Path("scenario.toml"),
            quiet: Quiet = False) -> None:
    """Serve the scenario planner as a web page (Voilà, 127.0.0.1, with a token, no code shown):
    add actions and watch the partner's six score cards move; Ctrl-C stops it."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.reporting.app import serve, wait_until_up

    day = _as_of(as_of)
    api.load_folder(data_dir, rules_version=rules, partners=[partner])   # bad input is said here, not on the page
    with serve(data_dir=data_dir, partner_id=partner, as_of=day, rules_version=rules, save_to=save_to,
               port=port) as running:
        wait_until_up(running)
        say(f"the scenario planner for {partner} as of {day}: {running.url}")
        say("open it in a browser; Ctrl-C stops it")
        running.process.wait()
        if running.process.returncode:
            raise PcsError(f"Voilà stopped (exit {running.process.returncode}): "
                           f"{running.log.read_text(errors='replace')[-1500:]}")


@app.command("tracks")
@_friendly
def tracks_cmd(data_dir: DataDir, partner_id: Annotated[str, typer.Argument(help="The partner.")],
               as_of: AsOf = None,
               out: _out("tracks_side_by_side.csv, tracks_marginal.csv and tracks_paths.csv") = None,
               quiet: Quiet = False, rules: Rules = None, no_lag: NoLag = False, area: Areas = None,
               cost: Annotated[list[str] | None, typer.Option("--cost", help="KIND=COST of one action of a kind "
                                                              "(add_customer, add_person, grow_users, "
                                                              "add_deployment, grow_revenue, add_service, "
                                                              "move_association); default 1 each.")] = None,
               max_steps: Annotated[int, typer.Option("--max-steps", min=1)] = 12) -> None:
    """One partner's tracks side by side, the points each kind of action adds on each, and a
    short path to qualification on each track (every step measured by rescoring)."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.analysis.track_comparison import track_choice

    costs = _assignments(cost, "--cost", "KIND=COST", float)
    data, rulebook = api.load_folder(data_dir, rules_version=rules)
    result = track_choice(data, partner_id, as_of=_as_of(as_of), areas=area or None, rules=rulebook, costs=costs,
                          max_steps=max_steps, lag=not no_lag)
    for (area_name, track), part in result.paths.group_by(["area", "track"], maintain_order=True):
        last = part.row(-1, named=True)
        verdict = (f"qualifies after {last['step']} step(s), cost {last['cost']:g}" if last["is_qualified"]
                   else f"not qualified after {last['step']} step(s) ({last['total']:.1f} points)")
        say(f"{area_name} / {track}: {part['total'][0]:.1f} points now; {verdict}")
        for r in part.filter(pl.col("step") > 0).iter_rows(named=True):
            say(f"   {r['step']}. {r['action']}")
    _written(out, {"tracks_side_by_side": result.side_by_side, "tracks_marginal": result.marginal,
                   "tracks_paths": result.paths})


@app.command("plan")
@_friendly
def plan_cmd(data_dir: DataDir, partner_id: Annotated[str, typer.Argument(help="The partner.")],
             area: Annotated[list[str], typer.Option("--area", help="An area to qualify in (repeatable).")],
             as_of: AsOf = None, out: _out("plan.csv, plan_areas.csv and renewals.csv") = None,
             quiet: Quiet = False,
             cost: Annotated[list[str] | None, typer.Option("--cost", help="CERTIFICATION=COST (repeatable).")] = None,
             default_cost: Annotated[float, typer.Option("--default-cost", help="Cost of a certification "
                                                         "not listed with --cost.")] = 1.0,
             lead: Annotated[list[str] | None, typer.Option("--lead", help="CERTIFICATION=DAYS of preparation "
                                                            "(repeatable).")] = None,
             default_lead: Annotated[int, typer.Option("--default-lead", help="Days of preparation of a "
                                                       "certification not listed with --lead.")] = DEFAULT_LEAD_DAYS,
             target: Annotated[str | None, typer.Option("--target", help="The day to qualify on (default: when "
                                                        "enrolled, the end of the renewal window; else the last "
                                                        "day of the month in which a certification started on "
                                                        "--as-of first counts: --as-of + --default-lead + the "
                                                        "rulebook's skilling lag).")] = None,
             hires: Annotated[int, typer.Option("--hires", min=0, help="New hires the plan may use.")] = 0,
             hire_cost: Annotated[float, typer.Option("--hire-cost", help="Cost of one new hire.")] = 0.0,
             forecast_others: Annotated[bool, typer.Option("--forecast-others", help="Take the other metrics "
                                                           "as forecast for the target (median of a Monte Carlo "
                                                           "forecast) instead of as they are.")] = False,
             seed: Annotated[int, typer.Option("--seed", help="Seed of that forecast.")] = 0,
             rules: Rules = None) -> None:
    """The cheapest certifications with which a partner qualifies in the chosen areas (an exact
    optimization), the latest day to earn and to start each, and the renewal calendar."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.analysis.planning import plan_certifications
    costs = _assignments(cost, "--cost", "CERTIFICATION=COST", float)
    leads = _assignments(lead, "--lead", "CERTIFICATION=DAYS", int)
    data, rulebook = api.load_folder(data_dir, rules_version=rules)
    day = _as_of(as_of)
    plan = plan_certifications(data, partner_id, as_of=day, areas=area, costs=costs,
                               default_cost=default_cost, lead_days=leads, default_lead_days=default_lead,
                               target=_date(target, "--target") if target else None, new_hires=hires,
                               hire_cost=hire_cost,
                               others="forecast" if forecast_others else "as_is", seed=seed, rules=rulebook)
    for warning in plan.warnings:
        typer.echo(f"warning: {warning}", err=True)
    say(f"plan for {plan.target}: {plan.status}" + (f": {plan.reason}" if plan.reason else f", cost {plan.cost:g}"))
    for r in plan.plan.iter_rows(named=True):
        late = f"  LATE: {(day - r['start_by']).days} day(s) past its start day" if r["is_late"] else ""
        say(f"   {r['person_id']}: {r['certification']} (cost {r['cost']:g}), earn by {r['earn_by']}, "
            f"start by {r['start_by']}{late}")
    if plan.late_steps.height:
        typer.echo(f"warning: {plan.late_steps.height} of {plan.plan.height} certification(s) should have been "
                   f"started before {day} to be ready by {plan.target}: start now and shorten the preparation, "
                   "or choose a later --target", err=True)
    for r in plan.renewals.iter_rows(named=True):
        say(f"   renew: {r['person_id']}: {r['certification']} stops counting on {r['stops_counting_on']}")
    if "total_rescored" in plan.areas.columns:
        for r in plan.areas.iter_rows(named=True):
            verdict = "qualified" if r["is_qualified_rescored"] else "NOT qualified"
            say(f"   carried out and rescored on {plan.target}: {r['area']} {r['track_rescored']} "
                f"{r['total_rescored']:.1f} points, {verdict}")
    _written(out, {"plan": plan.plan, "plan_areas": plan.areas, "renewals": plan.renewals})


@app.command("forecast")
@_friendly
def forecast_cmd(data_dir: DataDir, partner_id: Annotated[str, typer.Argument(help="The partner.")],
                 area: Annotated[str, typer.Option("--area", help="The area to forecast.")],
                 as_of: AsOf = None,
                 out: _out("forecast_months.csv, forecast_zeros.csv and forecast_rates.csv") = None,
                 quiet: Quiet = False,
                 paths: Annotated[int, typer.Option("--paths", min=1, help="Simulated paths.")] = 10_000,
                 seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")] = 0,
                 months: Annotated[int | None, typer.Option("--months", min=1, help="Coming refresh days "
                                                            "(default: to the end of the renewal window when "
                                                            "enrolled, else 6).")] = None,
                 rate: Annotated[list[str] | None, typer.Option("--rate", help="NAME=VALUE overriding an "
                                                                "estimated rate: arrivals, losses, growth_mean, "
                                                                "growth_sd, attrition, new_people.")] = None,
                 rules: Rules = None, no_lag: NoLag = False) -> None:
    """A Monte Carlo forecast of the coming months: the chance to qualify, the total per month and
    the metrics most often at zero."""
    from pcs_analysis.analysis import folders as api
    from pcs_analysis.analysis.forecasts import Rates, forecast

    allowed = ("arrivals", "attrition", "growth_mean", "growth_sd", "losses", "new_people")
    overrides = _assignments(rate, "--rate", f"NAME=VALUE with NAME one of {', '.join(allowed)}", float,
                             names=allowed)
    data, rulebook = api.load_folder(data_dir, rules_version=rules)
    result = forecast(data, partner_id, as_of=_as_of(as_of), areas=[area], paths=paths, seed=seed, months=months,
                      rates=Rates(**overrides), rules=rulebook, lag=not no_lag)
    already = " (already qualified on a day of the window)" if result.already_qualified else ""
    say(f"{partner_id} / {area}: probability of qualifying {result.probability:.1%}{already}; "
        f"in the coming months {result.probability_coming_months:.1%}")
    for r in result.months.iter_rows(named=True):
        say(f"   {r['refresh_day']} (data {r['data_month']:%Y-%m}): qualified in {r['share_qualified']:.1%} "
            f"of paths, total {r['total_p10']:.1f} / {r['total_p50']:.1f} / {r['total_p90']:.1f} (p10/p50/p90)")
    _written(out, {"forecast_months": result.months, "forecast_zeros": result.zeros, "forecast_rates": result.rates})


@app.command("reports")
@_friendly
def reports_cmd(data_dir: DataDir,
                out: Annotated[Path, typer.Option("--out", help="Run folder: reports/, index.html, "
                                                  "manifest.csv and manifest.json.")],
                as_of: AsOf = None, quiet: Quiet = False,
                partners: Annotated[str | None, typer.Option("--partners", help="Comma-separated partner ids, or a "
                                                             "file with one id per line (default: all).")] = None,
                workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel worker processes.")] = 2,
                timeout: Annotated[int, typer.Option("--timeout", min=1, help="Seconds a notebook cell may "
                                                     "run.")] = 600,
                pdf: Annotated[bool, typer.Option("--pdf", help="Also print each report to PDF with Debian's "
                                                  "Chromium (headless).")] = False,
                scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run on a Dask distributed "
                                                              "cluster at this address (tcp://HOST:PORT).")] = None,
                top: Annotated[int, typer.Option("--top", min=1, help="Actions and risks shown per area and "
                                                 "track.")] = 3,
                rules: Rules = None) -> None:
    """One HTML report per partner (notebooks/partner_report.ipynb run with papermill), an index
    and a manifest. Re-running skips partners done with the same inputs; exits 1 if any failed."""
    from pcs_analysis.reporting.bulk import check_partners, run_reports
    from pcs_analysis.reporting.progress import ProgressBar

    manifest = run_reports(data_dir, as_of=_as_of(as_of), out=out, partners=check_partners(partners),
                           workers=workers, timeout=timeout, rules_version=rules, top=top,
                           progress=None if quiet else ProgressBar(), scheduler=scheduler, pdf=pdf)
    say(f"open {Path(out) / 'index.html'}")
    if manifest.filter(pl.col("status").is_in(["failed", "timeout"])).height:
        raise typer.Exit(1)


def _assignments(items: list[str] | None, option: str, form: str, convert: Callable[[str], Any],
                 names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """NAME=VALUE options as a mapping (the name may hold '=' signs: the last one separates)."""
    out: dict[str, Any] = {}
    for text in items or []:
        name, sep, value = text.rpartition("=")
        name = name.strip()
        if not sep or not name or not value.strip() or (names is not None and name not in names):
            raise PcsError(f"{option} {text!r}: expected {form}")
        try:
            out[name] = convert(value.strip())
        except ValueError:
            raise PcsError(f"{option} {text!r}: {value.strip()!r} is not a number") from None
    return out


@app.command("sample-data")
@_friendly
def sample_data_cmd(out_dir: Annotated[Path, typer.Argument(help="Folder to write the four tables into "
                                                             "(other files are kept).")],
                    partners: Annotated[int, typer.Option("--partners", min=1)] = 50,
                    seed: Annotated[int, typer.Option("--seed")] = DEFAULT_SEED,
                    last_month: Annotated[str, typer.Option("--last-month", help="Last month of "
                                                            "usage data (YYYY-MM-01).")] = "2026-10-01",
                    months: Annotated[int, typer.Option("--months", min=13)] = 26,
                    parquet: Annotated[bool, typer.Option("--parquet", help="Write a Parquet data folder "
                                                          "with the usage table partitioned by partner "
                                                          "(usage/part-NNNNN.parquet), generated block by "
                                                          "block in bounded memory.")] = False,
                    quiet: Quiet = False) -> None:
    """Generate deterministic synthetic data in the canonical format."""
    from pcs_analysis.inputs.sample import generate_sample, write_sample_dataset

    if parquet:
        usage_rows, cert_rows = write_sample_dataset(out_dir, partners=partners, seed=seed,
                                                     last_month=_date(last_month), months=months)
    else:
        sample = generate_sample(partners=partners, seed=seed, last_month=_date(last_month), months=months)
        sample.write(out_dir)
        usage_rows, cert_rows = sample.usage.height, sample.certifications.height
    say(f"wrote {usage_rows} usage rows, {cert_rows} certifications for {partners} partners to {out_dir}")


import_app = typer.Typer(help="Convert downloaded files into the canonical tables.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("partner-center")
@_friendly
def import_partner_center_cmd(
        src_dir: Annotated[Path, typer.Argument(help="Folder with Partner Center Insights downloads: "
                                                "OfficeUsage, AzureUsage, DynamicsUsage, CustomersAndTenants "
                                                "and TrainingCompletions *.csv.")],
        out_dir: Annotated[Path, typer.Argument(help="Canonical data folder to write (outside SRC_DIR); its "
                                                "usage and certifications .csv are replaced, the enrollments "
                                                "and partners you typed are kept (new partners added), other "
                                                "files kept.")],
        rules: Rules = None, quiet: Quiet = False) -> None:
    """Convert Partner Center Insights downloads into a canonical data folder for `pcs score`."""
    from pcs_analysis.inputs.partner_center import check_import_target, import_partner_center, write_import
    from pcs_analysis.rules import load_rules

    check_import_target(src_dir, out_dir)
    rulebook = load_rules(rules)
    tables, report = import_partner_center(src_dir, rules=rulebook)
    kept = write_import(tables, out_dir, rules=rulebook)
    say(report.describe())
    for note in kept:
        say(f"  {note}")
    say(f"wrote {tables.usage.height} usage rows and {tables.certifications.height} certification rows "
               f"to {out_dir}")


rules_app = typer.Typer(help="Inspect the rulebooks and what changed between versions.",
                        no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
@_friendly
def rules_list_cmd(quiet: Quiet = False) -> None:
    """The rulebook versions shipped with the package."""
    from pcs_analysis.config import DEFAULT_RULES_VERSION
    from pcs_analysis.rules import list_versions, load_rules

    for version in list_versions():
        rules = load_rules(version)
        default = " (default)" if version == DEFAULT_RULES_VERSION else ""
        say(f"{version}{default}  {rules.title}  areas: {', '.join(rules.areas)}")


@rules_app.command("show")
@_friendly
def rules_show_cmd(version: Annotated[str, typer.Argument(help="Rulebook version, e.g. 2026-05.")],
                   area: Annotated[str | None, typer.Argument(help="Only this area.")] = None,
                   out: Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV.")] = None,
                   quiet: Quiet = False) -> None:
    """Every setting of a rulebook (thresholds, maxima, seat bands, workloads, certifications) and
    the readings of the sources it takes, each with its sentence and reason."""
    from pcs_analysis.present.terminal import format_readings, format_rules
    from pcs_analysis.rules import load_rules
    from pcs_analysis.rules.inspect import reading_rows, rules_table

    rules = load_rules(version)
    table = rules_table(rules, area)
    if out is not None:
        write_csv(out, table)
    say(format_rules(table))
    say(format_readings(reading_rows(rules), area))


@rules_app.command("readings")
@_friendly
def rules_readings_cmd(out: Annotated[Path, typer.Option("--out", help="The Markdown file to write "
                                                         "(docs/readings.md).")],
                       quiet: Quiet = False) -> None:
    """Every shipped rulebook's readings of the sources as one Markdown page."""
    from pcs_analysis.rules import list_versions, load_rules
    from pcs_analysis.rules.inspect import readings_markdown

    write_text(out, readings_markdown([load_rules(v) for v in reversed(list_versions())]))
    say(f"wrote {out}")


@rules_app.command("diff")
@_friendly
def rules_diff_cmd(old: Annotated[str, typer.Argument(help="The older version.")],
                   new: Annotated[str, typer.Argument(help="The newer version.")],
                   area: Annotated[str | None, typer.Option("--area", help="Only this area.")] = None,
                   out: Annotated[Path | None, typer.Option("--out", help="Also write the changes as CSV.")] = None,
                   quiet: Quiet = False) -> None:
    """What changed between two rulebook versions, per area, metric and setting."""
    from pcs_analysis.present.terminal import format_rules_diff
    from pcs_analysis.rules import load_rules
    from pcs_analysis.rules.inspect import diff_rules

    changes = diff_rules(load_rules(old), load_rules(new), area)
    if out is not None:
        write_csv(out, changes)
    say(format_rules_diff(changes, old, new))


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that its clean-up runs as for Ctrl-C."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    """Entry point of the `pcs` console script."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Terminated:
        sys.exit(143)
