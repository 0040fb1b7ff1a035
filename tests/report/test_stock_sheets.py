"""The stockpile and government output: Stockpiles and Countries sheets, stock costs on Budget
and Summary, releases on Flows, the Guide, cues, charts and the JSON. Figures worked by hand.

The common case (`build`): plan 2026-2028, NdPr oxide demand 100 t in each year (weight 1),
budget 100. Mine M (capex 50, Japanese, 12 months' lead: online 2027) makes 100 t/y. Grant
pools G (US) and J (JP), budget cost rate 1. Stockpile K (US, magnets/NdPr oxide) costs
100 USD/kg = 0.1 USD m/t, holds at most 100 t, buys only in 2026, holding 10% a year.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pandas as pd
import pytest

from tests.helpers import (
    call,
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

ROOT = Path(__file__).resolve().parents[2]
STOCK = ("stockpile_id", "country", "sector", "material", "year", "bought_t", "released_t",
         "stock_t", "budget_cost_musd", "held_t", "purchase_cost_musd", "holding_cost_musd")
COUNTRY = ("country", "year", "budget_cost_musd", "limit_musd", "share_pct", "headroom_musd",
           "min_share_pct", "max_share_pct")
FLOW = ("sector", "material", "year", "production_t", "supply_t", "released_t", "imports_t",
        "consumed_t", "delivered_t", "demand_t", "surplus_t")
BUDGET = ("year", "budget_cost_musd", "limit_musd", "headroom_musd")


def stockpile(max_stock_t: float, **values: Any) -> dict[str, Any]:
    """Stockpile K of the module docstring."""
    return {"stockpile_id": "K", "country": "US", "sector": "magnets",
            "material": "NdPr oxide", "price_usd_per_kg": 100, "max_stock_t": max_stock_t,
            "buy_until_year": 2026, "holding_cost_pct": 10} | values


def book(max_stock_t: float, **sheets: Any) -> dict[str, Any]:
    """The module's case, K holding at most `max_stock_t` tonnes."""
    return {
        "Settings": settings(),
        "Projects": [project("M", capex_musd=50, country="JP", stage="mining")],
        "Offtake": [offtake("M", 100)],
        "Demand": [demand(2026, 100), demand(2027, 100), demand(2028, 100)],
        "Financing": [pool("G", country="US"), pool("J", country="JP")],
        "Stockpiles": [stockpile(max_stock_t)],
    } | sheets


def solve(folder: Path, data: dict[str, Any]) -> Path:
    """Solve through the command line (in process: the same code path as the real CLI)."""
    target = folder / "out.xlsx"
    run = call("solve", write_book(folder / "in.xlsx", data), "-o", target, "--no-frontier",
               "--no-sensitivity", "--rank", "none", "--json", folder / "out.json")
    assert run.code == 0, run.stderr
    return target


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stock for 2026, the mine from 2027; the US pays the stock, Japan the mine.

    The 2026 tonnes can only come from K (M is online from 2027), so K buys its full 100 t
    in 2026 (10 USD m) and releases them that year. Holding is 10% of the 10 USD m bought,
    1 USD m in each of 2026, 2027 and 2028 (charged on stock as bought, so after the
    release too): K costs 11 + 1 + 1 = 13. 200 t more stock cannot be held, so M covers
    2027 and 2028: weighted shortfall 0, budget cost 50 + 13 = 63.
    CountryBudgets: 'us' (any spelling) 13 over the plan, JP 55 in 2026; CostShare: JP
    between 50% and 90%. The US limit is used up by K, so M's 50 comes from J (Japan):
    JP pays 50 of 63 = 79.4%, inside its share, and 50 <= 55 in 2026.
    """
    data = book(100, CountryBudgets=[{"country": "us", "budget_musd": 13},
                                     {"country": "JP", "year": 2026, "budget_musd": 55}],
                CostShare=[{"country": "JP", "min_share": 0.5, "max_share": 0.9}])
    return solve(tmp_path_factory.mktemp("build"), data)


@pytest.fixture(scope="module")
def stock_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """K may hold 300 t: buying 300 t in 2026 costs 30 + 3 x 3 holding = 39 and covers all
    three years, against 63 for the mine and 100 t of stock: no project is chosen."""
    return solve(tmp_path_factory.mktemp("stock"), book(300))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def expect(names: tuple[str, ...], *rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows as records; numbers compared within the solver's hold tolerance (1e-6)."""
    return [{n: pytest.approx(v, rel=1e-6, abs=1e-6) if isinstance(v, float | int) and
             not isinstance(v, bool) else v for n, v in zip(names, row, strict=True)}
            for row in rows]


