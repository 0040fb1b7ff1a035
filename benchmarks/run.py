"""`make bench`: time the real solve path on synthetic pipelines of growing size.

For each size, a seeded pipeline is written to outputs/bench/ and measured in a process of
its own (`benchmarks/measure.py`): first the v1 pipelines (`benchmarks/generate.py`), then the
chain pipelines (`benchmarks/chains.py`), in one Markdown table ready for docs/benchmarks.md.
Ranking re-solves twice per selected project, so by default it is measured only up to 300
projects for v1 (`--rank-up-to`) and not for chains (`--chain-rank-up-to`, default 0: at 100
chain projects it ran over 10 minutes).
`--only chains` (or `--only v1`) runs one kind alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from benchmarks.chains import chain_pipeline
from benchmarks.generate import pipeline, write


class Kind(StrEnum):
    """Which generator a benchmark row comes from (the table's first column)."""

    V1 = "v1"
    CHAINS = "chains"


SIZES = (30, 100, 300, 1000, 5000)
CHAIN_SIZES = (100, 300)
GENERATORS = {Kind.V1: pipeline, Kind.CHAINS: chain_pipeline}
COLUMNS = ("pipeline", "projects", "selected", "read+validate s", "build s", "solve s", "rank s",
           "write s", "peak MiB", "status", "gap", "selection / pure HiGHS")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def row(result: dict[str, Any], kind: Kind = Kind.V1) -> list[str]:
    """One table row from a measurement."""
    selection = result["read_validate"] + result["build"] + result["solve"]
    ratio = selection / result["pure_highs"] if result["pure_highs"] > 0 else float("nan")
    gap = "n/a" if result["gap"] is None else f"{result['gap']:.2%}"
    return [kind.value, str(result["projects"]), str(result["selected"]),
            _seconds(result["read_validate"]), _seconds(result["build"]),
            _seconds(result["solve"]), _seconds(result["rank"]),
            _seconds(result["write"]), f"{result['peak_mib']:.0f}", result["status"], gap,
            f"{ratio:.2f}x"]


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    """Measure each size of each kind and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="v1 pipelines")
    parser.add_argument("--chain-sizes", default=",".join(map(str, CHAIN_SIZES)),
                        help="chain pipelines")
    parser.add_argument("--only", choices=[k.value for k in Kind], help="one kind alone")
    parser.add_argument("--rank-up-to", type=int, default=300)
    parser.add_argument("--chain-rank-up-to", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = {Kind.V1: (_sizes(args.sizes), args.rank_up_to),
            Kind.CHAINS: (_sizes(args.chain_sizes), args.chain_rank_up_to)}
    folder = Path("outputs") / "bench"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for kind, (sizes, rank_up_to) in plan.items():
        if args.only not in (None, kind.value):
            continue
        stem = "bench" if kind is Kind.V1 else "bench-chains"
        for size in sizes:
            path = write(folder / f"{stem}-{size}-seed{args.seed}.xlsx",
                         GENERATORS[kind](size, args.seed))
            command = [sys.executable, "-m", "benchmarks.measure", str(path)]
            if size <= rank_up_to:
                command.append("--rank")
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.splitlines()[-1])
            print("| " + " | ".join(row(result, kind)) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
