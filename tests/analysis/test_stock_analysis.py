"""The analyses with stockpiles and governments (issue 14): ranking, sensitivity, diagnosis,
Rejected reasons, the country_budget_factor scenario and the stockpile-versus-build sentence.

Every expected figure is worked by hand in the comments. Common ground: plan_start_year 2026,
12-month lead times (online 2027), NdPr oxide demand, weights 1, gap 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.analysis.diagnose import diagnose
from portfolio.analysis.figures import Figures
from portfolio.analysis.rank import rank
from portfolio.analysis.reasons import rejection_reasons
from portfolio.analysis.sensitivity import COUNTRY, STOCK, sensitivity
from portfolio.analysis.stocktrade import sentence, stock_trades
from portfolio.errors import InvalidWorkbook
from portfolio.inputs.case import Case
from portfolio.inputs.scenarios import apply, describe
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import demand, offtake, pool, project, settings, write_book

OPTIONS = SolverOptions(gap=0)
OXIDE = {"sector": "magnets", "material": "NdPr oxide"}


def loaded(tmp_path: Path, data: dict[str, Any]) -> Case:
    return load(write_book(tmp_path / "in.xlsx", data))


def solved(case: Case) -> Figures:
    return Figures(case, optimise(case, OPTIONS))


def stock(kid: str = "K", **values: Any) -> dict[str, Any]:
    """A US NdPr oxide stockpile at 100 USD/kg (0.1 USD m per t), 100 t cap, bought in 2026."""
    return {"stockpile_id": kid, "country": "US", **OXIDE, "price_usd_per_kg": 100,
            "max_stock_t": 100} | values


def two_pools() -> dict[str, Any]:
    """Project A (US, capex 100) covers 2027's 100 t; pools G (US, rate 0.2), L (JP, 0.5)."""
    return {
        "Settings": settings(),
        "Projects": [project("A")],
        "Offtake": [offtake("A", 100)],
        "Demand": [demand(2027, 100)],
        "Financing": [pool("G", country="US", budget_cost_rate=0.2),
                      pool("L", country="JP", budget_cost_rate=0.5)],
        "CountryBudgets": [{"country": "US", "budget_musd": 10}],
    }


def test_a_binding_country_budget_has_its_sensitivity_row(tmp_path: Path) -> None:
    # US's budget 10 lets G carry 10 / 0.2 = 50 of A's 100 gap; L carries the other 50 at
    # 0.5: cost 10 + 25 = 35, the total budget (100) slack. One more USD m of US budget moves
    # 5 face value from L to G: cost +1 - 2.5 = -1.5 USD m per USD m. The dual holds until G
    # carries everything (US budget 20: +10) and down to 0 (L carries all: -10).
    case = loaded(tmp_path, two_pools())
    base = solved(case)
    assert base.total_cost == pytest.approx(35)
    assert base.country_cost("us") == pytest.approx(10)
    assert base.country_cost("jp") == pytest.approx(25)
    rows = {m.limit.kind: m for m in sensitivity(base, OPTIONS)}
    us = rows[COUNTRY]
    assert us.limit.label == "US's budget"
    assert us.limit.binding
    assert us.dual == pytest.approx(-1.5)
    assert us.lp_step_change == pytest.approx(-1.5)
    assert us.cost_change == pytest.approx(-1.5)
    assert us.agrees
    assert us.allowable_increase_musd == pytest.approx(10)
    assert us.allowable_decrease_musd == pytest.approx(10)
    assert "each extra USD m of it lowers the budget cost by 1.5 USD m" in us.meaning(
        "max_coverage")


