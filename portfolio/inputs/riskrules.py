"""Rules across the risk inputs: the Risk sheet, the Projects risk columns and Settings.

The row models check each value (failure_prob of 1 or more, a delay_max_months below the
mode on one row, risk_objective = expected with risk_samples = 0 or with min_cost). These
check what only the rows together say: a stage named twice, a project whose resolved delay
law has its largest delay below its mode (one value from its own cell, the other from its
stage's row), and risk_objective = expected where no risk data gives the samples a default;
and, as warnings, a Risk row for a stage no project has and very many samples.
"""

from __future__ import annotations

from collections.abc import Sequence

from portfolio.errors import Issue
from portfolio.inputs.riskrows import RiskRow
from portfolio.inputs.rows import Project, Settings
from portfolio.inputs.stockrules import Located
from portfolio.inputs.vocabulary import RiskObjective
from portfolio.workbook.read import Table, is_blank
from portfolio.workbook.values import shown

#: The Projects columns that override a stage's Risk row.
RISK_COLUMNS = ("failure_prob", "delay_mode_months", "delay_max_months")
#: More samples than this draw a warning: the evaluation then takes minutes.
MANY_SAMPLES = 20_000


def risk_data(risk_table: Table | None, projects_table: Table | None) -> bool:
    """Whether the workbook gives risk data: a Risk row, or a risk cell filled on Projects.

    Read from the raw cells, so a row with a problem of its own still counts: a Risk row
    whose failure_prob is 1 is reported once, not also as "no risk data". An empty risk
    column alone is no risk data.
    """
    if risk_table is not None and risk_table.rows:
        return True
    return projects_table is not None and any(
        not is_blank(record.get(name)) for _, record in projects_table.rows
        for name in RISK_COLUMNS)


def risk_issues(risks: Sequence[Located[RiskRow]], projects: Sequence[Located[Project]],
                settings: Settings | None, settings_table: Table | None,
                used: bool) -> list[Issue]:
    """Every cross-row problem of the risk inputs, in sheet order.

    `used` says whether risk data is given (`risk_data`): without it risk_samples defaults
    to 0, which risk_objective = expected cannot average over.
    """
    issues: list[Issue] = []
    first: dict[str, str] = {}
    by_stage: dict[str, RiskRow] = {}
    for table, row, risk in risks:
        stage = str(risk.stage)
        if stage in first:
            issues.append(Issue(table.ref("stage", row),
                                f"stage '{stage}' has a Risk row already (at {first[stage]}); "
                                "give one row per stage"))
            continue
        first[stage] = table.ref("stage", row)
        by_stage[stage] = risk
    for table, row, project in projects:
        issues += _resolved(table, row, project, by_stage.get(str(project.stage)))
    if settings is not None and settings.risk_objective == RiskObjective.EXPECTED and \
            settings.risk_samples is None and not used:
        issues.append(Issue(_setting_cell(settings_table, "risk_objective"),
                            "risk_objective = expected, but no Risk row and no risk cell on "
                            "Projects is filled, so risk_samples defaults to 0 and there is "
                            "nothing to average over; add a Risk sheet or set risk_objective "
                            "to plan"))
    return issues


def _resolved(table: Table, row: int, project: Project, stage: RiskRow | None) -> list[Issue]:
    """A delay law that only its two sources together make wrong (max below mode)."""
    mode, top = project.delay_mode_months, project.delay_max_months
    if (mode is None) == (top is None) or stage is None:
        return []  # both on the row (the row model checks them) or both from the stage
    if mode is not None:
        stage_top = stage.delay_max_months  # blank: the max is the project's own mode
        if stage_top is not None and stage_top < mode:
            return [Issue(table.ref("delay_mode_months", row),
                          f"delay_mode_months {shown(mode)} is above the delay_max_months "
                          f"{shown(stage_top)} of the '{project.stage}' Risk row; give "
                          "delay_max_months on this row too")]
        return []
    assert top is not None
    if top < stage.delay_mode_months:
        return [Issue(table.ref("delay_max_months", row),
                      f"delay_max_months {shown(top)} is below the delay_mode_months "
                      f"{shown(stage.delay_mode_months)} of the '{project.stage}' Risk row; "
                      "give delay_mode_months on this row too")]
    return []


def risk_warnings(risks: Sequence[Located[RiskRow]], projects: Sequence[Located[Project]],
                  settings: Settings | None, settings_table: Table | None) -> list[str]:
    """Risk rows for stages no project has; a sample count that makes the run slow."""
    out = []
    stages = {str(p.stage) for _, _, p in projects}
    for table, row, risk in risks:
        if str(risk.stage) not in stages:
            out.append(f"{table.ref('stage', row)}: no project has stage '{risk.stage}'; its "
                       "Risk row is not used")
    if settings is not None and (settings.risk_samples or 0) > MANY_SAMPLES:
        out.append(f"{_setting_cell(settings_table, 'risk_samples')}: risk_samples is "
                   f"{settings.risk_samples:,}; evaluating that many samples takes a while "
                   "(500 usually settle the figures to a few per cent)")
    return out


def _setting_cell(table: Table | None, name: str) -> str:
    """The value cell of a setting (the sheet's A1 where it is not found)."""
    if table is None:
        return "Settings!A1"
    for row, record in table.rows:
        if str(record.get("setting") or "").strip().lower() == name:
            return table.ref("value", row)
    return f"{table.sheet}!A1"
