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

from portfolio.cells import cell_ref
from portfolio.errors import InvalidWorkbook, Issue
from portfolio.fields import Unusable, suggest
from portfolio.formulas import unusable_cells

MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
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
        self._book = _open(path)
        self.sheet_names: dict[str, str] = {
            name.strip().lower(): name for name in self._book.sheet_names
        }

    def find(self, name: str) -> str | None:
        """The sheet's name as spelled in the file, or None."""
        return self.sheet_names.get(name.lower())

    def grid(self, name: str) -> list[list[Any]]:
        """All cell values of a sheet from A1, blank cells as ''."""
        sheet = self._book.get_sheet_by_name(name)
        rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
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
        grid = self.grid(actual)
        for (row, col), reason in unusable_cells(self.path, actual).items():
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
        return table


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


def _open(path: Path) -> Any:
    """Open a workbook or raise InvalidWorkbook with the reason in plain words."""
    where = str(path)

    def refuse(message: str) -> InvalidWorkbook:
        return InvalidWorkbook([Issue(where, message)])

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
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(f"not a readable workbook ({exc})") from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise refuse(f"refused: the workbook unpacks to {total / 2**20:,.0f} MB, over the "
                     f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB limit")
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise refuse(f"not a readable workbook: {str(exc).splitlines()[0][:200]}") from None


def _ole2_reason(path: Path) -> str:
    """An OLE2 file is either an old .xls or an encrypted (password-protected) .xlsx."""
    data = path.read_bytes()[:1 << 20]
    if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptionInfo" in data:
        return ("the workbook is password-protected; remove the password in Excel "
                "(File > Info > Protect Workbook) and save it again")
    return ("an old Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice and save "
            "it as .xlsx")
