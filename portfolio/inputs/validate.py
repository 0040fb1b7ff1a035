"""Validate stage: raw tables into a checked `Case`, every problem collected at once.

Each row is validated by its pydantic model; problems across rows and sheets (duplicate
ids, unknown references, shares that do not sum to 1, years before the plan start, scenario
targets that name nothing) are checked here. All problems are raised together as one
`InvalidWorkbook`, each naming the cell to fix.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence, Set
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from portfolio.constants import SHARE_TOLERANCE
from portfolio.errors import InvalidWorkbook, Issue
from portfolio.inputs.case import Case, Scenario, demand_key
from portfolio.inputs.chainrules import chain_issues
from portfolio.inputs.fields import to_int, to_text
from portfolio.inputs.riskrows import RiskRow
from portfolio.inputs.riskrules import risk_data, risk_issues, risk_warnings
from portfolio.inputs.rows import (
    MAX_SCENARIOS,
    STAGES,
    TOTAL,
    BudgetRow,
    Demand,
    ImportRow,
    InputRow,
    Offtake,
    Pool,
    Project,
    Row,
    ScenarioRow,
    ScheduleRow,
    SettingRow,
    Settings,
    SupplyRow,
)
from portfolio.inputs.scenarios import matches_import
from portfolio.inputs.stockrows import CostShareRow, CountryBudgetRow, StockpileRow, country_key
from portfolio.inputs.stockrules import stock_issues, stock_warnings
from portfolio.inputs.vocabulary import Change
from portfolio.workbook.cells import cell_ref
from portfolio.workbook.read import Table, Workbook, is_blank
from portfolio.workbook.values import shown, suggest

# Sheet name -> (row model, required sheet?) in the order a reviewer fills them in.
SHEETS: dict[str, tuple[type[Row], bool]] = {
    "Settings": (SettingRow, True),
    "Projects": (Project, True),
    "Offtake": (Offtake, True),
    "Demand": (Demand, True),
    "Financing": (Pool, True),
    "CapexSchedule": (ScheduleRow, False),
    "Budget": (BudgetRow, False),
    "Scenarios": (ScenarioRow, False),
    "Inputs": (InputRow, False),
    "Supply": (SupplyRow, False),
    "Imports": (ImportRow, False),
    "Stockpiles": (StockpileRow, False),
    "CountryBudgets": (CountryBudgetRow, False),
    "CostShare": (CostShareRow, False),
    "Risk": (RiskRow, False),
}

R = TypeVar("R", bound=Row)


def load(path: Path) -> Case:
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
    scenario_rows = _rows(tables["Scenarios"], ScenarioRow, issues)
    input_rows = _rows(tables["Inputs"], InputRow, issues)
    supply_rows = _rows(tables["Supply"], SupplyRow, issues)
    import_rows = _rows(tables["Imports"], ImportRow, issues)
    stock_rows = _rows(tables["Stockpiles"], StockpileRow, issues)
    country_rows = _rows(tables["CountryBudgets"], CountryBudgetRow, issues)
    share_rows = _rows(tables["CostShare"], CostShareRow, issues)
    risk_rows = _rows(tables["Risk"], RiskRow, issues)

    plan_start = settings.plan_start_year if settings else None
    _unique(tables["Projects"], ("project_id",), issues)
    _unique(tables["Financing"], ("pool_id",), issues)
    _unique(tables["Demand"], ("sector", "material", "year"), issues)
    _unique(tables["Budget"], ("year",), issues)
    _unique(tables["CapexSchedule"], ("project_id", "year"), issues)
    _unique(tables["Inputs"], ("project_id", "sector", "material"), issues)
    _unique(tables["Supply"], ("sector", "material", "year"), issues)
    _unique(tables["Imports"], ("sector", "material", "year"), issues)
    _unique(tables["Stockpiles"], ("stockpile_id",), issues)
    _unique(tables["CostShare"], ("country",), issues)
    ids = _raw_ids(tables["Projects"])
    _known_ids(projects, [*offtakes, *input_rows], schedule_rows, ids, issues)
    if plan_start is not None:
        _not_before(projects, "start_year", plan_start, issues)
        _not_before(demands, "year", plan_start, issues)
        _not_before(budget_rows, "year", plan_start, issues)
        _not_before(supply_rows, "year", plan_start, issues)
        _not_before(import_rows, "year", plan_start, issues)
        _not_before(stock_rows, "buy_until_year", plan_start, issues)
        _not_before(country_rows, "year", plan_start, issues)
    schedule = _schedule(schedule_rows, projects, plan_start, issues)
    issues += chain_issues(offtakes, input_rows, supply_rows, import_rows, demands, plan_start)
    issues += stock_issues(stock_rows, country_rows, demands)
    issues += risk_issues(risk_rows, projects, settings, tables["Settings"],
                          risk_data(tables["Risk"], tables["Projects"]))
    warnings = _demand_matching(offtakes, demands, input_rows, [*supply_rows, *stock_rows],
                                import_rows)
    warnings += stock_warnings(stock_rows, country_rows, share_rows, pools, demands, input_rows)
    warnings += risk_warnings(risk_rows, projects, settings, tables["Settings"])
    scenarios = _scenarios(scenario_rows, tables, ids, issues)

    if issues or settings is None:
        raise InvalidWorkbook(issues, sheet_order=list(SHEETS))
    resolved = tuple(
        p.model_copy(update={"start_year": p.start_year or plan_start,
                             "name": p.name or p.project_id})
        for _, _, p in projects
    )
    return Case(
        settings=settings,
        projects=resolved,
        offtakes=tuple(r for _, _, r in offtakes),
        demands=tuple(r for _, _, r in demands),
        pools=tuple(r for _, _, r in pools),
        schedule=schedule,
        budgets={r.year: r.budget_musd for _, _, r in budget_rows},
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        warnings=tuple(warnings),
        scenarios=scenarios,
        inputs=tuple(r for _, _, r in input_rows),
        supplies=tuple(r for _, _, r in supply_rows),
        imports=tuple(r for _, _, r in import_rows),
        stockpiles=tuple(r for _, _, r in stock_rows),
        country_budgets=tuple(r for _, _, r in country_rows),
        cost_shares=tuple(r for _, _, r in share_rows),
        risks=tuple(r for _, _, r in risk_rows),
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


T = TypeVar("T")


def _raw(table: Table | None, column: str, convert: Callable[[Any], T]) -> list[T]:
    """Distinct values typed in one column (first spelling kept), bad rows included.

    A row with a problem of its own still counts: a bad capex must not make that project's
    Offtake rows 'unknown' as well.
    """
    found: dict[T, None] = {}
    for _, record in table.rows if table else []:
        try:
            found.setdefault(convert(record[column]))
        except (KeyError, ValueError):
            continue
    return list(found)


def _raw_ids(table: Table | None) -> set[str]:
    """Every id typed on the Projects sheet."""
    return set(_raw(table, "project_id", to_text))


def _raw_texts(table: Table | None, column: str) -> list[str]:
    """Distinct texts typed in one column, first spelling kept."""
    return _raw(table, column, to_text)


def _raw_commodities(table: Table | None) -> list[tuple[str, str]]:
    """Every (sector, material) pair typed on a sheet, first spelling kept."""
    found: dict[tuple[str, str], None] = {}
    for _, record in table.rows if table else []:
        try:
            found.setdefault((to_text(record["sector"]), to_text(record["material"])))
        except (KeyError, ValueError):
            continue
    return list(found)


def _raw_years(table: Table | None) -> set[int]:
    """Every year typed on a sheet's `year` column."""
    return set(_raw(table, "year", to_int))


