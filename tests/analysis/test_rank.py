"""Regret ranking: by hand on the tiny instance, and against brute force on random ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.analysis.figures import Figures
from portfolio.analysis.rank import Regret, rank
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from tests.helpers import project, settings, tiny, variant, write_book
from tests.independent.test_bruteforce import brute_force, generate

OPTIONS = SolverOptions(gap=0)


def ranked(tmp_path: Path, data: dict[str, Any]) -> list[Regret]:
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    return rank(pipe, Figures(pipe, optimise(pipe, OPTIONS)), OPTIONS)


def test_tiny_regrets_by_hand(tmp_path: Path) -> None:
    # Optimum {A, C}: shortfall 50, cost 90. Without C the best is A alone (100, 60);
    # without A it is B+C (80, 80). So C: +50 / -30 ranks before A: +30 / -10.
    assert ranked(tmp_path, tiny()) == [Regret("C", 50, -30), Regret("A", 30, -10)]


def test_locked_in_project_is_critical_and_first(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60), project("B", capex_musd=50),
                                     project("C", capex_musd=30, lead_time_months=24, lock="in")])
    regrets = ranked(tmp_path, data)
    assert regrets[0].project_id == "C" and regrets[0].critical
    assert regrets[1] == Regret("A", 30, -10)


def test_min_cost_project_without_substitute_is_critical(tmp_path: Path) -> None:
    # min_cost, budget 200: A+B covers both years (cost 110). Without A no portfolio covers
    # 2027 (B+C deliver 80 t); without B, A+C covers 2028 but not 2027 -> both critical.
    data = variant(tiny(), Settings=settings(objective="min_cost", total_budget_musd=200))
    regrets = ranked(tmp_path, data)
    assert [(r.project_id, r.critical) for r in regrets] == [("A", True), ("B", True)]


def test_ties_break_on_cost_regret_then_id(tmp_path: Path) -> None:
    regrets = sorted([Regret("B", 5, 1), Regret("A", 5, 1), Regret("C", 5, 2),
                      Regret("D", 9, -4), Regret("Z", None, None, critical=True)],
                     key=Regret.sort_key)
    assert [r.project_id for r in regrets] == ["Z", "D", "C", "A", "B"]


@pytest.mark.parametrize("seed", [0, 3, 5, 7, 12])
def test_regret_matches_brute_force_definition(tmp_path: Path, seed: int) -> None:
    data = generate(seed)
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    base = Figures(pipe, optimise(pipe, OPTIONS))
    regrets = rank(pipe, base, OPTIONS)
    assert {r.project_id for r in regrets} == set(base.selected)
    for regret in regrets:
        if pipe.project_by_id[regret.project_id].lock == "in":
            assert regret.critical  # locking out a locked-in project leaves nothing feasible
            continue
        without = variant(data, Projects=[
            p | {"lock": "out"} if p["project_id"] == regret.project_id else p
            for p in data["Projects"]])
        expected = brute_force(without)
        if expected is None:
            assert regret.critical
            continue
        assert not regret.critical
        assert regret.shortfall == pytest.approx(expected[0] - base.weighted_shortfall, abs=1e-6)
        assert regret.cost == pytest.approx(expected[1] - base.total_cost, abs=1e-6)


def test_regrets_equal_but_for_float_noise_tie_and_rank_by_project_id() -> None:
    """Seen on the worked example: JP-CAT and JP-DYR both regret -1.17666... USD m, their
    last digits depending on which worker found which portfolio first."""
    noisy = [Regret.of("JP-DYR", 214.0, -1.176666666666648),
             Regret.of("JP-CAT", 214.0, -1.176666666666677)]
    assert noisy[0].cost == noisy[1].cost == -1.176666667
    assert [r.project_id for r in sorted(noisy, key=Regret.sort_key)] == ["JP-CAT", "JP-DYR"]
    assert Regret.of("A", -0.0000000000001, 0.0).shortfall == 0.0
