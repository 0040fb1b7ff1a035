"""Package checks on hand-written sheet XML: extent, hidden rows and columns, merges."""

from __future__ import annotations

import pytest

from portfolio.workbook.package import (
    MAX_ROWS,
    Merged,
    _extent,
    _hidden_columns,
    _hidden_rows,
    _merged,
)

PLAIN = (b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"/></row>'
         b'<row r="7"><c r="C7"><v>5</v></c><c r="AB7" s="2"/></row></sheetData>')


def test_extent_counts_only_cells_with_values() -> None:
    assert _extent(PLAIN) == (7, 2, "C7")


@pytest.mark.parametrize("xml", [
    PLAIN.replace(b"<c r=", b'<c s="0" r='),  # attributes in another order
    PLAIN.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>").replace(b"<row", b"<x:row"),
    b'<sheetData><row r="1"><c t="s"><v>0</v></c><c s="1"/></row>'  # cells without r
    b'<row r="7"><c/><c/><c><v>5</v></c></row></sheetData>',
])
def test_extent_of_other_writers_layouts(xml: bytes) -> None:
    last_row, last_col, _ = _extent(xml)
    assert (last_row, last_col) == (7, 2)


def test_a_far_cell_is_named() -> None:
    xml = PLAIN.replace(b"</sheetData>",
                        b'<row r="1048576"><c r="XFD1048576" t="s"><v>1</v></c></row>'
                        b"</sheetData>")
    last_row, last_col, farthest = _extent(xml)
    assert last_row > MAX_ROWS and last_col == 16383 and farthest == "XFD1048576"


def test_hidden_rows_and_columns_in_excel_and_libreoffice_spelling() -> None:
    xml = (b'<cols><col min="2" max="3" hidden="1"/><col min="4" max="4" hidden="false"/>'
           b'<col min="6" max="6" hidden="true"/></cols><sheetData><row r="2" hidden="1">'
           b'</row><row r="3" hidden="false"></row><row r="4" hidden="true"/></sheetData>')
    assert _hidden_rows(xml) == {2, 4}
    assert _hidden_columns(xml) == {1, 2, 5}


def test_merged_ranges_with_absolute_references() -> None:
    xml = b'<mergeCells count="2"><mergeCell ref="$B$2:C3"/><mergeCell ref="D5"/></mergeCells>'
    assert _merged(xml) == (Merged(2, 1, 3, 2), Merged(5, 3, 5, 3))
    assert str(_merged(xml)[0]) == "B2:C3"


def test_a_prefixed_far_cell_among_plain_ones_is_not_missed() -> None:
    xml = PLAIN.replace(b"</sheetData>", b'<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v>'
                                         b"</x:c></row></sheetData>")
    assert _extent(xml)[2] == "XFD1048576"


def test_a_row_number_that_is_not_a_number_does_not_break_the_scan() -> None:
    xml = b'<sheetData><row r="x1"><c s="0" r="B2"><v>1</v></c></row><row><c><v>2</v></c></row>'
    assert _extent(xml)[:2] == (2, 1)
