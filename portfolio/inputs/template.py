"""The input template: every input sheet with headers, dropdowns, formats and a Guide.

Columns, defaults, dropdown values and the Guide's text all come from the row models in
`portfolio.inputs.rows`, `portfolio.inputs.stockrows` and `portfolio.inputs.riskrows`, so the
template always matches what validation accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic.fields import FieldInfo

from portfolio.inputs.rows import Row, Settings
from portfolio.inputs.validate import SHEETS
from portfolio.workbook.save import save_atomic
from portfolio.workbook.styles import FORMATS, Column, new_workbook, write_table

NOTES = "notes"
FORMATTED_ROWS = 500
SHEET_PURPOSE = {
    "Settings": "Plan-wide settings: one row per setting (name in column A, value in B).",
    "Projects": "One row per candidate project: what it costs and when it can produce.",
    "Offtake": "What each project delivers per year, by sector and material, once online.",
    "Demand": "Tonnes each priority sector needs per material and year, and how much it matters.",
    "Financing": "One row per funding pool (one funder, one instrument) and its rules.",
    "CapexSchedule": "Optional: when each project's budget cost is disbursed (shares sum to 1).",
    "Budget": "Optional: a cap on the budget cost disbursed in each year.",
    "Scenarios": "Optional: named what-if cases compared with the base case, one change per "
                 "row; rows with the same scenario name make up one scenario (at most 50).",
    "Inputs": "Optional (chains): feedstock each converter consumes at full output; a project "
              "with Inputs rows runs at the utilisation its feed allows, and its Offtake rows "
              "are its outputs.",
    "Supply": "Optional (chains): allied tonnes per year from sources already operating, "
              "usable as feedstock or delivered to Demand.",
    "Imports": "Optional (chains): non-allied feedstock converters may import, capped per "
               "year and weighted like shortfall; never delivered to Demand.",
    "Stockpiles": "Optional (stockpiles): one row per strategic stock a government buys, "
                  "holds and releases into the chain (to Demand or to converters); purchases "
                  "and holding costs count against the total, annual and country budgets.",
    "CountryBudgets": "Optional (governments): a cap on each country's budget cost (its pools "
                      "and stockpiles), for the whole plan (year blank) or one year; one row "
                      "per country and year.",
    "CostShare": "Optional (governments): the agreed range of each country's share of the "
                 "portfolio's total budget cost; one row per country.",
    "Risk": "Optional (risk): each stage's chance of failing within the plan and its extra "
            "lead time (triangular from 0: most likely and largest months); one row per stage. "
            "The same columns on Projects override a stage's values for one project.",
}


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _kind(info: FieldInfo) -> str:
    return str(_extra(info).get("format", "general"))


def _choices(info: FieldInfo) -> list[str]:
    return [str(c) for c in _extra(info).get("choices", [])]


def _default(info: FieldInfo) -> Any:
    if info.is_required() or info.default in (None, ()):
        return None
    return info.default


def write_template(target: Path, data: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
                   ) -> None:
    """Write the template to `target`; with `data` (sheet -> rows) it is filled in."""
    data = data or {}
    book = new_workbook()
    settings_ws = book.create_sheet("Settings")
    _settings_sheet(settings_ws, data.get("Settings", []))
    for name, (model, _) in SHEETS.items():
        if name == "Settings":
            continue
        _table_sheet(book.create_sheet(name), model, data.get(name, []))
    _guide(book.create_sheet("Guide"))
    save_atomic(book, target)


def _settings_sheet(ws: Worksheet, rows: Sequence[Mapping[str, Any]]) -> None:
    """Setting, value and note rows; objective and risk_objective values get dropdowns."""
    given = {str(r["setting"]): r for r in rows}
    records = []
    for name, info in Settings.model_fields.items():
        row = given.get(name, {})
        value = row.get("value", _default(info))
        note = row.get(NOTES) or info.description or ""
        records.append([name, value, note])
    write_table(ws, (Column("setting", "text"), Column("value"), Column("note", "text")),
                records)
    names = list(Settings.model_fields)
    for offset, name in enumerate(names, start=2):
        info = Settings.model_fields[name]
        kind = _kind(info)
        if kind == "choice":
            _dropdown(ws, f"B{offset}", _choices(info))
        else:
            # mip_gap 0.0001 must not show as 0.0%, so shares are plain decimals here.
            ws.cell(row=offset, column=2).number_format = (
                "0.0###" if kind == "share" else FORMATS.get(kind, "General"))


def _table_sheet(ws: Worksheet, model: type[Row], rows: Sequence[Mapping[str, Any]]) -> None:
    """Header from the model's fields plus a notes column; dropdowns and formats below."""
    fields = list(model.model_fields.items())
    columns = [Column(name, _kind(info)) for name, info in fields] + [Column(NOTES, "text")]
    records = [[row.get(c.name) for c in columns] for row in rows]
    write_table(ws, columns, records)
    for col, (name, info) in enumerate(fields, start=1):
        header = ws.cell(row=1, column=col)
        required = "required" if info.is_required() else "optional"
        header.comment = Comment(f"{name} ({required}): {info.description}", "portfolio")
        letter = header.column_letter
        last = max(FORMATTED_ROWS, len(rows) + 1)
        choices = _choices(info)
        if choices and _kind(info) == "choice":
            _dropdown(ws, f"{letter}2:{letter}{last}", choices)
        elif choices:
            _dropdown(ws, f"{letter}2:{letter}{last}", choices, strict=False)
        for r in range(len(rows) + 2, last + 1):
            ws.cell(row=r, column=col).number_format = FORMATS.get(_kind(info), "General")


