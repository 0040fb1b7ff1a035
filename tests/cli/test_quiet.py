"""A quiet terminal: no solver banner or log in any process unless --solver-log or --debug.

highspy prints a two-line banner on C-level stdout when a process creates its first
`highspy.Highs()`, so these tests run the real command line in a subprocess (with worker
processes, `--workers 2`, and on a Dask cluster) and read what reached the terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Run, cli, tiny, write_book

BANNER = ("Running HiGHS", "Copyright")
#: Lines of HiGHS's own log (the MIP's size, its presolve and its closing report).
LOG = ("MIP has ", "Presolving model", "Solving report")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three projects: ranked (two selected), a frontier and the sensitivity re-solves."""
    return write_book(tmp_path_factory.mktemp("quiet") / "in.xlsx", tiny())


def quiet(run: Run) -> bool:
    """Whether neither stream holds the banner or a line of the solver's log."""
    both = run.stdout + run.stderr
    return not any(word in both for word in (*BANNER, *LOG))


def test_solve_with_ranking_and_sweeps_on_workers_is_quiet(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out, "--workers", "2")
    assert run.code == 0, run.stderr
    assert quiet(run), run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "optimal: 2 of 3 projects selected, weighted shortfall 50.0, budget cost 90.0 USD m",
        f"wrote {out}"]


def test_solve_in_one_process_is_quiet(source: Path, tmp_path: Path) -> None:
    run = cli("solve", source, "-o", tmp_path / "out.xlsx", "--rank", "none", "--no-frontier",
              "--no-scenarios", "--no-sensitivity")
    assert run.code == 0, run.stderr
    assert quiet(run), run.stdout + run.stderr
    assert run.stderr == ""


def test_frontier_on_workers_is_quiet(source: Path, tmp_path: Path) -> None:
    run = cli("frontier", source, "-o", tmp_path / "frontier.xlsx", "--workers", "2")
    assert run.code == 0, run.stderr
    assert quiet(run), run.stdout + run.stderr


def test_cbc_is_quiet(source: Path, tmp_path: Path) -> None:
    run = cli("solve", source, "-o", tmp_path / "out.xlsx", "--solver", "cbc", "--workers", "2")
    assert run.code == 0, run.stderr
    assert quiet(run), run.stdout + run.stderr
    assert "Welcome to the CBC" not in run.stdout + run.stderr


def test_solver_log_shows_the_banner_and_the_log_on_stderr(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    plain = cli("solve", source, "-o", out, "--workers", "2")
    logged = cli("solve", source, "-o", out, "--workers", "2", "--solver-log")
    assert plain.code == logged.code == 0, logged.stderr
    assert all(word in logged.stderr for word in (*BANNER, *LOG))
    assert logged.stdout == plain.stdout  # the log goes to stderr: stdout stays the answer
    # one banner per process: the main process and each of the two workers
    assert logged.stderr.count("Running HiGHS") == 3


def test_solver_log_on_frontier(source: Path, tmp_path: Path) -> None:
    run = cli("frontier", source, "-o", tmp_path / "frontier.xlsx", "--workers", "1",
              "--solver-log")
    assert run.code == 0, run.stderr
    assert all(word in run.stderr for word in (*BANNER, *LOG))
    assert not any(word in run.stdout for word in (*BANNER, *LOG))


def test_debug_shows_the_solver_log_too(source: Path, tmp_path: Path) -> None:
    run = cli("--debug", "solve", source, "-o", tmp_path / "out.xlsx", "--workers", "2")
    assert run.code == 0, run.stderr
    assert all(word in run.stderr for word in (*BANNER, *LOG))
    assert "portfolio: stage solve:" in run.stderr
    assert not any(word in run.stdout for word in (*BANNER, *LOG))


def test_cbc_log_on_request_goes_to_stderr(source: Path, tmp_path: Path) -> None:
    run = cli("solve", source, "-o", tmp_path / "out.xlsx", "--solver", "cbc", "--rank", "none",
              "--no-frontier", "--no-scenarios", "--no-sensitivity", "--solver-log")
    assert run.code == 0, run.stderr
    assert "Welcome to the CBC" in run.stderr
    assert "CBC" not in run.stdout


def test_dask_workers_are_quiet(source: Path, tmp_path: Path,
                                capfd: pytest.CaptureFixture[str]) -> None:
    """The workers of a local Dask cluster write to this process's descriptors: read them."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        capfd.readouterr()
        run = cli("solve", source, "-o", tmp_path / "out.xlsx", "--scheduler",
                  cluster.scheduler_address)
        assert run.code == 0, run.stderr
        assert quiet(run), run.stdout + run.stderr
        workers = capfd.readouterr()
    assert not any(word in workers.out + workers.err for word in (*BANNER, *LOG)), workers
