"""Validation of Stockpiles, CountryBudgets and CostShare: exact cells and plain-words messages.

Every workbook is the tiny instance (tests.helpers.tiny: demand in 2027-2028, plan start 2026)
with a US pool and the three sheets below. Rows carry every column in a fixed order, so the
letters are known: Stockpiles A stockpile_id, B country, C sector, D material,
E price_usd_per_kg, F initial_t, G max_stock_t, H buy_until_year, I max_release_tpa,
J holding_cost_pct; CountryBudgets A country, B year, C budget_musd; CostShare A country,
B min_share, C max_share. Data rows start at row 2.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from portfolio.errors import InvalidWorkbook
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from tests.helpers import call, demand, pool, tiny, variant, write_book

Rows = list[dict[str, Any]]


def stock(kid: str, **values: Any) -> dict[str, Any]:
    """A Stockpiles row with every column (A-J), blank where the default applies."""
    return {"stockpile_id": kid, "country": "US", "sector": "magnets", "material": "NdPr oxide",
            "price_usd_per_kg": 80, "initial_t": None, "max_stock_t": 100,
            "buy_until_year": None, "max_release_tpa": None, "holding_cost_pct": None} | values


def budget(country: Any, year: Any, musd: Any) -> dict[str, Any]:
    """A CountryBudgets row (A country, B year, C budget_musd)."""
    return {"country": country, "year": year, "budget_musd": musd}


def share(country: Any, low: Any = None, high: Any = None) -> dict[str, Any]:
    """A CostShare row (A country, B min_share, C max_share)."""
    return {"country": country, "min_share": low, "max_share": high}


def book(**sheets: Rows) -> dict[str, Any]:
    """tiny() with a US grant pool and a valid stockpile, two budgets and a cost share."""
    base: dict[str, Rows] = {
        "Financing": [pool("G", country="US")],
        "Stockpiles": [stock("K")],
        "CountryBudgets": [budget("US", None, 80), budget("US", 2027, 30)],
        "CostShare": [share("US", 0.2, 0.9)],
    }
    return variant(tiny(), **(base | sheets))


def problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load(write_book(tmp_path / "in.xlsx", data))
    return [str(issue) for issue in caught.value.issues]


def valid(tmp_path: Path, data: dict[str, Any]) -> Case:
    return load(write_book(tmp_path / "in.xlsx", data))


# --- what a valid workbook reads as -------------------------------------------------------

def test_the_three_sheets_are_read_with_defaults(tmp_path: Path) -> None:
    case = valid(tmp_path, book())
    (k,) = case.stockpiles
    assert (k.stockpile_id, k.country, k.sector, k.material) == ("K", "US", "magnets",
                                                                 "NdPr oxide")
    assert (k.price_usd_per_kg, k.initial_t, k.max_stock_t) == (80, 0, 100)
    assert (k.buy_until_year, k.max_release_tpa, k.holding_cost_pct) == (None, None, 0)
    assert [(b.country, b.year, b.budget_musd) for b in case.country_budgets] == [
        ("US", None, 80), ("US", 2027, 30)]
    (s,) = case.cost_shares
    assert (s.country, s.min_share, s.max_share) == ("US", 0.2, 0.9)
    assert case.warnings == ()


def test_blank_shares_default_to_the_whole_range(tmp_path: Path) -> None:
    (s,) = valid(tmp_path, book(CostShare=[share("US")])).cost_shares
    assert (s.min_share, s.max_share) == (0, 1)


def test_a_priority_sector_matches_in_any_case_as_on_other_sheets(tmp_path: Path) -> None:
    # The Sector field lowercases known sectors, so 'Magnets' is Demand's 'magnets' and the
    # stock reaches that demand: no "covers nothing" warning.
    case = valid(tmp_path, book(Stockpiles=[stock("K", sector=" Magnets ",
                                                  material="ndpr  OXIDE")]))
    assert case.stockpiles[0].sector == "magnets"
    assert case.warnings == ()


def test_countries_match_ignoring_case_and_spacing(tmp_path: Path) -> None:
    data = book(Financing=[pool("G", country="us")], Stockpiles=[stock("K", country="Japan ")],
                CountryBudgets=[budget(" US", None, 80), budget("JAPAN", 2027, 10)],
                CostShare=[share("japan", 0.1)])
    assert valid(tmp_path, data).warnings == ()


def test_boundary_values_are_accepted(tmp_path: Path) -> None:
    # buy_until_year may be plan_start_year (2026) or the last Demand year (2028); holding
    # 0% and 100%; max_stock_t equal to initial_t; min_share equal to max_share; budget 0.
    data = book(Stockpiles=[stock("K", buy_until_year=2026, holding_cost_pct=0),
                            stock("L", buy_until_year=2028, holding_cost_pct=100,
                                  initial_t=100, max_stock_t=100, max_release_tpa=0)],
                CountryBudgets=[budget("US", None, 0)], CostShare=[share("US", 0.5, 0.5)])
    case = valid(tmp_path, data)
    assert [k.buy_until_year for k in case.stockpiles] == [2026, 2028]


def test_empty_and_header_only_sheets_are_absent(tmp_path: Path) -> None:
    data = book(Stockpiles=[], CostShare=[])
    data["CountryBudgets"] = [["country", "year", "budget_musd"]]
    case = valid(tmp_path, data)
    assert (case.stockpiles, case.country_budgets, case.cost_shares) == ((), (), ())
    assert not case.governments


def test_validate_prints_what_the_workbook_holds(tmp_path: Path) -> None:
    data = book(Stockpiles=[stock("K"), stock("L", country="JP")],
                CountryBudgets=[budget("US", None, 80), budget("US", 2027, 30),
                                budget("JP", 2027, 10)])
    path = write_book(tmp_path / "in.xlsx", data)
    run = call("validate", path)
    assert (run.code, run.stderr) == (0, "")
    assert run.stdout == (f"{path}: valid: 3 projects, 1 pool, 2 demand rows, 2 stockpiles, "
                          "3 country budgets and 1 cost share\n")


# --- Stockpiles ---------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"initial_t": 200},
     "Stockpiles!G2: max_stock_t: 100 t is below initial_t 200 t; the cap must hold at least "
     "the stock already held on 1 January of plan_start_year"),
    ({"buy_until_year": 2025},
     "Stockpiles!H2: buy_until_year: 2025 is before plan_start_year 2026"),
    ({"buy_until_year": 2027.5},
     "Stockpiles!H2: buy_until_year: expected a whole number, found 2027.5"),
    ({"holding_cost_pct": 100.5},
     "Stockpiles!J2: holding_cost_pct: must be at most 100, found 100.5"),
    ({"holding_cost_pct": -1}, "Stockpiles!J2: holding_cost_pct: must be at least 0, found -1"),
    ({"price_usd_per_kg": 0},
     "Stockpiles!E2: price_usd_per_kg: must be greater than 0, found 0"),
    ({"price_usd_per_kg": -80},
     "Stockpiles!E2: price_usd_per_kg: must be greater than 0, found -80"),
    ({"price_usd_per_kg": "80 USD/kg"},
     "Stockpiles!E2: price_usd_per_kg: expected a number, found text '80 USD/kg'"),
    ({"max_stock_t": "lots"}, "Stockpiles!G2: max_stock_t: expected a number, found text 'lots'"),
    ({"initial_t": -5}, "Stockpiles!F2: initial_t: must be at least 0, found -5"),
    ({"max_release_tpa": -1}, "Stockpiles!I2: max_release_tpa: must be at least 0, found -1"),
    ({"stockpile_id": None}, "Stockpiles!A2: stockpile_id: required, but the cell is blank"),
    ({"country": None}, "Stockpiles!B2: country: required, but the cell is blank"),
    ({"sector": None}, "Stockpiles!C2: sector: required, but the cell is blank"),
    ({"material": "  "}, "Stockpiles!D2: material: required, but the cell is blank"),
    ({"price_usd_per_kg": None},
     "Stockpiles!E2: price_usd_per_kg: required, but the cell is blank"),
    ({"max_stock_t": None}, "Stockpiles!G2: max_stock_t: required, but the cell is blank"),
], ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_stockpile_cell_problems(tmp_path: Path, changes: dict[str, Any], expected: str) -> None:
    assert problems(tmp_path, book(Stockpiles=[stock("K", **changes)])) == [expected]


def test_a_stockpile_id_repeated_in_other_case(tmp_path: Path) -> None:
    data = book(Stockpiles=[stock("US-DLA"), stock("JP-JOGMEC", country="JP"),
                            stock("us-dla")])
    assert problems(tmp_path, data) == [
        "Stockpiles!A4: stockpile_id: duplicate stockpile_id 'us-dla' (first at Stockpiles!A2)"]


def test_every_stockpile_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = book(Stockpiles=[stock("K", initial_t=200, buy_until_year=2030),
                            stock("L", price_usd_per_kg=0, holding_cost_pct=101),
                            stock("k", buy_until_year=2024)])
    assert problems(tmp_path, data) == [
        # Row 2: max_stock_t against initial_t fails inside the row model, so the row is
        # dropped and its buy_until_year of 2030 is not checked against the plan.
        "Stockpiles!G2: max_stock_t: 100 t is below initial_t 200 t; the cap must hold at "
        "least the stock already held on 1 January of plan_start_year",
        "Stockpiles!E3: price_usd_per_kg: must be greater than 0, found 0",
        "Stockpiles!J3: holding_cost_pct: must be at most 100, found 101",
        "Stockpiles!A4: stockpile_id: duplicate stockpile_id 'k' (first at Stockpiles!A2)",
        "Stockpiles!H4: buy_until_year: 2024 is before plan_start_year 2026"]


def test_a_missing_required_column(tmp_path: Path) -> None:
    rows = [{k: v for k, v in stock("K").items() if k != "max_stock_t"}]
    assert problems(tmp_path, book(Stockpiles=rows)) == [
        "Stockpiles!A1: required column 'max_stock_t' not found in the header row"]


# --- CountryBudgets -----------------------------------------------------------------------

def test_country_budget_repeats(tmp_path: Path) -> None:
    data = book(CountryBudgets=[budget("US", None, 80), budget("US", 2027, 30),
                                budget(" us", None, 90), budget("Us", 2027.0, 35),
                                budget("US", 2028, 30)])
    assert problems(tmp_path, data) == [
        "CountryBudgets!A4: country: a second whole-plan budget (blank year) for 'us' (first "
        "at CountryBudgets!A2); give one row per country and year",
        "CountryBudgets!A5: country: duplicate country/year 'Us / 2027' (first at "
        "CountryBudgets!A3)"]


@pytest.mark.parametrize(("row", "expected"), [
    (budget("US", 2025, 30), "CountryBudgets!B2: year: 2025 is before plan_start_year 2026"),
    (budget("US", None, -1), "CountryBudgets!C2: budget_musd: must be at least 0, found -1"),
    (budget("US", None, "40m"),
     "CountryBudgets!C2: budget_musd: expected a number, found text '40m'"),
    (budget("US", "next year", 40),
     "CountryBudgets!B2: year: expected a number, found text 'next year'"),
    (budget("US", None, None), "CountryBudgets!C2: budget_musd: required, but the cell is blank"),
    (budget(None, 2027, 40),
     "CountryBudgets!A2: country: required, but the cell is blank"),
], ids=str)
def test_country_budget_cell_problems(tmp_path: Path, row: dict[str, Any],
                                      expected: str) -> None:
    assert problems(tmp_path, book(CountryBudgets=[row])) == [expected]


# --- CostShare ----------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "expected"), [
    (share("US", -0.1), "CostShare!B2: min_share: must be at least 0, found -0.1"),
    (share("US", 1.2), "CostShare!B2: min_share: must be at most 1, found 1.2"),
    (share("US", None, 1.5), "CostShare!C2: max_share: must be at most 1, found 1.5"),
    (share("US", None, -0.5), "CostShare!C2: max_share: must be at least 0, found -0.5"),
    (share("US", 0.6, 0.4),
     "CostShare!C2: max_share: 0.4 is below min_share 0.6; no share of the total budget cost "
     "is at least 0.6 and at most 0.4"),
    # a blank max_share is 1, so a min_share of 1 is allowed; 30% as text is not a number
    (share("US", "30%"), "CostShare!B2: min_share: expected a number, found text '30%'"),
    (share(None, 0.3),
     "CostShare!A2: country: required, but the cell is blank"),
], ids=str)
def test_cost_share_cell_problems(tmp_path: Path, row: dict[str, Any], expected: str) -> None:
    assert problems(tmp_path, book(CostShare=[row])) == [expected]


def test_a_cost_share_country_given_twice(tmp_path: Path) -> None:
    data = book(CostShare=[share("US", 0.2), share("JP", None, 0.5), share("us", 0.3)],
                Stockpiles=[stock("K"), stock("L", country="JP")])
    assert problems(tmp_path, data) == [
        "CostShare!A4: country: duplicate country 'us' (first at CostShare!A2)"]


# --- warnings -----------------------------------------------------------------------------

def test_a_country_that_nothing_pays_for_is_warned_once_per_sheet(tmp_path: Path) -> None:
    # Pools name US (and one pool no country); stockpiles US and JP. AU has two budget rows
    # (one warning, at the first); USA is a near miss of US; KR's cost share has no floor,
    # AU's does (0.3 of a cost AU never bears holds only when the total cost is 0).
    data = book(Financing=[pool("G", country="US"), pool("H")],
                Stockpiles=[stock("K"), stock("L", country="JP")],
                CountryBudgets=[budget("US", None, 80), budget("AU", None, 20),
                                budget("au", 2027, 5), budget("USA", 2027, 5)],
                CostShare=[share("KR"), share("AU", 0.3)])
    known = "the countries on Financing and Stockpiles are US, JP"
    assert valid(tmp_path, data).warnings == (
        f"CountryBudgets!A3: no pool or stockpile has country 'AU', so its budget limits "
        f"nothing; {known}",
        f"CountryBudgets!A5: no pool or stockpile has country 'USA', so its budget limits "
        f"nothing; {known} (did you mean 'US'?)",
        f"CostShare!A2: no pool or stockpile has country 'KR', so its cost share limits "
        f"nothing; {known}",
        f"CostShare!A3: no pool or stockpile has country 'AU', so it pays nothing and its "
        f"min_share 0.3 holds only for a portfolio with no budget cost; {known}")


def test_no_country_anywhere(tmp_path: Path) -> None:
    data = book(Financing=[pool("G")], Stockpiles=[], CostShare=[],
                CountryBudgets=[budget("US", None, 80)])
    assert valid(tmp_path, data).warnings == (
        "CountryBudgets!A2: no pool or stockpile has country 'US', so its budget limits "
        "nothing; Financing and Stockpiles name no country",)


def test_min_shares_above_the_whole(tmp_path: Path) -> None:
    # 0.6 + 0.5 = 1.1 > 1: only a total cost of 0 meets both floors. 0.5 + 0.5 = 1 is fine.
    data = book(Stockpiles=[stock("K"), stock("L", country="JP")],
                CostShare=[share("US", 0.6), share("JP", 0.5)])
    assert valid(tmp_path, data).warnings == (
        "CostShare: the min_share values sum to 1.1, more than the whole (1); only a portfolio "
        "with no budget cost (nothing financed, no stock bought) meets them all",)
    data["CostShare"] = [share("US", 0.5), share("JP", 0.5)]
    assert valid(tmp_path / "..", data).warnings == ()


def test_stock_that_nothing_takes(tmp_path: Path) -> None:
    data = book(Stockpiles=[stock("K", material="NdPr oxyde"),
                            stock("L", sector="batteries", material="lithium hydroxide")])
    assert valid(tmp_path, data).warnings == (
        "Stockpiles!D2: no Demand row or converter takes magnets/NdPr oxyde, so stock "
        "released from K covers nothing (did you mean 'magnets/NdPr oxide'?)",
        "Stockpiles!D3: no Demand row or converter takes batteries/lithium hydroxide, so stock "
        "released from L covers nothing")


def test_stock_a_converter_takes_is_not_warned(tmp_path: Path) -> None:
    # Stock of concentrate feeds A (a converter), though no Demand row names concentrate.
    conc = {"sector": "magnets", "material": "concentrate"}
    data = book(Stockpiles=[stock("K", **conc)],
                Inputs=[{"project_id": "A", **conc, "input_tpa": 50}])
    assert valid(tmp_path, data).warnings == ()


def test_demand_only_a_stockpile_holds_is_not_called_uncovered(tmp_path: Path) -> None:
    # No project makes batteries/lithium hydroxide, but the stockpile can release it.
    lioh = {"sector": "batteries", "material": "lithium hydroxide"}
    data = book(Stockpiles=[stock("K", **lioh, initial_t=50)],
                Demand=[demand(2027, 150), demand(2028, 150), demand(2027, 20, **lioh)])
    assert valid(tmp_path, data).warnings == ()


# --- formulas and files as Excel and LibreOffice save them --------------------------------

def _edit(path: Path, sheet: str, cell: str, xml: str) -> None:
    """Replace one cell's XML in the named sheet, as Excel or LibreOffice would save it."""
    with zipfile.ZipFile(path) as src:
        items = {n: src.read(n) for n in src.namelist()}
    names = re.findall(r'<sheet [^>]*name="([^"]+)"', items["xl/workbook.xml"].decode())
    part = f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"
    text, count = re.subn(rf'<c r="{cell}"[^>]*>.*?</c>', xml, items[part].decode())
    assert count == 1, (sheet, cell)
    items[part] = text.encode()
    with zipfile.ZipFile(path, "w") as dst:
        for n, data in items.items():
            dst.writestr(n, data)


