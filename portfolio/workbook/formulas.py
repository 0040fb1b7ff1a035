"""Formula cells whose value cannot be used: a cached error, or no cached value at all.

calamine gives '' for both, which would read as a blank cell. This scan finds them in the
sheet's XML so the cell can be named with what is really wrong. The XML is parsed with
defusedxml (no entity expansion, no external references), and only for sheets that hold
formulas or errors at all.
"""

from __future__ import annotations

import io
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from portfolio.workbook.cells import position

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NO_RESULT = ("the cell holds a formula with no saved result (the file was written by a program "
             "that does not calculate); open it in Excel or LibreOffice and save it, or type "
             "the value")


def _error(code: str) -> str:
    return f"the cell holds the formula error {code}; correct the formula or type the value"


def unusable_cells(data: bytes) -> dict[tuple[int, int], str]:
    """(row, column) -> why the cell's value cannot be used, for one sheet's XML."""
    if b"<f" not in data and b't="e"' not in data:
        return {}
    found: dict[tuple[int, int], str] = {}
    try:
        for _, element in ElementTree.iterparse(io.BytesIO(data)):
            if element.tag == f"{MAIN}c":
                _classify(element, found)
                element.clear()
    except ElementTree.ParseError:
        pass
    return found


def _classify(element: Element, found: dict[tuple[int, int], str]) -> None:
    """Record the cell if it holds a cached error or a formula without a saved result."""
    where = position(element.get("r", ""))
    if where is None:
        return
    value = element.find(f"{MAIN}v")
    cached = value.text if value is not None and value.text else None
    kind = element.get("t")
    if kind == "e":
        found[where] = _error(cached or "#N/A")
    elif element.find(f"{MAIN}f") is not None and cached is None and not (
            kind == "str" and value is not None):  # a formula that returned ""
        found[where] = NO_RESULT
