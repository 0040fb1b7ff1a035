"""Build-only tests: every constraint family's rows, pinned by name, sense, coefficients and RHS.

Each case is the tiny instance (tests.helpers.tiny) changed just enough to call one family
into being; the expected rows are written out by hand from the contract's maths. The last
test fails when a family of `Family` has no case here, so a family added later must bring
its own pinned rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulp
import pytest

from portfolio.inputs.validate import load
from portfolio.model.build import build
from portfolio.model.container import Family, Goal, Model
from portfolio.model.lexicographic import PulpStages
from portfolio.model.outcomes import SolverOptions
from tests.helpers import pool, settings, tiny, variant, write_book

Row = tuple[str, int, dict[str, float], float]  # name, sense, coefficients, right-hand side
LE, EQ, GE = pulp.LpConstraintLE, pulp.LpConstraintEQ, pulp.LpConstraintGE


def projects(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    base = {r["project_id"]: r for r in tiny()["Projects"]}
    return [base[p] | changes.get(p, {}) for p in "ABC"]


def built(tmp_path: Path, data: dict[str, Any]) -> Model:
    return build(load(write_book(tmp_path / "in.xlsx", data)))


def rows(model: Model, family: Family) -> list[Row]:
    """The family's rows as (name, sense, {variable: coefficient}, rhs), in model order."""
    out = []
    for constraint in model.family(family).values():
        name = next(n for n, c in model.rows.items() if c is constraint)
        coefficients = {var.name: float(a) for var, a in constraint.items()}
        out.append((name, constraint.sense, coefficients, -float(constraint.constant)))
    return out


CONC = {"sector": "magnets", "material": "conc"}
CHAIN: dict[str, Any] = {"Inputs": [{"project_id": "A", **CONC, "input_tpa": 50}],
                         "Supply": [{**CONC, "year": 2027, "supply_t": 30}]}

STOCK_K = {"stockpile_id": "K", "country": "US", "sector": "magnets", "material": "NdPr oxide",
           "price_usd_per_kg": 250, "initial_t": 10, "max_stock_t": 100,
           "holding_cost_pct": 25}
# Stockpile K of magnets/NdPr oxide: 250 USD/kg = 0.25 USD m per t, holding 25% = 0.0625 USD m
# per t held per year (prices chosen so every coefficient is exact in binary), 10 t held at the
# start, at most 100 t, buying in 2026-2027, releasing at most 40 t a year. Plan years
# 2026-2028; H_2026 = 10 + b_2026, H_2027 = H_2028 = 10 + b_2026 + b_2027.
STOCK: dict[str, Any] = {"Stockpiles": [STOCK_K | {"buy_until_year": 2027,
                                                   "max_release_tpa": 40}],
                         "Budget": [{"year": 2026, "budget_musd": 40}]}
# Two governments: G is a US grant pool (rate 1), H a JP loan pool (rate 0.25); C disburses
# half in 2026 and half in 2027 (A and B all in 2026). K is US stock (country spelt 'us')
# buying in 2026 only: H_Y = 10 + b_2026 in each plan year, so its cost is
# 0.25 b_2026 + 3 * 0.0625 (10 + b_2026) = 0.4375 b_2026 + 1.875 in all, and
# 0.25 b_2026 + 0.0625 (10 + b_2026) = 0.3125 b_2026 + 0.625 in 2026.
# C (total cost) = x_G's + 0.25 x_H's + 0.4375 b_2026 + 1.875; C_JP = 0.25 x_H's.
GOV: dict[str, Any] = {
    "Financing": [pool("G", country="US"),
                  pool("H", instrument="loan", budget_cost_rate=0.25, country="JP")],
    "CapexSchedule": [{"project_id": "C", "year": 2026, "share": 0.5},
                      {"project_id": "C", "year": 2027, "share": 0.5}],
    "Stockpiles": [STOCK_K | {"country": "us"}],
    "CountryBudgets": [{"country": "US", "budget_musd": 80},
                       {"country": "US", "year": 2026, "budget_musd": 50},
                       {"country": "Jp", "year": 2027, "budget_musd": 5}],
    "CostShare": [{"country": "JP", "min_share": 0.25, "max_share": 0.75}],
}
X_G = {"x_A_pool_G": 1, "x_B_pool_G": 1, "x_C_pool_G": 1}
B26, B27 = "b_stock_K_2026", "b_stock_K_2027"
R26, R27, R28 = "r_stock_K_2026", "r_stock_K_2027", "r_stock_K_2028"

