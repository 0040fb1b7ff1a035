"""Spreadsheet-aware field types for the row models.

Spreadsheets store every number as a float, users type numbers as text, and enumerations
arrive in any case. These annotated types coerce what a spreadsheet cell can hold into the
contract's types and fail with a sentence a finance reviewer understands.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from portfolio.workbook.values import FORMULA_ERRORS, Unusable, shown, suggest


def _reject_unusable(value: Any, expected: str) -> None:
    """A formula error or uncalculated formula is reported as such, whatever the column."""
    if isinstance(value, Unusable):
        raise ValueError(value.reason)
    if isinstance(value, str) and value.strip() in FORMULA_ERRORS:
        raise ValueError(f"the cell holds the formula error {value.strip()}; expected {expected}")


def _reject_non_numbers(value: Any) -> None:
    _reject_unusable(value, "a number")
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found the logical value {shown(value)}")
    if isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
        raise ValueError(f"expected a number, found {shown(value)}")


def to_float(value: Any) -> float:
    """Coerce a cell to a finite float; numeric text such as ' 12.5 ' is accepted."""
    _reject_non_numbers(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, found {shown(value)}") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise ValueError(f"expected a number, found {shown(value)}")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, found {shown(value)}")
    return number


def to_int(value: Any) -> int:
    """Coerce a cell to an int: 24.0 is accepted, 24.5 is not."""
    number = to_float(value)
    if not number.is_integer():
        raise ValueError(f"expected a whole number, found {shown(number)}")
    return int(number)


def to_text(value: Any) -> str:
    """Coerce a cell to trimmed text; a number typed as an id (101) becomes '101'."""
    _reject_unusable(value, "text")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise ValueError(f"expected text, found the logical value {shown(value)}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"expected text, found {shown(value)}")


def to_list(value: Any) -> tuple[str, ...]:
    """Split a comma-separated cell into trimmed, non-blank items (order kept, repeats dropped)."""
    if isinstance(value, list | tuple):
        items = [to_text(v) for v in value]
    else:
        items = to_text(value).replace(";", ",").split(",")
    out: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in out:
            out.append(item)
    return tuple(out)


def choice(*choices: str) -> Callable[[Any], str]:
    """Build a case-insensitive enumeration coercer that suggests near misses."""
    allowed = tuple(choices)

    def coerce(value: Any) -> str:
        text = to_text(value).lower()
        if text in allowed:
            return text
        listed = ", ".join(allowed)
        raise ValueError(
            f"expected one of {listed}; found {shown(value)}{suggest(text, allowed)}"
        )

    coerce.choices = allowed  # type: ignore[attr-defined]
    return coerce


def choice_list(*choices: str) -> Callable[[Any], tuple[str, ...]]:
    """Build a comma-separated list of enumeration values."""
    one = choice(*choices)

    def coerce(value: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(one(item) for item in to_list(value)))

    coerce.choices = tuple(choices)  # type: ignore[attr-defined]
    return coerce


def bounded(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Callable[[float], float]:
    """Range check with a plain-words message, e.g. 'must be at least 0, found -5'."""

    def check(number: float) -> float:
        if ge is not None and number < ge:
            raise ValueError(f"must be at least {shown(float(ge))}, found {shown(number)}")
        if gt is not None and number <= gt:
            raise ValueError(f"must be greater than {shown(float(gt))}, found {shown(number)}")
        if le is not None and number > le:
            raise ValueError(f"must be at most {shown(float(le))}, found {shown(number)}")
        if lt is not None and number >= lt:
            raise ValueError(f"must be less than {shown(float(lt))}, found {shown(number)}")
        return number

    return check


Text = Annotated[str, BeforeValidator(to_text)]
Float = Annotated[float, BeforeValidator(to_float)]
Int = Annotated[int, BeforeValidator(to_int)]
IdList = Annotated[tuple[str, ...], BeforeValidator(to_list)]
NonNegative = Annotated[float, BeforeValidator(to_float), AfterValidator(bounded(ge=0))]
Positive = Annotated[float, BeforeValidator(to_float), AfterValidator(bounded(gt=0))]
Fraction = Annotated[float, BeforeValidator(to_float), AfterValidator(bounded(ge=0, le=1))]
#: A chance below certainty, in [0, 1) (Risk `failure_prob`).
Chance = Annotated[float, BeforeValidator(to_float), AfterValidator(bounded(ge=0, lt=1))]
NonNegativeInt = Annotated[int, BeforeValidator(to_int), AfterValidator(bounded(ge=0))]
PositiveInt = Annotated[int, BeforeValidator(to_int), AfterValidator(bounded(ge=1))]
Year = Annotated[int, BeforeValidator(to_int), AfterValidator(bounded(ge=1900, le=2200))]
