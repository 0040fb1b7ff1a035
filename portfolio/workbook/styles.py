"""Writing sheets people can read and machines can re-check.

Header in row 1, one record per row, numbers unrounded with display formats, frozen
header, column widths from content, and an Excel table (with its filter buttons) per
sheet. Text is always written as text: a value copied from an input that starts with
`=` never becomes a formula.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

FONT = "Calibri"
MAX_CELL_TEXT = 32_767
FORMATS = {
    "usd": "#,##0.0",
    "tonnes": "#,##0",
    "pct": '0.0"%"',
    "share": "0.0%",
    "year": "0",
    "int": "0",
    "number": "General",  # '#,##0.####' would show whole numbers as '60.' in Excel
    "regret": "#,##0.0##",
    "figure": "#,##0.0##",  # a number or a word, in one column (Changes)
    "seconds": "0.00",
    "text": "@",
    "choice": "@",
    "general": "General",
}
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
BODY_FONT = Font(name=FONT)
MAX_WIDTH = 70


@dataclass(frozen=True)
class Column:
    """An output column: header, display format and an optional comment for the header."""

    name: str
    kind: str = "general"
    note: str = ""


def text(value: str) -> str:
    """Text safe for a cell: no characters XML forbids, no more than Excel's 32,767."""
    clean = str(ILLEGAL_CHARACTERS_RE.sub("", value))
    return clean if len(clean) <= MAX_CELL_TEXT else clean[: MAX_CELL_TEXT - 1] + "…"


#: Each workbook's cell styles by (kind, text, blank): openpyxl hashes a style object on
#: every assignment, which took half of writing the worked example's results; a cell of a
#: kind already styled takes a copy of that cell's style indices instead.
_STYLES: WeakKeyDictionary[Workbook, dict[tuple[str, bool, bool], Any]] = WeakKeyDictionary()


def put(ws: Worksheet, row: int, col: int, value: Any, kind: str = "general") -> None:
    """Write one value; strings are forced to be text, numbers get their display format."""
    cell = ws.cell(row=row, column=col)
    is_text = isinstance(value, str)
    if is_text:
        cell.value = text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    styles = _STYLES.setdefault(ws.parent, {})
    key = (kind, is_text, value is None)
    if key in styles:
        cell._style = copy(styles[key])
        return
    if is_text and kind not in ("text", "choice", "general", "figure"):
        cell.alignment = Alignment(horizontal="right")  # e.g. 'critical' among numbers
    if not is_text and value is not None and kind in FORMATS:
        cell.number_format = FORMATS[kind]
    cell.font = BODY_FONT
    styles[key] = copy(cell._style)


def write_table(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
                *, table_name: str | None = None, first_col: int = 1) -> None:
    """Header in row 1, records below, widths, frozen header and an Excel table.

    `first_col` places a second table beside the first (after a blank column).
    """
    for col, column in enumerate(columns, start=first_col):
        cell = ws.cell(row=1, column=col)
        cell.value = column.name
        cell.data_type = "s"
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for r, record in enumerate(rows, start=2):
        for col, (column, value) in enumerate(zip(columns, record, strict=True),
                                              start=first_col):
            put(ws, r, col, value, column.kind)
    autosize(ws, columns, rows, first_col)
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"
    first = f"{get_column_letter(first_col)}1"
    last = f"{get_column_letter(first_col + len(columns) - 1)}{max(len(rows) + 1, 1)}"
    if rows:
        name = re.sub(r"[^A-Za-z0-9_]", "_", table_name or ws.title)
        table = Table(displayName=f"t_{name}", ref=f"{first}:{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    elif first_col == 1:
        ws.auto_filter.ref = f"{first}:{last}"


def autosize(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
             first_col: int = 1) -> None:
    """Column widths from the longest shown value (sampled for long sheets)."""
    sample = rows if len(rows) <= 500 else list(rows[:250]) + list(rows[-250:])
    for col, column in enumerate(columns, start=first_col):
        longest = len(column.name) + 3
        for record in sample:
            value = record[col - first_col]
            shown = f"{value:,.1f}" if isinstance(value, float) else str(value or "")
            longest = max(longest, len(shown) + 2)
        ws.column_dimensions[get_column_letter(col)].width = min(longest, MAX_WIDTH)


def new_workbook() -> Workbook:
    """A workbook without its default empty sheet."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    return book
