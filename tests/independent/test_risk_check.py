"""The risk sheets of real command-line runs, recomputed by the independent risk checker.

Random pipelines of the brute-force generator's shape get a Risk sheet and a few per-project
overrides; each is solved through the command line and `tests.independent.riskcheck`
recomputes every sample from RiskSamples (no Inputs or Stockpiles: the closed form), every
Risk row, the Summary's expected and P90 first objective and each risk contribution. A chain
pipeline is checked for consistency. Tampered copies show that the checker can fail.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.helpers import call, tampered_copy, write_book
from tests.independent.corpus import chained
from tests.independent.riskcheck import check_risk
from tests.independent.test_bruteforce import generate

RISK = [{"stage": "mining", "failure_prob": 0.3, "delay_mode_months": 12,
         "delay_max_months": 48},
        {"stage": "separation", "failure_prob": 0.15, "delay_mode_months": 6,
         "delay_max_months": 24},
        {"stage": "magnet", "failure_prob": 0.05, "delay_mode_months": 3,
         "delay_max_months": 12}]


def _with_risk(data: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    for project in data["Projects"]:
        if rng.random() < 0.3:
            project["delay_mode_months"] = rng.choice([0, 6, 18])
            project["delay_max_months"] = project["delay_mode_months"] + rng.choice([0, 12])
        if rng.random() < 0.2:
            project["failure_prob"] = rng.choice([0.0, 0.5])
    settings = [s for s in data["Settings"] if s["setting"] != "objective"]
    return data | {"Risk": RISK, "Settings": [*settings,
                                              {"setting": "risk_samples", "value": 60},
                                              {"setting": "risk_seed", "value": seed}]}


def _solve(tmp_path: Path, data: dict[str, Any], code: int = 0) -> tuple[Path, Path]:
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    run = call("solve", source, "-o", out, "--no-frontier", "--no-scenarios",
               "--no-sensitivity", "--rank", "none")
    assert run.code == code, run.stderr
    return source, out


@pytest.mark.parametrize("seed", range(10))
def test_random_pipelines_risk_sheets_are_recomputed_exactly(tmp_path: Path, seed: int) -> None:
    data = _with_risk(generate(seed), seed)
    source = write_book(tmp_path / "in.xlsx", data)
    run = call("solve", source, "-o", tmp_path / "out.xlsx", "--no-frontier",
               "--no-scenarios", "--no-sensitivity", "--rank", "none")
    if run.code == 4:  # infeasible: no portfolio, so nothing is evaluated under risk
        assert "Risk" not in openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames
        return
    assert run.code == 0, run.stderr
    assert check_risk(source, tmp_path / "out.xlsx") == []


def test_a_chain_pipelines_risk_sheets_are_consistent(tmp_path: Path) -> None:
    source, out = _solve(tmp_path, _with_risk(chained(), 3))
    assert check_risk(source, out) == []


@pytest.mark.parametrize(("sheet", "where", "column", "value", "found"), [
    ("Risk", {"year": 2027, "material": "NdPr oxide"}, "mean_shortfall_t", 1.5,
     "mean_shortfall_t"),
    ("Risk", {"year": 2028, "material": "NdPr oxide"}, "prob_covered", 0.999,
     "prob_covered"),
    ("Summary", {"metric": "p90_first_objective"}, "value", -1.0, "p90_first_objective"),
])
def test_the_risk_checker_finds_a_tampered_figure(tmp_path: Path, sheet: str,
                                                  where: dict[str, Any], column: str,
                                                  value: float, found: str) -> None:
    source, out = _solve(tmp_path, _with_risk(generate(3), 3))
    assert check_risk(source, out) == []
    broken = tampered_copy(out, tmp_path / "broken.xlsx", sheet, where, column, value)
    assert any(found in line for line in check_risk(source, broken))


def test_the_risk_checker_finds_a_sample_moved_or_deleted(tmp_path: Path) -> None:
    source, out = _solve(tmp_path, _with_risk(generate(4), 4))
    selection = pd.read_excel(out, sheet_name="Selection", engine="calamine")
    top = selection.loc[selection["risk_contribution"].abs().idxmax()]
    assert abs(top["risk_contribution"]) > 0  # its samples change the answer
    book = openpyxl.load_workbook(out)
    ws = book["RiskSamples"]
    for row in reversed(range(2, ws.max_row + 1)):  # every sample of that project, as planned
        if ws.cell(row, 2).value == top["project_id"]:
            ws.delete_rows(row)
    book.save(tmp_path / "gone.xlsx")
    assert any("expected_first_objective" in line
               for line in check_risk(source, tmp_path / "gone.xlsx"))
    rows = pd.read_excel(out, sheet_name="RiskSamples", engine="calamine")
    first = rows.iloc[0]
    where = {"sample": int(first["sample"]), "project_id": first["project_id"]}
    moved = tampered_copy(out, tmp_path / "moved.xlsx", "RiskSamples", where, "online_year",
                          1990)
    assert any("outside" in line for line in check_risk(source, moved))


def _risk_sheets(path: Path) -> tuple[list[Any], list[Any]]:
    risk = pd.read_excel(path, sheet_name="Risk", engine="calamine")
    samples = pd.read_excel(path, sheet_name="RiskSamples", engine="calamine")
    return (risk.astype(object).fillna(-1).values.tolist(),
            samples.astype(object).fillna(-1).values.tolist())


def test_chain_risk_is_the_same_on_one_two_workers_and_dask(tmp_path: Path) -> None:
    """One LP per sample on each worker: the answers do not depend on who solved what."""
    source = write_book(tmp_path / "in.xlsx", _with_risk(chained(), 5))
    outs = {}
    for name, extra in (("one", ["--workers", "1"]), ("two", ["--workers", "2"])):
        outs[name] = tmp_path / f"{name}.xlsx"
        run = call("solve", source, "-o", outs[name], "--no-frontier", "--no-scenarios",
                   "--no-sensitivity", "--rank", "none", *extra)
        assert run.code == 0, run.stderr
    assert _risk_sheets(outs["one"]) == _risk_sheets(outs["two"])
    assert len(_risk_sheets(outs["one"])[1]) > 0
    other = write_book(tmp_path / "seed.xlsx", _with_risk(chained(), 6))
    assert call("solve", other, "-o", tmp_path / "seed-out.xlsx", "--no-frontier",
                "--no-scenarios", "--no-sensitivity", "--rank", "none").code == 0
    assert _risk_sheets(tmp_path / "seed-out.xlsx")[1] != _risk_sheets(outs["one"])[1]
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run = call("solve", source, "-o", tmp_path / "dask.xlsx", "--no-frontier",
                   "--no-scenarios", "--no-sensitivity", "--rank", "none",
                   "--scheduler", cluster.scheduler_address)
        assert run.code == 0, run.stderr
    assert _risk_sheets(tmp_path / "dask.xlsx") == _risk_sheets(outs["one"])
