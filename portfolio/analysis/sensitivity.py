"""Sensitivity: what one more USD million of each budget and capacity limit is worth.

Two measures per limit (the total budget, each annual Budget row, each pool's capacity, each
CountryBudgets row, and each stockpile's max_stock_t valued at its price, so that one step is
one USD m of stock):

- the marginal value from the LP: the selection (y) and the min-ticket choices (z) are
  fixed at the optimum, the budget cost is minimised over the face values alone, and the
  dual of the limit's row is d(budget cost)/d(limit), in USD m per USD m. HiGHS gives no
  MIP duals, and with the selection fixed the weighted shortfall cannot move, so this is
  the price of the limit for the chosen portfolio's financing: a full cheap pool shows
  how much budget cost one more USD m of it saves. The same LP is re-solved with the limit
  raised by one step, so the prediction over the step is exact, not only at the margin.
  In this LP face values are bounded by their share caps only (`capacity_bounds=False`),
  so a full pool's capacity row carries its whole value rather than the variables' bounds.
  With stockpiles, purchases stay free in this LP and the first objective is held at the
  base's (stock bought could otherwise be sold back to save budget);
- the range of that marginal value, as in Excel Solver's Sensitivity Report: the allowable
  increase and decrease of the limit over which its dual stays the same, from HiGHS's
  ranging of the same LP (`Allowable`; None where unlimited). A limit with a zero dual keeps
  it for any increase (more of a limit never raises the least cost, and the least cost is
  convex in the limit), and can fall by its slack before it binds;
- the check: the whole MIP re-solved (lexicographically, as the base case) with the limit
  raised by the step (`sensitivity_step_musd`). Where the re-solve keeps the selection its
  change in cost equals the LP's; where it changes the selection it is at least as good,
  and the difference is what re-choosing projects is worth (the shortfall it removes).
  The re-solves are settled in groups (`resolve_limits`): raising several limits at once
  gives a larger model whose optimum answers every one of them it stays within.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import pulp

from portfolio.analysis.figures import Figures, clean
from portfolio.analysis.variants import Task, Variant, solve_all, with_total_budget
from portfolio.constants import AGREEMENT, NOISE
from portfolio.inputs.case import Case
from portfolio.inputs.stockrows import country_key
from portfolio.inputs.vocabulary import Objective, Target
from portfolio.model.build import build
from portfolio.model.container import Family, Goal, Model
from portfolio.model.lexicographic import held, start_values
from portfolio.model.outcomes import Solver, SolverOptions, Status
from portfolio.model.solver import run, upper_ranges

TOTAL, ANNUAL, POOL = "total_budget", "annual_budget", "pool_capacity"
COUNTRY, STOCK = "country_budget", "max_stock"


@dataclass(frozen=True)
class Limit:
    """One budget or capacity limit: its row in the model and its value in the inputs."""

    kind: str
    key: str
    label: str
    limit_musd: float
    used_musd: float
    per_musd: float = 1.0  # row units per USD m: tonnes per USD m for a stockpile's cap
    year: int | None = None  # a country budget's year (None: the whole plan)

    @property
    def slack_musd(self) -> float:
        """Headroom left by the portfolio (0 within solver noise)."""
        return clean(self.limit_musd - self.used_musd, self.limit_musd)

    @property
    def binding(self) -> bool:
        """Whether the portfolio uses the limit up (within 1e-6 relative)."""
        return self.slack_musd <= 0

    def raised(self, case: Case, step: float) -> Case:
        """The pipeline with this limit raised by `step` USD m."""
        if self.kind == TOTAL:
            return with_total_budget(case, self.limit_musd + step)
        if self.kind == ANNUAL:
            budgets = {**case.budgets, int(self.key): self.limit_musd + step}
            return replace(case, budgets=budgets, warnings=())
        if self.kind == COUNTRY:
            rows = tuple(r.model_copy(update={"budget_musd": r.budget_musd + step})
                         if country_key(r.country) == self.key and r.year == self.year else r
                         for r in case.country_budgets)
            return replace(case, country_budgets=rows, warnings=())
        if self.kind == STOCK:
            stocks = tuple(k.model_copy(update={"max_stock_t": k.max_stock_t
                                                + step * self.per_musd})
                           if k.stockpile_id == self.key else k for k in case.stockpiles)
            return replace(case, stockpiles=stocks, warnings=())
        pools = tuple(p.model_copy(update={"capacity_musd": p.capacity_musd + step})
                      if p.pool_id == self.key else p for p in case.pools)
        return replace(case, pools=pools, warnings=())

    def row(self, model: Model) -> pulp.LpConstraint | None:
        """The row of this limit in a built model (None where the model has no such row)."""
        if self.kind == POOL:
            return model.row(Family.CAPACITY, self.key)
        if self.kind == COUNTRY:
            return model.row(Family.COUNTRY, self.key,
                             Target.TOTAL if self.year is None else self.year)
        if self.kind == STOCK:
            return model.row(Family.STOCK_CAP, self.key)
        return model.row(Family.BUDGET, self.key if self.kind == TOTAL else int(self.key))


def limits(base: Figures) -> list[Limit]:
    """Every limit of the pipeline, with what the portfolio uses of it."""
    case = base.case
    found = [Limit(TOTAL, "total", "the total budget", case.settings.total_budget_musd,
                   base.total_cost)]
    found += [Limit(ANNUAL, str(year), f"the {year} budget", limit,
                    base.cost_by_year.get(year, 0.0))
              for year, limit in sorted(case.budgets.items())]
    found += [Limit(POOL, pool.pool_id, f"pool {pool.pool_id}'s capacity", pool.capacity_musd,
                    base.pool_used(pool.pool_id)) for pool in case.pools]
    for row in case.country_budgets:
        key = country_key(row.country)
        when = "" if row.year is None else f" {row.year}"
        found.append(Limit(COUNTRY, key, f"{case.country_name(key)}'s{when} budget",
                           row.budget_musd, base.country_cost(key, row.year), year=row.year))
    for stock in case.stockpiles:  # valued at its price, so that one step is one USD m
        per_t = stock.price_usd_per_kg / 1000
        found.append(Limit(STOCK, stock.stockpile_id,
                           f"stockpile {stock.stockpile_id}'s max_stock_t "
                           f"({stock.max_stock_t:,.0f} t)",
                           per_t * stock.max_stock_t, per_t * base.most_held(stock),
                           per_musd=1 / per_t))
    return found


@dataclass(frozen=True)
class Allowable:
    """How far a limit can move, in USD m, with its marginal value (dual) unchanged.

    Excel Solver's "allowable increase" and "allowable decrease" of a constraint's
    right-hand side: within [limit - decrease, limit + increase] the LP's least budget cost
    changes by exactly dual x the change. Both are >= 0; None means unlimited.
    """

    increase_musd: float | None
    decrease_musd: float | None


@dataclass(frozen=True)
class Marginal:
    """A limit's marginal value (LP, selection fixed) and the MIP re-solve that checks it."""

    limit: Limit
    step_musd: float
    dual: float | None
    lp_step_change: float | None
    resolve: Variant
    base: Figures
    allowable: Allowable | None = None

    @property
    def allowable_increase_musd(self) -> float | None:
        """How much the limit can rise with the same dual (None: unlimited, or not known).

        Not known only where `allowable` is None (the LP or its ranging failed).
        """
        return self.allowable.increase_musd if self.allowable else None

    @property
    def allowable_decrease_musd(self) -> float | None:
        """How much the limit can fall with the same dual (None: unlimited, or not known)."""
        return self.allowable.decrease_musd if self.allowable else None

    @property
    def shortfall_change(self) -> float | None:
        """Weighted shortfall after the re-solve less before (None if it found nothing)."""
        change = self.resolve.change(self.base)
        return change[0] if change else None

    @property
    def cost_change(self) -> float | None:
        """Budget cost after the re-solve less before."""
        change = self.resolve.change(self.base)
        return change[1] if change else None

    @property
    def reselected(self) -> bool:
        """Whether the re-solve found a better portfolio by changing the selection.

        A re-solve with the same shortfall and the cost the LP predicts counts as the same
        portfolio even if the solver picked an equally good different one.
        """
        if not self.resolve.solved or self.shortfall_change is None:
            return False
        if self.shortfall_change != 0:
            return True
        return self.lp_step_change is not None and self.cost_change is not None and \
            self.cost_change < self.lp_step_change - NOISE * max(1.0, self.base.total_cost)

    @property
    def moved(self) -> tuple[list[str], list[str]]:
        """Projects the re-solve adds and drops (none where it keeps the selection)."""
        return self.resolve.moved(self.base) if self.reselected else ([], [])

    @property
    def agrees(self) -> bool | None:
        """Whether the re-solve's change equals the LP's prediction over the step."""
        if self.lp_step_change is None or self.cost_change is None or self.reselected:
            return None
        scale = max(1.0, self.base.total_cost)
        return abs(self.cost_change - self.lp_step_change) <= AGREEMENT * scale

    def meaning(self, objective: str) -> str:
        """The row in words, for a finance reviewer."""
        lim, step = self.limit, self.step_musd
        if lim.binding:
            head = f"{_cap(lim.label)} is used up ({lim.used_musd:,.2f} of {lim.limit_musd:,.2f} " \
                   "USD m)."
        else:
            head = f"{_cap(lim.label)} has {lim.slack_musd:,.2f} USD m unused."
        return head + self._lp(step) + " " + self._check(objective, step)

    def _lp(self, step: float) -> str:
        dual, change = self.dual or 0.0, self.lp_step_change
        if dual >= -NOISE:
            return self._zero()
        margin = (f" With the same projects, each extra USD m of it lowers the budget cost by "
                  f"{-dual:,.4g} USD m at the margin (financing moves to a cheaper pool)")
        if change is None or abs(change - dual * step) <= NOISE * max(1.0, abs(change)):
            return margin + "." + self._range()
        return margin + f"; the whole {_musd(step)} step saves {-change:,.4g} USD m." + \
            self._range()

    def _zero(self) -> str:
        """A zero marginal value in words, with how far the limit could fall keeping it."""
        fall = self.allowable_decrease_musd
        if self.allowable is None:
            return " With the same projects, one more USD m of it changes nothing."
        said = " With the same projects, no increase of it changes anything"
        if fall is None or fall <= 0:
            return said + "."
        if self.limit.binding:
            return said + f"; it could fall by {_amount(fall)} at no extra budget cost."
        return said + f"; it could fall by {_amount(fall)} before it binds."

    def _range(self) -> str:
        """How far a non-zero marginal value holds, in words (nothing where not known)."""
        if self.allowable is None:
            return ""
        up, down = self.allowable.increase_musd, self.allowable.decrease_musd
        spans = [span for span in (
            "any increase" if up is None else f"up to {_amount(up)} more" if up > 0 else "",
            "any decrease" if down is None else f"up to {_amount(down)} less" if down > 0
            else "") if span]
        if not spans:
            return " This marginal value holds at the margin only."
        if len(spans) == 1:
            return f" This marginal value holds only for {spans[0]} of it."
        return f" This marginal value holds for {spans[0]} and {spans[1]} of it."

    def _check(self, objective: str, step: float) -> str:
        raised = f"Re-solving with {_musd(step)} more"
        if not self.resolve.solved:
            return f"{raised} found no portfolio within the time limit."
        ds, dc = self.shortfall_change or 0.0, self.cost_change or 0.0
        added, dropped = self.moved
        change = "".join([f"; in: {', '.join(added)}" if added else "",
                          f"; out: {', '.join(dropped)}" if dropped else ""])
        how = "by choosing other projects" if added or dropped else \
            "with the same projects" + (" and other stock purchases"
                                        if self.base.case.stockpiles else "")
        if self.reselected and objective != Objective.MIN_COST and ds < 0:
            goal = ("the weighted shortfall and imports" if self.base.case.chains
                    else "the weighted shortfall")
            return (f"{raised} lowers {goal} by {-ds:,.1f} ({-ds / step:,.1f} "
                    f"per USD m) {how}{change}; "
                    f"{f'budget cost {dc:+,.4g} USD m' if dc else 'budget cost unchanged'}.")
        if self.reselected:
            return f"{raised} lowers the budget cost by {-dc:,.4g} USD m {how}{change}."
        if dc < 0:
            return f"{raised} lowers the budget cost by {-dc:,.4g} USD m, as the LP predicts."
        return f"{raised} confirms it: no change."


