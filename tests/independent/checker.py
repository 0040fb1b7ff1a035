"""An independent check of a results workbook against its input workbook.

It reads the input with openpyxl and the output with pandas, and recomputes every
constraint of the workbook contract from the reported selection and financing. It shares
no code with the product, so a bug in the model cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import read_output, summary

TOL = 1e-6
CHAIN_SHEETS = ("Inputs", "Supply", "Imports")
FLOW_COLUMNS = ("production_t", "supply_t", "released_t", "imports_t", "consumed_t",
                "delivered_t", "demand_t", "surplus_t")
Flow = tuple[tuple[str, str], int]
STOCK_COLUMNS = ("bought_t", "released_t", "stock_t", "budget_cost_musd")
#: The Countries row the product adds for pools with a blank country (documented in its Guide);
#: it counts toward no country's budget or share and is checked as the cost of those pools.
NO_COUNTRY = "(no country)"


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


def _country(text: Any) -> str:
    """Countries match between Financing, Stockpiles, CountryBudgets and CostShare ignoring
    case and spacing."""
    return " ".join(str(text).split()).casefold()


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
    stockpiles = _sheet(book, "Stockpiles")
    country_budgets = _sheet(book, "CountryBudgets")
    cost_shares = _sheet(book, "CostShare")
    years = range(plan, max([plan, *(int(d["year"]) for d in demands)]) + 1)

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
    by_country: dict[tuple[str, int], float] = defaultdict(float)  # (country, year) -> cost
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
            for (fp, iid), value in face.items():
                if fp == pid:
                    by_country[(_country(pools[iid].get("country") or NO_COUNTRY), year)] += (
                        share * float(pools[iid]["budget_cost_rate"]) * value)
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
    released: dict[Flow, float] = {}
    if stockpiles:
        stock = _stockpiles(out, stockpiles, plan, years, bad)
        released = stock.released
        for (country, year), cost in stock.cost.items():
            cost_by_year[year] += cost
            by_country[(country, year)] += cost
        stock_cost = sum(stock.cost.values())
        total_cost += stock_cost
        if _off(float(summ.get("stockpile_cost_musd", math.nan)), stock_cost):
            bad.append(f"Summary stockpile_cost_musd {summ.get('stockpile_cost_musd')} != "
                       f"{stock_cost}")
    if total_cost > budget + TOL * max(1, budget):
        bad.append(f"total budget cost {total_cost} over {budget}")
    for year, limit in annual.items():
        if cost_by_year.get(year, 0) > limit + TOL * max(1, limit):
            bad.append(f"{year}: budget cost {cost_by_year[year]} over {limit}")
    bad += _budget_sheet(out, cost_by_year, total_cost, annual, budget)
    if country_budgets or cost_shares:
        bad += _governments(out, by_country, cost_by_year, total_cost, country_budgets,
                            cost_shares)

    chains = {n: _sheet(book, n) for n in CHAIN_SHEETS}
    if any(chains.values()) or stockpiles:
        bad += _check_chains(Chain(out, summ, selected, online, plan, projects, offtakes, demands,
                                   objective, *chains.values(), released=released))
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
    released: dict[Flow, float] = field(default_factory=dict)  # from the Stockpiles sheet

    @property
    def years(self) -> range:
        """Plan years: plan_start_year to the last Demand year."""
        return range(self.plan, max([self.plan, *(int(d["year"]) for d in self.demands)]) + 1)


def _off(got: float, want: float) -> bool:
    """Whether a reported figure is not the recomputed one (a blank, NaN, is off)."""
    return not abs(got - want) <= TOL * max(1.0, abs(want))


def _missing(v: Any) -> bool:
    """A blank cell as pandas reads it (None or NaN)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


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
                  "demand_t": wanted, "delivered_t": delivered, "released_t": c.released}
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


@dataclass(frozen=True)
class Stock:
    """What the stockpiles add, recomputed from the tonnes the Stockpiles sheet reports."""

    cost: dict[tuple[str, int], float]  # (country, year) -> budget cost
    released: dict[Flow, float]  # (commodity, year) -> tonnes released


def _year(v: Any) -> int | str:
    """A year cell: an int, or `total`."""
    return "total" if str(v).strip().lower() == "total" else int(float(v))


