"""Cell values as a person sees them: unusable cells, values shown in messages, near misses.

The reader marks formula errors and uncalculated formulas `Unusable`; validation messages
show values the way a user recognises them and suggest the name a typo meant.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FORMULA_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!",
     "#EXTERNAL!", "#PYTHON!", "Err:502", "Err:504", "Err:508", "Err:511", "Err:522"}
)


@dataclass(frozen=True)
class Unusable:
    """A cell whose value cannot be used (formula error, formula never calculated)."""

    reason: str


def shown(value: Any) -> str:
    """Render a cell value for an error message the way a user would recognise it."""
    if isinstance(value, Unusable):
        return value.reason
    if isinstance(value, str):
        return f"text '{value}'" if len(value) <= 60 else f"text '{value[:57]}...'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return f"the date {value.isoformat()[:10]}"
    return str(value)


def suggest(found: str, choices: Sequence[str]) -> str:
    """Return " (did you mean 'x'?)" for a near miss among `choices`, else ''."""
    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(found.strip().casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean '{folded[close[0]]}'?)" if close else ""
