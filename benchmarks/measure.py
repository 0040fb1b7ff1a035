"""Time one pipeline through the real solve path, stage by stage, in a process of its own.

Prints one JSON line: seconds for read+validate, build, solve, rank and write; peak memory
(the process's maximum resident set); status, MIP gap and projects selected; and the same
models solved by `highspy` alone from MPS files, for the overhead ratio. Run by
`benchmarks/run.py`, one process per size, so peak memory is that size's own.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pulp

from portfolio import run
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from portfolio.model import solver as solver_module
from portfolio.model.build import build
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, SolveStats
from portfolio.model.solver import configure


def pure_highs(folder: Path, chosen: SolverOptions, pipeline: Case) -> float:
    """Re-run the selection with every model written to MPS, then solve those with highspy."""
    import highspy

    real = solver_module.run
    files: list[Path] = []

    def dumping(prob: pulp.LpProblem, options: SolverOptions,
                start: dict[str, float] | None = None) -> SolveStats:
        files.append(folder / f"model-{len(files)}.mps")
        prob.writeMPS(str(files[-1]))
        return real(prob, options, start)

    solver_module.run = dumping
    try:
        optimise(pipeline, chosen)
    finally:
        solver_module.run = real
    seconds = 0.0
    for path in files:
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        configure(highs, chosen)
        highs.readModel(str(path))
        began = time.perf_counter()
        highs.run()
        seconds += time.perf_counter() - began
    return seconds


def measure(path: Path, ranking: bool) -> dict[str, Any]:
    """Stage timings and figures for one workbook, from `portfolio.run.solve` itself."""
    out: dict[str, Any] = {"path": str(path)}
    with tempfile.TemporaryDirectory() as folder:
        request = run.Request(path=path, output=Path(folder) / "out.xlsx",
                              ranking=run.Ranking.REGRET if ranking else run.Ranking.NONE,
                              frontier=False, scenarios=False, sensitivity=False)
        report = run.solve(request, run.Hooks(warn=lambda _: None))
        seconds = report.timings
        began = time.perf_counter()
        build(report.case)
        out["build"] = time.perf_counter() - began
        out["read_validate"] = seconds["read_validate"]
        out["solve"] = seconds["solve"] - out["build"]
        solution = report.solution
        out["status"], out["gap"] = solution.status.value, solution.gap
        out["projects"] = len(report.case.projects)
        out["selected"] = len(solution.selected)
        out["rank"] = seconds.get("rank") if ranking and solution.status.has_solution else None
        out["write"] = seconds["write"]
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # A fresh case: the run's case caches its selections' flow LPs, which HiGHS must solve too.
        out["pure_highs"] = pure_highs(Path(folder), report.options, load(path))
    return out


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), ranking="--rank" in sys.argv[2:])))