def _dropdown(ws: Worksheet, ref: str, choices: Sequence[str], *, strict: bool = True) -> None:
    """An Excel list validation; `strict=False` suggests values but accepts others."""
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
        showErrorMessage=True, errorStyle="stop" if strict else "information",
        errorTitle="Not in the list", error="Choose one of: " + ", ".join(choices),
    )
    ws.add_data_validation(validation)
    validation.add(ref)


GUIDE = (
    Column("sheet", "text"), Column("column", "text"), Column("required", "text"),
    Column("default", "text"), Column("format", "text"), Column("allowed_values", "text"),
    Column("meaning", "text"),
)
FORMAT_WORDS = {
    "usd": "USD millions", "tonnes": "tonnes", "share": "fraction 0-1 (0.5 = 50%)",
    "year": "calendar year, e.g. 2027", "int": "whole number", "number": "number",
    "text": "text", "choice": "one of the listed values", "pct": "percent (150 = 150%)",
    "general": "number or text",
}


def _guide(ws: Worksheet) -> None:
    """One row per sheet and per column, in a finance reviewer's words."""
    write_table(ws, GUIDE, guide_rows())


def guide_rows() -> list[list[Any]]:
    """The Guide's records: sheet, column, required, default, format, allowed, meaning."""
    records: list[list[Any]] = []
    for name, (model, required_sheet) in SHEETS.items():
        records.append([name, "(sheet)", "yes" if required_sheet else "no", "", "", "",
                        SHEET_PURPOSE[name]])
        fields = Settings.model_fields if name == "Settings" else model.model_fields
        for field, info in fields.items():
            default = _default(info)
            records.append([
                name, field, "yes" if info.is_required() else "no",
                "" if default is None else str(default),
                FORMAT_WORDS.get(_kind(info), ""), ", ".join(_choices(info)),
                info.description or "",
            ])
        if name != "Settings":
            records.append([name, NOTES, "no", "", "text", "",
                            "Free text for your own notes and sources; ignored by the optimiser."])
    return records


def reference_markdown() -> str:
    """The input reference of docs/template.md, from the same rows as the Guide sheet."""
    lines = ["# Input template reference", "",
             "Generated from `portfolio/inputs/rows.py` and `portfolio/inputs/stockrows.py` "
             "(`python -m portfolio.inputs.template > docs/template.md`); the template's Guide "
             "sheet holds the same text.", ""]
    for row in guide_rows():
        sheet, column, required, default, kind, allowed, meaning = row
        if column == "(sheet)":
            optional = "" if required == "yes" else " (optional sheet)"
            lines += ["", f"## `{sheet}`{optional}", "", meaning, "",
                      "| column | required | default | format | allowed values | meaning |",
                      "|---|---|---|---|---|---|"]
            continue
        lines.append(f"| `{column}` | {required} | {default} | {kind} | {allowed} | "
                     f"{meaning} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
