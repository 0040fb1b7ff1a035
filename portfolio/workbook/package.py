"""The workbook as a package: a zip of XML parts, checked before any parser reads it.

A hostile or damaged file must end in a one-line refusal, never in a crash or an exhausted
machine. calamine builds a dense grid from a sheet's first to its last used cell, so a tiny
file with one value in XFD1048576 asks it for half a terabyte; zip members can claim small
sizes and inflate without end; XML can declare entities. So before calamine opens anything:
the package's declared size and part count are capped, every part that will be parsed is
inflated here through Python's zipfile (which stops at the declared size and checks the
CRC), parts declaring a document type are refused, and each sheet to be read is scanned
for its extent, hidden rows and columns, and merged ranges. Nothing in the file is ever
evaluated.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from defusedxml import ElementTree

from portfolio.workbook.cells import column_letter, position
from portfolio.workbook.formulas import unusable_cells

MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_PARTS = 10_000
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
SHARED_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/sharedStrings.xml", "xl/styles.xml")

_TAG = rb"<(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(_TAG + rb"c\b([^>]*?)(/?)>")
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s>/]")
_ROW = re.compile(_TAG + rb"row\b([^>]*)>")
_COL = re.compile(_TAG + rb"col\b([^>]*)>")
_MERGE = re.compile(_TAG + rb"mergeCell\b[^>]*?\bref=\"([A-Za-z0-9:$]+)\"")
_ATTR = re.compile(rb"\b([\w:]+)=\"([^\"]*)\"")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class Refused(Exception):
    """The package cannot be read safely; the message says why in plain words."""


@dataclass(frozen=True)
class Merged:
    """A merged range, 1-based rows and 0-based columns, inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    def __str__(self) -> str:
        return (f"{column_letter(self.first_col)}{self.first_row}:"
                f"{column_letter(self.last_col)}{self.last_row}")


@dataclass(frozen=True)
class SheetScan:
    """What the grid of values does not show about a sheet."""

    last_row: int = 0
    last_col: int = -1
    farthest: str = ""
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    merged: tuple[Merged, ...] = ()
    unusable: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def oversized(self) -> bool:
        """Whether the sheet's used area exceeds the rows or columns portfolio reads."""
        return self.last_row > MAX_ROWS or self.last_col >= MAX_COLUMNS


