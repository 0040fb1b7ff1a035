"""Small random pipelines checked against brute-force enumeration of every selection.

The brute force shares no code with the product: for each selection it computes the
weighted shortfall in plain Python and the cheapest financing with its own small MILP
(face values, min-ticket switches), then takes the lexicographic optimum.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path
from typing import Any

import pulp
import pytest

from portfolio.analysis.figures import Figures
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import call, read_output, write_book
from tests.independent.checker import check

MATERIALS = [("magnets", "NdPr oxide"), ("batteries", "graphite")]
YEARS = range(2026, 2030)


def generate(seed: int) -> dict[str, list[dict[str, Any]]]:
    """A random pipeline of the contract's shape, small enough to enumerate."""
    rng = random.Random(seed)
    n = rng.randint(3, 6)
    ids = [f"P{k}" for k in range(n)]
    objective = "min_cost" if rng.random() < 0.2 else "max_coverage"
    settings = {"plan_start_year": 2026, "objective": objective, "mip_gap": 0,
                "total_budget_musd": rng.choice([40, 80, 150, 400])}
    if rng.random() < 0.3:
        settings["max_lead_time_months"] = rng.choice([12, 24])
    if rng.random() < 0.3:
        settings["max_public_share"] = rng.choice([0.6, 0.8])
    projects = []
    for pid in ids:
        capex = rng.choice([20, 50, 80, 120])
        row: dict[str, Any] = {
            "project_id": pid, "country": rng.choice(["US", "JP", "AU"]),
            "stage": rng.choice(["mining", "separation", "magnet", "recycling"]),
            "capex_musd": capex, "sponsor_equity_musd": rng.choice([0, 0, 0.2, 0.5]) * capex,
            "lead_time_months": rng.choice([0, 6, 12, 18, 30]),
            "start_year": rng.choice([2026, 2026, 2027]),
        }
        r = rng.random()
        if r < 0.08:
            row["lock"] = "in"
        elif r < 0.16:
            row["lock"] = "out"
        if rng.random() < 0.15:
            row["requires"] = rng.choice([q for q in ids if q != pid])
        if rng.random() < 0.25:
            row["exclusive_group"] = "G1"
        projects.append(row)
    pools = []
    for k in range(rng.randint(1, 3)):
        instrument = rng.choice(["grant", "loan", "guarantee", "offtake"])
        row = {"pool_id": f"F{k}", "instrument": instrument,
               "capacity_musd": rng.choice([60, 150, 400]),
               "budget_cost_rate": {"grant": 1.0, "loan": 0.1, "guarantee": 0.03,
                                    "offtake": 0.25}[instrument],
               "gap_credit": 0.5 if instrument == "offtake" else 1.0,
               "max_share_of_capex": rng.choice([0.5, 0.8, 1.0])}
        if rng.random() < 0.3:
            row["min_ticket_musd"] = rng.choice([10, 30])
        if rng.random() < 0.25:
            row["eligible_countries"] = "US, JP"
        if rng.random() < 0.2:
            row["eligible_stages"] = "separation, magnet"
        pools.append(row)
    offtake = [
        {"project_id": pid, "sector": s, "material": m, "volume_tpa": rng.choice([20, 50, 90])}
        for pid in ids for (s, m) in MATERIALS if rng.random() < 0.6
    ]
    demand = [
        {"sector": s, "material": m, "year": y, "demand_t": rng.choice([0, 40, 100, 160]),
         "weight": rng.choice([1, 1, 2.5])}
        for (s, m) in MATERIALS for y in YEARS
    ]
    data: dict[str, list[dict[str, Any]]] = {
        "Settings": [{"setting": k, "value": v} for k, v in settings.items()],
        "Projects": projects, "Offtake": offtake, "Demand": demand, "Financing": pools,
    }
    if rng.random() < 0.4:
        spread = [p for p in projects if rng.random() < 0.5]
        data["CapexSchedule"] = [
            {"project_id": p["project_id"], "year": p["start_year"] + k, "share": 0.5}
            for p in spread for k in (0, 1)
        ]
        data["Budget"] = [{"year": y, "budget_musd": rng.choice([20, 40, 80])}
                          for y in (2026, 2027)]
    return data