def _known_ids(
    projects: list[Located[Project]],
    offtakes: Sequence[Located[Offtake] | Located[InputRow]],
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
                     demands: list[Located[Demand]],
                     inputs: list[Located[InputRow]],
                     supplies: Sequence[Located[SupplyRow] | Located[StockpileRow]],
                     imports: Sequence[Located[ImportRow]]) -> list[str]:
    """Warn about likely typos and dead ends: offtake nobody demands or consumes.

    Also demand nothing supplies, and a converter whose feed nothing provides (it can never
    run).
    """
    demanded = {demand_key(d.sector, d.material): d for _, _, d in demands}
    consumed = {demand_key(r.sector, r.material) for _, _, r in inputs}
    supplied = {demand_key(o.sector, o.material) for _, _, o in offtakes}
    allied = supplied | {demand_key(r.sector, r.material) for _, _, r in supplies}
    provided = allied | {demand_key(r.sector, r.material) for _, _, r in imports}
    names = [f"{d.sector}/{d.material}" for d in demanded.values()]
    warnings: list[str] = []
    for table, row, offtake in offtakes:
        key = demand_key(offtake.sector, offtake.material)
        if key not in demanded and key not in consumed:
            label = f"{offtake.sector}/{offtake.material}"
            warnings.append(
                f"{cell_ref(table.sheet, row, table.columns.get('material', 0))}: no Demand row "
                f"for {label}; this offtake covers nothing{suggest(label, names)}"
            )
    for key, demand in demanded.items():
        if key not in allied:  # imports feed converters only, never Demand
            warnings.append(f"Demand: no project delivers {demand.sector}/{demand.material}; "
                            "that demand stays uncovered")
    makers = {o.project_id for _, _, o in offtakes}
    for pid in dict.fromkeys(feed.project_id for _, _, feed in inputs):
        if pid not in makers:
            warnings.append(f"{pid} has Inputs rows but no Offtake row: it would consume feed "
                            "and make nothing, so it never runs")
    for _, _, feed in inputs:
        if demand_key(feed.sector, feed.material) not in provided:
            warnings.append(f"{feed.project_id} consumes {feed.sector}/{feed.material}, which "
                            "nothing provides: it can never run")
    return warnings


