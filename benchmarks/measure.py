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

from portfolio import solve as solve_module
from portfolio import sweep
from portfolio.build import build
from portfolio.explain import rejection_reasons
from portfolio.rank import rank
from portfolio.results import Figures
from portfolio.solve import SolverOptions, optimise
from portfolio.validate import load
from portfolio.write import Report, write_report


def _pure_highs(folder: Path, chosen: SolverOptions, pipeline: Any) -> float:
    """Re-run the selection with every model written to MPS, then solve those with highspy."""
    import highspy

    real = solve_module.run
    files: list[Path] = []

    def dumping(prob: pulp.LpProblem, options: SolverOptions,
                start: dict[str, float] | None = None) -> solve_module.SolveStats:
        files.append(folder / f"model-{len(files)}.mps")
        prob.writeMPS(str(files[-1]))
        return real(prob, options, start)

    solve_module.run = dumping
    try:
        optimise(pipeline, chosen)
    finally:
        solve_module.run = real
    seconds = 0.0
    for path in files:
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", chosen.time_limit)
        highs.setOptionValue("mip_rel_gap", chosen.gap)
        highs.setOptionValue("random_seed", 0)
        highs.readModel(str(path))
        began = time.perf_counter()
        highs.run()
        seconds += time.perf_counter() - began
    return seconds


def measure(path: Path, ranking: bool) -> dict[str, Any]:
    """Stage timings and figures for one workbook."""
    out: dict[str, Any] = {"path": str(path)}
    began = time.perf_counter()
    pipeline = load(path)
    out["read_validate"] = time.perf_counter() - began
    options = SolverOptions.from_pipeline(pipeline)
    began = time.perf_counter()
    build(pipeline)
    out["build"] = time.perf_counter() - began
    began = time.perf_counter()
    solution = optimise(pipeline, options)
    out["solve"] = time.perf_counter() - began - out["build"]
    out["status"], out["gap"] = solution.status.value, solution.gap
    figures = Figures(pipeline, solution)
    out["projects"], out["selected"] = len(pipeline.projects), len(figures.selected)
    report = Report(pipeline=pipeline, solution=solution, options=options, input_path=path)
    out["rank"] = None
    if ranking and solution.status.has_solution:
        began = time.perf_counter()
        with sweep.executor(tasks=len(figures.selected)) as pool:
            regrets = rank(pipeline, figures, options, pool=pool)
        out["rank"] = time.perf_counter() - began
        report = Report(pipeline=pipeline, solution=solution, options=options,
                        input_path=path, regrets=regrets, reasons=rejection_reasons(figures))
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        write_report(report, Path(folder) / "out.xlsx")
        out["write"] = time.perf_counter() - began
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["pure_highs"] = _pure_highs(Path(folder), options, pipeline)
    return out


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), ranking="--rank" in sys.argv[2:])))
