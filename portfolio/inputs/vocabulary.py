"""The contract's vocabulary: every word a cell may hold where the contract lists the choices.

Each StrEnum member equals its text ("in" == Lock.IN), so rows read from a workbook and
members compare alike; code compares against members, never against bare strings.
"""

from __future__ import annotations

from enum import StrEnum


class Objective(StrEnum):
    """Settings `objective`."""

    MAX_COVERAGE = "max_coverage"
    MIN_COST = "min_cost"


class Lock(StrEnum):
    """Projects `lock` (blank: the optimiser decides)."""

    IN = "in"
    OUT = "out"


class ScenarioLock(StrEnum):
    """The value of a Scenarios `lock` change: a lock, or `free` to lift one."""

    IN = "in"
    OUT = "out"
    FREE = "free"


class RiskObjective(StrEnum):
    """Settings `risk_objective`: optimise on the planned schedule, or the sample average."""

    PLAN = "plan"
    EXPECTED = "expected"


class Stage(StrEnum):
    """Projects `stage`: the supply-chain step a project performs."""

    MINING = "mining"
    SEPARATION = "separation"
    REFINING = "refining"
    METAL_ALLOY = "metal_alloy"
    MAGNET = "magnet"
    RECYCLING = "recycling"


class Instrument(StrEnum):
    """Financing `instrument`: how a pool's face value costs the budget."""

    GRANT = "grant"
    LOAN = "loan"
    GUARANTEE = "guarantee"
    OFFTAKE = "offtake"


class Sector(StrEnum):
    """The framework's priority sectors (other sector names are kept as typed)."""

    MAGNETS = "magnets"
    BATTERIES = "batteries"
    CATALYSTS = "catalysts"
    OPTICAL = "optical"


class Change(StrEnum):
    """Scenarios `change`: what a scenario row changes."""

    BUDGET_FACTOR = "budget_factor"
    DEMAND_FACTOR = "demand_factor"
    CAPACITY_FACTOR = "capacity_factor"
    LOCK = "lock"
    DELAY_MONTHS = "delay_months"
    MAX_LEAD_TIME_MONTHS = "max_lead_time_months"
    IMPORTS_FACTOR = "imports_factor"
    COUNTRY_BUDGET_FACTOR = "country_budget_factor"


FACTOR_CHANGES = (Change.BUDGET_FACTOR, Change.DEMAND_FACTOR, Change.CAPACITY_FACTOR,
                  Change.IMPORTS_FACTOR, Change.COUNTRY_BUDGET_FACTOR)


class Target(StrEnum):
    """Reserved words of Scenarios `target` and `value`."""

    ALL = "all"
    TOTAL = "total"
    NO_LIMIT = "none"
    BASE = "base"
