"""The corpus of broken workbooks: each gives exit 3 and exactly its listed messages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from portfolio.cli import main
from tests.helpers import ROOT, cli
from tests.independent.corpus import CASES, Case, markdown, missing_path_lines


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Exit code and stderr lines of `portfolio validate PATH`, run in-process."""
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(path)])
    captured = capsys.readouterr()
    if exited.value.code:
        assert captured.out == ""
    return int(exited.value.code or 0), captured.err.splitlines()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_workbook_gives_exactly_its_messages(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{case.name}.xlsx"
    case.make(path)
    before = path.read_bytes()
    code, lines = validate(path, capsys)
    assert (code, lines) == (3, case.expected(path))
    assert path.read_bytes() == before


def test_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.xlsx"
    assert validate(path, capsys) == (3, missing_path_lines(path))


def test_the_base_of_the_corpus_is_valid(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from tests.independent.corpus import _book

    path = tmp_path / "base.xlsx"
    _book()(path)
    code, lines = validate(path, capsys)
    assert code == 0 and lines == []


@pytest.mark.parametrize("name", ["far-cell", "entities", "password", "merged"])
def test_through_the_real_command_line_nothing_is_written(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    path = tmp_path / f"{name}.xlsx"
    case.make(path)
    run = cli("solve", path, "-o", tmp_path / "out.xlsx")
    assert run.code == 3 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == case.expected(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_messages_doc_is_current() -> None:
    assert (ROOT / "docs" / "messages.md").read_text(encoding="utf-8") == markdown()


def test_readme_shows_messages_the_corpus_really_gives() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## When something is wrong", 1)[1]
    shown = section.split("```", 2)[1].strip().splitlines()
    given = {line for case in CASES for line in case.lines}
    assert len(shown) >= 8
    assert [line for line in shown if line not in given] == []


ROUND_TRIP = ["merged", "hidden-row", "hidden-column", "text-for-number", "duplicate-id",
              "fractional", "far-cell"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_same_messages_after_libreoffice_saves_the_workbook(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = tmp_path / "made"
    made.mkdir()
    cases = [c for c in CASES if c.name in ROUND_TRIP]
    for case in cases:
        case.make(made / f"{case.name}.xlsx")
    saved = tmp_path / "saved"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved),
                    *sorted(str(p) for p in made.iterdir())],
                   check=True, capture_output=True, timeout=300)
    for case in cases:
        path = saved / f"{case.name}.xlsx"
        assert validate(path, capsys) == (3, case.expected(path)), case.name
