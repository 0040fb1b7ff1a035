"""Property-based tests: hypothesis-built workbooks through the real command line.

Valid pipelines are solved in-process and checked against `tests.independent.checker` and a
brute-force optimum written here (every selection enumerated, its cheapest financing found by a
small MILP of its own). Broken pipelines must be refused with exit 3 at the broken cell.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.cli import main
from tests.helpers import read_output, summary, write_book
from tests.independent.checker import check, totals
from tests.independent.same_results import differences
from tests.independent.strategies import KINDS, Broken, Data, broken_pipelines, pipelines
from tests.independent.test_bruteforce_chains import first_objective

# Reproducible on a clean clone: a fixed seed per test, and no example database.
DETERMINISTIC: dict[str, Any] = {"derandomize": True, "database": None, "deadline": None,
                 "suppress_health_check": [HealthCheck.too_slow]}


def _get(row: dict[str, Any], key: str, default: Any) -> Any:
    value = row.get(key)
    return default if value is None else value


def _items(value: Any) -> list[str]:
    return [s.strip() for s in str(value or "").split(",") if s.strip()]


def _canonical(data: Data) -> Data:
    """Headers as the contract spells them (case and spaces ignored), blank rows dropped."""
    return {sheet: [{k.strip().lower(): v for k, v in row.items()} for row in rows if row]
            for sheet, rows in data.items()}


class Brute:
    """The contract's optimisation, solved by enumerating every selection of projects."""

    def __init__(self, data: Data) -> None:
        data = _canonical(data)
        st = {r["setting"]: r["value"] for r in data["Settings"]}
        self.plan = st["plan_start_year"]
        self.budget = st["total_budget_musd"]
        self.objective = str(_get(st, "objective", "max_coverage")).lower()
        self.max_lead = st.get("max_lead_time_months")
        self.max_public = _get(st, "max_public_share", 1)
        self.projects = data["Projects"]
        self.pools = data["Financing"]
        self.offtake = data["Offtake"]
        self.demand = data["Demand"]
        self.shares: dict[str, dict[int, float]] = {}
        for r in data.get("CapexSchedule", []):
            self.shares.setdefault(r["project_id"], {})[r["year"]] = r["share"]
        self.annual = {r["year"]: r["budget_musd"] for r in data.get("Budget", [])}
        self.costs: dict[frozenset[str], float | None] = {}
        self.data = data
        self.chains = any(data.get(n) for n in ("Inputs", "Supply", "Imports"))
        self.firsts: dict[frozenset[str], float] = {}

    def start(self, p: dict[str, Any]) -> int:
        return int(_get(p, "start_year", self.plan))

    def allowed(self, chosen: list[dict[str, Any]]) -> bool:
        ids = {p["project_id"] for p in chosen}
        if any(str(p.get("lock") or "").lower() == "in" and p["project_id"] not in ids
               for p in self.projects):
            return False
        for p in chosen:
            if str(p.get("lock") or "").lower() == "out":
                return False
            if any(q not in ids for q in _items(p.get("requires"))):
                return False
            if self.max_lead is not None and p["lead_time_months"] > self.max_lead:
                return False
        groups = [p["exclusive_group"] for p in chosen if p.get("exclusive_group")]
        return len(groups) == len(set(groups))

    def shortfall(self, chosen: list[dict[str, Any]]) -> float:
        """The first objective: weighted shortfall, plus weighted imports with chains.

        With chains it is the flow LP's optimum (`first_objective`); under min_cost the
        imports' weights are unused, so it is the least shortfall.
        """
        if self.chains:
            key = frozenset(p["project_id"] for p in chosen)
            if key not in self.firsts:
                self.firsts[key] = first_objective(self.data, set(key), self.plan,
                                                   self.objective != "min_cost")
            return self.firsts[key]
        total = 0.0
        for d in self.demand:
            supply = sum(
                o["volume_tpa"] for o in self.offtake for p in chosen
                if o["project_id"] == p["project_id"] and o["sector"] == d["sector"]
                and o["material"] == d["material"]
                and d["year"] >= self.start(p) + math.ceil(p["lead_time_months"] / 12))
            total += _get(d, "weight", 1) * max(0.0, d["demand_t"] - supply)
        return total

    def eligible(self, p: dict[str, Any], i: dict[str, Any]) -> bool:
        countries = [c.lower() for c in _items(i.get("eligible_countries"))]
        stages = [s.lower() for s in _items(i.get("eligible_stages"))]
        return ((not countries or p["country"].lower() in countries)
                and (not stages or p["stage"].lower() in stages))

    def cheapest(self, chosen: list[dict[str, Any]]) -> float | None:
        """Least budget cost that finances exactly `chosen` (None if impossible)."""
        gaps = {p["project_id"]: p["capex_musd"] - _get(p, "sponsor_equity_musd", 0)
                for p in chosen}
        if any(gaps[p["project_id"]] > self.max_public * p["capex_musd"] + 1e-9
               for p in chosen):
            return None
        if all(g <= 1e-9 for g in gaps.values()):
            return 0.0
        prob = pulp.LpProblem("brute", pulp.LpMinimize)
        x: dict[tuple[int, int], Any] = {}
        for (a, p), (b, i) in itertools.product(enumerate(chosen), enumerate(self.pools)):
            if not self.eligible(p, i):
                continue
            upper = _get(i, "max_share_of_capex", 1) * p["capex_musd"]
            x[a, b] = prob.add_variable(f"x_{a}_{b}", 0, upper)
            used = prob.add_variable(f"z_{a}_{b}", 0, 1, pulp.LpBinary)
            prob += x[a, b] <= upper * used
            prob += x[a, b] >= _get(i, "min_ticket_musd", 0) * used
        for a, p in enumerate(chosen):
            credited = [_get(self.pools[b], "gap_credit", 1) * v for (c, b), v in x.items()
                        if c == a]
            if not credited:
                if gaps[p["project_id"]] > 1e-9:
                    return None
                continue
            prob += pulp.lpSum(credited) == gaps[p["project_id"]]
        for b, i in enumerate(self.pools):
            prob += pulp.lpSum(v for (_, c), v in x.items() if c == b) <= i["capacity_musd"]
        cost = {k: self.pools[k[1]]["budget_cost_rate"] * v for k, v in x.items()}
        prob += pulp.lpSum(cost.values()) <= self.budget
        for year, limit in self.annual.items():
            prob += pulp.lpSum(
                c * self.shares.get(chosen[a]["project_id"],
                                    {self.start(chosen[a]): 1.0}).get(year, 0)
                for (a, _), c in cost.items()) <= limit
        prob += pulp.lpSum(cost.values())
        prob.solve(pulp.HiGHS(msg=False, threads=1))  # as the product solves
        if prob.sol_status != pulp.LpSolutionOptimal:
            return None
        return float(pulp.value(prob.objective) or 0.0)

    def cost(self, chosen: list[dict[str, Any]]) -> float | None:
        key = frozenset(p["project_id"] for p in chosen)
        if key not in self.costs:
            self.costs[key] = self.cheapest(chosen)
        return self.costs[key]

    def optimum(self, without: str | None = None) -> tuple[float, float] | None:
        """(weighted shortfall, budget cost) of the lexicographic optimum; None if infeasible.

        `without` locks one more project out, as the ranking's re-optimisation does.
        """
        candidates = [
            (self.shortfall(list(chosen)), list(chosen))
            for size in range(len(self.projects) + 1)
            for chosen in itertools.combinations(self.projects, size)
            if self.allowed(list(chosen)) and all(p["project_id"] != without for p in chosen)
        ]
        if self.objective == "min_cost":
            candidates = [(s, c) for s, c in candidates if s <= 1e-6]  # LP noise with chains
        candidates.sort(key=lambda t: t[0])
        for level, group in itertools.groupby(candidates, key=lambda t: round(t[0], 6)):
            costs = [c for _, chosen in group if (c := self.cost(chosen)) is not None]
            if costs:
                return level, min(costs)
        return None


