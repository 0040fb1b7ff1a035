"""Rules across the chain sheets (Inputs, Supply, Imports), each reported at its cell.

The row models check each value; these check what only the rows together say: a converter
consuming its own output, a commodity imported both "every year" and in given years, and
years after the plan's end. Commodities match as everywhere else: on sector and material,
ignoring case and spacing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from portfolio.errors import Issue
from portfolio.inputs.case import DemandKey, demand_key
from portfolio.inputs.rows import Demand, ImportRow, InputRow, Offtake, Row, SupplyRow
from portfolio.workbook.read import Table

R = TypeVar("R", bound=Row)
Located = tuple[Table, int, R]


def chain_issues(
    offtakes: Sequence[Located[Offtake]],
    inputs: Sequence[Located[InputRow]],
    supplies: Sequence[Located[SupplyRow]],
    imports: Sequence[Located[ImportRow]],
    demands: Sequence[Located[Demand]],
    plan_start: int | None,
) -> list[Issue]:
    """Every cross-row problem of the chain sheets, in sheet order."""
    last = max((d.year for _, _, d in demands), default=None)
    return [
        *_own_output(offtakes, inputs),
        *_import_years(imports),
        *_within_plan([*supplies, *imports], plan_start, last),
    ]


def _label(row: InputRow | Offtake | SupplyRow | ImportRow) -> str:
    return f"{' '.join(row.sector.split())}/{' '.join(row.material.split())}"


def _own_output(offtakes: Sequence[Located[Offtake]],
                inputs: Sequence[Located[InputRow]]) -> list[Issue]:
    """A converter may not consume a commodity it also outputs.

    With fixed proportions its net yield would be ambiguous.
    """
    outputs: dict[tuple[str, DemandKey], str] = {}
    for table, row, offtake in offtakes:
        key = (offtake.project_id.casefold(), demand_key(offtake.sector, offtake.material))
        outputs.setdefault(key, table.ref("material", row))
    found = []
    for table, row, feed in inputs:
        key = (feed.project_id.casefold(), demand_key(feed.sector, feed.material))
        if key in outputs:
            found.append(Issue(table.ref("material", row), (
                f"material: {feed.project_id} outputs {_label(feed)} ({outputs[key]}) and may "
                "not also consume it; list only what it takes in from other projects, supply "
                "or imports")))
    return found


def _import_years(imports: Sequence[Located[ImportRow]]) -> list[Issue]:
    """A commodity has one blank-year Imports row (every plan year) or rows with years."""
    blank: dict[DemandKey, str] = {}
    dated: dict[DemandKey, tuple[int, str]] = {}
    found = []
    for table, row, terms in imports:
        key = demand_key(terms.sector, terms.material)
        ref = table.ref("year", row)
        if terms.year is None:
            if key in blank:
                found.append(Issue(ref, (
                    f"year: a second blank-year row for {_label(terms)} (first at "
                    f"{blank[key]}); a blank year already means every plan year")))
            elif key in dated:
                year, first = dated[key]
                found.append(Issue(ref, (
                    f"year: blank (every plan year), but {_label(terms)} already has a row "
                    f"for {year} ({first}); a commodity has either one blank-year row or rows "
                    "with years, not both")))
            blank.setdefault(key, ref)
        else:
            if key in blank:
                found.append(Issue(ref, (
                    f"year: {_label(terms)} already has a blank-year row ({blank[key]}), which "
                    "covers every plan year; a commodity has either one blank-year row or "
                    "rows with years, not both")))
            dated.setdefault(key, (terms.year, ref))
    return found


def _within_plan(rows: Sequence[Located[Any]], plan_start: int | None,
                 last: int | None) -> list[Issue]:
    """Supply and Imports years end with the plan, at the last Demand year.

    Years before plan_start_year are `validate`'s rule for every dated sheet.
    """
    found = []
    for table, row, record in rows:
        year = record.year
        if year is not None and last is not None and year > last:
            span = f"{plan_start}-{last}" if plan_start is not None else f"to {last}"
            found.append(Issue(table.ref("year", row), (
                f"year: {year} is after the last Demand year {last}; the plan runs {span}, "
                "so these tonnes would never be used")))
    return found