def test_stockpiles_sheet_of_stock_then_build(build: Path) -> None:
    sheets = read_output(build)
    # 2026: buys 100 t (10 USD m) and releases all of them, year-end stock 0; holding 10% of
    # the 10 USD m bought to date = 1 in every year, the stock released or not.
    assert records(sheets["Stockpiles"]) == expect(
        STOCK,
        ("K", "US", "magnets", "NdPr oxide", 2026, 100, 100, 0, 11, 100, 10, 1),
        ("K", "US", "magnets", "NdPr oxide", 2027, 0, 0, 0, 1, 100, 0, 1),
        ("K", "US", "magnets", "NdPr oxide", 2028, 0, 0, 0, 1, 100, 0, 1))


def test_budget_and_summary_carry_the_stock_costs(build: Path) -> None:
    sheets = read_output(build)
    # 2026: M's 50 (disbursed in its start year) + K's 11; 2027 and 2028: K's holding 1.
    assert records(sheets["Budget"]) == expect(
        BUDGET, (2026, 61, None, None), (2027, 1, None, None), (2028, 1, None, None),
        ("total", 63, 100, 37))
    top = summary(sheets)
    assert top["total_budget_cost_musd"] == pytest.approx(63, rel=1e-6)
    assert top["stockpile_cost_musd"] == pytest.approx(13, rel=1e-6)
    assert top["weighted_shortfall"] == pytest.approx(0, abs=1e-5)
    metrics = list(sheets["Summary"]["metric"])
    assert metrics.index("stockpile_cost_musd") == metrics.index("total_budget_cost_musd") + 1
    notes = sheets["Summary"].set_index("metric")["note"]
    assert "stockpiles" in notes["total_budget_cost_musd"]
    # Japan pays the mine: J's face value is 50, G's nothing.
    face = sheets["Financing"].groupby("pool_id")["face_value_musd"].sum()
    assert face["J"] == pytest.approx(50, rel=1e-6)
    assert face.get("G", 0.0) == pytest.approx(0, abs=1e-5)


def test_countries_sheet_of_stock_then_build(build: Path) -> None:
    # US: K's 11, 1, 1 = 13 of the US limit 13 (spelt 'us' on CountryBudgets, 'US' first on
    # Financing): headroom 0. Shares of each year's budget cost: 11/61 = 18.03%, 1/1, 1/1;
    # of the total 13/63 = 20.63%. JP: M's 50 in 2026 against 55 (headroom 5), 50/61 =
    # 81.97%; 50/63 = 79.37% of the total, cost share 50-90%; no whole-plan limit. JP has
    # no cost and no limit in 2027 or 2028: no rows.
    assert records(read_output(build)["Countries"]) == expect(
        COUNTRY,
        ("US", 2026, 11, None, 100 * 11 / 61, None, None, None),
        ("US", 2027, 1, None, 100, None, None, None),
        ("US", 2028, 1, None, 100, None, None, None),
        ("US", "total", 13, 13, 100 * 13 / 63, 0, None, None),
        ("JP", 2026, 50, 55, 100 * 50 / 61, 5, None, None),
        ("JP", "total", 50, None, 100 * 50 / 63, None, 50, 90))


def test_flows_count_the_released_tonnes(build: Path) -> None:
    sheets = read_output(build)
    # 2026: nothing made, 100 t released and delivered; 2027-2028: M's 100 t delivered.
    # surplus = production + supply + released + imports - consumed - delivered = 0.
    assert records(sheets["Flows"]) == expect(
        FLOW, ("magnets", "NdPr oxide", 2026, 0, 0, 100, 0, 0, 100, 100, 0),
        ("magnets", "NdPr oxide", 2027, 100, 0, 0, 0, 0, 100, 100, 0),
        ("magnets", "NdPr oxide", 2028, 100, 0, 0, 0, 0, 100, 100, 0))
    assert list(sheets["Chains"]["allied_t"]) == pytest.approx([100, 100, 100], rel=1e-6)
    assert list(sheets["Coverage"]["supply_t"]) == pytest.approx([100, 100, 100], rel=1e-6)


