"""Seeded synthetic pipelines of the workbook contract's shape, for benchmarks.

Ten plan years, four sectors of three materials each, eight pools (grants, loans,
guarantees, offtake; US and Japan), annual budgets, a few locks, requires and exclusive
groups. The total budget scales with the pipeline so that about a third of the projects
can be afforded: the optimiser has real choices at every size.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from openpyxl import Workbook

START = 2026
YEARS = range(START, START + 10)
SECTORS = {
    "magnets": ["NdPr oxide", "NdFeB magnet", "Dy-Tb oxide"],
    "batteries": ["lithium hydroxide", "graphite", "nickel sulphate"],
    "catalysts": ["cerium oxide", "lanthanum oxide", "platinum"],
    "optical": ["germanium", "gallium", "yttrium oxide"],
}
STAGES = ["mining", "separation", "refining", "metal_alloy", "magnet", "recycling"]
POOLS: list[dict[str, Any]] = [
    {"pool_id": "US-GRANT", "instrument": "grant", "funder_country": "US",
     "budget_cost_rate": 1.0, "max_share_of_capex": 0.3},
    {"pool_id": "JP-GRANT", "instrument": "grant", "funder_country": "JP",
     "budget_cost_rate": 1.0, "max_share_of_capex": 0.3, "eligible_countries": "JP, AU, US"},
    {"pool_id": "US-LOAN", "instrument": "loan", "funder_country": "US",
     "budget_cost_rate": 0.12, "max_share_of_capex": 0.5, "min_ticket_musd": 20},
    {"pool_id": "JP-LOAN", "instrument": "loan", "funder_country": "JP",
     "budget_cost_rate": 0.08, "max_share_of_capex": 0.4, "min_ticket_musd": 30},
    {"pool_id": "US-GUAR", "instrument": "guarantee", "funder_country": "US",
     "budget_cost_rate": 0.03, "max_share_of_capex": 0.6, "eligible_stages":
     "separation, refining, metal_alloy, magnet"},
    {"pool_id": "JP-GUAR", "instrument": "guarantee", "funder_country": "JP",
     "budget_cost_rate": 0.04, "max_share_of_capex": 0.5},
    {"pool_id": "US-OFFTAKE", "instrument": "offtake", "funder_country": "US",
     "budget_cost_rate": 0.25, "gap_credit": 0.5, "max_share_of_capex": 0.4},
    {"pool_id": "JP-OFFTAKE", "instrument": "offtake", "funder_country": "JP",
     "budget_cost_rate": 0.2, "gap_credit": 0.5, "max_share_of_capex": 0.4},
]


def pipeline(n: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """A pipeline of `n` projects; the same (n, seed) always gives the same rows."""
    rng = random.Random(seed * 100_003 + n)
    materials = [(s, m) for s, ms in SECTORS.items() for m in ms]
    ids = [f"P{k:05d}" for k in range(1, n + 1)]
    projects: list[dict[str, Any]] = []
    offtake: list[dict[str, Any]] = []
    for k, pid in enumerate(ids):
        capex = round(rng.lognormvariate(5.0, 0.8), 1)
        row: dict[str, Any] = {
            "project_id": pid, "name": f"Synthetic project {k + 1}",
            "country": rng.choice(["US", "JP", "AU", "CA", "ZA"]),
            "stage": rng.choice(STAGES), "capex_musd": capex,
            "sponsor_equity_musd": round(capex * rng.choice([0.1, 0.2, 0.3, 0.4]), 1),
            "lead_time_months": rng.choice([6, 12, 18, 24, 30, 36, 48, 60, 72, 96]),
            "start_year": START + rng.choice([0, 0, 0, 1, 2]),
        }
        draw = rng.random()
        lockable = row["lead_time_months"] <= 60 and row["sponsor_equity_musd"] >= 0.2 * capex
        if draw < 0.01 and lockable:
            row["lock"] = "in"
        elif draw < 0.03:
            row["lock"] = "out"
        open_before = [q for q in projects if q.get("lock") != "out"]
        if "lock" not in row and open_before and rng.random() < 0.03:
            row["requires"] = rng.choice(open_before)["project_id"]
        elif "lock" not in row and rng.random() < 0.06:
            row["exclusive_group"] = f"SITE-{rng.randrange(max(1, n // 20))}"
        projects.append(row)
        for sector, material in rng.sample(materials, rng.choice([1, 1, 2])):
            offtake.append({"project_id": pid, "sector": sector, "material": material,
                            "volume_tpa": round(capex * rng.uniform(2, 12))})
    supply: dict[tuple[str, str], float] = {}
    for row in offtake:
        key = (row["sector"], row["material"])
        supply[key] = supply.get(key, 0.0) + row["volume_tpa"]
    weights = {"magnets": 3.0, "batteries": 1.0, "catalysts": 1.5, "optical": 2.0}
    demand = [{"sector": s, "material": m, "year": y,
               "demand_t": round(supply.get((s, m), 0.0) * 0.4 * (1 + 0.08 * (y - START))),
               "weight": weights[s]} for s, m in materials for y in YEARS]
    return {**funding(projects), "Projects": projects, "Offtake": offtake, "Demand": demand}


def funding(projects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Settings, Financing and Budget scaled to the pipeline's capex (2% of it to spend)."""
    total_capex = sum(p["capex_musd"] for p in projects)
    scale = total_capex / 1000
    pools = [pool | {"capacity_musd": round(scale * capacity)} for pool, capacity in
             zip(POOLS, [40, 30, 300, 250, 900, 600, 120, 100], strict=True)]
    budget = round(total_capex * 0.02, 1)
    return {
        "Settings": [{"setting": k, "value": v} for k, v in {
            "plan_start_year": START, "total_budget_musd": budget,
            "objective": "max_coverage", "max_lead_time_months": 84,
            "max_public_share": 0.8, "mip_gap": 0.001, "time_limit_s": 120}.items()],
        "Financing": pools,
        "Budget": [{"year": y, "budget_musd": round(budget * 0.3, 1)} for y in YEARS],
    }


