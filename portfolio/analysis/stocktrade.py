"""The stockpile-versus-build question: what a stockpile's money buys, against projects.

For each stockpile of the chosen portfolio that releases anything, with the selection and
the other stockpiles' purchases as chosen:

- `cost_musd` is its budget cost over the plan (purchases and holding), `held_t` the stock
  it holds at most (initial plus purchases) and `bought_t` what it buys;
- the years it serves are those in which it releases, and the shortfall it is measured
  against is the weighted shortfall of its own commodity's Demand rows in those years (of
  its sector's rows where its commodity has none: stock that only feeds converters);
  `without` is that shortfall with this stockpile removed and the flows re-optimised (one
  flow LP), `with_stock` the same with it as chosen, so the stock covers `covered_pct` =
  (without - with) / without of that shortfall;
- the same money in projects: the total budget's sensitivity re-solve says how much one
  more USD m spent on the portfolio lowers the first objective (`per_musd`), so cost_musd
  in projects would lower it by about cost_musd * per_musd, `projects_pct` of `without`
  (capped at 100%; where the projects' gain lands is not restricted to those rows). It is
  the marginal rate of one step, so it is an estimate, and it is said as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from portfolio.analysis.figures import Figures
from portfolio.analysis.sensitivity import TOTAL, Marginal
from portfolio.constants import NOISE
from portfolio.inputs.case import Case, demand_key
from portfolio.inputs.stockrows import StockpileRow
from portfolio.model.flows import Flows, flows


@dataclass(frozen=True)
class StockTrade:
    """One stockpile's answer to the stockpile-versus-build question."""

    stockpile_id: str
    label: str
    cost_musd: float
    held_t: float
    bought_t: float
    released_t: float
    years: tuple[int, ...]
    without: float
    with_stock: float
    per_musd: float | None

    @property
    def covered_pct(self) -> float:
        """Share of the served years' shortfall the stock removes, 0-100."""
        if self.without <= NOISE:
            return 0.0
        return 100.0 * max(0.0, self.without - self.with_stock) / self.without

    @property
    def projects_pct(self) -> float | None:
        """What the same money in projects would remove, 0-100 (None: not measured)."""
        if self.per_musd is None or self.without <= NOISE:
            return None
        return min(100.0, 100.0 * self.cost_musd * self.per_musd / self.without)


def shortfall_in(found: Flows, years: set[int], rows: set[int]) -> float:
    """Weighted shortfall of the given Demand rows in the given plan years."""
    return sum(d.weight * max(0.0, d.demand_t - found.delivered.get(r, 0.0))
               for r, d in enumerate(found.case.demands) if d.year in years and r in rows)


def _rows(case: Case, stock: StockpileRow) -> set[int]:
    """The Demand rows a stockpile is measured against: its commodity's, else its sector's."""
    key = case.stock_key(stock)
    own = {r for r, d in enumerate(case.demands) if demand_key(d.sector, d.material) == key}
    return own or {r for r, d in enumerate(case.demands)
                   if demand_key(d.sector, d.material)[0] == key[0]}


def stock_trades(figures: Figures, sensitivity: Sequence[Marginal] | None) -> list[StockTrade]:
    """The answer for each stockpile that releases anything, in Stockpiles order."""
    case, chosen = figures.case, figures.flows
    if chosen is None or not case.stockpiles:
        return []
    total = next((m for m in sensitivity or () if m.limit.kind == TOTAL), None)
    per_musd = None
    if total is not None and total.shortfall_change is not None:
        per_musd = max(0.0, -total.shortfall_change) / total.step_musd
    out = []
    for stock in case.stockpiles:
        kid = stock.stockpile_id
        years = {y for (k, y), t in chosen.releases.items() if k == kid and t > NOISE}
        if not years:
            continue
        rest = replace(case, stockpiles=tuple(k for k in case.stockpiles if k is not stock))
        bought = {key: t for key, t in figures.solution.bought.items() if key[0] != kid}
        without = flows(rest, figures.solution.selected, bought)
        held = figures.most_held(stock)
        rows = _rows(case, stock)
        out.append(StockTrade(
            kid, case.commodity_label(case.stock_key(stock)),
            sum(figures.stock_cost_in(stock, y) for y in case.plan_years),
            held, held - stock.initial_t,
            sum(t for (k, _), t in chosen.releases.items() if k == kid),
            tuple(sorted(years)), shortfall_in(without, years, rows),
            shortfall_in(chosen, years, rows), per_musd))
    return out


def sentence(trade: StockTrade) -> str:
    """'12.0 USD m buys 1,500 t of magnets/NdPr oxide held for 2026-2028, which covers ...'."""
    first, last = trade.years[0], trade.years[-1]
    span = str(first) if first == last else f"{first}-{last}"
    if trade.held_t > trade.bought_t:  # some of it held already: the money keeps it ready
        bought = f", {trade.bought_t:,.1f} t of it bought," if trade.bought_t > 0 else ""
        what = f"holds {trade.held_t:,.0f} t of {trade.label} ({trade.stockpile_id}){bought}"
    else:
        what = f"buys {trade.bought_t:,.0f} t of {trade.label} ({trade.stockpile_id})"
    line = (f"{trade.cost_musd:,.1f} USD m {what} for {span}, which covers "
            f"{trade.covered_pct:.0f}% of that shortfall")
    if trade.projects_pct is None:
        return line + "."
    return line + (f"; the same money in projects would cover about {trade.projects_pct:.0f}% "
                   "(from the Sensitivity sheet's total-budget re-solve).")