Ranked = tuple[str, float | None, float | None]  # project_id, regrets (None = critical)


def _before(a: Ranked, b: Ranked, tol: float = 1e-6) -> bool:
    """Whether `a` may rank before `b`: critical first, larger regrets, then project_id.

    Regrets within `tol` of each other may come in either order (solver noise).
    """
    keys: list[tuple[float, float]] = [(a[1] is not None, b[1] is not None)]
    if a[1] is not None and b[1] is not None:
        keys += [(-a[1], -b[1]), (-(a[2] or 0.0), -(b[2] or 0.0))]
    for x, y in keys:
        if x < y - tol:
            return True
        if x > y + tol:
            return False
        if x != y:
            return True
    return a[0] < b[0]


def _check_ranking(brute: Brute, base: tuple[float, float], out: Path) -> None:
    """Each selected project's regret against the brute-force re-optimisation, and the order."""
    selection = read_output(out)["Selection"]
    assert list(selection["rank"]) == list(range(1, len(selection) + 1))
    ranked: list[Ranked] = []
    for row in selection.itertuples():
        pid = str(row.project_id)
        without = brute.optimum(without=pid)
        if without is None:
            assert (row.regret_shortfall, row.regret_cost_musd) == ("critical", "critical"), pid
            ranked.append((pid, None, None))
            continue
        shortfall, cost = float(str(row.regret_shortfall)), float(str(row.regret_cost_musd))
        assert shortfall == pytest.approx(without[0] - base[0], rel=1e-6, abs=1e-6), pid
        assert cost == pytest.approx(without[1] - base[1], rel=1e-6, abs=1e-6), pid
        ranked.append((pid, shortfall, cost))
    for a, b in itertools.pairwise(ranked):
        assert _before(a, b), f"{a} ranked before {b}"


