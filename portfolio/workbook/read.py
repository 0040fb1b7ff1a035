"""Read stage: a workbook file into header-mapped tables of raw cell values.

Reading goes through calamine (Rust): it is five times faster than openpyxl on large
pipelines, reads the values Excel or LibreOffice cached for formulas, and never evaluates
anything in the file. Nothing here judges values; that is the validate stage's job.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from portfolio.errors import InvalidWorkbook, Issue
from portfolio.workbook.cells import cell_ref, column_letter
from portfolio.workbook.package import MAX_COLUMNS, MAX_ROWS, Package, Refused, SheetScan
from portfolio.workbook.values import Unusable, suggest

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_blank(value: Any) -> bool:
    """Empty cells and whitespace-only text count as blank."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """One input sheet: which column holds each known field, and the non-blank rows."""

    sheet: str
    columns: dict[str, int]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def ref(self, name: str, row: int) -> str:
        """Cell reference of field `name` on Excel row `row` (the row's first cell if unmapped)."""
        return cell_ref(self.sheet, row, self.columns.get(name, 0))


class Workbook:
    """An opened workbook whose sheets are looked up by name, ignoring case and spaces."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._package, self._book = _open(path)
        self.sheet_names: dict[str, str] = {
            name.strip().lower(): name for name in self._book.sheet_names
        }

    def close(self) -> None:
        """Release the file."""
        self._package.close()

    def find(self, name: str) -> str | None:
        """The sheet's name as spelled in the file, or None."""
        return self.sheet_names.get(name.lower())

    def grid(self, name: str) -> list[list[Any]]:
        """All cell values of a sheet from A1, blank cells as ''."""
        try:
            sheet = self._book.get_sheet_by_name(name)
            rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for damaged XML
            raise _refused(self.path, f"not a readable workbook: its sheet '{name}' is "
                                      f"damaged ({_first_line(exc)})") from None
        return rows

    def table(
        self, name: str, fields: dict[str, bool], issues: list[Issue], *, required: bool = True
    ) -> Table | None:
        """Read sheet `name` as a table of `fields` (name -> required?), recording problems."""
        actual = self.find(name)
        if actual is None:
            if required:
                found = ", ".join(self._book.sheet_names) or "none"
                issues.append(
                    Issue(f"{name}!A1", f"required sheet '{name}' is missing (sheets found: "
                          f"{found}){suggest(name, list(self.sheet_names))}")
                )
            return None
        try:
            scan = self._package.scan(actual)
        except Refused as exc:
            raise _refused(self.path, str(exc)) from None
        if scan.oversized:
            issues.append(Issue(f"{actual}!{scan.farthest}", (
                f"the sheet has content as far as this cell, beyond the {MAX_ROWS:,} rows and "
                f"{MAX_COLUMNS} columns portfolio reads; delete the stray content (in Excel, "
                "Ctrl+End jumps to the last used cell)")))
            return None
        grid = self.grid(actual)
        for (row, col), reason in scan.unusable.items():
            grid.extend([] for _ in range(row - len(grid)))
            values = grid[row - 1]
            values.extend([""] * (col + 1 - len(values)))
            values[col] = Unusable(reason)
        if not required and all(is_blank(v) for row in grid for v in row):
            return None
        header = grid[0] if grid else []
        table = Table(sheet=actual, columns=_map_header(actual, header, fields, issues))
        for offset, values in enumerate(grid[1:], start=2):
            record = {
                name: values[col]
                for name, col in table.columns.items()
                if col < len(values) and not is_blank(values[col])
            }
            if record or any(not is_blank(v) for v in values):
                table.rows.append((offset, record))
        _layout_issues(table, scan, issues)
        return table


def _layout_issues(table: Table, scan: SheetScan, issues: list[Issue]) -> None:
    """Merged ranges, hidden rows and hidden columns: the grid reads differently than it looks."""
    sheet = table.sheet
    for merged in scan.merged:
        issues.append(Issue(cell_ref(sheet, merged.first_row, merged.first_col), (
            f"cells {merged} are merged; only the first cell of a merged range holds a value "
            "and the others read as blank. Unmerge them and fill in each cell")))
    for row, record in table.rows:
        if row in scan.hidden_rows and record:
            issues.append(Issue(cell_ref(sheet, row, 0), (
                f"row {row} is hidden, but hidden rows are read like any other; unhide it to "
                "check it, or delete the row to leave it out")))
    for name, col in table.columns.items():
        if col in scan.hidden_columns:
            issues.append(Issue(cell_ref(sheet, 1, col), (
                f"column {column_letter(col)} ({name}) is hidden, but hidden columns are read "
                "like any other; unhide it to check its values")))


def _map_header(
    sheet: str, header: list[Any], fields: dict[str, bool], issues: list[Issue]
) -> dict[str, int]:
    """Find each known column by its header in row 1; report repeats and missing columns."""
    columns: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for col, value in enumerate(header):
        if is_blank(value):
            continue
        key = str(value).strip().lower()
        if key in fields:
            if key in columns:
                issues.append(Issue(cell_ref(sheet, 1, col),
                                    f"column '{key}' appears twice (first in "
                                    f"{cell_ref(sheet, 1, columns[key])}); delete one of them"))
            else:
                columns[key] = col
        else:
            unknown[key] = col
    for name, needed in fields.items():
        if needed and name not in columns:
            near = suggest(name, list(unknown))
            issues.append(Issue(f"{sheet}!A1", f"required column '{name}' not found in the "
                                f"header row{near}"))
    return columns


def _open(path: Path) -> tuple[Package, Any]:
    """Open a workbook, its package checked first; refuse it with the reason in plain words."""

    def refuse(message: str) -> InvalidWorkbook:
        return _refused(path, message)

    if not path.exists():
        raise refuse("file not found")
    if path.is_dir():
        raise refuse("this is a folder, not a workbook file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise refuse(f"cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise refuse("the file is empty; expected an Excel workbook (.xlsx)")
    if head == OLE2_MAGIC:
        raise refuse(_ole2_reason(path))
    if not zipfile.is_zipfile(path):
        raise refuse("not an Excel workbook (.xlsx): the file is damaged, truncated or of "
                     "another kind")
    try:
        package = Package(path)
    except Refused as exc:
        raise refuse(str(exc)) from None
    try:
        return package, CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        package.close()
        raise refuse(f"not a readable workbook: {_first_line(exc)}") from None


def _refused(path: Path, message: str) -> InvalidWorkbook:
    """The whole file refused: one problem, located at the file rather than a cell."""
    return InvalidWorkbook([Issue(str(path), message)])


def _first_line(exc: Exception) -> str:
    """A reader error in one line (calamine's messages can run to several)."""
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _ole2_reason(path: Path) -> str:
    """An OLE2 file is either an old .xls or an encrypted (password-protected) .xlsx."""
    data = path.read_bytes()[:1 << 20]
    if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptionInfo" in data:
        return ("the workbook is password-protected; remove the password in Excel "
                "(File > Info > Protect Workbook) and save it again")
    return ("an old Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice and save "
            "it as .xlsx")