def write(path: Path, data: dict[str, list[dict[str, Any]]]) -> Path:
    """Write the pipeline with openpyxl's streaming writer (header = union of keys)."""
    book = Workbook(write_only=True)
    for name, rows in data.items():
        sheet = book.create_sheet(name)
        header: list[str] = []
        for row in rows:
            header += [k for k in row if k not in header]
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(h) for h in header])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


BUDGET_SHARE, ANNUAL_SHARE, POOLS_SCALE, DEMAND_SCALE = 0.025, 0.12, 0.4, 2.5


def hard_pipeline(n: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """A harder pipeline of `n` projects: more selected, every limit binding, min tickets.

    The v1 frame with DEMAND_SCALE times the demand (it exceeds what every project together
    could supply in the late years), BUDGET_SHARE of total capex to spend (2% above) and
    POOLS_SCALE times the pool capacities, so that more projects are financed (91 of 300
    against 123 of 300, but each choice is contested); annual budgets of ANNUAL_SHARE of
    the total (they bind in most years); min tickets on every pool; and two scenarios, so
    that the default run has every analysis.
    """
    data = pipeline(n, seed)
    rng = random.Random(seed * 7_919 + n)
    total_capex = sum(p["capex_musd"] for p in data["Projects"])
    budget = round(total_capex * BUDGET_SHARE, 1)
    settings = {row["setting"]: row["value"] for row in data["Settings"]}
    settings["total_budget_musd"] = budget
    data["Settings"] = [{"setting": k, "value": v} for k, v in settings.items()]
    data["Budget"] = [{"year": y, "budget_musd": round(budget * ANNUAL_SHARE, 1)} for y in YEARS]
    data["Financing"] = [pool | {"capacity_musd": round(pool["capacity_musd"] * POOLS_SCALE),
                                 "min_ticket_musd": pool.get("min_ticket_musd")
                                 or rng.choice([5, 10, 15])} for pool in data["Financing"]]
    data["Demand"] = [row | {"demand_t": round(row["demand_t"] * DEMAND_SCALE)}
                      for row in data["Demand"]]
    data["Scenarios"] = [
        {"scenario": "Budget cut 20%", "change": "budget_factor", "value": 0.8},
        {"scenario": "Mines late", "change": "delay_months", "target": "mining", "value": 12}]
    return data
