"""Never lose data: the input is only read, the output appears whole or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from portfolio.cli import main
from portfolio.errors import OutputError
from portfolio.workbook.save import save_atomic
from tests.helpers import cli, tiny, write_book


def solve(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    """Exit code and stderr of `portfolio solve ...`, run in-process."""
    with pytest.raises(SystemExit) as exited:
        main(["solve", *map(str, args)])
    return int(exited.value.code or 0), capsys.readouterr().err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("lock", ["~$out.xlsx", "~$t.xlsx", ".~lock.out.xlsx#"])
def test_an_output_open_in_excel_or_libreoffice_is_refused_before_solving(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], lock: str) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"yesterday's results")
    (tmp_path / lock).write_bytes(b"")
    before = snapshot(tmp_path)
    code, err = solve(capsys, source, "-o", out)
    assert code == 1
    assert err.splitlines() == [f"portfolio: {out} is open in Excel or LibreOffice (its lock "
                                f"file {lock} is there); close it and run again, or choose "
                                "another -o path"]
    assert snapshot(tmp_path) == before


def _book() -> Workbook:
    book = Workbook()
    book.active["A1"] = "fresh"
    return book


def test_a_crash_while_saving_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")

    def crash(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise RuntimeError("power cut")

    monkeypatch.setattr(Workbook, "save", crash)
    with pytest.raises(RuntimeError):
        save_atomic(_book(), out)
    assert snapshot(tmp_path) == {"out.xlsx": b"old results"}


def test_a_full_disk_is_one_clear_line_and_the_old_file_stays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")
    before = snapshot(tmp_path)

    def full(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full)
    code, err = solve(capsys, source, "-o", out)
    assert code == 1
    assert err.splitlines()[-1] == (f"portfolio: cannot write {out}: the disk is full; it was "
                                    "left as it was")
    assert snapshot(tmp_path) == before


def test_a_successful_save_replaces_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")
    save_atomic(_book(), out)
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    assert out.read_bytes()[:2] == b"PK"


def test_a_folder_without_write_permission_is_one_clear_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(**_: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("portfolio.workbook.save.tempfile.mkstemp", denied)
    with pytest.raises(OutputError) as caught:
        save_atomic(_book(), tmp_path / "out.xlsx")
    assert str(caught.value) == f"cannot write into {tmp_path}: permission denied"


def test_a_file_windows_keeps_locked_is_left_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")

    def locked(src: str, dst: Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("portfolio.workbook.save.os.replace", locked)
    with pytest.raises(OutputError) as caught:
        save_atomic(_book(), out)
    assert str(caught.value) == (f"cannot replace {out}: permission denied (is it open in Excel "
                                 "or read-only?); it was left as it was")
    assert snapshot(tmp_path) == {"out.xlsx": b"old results"}


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_output_that_is_the_input_through_a_link_is_refused(
        tmp_path: Path, link: str) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    alias = tmp_path / "alias.xlsx"
    if link == "symlink":
        alias.symlink_to(source)
    else:
        os.link(source, alias)
    before = source.read_bytes()
    run = cli("solve", source, "-o", alias)
    assert run.code == 2 and "is the input workbook" in run.stderr
    assert source.read_bytes() == before


def test_an_output_that_is_not_xlsx_is_a_usage_error(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    run = cli("solve", source, "-o", tmp_path / "results.csv")
    assert run.code == 2 and "must be an .xlsx file name" in run.stderr
    assert not (tmp_path / "results.csv").exists()


def test_solving_never_touches_the_input(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    stat, data = source.stat(), source.read_bytes()
    code, _ = solve(capsys, source, "-o", tmp_path / "out.xlsx")
    assert code == 0
    after = source.stat()
    assert source.read_bytes() == data
    assert (after.st_mtime_ns, after.st_size) == (stat.st_mtime_ns, stat.st_size)
