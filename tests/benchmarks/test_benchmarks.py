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


@pytest.mark.parametrize("size", [20, 100])
def test_chain_pipelines_are_valid_with_inputs_supply_and_imports(tmp_path: Path,
                                                                  size: int) -> None:
    from benchmarks.chains import DEMAND_WEIGHTS, IMPORTS, PROFILES, chain_pipeline

    pipe = load(write(tmp_path / "chains.xlsx", chain_pipeline(size)))
    assert len(pipe.projects) == size and pipe.chains and not pipe.warnings
    assert {p.stage for p in pipe.projects} == {profile.stage for profile in PROFILES.values()}
    converters = [p for p in pipe.projects if pipe.is_converter(p)]
    assert len(converters) == len({row.project_id for row in pipe.inputs}) >= size // 2
    assert pipe.supplies and all(row.supply_t > 0 for row in pipe.supplies)
    assert {(row.sector, row.material) for row in pipe.imports} == set(IMPORTS)
    assert all(row.year is not None and row.max_t and 0.3 <= row.weight <= 0.5
               for row in pipe.imports)
    assert {(d.sector, d.material) for d in pipe.demands} == set(DEMAND_WEIGHTS)
    # Yields: about 3.3 t magnet per t metal and 0.8-0.85 t metal per t oxide.
    for p in converters:
        made = pipe.volumes[p.project_id]
        used = pipe.consumption[p.project_id]
        if p.stage == "magnet":
            assert 3.0 < made[("magnets", "ndfeb magnet")] / used[("magnets", "ndpr metal")] < 3.6
        if p.stage == "metal_alloy":
            assert 0.79 < made[("magnets", "ndpr metal")] / used[("magnets", "ndpr oxide")] < 0.86


def test_the_chain_generator_is_seeded() -> None:
    from benchmarks.chains import chain_pipeline

    assert chain_pipeline(60, seed=3) == chain_pipeline(60, seed=3) != chain_pipeline(60, seed=4)


def test_a_small_chain_pipeline_solves_to_optimality_through_its_chains(tmp_path: Path) -> None:
    from benchmarks.chains import chain_pipeline
    from portfolio.model.flows import flows

    pipe = load(write(tmp_path / "chains.xlsx", chain_pipeline(20)))
    solution = optimise(pipe, SolverOptions(gap=0))
    assert solution.status is Status.OPTIMAL
    found = flows(pipe, frozenset(solution.selected))
    running = {pid for (pid, _), share in found.utilisation.items() if share > 0}
    assert {p.stage for p in pipe.projects if p.project_id in running} >= {"separation",
                                                                           "metal_alloy",
                                                                           "magnet"}
    assert found.imports and found.weighted_imports > 0


def test_chain_rows_are_measured_and_labelled_like_v1_rows(tmp_path: Path) -> None:
    from benchmarks.chains import chain_pipeline
    from benchmarks.measure import measure
    from benchmarks.run import COLUMNS, Kind, row

    result = measure(write(tmp_path / "chains.xlsx", chain_pipeline(20)), ranking=False)
    assert result["status"] == "optimal" and result["pure_highs"] > 0
    cells = row(result, Kind.CHAINS)
    assert len(cells) == len(COLUMNS) and cells[:2] == ["chains", "20"]
    assert cells[COLUMNS.index("rank s")] == "n/a"


def test_risk_pipelines_carry_the_stage_defaults_and_settings(tmp_path: Path) -> None:
    from benchmarks.risk import STAGE_RISK, with_risk

    pipe = load(write(tmp_path / "risk.xlsx", with_risk(pipeline(30), 40, "expected", 3)))
    assert pipe.risk_samples == 40 and pipe.expected and pipe.settings.risk_seed == 3
    assert {str(r.stage): (r.failure_prob, r.delay_mode_months, r.delay_max_months)
            for r in pipe.risks} == STAGE_RISK


def test_risk_evaluation_is_measured_by_closed_form_and_by_lp(tmp_path: Path) -> None:
    from benchmarks.chains import chain_pipeline
    from benchmarks.risk import evaluation, with_risk
    from benchmarks.run import RISK_COLUMNS, risk_row

    closed = evaluation(write(tmp_path / "v1.xlsx", with_risk(pipeline(30), 60)))
    assert closed["method"] == "closed form" and closed["samples"] == 60
    assert closed["solve"] > 0 and closed["assess"] > 0 and "lp_ms_mean" not in closed
    assert closed["mean_first"] >= closed["plan_first"]  # lateness never helps here
    chains = evaluation(write(tmp_path / "chains.xlsx", with_risk(chain_pipeline(20), 30)))
    assert chains["method"] == "one LP per sample"
    assert chains["lps_solved"] >= 30 and chains["lp_ms_mean"] > 0
    cells = risk_row(chains, "chains")
    assert len(cells) == len(RISK_COLUMNS) and cells[:4] == ["chains", "20",
                                                             str(chains["selected"]), "30"]


def test_the_sample_average_is_measured_against_the_plan_optimum(tmp_path: Path) -> None:
    from benchmarks.risk import average, with_risk
    from benchmarks.run import AVERAGE_COLUMNS, average_row

    plan, expected = (write(tmp_path / f"avg-{objective}.xlsx",
                            with_risk(pipeline(30), 20, objective))
                      for objective in ("plan", "expected"))
    result = average(plan, expected)
    assert result["status"] == "optimal"
    # The sample-average optimum is at least as good on average as the plan optimum.
    assert result["average_mean_first"] <= result["plan_mean_first"] * (1 + 1e-3) + 1e-6
    assert len(average_row(result)) == len(AVERAGE_COLUMNS)


def test_the_hard_pipeline_binds_its_annual_budgets_and_has_min_tickets(tmp_path: Path) -> None:
    from benchmarks.generate import hard_pipeline

    pipe = load(write(tmp_path / "hard.xlsx", hard_pipeline(30)))
    assert all(pool.min_ticket_musd for pool in pipe.pools) and len(pipe.scenarios) == 2
    total = pipe.settings.total_budget_musd
    assert all(limit < total / 5 for limit in pipe.budgets.values())
    assert hard_pipeline(30, 2) == hard_pipeline(30, 2) != hard_pipeline(30, 3)


def test_the_speed_table_measures_both_runs_against_one_solve(tmp_path: Path) -> None:
    from benchmarks.generate import hard_pipeline
    from benchmarks.run import SPEED_COLUMNS, speed_row
    from benchmarks.speed import measure

    result = measure(write(tmp_path / "hard.xlsx", hard_pipeline(20, 3)))
    assert result["one_solve"] > 0 and result["ranked"] > 0 and result["run"] > result["ranked"] / 2
    assert {"rank", "frontier", "scenarios", "sensitivity"} <= set(result["stages"])
    assert sum(result["settled"].values()) >= 2 * result["selected"] - 2
    cells = speed_row(result, "hard")
    assert len(cells) == len(SPEED_COLUMNS) and cells[7].endswith("x") and cells[14].endswith("x")
    ranked = measure(write(tmp_path / "again.xlsx", hard_pipeline(20, 3)), full=False)
    assert "run" not in ranked and speed_row(ranked, "hard")[13] == "n/a"