def _amount(musd: float) -> str:
    """'12.50 USD m' for the range sentences (as the limits are shown)."""
    return f"{musd:,.2f} USD m"


def _musd(step: float) -> str:
    """'1 USD m' for the sentences."""
    return f"{step:g} USD m"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def fixed_selection_lp(base: Figures, found: list[Limit], step: float,
                       options: SolverOptions | None = None,
                       ) -> tuple[list[float], list[float | None], list[Allowable | None]] | None:
    """Each limit's dual, the LP's change in cost with it raised by `step`, and its range.

    The LP is the least budget cost of the base selection: y and z fixed at the
    portfolio's values, face values free. It is solved once at the limits as entered,
    then once per limit raised by `step`. The range (`Allowable`) is HiGHS's ranging of
    the first solve, the one the duals come from; None where HiGHS has no ranging. None
    for the whole answer where the LP has no solution at the base.
    """
    model = build(base.case, capacity_bounds=False)
    chosen = start_values(model, base.solution.selected, base.solution.face,
                          base.solution.bought)
    for var in (*model.y.values(), *model.z.values()):
        var.lowBound = var.upBound = chosen[var.name]
        var.cat = pulp.LpContinuous
    if model.bought and base.case.settings.objective != Objective.MIN_COST:
        model.hold(Goal.SHORTFALL, held(base.first_objective))  # stock could buy it back
    model.prob.setObjective(model.budget_cost)
    lp = replace(options or SolverOptions(), solver=Solver.HIGHS, gap=0.0)
    if run(model.prob, lp).status is not Status.OPTIMAL:
        return None
    cost = float(pulp.value(model.budget_cost) or 0.0)
    rows = [limit.row(model) for limit in found]
    duals = [float(row.pi or 0.0) * limit.per_musd if row is not None else 0.0
             for row, limit in zip(rows, found, strict=True)]
    ranges = _allowable(model.prob, found, rows, duals)
    changes: list[float | None] = []
    for row, limit in zip(rows, found, strict=True):
        if row is None:
            changes.append(0.0)
            continue
        row.constant -= step * limit.per_musd
        stats = run(model.prob, lp)
        row.constant += step * limit.per_musd
        changes.append(clean(float(pulp.value(model.budget_cost) or 0.0) - cost, cost)
                       if stats.status is Status.OPTIMAL else None)
    return duals, changes, ranges


