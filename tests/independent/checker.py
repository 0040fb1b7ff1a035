"""An independent check of a results workbook against its input workbook.

It reads the input with openpyxl and the output with pandas, and recomputes every
constraint of the workbook contract from the reported selection and financing. It shares
no code with the product, so a bug in the model cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import read_output, summary

TOL = 1e-6
CHAIN_SHEETS = ("Inputs", "Supply", "Imports")
FLOW_COLUMNS = ("production_t", "supply_t", "released_t", "imports_t", "consumed_t",
                "delivered_t", "demand_t", "surplus_t")
Flow = tuple[tuple[str, str], int]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _sheet(book: Any, name: str) -> list[dict[str, Any]]:
    names = {n.strip().lower(): n for n in book.sheetnames}
    if name.lower() not in names:
        return []
    rows = list(book[names[name.lower()]].iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip().lower() if h is not None else "" for h in rows[0]]
    out = []
    for row in rows[1:]:
        if all(_blank(v) for v in row):
            continue
        out.append({h: (v.strip() if isinstance(v, str) else v)
                    for h, v in zip(header, row, strict=False) if h and not _blank(v)})
    return out


def _number(v: Any, default: float) -> float:
    """A numeric cell, or the contract's default where it is blank."""
    return default if v is None else float(v)


def _list(v: Any) -> list[str]:
    return [s.strip() for s in str(v or "").split(",") if s.strip()]


def _key(sector: str, material: str) -> tuple[str, str]:
    return (" ".join(str(sector).split()).lower(), " ".join(str(material).split()).lower())


