"""Excel A1 cell references, both ways: (row, column) <-> `Sheet!AB12`."""

from __future__ import annotations

import re

CELL_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(sheet: str, row: int, col: int) -> str:
    """`Sheet!A1` for a 1-based row and 0-based column."""
    return f"{sheet}!{column_letter(col)}{row}"


def position(ref: str) -> tuple[int, int] | None:
    """'AB12' -> (12, 27): 1-based row, 0-based column (None if not a cell reference)."""
    match = CELL_REF.fullmatch(ref)
    if not match:
        return None
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column - 1
