"""Formula cells whose value cannot be used: a cached error, or no cached value at all.

calamine gives '' for both, which would read as a blank cell. This scan finds them in the
sheet's XML so the cell can be named with what is really wrong. The XML is parsed with
defusedxml (no entity expansion, no external references), and only for sheets that hold
formulas or errors at all.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

from defusedxml import ElementTree

from portfolio.cells import position

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NO_RESULT = ("the cell holds a formula with no saved result (the file was written by a program "
             "that does not calculate); open it in Excel or LibreOffice and save it, or type "
             "the value")


def _error(code: str) -> str:
    return f"the cell holds the formula error {code}; correct the formula or type the value"


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the package."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG}Relationship")}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    paths: dict[str, str] = {}
    for sheet in book.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        if path in names:
            paths[str(sheet.get("name"))] = path
    return paths


def unusable_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column) -> why the cell's value cannot be used, for one sheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_paths(archive).get(sheet)
            if part is None:
                return {}
            data = archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError):
        return {}
    if b"<f" not in data and b't="e"' not in data:
        return {}
    found: dict[tuple[int, int], str] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(data)):
        if element.tag != f"{MAIN}c":
            continue
        where = position(element.get("r", ""))
        value = element.find(f"{MAIN}v")
        cached = value.text if value is not None and value.text else None
        kind = element.get("t")
        if where is not None:
            if kind == "e":
                found[where] = _error(cached or "#N/A")
            elif element.find(f"{MAIN}f") is not None and cached is None and not (
                    kind == "str" and value is not None):  # a formula that returned ""
                found[where] = NO_RESULT
        element.clear()
    return found
