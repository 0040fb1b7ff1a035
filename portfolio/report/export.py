"""The results as one JSON object, for tools that should not have to parse Excel.

A key per table (the sheet's name; the Frontier sheet's entry-level table is
`FrontierEntry`; the Risk sheet's side tables are `RiskBySector`, `RiskHistogram` and
`RiskContributions`), each holding the table's records as objects keyed by header, in the
workbook's order. Numbers are JSON numbers, blank cells null and `critical` the string,
exactly as the cells hold them. The JSON Schema (`docs/results.schema.json`) is generated
from the same column definitions: `python -m portfolio.report.export --schema`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence, Set
from pathlib import Path
from typing import Any

from portfolio import __version__
from portfolio.report import guide
from portfolio.report.changes import COLUMNS as CHANGES
from portfolio.report.contents import CRITICAL, Report
from portfolio.report.flowtables import CHAINS, FLOWS, UTILISATION
from portfolio.report.risktables import CONTRIBUTIONS, HISTOGRAM, NOTE, RISK, SAMPLES
from portfolio.report.stocktables import COUNTRIES, STOCKPILES
from portfolio.report.summary import SUMMARY
from portfolio.report.tables import (
    BUDGET,
    COVERAGE,
    DIAGNOSIS,
    ENTRY,
    FINANCING,
    POOLS,
    REJECTED,
    RISK_CONTRIBUTION,
    SECTORS,
    SELECTION,
    SENSITIVITY,
    Table,
    frontier_columns,
    frontier_tables,
    mix_columns,
    scenario_columns,
    tables,
)
from portfolio.workbook.save import save_atomic
from portfolio.workbook.styles import Column

SCHEMA_ID = "https://portfolio.invalid/results.schema.json"
NUMERIC = {"usd", "tonnes", "pct", "share", "year", "int", "number", "regret", "seconds",
           "figure"}
FRONTIER_ONLY = ["Frontier", "FrontierEntry", "Guide"]
ALWAYS = ("Summary", "Selection", "Financing", "Coverage", "Budget", "Pools", "Rejected",
          "Guide")


def scalar(value: Any) -> Any:
    """A cell's value as JSON holds it: blank text and non-finite numbers become null."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(value) if isinstance(value, int) else number
    return str(value)


def records(found: Sequence[Table]) -> dict[str, list[dict[str, Any]]]:
    """Each table's records keyed by header, tables keyed by name."""
    return {table.name: [{column.name: scalar(value)
                          for column, value in zip(table.columns, row, strict=True)}
                         for row in table.rows]
            for table in found}


def document(report: Report, *, frontier_only: bool = False) -> dict[str, Any]:
    """The whole JSON object of a report (the same tables as the workbook, Guide included)."""
    found = frontier_tables(report) if frontier_only else tables(report)
    return records(guide.with_guide(found))


class _Text:
    """A text file that `save_atomic` can write like a workbook."""

    def __init__(self, text: str) -> None:
        self.text = text

    def save(self, filename: str) -> None:
        Path(filename).write_text(self.text, encoding="utf-8")


def write_json(report: Report, target: Path, *, frontier_only: bool = False) -> None:
    """Write the report's JSON atomically, like the workbook."""
    text = json.dumps(document(report, frontier_only=frontier_only), ensure_ascii=False,
                      allow_nan=False, indent=1)
    save_atomic(_Text(text + "\n"), target)


def _value_schema(column: Column) -> dict[str, Any]:
    if column.name in ("year", "value", "previous", "current"):
        return {"type": ["number", "string", "null"]}  # Budget's year column holds 'total'
    if column.kind == "regret":
        return {"anyOf": [{"type": "number"}, {"const": CRITICAL}, {"type": "null"}]}
    if column.kind in NUMERIC:
        return {"type": ["number", "null"]}
    return {"type": ["string", "null"]}


def _records_schema(name: str, columns: Sequence[Column],
                    patterns: dict[str, Column] | None = None,
                    optional: Set[str] = frozenset()) -> dict[str, Any]:
    """A sheet as an array of records; `optional` columns appear only in some workbooks."""
    props = {}
    for column in columns:
        entry = guide.both(name, column.name)
        props[column.name] = {**_value_schema(column),
                              "description": entry.meaning if entry else ""}
    item: dict[str, Any] = {"type": "object", "properties": props,
                            "required": [c.name for c in columns if c.name not in optional]}
    if patterns:
        item["patternProperties"] = {pattern: _value_schema(column)
                                     for pattern, column in patterns.items()}
    item["additionalProperties"] = False
    return {"type": "array", "items": item}