def test_formula_cells_count_with_their_cached_values(tmp_path: Path) -> None:
    path = write_book(tmp_path / "in.xlsx", book())
    _edit(path, "Stockpiles", "E2", '<c r="E2"><f>160/2</f><v>80</v></c>')
    _edit(path, "CountryBudgets", "C2", '<c r="C2"><f>SUM(50,30)</f><v>80</v></c>')
    _edit(path, "CostShare", "B2", '<c r="B2"><f>1/5</f><v>0.2</v></c>')
    _edit(path, "CostShare", "A2", '<c r="A2" t="str"><f>"U"&amp;"S"</f><v>US</v></c>')
    case = load(path)
    assert case.stockpiles[0].price_usd_per_kg == 80
    assert case.country_budgets[0].budget_musd == 80
    assert (case.cost_shares[0].country, case.cost_shares[0].min_share) == ("US", 0.2)


def test_formula_errors_and_uncached_formulas_on_the_three_sheets(tmp_path: Path) -> None:
    path = write_book(tmp_path / "in.xlsx", book())
    _edit(path, "Stockpiles", "G2", '<c r="G2" t="e"><f>Sheet9!A1</f><v>#REF!</v></c>')
    _edit(path, "CountryBudgets", "C3", '<c r="C3" t="e"><f>30/0</f><v>#DIV/0!</v></c>')
    _edit(path, "CostShare", "C2", '<c r="C2"><f>0.9</f></c>')
    with pytest.raises(InvalidWorkbook) as caught:
        load(path)
    assert [str(i) for i in caught.value.issues] == [
        "Stockpiles!G2: max_stock_t: the cell holds the formula error #REF!; correct the "
        "formula or type the value",
        "CountryBudgets!C3: budget_musd: the cell holds the formula error #DIV/0!; correct the "
        "formula or type the value",
        "CostShare!C2: max_share: the cell holds a formula with no saved result (the file was "
        "written by a program that does not calculate); open it in Excel or LibreOffice and "
        "save it, or type the value"]


