"""Hand-worked chain cases (issue 13): each solved through the product, every expected figure
worked by hand in the comments, never copied from a run.

Common ground: plan_start_year 2026 and 12-month lead times, so every project is online from
2027; one grant pool (budget cost = capex), total budget 100, gap 0. Commodities: mine
concentrate `magnets/mixed REO concentrate`, `magnets/NdPr oxide`, `magnets/NdPr metal`,
`magnets/NdFeB magnets` and `magnets/magnet swarf`. Demand weights are 1.
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
from portfolio.model.flows import NO_USE
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
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
CONC = {"sector": "magnets", "material": "mixed REO concentrate"}
OXIDE = {"sector": "magnets", "material": "NdPr oxide"}
METAL = {"sector": "magnets", "material": "NdPr metal"}
MAGNETS = {"sector": "magnets", "material": "NdFeB magnets"}
SWARF = {"sector": "magnets", "material": "magnet swarf"}
K_CONC, K_OXIDE, K_METAL = (demand_key(**c) for c in (CONC, OXIDE, METAL))
K_MAGNETS, K_SWARF = demand_key(**MAGNETS), demand_key(**SWARF)
CONC_LABEL, METAL_LABEL = "magnets/mixed REO concentrate", "magnets/NdPr metal"
SWARF_LABEL = "magnets/magnet swarf"


def book(**sheets: Any) -> dict[str, Any]:
    """Separation plant S (capex 40): 500 t/y concentrate -> 100 t/y NdPr oxide; no mine."""
    data = {
        "Settings": settings(),
        "Projects": [project("S", capex_musd=40)],
        "Offtake": [offtake("S", 100)],
        "Inputs": [{"project_id": "S", **CONC, "input_tpa": 500}],
        "Demand": [demand(2027, 150), demand(2028, 150)],
        "Financing": [pool("G")],
    }
    return variant(data, **sheets)


def mine(tpa: float, **values: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mine M (capex 50) making `tpa` t/y concentrate: its Projects and Offtake rows."""
    return project("M", stage="mining", capex_musd=50, **values), offtake("M", tpa, **CONC)