# The tiny instance: A capex 60, B 50, C 30 (lead 24 months); grant pool G of 1,000 at rate 1;
# 150 t of magnets/NdPr oxide demanded in 2027 and 2028; A makes 100 t, B 80 t, C 60 t.
CASES: dict[Family, tuple[dict[str, Any], list[Row]]] = {
    Family.GAP: ({}, [
        ("gap-A", EQ, {"x_A_pool_G": 1, "y_A": -60}, 0),
        ("gap-B", EQ, {"x_B_pool_G": 1, "y_B": -50}, 0),
        ("gap-C", EQ, {"x_C_pool_G": 1, "y_C": -30}, 0)]),
    Family.SHARE: ({"Financing": [pool("G", max_share_of_capex=0.5)]}, [
        ("share-A-pool_G", LE, {"x_A_pool_G": 1, "y_A": -30}, 0),
        ("share-B-pool_G", LE, {"x_B_pool_G": 1, "y_B": -25}, 0),
        ("share-C-pool_G", LE, {"x_C_pool_G": 1, "y_C": -15}, 0)]),
    Family.PUBLIC: ({"Settings": settings(max_public_share=0.5),
                     "Projects": projects(B={"sponsor_equity_musd": 25})}, [
        ("public-A", LE, {"x_A_pool_G": 1, "y_A": -30}, 0),
        ("public-C", LE, {"x_C_pool_G": 1, "y_C": -15}, 0)]),
    Family.TICKET_LO: ({"Financing": [pool("G", min_ticket_musd=55)]}, [
        ("ticket-lo-A-pool_G", GE, {"x_A_pool_G": 1, "z_A_pool_G": -55}, 0)]),
    Family.TICKET_HI: ({"Financing": [pool("G", min_ticket_musd=55)]}, [
        ("ticket-hi-A-pool_G", LE, {"x_A_pool_G": 1, "z_A_pool_G": -60}, 0)]),
    Family.TICKET_SEL: ({"Financing": [pool("G", min_ticket_musd=55)]}, [
        ("ticket-sel-A-pool_G", LE, {"z_A_pool_G": 1, "y_A": -1}, 0)]),
    Family.CAPACITY: ({"Financing": [pool("G", capacity_musd=70)]}, [
        ("capacity-pool_G", LE, {"x_A_pool_G": 1, "x_B_pool_G": 1, "x_C_pool_G": 1}, 70)]),
    Family.BUDGET: ({"Financing": [pool("G", budget_cost_rate=0.5)],
                     "Budget": [{"year": 2026, "budget_musd": 40}]}, [
        ("budget-total", LE, {"x_A_pool_G": 0.5, "x_B_pool_G": 0.5, "x_C_pool_G": 0.5}, 100),
        ("budget-2026", LE, {"x_A_pool_G": 0.5, "x_B_pool_G": 0.5, "x_C_pool_G": 0.5}, 40)]),
    Family.SCHEDULE: ({"Settings": settings(max_lead_time_months=12)}, [
        ("schedule-C", LE, {"y_C": 1}, 0)]),
    Family.LOCK_OUT: ({"Projects": projects(B={"lock": "out"})}, [
        ("lock-out-B", LE, {"y_B": 1}, 0)]),
    Family.LOCK_IN: ({"Projects": projects(A={"lock": "in"})}, [
        ("lock-in-A", GE, {"y_A": 1}, 1)]),
    Family.REQUIRES: ({"Projects": projects(A={"requires": "B, C"})}, [
        ("requires-A-B", LE, {"y_A": 1, "y_B": -1}, 0),
        ("requires-A-C", LE, {"y_A": 1, "y_C": -1}, 0)]),
    Family.EXCLUSIVE: ({"Projects": projects(A={"exclusive_group": "Site"},
                                             C={"exclusive_group": "site"})}, [
        ("exclusive-group_site", LE, {"y_A": 1, "y_C": 1}, 1)]),
    Family.SHORTFALL: ({}, [
        ("shortfall-1", GE, {"s_0": 1, "y_A": 100, "y_B": 80}, 150),
        ("shortfall-2", GE, {"s_1": 1, "y_A": 100, "y_B": 80, "y_C": 60}, 150)]),
    Family.COVER: ({"Settings": settings(objective="min_cost")}, [
        ("cover-1", GE, {"y_A": 100, "y_B": 80}, 150),
        ("cover-2", GE, {"y_A": 100, "y_B": 80, "y_C": 60}, 150)]),
    # Chains: A becomes a converter consuming 50 t/y of magnets/conc, of which the Supply
    # sheet has 30 t in 2027 and none in 2028. A is online from 2027 (u_A_2027, u_A_2028).
    Family.UTILISATION: (CHAIN, [
        ("utilisation-A-2027", LE, {"u_A_2027": 1, "y_A": -1}, 0),
        ("utilisation-A-2028", LE, {"u_A_2028": 1, "y_A": -1}, 0)]),
    Family.BALANCE: (CHAIN, [
        ("balance-c_magnets_conc-2027", LE, {"u_A_2027": 50}, 30),
        ("balance-c_magnets_conc-2028", LE, {"u_A_2028": 50}, 0)]),
    # delivered d = 150 - s <= 100 u_A + min(80, 150) y_B (+ 60 y_C from 2028)
    Family.ALLIED: (CHAIN, [
        ("allied-1", LE, {"s_0": -1, "u_A_2027": -100, "y_B": -80}, -150),
        ("allied-2", LE, {"s_1": -1, "u_A_2028": -100, "y_B": -80, "y_C": -60}, -150)]),
    # Stock: H only grows, so one cap row, at the last buying year: 10 + b_2026 + b_2027 <= 100.
    Family.STOCK_CAP: (STOCK, [
        ("stock-cap-stockpile_K", LE, {B26: 1, B27: 1}, 90)]),
    # released to date <= H_Y: the initial 10 t moves to the right-hand side.
    Family.STOCK_LEVEL: (STOCK, [
        ("stock-level-stockpile_K-2026", LE, {R26: 1, B26: -1}, 10),
        ("stock-level-stockpile_K-2027", LE, {R26: 1, R27: 1, B26: -1, B27: -1}, 10),
        ("stock-level-stockpile_K-2028", LE, {R26: 1, R27: 1, R28: 1, B26: -1, B27: -1}, 10)]),
    # US: its pool G and its stock K; 80 - 1.875 = 78.125 in all, 50 - 0.625 = 49.375 in 2026
    # (C's half disbursed then). JP in 2027: C's other half of H's cost, 0.5 * 0.25 = 0.125.
    Family.COUNTRY: (GOV, [
        ("country-country_us-total", LE, X_G | {B26: 0.4375}, 78.125),
        ("country-country_us-2026", LE,
         {"x_A_pool_G": 1, "x_B_pool_G": 1, "x_C_pool_G": 0.5, B26: 0.3125}, 49.375),
        ("country-country_jp-2027", LE, {"x_C_pool_H": 0.125}, 5)]),
    # C_JP - 0.25 C >= 0: x_H 0.25 - 0.0625, x_G -0.25, b -0.25 * 0.4375; 0.25 * 1.875 right.
    Family.SHARE_MIN: (GOV, [
        ("share-min-country_jp", GE,
         {"x_A_pool_H": 0.1875, "x_B_pool_H": 0.1875, "x_C_pool_H": 0.1875, "x_A_pool_G": -0.25,
          "x_B_pool_G": -0.25, "x_C_pool_G": -0.25, B26: -0.109375}, 0.46875)]),
    # C_JP - 0.75 C <= 0: x_H 0.25 - 0.1875, x_G -0.75, b -0.75 * 0.4375; 0.75 * 1.875 right.
    Family.SHARE_MAX: (GOV, [
        ("share-max-country_jp", LE,
         {"x_A_pool_H": 0.0625, "x_B_pool_H": 0.0625, "x_C_pool_H": 0.0625, "x_A_pool_G": -0.75,
          "x_B_pool_G": -0.75, "x_C_pool_G": -0.75, B26: -0.328125}, 1.40625)]),
}