def test_a_blank_optional_cell_from_a_formula_takes_the_default(tmp_path: Path) -> None:
    path = write_book(tmp_path / "in.xlsx", book(Stockpiles=[stock("K", holding_cost_pct=5)]))
    _edit(path, "Stockpiles", "J2", '<c r="J2" t="str"><f>IF(1,"","5")</f><v></v></c>')
    assert load(path).stockpiles[0].holding_cost_pct == 0


BROKEN = book(Stockpiles=[stock("K", initial_t=200), stock("k", price_usd_per_kg="80 USD/kg")],
              CountryBudgets=[budget("US", None, 80), budget("us", None, 90)],
              CostShare=[share("US", 0.6, 0.4)])
BROKEN_LINES = [
    "Stockpiles!G2: max_stock_t: 100 t is below initial_t 200 t; the cap must hold at least the "
    "stock already held on 1 January of plan_start_year",
    "Stockpiles!A3: stockpile_id: duplicate stockpile_id 'k' (first at Stockpiles!A2)",
    "Stockpiles!E3: price_usd_per_kg: expected a number, found text '80 USD/kg'",
    "CountryBudgets!A3: country: a second whole-plan budget (blank year) for 'us' (first at "
    "CountryBudgets!A2); give one row per country and year",
    "CostShare!C2: max_share: 0.4 is below min_share 0.6; no share of the total budget cost is "
    "at least 0.6 and at most 0.4"]