def check(input_path: Path, output_path: Path) -> list[str]:
    """Every violation of the contract found in the output (empty list = all good)."""
    book = openpyxl.load_workbook(input_path, data_only=True, read_only=True)
    st: dict[str, Any] = {str(r["setting"]).strip().lower(): r.get("value")
                          for r in _sheet(book, "Settings")}
    plan = int(st["plan_start_year"])
    budget = float(st["total_budget_musd"])
    objective = str(st.get("objective") or "max_coverage").lower()
    max_lead = st.get("max_lead_time_months")
    max_public = _number(st.get("max_public_share"), 1)
    projects = {str(r["project_id"]): r for r in _sheet(book, "Projects")}
    pools = {str(r["pool_id"]): r for r in _sheet(book, "Financing")}
    offtakes = _sheet(book, "Offtake")
    demands = _sheet(book, "Demand")
    schedule: dict[str, dict[int, float]] = defaultdict(dict)
    for r in _sheet(book, "CapexSchedule"):
        schedule[str(r["project_id"])][int(r["year"])] = float(r["share"])
    annual = {int(r["year"]): float(r["budget_musd"]) for r in _sheet(book, "Budget")}

    out = read_output(output_path)
    summ = summary(out)
    selected = {str(p) for p in out["Selection"]["project_id"]}
    bad: list[str] = []
    face: dict[tuple[str, str], float] = {}
    for f in out["Financing"].itertuples():
        face[(str(f.project_id), str(f.pool_id))] = _number(f.face_value_musd, 0)
        if str(f.project_id) not in selected:
            bad.append(f"financing for unselected project {f.project_id}")

    def start(pid: str) -> int:
        s = projects[pid].get("start_year")
        return int(s) if s is not None else plan

    def online(pid: str) -> int:
        return start(pid) + math.ceil(float(projects[pid]["lead_time_months"]) / 12)

    cost_by_year: dict[int, float] = defaultdict(float)
    total_cost = 0.0
    for pid in selected:
        p = projects[pid]
        capex = float(p["capex_musd"])
        gap = capex - float(p.get("sponsor_equity_musd") or 0)
        credited = 0.0
        cost = 0.0
        for (fp, iid), value in face.items():
            if fp != pid:
                continue
            i = pools[iid]
            gc = float(i.get("gap_credit") or 1)
            credited += gc * value
            cost += float(i["budget_cost_rate"]) * value
            countries = [c.lower() for c in _list(i.get("eligible_countries"))]
            stages = [s.lower() for s in _list(i.get("eligible_stages"))]
            if countries and str(p["country"]).lower() not in countries:
                bad.append(f"{pid}: pool {iid} not eligible for country {p['country']}")
            if stages and str(p["stage"]).lower() not in stages:
                bad.append(f"{pid}: pool {iid} not eligible for stage {p['stage']}")
            share = _number(i.get("max_share_of_capex"), 1)
            if value > share * capex + TOL:
                bad.append(f"{pid}: pool {iid} face {value} over {share} x capex")
            ticket = float(i.get("min_ticket_musd") or 0)
            if value < ticket - TOL:
                bad.append(f"{pid}: pool {iid} face {value} under min ticket {ticket}")
        if abs(credited - gap) > TOL * max(1, gap):
            bad.append(f"{pid}: gap {gap} closed by {credited}")
        if credited > max_public * capex + TOL * max(1, capex):
            bad.append(f"{pid}: public share {credited / capex} over {max_public}")
        if max_lead is not None and float(p["lead_time_months"]) > float(max_lead):
            bad.append(f"{pid}: lead time over the limit")
        if str(p.get("lock") or "").lower() == "out":
            bad.append(f"{pid}: locked out but selected")
        for q in _list(p.get("requires")):
            if q not in selected:
                bad.append(f"{pid}: requires {q}, not selected")
        total_cost += cost
        for year, share in (schedule.get(pid) or {start(pid): 1.0}).items():
            cost_by_year[year] += cost * share
    for pid, p in projects.items():
        if str(p.get("lock") or "").lower() == "in" and pid not in selected:
            bad.append(f"{pid}: locked in but not selected")
    groups: dict[str, list[str]] = defaultdict(list)
    for pid in selected:
        if projects[pid].get("exclusive_group"):
            groups[str(projects[pid]["exclusive_group"]).lower()].append(pid)
    bad += [f"exclusive group {g}: {m}" for g, m in groups.items() if len(m) > 1]
    for iid, i in pools.items():
        used = sum(v for (_, j), v in face.items() if j == iid)
        if used > float(i["capacity_musd"]) + TOL * max(1, used):
            bad.append(f"pool {iid}: {used} over capacity {i['capacity_musd']}")
    if total_cost > budget + TOL * max(1, budget):
        bad.append(f"total budget cost {total_cost} over {budget}")
    for year, limit in annual.items():
        if cost_by_year.get(year, 0) > limit + TOL * max(1, limit):
            bad.append(f"{year}: budget cost {cost_by_year[year]} over {limit}")

    chains = {n: _sheet(book, n) for n in CHAIN_SHEETS}
    if any(chains.values()):
        bad += _check_chains(Chain(out, summ, selected, online, plan, projects, offtakes, demands,
                                   objective, *chains.values()))
    else:
        bad += _coverage(out, summ, selected, online, offtakes, demands, objective)
    if abs(float(summ["total_budget_cost_musd"]) - total_cost) > TOL * max(1, total_cost):
        bad.append(f"Summary total_budget_cost_musd {summ['total_budget_cost_musd']} != "
                   f"{total_cost}")
    rejected = {str(p) for p in out["Rejected"]["project_id"]} if len(out["Rejected"]) else set()
    if rejected != set(projects) - selected:
        expected = sorted(set(projects) - selected)
        bad.append(f"Rejected lists {sorted(rejected)}, expected {expected}")
    if len(out["Rejected"]) and out["Rejected"]["reason"].isna().any():
        bad.append("a rejected project has no reason")
    return bad


def _coverage(out: dict[str, Any], summ: dict[str, Any], selected: set[str],
              online: Callable[[str], int], offtakes: list[dict[str, Any]],
              demands: list[dict[str, Any]], objective: str) -> list[str]:
    """v1: each Demand row's supply is the full volume of the selected projects online."""
    bad: list[str] = []
    weighted = 0.0
    cov = out["Coverage"]
    for n, d in enumerate(demands):
        supply = sum(float(o["volume_tpa"]) for o in offtakes
                     if str(o["project_id"]) in selected and int(d["year"]) >=
                     online(str(o["project_id"])) and
                     _key(o["sector"], o["material"]) == _key(d["sector"], d["material"]))
        short = max(0.0, float(d["demand_t"]) - supply)
        weighted += float(d.get("weight") or 1) * short
        if abs(float(cov["supply_t"].iloc[n]) - supply) > TOL * max(1, supply):
            bad.append(f"Coverage row {n + 2}: supply {cov['supply_t'].iloc[n]} != {supply}")
        if objective == "min_cost" and short > TOL:
            bad.append(f"min_cost leaves {short} t short in Demand row {n + 2}")
    if abs(float(summ["weighted_shortfall"]) - weighted) > TOL * max(1, weighted):
        bad.append(f"Summary weighted_shortfall {summ['weighted_shortfall']} != {weighted}")
    return bad


