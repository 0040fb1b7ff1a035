"""Never lose data: the input is only read, the output appears whole or not at all."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator
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


posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask whatever a test sets it to."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["umask022", "umask002", "umask077"])
def test_a_new_file_gets_the_mode_a_plain_new_file_gets_under_the_umask(
        tmp_path: Path, mask: int, expected: int) -> None:
    os.umask(mask)
    out = tmp_path / "out.xlsx"
    save_atomic(_book(), out)
    assert oct(mode(out)) == oct(expected)
    assert os.umask(mask) == mask  # read, not changed
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


@posix_only
@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("old_mode", [0o640, 0o600, 0o664], ids=["0640", "0600", "0664"])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, old_mode: int) -> None:
    os.umask(0o022)  # a new file would be 0644: the old file's mode must win
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")
    out.chmod(old_mode)
    save_atomic(_book(), out)
    assert oct(mode(out)) == oct(old_mode)
    assert out.read_bytes()[:2] == b"PK"


def test_the_temporary_file_is_fsynced_before_the_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, bool]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        calls.append(("fsync", info.st_ino, stat.S_ISDIR(info.st_mode)))
        real_fsync(fd)

    def replace(src: str, dst: Path) -> None:
        calls.append(("replace", os.stat(src).st_ino, False))
        real_replace(src, dst)

    monkeypatch.setattr("portfolio.workbook.save.os.fsync", fsync)
    monkeypatch.setattr("portfolio.workbook.save.os.replace", replace)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")
    save_atomic(_book(), out)
    names = [name for name, _, _ in calls]
    assert "replace" in names
    renamed = calls[names.index("replace")][1]
    assert ("fsync", renamed, False) in calls[:names.index("replace")]
    if sys.platform.startswith("linux"):  # the folder too, after the rename
        folder = tmp_path.stat().st_ino
        assert ("fsync", folder, True) in calls[names.index("replace"):]


def test_a_failed_fsync_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old results")

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("portfolio.workbook.save.os.fsync", broken)
    with pytest.raises(OutputError) as caught:
        save_atomic(_book(), out)
    assert str(caught.value) == f"cannot write {out}: input/output error; it was left as it was"
    assert snapshot(tmp_path) == {"out.xlsx": b"old results"}


@posix_only
@pytest.mark.usefixtures("umask")
def test_the_template_through_the_real_cli_is_readable_by_colleagues(tmp_path: Path) -> None:
    os.umask(0o022)  # inherited by the subprocess
    out = tmp_path / "template.xlsx"
    run = cli("template", out)
    assert run.code == 0, run.stderr
    assert oct(mode(out)) == oct(0o644)


@posix_only
@pytest.mark.usefixtures("umask")
def test_without_proc_the_umask_is_still_read_and_restored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_proc(*_: object, **__: object) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr("portfolio.workbook.save.open", no_proc, raising=False)
    os.umask(0o027)
    out = tmp_path / "out.xlsx"
    save_atomic(_book(), out)
    assert oct(mode(out)) == oct(0o640)
    assert os.umask(0o027) == 0o027
