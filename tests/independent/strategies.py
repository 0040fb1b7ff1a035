"""Hypothesis strategies: small valid pipelines, and the same with one cell broken.

Pipelines are dicts of sheet name -> rows (dicts), the shape `tests.helpers.write_book`
writes. Every choice is drawn from a short list of plain values, so examples shrink to
readable workbooks and the optimum can be enumerated by brute force.

The broken variant records which cell it broke. Its `Sheet!A1` reference is computed here
from the header order `write_book` uses (union of keys in order of first appearance) and
the contract's column names, never from the product's code.
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from tests.helpers import Rows

Data = dict[str, Rows]
Draw = st.DrawFn

MATERIALS = (("magnets", "NdPr oxide"), ("batteries", "graphite"))
COUNTRIES = ("US", "JP", "AU")
STAGES = ("mining", "separation", "magnet", "recycling")


# Optional parts of the contract. Each pipeline uses a few of them, densely, so that the
# limit each one sets binds at the optimum often enough to be tested.
FEATURES = ("locks", "requires", "groups", "lead_limit", "public_share", "equity",
            "start_year", "pool_rules", "tickets", "schedule", "budget", "min_cost")


def _maybe(draw: Draw, row: dict[str, Any], column: str, values: st.SearchStrategy[Any],
           dense: bool) -> None:
    """Give row[column] a drawn value: usually where `dense`, now and then otherwise."""
    if draw(st.sampled_from([True, True, False] if dense else [False, False, False, True])):
        row[column] = draw(values)


@st.composite
def pipelines(draw: Draw, max_projects: int = 7, spell: bool = True,
              chains: bool = False) -> Data:
    """A valid pipeline: 2..max_projects projects, 1-3 pools, 1-4 demand rows.

    With `chains`, some projects are also mines or converters and the pipeline has Inputs,
    Supply and Imports rows (`_chain_sheets`), at least one converter among them.

    Budgets and pool capacities are drawn as multiples of the pipeline's total capex, and
    demand is larger than one project delivers, so that limits bind as often as not. The
    layout (column order, header spelling, blank rows) varies as the contract allows.
    """
    on = draw(st.sets(st.sampled_from(FEATURES), min_size=1, max_size=3))
    plan = draw(st.sampled_from([2026, 2025]))
    ids = [f"P{k}" for k in range(draw(st.integers(2, max_projects)))]
    setting: dict[str, Any] = {"plan_start_year": plan, "total_budget_musd": None, "mip_gap": 0}
    if "min_cost" in on:
        setting["objective"] = draw(st.sampled_from(["min_cost", "Min_Cost"]))
    else:
        _maybe(draw, setting, "objective", st.just("max_coverage"), False)
    _maybe(draw, setting, "max_lead_time_months", st.sampled_from([12, 24, 0]),
           "lead_limit" in on)
    _maybe(draw, setting, "max_public_share", st.sampled_from([0.8, 0.5, 1]),
           "public_share" in on)

    projects: Rows = []
    for pid in ids:
        capex = draw(st.sampled_from([40, 10, 25, 60, 100, 150]))
        row: dict[str, Any] = {
            "project_id": pid, "country": draw(st.sampled_from(COUNTRIES)),
            "stage": draw(st.sampled_from([*STAGES, "Separation"])),
            "capex_musd": capex,
            "lead_time_months": draw(st.sampled_from([12, 30, 0, 13, 24, 6])),
        }
        if "tickets" in on:  # gaps smaller than a cheap pool's ticket
            row["sponsor_equity_musd"] = capex * draw(st.sampled_from([0.8, 0.5]))
        else:
            _maybe(draw, row, "sponsor_equity_musd",
                   st.sampled_from([0.2, 0.5, 0, 1]).map(functools.partial(operator.mul, capex)),
                   "equity" in on)
        _maybe(draw, row, "start_year", st.sampled_from([plan + 1, plan]), "start_year" in on)
        others = [q for q in ids if q != pid]
        _maybe(draw, row, "requires", st.lists(st.sampled_from(others), min_size=1, max_size=2,
                                               unique=True).map(", ".join), "requires" in on)
        _maybe(draw, row, "exclusive_group", st.sampled_from(["G1", "G2"]), "groups" in on)
        projects.append(row)
    if "locks" in on:  # up to one project locked each way, in either spelling
        for lock in draw(st.sampled_from([("in", "out"), ("IN",), ("Out",), ("in", "OUT")])):
            projects[draw(st.integers(0, len(ids) - 1))]["lock"] = lock
    total_capex = sum(p["capex_musd"] for p in projects)

    pools: Rows = []
    # F0 is open to all; the others may have rules. With tickets: a cheap pool with one.
    for k in range(draw(st.integers(2 if "tickets" in on else 1, 3))):
        pool: dict[str, Any] = {
            "pool_id": f"F{k}",
            "instrument": draw(st.sampled_from(["grant", "loan", "guarantee", "offtake", "Loan"])),
            "capacity_musd": total_capex * draw(st.sampled_from([1, 0.5, 2] if k == 0 else
                                                                [0.5, 0.25, 1, 0])),
            "budget_cost_rate": draw(st.sampled_from([1, 0.5, 0.25] if k == 0 else
                                                     [0.1, 0.03, 0, 0.5, 1])),
        }
        if k:
            rules = "pool_rules" in on
            _maybe(draw, pool, "gap_credit", st.sampled_from([0.5, 0.8, 1]), rules)
            _maybe(draw, pool, "max_share_of_capex", st.sampled_from([0.5, 0.3, 0.8, 0, 1]),
                   rules)
            if "tickets" in on:
                pool["min_ticket_musd"] = draw(st.sampled_from([30, 20, 60]))
            else:
                _maybe(draw, pool, "min_ticket_musd", st.sampled_from([30, 20, 60, 5, 0]), rules)
            _maybe(draw, pool, "eligible_countries",
                   st.lists(st.sampled_from([*COUNTRIES, "jp"]), min_size=1, max_size=2,
                            unique=True).map(", ".join), rules)
            _maybe(draw, pool, "eligible_stages",
                   st.lists(st.sampled_from([*STAGES, "Magnet"]), min_size=1, max_size=3,
                            unique=True).map(", ".join), rules)
            _maybe(draw, pool, "funder", st.just("Some funder"), rules)
        pools.append(pool)
    # Scored against the dearest pool's rate, so the budget binds in some pipelines only.
    scale = total_capex * pools[0]["budget_cost_rate"]
    setting["total_budget_musd"] = scale * draw(st.sampled_from([0.5, 0.25, 1, 2, 0.1]))

    offtake: Rows = []
    for pid in ids:  # every project delivers one or both materials
        for m in draw(st.sampled_from([(0,), (1,), (0, 1)])):
            sector, material = MATERIALS[m]
            offtake.append({"project_id": pid, "sector": sector, "material": material,
                            "volume_tpa": draw(st.sampled_from([50, 90, 20, 0]))})

    # min_cost must cover every row: later, smaller demand is often coverable.
    first, tonnes = ((plan + 2, [50, 20, 0]) if "min_cost" in on
                     else (plan + 1, [150, 100, 250, 0]))
    keys = draw(st.lists(st.tuples(st.sampled_from(MATERIALS), st.integers(first, plan + 4)),
                         min_size=1, max_size=4, unique=True))
    demand: Rows = []
    for (sector, material), year in keys:
        row = {"sector": sector, "material": material, "year": year,
               "demand_t": draw(st.sampled_from(tonnes))}
        _maybe(draw, row, "weight", st.sampled_from([2.5, 0.5, 1]), True)
        demand.append(row)

    data: Data = {"Settings": [{"setting": k, "value": v} for k, v in setting.items()],
                  "Projects": projects, "Offtake": offtake, "Demand": demand,
                  "Financing": pools}
    if "schedule" in on or draw(st.integers(0, 4)) == 0:
        schedule: Rows = []
        for p in projects:
            start = p.get("start_year", plan)
            pattern = draw(st.sampled_from([((0, 0.5), (1, 0.5)), (), ((1, 1.0),),
                                            ((0, 0.25), (2, 0.75))]))
            schedule += [{"project_id": p["project_id"], "year": start + offset,
                          "share": share} for offset, share in pattern]
        if schedule:
            data["CapexSchedule"] = schedule
    if "budget" in on or draw(st.integers(0, 4)) == 0:
        years = draw(st.lists(st.integers(plan, plan + 2), min_size=1, max_size=3, unique=True))
        data["Budget"] = [
            {"year": y, "budget_musd": scale * draw(st.sampled_from([0.25, 0.1, 0.5, 0]))}
            for y in years]
    if chains:
        data |= _chain_sheets(draw, projects, offtake, range(plan, max(k[1] for k in keys) + 1))
    return {name: _arrange(draw, rows, spell) for name, rows in data.items()}


#: The feed a converter of each deliverable consumes; mines make concentrate.
FEEDS = {MATERIALS[0]: ("magnets", "mixed REO concentrate"), MATERIALS[1]: ("Batteries",
                                                                           "flake  graphite")}
CONCENTRATE = FEEDS[MATERIALS[0]]


def _chain_sheets(draw: Draw, projects: Rows, offtake: Rows, years: range) -> Data:
    """Inputs, Supply and Imports rows for a pipeline: each project plain, a mine or a converter.

    A mine adds concentrate to its outputs; a converter consumes the feed of each of its
    outputs (the feeds spelled in other case and spacing than elsewhere, which must not
    matter). Supply and Imports rows cover the feeds and NdPr oxide in the plan `years` (the
    contract refuses rows after the last Demand year), Imports with a blank year or rows per
    year, caps blank (unlimited) or small, and weights from free to dear.
    """
    inputs: Rows = []
    roles = [draw(st.sampled_from(["converter", "plain", "mine", "converter"]))
             for _ in projects]
    if "converter" not in roles:  # at least one converter: a chain, not just more supply
        roles[draw(st.integers(0, len(roles) - 1))] = "converter"
    for p, role in zip(projects, roles, strict=True):
        pid = p["project_id"]
        makes = [(o["sector"], o["material"]) for o in offtake if o["project_id"] == pid]
        if role == "mine":
            offtake.append({"project_id": pid, "sector": CONCENTRATE[0],
                            "material": CONCENTRATE[1],
                            "volume_tpa": draw(st.sampled_from([300, 600, 100]))})
        elif role == "converter":
            for made in makes:
                inputs.append({"project_id": pid, "sector": FEEDS[made][0],
                               "material": FEEDS[made][1],
                               "input_tpa": draw(st.sampled_from([60, 100, 200, 800]))})
    commodities = [*FEEDS.values(), MATERIALS[0]]
    supply = [{"sector": s, "material": m, "year": y,
               "supply_t": draw(st.sampled_from([100, 300, 0, 40]))}
              for (s, m), y in draw(st.lists(st.tuples(st.sampled_from(commodities),
                                                       st.sampled_from(years)),
                                             max_size=4, unique=True))]
    imports: Rows = []
    for s, m in draw(st.lists(st.sampled_from(commodities), min_size=1, max_size=3,
                              unique=True)):
        spread: list[int | None] = draw(st.sampled_from([[None], [*years[-2:]], [years[-1]]]))
        for year in spread:
            row: dict[str, Any] = {"sector": s, "material": m, "year": year}
            _maybe(draw, row, "max_t", st.sampled_from([200, 50, 0]), True)
            _maybe(draw, row, "weight", st.sampled_from([0.1, 0, 1, 3]), True)
            imports.append(row)
    return {"Inputs": inputs, "Supply": supply, "Imports": imports}


SPELLINGS: tuple[Callable[[str], str], ...] = (str, str.upper, str.title, " {} ".format)


def _arrange(draw: Draw, rows: Rows, spell: bool) -> Rows:
    """The same rows laid out differently, which the contract says must not matter.

    Columns in a drawn order (Settings rows too), sometimes an entirely blank row, and with
    `spell` headers in other case or with surrounding spaces.
    """
    if rows and "setting" in rows[0]:
        rows = draw(st.permutations(rows))
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    order = draw(st.permutations(header))
    names = {k: draw(st.sampled_from(SPELLINGS))(k) if spell else k for k in order}
    out = [{names[k]: row[k] for k in order if k in row} for row in rows]
    if draw(st.integers(0, 3)) == 0:
        out.insert(draw(st.integers(0, len(out))), {})
    return out


# --- broken workbooks ------------------------------------------------------------------

# Required columns and numeric columns per sheet, from the contract (docs, not the models).
REQUIRED = {
    "Projects": ("project_id", "country", "stage", "capex_musd", "lead_time_months"),
    "Offtake": ("project_id", "sector", "material", "volume_tpa"),
    "Demand": ("sector", "material", "year", "demand_t"),
    "Financing": ("pool_id", "instrument", "capacity_musd", "budget_cost_rate"),
    "CapexSchedule": ("project_id", "year", "share"),
    "Budget": ("year", "budget_musd"),
}
NUMERIC = {
    "Projects": ("capex_musd", "sponsor_equity_musd", "lead_time_months", "start_year"),
    "Offtake": ("volume_tpa",),
    "Demand": ("year", "demand_t", "weight"),
    "Financing": ("capacity_musd", "budget_cost_rate", "gap_credit", "max_share_of_capex",
                  "min_ticket_musd"),
    "CapexSchedule": ("year", "share"),
    "Budget": ("year", "budget_musd"),
    "Settings": ("plan_start_year", "total_budget_musd", "max_lead_time_months",
                 "max_public_share", "mip_gap", "time_limit_s"),
}
TEXTS = ("abc", "12 USD", "n/a", "1,5", "TBD", "10%", "$5")
OUT_OF_RANGE = {
    ("Projects", "capex_musd"): (-5, 0, -0.01),
    ("Projects", "sponsor_equity_musd"): (-1,),
    ("Projects", "lead_time_months"): (-1, -12),
    ("Offtake", "volume_tpa"): (-1, -50.5),
    ("Demand", "demand_t"): (-1,),
    ("Demand", "weight"): (0, -2),
    ("Financing", "capacity_musd"): (-1,),
    ("Financing", "budget_cost_rate"): (1.5, -0.1, 1.0001),
    ("Financing", "gap_credit"): (0, 1.2, -0.5),
    ("Financing", "max_share_of_capex"): (1.5, -0.2),
    ("Financing", "min_ticket_musd"): (-5,),
    ("CapexSchedule", "share"): (1.5, -0.5),
    ("Budget", "budget_musd"): (-10,),
    ("Settings", "total_budget_musd"): (-10,),
    ("Settings", "max_public_share"): (1.5, -0.1),
    ("Settings", "mip_gap"): (1, 1.5, -0.1),
    ("Settings", "time_limit_s"): (0, -5),
    ("Settings", "max_lead_time_months"): (-6,),
}
WHOLE = {  # whole-number columns, each with a fractional value
    ("Projects", "lead_time_months"): 12.5,
    ("Projects", "start_year"): 2026.5,
    ("Demand", "year"): 2027.5,
    ("CapexSchedule", "year"): 2026.5,
    ("Budget", "year"): 2026.5,
    ("Settings", "plan_start_year"): 2025.5,
    ("Settings", "max_lead_time_months"): 12.5,
}
UNKNOWN_CHOICE = {
    ("Projects", "stage"): ("smelting", "mine", "separations"),
    ("Projects", "lock"): ("yes", "maybe", "locked"),
    ("Financing", "instrument"): ("equity", "bond", "grants"),
    ("Financing", "eligible_stages"): ("mining, smelting", "mine"),
    ("Settings", "objective"): ("max_profit", "coverage"),
}
KEYS = {  # uniqueness keys: the duplicate may be reported at any of these cells
    "Projects": ("project_id",),
    "Financing": ("pool_id",),
    "Demand": ("sector", "material", "year"),
    "CapexSchedule": ("project_id", "year"),
    "Budget": ("year",),
}


@dataclass(frozen=True)
class Broken:
    """A pipeline with one mistake, and the cells where that mistake must be reported."""

    data: Data
    kind: str
    sheet: str
    row: int  # 0-based among data rows
    columns: tuple[str, ...]

    @property
    def refs(self) -> set[str]:
        """`Sheet!A1` of each acceptable cell, from write_book's header order."""
        header: list[str] = []
        for record in self.data[self.sheet]:
            header += [k for k in record if k not in header]
        return {f"{self.sheet}!{get_column_letter(header.index(c) + 1)}{self.row + 2}"
                for c in self.columns}


