"""The Summary table: the run's figures, every setting in effect and the solver's build.

A reviewer re-running the workbook needs what produced the answer as much as the answer, so
the Summary states each setting with where it came from, the solver's versions and options,
and the bounds each stage proved.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib.metadata import version as package_version
from typing import Any

from portfolio import __version__
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Objective, RiskObjective
from portfolio.model.container import Goal
from portfolio.model.lexicographic import stage_goals
from portfolio.model.outcomes import CBC_WARNING, Solver, Status
from portfolio.model.solver import highs_options, solver_version
from portfolio.report.contents import InEffect, Report
from portfolio.report.risktables import first_words, robustness
from portfolio.workbook.styles import Column

SUMMARY = (Column("metric", "text"), Column("value"), Column("note", "text"))
_SIDE_BY_SIDE = ("; on two cores or more the ranking, the risk and the analyses run side by "
                 "side, so their seconds overlap")


def summary_rows(report: Report) -> list[list[Any]]:
    """The Summary's metric rows: figures, settings in effect, solver and switches."""
    case, sol, opts = report.case, report.solution, report.options
    fig = report.figures
    solved = sol.status.has_solution
    total_demand = sum(d.demand_t for d in case.demands)
    covered = sum(r.demand.demand_t - r.shortfall_t for r in fig.coverage) if solved else None
    budget = case.settings.total_budget_musd
    settings = {s.name: s for s in report.settings_in_effect}
    rows: list[list[Any]] = [
        ["status", sol.status.value, _status_note(sol.status)],
        ["objective", case.settings.objective,
         f"{_objective_note(case)}; {settings['objective'].origin}"],
        ["weighted_shortfall", fig.weighted_shortfall if solved else None,
         "sum of weight x uncovered tonnes over all Demand rows"],
        *([["weighted_imports", fig.weighted_imports if solved else None, "sum of weight x "
            "tonnes imported over all Imports rows"]] if case.chains else []),
        ["total_budget_cost_musd", fig.total_cost if solved else None,
         "budget cost scored for all financing and stockpiles, USD m" if case.stockpiles
         else "budget cost scored for all financing, USD m"],
        *([["stockpile_cost_musd", fig.stock_cost if solved else None, "stockpile purchases "
            "and holding costs over the plan, USD m (part of total_budget_cost_musd)"]]
          if case.stockpiles else []),
        ["projects_selected", len(fig.selected) if solved else 0,
         f"of {len(case.projects)} candidate projects"],
        *_risk_rows(report, settings),
        ["solver", opts.label, CBC_WARNING if opts.solver is Solver.CBC else ""],
        ["mip_gap", sol.gap, "relative optimality gap reached (largest over the solves); "
         f"{opts.gap:g} allowed (mip_gap_allowed)" + ("" if sol.gap is not None
                                                      else "; not reported by this solver")],
        ["solve_seconds", sol.seconds, "solver time for the selection (ranking excluded)"],
        ["input_sha256", case.sha256, "fingerprint of the input workbook file"],
        ["input_file", report.input_path.name, ""],
        ["total_budget_musd", budget, "budget limit from Settings"],
        ["budget_used_pct", 100 * fig.total_cost / budget if solved and budget > 0 else None,
         "share of total_budget_musd used"],
        ["demand_covered_pct", 100 * covered / total_demand if covered is not None and
         total_demand > 0 else None, "tonnes covered / tonnes demanded, all rows"],
        ["public_finance_musd", sum(sol.face.values()) if solved else None,
         "face value of all grants, loans, guarantees and offtakes committed"],
        ["ranking", report.ranking, "regret: every selected project re-optimised without it; "
         "none: not ranked (--rank none), Selection in input order"],
        ["rank_seconds", report.rank_seconds, "time spent re-optimising for the regret ranking"
         + _SIDE_BY_SIDE],
        ["analysis_seconds", report.analysis_seconds,
         "time spent on the frontier, scenarios and sensitivity re-solves" + _SIDE_BY_SIDE],
        ["time_limit_s", opts.time_limit,
         f"solver time limit per solve; {settings['time_limit_s'].origin}"],
        ["portfolio_version", __version__, ""],
    ]
    rows += _settings_rows(settings.values(), report.risk is not None)
    rows += _solver_rows(report)
    rows += _switch_rows(report)
    rows += [["note", note, ""] for note in sol.notes]
    rows += [["warning", warning, ""] for warning in case.warnings]
    return rows


