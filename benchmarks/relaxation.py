"""How strong is the formulation? LP-relaxation gap on the benchmark pipelines, by variant.

For each size: the weighted-shortfall optimum (HiGHS, the Settings gap) against the LP
relaxation of the same model (stage 1), and the budget-cost optimum with the shortfall
held against its relaxation (stage 2). Variants, applied to the model in HiGHS:

- `as built`: the formulation of `portfolio.model.constraints`, with the two tightenings adopted
  in issue 4: supply coefficients cut to the Demand row (v_pd -> min(v_pd, D_d) in
  s_d + sum_p v_pd * y_p >= D_d, valid because s_d >= 0 and one such project covers the
  row alone), and pair bounds that include gap_p / gap_credit_i;
- `before`: the same model with both undone (raw volumes; ub_pi = min(share cap, capacity)
  in the variable bound, x_pi <= ub_pi * y_p and x_pi <= ub_pi * z_pi);
- `no redundant share rows`: as built, less x_pi <= ub_pi * y_p where the ticket rows
  already imply it (x_pi <= ub_pi * z_pi, z_pi <= y_p): same relaxation, fewer rows.

The gaps are measured against the MIP value reached within the Settings gap (0.1%), so a
difference below that is noise.
Prints a Markdown table: rows, LP gap of each stage and MIP seconds per variant.
Run: `python -m benchmarks.relaxation --sizes 30,100,300,1000`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import highspy
import numpy as np

from benchmarks.generate import pipeline, write
from portfolio.inputs.validate import load
from portfolio.model.build import build
from portfolio.model.container import Model
from portfolio.model.outcomes import SolverOptions
from portfolio.model.solver import to_highs

Variant = Callable[[Model, highspy.Highs, dict[str, int]], None]


def _row_index(model: Model) -> dict[str, int]:
    return {name: n for n, name in enumerate(model.rows)}


def as_built(model: Model, highs: highspy.Highs, rows: dict[str, int]) -> None:
    """The formulation unchanged."""


def before(model: Model, highs: highspy.Highs, rows: dict[str, int]) -> None:
    """Undo the issue 4 tightenings: raw supply volumes, pair bounds without the gap term."""
    pipe = model.case
    column = {v.name: j for j, v in enumerate(model.prob.variables())}
    for row, demand in enumerate(pipe.demands):
        name = f"shortfall-{row + 1}" if f"shortfall-{row + 1}" in rows else f"cover-{row + 1}"
        if name not in rows:
            continue
        for project in pipe.projects:
            volume = pipe.supply_contribution(project, demand)
            if volume > demand.demand_t:
                highs.changeCoeff(rows[name], column[model.y[project.project_id].name], volume)
    for (pid, iid), x in model.x.items():
        project, pool = pipe.project_by_id[pid], pipe.pool_by_id[iid]
        loose = min(pool.max_share_of_capex * project.capex_musd, pool.capacity_musd)
        if loose <= (x.upBound or 0.0):
            continue
        highs.changeColBounds(column[x.name], 0.0, loose)
        pair = f"{model.names.token(pid)}-{model.names.token(f'pool:{iid}')}"
        highs.changeCoeff(rows[f"share-{pair}"], column[model.y[pid].name], -loose)
        if (pid, iid) in model.z:
            highs.changeCoeff(rows[f"ticket-hi-{pair}"], column[model.z[(pid, iid)].name],
                              -loose)


def no_redundant_share_rows(model: Model, highs: highspy.Highs, rows: dict[str, int]) -> None:
    """Delete share rows implied by ticket rows."""
    drop = [rows[name] for name in rows if name.startswith("share-")
            and f"ticket-hi-{name.removeprefix('share-')}" in rows]
    if drop:
        highs.deleteRows(len(drop), np.array(sorted(drop), dtype=np.int32))


VARIANTS: dict[str, Variant] = {"before": before, "as built": as_built,
                                "no redundant share rows": no_redundant_share_rows}


def _solve(highs: highspy.Highs, relax: bool) -> tuple[float, float]:
    highs.setOptionValue("solve_relaxation", relax)
    began = time.perf_counter()
    highs.run()
    return highs.getInfo().objective_function_value, time.perf_counter() - began


def study(path: Path, variant: Variant) -> dict[str, float]:
    """Both stages of one pipeline under one variant: relaxation, optimum and MIP time."""
    pipe = load(path)
    options = SolverOptions.from_case(pipe)
    model = build(pipe)
    model.prob.setObjective(model.weighted_shortfall + model.budget_cost)
    columns = model.prob.variables()
    highs = to_highs(model.prob, options)
    highs.setOptionValue("presolve", "choose")
    variant(model, highs, _row_index(model))
    out: dict[str, float] = {"rows": highs.getNumRow()}
    everything = np.arange(len(columns), dtype=np.int32)
    for stage, expression in enumerate((model.weighted_shortfall, model.budget_cost), 1):
        cost = np.zeros(len(columns))
        index = {v.name: j for j, v in enumerate(columns)}
        for var, coefficient in expression.items():
            cost[index[var.name]] = coefficient
        highs.changeColsCost(len(columns), everything, cost)
        relaxed, _ = _solve(highs, True)
        optimum, seconds = _solve(highs, False)
        out[f"lp{stage}"], out[f"mip{stage}"], out[f"s{stage}"] = relaxed, optimum, seconds
        if stage == 1:
            nonzero = np.flatnonzero(cost).astype(np.int32)
            highs.addRow(-highspy.kHighsInf, optimum * (1 + 1e-6), len(nonzero), nonzero,
                         cost[nonzero])
    return out


def _gap(result: dict[str, float], stage: int) -> str:
    optimum, relaxed = result[f"mip{stage}"], result[f"lp{stage}"]
    return f"{(optimum - relaxed) / abs(optimum):.2%}" if optimum else "0.00%"


def main(argv: list[str] | None = None) -> int:
    """Print one row per size and variant."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="30,100,300,1000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print("| projects | variant | rows | stage 1 LP gap | stage 2 LP gap | stage 1 s | "
          "stage 2 s |")
    print("|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        path = write(Path("outputs") / "bench" / f"bench-{size}-seed{args.seed}.xlsx",
                     pipeline(size, args.seed))
        for name, variant in VARIANTS.items():
            r = study(path, variant)
            print(f"| {size} | {name} | {r['rows']:.0f} | {_gap(r, 1)} | {_gap(r, 2)} | "
                  f"{r['s1']:.2f} | {r['s2']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
