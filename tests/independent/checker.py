"""An independent check of a results workbook against its input workbook.

It reads the input with openpyxl and the output with pandas, and recomputes every
constraint of the workbook contract from the reported selection and financing. It shares
no code with the product, so a bug in the model cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import read_output, summary

TOL = 1e-6


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


def _list(v: Any) -> list[str]:
    return [s.strip() for s in str(v or "").split(",") if s.strip()]


def _key(sector: str, material: str) -> tuple[str, str]:
    return (" ".join(str(sector).split()).lower(), " ".join(str(material).split()).lower())


def check(input_path: Path, output_path: Path) -> list[str]:
    """Every violation of the contract found in the output (empty list = all good)."""
    book = openpyxl.load_workbook(input_path, data_only=True, read_only=True)
    st = {str(r["setting"]).strip().lower(): r.get("value") for r in _sheet(book, "Settings")}
    plan = int(st["plan_start_year"])
    budget = float(st["total_budget_musd"])
    objective = str(st.get("objective") or "max_coverage").lower()
    max_lead = st.get("max_lead_time_months")
    max_public = float(st.get("max_public_share") if st.get("max_public_share") is not None
                       else 1)
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
    for r in out["Financing"].itertuples():
        face[(str(r.project_id), str(r.pool_id))] = float(r.face_value_musd)
        if str(r.project_id) not in selected:
            bad.append(f"financing for unselected project {r.project_id}")

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
            share = float(i.get("max_share_of_capex") if i.get("max_share_of_capex") is not None
                          else 1)
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


def totals(output_path: Path) -> tuple[float, float]:
    """(weighted shortfall, total budget cost) from a results workbook's Summary."""
    summ = summary(read_output(output_path))
    return float(summ["weighted_shortfall"]), float(summ["total_budget_cost_musd"])
