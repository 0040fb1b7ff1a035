"""Row models of the input sheets: the workbook contract in code.

Each model is one row of one sheet. Field order is the template's column order, field
descriptions are the Guide sheet's text, and `json_schema_extra` carries the display format,
so the template, the Guide and validation cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from portfolio.inputs.fields import (
    Chance,
    Fraction,
    IdList,
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Text,
    Year,
    bounded,
    choice,
    choice_list,
    to_float,
    to_int,
    to_text,
)
from portfolio.inputs.vocabulary import (
    FACTOR_CHANGES,
    Change,
    Instrument,
    Lock,
    Objective,
    RiskObjective,
    ScenarioLock,
    Stage,
    Target,
)
from portfolio.inputs.vocabulary import (
    Sector as PrioritySector,
)
from portfolio.workbook.values import FORMULA_ERRORS, shown

STAGES = tuple(m.value for m in Stage)
INSTRUMENTS = tuple(m.value for m in Instrument)
PRIORITY_SECTORS = tuple(m.value for m in PrioritySector)
OBJECTIVES = tuple(m.value for m in Objective)
LOCKS = tuple(m.value for m in Lock)
CHANGES = tuple(m.value for m in Change)
SCENARIO_LOCKS = tuple(m.value for m in ScenarioLock)
ALL = Target.ALL
TOTAL = Target.TOTAL
NO_LIMIT = Target.NO_LIMIT
BASE_SCENARIO = Target.BASE
MAX_SCENARIOS = 50

StageValue = Annotated[Stage, BeforeValidator(choice(*STAGES))]
InstrumentValue = Annotated[Instrument, BeforeValidator(choice(*INSTRUMENTS))]
LockValue = Annotated[Lock, BeforeValidator(choice(*LOCKS))]
ObjectiveValue = Annotated[Objective, BeforeValidator(choice(*OBJECTIVES))]
StageList = Annotated[tuple[Stage, ...], BeforeValidator(choice_list(*STAGES))]
ChangeValue = Annotated[Change, BeforeValidator(choice(*CHANGES))]


def _sector(value: Any) -> str:
    """Known priority sectors are matched case-insensitively; other text is kept as typed."""
    text = to_text(value)
    return text.lower() if text.lower() in PRIORITY_SECTORS else text


Sector = Annotated[str, BeforeValidator(_sector)]


def fmt(kind: str, choices: tuple[str, ...] = ()) -> dict[str, Any]:
    """Column display metadata read by the template writer."""
    return {"format": kind, "choices": list(choices)}


def cross_field_error(field: str, message: str) -> PydanticCustomError:
    """An error between fields of one row, reported at the cell of `field`."""
    return PydanticCustomError("cross_field", message, {"field": field})


class Row(BaseModel):
    """Base of all row models: immutable, and unknown fields are a programming error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


FAILURE_TEXT = ("Chance the project never delivers within the plan (0 to below 1); its "
                "financing is committed and its budget cost counts all the same.")
MODE_TEXT = "Most likely extra lead time, months (triangular law from 0)."
MAX_TEXT = "Largest extra lead time, months (at least the mode; blank = the mode)."
RISK_OBJECTIVES = tuple(m.value for m in RiskObjective)
RiskObjectiveValue = Annotated[RiskObjective, BeforeValidator(choice(*RISK_OBJECTIVES))]


