"""Hand-worked stockpile and government cases (issue 14): each solved through the product,
every expected figure worked by hand in the comments from the contract ("v2: stockpiles",
"v2: governments"), never copied from a run.

Common ground: plan_start_year 2026, 12-month lead times (online from 2027) unless said,
total budget 100, gap 0. Stockpile K holds magnets/NdPr oxide; a price of P USD/kg makes a
tonne cost P/1000 USD m, and holding h% charges h/100 * P/1000 per tonne bought to date in
every plan year (plan years run to the last Demand year), released or not.

Stage 2 holds stage 1's first objective within 1e-6 relative to max(1, value), so it may buy
a few millionths of a tonne less than the hand figure: tonnes and costs are compared with
`approx(rel=1e-6, abs=1e-5)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from portfolio.analysis.figures import Figures
from portfolio.errors import ExitCode
from portfolio.inputs.case import Case, demand_key
from portfolio.inputs.validate import load
from portfolio.model.flows import Flows, flows
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import (
    cli,
    demand,
    offtake,
    pool,
    project,
    read_output,
    settings,
    summary,
    tiny,
    variant,
    write_book,
)

OPTIONS = SolverOptions(gap=0)
FAST = ("--no-frontier", "--no-sensitivity", "--rank", "none")
OXIDE = {"sector": "magnets", "material": "NdPr oxide"}
METAL = {"sector": "magnets", "material": "NdPr metal"}
CONC = {"sector": "magnets", "material": "mixed REO concentrate"}
K_OXIDE, K_METAL = demand_key(**OXIDE), demand_key(**METAL)
US, JP = "us", "jp"  # country keys (countries match ignoring case)


def near(value: float, scale: float = 10) -> Any:
    """A hand figure, within the lexicographic hold's tolerance (1e-6 relative, doubled for
    the float arithmetic on top), or 1e-6 of `scale` (the size of the figures it is a
    difference of) near zero."""
    return pytest.approx(value, rel=2e-6, abs=1e-6 * max(10.0, scale))


def stockpile(kid: str = "K", **values: Any) -> dict[str, Any]:
    """A US stockpile of NdPr oxide at 100 USD/kg (0.1 USD m a tonne), room for 1,000 t."""
    return {"stockpile_id": kid, "country": "US", **OXIDE, "price_usd_per_kg": 100,
            "max_stock_t": 1000} | values


def useless(**values: Any) -> dict[str, Any]:
    """Project Z (capex 60, 100 t/y): online after every plan here (lead 60 months: 2031)."""
    return project("Z", capex_musd=60, lead_time_months=60, **values)


def book(**sheets: Any) -> dict[str, Any]:
    """Z alone (it never helps), one grant pool, a stockpile K; sheets replace these."""
    data = {
        "Settings": settings(),
        "Projects": [useless()],
        "Offtake": [offtake("Z", 100)],
        "Demand": [demand(2027, 100)],
        "Financing": [pool("G")],
        "Stockpiles": [stockpile()],
    }
    return variant(data, **sheets)


def loaded(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> Case:
    return load(write_book(tmp_path / name, data))


def solved(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> Figures:
    case = loaded(tmp_path, data, name)
    solution = optimise(case, OPTIONS)
    assert solution.status is Status.OPTIMAL
    return Figures(case, solution)


def flows_of(figures: Figures) -> Flows:
    """The flows of the solved portfolio, asked of `flows` as every analysis asks."""
    return flows(figures.case, figures.solution.selected, figures.solution.bought)


def bought(figures: Figures) -> dict[tuple[str, int], Any]:
    return {k: near(v) for k, v in figures.solution.bought.items()}


# --- (a) stock bought in 2026, released in 2027 -------------------------------------------


def test_stock_bought_in_2026_is_released_in_2027(tmp_path: Path) -> None:
    # A (capex 60, 100 t/y, lead 24) is online from 2028; demand 100 t in 2027 and 2028.
    # K (0.1 USD m/t, at most 100 t, buying in 2026 only) can bridge 2027:
    #   nothing: shortfall 200; K's 100 t alone (10): 100; A alone (60): 100;
    #   A + 100 t (70): 0.  So A is selected and K buys 100 t in 2026 (cost 10), releasing
    #   all of it in 2027 (nothing is wanted in 2026, and 2028 is A's).
    # Total budget cost 60 + 10 = 70; stock at year end: 100 (2026), 0 (2027), 0 (2028).
    data = book(Projects=[project("A", capex_musd=60, lead_time_months=24)],
                Offtake=[offtake("A", 100)],
                Demand=[demand(2027, 100), demand(2028, 100)],
                Stockpiles=[stockpile(max_stock_t=100)])
    figures = solved(tmp_path, data)
    assert figures.solution.selected == {"A"}
    assert bought(figures) == {("K", 2026): near(100)}
    found = flows_of(figures)
    assert {k: near(v) for k, v in found.releases.items()} == {("K", 2027): near(100)}
    assert found.released == {(K_OXIDE, 2027): near(100)}
    assert [found.stock("K", y) for y in (2026, 2027, 2028)] == [near(100), near(0), near(0)]
    assert figures.weighted_shortfall == near(0)
    assert figures.financing_cost == 60
    assert figures.stock_cost == near(10)
    assert figures.total_cost == near(70)
    assert figures.cost_by_year == {2026: near(70)}


# --- (b) holding cost ----------------------------------------------------------------------


def hold(pct: float, **settings_values: Any) -> dict[str, Any]:
    """Demand 100 t in 2029 only (plan 2026-2029). B (capex 30, lead 36) is online in 2029;
    K sells at 200 USD/kg (0.2 USD m/t), buys in 2026 only, holds at most 100 t."""
    return book(Settings=settings(**settings_values),
                Projects=[project("B", capex_musd=30, lead_time_months=36)],
                Offtake=[offtake("B", 100)], Demand=[demand(2029, 100)],
                Stockpiles=[stockpile(price_usd_per_kg=200, max_stock_t=100,
                                      holding_cost_pct=pct)])


def test_holding_cost_makes_a_long_hold_dearer_than_a_project(tmp_path: Path) -> None:
    # 100 t of stock costs 20 to buy and h/100 * 0.2 * 100 = 0.2h a year to hold, in each
    # of the four plan years 2026-2029 (held from the 2026 purchase, released in 2029):
    # 20 + 0.8h. B costs 30. Both cover the 100 t.
    # h = 10: 20 + 8 = 28 < 30, the stock is cheaper: bought 100 t, B left out.
    #   By year: 2026 20 + 2 = 22; 2027-2029 2 each.
    cheap = solved(tmp_path, hold(10), "h10.xlsx")
    assert cheap.solution.selected == set()
    assert bought(cheap) == {("K", 2026): near(100)}
    assert cheap.weighted_shortfall == near(0)
    assert cheap.stock_cost == near(28) and cheap.total_cost == near(28)
    assert cheap.cost_by_year == {2026: near(22), 2027: near(2), 2028: near(2), 2029: near(2)}
    assert flows_of(cheap).releases == {("K", 2029): near(100)}
    # h = 20: 20 + 16 = 36 > 30: B is selected and nothing is bought.
    dear = solved(tmp_path, hold(20), "h20.xlsx")
    assert dear.solution.selected == {"B"}
    assert dear.solution.bought == {}
    assert dear.weighted_shortfall == 0
    assert dear.stock_cost == 0 and dear.total_cost == 30


def test_holding_cost_shrinks_the_stock_a_budget_allows(tmp_path: Path) -> None:
    # Budget 25: B (30) does not fit. A tonne bought in 2026 costs 0.2 plus 4 years of
    # holding at 10%: 4 * 0.02 = 0.08, so 0.28 a tonne: 25 / 0.28 = 89.2857 t, shortfall
    # 100 - 89.2857 = 10.7143 t (= 75/7); the budget is spent to the last cent (25).
    held = solved(tmp_path, hold(10, total_budget_musd=25), "held.xlsx")
    assert held.solution.selected == set()
    assert bought(held) == {("K", 2026): near(25 / 0.28)}
    assert held.weighted_shortfall == near(100 - 25 / 0.28)
    assert held.total_cost == near(25)
    # Without holding, 100 t cost 20 <= 25: fully covered for 20.
    free = solved(tmp_path, hold(0, total_budget_musd=25), "free.xlsx")
    assert bought(free) == {("K", 2026): near(100)}
    assert free.weighted_shortfall == near(0) and free.total_cost == near(20)


def test_initial_stock_holding_is_a_cost_every_portfolio_pays(tmp_path: Path) -> None:
    # Demand 80 t in 2027 (plan 2026-2027); K starts with 50 t, may hold 50 t (no room to
    # buy), holding 10% at 0.1 USD m/t: 0.1 * 0.1 * 50 = 0.5 a year, 1.0 over the plan.
    # Z never helps, so nothing is selected: the 50 t are released in 2027, shortfall 30,
    # and the budget cost is the holding alone: 0.5 in 2026 and 0.5 in 2027.
    data = book(Demand=[demand(2027, 80)],
                Stockpiles=[stockpile(initial_t=50, max_stock_t=50, holding_cost_pct=10)])
    figures = solved(tmp_path, data, "initial.xlsx")
    assert figures.solution.selected == set() and figures.solution.bought == {}
    assert flows_of(figures).releases == {("K", 2027): 50}
    assert [flows_of(figures).stock("K", y) for y in (2026, 2027)] == [50, 0]
    assert figures.weighted_shortfall == pytest.approx(30)
    assert figures.total_cost == pytest.approx(1.0) == figures.stock_cost
    assert figures.cost_by_year == {2026: pytest.approx(0.5), 2027: pytest.approx(0.5)}
    # Room for 80 t: 30 t more are bought in 2026 (3.0) and holding is then on 80 t,
    # 0.8 a year: 3.0 + 1.6 = 4.6; by year 3.0 + 0.8 = 3.8 (2026) and 0.8 (2027).
    more = solved(tmp_path, variant(data, Stockpiles=[stockpile(
        initial_t=50, max_stock_t=80, holding_cost_pct=10)]), "more.xlsx")
    assert bought(more) == {("K", 2026): near(30)}
    assert more.weighted_shortfall == near(0)
    assert more.total_cost == near(4.6)
    assert more.cost_by_year == {2026: near(3.8), 2027: near(0.8)}


def test_initial_stock_holding_over_the_budget_is_infeasible(tmp_path: Path) -> None:
    # The same 1.0 of holding on the initial 50 t against a total budget of 0.9: no
    # portfolio, not even the empty one, fits.
    data = book(Settings=settings(total_budget_musd=0.9), Demand=[demand(2027, 80)],
                Stockpiles=[stockpile(initial_t=50, max_stock_t=50, holding_cost_pct=10)])
    case = loaded(tmp_path, data)
    assert optimise(case, OPTIONS).status is Status.INFEASIBLE


# --- (c) a release cap ---------------------------------------------------------------------


def test_a_release_cap_binds(tmp_path: Path) -> None:
    # Demand 100 t in 2027 and 2028; K at 10 USD/kg (0.01 USD m/t) may release 60 t a year.
    # C (capex 50, 30 t/y from 2027). Releases give at most 60 a year:
    #   K alone: buy 120 (1.2), shortfall 40 + 40 = 80;
    #   C + K: 30 + 60 = 90 a year, shortfall 10 + 10 = 20 (the least), cost 50 + 1.2.
    # Buying more than the 120 t that can be released is waste. Releases 60 in 2027 and 60
    # in 2028 (none in 2026: nothing is wanted); stock 120, 60, 0.
    capped = [stockpile(price_usd_per_kg=10, max_release_tpa=60)]
    data = book(Projects=[project("C", capex_musd=50)], Offtake=[offtake("C", 30)],
                Demand=[demand(2027, 100), demand(2028, 100)], Stockpiles=capped)
    figures = solved(tmp_path, data, "capped.xlsx")
    assert figures.solution.selected == {"C"}
    assert bought(figures) == {("K", 2026): near(120)}
    found = flows_of(figures)
    assert found.releases == {("K", 2027): near(60), ("K", 2028): near(60)}
    # Stage 2 may buy up to 2e-5 t less (the hold on a shortfall of 20), while the releases
    # read at their cap: the last year-end stock is 0 within 1e-6 of the 120 t.
    assert [found.stock("K", y) for y in (2026, 2027, 2028)] == [near(120), near(60),
                                                                  near(0, 120)]
    assert figures.weighted_shortfall == near(20)
    assert figures.total_cost == near(51.2)
    # Without the cap, 200 t of stock (2.0) cover both years: C is not needed.
    free = solved(tmp_path, variant(data, Stockpiles=[stockpile(price_usd_per_kg=10)]),
                  "free.xlsx")
    assert free.solution.selected == set()
    assert bought(free) == {("K", 2026): near(200)}
    assert flows_of(free).releases == {("K", 2027): near(100), ("K", 2028): near(100)}
    assert free.weighted_shortfall == near(0) and free.total_cost == near(2)


# --- buying years and annual budgets -------------------------------------------------------


def test_buy_until_year_limits_the_buying_years(tmp_path: Path) -> None:
    # Demand 50 t in each of 2026-2028; K at 0.1 USD m/t, holding 10% (0.01 per tonne bought
    # to date per plan year). A tonne bought in 2026 is held for 3 plan years: 0.13; in 2027
    # 0.12; in 2028 0.11. Each year's tonnes must be bought by then, as late as allowed.
    # buy_until 2028: 50 t a year, 6.5 + 6.0 + 5.5 = 18.0.
    # buy_until 2027: 50 t in 2026, 100 t in 2027 (2028's too): 6.5 + 12.0 = 18.5.
    # blank (2026 only): 150 t in 2026: 19.5.
    years = [demand(y, 50) for y in (2026, 2027, 2028)]
    cases = {2028: ({2026: 50, 2027: 50, 2028: 50}, 18.0),
             2027: ({2026: 50, 2027: 100}, 18.5),
             None: ({2026: 150}, 19.5)}
    found = {}
    for last, (purchases, cost) in cases.items():
        data = book(Demand=years, Stockpiles=[stockpile(buy_until_year=last,
                                                        holding_cost_pct=10)])
        figures = found[last] = solved(tmp_path, data, f"until-{last}.xlsx")
        assert bought(figures) == {("K", y): near(t) for y, t in purchases.items()}, last
        assert figures.weighted_shortfall == near(0)
        assert figures.total_cost == near(cost), last
    # With buy_until 2027, 2027's cost: 100 t bought (10) + holding on 150 t (1.5) = 11.5;
    # 2026: 5 + 0.5 = 5.5; 2028: holding on 150 t, 1.5.
    assert found[2027].cost_by_year == {2026: near(5.5), 2027: near(11.5), 2028: near(1.5)}


def test_an_annual_budget_row_counts_stock_costs(tmp_path: Path) -> None:
    # Demand 100 t in 2027; K buys until 2027, holding 10%: a tonne bought in 2026 costs
    # 0.1 + 2 * 0.01 = 0.12, in 2027 0.1 + 0.01 = 0.11. Free, all 100 t are bought in 2027:
    # 11.0, all of it in 2027.
    data = book(Stockpiles=[stockpile(buy_until_year=2027, holding_cost_pct=10)])
    free = solved(tmp_path, data, "free.xlsx")
    assert free.total_cost == near(11)
    # (that all 100 t are bought in 2027: test_purchases_stay_on_the_optimal_face)
    # Budget 2027: 6. 2027's cost is 0.1 * b27 + 0.01 * (b26 + b27) = 0.1 * b27 + 1 with
    # b26 + b27 = 100, so b27 <= 50: 50 t in 2026 (0.12 each: 6.0) and 50 t in 2027
    # (5.5): 11.5. By year: 2026 5 + 0.5 = 5.5; 2027 5 + 1 = 6 (the limit).
    capped = solved(tmp_path, variant(data, Budget=[{"year": 2027, "budget_musd": 6}]),
                    "capped.xlsx")
    assert bought(capped) == {("K", 2026): near(50), ("K", 2027): near(50)}
    assert capped.weighted_shortfall == near(0)
    assert capped.total_cost == near(11.5)
    assert capped.cost_by_year == {2026: near(5.5), 2027: near(6)}


def test_purchases_stay_on_the_optimal_face(tmp_path: Path) -> None:
    # The tie-breaking solves hold the budget cost at its optimum plus 1e-6 relative; the
    # purchases are no tie (each tonne's cost differs), so they must stay where the cost
    # optimum put them, not drift into a dearer year or stockpile within that slack.
    # Buying until 2027 with 10% holding: 100 t bought in 2027 at 0.11 (not 0.12 in 2026).
    late = solved(tmp_path, book(Stockpiles=[stockpile(buy_until_year=2027,
                                                       holding_cost_pct=10)]), "late.xlsx")
    # US-K (0.1/t) rather than JP-K (0.15/t), each up to 100 t.
    cheap = solved(tmp_path, book(Stockpiles=[
        stockpile("US-K", max_stock_t=100),
        stockpile("JP-K", country="JP", price_usd_per_kg=150, max_stock_t=100)]), "cheap.xlsx")
    # (1e-9 relative: the exact hold of the first objective, EXACT in portfolio.constants)
    assert (late.solution.bought, cheap.solution.bought) == (
        {("K", 2027): pytest.approx(100, rel=1e-9)},
        {("US-K", 2026): pytest.approx(100, rel=1e-9)})
    assert (late.total_cost, cheap.total_cost) == (pytest.approx(11, rel=1e-9),
                                                   pytest.approx(10, rel=1e-9))
    assert late.cost_by_year == {2027: pytest.approx(11, rel=1e-9)}
    assert cheap.country_cost(JP) == 0


# --- a stockpile feeding a converter ---------------------------------------------------------


def test_released_oxide_feeds_a_metal_plant(tmp_path: Path) -> None:
    # Metal plant X (capex 30): 120 t/y oxide -> 100 t/y NdPr metal, online 2027; 100 t of
    # metal wanted in 2027. Nothing else makes oxide: K (50 USD/kg, 0.05 USD m/t) buys
    # 120 t in 2026 (6.0) and releases them in 2027 into the oxide balance, where X
    # consumes them at 100%. Cost 30 + 6 = 36, no shortfall.
    data = book(Projects=[project("X", stage="metal_alloy", capex_musd=30)],
                Offtake=[offtake("X", 100, **METAL)],
                Inputs=[{"project_id": "X", **OXIDE, "input_tpa": 120}],
                Demand=[{**METAL, "year": 2027, "demand_t": 100}],
                Stockpiles=[stockpile(price_usd_per_kg=50)])
    figures = solved(tmp_path, data)
    assert figures.solution.selected == {"X"}
    assert bought(figures) == {("K", 2026): near(120)}
    found = flows_of(figures)
    assert found.utilisation == {("X", 2027): near(1)}
    assert found.released == {(K_OXIDE, 2027): near(120)}
    assert found.consumed == {(K_OXIDE, 2027): near(120)}
    assert found.production == {(K_METAL, 2027): near(100)}
    assert all(abs(t) < 1e-5 for t in found.surplus().values())
    assert figures.weighted_shortfall == near(0)
    assert figures.total_cost == near(36)


# --- (d) country budgets ---------------------------------------------------------------------


def two_pools(**us: Any) -> list[dict[str, Any]]:
    """US-loan (country US, budget cost 0.2 of face) and JP-loan (JP, 0.8): both may back
    anything and credit the full face value."""
    return [pool("US-loan", instrument="loan", country="US", budget_cost_rate=0.2) | us,
            pool("JP-loan", instrument="loan", country="JP", budget_cost_rate=0.8)]


def governed(**sheets: Any) -> dict[str, Any]:
    """A (capex 100, 100 t/y from 2027) wanted for 100 t in 2027, on the two pools; no stock."""
    data = book(Projects=[project("A")], Offtake=[offtake("A", 100)],
                Financing=two_pools(), **sheets)
    del data["Stockpiles"]
    return data


def face(figures: Figures) -> dict[str, Any]:
    return {i: near(v) for (_, i), v in figures.solution.face.items()}


def test_a_country_budget_binds_while_the_total_is_slack(tmp_path: Path) -> None:
    # Free: A is financed by US-loan alone, 100 face at 0.2: cost 20.
    free = solved(tmp_path, governed(), "free.xlsx")
    assert face(free) == {"US-loan": near(100)} and free.total_cost == near(20)
    # US budget 10 in total: 0.2 * x_US <= 10, x_US <= 50; JP-loan closes the other 50 at
    # 0.8: 40. Cost 10 + 40 = 50, far below the total budget of 100.
    data = governed(CountryBudgets=[{"country": "US", "budget_musd": 10}])
    capped = solved(tmp_path, data, "capped.xlsx")
    assert capped.solution.selected == {"A"}
    assert face(capped) == {"US-loan": near(50), "JP-loan": near(50)}
    assert capped.total_cost == near(50)
    assert capped.country_cost(US) == near(10) and capped.country_cost(JP) == near(40)
    assert capped.weighted_shortfall == 0
    # JP-loan can lend only 40: 50 + 40 < 100, A's gap cannot be closed and A is dropped.
    short = variant(data, Financing=[two_pools()[0], two_pools()[1] | {"capacity_musd": 40}])
    dropped = solved(tmp_path, short, "dropped.xlsx")
    assert dropped.solution.selected == set()
    assert dropped.weighted_shortfall == 100 and dropped.total_cost == 0


def test_a_country_year_budget_counts_disbursement_shares(tmp_path: Path) -> None:
    # A disburses half in 2026 and half in 2027. US 2026 budget 6: US-loan's 2026 cost is
    # 0.5 * 0.2 * x_US <= 6, so x_US <= 60; JP-loan 40. Cost 12 + 32 = 44; each country
    # pays half of its share in each year: US 6 + 6, JP 16 + 16.
    schedule = [{"project_id": "A", "year": 2026, "share": 0.5},
                {"project_id": "A", "year": 2027, "share": 0.5}]
    budget = [{"country": "us", "year": 2026, "budget_musd": 6}]  # any case matches
    figures = solved(tmp_path, governed(CapexSchedule=schedule, CountryBudgets=budget))
    assert face(figures) == {"US-loan": near(60), "JP-loan": near(40)}
    assert figures.total_cost == near(44)
    assert [figures.country_cost(US, y) for y in (2026, 2027)] == [near(6), near(6)]
    assert [figures.country_cost(JP, y) for y in (2026, 2027)] == [near(16), near(16)]
    assert figures.country_cost(US) == near(12) and figures.country_cost(JP) == near(32)
    # Without the schedule all is disbursed in 2026: 0.2 * x_US <= 6, x_US <= 30,
    # JP-loan 70 (56): cost 62.
    lump = solved(tmp_path, governed(CountryBudgets=budget), "lump.xlsx")
    assert face(lump) == {"US-loan": near(30), "JP-loan": near(70)}
    assert lump.total_cost == near(62)


def test_a_country_budget_counts_its_stockpiles(tmp_path: Path) -> None:
    # 100 t wanted in 2027; Z never helps. US-K at 100 USD/kg (0.1/t) and JP-K at 150 USD/kg
    # (0.15/t), each up to 100 t. Free, US-K buys all 100 t: 10.
    stocks = [stockpile("US-K", max_stock_t=100),
              stockpile("JP-K", country="JP", price_usd_per_kg=150, max_stock_t=100)]
    free = solved(tmp_path, book(Stockpiles=stocks), "free.xlsx")
    assert free.total_cost == near(10)
    # (that JP-K buys nothing at all: test_purchases_stay_on_the_optimal_face)
    # US budget 4: US-K buys 40 t (4.0), JP-K the other 60 t (9.0): 13; countries 4 and 9.
    data = book(Stockpiles=stocks, CountryBudgets=[{"country": "US", "budget_musd": 4}])
    figures = solved(tmp_path, data)
    assert bought(figures) == {("US-K", 2026): near(40), ("JP-K", 2026): near(60)}
    assert figures.weighted_shortfall == near(0)
    assert figures.total_cost == near(13)
    assert figures.country_cost(US) == near(4) and figures.country_cost(JP) == near(9)
    assert figures.country_cost(US, 2026) == near(4)


# --- (e) cost shares -------------------------------------------------------------------------


def test_a_cost_share_forces_the_more_expensive_pool(tmp_path: Path) -> None:
    # JP must pay at least 50% of C = 0.2 x_US + 0.8 x_JP, with x_US + x_JP = 100:
    # 0.8 x_JP >= 0.1 x_US + 0.4 x_JP, i.e. x_US <= 4 x_JP, x_JP >= 20. C = 20 + 0.6 x_JP
    # is least at x_JP = 20: x_US 80 (cost 16), x_JP 20 (cost 16); C = 32, JP's share 50%.
    share = [{"country": "JP", "min_share": 0.5}]
    figures = solved(tmp_path, governed(CostShare=share))
    assert figures.solution.selected == {"A"}
    assert face(figures) == {"US-loan": near(80), "JP-loan": near(20)}
    assert figures.total_cost == near(32)
    assert figures.country_cost(JP) == near(16) and figures.country_cost(US) == near(16)
    # The same bound from the other side: US pays at most 50%, 0.2 x_US <= 0.5 C, the same
    # inequality: the same financing.
    upper = solved(tmp_path, governed(CostShare=[{"country": "US", "max_share": 0.5}]),
                   "upper.xlsx")
    assert face(upper) == {"US-loan": near(80), "JP-loan": near(20)}
    assert upper.total_cost == near(32)


def test_an_infeasible_cost_share_is_named_by_the_diagnosis(tmp_path: Path) -> None:
    # min_cost must cover 100 t in 2027: A (capex 100, a US project) must be selected. Only
    # US-G may back it; JP's pool backs Australian projects only, and JP has no stockpile,
    # so JP pays 0% of any portfolio covering the demand, against a cost share of at least
    # 30%: no feasible portfolio; the diagnosis names the cost share and the country.
    data = book(Settings=settings(objective="min_cost"), Projects=[project("A")],
                Offtake=[offtake("A", 100)],
                Financing=[pool("US-G", country="US"),
                           pool("JP-G", country="JP", eligible_countries="AU")],
                CostShare=[{"country": "JP", "min_share": 0.3}])
    del data["Stockpiles"]
    source, target = write_book(tmp_path / "in.xlsx", data), tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", target, *FAST)
    assert run.code == ExitCode.INFEASIBLE == 4, run.stderr
    named = [line for line in run.stderr.splitlines() if "cost share" in line.lower()]
    assert named and "JP" in named[0] and "30%" in named[0], run.stderr
    sheets = read_output(target)
    assert summary(sheets)["status"] == "infeasible"
    diagnosis = " ".join(map(str, sheets["Diagnosis"].iloc[:, 1]))
    assert "cost share" in diagnosis.lower() and "JP" in diagnosis


# --- workbooks without stockpiles or governments -------------------------------------------

EMPTY = {
    "Stockpiles": [["stockpile_id", "country", "sector", "material", "price_usd_per_kg",
                    "initial_t", "max_stock_t", "buy_until_year", "max_release_tpa",
                    "holding_cost_pct"]],
    "CountryBudgets": [["country", "year", "budget_musd"]],
    "CostShare": [["country", "min_share", "max_share"]],
}
#: Summary rows that differ between any two runs (timings, the input file's hash).
VOLATILE = {"input_sha256"}


def solve_cli(folder: Path, data: dict[str, Any]) -> dict[str, pd.DataFrame]:
    folder.mkdir()
    source, target = write_book(folder / "in.xlsx", data), folder / "out.xlsx"
    run = cli("solve", source, "-o", target, *FAST)
    assert run.code == 0, run.stderr
    return read_output(target)


def steady(sheets: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The Summary without its volatile rows, blanks as ''."""
    return {k: ("" if pd.isna(v) else v) for k, v in summary(sheets).items()
            if k not in VOLATILE and not k.endswith("_seconds")}