#: Settings shown among the rows above (under the same name and meaning).
_SHOWN = ("objective", "total_budget_musd", "time_limit_s")
#: The schedule-risk settings: among the risk rows when risk is analysed.
_RISK_SETTINGS = ("risk_samples", "risk_seed", "risk_objective")
#: A Settings field whose name a row above uses for something else, and the name it gets.
_RENAMED = {"mip_gap": "mip_gap_allowed"}


def _settings_rows(settings: Iterable[InEffect], risk: bool) -> list[list[Any]]:
    """Every setting in effect not shown above, in the Settings order, with its source.

    With risk analysed, the risk settings are among the risk rows instead.
    """
    rows: list[list[Any]] = []
    for setting in settings:
        if setting.name in _SHOWN:
            continue
        if risk and setting.name in _RISK_SETTINGS:
            continue
        rows.append([_RENAMED.get(setting.name, setting.name), setting.value,
                     f"{setting.about}; {setting.origin}"])
    return rows


def _risk_rows(report: Report, settings: dict[str, InEffect]) -> list[list[Any]]:
    """The schedule-risk rows (none without risk).

    The samples, their seed and objective, the first objective over them, and under
    expected the plan-optimal portfolio's figures and what robustness costs.
    """
    risk = report.risk
    if risk is None:
        return []

    def origin(name: str) -> str:
        found = settings.get(name)
        return f"; {found.origin}" if found is not None else ""

    first = first_words(report.case.chains)
    rows: list[list[Any]] = [
        ["risk_samples", risk.count, "schedule samples the portfolio is evaluated in, each "
         f"with its recourse re-optimised ({risk.method}){origin('risk_samples')}"],
        ["risk_seed", risk.seed, "sample k is drawn from SeedSequence([risk_seed, k]): the "
         f"same seed gives the same samples anywhere (RiskSamples){origin('risk_seed')}"],
        ["risk_objective", risk.objective.value,
         ("plan: the portfolio is optimised on the planned schedule, then evaluated in the "
          "samples" if risk.objective == RiskObjective.PLAN else
          f"expected: the portfolio minimises the mean {first} over the samples, then budget "
          "cost; the plan sheets show it on its planned schedule") + origin("risk_objective")],
        ["expected_first_objective", risk.expected_first,
         f"mean over the samples of the {first} of the portfolio (Risk sheet)"],
        ["p90_first_objective", risk.p90_first,
         f"P90 of the {first} over the samples: the ceil(0.9 x N)-th smallest (nearest rank)"],
    ]
    if risk.objective == RiskObjective.EXPECTED:
        rows += _rival_rows(report, first)
    lps = ""
    if any(risk.lps):
        lps = (f": {risk.lps[0]:,} LPs solved, {risk.lps[1]:,} risk-contribution schedules "
               "settled by reduced costs without one")
    rows.append(["risk_seconds", risk.seconds,
                 f"time spent evaluating the samples ({risk.method}{lps})"])
    return rows


def _rival_rows(report: Report, first: str) -> list[list[Any]]:
    """Under expected: the plan-optimal portfolio's figures, and what robustness costs."""
    risk = report.risk
    rival = risk.rival if risk is not None else None
    missing = "" if rival is not None else "; not available: its solve found no portfolio"
    about = "the plan-optimal portfolio (the optimum under risk_objective = plan)"
    rows: list[list[Any]] = [
        ["plan_optimal_first_objective", rival.first_objective if rival else None,
         f"{first} of {about} on its planned schedule{missing}"],
        ["plan_optimal_expected_first_objective",
         rival.expected_first_objective if rival else None,
         f"mean {first} of {about} over the same samples{missing}"],
        ["plan_optimal_p90_first_objective", rival.p90_first_objective if rival else None,
         f"P90 of the {first} of {about} over the same samples{missing}"],
        ["plan_optimal_budget_cost_musd", rival.budget_cost_musd if rival else None,
         f"budget cost of {about}, USD m{missing}"],
    ]
    if rival is not None:
        rows.append(["robustness_cost_musd", report.figures.total_cost - rival.budget_cost_musd,
                     robustness(report) or ""])
    return rows


