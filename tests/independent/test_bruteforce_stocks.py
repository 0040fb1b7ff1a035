"""Small random pipelines with stockpiles and two governments, checked against brute force.

Separation plants make NdPr oxide, a metal plant now and then turns oxide into metal; one or
two stockpiles (US or JP) hold oxide or metal; US and JP pools (and now and then one of no
country) finance the projects; country budgets (in total or for one year), a cost share and
annual Budget rows appear in some pipelines. Every selection is enumerated; for each, an LP
written here from the contract ("The optimisation", "v2: chains", "v2: stockpiles", "v2:
governments") and sharing no code with the product takes financing x, purchases b, releases
r, utilisation and deliveries together, under the pool, total, annual and country budgets and
the cost shares. The lexicographic optimum is the least first objective (weighted shortfall)
over all selections, then the least budget cost (financing + stock) with the first objective
no larger than that least one (the contract's "no larger than stage 1's", up to 1e-9
relative for the solver's arithmetic: stock is continuous, so a looser hold would buy a
little less stock for a little less cost). There are no min tickets, so each selection is an
LP. With `min_cost`, every Demand row is delivered in full (hard) and the cost is minimised.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulp
import pytest

from portfolio.analysis.figures import Figures
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import call, read_output, summary, tampered_copy, write_book
from tests.independent.checker import check

Rows = list[dict[str, Any]]
Data = dict[str, Rows]
Key = tuple[str, str]

OXIDE = ("magnets", "NdPr oxide")
METAL = ("magnets", "NdPr metal")
PLAN = 2026
SEEDS = range(30)
EXACT = 1e-9  # stage 2's hold on the first objective, relative to max(1, value)


def _row(key: Key, **values: Any) -> dict[str, Any]:
    return {"sector": key[0], "material": key[1], **values}


def generate(seed: int) -> Data:
    """A random pipeline of 3-5 projects over 3-4 plan years, with 1-2 stockpiles."""
    rng = random.Random(seed)
    years = list(range(PLAN, PLAN + rng.choice([3, 4])))
    objective = "min_cost" if seed % 5 == 4 else "max_coverage"
    n = rng.randint(3, 5)
    metal = rng.random() < 0.5  # a metal plant among them
    projects: Rows = []
    offtake: Rows = []
    inputs: Rows = []
    schedule: Rows = []
    for k in range(n):
        pid = f"P{k}"
        converter = metal and k == n - 1
        start = rng.choice([PLAN, PLAN, PLAN + 1])
        projects.append({"project_id": pid, "country": rng.choice(["US", "JP", "AU"]),
                         "stage": "metal_alloy" if converter else
                         rng.choice(["separation", "recycling"]),
                         "capex_musd": rng.choice([20, 40, 60, 80]),
                         "lead_time_months": rng.choice([0, 12, 24, 36]),
                         "start_year": start})
        if converter:
            offtake.append(_row(METAL, project_id=pid, volume_tpa=rng.choice([50, 80])))
            inputs.append(_row(OXIDE, project_id=pid, input_tpa=rng.choice([60, 100])))
        else:
            offtake.append(_row(OXIDE, project_id=pid, volume_tpa=rng.choice([40, 80, 120])))
        if rng.random() < 0.25:
            share = rng.choice([0.3, 0.5])
            schedule += [{"project_id": pid, "year": start, "share": share},
                         {"project_id": pid, "year": start + 1, "share": 1 - share}]
    demand: Rows = []
    for key in (OXIDE, *([METAL] if metal else [])):
        for year in years:
            if rng.random() < 0.75:
                demand.append(_row(key, year=year, demand_t=rng.choice([40, 80, 150]),
                                   weight=rng.choice([1, 1, 2, 0.5])))
    if not demand:
        demand.append(_row(OXIDE, year=years[-1], demand_t=100, weight=1))
    stockpiles: Rows = []
    end = max(d["year"] for d in demand)  # the plan's last year
    for k in range(rng.choice([1, 1, 2])):
        initial = rng.choice([0, 0, 20])
        stock = _row(METAL if metal and k == 1 else OXIDE, stockpile_id=f"K{k}",
                     country=rng.choice(["US", "JP"]),
                     price_usd_per_kg=rng.choice([50, 100, 200, 400]), initial_t=initial,
                     max_stock_t=initial + rng.choice([0, 50, 100, 300]),
                     buy_until_year=rng.choice([None, min(PLAN + 1, end), end]),
                     max_release_tpa=rng.choice([None, None, 30, 60]),
                     holding_cost_pct=rng.choice([0, 5, 10, 20]))
        stockpiles.append(stock)
    total = sum(p["capex_musd"] for p in projects)
    pools: Rows = [
        {"pool_id": "US-loan", "instrument": "loan", "country": "US",
         "capacity_musd": rng.choice([0.5, 1.0, 2.0]) * total,
         "budget_cost_rate": rng.choice([0.2, 0.4]),
         "max_share_of_capex": rng.choice([None, 0.6, 0.8])},
        {"pool_id": "JP-loan", "instrument": "loan", "country": "JP",
         "capacity_musd": rng.choice([0.5, 1.0, 2.0]) * total,
         "budget_cost_rate": rng.choice([0.5, 0.8]),
         "eligible_countries": rng.choice([None, None, "JP, AU"])},
    ]
    if rng.random() < 0.4:
        pools.append({"pool_id": "grant", "instrument": "grant", "capacity_musd": total,
                      "budget_cost_rate": 1, "max_share_of_capex": 0.5})
    settings = {"plan_start_year": PLAN, "objective": objective, "mip_gap": 0,
                "total_budget_musd": rng.choice([0.15, 0.25, 0.4, 1.0]) * total}
    if objective == "min_cost":  # room to cover every row, so that not all of them fail
        settings["total_budget_musd"] = total
    country_budgets: Rows = []
    for country in ("US", "JP"):
        r = rng.random()
        if r < 0.3:
            country_budgets.append({"country": country, "year": None,
                                    "budget_musd": rng.choice([0.05, 0.1, 0.2]) * total})
        elif r < 0.5:
            country_budgets.append({"country": country, "year": rng.choice(years[:2]),
                                    "budget_musd": rng.choice([0.05, 0.1]) * total})
    cost_share: Rows = []
    r = rng.random()
    if r < 0.25:
        cost_share.append({"country": "JP", "min_share": rng.choice([0.2, 0.4])})
    elif r < 0.45:
        cost_share.append({"country": "US", "min_share": rng.choice([0, 0.3]),
                           "max_share": rng.choice([0.6, 0.8])})
    budget: Rows = []
    if rng.random() < 0.3:
        budget.append({"year": PLAN, "budget_musd": rng.choice([0.1, 0.2]) * total})
    data: Data = {
        "Settings": [{"setting": k, "value": v} for k, v in settings.items()],
        "Projects": projects, "Offtake": offtake, "Demand": demand, "Financing": pools,
        "Stockpiles": stockpiles,
    }
    for name, rows in (("Inputs", inputs), ("CapexSchedule", schedule), ("Budget", budget),
                       ("CountryBudgets", country_budgets), ("CostShare", cost_share)):
        if rows:
            data[name] = rows
    return data


def _key(row: dict[str, Any]) -> Key:
    return (" ".join(row["sector"].split()).lower(), " ".join(row["material"].split()).lower())


def _get(row: dict[str, Any], column: str, default: Any) -> Any:
    return default if row.get(column) is None else row[column]


def _setting(data: Data, name: str, default: Any = None) -> Any:
    return next((r["value"] for r in data["Settings"] if r["setting"] == name), default)


class Selection:
    """The LP of one selection: every continuous decision of the contract, its rows and its
    two objectives (first objective, budget cost) as expressions."""

    def __init__(self, data: Data, chosen: Iterable[str]) -> None:
        chosen = set(chosen)
        self.prob = prob = pulp.LpProblem("stocks", pulp.LpMinimize)
        projects = {p["project_id"]: p for p in data["Projects"]}
        years = range(PLAN, max([PLAN, *(d["year"] for d in data["Demand"])]) + 1)
        full = _setting(data, "objective") == "min_cost"

        def start(pid: str) -> int:
            return int(_get(projects[pid], "start_year", PLAN))

        # Financing: x_pi for eligible pairs, the gap closed exactly, pool caps.
        financing: dict[int, Any] = defaultdict(float)  # budget cost disbursed per year
        by_country: dict[tuple[str, int | None], Any] = defaultdict(float)
        spread: dict[str, dict[int, float]] = defaultdict(dict)
        for r in data.get("CapexSchedule", []):
            spread[r["project_id"]][r["year"]] = r["share"]
        used: dict[str, Any] = defaultdict(float)
        for pid in sorted(chosen):
            p = projects[pid]
            credited = []
            for i in data["Financing"]:
                countries = [c.strip().lower() for c in
                             str(_get(i, "eligible_countries", "")).split(",") if c.strip()]
                if countries and p["country"].lower() not in countries:
                    continue
                cap = _get(i, "max_share_of_capex", 1) * p["capex_musd"]
                x = prob.add_variable(f"x_{pid}_{i['pool_id']}", 0, cap)
                credited.append(_get(i, "gap_credit", 1) * x)
                used[i["pool_id"]] += x
                cost = i["budget_cost_rate"] * x
                for year, share in (spread.get(pid) or {start(pid): 1.0}).items():
                    financing[year] += share * cost
                    if i.get("country"):
                        country = i["country"].lower()
                        by_country[country, year] += share * cost
                        by_country[country, None] += share * cost
            gap = p["capex_musd"] - _get(p, "sponsor_equity_musd", 0)
            prob += pulp.lpSum(credited) == gap
        for i in data["Financing"]:
            if i["pool_id"] in used:
                prob += used[i["pool_id"]] <= i["capacity_musd"]

        # Stockpiles: b_kY up to buy_until_year, r_kY up to max_release_tpa,
        # H_kY = initial + bought to date <= max_stock, S_kY = H_kY - released to date >= 0.
        stock_cost: dict[int, Any] = defaultdict(float)
        released: dict[tuple[Key, int], Any] = defaultdict(float)
        for k in data.get("Stockpiles", []):
            kid, per_t = k["stockpile_id"], k["price_usd_per_kg"] / 1000
            last = _get(k, "buy_until_year", PLAN)
            held: Any = _get(k, "initial_t", 0)
            out: Any = 0
            for year in years:
                b: Any = 0
                if year <= last:
                    b = prob.add_variable(f"b_{kid}_{year}", 0)
                    held = held + b
                    prob += held <= k["max_stock_t"]
                r = prob.add_variable(f"r_{kid}_{year}", 0, k.get("max_release_tpa"))
                out = out + r
                prob += out <= held
                released[_key(k), year] += r
                cost = per_t * b + _get(k, "holding_cost_pct", 0) / 100 * per_t * held
                stock_cost[year] += cost
                by_country[k["country"].lower(), year] += cost
                by_country[k["country"].lower(), None] += cost

        # Budgets: total, annual Budget rows, country rows, cost shares.
        yearly = {y: financing.get(y, 0) + stock_cost.get(y, 0)
                  for y in set(financing) | set(stock_cost)}
        self.cost = pulp.lpSum(list(yearly.values()))
        prob += self.cost <= _setting(data, "total_budget_musd")
        for r in data.get("Budget", []):
            prob += pulp.lpSum([yearly.get(r["year"], 0)]) <= r["budget_musd"]
        for r in data.get("CountryBudgets", []):
            prob += pulp.lpSum([by_country.get((r["country"].lower(), r.get("year")), 0)]) \
                <= r["budget_musd"]
        for r in data.get("CostShare", []):
            paid = pulp.lpSum([by_country.get((r["country"].lower(), None), 0)])
            prob += paid >= _get(r, "min_share", 0) * self.cost
            prob += paid <= _get(r, "max_share", 1) * self.cost

        # Flows: utilisation, one balance per commodity and year, deliveries from allied t.
        converters = {r["project_id"] for r in data.get("Inputs", [])}
        level: dict[tuple[str, int], Any] = {}
        for pid in sorted(chosen):
            online = start(pid) + math.ceil(projects[pid]["lead_time_months"] / 12)
            for year in years:
                if year >= online:
                    level[pid, year] = (prob.add_variable(f"u_{pid}_{year}", 0, 1)
                                        if pid in converters else 1)
        made: dict[tuple[Key, int], Any] = defaultdict(float)
        consumed: dict[tuple[Key, int], Any] = defaultdict(float)
        for rows, side, column in ((data["Offtake"], made, "volume_tpa"),
                                   (data.get("Inputs", []), consumed, "input_tpa")):
            for r in rows:
                for year in years:
                    if (r["project_id"], year) in level:
                        side[_key(r), year] += r[column] * level[r["project_id"], year]
        delivered: dict[tuple[Key, int], Any] = defaultdict(float)
        shortfall = []
        for n, d in enumerate(data["Demand"]):
            x = prob.add_variable(f"d_{n}", d["demand_t"] if full else 0, d["demand_t"])
            delivered[_key(d), d["year"]] += x
            shortfall.append(_get(d, "weight", 1) * (d["demand_t"] - x))
        for flow in set(made) | set(consumed) | set(released) | set(delivered):
            allied = pulp.lpSum([made[flow], released[flow]])
            take = pulp.lpSum([delivered[flow]])
            prob += take + consumed[flow] <= allied
            prob += take <= allied
        self.first = pulp.lpSum(shortfall)

    def minimise(self, goal: Any) -> float | None:
        """The least value of `goal` (None: the selection has no feasible point)."""
        self.prob.setObjective(goal)
        # One thread, as the product's solves use (see test_bruteforce_chains).
        self.prob.solve(pulp.HiGHS(msg=False, threads=1))
        if self.prob.sol_status != pulp.LpSolutionOptimal:
            return None
        return float(pulp.value(goal) or 0.0)


def brute_force(data: Data) -> tuple[float, float] | None:
    """(first objective, budget cost) of the lexicographic optimum; None: nothing feasible."""
    ids = [p["project_id"] for p in data["Projects"]]
    firsts: dict[tuple[str, ...], float] = {}
    for size in range(len(ids) + 1):
        for chosen in itertools.combinations(ids, size):
            found = Selection(data, chosen)
            value = found.minimise(found.first)
            if value is not None:
                firsts[chosen] = value
    if not firsts:
        return None
    best = min(firsts.values())
    limit = best + EXACT * max(1.0, abs(best))
    costs = []
    for chosen, value in firsts.items():
        if value <= limit:
            found = Selection(data, chosen)
            found.prob += found.first <= limit
            cost = found.minimise(found.cost)
            assert cost is not None  # its stage-1 point is feasible
            costs.append(cost)
    return best, min(costs)


def product(tmp_path: Path, data: Data) -> Figures | None:
    """The product's optimum at gap 0 (None: infeasible)."""
    case = load(write_book(tmp_path / "in.xlsx", data))
    solution = optimise(case, SolverOptions(gap=0))
    if solution.status is Status.INFEASIBLE:
        return None
    assert solution.status is Status.OPTIMAL
    return Figures(case, solution)