def _allowable(prob: pulp.LpProblem, found: list[Limit], rows: list[pulp.LpConstraint | None],
               duals: list[float]) -> list[Allowable | None]:
    """Each limit's allowable increase and decrease, from the LP `prob` just solved.

    A limit row is `expr <= limit`, which PuLP keeps as `expr + constant <= 0`: its
    right-hand side is -constant. A zero dual holds for any increase; a limit without a row
    (nothing can use it) can fall by its slack, down to what the portfolio uses (nothing).
    """
    present = [row for row in rows if row is not None]
    ranged = upper_ranges(prob, present) if present else []
    if ranged is None:
        return [None] * len(rows)
    by_row = dict(zip(map(id, present), ranged, strict=True))
    out: list[Allowable | None] = []
    for limit, row, dual in zip(found, rows, duals, strict=True):
        if row is None:
            out.append(Allowable(None, limit.slack_musd))
            continue
        span = by_row[id(row)]
        if span is None:
            out.append(None)
            continue
        rhs, (lowest, highest) = -float(row.constant), span
        unit = limit.per_musd  # row units per USD m
        up = None if dual >= -NOISE or math.isinf(highest) else \
            max(0.0, clean((highest - rhs) / unit, rhs / unit))
        down = None if math.isinf(lowest) else max(0.0, clean((rhs - lowest) / unit, rhs / unit))
        out.append(Allowable(up, down))
    return out