def _stockpiles(out: dict[str, Any], stockpiles: list[dict[str, Any]], plan: int,
                years: range, bad: list[str]) -> Stock:
    """v2 stockpiles: each stockpile's year rows checked against its limits and recomputed.

    Per stockpile k and plan year Y: b_kY >= 0, none after buy_until_year; 0 <= r_kY <=
    max_release_tpa; H_kY = initial + bought to date <= max_stock_t; year-end stock
    S_kY = H_kY - released to date >= 0; cost price/1000 * b_kY + holding/100 * price/1000
    * H_kY. Costs are recomputed from the tonnes, not read from the sheet.
    """
    cost: dict[tuple[str, int], float] = defaultdict(float)
    released: dict[Flow, float] = defaultdict(float)
    frame = out.get("Stockpiles")
    if frame is None:
        bad.append("a stockpile workbook's results lack the Stockpiles sheet")
        return Stock(dict(cost), dict(released))
    known = {str(k["stockpile_id"]): k for k in stockpiles}
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for r in frame.to_dict("records") if len(frame) else []:
        kid, year = str(r["stockpile_id"]), int(r["year"])
        if kid not in known:
            bad.append(f"Stockpiles row for {kid}, which is no stockpile of the input")
        elif year not in years:
            bad.append(f"Stockpiles row for {kid} in {year}, outside the plan years")
        if (kid, year) in found:
            bad.append(f"{kid} {year}: two Stockpiles rows")
        found[(kid, year)] = r
    for kid, k in known.items():
        per_t = float(k["price_usd_per_kg"]) / 1000
        holding = _number(k.get("holding_cost_pct"), 0) / 100
        ceiling = float(k["max_stock_t"])
        last = int(_number(k.get("buy_until_year"), plan))
        cap = k.get("max_release_tpa")
        flow_key = _key(k["sector"], k["material"])
        held = _number(k.get("initial_t"), 0)
        out_to_date = 0.0
        for year in years:
            r = found.get((kid, year))
            if r is None:
                bad.append(f"{kid} {year}: no Stockpiles row")
                r = dict.fromkeys(STOCK_COLUMNS, 0.0)
            elif (_country(r["country"]), _key(r["sector"], r["material"])) != (
                    _country(k["country"]), flow_key):
                bad.append(f"{kid} {year}: Stockpiles row names {r['country']} "
                           f"{r['sector']}/{r['material']}, not the input's")
            bought, out_t, stock_t, reported = (float(r[c]) for c in STOCK_COLUMNS)
            if any(math.isnan(v) for v in (bought, out_t, stock_t, reported)):
                bad.append(f"{kid} {year}: a blank Stockpiles cell")
            if bought < -TOL:
                bad.append(f"{kid} {year}: bought {bought} t, below 0")
            if year > last and abs(bought) > TOL:
                bad.append(f"{kid} {year}: bought {bought} t after buy_until_year {last}")
            held += bought
            out_to_date += out_t
            scale = max(1.0, held)
            if held > ceiling + TOL * max(1, ceiling):
                bad.append(f"{kid} {year}: {held} t bought to date, over max_stock_t {ceiling}")
            if out_t < -TOL or (cap is not None and out_t > float(cap) + TOL * max(1, cap)):
                bad.append(f"{kid} {year}: released {out_t} t outside [0, {cap}]")
            if abs(stock_t - (held - out_to_date)) > TOL * scale:
                bad.append(f"{kid} {year}: stock_t {stock_t} != initial + bought - released "
                           f"to date = {held - out_to_date}")
            if held - out_to_date < -TOL * scale:
                bad.append(f"{kid} {year}: {out_to_date} t released to date, more than the "
                           f"{held} t bought")
            spent = per_t * bought + holding * per_t * held
            if _off(reported, spent):
                bad.append(f"{kid} {year}: budget_cost_musd {reported} != {spent} (price x "
                           "bought + holding x price x bought to date)")
            cost[(_country(k["country"]), year)] += spent
            released[(flow_key, year)] += out_t
    return Stock(dict(cost), dict(released))


