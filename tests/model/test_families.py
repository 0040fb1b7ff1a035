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
}


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
                   Family.HOLD):
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