def test_the_broken_sheets_give_their_messages(tmp_path: Path) -> None:
    assert problems(tmp_path, BROKEN) == BROKEN_LINES


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_same_messages_and_values_after_libreoffice_saves_the_workbook(
        tmp_path: Path) -> None:
    made = tmp_path / "made"
    made.mkdir()
    write_book(made / "broken.xlsx", BROKEN)
    write_book(made / "good.xlsx", book(
        Stockpiles=[stock("K", initial_t=10, buy_until_year=2027, holding_cost_pct=2.5)]))
    saved = tmp_path / "saved"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved),
                    str(made / "broken.xlsx"), str(made / "good.xlsx")],
                   check=True, capture_output=True, timeout=300)
    with pytest.raises(InvalidWorkbook) as caught:
        load(saved / "broken.xlsx")
    assert [str(i) for i in caught.value.issues] == BROKEN_LINES
    case = load(saved / "good.xlsx")
    (k,) = case.stockpiles
    assert (k.initial_t, k.buy_until_year, k.holding_cost_pct, k.max_release_tpa) == (
        10, 2027, 2.5, None)
    assert [(b.country, b.year) for b in case.country_budgets] == [("US", None), ("US", 2027)]
    assert case.warnings == ()


# --- the template -------------------------------------------------------------------------

