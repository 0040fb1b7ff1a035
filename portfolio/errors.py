"""Exceptions that carry a user-facing outcome, and the exit code each maps to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from portfolio.workbook.cells import position


class ExitCode(IntEnum):
    """Process exit codes of the command line (workbook contract)."""

    SOLVED = 0
    FAILURE = 1
    USAGE = 2
    INVALID = 3
    INFEASIBLE = 4
    NO_SOLUTION = 5


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in the input, located at a cell (`Sheet!A1`) or at the file itself."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PortfolioError(Exception):
    """Base of the errors the command line turns into a message and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE


class InvalidWorkbook(PortfolioError):
    """The workbook breaks the contract; every problem found is listed."""

    exit_code = ExitCode.INVALID

    def __init__(self, issues: list[Issue], sheet_order: Sequence[str] = ()) -> None:
        first_seen: dict[str, int] = {name.lower(): n for n, name in enumerate(sheet_order)}
        for issue in issues:
            first_seen.setdefault(issue.where.partition("!")[0].lower(), len(first_seen))
        unique = list(dict.fromkeys(issues))
        self.issues = sorted(unique, key=lambda i: (
            first_seen[i.where.partition("!")[0].lower()], *_reading_order(i)))
        super().__init__("\n".join(str(i) for i in self.issues))


class UsageError(PortfolioError):
    """The command was called in a way that cannot work (e.g. output equals input)."""

    exit_code = ExitCode.USAGE


class OutputError(PortfolioError):
    """The results workbook cannot be written where asked (locked, read-only, disk full)."""

    exit_code = ExitCode.FAILURE


class SolverFailure(PortfolioError):
    """The solver failed for a reason other than infeasibility or the time limit."""

    exit_code = ExitCode.FAILURE


class SchedulerUnavailable(PortfolioError):
    """The Dask scheduler given with --scheduler cannot be reached."""

    exit_code = ExitCode.FAILURE


def _reading_order(issue: Issue) -> tuple[int, int, str]:
    """Sort a sheet's issues by row, then column, as a person reads them."""
    row, column = position(issue.where.partition("!")[2]) or (0, 0)
    return (row, column, issue.message)