def _pick(draw: Draw, rows: Rows) -> int:
    """Index of a drawn row that is not entirely blank."""
    return draw(st.sampled_from([k for k, row in enumerate(rows) if row]))


def _setting(draw: Draw, data: Data, kind: str, name: str, values: tuple[Any, ...]) -> Broken:
    rows = data["Settings"]
    at = next((k for k, r in enumerate(rows) if r.get("setting") == name), len(rows))
    if at == len(rows):
        rows.append({})
    rows[at] = rows[at] | {"setting": name, "value": draw(st.sampled_from(values))}
    return Broken(data, kind, "Settings", at, ("value",))


def _cell(draw: Draw, data: Data, kind: str, sheet: str, column: str,
          values: tuple[Any, ...]) -> Broken:
    if sheet == "Settings":
        return _setting(draw, data, kind, column, values)
    rows = data[sheet]
    at = _pick(draw, rows)
    rows[at] = rows[at] | {column: draw(st.sampled_from(values))}
    return Broken(data, kind, sheet, at, (column,))


def _equity_over_capex(draw: Draw, data: Data) -> Broken:
    rows = data["Projects"]
    at = _pick(draw, rows)
    over = rows[at]["capex_musd"] + draw(st.sampled_from([10, 0.5]))
    rows[at] = rows[at] | {"sponsor_equity_musd": over}
    return Broken(data, "range", "Projects", at, ("sponsor_equity_musd",))