def _solver_rows(report: Report) -> list[list[Any]]:
    """The solver's build and the options that fix its search; what the solves took."""
    sol, opts = report.solution, report.options
    highs = opts.solver is Solver.HIGHS
    chosen = highs_options(opts) if highs else {}
    runs = "summed over every solve of the selection (its stages and any tie-breaking)"
    unknown = f"not reported by {'HiGHS' if highs else 'CBC'}"
    if highs and opts.threads is None:
        threads = ("HiGHS threads per solve, set to 1 (HiGHS's default is half the cores): "
                   "the same search on any machine; the sweeps use one process per core")
    elif highs:
        threads = "HiGHS threads per solve, as asked for"
    else:
        threads = "CBC's default (PuLP passes no threads option)"
    return [
        ["solver_version", solver_version(opts),
         "the solver's exact build" if highs else "the CBC binary PuLP runs"],
        ["pulp_version", package_version("pulp"), "PuLP, which hands the model to the solver"],
        ["python_version", platform.python_version(), "the Python that ran the solves"],
        ["threads", chosen.get("threads", opts.threads), threads],
        ["random_seed", chosen.get("random_seed"),
         "HiGHS random_seed, set so a rerun repeats the same search" if highs
         else "not set: CBC's own default"],
        *_bound_rows(report),
        ["mip_nodes", sol.nodes, f"branch-and-bound nodes, {runs}" if sol.nodes is not None
         else unknown],
        ["lp_iterations", sol.iterations, f"simplex iterations, {runs}"
         if sol.iterations is not None else unknown],
    ]


def _bound_rows(report: Report) -> list[list[Any]]:
    """The best bound each goal's stage proved (a lower bound: both goals are minimised)."""
    sol, opts = report.solution, report.options
    goals = stage_goals(report.case.settings.objective)
    stages = dict(zip(goals, sol.stages, strict=False))
    held = f" (weighted shortfall{FIRST[report.case.chains]} held at stage 1's)" \
        if Goal.SHORTFALL in goals else ""
    rows: list[list[Any]] = []
    for goal, metric, proven in (
            (Goal.SHORTFALL, "best_bound_weighted_shortfall",
             f"lower bound on weighted_shortfall{FIRST[report.case.chains]} proven by stage 1"),
            (Goal.COST, "best_bound_budget_cost_musd",
             f"lower bound on total_budget_cost_musd proven by the cost stage{held}")):
        stats = stages.get(goal)
        if goal not in goals:
            note = "min_cost has no shortfall stage: all demand is covered"
        elif stats is None:
            note = "not solved: stage 1 found no portfolio"
        elif stats.bound is not None:
            note = proven
        elif opts.solver is Solver.CBC:
            note = "not reported by CBC"
        else:
            note = "the stage found no portfolio"
        rows.append([metric, None if stats is None else stats.bound, note])
    return rows


def _switch_rows(report: Report) -> list[list[Any]]:
    """The command-line options of the run: the sweeps asked for and where they ran."""
    sw = report.switches
    rows: list[list[Any]] = []
    for name, on, what in (("frontier", sw.frontier, "one solve per budget level, Frontier"),
                           ("scenarios", sw.scenarios, "one solve per scenario, Scenarios"),
                           ("sensitivity", sw.sensitivity, "one re-solve per limit, "
                                                           "Sensitivity")):
        note = f"--{name}: {what} sheet" if on else f"--no-{name}: not run"
        if name == "scenarios" and on and not report.case.scenarios:
            note += " (the input has no Scenarios)"
        rows.append([name, "on" if on else "off", note])
    workers = sw.workers if sw.workers is not None else sw.cores
    if sw.scheduler:
        where = "not used: the re-solves ran on the Dask scheduler"
    elif sw.workers is not None:
        where = "local worker processes for the re-solves, from --workers"
    else:
        where = "local worker processes for the re-solves: default, one per core"
    rows.append(["workers", workers, where])
    rows.append(["scheduler", sw.scheduler or "none",
                 "--scheduler: the re-solves ran on this Dask cluster" if sw.scheduler
                 else "no --scheduler: the re-solves ran on local processes"])
    return rows


def _status_note(status: Status) -> str:
    return {
        Status.OPTIMAL: "proven optimal within mip_gap",
        Status.FEASIBLE: "a valid portfolio, not proven optimal (time limit reached)",
        Status.INFEASIBLE: "no portfolio satisfies the hard constraints: see Diagnosis",
        Status.NO_SOLUTION: "the time limit ran out before any portfolio was found: see "
                            "Diagnosis",
    }[status]


def _objective_note(case: Case) -> str:
    if case.settings.objective == Objective.MIN_COST:
        return "cover all demand at the least budget cost"
    return f"least weighted shortfall{FIRST[case.chains]} first, then least budget cost"


#: What stage 1 adds to the weighted shortfall, by `Case.chains`.
FIRST = {False: "", True: " + weighted imports"}