def test_a_stockpile_cap_has_its_sensitivity_row_valued_at_its_price(tmp_path: Path) -> None:
    # Demand 100 t in 2026 only; no project can be online then. K (0.1 USD m/t) is capped at
    # 50 t: it buys 50 t for 5 USD m, the shortfall is 50. One more USD m of cap is 10 t more
    # stock: the re-solve lowers the shortfall by 10 for 1 USD m more cost. The limit is
    # shown in USD m of stock: 50 t x 0.1 = 5, all used.
    data = {"Settings": settings(), "Projects": [project("A")], "Offtake": [offtake("A", 100)],
            "Demand": [demand(2026, 100)], "Financing": [pool("G")],
            "Stockpiles": [stock(max_stock_t=50)]}
    base = solved(loaded(tmp_path, data))
    assert base.first_objective == pytest.approx(50)
    assert base.stock_cost == pytest.approx(5)
    cap = next(m for m in sensitivity(base, OPTIONS) if m.limit.kind == STOCK)
    assert cap.limit.label == "stockpile K's max_stock_t (50 t)"
    assert cap.limit.limit_musd == pytest.approx(5)
    assert cap.limit.used_musd == pytest.approx(5)
    assert cap.shortfall_change == pytest.approx(-10)
    assert cap.cost_change == pytest.approx(1)
    assert "lowers the weighted shortfall and imports by 10.0 (10.0 per USD m) with the same " \
           "projects and other stock purchases" in cap.meaning("max_coverage")


def test_ranking_with_stock_and_country_budgets_equals_fresh_lock_out_solves(
        tmp_path: Path) -> None:
    # Three projects compete for a US budget of 60 and a JP pool; a stockpile covers 2026.
    # Each regret must equal a fresh lexicographic solve with the project locked out.
    data = {
        "Settings": settings(total_budget_musd=90),
        "Projects": [project("A", capex_musd=40), project("B", capex_musd=30, country="JP"),
                     project("C", capex_musd=25)],
        "Offtake": [offtake("A", 80), offtake("B", 60), offtake("C", 50)],
        "Demand": [demand(2026, 60), demand(2027, 150), demand(2028, 150)],
        "Financing": [pool("G", country="US"),
                      pool("J", country="JP", eligible_countries="JP", budget_cost_rate=0.8)],
        "Stockpiles": [stock(max_stock_t=60, holding_cost_pct=10)],
        "CountryBudgets": [{"country": "US", "budget_musd": 60}],
    }
    case = loaded(tmp_path, data)
    base = solved(case)
    regrets = rank(case, base, OPTIONS)
    assert {r.project_id for r in regrets} == set(base.selected)
    for regret in regrets:
        fresh = optimise(case, OPTIONS, frozenset({regret.project_id}))
        assert fresh.status is Status.OPTIMAL
        without = Figures(case, fresh)
        assert regret.shortfall == pytest.approx(without.first_objective - base.first_objective,
                                                 abs=1e-6)
        assert regret.cost == pytest.approx(without.total_cost - base.total_cost, abs=1e-6)


def test_the_diagnosis_names_a_country_budget_to_raise(tmp_path: Path) -> None:
    # J is locked in, capex 52, financed only by JP's grant pool and disbursed in 2027;
    # Japan's 2027 budget is 40: raise it to 52.
    data = {"Settings": settings(), "Projects": [project("J", capex_musd=52, country="JP",
                                                         lock="in", start_year=2027)],
            "Offtake": [offtake("J", 100)], "Demand": [demand(2028, 100)],
            "Financing": [pool("JG", country="JP")],
            "CountryBudgets": [{"country": "JP", "year": 2027, "budget_musd": 40}]}
    case = loaded(tmp_path, data)
    assert optimise(case, OPTIONS).status is Status.INFEASIBLE
    lines = diagnose(case, OPTIONS)
    assert any("raise JP's 2027 budget from 40.0 USD m to 52.0 USD m" in line
               for line in lines), lines


def test_the_diagnosis_says_how_far_a_cost_share_can_reach(tmp_path: Path) -> None:
    # M (US, capex 50) is locked in. Japan's pool J may carry 20% of capex (10 of 50), the US
    # pool G the rest; both grants. Japan's share is at most 10 / 50 = 20% < 30% asked.
    data = {"Settings": settings(), "Projects": [project("M", capex_musd=50, lock="in")],
            "Offtake": [offtake("M", 100)], "Demand": [demand(2027, 100)],
            "Financing": [pool("G", country="US"),
                          pool("J", country="JP", max_share_of_capex=0.2)],
            "CostShare": [{"country": "JP", "min_share": 0.3}]}
    case = loaded(tmp_path, data)
    assert optimise(case, OPTIONS).status is Status.INFEASIBLE
    lines = diagnose(case, OPTIONS)
    assert any("the cost share asks JP for at least 30%, but its pools and stockpiles cannot "
               "take more than 20.0%" in line for line in lines), lines


