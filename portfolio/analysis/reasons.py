"""Reasons a reviewer can read: why a project is left out of the portfolio.

Reasons that hold whatever the optimiser does (locked out, over the schedule limit, no
eligible pool, cheaper than nothing yet over budget) are found from the inputs alone;
the rest compare the project with the portfolio that was chosen.
"""

from __future__ import annotations

from portfolio.analysis.feed import chain_reason
from portfolio.analysis.figures import CoverageRow, Figures
from portfolio.constants import EPS, FULL, NOISE
from portfolio.inputs.case import Case
from portfolio.inputs.rows import Project
from portfolio.inputs.stockrows import country_key
from portfolio.inputs.vocabulary import Lock, Objective
from portfolio.model.container import pair_upper_bound


def musd(value: float) -> str:
    """Money as a reviewer writes it: '1,234.5 USD m'."""
    return f"{value:,.1f} USD m"


def tonnes(value: float) -> str:
    """Tonnes with thousands separators."""
    return f"{value:,.0f} t"


def cheapest_financing(case: Case, project: Project) -> float | None:
    """Least budget cost that closes the project's gap on its own (None if no mix can).

    A fractional knapsack over its eligible pools, cheapest budget cost per credited dollar
    first, each pool up to min(share cap, capacity). Minimum tickets are ignored, so the
    figure is a lower bound: any statement "even the cheapest costs X" stays true.
    """
    remaining = case.gap(project)
    cost = 0.0
    options = sorted(
        (pool.budget_cost_rate / pool.gap_credit, pool.gap_credit,
         pair_upper_bound(case, project, pool), pool.pool_id)
        for pool in case.pools if case.eligible(project, pool)
    )
    for per_credit, credit, upper, _ in options:
        if remaining <= EPS:
            break
        take = min(remaining, credit * upper)
        cost += take * per_credit
        remaining -= take
    return cost if remaining <= NOISE * max(1.0, case.gap(project)) else None


def own_blocker(case: Case, project: Project) -> str | None:
    """Why the project can never be selected, judged on its own row alone (or None)."""
    s = case.settings
    gap = case.gap(project)
    if project.lock == Lock.OUT:
        return "Locked out on the Projects sheet (lock = out)."
    if s.max_lead_time_months is not None and project.lead_time_months > s.max_lead_time_months:
        return (f"Lead time of {project.lead_time_months} months exceeds the schedule limit "
                f"max_lead_time_months = {s.max_lead_time_months}.")
    if gap > s.max_public_share * project.capex_musd + EPS:
        return (f"Needs public finance for {gap / project.capex_musd:.1%} of its capex "
                f"({musd(gap)} of {musd(project.capex_musd)}), above max_public_share of "
                f"{s.max_public_share:.1%}.")
    eligible = [pool for pool in case.pools if case.eligible(project, pool)]
    if gap > EPS and not eligible:
        return (f"No funding pool may back a {project.stage} project in {project.country} "
                "(eligible_countries / eligible_stages on the Financing sheet).")
    cheapest = cheapest_financing(case, project)
    if cheapest is None:
        most = sum(p.gap_credit * pair_upper_bound(case, project, p) for p in eligible)
        return (f"No eligible pool mix can close its financing gap: the eligible pools "
                f"({', '.join(p.pool_id for p in eligible)}) can credit at most {musd(most)} "
                f"of the {musd(gap)} gap.")
    if cheapest > s.total_budget_musd + EPS:
        return (f"Even its cheapest financing costs {musd(cheapest)} of budget, above "
                f"total_budget_musd = {musd(s.total_budget_musd)}.")
    for year, share in sorted(case.disbursement(project).items()):
        limit = case.budgets.get(year)
        if limit is not None and cheapest * share > limit + EPS:
            return (f"Even its cheapest financing disburses {musd(cheapest * share)} in {year}, "
                    f"above that year's budget of {musd(limit)}.")
    return None


def blockers(case: Case) -> dict[str, str]:
    """Projects that can never be selected: their own row, or a requirement that cannot be."""
    blocked = {p.project_id: r for p in case.projects if (r := own_blocker(case, p))}
    changed = True
    while changed:
        changed = False
        for project in case.projects:
            pid = project.project_id
            if pid in blocked:
                continue
            for needed in project.requires:
                if needed in blocked:
                    blocked[pid] = (f"Requires {needed}, which cannot be selected: "
                                    f"{blocked[needed]}")
                    changed = True
                    break
    return blocked