NEW_SHEETS = {
    "Stockpiles": ["stockpile_id", "country", "sector", "material", "price_usd_per_kg",
                   "initial_t", "max_stock_t", "buy_until_year", "max_release_tpa",
                   "holding_cost_pct", "notes"],
    "CountryBudgets": ["country", "year", "budget_musd", "notes"],
    "CostShare": ["country", "min_share", "max_share", "notes"],
}


def test_the_template_has_the_three_sheets_with_formats_and_a_sector_list(
        tmp_path: Path) -> None:
    import openpyxl

    from portfolio.inputs.template import write_template

    target = tmp_path / "template.xlsx"
    write_template(target)
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[-5:] == [*NEW_SHEETS, "Risk", "Guide"]
    for name, header in NEW_SHEETS.items():
        assert [c.value for c in wb[name][1]] == header, name
        assert wb[name].freeze_panes == "A2"
    stocks = wb["Stockpiles"]
    # Formats of an empty row: text, prices as typed, tonnes whole, years plain, % as typed.
    assert [stocks.cell(2, c).number_format for c in range(1, 11)] == [
        "@", "@", "@", "@", "General", "#,##0", "#,##0", "0", "#,##0", '0.0"%"']
    assert [wb["CountryBudgets"].cell(2, c).number_format for c in range(1, 4)] == [
        "@", "0", "#,##0.0"]
    assert [wb["CostShare"].cell(2, c).number_format for c in range(1, 4)] == [
        "@", "0.0%", "0.0%"]
    # The sector column suggests the priority sectors but accepts others, as on Offtake.
    (sectors,) = stocks.data_validations.dataValidation
    assert str(sectors.sqref) == "C2:C500"
    assert sectors.formula1 == '"magnets,batteries,catalysts,optical"'
    assert sectors.errorStyle == "information"
    assert not wb["CountryBudgets"].data_validations.dataValidation
    assert not wb["CostShare"].data_validations.dataValidation
    comment = stocks["G1"].comment
    assert comment is not None and comment.text.startswith("max_stock_t (required): ")
    guide = [[c.value for c in r] for r in wb["Guide"].iter_rows(min_row=2)]
    purposes = {r[0]: r[6] for r in guide if r[1] == "(sheet)"}
    assert purposes["Stockpiles"].startswith("Optional (stockpiles): one row per strategic")
    assert purposes["CostShare"].endswith("one row per country.")
    listed = {(r[0], r[1]) for r in guide}
    assert {(name, column) for name, header in NEW_SHEETS.items() for column in header} <= listed
    holding = next(r for r in guide if r[:2] == ["Stockpiles", "holding_cost_pct"])
    assert holding[2:6] == ["no", "0.0", "percent (150 = 150%)", None]  # no allowed list