def same(plain: dict[str, pd.DataFrame], empty: dict[str, pd.DataFrame]) -> None:
    assert list(empty) == list(plain)
    assert "Stockpiles" not in empty and "Countries" not in empty
    assert len(steady(plain)) > 20 and steady(plain) == steady(empty)
    assert "stockpile_cost_musd" not in steady(empty)
    for name, frame in plain.items():
        if name not in ("Summary", "Guide"):
            assert empty[name].equals(frame), name


def test_a_v1_workbook_solves_as_before_with_empty_stock_sheets(tmp_path: Path) -> None:
    # tiny(): A (60, 100 t/y), B (50, 80 t/y), C (30, 60 t/y from 2028); 150 t in 2027 and
    # 2028; budget 100. A + C (90): shortfall 50 + 0 = 50; B + C (80): 70 + 10 = 80; A + B
    # costs 110. So A + C, weighted shortfall 50, cost 90, with or without the header-only
    # Stockpiles, CountryBudgets and CostShare sheets.
    plain = solve_cli(tmp_path / "plain", tiny())
    empty = solve_cli(tmp_path / "empty", variant(tiny(), **EMPTY))
    assert "Flows" not in empty
    top = summary(empty)
    assert top["weighted_shortfall"] == 50 and top["total_budget_cost_musd"] == 90
    same(plain, empty)


