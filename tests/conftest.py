"""Fixtures shared across the test packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


@pytest.fixture(scope="session")
def example_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example solved by the real CLI with every analysis, and its --json beside."""
    out = tmp_path_factory.mktemp("example") / "example-portfolio.xlsx"
    run = cli("solve", EXAMPLE, "-o", out, "--json", out.with_suffix(".json"))
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[-2:] == [f"wrote {out}", f"wrote {out.with_suffix('.json')}"]
    return out
