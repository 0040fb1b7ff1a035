"""Determinism: the same input gives the same portfolio on every run and with either solver.

Ties among equally good portfolios are broken by the documented rule (`break_ties`):
projects listed first on the Projects sheet, then pools listed first on the Financing
sheet. CBC's optimality is not trusted, so CBC is compared only where it reaches the same
objective values as HiGHS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import Solution, SolverOptions
from tests.helpers import (
    call,
    offtake,
    pool,
    project,
    read_output,
    settings,
    tiny,
    variant,
    write_book,
)
from tests.independent.checker import check
from tests.independent.test_bruteforce import generate

HIGHS = SolverOptions(gap=0, time_limit=60)
CBC = SolverOptions(solver="cbc", gap=0, time_limit=60)


def solve(tmp_path: Path, data: dict[str, Any], options: SolverOptions = HIGHS) -> Solution:
    return optimise(load(write_book(tmp_path / "in.xlsx", data)), options)


def values(solution: Solution) -> tuple[float, float]:
    return (round(sum(s.objective or 0.0 for s in solution.stages[:1]), 6),
            round(sum(s.objective or 0.0 for s in solution.stages[-1:]), 6))


def same_portfolio(a: Solution, b: Solution) -> bool:
    return a.selected == b.selected and a.face.keys() == b.face.keys() and all(
        abs(a.face[k] - b.face[k]) <= 1e-6 for k in a.face)


def twins(first: str, second: str) -> dict[str, Any]:
    """Two identical projects, either of which covers the demand; a third that is worse."""
    return variant(tiny(), Projects=[project(first, capex_musd=50), project(second, capex_musd=50),
                                     project("C", capex_musd=90)],
                   Offtake=[offtake(first, 150), offtake(second, 150), offtake("C", 150)])


@pytest.mark.parametrize(("order", "chosen"), [(("A", "B"), "A"), (("B", "A"), "B")])
def test_equal_projects_the_one_listed_first_is_chosen(
        tmp_path: Path, order: tuple[str, str], chosen: str) -> None:
    highs = solve(tmp_path, twins(*order))
    assert highs.selected == {chosen}
    cbc = solve(tmp_path, twins(*order), CBC)
    if values(cbc) == values(highs):
        assert cbc.selected == {chosen}


def test_equal_pools_the_one_listed_first_finances(tmp_path: Path) -> None:
    data = variant(tiny(), Financing=[pool("G2"), pool("G1"), pool("L", instrument="loan",
                                                                    budget_cost_rate=1)])
    highs = solve(tmp_path, data)
    assert highs.selected and {iid for _, iid in highs.face} == {"G2"}
    cbc = solve(tmp_path, data, CBC)
    if values(cbc) == values(highs):
        assert same_portfolio(cbc, highs)


def test_a_shared_pool_is_split_by_the_rule(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(total_budget_musd=500),
                   Financing=[pool("G", capacity_musd=70), pool("H", capacity_musd=1000)])
    highs = solve(tmp_path, data)
    assert highs.face[("A", "G")] == pytest.approx(60)
    assert highs.face[("B", "G")] == pytest.approx(10)
    assert same_portfolio(solve(tmp_path, data), highs)


@pytest.mark.parametrize("seed", range(40))
def test_random_pipelines_agree_across_runs_and_solvers(tmp_path: Path, seed: int) -> None:
    data = generate(seed)
    first, second = solve(tmp_path, data), solve(tmp_path, data)
    assert same_portfolio(first, second)
    if not first.status.has_solution:
        return
    cbc = solve(tmp_path, data, CBC)
    if values(cbc) != values(first):
        pytest.skip("CBC did not reach HiGHS's optimum (its optimality is not trusted)")
    assert same_portfolio(cbc, first)


def test_two_runs_of_the_cli_write_the_same_sheets(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", generate(3))
    outputs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}.xlsx"
        assert call("solve", source, "-o", out).code == 0
        assert check(source, out) == []
        outputs.append(read_output(out))
    for name in ("Selection", "Financing", "Coverage", "Budget", "Pools", "Rejected"):
        assert outputs[0][name].equals(outputs[1][name]), name
