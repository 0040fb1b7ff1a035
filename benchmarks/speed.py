"""Time the full default run of one workbook against one lexicographic solve by HiGHS alone.

Prints one JSON line: the one-solve time (`benchmarks.measure`'s pure-HiGHS figure: the
selection's models written as MPS by the same run and solved by `highspy` alone); the
default run's seconds per stage and per sweep (ranking, frontier, scenarios, sensitivity,
schedule risk), through `portfolio.run.solve` itself on the machine's cores; how the
ranking's stages were settled; and the process's peak memory. Run by `benchmarks/run.py`,
one process per workbook.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.measure import pure_highs
from portfolio import run
from portfolio.inputs.validate import load

SWEEPS = {"ranking by regret": "rank", "efficient frontier": "frontier",
          "scenarios": "scenarios", "sensitivity": "sensitivity", "schedule risk": "risk"}


class Sweeps:
    """A `portfolio.run.Hooks.progress` that keeps each sweep's seconds and length."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.lengths: dict[str, int] = {}

    @contextmanager
    def __call__(self, label: str, length: int) -> Iterator[Callable[[], object]]:
        """Time one sweep."""
        began = time.perf_counter()
        try:
            yield lambda: None
        finally:
            name = SWEEPS.get(label, label)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
            self.lengths[name] = self.lengths.get(name, 0) + length


def measure(path: Path, *, full: bool = True) -> dict[str, Any]:
    """The default run's figures for one workbook (`full`: else ranking alone), and one solve."""
    out: dict[str, Any] = {"path": str(path), "full_run": full}
    sweeps = Sweeps()
    with tempfile.TemporaryDirectory() as folder:
        request = run.Request(path=path, output=Path(folder) / "out.xlsx", frontier=full,
                              scenarios=full, sensitivity=full)
        began = time.perf_counter()
        report = run.solve(request, run.Hooks(warn=lambda _: None, progress=sweeps))
        out["run"] = time.perf_counter() - began
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["one_solve"] = pure_highs(Path(folder), report.options, load(path))
    out["projects"], out["selected"] = len(report.case.projects), len(report.solution.selected)
    out["status"] = report.solution.status.value
    out["stages"] = report.timings
    out["sweeps"], out["lengths"] = sweeps.seconds, sweeps.lengths
    settled: dict[str, int] = {}
    for regret in report.regrets:
        for how in regret.settled:
            settled[how] = settled.get(how, 0) + 1
    out["settled"] = settled
    return out


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), full="--rank-only" not in sys.argv[2:])))
