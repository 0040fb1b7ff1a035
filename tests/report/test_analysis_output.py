"""The decision analysis through the real command line and real files.

The results workbook gets Frontier, Scenarios, Sensitivity, Sectors and Mix sheets and
native charts; `portfolio frontier` writes the frontier alone; LibreOffice Calc (where
installed) opens the workbook and converts it to PDF, charts included.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.analysis.test_analysis import SCENARIO_ROWS
from tests.helpers import call, cli, read_output, settings, summary, tiny, variant, write_book
from tests.independent.checker import check

CHART_TITLES = ("Coverage against budget", "supply against demand", "Financing mix",
                "Budget cost by year", "Coverage by sector per scenario")


def data() -> dict[str, Any]:
    return variant(tiny(), Settings=settings(frontier_steps=3, frontier_top_pct=150),
                   Scenarios=SCENARIO_ROWS, Budget=[{"year": 2026, "budget_musd": 100}])




def charts_in(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as package:
        return [name for name in package.namelist() if name.startswith("xl/charts/chart")]


def test_solve_writes_the_analysis_sheets(solved: tuple[Path, Path]) -> None:
    source, target = solved
    sheets = read_output(target)
    assert {"Frontier", "Scenarios", "Sensitivity", "Sectors", "Mix"} <= set(sheets)
    assert check(source, target) == []  # the contract's sheets are untouched by the analysis
    frontier = sheets["Frontier"]
    assert list(frontier["budget_level_pct"].dropna()) == [0, 50, 100, 150]
    # As in test_analysis by hand, except at 150%: A + B (cost 110) would cover everything,
    # but the frontier moves only the total budget and the 2026 limit of 100 still holds.
    assert list(frontier["weighted_shortfall"].dropna()) == [300, 140, 50, 50]
    entry = frontier.dropna(subset=["project_id"]).set_index("project_id")
    assert entry.loc["B", "entry_level_pct"] == 50 and entry.loc["A", "entry_level_pct"] == 100
    scenarios = sheets["Scenarios"].set_index("scenario")
    assert list(scenarios.index) == ["base"] + [r["scenario"] for r in SCENARIO_ROWS]
    assert scenarios.loc["Half budget", "weighted_shortfall"] == 140
    assert scenarios.loc["Half budget", "shortfall_change"] == 90
    assert scenarios.loc["Half budget", "projects_out"] == "A, C"
    sensitivity = sheets["Sensitivity"].set_index("limit")
    assert list(sensitivity.index) == ["total budget", "2026 budget", "pool G's capacity"]
    assert sensitivity["meaning"].str.len().min() > 60
    top = summary(sheets)
    assert top["status"] == "optimal" and "analysis_seconds" in top
    assert list(sheets["Summary"].columns[:3]) == ["metric", "value", "note"]


def test_results_workbook_holds_native_charts(solved: tuple[Path, Path]) -> None:
    # Frontier (on its sheet and on the Summary), one per sector, two of the mix, the
    # budget, the scenarios: 7 charts for one sector.
    assert len(charts_in(solved[1])) == 7


def test_frontier_command_writes_only_the_frontier(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", data())
    run = cli("frontier", source, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "frontier: 4 of 4 budget levels have a feasible portfolio" in run.stdout
    target = tmp_path / "outputs" / "in-frontier.xlsx"
    sheets = read_output(target)
    assert list(sheets) == ["Frontier", "Guide"]
    assert list(sheets["Frontier"]["weighted_shortfall"].dropna()) == [300, 140, 50, 50]
    assert len(charts_in(target)) == 1


def test_analysis_can_be_switched_off(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", data())
    target = tmp_path / "out.xlsx"
    run = call("solve", source, "-o", target, "--no-frontier", "--no-scenarios",
               "--no-sensitivity", "--rank", "none")
    assert run.code == 0, run.stderr
    sheets = read_output(target)
    assert not {"Frontier", "Scenarios", "Sensitivity"} & set(sheets)
    assert {"Sectors", "Mix"} <= set(sheets)


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) and pdftotext are not installed")
def test_libreoffice_converts_the_results_to_pdf_with_charts(solved: tuple[Path, Path],
                                                              tmp_path: Path) -> None:
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(solved[1])],
        capture_output=True, text=True, timeout=180, check=False)
    pdf = tmp_path / "out.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for title in CHART_TITLES:  # chart titles are drawn only if the charts render
        assert title in flat, title
    assert "At a glance" in flat and "Top of the ranking" in flat