def loaded(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> Case:
    return load(write_book(tmp_path / name, data))


def solved(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> Figures:
    case = loaded(tmp_path, data, name)
    return Figures(case, optimise(case, OPTIONS))


def solve_cli(folder: Path, data: dict[str, Any], *args: str) -> dict[str, pd.DataFrame]:
    source, target = write_book(folder / "in.xlsx", data), folder / "out.xlsx"
    run = cli("solve", source, "-o", target, *FAST, *args)
    assert run.code == 0, run.stderr
    return read_output(target)


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: ("" if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def flow_row(commodity: dict[str, str], year: int, *tonnes: float) -> dict[str, Any]:
    names = ("production_t", "supply_t", "released_t", "imports_t", "consumed_t",
             "delivered_t", "demand_t", "surplus_t")
    return {**commodity, "year": year, **dict(zip(names, tonnes, strict=True))}


def test_a_mine_feeding_a_separation_plant(tmp_path: Path) -> None:
    # M makes 400 t/y concentrate; oxide demand 150 t (2027) and 50 t (2028). M + S cost 90
    # (fits 100); either alone delivers nothing, so both are selected.
    # 2027: S can run at 400/500 = 80%: 80 t oxide delivered, shortfall 70; it consumes all
    #   400 t concentrate (surplus 0), so the concentrate holds it back.
    # 2028: 50 t are wanted: S runs at 50/100 = 50%, consuming 250 t; 400 - 250 = 150 t of
    #   concentrate is left over, so it is held back by the demand, not the feed.
    # Weighted shortfall 70 + 0 = 70; no imports; coverage 80/150 = 53.33% and 100%.
    m_row, m_offtake = mine(400)
    data = book(Projects=[m_row, project("S", capex_musd=40)],
                Offtake=[m_offtake, offtake("S", 100)],
                Demand=[demand(2027, 150), demand(2028, 50)])
    sheets = solve_cli(tmp_path, data)
    assert rows(sheets["Utilisation"]) == [
        {"project_id": "S", "year": 2027, "utilisation_pct": 80, "limited_by": CONC_LABEL},
        {"project_id": "S", "year": 2028, "utilisation_pct": 50, "limited_by": NO_USE}]
    assert rows(sheets["Flows"]) == [
        flow_row(OXIDE, 2027, 80, 0, 0, 0, 0, 80, 150, 0),
        flow_row(OXIDE, 2028, 50, 0, 0, 0, 0, 50, 50, 0),
        flow_row(CONC, 2027, 400, 0, 0, 0, 400, 0, 0, 0),
        flow_row(CONC, 2028, 400, 0, 0, 0, 250, 0, 0, 150)]
    coverage = sheets["Coverage"]
    assert list(coverage["supply_t"]) == [80, 50]
    assert list(coverage["shortfall_t"]) == [70, 0]
    assert list(coverage["coverage_pct"]) == pytest.approx([100 * 80 / 150, 100])
    top = summary(sheets)
    assert top["weighted_shortfall"] == 70 and top["weighted_imports"] == 0
    assert top["total_budget_cost_musd"] == 90
    assert sorted(sheets["Selection"]["project_id"]) == ["M", "S"]


def test_an_import_cap_binds(tmp_path: Path) -> None:
    # No mine: S runs on imported concentrate only, capped at 200 t (2027, weight 0.1) and
    # 100 t (2028, weight 0.15). An imported tonne makes 100/500 = 0.2 t oxide, cutting the
    # weighted shortfall by 0.2 > 0.15 > 0.1: S imports up to each cap.
    # 2027: S at 200/500 = 40%: 40 t oxide, shortfall 110. 2028: 100/500 = 20%: 20 t,
    # shortfall 130. Weighted shortfall 240; weighted imports 0.1 x 200 + 0.15 x 100 = 35.
    # Without S the first objective is 300 > 240 + 35 = 275, so S (40) is selected.
    data = book(Imports=[{**CONC, "year": 2027, "max_t": 200, "weight": 0.1},
                         {**CONC, "year": 2028, "max_t": 100, "weight": 0.15}])
    sheets = solve_cli(tmp_path, data)
    flows = rows(sheets["Flows"])
    assert flows == [
        flow_row(OXIDE, 2027, 40, 0, 0, 0, 0, 40, 150, 0),
        flow_row(OXIDE, 2028, 20, 0, 0, 0, 0, 20, 150, 0),
        flow_row(CONC, 2027, 0, 0, 0, 200, 200, 0, 0, 0),
        flow_row(CONC, 2028, 0, 0, 0, 100, 100, 0, 0, 0)]
    caps = {2027: 200, 2028: 100}
    assert all(r["imports_t"] == caps[r["year"]] for r in flows
               if r["material"] == CONC["material"])
    assert rows(sheets["Utilisation"]) == [
        {"project_id": "S", "year": 2027, "utilisation_pct": 40, "limited_by": CONC_LABEL},
        {"project_id": "S", "year": 2028, "utilisation_pct": 20, "limited_by": CONC_LABEL}]
    top = summary(sheets)
    assert top["weighted_shortfall"] == pytest.approx(240)
    assert top["weighted_imports"] == pytest.approx(0.1 * 200 + 0.15 * 100)


def supplied(**sheets: Any) -> dict[str, Any]:
    """S with 30 t oxide Supply in 2027 and 250 t concentrate Supply in 2028; 100 t demand."""
    return book(Supply=[{**OXIDE, "year": 2027, "supply_t": 30},
                        {**CONC, "year": 2028, "supply_t": 250}],
                Demand=[demand(2027, 100), demand(2028, 100)], **sheets)


def test_existing_supply_is_delivered_and_used_as_feed(tmp_path: Path) -> None:
    # No imports. 2027: the 30 t oxide Supply goes to Demand directly; S has no feed (0%):
    # shortfall 70. 2028: S runs on the 250 t concentrate Supply at 250/500 = 50%: 50 t,
    # shortfall 50. S (40) cuts the shortfall from 170 to 120, so it is selected.
    figures = solved(tmp_path, supplied())
    assert figures.solution.selected == {"S"}
    found = figures.flows
    assert found is not None
    assert found.utilisation == {("S", 2027): 0.0, ("S", 2028): 0.5}
    assert found.limited_by == {("S", 2027): CONC_LABEL, ("S", 2028): CONC_LABEL}
    assert [r.supply_t for r in figures.coverage] == [30, 50]
    assert found.consumed == {(K_CONC, 2028): 250}
    assert found.imports == {}
    assert figures.weighted_shortfall == 120 and figures.first_objective == 120


def test_a_blank_import_cap_is_unlimited_and_a_zero_cap_is_none(tmp_path: Path) -> None:
    # Blank max_t, weight 0.1 on every plan year (2026-2028; nothing runs in 2026).
    # 2027: 30 t oxide Supply + S at 70% = 100 t (S runs no more: the least imports, 350 t,
    # weighted 35). 2028: S at 100% needs 500 t: 250 t Supply + 250 t imported (weighted 25).
    # Shortfall 0; weighted imports 60.
    blank = loaded(tmp_path, supplied(Imports=[{**CONC, "max_t": None, "weight": 0.1}]), "b.xlsx")
    assert blank.import_terms == {(K_CONC, y): (None, 0.1) for y in (2026, 2027, 2028)}
    figures = Figures(blank, optimise(blank, OPTIONS))
    found = figures.flows
    assert found is not None
    assert found.utilisation == pytest.approx({("S", 2027): 0.7, ("S", 2028): 1.0})
    assert found.limited_by == {("S", 2027): NO_USE}
    assert found.imports == pytest.approx({(K_CONC, 2027): 350, (K_CONC, 2028): 250})
    assert figures.weighted_shortfall == pytest.approx(0)
    assert figures.weighted_imports == pytest.approx(60)
    # A 0 cap allows no import: the same flows as without an Imports sheet (shortfall 120).
    zero = loaded(tmp_path, supplied(Imports=[{**CONC, "max_t": 0, "weight": 0.1}]), "z.xlsx")
    assert zero.import_terms == {(K_CONC, y): (0.0, 0.1) for y in (2026, 2027, 2028)}
    capped = Figures(zero, optimise(zero, OPTIONS))
    assert capped.flows is not None and capped.flows.imports == {}
    assert capped.flows.utilisation == {("S", 2027): 0.0, ("S", 2028): 0.5}
    assert capped.first_objective == 120


def loop(metal_t: float | None, **values: Any) -> dict[str, Any]:
    """Magnet plant X (capex 30): 450 t/y metal -> 1,000 t/y magnets + 300 t/y swarf;
    recycler R (capex 20): 300 t/y swarf -> 90 t/y metal. Magnet demand 1,000 t a year;
    `metal_t` t/y of metal Supply (None: none)."""
    data = book(
        Projects=[project("X", stage="magnet", capex_musd=30, **values),
                  project("R", stage="recycling", capex_musd=20, **values)],
        Offtake=[offtake("X", 1000, **MAGNETS), offtake("X", 300, **SWARF),
                 offtake("R", 90, **METAL)],
        Inputs=[{"project_id": "X", **METAL, "input_tpa": 450},
                {"project_id": "R", **SWARF, "input_tpa": 300}],
        Demand=[{**MAGNETS, "year": year, "demand_t": 1000} for year in (2027, 2028)],
        Supply=[{**METAL, "year": year, "supply_t": metal_t} for year in (2027, 2028)],
    )
    if metal_t is None:
        del data["Supply"]
    return data


def test_a_recycling_loop_stretches_the_metal(tmp_path: Path) -> None:
    # X at u needs 450u metal, R at v <= u (swarf 300v <= 300u) gives back 90v:
    # 450u <= 180 + 90v <= 180 + 90u, so u <= 180/360 = 50%, reached with v = u.
    # Each year: 500 t magnets (shortfall 500), 150 t swarf all recycled, R makes 45 t metal,
    # X consumes 225 = 180 + 45. Without R: u = 180/450 = 40%, shortfall 600 a year. So X + R
    # (50) are selected; weighted shortfall 1,000.
    figures = solved(tmp_path, loop(180))
    assert figures.solution.selected == {"X", "R"}
    found = figures.flows
    assert found is not None
    for year in (2027, 2028):
        assert found.utilisation[("X", year)] == pytest.approx(0.5)
        assert found.utilisation[("R", year)] == pytest.approx(0.5)
        assert found.limited_by[("X", year)] == METAL_LABEL
        assert found.limited_by[("R", year)] == SWARF_LABEL
        assert found.production[(K_MAGNETS, year)] == pytest.approx(500)
        assert found.production[(K_SWARF, year)] == pytest.approx(150)
        assert found.consumed[(K_SWARF, year)] == pytest.approx(150)
        assert found.production[(K_METAL, year)] == pytest.approx(45)
        assert found.consumed[(K_METAL, year)] == pytest.approx(180 + 45)
    # Nothing is created from nothing: every balance closes with no surplus.
    assert all(abs(t) < 1e-6 for t in found.surplus().values())
    assert figures.weighted_shortfall == pytest.approx(1000)


def test_a_recycling_loop_closes_the_gap_exactly(tmp_path: Path) -> None:
    # 360 t/y metal: 450u <= 360 + 90u gives u = 1: R's 90 t close the 450 - 360 gap.
    figures = solved(tmp_path, loop(360))
    assert figures.flows is not None
    assert figures.flows.utilisation == pytest.approx({("X", 2027): 1, ("X", 2028): 1,
                                                       ("R", 2027): 1, ("R", 2028): 1})
    assert figures.weighted_shortfall == pytest.approx(0)


def test_a_recycling_loop_cannot_self_start(tmp_path: Path) -> None:
    # No metal Supply: 450u <= 90v <= 90u forces u = v = 0. Nothing delivers, so the cheapest
    # portfolio with the least shortfall (2,000) is the empty one.
    figures = solved(tmp_path, loop(None), "free.xlsx")
    assert figures.solution.selected == set()
    assert figures.weighted_shortfall == 2000
    # Locked in, both plants run at 0% for want of each other's output.
    locked = solved(tmp_path, loop(None, lock="in"), "locked.xlsx")
    assert locked.solution.selected == {"X", "R"}
    found = locked.flows
    assert found is not None
    assert found.utilisation == {(p, y): 0.0 for p in "XR" for y in (2027, 2028)}
    assert found.limited_by == {**{("X", y): METAL_LABEL for y in (2027, 2028)},
                                **{("R", y): SWARF_LABEL for y in (2027, 2028)}}
    assert found.production == {} and found.consumed == {}
    assert locked.weighted_shortfall == 2000


def never(**values: Any) -> dict[str, Any]:
    """S on 500 t concentrate Supply (2027) beside magnet plant X (capex 30), whose
    2,100 t/y NdPr metal nothing provides; 100 t oxide and 1,000 t magnet demand in 2027."""
    return book(
        Projects=[project("S", capex_musd=40), project("X", stage="magnet", capex_musd=30,
                                                       **values)],
        Offtake=[offtake("S", 100), offtake("X", 4000, **MAGNETS)],
        Inputs=[{"project_id": "S", **CONC, "input_tpa": 500},
                {"project_id": "X", **METAL, "input_tpa": 2100}],
        Supply=[{**CONC, "year": 2027, "supply_t": 500}],
        Demand=[demand(2027, 100), {**MAGNETS, "year": 2027, "demand_t": 1000}],
    )


def test_a_converter_that_can_never_run(tmp_path: Path) -> None:
    run = cli("validate", write_book(tmp_path / "in.xlsx", never()))
    assert run.code == 0, run.stderr
    assert ("warning: X consumes magnets/NdPr metal, which nothing provides: it can never run"
            in run.stderr)
    # S runs at 100% on the Supply: 100 t oxide, no oxide shortfall. X adds nothing, so it is
    # not selected: weighted shortfall 1,000 (magnets), budget cost 40.
    figures = solved(tmp_path, never(), "free.xlsx")
    assert figures.solution.selected == {"S"}
    assert figures.weighted_shortfall == 1000 and figures.total_cost == 40
    # Locked in, X runs at 0% for want of metal; the shortfall stays 1,000, the cost 70.
    locked = solved(tmp_path, never(lock="in"), "locked.xlsx")
    assert locked.solution.selected == {"S", "X"}
    assert locked.flows is not None
    # The plan (2026-2027) ends with the last Demand year; X is online from 2027.
    assert locked.flows.utilisation == {("S", 2027): 1.0, ("X", 2027): 0.0}
    assert locked.flows.limited_by == {("X", 2027): METAL_LABEL}
    assert locked.weighted_shortfall == 1000 and locked.total_cost == 70


def test_min_cost_with_feed_missing_is_infeasible(tmp_path: Path) -> None:
    # min_cost must deliver 100 t oxide in 2027. M makes 100 t/y concentrate and at most
    # 200 t may be imported: S can run at (100 + 200)/500 = 60% at most, 60 t of 100 t.
    m_row, m_offtake = mine(100)
    data = book(Settings=settings(objective="min_cost"),
                Projects=[m_row, project("S", capex_musd=40)],
                Offtake=[m_offtake, offtake("S", 100)],
                Imports=[{**CONC, "max_t": 200, "weight": 0.5}],
                Demand=[demand(2027, 100)])
    source, target = write_book(tmp_path / "in.xlsx", data), tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", target, *FAST)
    assert run.code == ExitCode.INFEASIBLE == 4, run.stderr
    line = ("min_cost cannot deliver magnets/NdPr oxide in 2027: the most any feasible "
            "portfolio delivers from allied chains is 60 t of 100 t (S runs at 60% for want of "
            "magnets/mixed REO concentrate).")
    assert line in run.stderr
    sheets = read_output(target)
    assert summary(sheets)["status"] == "infeasible"
    assert line in " ".join(map(str, sheets["Diagnosis"].iloc[:, 1]))


def test_imports_are_never_delivered_to_demand(tmp_path: Path) -> None:
    # 100 t concentrate demanded in 2027; M makes 40 t/y; imports of concentrate are unlimited
    # and free (weight 0), but only converters may use them and there are none: 40 t
    # delivered, shortfall 60, nothing imported.
    m_row, m_offtake = mine(40)
    data = book(Projects=[m_row], Offtake=[m_offtake],
                Imports=[{**CONC, "max_t": None, "weight": 0}],
                Demand=[{**CONC, "year": 2027, "demand_t": 100}])
    del data["Inputs"]
    figures = solved(tmp_path, data)
    assert figures.case.chains
    assert figures.solution.selected == {"M"}
    assert figures.flows is not None and figures.flows.imports == {}
    assert [r.supply_t for r in figures.coverage] == [40]
    assert figures.weighted_shortfall == 60 and figures.weighted_imports == 0


#: Summary rows that differ between any two runs (timings, the input file's hash).
VOLATILE = {"input_sha256"}


def steady(sheets: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The Summary without its volatile rows, blanks as ''."""
    return {k: ("" if pd.isna(v) else v) for k, v in summary(sheets).items()
            if k not in VOLATILE and not k.endswith("_seconds")}


def test_an_empty_inputs_sheet_solves_as_without_it(tmp_path: Path) -> None:
    # tiny(): A (60, 100 t/y), B (50, 80 t/y), C (30, 60 t/y from 2028); 150 t in 2027 and
    # 2028; budget 100. A + C (90): shortfall 50 + 0 = 50; B + C (80): 70 + 10 = 80; A + B
    # costs 110; A alone 100. So A + C, weighted shortfall 50, cost 90.
    plain_dir, empty_dir = tmp_path / "plain", tmp_path / "empty"
    plain_dir.mkdir()
    empty_dir.mkdir()
    plain = solve_cli(plain_dir, tiny())
    header = [["project_id", "sector", "material", "input_tpa"]]
    empty = solve_cli(empty_dir, variant(tiny(), Inputs=header))
    assert list(empty) == list(plain) and "Flows" not in empty
    first, second = summary(plain), summary(empty)
    assert first["weighted_shortfall"] == 50 and first["total_budget_cost_musd"] == 90
    assert "weighted_imports" not in second
    assert len(steady(plain)) > 30 and steady(plain) == steady(empty)
    assert empty["Coverage"].equals(plain["Coverage"])


def test_demand_only_imports_provide_is_warned_as_uncovered(tmp_path: Path) -> None:
    # The concentrate demand can only be met by a project or Supply; imports feed converters
    # only, so nothing can ever deliver it, as with no Imports row at all.
    data = book(Imports=[{**CONC, "max_t": None, "weight": 0}],
                Demand=[demand(2027, 150), {**CONC, "year": 2027, "demand_t": 100}])
    case = loaded(tmp_path, data)
    assert ("Demand: no project delivers magnets/mixed REO concentrate; that demand stays "
            "uncovered") in case.warnings