def test_a_rejected_reason_names_a_full_country_budget(tmp_path: Path) -> None:
    # A and B (US, capex 10 each) can only use the US pool; US's budget is 10, the total 100.
    # A's demand weighs 2 per t, B's 1: A is chosen and uses the whole US budget.
    data = {"Settings": settings(),
            "Projects": [project("A", capex_musd=10), project("B", capex_musd=10)],
            "Offtake": [offtake("A", 100), offtake("B", 100, material="NdPr metal")],
            "Demand": [demand(2027, 100, weight=2), demand(2027, 100, material="NdPr metal")],
            "Financing": [pool("G", country="US")],
            "CountryBudgets": [{"country": "US", "budget_musd": 10}]}
    base = solved(loaded(tmp_path, data))
    assert base.selected == ["A"]
    reasons = dict(rejection_reasons(base))
    assert "US's budget 10.0 USD m fully used" in reasons["B"], reasons


def test_country_budget_factor_scales_one_country_or_all(tmp_path: Path) -> None:
    data = two_pools() | {
        "CountryBudgets": [{"country": "US", "budget_musd": 10},
                           {"country": "JP", "year": 2026, "budget_musd": 40}],
        "Scenarios": [{"scenario": "US cut", "change": "country_budget_factor", "target": "us",
                       "value": 0.5},
                      {"scenario": "All up", "change": "country_budget_factor", "value": 2}]}
    case = loaded(tmp_path, data)
    cut, up = case.scenarios
    assert [r.budget_musd for r in apply(case, cut).country_budgets] == [5, 40]
    assert [r.budget_musd for r in apply(case, up).country_budgets] == [20, 80]
    assert describe(cut) == "us's budgets x 0.5"
    assert describe(up) == "all country budgets x 2"
    # US budget 5: G carries 25, L 75 at 0.5: cost 5 + 37.5 = 42.5.
    assert solved(apply(case, cut)).total_cost == pytest.approx(42.5)


def test_a_country_budget_factor_must_name_a_country_budget(tmp_path: Path) -> None:
    data = two_pools() | {"Scenarios": [{"scenario": "x", "change": "country_budget_factor",
                                         "target": "Japan", "value": 0.5}]}
    with pytest.raises(InvalidWorkbook) as caught:
        loaded(tmp_path, data)
    assert [str(i) for i in caught.value.issues] == [
        "Scenarios!C2: target: 'Japan' is not a country on the CountryBudgets sheet"]


def test_the_stockpile_versus_build_sentence(tmp_path: Path) -> None:
    # Demand 100 t in 2026 and 2027. Stock K (0.1 USD m/t, 100 t) is the only source in 2026;
    # A (capex 50) covers 2027. Budget 100: both, cost 50 + 10 = 60. K releases its 100 t in
    # 2026: without K, 2026's shortfall is 100, with it 0: 100% covered. The total budget is
    # slack, so one more USD m in projects changes nothing: 0%.
    data = {"Settings": settings(), "Projects": [project("A", capex_musd=50)],
            "Offtake": [offtake("A", 100)], "Demand": [demand(2026, 100), demand(2027, 100)],
            "Financing": [pool("G")], "Stockpiles": [stock()]}
    base = solved(loaded(tmp_path, data))
    assert base.total_cost == pytest.approx(60)
    (trade,) = stock_trades(base, sensitivity(base, OPTIONS))
    assert trade.years == (2026,)
    assert trade.without == pytest.approx(100)
    assert trade.with_stock == pytest.approx(0, abs=1e-5)
    assert sentence(trade) == (
        "10.0 USD m buys 100 t of magnets/NdPr oxide (K) for 2026, which covers 100% of "
        "that shortfall; the same money in projects would cover about 0% (from the Sensitivity "
        "sheet's total-budget re-solve).")