def _cheapest(data: dict[str, Any], chosen: list[dict[str, Any]]) -> float | None:
    """Least budget cost that finances exactly `chosen` (None if impossible)."""
    st = {r["setting"]: r["value"] for r in data["Settings"]}
    prob = pulp.LpProblem("brute", pulp.LpMinimize)
    x: dict[tuple[str, str], Any] = {}
    z: dict[tuple[str, str], Any] = {}
    for p in chosen:
        for i in data["Financing"]:
            countries = [c.strip() for c in i.get("eligible_countries", "").split(",") if c]
            stages = [c.strip() for c in i.get("eligible_stages", "").split(",") if c]
            if (countries and p["country"] not in countries) or (stages and p["stage"]
                                                                  not in stages):
                continue
            key = (p["project_id"], i["pool_id"])
            x[key] = prob.add_variable(f"x{len(x)}", 0, i["max_share_of_capex"] * p["capex_musd"])
            z[key] = prob.add_variable(f"z{len(z)}", 0, 1, pulp.LpBinary)
            prob += x[key] <= 1e4 * z[key]
            prob += x[key] >= i.get("min_ticket_musd", 0) * z[key]
    pools = {i["pool_id"]: i for i in data["Financing"]}
    for p in chosen:
        gap = p["capex_musd"] - p["sponsor_equity_musd"]
        if gap > st.get("max_public_share", 1) * p["capex_musd"] + 1e-9:
            return None
        prob += pulp.lpSum(pools[k[1]]["gap_credit"] * v for k, v in x.items()
                           if k[0] == p["project_id"]) == gap
    for iid, i in pools.items():
        prob += pulp.lpSum(v for k, v in x.items() if k[1] == iid) <= i["capacity_musd"]
    cost = {k: pools[k[1]]["budget_cost_rate"] * v for k, v in x.items()}
    prob += pulp.lpSum(cost.values()) <= st["total_budget_musd"]
    shares: dict[str, dict[int, float]] = {}
    for r in data.get("CapexSchedule", []):
        shares.setdefault(r["project_id"], {})[r["year"]] = r["share"]
    for b in data.get("Budget", []):
        prob += pulp.lpSum(
            c * shares.get(k[0], {_start(data, k[0]): 1.0}).get(b["year"], 0)
            for k, c in cost.items()) <= b["budget_musd"]
    prob += pulp.lpSum(cost.values())
    prob.solve(pulp.HiGHS(msg=False))
    if prob.sol_status != pulp.LpSolutionOptimal:
        return None
    return float(pulp.value(prob.objective) or 0.0)


def _start(data: dict[str, Any], pid: str) -> int:
    return next(p["start_year"] for p in data["Projects"] if p["project_id"] == pid)


def _shortfall(data: dict[str, Any], chosen: list[dict[str, Any]]) -> float:
    total = 0.0
    for d in data["Demand"]:
        supply = sum(o["volume_tpa"] for o in data["Offtake"] for p in chosen
                     if o["project_id"] == p["project_id"] and o["sector"] == d["sector"]
                     and o["material"] == d["material"]
                     and d["year"] >= p["start_year"] + math.ceil(p["lead_time_months"] / 12))
        total += d["weight"] * max(0.0, d["demand_t"] - supply)
    return total


def _allowed(data: dict[str, Any], chosen: list[dict[str, Any]]) -> bool:
    st = {r["setting"]: r["value"] for r in data["Settings"]}
    ids = {p["project_id"] for p in chosen}
    for p in data["Projects"]:
        if p.get("lock") == "in" and p["project_id"] not in ids:
            return False
    for p in chosen:
        if p.get("lock") == "out" or p.get("requires", p["project_id"]) not in ids:
            return False
        if p["lead_time_months"] > st.get("max_lead_time_months", 10**9):
            return False
    return sum(1 for p in chosen if p.get("exclusive_group")) <= 1


def brute_force(data: dict[str, Any]) -> tuple[float, float] | None:
    """(weighted shortfall, budget cost) of the lexicographic optimum, or None if infeasible."""
    st = {r["setting"]: r["value"] for r in data["Settings"]}
    candidates = []
    for size in range(len(data["Projects"]) + 1):
        for chosen in itertools.combinations(data["Projects"], size):
            if _allowed(data, list(chosen)):
                candidates.append((_shortfall(data, list(chosen)), list(chosen)))
    if st["objective"] == "min_cost":
        candidates = [(0.0, c) for s, c in candidates if s <= 1e-9]
    candidates.sort(key=lambda t: t[0])
    for level, group in itertools.groupby(candidates, key=lambda t: round(t[0], 6)):
        costs = [c for _, chosen in group if (c := _cheapest(data, chosen)) is not None]
        if costs:
            return level, min(costs)
    return None


@pytest.mark.parametrize("seed", range(40))
def test_optimum_matches_brute_force(tmp_path: Path, seed: int) -> None:
    data = generate(seed)
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    solution = optimise(pipe, SolverOptions(gap=0))
    expected = brute_force(data)
    if expected is None:
        assert solution.status is Status.INFEASIBLE
        return
    assert solution.status is Status.OPTIMAL
    figures = Figures(pipe, solution)
    assert figures.weighted_shortfall == pytest.approx(expected[0], abs=1e-6)
    assert figures.total_cost == pytest.approx(expected[1], rel=1e-7, abs=1e-6)


def test_generator_covers_feasible_and_infeasible_cases() -> None:
    outcomes = [brute_force(generate(seed)) is None for seed in range(40)]
    assert any(outcomes) and not all(outcomes)


@pytest.mark.parametrize("seed", [0, 3, 7, 12, 23])
def test_cli_output_passes_independent_check(tmp_path: Path, seed: int) -> None:
    source = write_book(tmp_path / "in.xlsx", generate(seed))
    out = tmp_path / "out.xlsx"
    run = call("solve", source, "-o", out)
    assert run.code == 0, run.stderr
    assert check(source, out) == []


def test_cli_reports_infeasible_seed_with_exit_4(tmp_path: Path) -> None:
    assert brute_force(generate(1)) is None
    source = write_book(tmp_path / "in.xlsx", generate(1))
    out = tmp_path / "out.xlsx"
    run = call("solve", source, "-o", out)
    assert run.code == 4, run.stderr
    assert "Diagnosis" in read_output(out)
