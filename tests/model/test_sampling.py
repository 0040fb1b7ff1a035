"""Schedule-risk samples and their evaluation: the law, reproducibility, exact recourse.

Workbooks are tests.helpers.tiny variants (separation projects A, B, C of 100, 80 and 60 t of
magnets/NdPr oxide; demand 150 t in 2027 and 2028; plan start 2026).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolio.analysis.figures import Figures
from portfolio.analysis.risk import CHUNKS, assess, percentile
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from portfolio.model.recourse import SampleLP, closed_form, evaluate
from portfolio.model.samples import FAILED, Samples, draw, draw_one, triangular
from tests.helpers import project, settings, tiny, variant, write_book
from tests.independent.corpus import chained


def _case(tmp_path: Path, **settings_values: object) -> Case:
    data = variant(tiny(), Settings=settings(**settings_values),
                   Projects=[project("A", capex_musd=60, lead_time_months=0),
                             project("B", capex_musd=50),
                             project("C", capex_musd=30, lead_time_months=24)],
                   Risk=[{"stage": "separation", "failure_prob": 0.3,
                          "delay_mode_months": 12, "delay_max_months": 48}])
    return load(write_book(tmp_path / "in.xlsx", data))


def test_triangular_at_hand_points() -> None:
    # F(x) = x^2 / (48 * 12) to the mode 12, so u = 0.25 is the mode; u = 0 is 0, u = 1 is 48.
    got = triangular(np.array([0.0, 0.25, 1.0, 0.5]), np.full(4, 12.0), np.full(4, 48.0))
    # u = 0.5 > 0.25: x = 48 - sqrt(0.5 * 48 * 36) = 48 - sqrt(864)
    assert got == pytest.approx([0.0, 12.0, 48.0, 48 - math.sqrt(864)])
    assert triangular(np.array([0.3]), np.array([0.0]), np.array([0.0]))[0] == 0.0
    assert triangular(np.array([0.5]), np.array([10.0]), np.array([10.0]))[0] == \
        pytest.approx(math.sqrt(0.5 * 100))
    assert triangular(np.array([0.5]), np.array([0.0]), np.array([10.0]))[0] == \
        pytest.approx(10 - math.sqrt(0.5 * 100))


def test_failures_and_online_years_follow_the_law(tmp_path: Path) -> None:
    samples = draw(_case(tmp_path), 4000)
    years = samples.online[:, samples.column["A"]]  # lead 0, start 2026
    n = len(years)
    failed = np.mean(years == FAILED)
    sigma = math.sqrt(0.3 * 0.7 / n)
    assert abs(failed - 0.3) < 3.5 * sigma
    assert abs(failed - 0.25) > 3.5 * sigma  # the bound a wrong chance would fail
    alive = years[years != FAILED]
    # P(online = 2026 + j) over survivors: F(12j) - F(12(j-1)) = 0.25, 0.41667, 0.25, 0.08333
    law = np.array([0.25, 1 - 576 / 1728 - 0.25, 576 / 1728 - 144 / 1728, 144 / 1728])
    wrong = np.full(4, 0.25)  # a uniform delay on [0, 48]
    counts = np.array([np.sum(alive == 2026 + j) for j in range(1, 5)])
    assert counts.sum() == len(alive)

    def chi2(p: np.ndarray) -> float:
        expect = p * len(alive)
        return float(np.sum((counts - expect) ** 2 / expect))

    bound = 16.27  # chi-square, 3 degrees of freedom, 0.1%
    assert chi2(law) < bound
    assert chi2(wrong) > bound


def test_samples_are_reproducible_and_independent_of_their_number(tmp_path: Path) -> None:
    case = _case(tmp_path)
    again = _case(tmp_path)
    assert np.array_equal(draw(case, 200).online, draw(again, 200).online)
    assert np.array_equal(draw(case, 10).online, draw(case, 200).online[:10])
    assert np.array_equal(draw_one(case, 7), draw(case, 200).online[6])
    other = _case(tmp_path, risk_seed=2)
    assert not np.array_equal(draw(other, 200).online, draw(case, 200).online)


def test_percentiles_are_nearest_rank() -> None:
    values = np.array([7, 3, 10, 1, 5, 2, 9, 4, 8, 6], dtype=float)
    assert [percentile(values, q) for q in (10, 50, 90, 100)] == [1, 5, 9, 10]
    assert percentile(np.array([4.0]), 90) == 4.0
    assert percentile(np.array([2.0, 2.0, 1.0]), 50) == 2.0  # ceil(1.5) = 2nd smallest


def test_hand_worked_samples_by_closed_form_and_lp(tmp_path: Path) -> None:
    case = _case(tmp_path)
    selected = frozenset({"A", "B"})
    ids = tuple(p.project_id for p in case.projects)
    planned = np.array([2026, 2027, 2028])
    online = np.array([[2026, 2027, 2028],     # on plan: 180 t both years, shortfall 0
                       [2028, 2027, 2028],     # A late: 2027 has 80 t (70 short), 2028 none
                       [FAILED, 2029, 2028],   # A failed, B after the plan: 150 short twice
                       [2026, FAILED, 2028]])  # B failed: A's 100 t, 50 short twice
    samples = Samples(ids, planned, online, 1)
    out = closed_form(case, selected, samples)
    assert out.shortfall.tolist() == [[0, 0], [70, 0], [150, 150], [50, 50]]
    assert out.first.tolist() == [0, 70, 300, 100]
    lp = SampleLP(case, selected, None, samples, SolverOptions(gap=0))
    got = lp.outcome(online)
    assert got.first == pytest.approx(out.first)
    assert got.shortfall == pytest.approx(out.shortfall)


def test_closed_form_and_lp_agree_on_random_schedules(tmp_path: Path) -> None:
    case = _case(tmp_path)
    samples = draw(case, 60)
    for selected in (frozenset({"A"}), frozenset({"A", "C"}), frozenset({"A", "B", "C"})):
        closed = closed_form(case, selected, samples)
        lp = SampleLP(case, selected, None, samples, SolverOptions(gap=0)).outcome(
            samples.online)
        assert lp.first == pytest.approx(closed.first, abs=1e-6)
        assert lp.shortfall == pytest.approx(closed.shortfall, abs=1e-6)


def test_risk_contribution_by_its_definition(tmp_path: Path) -> None:
    case = _case(tmp_path, risk_samples=50)
    solution = optimise(case, SolverOptions(gap=0))
    figures = Figures(case, solution)
    result = assess(case, figures, SolverOptions(gap=0))
    samples = draw(case)
    for pid in figures.selected:
        moved = samples.online.copy()
        moved[:, samples.column[pid]] = samples.planned[samples.column[pid]]
        want = result.first.mean() - closed_form(case, solution.selected, samples,
                                                 moved).first.mean()
        assert result.contribution[pid] == pytest.approx(want, abs=1e-9)
    assert result.expected_first == pytest.approx(result.first.mean())
    assert CHUNKS > 1


def _covered() -> dict[str, Any]:
    """chained() with P02 locked in, online in 2028, when 200 t of oxide arrive anyway.

    Putting a late P02 on its plan only opens its 2028+ levels, whose oxide nobody needs:
    their reduced costs are non-negative, so those schedules are settled without an LP.
    """
    data = chained()
    projects = [p | {"lock": "in", "lead_time_months": 24} if p["project_id"] == "P02" else p
                for p in data["Projects"]]
    supply = [*data["Supply"], {"sector": "magnets", "material": "NdPr oxide", "year": 2028,
                                "supply_t": 200}]
    return data | {"Projects": projects, "Supply": supply}


@pytest.mark.parametrize(("make", "settles"), [(chained, False), (_covered, True)])
def test_chain_risk_contribution_by_its_definition(tmp_path: Path,
                                                   make: Callable[[], dict[str, Any]],
                                                   settles: bool) -> None:
    """With Inputs, one LP per sample; schedules settled by reduced costs change nothing."""
    data = make() | {"Settings": settings(total_budget_musd=200, risk_samples=40),
                     "Risk": [{"stage": "mining", "failure_prob": 0.4,
                               "delay_mode_months": 12, "delay_max_months": 36},
                              {"stage": "separation", "failure_prob": 0.2,
                               "delay_mode_months": 6, "delay_max_months": 24}]}
    case = load(write_book(tmp_path / "in.xlsx", data))
    solution = optimise(case, SolverOptions(gap=0))
    figures = Figures(case, solution)
    result = assess(case, figures, SolverOptions(gap=0))
    assert result.method == "one LP per sample"
    samples = draw(case)
    base = evaluate(case, solution.selected, solution.bought, samples)
    assert result.first == pytest.approx(base.first, abs=1e-6)
    for pid in figures.selected:
        moved = samples.online.copy()
        moved[:, samples.column[pid]] = samples.planned[samples.column[pid]]
        fresh = evaluate(case, solution.selected, solution.bought,
                         Samples(samples.project_ids, samples.planned, moved, samples.seed))
        want = float(np.mean(base.first - fresh.first))
        assert result.contribution[pid] == pytest.approx(want, abs=1e-6)
    solved, settled = result.lps
    assert solved >= samples.count
    assert (settled > 0) is settles


def _brute_expected(case: Case) -> float:
    """The best mean first objective over every selection within the budget (grant pool,
    rate 1: a selection costs its capex), the test's own enumeration."""
    samples = draw(case)
    ids = [p.project_id for p in case.projects]
    capex = {p.project_id: p.capex_musd for p in case.projects}
    best = math.inf
    for mask in range(1 << len(ids)):
        chosen = [pid for k, pid in enumerate(ids) if mask >> k & 1]
        if sum(capex[p] for p in chosen) > case.settings.total_budget_musd + 1e-9:
            continue
        total = 0.0
        for row in samples.online:
            for d in case.demands:
                got = sum(100 if p == "A" else 80 if p == "B" else 60 for p in chosen
                          if row[samples.column[p]] != FAILED
                          and row[samples.column[p]] <= d.year)
                total += max(0.0, d.demand_t - got)
        best = min(best, total / samples.count)
    return best


@pytest.mark.parametrize("budget", [60, 90, 110])
def test_the_sample_average_optimum_matches_brute_force(tmp_path: Path, budget: int) -> None:
    case = _case(tmp_path, total_budget_musd=budget, risk_samples=30,
                 risk_objective="expected")
    solution = optimise(case, SolverOptions(gap=0))
    assert Figures(case, solution).first_objective == pytest.approx(_brute_expected(case),
                                                                    abs=1e-6)