def _scenarios(
    rows: list[Located[ScenarioRow]],
    tables: dict[str, Table | None],
    ids: set[str],
    issues: list[Issue],
) -> tuple[Scenario, ...]:
    """Group Scenarios rows by name (ignoring case) in order of first appearance.

    Every target must name something in the workbook, and within one scenario a project is
    locked only one way and the schedule limit is set only once.
    """
    names = _TargetNames(
        years=_raw_years(tables["Budget"]),
        pools=_raw_texts(tables["Financing"], "pool_id"),
        sectors=_raw_texts(tables["Demand"], "sector"),
        materials=_raw_texts(tables["Demand"], "material"),
        projects=ids,
        imported=_raw_commodities(tables["Imports"]),
        countries=_raw_texts(tables["CountryBudgets"], "country"),
    )
    grouped: dict[str, tuple[str, list[ScenarioRow]]] = {}
    first_set: dict[tuple[str, str], tuple[float | str, str]] = {}
    too_many = False
    for table, row, change in rows:
        key = change.scenario.casefold()
        if key not in grouped and len(grouped) >= MAX_SCENARIOS:
            if not too_many:
                issues.append(Issue(table.ref("scenario", row), (
                    f"scenario: '{change.scenario}' would be scenario {MAX_SCENARIOS + 1}; at "
                    f"most {MAX_SCENARIOS} scenarios are allowed in one workbook")))
                too_many = True
            continue
        name, changes = grouped.setdefault(key, (change.scenario, []))
        problem = names.problem(change)
        if problem:
            issues.append(Issue(table.ref("target", row), f"target: {problem}"))
            continue
        if change.change in ("lock", "max_lead_time_months"):
            what = f"lock {change.target}" if change.change == Change.LOCK else "schedule limit"
            cell = table.ref("value", row)
            earlier = first_set.setdefault((key, what), (change.value, cell))
            if earlier[0] != change.value:
                issues.append(Issue(cell, f"value: {_conflict(name, change, earlier)}"))
                continue
        changes.append(change)
    return tuple(Scenario(name, tuple(changes)) for name, changes in grouped.values())


def _conflict(name: str, change: ScenarioRow, earlier: tuple[float | str, str]) -> str:
    value, cell = earlier
    shown_value = value if isinstance(value, str) else shown(value)
    if change.change == Change.LOCK:
        return (f"scenario '{name}' already sets the lock of {change.target} to {shown_value} "
                f"(at {cell}); a scenario can set a project's lock only one way")
    return (f"scenario '{name}' already sets max_lead_time_months to {shown_value} (at {cell}); "
            "a scenario can set the schedule limit only once")


