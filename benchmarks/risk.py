"""Schedule-risk benchmarks (issue 15), one pipeline per process like `benchmarks/measure.py`.

`evaluation`: the selection of a seeded pipeline is solved (timed), then its 500 samples are
evaluated in this process by `portfolio.analysis.risk.assess` (timed; the closed form for v1
pipelines, one LP per sample on a persistent HiGHS for chain pipelines) and the ratio of the
two is reported. For chains, the sample LPs are also timed one by one on a fresh `SampleLP`
(the ms-per-sample-LP figure, from the median schedule's basis as in `assess`) and
`assess`'s own counts are given: LPs solved (one per sample, and one per sample and selected
project off its plan for the risk contributions) and contribution schedules settled by
reduced costs without an LP.

`average`: the sample-average model (risk_objective = expected) against the plan optimum on
the same pipeline: times, status, both portfolios' mean first objective and what changes.

The pipelines are the `make bench` ones with a Risk sheet of the domain notes' illustrative
stage defaults (the worked example's) and the risk settings added.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from portfolio.analysis.figures import Figures
from portfolio.analysis.risk import assess
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from portfolio.model.recourse import SampleLP, closed

#: The domain notes' illustrative stage defaults (failure, delay mode, delay max in months).
STAGE_RISK = {"mining": (0.3, 12, 48), "separation": (0.15, 6, 24), "refining": (0.15, 6, 24),
              "metal_alloy": (0.05, 3, 12), "magnet": (0.05, 3, 12), "recycling": (0.1, 0, 6)}


def with_risk(data: dict[str, list[dict[str, Any]]], samples: int, objective: str = "plan",
              seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """The pipeline `data` with a Risk sheet and the three risk settings."""
    settings = [row for row in data["Settings"] if not str(row["setting"]).startswith("risk_")]
    settings += [{"setting": "risk_samples", "value": samples},
                 {"setting": "risk_seed", "value": seed},
                 {"setting": "risk_objective", "value": objective}]
    risk = [{"stage": stage, "failure_prob": fail, "delay_mode_months": mode,
             "delay_max_months": top} for stage, (fail, mode, top) in STAGE_RISK.items()]
    return {**data, "Settings": settings, "Risk": risk}


def _timed_solve(path: Path) -> tuple[Case, Figures, SolverOptions, float]:
    case = load(path)
    options = SolverOptions.from_case(case)
    began = time.perf_counter()
    solution = optimise(case, options)
    return case, Figures(case, solution), options, time.perf_counter() - began


def evaluation(path: Path) -> dict[str, Any]:
    """Selection solve, then risk evaluation of its samples, both timed in this process."""
    case, figures, options, solve = _timed_solve(path)
    began = time.perf_counter()
    result = assess(case, figures, options)
    seconds = time.perf_counter() - began
    out: dict[str, Any] = {"projects": len(case.projects), "selected": len(figures.selected),
                           "samples": result.count, "method": result.method, "solve": solve,
                           "assess": seconds, "ratio": seconds / solve,
                           "plan_first": result.plan_first,
                           "mean_first": result.expected_first, "p90_first": result.p90_first}
    if not closed(case):
        samples = result.samples
        out["lps_solved"], out["lps_settled"] = result.lps
        lp = SampleLP(case, figures.solution.selected, figures.solution.bought, samples,
                      options)
        each = []
        for k in range(samples.count):
            began = time.perf_counter()
            lp.solve(samples.online[k])
            each.append(time.perf_counter() - began)
        out["lp_ms_mean"] = 1000 * statistics.fmean(each)
        out["lp_ms_median"] = 1000 * statistics.median(each)
        out["lp_columns"] = lp.highs.getNumCol()
        out["lp_rows"] = lp.highs.getNumRow()
    return out


def average(plan_path: Path, path: Path) -> dict[str, Any]:
    """The sample-average optimum of `path` against the plan optimum of `plan_path`.

    The two workbooks differ only in risk_objective; the plan optimum is the start.
    """
    plan_case = load(plan_path)
    options = SolverOptions.from_case(plan_case)
    began = time.perf_counter()
    plan = optimise(plan_case, options)
    plan_seconds = time.perf_counter() - began
    case = load(path)
    began = time.perf_counter()
    robust = optimise(case, options, hint=plan)
    seconds = time.perf_counter() - began
    plan_figures, robust_figures = Figures(case, plan), Figures(case, robust)
    return {"projects": len(case.projects), "samples": case.risk_samples,
            "plan_solve": plan_seconds, "average_solve": seconds,
            "ratio": seconds / plan_seconds, "status": robust.status.value,
            "stages": [[s.seconds, s.nodes, s.gap] for s in robust.stages],
            "plan_selected": len(plan.selected), "average_selected": len(robust.selected),
            "plan_mean_first": plan_figures.first_objective,
            "average_mean_first": robust_figures.first_objective,
            "plan_cost": plan_figures.total_cost,
            "average_cost": robust_figures.total_cost,
            "moved_in": sorted(robust.selected - plan.selected),
            "moved_out": sorted(plan.selected - robust.selected)}


MEASURES: dict[str, Callable[..., dict[str, Any]]] = {"evaluation": evaluation,
                                                     "average": average}

if __name__ == "__main__":
    print(json.dumps(MEASURES[sys.argv[1]](*map(Path, sys.argv[2:]))))