class Settings(Row):
    """The `Settings` sheet, read as one record from its setting/value pairs."""

    plan_start_year: Year = Field(
        description="Month 0 of the plan is 1 January of this year.", json_schema_extra=fmt("year")
    )
    total_budget_musd: NonNegative = Field(
        description="Cap on the total scored budget cost of all financing, in USD millions.",
        json_schema_extra=fmt("usd"),
    )
    objective: ObjectiveValue = Field(
        default=Objective.MAX_COVERAGE,
        description=(
            "max_coverage: cover as much weighted demand as possible, then spend as little as "
            "possible; min_cost: cover all demand at the lowest budget cost."
        ),
        json_schema_extra=fmt("choice", OBJECTIVES),
    )
    max_lead_time_months: NonNegativeInt | None = Field(
        default=None,
        description="Schedule limit: a project with a longer lead time cannot be selected. "
        "Blank = no limit.",
        json_schema_extra=fmt("int"),
    )
    max_public_share: Fraction = Field(
        default=1.0,
        description="Per project, public finance credited to its gap may not exceed this "
        "share of capex (0.5 = 50%).",
        json_schema_extra=fmt("share"),
    )
    mip_gap: Annotated[float, BeforeValidator(to_float)] = Field(
        default=0.0001,
        description="Relative optimality gap at which the solver may stop (0 = prove the exact "
        "optimum; Excel Solver's default is 0.01).",
        json_schema_extra=fmt("share"),
    )
    time_limit_s: Positive = Field(
        default=60.0,
        description="Solver time limit per solve, in seconds.",
        json_schema_extra=fmt("number"),
    )
    frontier_steps: PositiveInt = Field(
        default=15,
        description="Number of budget levels on the efficient frontier, evenly spaced from 0 "
        "up to the top level (15 steps up to 150% gives a level every 10% of the budget).",
        json_schema_extra=fmt("int"),
    )
    frontier_top_pct: Positive = Field(
        default=150.0,
        description="Highest budget level of the efficient frontier, in % of "
        "total_budget_musd (150 = one and a half times the budget).",
        json_schema_extra=fmt("pct"),
    )
    sensitivity_step_musd: Positive = Field(
        default=1.0,
        description="Amount, in USD millions, by which the sensitivity analysis raises each "
        "budget or pool capacity limit when it re-solves to measure what one more unit of "
        "that limit is worth.",
        json_schema_extra=fmt("usd"),
    )

    risk_samples: NonNegativeInt | None = Field(
        default=None,
        description="Schedule-risk samples (0 = no risk analysis); blank = 500 where a Risk "
        "sheet row or a risk cell on Projects is filled, else 0.",
        json_schema_extra=fmt("int"))
    risk_seed: NonNegativeInt = Field(
        default=1, description="Seed of the schedule-risk samples: the same seed gives the "
        "same samples on every machine.", json_schema_extra=fmt("int"))
    risk_objective: RiskObjectiveValue = Field(
        default=RiskObjective.PLAN,
        description="plan: optimise on the planned schedule, then evaluate under risk; "
        "expected: minimise the mean first objective over the samples.",
        json_schema_extra=fmt("choice", RISK_OBJECTIVES))

    @model_validator(mode="after")
    def _gap_in_range(self) -> Settings:
        if not 0 <= self.mip_gap < 1:
            raise cross_field_error(
                "mip_gap", f"must be at least 0 and less than 1, found {shown(self.mip_gap)}"
            )
        if self.risk_objective == RiskObjective.EXPECTED:
            if self.objective == Objective.MIN_COST:
                raise cross_field_error(
                    "risk_objective", "risk_objective = expected needs objective = "
                    "max_coverage: it averages max_coverage's first objective (weighted "
                    "shortfall and imports) over the samples; min_cost has none to average")
            if self.risk_samples == 0:
                raise cross_field_error(
                    "risk_objective", "risk_objective = expected with risk_samples = 0 has "
                    "no samples to average over; give risk_samples of 1 or more, or set "
                    "risk_objective to plan")
        return self


class Project(Row):
    """One candidate project (`Projects` sheet)."""

    project_id: Text = Field(description="Unique id, e.g. P01.", json_schema_extra=fmt("text"))
    name: Text | None = Field(
        default=None, description="Project name (defaults to the id).",
        json_schema_extra=fmt("text"),
    )
    country: Text = Field(
        description="Where the project is built, e.g. US, JP, AU.", json_schema_extra=fmt("text")
    )
    stage: StageValue = Field(
        description="Supply-chain stage.", json_schema_extra=fmt("choice", STAGES)
    )
    capex_musd: Positive = Field(
        description="Total capital cost, USD millions.", json_schema_extra=fmt("usd")
    )
    sponsor_equity_musd: NonNegative = Field(
        default=0.0,
        description="Private money already committed, USD millions (at most capex). The rest "
        "is the financing gap public pools must close.",
        json_schema_extra=fmt("usd"),
    )
    lead_time_months: NonNegativeInt = Field(
        description="Months from financial close to first production.",
        json_schema_extra=fmt("int"),
    )
    start_year: Year | None = Field(
        default=None,
        description="Year of financial close (defaults to plan_start_year).",
        json_schema_extra=fmt("year"),
    )
    lock: LockValue | None = Field(
        default=None,
        description="in: must be selected; out: must not be; blank: the optimiser decides.",
        json_schema_extra=fmt("choice", LOCKS),
    )
    requires: IdList = Field(
        default=(),
        description="Comma-separated project_ids this project cannot go ahead without.",
        json_schema_extra=fmt("text"),
    )
    exclusive_group: Text | None = Field(
        default=None,
        description="At most one project with the same group name may be selected "
        "(e.g. alternative sites).",
        json_schema_extra=fmt("text"),
    )
    failure_prob: Chance | None = Field(
        default=None, description=FAILURE_TEXT + " Blank = its stage's Risk row.",
        json_schema_extra=fmt("share"))
    delay_mode_months: NonNegative | None = Field(
        default=None, description=MODE_TEXT + " Blank = its stage's Risk row.",
        json_schema_extra=fmt("number"))
    delay_max_months: NonNegative | None = Field(
        default=None, description=MAX_TEXT + " Blank = its stage's Risk row.",
        json_schema_extra=fmt("number"))

    @model_validator(mode="after")
    def _equity_within_capex(self) -> Project:
        if self.sponsor_equity_musd > self.capex_musd:
            raise cross_field_error(
                "sponsor_equity_musd",
                f"sponsor equity {shown(self.sponsor_equity_musd)} exceeds capex "
                f"{shown(self.capex_musd)}; it must be between 0 and capex",
            )
        if self.project_id in self.requires:
            raise cross_field_error("requires", "a project cannot require itself")
        if self.delay_mode_months is not None and self.delay_max_months is not None and \
                self.delay_max_months < self.delay_mode_months:
            raise cross_field_error(
                "delay_max_months",
                f"{shown(self.delay_max_months)} is below delay_mode_months "
                f"{shown(self.delay_mode_months)}; the largest delay must be at least the most "
                "likely one")
        return self

    @property
    def risk_cells(self) -> bool:
        """Whether any of the three risk columns is filled on this row."""
        return any(v is not None for v in (self.failure_prob, self.delay_mode_months,
                                            self.delay_max_months))

    @property
    def label(self) -> str:
        """Name to show a reviewer (the id where no name was given)."""
        return self.name or self.project_id


