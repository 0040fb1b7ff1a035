"""The Summary says everything needed to reproduce the run: every setting in effect and
where it came from, the solver's build and search options, what the solves took, and the
command line's choices."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio import run
from portfolio.inputs.rows import Settings
from portfolio.model.outcomes import Solver
from portfolio.report.tables import tables
from tests.helpers import Rows, demand, settings, tiny, variant, write_book

QUICK = {"ranking": run.Ranking.NONE, "frontier": False, "scenarios": False,
         "sensitivity": False}
#: The rows the Summary had before these figures were added, in their order.
EARLIER = ["status", "objective", "weighted_shortfall", "total_budget_cost_musd",
           "projects_selected", "solver", "mip_gap", "solve_seconds", "input_sha256",
           "input_file", "total_budget_musd", "budget_used_pct", "demand_covered_pct",
           "public_finance_musd", "ranking", "rank_seconds", "analysis_seconds", "time_limit_s",
           "portfolio_version"]
ADDED = ["plan_start_year", "max_lead_time_months", "max_public_share", "mip_gap_allowed",
         "frontier_steps", "frontier_top_pct", "sensitivity_step_musd", "risk_samples",
         "risk_seed", "risk_objective", "solver_version",
         "pulp_version", "python_version", "threads", "random_seed",
         "best_bound_weighted_shortfall", "best_bound_budget_cost_musd", "mip_nodes",
         "lp_iterations", "frontier", "scenarios", "sensitivity", "workers", "scheduler"]
#: The Summary metric of each Settings field (the rest under their own names).
METRIC = {"mip_gap": "mip_gap_allowed"}


def _rows(tmp_path: Path, data: dict[str, Rows], **request: Any) -> list[list[Any]]:
    """The Summary rows of a run of `data`, written to a workbook and read back from it."""
    source = write_book(tmp_path / "in.xlsx", data)
    report = run.solve(run.Request(source, tmp_path / "out.xlsx", **(QUICK | request)))
    rows = next(t for t in tables(report) if t.sheet == "Summary").rows
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    written = [list(r) for r in book["Summary"].iter_rows(min_row=2, max_col=3,
                                                          values_only=True)]
    assert [r[0] for r in written] == [r[0] for r in rows]
    return rows


def _by_metric(rows: list[list[Any]]) -> dict[str, tuple[Any, str]]:
    return {r[0]: (r[1], r[2]) for r in rows if r[0] not in ("note", "warning")}


def test_earlier_rows_keep_their_order_and_the_new_ones_follow(tmp_path: Path) -> None:
    data = tiny()
    data["Demand"].append(demand(2027, 10, material="Dy oxide"))  # warned: nobody supplies it
    rows = _rows(tmp_path, data)
    metrics = [r[0] for r in rows]
    assert metrics[-1] == "warning"
    assert metrics[:len(EARLIER)] == EARLIER
    assert metrics[len(EARLIER):len(EARLIER) + len(ADDED)] == ADDED
    assert set(metrics[len(EARLIER) + len(ADDED):]) <= {"note", "warning"}
    named = [m for m in metrics if m not in ("note", "warning")]
    assert len(named) == len(set(named))  # one row per metric: lookups and Changes agree
    assert all(isinstance(r[2], str) and len(r[2]) > 10 for r in rows if r[0] in ADDED)


def test_every_setting_is_stated_with_its_value_and_source(tmp_path: Path) -> None:
    given = {"plan_start_year": 2026, "total_budget_musd": 100, "mip_gap": 0,
             "frontier_steps": 4, "max_public_share": 0.5}
    data = variant(tiny(), Settings=[{"setting": k, "value": v} for k, v in given.items()])
    summary = _by_metric(_rows(tmp_path, data))
    for name, field in Settings.model_fields.items():
        value, note = summary[METRIC.get(name, name)]
        if name in given:
            assert value == given[name], name
            assert note.endswith("from Settings"), (name, note)
        else:  # risk_samples' default (blank) resolves to 0 without any risk data
            assert value == (0 if name == "risk_samples" else field.default), name
            assert note.endswith("default (not on the Settings sheet)"), (name, note)


def test_gap_and_time_limit_on_the_command_line_are_shown_in_effect(tmp_path: Path) -> None:
    summary = _by_metric(_rows(tmp_path, tiny(), gap=0.02, time_limit=7.5))
    assert summary["mip_gap_allowed"][0] == 0.02
    assert summary["mip_gap_allowed"][1].endswith("from --gap")
    assert summary["time_limit_s"] == (7.5, "solver time limit per solve; from --time-limit")
    assert "0.02 allowed" in summary["mip_gap"][1]


@pytest.mark.parametrize("gap", [0.0, 0.02])
def test_bounds_nodes_and_iterations_of_a_highs_run(tmp_path: Path, gap: float) -> None:
    summary = _by_metric(_rows(tmp_path, synthetic(20, 4), gap=gap))
    for metric in ("mip_nodes", "lp_iterations"):
        value = summary[metric][0]
        assert isinstance(value, int) and value >= 0, metric
    assert summary["lp_iterations"][0] > 0
    for bound, objective in (("best_bound_weighted_shortfall", "weighted_shortfall"),
                             ("best_bound_budget_cost_musd", "total_budget_cost_musd")):
        low, reached = summary[bound][0], summary[objective][0]
        slack = 1e-6 * max(1.0, abs(reached))
        assert low <= reached + slack, bound  # both goals are minimised
        assert reached - low <= gap * abs(reached) + slack, bound
    assert summary["threads"][0] == 1 and summary["random_seed"][0] == 0
    assert summary["solver_version"][0].startswith("HiGHS 1.")
    assert summary["pulp_version"][0] == version("pulp")


def test_a_min_cost_run_has_no_shortfall_bound(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(objective="min_cost", total_budget_musd=1000))
    summary = _by_metric(_rows(tmp_path, data))
    assert summary["best_bound_weighted_shortfall"] == (
        None, "min_cost has no shortfall stage: all demand is covered")
    assert summary["best_bound_budget_cost_musd"][0] == pytest.approx(
        summary["total_budget_cost_musd"][0])


def test_a_cbc_run_states_none_for_what_cbc_does_not_report(tmp_path: Path) -> None:
    summary = _by_metric(_rows(tmp_path, tiny(), solver=Solver.CBC))
    for metric in ("best_bound_weighted_shortfall", "best_bound_budget_cost_musd",
                   "mip_nodes", "lp_iterations", "threads", "random_seed", "mip_gap"):
        assert summary[metric][0] is None, metric
    assert summary["mip_nodes"][1] == summary["lp_iterations"][1] == "not reported by CBC"
    assert summary["solver_version"][0].startswith("CBC ")
    assert "bundled with PuLP" in summary["solver_version"][0]


def test_the_command_line_choices_are_stated(tmp_path: Path) -> None:
    summary = _by_metric(_rows(tmp_path, tiny(), frontier=True, workers=1))
    assert summary["frontier"][0] == "on" and summary["frontier"][1].startswith("--frontier")
    assert summary["scenarios"] == ("off", "--no-scenarios: not run")
    assert summary["sensitivity"][0] == "off"
    assert summary["workers"] == (1, "local worker processes for the re-solves, from --workers")
    assert summary["scheduler"][0] == "none"
    assert summary["ranking"][0] == "none"


def test_an_infeasible_run_still_states_how_it_was_run(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(total_budget_musd=100, objective="min_cost"))
    data["Demand"][0]["demand_t"] = 500
    summary = _by_metric(_rows(tmp_path, data, gap=0.01))
    assert summary["status"][0] == "infeasible"
    assert summary["mip_gap_allowed"][0] == 0.01 and summary["ranking"][0] == "none"
    assert summary["best_bound_budget_cost_musd"] == (None, "the stage found no portfolio")
    assert isinstance(summary["mip_nodes"][0], int)
