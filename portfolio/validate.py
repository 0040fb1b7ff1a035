"""Validate stage: raw tables into a checked `Pipeline`, every problem collected at once.

Each row is validated by its pydantic model; problems across rows and sheets (duplicate
ids, unknown references, shares that do not sum to 1, years before the plan start) are
checked here. All problems are raised together as one `InvalidWorkbook`, each naming the
cell to fix.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Set
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from portfolio.cells import cell_ref
from portfolio.errors import InvalidWorkbook, Issue
from portfolio.fields import shown, suggest, to_text
from portfolio.models import (
    BudgetRow,
    Demand,
    Offtake,
    Pool,
    Project,
    Row,
    ScheduleRow,
    SettingRow,
    Settings,
)
from portfolio.pipeline import Pipeline, demand_key
from portfolio.read import Table, Workbook, is_blank

SHARE_TOLERANCE = 1e-6

# Sheet name -> (row model, required sheet?) in the order a reviewer fills them in.
SHEETS: dict[str, tuple[type[Row], bool]] = {
    "Settings": (SettingRow, True),
    "Projects": (Project, True),
    "Offtake": (Offtake, True),
    "Demand": (Demand, True),
    "Financing": (Pool, True),
    "CapexSchedule": (ScheduleRow, False),
    "Budget": (BudgetRow, False),
}

R = TypeVar("R", bound=Row)


def load(path: Path) -> Pipeline:
    """Read and validate a workbook; raise InvalidWorkbook listing every problem."""
    book = Workbook(path)
    issues: list[Issue] = []
    try:
        tables = {
            name: book.table(name, _fields(model), issues, required=required)
            for name, (model, required) in SHEETS.items()
        }
    finally:
        book.close()
    settings = _settings(tables["Settings"], issues)
    projects = _rows(tables["Projects"], Project, issues)
    offtakes = _rows(tables["Offtake"], Offtake, issues)
    demands = _rows(tables["Demand"], Demand, issues)
    pools = _rows(tables["Financing"], Pool, issues)
    schedule_rows = _rows(tables["CapexSchedule"], ScheduleRow, issues)
    budget_rows = _rows(tables["Budget"], BudgetRow, issues)

    plan_start = settings.plan_start_year if settings else None
    _unique(tables["Projects"], ("project_id",), issues)
    _unique(tables["Financing"], ("pool_id",), issues)
    _unique(tables["Demand"], ("sector", "material", "year"), issues)
    _unique(tables["Budget"], ("year",), issues)
    _unique(tables["CapexSchedule"], ("project_id", "year"), issues)
    ids = _raw_ids(tables["Projects"])
    _known_ids(projects, offtakes, schedule_rows, ids, issues)
    if plan_start is not None:
        _not_before(projects, "start_year", plan_start, issues)
        _not_before(demands, "year", plan_start, issues)
        _not_before(budget_rows, "year", plan_start, issues)
    schedule = _schedule(schedule_rows, projects, plan_start, issues)
    warnings = _demand_matching(offtakes, demands)

    if issues or settings is None:
        raise InvalidWorkbook(issues, sheet_order=list(SHEETS))
    resolved = tuple(
        p.model_copy(update={"start_year": p.start_year or plan_start,
                             "name": p.name or p.project_id})
        for _, _, p in projects
    )
    return Pipeline(
        settings=settings,
        projects=resolved,
        offtakes=tuple(r for _, _, r in offtakes),
        demands=tuple(r for _, _, r in demands),
        pools=tuple(r for _, _, r in pools),
        schedule=schedule,
        budgets={r.year: r.budget_musd for _, _, r in budget_rows},
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        warnings=tuple(warnings),
    )


def _fields(model: type[Row]) -> dict[str, bool]:
    return {name: info.is_required() for name, info in model.model_fields.items()}


Located = tuple[Table, int, R]


def _rows(table: Table | None, model: type[R], issues: list[Issue]) -> list[Located[R]]:
    """Validate each row of a table with its model; bad rows are reported and dropped."""
    if table is None:
        return []
    out: list[Located[R]] = []
    for row, record in table.rows:
        try:
            out.append((table, row, model.model_validate(record)))
        except ValidationError as exc:
            issues.extend(_issues(exc, lambda name, r=row: table.ref(name, r),
                                  unmapped=set(model.model_fields) - set(table.columns)))
    return out


def _issues(exc: ValidationError, where: Any, unmapped: Set[str] = frozenset()) -> list[Issue]:
    """Turn pydantic's errors into `Sheet!A1: column: message` issues.

    A blank required cell in a column missing from the header is not repeated on every row:
    the missing column has been reported once already.
    """
    found: list[Issue] = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        name = str(err["loc"][0]) if err["loc"] else str(ctx.get("field", ""))
        if err["type"] == "missing" and name in unmapped:
            continue
        if err["type"] == "missing":
            message = "required, but the cell is blank"
        elif err["type"] == "value_error":
            message = str(ctx.get("error", err["msg"]))
        else:
            message = err["msg"]
        found.append(Issue(where(name), f"{name}: {message}"))
    return found


def _settings(table: Table | None, issues: list[Issue]) -> Settings | None:
    """Read the setting/value pairs and validate them as one `Settings` record."""
    if table is None:
        return None
    known = list(Settings.model_fields)
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for row, record in table.rows:
        raw_name = record.get("setting")
        if is_blank(raw_name):
            if "value" in record:
                issues.append(Issue(table.ref("setting", row),
                                    "setting: a value is given but the setting name is blank"))
            continue
        name = str(raw_name).strip().lower()
        if name not in known:
            issues.append(Issue(table.ref("setting", row),
                                f"unknown setting '{str(raw_name).strip()}'{suggest(name, known)}; "
                                f"known settings: {', '.join(known)}"))
            continue
        if name in cells:
            issues.append(Issue(table.ref("setting", row),
                                f"setting '{name}' is given twice (first at {cells[name]})"))
            continue
        cells[name] = table.ref("value", row)
        if "value" in record:
            values[name] = record["value"]
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        for issue in _issues(exc, lambda name: cells.get(name, f"{table.sheet}!A1")):
            if issue.message.endswith("required, but the cell is blank") and issue.where.endswith(
                "!A1"
            ):
                name = issue.message.split(":")[0]
                issue = Issue(issue.where, f"required setting '{name}' is missing; add a row "
                              f"with setting '{name}' and its value")
            issues.append(issue)
        return None


def _unique(table: Table | None, names: tuple[str, ...], issues: list[Issue]) -> None:
    """Report every repeat of a key after its first occurrence, at the key's first column.

    Keys are read from the raw cells, so a repeat is reported even where the first row
    has other problems of its own.
    """
    if table is None:
        return
    first: dict[tuple[Any, ...], str] = {}
    for row, record in table.rows:
        values = tuple(record.get(n) for n in names)
        if any(is_blank(v) for v in values):
            continue
        key = tuple(_normal(v) for v in values)
        ref = table.ref(names[0], row)
        if key in first:
            label = " / ".join(shown(v).removeprefix("text ").strip("'") for v in values)
            issues.append(Issue(ref, f"{names[0]}: duplicate {'/'.join(names)} '{label}' "
                                f"(first at {first[key]})"))
        else:
            first[key] = ref


def _normal(value: Any) -> Any:
    """A raw cell as a comparison key: trimmed text ignoring case, 2027.0 as 2027."""
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _raw_ids(table: Table | None) -> set[str]:
    """Every id typed on the Projects sheet, including rows with problems of their own.

    A bad capex must not make the Offtake rows of that project 'unknown' as well.
    """
    ids: set[str] = set()
    for _, record in table.rows if table else []:
        try:
            ids.add(to_text(record["project_id"]))
        except (KeyError, ValueError):
            continue
    return ids


def _known_ids(
    projects: list[Located[Project]],
    offtakes: list[Located[Offtake]],
    schedule: list[Located[ScheduleRow]],
    ids: set[str],
    issues: list[Issue],
) -> None:
    """Every project_id referenced from another row must exist on the Projects sheet."""
    known = sorted(ids)

    def check(table: Table, row: int, column: str, pid: str) -> None:
        if pid not in ids:
            issues.append(Issue(table.ref(column, row),
                                f"{column}: unknown project_id '{pid}'{suggest(pid, known)}"))

    for table, row, project in projects:
        for required in project.requires:
            check(table, row, "requires", required)
    for table, row, offtake in offtakes:
        check(table, row, "project_id", offtake.project_id)
    for table, row, share in schedule:
        check(table, row, "project_id", share.project_id)


def _not_before(rows: list[Located[Any]], column: str, plan_start: int,
                issues: list[Issue]) -> None:
    for table, row, record in rows:
        year = getattr(record, column)
        if year is not None and year < plan_start:
            issues.append(Issue(table.ref(column, row),
                                f"{column}: {year} is before plan_start_year {plan_start}"))


def _schedule(
    rows: list[Located[ScheduleRow]],
    projects: list[Located[Project]],
    plan_start: int | None,
    issues: list[Issue],
) -> dict[str, dict[int, float]]:
    """Group disbursement shares by project; check years and that shares sum to 1."""
    starts = {p.project_id: p.start_year or plan_start for _, _, p in projects}
    grouped: dict[str, dict[int, float]] = defaultdict(dict)
    last_cell: dict[str, str] = {}
    rows_of: dict[str, list[int]] = defaultdict(list)
    for table, row, share in rows:
        start = starts.get(share.project_id)
        if start is not None and share.year < start:
            issues.append(Issue(table.ref("year", row),
                                f"year: {share.year} is before {share.project_id}'s start_year "
                                f"{start}; disbursement cannot precede financial close"))
        per = grouped[share.project_id]
        per[share.year] = per.get(share.year, 0.0) + share.share
        last_cell[share.project_id] = table.ref("share", row)
        rows_of[share.project_id].append(row)
    for pid, per in grouped.items():
        total = sum(per.values())
        if pid in starts and abs(total - 1.0) > SHARE_TOLERANCE:
            listed = ", ".join(map(str, rows_of[pid]))
            issues.append(Issue(last_cell[pid],
                                f"share: the shares of {pid} sum to {total:.6g} (rows {listed}); "
                                "they must sum to 1"))
    return dict(grouped)


def _demand_matching(offtakes: list[Located[Offtake]],
                     demands: list[Located[Demand]]) -> list[str]:
    """Warn about offtake nobody demands and demand nobody supplies (likely typos)."""
    demanded = {demand_key(d.sector, d.material): d for _, _, d in demands}
    supplied = {demand_key(o.sector, o.material) for _, _, o in offtakes}
    names = [f"{d.sector}/{d.material}" for d in demanded.values()]
    warnings: list[str] = []
    for table, row, offtake in offtakes:
        key = demand_key(offtake.sector, offtake.material)
        if key not in demanded:
            label = f"{offtake.sector}/{offtake.material}"
            warnings.append(
                f"{cell_ref(table.sheet, row, table.columns.get('material', 0))}: no Demand row "
                f"for {label}; this offtake covers nothing{suggest(label, names)}"
            )
    for key, demand in demanded.items():
        if key not in supplied:
            warnings.append(f"Demand: no project delivers {demand.sector}/{demand.material}; "
                            "that demand stays uncovered")
    return warnings