# Rows of families pinned above whose cost or supply also counts stock. Budget, STOCK case:
# total 0.25 b_2026 + 0.25 b_2027 + 0.0625 (H_2026 + H_2027 + H_2028)
# = 0.4375 b_2026 + 0.375 b_2027 + 1.875, so 100 - 1.875; in 2026 0.3125 b_2026 + 0.625, so
# 40 - 0.625. GOV: total 100 - 1.875 with H's cost at 0.25. Allied (STOCK): releases join
# the tonnes delivered to each Demand row, 150 - s <= 100 y_A + 80 y_B (+ 60 y_C) + r_Y.
WITH_STOCK: dict[str, tuple[dict[str, Any], Family, list[Row]]] = {
    "budget": (STOCK, Family.BUDGET, [
        ("budget-total", LE, X_G | {B26: 0.4375, B27: 0.375}, 98.125),
        ("budget-2026", LE, X_G | {B26: 0.3125}, 39.375)]),
    "budget-two-governments": (GOV, Family.BUDGET, [
        ("budget-total", LE, X_G | {"x_A_pool_H": 0.25, "x_B_pool_H": 0.25,
                                    "x_C_pool_H": 0.25, B26: 0.4375}, 98.125)]),
    "allied": (STOCK, Family.ALLIED, [
        ("allied-1", LE, {"s_0": -1, "y_A": -100, "y_B": -80, R27: -1}, -150),
        ("allied-2", LE, {"s_1": -1, "y_A": -100, "y_B": -80, "y_C": -60, R28: -1}, -150)]),
}


