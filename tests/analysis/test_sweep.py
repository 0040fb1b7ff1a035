"""Fast regret (build once, bounds, shared starts, process pool, Dask) against the definition."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio.analysis import sweep
from portfolio.analysis.figures import Figures
from portfolio.analysis.rank import Regret, compare, plain_regret, rank
from portfolio.errors import UsageError
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import Settled, SolverOptions
from portfolio.model.resolver import LockOut
from tests.helpers import cli, settings, tiny, variant, write_book
from tests.independent.test_bruteforce import generate

EXACT = SolverOptions(gap=0)


def solved(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> tuple[Case,
                                                                               Figures]:
    pipe = load(write_book(tmp_path / name, data))
    return pipe, Figures(pipe, optimise(pipe, EXACT))


def exact(data: dict[str, Any]) -> dict[str, Any]:
    """A synthetic pipeline solved to gap 0, so every optimum value is unique."""
    return data | {"Settings": [row | {"value": 0} if row["setting"] == "mip_gap" else row
                                for row in data["Settings"]]}


def same(fast: Regret, plain: Regret) -> bool:
    if fast.critical or plain.critical:
        return fast.critical == plain.critical
    assert fast.shortfall is not None and plain.shortfall is not None
    assert fast.cost is not None and plain.cost is not None
    return (fast.shortfall == pytest.approx(plain.shortfall, rel=1e-7, abs=1e-6)
            and fast.cost == pytest.approx(plain.cost, rel=1e-7, abs=1e-6))


def assert_equals_definition(pipe: Case, base: Figures, options: SolverOptions) -> None:
    fast = {r.project_id: r for r in rank(pipe, base, options)}
    assert set(fast) == set(base.selected)
    for pid in base.selected:
        plain = plain_regret(pipe, base, pid, options)
        assert same(fast[pid], plain), (pid, fast[pid], plain)


@pytest.mark.parametrize("seed", range(30))
def test_fast_regret_equals_the_plain_definition_on_small_pipelines(tmp_path: Path,
                                                                    seed: int) -> None:
    pipe, base = solved(tmp_path, generate(seed))
    if not base.solution.status.has_solution:
        pytest.skip("no feasible portfolio to rank")
    assert_equals_definition(pipe, base, EXACT)


@pytest.mark.parametrize("seed", [1, 2])
def test_fast_regret_equals_the_plain_definition_on_30_synthetic_projects(
        tmp_path: Path, seed: int) -> None:
    pipe, base = solved(tmp_path, exact(synthetic(30, seed)))
    assert len(base.selected) >= 5
    assert_equals_definition(pipe, base, EXACT)


def test_a_bound_decides_stage_one_without_a_mip(tmp_path: Path) -> None:
    # Budget for everything: without C, A + B still cover all demand, so the LP bound (0)
    # meets the known start and stage 1 needs no MIP; stage 2 (cost) still does.
    pipe, base = solved(tmp_path, variant(tiny(), Settings=settings(total_budget_musd=1000)))
    lock_out = LockOut(pipe, EXACT, base.solution, base.solution.stages[0].bound)
    regret = compare(pipe, base, "C", lock_out.without("C"))
    assert lock_out.settled[0] is Settled.BOUND
    assert same(regret, plain_regret(pipe, base, "C", EXACT))


def test_an_infeasible_relaxation_makes_a_project_critical_without_a_mip(tmp_path: Path) -> None:
    # min_cost: without A nothing covers 2027 (B delivers 80 of 150 t), already in the LP.
    pipe, base = solved(tmp_path, variant(tiny(), Settings=settings(
        objective="min_cost", total_budget_musd=200)))
    lock_out = LockOut(pipe, EXACT, base.solution)
    assert compare(pipe, base, "A", lock_out.without("A")).critical
    assert lock_out.settled == [Settled.INFEASIBLE_LP]


def test_the_process_pool_gives_the_in_process_ranking(tmp_path: Path) -> None:
    pipe, base = solved(tmp_path, exact(synthetic(30, 3)))
    calls: list[int] = []
    with sweep.executor(workers=2, tasks=len(base.selected)) as pool:
        assert pool is not None
        pooled = rank(pipe, base, EXACT, pool=pool, progress=lambda: calls.append(1))
    alone = rank(pipe, base, EXACT)
    assert len(calls) == len(base.selected)
    assert [r.project_id for r in pooled] == [r.project_id for r in alone]
    assert all(same(a, b) for a, b in zip(pooled, alone, strict=True))


def test_sweep_keeps_item_order_and_runs_alone_where_a_pool_cannot_help() -> None:
    with sweep.executor(workers=1) as pool:
        assert pool is None
        assert sweep.run(pool, abs, [-3, 2, -1]) == [3, 2, 1]
    with sweep.executor(workers=4, tasks=1) as pool:
        assert pool is None
    with sweep.executor(workers=2) as pool:
        assert sweep.run(pool, abs, list(range(-20, 0))) == list(range(20, 0, -1))


def _ranks(path: Path) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path, read_only=True)["Selection"]
    return [row[:2] + row[9:11] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("sweep") / "in.xlsx", exact(synthetic(30, 4)))


def test_ranking_on_a_local_dask_cluster_matches_the_local_pool(workbook: Path,
                                                                tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = cli("solve", workbook, "-o", tmp_path / "local.xlsx")
    assert local.code == 0, local.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = cli("solve", workbook, "-o", tmp_path / "dask.xlsx",
                     "--scheduler", cluster.scheduler_address)
        assert remote.code == 0, remote.stderr
    assert _ranks(tmp_path / "dask.xlsx") == _ranks(tmp_path / "local.xlsx")
    assert len(_ranks(tmp_path / "local.xlsx")) >= 8


def test_an_unreachable_scheduler_is_one_line_and_exit_1(workbook: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = cli("solve", workbook, "-o", tmp_path / "out.xlsx",
              "--scheduler", f"tcp://127.0.0.1:{port}")
    assert run.code == 1
    lines = [line for line in run.stderr.splitlines() if line.startswith("portfolio:")]
    assert lines and lines[0].startswith(
        f"portfolio: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert "Traceback" not in run.stderr


def test_rank_none_writes_an_unranked_selection(workbook: Path, tmp_path: Path) -> None:
    run = cli("solve", workbook, "-o", tmp_path / "out.xlsx", "--rank", "none")
    assert run.code == 0, run.stderr
    rows = _ranks(tmp_path / "out.xlsx")
    assert rows and all(r[0] is None and r[2] is None and r[3] is None for r in rows)
    summary = dict(openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["Summary"]
                   .iter_rows(min_row=2, max_col=2, values_only=True))
    assert summary["ranking"] == "none" and summary["rank_seconds"] == 0


def test_missing_dask_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "distributed":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(UsageError, match=r"pip install 'portfolio\[dask\]'"), \
            sweep.executor("tcp://127.0.0.1:1"):
        pass


def test_together_runs_every_job_and_raises_a_jobs_error() -> None:
    results, ended = sweep.together({"a": lambda: 1, "b": lambda: "two"})
    assert results == {"a": 1, "b": "two"} and set(ended) == {"a", "b"}

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        sweep.together({"fine": lambda: 1, "bad": boom})


def test_sweeps_side_by_side_give_the_one_after_another_answers(tmp_path: Path) -> None:
    from benchmarks.generate import hard_pipeline
    from portfolio import run

    path = write_book(tmp_path / "in.xlsx", exact(hard_pipeline(20, 3)))
    reports = [run.solve(run.Request(path=path, output=tmp_path / f"out-{n}.xlsx", workers=n))
               for n in (1, 2)]
    alone, side_by_side = ([(r.project_id, r.shortfall, r.cost) for r in report.regrets]
                           for report in reports)
    assert alone == side_by_side and len(alone) >= 5
    assert "frontier" in reports[1].timings and "rank" in reports[1].timings
    for one, two in zip(*(report.frontier.points for report in reports if report.frontier),
                        strict=True):
        assert one.variant.objective() == pytest.approx(two.variant.objective(), rel=1e-9)
    assert reports[0].sensitivity is not None and reports[1].sensitivity is not None
    for a, b in zip(reports[0].sensitivity, reports[1].sensitivity, strict=True):
        assert a.dual == b.dual and a.resolve.objective() == pytest.approx(b.resolve.objective())
    assert reports[0].scenarios is not None and reports[1].scenarios is not None
    for c, d in zip(reports[0].scenarios, reports[1].scenarios, strict=True):
        assert c.variant.objective() == pytest.approx(d.variant.objective(), rel=1e-9)


def test_a_portfolio_another_worker_found_settles_stage_one_by_its_bound(tmp_path: Path) -> None:
    # Twins A and B each cover the demand alone (C too, dearer); the base takes A (listed
    # first). Without A the base less A covers nothing: only a portfolio found elsewhere
    # (B's or C's, near-optimal, so passed on) meets the bound.
    from tests.independent.test_determinism import twins

    pipe, base = solved(tmp_path, twins("A", "B"))
    assert base.selected == ["A"]
    first = base.solution.stages[0].bound
    alone = LockOut(pipe, EXACT, base.solution, first)
    regret = compare(pipe, base, "A", alone.without("A"))
    assert alone.settled[0] is Settled.MIP and same(regret, plain_regret(pipe, base, "A", EXACT))
    found = [s for s in alone.take_found() if "A" not in s.selected]
    assert frozenset({"B"}) in {s.selected for s in found}
    assert frozenset() not in {s.selected for s in found}  # far from optimal: not passed on
    helped = LockOut(pipe, EXACT, base.solution, first)
    helped.share(found)
    assert helped.take_found() == ()  # what it was given is not news to pass on
    again = compare(pipe, base, "A", helped.without("A"))
    assert helped.settled[0] is Settled.BOUND and same(again, regret)