def _start_before_plan(draw: Draw, data: Data) -> Broken:
    plan = next(r["value"] for r in data["Settings"] if r.get("setting") == "plan_start_year")
    rows = data["Projects"]
    at = _pick(draw, rows)
    rows[at] = rows[at] | {"start_year": plan - draw(st.sampled_from([1, 5]))}
    return Broken(data, "range", "Projects", at, ("start_year",))


def _disbursed_before_start(draw: Draw, data: Data) -> Broken:
    plan = next(r["value"] for r in data["Settings"] if r.get("setting") == "plan_start_year")
    starts = {p["project_id"]: p.get("start_year", plan) for p in data["Projects"] if p}
    rows = data["CapexSchedule"]
    at = _pick(draw, rows)
    rows[at] = rows[at] | {"year": starts[rows[at]["project_id"]] - 1}
    return Broken(data, "range", "CapexSchedule", at, ("year",))


def _duplicate(draw: Draw, data: Data, sheet: str) -> Broken:
    rows = data[sheet]
    filled = [k for k, row in enumerate(rows) if row]
    at = draw(st.sampled_from(filled[1:]))
    first = draw(st.sampled_from([k for k in filled if k < at]))
    names = KEYS[sheet]
    copied = {n: rows[first][n] for n in names}
    if sheet in ("Projects", "Financing"):  # text is trimmed: ' P0 ' repeats 'P0'
        copied[names[0]] = draw(st.sampled_from(["{}", " {} "])).format(copied[names[0]])
    rows[at] = rows[at] | copied
    return Broken(data, "duplicate", sheet, at, names)


