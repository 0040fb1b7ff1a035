"""`make bench`: time the real solve path on synthetic pipelines of growing size.

First the speed table (`benchmarks/speed.py`, `--only speed` alone): the default run of the
v1 and the harder pipelines (`hard_pipeline`) of `--speed-sizes` (default 100 and 300; above
`--speed-full-up-to`, 100, ranking only) and of the worked example, each stage and sweep
against one lexicographic solve by HiGHS alone, with how the regret stages were settled.

Then, for each size, a seeded pipeline is written to outputs/bench/ and measured in a process of
its own (`benchmarks/measure.py`): first the v1 pipelines (`benchmarks/generate.py`), then the
chain pipelines (`benchmarks/chains.py`), in one Markdown table ready for docs/benchmarks.md.
Ranking re-solves twice per selected project, so by default it is measured only up to 300
projects for v1 (`--rank-up-to`) and not for chains (`--chain-rank-up-to`, default 0: at 100
chain projects it ran over 10 minutes).
`--only chains` (or `--only v1`) runs one kind alone.

Then the schedule-risk tables (`benchmarks/risk.py`, `--only risk` alone): risk evaluation of
500 samples on the v1 and chain pipelines of `--risk-sizes` (default 300) as a ratio to the
selection's solve, with ms per sample-LP for chains, and the worked example's; and the
sample-average model (risk_objective = expected) on `--average-sizes` (default 100) projects
with 50 samples.
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
from benchmarks.generate import hard_pipeline, pipeline, write
from benchmarks.risk import with_risk


class Kind(StrEnum):
    """`--only`'s choices: a generator (the first table's first column), or the risk tables."""

    V1 = "v1"
    CHAINS = "chains"
    RISK = "risk"
    SPEED = "speed"


SIZES = (30, 100, 300, 1000, 5000)
CHAIN_SIZES = (100, 300)
GENERATORS = {Kind.V1: pipeline, Kind.CHAINS: chain_pipeline}
EXAMPLE = Path("inputs") / "example.xlsx"
RISK_SIZES = (300,)
AVERAGE_SIZES = (100,)
RISK_SAMPLES, AVERAGE_SAMPLES = 500, 50
RISK_COLUMNS = ("pipeline", "projects", "selected", "samples", "method", "solve s", "risk s",
                "risk / solve", "LPs solved + settled", "ms per sample-LP (mean, median)",
                "LP rows x cols", "plan first", "mean first", "P90 first")
AVERAGE_COLUMNS = ("projects", "samples", "plan solve s", "average solve s",
                   "average / plan", "status", "stage s (nodes, gap)", "plan optimum's mean",
                   "average optimum's mean", "selected plan -> average", "moved in", "moved out",
                   "budget cost plan -> average")
SPEED_SIZES, SPEED_FULL_UP_TO = (100, 300), 100
SPEED_COLUMNS = ("pipeline", "projects", "selected", "one solve s", "selection s", "rank s",
                 "ranked run s", "ranked run / one", "frontier s", "scenarios s",
                 "sensitivity s", "risk s", "write s", "default run s", "default run / one",
                 "regret stages: bound, cutoff, MIP", "peak MiB")
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


def risk_row(result: dict[str, Any], label: str) -> list[str]:
    """One row of the risk-evaluation table."""
    lp = shape = lps = "n/a"
    if "lp_ms_mean" in result:
        lps = f"{result['lps_solved']:,} + {result['lps_settled']:,}"
        lp = f"{result['lp_ms_mean']:.2f}, {result['lp_ms_median']:.2f}"
        shape = f"{result['lp_rows']} x {result['lp_columns']}"
    return [label, str(result["projects"]), str(result["selected"]),
            str(result["samples"]), result["method"], _seconds(result["solve"]),
            _seconds(result["assess"]), f"{result['ratio']:.1%}",
            lps, lp, shape, f"{result['plan_first']:,.0f}",
            f"{result['mean_first']:,.0f}", f"{result['p90_first']:,.0f}"]


def average_row(result: dict[str, Any]) -> list[str]:
    """One row of the sample-average table."""
    stages = "; ".join(f"{s:.1f} ({n}, {'n/a' if g is None else f'{g:.2%}'})"
                       for s, n, g in result["stages"])
    return [str(result["projects"]), str(result["samples"]), _seconds(result["plan_solve"]),
            _seconds(result["average_solve"]), f"{result['ratio']:.1f}x", result["status"],
            stages, f"{result['plan_mean_first']:,.1f}", f"{result['average_mean_first']:,.1f}",
            f"{result['plan_selected']} -> {result['average_selected']}",
            ", ".join(result["moved_in"]) or "none", ", ".join(result["moved_out"]) or "none",
            f"{result['plan_cost']:,.1f} -> {result['average_cost']:,.1f}"]


def speed_row(result: dict[str, Any], label: str) -> list[str]:
    """One row of the speed table (issue 16): seconds, ratios to one solve, settlements."""
    ranked, one = result["ranked_stages"], result["one_solve"]
    stages = result.get("stages", {})
    settled = result["settled"]
    how = (f"{settled.get('bound', 0) + settled.get('infeasible LP', 0)}, "
           f"{settled.get('cutoff', 0)}, {settled.get('full MIP', 0)}")

    def overlapping(name: str) -> str:
        return _seconds(stages[name]) if name in stages else "off"

    full = result["full_run"]
    return [label, str(result["projects"]), str(result["selected"]), _seconds(one),
            _seconds(ranked["read_validate"] + ranked["solve"]), _seconds(ranked.get("rank")),
            _seconds(result["ranked"]), f"{result['ranked'] / one:.1f}x",
            overlapping("frontier"), overlapping("scenarios"), overlapping("sensitivity"),
            overlapping("risk") if full else _seconds(ranked["risk"]) if "risk" in ranked
            else "off",
            _seconds(stages.get("write", ranked["write"])),
            _seconds(result["run"]) if full else "n/a",
            f"{result['run'] / one:.1f}x" if full else "n/a", how,
            f"{result['peak_mib']:.0f}"]


def speed_table(folder: Path, sizes: list[int], full_up_to: int, seed: int) -> None:
    """Every analysis against one solve: v1 and hard pipelines, and the worked example."""
    _table(SPEED_COLUMNS)
    for label, generator in (("v1", pipeline), ("hard", hard_pipeline)):
        for size in sizes:
            path = write(folder / f"bench-speed-{label}-{size}-seed{seed}.xlsx",
                         generator(size, seed))
            extra = [] if size <= full_up_to else ["--rank-only"]
            result = _measure("benchmarks.speed", str(path), *extra)
            print("| " + " | ".join(speed_row(result, label)) + " |", flush=True)
    if EXAMPLE.exists():
        result = _measure("benchmarks.speed", str(EXAMPLE))
        print("| " + " | ".join(speed_row(result, "worked example")) + " |", flush=True)


def _table(columns: tuple[str, ...]) -> None:
    print()
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def _measure(module: str, *arguments: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", module, *arguments], capture_output=True,
                          text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def risk_tables(folder: Path, sizes: list[int], average_sizes: list[int], seed: int) -> None:
    """The two schedule-risk tables (issue 15)."""
    _table(RISK_COLUMNS)
    for kind in (Kind.V1, Kind.CHAINS):
        stem = "bench-risk" if kind is Kind.V1 else "bench-chains-risk"
        for size in sizes:
            path = write(folder / f"{stem}-{size}-seed{seed}.xlsx",
                         with_risk(GENERATORS[kind](size, seed), RISK_SAMPLES))
            result = _measure("benchmarks.risk", "evaluation", str(path))
            print("| " + " | ".join(risk_row(result, kind.value)) + " |", flush=True)
    if EXAMPLE.exists():  # the worked example, with its stockpiles (two phases per sample)
        result = _measure("benchmarks.risk", "evaluation", str(EXAMPLE))
        print("| " + " | ".join(risk_row(result, "worked example")) + " |", flush=True)
    _table(AVERAGE_COLUMNS)
    for size in average_sizes:
        paths = [str(write(folder / f"bench-average-{size}-seed{seed}-{objective}.xlsx",
                           with_risk(pipeline(size, seed), AVERAGE_SAMPLES, objective)))
                 for objective in ("plan", "expected")]
        result = _measure("benchmarks.risk", "average", *paths)
        print("| " + " | ".join(average_row(result)) + " |", flush=True)


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
    parser.add_argument("--risk-sizes", default=",".join(map(str, RISK_SIZES)),
                        help="risk evaluation (v1 and chains)")
    parser.add_argument("--average-sizes", default=",".join(map(str, AVERAGE_SIZES)),
                        help="sample-average model (v1)")
    parser.add_argument("--speed-sizes", default=",".join(map(str, SPEED_SIZES)),
                        help="the speed table's v1 and hard pipelines")
    parser.add_argument("--speed-full-up-to", type=int, default=SPEED_FULL_UP_TO,
                        help="largest speed size run with every analysis (above: ranking)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = {Kind.V1: (_sizes(args.sizes), args.rank_up_to),
            Kind.CHAINS: (_sizes(args.chain_sizes), args.chain_rank_up_to)}
    folder = Path("outputs") / "bench"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    if args.only in (None, Kind.SPEED):
        speed_table(folder, _sizes(args.speed_sizes), args.speed_full_up_to, args.seed)
    if args.only in (None, Kind.V1, Kind.CHAINS):
        _table(COLUMNS)
    for kind, (sizes, rank_up_to) in plan.items():
        if args.only not in (None, kind.value):
            continue
        stem = "bench" if kind is Kind.V1 else "bench-chains"
        for size in sizes:
            path = write(folder / f"{stem}-{size}-seed{args.seed}.xlsx",
                         GENERATORS[kind](size, args.seed))
            extra = ["--rank"] if size <= rank_up_to else []
            result = _measure("benchmarks.measure", str(path), *extra)
            print("| " + " | ".join(row(result, kind)) + " |", flush=True)
    if args.only in (None, Kind.RISK):
        risk_tables(folder, _sizes(args.risk_sizes), _sizes(args.average_sizes), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