def test_sheet_order_index_guide_cues_and_charts(build: Path) -> None:
    wb = openpyxl.load_workbook(build)
    names = wb.sheetnames
    at = names.index("Coverage")
    assert names[at:at + 7] == ["Coverage", "Flows", "Utilisation", "Chains", "Stockpiles",
                                "Budget", "Countries"]
    links = {c.value: c.offset(column=1).value for c in wb["Summary"]["J"] if c.hyperlink}
    assert "held" in links["Stockpiles"] and "government" in links["Countries"]
    guide = {(r[0].value, r[1].value): r[3].value for r in wb["Guide"].iter_rows(min_row=2)}
    for sheet in ("Stockpiles", "Countries"):
        for cell in wb[sheet][1]:
            assert guide[(sheet, cell.value)] and cell.comment is not None, (sheet, cell.value)
    assert "held ready" in guide[("Stockpiles", "held_t")]
    assert "stockpile" in guide[("Budget", "budget_cost_musd")]
    assert "stockpiles" in guide[("Flows", "released_t")]
    assert (wb["Stockpiles"].freeze_panes, wb["Countries"].freeze_panes) == ("B2", "C2")
    rules = [r.formula for cf in wb["Countries"].conditional_formatting for r in cf.rules]
    assert rules == [["AND(ISNUMBER($F2),$F2<=0.000001)"]]  # headroom 0: the US total row
    stock = wb["Stockpiles"]._charts
    assert len(stock) == 1
    assert [(type(c).__name__, [s.val.numRef.f for s in c.series]) for c in stock[0]._charts] \
        == [("BarChart", ["'Stockpiles'!$G$2:$G$4"]), ("LineChart", ["'Stockpiles'!$H$2:$H$4"])]
    assert "K (US, magnets/NdPr oxide)" in _title(stock[0])
    country = wb["Countries"]._charts
    assert [_title(c) for c in country] == [
        "US: budget cost by year against its limits (whole plan: 13.0 of 13.0 USD m)",
        "JP: budget cost by year against its limits"]
    assert [[s.val.numRef.f for s in sub.series] for sub in country[1]._charts] == [
        ["'Countries'!$C$6"], ["'Countries'!$D$6"]]  # JP's 2026 cost and limit


def _title(chart: Any) -> str:
    return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))


def test_json_holds_the_new_sheets_and_validates(build: Path) -> None:
    document = json.loads(build.with_name("out.json").read_text())
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    sheets = read_output(build)
    for name in ("Stockpiles", "Countries"):  # the cells: 16 digits (openpyxl), JSON 17
        written = records(sheets[name])
        assert document[name] == [{k: pytest.approx(v, rel=1e-15) if isinstance(v, float | int)
                                   else v for k, v in row.items()} for row in written]
    assert document["Countries"][3] == {
        "country": "US", "year": "total", "budget_cost_musd": pytest.approx(13, rel=1e-6),
        "limit_musd": 13.0, "share_pct": pytest.approx(100 * 13 / 63, rel=1e-6),
        "headroom_musd": 0.0, "min_share_pct": None, "max_share_pct": None}
    metrics = {r["metric"]: r["value"] for r in document["Summary"]}
    assert metrics["stockpile_cost_musd"] == pytest.approx(13, rel=1e-6)


def test_a_stockpile_only_portfolio(stock_only: Path) -> None:
    sheets = read_output(stock_only)
    # 300 t bought in 2026 (30 USD m), 100 t released each year: year-end stock 200, 100, 0.
    # Holding 10% of 30 = 3 in every year on the 300 t bought.
    assert records(sheets["Stockpiles"]) == expect(
        STOCK,
        ("K", "US", "magnets", "NdPr oxide", 2026, 300, 100, 200, 33, 300, 30, 3),
        ("K", "US", "magnets", "NdPr oxide", 2027, 0, 100, 100, 3, 300, 0, 3),
        ("K", "US", "magnets", "NdPr oxide", 2028, 0, 100, 0, 3, 300, 0, 3))
    assert records(sheets["Budget"]) == expect(
        BUDGET, (2026, 33, None, None), (2027, 3, None, None), (2028, 3, None, None),
        ("total", 39, 100, 61))
    # Countries is written for stock alone: the US pays everything; Japan (pool J) nothing.
    assert records(sheets["Countries"]) == expect(
        COUNTRY, ("US", 2026, 33, None, 100, None, None, None),
        ("US", 2027, 3, None, 100, None, None, None),
        ("US", 2028, 3, None, 100, None, None, None),
        ("US", "total", 39, None, 100, None, None, None),
        ("JP", "total", 0, None, 0, None, None, None))
    top = summary(sheets)
    assert top["projects_selected"] == 0
    assert top["stockpile_cost_musd"] == pytest.approx(39, rel=1e-6)
    assert top["total_budget_cost_musd"] == pytest.approx(39, rel=1e-6)
    assert records(sheets["Flows"]) == expect(
        FLOW, *(("magnets", "NdPr oxide", y, 0, 0, 100, 0, 0, 100, 100, 0)
                for y in (2026, 2027, 2028)))
    # No converter: Utilisation holds only its header; the chain chart still plots.
    assert sheets["Utilisation"].empty
    assert list(sheets["Chains"]["allied_t"]) == pytest.approx([100, 100, 100], rel=1e-6)
    wb = openpyxl.load_workbook(stock_only)
    assert len(wb["Chains"]._charts) == 1 and len(wb["Stockpiles"]._charts) == 1
    assert len(wb["Countries"]._charts) == 1  # JP has no year rows: no chart