class Offtake(Row):
    """What a project delivers to a sector once online (`Offtake` sheet)."""

    project_id: Text = Field(description="An existing project_id.", json_schema_extra=fmt("text"))
    sector: Sector = Field(
        description="Priority sector served: magnets, batteries, catalysts, optical, or "
        "another name used in Demand.",
        json_schema_extra=fmt("text", PRIORITY_SECTORS),
    )
    material: Text = Field(
        description="Material delivered, e.g. NdPr oxide; must match the Demand sheet's name.",
        json_schema_extra=fmt("text"),
    )
    volume_tpa: NonNegative = Field(
        description="Tonnes per year delivered to that sector once online.",
        json_schema_extra=fmt("tonnes"),
    )


class Demand(Row):
    """Demand to cover for one sector, material and year (`Demand` sheet)."""

    sector: Sector = Field(description="Priority sector.", json_schema_extra=fmt("text"))
    material: Text = Field(description="Material needed.", json_schema_extra=fmt("text"))
    year: Year = Field(description="Calendar year.", json_schema_extra=fmt("year"))
    demand_t: NonNegative = Field(
        description="Tonnes needed in that year.", json_schema_extra=fmt("tonnes")
    )
    weight: Positive = Field(
        default=1.0,
        description="Priority: penalty per tonne left uncovered (higher = cover first).",
        json_schema_extra=fmt("number"),
    )


class Pool(Row):
    """One funding pool: a program of one funder and one instrument (`Financing` sheet)."""

    pool_id: Text = Field(description="Unique id, e.g. US-LPO-loan.", json_schema_extra=fmt("text"))
    instrument: InstrumentValue = Field(
        description="grant, loan, guarantee or offtake.",
        json_schema_extra=fmt("choice", INSTRUMENTS),
    )
    funder: Text | None = Field(
        default=None, description="e.g. US DOE LPO, JBIC.", json_schema_extra=fmt("text")
    )
    country: Text | None = Field(
        default=None, description="The funder's country.", json_schema_extra=fmt("text")
    )
    capacity_musd: NonNegative = Field(
        description="Face value the pool can commit in total, USD millions.",
        json_schema_extra=fmt("usd"),
    )
    budget_cost_rate: Fraction = Field(
        description="Share of face value scored against the budget: grant 1; loan: credit "
        "subsidy rate; guarantee: expected loss; offtake: expected price support.",
        json_schema_extra=fmt("share"),
    )
    gap_credit: Annotated[float, BeforeValidator(to_float)] = Field(
        default=1.0,
        description="Share of face value that counts toward closing a project's gap "
        "(e.g. 0.5 for an offtake lenders half-count).",
        json_schema_extra=fmt("share"),
    )
    max_share_of_capex: Fraction = Field(
        default=1.0,
        description="Per project, this pool's face value may not exceed this share of capex.",
        json_schema_extra=fmt("share"),
    )
    min_ticket_musd: NonNegative = Field(
        default=0.0,
        description="If the pool backs a project, at least this face value, USD millions.",
        json_schema_extra=fmt("usd"),
    )
    eligible_countries: IdList = Field(
        default=(),
        description="Comma-separated project countries the pool may back; blank = any.",
        json_schema_extra=fmt("text"),
    )
    eligible_stages: StageList = Field(
        default=(),
        description="Comma-separated stages the pool may back; blank = any.",
        json_schema_extra=fmt("text"),
    )

    @model_validator(mode="after")
    def _gap_credit_range(self) -> Pool:
        if not 0 < self.gap_credit <= 1:
            raise cross_field_error(
                "gap_credit",
                f"must be greater than 0 and at most 1, found {shown(self.gap_credit)}",
            )
        return self


