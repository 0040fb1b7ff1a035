"""The chain output: Flows, Utilisation and Chains sheets, the Summary's weighted imports,
the director's sentence, the Guide, cues, charts and the JSON. Figures worked by hand.

Mine M (capex 50) makes mixed REO concentrate; separation plant S (capex 40) turns 500 t/y
of it into 100 t/y NdPr oxide. Both are online from 2027 (start 2026, lead time 12 months);
NdPr oxide demand is 150 t in 2027 and 2028; one grant pool, budget 100: both are selected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pandas as pd
import pytest

from portfolio.report import guide
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
    write_book,
)

ROOT = Path(__file__).resolve().parents[2]
CONC = {"sector": "magnets", "material": "mixed REO concentrate"}


def chain(mine_tpa: float, **sheets: Any) -> dict[str, Any]:
    """The module's chain, the mine making `mine_tpa` t/y of concentrate."""
    return {
        "Settings": settings(),
        "Projects": [project("M", stage="mining", capex_musd=50), project("S", capex_musd=40)],
        "Offtake": [offtake("M", mine_tpa, **CONC), offtake("S", 100)],
        "Inputs": [{"project_id": "S", **CONC, "input_tpa": 500}],
        "Demand": [demand(2027, 150), demand(2028, 150)],
        "Financing": [pool("G")],
    } | sheets


def solve(folder: Path, data: dict[str, Any], *args: str) -> Path:
    target = folder / "out.xlsx"
    run = call("solve", write_book(folder / "in.xlsx", data), "-o", target, "--workers", "1",
               *args)
    assert run.code == 0, run.stderr
    return target


