"""Why no feasible portfolio exists: the conflicting requirements, in a reviewer's words.

Only two kinds of row can force money to be spent: a project locked `in` and, under the
`min_cost` objective, a Demand row that must be covered. Every other hard constraint only
limits. A deletion filter over those forcing rows finds an irreducible conflicting set:
drop each in turn and keep it dropped while the rest stay infeasible. Each member is then
explained, with the largest supply any portfolio can deliver for an uncoverable row.
"""

from __future__ import annotations

import dataclasses
import math
import time

import pulp

from portfolio.analysis.reasons import blockers, cheapest_financing, musd, tonnes
from portfolio.constants import NOISE
from portfolio.inputs.case import Case
from portfolio.inputs.stockrows import country_key
from portfolio.inputs.vocabulary import Lock, Objective, Target
from portfolio.model import governments
from portfolio.model.build import build
from portfolio.model.container import Family, Model
from portfolio.model.flows import NO_USE, flows
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from portfolio.model.solver import run

Forcing = tuple[str, str | int]  # ("lock", project_id) or ("cover", demand row index)
FILTER_SECONDS = 120.0
MAX_CONFLICTS = 5


def _with_forcing(case: Case, keep: set[Forcing]) -> Case:
    """The pipeline with only the forcing rows in `keep` (others unlocked / not demanded)."""
    projects = tuple(
        p if p.lock != Lock.IN or ("lock", p.project_id) in keep
        else p.model_copy(update={"lock": None})
        for p in case.projects
    )
    demands = case.demands
    if case.settings.objective == Objective.MIN_COST:
        demands = tuple(
            d if ("cover", row) in keep else d.model_copy(update={"demand_t": 0.0})
            for row, d in enumerate(case.demands)
        )
    return dataclasses.replace(case, projects=projects, demands=demands)


def _feasible(case: Case, options: SolverOptions) -> bool | None:
    """Whether a portfolio exists (None if the time limit left it open)."""
    model = build(case)
    model.prob.setObjective(pulp.LpAffineExpression())
    status = run(model.prob, options).status
    if status is Status.NO_SOLUTION:
        return None
    return status.has_solution


def _candidates(case: Case) -> list[Forcing]:
    """The forcing rows of a pipeline, in workbook order."""
    candidates: list[Forcing] = [("lock", p.project_id) for p in case.projects if p.lock == Lock.IN]
    if case.settings.objective == Objective.MIN_COST:
        candidates += [("cover", row) for row, d in enumerate(case.demands) if d.demand_t > 0]
    return candidates


def conflict(case: Case, options: SolverOptions) -> tuple[list[Forcing], bool]:
    """An irreducible set of forcing rows that cannot hold together (and whether minimal)."""
    candidates = _candidates(case)
    keep = set(candidates)
    began = time.perf_counter()
    for item in candidates:
        if time.perf_counter() - began > FILTER_SECONDS:
            return [c for c in candidates if c in keep], False
        trial = keep - {item}
        if _feasible(_with_forcing(case, trial), options) is False:
            keep = trial
    return [c for c in candidates if c in keep], True


def diagnose(case: Case, options: SolverOptions) -> list[str]:
    """Sentences naming the conflicting constraints of an infeasible pipeline.

    Conflicts are found one at a time: once one is explained, its forcing rows are set
    aside, and if the rest still cannot hold together the next conflict is sought, so a
    reviewer sees every independent problem at once (up to MAX_CONFLICTS).
    """
    blocked = blockers(case)
    order = {item: n for n, item in enumerate(_candidates(case))}
    found: list[tuple[int, list[str]]] = []
    notes: list[str] = []
    remaining = case
    for _ in range(MAX_CONFLICTS):
        members, minimal = conflict(remaining, options)
        first = min((order[m] for m in members), default=len(order))
        found.append((first, _explain(case, members, options, blocked)))
        if not minimal:
            notes.append(f"(The search for the smallest conflicting set stopped after "
                         f"{FILTER_SECONDS:.0f} s; the set above may hold more than is needed.)")
            break
        rest = _with_forcing(remaining, set(_candidates(remaining)) - set(members))
        if not members or _feasible(rest, options) is not False:
            break
        remaining = rest
    else:
        notes.append(f"(Only the first {MAX_CONFLICTS} conflicts are listed; resolve them and "
                     "solve again to see any others.)")
    return [line for _, lines in sorted(found, key=lambda f: f[0]) for line in lines] + notes


def _explain(case: Case, members: list[Forcing], options: SolverOptions,
             blocked: dict[str, str]) -> list[str]:
    """Sentences for one irreducible conflict."""
    locked = [str(key) for kind, key in members if kind == "lock"]
    lines = [f"{pid} is locked in, but it cannot be selected: {blocked[pid]}"
             for pid in locked if pid in blocked]
    lines += _group_clashes(case, [pid for pid in locked if pid not in blocked])
    relaxation = least_relaxation(_with_forcing(case, set(members)), options)
    if relaxation and not lines:
        lines += _lock_costs(case, locked)
    for kind, key in members:
        if kind == "cover":
            lines.append(_uncoverable(case, options, int(key), set(members)))
    if relaxation:
        lines.append("The smallest change to the limits that lets them hold: "
                     + "; ".join(relaxation) + ".")
    if not lines:
        lines.append("No portfolio satisfies the hard constraints (locks, requires, exclusive "
                     "groups, budgets, pool limits), but no single conflict could be isolated.")
    return lines