@dataclass(frozen=True)
class Chain:
    """What the chain check needs: the output's sheets and the input's rows."""

    out: dict[str, Any]
    summ: dict[str, Any]
    selected: set[str]
    online: Callable[[str], int]
    plan: int
    projects: dict[str, dict[str, Any]]
    offtakes: list[dict[str, Any]]
    demands: list[dict[str, Any]]
    objective: str
    inputs: list[dict[str, Any]]
    supplies: list[dict[str, Any]]
    imports: list[dict[str, Any]]

    @property
    def years(self) -> range:
        """Plan years: plan_start_year to the last Demand year."""
        return range(self.plan, max([self.plan, *(int(d["year"]) for d in self.demands)]) + 1)


def _off(got: float, want: float) -> bool:
    return abs(got - want) > TOL * max(1.0, abs(want))


def _utilisation(c: Chain, bad: list[str]) -> dict[tuple[str, int], float]:
    """Each selected converter's reported utilisation (0-1) per year, its rows checked."""
    converters = {str(r["project_id"]) for r in c.inputs}
    found: dict[tuple[str, int], float] = {}
    frame = c.out["Utilisation"]
    for r in frame.itertuples() if len(frame) else []:
        pid, year, pct = str(r.project_id), int(r.year), float(r.utilisation_pct)
        if pid not in c.selected or pid not in converters:
            bad.append(f"Utilisation row for {pid}, not a selected converter")
        elif year not in c.years or year < c.online(pid):
            bad.append(f"Utilisation row for {pid} in {year}, outside its online plan years")
        if not -TOL <= pct <= 100 + TOL:
            bad.append(f"{pid} {year}: utilisation {pct}% outside [0, 100]")
        if (pid, year) in found:
            bad.append(f"{pid} {year}: two Utilisation rows")
        found[(pid, year)] = pct / 100
    for pid in sorted(c.selected & converters):
        bad += [f"{pid} {y}: no Utilisation row" for y in c.years
                if y >= c.online(pid) and (pid, y) not in found]
    return found


def _flows_sheet(c: Chain, bad: list[str]) -> dict[Flow, dict[str, float]]:
    """The Flows sheet by (commodity, year)."""
    found: dict[Flow, dict[str, float]] = {}
    frame = c.out["Flows"]
    for r in frame.to_dict("records") if len(frame) else []:
        flow = (_key(r["sector"], r["material"]), int(r["year"]))
        if flow in found:
            bad.append(f"two Flows rows for {flow}")
        found[flow] = {k: float(r[k]) for k in FLOW_COLUMNS}
    return found