class Package:
    """An opened .xlsx package whose size has been checked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Refused(f"not a readable workbook ({exc})") from None
        try:
            self._check()
        except Refused:
            self._zip.close()
            raise

    def _check(self) -> None:
        """Size and part count first, then every shared part calamine will parse."""
        infos = self._zip.infolist()
        if len(infos) > MAX_PARTS:
            raise Refused(f"refused: the workbook holds {len(infos):,} parts, over the "
                          f"{MAX_PARTS:,} a workbook of this kind needs")
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise Refused(f"refused: the workbook unpacks to {total / 2**20:,.0f} MB, over the "
                          f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB limit")
        self._names = {info.filename for info in infos}
        for part in SHARED_PARTS:
            if part in self._names:
                self.part(part)

    def close(self) -> None:
        """Release the file."""
        self._zip.close()

    def part(self, name: str) -> bytes:
        """A part's bytes, inflated no further than its declared size, CRC checked."""
        try:
            data = self._zip.read(name)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
            raise Refused(f"not a readable workbook: its part {name} is damaged ({exc})") from None
        if _DTD.search(data):
            raise Refused(f"refused: its part {name} declares an XML document type or "
                          "entities, which Excel and LibreOffice never write; the file may be "
                          "crafted to attack the reader")
        return data

    @cached_property
    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> path of its XML part inside the package."""
        if "xl/workbook.xml" not in self._names or "xl/_rels/workbook.xml.rels" not in self._names:
            return {}
        try:
            rels = ElementTree.fromstring(self.part("xl/_rels/workbook.xml.rels"))
            book = ElementTree.fromstring(self.part("xl/workbook.xml"))
        except ElementTree.ParseError:
            return {}
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG}Relationship")}
        paths: dict[str, str] = {}
        for sheet in book.iter(f"{MAIN}sheet"):
            target = targets.get(sheet.get(f"{REL}id"), "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            if path in self._names:
                paths[str(sheet.get("name"))] = path
        return paths

    def scan(self, sheet: str) -> SheetScan:
        """Extent, hidden rows and columns, merged ranges and unusable formula cells."""
        part = self.sheet_parts.get(sheet)
        if part is None:
            return SheetScan()
        data = self.part(part)
        last_row, last_col, farthest = _extent(data)
        scan = SheetScan(last_row=last_row, last_col=last_col, farthest=farthest,
                         hidden_rows=_hidden_rows(data), hidden_columns=_hidden_columns(data),
                         merged=_merged(data))
        if scan.oversized:
            return scan
        return dataclasses.replace(scan, unusable=unusable_cells(data))


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {key.rpartition(b":")[2]: value for key, value in _ATTR.findall(raw)}


def _extent(data: bytes) -> tuple[int, int, str]:
    """Last row and column holding a value (empty styled cells do not count)."""
    plain = _PLAIN_CELL.findall(data)
    if (plain and len(plain) == data.count(b"<c ") + data.count(b"<c>")
            and not _PREFIXED_CELL.search(data)):
        return _plain_extent(plain)
    last_row, last_col, farthest = 0, -1, ""
    row, column = 0, -1
    rows = iter(_ROW.finditer(data))
    next_row = next(rows, None)
    for cell in _CELL.finditer(data):
        while next_row is not None and next_row.start() < cell.start():
            number = _attrs(next_row.group(1)).get(b"r", b"")
            row = int(number) if number.isdigit() else row + 1
            next_row = next(rows, None)
            column = -1
        if cell.group(2):
            if b"r" not in _attrs(cell.group(1)):
                column += 1
            continue
        ref = _attrs(cell.group(1)).get(b"r")
        where = position(ref.decode("ascii", "replace").replace("$", "")) if ref else None
        if where is None:
            column += 1
            where = (row, column)
        else:
            column = where[1]
        if where[0] > last_row or where[1] > last_col:
            last_row, last_col = max(last_row, where[0]), max(last_col, where[1])
            farthest = f"{column_letter(where[1])}{where[0]}"
    return last_row, last_col, farthest


def _plain_extent(cells: list[tuple[bytes, bytes, bytes]]) -> tuple[int, int, str]:
    """The fast path for the usual layout, where every cell starts `<c r="A1"`."""
    filled = [(int(row), letters) for letters, row, closed in cells if not closed]
    if not filled:
        return 0, -1, ""
    deepest = max(filled)
    widest = max(filled, key=lambda cell: (len(cell[1]), cell[1]))
    last_col = (position(widest[1].decode() + "1") or (1, 0))[1]
    far = deepest if deepest[0] > MAX_ROWS else widest
    return deepest[0], last_col, f"{far[1].decode()}{far[0]}"


def _hidden(attrs: dict[bytes, bytes]) -> bool:
    return attrs.get(b"hidden", b"").lower() in (b"1", b"true")


def _hidden_rows(data: bytes) -> frozenset[int]:
    """1-based numbers of the rows marked hidden."""
    return _hidden_spans(data, _ROW, b"r", b"r", MAX_ROWS)


def _hidden_columns(data: bytes) -> frozenset[int]:
    """0-based indexes of the columns marked hidden."""
    return frozenset(c - 1 for c in _hidden_spans(data, _COL, b"min", b"max", MAX_COLUMNS))


def _hidden_spans(data: bytes, tag: re.Pattern[bytes], first: bytes, last: bytes,
                  limit: int) -> frozenset[int]:
    """The 1-based positions covered by `tag` elements marked hidden (up to `limit` + 1)."""
    found: set[int] = set()
    if b"hidden" not in data:
        return frozenset()
    for match in tag.finditer(data):
        attrs = _attrs(match.group(1))
        low, high = attrs.get(first, b""), attrs.get(last, b"")
        if _hidden(attrs) and low.isdigit() and high.isdigit():
            found.update(range(int(low), min(int(high), limit + 1) + 1))
    return frozenset(found)


def _merged(data: bytes) -> tuple[Merged, ...]:
    ranges: list[Merged] = []
    if b"mergeCell" not in data:
        return ()
    for match in _MERGE.finditer(data):
        first, _, last = match.group(1).decode("ascii").replace("$", "").partition(":")
        start, end = position(first), position(last or first)
        if start and end:
            ranges.append(Merged(start[0], start[1], end[0], end[1]))
    return tuple(ranges)