def _lock_costs(case: Case, locked: list[str]) -> list[str]:
    """What the locked-in projects cost at least, alone and together."""
    total = musd(case.settings.total_budget_musd)
    lines = [f"{pid} is locked in and needs at least "
             f"{musd(cheapest_financing(case, case.project_by_id[pid]) or 0.0)} of budget cost "
             f"(total_budget_musd is {total})." for pid in locked]
    if len(locked) > 1:
        least = sum(cheapest_financing(case, case.project_by_id[p]) or 0.0 for p in locked)
        lines.append(f"Together the locked-in projects {', '.join(locked)} need at least "
                     f"{musd(least)} of budget cost; total_budget_musd is {total}, and annual "
                     "budgets and pool capacities limit them further.")
    return lines


def _needed(case: Case, locked: list[str]) -> dict[str, list[str]]:
    """Every project the locks force in, with the chain that forces it (A -> B -> C)."""
    chains: dict[str, list[str]] = {}
    queue = [[pid] for pid in locked]
    while queue:
        chain = queue.pop(0)
        if chain[-1] in chains:
            continue
        chains[chain[-1]] = chain
        queue += [[*chain, q] for q in case.project_by_id[chain[-1]].requires]
    return chains


def _why(chain: list[str]) -> str:
    if len(chain) == 1:
        return f"{chain[0]} is locked in"
    return f"{chain[-1]} is required by locked-in {chain[0]} ({' -> '.join(chain)})"


def _group_clashes(case: Case, locked: list[str]) -> list[str]:
    """Pairs the locks force in (directly or through requires) that share an exclusive group."""
    chains = _needed(case, locked)
    by_group: dict[str, list[str]] = {}
    for project in case.projects:
        group = (project.exclusive_group or "").casefold()
        if group and project.project_id in chains:
            by_group.setdefault(group, []).append(project.project_id)
    lines = []
    for shared, members in by_group.items():
        if len(members) < 2:
            continue
        first, second = members[0], members[1]
        group = case.project_by_id[first].exclusive_group or shared
        if len(chains[first]) == 1 and len(chains[second]) == 1:
            lines.append(f"{first} and {second} are both locked in, but they share exclusive "
                         f"group '{group}', where at most one may be selected.")
        else:
            lines.append(f"{first} and {second} share exclusive group '{group}', where at most "
                         f"one may be selected, but {_why(chains[first])} and "
                         f"{_why(chains[second])}.")
    return lines


def least_relaxation(case: Case, options: SolverOptions) -> list[str]:
    """Which budgets, pool capacities and cost shares must change for a portfolio to exist.

    Elastic relaxation: each limit row `lhs <= limit` (total, annual and country budgets,
    pool capacities, cost-share maxima) becomes `lhs - e <= limit` with e >= 0, each
    cost-share minimum `C_c - min * C >= 0` becomes `C_c - min * C + e >= 0`, and the sum of
    the e (USD m) is minimised. Rows with e > 0 are the limits in
    conflict. Empty when no growth of these limits helps (the conflict lies in locks,
    schedule, eligibility or supply) or when nothing needs to change.
    """
    model = build(case)
    limits = [(model.row(Family.BUDGET, Target.TOTAL), "total_budget_musd",
               case.settings.total_budget_musd)]
    limits += [(model.row(Family.BUDGET, year), f"the {year} budget", limit)
               for year, limit in case.budgets.items()]
    limits += [(model.row(Family.CAPACITY, pool.pool_id), f"the capacity of pool {pool.pool_id}",
                pool.capacity_musd) for pool in case.pools]
    for budget in case.country_budgets:
        country = country_key(budget.country)
        when = "" if budget.year is None else f" {budget.year}"
        limits.append((model.row(Family.COUNTRY, country, Target.TOTAL if budget.year is None
                                 else budget.year),
                       f"{case.country_name(country)}'s{when} budget", budget.budget_musd))
    labels = {id(row): (label, limit) for row, label, limit in limits if row is not None}
    shares: dict[int, tuple[Family, str]] = {
        id(model.rows[name]): (family, str(key[0])) for (family, key), name in model.keys.items()
        if family in (Family.SHARE_MIN, Family.SHARE_MAX)}
    slack: dict[int, pulp.LpVariable] = {}
    for constraint in model.rows.values():  # in model order, so the sentence order is stable
        if id(constraint) in labels or id(constraint) in shares:
            slack[id(constraint)] = model.prob.add_variable(f"elastic_{len(slack)}", 0)
            # `lhs <= limit` gets -e; a share-min row `paid - min * C >= 0` gets +e
            sign = 1 if constraint.sense == pulp.LpConstraintGE else -1
            constraint.expr.addInPlace(slack[id(constraint)], sign)
    if not slack:
        return []
    model.prob.setObjective(pulp.lpSum(slack.values()))
    if not run(model.prob, options).status.has_solution:
        return []
    grown = {key: var.varValue or 0.0 for key, var in slack.items()}
    changes = []
    for key, grow in grown.items():
        if grow <= NOISE or key in shares:
            continue
        label, limit = labels[key]
        needed = math.ceil((limit + grow) * 10 - NOISE) / 10
        changes.append(f"raise {label} from {musd(limit)} to {musd(needed)}")
    for key, grow in grown.items():
        if grow > NOISE and key in shares:
            for other, var in slack.items():  # the other limits as relaxed, this share free
                var.upBound = None if other == key else grown[other] + NOISE
            changes.append(_share_change(model, options, *shares[key]))
    return changes