def resolve_limits(base: Figures, found: list[Limit], step: float, options: SolverOptions, *,
                   pool: Executor | None = None, progress: Callable[[], object] | None = None,
                   ) -> tuple[list[Variant], int]:
    """Each limit's MIP re-solve with it raised by `step`, and how many solves it took.

    Group testing. Let P be the base model, P_L the model with limit L raised and P_G the
    model with every limit of a group G raised: P is within P_L, which is within P_G, for
    each L in G, so opt(P_G) <= opt(P_L) <= opt(P) (lexicographically). If the optimum of
    P_G uses no limit of G beyond its value as entered, it is feasible for P and every P_L
    has that optimum; if it goes beyond exactly one, L, it is feasible for P_L and is its
    optimum. Otherwise the limits it goes beyond are solved one by one and the rest as a
    group again. The first round solves the limits the base portfolio does not use up as
    one group and each binding limit alone (the ones likely to pay). A solve not proven
    optimal settles nothing: its group is solved one by one.
    """
    case = base.case
    answers: dict[int, Variant] = {}
    free = [i for i, limit in enumerate(found) if not limit.binding]
    groups = [[i] for i, limit in enumerate(found) if limit.binding] + ([free] if free else [])
    solves = 0
    while groups:
        tasks = [Task(_raised(case, [found[i] for i in group], step), hint=base.solution)
                 for group in groups]
        solves += len(tasks)
        solved = solve_all(tasks, options, pool=pool, tie_break=False)
        later: list[list[int]] = []
        for group, variant in zip(groups, solved, strict=True):
            beyond = _beyond(base.case, found, group, variant)
            if len(group) == 1 or len(beyond) <= 1:
                for i in [*group] if len(group) == 1 or not beyond else beyond:
                    answers[i] = Variant(found[i].raised(case, step), variant.solution,
                                         variant.diagnosis)
                    if progress:
                        progress()
                if beyond:
                    rest = [i for i in group if i not in beyond]
                    if rest:
                        later.append(rest)
                continue
            later += [[i] for i in beyond] + [[i for i in group if i not in beyond]]
        groups = [group for group in later if group]
    return [answers[i] for i in range(len(found))], solves