@pytest.mark.parametrize("name", list(WITH_STOCK))
def test_rows_that_count_stock_pinned_after_build(tmp_path: Path, name: str) -> None:
    changes, family, expected = WITH_STOCK[name]
    model = built(tmp_path, variant(tiny(), **changes))
    assert rows(model, family) == expected


def test_stock_columns_and_their_bounds(tmp_path: Path) -> None:
    # b_kY in [0, max_stock - initial] = [0, 90] in the buying years 2026-2027 only;
    # r_kY in [0, max_release_tpa] = [0, 40] in every plan year.
    model = built(tmp_path, variant(tiny(), **STOCK))
    bounds = {v.name: (v.lowBound, v.upBound) for v in model.prob.variables()
              if v.name.startswith(("b_", "r_"))}
    assert bounds == {B26: (0, 90), B27: (0, 90), R26: (0, 40), R27: (0, 40), R28: (0, 40)}
    assert list(model.bought) == [("K", 2026), ("K", 2027)]
    assert list(model.released) == [("K", 2026), ("K", 2027), ("K", 2028)]


def test_a_cost_share_of_the_whole_range_writes_no_row(tmp_path: Path) -> None:
    data = variant(tiny(), **GOV)
    data["CostShare"] = [{"country": "JP", "min_share": 0, "max_share": 1}]
    model = built(tmp_path, data)
    assert model.family(Family.SHARE_MIN) == {} and model.family(Family.SHARE_MAX) == {}


@pytest.mark.parametrize("family", list(CASES), ids=str)
def test_family_rows_pinned_after_build(tmp_path: Path, family: Family) -> None:
    changes, expected = CASES[family]
    model = built(tmp_path, variant(tiny(), **changes))
    assert rows(model, family) == expected


@pytest.mark.parametrize("family", list(CASES), ids=str)
def test_each_row_is_found_by_its_family_and_input_ids(tmp_path: Path, family: Family) -> None:
    changes, expected = CASES[family]
    model = built(tmp_path, variant(tiny(), **changes))
    for key, constraint in model.family(family).items():
        assert model.row(family, *key) is constraint
    assert len(model.family(family)) == len(expected)


def test_a_family_not_called_for_adds_no_row(tmp_path: Path) -> None:
    model = built(tmp_path, tiny())
    for family in (Family.PUBLIC, Family.TICKET_LO, Family.SCHEDULE, Family.LOCK_IN,
                   Family.LOCK_OUT, Family.REQUIRES, Family.EXCLUSIVE, Family.COVER,
                   Family.HOLD, Family.STOCK_CAP, Family.STOCK_LEVEL, Family.COUNTRY,
                   Family.SHARE_MIN, Family.SHARE_MAX):
        assert model.family(family) == {}
    assert model.row(Family.BUDGET, 2026) is None


def test_the_lexicographic_hold_row(tmp_path: Path) -> None:
    """HOLD rows are added by the driver, not by build: stage 2 keeps stage 1's shortfall."""
    model = built(tmp_path, tiny())
    PulpStages(model, SolverOptions(gap=0)).hold(Goal.SHORTFALL, 50.0)
    assert rows(model, Family.HOLD) == [
        ("lexicographic-shortfall", LE, {"s_0": 1, "s_1": 1}, 50)]


def test_ids_that_sanitise_alike_get_distinct_row_names(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[
        {**tiny()["Projects"][0], "project_id": "P-1"},
        {**tiny()["Projects"][1], "project_id": "P 1"}, tiny()["Projects"][2]],
        Offtake=[{**tiny()["Offtake"][0], "project_id": "P-1"},
                 {**tiny()["Offtake"][1], "project_id": "P 1"}, tiny()["Offtake"][2]])
    model = built(tmp_path, data)
    assert [name for name, *_ in rows(model, Family.GAP)] == ["gap-P_1", "gap-P_1~2", "gap-C"]
    assert model.row(Family.GAP, "P 1") is model.rows["gap-P_1~2"]


def test_every_constraint_family_has_a_pinned_case() -> None:
    assert set(CASES) | {Family.HOLD} == set(Family), (
        f"families without a build-only test: {set(Family) - set(CASES) - {Family.HOLD}}")