def _share_change(model: Model, options: SolverOptions, family: Family, key: str) -> str:
    """'the cost share asks JP for at least 30%, but its pools cannot take more than 18%'."""
    case = model.case
    row = next(r for r in case.cost_shares if country_key(r.country) == key)
    name = case.country_name(key)
    lowest = family is Family.SHARE_MAX
    reach = extreme_share(model, options, key, lowest=lowest)
    if lowest:
        asked = f"the cost share asks {name} for at most {100 * row.max_share:.0f}%"
        found = "" if reach is None else \
            f", but the portfolios the hard constraints force leave it at least {100 * reach:.1f}%"
    else:
        asked = f"the cost share asks {name} for at least {100 * row.min_share:.0f}%"
        found = "" if reach is None else \
            f", but its pools and stockpiles cannot take more than {100 * reach:.1f}%"
    return f"{asked}{found} (CostShare row of {name})"


def extreme_share(model: Model, options: SolverOptions, key: str, *, lowest: bool,
                  rounds: int = 20) -> float | None:
    """The largest (or smallest) share C_c / C of the total budget cost a country can bear.

    Dinkelbach's method on the built model: from t = 0 (or 1), solve max C_c - t * C (or min)
    over every portfolio with a positive cost, set t to the ratio found, and stop when it no
    longer moves. None where no portfolio with a cost exists.
    """
    paid, total = governments.country_cost(model, key), model.budget_cost
    model.prob += total >= NOISE, "positive_cost"
    ratio = 1.0 if lowest else 0.0
    sense = 1 if lowest else -1
    for _ in range(rounds):
        model.prob.setObjective(sense * (paid - ratio * total))
        if not run(model.prob, options).status.has_solution:
            return None
        cost = pulp.value(total) or 0.0
        if cost <= NOISE:
            return None
        found = (pulp.value(paid) or 0.0) / cost
        if abs(found - ratio) <= NOISE:
            return found
        ratio = found
    return ratio


def _uncoverable(case: Case, options: SolverOptions, row: int, members: set[Forcing]) -> str:
    """'min_cost cannot cover magnets/NdPr oxide in 2027: the most ... is X t of Y t'."""
    demand = case.demands[row]
    others = _with_forcing(case, members - {("cover", row)})
    relaxed = dataclasses.replace(
        others, settings=others.settings.model_copy(update={"objective": Objective.MAX_COVERAGE}),
        demands=tuple(demand if i == row else d.model_copy(update={"demand_t": 0.0})
                      for i, d in enumerate(others.demands)),
    )
    if case.chains:  # the most that can be delivered, whatever the imports would weigh
        relaxed = dataclasses.replace(relaxed, imports=tuple(
            r.model_copy(update={"weight": 0.0}) for r in relaxed.imports))
    best = optimise(relaxed, options, tie_break=False)
    label = f"{demand.sector}/{demand.material} in {demand.year}"
    if not best.status.has_solution:
        return f"min_cost cannot cover {label} ({tonnes(demand.demand_t)} demanded)."
    if not case.chains:
        delivered = sum(case.supply_contribution(case.project_by_id[p], demand)
                        for p in best.selected)
        return (f"min_cost cannot cover {label}: the most any feasible portfolio delivers is "
                f"{tonnes(delivered)} of {tonnes(demand.demand_t)}.")
    found = flows(relaxed, best.selected, best.bought)
    held = sorted({f"{pid} runs at {100 * found.utilisation[(pid, year)]:.0f}% for want of "
                   f"{why}" for (pid, year), why in found.limited_by.items()
                   if year == demand.year and why != NO_USE})
    feed = f" ({'; '.join(held)})" if held else " (feed for its chain is missing)"
    most = found.delivered.get(row, 0.0)
    return (f"min_cost cannot deliver {label}: the most any feasible portfolio delivers from "
            f"allied chains is {tonnes(most)} of {tonnes(demand.demand_t)}"
            f"{feed if most < demand.demand_t else ''}.")
