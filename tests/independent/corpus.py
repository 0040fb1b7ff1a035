"""A corpus of broken workbooks, each built by code, with the exact messages it must give.

Every case is a mistake a person makes filling in the template (or a file a hostile sender
crafts), built from a small valid pipeline by plain openpyxl or by editing the saved XML,
never a hand-made binary. `tests/independent/test_corpus.py` runs each through
`portfolio validate` and compares every line printed. Run
`python -m tests.independent.corpus DIR` to write the workbooks into DIR and look at them,
or `python -m tests.independent.corpus --markdown` for the table in docs/messages.md.
"""

from __future__ import annotations

import re
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import Rows, demand, offtake, pool, project, settings, write_book

Make = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One broken input: how to make it and the lines `validate` must print for it."""

    name: str
    mistake: str
    make: Make
    lines: tuple[str, ...]

    def expected(self, path: Path) -> list[str]:
        """The exact stderr lines, with `{file}` standing for the path given."""
        return [line.replace("{file}", str(path)) for line in self.lines]


def base() -> dict[str, Rows]:
    """A valid pipeline using every sheet: three projects, two pools, schedule and budgets."""
    return {
        "Settings": settings(total_budget_musd=200),
        "Projects": [project("P01", capex_musd=60, stage="mining"),
                     project("P02", capex_musd=50, requires="P01"),
                     project("P03", capex_musd=30, country="JP", lead_time_months=24)],
        "Offtake": [offtake("P01", 100), offtake("P02", 80), offtake("P03", 60)],
        "Demand": [demand(2027, 150), demand(2028, 150)],
        "Financing": [pool("US-GRANT"), pool("JP-LOAN", instrument="loan",
                                              budget_cost_rate=0.1, country="JP")],
        "CapexSchedule": [{"project_id": "P01", "year": 2026, "share": 0.5},
                          {"project_id": "P01", "year": 2027, "share": 0.5}],
        "Budget": [{"year": 2026, "budget_musd": 150}, {"year": 2027, "budget_musd": 150}],
    }


def _book(**changes: Any) -> Make:
    """A workbook from `base()` with whole sheets replaced (None drops the sheet)."""
    def make(path: Path) -> None:
        data = base() | changes
        write_book(path, {k: v for k, v in data.items() if v is not None})
    return make


CONC = {"sector": "magnets", "material": "mixed REO concentrate"}
METAL = {"sector": "magnets", "material": "NdPr metal"}


def chained() -> dict[str, Rows]:
    """`base()` as a chain: P01 mines concentrate that P02 separates into NdPr oxide."""
    return base() | {
        "Offtake": [offtake("P01", 500, **CONC), offtake("P02", 80), offtake("P03", 60)],
        "Inputs": [{"project_id": "P02", **CONC, "input_tpa": 400}],
        "Supply": [{**CONC, "year": 2027, "supply_t": 100}],
        "Imports": [{**CONC, "year": 2027, "max_t": 200, "weight": 0.5},
                    {**CONC, "year": 2028, "max_t": 200, "weight": 0.5}],
    }


def _chain(**changes: Any) -> Make:
    """A workbook from `chained()` with whole sheets replaced."""
    def make(path: Path) -> None:
        write_book(path, chained() | changes)
    return make


def stock(kid: str, **values: Any) -> dict[str, Any]:
    """A Stockpiles row with every column, so that the letters are fixed.

    A stockpile_id, B country, C sector, D material, E price_usd_per_kg, F initial_t,
    G max_stock_t, H buy_until_year, I max_release_tpa, J holding_cost_pct.
    """
    return {"stockpile_id": kid, "country": "US", "sector": "magnets", "material": "NdPr oxide",
            "price_usd_per_kg": 80, "initial_t": None, "max_stock_t": 100,
            "buy_until_year": 2027, "max_release_tpa": None, "holding_cost_pct": 2} | values


def risk(stage: str, fail: Any, mode: Any, top: Any) -> dict[str, Any]:
    """A Risk row: A stage, B failure_prob, C delay_mode_months, D delay_max_months."""
    return {"stage": stage, "failure_prob": fail, "delay_mode_months": mode,
            "delay_max_months": top}


def stocked() -> dict[str, Rows]:
    """`base()` with a US and a Japanese stockpile, both countries' budgets and a cost share.

    CountryBudgets columns: A country, B year, C budget_musd; CostShare: A country,
    B min_share, C max_share.
    """
    return base() | {
        "Stockpiles": [stock("US-DLA"), stock("JP-JOGMEC", country="JP", max_stock_t=60)],
        "CountryBudgets": [{"country": "US", "year": None, "budget_musd": 150},
                           {"country": "JP", "year": None, "budget_musd": 60},
                           {"country": "JP", "year": 2027, "budget_musd": 40}],
        "CostShare": [{"country": "JP", "min_share": 0.1, "max_share": 0.5}],
    }


def _stock(**changes: Any) -> Make:
    """A workbook from `stocked()` with whole sheets replaced."""
    def make(path: Path) -> None:
        write_book(path, stocked() | changes)
    return make


def _cells(sheet: str, row: int, **values: Any) -> Make:
    """`base()` with some fields of one row (0-based among data rows) changed."""
    def make(path: Path) -> None:
        data: dict[str, Any] = base()
        data[sheet][row] = data[sheet][row] | values
        write_book(path, data)
    return make


def _openpyxl(edit: Callable[[openpyxl.Workbook], None]) -> Make:
    """`base()` saved, then changed through openpyxl as a person would in Excel."""
    def make(path: Path) -> None:
        sheets: dict[str, Any] = base()
        write_book(path, sheets)
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)
    return make


def _xml(part: str, edit: Callable[[str], str], then: Make | None = None) -> Make:
    """`base()` saved, then one XML part of the package rewritten."""
    def make(path: Path) -> None:
        (then or _book())(path)
        with zipfile.ZipFile(path) as src:
            items = {n: src.read(n) for n in src.namelist()}
        items[part] = edit(items[part].decode()).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for n, data in items.items():
                dst.writestr(n, data)
    return make


def _cell_xml(cell: str, xml: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        out, count = re.subn(rf'<c r="{cell}"[^>]*>.*?</c>', xml, text)
        assert count == 1, cell
        return out
    return edit


def _bytes(data: bytes) -> Make:
    def make(path: Path) -> None:
        path.write_bytes(data)
    return make


def _truncated(path: Path) -> None:
    _book()(path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


def _encrypted(path: Path) -> None:
    """A real password-protected workbook (ECMA-376 agile encryption), as Excel writes it."""
    from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-untyped]

    plain = path.with_suffix(".plain.xlsx")
    _book()(plain)
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    plain.unlink()


def _declared_size(path: Path) -> None:
    """A package whose central directory declares a 4 GB part (a zip bomb's signature)."""
    _book()(path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, 0xFFFF_FFF0)
    path.write_bytes(bytes(data))


def _inflating(path: Path) -> None:
    """A part that inflates past its declared size: its declared size is cut to 100 bytes."""
    _book()(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        infos = {i.filename: i for i in archive.infolist()}
    info = infos["xl/worksheets/sheet2.xml"]
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + name_len] == b"xl/worksheets/sheet2.xml":
            struct.pack_into("<I", data, central + 24, 100)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def _many_parts(path: Path) -> None:
    _book()(path)
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(10_001):
            archive.writestr(f"customXml/item{n}.xml", b"<a/>")


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')

NUMBER_IN_TEXT = "Projects!D3: capex_musd: expected a number, found text '50 USD m'"
INVALID = "portfolio: the workbook is invalid ({n} problem{s}); nothing was written"


def _invalid(*lines: str) -> tuple[str, ...]:
    n = len(lines)
    return (*lines, INVALID.format(n=n, s="" if n == 1 else "s"))


def _hide_row(book: openpyxl.Workbook) -> None:
    book["Projects"].row_dimensions[3].hidden = True


def _hide_column(book: openpyxl.Workbook) -> None:
    book["Projects"].column_dimensions["D"].hidden = True


def _merge(book: openpyxl.Workbook) -> None:
    book["Projects"].merge_cells("B2:B3")


def _far_cell(book: openpyxl.Workbook) -> None:
    book["Demand"]["XFD1048576"] = "x"


CASES: tuple[Case, ...] = (
    Case("missing-sheet", "the Offtake sheet was deleted", _book(Offtake=None), _invalid(
        "Offtake!A1: required sheet 'Offtake' is missing (sheets found: Settings, Projects, "
        "Demand, Financing, CapexSchedule, Budget)")),
    Case("renamed-sheet", "the Financing sheet was renamed 'Financng'",
         _openpyxl(lambda b: setattr(b["Financing"], "title", "Financng")), _invalid(
             "Financing!A1: required sheet 'Financing' is missing (sheets found: Settings, "
             "Projects, Offtake, Demand, Financng, CapexSchedule, Budget) (did you mean "
             "'financng'?)")),
    Case("missing-column", "the capex_musd header was misspelled",
         _openpyxl(lambda b: setattr(b["Projects"]["D1"], "value", "capex_mus")), _invalid(
             "Projects!A1: required column 'capex_musd' not found in the header row (did you "
             "mean 'capex_mus'?)")),
    Case("blank-required", "a project's country was left blank",
         _cells("Projects", 1, country=None), _invalid(
             "Projects!B3: country: required, but the cell is blank")),
    Case("text-for-number", "a unit was typed after a number",
         _cells("Projects", 1, capex_musd="50 USD m"), _invalid(NUMBER_IN_TEXT)),
    Case("out-of-range", "a negative capex and a share cap over 100%",
         _book(Projects=[project("P01", capex_musd=-60, stage="mining"),
                         project("P02", capex_musd=50, requires="P01"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24)],
               Financing=[pool("US-GRANT", max_share_of_capex=1.5),
                          pool("JP-LOAN", instrument="loan", budget_cost_rate=0.1,
                               country="JP")]),
         _invalid("Projects!D2: capex_musd: must be greater than 0, found -60",
                  "Financing!E2: max_share_of_capex: must be at most 1, found 1.5")),
    Case("fractional", "a fractional start year and lead time",
         _cells("Projects", 0, start_year=2026.5, lead_time_months=12.5), _invalid(
             "Projects!E2: lead_time_months: expected a whole number, found 12.5",
             "Projects!F2: start_year: expected a whole number, found 2026.5")),
    Case("duplicate-id", "a project row was pasted twice",
         _book(Projects=[project("P01", capex_musd=60, stage="mining"),
                         project("P02", capex_musd=50, requires="P01"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24),
                         project("p02", capex_musd=50)]), _invalid(
             "Projects!A5: project_id: duplicate project_id 'p02' (first at Projects!A3)")),
    Case("unknown-ids", "ids in Offtake, requires and CapexSchedule that match no project",
         _book(Projects=[project("P01", capex_musd=60, stage="mining"),
                         project("P02", capex_musd=50, requires="P1"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24)],
               Offtake=[offtake("P01", 100), offtake("P02", 80), offtake("P04", 60)],
               CapexSchedule=[{"project_id": "P0l", "year": 2026, "share": 0.5},
                              {"project_id": "P01", "year": 2027, "share": 1}]), _invalid(
             "Projects!F3: requires: unknown project_id 'P1' (did you mean 'P01'?)",
             "Offtake!A4: project_id: unknown project_id 'P04' (did you mean 'P03'?)",
             "CapexSchedule!A2: project_id: unknown project_id 'P0l' (did you mean 'P03'?)")),
    Case("shares", "a capex schedule whose shares add up to 90%",
         _book(CapexSchedule=[{"project_id": "P01", "year": 2026, "share": 0.5},
                              {"project_id": "P01", "year": 2027, "share": 0.4}]), _invalid(
             "CapexSchedule!C3: share: the shares of P01 sum to 0.9 (rows 2, 3); they must sum "
             "to 1")),
    Case("before-start", "demand and budget years before plan_start_year",
         _book(Demand=[demand(2024, 150), demand(2028, 150)],
               Budget=[{"year": 2025, "budget_musd": 150}]), _invalid(
             "Demand!C2: year: 2024 is before plan_start_year 2026",
             "Budget!A2: year: 2025 is before plan_start_year 2026")),
    Case("enumerations", "misspelled stage and instrument",
         _book(Projects=[project("P01", capex_musd=60, stage="minning"),
                         project("P02", capex_musd=50, requires="P01"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24)],
               Financing=[pool("US-GRANT", instrument="grnt"),
                          pool("JP-LOAN", instrument="loan", budget_cost_rate=0.1,
                               country="JP")],
               ), _invalid(
             "Projects!C2: stage: expected one of mining, separation, refining, metal_alloy, "
             "magnet, recycling; found text 'minning' (did you mean 'mining'?)",
             "Financing!B2: instrument: expected one of grant, loan, guarantee, offtake; found "
             "text 'grnt' (did you mean 'grant'?)")),
    Case("settings", "a setting missing, one misspelled and one with text for a number",
         _book(Settings=[{"setting": "plan_start_year", "value": 2026},
                         {"setting": "totl_budget_musd", "value": 200},
                         {"setting": "mip_gap", "value": "small"}]), _invalid(
             "Settings!A1: required setting 'total_budget_musd' is missing; add a row with "
             "setting 'total_budget_musd' and its value",
             "Settings!A3: unknown setting 'totl_budget_musd' (did you mean "
             "'total_budget_musd'?); known settings: plan_start_year, total_budget_musd, "
             "objective, max_lead_time_months, max_public_share, mip_gap, time_limit_s, "
             "frontier_steps, frontier_top_pct, sensitivity_step_musd, risk_samples, risk_seed, "
             "risk_objective",
             "Settings!B4: mip_gap: expected a number, found text 'small'")),
    Case("chain-unknown-id", "an Inputs row naming a project that does not exist",
         _chain(Inputs=[{"project_id": "P2", **CONC, "input_tpa": 400}]), _invalid(
             "Inputs!A2: project_id: unknown project_id 'P2' (did you mean 'P02'?)")),
    Case("chain-own-output", "a separation plant listed as consuming the oxide it makes",
         _chain(Inputs=[{"project_id": "P02", **CONC, "input_tpa": 400},
                        {"project_id": "P02", "sector": "Magnets", "material": "ndpr  oxide",
                         "input_tpa": 10}]), _invalid(
             "Inputs!C3: material: P02 outputs magnets/ndpr oxide (Offtake!C3) and may not "
             "also consume it; list only what it takes in from other projects, supply or "
             "imports")),
    Case("chain-repeated", "Inputs and Supply rows pasted twice, once in other spelling",
         _chain(Inputs=[{"project_id": "P02", **CONC, "input_tpa": 400},
                        {"project_id": "P02", "sector": "magnets",
                         "material": "Mixed REO  Concentrate", "input_tpa": 400}],
                Supply=[{**CONC, "year": 2027, "supply_t": 100},
                        {**CONC, "year": 2027, "supply_t": 150}]), _invalid(
             "Inputs!A3: project_id: duplicate project_id/sector/material 'P02 / magnets / "
             "Mixed REO  Concentrate' (first at Inputs!A2)",
             "Supply!A3: sector: duplicate sector/material/year 'magnets / mixed REO "
             "concentrate / 2027' (first at Supply!A2)")),
    Case("chain-import-years", "a commodity imported both every year and in given years",
         _chain(Imports=[{**CONC, "year": 2027, "max_t": 200, "weight": 0.5},
                         {**CONC, "max_t": 100, "weight": 0.5},
                         {**METAL, "max_t": 50},
                         {**METAL, "max_t": 80}]), _invalid(
             "Imports!C3: year: blank (every plan year), but magnets/mixed REO concentrate "
             "already has a row for 2027 (Imports!C2); a commodity has either one blank-year "
             "row or rows with years, not both",
             "Imports!C5: year: a second blank-year row for magnets/NdPr metal (first at "
             "Imports!C4); a blank year already means every plan year")),
    Case("chain-outside-plan", "supply before the plan and imports after its last year",
         _chain(Supply=[{**CONC, "year": 2025, "supply_t": 100}],
                Imports=[{**CONC, "year": 2030, "max_t": 200}]), _invalid(
             "Supply!C2: year: 2025 is before plan_start_year 2026",
             "Imports!C2: year: 2030 is after the last Demand year 2028; the plan runs "
             "2026-2028, so these tonnes would never be used")),
    Case("chain-values", "negative, zero and text tonnes and weights on the chain sheets",
         _chain(Inputs=[{"project_id": "P02", **CONC, "input_tpa": 0}],
                Supply=[{**CONC, "year": 2027, "supply_t": -100}],
                Imports=[{**CONC, "year": 2027, "max_t": "200 t", "weight": -0.5}]), _invalid(
             "Inputs!D2: input_tpa: must be greater than 0, found 0",
             "Supply!D2: supply_t: must be at least 0, found -100",
             "Imports!D2: max_t: expected a number, found text '200 t'",
             "Imports!E2: weight: must be at least 0, found -0.5")),
    Case("stock-values", "a stockpile cap below its initial stock, a price of 0 and 150% "
         "holding cost",
         _stock(Stockpiles=[stock("US-DLA", initial_t=120),
                            stock("JP-JOGMEC", country="JP", max_stock_t=60, price_usd_per_kg=0,
                                  holding_cost_pct=150)]), _invalid(
             "Stockpiles!G2: max_stock_t: 100 t is below initial_t 120 t; the cap must hold at "
             "least the stock already held on 1 January of plan_start_year",
             "Stockpiles!E3: price_usd_per_kg: must be greater than 0, found 0",
             "Stockpiles!J3: holding_cost_pct: must be at most 100, found 150")),
    Case("stock-units", "units typed after a stockpile's price and holding cost",
         _stock(Stockpiles=[stock("US-DLA", price_usd_per_kg="80 USD/kg"),
                            stock("JP-JOGMEC", country="JP", max_stock_t=60,
                                  holding_cost_pct="2%")]), _invalid(
             "Stockpiles!E2: price_usd_per_kg: expected a number, found text '80 USD/kg'",
             "Stockpiles!J3: holding_cost_pct: expected a number, found text '2%'")),
    Case("stock-years", "stock bought until a year before the plan",
         _stock(Stockpiles=[stock("US-DLA", buy_until_year=2025),
                            stock("JP-JOGMEC", country="JP", max_stock_t=60,
                                  buy_until_year=2028)]), _invalid(
             "Stockpiles!H2: buy_until_year: 2025 is before plan_start_year 2026")),
    Case("stock-duplicate", "a stockpile row pasted twice, once in lower case",
         _stock(Stockpiles=[stock("US-DLA"), stock("JP-JOGMEC", country="JP", max_stock_t=60),
                            stock("us-dla", max_stock_t=80)]), _invalid(
             "Stockpiles!A4: stockpile_id: duplicate stockpile_id 'us-dla' (first at "
             "Stockpiles!A2)")),
    Case("stock-blank", "a stockpile's country and cap left blank",
         _stock(Stockpiles=[stock("US-DLA"),
                            stock("JP-JOGMEC", country=None, max_stock_t=None)]), _invalid(
             "Stockpiles!B3: country: required, but the cell is blank",
             "Stockpiles!G3: max_stock_t: required, but the cell is blank")),
    Case("stock-missing-column", "the max_stock_t header was shortened to max_stock",
         _stock(Stockpiles=[{("max_stock" if k == "max_stock_t" else k): v
                             for k, v in stock("US-DLA").items()}]), _invalid(
             "Stockpiles!A1: required column 'max_stock_t' not found in the header row (did "
             "you mean 'max_stock'?)")),
    Case("stock-formulas", "formula errors on the Stockpiles, CountryBudgets and CostShare "
         "sheets",
         _xml("xl/worksheets/sheet8.xml",
              _cell_xml("G3", '<c r="G3" t="e"><f>Sheet9!A1</f><v>#REF!</v></c>'),
              then=_xml("xl/worksheets/sheet9.xml",
                        _cell_xml("C4", '<c r="C4" t="e"><f>40/0</f><v>#DIV/0!</v></c>'),
                        then=_xml("xl/worksheets/sheet10.xml",
                                  _cell_xml("B2", '<c r="B2"><f>1/10</f></c>'),
                                  then=_stock()))), _invalid(
             "Stockpiles!G3: max_stock_t: the cell holds the formula error #REF!; correct the "
             "formula or type the value",
             "CountryBudgets!C4: budget_musd: the cell holds the formula error #DIV/0!; correct "
             "the formula or type the value",
             "CostShare!B2: min_share: the cell holds a formula with no saved result (the file "
             "was written by a program that does not calculate); open it in Excel or "
             "LibreOffice and save it, or type the value")),
    Case("country-repeated", "a country's whole-plan and 2027 budgets given twice, and its "
         "cost share twice",
         _stock(CountryBudgets=[{"country": "US", "year": None, "budget_musd": 150},
                                {"country": "JP", "year": None, "budget_musd": 60},
                                {"country": "JP", "year": 2027, "budget_musd": 40},
                                {"country": "jp", "year": None, "budget_musd": 70},
                                {"country": "JP ", "year": 2027, "budget_musd": 45}],
                CostShare=[{"country": "JP", "min_share": 0.1, "max_share": 0.5},
                           {"country": "jp", "min_share": 0.2}]), _invalid(
             "CountryBudgets!A5: country: a second whole-plan budget (blank year) for 'jp' "
             "(first at CountryBudgets!A3); give one row per country and year",
             "CountryBudgets!A6: country: duplicate country/year 'JP / 2027' (first at "
             "CountryBudgets!A4)",
             "CostShare!A3: country: duplicate country 'jp' (first at CostShare!A2)")),
    Case("country-values", "a negative budget, a budget year before the plan, a min_share "
         "above the max_share and a share over 100%",
         _stock(CountryBudgets=[{"country": "US", "year": None, "budget_musd": -150},
                                {"country": "JP", "year": None, "budget_musd": 60},
                                {"country": "JP", "year": 2025, "budget_musd": 40}],
                CostShare=[{"country": "JP", "min_share": 0.6, "max_share": 0.5},
                           {"country": "US", "min_share": None, "max_share": 1.2}]), _invalid(
             "CountryBudgets!C2: budget_musd: must be at least 0, found -150",
             "CountryBudgets!B4: year: 2025 is before plan_start_year 2026",
             "CostShare!C2: max_share: 0.5 is below min_share 0.6; no share of the total "
             "budget cost is at least 0.6 and at most 0.5",
             "CostShare!C3: max_share: must be at most 1, found 1.2")),
    Case("risk-values", "a certain failure, a share typed with a % sign, the largest delay "
         "below the most likely one and a negative delay on the Risk sheet",
         _book(Risk=[risk("mining", 1, 12, 48), risk("separation", "30%", 6, 24),
                     risk("magnet", 0.05, 24, 12), risk("recycling", 0.1, -3, None)]), _invalid(
             "Risk!B2: failure_prob: must be less than 1, found 1",
             "Risk!B3: failure_prob: expected a number, found text '30%'",
             "Risk!D4: delay_max_months: 12 is below delay_mode_months 24; the largest delay "
             "must be at least the most likely one",
             "Risk!C5: delay_mode_months: must be at least 0, found -3")),
    Case("risk-repeated", "a stage given twice on the Risk sheet, once capitalised",
         _book(Risk=[risk("mining", 0.3, 12, 48), risk("separation", 0.15, 6, 24),
                     risk("Mining", 0.2, 6, 24)]), _invalid(
             "Risk!A4: stage 'mining' has a Risk row already (at Risk!A2); give one row per "
             "stage")),
    Case("risk-project", "a project's own most likely delay above its stage's largest",
         _book(Risk=[risk("mining", 0.3, 12, 48)],
               Projects=[project("P01", capex_musd=60, stage="mining", delay_mode_months=60),
                         project("P02", capex_musd=50, requires="P01"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24)]),
         _invalid(
             "Projects!F2: delay_mode_months 60 is above the delay_max_months 48 of the "
             "'mining' Risk row; give delay_max_months on this row too")),
    Case("risk-expected", "risk_objective = expected with no risk data to sample",
         _book(Settings=settings(total_budget_musd=200, risk_objective="expected")), _invalid(
             "Settings!B5: risk_objective = expected, but no Risk row and no risk cell on "
             "Projects is filled, so risk_samples defaults to 0 and there is nothing to "
             "average over; add a Risk sheet or set risk_objective to plan")),
    Case("risk-expected-zero", "risk_objective = expected with risk_samples set to 0",
         _book(Settings=settings(total_budget_musd=200, risk_samples=0,
                                 risk_objective="expected"),
               Risk=[risk("mining", 0.3, 12, 48)]), _invalid(
             "Settings!B6: risk_objective: risk_objective = expected with risk_samples = 0 has "
             "no samples to average over; give risk_samples of 1 or more, or set "
             "risk_objective to plan")),
    Case("risk-min-cost", "risk_objective = expected under objective = min_cost",
         _book(Settings=settings(total_budget_musd=200, objective="min_cost",
                                 risk_objective="expected"),
               Risk=[risk("mining", 0.3, 12, 48)]), _invalid(
             "Settings!B6: risk_objective: risk_objective = expected needs objective = "
             "max_coverage: it averages max_coverage's first objective (weighted shortfall and "
             "imports) over the samples; min_cost has none to average")),
    Case("risk-stage", "a sector typed as a Risk stage, and a project's own "
         "largest delay below its stage's most likely one",
         _book(Risk=[risk("mining", 0.3, 12, 48), risk("magnets", 0.05, 3, 12)],
               Projects=[project("P01", capex_musd=60, stage="mining", delay_max_months=6),
                         project("P02", capex_musd=50, requires="P01"),
                         project("P03", capex_musd=30, country="JP", lead_time_months=24)]),
         _invalid(
             "Projects!F2: delay_max_months 6 is below the delay_mode_months 12 of the "
             "'mining' Risk row; give delay_mode_months on this row too",
             "Risk!A3: stage: expected one of mining, separation, refining, metal_alloy, "
             "magnet, recycling; found text 'magnets' (did you mean 'magnet'?)")),
    Case("risk-formulas", "a formula error and a formula saved without its result on the "
         "Risk sheet",
         _xml("xl/worksheets/sheet8.xml",
              lambda t: _cell_xml("B3", '<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c>')(
                  _cell_xml("D2", '<c r="D2"><f>C2*4</f></c>')(t)),
              then=_book(Risk=[risk("mining", 0.3, 12, 48),
                               risk("separation", 0.15, 6, 24)])), _invalid(
             "Risk!D2: delay_max_months: the cell holds a formula with no saved result (the "
             "file was written by a program that does not calculate); open it in Excel or "
             "LibreOffice and save it, or type the value",
             "Risk!B3: failure_prob: the cell holds the formula error #DIV/0!; correct the "
             "formula or type the value")),
    Case("risk-missing-column", "the Risk sheet's stage header typed as 'stages'",
         _book(Risk=[{("stages" if k == "stage" else k): v
                      for k, v in risk("mining", 0.3, 12, 48).items()}]), _invalid(
             "Risk!A1: required column 'stage' not found in the header row (did you mean "
             "'stages'?)")),
    Case("merged", "two project names merged into one cell", _openpyxl(_merge), _invalid(
        "Projects!B2: cells B2:B3 are merged; only the first cell of a merged range holds a "
        "value and the others read as blank. Unmerge them and fill in each cell",
        "Projects!B3: country: required, but the cell is blank")),
    Case("hidden-row", "a project row hidden to 'leave it out'", _openpyxl(_hide_row), _invalid(
        "Projects!A3: row 3 is hidden, but hidden rows are read like any other; unhide it to "
        "check it, or delete the row to leave it out")),
    Case("hidden-column", "the capex column hidden", _openpyxl(_hide_column), _invalid(
        "Projects!D1: column D (capex_musd) is hidden, but hidden columns are read like any "
        "other; unhide it to check its values")),
    Case("formula-error", "formulas that evaluate to #REF! and #DIV/0!",
         _xml("xl/worksheets/sheet2.xml", lambda t: _cell_xml(
             "E3", '<c r="E3" t="e"><f>Sheet9!A1</f><v>#REF!</v></c>')(_cell_xml(
                 "D2", '<c r="D2" t="e"><f>60/0</f><v>#DIV/0!</v></c>')(t))), _invalid(
             "Projects!D2: capex_musd: the cell holds the formula error #DIV/0!; correct the "
             "formula or type the value",
             "Projects!E3: lead_time_months: the cell holds the formula error #REF!; correct "
             "the formula or type the value")),
    Case("formula-uncached", "a formula saved by a program that does not calculate",
         _openpyxl(lambda b: setattr(b["Projects"]["D2"], "value", "=30+30")), _invalid(
             "Projects!D2: capex_musd: the cell holds a formula with no saved result (the file "
             "was written by a program that does not calculate); open it in Excel or "
             "LibreOffice and save it, or type the value")),
    Case("far-cell", "stray content in the last cell of the sheet", _openpyxl(_far_cell),
         _invalid("Demand!XFD1048576: the sheet has content as far as this cell, beyond the "
                  "100,000 rows and 100 columns portfolio reads; delete the stray content (in "
                  "Excel, Ctrl+End jumps to the last used cell)")),
    Case("not-a-workbook", "a CSV export renamed to .xlsx", _bytes(b"project_id,capex\nP01,60\n"),
         _invalid("{file}: not an Excel workbook (.xlsx): the file is damaged, truncated or of "
                  "another kind")),
    Case("empty-file", "a file of zero bytes", _bytes(b""), _invalid(
        "{file}: the file is empty; expected an Excel workbook (.xlsx)")),
    Case("truncated", "a copy cut short", _truncated, _invalid(
        "{file}: not an Excel workbook (.xlsx): the file is damaged, truncated or of another "
        "kind")),
    Case("old-xls", "an Excel 97-2003 file", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" +
                                                    bytes(504)), _invalid(
        "{file}: an old Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice and save "
        "it as .xlsx")),
    Case("password", "a workbook protected by a password to open", _encrypted, _invalid(
        "{file}: the workbook is password-protected; remove the password in Excel (File > Info "
        "> Protect Workbook) and save it again")),
    Case("entities", "XML entity expansion (billion laughs) in the workbook part",
         _xml("xl/workbook.xml", lambda t: BILLION_LAUGHS + re.sub(r"^<\?xml[^>]*\?>", "", t)),
         _invalid(
             "{file}: refused: its part xl/workbook.xml declares an XML document type or "
             "entities, which Excel and LibreOffice never write; the file may be crafted to "
             "attack the reader")),
    Case("damaged-sheet", "a sheet's XML cut short",
         _xml("xl/worksheets/sheet2.xml", lambda t: t[: len(t) // 2]), _invalid(
             "{file}: not a readable workbook: its sheet 'Projects' is damaged (syntax "
             "error: tag not closed: `>` not found before end of input)")),
    Case("declared-size", "a zip bomb declaring a 4 GB part", _declared_size, _invalid(
        "{file}: refused: the workbook unpacks to 4,096 MB, over the 512 MB limit")),
    Case("inflating", "a part that inflates beyond its declared size", _inflating, _invalid(
        "{file}: not a readable workbook: its part xl/worksheets/sheet2.xml is damaged (Bad "
        "CRC-32 for file 'xl/worksheets/sheet2.xml')")),
    Case("many-parts", "a package of 10,000 parts", _many_parts, _invalid(
        "{file}: refused: the workbook holds 10,016 parts, over the 10,000 a workbook of this "
        "kind needs")),
)


def missing_path_lines(path: Path) -> list[str]:
    """The lines for a path that does not exist (no file to build)."""
    return [f"{path}: file not found", INVALID.format(n=1, s="")]


def markdown() -> str:
    """The docs/messages.md table: each mistake and what `validate` prints for it."""
    out = ["# Messages for broken workbooks", "",
           "Generated by `python -m tests.independent.corpus --markdown` from the corpus that "
           "`tests/independent/test_corpus.py` checks line by line; `{file}` stands for the "
           "path given.", ""]
    for case in CASES:
        out += [f"## {case.name}: {case.mistake}", "", "```"]
        out += [*list(case.lines), "```", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Write the corpus into a folder, or print the Markdown table."""
    if argv == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: python -m tests.independent.corpus DIR | --markdown\n")
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        case.make(folder / f"{case.name}.xlsx")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
