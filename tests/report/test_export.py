"""`--json`: one object, a key per table, validated against the schema in docs/ and
equal to the workbook cell for cell."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from portfolio.report.export import scalar
from tests.conftest import EXAMPLE
from tests.helpers import call, project, tiny, variant, write_book

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "results.schema.json"


def workbook_tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every Excel table of the workbook as records, keyed as the JSON keys them."""
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        for name, ref in ws.tables.items():
            first, top, last, bottom = range_boundaries(ref)
            grid = [[ws.cell(row=r, column=c).value for c in range(first, last + 1)]
                    for r in range(top, bottom + 1)]
            key = name.removeprefix("t_")
            out[key] = [dict(zip(grid[0], row, strict=True)) for row in grid[1:]]
        if not ws.tables and ws.auto_filter.ref:  # a table sheet without rows
            out[ws.title] = []
    return out


def blank(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def same(mine: Any, cell: Any) -> Any:
    """The cell's value, or the JSON's where both are the same number to 16 digits.

    openpyxl writes floats with 16 significant digits (Excel keeps 15); the JSON keeps all 17.
    """
    if isinstance(mine, float) and isinstance(cell, int | float) and \
            float(f"{mine:.16g}") == float(cell):
        return mine
    return cell


def test_scalar_values_are_json_values() -> None:
    assert [scalar(v) for v in (None, "", "  ", "critical", 3, 2.5, math.nan, math.inf,
                                True)] == [None, None, None, "critical", 3, 2.5, None, None,
                                           True]
    assert isinstance(scalar(3), int) and isinstance(scalar(3.0), float)


def test_the_committed_schema_is_the_generated_one() -> None:
    fresh = subprocess.run([sys.executable, "-m", "portfolio.report.export", "--schema"],
                           capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(fresh) == json.loads(SCHEMA.read_text()), \
        "run: python -m portfolio.report.export --schema > docs/results.schema.json"


def test_the_worked_example_json_validates_and_equals_the_workbook(
        example_result: Path) -> None:
    document = json.loads(example_result.with_suffix(".json").read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    tables = workbook_tables(example_result)
    assert list(document) == list(tables)
    for name, records in tables.items():
        assert len(document[name]) == len(records), name
        for mine, theirs in zip(document[name], records, strict=True):
            assert list(mine) == list(theirs), name
            assert mine == {k: same(mine[k], blank(v)) for k, v in theirs.items()}, name
    regrets = {r["regret_shortfall"] for r in document["Selection"]}
    assert all(isinstance(v, float | int) or v in (None, "critical") for v in regrets)
    summary = {r["metric"]: r["value"] for r in document["Summary"]}
    assert summary["status"] == "optimal" and isinstance(summary["weighted_shortfall"], float)


def test_the_schema_rejects_what_it_should(example_result: Path) -> None:
    document = json.loads(example_result.with_suffix(".json").read_text())
    schema = json.loads(SCHEMA.read_text())
    for broken in ({**document, "Selection": [{**document["Selection"][0], "capex_musd": "60"}]},
                   {k: v for k, v in document.items() if k != "Summary"},
                   {**document, "Pools": [{**document["Pools"][0], "surprise": 1}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)


def test_json_is_refused_like_the_workbook(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    out = tmp_path / "out.xlsx"
    (tmp_path / "folder.json").mkdir()
    for path, words in ((tmp_path / "out.txt", "must be a .json file name"),
                        (out, "must be a .json file name"),
                        (tmp_path / "folder.json", "is a directory")):
        run = call("solve", source, "-o", out, "--json", path)
        assert run.code in (1, 2) and words in run.stderr, run.stderr
        assert not out.exists()
    (tmp_path / ".~lock.res.json#").write_text("")
    run = call("solve", source, "-o", out, "--json", tmp_path / "res.json")
    assert run.code == 1 and "open in Excel or LibreOffice" in run.stderr
    assert not out.exists()


def test_infeasible_and_frontier_runs_write_json_too(tmp_path: Path) -> None:
    bad = variant(tiny(), Projects=[project("A", capex_musd=300, lock="in"), project("B"),
                                    project("C")])
    target = tmp_path / "bad.json"
    run = call("solve", write_book(tmp_path / "bad.xlsx", bad), "-o", tmp_path / "bad-out.xlsx",
               "--json", target)
    assert run.code == 4 and f"wrote {target}" in run.stderr
    document = json.loads(target.read_text())
    assert document["Summary"][0] == {"metric": "status", "value": "infeasible",
                                      "note": document["Summary"][0]["note"]}
    assert "A is locked in" in " ".join(r["message"] for r in document["Diagnosis"])
    frontier = tmp_path / "frontier.json"
    run = call("frontier", write_book(tmp_path / "in.xlsx", tiny()), "-o",
               tmp_path / "f.xlsx", "--json", frontier)
    assert run.code == 0, run.stderr
    assert list(json.loads(frontier.read_text())) == ["Frontier", "FrontierEntry", "Guide"]
    jsonschema.validate(json.loads(frontier.read_text()), json.loads(SCHEMA.read_text()))
    assert EXAMPLE.exists()
