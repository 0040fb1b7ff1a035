"""The command line end to end: real files, real subprocess, every exit code."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import (
    ROOT,
    cli,
    pool,
    project,
    read_output,
    settings,
    summary,
    tiny,
    variant,
    write_book,
)
from tests.independent.checker import check
from tests.independent.test_mknap import PROBLEMS, as_workbook

EXAMPLE = ROOT / "inputs" / "example.xlsx"
CONTRACT_SHEETS = {
    "Summary": ["metric", "value"],
    "Selection": ["rank", "project_id", "name", "country", "stage", "capex_musd",
                  "public_finance_musd", "budget_cost_musd", "online_year", "regret_shortfall",
                  "regret_cost_musd", "grant_musd", "loan_musd", "guarantee_musd",
                  "offtake_musd"],
    "Financing": ["project_id", "pool_id", "instrument", "funder", "face_value_musd",
                  "budget_cost_musd"],
    "Coverage": ["sector", "material", "year", "demand_t", "supply_t", "shortfall_t",
                 "coverage_pct"],
    "Budget": ["year", "budget_cost_musd", "limit_musd"],
    "Pools": ["pool_id", "instrument", "capacity_musd", "used_musd"],
    "Rejected": ["project_id", "name", "reason"],
}
SUMMARY_ROWS = ["status", "objective", "weighted_shortfall", "total_budget_cost_musd",
                "projects_selected", "solver", "mip_gap", "solve_seconds", "input_sha256"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_example_result_has_every_contract_sheet_and_column(example_result: Path) -> None:
    book = openpyxl.load_workbook(example_result)
    assert book.sheetnames[0] == "Summary"
    for sheet, columns in CONTRACT_SHEETS.items():
        header = [c.value for c in book[sheet][1]]
        assert header[: len(columns)] == columns or set(columns) <= set(header), sheet
        assert book[sheet].freeze_panes in ("A2", "B2", "C2", "D2")  # header, and the ids
        assert book[sheet].tables or book[sheet].auto_filter.ref
    metrics = [row[0].value for row in book["Summary"].iter_rows(min_row=2)]
    assert set(SUMMARY_ROWS) <= set(metrics)


def test_example_result_is_feasible_optimal_and_consistent(example_result: Path) -> None:
    assert check(EXAMPLE, example_result) == []
    sheets = read_output(example_result)
    summ = summary(sheets)
    assert summ["status"] == "optimal"
    assert summ["input_sha256"] == digest(EXAMPLE)
    selection = sheets["Selection"]
    assert list(selection["rank"]) == list(range(1, len(selection) + 1))
    assert selection["project_id"].iloc[0] == "US-FTW"  # locked in: critical ranks first
    assert selection["regret_shortfall"].iloc[0] == "critical"
    numeric = selection[selection["regret_shortfall"] != "critical"]
    keys = list(zip(-numeric["regret_shortfall"].astype(float),
                    -numeric["regret_cost_musd"].astype(float), numeric["project_id"],
                    strict=True))
    assert keys == sorted(keys)
    assert sheets["Rejected"]["reason"].str.len().min() > 20


def test_example_mix_columns_add_up(example_result: Path) -> None:
    sheets = read_output(example_result)
    fin = sheets["Financing"]
    for row in sheets["Selection"].itertuples():
        mine = fin[fin["project_id"] == row.project_id]
        assert row.public_finance_musd == pytest.approx(mine["face_value_musd"].sum())
        assert row.budget_cost_musd == pytest.approx(mine["budget_cost_musd"].sum())
        for instrument in ("grant", "loan", "guarantee", "offtake"):
            expected = mine[mine["instrument"] == instrument]["face_value_musd"].sum()
            assert getattr(row, f"{instrument}_musd") == pytest.approx(expected)


def test_example_decision_analysis(example_result: Path) -> None:
    sheets = read_output(example_result)
    top = summary(sheets)
    frontier = sheets["Frontier"].dropna(subset=["budget_level_pct"])
    assert list(frontier["budget_level_pct"]) == [10.0 * k for k in range(16)]
    feasible = frontier.dropna(subset=["weighted_shortfall"])
    assert feasible["weighted_shortfall"].is_monotonic_decreasing
    base = frontier[frontier["budget_level_pct"] == 100].iloc[0]
    assert base["weighted_shortfall"] == pytest.approx(top["weighted_shortfall"])
    assert base["projects_selected"] == top["projects_selected"]
    entries = sheets["Frontier"].dropna(subset=["project_id"]).set_index("project_id")
    chosen = set(sheets["Selection"]["project_id"])
    assert {p for p in entries.index if entries.loc[p, "selected_in_base"] == "yes"} == chosen
    assert entries.loc[sorted(chosen), "entry_level_pct"].max() <= 100
    scenarios = sheets["Scenarios"]
    assert list(scenarios["scenario"]) == ["base", "Budget cut 20%", "Magnet export ban",
                                           "Mine permitting delay", "China export ban",
                                           "Japan budget cut 25%"]
    # With chains the first objective is weighted shortfall + weighted imports.
    assert scenarios["weighted_imports"].iloc[0] == pytest.approx(top["weighted_imports"])
    ban = scenarios.set_index("scenario").loc["China export ban"]
    assert ban["weighted_imports"] == 0  # the ban stops every import
    assert scenarios["weighted_shortfall"].iloc[1:].min() > top["weighted_shortfall"]
    sensitivity = sheets["Sensitivity"]
    # total, 2026-2028, eleven pools, four CountryBudgets rows, two stockpile caps
    assert len(sensitivity) == 1 + 3 + 11 + 4 + 2
    assert list(sensitivity["kind"]).count("country_budget") == 4
    assert list(sensitivity["kind"]).count("max_stock") == 2
    # Japan's whole-plan budget (120) binds; the cost share (35-65%) holds on the totals.
    countries = sheets["Countries"]
    totals = countries[countries["year"].astype(str) == "total"].set_index("country")
    assert totals.loc["JP", "budget_cost_musd"] == pytest.approx(120, rel=1e-6)
    assert 35 - 1e-6 <= totals.loc["US", "share_pct"] <= 65 + 1e-6
    assert top["stockpile_cost_musd"] > 0
    assert set(sensitivity["agrees"]) <= {"yes", "n/a: the selection changes"}
    assert (sensitivity["marginal_cost_per_musd"] <= 1e-9).all()


def test_default_output_goes_to_outputs_and_input_is_untouched(tmp_path: Path) -> None:
    source = write_book(tmp_path / "pipeline.xlsx", tiny())
    before = digest(source)
    run = cli("solve", source, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert (tmp_path / "outputs" / "pipeline-portfolio.xlsx").exists()
    assert digest(source) == before


def test_output_equal_to_input_is_refused(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    before = digest(source)
    run = cli("solve", source, "-o", source)
    assert run.code == 2
    assert "is the input workbook" in run.stderr
    assert digest(source) == before


def test_invalid_workbook_exits_3_with_cells_and_writes_nothing(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd="lots"), project("A"),
                                     project("B"), project("C")])
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out)
    assert run.code == 3
    assert "Projects!D2: capex_musd: expected a number, found text 'lots'" in run.stderr
    assert "Projects!A3: project_id: duplicate project_id 'A' (first at Projects!A2)" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()
    assert cli("validate", source).code == 3


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"),
    (b"", "the file is empty"),
    (b"just some text, not a workbook", "not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old Excel 97-2003 workbook"),
])
def test_unreadable_files_exit_3(tmp_path: Path, content: bytes | None, message: str) -> None:
    source = tmp_path / "broken.xlsx"
    if content is not None:
        source.write_bytes(content)
    run = cli("solve", source, "-o", tmp_path / "out.xlsx")
    assert run.code == 3
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_truncated_workbook_exits_3(tmp_path: Path) -> None:
    whole = write_book(tmp_path / "whole.xlsx", tiny()).read_bytes()
    source = tmp_path / "cut.xlsx"
    source.write_bytes(whole[: len(whole) // 2])
    run = cli("validate", source)
    assert run.code == 3
    assert "Traceback" not in run.stderr


def test_infeasible_exits_4_with_diagnosis(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=300, lock="in"), project("B"),
                                     project("C")])
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out)
    assert run.code == 4
    assert "A is locked in" in run.stderr
    assert "300.0 USD m" in run.stderr and "total_budget_musd = 100.0 USD m" in run.stderr
    sheets = read_output(out)
    assert summary(sheets)["status"] == "infeasible"
    assert "A is locked in" in " ".join(sheets["Diagnosis"]["message"])


def test_time_limit_without_solution_exits_5(tmp_path: Path) -> None:
    data = as_workbook(PROBLEMS[6])
    data["Settings"].append({"setting": "objective", "value": "min_cost"})
    data["Demand"][0]["demand_t"] = 1
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out, "--time-limit", "0.000001")
    assert run.code == 5, run.stderr
    sheets = read_output(out)
    assert summary(sheets)["status"] == "time_limit_no_solution"
    assert "time limit" in sheets["Diagnosis"]["message"].iloc[0]


@pytest.mark.parametrize("args", [("solve",), ("solve", "x.xlsx", "--solver", "gurobi"),
                                  ("solve", "x.xlsx", "--gap", "2"), ("frobnicate",)])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    assert cli(*args).code == 2


def test_other_failures_exit_1_with_one_line(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    run = cli("solve", source, "-o", blocker / "out.xlsx")
    assert run.code == 1
    assert run.stderr.strip().splitlines() == [
        f"portfolio: cannot write {blocker / 'out.xlsx'}: {blocker} is a file, not a folder"]


def test_cbc_solves_with_a_warning(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out, "--solver", "cbc")
    assert run.code == 0, run.stderr
    assert "not trusted" in run.stderr
    assert check(source, out) == []  # feasibility only: CBC's optimality is not relied on
    assert "CBC" in str(summary(read_output(out))["solver"])


def test_text_from_input_never_becomes_a_formula(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[
        project("A", capex_musd=60, name='=HYPERLINK("http://x","click")'),
        project("B", capex_musd=50, name="=1+1"), project("C", capex_musd=30,
                                                            lead_time_months=24)])
    source = write_book(tmp_path / "in.xlsx", data)
    out = tmp_path / "out.xlsx"
    assert cli("solve", source, "-o", out).code == 0
    book = openpyxl.load_workbook(out)
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = {c.value for c in cells if isinstance(c.value, str) and c.value.startswith("=")}
    assert names == {'=HYPERLINK("http://x","click")', "=1+1"}


def test_template_has_sheets_headers_dropdowns_and_guide(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    assert cli("template", target).code == 0
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Settings", "Projects", "Offtake", "Demand", "Financing",
                               "CapexSchedule", "Budget", "Scenarios", "Inputs", "Supply",
                               "Imports", "Stockpiles", "CountryBudgets", "CostShare", "Risk",
                               "Guide"]
    header = [c.value for c in book["Projects"][1]]
    assert header[:5] == ["project_id", "name", "country", "stage", "capex_musd"]
    for sheet, column, value in [("Projects", "stage", "mining"), ("Projects", "lock", "in"),
                                 ("Financing", "instrument", "guarantee")]:
        letter = book[sheet].cell(1, [c.value for c in book[sheet][1]].index(column) + 1)
        lists = [dv for dv in book[sheet].data_validations.dataValidation
                 if letter.column_letter in str(dv.sqref)]
        assert lists and value in lists[0].formula1
    settings_lists = book["Settings"].data_validations.dataValidation
    assert any("max_coverage" in dv.formula1 for dv in settings_lists)
    assert all(book[s].freeze_panes == "A2" for s in book.sheetnames)
    guide = [[c.value for c in row] for row in book["Guide"].iter_rows(min_row=2)]
    assert any(r[0] == "Financing" and r[1] == "budget_cost_rate" and "subsidy" in r[6]
               for r in guide)
    assert cli("template", target).code == 2  # never overwrites without --force


def test_blank_template_validates_only_after_filling_in(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    assert cli("template", target).code == 0
    run = cli("validate", target)
    assert run.code == 3
    assert "plan_start_year" in run.stderr


def test_committed_example_is_what_the_generator_writes(tmp_path: Path) -> None:
    target = tmp_path / "example.xlsx"
    assert cli("template", target, "--example").code == 0
    fresh, committed = openpyxl.load_workbook(target), openpyxl.load_workbook(EXAMPLE)
    assert fresh.sheetnames == committed.sheetnames
    for name in fresh.sheetnames:
        assert [[c.value for c in r] for r in fresh[name].iter_rows()] == \
            [[c.value for c in r] for r in committed[name].iter_rows()], name


def test_worked_example_shape() -> None:
    sheets = read_output(EXAMPLE)
    projects = sheets["Projects"]
    assert 25 <= len(projects) <= 40
    assert {"US", "JP", "AU", "CA"} <= set(projects["country"])
    assert {"mining", "separation", "refining", "magnet", "recycling"} <= set(projects["stage"])
    assert {"magnets", "batteries", "catalysts", "optical"} <= set(sheets["Offtake"]["sector"])
    assert set(sheets["Demand"]["year"]) == set(range(2026, 2036))
    pools = sheets["Financing"]
    assert {"US", "JP"} <= set(pools["country"])
    assert {"grant", "loan", "guarantee", "offtake"} <= set(pools["instrument"])
    assert len(sheets["CapexSchedule"]) and len(sheets["Budget"])
    assert projects["notes"].str.contains("public").any()
    assert projects["notes"].str.contains("illustrative").any()


def test_validate_reports_counts_and_warnings(tmp_path: Path) -> None:
    data = variant(tiny(), Financing=[pool("G")], Settings=settings())
    data["Offtake"].append({"project_id": "A", "sector": "magnets", "material": "NdPr oxyde",
                            "volume_tpa": 5})
    run = cli("validate", write_book(tmp_path / "in.xlsx", data))
    assert run.code == 0
    assert "3 projects" in run.stdout
    assert "did you mean 'magnets/NdPr oxide'" in run.stderr


def test_template_reference_doc_is_current() -> None:
    from portfolio.inputs.template import reference_markdown

    assert (ROOT / "docs" / "template.md").read_text() == reference_markdown()


def test_the_chain_blind_example_solves_exactly_as_version_1(tmp_path: Path) -> None:
    # The worked example before it became a chain (version 1's inputs/example.xlsx): the
    # same selection, shortfall and cost as version 1 printed, and no chain sheets.
    from portfolio.inputs.example import example_data

    source = write_book(tmp_path / "v1.xlsx", example_data(chains=False))
    out = tmp_path / "out.xlsx"
    run = cli("solve", source, "-o", out, "--rank", "none", "--no-frontier", "--no-scenarios",
              "--no-sensitivity")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == ("optimal: 21 of 32 projects selected, weighted "
                                          "shortfall 182,360.6, budget cost 198.2 USD m")
    book = openpyxl.load_workbook(out, read_only=True)
    assert not {"Flows", "Utilisation", "Chains"} & set(book.sheetnames)
    selected = set(read_output(out)["Selection"]["project_id"])
    assert selected == {"AU-ENE", "ZA-PHA", "US-SUM", "US-FTW", "US-10X", "AU-LYN", "US-MTP",
                        "US-TX", "CA-NEC", "JP-MAG", "JP-ALY", "JP-DYR", "US-ALY", "CA-LIH",
                        "US-GRA", "JP-GRA", "JP-CAT", "US-CAT", "AU-GAL", "CA-GER", "US-OPT"}


def test_the_example_without_stockpiles_or_governments_solves_as_the_chain_example(
        tmp_path: Path) -> None:
    # Issue 13's worked example (chains, no Stockpiles, CountryBudgets or CostShare): the
    # answer that closing note gave, 22 of 32, 261,540.2 + 22,500.2, 198.7 USD m,
    # and neither the Stockpiles nor the Countries sheet.
    from portfolio.inputs.example import example_data

    data = {k: v for k, v in example_data().items()
            if k not in ("Stockpiles", "CountryBudgets", "CostShare", "Risk")}
    data["Scenarios"] = [r for r in data["Scenarios"] if r["change"] != "country_budget_factor"]
    source = write_book(tmp_path / "chains.xlsx", data)
    out = tmp_path / "out.xlsx"  # Eneabba's own risk cells remain: --risk-samples 0 skips risk
    run = cli("solve", source, "-o", out, "--rank", "none", "--no-frontier", "--no-scenarios",
              "--no-sensitivity", "--risk-samples", "0")
    assert run.code == 0, run.stderr
    # The budget cost is 198.65 to the last bit or two, shown as 198.6 or 198.7 by them.
    assert run.stdout.splitlines()[0] in (
        "optimal: 22 of 32 projects selected, weighted shortfall 261,540.2, budget cost "
        f"198.{last} USD m, weighted imports 22,500.2" for last in (6, 7))
    book = openpyxl.load_workbook(out, read_only=True)
    assert not {"Stockpiles", "Countries"} & set(book.sheetnames)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["total_budget_cost_musd"] == pytest.approx(198.65, abs=1e-6)
