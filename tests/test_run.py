"""`portfolio.run`: the pipeline as one call, returning the typed report it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio import run
from portfolio.errors import UsageError
from portfolio.model.outcomes import Solver, Status
from tests.helpers import read_output, settings, summary, tiny, variant, write_book


def test_solve_returns_the_report_it_wrote_with_stage_timings(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    warnings: list[str] = []
    report = run.solve(run.Request(source, tmp_path / "out.xlsx", sensitivity=False),
                       run.Hooks(warn=warnings.append))
    assert report.target == tmp_path / "out.xlsx" and report.target.exists()
    assert report.solution.status is Status.OPTIMAL
    assert report.solution.selected == {"A", "C"}
    assert sorted(r.project_id for r in report.regrets) == ["A", "C"]
    assert report.frontier is not None and report.sensitivity is None
    assert set(report.timings) == {"read_validate", "solve", "rank", "frontier", "analyse",
                                   "write"}
    assert all(seconds >= 0 for seconds in report.timings.values())
    assert warnings == []
    written = summary(read_output(report.target))
    assert written["weighted_shortfall"] == pytest.approx(report.figures.weighted_shortfall)
    assert written["total_budget_cost_musd"] == pytest.approx(report.figures.total_cost)


def test_an_infeasible_case_is_diagnosed_written_and_not_ranked(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(total_budget_musd=100, objective="min_cost"))
    data["Demand"][0]["demand_t"] = 500
    source = write_book(tmp_path / "in.xlsx", data)
    report = run.solve(run.Request(source, tmp_path / "out.xlsx"))
    assert report.solution.status is Status.INFEASIBLE
    assert report.diagnosis and "min_cost cannot cover" in " ".join(report.diagnosis)
    assert report.regrets == () and report.frontier is None
    assert set(report.timings) == {"read_validate", "solve", "diagnose", "write"}
    assert "Diagnosis" in read_output(report.target)


def test_cbc_is_warned_about_through_the_hooks(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    warnings: list[str] = []
    run.solve(run.Request(source, tmp_path / "out.xlsx", solver=Solver.CBC,
                          ranking=run.Ranking.NONE, frontier=False, scenarios=False,
                          sensitivity=False), run.Hooks(warn=warnings.append))
    assert len(warnings) == 1 and "coin-or/Cbc#337" in warnings[0]


def test_the_output_is_checked_before_anything_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xlsx"
    with pytest.raises(UsageError, match=r"must be an \.xlsx file name"):
        run.solve(run.Request(missing, tmp_path / "out.csv"))


def test_frontier_writes_only_its_sheet(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", variant(tiny(), Settings=settings(
        frontier_steps=2, frontier_top_pct=100)))
    report = run.frontier(run.Request(source, tmp_path / "f.xlsx"))
    assert report.frontier is not None
    assert [p.pct for p in report.frontier.points] == [0, 50, 100]
    assert list(read_output(tmp_path / "f.xlsx")) == ["Frontier", "Guide"]
