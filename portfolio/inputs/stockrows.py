"""Row models of the v2 stockpile and government sheets: Stockpiles, CountryBudgets, CostShare.

Kept beside `portfolio.inputs.rows` (same base, same field helpers) so that each module stays
one screenful of the contract; field order is the template's column order and descriptions
are the Guide's text.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from portfolio.inputs.fields import Fraction, NonNegative, Positive, Text, Year, bounded, to_float
from portfolio.inputs.rows import PRIORITY_SECTORS, Row, Sector, cross_field_error, fmt
from portfolio.workbook.values import shown

Percent = Annotated[float, BeforeValidator(to_float), AfterValidator(bounded(ge=0, le=100))]


def country_key(country: str) -> str:
    """A country as a key, ignoring case and spacing.

    Financing, Stockpiles, CountryBudgets and CostShare rows match on it.
    """
    return " ".join(country.split()).casefold()


class StockpileRow(Row):
    """A strategic stock held and paid for by one government (`Stockpiles` sheet)."""

    stockpile_id: Text = Field(description="Unique id, e.g. US-DLA-NdPr.",
                               json_schema_extra=fmt("text"))
    country: Text = Field(
        description="The government that holds and pays for it; its costs count toward that "
        "country's CountryBudgets and CostShare rows (matched ignoring case).",
        json_schema_extra=fmt("text"))
    sector: Sector = Field(description="Sector of the commodity held.",
                           json_schema_extra=fmt("text", PRIORITY_SECTORS))
    material: Text = Field(
        description="Material held, e.g. NdPr oxide; released tonnes join that commodity's "
        "allied supply (they may feed converters or go to Demand).",
        json_schema_extra=fmt("text"))
    price_usd_per_kg: Positive = Field(
        description="Purchase price, USD per kg: one tonne costs price / 1000 USD m.",
        json_schema_extra=fmt("number"))
    initial_t: NonNegative = Field(
        default=0.0, description="Stock held on 1 January of plan_start_year, tonnes.",
        json_schema_extra=fmt("tonnes"))
    max_stock_t: NonNegative = Field(
        description="Most stock it may hold at any year end, tonnes: the initial stock plus "
        "everything bought to date (a release does not make room to buy more).",
        json_schema_extra=fmt("tonnes"))
    buy_until_year: Year | None = Field(
        default=None,
        description="Last year in which stock may be bought (not before plan_start_year); "
        "blank = plan_start_year only.",
        json_schema_extra=fmt("year"))
    max_release_tpa: NonNegative | None = Field(
        default=None, description="Most it may release in one year, tonnes; blank = unlimited.",
        json_schema_extra=fmt("tonnes"))
    holding_cost_pct: Percent = Field(
        default=0.0,
        description="Yearly interest and storage, in % (2.5 = 2.5%) of the purchase value of "
        "the stock bought to date (charged while it is held ready, released or not).",
        json_schema_extra=fmt("pct"))

    @model_validator(mode="after")
    def _limits(self) -> StockpileRow:
        if self.max_stock_t < self.initial_t:
            raise cross_field_error(
                "max_stock_t", f"{shown(self.max_stock_t)} t is below initial_t "
                f"{shown(self.initial_t)} t; the cap must hold at least the stock already held "
                "on 1 January of plan_start_year")
        return self


class CountryBudgetRow(Row):
    """A cap on one government's budget cost, in total or in one year (`CountryBudgets`)."""

    country: Text = Field(
        description="The government, e.g. US or JP: its pools (Financing rows of that country) "
        "and its stockpiles count, matched ignoring case.",
        json_schema_extra=fmt("text"))
    year: Year | None = Field(
        default=None,
        description="Calendar year (cost disbursed in that year, as on the Budget sheet); "
        "blank = the whole plan.",
        json_schema_extra=fmt("year"))
    budget_musd: NonNegative = Field(
        description="Cap on that country's budget cost, USD millions.",
        json_schema_extra=fmt("usd"))


class CostShareRow(Row):
    """One government's agreed share of the portfolio's total budget cost (`CostShare`)."""

    country: Text = Field(description="The government, as on Financing and CountryBudgets.",
                          json_schema_extra=fmt("text"))
    min_share: Fraction = Field(
        default=0.0, description="Least share of the total budget cost it pays (0.3 = 30%).",
        json_schema_extra=fmt("share"))
    max_share: Fraction = Field(
        default=1.0, description="Largest share of the total budget cost it pays.",
        json_schema_extra=fmt("share"))

    @model_validator(mode="after")
    def _ordered(self) -> CostShareRow:
        if self.min_share > self.max_share:
            raise cross_field_error(
                "max_share", f"{shown(self.max_share)} is below min_share "
                f"{shown(self.min_share)}; no share of the total budget cost is at least "
                f"{shown(self.min_share)} and at most {shown(self.max_share)}")
        return self