def test_the_templates_empty_sheets_read_as_absent_and_filled_ones_as_typed(
        tmp_path: Path) -> None:
    from portfolio.inputs.template import write_template

    data = tiny()
    data["Settings"] = [{"setting": r["setting"], "value": r["value"]} for r in data["Settings"]]
    target = tmp_path / "blank.xlsx"
    write_template(target, data)
    case = load(target)
    assert (case.stockpiles, case.country_budgets, case.cost_shares) == ((), (), ())
    assert case.contents == "3 projects, 1 pool, 2 demand rows"
    filled = tmp_path / "filled.xlsx"
    write_template(filled, book(Stockpiles=[stock("K", initial_t=10, buy_until_year=2027,
                                                  holding_cost_pct=2.5)]))
    case = load(filled)
    (k,) = case.stockpiles
    assert (k.initial_t, k.buy_until_year, k.holding_cost_pct) == (10, 2027, 2.5)
    assert [(b.country, b.year, b.budget_musd) for b in case.country_budgets] == [
        ("US", None, 80), ("US", 2027, 30)]
    assert case.contents == ("3 projects, 1 pool, 2 demand rows, 1 stockpile, "
                             "2 country budgets and 1 cost share")


def test_buying_beyond_the_plan_is_allowed_and_warned(tmp_path: Path) -> None:
    # The contract asks only buy_until_year >= plan_start_year; the plan ends with the last
    # Demand year (2028 in tiny()), so 2031 buys in every plan year, and the reviewer is told.
    data = book(Stockpiles=[stock("K", buy_until_year=2031)])
    case = valid(tmp_path, data)
    assert case.warnings == (
        "Stockpiles!H2: buy_until_year 2031 is after the last Demand year 2028, where the plan "
        "ends; stock K may be bought in every plan year",)
    assert case.buying_years(case.stockpiles[0]) == (2026, 2027, 2028)