@pytest.fixture(scope="module")
def plenty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000 t/y mine: S runs full and half the concentrate is left over."""
    return solve(tmp_path_factory.mktemp("plenty"), chain(1000), "--no-frontier",
                 "--no-sensitivity")


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300 t/y mine, 50 t Supply in 2028 and up to 100 t/y imports at weight 0.1.

    An imported tonne of concentrate costs 0.1 and makes 0.2 t oxide (saving 0.2 weighted
    shortfall), so S imports the 100 t each year: it runs at 400/500 = 80% in 2027 and
    450/500 = 90% in 2028, held back by the concentrate. Oxide delivered 80 and 90:
    weighted shortfall 70 + 60 = 130, weighted imports 10 + 10 = 20.
    """
    data = chain(300, Supply=[{**CONC, "year": 2028, "supply_t": 50}],
                 Imports=[{**CONC, "max_t": 100, "weight": 0.1}])
    folder = tmp_path_factory.mktemp("short")
    return solve(folder, data, "--json", str(folder / "out.json"))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: ("" if pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def flow(sector: str, material: str, year: int, *tonnes: float) -> dict[str, Any]:
    names = ("production_t", "supply_t", "released_t", "imports_t", "consumed_t",
             "delivered_t", "demand_t", "surplus_t")
    return {"sector": sector, "material": material, "year": year,
            **dict(zip(names, tonnes, strict=True))}


def test_flows_and_utilisation_of_a_full_chain(plenty: Path) -> None:
    sheets = read_output(plenty)
    assert records(sheets["Flows"]) == [
        flow("magnets", "NdPr oxide", 2027, 100, 0, 0, 0, 0, 100, 150, 0),
        flow("magnets", "NdPr oxide", 2028, 100, 0, 0, 0, 0, 100, 150, 0),
        flow("magnets", "mixed REO concentrate", 2027, 1000, 0, 0, 0, 500, 0, 0, 500),
        flow("magnets", "mixed REO concentrate", 2028, 1000, 0, 0, 0, 500, 0, 0, 500),
    ]
    assert records(sheets["Utilisation"]) == [
        {"project_id": "S", "year": 2027, "utilisation_pct": 100, "limited_by": ""},
        {"project_id": "S", "year": 2028, "utilisation_pct": 100, "limited_by": ""}]
    assert list(sheets["Coverage"]["supply_t"]) == [100, 100]
    top = summary(sheets)
    assert top["weighted_shortfall"] == 100 and top["weighted_imports"] == 0
    metrics = list(sheets["Summary"]["metric"])
    assert metrics.index("weighted_imports") == metrics.index("weighted_shortfall") + 1
    assert list(sheets)[list(sheets).index("Coverage") + 1:][:3] == ["Flows", "Utilisation",
                                                                      "Chains"]


def test_imports_utilisation_and_what_holds_a_converter_back(short: Path) -> None:
    sheets = read_output(short)
    assert records(sheets["Flows"]) == [
        flow("magnets", "NdPr oxide", 2027, 80, 0, 0, 0, 0, 80, 150, 0),
        flow("magnets", "NdPr oxide", 2028, 90, 0, 0, 0, 0, 90, 150, 0),
        flow("magnets", "mixed REO concentrate", 2027, 300, 0, 0, 100, 400, 0, 0, 0),
        flow("magnets", "mixed REO concentrate", 2028, 300, 50, 0, 100, 450, 0, 0, 0),
    ]
    label = "magnets/mixed REO concentrate"
    assert records(sheets["Utilisation"]) == [
        {"project_id": "S", "year": 2027, "utilisation_pct": 80, "limited_by": label},
        {"project_id": "S", "year": 2028, "utilisation_pct": 90, "limited_by": label}]
    # Chains: allied = production + supply + released over both materials.
    assert records(sheets["Chains"]) == [
        {"sector": "magnets", "year": 2027, "allied_t": 380, "imports_t": 100,
         "consumed_t": 400, "delivered_t": 80, "demand_t": 150},
        {"sector": "magnets", "year": 2028, "allied_t": 440, "imports_t": 100,
         "consumed_t": 450, "delivered_t": 90, "demand_t": 150}]
    top = summary(sheets)
    assert top["weighted_shortfall"] == pytest.approx(130)
    assert top["weighted_imports"] == pytest.approx(20)
    assert "+ weighted imports" in sheets["Summary"].set_index("metric").loc["objective", "note"]


def test_the_director_reads_how_much_the_allied_chain_delivers(short: Path) -> None:
    # 170 of 300 t delivered (57%); 200 of the 850 t of feedstock imported (24%), weight 20.
    panel = [c.value for c in openpyxl.load_workbook(short)["Summary"]["E"] if c.value]
    assert ("Magnets: 57% of demand is delivered from allied chains; converters imported "
            "200 t of their 850 t of feedstock (24%, weighted 20).") in panel


def test_guide_cues_and_chart_of_a_chain_workbook(short: Path) -> None:
    book = openpyxl.load_workbook(short)
    rows = {(r[0].value, r[1].value): r[3].value for r in book["Guide"].iter_rows(min_row=2)}
    for sheet in ("Flows", "Utilisation", "Chains"):
        for cell in book[sheet][1]:
            assert rows[(sheet, cell.value)] and cell.comment is not None, (sheet, cell.value)
    assert "allied chains" in rows[("Coverage", "supply_t")]
    assert "allied chains" in book["Coverage"]["E1"].comment.text
    util = book["Utilisation"]
    assert [r.rules[0].type for r in util.conditional_formatting] == ["dataBar"]
    assert (util.freeze_panes, book["Flows"].freeze_panes) == ("C2", "D2")
    charts = book["Chains"]._charts
    assert len(charts) == 1 and len(charts[0].series) == 4


def test_the_json_holds_the_chain_tables_and_validates(short: Path) -> None:
    document = json.loads(short.with_suffix(".json").read_text())
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["Utilisation"][0] == {"project_id": "S", "year": 2027,
                                          "utilisation_pct": 80.0,
                                          "limited_by": "magnets/mixed REO concentrate"}
    assert len(document["Flows"]) == 4 and len(document["Chains"]) == 2


def test_a_v1_workbook_has_no_chain_output(tmp_path: Path) -> None:
    sheets = read_output(solve(tmp_path, tiny(), "--no-frontier", "--no-sensitivity"))
    assert not {"Flows", "Utilisation", "Chains"} & set(sheets)
    top = summary(sheets)
    assert "weighted_imports" not in top
    notes = sheets["Summary"].set_index("metric")["note"]
    assert "imports" not in notes["objective"] + notes["best_bound_weighted_shortfall"]
    assert guide.explain("Coverage", "supply_t") != guide.explain("Coverage", "supply_t", True)
