"""The analyses in chain terms: reasons naming missing feed, regrets through the chain, the
min_cost diagnosis when feed is missing. Every figure is worked by hand in the comments.

The chain: mine M (capex 50) makes 1,000 t/y concentrate from 2027; separation plant S
(capex 40) turns 500 t/y concentrate into 100 t/y NdPr oxide; magnet plant X (capex 30)
would turn 2,100 t/y NdPr metal into 4,000 t/y magnets. NdPr oxide demand is 150 t in 2027
and 2028, magnet demand 1,000 t in 2028; one grant pool, budget 100.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portfolio.analysis.diagnose import diagnose
from portfolio.analysis.figures import Figures
from portfolio.analysis.rank import rank
from portfolio.analysis.reasons import rejection_reasons
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import demand, offtake, pool, project, settings, variant, write_book

OPTIONS = SolverOptions(gap=0)
CONC = {"sector": "magnets", "material": "mixed REO concentrate"}
METAL = {"sector": "magnets", "material": "NdPr metal"}
MAGNETS = {"sector": "magnets", "material": "NdFeB magnets"}


def chain(**sheets: Any) -> dict[str, Any]:
    """The module's chain, with some sheets replaced."""
    data = {
        "Settings": settings(),
        "Projects": [project("M", stage="mining", capex_musd=50), project("S", capex_musd=40),
                     project("X", stage="magnet", capex_musd=30)],
        "Offtake": [offtake("M", 1000, **CONC), offtake("S", 100),
                    offtake("X", 4000, **MAGNETS)],
        "Inputs": [{"project_id": "S", **CONC, "input_tpa": 500},
                   {"project_id": "X", **METAL, "input_tpa": 2100}],
        "Demand": [demand(2027, 150), demand(2028, 150),
                   {**MAGNETS, "year": 2028, "demand_t": 1000}],
        "Financing": [pool("G")],
    }
    return variant(data, **sheets)


def solved(tmp_path: Path, data: dict[str, Any]) -> Figures:
    case = load(write_book(tmp_path / "in.xlsx", data))
    return Figures(case, optimise(case, OPTIONS))


def test_a_converter_without_feed_is_rejected_for_it(tmp_path: Path) -> None:
    # Nothing makes NdPr metal: X can never run. M + S cost 90 and deliver 100 t of oxide in
    # 2027 and 2028: weighted shortfall 50 + 50 + 1,000 (magnets) = 1,100.
    figures = solved(tmp_path, chain())
    assert sorted(figures.solution.selected) == ["M", "S"]
    assert figures.first_objective == 1100
    assert rejection_reasons(figures)["X"] == (
        "Cannot run: would need 2,100 t/y magnets/NdPr metal at full output; the selected "
        "projects, supply and imports leave at most 0 t/y spare (2027).")


def test_a_converter_with_some_feed_is_weighed_by_what_it_adds(tmp_path: Path) -> None:
    # 300 t of allied metal in 2028 lets X run at 300/2,100 = 1/7: 4,000/7 = 571.4 t magnets.
    # X (30) does not fit beside M + S (90) in 100, and 571 t of magnets beat 200 t of oxide:
    # X alone leaves 150 + 150 + 428.6 = 728.6; M + S leave 1,100; M + X or S + X deliver
    # no more than X alone (S has no concentrate without M).
    figures = solved(tmp_path, chain(Supply=[{**METAL, "year": 2028, "supply_t": 300}]))
    assert figures.solution.selected == {"X"}
    assert abs(figures.weighted_shortfall - (300 + 1000 - 4000 / 7)) < 1e-6
    reasons = rejection_reasons(figures)
    # M adds nothing without S beside it; S cannot run without concentrate.
    assert reasons["M"] == ("Its magnets/mixed REO concentrate counts only through the "
                            "converters that consume it (S), none of which is selected.")
    assert reasons["S"].startswith("Cannot run: would need 500 t/y magnets/mixed REO "
                                   "concentrate")


def test_a_mines_regret_counts_the_oxide_its_concentrate_makes_possible(tmp_path: Path) -> None:
    # Without M, S has no concentrate (no imports): the oxide shortfall rises by 100 t in 2027
    # and in 2028, so M's regret is 200, exactly S's.
    case = load(write_book(tmp_path / "in.xlsx", chain()))
    base = Figures(case, optimise(case, OPTIONS))
    regrets = {r.project_id: r for r in rank(case, base, OPTIONS)}
    assert regrets["M"].shortfall == 200
    assert regrets["S"].shortfall == 200


