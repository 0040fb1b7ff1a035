"""`--compare PREVIOUS.xlsx`: the Changes sheet against an earlier results workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from portfolio.errors import UsageError
from portfolio.report.changes import Previous, changes, read_previous
from tests.conftest import EXAMPLE
from tests.helpers import call, read_output, summary


def with_lock(source: Path, target: Path, pid: str, lock: str) -> Path:
    book = openpyxl.load_workbook(source)
    ws = book["Projects"]
    header = [c.value for c in ws[1]]
    ids, locks = header.index("project_id"), header.index("lock")
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[ids].value == pid]
    row[locks].value = lock
    book.save(target)
    return target


@pytest.fixture(scope="module")
def compared(example_result: Path, tmp_path_factory: pytest.TempPathFactory,
             ) -> tuple[str, Path]:
    """The worked example with its rank-1 project locked out, compared with the base run."""
    first = read_output(example_result)["Selection"].iloc[0]["project_id"]
    folder = tmp_path_factory.mktemp("compare")
    edited = with_lock(EXAMPLE, folder / "edited.xlsx", first, "out")
    target = folder / "edited-portfolio.xlsx"
    run = call("solve", edited, "-o", target, "--compare", example_result, "--rank", "none",
               "--no-frontier", "--no-scenarios", "--no-sensitivity")
    assert run.code == 0, run.stderr
    return first, target


def test_changes_name_the_project_locked_out_and_what_it_moved(
        example_result: Path, compared: tuple[str, Path]) -> None:
    dropped, target = compared
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:2] == ["Summary", "Changes"]
    before, after = read_output(example_result), read_output(target)
    rows = after["Changes"]
    projects = rows[rows.section == "projects"]
    out = projects[projects.item == dropped].iloc[0]
    assert out.previous == "selected, rank 1" and out.current == "not selected"
    assert out.what_changed.startswith("dropped: ") and "locked out" in out.what_changed.lower()
    now = set(after["Selection"].project_id)
    was = set(before["Selection"].project_id)
    assert set(projects[projects.current != "not selected"].item) == now - was
    assert set(projects[projects.current == "not selected"].item) == was - now
    # financing: every change equals the two Financing sheets' difference
    def faces(sheets: dict) -> dict[str, float]:
        f = sheets["Financing"]
        return {f"{p} from {q}": v for p, q, v in
                zip(f.project_id, f.pool_id, f.face_value_musd, strict=True)}
    old, new = faces(before), faces(after)
    moved = rows[rows.section == "financing"]
    assert set(moved.item) == {k for k in old.keys() | new.keys()
                               if abs(old.get(k, 0) - new.get(k, 0)) > 1e-6}
    for item in moved.itertuples():
        assert item.change == pytest.approx(new.get(item.item, 0) - old.get(item.item, 0))
    assert "withdrawn" in set(moved[moved.item.str.startswith(f"{dropped} from")].what_changed)


def test_changes_give_summary_figures_with_their_deltas(
        example_result: Path, compared: tuple[str, Path]) -> None:
    _, target = compared
    before, after = summary(read_output(example_result)), summary(read_output(target))
    rows = read_output(target)["Changes"]
    figures = rows[rows.section == "summary"].set_index("item")
    for metric in ("weighted_shortfall", "total_budget_cost_musd", "projects_selected",
                   "demand_covered_pct"):
        row = figures.loc[metric]
        assert row.previous == pytest.approx(before[metric])
        assert row.current == pytest.approx(after[metric])
        # a change within 1e-6 relative is solver noise and reported as 0 (figures.clean)
        assert row.change == pytest.approx(after[metric] - before[metric],
                                           abs=1e-6 * max(1.0, abs(before[metric])))
    assert figures.loc["weighted_shortfall"].change > 0  # losing the top project hurts
    assert figures.loc["ranking"].what_changed == "changed"
    assert "solve_seconds" not in figures.index and "input_sha256" in figures.index


def test_an_unchanged_rerun_shows_only_unchanged_headlines() -> None:
    summary_rows = [["status", "optimal", ""], ["weighted_shortfall", 10.0, ""],
                    ["solve_seconds", 3.0, ""], ["mip_gap", 0.0, ""]]
    previous = Previous(Path("p.xlsx"), {"status": "optimal", "weighted_shortfall": 10.0,
                                         "solve_seconds": 1.0, "mip_gap": 0.0},
                        {"A": 1.0, "B": 2.0}, {("A", "G"): 5.0})
    rows = changes(previous, summary_rows, [{"project_id": "A", "rank": 1},
                                            {"project_id": "B", "rank": 2}],
                   {("A", "G"): 5.0 + 1e-12}, {})
    assert rows == [["summary", "status", "optimal", "optimal", None, "unchanged"],
                    ["summary", "weighted_shortfall", 10.0, 10.0, 0.0, "unchanged"]]
    moved = changes(previous, summary_rows, [{"project_id": "B", "rank": 1},
                                             {"project_id": "C", "rank": 2}], {}, {"A": "why"})
    assert moved[:3] == [["projects", "B", 2.0, 1, -1.0, "moved from rank 2 to 1"],
                         ["projects", "C", "not selected", "selected, rank 2", None,
                          "now backed"],
                         ["projects", "A", "selected, rank 1", "not selected", None,
                          "dropped: why (see Rejected)"]]
    assert moved[3] == ["financing", "A from G", 5.0, None, -5.0, "withdrawn"]


def test_a_file_that_is_not_a_results_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a portfolio results workbook"):
        read_previous(EXAMPLE)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip")
    with pytest.raises(UsageError, match="--compare"):
        read_previous(junk)
    out = tmp_path / "out.xlsx"
    run = call("solve", EXAMPLE, "-o", out, "--compare", EXAMPLE)
    assert run.code == 2 and "not a portfolio results workbook" in run.stderr
    assert not out.exists()
    run = call("solve", EXAMPLE, "-o", out, "--compare", tmp_path / "missing.xlsx")
    assert run.code == 2 and not out.exists()