Mutate = Callable[[Draw, Data], Broken]
KINDS = ("blank", "text", "range", "fraction", "choice", "duplicate", "unknown")


def _mutations(data: Data) -> list[tuple[str, Mutate]]:
    """Every (kind, mutation) applicable to this pipeline."""
    out: list[tuple[str, Mutate]] = []

    def add(kind: str, sheet: str, fn: Mutate, min_rows: int = 1) -> None:
        if len([row for row in data.get(sheet, []) if row]) >= min_rows:
            out.append((kind, fn))

    def cell(kind: str, sheet: str, column: str, values: tuple[Any, ...]) -> None:
        add(kind, sheet, lambda draw, d: _cell(draw, d, kind, sheet, column, values))

    for sheet, columns in REQUIRED.items():
        for column in columns:
            cell("blank", sheet, column, (None, "   "))
    for name in ("plan_start_year", "total_budget_musd"):
        cell("blank", "Settings", name, (None,))
    for sheet, columns in NUMERIC.items():
        for column in columns:
            cell("text", sheet, column, TEXTS)
    for (sheet, column), values in OUT_OF_RANGE.items():
        cell("range", sheet, column, values)
    add("range", "Projects", _equity_over_capex)
    add("range", "Projects", _start_before_plan)
    add("range", "CapexSchedule", _disbursed_before_start)
    for (sheet, column), whole in WHOLE.items():
        cell("fraction", sheet, column, (whole,))
    for (sheet, column), choices in UNKNOWN_CHOICE.items():
        cell("choice", sheet, column, choices)
    for sheet in KEYS:
        add("duplicate", sheet, functools.partial(_duplicate, sheet=sheet), min_rows=2)
    for sheet, column in (("Offtake", "project_id"), ("CapexSchedule", "project_id"),
                          ("Projects", "requires")):
        cell("unknown", sheet, column, ("P99", "X1"))
    return out


@st.composite
def broken_pipelines(draw: Draw, kind: str) -> Broken:
    """A valid pipeline of 2-4 projects with one hypothesis-chosen mistake of this kind."""
    data = copy.deepcopy(draw(pipelines(max_projects=4, spell=False)))
    mutate = draw(st.sampled_from([fn for k, fn in _mutations(data) if k == kind]))
    return mutate(draw, data)