def test_annual_budget_rows_line_up_with_the_stock_costs(tmp_path: Path) -> None:
    # The stock-only case with limits that just hold it: 2026 costs 33 (limit 33: headroom
    # 0), 2027 costs 3 (limit 5: 2), 2028 costs 3 (no row), total 39 of 39.
    data = book(300, Settings=settings(total_budget_musd=39),
                Budget=[{"year": 2026, "budget_musd": 33}, {"year": 2027, "budget_musd": 5}])
    sheets = read_output(solve(tmp_path, data))
    assert records(sheets["Budget"]) == expect(
        BUDGET, (2026, 33, 33, 0), (2027, 3, 5, 2), (2028, 3, None, None), ("total", 39, 39, 0))
    assert list(sheets["Stockpiles"]["bought_t"]) == pytest.approx([300, 0, 0], rel=1e-6)


def test_countries_of_governments_without_stock(tmp_path: Path) -> None:
    # tiny(): A (60, 100 t/y) and C (30, 60 t/y from 2028) are the best portfolio within 100
    # (shortfall 50 + 0; A+B costs 110, B+C leaves 70 + 10), cost 90, all disbursed in
    # 2026. The US pays exactly 40% of it through pool U: 36; the rest, 54, comes from G,
    # which names no country.
    data = variant(tiny(), Financing=[pool("G"), pool("U", country="US")],
                   CostShare=[{"country": "US", "min_share": 0.4, "max_share": 0.4}])
    sheets = read_output(solve(tmp_path, data))
    assert records(sheets["Countries"]) == expect(
        COUNTRY, ("US", 2026, 36, None, 40, None, None, None),
        ("US", "total", 36, None, 40, None, 40, 40),
        ("(no country)", 2026, 54, None, 60, None, None, None),
        ("(no country)", "total", 54, None, 60, None, None, None))
    assert "Stockpiles" not in sheets and "Flows" not in sheets
    assert "stockpile_cost_musd" not in summary(sheets)
    names = list(sheets)
    assert names[names.index("Budget") + 1] == "Countries"


@pytest.mark.parametrize("extra", [{}, {"Supply": [{"sector": "magnets",
                                                    "material": "NdPr oxide", "year": 2027,
                                                    "supply_t": 10}]}],
                         ids=["v1", "chains-only"])
def test_v1_and_chains_only_workbooks_get_no_stock_output(tmp_path: Path,
                                                          extra: dict[str, Any]) -> None:
    target = solve(tmp_path, variant(tiny(), **extra))
    sheets = read_output(target)
    assert not {"Stockpiles", "Countries"} & set(sheets)
    top = summary(sheets)
    assert "stockpile_cost_musd" not in top
    notes = sheets["Summary"].set_index("metric")["note"]
    assert "stockpiles" not in notes["total_budget_cost_musd"]
    document = json.loads(target.with_name("out.json").read_text())
    assert not {"Stockpiles", "Countries"} & set(document)
    if extra:  # the chain sheets are there, with nothing released
        assert list(sheets["Flows"]["released_t"]) == [0] * len(sheets["Flows"])


def test_an_infeasible_stock_workbook_writes_empty_sheets(tmp_path: Path) -> None:
    # min_cost must cover all 300 t; K holds at most 100 t and M delivers from 2027 only,
    # and M is locked out: 200 t cannot be covered.
    data = book(100, Settings=settings(objective="min_cost"),
                Projects=[project("M", capex_musd=50, country="JP", lock="out")])
    target = tmp_path / "out.xlsx"
    run = call("solve", write_book(tmp_path / "in.xlsx", data), "-o", target,
               "--no-frontier", "--no-sensitivity", "--rank", "none")
    assert run.code == 4, run.stderr  # the exit code of an infeasible run
    sheets = read_output(target)
    assert summary(sheets)["status"] == "infeasible"
    assert list(sheets["Stockpiles"].columns) == list(STOCK) and sheets["Stockpiles"].empty
    assert list(sheets["Countries"].columns) == list(COUNTRY) and sheets["Countries"].empty