class ScheduleRow(Row):
    """Share of a project's budget cost disbursed in one year (`CapexSchedule` sheet)."""

    project_id: Text = Field(description="An existing project_id.", json_schema_extra=fmt("text"))
    year: Year = Field(
        description="Disbursement year (not before the project's start_year).",
        json_schema_extra=fmt("year"),
    )
    share: Fraction = Field(
        description="Share of the project's budget cost disbursed that year; a project's "
        "shares sum to 1.",
        json_schema_extra=fmt("share"),
    )


class BudgetRow(Row):
    """An annual cap on disbursed budget cost (`Budget` sheet)."""

    year: Year = Field(description="Calendar year.", json_schema_extra=fmt("year"))
    budget_musd: NonNegative = Field(
        description="Cap on the budget cost disbursed in that year, USD millions.",
        json_schema_extra=fmt("usd"),
    )


class InputRow(Row):
    """Feedstock a converter consumes at full output (`Inputs` sheet, v2 chains)."""

    project_id: Text = Field(description="An existing project_id.", json_schema_extra=fmt("text"))
    sector: Sector = Field(
        description="Sector of the commodity consumed (the chain it belongs to), e.g. magnets.",
        json_schema_extra=fmt("text", PRIORITY_SECTORS),
    )
    material: Text = Field(
        description="Material consumed, e.g. NdPr metal; matched to Offtake, Supply and "
        "Imports names ignoring case and spacing.",
        json_schema_extra=fmt("text"),
    )
    input_tpa: Positive = Field(
        description="Tonnes per year consumed at full output; outputs and inputs scale "
        "together with the plant's utilisation.",
        json_schema_extra=fmt("tonnes"),
    )


class SupplyRow(Row):
    """Allied supply from sources already operating (`Supply` sheet, v2 chains)."""

    sector: Sector = Field(description="Sector of the commodity.",
                           json_schema_extra=fmt("text", PRIORITY_SECTORS))
    material: Text = Field(description="Material supplied.", json_schema_extra=fmt("text"))
    year: Year = Field(description="Calendar year (within the plan).",
                       json_schema_extra=fmt("year"))
    supply_t: NonNegative = Field(
        description="Tonnes available that year from allied sources outside the pipeline, "
        "usable as feedstock or delivered to Demand.",
        json_schema_extra=fmt("tonnes"),
    )


class ImportRow(Row):
    """Non-allied feedstock converters may import (`Imports` sheet, v2 chains)."""

    sector: Sector = Field(description="Sector of the commodity.",
                           json_schema_extra=fmt("text", PRIORITY_SECTORS))
    material: Text = Field(description="Material imported.", json_schema_extra=fmt("text"))
    year: Year | None = Field(
        default=None,
        description="Calendar year; blank = every plan year (then the only row of its "
        "commodity).",
        json_schema_extra=fmt("year"),
    )
    max_t: NonNegative | None = Field(
        default=None,
        description="Tonnes converters may import that year; blank = unlimited, 0 = none.",
        json_schema_extra=fmt("tonnes"),
    )
    weight: NonNegative = Field(
        default=1.0,
        description="Penalty per tonne imported, in the units of Demand weights (the first "
        "objective adds weighted imports to weighted shortfall). Imports feed converters "
        "only, never Demand.",
        json_schema_extra=fmt("number"),
    )


class SettingRow(Row):
    """Column layout of the `Settings` sheet (its content is validated as `Settings`)."""

    setting: Text = Field(description="Setting name.", json_schema_extra=fmt("text"))
    value: Text = Field(description="Its value.", json_schema_extra=fmt("text"))