def _budget_sheet(out: dict[str, Any], cost_by_year: dict[int, float], total: float,
                  annual: dict[int, float], budget: float) -> list[str]:
    """The Budget sheet: each year's budget cost (financing disbursed, stockpile costs) and
    the total, each against its limit."""
    bad: list[str] = []
    frame = out.get("Budget")
    if frame is None:
        return ["the results lack the Budget sheet"]
    seen: set[int | str] = set()
    for r in frame.to_dict("records") if len(frame) else []:
        year = _year(r["year"])
        seen.add(year)
        want = total if year == "total" else cost_by_year.get(int(year), 0.0)
        if _off(float(r["budget_cost_musd"]), want):
            bad.append(f"Budget {year}: budget_cost_musd {r['budget_cost_musd']} != {want}")
        limit = budget if year == "total" else annual.get(int(year))
        got = r.get("limit_musd")
        if limit is not None and (_missing(got) or _off(float(got), limit)):
            bad.append(f"Budget {year}: limit_musd {got} != {limit}")
    bad += [f"Budget: no row for {y}, whose budget cost is {c}"
            for y, c in sorted(cost_by_year.items()) if abs(c) > TOL and y not in seen]
    if "total" not in seen:
        bad.append("Budget: no total row")
    return bad


def _governments(out: dict[str, Any], by_country: dict[tuple[str, int], float],
                 cost_by_year: dict[int, float], total: float,
                 country_budgets: list[dict[str, Any]], cost_shares: list[dict[str, Any]],
                 ) -> list[str]:
    """v2 governments: each country's budget cost (its pools' disbursed financing and its
    stockpiles') against its CountryBudgets rows, the cost shares, and the Countries sheet
    (share_pct: of the year's budget cost on a year row, of the total on the total row)."""
    bad: list[str] = []

    def paid(country: str, year: int | str) -> float:
        return sum(c for (k, y), c in by_country.items()
                   if k == country and (year == "total" or y == year))

    limits: dict[tuple[str, int | str], float] = {}
    for r in country_budgets:
        key = (_country(r["country"]), "total" if r.get("year") is None else int(r["year"]))
        limits[key] = float(r["budget_musd"])
        cost = paid(*key)
        if cost > limits[key] + TOL * max(1, limits[key]):
            bad.append(f"country budget {r['country']} {key[1]}: {cost} over {limits[key]}")
    for r in cost_shares:
        cost, country = paid(_country(r["country"]), "total"), r["country"]
        low, high = _number(r.get("min_share"), 0), _number(r.get("max_share"), 1)
        if cost < low * total - TOL * max(1, total):
            bad.append(f"cost share: {country} pays {cost} of {total}, under {low}")
        if cost > high * total + TOL * max(1, total):
            bad.append(f"cost share: {country} pays {cost} of {total}, over {high}")
    frame = out.get("Countries")
    if frame is None:
        return [*bad, "a workbook with country budgets or cost shares lacks the Countries sheet"]
    seen: set[tuple[str, int | str]] = set()
    for r in frame.to_dict("records") if len(frame) else []:
        key = (_country(r["country"]), _year(r["year"]))
        if key in seen:
            bad.append(f"two Countries rows for {r['country']} {key[1]}")
        seen.add(key)
        cost = paid(*key)
        if _off(float(r["budget_cost_musd"]), cost):
            bad.append(f"Countries {r['country']} {key[1]}: budget_cost_musd "
                       f"{r['budget_cost_musd']} != {cost}")
        got, limit = r.get("limit_musd"), limits.get(key)
        if (limit is None) != _missing(got) or (limit is not None and _off(float(got), limit)):
            bad.append(f"Countries {r['country']} {key[1]}: limit_musd {got} != {limit}")
        whole = total if key[1] == "total" else cost_by_year.get(int(key[1]), 0.0)
        if whole > TOL and _off(float(r["share_pct"]), 100 * cost / whole):
            bad.append(f"Countries {r['country']} {key[1]}: share_pct {r['share_pct']} != "
                       f"{100 * cost / whole}")
    wanted = {(k, y) for (k, y), c in by_country.items() if abs(c) > TOL and k != NO_COUNTRY}
    wanted |= {(k, "total") for k, _ in wanted} | {(k, "total") for k, _ in limits}
    wanted |= {(_country(r["country"]), "total") for r in cost_shares}
    bad += [f"Countries: no row for {k} {y}" for k, y in sorted(wanted - seen, key=str)]
    return bad


def totals(output_path: Path) -> tuple[float, float]:
    """(weighted shortfall, total budget cost) from a results workbook's Summary."""
    summ = summary(read_output(output_path))
    return float(summ["weighted_shortfall"]), float(summ["total_budget_cost_musd"])