def without(data: Data, *names: str) -> Data:
    return {k: v for k, v in data.items() if k not in names}


def test_generator_makes_stocks_and_governments_that_bind(tmp_path: Path) -> None:
    """The seeds buy stock at the optimum, and their country budgets and cost shares change
    the optimum in some of them (the brute force without those rows finds another)."""
    datas = [generate(seed) for seed in SEEDS]
    assert all(3 <= len(d["Projects"]) <= 5 for d in datas)
    assert any(len(d["Stockpiles"]) == 2 for d in datas)
    assert any("Inputs" in d for d in datas)
    assert sum("CountryBudgets" in d for d in datas) >= 4
    assert sum("CostShare" in d for d in datas) >= 3
    assert any(d["Settings"][1]["value"] == "min_cost" for d in datas)
    buying, binding = 0, 0
    for n, d in enumerate(datas[:8]):
        folder = tmp_path / str(n)
        folder.mkdir()
        found = product(folder, d)
        buying += found is not None and any(t > 1e-6 for t in found.solution.bought.values())
        if "CountryBudgets" in d or "CostShare" in d:
            binding += brute_force(d) != brute_force(without(d, "CountryBudgets", "CostShare"))
    assert buying >= 3, buying
    assert binding >= 2, binding


def same_cost(got: float, want: float) -> bool:
    """Within 1e-6 relative, with float rounding on top (the tie-breaking solves hold the cost
    at the optimum plus exactly 1e-6 relative)."""
    return abs(got - want) <= 1e-6 * max(1.0, want) * (1 + 1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_optimum_matches_brute_force(tmp_path: Path, seed: int) -> None:
    data = generate(seed)
    expected = brute_force(data)
    found = product(tmp_path, data)
    if expected is None:
        assert found is None, "the product solves what the brute force finds infeasible"
        return
    assert found is not None, f"infeasible, but brute force finds {expected}"
    assert found.first_objective == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
    assert same_cost(found.total_cost, expected[1]), (found.total_cost, expected)


FAST = ("--no-frontier", "--no-sensitivity", "--rank", "none")


@pytest.mark.parametrize("seed", SEEDS[::3])
def test_checker_accepts_solved_stock_pipelines(tmp_path: Path, seed: int) -> None:
    """The CLI's results of a third of the seeds pass the independent checker, and their
    Summary's figures are the brute force's."""
    data = generate(seed)
    source, out = write_book(tmp_path / "in.xlsx", data), tmp_path / "out.xlsx"
    run = call("solve", source, "-o", out, *FAST)
    expected = brute_force(data)
    assert run.code == (4 if expected is None else 0), run.stderr
    if expected is None:
        return
    assert check(source, out) == []
    figures = summary(read_output(out))
    assert float(figures["weighted_shortfall"]) == pytest.approx(expected[0], rel=1e-6,
                                                                  abs=1e-6)
    assert same_cost(float(figures["total_budget_cost_musd"]), expected[1])


OX = {"sector": "magnets", "material": "NdPr oxide"}


def governed() -> Data:
    """A hand-made pipeline for the tampering below: US project A (capex 100, online 2029,
    half disbursed in 2027) and JP project B (50, online 2028) on a US pool (0.2) and a JP
    pool (0.6); oxide wanted 2027-2029; US-K (100 USD/kg, 10% holding, buys until 2027,
    releases up to 80 t a year, holds up to 200 t) and JP-K (150 USD/kg, 20 t to start, 5%);
    country budgets US 30 in total and JP 25 in 2026; JP pays at least 30%."""
    def setting(name: str, value: Any) -> dict[str, Any]:
        return {"setting": name, "value": value}

    return {
        "Settings": [setting("plan_start_year", PLAN), setting("total_budget_musd", 200),
                     setting("mip_gap", 0)],
        "Projects": [{"project_id": "A", "country": "US", "stage": "separation",
                      "capex_musd": 100, "lead_time_months": 36},
                     {"project_id": "B", "country": "JP", "stage": "separation",
                      "capex_musd": 50, "lead_time_months": 24}],
        "Offtake": [{"project_id": "A", **OX, "volume_tpa": 100},
                    {"project_id": "B", **OX, "volume_tpa": 50}],
        "Demand": [{**OX, "year": y, "demand_t": 100} for y in (2027, 2028, 2029)],
        "Financing": [{"pool_id": "US-loan", "instrument": "loan", "country": "US",
                       "capacity_musd": 500, "budget_cost_rate": 0.2},
                      {"pool_id": "JP-loan", "instrument": "loan", "country": "JP",
                       "capacity_musd": 500, "budget_cost_rate": 0.6}],
        "CapexSchedule": [{"project_id": "A", "year": 2026, "share": 0.5},
                          {"project_id": "A", "year": 2027, "share": 0.5}],
        "Stockpiles": [{"stockpile_id": "US-K", "country": "US", **OX, "price_usd_per_kg": 100,
                        "max_stock_t": 200, "buy_until_year": 2027, "max_release_tpa": 80,
                        "holding_cost_pct": 10},
                       {"stockpile_id": "JP-K", "country": "JP", **OX, "price_usd_per_kg": 150,
                        "initial_t": 20, "max_stock_t": 100, "holding_cost_pct": 5}],
        "CountryBudgets": [{"country": "US", "budget_musd": 30},
                           {"country": "JP", "year": 2026, "budget_musd": 25}],
        "CostShare": [{"country": "JP", "min_share": 0.3}],
    }


@pytest.fixture(scope="module")
def solved_stocks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`governed()` solved by the CLI."""
    folder = tmp_path_factory.mktemp("stocks")
    source, out = write_book(folder / "in.xlsx", governed()), folder / "out.xlsx"
    assert call("solve", source, "-o", out, *FAST).code == 0
    return source, out


def us_k(year: int) -> dict[str, Any]:
    return {"stockpile_id": "US-K", "year": year}


def jp_k(year: int) -> dict[str, Any]:
    return {"stockpile_id": "JP-K", "year": year}


Tamper = tuple[tuple[str, dict[str, Any], str, Any], str]
TAMPERED: dict[str, Tamper] = {  # ((sheet, row, column, value), what the checker must say)
    "bought after buy_until_year": (("Stockpiles", jp_k(2027), "bought_t", 5),
                                    "JP-K 2027: bought 5.0 t after buy_until_year 2026"),
    "over max_stock_t": (("Stockpiles", us_k(2027), "bought_t", 250), "over max_stock_t 200"),
    "a release over max_release_tpa": (("Stockpiles", us_k(2028), "released_t", 90),
                                       "US-K 2028: released 90.0 t outside [0, 80"),
    "stock_t misstated": (("Stockpiles", us_k(2028), "stock_t", 40), "US-K 2028: stock_t 40"),
    "more released than held": (("Stockpiles", us_k(2026), "released_t", 1),
                                "US-K 2026: 1.0 t released to date, more than the"),
    "a stock cost misstated": (("Stockpiles", us_k(2028), "budget_cost_musd", 0),
                               "US-K 2028: budget_cost_musd 0"),
    "a Stockpiles row dropped": (("Stockpiles", jp_k(2029), "", None),
                                 "JP-K 2029: no Stockpiles row"),
    "Flows releases not the stockpiles'": (("Flows", {"year": 2028}, "released_t", 60),
                                           "released_t 60"),
    "stockpile cost misstated": (("Summary", {"metric": "stockpile_cost_musd"}, "value", 20),
                                 "Summary stockpile_cost_musd 20"),
    "a Budget year without its stock cost": (
        ("Budget", {"year": 2028}, "budget_cost_musd", 0), "Budget 2028: budget_cost_musd 0"),
    "a country's year cost misstated": (
        ("Countries", {"country": "US", "year": 2026}, "budget_cost_musd", 9),
        "Countries US 2026: budget_cost_musd 9"),
    "a country limit misstated": (
        ("Countries", {"country": "US", "year": "total"}, "limit_musd", 40),
        "Countries US total: limit_musd 40"),
    "a country share misstated": (
        ("Countries", {"country": "JP", "year": "total"}, "share_pct", 35),
        "Countries JP total: share_pct 35"),
    "a Countries row dropped": (("Countries", {"country": "JP", "year": 2027}, "", None),
                                "Countries: no row for jp 2027"),
    "a JP pool over JP's 2026 budget": (
        ("Financing", {"project_id": "B"}, "pool_id", "JP-loan"), "country budget JP 2026"),
    "more US stock than the cost share allows": (
        ("Stockpiles", us_k(2027), "bought_t", 140), "cost share: JP pays"),
}


def test_checker_accepts_the_solved_stocks(solved_stocks: tuple[Path, Path]) -> None:
    # What the tampering below edits: B alone on the US pool (A is online only in 2029,
    # stock is cheaper), US-K buying in 2027 and releasing in 2027-2029, JP-K buying in 2026,
    # JP at its 30% floor.
    assert check(*solved_stocks) == []
    sheets = read_output(solved_stocks[1])
    assert list(sheets["Financing"]["project_id"]) == ["B"]
    stock = sheets["Stockpiles"].set_index(["stockpile_id", "year"])
    assert stock.loc[("US-K", 2027), "bought_t"] > 100 and stock.loc[("JP-K", 2026),
                                                                     "bought_t"] > 50
    assert all(stock.loc[("US-K", y), "released_t"] > 0 for y in (2027, 2028, 2029))
    countries = sheets["Countries"].set_index(["country", "year"])
    assert countries.loc[("JP", "total"), "share_pct"] == pytest.approx(30)


@pytest.mark.parametrize("name", TAMPERED)
def test_checker_rejects_tampered_stock_results(solved_stocks: tuple[Path, Path],
                                                tmp_path: Path, name: str) -> None:
    (sheet, where, column, value), said = TAMPERED[name]
    source, out = solved_stocks
    tampered = tampered_copy(out, tmp_path / "tampered.xlsx", sheet, where, column, value)
    found = check(source, tampered)
    assert any(said in line for line in found), found
