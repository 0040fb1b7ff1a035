"""The Guide: what every column of the results means, in a finance reviewer's words.

One entry per (table, column), with its unit. Columns named after a sector or a country
(`coverage_pct_<sector>`, `face_<country>_musd`) have one entry with a placeholder that
`explain` fills in. The workbook writes the Guide sheet and a comment on each header
from here, and a test fails for any column written without an entry, so every table added
later brings its explanation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from portfolio.report.tables import Table
from portfolio.workbook.styles import Column

USD, T, PCT, YEAR, COUNT, TEXT = "USD m", "t", "%", "year", "count", "text"
SHARE = "share (0-1)"
WEIGHTED = "weighted t"


@dataclass(frozen=True)
class Entry:
    """One column explained."""

    unit: str
    meaning: str


_SHARED = {
    "weighted_imports": Entry(WEIGHTED, "Sum of weight x tonnes imported over all Imports "
                                        "rows (workbooks with chains); the first objective is "
                                        "weighted shortfall + weighted imports."),
    "project_id": Entry(TEXT, "The project's id, as on the Projects input sheet."),
    "name": Entry(TEXT, "The project's name, as entered (its id where the name is blank)."),
    "country": Entry(TEXT, "Host country of the project, as entered."),
    "stage": Entry(TEXT, "Supply-chain stage: mining, separation, refining, metal, magnet or "
                         "recycling."),
    "status": Entry(TEXT, "optimal: proven best within the MIP gap; feasible: valid but not "
                          "proven best (time limit); infeasible: no portfolio meets the hard "
                          "constraints; time_limit_no_solution: none found in time."),
    "budget_cost_musd": Entry(USD, "Budget cost scored against the limits: grants and offtakes "
                                   "at face value, loans and guarantees at their credit subsidy "
                                   "cost."),
    "weighted_shortfall": Entry(WEIGHTED, "Sum over Demand rows of weight x tonnes not "
                                          "covered: the first objective, lower is better."),
    "demand_covered_pct": Entry(PCT, "Tonnes covered as a share of all tonnes demanded."),
    "coverage_pct_<sector>": Entry(PCT, "Share of the {sector} demand tonnes covered, over all "
                                        "its materials and years."),
    "projects_selected": Entry(COUNT, "How many projects the portfolio backs."),
    "projects_in": Entry(TEXT, "Projects this variant backs that the base portfolio does not."),
    "projects_out": Entry(TEXT, "Projects of the base portfolio this variant drops."),
    "note": Entry(TEXT, "Why the row reads as it does, where that needs saying."),
}

#: The first objective in words, for the schedule-risk entries.
_FIRST = ("first objective (weighted shortfall, plus weighted imports in a workbook with "
          "chains)")
_CONTRIBUTION = (
    "Risk contribution (workbooks with schedule risk): the mean over the samples of the "
    f"sample's {_FIRST} less the same sample's with this project alone on its planned "
    "schedule and not failed (every other project as sampled): the part of the expected "
    "loss its own delays and failure cause; 0 where it is never late. Delays interact, so "
    "the contributions need not add up to expected_first_objective less the plan's.")


def _percentile(q: int) -> Entry:
    return Entry(T, f"P{q} of the row's shortfall over the N samples by nearest rank: the "
                    f"ceil({q / 100:g} x N)-th smallest sample value (no interpolation), so "
                    "it is always one sample's shortfall.")


_TABLES: dict[str, dict[str, Entry]] = {
    "Summary": {
        "metric": Entry(TEXT, "What the row reports: the run's status and figures, every "
                              "setting in effect, and what is needed to reproduce the run."),
        "value": Entry("per row", "The figure; its unit is in the metric's name (_musd: USD m, "
                                  "_pct: %, _seconds: seconds)."),
        "note": Entry(TEXT, "The metric in words, or where its value came from."),
    },
    "Diagnosis": {
        "finding": Entry(COUNT, "Number of the finding, most important first."),
        "message": Entry(TEXT, "Why no portfolio could be found: the constraints that cannot "
                               "hold together, and what would let them."),
    },
    "Selection": {
        "rank": Entry(COUNT, "1 = the project whose loss would hurt most (largest "
                             "regret_shortfall, then regret_cost_musd); blank when not ranked."),
        "capex_musd": Entry(USD, "Total capital cost of the project, as entered."),
        "public_finance_musd": Entry(USD, "Face value of all public finance committed to it "
                                          "(grants, loans, guarantees and offtakes)."),
        "budget_cost_musd": Entry(USD, "What its financing costs the budget (grants and "
                                       "offtakes at face value, loans and guarantees at their "
                                       "subsidy cost)."),
        "online_year": Entry(YEAR, "First year it delivers: start year plus lead time."),
        "regret_shortfall": Entry(WEIGHTED, "How much the weighted shortfall rises if this "
                                            "project alone is dropped and the rest "
                                            "re-optimised; critical: nothing feasible without "
                                            "it."),
        "regret_cost_musd": Entry(USD, "Change in budget cost in that re-optimised portfolio "
                                       "(negative: dropping it saves money)."),
        "grant_musd": Entry(USD, "Face value of grants to it."),
        "loan_musd": Entry(USD, "Face value of loans to it."),
        "guarantee_musd": Entry(USD, "Face value of loan guarantees to it."),
        "offtake_musd": Entry(USD, "Face value of offtake agreements with it."),
        "sponsor_equity_musd": Entry(USD, "The sponsor's own equity, as entered."),
        "lead_time_months": Entry("months", "Months from the start of finance to first "
                                            "output, as entered."),
        "start_year": Entry(YEAR, "Year its finance starts (the plan's first year unless "
                                  "entered)."),
        "lock": Entry(TEXT, "in: forced into the portfolio; out: kept out; blank: free."),
        "risk_contribution": Entry(WEIGHTED, _CONTRIBUTION),
    },
    "Financing": {
        "pool_id": Entry(TEXT, "The funding pool, as on the Pools input sheet."),
        "instrument": Entry(TEXT, "grant, loan, guarantee or offtake."),
        "funder": Entry(TEXT, "The agency behind the pool (for example DFC, JBIC)."),
        "face_value_musd": Entry(USD, "Amount committed from this pool to this project."),
        "budget_cost_musd": Entry(USD, "What that commitment costs the budget: face value x the "
                                       "pool's budget cost rate."),
        "funder_country": Entry(TEXT, "Country of the funding agency."),
        "gap_credit_musd": Entry(USD, "How much of the project's financing gap this commitment "
                                      "closes (face value x the pool's gap credit)."),
    },
    "Coverage": {
        "sector": Entry(TEXT, "Priority sector of the Demand row."),
        "material": Entry(TEXT, "Material of the Demand row."),
        "year": Entry(YEAR, "Year of the Demand row."),
        "demand_t": Entry(T, "Tonnes the sector needs in that year, as entered."),
        "supply_t": Entry(T, "Tonnes the selected projects deliver to it in that year."),
        "shortfall_t": Entry(T, "Tonnes not covered: demand less supply, never below 0."),
        "coverage_pct": Entry(PCT, "Supply as a share of demand, capped at 100."),
        "weight": Entry("per t", "Priority weight of one uncovered tonne, as entered (earlier "
                                 "years usually weigh more)."),
    },
    "Budget": {
        "year": Entry(YEAR, "Disbursement year, then total for the whole plan."),
        "budget_cost_musd": Entry(USD, "Budget cost falling in that year (or in all years): "
                                       "financing as disbursed, plus stockpile purchases and "
                                       "holding costs in the year they occur."),
        "limit_musd": Entry(USD, "The annual limit from the Budget sheet, or the total budget; "
                                 "blank: no limit that year."),
        "headroom_musd": Entry(USD, "Limit less cost: what is left to spend."),
    },
    "Pools": {
        "pool_id": Entry(TEXT, "The funding pool, as on the Pools input sheet."),
        "instrument": Entry(TEXT, "grant, loan, guarantee or offtake."),
        "capacity_musd": Entry(USD, "Face value the pool can commit, as entered."),
        "used_musd": Entry(USD, "Face value the portfolio commits from it."),
        "funder": Entry(TEXT, "The agency behind the pool."),
        "country": Entry(TEXT, "Country of the funding agency."),
        "budget_cost_musd": Entry(USD, "What the pool's commitments cost the budget."),
        "used_pct": Entry(PCT, "Used as a share of capacity."),
    },
    "Rejected": {
        "reason": Entry(TEXT, "Why it is not in the portfolio, checked in a fixed order (locked "
                              "out, lead time, public share, pools, budget, requirements, "
                              "rivals, demand), else what it would add and at what cost."),
    },
    "Frontier": {
        "budget_level_pct": Entry(PCT, "Total budget at this level, as a share of "
                                       "total_budget_musd."),
        "budget_level_musd": Entry(USD, "Total budget at this level. Only the total budget "
                                        "moves: annual Budget rows, CountryBudgets rows, cost "
                                        "shares and pool capacities stay as entered."),
        "budget_cost_musd": Entry(USD, "Budget cost of the optimal portfolio at this level."),
        "weighted_shortfall": Entry(WEIGHTED, "Weighted shortfall of the optimal portfolio at "
                                              "this level."),
        "projects": Entry(TEXT, "The projects backed at this level."),
    },
    "FrontierEntry": {
        "entry_level_pct": Entry(PCT, "Lowest budget level at which it is in the optimal "
                                      "portfolio; blank: at none."),
        "entry_level_musd": Entry(USD, "That level as a total budget."),
        "selected_at_levels_pct": Entry(TEXT, "Every level at which it is backed."),
        "selected_in_base": Entry(TEXT, "yes if it is in the portfolio at the budget as "
                                        "entered."),
    },
    "Scenarios": {
        "scenario": Entry(TEXT, "Scenario name from the Scenarios sheet; base = as entered."),
        "changes": Entry(TEXT, "What the scenario changes, in words."),
        "shortfall_change": Entry(WEIGHTED, "Weighted shortfall against the base (negative: "
                                            "better)."),
        "cost_change_musd": Entry(USD, "Budget cost against the base."),
        "note": Entry(TEXT, "Why an infeasible scenario is so (its diagnosis), or a solver "
                            "note."),
    },
    "Sensitivity": {
        "limit": Entry(TEXT, "The budget or capacity limit examined."),
        "kind": Entry(TEXT, "total_budget, annual_budget, pool_capacity, country_budget (a "
                            "CountryBudgets row) or max_stock (a stockpile's max_stock_t)."),
        "limit_musd": Entry(USD, "The limit as entered; a stockpile's max_stock_t valued at its "
                                 "purchase price, so one step buys one USD m more stock room."),
        "used_musd": Entry(USD, "How much of it the portfolio uses."),
        "slack_musd": Entry(USD, "Limit less use: 0 where it binds."),
        "binding": Entry(TEXT, "yes: the portfolio uses the limit up."),
        "marginal_cost_per_musd": Entry("USD m per USD m", "Change in budget cost per extra USD "
                                                           "m of the limit, with the same "
                                                           "projects (the LP's shadow price; "
                                                           "negative: it saves)."),
        "allowable_increase_musd": Entry(USD, "How far the limit can rise before that marginal "
                                              "value changes (Excel Solver's allowable "
                                              "increase); blank: without end, or not known where "
                                              "the LP has no solution."),
        "allowable_decrease_musd": Entry(USD, "How far the limit can fall before that marginal "
                                              "value changes (allowable decrease); blank: "
                                              "without end."),
        "step_musd": Entry(USD, "The step by which the limit is raised for the checks "
                                "(sensitivity_step_musd)."),
        "lp_step_cost_change_musd": Entry(USD, "Change in budget cost over the whole step, same "
                                               "projects."),
        "resolve_shortfall_change": Entry(WEIGHTED, "Change in weighted shortfall when the "
                                                    "whole problem is re-solved with the limit "
                                                    "raised by the step."),
        "resolve_cost_change_musd": Entry(USD, "Change in budget cost in that re-solve."),
        "shortfall_per_musd": Entry("weighted t per USD m", "Weighted shortfall removed per USD "
                                                            "m of the step by re-choosing "
                                                            "projects."),
        "projects_in": Entry(TEXT, "Projects the re-solve adds."),
        "projects_out": Entry(TEXT, "Projects the re-solve drops."),
        "agrees": Entry(TEXT, "yes: the re-solve's change equals the LP's over the step; n/a: "
                              "the re-solve chose other projects."),
        "meaning": Entry(TEXT, "The row in words."),
    },
    "Sectors": {
        "sector": Entry(TEXT, "Priority sector, over all its materials."),
        "year": Entry(YEAR, "Plan year the tonnes are for."),
        "demand_t": Entry(T, "Tonnes demanded by the sector that year."),
        "supply_t": Entry(T, "Tonnes the selected projects deliver to it (may exceed demand)."),
        "covered_t": Entry(T, "Tonnes of demand covered."),
        "shortfall_t": Entry(T, "Tonnes of demand not covered."),
        "coverage_pct": Entry(PCT, "Covered as a share of demand."),
    },
    "Mix": {
        "instrument": Entry(TEXT, "grant, loan, guarantee or offtake."),
        "face_<country>_musd": Entry(USD, "Face value committed through {country}'s agencies."),
        "face_total_musd": Entry(USD, "Face value committed through all agencies."),
        "cost_<country>_musd": Entry(USD, "Budget cost of {country}'s commitments."),
        "cost_total_musd": Entry(USD, "Budget cost of all commitments."),
    },
    "Flows": {
        "sector": Entry(TEXT, "Sector of the commodity, as first written in the input."),
        "material": Entry(TEXT, "Material of the commodity, as first written in the input."),
        "year": Entry(YEAR, "Plan year of the tonnes."),
        "production_t": Entry(T, "Tonnes the selected projects make (Offtake volumes; a "
                                 "converter's at its utilisation)."),
        "supply_t": Entry(T, "Allied tonnes from outside the pipeline, as on the Supply sheet."),
        "released_t": Entry(T, "Tonnes released from stockpiles in that year (Stockpiles "
                               "sheet): allied tonnes like production, to feed converters or "
                               "go to Demand; 0 without stockpiles."),
        "imports_t": Entry(T, "Tonnes imported from outside the allied chains to feed "
                              "converters (within the Imports sheet's max_t)."),
        "consumed_t": Entry(T, "Tonnes the selected converters take as feedstock."),
        "delivered_t": Entry(T, "Tonnes delivered to the Demand rows of this commodity, all "
                                "from allied tonnes."),
        "demand_t": Entry(T, "Tonnes demanded, as on the Demand sheet."),
        "surplus_t": Entry(T, "Tonnes left over: production + supply + released + imports - "
                              "consumed - delivered."),
    },
    "Utilisation": {
        "year": Entry(YEAR, "Plan year, from the converter's online year."),
        "utilisation_pct": Entry(PCT, "Share of full output the converter runs at: its Offtake "
                                      "and Inputs tonnes scale with it."),
        "limited_by": Entry(TEXT, "Below 100%: the input commodity with nothing to spare (no "
                                  "surplus and no import headroom), or 'its output is not "
                                  "needed'; blank at 100%."),
    },
    "Chains": {
        "sector": Entry(TEXT, "The chain: a sector, over all its materials (Flows rows summed)."),
        "year": Entry(YEAR, "Plan year of the tonnes."),
        "allied_t": Entry(T, "Allied tonnes available: production + supply + released."),
        "imports_t": Entry(T, "Tonnes imported to feed the sector's converters."),
        "consumed_t": Entry(T, "Tonnes the sector's converters take as feedstock."),
        "delivered_t": Entry(T, "Tonnes delivered to the sector's Demand rows."),
        "demand_t": Entry(T, "Tonnes the sector demands."),
    },
    "Stockpiles": {
        "stockpile_id": Entry(TEXT, "The stockpile, as on the Stockpiles input sheet."),
        "country": Entry(TEXT, "The government that holds the stock and pays for it."),
        "sector": Entry(TEXT, "Sector of the commodity held."),
        "material": Entry(TEXT, "Material held, e.g. NdPr oxide."),
        "year": Entry(YEAR, "Plan year: tonnes and costs of that calendar year, stock at its "
                            "end."),
        "bought_t": Entry(T, "Tonnes bought in the year (possible only up to buy_until_year)."),
        "released_t": Entry(T, "Tonnes released in the year: they join the commodity's allied "
                               "tonnes (Flows sheet), to feed converters or go to Demand."),
        "stock_t": Entry(T, "Tonnes held at the year end: initial stock plus purchases to date "
                            "less releases to date."),
        "budget_cost_musd": Entry(USD, "What the stockpile costs the budget in the year: "
                                       "purchase_cost_musd + holding_cost_musd. It counts in "
                                       "the Budget sheet's year, the total budget and its "
                                       "country's budgets."),
        "held_t": Entry(T, "Tonnes bought to date, initial stock included: what the holding "
                           "cost is charged on. Releases do not lower it: a reserve is paid for "
                           "in full while it is held ready."),
        "purchase_cost_musd": Entry(USD, "Purchases in the year: bought_t x price_usd_per_kg / "
                                         "1000."),
        "holding_cost_musd": Entry(USD, "Interest and storage in the year: holding_cost_pct % "
                                        "of the purchase value of held_t."),
    },
    "Countries": {
        "country": Entry(TEXT, "The government, spelt as first written in Financing, "
                               "Stockpiles, CountryBudgets or CostShare; (no country): "
                               "financing from pools whose Financing row names no country."),
        "year": Entry(YEAR, "Disbursement year (where the country pays something or has a "
                            "limit), then total for the whole plan."),
        "budget_cost_musd": Entry(USD, "Budget cost the country bears in that year (or in all "
                                       "years): its pools' financing, disbursed as on the "
                                       "Budget sheet, and its stockpiles' purchases and "
                                       "holding costs."),
        "limit_musd": Entry(USD, "The country's own limit from the CountryBudgets sheet for "
                                 "that year (on the total row: for the whole plan); blank: "
                                 "none."),
        "share_pct": Entry(PCT, "Its share of the portfolio's budget cost: of that year's "
                                "total on a year row, of the total budget cost on the total "
                                "row."),
        "headroom_musd": Entry(USD, "Limit less cost: what the country has left to spend; "
                                    "blank where it has no limit."),
        "min_share_pct": Entry(PCT, "Least share of the total budget cost the country is to "
                                    "pay (CostShare sheet; total row only); blank: none set."),
        "max_share_pct": Entry(PCT, "Largest share of the total budget cost the country may "
                                    "pay (CostShare sheet; total row only); blank: none set."),
    },
    "Risk": {
        "sector": Entry(TEXT, "Priority sector of the Demand row."),
        "material": Entry(TEXT, "Material of the Demand row."),
        "year": Entry(YEAR, "Year of the Demand row."),
        "demand_t": Entry(T, "Tonnes the sector needs in that year, as entered."),
        "plan_shortfall_t": Entry(T, "Tonnes not covered on the planned schedule (every lead "
                                     "time as entered, no project failing): Coverage's "
                                     "shortfall_t. Plan against expected: under "
                                     "risk_objective = plan the portfolio is optimised on this "
                                     "schedule and then evaluated in the samples; under "
                                     "expected it is chosen to minimise the mean first "
                                     "objective over the samples (one recourse per sample), "
                                     "and the plan sheets and this column show it on its "
                                     "planned schedule."),
        "mean_shortfall_t": Entry(T, "Mean over the schedule samples of the row's shortfall. "
                                     "In each sample the selection, financing and stock "
                                     "purchases stay as chosen, projects come online in their "
                                     "sampled years (RiskSamples) and the rest (utilisation, "
                                     "imports, releases, deliveries) is re-optimised for the "
                                     "first objective."),
        "p10_shortfall_t": _percentile(10),
        "p50_shortfall_t": _percentile(50),
        "p90_shortfall_t": _percentile(90),
        "prob_covered": Entry(SHARE, "Share of the samples (0 to 1, shown as %) in which the "
                                       "row is covered in full: its shortfall is at most "
                                       "1e-6 t."),
    },
    "RiskBySector": {
        "sector": Entry(TEXT, "Priority sector, over all its materials (spelt as first "
                              "entered on Demand)."),
        "prob_covered_<year>": Entry(SHARE, "Share of the samples (0 to 1, shown as %) in "
                                              "which every Demand row of the sector in {year} "
                                              "is covered in full (shortfall at most 1e-6 t "
                                              "each); blank: the sector has no Demand row "
                                              "that year."),
    },
    "RiskHistogram": {
        "bin": Entry(TEXT, f"The bin's range of the sample {_FIRST}, in words (the chart's "
                           "labels)."),
        "first_objective_from": Entry(WEIGHTED, "Lower edge of the bin: the range from the "
                                                "smallest to the largest sample first "
                                                "objective is cut into 20 equal bins (one bin "
                                                "where every sample has the same value)."),
        "first_objective_to": Entry(WEIGHTED, "Upper edge of the bin. A value on an edge "
                                              "counts in the upper bin; the largest value in "
                                              "the last bin."),
        "samples": Entry(COUNT, "How many samples' first objective falls in the bin."),
        "share_of_samples": Entry(SHARE, "Those samples as a share of all samples."),
    },
    "RiskContributions": {
        "risk_contribution": Entry(WEIGHTED, "The tornado's bars: the 15 largest risk "
                                             "contributions by size, largest first. "
                                             + _CONTRIBUTION),
    },
    "RiskSamples": {
        "sample": Entry(COUNT, "The sample, 1 to risk_samples. Sample k draws every project's "
                               "failure and delay from its own numpy Generator (PCG64) "
                               "seeded by SeedSequence([risk_seed, k]), two uniforms per "
                               "project in Projects order: the same risk_seed gives the "
                               "same samples on any machine and with any number of workers."),
        "project_id": Entry(TEXT, "A project (selected or not) whose online year in the "
                                  "sample differs from its planned one; projects on schedule "
                                  "are not listed."),
        "online_year": Entry(YEAR, "Its online year in the sample: start_year + "
                                   "ceil((lead_time_months + delta) / 12), where delta, the "
                                   "extra lead time in months, is drawn from the triangular "
                                   "law on [0, delay_max_months] with mode delay_mode_months "
                                   "(the project's own risk columns, else its stage's Risk "
                                   "row, else 0). Blank: the project fails in the sample "
                                   "(probability failure_prob) and delivers nothing within the "
                                   "plan, while its financing and budget cost still count."),
        "note": Entry(TEXT, "Written instead of the rows where there are more than 1,000,000: "
                            "the rows are then in <output stem>-samples.csv beside the "
                            "workbook, with the columns sample, project_id and online_year "
                            "(blank: failed). The JSON export holds the same note."),
    },
    "Changes": {
        "section": Entry(TEXT, "projects: backed or not; financing: face value moved; summary: "
                               "headline figures."),
        "item": Entry(TEXT, "The project, the project and pool, or the Summary metric."),
        "previous": Entry("per row", "Its value in the earlier results workbook."),
        "current": Entry("per row", "Its value in this run."),
        "change": Entry("per row", "Current less previous, where both are numbers."),
        "what_changed": Entry(TEXT, "The change in words."),
    },
    "Guide": {
        "sheet": Entry(TEXT, "The results sheet the column is on."),
        "column": Entry(TEXT, "The column's header."),
        "unit": Entry(TEXT, "Its unit: USD m, t (tonnes), %, year, count or text."),
        "meaning": Entry(TEXT, "What the column means, in words."),
    },
}

#: Columns whose meaning differs in a workbook with chains (Inputs, Supply or Imports rows).
_CHAINS = {
    ("Coverage", "supply_t"): Entry(T, "Tonnes delivered to it in that year from allied "
                                       "chains (the selection's flows: production and Supply "
                                       "tonnes not consumed by converters)."),
    ("Sectors", "supply_t"): Entry(T, "Tonnes delivered to it from allied chains (at most its "
                                      "demand)."),
    ("Selection", "regret_shortfall"): Entry(WEIGHTED, "How much the first objective (weighted "
                                                   "shortfall + weighted imports) rises if "
                                                   "this project alone is dropped and the rest "
                                                   "re-optimised; critical: nothing feasible "
                                                   "without it."),
    ("Scenarios", "shortfall_change"): Entry(WEIGHTED, "First objective (weighted shortfall + "
                                                       "weighted imports) against the base "
                                                       "(negative: better)."),
}

_PATTERNS = (
    (re.compile(r"coverage_pct_(?P<sector>.+)"), "coverage_pct_<sector>"),
    (re.compile(r"face_(?P<country>.+)_musd"), "face_<country>_musd"),
    (re.compile(r"cost_(?P<country>.+)_musd"), "cost_<country>_musd"),
    (re.compile(r"prob_covered_(?P<year>\d+)"), "prob_covered_<year>"),
)


def explain(table: str, column: str, chains: bool = False) -> Entry | None:
    """The entry for a column of a table (None where the Guide has none).

    `chains`: the workbook has supply chains (a Flows table), where a few columns mean more.
    """
    if chains and (table, column) in _CHAINS:
        return _CHAINS[(table, column)]
    own = _TABLES.get(table, {})
    if column in own or column in _SHARED:
        return own.get(column) or _SHARED[column]
    for pattern, key in _PATTERNS:
        match = pattern.fullmatch(column)
        entry = own.get(key) or _SHARED.get(key)
        if match and entry is not None:
            return Entry(entry.unit, entry.meaning.format(**match.groupdict()))
    return None


def chained(found: Sequence[Table]) -> bool:
    """Whether the tables are a workbook with chains (they hold the Flows table)."""
    return any(t.name == "Flows" for t in found)


def both(table: str, column: str) -> Entry | None:
    """The entry with its chain variant appended where it has one (for the JSON Schema)."""
    plain, chain = explain(table, column), _CHAINS.get((table, column))
    if plain is None or chain is None:
        return plain
    return Entry(plain.unit, f"{plain.meaning} With chains: {chain.meaning}")


COLUMNS = tuple(Column(name, "text") for name in ("sheet", "column", "unit", "meaning"))


def with_guide(found: Sequence[Table]) -> list[Table]:
    """The tables followed by the Guide that explains them all (itself included)."""
    guide = Table("Guide", COLUMNS, [])
    return [*found, Table("Guide", COLUMNS, rows([*found, guide]))]


def missing(found: Sequence[Table]) -> list[str]:
    """`Table.column` for every written column the Guide does not explain."""
    return [f"{t.name}.{c.name}" for t in found for c in t.columns
            if explain(t.name, c.name) is None]


def rows(found: Sequence[Table]) -> list[list[str]]:
    """The Guide sheet's records: one per column of every table, Guide's own last."""
    out = []
    chains = chained(found)
    for table in found:
        for column in table.columns:
            entry = explain(table.name, column.name, chains)
            sheet = table.sheet if table.table is None else \
                f"{table.sheet} ({table.table}, right-hand table)"
            out.append([sheet, column.name, entry.unit if entry else "",
                        entry.meaning if entry else ""])
    return out