def test_a_chain_workbook_solves_as_before_with_empty_stock_sheets(tmp_path: Path) -> None:
    # S (capex 40): 500 t/y concentrate -> 100 t/y oxide; 30 t oxide Supply in 2027 and
    # 250 t concentrate Supply in 2028; 100 t oxide wanted each year; no imports.
    # 2027: the 30 t Supply delivered, S idle: shortfall 70; 2028: S at 50%: 50 t,
    # shortfall 50. S is selected (cost 40), weighted shortfall 120.
    chain = {
        "Settings": settings(), "Projects": [project("S", capex_musd=40)],
        "Offtake": [offtake("S", 100)],
        "Inputs": [{"project_id": "S", **CONC, "input_tpa": 500}],
        "Supply": [{**OXIDE, "year": 2027, "supply_t": 30},
                   {**CONC, "year": 2028, "supply_t": 250}],
        "Demand": [demand(2027, 100), demand(2028, 100)], "Financing": [pool("G")],
    }
    plain = solve_cli(tmp_path / "plain", chain)
    empty = solve_cli(tmp_path / "empty", variant(chain, **EMPTY))
    assert "Flows" in empty
    top = summary(empty)
    assert top["weighted_shortfall"] == 120 and top["total_budget_cost_musd"] == 40
    assert list(empty["Flows"]["released_t"]) == [0] * len(empty["Flows"])
    same(plain, empty)
