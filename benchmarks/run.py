"""`make bench`: time the real solve path on synthetic pipelines of growing size.

For each size, a seeded pipeline is written to outputs/bench/ and measured in a process of
its own (`benchmarks/measure.py`). The table printed is Markdown, ready for
docs/benchmarks.md. Ranking re-solves once per selected project until the regret speed-up
lands, so by default it is measured only up to 300 projects (`--rank-up-to`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.generate import pipeline, write

SIZES = (30, 100, 300, 1000, 5000)
COLUMNS = ("projects", "selected", "read+validate s", "build s", "solve s", "rank s", "write s",
           "peak MiB", "status", "gap", "selection / pure HiGHS")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def row(result: dict[str, Any]) -> list[str]:
    """One table row from a measurement."""
    selection = result["read_validate"] + result["build"] + result["solve"]
    ratio = selection / result["pure_highs"] if result["pure_highs"] > 0 else float("nan")
    gap = "n/a" if result["gap"] is None else f"{result['gap']:.2%}"
    return [str(result["projects"]), str(result["selected"]), _seconds(result["read_validate"]),
            _seconds(result["build"]), _seconds(result["solve"]), _seconds(result["rank"]),
            _seconds(result["write"]), f"{result['peak_mib']:.0f}", result["status"], gap,
            f"{ratio:.2f}x"]


def main(argv: list[str] | None = None) -> int:
    """Measure each size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--rank-up-to", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    folder = Path("outputs") / "bench"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for size in (int(s) for s in args.sizes.split(",")):
        path = write(folder / f"bench-{size}-seed{args.seed}.xlsx", pipeline(size, args.seed))
        command = [sys.executable, "-m", "benchmarks.measure", str(path)]
        if size <= args.rank_up_to:
            command.append("--rank")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        print("| " + " | ".join(row(json.loads(done.stdout.splitlines()[-1]))) + " |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
