"""The Changes sheet: what moved against an earlier results workbook (`--compare`).

A reviewer's first question after an edit is "what changed?". The earlier workbook is read
once, before any solving (a file that is not a results workbook is refused then), and
compared with this run's tables: projects backed or dropped and ranks moved, financing
moved between projects and pools, and the Summary's figures with their deltas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from portfolio.constants import NOISE
from portfolio.errors import InvalidWorkbook, UsageError
from portfolio.workbook.read import Workbook
from portfolio.workbook.styles import Column

COLUMNS = (Column("section", "text"), Column("item", "text"), Column("previous", "figure"),
           Column("current", "figure"), Column("change", "figure"),
           Column("what_changed", "text"))

#: Summary figures shown even when unchanged: the headline a reviewer compares first.
HEADLINE = ("status", "weighted_shortfall", "total_budget_cost_musd", "projects_selected",
            "demand_covered_pct", "budget_used_pct", "public_finance_musd")
#: Summary rows that differ between any two runs and say nothing about the answer.
NOISY = ("_seconds", "note", "warning", "portfolio_version", "mip_nodes", "lp_iterations")


@dataclass(frozen=True)
class Previous:
    """The parts of an earlier results workbook that the Changes sheet compares."""

    path: Path
    summary: dict[str, Any]
    ranks: dict[str, Any]
    financing: dict[tuple[str, str], float]


def read_previous(path: Path) -> Previous:
    """Read an earlier results workbook, refusing (exit 2) anything else."""
    try:
        book = Workbook(path)
    except InvalidWorkbook as exc:
        reason = exc.issues[0].message if exc.issues else "not a readable workbook"
        raise UsageError(f"--compare {path}: {reason}") from None
    try:
        sheets = {name: _records(book, name, path) for name in ("Summary", "Selection",
                                                                 "Financing")}
    finally:
        book.close()
    summary: dict[str, Any] = {}
    for row in sheets["Summary"]:
        summary.setdefault(str(row.get("metric", "")), row.get("value"))
    ranks = {str(r["project_id"]): r.get("rank") for r in sheets["Selection"]
             if r.get("project_id") not in (None, "")}
    financing: dict[tuple[str, str], float] = {}
    for r in sheets["Financing"]:
        face = r.get("face_value_musd")
        if isinstance(face, int | float) and r.get("project_id") and r.get("pool_id"):
            key = (str(r["project_id"]), str(r["pool_id"]))
            financing[key] = financing.get(key, 0.0) + float(face)
    return Previous(path, summary, ranks, financing)


def _records(book: Workbook, name: str, path: Path) -> list[dict[str, Any]]:
    """A results sheet's records keyed by header (the first table from column A)."""
    actual = book.find(name)
    if actual is None:
        raise UsageError(f"--compare {path}: not a portfolio results workbook (it has no "
                         f"{name} sheet)")
    grid = book.grid(actual)
    header = [str(h).strip() for h in (grid[0] if grid else [])]
    if "" in header:
        header = header[: header.index("")]
    needed = {"Summary": "metric", "Selection": "project_id", "Financing": "pool_id"}[name]
    if needed not in header:
        raise UsageError(f"--compare {path}: its {name} sheet has no {needed} column, so it is "
                         "not a portfolio results workbook")
    return [{h: (None if v == "" else v) for h, v in zip(header, row, strict=False)}
            for row in grid[1:] if any(v != "" for v in row[: len(header)])]


def changes(previous: Previous, summary: Sequence[Sequence[Any]],
            selection: Sequence[dict[str, Any]], financing: dict[tuple[str, str], float],
            reasons: dict[str, str]) -> list[list[Any]]:
    """The Changes rows: projects, then financing, then the Summary's figures."""
    return (_projects(previous, selection, reasons) + _financing(previous, financing)
            + _summary(previous, summary))


def _projects(previous: Previous, selection: Sequence[dict[str, Any]],
              reasons: dict[str, str]) -> list[list[Any]]:
    now = {str(r["project_id"]): r.get("rank") for r in selection}
    rows: list[list[Any]] = []
    for pid, rank in now.items():
        if pid not in previous.ranks:
            rows.append(["projects", pid, "not selected", _rank(rank), None, "now backed"])
        elif _number(rank) and _number(previous.ranks[pid]) and rank != previous.ranks[pid]:
            before = previous.ranks[pid]
            rows.append(["projects", pid, before, rank, rank - before,
                         f"moved from rank {before:g} to {rank:g}"])
    for pid, rank in previous.ranks.items():
        if pid not in now:
            rows.append(["projects", pid, _rank(rank), "not selected", None,
                         _dropped(reasons.get(pid))])
    return rows


def _dropped(reason: str | None, longest: int = 90) -> str:
    """'dropped: ' and the first sentence of the Rejected reason (shortened: it is there)."""
    if not reason:
        return "dropped"
    first = reason.split(". ")[0].rstrip(".")
    if len(first) > longest:
        first = first[: longest - 1].rstrip() + "…"
    return f"dropped: {first} (see Rejected)"


def _rank(rank: Any) -> str:
    return f"selected, rank {rank:g}" if _number(rank) else "selected"


def _financing(previous: Previous, now: dict[tuple[str, str], float]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key in [*now, *(k for k in previous.financing if k not in now)]:
        before, after = previous.financing.get(key, 0.0), now.get(key, 0.0)
        if abs(after - before) <= NOISE * max(1.0, abs(before)):
            continue
        what = ("new commitment" if key not in previous.financing else
                "withdrawn" if key not in now else f"{after - before:+,.2f} USD m")
        rows.append(["financing", f"{key[0]} from {key[1]}",
                     before if key in previous.financing else None,
                     after if key in now else None, after - before, what])
    return rows


def _summary(previous: Previous, summary: Sequence[Sequence[Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    seen: set[str] = set()
    for metric, value, *_ in summary:
        metric = str(metric)
        if metric in seen or any(metric.endswith(n) for n in NOISY):
            continue
        seen.add(metric)
        before = previous.summary.get(metric)
        if metric not in previous.summary:
            rows.append(["summary", metric, None, value, None, "not in the earlier workbook"])
        elif _number(before) and _number(value):
            delta = value - before
            if abs(delta) <= NOISE * max(1.0, abs(before)):
                delta = 0.0  # solver noise, or the earlier workbook's rounding
            if metric in HEADLINE or delta:
                rows.append(["summary", metric, before, value, delta,
                             f"{delta:+,.4g}" if delta else "unchanged"])
        elif _text(before) != _text(value) or metric in HEADLINE:
            rows.append(["summary", metric, before, value, None,
                         "unchanged" if _text(before) == _text(value) else "changed"])
    return rows


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
