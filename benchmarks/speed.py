"""Time the full default run of one workbook against one lexicographic solve by HiGHS alone.

Prints one JSON line: the one-solve time (`benchmarks.measure`'s pure-HiGHS figure: the
selection's models written as MPS by the same run and solved by `highspy` alone, with
HiGHS's defaults but for the gap, time limit, seed and one thread); a run with the ranking
alone (and the schedule risk where the workbook has it) and, unless `--rank-only`, the
default run, each through `portfolio.run.solve` itself on the machine's cores, with its
seconds per stage (the sweeps run side by side, so theirs overlap); how the ranking's
stages were settled; and the process's peak memory. Run by `benchmarks/run.py`, one
process per workbook.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import pure_highs
from portfolio import run
from portfolio.inputs.validate import load
from portfolio.report.contents import Report


def _run(path: Path, folder: Path, *, full: bool) -> tuple[Report, float]:
    """One default run (`full`) or one with the ranking alone, and its seconds."""
    request = run.Request(path=path, output=folder / f"{'full' if full else 'ranked'}.xlsx",
                          frontier=full, scenarios=full, sensitivity=full)
    began = time.perf_counter()
    report = run.solve(request, run.Hooks(warn=lambda _: None))
    return report, time.perf_counter() - began


def measure(path: Path, *, full: bool = True) -> dict[str, Any]:
    """A run with the ranking alone, the default run if `full`, and one solve's seconds."""
    out: dict[str, Any] = {"path": str(path), "full_run": full}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ranked, out["ranked"] = _run(path, folder, full=False)
        out["ranked_stages"] = ranked.timings
        if full:
            report, out["run"] = _run(path, folder, full=True)
            out["stages"] = report.timings
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["one_solve"] = pure_highs(folder, ranked.options, load(path))
    out["projects"], out["selected"] = len(ranked.case.projects), len(ranked.solution.selected)
    out["status"] = ranked.solution.status.value
    settled: dict[str, int] = {}
    for regret in ranked.regrets:
        for how in regret.settled:
            settled[how] = settled.get(how, 0) + 1
    out["settled"] = settled
    return out


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), full="--rank-only" not in sys.argv[2:])))
