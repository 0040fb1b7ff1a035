"""An independent check of the schedule-risk answer of a results workbook.

It reads the input with openpyxl and the output's Selection, Coverage, Risk, RiskSamples and
Summary sheets, and shares no code with the product. For every pipeline it checks what the
samples may be (an online year at or after the planned one, at most the largest delay later)
and that the Risk sheet's statistics are consistent with each other and with Coverage. For a
pipeline without Inputs or Stockpiles, where each Demand row's shortfall in a sample is
max(0, demand - supply - sum of the volumes of the selected projects online by its year), it
recomputes every sample from RiskSamples alone and with it every Risk row, the Summary's
expected and P90 first objective and each project's risk contribution.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import read_output, summary
from tests.independent.checker import _key, _number, _sheet

TOL = 1e-6


def _near(got: float, want: float) -> bool:
    return abs(got - want) <= TOL * max(1.0, abs(want))


def _rank(values: list[float], q: float) -> float:
    """Nearest rank: the ceil(q/100 * N)-th smallest."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _terms(risk_rows: list[dict[str, Any]], project: dict[str, Any]) -> tuple[float, float]:
    """(failure_prob, largest delay in months) of a project, resolved as the contract says."""
    row = next((r for r in risk_rows
                if str(r["stage"]).strip().lower() == str(project["stage"]).strip().lower()), {})
    fail = project.get("failure_prob", row.get("failure_prob", 0.0))
    mode = project.get("delay_mode_months", row.get("delay_mode_months", 0.0))
    top = project.get("delay_max_months", row.get("delay_max_months", mode))
    return float(fail), float(top)


def check_risk(input_path: Path, output_path: Path) -> list[str]:
    """Every way the risk sheets disagree with the inputs or with themselves."""
    book = openpyxl.load_workbook(input_path, read_only=True, data_only=True)
    sheets = {name: _sheet(book, name) for name in ("Settings", "Projects", "Offtake", "Demand",
                                                     "Supply", "Inputs", "Stockpiles", "Risk")}
    book.close()
    out = read_output(output_path)
    summ = summary(out)
    bad: list[str] = []
    plan_start = int(next(r["value"] for r in sheets["Settings"]
                          if str(r["setting"]).strip().lower() == "plan_start_year"))
    projects = {str(p["project_id"]): p for p in sheets["Projects"]}
    planned = {pid: int(_number(p.get("start_year"), plan_start))
               + math.ceil(float(p["lead_time_months"]) / 12) for pid, p in projects.items()}
    count = int(summ["risk_samples"])
    online: list[dict[str, int | None]] = [dict(planned) for _ in range(count)]
    for row in out["RiskSamples"].to_dict("records"):
        k, pid, year = int(row["sample"]), str(row["project_id"]), row["online_year"]
        if not 1 <= k <= count or pid not in projects:
            bad.append(f"RiskSamples: sample {k} / project {pid} does not exist")
            continue
        fail, top = _terms(sheets["Risk"], projects[pid])
        if year is None or (isinstance(year, float) and math.isnan(year)):
            if fail <= 0:
                bad.append(f"RiskSamples: {pid} fails in sample {k} with failure_prob 0")
            online[k - 1][pid] = None
            continue
        start = int(_number(projects[pid].get("start_year"), plan_start))
        latest = start + math.ceil((float(projects[pid]["lead_time_months"]) + top) / 12)
        if not planned[pid] < int(year) <= latest:
            bad.append(f"RiskSamples: {pid} online in {int(year)} in sample {k}, outside "
                       f"({planned[pid]}, {latest}]")
        online[k - 1][pid] = int(year)
    risk = [r for r in out["Risk"].to_dict("records")  # side tables may run further down
            if not (isinstance(r.get("demand_t"), float) and math.isnan(r["demand_t"]))]
    coverage = out["Coverage"].to_dict("records")
    for r, (row, cov) in enumerate(zip(risk, coverage, strict=True)):
        where = f"Risk row {r + 2}"
        if not _near(float(row["plan_shortfall_t"]), float(cov["shortfall_t"])):
            bad.append(f"{where}: plan_shortfall_t {row['plan_shortfall_t']} is not Coverage's "
                       f"{cov['shortfall_t']}")
        p10, p50, p90 = (float(row[f"p{q}_shortfall_t"]) for q in (10, 50, 90))
        if not p10 <= p50 + TOL <= p90 + 2 * TOL or p10 < 0 or \
                p90 > float(row["demand_t"]) + TOL:
            bad.append(f"{where}: percentiles {p10}, {p50}, {p90} out of order or range")
        covered = float(row["prob_covered"])
        if (p50 > 1e-6 and covered >= 0.5 + TOL) or (p90 <= 1e-6 and covered < 0.9 - TOL):
            bad.append(f"{where}: prob_covered {covered} disagrees with P50 {p50} / P90 {p90}")
    if sheets["Inputs"] or sheets["Stockpiles"]:
        return bad
    return bad + _closed(sheets, out, summ, online, risk)