class _TargetNames:
    """What a scenario's target may name: Budget years, pools, sectors, materials, projects."""

    def __init__(self, *, years: set[int], pools: list[str], sectors: list[str],
                 materials: list[str], projects: set[str],
                 imported: list[tuple[str, str]], countries: list[str]) -> None:
        self.years = years
        self.pools = pools
        self.sector_keys = {_name_key(s) for s in sectors}
        self.material_keys = {_name_key(m) for m in materials}
        self.demand_names = list(dict.fromkeys([*sectors, *materials]))
        self.projects = projects
        self.project_keys = {p.casefold() for p in projects}
        self.imported = imported
        self.countries = countries

    def problem(self, change: ScenarioRow) -> str | None:
        """Why the row's target names nothing (or too much), or None where it is fine."""
        target = change.target
        if target is None or (change.everything and change.change != Change.LOCK):
            return None
        if change.change == Change.BUDGET_FACTOR:
            return self._budget_year(target)
        if change.change == Change.DEMAND_FACTOR:
            return self._demand(target)
        if change.change == Change.CAPACITY_FACTOR and target not in self.pools:
            return f"unknown pool_id '{target}'{suggest(target, self.pools)}"
        if change.change == Change.LOCK and target not in self.projects:
            return f"unknown project_id '{target}'{suggest(target, sorted(self.projects))}"
        if change.change == Change.DELAY_MONTHS:
            return self._stage_or_project(target)
        if change.change == Change.IMPORTS_FACTOR:
            return self._imported(target)
        if change.change == Change.COUNTRY_BUDGET_FACTOR:
            return self._country(target)
        return None

    def _country(self, target: str) -> str | None:
        if any(country_key(target) == country_key(c) for c in self.countries):
            return None
        if not self.countries:
            return f"'{target}' names no country budget: the workbook has no CountryBudgets rows"
        return (f"'{target}' is not a country on the CountryBudgets sheet"
                f"{suggest(target, self.countries)}")

    def _imported(self, target: str) -> str | None:
        if any(matches_import(target, sector, material) for sector, material in self.imported):
            return None
        if not self.imported:
            return f"'{target}' names nothing imported: the workbook has no Imports rows"
        names = list(dict.fromkeys([*(m for _, m in self.imported),
                                    *(f"{s}/{m}" for s, m in self.imported)]))
        return (f"'{target}' is neither a material nor a sector/material on the Imports sheet"
                f"{suggest(target, names)}")

    def _budget_year(self, target: str) -> str | None:
        if target.casefold() == TOTAL or int(target) in self.years:
            return None
        if not self.years:
            return (f"the Budget sheet has no row for {int(target)} (there are no annual "
                    "budgets; use all or total)")
        listed = ", ".join(map(str, sorted(self.years)))
        return f"the Budget sheet has no row for {int(target)} (years there: {listed})"

    def _demand(self, target: str) -> str | None:
        key = _name_key(target)
        sector, material = key in self.sector_keys, key in self.material_keys
        if sector and material:
            return (f"'{target}' is both a sector and a material on the Demand sheet; rename "
                    "one of them so the target is unambiguous")
        if not (sector or material):
            return (f"'{target}' is neither a sector nor a material on the Demand sheet"
                    f"{suggest(target, self.demand_names)}")
        return None

    def _stage_or_project(self, target: str) -> str | None:
        stage = target.casefold() in STAGES
        if stage and target.casefold() in self.project_keys:
            return (f"'{target}' is both a stage and a project_id; rename the project so the "
                    "target is unambiguous")
        if not stage and target not in self.projects:
            return (f"'{target}' is neither a stage nor a project_id"
                    f"{suggest(target, [*STAGES, *sorted(self.projects)])}")
        return None


def _name_key(text: str) -> str:
    """Sector and material names match as on the Demand sheet: ignoring case and spacing."""
    return demand_key(text, "")[0]
