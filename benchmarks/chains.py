"""Seeded synthetic pipelines with supply chains (contract v2), for benchmarks.

The v1 generator's frame (ten plan years, the eight pools, budgets scaled with total capex as
there; sponsors bring 25-50% of capex, so fewer chains break at an unfinanceable stage) around
two chains: rare earth mines -> separation plants
(concentrate to NdPr oxide) -> metal plants (oxide to NdPr metal) -> magnet plants (metal to
NdFeB magnets, with machining swarf) and recyclers (swarf back to NdPr oxide); spodumene
mines -> refineries (spodumene concentrate to lithium hydroxide). Converters have Inputs rows
with yields after the domain notes ("Supply chains") (illustrative, not quoted figures),
allied Supply of concentrate, oxide, swarf and spodumene, and capped, weighted Imports of
concentrate, metal and spodumene. Demand is on magnets, NdPr oxide and lithium hydroxide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from benchmarks.generate import START, YEARS, funding
from portfolio.inputs.vocabulary import Stage

Commodity = tuple[str, str]
CONCENTRATE: Commodity = ("magnets", "mixed REO concentrate")
OXIDE: Commodity = ("magnets", "NdPr oxide")
METAL: Commodity = ("magnets", "NdPr metal")
MAGNET: Commodity = ("magnets", "NdFeB magnet")
SWARF: Commodity = ("magnets", "magnet swarf")
SPODUMENE: Commodity = ("batteries", "spodumene concentrate")
HYDROXIDE: Commodity = ("batteries", "lithium hydroxide")

#: Demand weights per tonne of each final product.
DEMAND_WEIGHTS: dict[Commodity, float] = {MAGNET: 3.0, OXIDE: 2.0, HYDROXIDE: 1.0}
#: Imports: weight per tonne and the first year's cap as a share of what the pipeline's
#: converters could consume; the cap falls 8% a year (export controls tighten).
IMPORTS: dict[Commodity, tuple[float, float]] = {CONCENTRATE: (0.3, 0.15), METAL: (0.5, 0.1),
                                                 SPODUMENE: (0.4, 0.2)}


class Kind(StrEnum):
    """What a synthetic project does in its chain."""

    REE_MINE = "rare earth mine"
    SEPARATION = "separation plant"
    METAL = "metal plant"
    MAGNET = "magnet plant"
    RECYCLER = "magnet recycler"
    SPODUMENE_MINE = "spodumene mine"
    REFINERY = "lithium hydroxide refinery"


@dataclass(frozen=True)
class Profile:
    """How projects of one kind are drawn: stage, main output, capacity and cost."""

    stage: Stage
    output: Commodity
    capacity_tpa: tuple[float, float]
    musd_per_ktpa: float
    lead_times: tuple[int, ...]


PROFILES: dict[Kind, Profile] = {
    Kind.REE_MINE: Profile(Stage.MINING, CONCENTRATE, (3_000, 25_000), 25,
                           (36, 48, 60, 72, 84, 96)),
    Kind.SEPARATION: Profile(Stage.SEPARATION, OXIDE, (500, 5_000), 160, (36, 48, 60)),
    Kind.METAL: Profile(Stage.METAL_ALLOY, METAL, (300, 3_000), 40, (18, 24, 36)),
    Kind.MAGNET: Profile(Stage.MAGNET, MAGNET, (500, 5_000), 250, (24, 30, 36, 42)),
    Kind.RECYCLER: Profile(Stage.RECYCLING, OXIDE, (50, 600), 200, (6, 9, 12)),
    Kind.SPODUMENE_MINE: Profile(Stage.MINING, SPODUMENE, (50_000, 300_000), 1.5,
                                 (36, 48, 60, 72)),
    Kind.REFINERY: Profile(Stage.REFINING, HYDROXIDE, (5_000, 30_000), 40, (24, 36, 48)),
}
#: Kinds in a cycle of 20, so every kind appears in any pipeline of 20 projects or more.
CYCLE = ([Kind.REE_MINE, Kind.SEPARATION, Kind.METAL, Kind.MAGNET] * 3
         + [Kind.RECYCLER] * 2 + [Kind.SPODUMENE_MINE, Kind.REFINERY] * 3)


def _feed(kind: Kind, output_t: float, rng: random.Random) -> list[tuple[Commodity, float]]:
    """Inputs and by-products of a converter making `output_t` of its main output.

    Returns (commodity, tonnes) pairs: the first, a positive input; a by-product negative.
    """
    if kind is Kind.SEPARATION:  # NdPr is 16-32% of the REO, about 90% recovered
        return [(CONCENTRATE, output_t / (rng.choice([0.157, 0.2, 0.264, 0.32]) * 0.9))]
    if kind is Kind.METAL:  # stoichiometry 0.83-0.86 t metal per t oxide, less losses
        return [(OXIDE, output_t / rng.uniform(0.8, 0.85))]
    if kind is Kind.MAGNET:  # about 3.3 t magnet per t metal; 15-30% of the block as swarf
        return [(METAL, output_t / rng.uniform(3.1, 3.5)),
                (SWARF, -output_t * rng.uniform(0.15, 0.3))]
    if kind is Kind.RECYCLER:  # swarf holds about 30% NdPr
        return [(SWARF, output_t / rng.uniform(0.22, 0.3))]
    if kind is Kind.REFINERY:  # about 6.5-7.5 t SC6 per t lithium hydroxide
        return [(SPODUMENE, output_t * rng.uniform(6.5, 7.5))]
    return []


def _rows(commodity: Commodity, **values: Any) -> dict[str, Any]:
    return {"sector": commodity[0], "material": commodity[1]} | values


def chain_pipeline(n: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """A chain pipeline of `n` projects; the same (n, seed) always gives the same rows."""
    rng = random.Random(seed * 200_003 + n)
    projects: list[dict[str, Any]] = []
    offtake: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    capacity: dict[Commodity, float] = {}
    feed_capacity: dict[Commodity, float] = {}
    mines: list[str] = []
    for k in range(n):
        kind = CYCLE[(k + seed) % len(CYCLE)]
        profile = PROFILES[kind]
        pid = f"C{k + 1:05d}"
        output_t = round(rng.uniform(*profile.capacity_tpa), -1)
        capex = round(output_t / 1000 * profile.musd_per_ktpa * rng.lognormvariate(0, 0.3), 1)
        row: dict[str, Any] = {
            "project_id": pid, "name": f"Synthetic {kind} {k + 1}",
            "country": rng.choice(["US", "JP", "AU", "CA", "ZA"]),
            "stage": profile.stage.value, "capex_musd": capex,
            "sponsor_equity_musd": round(capex * rng.choice([0.25, 0.3, 0.4, 0.5]), 1),
            "lead_time_months": rng.choice(profile.lead_times),
            "start_year": START + rng.choice([0, 0, 0, 1, 2]),
        }
        draw = rng.random()
        if draw < 0.02:
            row["lock"] = "out"
        elif kind is Kind.SEPARATION and mines and draw < 0.12:
            row["requires"] = rng.choice(mines)  # an integrated mine and refinery
        elif draw < 0.18:
            row["exclusive_group"] = f"SITE-{rng.randrange(max(1, n // 20))}"
        if kind is Kind.REE_MINE and "lock" not in row:
            mines.append(pid)
        projects.append(row)
        offtake.append(_rows(profile.output, project_id=pid, volume_tpa=output_t))
        capacity[profile.output] = capacity.get(profile.output, 0.0) + output_t
        for commodity, tonnes in _feed(kind, output_t, rng):
            if tonnes < 0:
                offtake.append(_rows(commodity, project_id=pid, volume_tpa=round(-tonnes)))
                capacity[commodity] = capacity.get(commodity, 0.0) - tonnes
            else:
                inputs.append(_rows(commodity, project_id=pid, input_tpa=round(tonnes)))
                feed_capacity[commodity] = feed_capacity.get(commodity, 0.0) + tonnes
    growth = {y: 1 + 0.08 * (y - START) for y in YEARS}
    demand = [_rows(c, year=y, demand_t=round(capacity.get(c, 0.0) * share * growth[y]),
                    weight=w)
              for (c, w), share in zip(DEMAND_WEIGHTS.items(), (0.4, 0.1, 0.4), strict=True)
              for y in YEARS]
    allied = [(CONCENTRATE, 0.05 * feed_capacity.get(CONCENTRATE, 0.0), YEARS[:5]),
              (OXIDE, 0.03 * capacity.get(OXIDE, 0.0), YEARS),
              (SWARF, 0.1 * feed_capacity.get(SWARF, 0.0), YEARS[3:]),
              (SPODUMENE, 0.05 * feed_capacity.get(SPODUMENE, 0.0), YEARS[:3])]
    supply = [_rows(c, year=y, supply_t=round(t)) for c, t, years in allied for y in years]
    imports = [_rows(c, year=y, weight=weight,
                     max_t=round(feed_capacity.get(c, 0.0) * first * 0.92 ** (y - START)))
               for c, (weight, first) in IMPORTS.items() for y in YEARS]
    return {**funding(projects), "Projects": projects, "Offtake": offtake, "Inputs": inputs,
            "Supply": supply, "Imports": imports, "Demand": demand}
