"""Row model of the v2 risk sheet (`Risk`) and the resolved risk terms of a project.

Kept beside `portfolio.inputs.rows` (same base, same field helpers); field order is the
template's column order and descriptions are the Guide's text. The same three columns may
be filled on Projects, overriding the stage's row (`Case.risk_terms`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from portfolio.inputs.fields import Chance, NonNegative
from portfolio.inputs.rows import (
    FAILURE_TEXT,
    MAX_TEXT,
    MODE_TEXT,
    STAGES,
    Row,
    StageValue,
    cross_field_error,
    fmt,
)
from portfolio.workbook.values import shown


@dataclass(frozen=True)
class RiskTerms:
    """A project's resolved risk: failure chance and triangular delay (0, mode, max)."""

    failure_prob: float = 0.0
    delay_mode_months: float = 0.0
    delay_max_months: float = 0.0


class RiskRow(Row):
    """Schedule and delivery risk of one stage (`Risk` sheet)."""

    stage: StageValue = Field(description="A Projects stage; one row per stage.",
                              json_schema_extra=fmt("choice", STAGES))
    failure_prob: Chance = Field(default=0.0, description=FAILURE_TEXT,
                                      json_schema_extra=fmt("share"))
    delay_mode_months: NonNegative = Field(default=0.0, description=MODE_TEXT,
                                           json_schema_extra=fmt("number"))
    delay_max_months: NonNegative | None = Field(default=None, description=MAX_TEXT,
                                                 json_schema_extra=fmt("number"))

    @model_validator(mode="after")
    def _max_not_below_mode(self) -> RiskRow:
        if self.delay_max_months is not None and self.delay_max_months < self.delay_mode_months:
            raise cross_field_error(
                "delay_max_months",
                f"{shown(self.delay_max_months)} is below delay_mode_months "
                f"{shown(self.delay_mode_months)}; the largest delay must be at least the most "
                "likely one")
        return self