def _closed(sheets: dict[str, list[dict[str, Any]]], out: dict[str, Any],
            summ: dict[str, Any], online: list[dict[str, int | None]],
            risk: list[dict[str, Any]]) -> list[str]:
    """Recompute every sample of a pipeline without Inputs or Stockpiles."""
    bad: list[str] = []
    selected = [str(p) for p in out["Selection"]["project_id"]]
    supply: dict[tuple[tuple[str, str], int], float] = {}
    for row in sheets["Supply"]:
        key = (_key(row["sector"], row["material"]), int(row["year"]))
        supply[key] = supply.get(key, 0.0) + float(row["supply_t"])
    volume: dict[tuple[str, tuple[str, str]], float] = {}
    for row in sheets["Offtake"]:
        key = (str(row["project_id"]), _key(row["sector"], row["material"]))
        volume[key] = volume.get(key, 0.0) + float(row["volume_tpa"])
    demands = [(_key(d["sector"], d["material"]), int(d["year"]), float(d["demand_t"]),
                _number(d.get("weight"), 1.0)) for d in sheets["Demand"]]

    def sample(years: dict[str, int | None]) -> tuple[float, list[float]]:
        shorts = []
        for key, year, tonnes, _ in demands:
            got = supply.get((key, year), 0.0) + sum(
                volume.get((pid, key), 0.0) for pid in selected
                if (y := years[pid]) is not None and y <= year)
            shorts.append(max(0.0, tonnes - got))
        return sum(s * d[3] for s, d in zip(shorts, demands, strict=True)), shorts

    firsts, table = zip(*(sample(years) for years in online), strict=True)
    for r, row in enumerate(risk):
        column = [t[r] for t in table]
        want = {"mean_shortfall_t": sum(column) / len(column),
                "p10_shortfall_t": _rank(column, 10), "p50_shortfall_t": _rank(column, 50),
                "p90_shortfall_t": _rank(column, 90),
                "prob_covered": sum(1 for v in column if v <= 1e-6) / len(column)}
        for name, value in want.items():
            if not _near(float(row[name]), value):
                bad.append(f"Risk row {r + 2}: {name} {row[name]} is not {value}")
    mean = sum(firsts) / len(firsts)
    for name, value in (("expected_first_objective", mean),
                        ("p90_first_objective", _rank(list(firsts), 90))):
        if not _near(float(summ[name]), value):
            bad.append(f"Summary: {name} {summ[name]} is not {value}")
    for pid, reported in zip(out["Selection"]["project_id"],
                             out["Selection"]["risk_contribution"], strict=True):
        on_plan = [sample({**years, str(pid): _planned(sheets, str(pid))})[0]
                   for years in online]
        want = mean - sum(on_plan) / len(on_plan)
        if abs(float(reported) - want) > TOL * max(1.0, abs(mean)):
            bad.append(f"Selection: risk_contribution of {pid} {reported} is not {want}")
    return bad


def _planned(sheets: dict[str, list[dict[str, Any]]], pid: str) -> int:
    plan_start = int(next(r["value"] for r in sheets["Settings"]
                          if str(r["setting"]).strip().lower() == "plan_start_year"))
    project = next(p for p in sheets["Projects"] if str(p["project_id"]) == pid)
    return int(_number(project.get("start_year"), plan_start)) + \
        math.ceil(float(project["lead_time_months"]) / 12)