def _check_chains(c: Chain) -> list[str]:
    """Chains: every flow recomputed from the input rows, the Selection and the utilisation."""
    missing = [n for n in ("Flows", "Utilisation") if n not in c.out]
    if missing:
        return [f"a chain workbook's results lack the {', '.join(missing)} sheet(s)"]
    bad: list[str] = []
    level = _utilisation(c, bad)
    converters = {str(r["project_id"]) for r in c.inputs}

    def at(pid: str, year: int) -> float:
        if pid not in c.selected or year < c.online(pid):
            return 0.0
        return level.get((pid, year), 0.0) if pid in converters else 1.0

    made: dict[Flow, float] = defaultdict(float)
    used: dict[Flow, float] = defaultdict(float)
    for rows, side, column in ((c.offtakes, made, "volume_tpa"), (c.inputs, used, "input_tpa")):
        for r in rows:
            for year in c.years:
                side[(_key(r["sector"], r["material"]), year)] += (
                    float(r[column]) * at(str(r["project_id"]), year))
    supplied: dict[Flow, float] = defaultdict(float)
    for r in c.supplies:
        supplied[(_key(r["sector"], r["material"]), int(r["year"]))] += float(r["supply_t"])
    terms: dict[Flow, tuple[float | None, float]] = {}
    for r in c.imports:
        cap = None if r.get("max_t") is None else float(r["max_t"])
        for year in c.years if r.get("year") is None else [int(r["year"])]:
            terms[(_key(r["sector"], r["material"]), year)] = (
                cap, _number(r.get("weight"), 1))

    cov = c.out["Coverage"]
    wanted: dict[Flow, float] = defaultdict(float)
    delivered: dict[Flow, float] = defaultdict(float)
    shortfall = 0.0
    for n, d in enumerate(c.demands):
        want, got = float(d["demand_t"]), float(cov["supply_t"].iloc[n])
        flow = (_key(d["sector"], d["material"]), int(d["year"]))
        if got < -TOL or got > want + TOL * max(1, want):
            bad.append(f"Coverage row {n + 2}: delivered {got} outside [0, {want}]")
        if _off(float(cov["shortfall_t"].iloc[n]), want - got):
            bad.append(f"Coverage row {n + 2}: shortfall {cov['shortfall_t'].iloc[n]} != "
                       f"{want - got}")
        if c.objective == "min_cost" and want - got > TOL * max(1, want):
            bad.append(f"min_cost leaves {want - got} t short in Demand row {n + 2}")
        shortfall += float(d.get("weight") or 1) * (want - got)
        wanted[flow] += want
        delivered[flow] += got

    sheet = _flows_sheet(c, bad)
    weighted = 0.0
    recomputed = {"production_t": made, "consumed_t": used, "supply_t": supplied,
                  "demand_t": wanted, "delivered_t": delivered}
    flows = {f for part in recomputed.values() for f, t in part.items()
             if abs(t) > TOL and f[1] in c.years}
    for flow in sorted(flows | set(sheet) | {f for f in wanted if f[1] in c.years}):
        row = sheet.get(flow)
        if row is None:
            bad.append(f"no Flows row for {flow}")
            continue
        if flow[1] not in c.years:
            bad.append(f"Flows row for {flow} outside the plan years")
        for column, part in recomputed.items():
            if _off(row[column], part.get(flow, 0.0)):
                bad.append(f"Flows {flow}: {column} {row[column]} != {part.get(flow, 0.0)}")
        if _off(row["released_t"], 0.0):
            bad.append(f"Flows {flow}: released {row['released_t']} without stockpiles")
        imported = row["imports_t"]
        cap, weight = terms.get(flow, (0.0, 0.0))
        if imported < -TOL or (cap is not None and imported > cap + TOL * max(1, cap)):
            bad.append(f"Flows {flow}: imports {imported} outside [0, {cap}]")
        weighted += weight * imported
        allied = row["production_t"] + row["supply_t"] + row["released_t"]
        into = allied + imported
        if row["delivered_t"] + row["consumed_t"] > into + TOL * max(1, into):
            bad.append(f"Flows {flow}: delivered {row['delivered_t']} + consumed "
                       f"{row['consumed_t']} over the {into} t available")
        if row["delivered_t"] > allied + TOL * max(1, allied):
            bad.append(f"Flows {flow}: delivered {row['delivered_t']} over the {allied} allied t")
        if _off(row["surplus_t"], into - row["consumed_t"] - row["delivered_t"]):
            bad.append(f"Flows {flow}: surplus {row['surplus_t']} is not what comes in less "
                       "what goes out")
    if _off(float(c.summ["weighted_shortfall"]), shortfall):
        bad.append(f"Summary weighted_shortfall {c.summ['weighted_shortfall']} != {shortfall}")
    if _off(float(c.summ.get("weighted_imports", math.nan)), weighted):
        bad.append(f"Summary weighted_imports {c.summ.get('weighted_imports')} != {weighted}")
    return bad


def totals(output_path: Path) -> tuple[float, float]:
    """(weighted shortfall, total budget cost) from a results workbook's Summary."""
    summ = summary(read_output(output_path))
    return float(summ["weighted_shortfall"]), float(summ["total_budget_cost_musd"])