def _write(path: Path, data: Data) -> Path:
    """write_book for a pipeline (its sheets are all lists of dicts)."""
    sheets: dict[str, Any] = dict(data)
    return write_book(path, sheets)


# The selection, its ranking and its diagnosis are what these tests check against the brute
# force; the frontier, scenarios and sensitivity have tests of their own (tests/analysis).
SELECTION_ONLY = ("--no-frontier", "--no-scenarios", "--no-sensitivity")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0), capsys.readouterr().err


def test_solve_matches_checker_and_brute_force(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes: Counter[int] = Counter()

    @settings(max_examples=150, **DETERMINISTIC)
    @given(pipelines())
    def solve(data: Data) -> None:
        brute = Brute(data)
        expected = brute.optimum()
        with tempfile.TemporaryDirectory() as folder:
            path = _write(Path(folder) / "in.xlsx", data)
            out = Path(folder) / "out.xlsx"
            code, err = _run(capsys, "solve", str(path), "-o", str(out), *SELECTION_ONLY)
            outcomes[code] += 1
            assert code in (0, 4, 5), err
            assert "Traceback" not in err
            if code == 0:
                assert expected is not None, "solved, but brute force finds nothing feasible"
                assert check(path, out) == []
                assert summary(read_output(out))["status"] == "optimal"  # mip_gap 0
                shortfall, cost = totals(out)
                assert shortfall == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
                assert cost == pytest.approx(expected[1], rel=1e-6, abs=1e-6)
                _check_ranking(brute, expected, out)
            else:
                if code == 4:
                    assert expected is None, f"exit 4, but brute force finds {expected}"
                book = openpyxl.load_workbook(out, read_only=True)
                assert "Diagnosis" in book.sheetnames
                book.close()

    solve()
    assert outcomes[0] and outcomes[4], outcomes  # the strategy reaches both outcomes


@pytest.mark.parametrize("kind", KINDS)
def test_broken_cell_is_refused_at_its_reference(
        kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    sheets: Counter[str] = Counter()

    @settings(max_examples=25, **DETERMINISTIC)
    @given(broken_pipelines(kind))
    def refuse(broken: Broken) -> None:
        sheets[broken.sheet] += 1
        with tempfile.TemporaryDirectory() as folder:
            path = _write(Path(folder) / "in.xlsx", broken.data)
            code, err = _run(capsys, "validate", str(path))
        assert code == 3, err
        assert "Traceback" not in err
        located = [line for line in err.splitlines()
                   if any(line.startswith(f"{ref}: ") for ref in broken.refs)]
        assert located, f"no problem reported at {sorted(broken.refs)}:\n{err}"

    refuse()
    assert len(sheets) > 1, sheets  # the mistake was made on more than one sheet


def test_chain_solve_matches_checker_and_brute_force(capsys: pytest.CaptureFixture[str]) -> None:
    """Chain pipelines: the checker finds nothing wrong, and the first objective (weighted
    shortfall + weighted imports), the cost and the regrets are the brute force's."""
    outcomes: Counter[int] = Counter()
    imported: list[float] = []

    @settings(max_examples=15, **DETERMINISTIC)
    @given(pipelines(max_projects=5, chains=True))
    def solve(data: Data) -> None:
        brute = Brute(data)
        assert brute.chains
        expected = brute.optimum()
        with tempfile.TemporaryDirectory() as folder:
            path = _write(Path(folder) / "in.xlsx", data)
            out = Path(folder) / "out.xlsx"
            code, err = _run(capsys, "solve", str(path), "-o", str(out))
            outcomes[code] += 1
            assert code in (0, 4), err
            if code == 4:
                assert expected is None, f"exit 4, but brute force finds {expected}"
                return
            assert expected is not None, "solved, but brute force finds nothing feasible"
            assert check(path, out) == []
            sheets = read_output(out)
            figures = summary(sheets)
            assert figures["status"] == "optimal"
            first = float(figures["weighted_shortfall"])
            if brute.objective != "min_cost":
                first += float(figures["weighted_imports"])
            imported.append(float(sheets["Flows"]["imports_t"].sum()))
            assert first == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
            assert float(figures["total_budget_cost_musd"]) == pytest.approx(
                expected[1], rel=1e-6, abs=1e-6)
            if brute.objective != "min_cost":
                _check_ranking(brute, expected, out)

    solve()
    assert outcomes[0], outcomes
    assert any(t > 0 for t in imported), imported  # imports were worth their weight somewhere


EMPTY_CHAINS = {"Inputs": ["project_id", "sector", "material", "input_tpa"],
                "Supply": ["sector", "material", "year", "supply_t"],
                "Imports": ["sector", "material", "year", "max_t", "weight"]}


def test_empty_chain_sheets_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """A workbook whose Inputs, Supply and Imports sheets are empty (or headers only)
    solves exactly as the same workbook without them: v1's results, cell for cell."""

    @settings(max_examples=8, **DETERMINISTIC)
    @given(pipelines(max_projects=4, spell=False), st.booleans())
    def same(data: Data, headers: bool) -> None:
        with tempfile.TemporaryDirectory() as folder:
            base, empty = Path(folder) / "a", Path(folder) / "b"
            base.mkdir()
            empty.mkdir()
            sheets: dict[str, Any] = {n: [h] if headers else [] for n, h in EMPTY_CHAINS.items()}
            _write(base / "in.xlsx", data)
            write_book(empty / "in.xlsx", {**data, **sheets})
            codes = [_run(capsys, "solve", str(d / "in.xlsx"), "-o", str(d / "out.xlsx"))[0]
                     for d in (base, empty)]
            assert codes[0] == codes[1]
            found = differences(base / "out.xlsx", empty / "out.xlsx")
            book = openpyxl.load_workbook(base / "out.xlsx", read_only=True)
            metrics = {f"B{n}": row[0] for n, row in
                       enumerate(book["Summary"].iter_rows(values_only=True), start=1)}
            book.close()
            # The inputs' digests differ (the files do); nothing else may.
            assert [f for f in found if metrics.get(f[1]) != "input_sha256"] == [], found
            assert "Flows" not in read_output(empty / "out.xlsx")

    same()