def test_an_import_makes_the_mine_worth_less(tmp_path: Path) -> None:
    # Up to 500 t/y concentrate may be imported at weight 0.1 (50 per year at full use):
    # without M, S runs on imports and the first objective rises by only 2 x 50 = 100.
    data = chain(Imports=[{**CONC, "max_t": 500, "weight": 0.1}])
    case = load(write_book(tmp_path / "in.xlsx", data))
    base = Figures(case, optimise(case, OPTIONS))
    regrets = {r.project_id: r for r in rank(case, base, OPTIONS)}
    assert abs(regrets["M"].shortfall - 100) < 1e-6


def test_min_cost_names_the_missing_feed(tmp_path: Path) -> None:
    # min_cost must deliver every row; no concentrate can reach S without M, locked out.
    data = chain(Settings=settings(objective="min_cost"),
                 Projects=[project("M", stage="mining", capex_musd=50, lock="out"),
                           project("S", capex_musd=40), project("X", stage="magnet")],
                 Demand=[demand(2027, 100)])
    case = load(write_book(tmp_path / "in.xlsx", data))
    solution = optimise(case, OPTIONS)
    assert solution.status is Status.INFEASIBLE
    text = " ".join(diagnose(case, OPTIONS))
    assert ("min_cost cannot deliver magnets/NdPr oxide in 2027: the most any feasible "
            "portfolio delivers from allied chains is 0 t of 100 t") in text


def test_validation_warns_of_a_converter_that_can_never_run(tmp_path: Path) -> None:
    # X consumes NdPr metal, which no project, Supply or Imports row provides; M's
    # concentrate is consumed by S, so it draws no "covers nothing" warning.
    case = load(write_book(tmp_path / "in.xlsx", chain()))
    assert ("X consumes magnets/NdPr metal, which nothing provides: it can never run"
            in case.warnings)
    assert not any("mixed REO concentrate" in w for w in case.warnings)
    supplied = load(write_book(tmp_path / "s.xlsx",
                               chain(Supply=[{**METAL, "year": 2028, "supply_t": 300}])))
    assert not any("can never run" in w for w in supplied.warnings)


def test_an_export_ban_scenario_stops_the_imported_feed(tmp_path: Path) -> None:
    # Up to 2,100 t of NdPr metal may be imported in 2028 at weight 0.1. X needs 525 t of it
    # for the 1,000 t of magnets demanded (4,000 t/y from 2,100 t/y: 25%), so X alone leaves
    # 150 + 150 (oxide) + 0.1 x 525 = 352.5, better than M + S (1,100); X does not fit
    # beside both (120 > 100) and S adds nothing without M.
    # "Ban" (imports_factor 0 on NdPr metal) leaves the first test's answer: M + S, 1,100.
    # "Fifth" (0.2 on all) caps the import at 420 t: X runs at 20% and makes 800 t,
    # leaving 300 + 200 + 0.1 x 420 = 542, still better than M + S.
    from portfolio.inputs.scenarios import apply

    rows = [{"scenario": "Ban", "change": "imports_factor", "target": "NdPr metal", "value": 0},
            {"scenario": "Fifth", "change": "imports_factor", "target": "all", "value": 0.2}]
    data = chain(Imports=[{**METAL, "year": 2028, "max_t": 2100, "weight": 0.1}],
                 Scenarios=rows)
    case = load(write_book(tmp_path / "in.xlsx", data))
    base = Figures(case, optimise(case, OPTIONS))
    assert base.solution.selected == {"X"}
    assert abs(base.first_objective - 352.5) < 1e-6
    ban, fifth = (apply(case, s) for s in case.scenarios)
    banned = Figures(ban, optimise(ban, OPTIONS))
    assert sorted(banned.solution.selected) == ["M", "S"]
    assert banned.first_objective == 1100
    capped = Figures(fifth, optimise(fifth, OPTIONS))
    assert capped.solution.selected == {"X"}
    assert abs(capped.first_objective - 542) < 1e-6
    assert abs(capped.weighted_imports - 42) < 1e-6


def test_validate_counts_the_chain_rows(tmp_path: Path) -> None:
    from tests.helpers import cli

    run = cli("validate", write_book(tmp_path / "in.xlsx", chain()))
    assert run.code == 0
    assert run.stdout.strip().endswith(
        "valid: 3 projects, 1 pool, 3 demand rows, chains of 2 Inputs, 0 Supply and 0 Imports "
        "rows")


def test_validation_warns_of_a_converter_that_makes_nothing(tmp_path: Path) -> None:
    # X keeps its Inputs row but its Offtake row is gone: running it could only cost feed.
    data = chain(Offtake=[offtake("M", 1000, **CONC), offtake("S", 100)])
    case = load(write_book(tmp_path / "in.xlsx", data))
    assert ("X has Inputs rows but no Offtake row: it would consume feed and make nothing, so "
            "it never runs") in case.warnings
    assert not any("S has Inputs" in w for w in case.warnings)
