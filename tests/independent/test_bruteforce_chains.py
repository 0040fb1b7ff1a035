"""Small random chain pipelines checked against brute-force enumeration of every selection.

Mines make concentrate, separation plants turn it into NdPr oxide, metal plants oxide into
metal, magnet plants metal into magnets; allied Supply and capped or uncapped Imports feed
them. The brute force shares no code with the product: for each selection it builds the
flow LP of the contract's "v2: chains" section in PuLP from the raw row dicts (utilisation
per converter and year, imports within their caps, one balance per commodity and year,
deliveries from allied tonnes) and takes the lexicographic optimum: the least first
objective (weighted shortfall + weighted imports), then the least budget cost. Financing is
kept trivial (one grant pool, no equity), so a selection costs the sum of its capex and fits
iff that sum is within the budget.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pulp
import pytest

from tests.helpers import call, read_output, summary, tampered_copy, write_book
from tests.independent.checker import check

Rows = list[dict[str, Any]]
Key = tuple[str, str]

CONC = ("magnets", "mixed REO concentrate")
OXIDE = ("magnets", "NdPr oxide")
METAL = ("magnets", "NdPr metal")
MAGNETS = ("magnets", "NdFeB magnets")
CERIUM = ("catalysts", "cerium oxide")  # a separation plant's by-product, now and then
PLAN = 2026
SEEDS = range(16)
#: What each kind of project makes and consumes: (outputs, inputs), choices of t/y each.
ROLES: dict[str, tuple[list[tuple[Key, list[int]]], list[tuple[Key, list[int]]]]] = {
    "mine": ([(CONC, [300, 600, 1000])], []),
    "separation": ([(OXIDE, [100, 150])], [(CONC, [400, 800])]),
    "metal": ([(METAL, [80, 100])], [(OXIDE, [100, 120])]),
    "magnet": ([(MAGNETS, [150, 250])], [(METAL, [60, 100])]),
    "recycling": ([(OXIDE, [20, 50])], []),
}


def _row(key: Key, **values: Any) -> dict[str, Any]:
    return {"sector": key[0], "material": key[1], **values}


def generate(seed: int) -> dict[str, Any]:
    """A random chain pipeline of 4-6 projects over 3-4 years, small enough to enumerate."""
    rng = random.Random(seed)
    roles = ["mine", "separation", "metal", "magnet"]
    roles += rng.choices(["mine", "separation", "recycling", "metal", "magnet"],
                         k=rng.randint(0, 2))
    rng.shuffle(roles)
    years = list(range(PLAN, PLAN + rng.choice([3, 4])))
    projects: Rows = []
    offtake: Rows = []
    inputs: Rows = []
    by_product = False
    for n, role in enumerate(roles):
        pid = f"P{n}"
        stage = {"mine": "mining", "metal": "metal_alloy"}.get(role, role)
        projects.append({"project_id": pid, "country": "US", "stage": stage,
                         "capex_musd": rng.choice([20, 40, 60, 80]),
                         "lead_time_months": rng.choice([0, 12, 12, 24]),
                         "start_year": rng.choice([PLAN, PLAN, PLAN + 1])})
        outputs, feeds = ROLES[role]
        for key, volumes in outputs:
            offtake.append(_row(key, project_id=pid, volume_tpa=rng.choice(volumes)))
        for key, volumes in feeds:
            inputs.append(_row(key, project_id=pid, input_tpa=rng.choice(volumes)))
        if role == "separation" and rng.random() < 0.3:  # two outputs, in fixed proportion
            offtake.append(_row(CERIUM, project_id=pid, volume_tpa=rng.choice([40, 80])))
            by_product = True
        if role == "magnet" and rng.random() < 0.3:  # two inputs
            inputs.append(_row(OXIDE, project_id=pid, input_tpa=rng.choice([10, 30])))
    demand: Rows = []
    for key in (OXIDE, METAL, MAGNETS, *([CERIUM] if by_product else [])):
        for year in years:
            if rng.random() < 0.7 or (key == MAGNETS and year == years[-1]):
                demand.append(_row(key, year=year, demand_t=rng.choice([0, 50, 100, 200]),
                                   weight=rng.choice([1, 1, 2, 0.5])))
    supply = [_row(key, year=year, supply_t=rng.choice([50, 100, 300]))
              for key in (CONC, OXIDE, METAL) for year in years if rng.random() < 0.2]
    imports: Rows = []
    for key in (CONC, OXIDE, METAL):
        r = rng.random()
        weight = rng.choice([0, 0.05, 0.1, 0.5, 1, 2])
        if r < 0.3:  # one row for every plan year
            imports.append(_row(key, year=None, max_t=rng.choice([None, 100, 400]),
                                weight=weight))
        elif r < 0.55:
            imports += [_row(key, year=year, max_t=rng.choice([None, 50, 200]),
                             weight=rng.choice([weight, 1]))
                        for year in years if rng.random() < 0.6]
    total = sum(p["capex_musd"] for p in projects)
    budget = rng.choice([1.0, 0.7, 0.5, 0.35]) * total
    return {
        "Settings": [{"setting": k, "value": v} for k, v in
                     {"plan_start_year": PLAN, "total_budget_musd": budget, "mip_gap": 0}.items()],
        "Projects": projects, "Offtake": offtake, "Demand": demand,
        "Financing": [{"pool_id": "G", "instrument": "grant", "capacity_musd": 10 * total,
                       "budget_cost_rate": 1}],
        "Inputs": inputs, "Supply": supply, "Imports": imports,
    }


def _key(row: dict[str, Any]) -> Key:
    return (" ".join(row["sector"].split()).lower(), " ".join(row["material"].split()).lower())


def first_objective(data: dict[str, Rows], chosen: set[str], plan: int = PLAN,
                    weigh_imports: bool = True) -> float:
    """The least weighted shortfall + weighted imports of the selection, by its own LP.

    `data` has the contract's headers (blank cells absent or None). Without
    `weigh_imports` (min_cost), imports cost nothing: the result is the least shortfall.
    """
    def get(row: dict[str, Any], column: str, default: Any) -> Any:
        return default if row.get(column) is None else row[column]

    plan_years = range(plan, max([plan, *(d["year"] for d in data["Demand"])]) + 1)
    online = {p["project_id"]: get(p, "start_year", plan)
              + math.ceil(p["lead_time_months"] / 12) for p in data["Projects"]}
    converters = {r["project_id"] for r in data.get("Inputs", [])}
    prob = pulp.LpProblem("chains", pulp.LpMinimize)
    level: dict[tuple[str, int], Any] = {}  # utilisation: a variable, or 1 for a plain project
    for pid in sorted(chosen):
        for year in plan_years:
            if year >= online[pid]:
                level[pid, year] = (prob.add_variable(f"u_{pid}_{year}", 0, 1)
                                    if pid in converters else 1)
    made: dict[tuple[Key, int], Any] = defaultdict(float)
    used: dict[tuple[Key, int], Any] = defaultdict(float)
    for rows, side, column in ((data["Offtake"], made, "volume_tpa"),
                               (data.get("Inputs", []), used, "input_tpa")):
        for r in rows:
            for year in plan_years:
                if (r["project_id"], year) in level:
                    side[_key(r), year] += r[column] * level[r["project_id"], year]
    allied: dict[tuple[Key, int], Any] = defaultdict(float, made)
    for r in data.get("Supply", []):
        allied[_key(r), r["year"]] += r["supply_t"]
    bought: dict[tuple[Key, int], Any] = {}
    costs = []
    for r in data.get("Imports", []):
        for year in plan_years if r.get("year") is None else [r["year"]]:
            m = prob.add_variable(f"m_{len(bought)}", 0, r.get("max_t"))
            bought[_key(r), year] = m
            costs.append(get(r, "weight", 1) * weigh_imports * m)
    delivered: dict[tuple[Key, int], Any] = defaultdict(float)
    for n, d in enumerate(data["Demand"]):
        x = prob.add_variable(f"d_{n}", 0, d["demand_t"])
        delivered[_key(d), d["year"]] += x
        costs.append(get(d, "weight", 1) * (d["demand_t"] - x))
    for flow in set(made) | set(used) | set(allied) | set(bought) | set(delivered):
        take, have = pulp.lpSum([delivered[flow]]), pulp.lpSum([allied[flow]])
        balance = take + used[flow] - have - bought.get(flow, 0)
        if balance.keys():  # a flow of constants alone holds (nothing can be negative)
            prob += balance <= 0
        if (take - have).keys():
            prob += take <= have
    prob += pulp.lpSum(costs)
    # One thread, as the product's solves use: HiGHS's scheduler is process-wide, and a
    # later solve asking for another thread count fails (fixed in portfolio.model.solver.run_highs).
    prob.solve(pulp.HiGHS(msg=False, threads=1))
    assert prob.sol_status == pulp.LpSolutionOptimal  # delivering nothing is always feasible
    return float(pulp.value(prob.objective) or 0.0)


def brute_force(data: dict[str, Rows]) -> tuple[float, float]:
    """(first objective, budget cost) of the lexicographic optimum over every selection."""
    budget = next(r["value"] for r in data["Settings"] if r["setting"] == "total_budget_musd")
    capex = {p["project_id"]: p["capex_musd"] for p in data["Projects"]}
    found = []
    for size in range(len(capex) + 1):
        for chosen in itertools.combinations(capex, size):
            cost = sum(capex[p] for p in chosen)
            if cost <= budget + 1e-9:
                found.append((first_objective(data, set(chosen)), cost))
    best = min(f for f, _ in found)
    return best, min(c for f, c in found if f <= best + 1e-6 * max(1.0, abs(best)))


def test_generator_makes_chains_that_bind() -> None:
    """The seeds reach imports, a budget that leaves projects out, and a selection whose
    converters matter (the optimum beats the best selection of plain projects alone)."""
    datas = [generate(seed) for seed in SEEDS]
    assert all(len(d["Projects"]) in range(4, 7) for d in datas)
    assert sum(sum(p["capex_musd"] for p in d["Projects"]) > d["Settings"][1]["value"]
               for d in datas) >= len(datas) // 2
    assert any(any(r["max_t"] is None for r in d["Imports"]) for d in datas)
    assert any(any(r["max_t"] is not None for r in d["Imports"]) for d in datas)
    assert any(any(r["year"] is None for r in d["Imports"]) for d in datas)
    converters_help = 0
    for d in datas[:6]:
        plain = {p["project_id"] for p in d["Projects"]} - {r["project_id"] for r in d["Inputs"]}
        everything = {p["project_id"] for p in d["Projects"]}
        converters_help += first_objective(d, everything) < first_objective(d, plain) - 1e-6
    assert converters_help >= 3


@pytest.mark.parametrize("seed", SEEDS)
def test_chain_optimum_matches_brute_force(tmp_path: Path, seed: int) -> None:
    data = generate(seed)
    expected = brute_force(data)
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    run = call("solve", source, "-o", out)
    assert run.code == 0, run.stderr
    figures = summary(read_output(out))
    assert figures["status"] == "optimal"
    got = float(figures["weighted_shortfall"]) + float(figures["weighted_imports"])
    assert got == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
    assert float(figures["total_budget_cost_musd"]) == pytest.approx(expected[1], rel=1e-7,
                                                                      abs=1e-6)
    assert check(source, out) == []


@pytest.fixture(scope="module")
def solved_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Seed 4 solved by the CLI: converters part-used, metal imported within its 100 t cap."""
    folder = tmp_path_factory.mktemp("chain")
    source = write_book(folder / "in.xlsx", generate(4))
    out = folder / "out.xlsx"
    assert call("solve", source, "-o", out).code == 0
    return source, out