def _raised(case: Case, group: list[Limit], step: float) -> Case:
    """The pipeline with every limit of `group` raised by `step`."""
    for limit in group:
        case = limit.raised(case, step)
    return case


def _beyond(case: Case, found: list[Limit], group: list[int], variant: Variant) -> list[int]:
    """The limits of `group` the variant's portfolio uses beyond their values as entered.

    All of them where the solve was not proven optimal (nothing can be settled from it).
    """
    if variant.solution.status is not Status.OPTIMAL:
        return list(group)
    used = limits(Figures(case, variant.solution))
    return [i for i in group
            if used[i].used_musd > found[i].limit_musd + NOISE * max(1.0, found[i].limit_musd)]


def sensitivity(base: Figures, options: SolverOptions, *, pool: Executor | None = None,
                progress: Callable[[], object] | None = None) -> list[Marginal]:
    """Every limit's marginal value and its MIP check, in limit order."""
    case = base.case
    step = case.settings.sensitivity_step_musd
    found = limits(base)
    resolves, _ = resolve_limits(base, found, step, options, pool=pool, progress=progress)
    lp = fixed_selection_lp(base, found, step, options)
    duals: list[float | None] = list(lp[0]) if lp else [None] * len(found)
    changes = lp[1] if lp else [None] * len(found)
    ranges = lp[2] if lp else [None] * len(found)
    return [Marginal(limit, step, dual, change, resolve, base, allowable)
            for limit, dual, change, resolve, allowable in zip(found, duals, changes, resolves,
                                                               ranges, strict=True)]
