"""Cell styles: every cell of a kind gets the same format, font and alignment (cached)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from portfolio.workbook.styles import FONT, FORMATS, Column, new_workbook, write_table


def test_each_cell_has_its_kinds_style_after_the_first_of_its_kind(tmp_path: Path) -> None:
    columns = [Column("a", "usd"), Column("b", "pct"), Column("c", "text"), Column("d", "int")]
    rows = [[1.5, 2.0, "x", 3], ["critical", None, "=1+1", 4], [2.5, 12.5, "y", None],
            ["critical", 0.5, "z", 5]]
    book = new_workbook()
    write_table(book.create_sheet("One"), columns, rows)
    write_table(book.create_sheet("Two"), columns, rows[::-1])
    book.save(tmp_path / "out.xlsx")
    read = load_workbook(tmp_path / "out.xlsx")
    for name, written in (("One", rows), ("Two", rows[::-1])):
        ws = read[name]
        for r, record in enumerate(written, start=2):
            for c, (column, value) in enumerate(zip(columns, record, strict=True), start=1):
                cell = ws.cell(r, c)
                assert cell.font.name == FONT and not cell.font.bold
                if isinstance(value, str):
                    assert cell.data_type == "s" and cell.value == value
                    right = column.kind in ("usd", "pct", "int")
                    assert (cell.alignment.horizontal == "right") == right, (name, r, c)
                    assert cell.number_format == "General"
                elif value is None:
                    assert cell.value is None and cell.number_format == "General"
                else:
                    assert cell.number_format == FORMATS[column.kind], (name, r, c)
                    assert cell.alignment.horizontal is None