METAL_2028 = {"material": "NdPr metal", "year": 2028}
Tamper = tuple[tuple[str, dict[str, Any], str, Any], str]
TAMPERED: dict[str, Tamper] = {  # ((sheet, row, column, value), what the checker must say)
    "imports over their cap": (("Flows", METAL_2028, "imports_t", 150), "imports 150"),
    "imports with no Imports row": (
        ("Flows", {"material": "mixed REO concentrate", "year": 2028}, "imports_t", 10),
        "outside [0, 0.0]"),
    "utilisation changed": (("Utilisation", {"project_id": "P1", "year": 2028},
                             "utilisation_pct", 60), "production_t"),
    "utilisation over 100%": (("Utilisation", {"project_id": "P0", "year": 2028},
                               "utilisation_pct", 120), "outside [0, 100]"),
    "a Utilisation row dropped": (("Utilisation", {"project_id": "P0", "year": 2029}, "", None),
                                  "P0 2029: no Utilisation row"),
    "consumption understated": (("Flows", METAL_2028, "consumed_t", 10), "consumed_t 10"),
    "delivery not from the flows": (
        ("Coverage", {"material": "NdFeB magnets", "year": 2028}, "supply_t", 90),
        "delivered_t 100"),
    "weighted imports misstated": (("Summary", {"metric": "weighted_imports"}, "value", 1),
                                   "Summary weighted_imports 1"),
}


def test_checker_accepts_the_solved_chain(solved_chain: tuple[Path, Path]) -> None:
    assert check(*solved_chain) == []
    util = read_output(solved_chain[1])["Utilisation"]["utilisation_pct"]
    assert any(0 < u < 100 for u in util)  # the tampering below edits a part-used chain


@pytest.mark.parametrize("name", TAMPERED)
def test_checker_rejects_tampered_chain_results(solved_chain: tuple[Path, Path], tmp_path: Path,
                                                name: str) -> None:
    (sheet, where, column, value), said = TAMPERED[name]
    source, out = solved_chain
    tampered = tampered_copy(out, tmp_path / "tampered.xlsx", sheet, where, column, value)
    found = check(source, tampered)
    assert any(said in line for line in found), found
