"""The analysis pipeline solved once, for every report test that reads its workbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import call, write_book
from tests.report.test_analysis_output import data


@pytest.fixture(scope="package")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The analysis pipeline solved once by the CLI, shared by the report tests."""
    folder = tmp_path_factory.mktemp("analysis")
    source = write_book(folder / "in.xlsx", data())
    target = folder / "out.xlsx"
    run = call("solve", source, "-o", target, "--workers", "1")
    assert run.code == 0, run.stderr
    return source, target