def _samples_schema() -> dict[str, Any]:
    """RiskSamples: its rows, or (above the sheet's limit) one record holding only a note."""
    rows, note = _records_schema("RiskSamples", SAMPLES), _records_schema("RiskSamples", NOTE)
    return {"anyOf": [rows, {**note, "maxItems": 1}]}


def schema() -> dict[str, Any]:
    """The JSON Schema of `--json` output."""
    sector = {"^coverage_pct_.+$": Column("coverage_pct_x", "pct")}
    country = {"^face_.+_musd$": Column("face_x_musd", "usd"),
               "^cost_.+_musd$": Column("cost_x_musd", "usd")}
    sheets = {
        "Summary": _records_schema("Summary", SUMMARY),
        "Diagnosis": _records_schema("Diagnosis", DIAGNOSIS),
        "Selection": _records_schema("Selection", (*SELECTION, RISK_CONTRIBUTION),
                                     optional={RISK_CONTRIBUTION.name}),
        "Financing": _records_schema("Financing", FINANCING),
        "Coverage": _records_schema("Coverage", COVERAGE),
        "Budget": _records_schema("Budget", BUDGET),
        "Pools": _records_schema("Pools", POOLS),
        "Rejected": _records_schema("Rejected", REJECTED),
        "Frontier": _records_schema("Frontier", frontier_columns([], chains=True), sector,
                                    optional={"weighted_imports"}),
        "FrontierEntry": _records_schema("FrontierEntry", ENTRY),
        "Scenarios": _records_schema("Scenarios", scenario_columns([], chains=True), sector,
                                     optional={"weighted_imports"}),
        "Sensitivity": _records_schema("Sensitivity", SENSITIVITY),
        "Sectors": _records_schema("Sectors", SECTORS),
        "Mix": _records_schema("Mix", mix_columns([]), country),
        "Flows": _records_schema("Flows", FLOWS),
        "Utilisation": _records_schema("Utilisation", UTILISATION),
        "Chains": _records_schema("Chains", CHAINS),
        "Stockpiles": _records_schema("Stockpiles", STOCKPILES),
        "Countries": _records_schema("Countries", COUNTRIES),
        "Risk": _records_schema("Risk", RISK),
        "RiskBySector": _records_schema("RiskBySector", [Column("sector", "text")],
                                        {r"^prob_covered_\d+$": Column("prob_covered_x",
                                                                        "share")}),
        "RiskHistogram": _records_schema("RiskHistogram", HISTOGRAM),
        "RiskContributions": _records_schema("RiskContributions", CONTRIBUTIONS),
        "RiskSamples": _samples_schema(),
        "Changes": _records_schema("Changes", CHANGES),
        "Guide": _records_schema("Guide", guide.COLUMNS),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"portfolio {__version__.split('+')[0]} results (portfolio solve --json)",
        "description": "One key per results table, each an array of records keyed by the "
                       "table's headers. Numbers are numbers, blank cells null; the regret "
                       "columns hold the string 'critical' where dropping the project leaves "
                       "no feasible portfolio. Frontier-only output (portfolio frontier "
                       "--json) holds Frontier, FrontierEntry and Guide. With schedule risk, "
                       "Risk, RiskBySector, RiskHistogram, RiskContributions and RiskSamples "
                       "are there too; RiskSamples holds what its sheet holds: its rows, or "
                       "above 1,000,000 of them one note naming the CSV file that has them.",
        "type": "object",
        "properties": sheets,
        "required": [],
        "additionalProperties": False,
        "anyOf": [{"required": list(ALWAYS)},
                  {"required": list(FRONTIER_ONLY), "propertyNames": {"enum": FRONTIER_ONLY}}],
    }


def main() -> None:
    """Print the schema (`python -m portfolio.report.export --schema > docs/...`)."""
    if sys.argv[1:] != ["--schema"]:
        sys.exit("usage: python -m portfolio.report.export --schema")
    print(json.dumps(schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
