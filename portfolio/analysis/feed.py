"""Reasons in chain terms: a converter's missing feed, and what a project adds to the chain.

With chains a project's worth is not its own Offtake: a mine counts through the plants its
concentrate lets run, and a converter only through the feed it finds. Both are measured on
the flows of the chosen selection (`portfolio.model.flows`), the project added or not.
"""

from __future__ import annotations

import math

from portfolio.analysis.figures import Figures
from portfolio.constants import FULL, NOISE
from portfolio.inputs.case import demand_key
from portfolio.inputs.rows import Project
from portfolio.inputs.vocabulary import Objective
from portfolio.model.flows import flows


def spare(figures: Figures, key: tuple[str, str], year: int) -> float:
    """Tonnes of a commodity the selection leaves unused in a year, imports' headroom included."""
    found = figures.flows
    if found is None:
        return 0.0
    left = max(0.0, found.surplus().get((key, year), 0.0))
    terms = figures.case.import_terms.get((key, year))
    if terms is None:
        return left
    cap = terms[0]
    return math.inf if cap is None else left + max(0.0, cap - found.imports.get((key, year), 0.0))


def missing_feed(figures: Figures, project: Project) -> str | None:
    """'Would need 2,100 t/y magnets/NdPr metal; the selected projects leave at most ...'.

    For a converter: the first input whose spare tonnes (surplus plus import headroom) stay
    below what full output needs in every plan year it would be online; None if each input
    can be had in some year.
    """
    case = figures.case
    years = [y for y in case.plan_years if y >= case.online_year(project)]
    if not years:
        return None
    for key, need in sorted(case.consumption.get(project.project_id, {}).items()):
        best_year = max(years, key=lambda y: (spare(figures, key, y), -y))
        most = spare(figures, key, best_year)
        if most < FULL * need:
            return (f"Would need {need:,.0f} t/y {case.commodity_label(key)} at full output; the "
                    f"selected projects, supply and imports leave at most {most:,.0f} t/y spare "
                    f"({best_year}).")
    return None


def chain_gain(figures: Figures, project: Project) -> float:
    """How much the first objective falls if the project joins the selection (financing aside)."""
    case = figures.case
    base = figures.first_objective
    added = flows(case, figures.solution.selected | {project.project_id},
                  figures.solution.bought).first_objective
    gain = base - added
    return 0.0 if gain <= NOISE * max(1.0, abs(base)) else gain


def _unused_upstream(figures: Figures, project: Project) -> str | None:
    """'Its magnets/mixed REO concentrate counts only through S, which is not selected.'."""
    case = figures.case
    demanded = {demand_key(d.sector, d.material) for d in case.demands}
    chosen = figures.solution.selected
    for key in sorted(case.volumes.get(project.project_id, {})):
        if key in demanded:
            return None
    for key in sorted(case.volumes.get(project.project_id, {})):
        users = [p.project_id for p in case.projects
                 if key in case.consumption.get(p.project_id, {})]
        if users and not chosen & set(users):
            return (f"Its {case.commodity_label(key)} counts only through the converters that "
                    f"consume it ({', '.join(users)}), none of which is selected.")
    return None


def chain_reason(figures: Figures, project: Project, cheapest: str, tail: str) -> str:
    """Why a selectable project was left out of a chain portfolio.

    `cheapest` is its least budget cost in words, `tail` the binding limits' sentence.
    """
    feed = missing_feed(figures, project)
    if figures.case.settings.objective == Objective.MIN_COST:
        if feed is not None:
            return f"Not needed, and could not run: {feed[0].lower()}{feed[1:]}"
        return "Not needed: all demand is delivered at lower budget cost without it." + tail
    gain = chain_gain(figures, project)
    if gain <= 0:
        if feed is not None:
            return f"Cannot run: {feed[0].lower()}{feed[1:]}"
        if (upstream := _unused_upstream(figures, project)) is not None:
            return upstream
        return ("Adds nothing to the chosen chain: the demand its output could reach is already "
                "delivered, or nothing selected takes its output.")
    return (f"Not chosen: with the selected projects it would cut the first objective "
            f"(weighted shortfall + weighted imports) by at most {gain:,.0f} for at least "
            f"{cheapest} of budget cost; the selected projects cover more per budget dollar "
            f"within the limits.{tail}")
