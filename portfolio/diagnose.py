"""Why no feasible portfolio exists: the conflicting requirements, in a reviewer's words.

Only two kinds of row can force money to be spent: a project locked `in` and, under the
`min_cost` objective, a Demand row that must be covered. Every other hard constraint only
limits. A deletion filter over those forcing rows finds an irreducible conflicting set:
drop each in turn and keep it dropped while the rest stay infeasible. Each member is then
explained, with the largest supply any portfolio can deliver for an uncoverable row.
"""

from __future__ import annotations

import dataclasses
import time

import pulp

from portfolio.build import build
from portfolio.explain import blockers, cheapest_financing, musd, tonnes
from portfolio.pipeline import Pipeline
from portfolio.solve import SolverOptions, Status, optimise, run

Forcing = tuple[str, str | int]  # ("lock", project_id) or ("cover", demand row index)
FILTER_SECONDS = 120.0


def _with_forcing(pipe: Pipeline, keep: set[Forcing]) -> Pipeline:
    """The pipeline with only the forcing rows in `keep` (others unlocked / not demanded)."""
    projects = tuple(
        p if p.lock != "in" or ("lock", p.project_id) in keep
        else p.model_copy(update={"lock": None})
        for p in pipe.projects
    )
    demands = pipe.demands
    if pipe.settings.objective == "min_cost":
        demands = tuple(
            d if ("cover", row) in keep else d.model_copy(update={"demand_t": 0.0})
            for row, d in enumerate(pipe.demands)
        )
    return dataclasses.replace(pipe, projects=projects, demands=demands)


def _feasible(pipe: Pipeline, options: SolverOptions) -> bool | None:
    """Whether a portfolio exists (None if the time limit left it open)."""
    model = build(pipe)
    model.prob.setObjective(pulp.LpAffineExpression())
    status = run(model.prob, options).status
    if status is Status.NO_SOLUTION:
        return None
    return status.has_solution


def conflict(pipe: Pipeline, options: SolverOptions) -> tuple[list[Forcing], bool]:
    """An irreducible set of forcing rows that cannot hold together (and whether minimal)."""
    candidates: list[Forcing] = [("lock", p.project_id) for p in pipe.projects if p.lock == "in"]
    if pipe.settings.objective == "min_cost":
        candidates += [("cover", row) for row, d in enumerate(pipe.demands) if d.demand_t > 0]
    keep = set(candidates)
    began = time.perf_counter()
    for item in candidates:
        if time.perf_counter() - began > FILTER_SECONDS:
            return [c for c in candidates if c in keep], False
        trial = keep - {item}
        if _feasible(_with_forcing(pipe, trial), options) is False:
            keep = trial
    return [c for c in candidates if c in keep], True


def diagnose(pipe: Pipeline, options: SolverOptions) -> list[str]:
    """Sentences naming the conflicting constraints of an infeasible pipeline."""
    members, minimal = conflict(pipe, options)
    blocked = blockers(pipe)
    lines: list[str] = []
    locked = [str(key) for kind, key in members if kind == "lock"]
    for pid in locked:
        project = pipe.project_by_id[pid]
        if pid in blocked:
            lines.append(f"{pid} is locked in, but it cannot be selected: {blocked[pid]}")
        elif _other_lock_in_group(pipe, pid, locked):
            rival = _other_lock_in_group(pipe, pid, locked)
            lines.append(f"{pid} and {rival} are both locked in, but they share exclusive group "
                         f"'{project.exclusive_group}', where at most one may be selected.")
        else:
            cheapest = cheapest_financing(pipe, project) or 0.0
            lines.append(f"{pid} is locked in and needs at least {musd(cheapest)} of budget cost "
                         f"(total_budget_musd is {musd(pipe.settings.total_budget_musd)}).")
    if len(locked) > 1:
        least = sum(cheapest_financing(pipe, pipe.project_by_id[p]) or 0.0 for p in locked)
        lines.append(f"Together the locked-in projects {', '.join(locked)} need at least "
                     f"{musd(least)} of budget cost; total_budget_musd is "
                     f"{musd(pipe.settings.total_budget_musd)}, and annual budgets and pool "
                     "capacities limit them further.")
    for kind, key in members:
        if kind == "cover":
            lines.append(_uncoverable(pipe, options, int(key), set(members)))
    if not lines:
        lines.append("No portfolio satisfies the hard constraints (locks, requires, exclusive "
                     "groups, budgets, pool limits), but no single conflict could be isolated.")
    if not minimal:
        lines.append(f"(The search for the smallest conflicting set stopped after "
                     f"{FILTER_SECONDS:.0f} s; the set above may hold more than is needed.)")
    return lines


def _other_lock_in_group(pipe: Pipeline, pid: str, locked: list[str]) -> str | None:
    group = (pipe.project_by_id[pid].exclusive_group or "").casefold()
    if not group:
        return None
    return next((q for q in locked if q != pid and
                 (pipe.project_by_id[q].exclusive_group or "").casefold() == group), None)


def _uncoverable(pipe: Pipeline, options: SolverOptions, row: int, members: set[Forcing]) -> str:
    """'min_cost cannot cover magnets/NdPr oxide in 2027: the most ... is X t of Y t'."""
    demand = pipe.demands[row]
    others = _with_forcing(pipe, members - {("cover", row)})
    relaxed = dataclasses.replace(
        others, settings=others.settings.model_copy(update={"objective": "max_coverage"}),
        demands=tuple(demand if i == row else d.model_copy(update={"demand_t": 0.0})
                      for i, d in enumerate(others.demands)),
    )
    best = optimise(relaxed, options)
    label = f"{demand.sector}/{demand.material} in {demand.year}"
    if not best.status.has_solution:
        return f"min_cost cannot cover {label} ({tonnes(demand.demand_t)} demanded)."
    delivered = sum(pipe.supply_contribution(pipe.project_by_id[p], demand) for p in best.selected)
    return (f"min_cost cannot cover {label}: the most any feasible portfolio delivers is "
            f"{tonnes(delivered)} of {tonnes(demand.demand_t)}.")
