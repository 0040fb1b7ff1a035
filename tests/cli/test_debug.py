"""`--debug`: a traceback for an unexpected error and the stage timings; without it, neither."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio import run
from tests.helpers import call, cli, tiny, write_book

QUICK = ("--rank", "none", "--no-frontier", "--no-scenarios", "--no-sensitivity")


def _boom(request: run.Request, hooks: run.Hooks | None = None) -> run.Report:
    raise RuntimeError("boom in the solver glue")


def test_an_unexpected_error_is_one_line_without_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "solve", _boom)
    source = write_book(tmp_path / "in.xlsx", tiny())
    done = call("solve", source, "-o", tmp_path / "out.xlsx")
    assert done.code == 1
    assert done.stderr == "portfolio: failed: RuntimeError: boom in the solver glue\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_prints_the_traceback_of_an_unexpected_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    monkeypatch.setattr(run, "solve", _boom)
    source = write_book(tmp_path / "in.xlsx", tiny())
    args = ["solve", str(source), "-o", str(tmp_path / "out.xlsx")]
    done = call(*(["--debug", *args] if where == "before" else [*args, "--debug"]))
    assert done.code == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: boom in the solver glue" in done.stderr
    assert done.stderr.rstrip().endswith(
        "portfolio: failed: RuntimeError: boom in the solver glue")


def test_debug_logs_the_time_of_every_stage_and_changes_nothing_else(tmp_path: Path) -> None:
    source = write_book(tmp_path / "in.xlsx", tiny())
    plain = cli("solve", source, "-o", tmp_path / "plain.xlsx", *QUICK)
    debug = cli("--debug", "solve", source, "-o", tmp_path / "debug.xlsx", *QUICK)
    assert plain.code == debug.code == 0
    assert plain.stderr == ""
    stages = [line.split()[2].rstrip(":") for line in debug.stderr.splitlines()
              if line.startswith("portfolio: stage ")]
    assert stages == ["read_validate", "solve", "analyse", "write"]
    assert plain.stdout.replace("plain.xlsx", "debug.xlsx") == debug.stdout
