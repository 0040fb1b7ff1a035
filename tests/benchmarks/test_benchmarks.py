"""The benchmark generator makes valid pipelines of the contract's shape, the same each time."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import POOLS, SECTORS, YEARS, pipeline, write
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status


@pytest.mark.parametrize("size", [30, 300])
def test_generated_pipelines_are_valid_and_of_the_contract_shape(tmp_path: Path,
                                                                 size: int) -> None:
    pipe = load(write(tmp_path / "bench.xlsx", pipeline(size)))
    assert len(pipe.projects) == size and len(pipe.pools) == len(POOLS) == 8
    assert {d.sector for d in pipe.demands} == set(SECTORS)
    assert len(pipe.demands) == 12 * len(YEARS) and sorted(pipe.budgets) == list(YEARS)
    if size >= 300:
        assert any(p.lock == "in" for p in pipe.projects)
        assert any(p.requires for p in pipe.projects)
        assert any(p.exclusive_group for p in pipe.projects)


def test_the_generator_is_seeded() -> None:
    assert pipeline(100, seed=3) == pipeline(100, seed=3) != pipeline(100, seed=4)


def test_a_small_generated_pipeline_solves_to_optimality(tmp_path: Path) -> None:
    pipe = load(write(tmp_path / "bench.xlsx", pipeline(30)))
    solution = optimise(pipe, SolverOptions(gap=0))
    assert solution.status is Status.OPTIMAL and solution.selected


def test_measure_times_every_stage_and_pure_highs(tmp_path: Path) -> None:
    from benchmarks.measure import measure
    from benchmarks.run import COLUMNS, row

    result = measure(write(tmp_path / "bench.xlsx", pipeline(30)), ranking=True)
    assert result["status"] == "optimal" and result["projects"] == 30
    for stage in ("read_validate", "build", "solve", "rank", "write", "pure_highs"):
        assert result[stage] > 0, stage
    assert result["peak_mib"] > 10
    cells = row(result)
    assert len(cells) == len(COLUMNS) and cells[-1].endswith("x")


def test_relaxation_study_bounds_the_optimum_and_tightening_never_weakens(tmp_path: Path) -> None:
    from benchmarks.relaxation import VARIANTS, study

    path = write(tmp_path / "bench.xlsx", pipeline(60, seed=2))
    results = {name: study(path, variant) for name, variant in VARIANTS.items()}
    for name, r in results.items():
        for stage in (1, 2):
            assert r[f"lp{stage}"] <= r[f"mip{stage}"] * (1 + 1e-9) + 1e-6, name
    assert results["as built"]["lp1"] >= results["before"]["lp1"] - 1e-6
    assert results["no redundant share rows"]["rows"] < results["as built"]["rows"]
    assert results["no redundant share rows"]["lp1"] == pytest.approx(
        results["as built"]["lp1"], rel=1e-9)