_VALUE_HINTS = {
    "budget_factor": "budget_factor multiplies the budget limit (0.8 = 20% less)",
    "demand_factor": "demand_factor multiplies demand (1.5 = 50% more)",
    "capacity_factor": "capacity_factor multiplies pool capacity (0.5 = half)",
    "lock": "lock takes in (must be selected), out (must not be) or free (the optimiser "
            "decides)",
    "delay_months": "delay_months is the number of months added to lead times",
    "max_lead_time_months": "max_lead_time_months is the schedule limit in months, or none "
                            "for no limit",
    "imports_factor": "imports_factor multiplies the Imports caps (0 = an export ban)",
    "country_budget_factor": "country_budget_factor multiplies a country's CountryBudgets "
                             "limits (0.8 = 20% less)",
}
_scenario_lock = choice(*SCENARIO_LOCKS)
_at_least_zero = bounded(ge=0)


def _number_or_text(value: Any) -> float | str:
    """A cell that may hold either: numbers (and numeric text) as floats, other text trimmed."""
    try:
        return to_float(value)
    except ValueError:
        return to_text(value)


def _scenario_value(change: str, value: Any) -> float | str:
    """The value of one scenario change, in the form that change needs."""
    if change in FACTOR_CHANGES:
        return _at_least_zero(to_float(value))
    if change == Change.LOCK:
        return _scenario_lock(value)
    if change == Change.MAX_LEAD_TIME_MONTHS and isinstance(value, str):
        text = value.strip()
        if text.lower() == NO_LIMIT:
            return NO_LIMIT
        if text not in FORMULA_ERRORS:
            try:
                float(text)
            except ValueError:
                raise ValueError(f"expected a whole number or none, found {shown(value)}"
                                 ) from None
    return float(_at_least_zero(to_int(value)))


class ScenarioRow(Row):
    """One change of a named what-if scenario (`Scenarios` sheet)."""

    scenario: Text = Field(
        description="Scenario name, e.g. Budget cut 20%. Rows with the same name (ignoring "
        "case) make up one scenario; 'base' is reserved for the base case.",
        json_schema_extra=fmt("text"),
    )
    change: ChangeValue = Field(
        description="What the row changes: budget_factor, demand_factor or capacity_factor "
        "multiply a budget, demand or pool capacity by value; lock sets a project's lock; "
        "delay_months adds value months to lead times; max_lead_time_months sets the schedule "
        "limit; imports_factor multiplies Imports caps (0 = an export ban; an unlimited import "
        "stays unlimited unless the value is 0); country_budget_factor multiplies a country's "
        "CountryBudgets limits.",
        json_schema_extra=fmt("choice", CHANGES),
    )
    target: Text | None = Field(
        default=None,
        description="What the change applies to. budget_factor: blank or all (total and annual "
        "budgets), total, or a year on the Budget sheet. demand_factor: blank or all, a sector "
        "or a material. capacity_factor: blank or all, or a pool_id. lock: a project_id. "
        "delay_months: blank or all, a stage, or a project_id. max_lead_time_months: blank. "
        "imports_factor: blank or all, a material or a sector/material on the Imports sheet. "
        "country_budget_factor: blank or all, or a country on the CountryBudgets sheet.",
        json_schema_extra=fmt("text"),
    )
    value: float | str = Field(
        description="The factor (0.8 = 20% less), in/out/free for lock, months for "
        "delay_months, months or none for max_lead_time_months.",
        json_schema_extra=fmt("general"),
    )

    @field_validator("scenario")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name.casefold() == BASE_SCENARIO:
            raise ValueError(f"the name '{name}' is reserved for the base case; choose another "
                             "name")
        return name

    @field_validator("value", mode="before")
    @classmethod
    def _value_for_change(cls, value: Any, info: ValidationInfo) -> float | str:
        change = info.data.get("change")
        if change not in _VALUE_HINTS:
            return _number_or_text(value)  # the change itself is reported as wrong
        try:
            return _scenario_value(change, value)
        except ValueError as exc:
            raise ValueError(f"{exc}; {_VALUE_HINTS[change]}") from None

    @model_validator(mode="after")
    def _target_fits_change(self) -> ScenarioRow:
        if self.change == Change.LOCK and self.target is None:
            raise cross_field_error("target", "lock needs the project_id to lock; the cell is "
                                              "blank")
        if self.change == Change.MAX_LEAD_TIME_MONTHS and self.target is not None:
            raise cross_field_error(
                "target", "max_lead_time_months applies to every project, so target must be "
                f"blank; found {shown(self.target)}")
        if (self.change == Change.BUDGET_FACTOR and not self.everything
                and self.target is not None and self.target.casefold() != TOTAL
                and not self.target.isdigit()):
            raise cross_field_error(
                "target", "for budget_factor, expected blank, all, total or a year on the "
                f"Budget sheet; found {shown(self.target)}")
        return self

    @property
    def everything(self) -> bool:
        """Whether the change reaches everything it can: target blank or `all`."""
        return self.target is None or self.target.casefold() == ALL
