"""Petersen's (1967) capital-budgeting problems (OR-Library mknap1) through the real CLI.

Mapping (shared/domain.md): item j is a project disbursing w_ij in budget year i (its
CapexSchedule shares are w_ij / sum_i w_ij), financed by one grant pool at face value;
year i has Budget cap c_i; profit p_j is offtake volume against one demand row larger than
the sum of profits. Maximum coverage is then the published optimum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import call, read_output, summary, write_book
from tests.independent.checker import check

PLAN = 2030
# A copy of shared/bench/mknap1.json (OR-Library mknap1, with its sources inside), kept in
# the repository so the suite runs from any clone.
PROBLEMS = json.loads((Path(__file__).parent / "data" / "mknap1.json").read_text())


def as_workbook(problem: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The workbook-contract form of one multi-dimensional knapsack problem."""
    n, m = problem["n"], problem["m"]
    weights, profits = problem["weights"], problem["profits"]
    demand = sum(profits) + 1
    projects, schedule = [], []
    for j in range(n):
        total = sum(weights[i][j] for i in range(m))
        pid = f"J{j + 1:02d}"
        row: dict[str, Any] = {"project_id": pid, "country": "US", "stage": "separation",
                               "lead_time_months": 0}
        if total == 0:
            row |= {"capex_musd": 1, "sponsor_equity_musd": 1}
        else:
            row["capex_musd"] = total
            schedule += [{"project_id": pid, "year": PLAN + i, "share": weights[i][j] / total}
                         for i in range(m) if weights[i][j]]
        projects.append(row)
    return {
        "Settings": [{"setting": "plan_start_year", "value": PLAN},
                     {"setting": "total_budget_musd", "value": sum(problem["capacities"])},
                     {"setting": "mip_gap", "value": 0}],
        "Projects": projects,
        "Offtake": [{"project_id": f"J{j + 1:02d}", "sector": "magnets", "material": "R&D value",
                     "volume_tpa": profits[j]} for j in range(n)],
        "Demand": [{"sector": "magnets", "material": "R&D value", "year": PLAN,
                    "demand_t": demand}],
        "Financing": [{"pool_id": "grant", "instrument": "grant",
                       "capacity_musd": sum(problem["capacities"]), "budget_cost_rate": 1}],
        "CapexSchedule": schedule,
        "Budget": [{"year": PLAN + i, "budget_musd": c}
                   for i, c in enumerate(problem["capacities"])],
    }


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p["name"] for p in PROBLEMS])
def test_published_optimum_through_cli(tmp_path: Path, problem: dict[str, Any]) -> None:
    data = as_workbook(problem)
    source = write_book(tmp_path / "mknap.xlsx", data)
    out = tmp_path / "result.xlsx"
    run = call("solve", source, "-o", out)
    assert run.code == 0, run.stderr
    sheets = read_output(out)
    summ = summary(sheets)
    assert summ["status"] == "optimal"
    covered = data["Demand"][0]["demand_t"] - float(summ["weighted_shortfall"])
    assert covered == pytest.approx(problem["optimum"], abs=1e-6)
    assert check(source, out) == []


def test_vendored_copy_matches_shared_when_present() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "bench" / "mknap1.json"
    if shared.exists():
        assert json.loads(shared.read_text()) == PROBLEMS
    assert len(PROBLEMS) == 7 and all(p["optimum"] > 0 for p in PROBLEMS)