def rejection_reasons(figures: Figures) -> dict[str, str]:
    """A sentence for every project left out, in input order."""
    case = figures.case
    chosen = set(figures.selected)
    blocked = blockers(case)
    coverage = figures.coverage
    reasons: dict[str, str] = {}
    for project in case.projects:
        pid = project.project_id
        if pid in chosen:
            continue
        reasons[pid] = blocked.get(pid) or _comparative(figures, project, chosen, coverage)
    return reasons


def _comparative(figures: Figures, project: Project, chosen: set[str],
                 coverage: list[CoverageRow]) -> str:
    """Why a project that could be selected was not: compared with the chosen portfolio."""
    case = figures.case
    if project.exclusive_group:
        rivals = [p.project_id for p in case.projects if p.project_id in chosen
                  and (p.exclusive_group or "").casefold() == project.exclusive_group.casefold()]
        if rivals:
            return (f"Exclusive group '{project.exclusive_group}': {rivals[0]} was selected "
                    "instead, and at most one project of a group may be.")
    missing = [q for q in project.requires if q not in chosen]
    if missing:
        return (f"Requires {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                "not in the portfolio; taking both would cover less weighted demand per "
                "budget dollar.")
    if case.chains:
        limits = _binding_limits(figures, project)
        return chain_reason(figures, project, musd(cheapest_financing(case, project) or 0.0),
                            f" Binding limits: {'; '.join(limits)}." if limits else "")
    served = [row for row in coverage if case.supply_contribution(project, row.demand) > 0]
    if not served:
        online = case.online_year(project)
        keys = sorted({f"{s}/{m}" for (s, m) in case.volumes.get(project.project_id, {})})
        what = ", ".join(keys) or "nothing (no Offtake rows)"
        return (f"Delivers nothing the Demand sheet asks for within the plan: online in {online}, "
                f"its offtake is {what}.")
    short = [row for row in served if row.shortfall_t > NOISE]
    if not short:
        first = min(row.demand.year for row in served)
        keys = sorted({f"{r.demand.sector}/{r.demand.material}" for r in served})
        return (f"The demand it serves ({', '.join(keys)} from {first}) is already fully "
                "covered by the selected projects; adding it would only add budget cost.")
    limits = _binding_limits(figures, project)
    tail = f" Binding limits: {'; '.join(limits)}." if limits else ""
    if case.settings.objective == Objective.MIN_COST:
        return "Not needed: all demand is covered at lower budget cost without it." + tail
    gain = sum(row.demand.weight
               * min(row.shortfall_t, case.supply_contribution(project, row.demand))
               for row in short)
    cheapest = cheapest_financing(case, project) or 0.0
    labels = sorted({f"{r.demand.sector}/{r.demand.material}" for r in short})
    return (f"Not chosen: it would cut the weighted shortfall by at most {gain:,.0f} "
            f"({', '.join(labels)}) for at least {musd(cheapest)} of budget cost; the selected "
            f"projects cover more per budget dollar within the limits.{tail}")


def _binding_limits(figures: Figures, project: Project) -> list[str]:
    """Limits used to the full that this project would also draw on."""
    case = figures.case
    out: list[str] = []
    total = case.settings.total_budget_musd
    if figures.total_cost >= FULL * total:
        out.append(f"total budget {musd(total)} fully used")
    by_year = figures.cost_by_year
    for year in sorted(case.disbursement(project)):
        limit = case.budgets.get(year)
        if limit is not None and by_year.get(year, 0.0) >= FULL * limit:
            out.append(f"{year} budget {musd(limit)} fully used")
    for pool in case.pools:
        if case.eligible(project, pool) and pool.capacity_musd > 0 and \
                figures.pool_used(pool.pool_id) >= FULL * pool.capacity_musd:
            out.append(f"pool {pool.pool_id} fully committed")
    out.extend(_country_limits(figures, project))
    return out


def _country_limits(figures: Figures, project: Project) -> list[str]:
    """Country budgets used to the full whose pools could back the project."""
    case = figures.case
    funders = {case.pool_country(i) for i in case.pools if case.eligible(project, i)}
    years = set(case.disbursement(project))
    out: list[str] = []
    for row in case.country_budgets:
        key = country_key(row.country)
        if key not in funders or (row.year is not None and row.year not in years):
            continue
        if figures.country_cost(key, row.year) >= FULL * row.budget_musd:
            when = "" if row.year is None else f" {row.year}"
            out.append(f"{case.country_name(key)}'s{when} budget {musd(row.budget_musd)} "
                       "fully used")
    return out
