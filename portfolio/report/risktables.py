"""The schedule-risk tables (Risk, RiskSamples) of a workbook analysed for schedule risk.

Written only when the report carries a `RiskResult` (`Report.risk`): a workbook without risk
data gets none of them. The Risk sheet holds four tables side by side: one row per Demand row
(`Risk`, the contract's columns), P(covered) by sector and year as a colour-scaled grid
(`RiskBySector`), the histogram of the first objective over the samples (`RiskHistogram`,
plotted beside it) and the largest risk contributions (`RiskContributions`, the tornado's
data). RiskSamples lists every sampled online year that differs from the planned one; above
`constants.MAX_SAMPLE_ROWS` rows it holds a single note and the rows go to a CSV file beside
the workbook (`write_samples`), written atomically like the workbook. `tables.tables` places
both sheets after Rejected (kept here to hold tables.py short).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from portfolio import constants
from portfolio.analysis.risk import COVERED_T, RiskResult
from portfolio.inputs.case import demand_key
from portfolio.inputs.vocabulary import RiskObjective, Sector
from portfolio.report.contents import Report
from portfolio.workbook.save import save_atomic
from portfolio.workbook.styles import Column

RISK = (
    Column("sector", "text"), Column("material", "text"), Column("year", "year"),
    Column("demand_t", "tonnes"), Column("plan_shortfall_t", "tonnes"),
    Column("mean_shortfall_t", "tonnes"), Column("p10_shortfall_t", "tonnes"),
    Column("p50_shortfall_t", "tonnes"), Column("p90_shortfall_t", "tonnes"),
    Column("prob_covered", "share"),
)
SAMPLES = (Column("sample", "int"), Column("project_id", "text"), Column("online_year", "year"))
NOTE = (Column("note", "text"),)
HISTOGRAM = (Column("bin", "text"), Column("first_objective_from", "usd"),
             Column("first_objective_to", "usd"), Column("samples", "int"),
             Column("share_of_samples", "share"))
CONTRIBUTIONS = (Column("project_id", "text"), Column("name", "text"),
                 Column("risk_contribution", "regret"))
#: The histogram's bins (equal widths from the smallest to the largest first objective).
BINS = 20
#: The tornado's bars: the largest risk contributions by size.
TORNADO = 15
#: The header of the RiskSamples CSV file (the sheet's columns).
CSV_HEADER = tuple(c.name for c in SAMPLES)

Found = tuple[str, Sequence[Column], list[list[Any]], str | None]


def risk_tables(report: Report) -> list[Found]:
    """(sheet, columns, rows, table name or None) of the risk tables; none without risk."""
    risk = report.risk
    if risk is None:
        return []
    years = sorted({year for _, year in risk.sector_years})
    return [("Risk", RISK, risk_rows(risk), None),
            ("Risk", sector_columns(years), sector_rows(risk, years), "RiskBySector"),
            ("Risk", HISTOGRAM, histogram_rows(risk), "RiskHistogram"),
            ("Risk", CONTRIBUTIONS, contribution_rows(report, risk), "RiskContributions"),
            ("RiskSamples", *sample_table(report, risk), None)]


def risk_rows(risk: RiskResult) -> list[list[Any]]:
    """One row per Demand row, in Demand order: its shortfall over the samples."""
    return [[d.sector, d.material, d.year, d.demand_t, r.plan_shortfall_t, r.mean_shortfall_t,
             r.p10_shortfall_t, r.p50_shortfall_t, r.p90_shortfall_t, r.prob_covered]
            for d, r in zip(risk.case.demands, risk.rows, strict=True)]


def sector_columns(years: Sequence[int]) -> list[Column]:
    """RiskBySector: the sector, then P(covered) per year of the Demand sheet."""
    return [Column("sector", "text"), *(Column(f"prob_covered_{y}", "share") for y in years)]


def sector_rows(risk: RiskResult, years: Sequence[int]) -> list[list[Any]]:
    """Per sector (Demand order), P(all its rows of a year covered); blank: no row that year."""
    grid: dict[str, dict[int, float]] = {}
    for (sector, year), share in risk.sector_years.items():
        grid.setdefault(sector, {})[year] = share
    return [[sector, *(by_year.get(y) for y in years)] for sector, by_year in grid.items()]


def histogram_rows(risk: RiskResult) -> list[list[Any]]:
    """BINS equal bins of the first objective from its smallest to its largest sample value.

    Each bin holds the values from its lower edge up to (not including) its upper edge, the
    last also its upper edge. Where every sample has the same value, one bin holds them all.
    """
    first = np.asarray(risk.first, dtype=float)
    if first.size == 0:
        return []
    low, high = float(first.min()), float(first.max())
    if high - low <= constants.NOISE * max(1.0, abs(high)):
        return [[_span(low, high), low, high, int(first.size), 1.0]]
    counts, edges = np.histogram(first, bins=BINS, range=(low, high))
    return [[_span(float(a), float(b)), float(a), float(b), int(n), int(n) / first.size]
            for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True)]


def _span(low: float, high: float) -> str:
    return f"{low:,.1f} to {high:,.1f}"


def contribution_rows(report: Report, risk: RiskResult) -> list[list[Any]]:
    """The TORNADO largest risk contributions by size (ties in Selection order)."""
    ordered = sorted(risk.contribution.items(), key=lambda kv: -abs(kv[1]))[:TORNADO]
    return [[pid, report.case.project_by_id[pid].label, value] for pid, value in ordered]


def changed_count(risk: RiskResult) -> int:
    """How many RiskSamples rows there are (sampled online years off the planned ones)."""
    samples = risk.samples
    return int(np.count_nonzero(samples.online != samples.planned[None, :]))


def samples_path(target: Path) -> Path:
    """Where the RiskSamples rows go above the limit: `<output stem>-samples.csv` beside it."""
    return target.with_name(f"{target.stem}-samples.csv")


def in_file(risk: RiskResult) -> bool:
    """Whether the RiskSamples rows go to the CSV file (more than MAX_SAMPLE_ROWS)."""
    return changed_count(risk) > constants.MAX_SAMPLE_ROWS


def sample_table(report: Report, risk: RiskResult) -> tuple[Sequence[Column], list[list[Any]]]:
    """RiskSamples: its rows, or above the limit a single note naming the CSV file."""
    if not in_file(risk):
        return SAMPLES, [[k, pid, year] for k, pid, year in risk.changed()]
    name = samples_path(report.target).name if report.target is not None else \
        "<output stem>-samples.csv"
    return NOTE, [[f"{changed_count(risk):,} sampled online years differ from the plan, more "
                   f"than the {constants.MAX_SAMPLE_ROWS:,} rows this sheet holds: they are in "
                   f"{name} beside this workbook, with the columns "
                   f"{', '.join(CSV_HEADER)} (a blank online_year: the project fails)."]]


class _Csv:
    """The RiskSamples rows as a CSV file that `save_atomic` can write like a workbook."""

    def __init__(self, risk: RiskResult) -> None:
        self.risk = risk

    def save(self, filename: str) -> None:
        with open(filename, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(CSV_HEADER)
            out.writerows((k, pid, "" if year is None else year)
                          for k, pid, year in self.risk.changed())


def write_samples(report: Report, target: Path) -> Path | None:
    """Above the limit, write the RiskSamples rows to the CSV file beside `target`.

    Written atomically, as the workbook is; returns the file (None: nothing written).
    """
    risk = report.risk
    if risk is None or not in_file(risk):
        return None
    path = samples_path(target)
    save_atomic(_Csv(risk), path)
    return path


def first_words(chains: bool) -> str:
    """The first objective in words."""
    return "weighted shortfall + weighted imports" if chains else "weighted shortfall"


def robustness(report: Report) -> str | None:
    """Under risk_objective = expected, what robustness costs, in one sentence.

    Against the plan-optimal portfolio; None under plan, or when that one was not found.
    """
    risk = report.risk
    if risk is None or risk.objective != RiskObjective.EXPECTED or risk.rival is None:
        return None
    rival, cost = risk.rival, report.figures.total_cost
    extra = cost - rival.budget_cost_musd
    spend = (f"{extra:,.1f} USD m more budget cost" if extra > 0 else
             f"{-extra:,.1f} USD m less budget cost" if extra < 0 else "the same budget cost")
    return (f"Robustness: the risk-optimal portfolio averages {risk.expected_first:,.1f} over "
            f"the samples (P90 {risk.p90_first:,.1f}) against the plan-optimal portfolio's "
            f"{rival.expected_first_objective:,.1f} (P90 {rival.p90_first_objective:,.1f}), "
            f"for {spend} ({cost:,.1f} against {rival.budget_cost_musd:,.1f}) and a first "
            f"objective on the planned schedule of {risk.plan_first:,.1f} against "
            f"{rival.first_objective:,.1f}.")


def sector_lines(risk: RiskResult) -> list[str]:
    """P(demand fully covered) for each priority sector of the Demand sheet.

    The year is the first in which the plan (the planned schedule) covers every Demand row
    of the sector in full; where the plan covers it in no year, its last Demand year. Each
    line adds the share of that year's demand covered (planned, mean, P10), which still tells
    a reviewer something where full cover is rare.
    """
    shares = risk.sector_shares
    priority = {s.value for s in Sector}
    planned: dict[tuple[str, int], bool] = {}
    names: dict[str, str] = {}
    for d, shortfall in zip(risk.case.demands, risk.plan_shortfall, strict=True):
        name = names.setdefault(demand_key(d.sector, "")[0], d.sector)
        planned[(name, d.year)] = planned.get((name, d.year), True) and shortfall <= COVERED_T
    lines = []
    for key, name in names.items():
        if key not in priority:
            continue
        years = sorted(y for s, y in risk.sector_years if s == name)
        full = next((y for y in years if planned[(name, y)]), None)
        year = full if full is not None else years[-1]
        line = f"P({name} demand fully covered in {year}) = " \
               f"{100 * risk.sector_years[(name, year)]:.0f}%"
        if full is None:
            line += ": its last Demand year (the plan covers it in full in no year)."
        elif full != years[-1]:
            line += (f", the first year the plan covers it in full; "
                     f"{100 * risk.sector_years[(name, years[-1])]:.0f}% in {years[-1]}, its "
                     "last Demand year.")
        else:
            line += ", the first year the plan covers it in full."
        plan, mean, low = shares[(name, year)]
        lines.append(f"{line} Share of its {year} demand covered: {100 * plan:.0f}% planned, "
                     f"{100 * mean:.0f}% on average, {100 * low:.0f}% at P10.")
    return lines
