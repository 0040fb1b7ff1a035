"""How far each limit's marginal value holds: the allowable increase and decrease.

The ranges come from HiGHS's ranging of the fixed-selection LP. They are checked against
figures worked out by hand, and against re-solves of that LP with the limit moved
(`fixed_selection_lp` with a step, positive or negative): inside the range the least
budget cost moves by exactly dual x change, just past it it does not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio.analysis import sensitivity as module
from portfolio.analysis.figures import Figures
from portfolio.analysis.sensitivity import (
    Allowable,
    Limit,
    Marginal,
    fixed_selection_lp,
    limits,
    sensitivity,
)
from portfolio.model.outcomes import SolverOptions
from tests.analysis.test_analysis import solved, two_pools, with_setting
from tests.helpers import pool

OPTIONS = SolverOptions(gap=0)


def three_pools() -> dict[str, Any]:
    """A alone (gap 60) covers the demand; loans L (rate 0.1, 40) and M (0.5, 30), grant G.

    By hand: L 40 (cost 4) + M 20 (cost 10) = 14, M has 10 USD m left, G is not used.
    The least cost against L's capacity c (M and G as they are) is
      c in [30, 60]: 0.1 c + 0.5 (60 - c)          = 30 - 0.4 c   (M fills the rest)
      c in [ 0, 30]: 0.1 c + 0.5 * 30 + (30 - c)   = 45 - 0.9 c   (M full, the grant pays)
      c >= 60:       6                                            (L's share cap: 60)
    so L's dual is -0.4 and holds from c = 30 to c = 60: allowable increase 20, allowable
    decrease 10. M can fall by its 10 unused before it binds (then the grant pays, at 1).
    """
    data = two_pools()  # A, gap 60; L (0.1, 40) and the grant G
    data["Financing"].insert(1, pool("M", instrument="loan", capacity_musd=30,
                                     budget_cost_rate=0.5))
    return data


def lp_change(base: Figures, found: list[Limit], key: str, move: float) -> float | None:
    """The fixed-selection LP's change in least cost with limit `key` moved by `move`."""
    result = fixed_selection_lp(base, found, move, OPTIONS)
    assert result is not None
    return result[1][[limit.key for limit in found].index(key)]


def by_key(base: Figures) -> tuple[list[Limit], dict[str, tuple[float, Allowable | None]]]:
    found = limits(base)
    result = fixed_selection_lp(base, found, 1.0, OPTIONS)
    assert result is not None
    duals, _, ranges = result
    return found, {limit.key: (dual, allowable)
                   for limit, dual, allowable in zip(found, duals, ranges, strict=True)}


def test_a_full_cheap_pool_s_range_by_hand(tmp_path: Path) -> None:
    base = solved(tmp_path, three_pools())
    assert base.total_cost == pytest.approx(14)
    found, rows = by_key(base)
    dual, allowable = rows["L"]
    assert dual == pytest.approx(-0.4)
    assert allowable is not None
    assert allowable.increase_musd == pytest.approx(20)
    assert allowable.decrease_musd == pytest.approx(10)
    # The ends of the range by hand: c = 60 costs 6 (-8), c = 30 costs 18 (+4); just past
    # them c = 60.5 still costs 6 (not 5.8) and c = 29.5 costs 18.45 (not 18.2).
    assert lp_change(base, found, "L", 20) == pytest.approx(-8, abs=1e-9)
    assert lp_change(base, found, "L", -10) == pytest.approx(4, abs=1e-9)
    assert lp_change(base, found, "L", 20.5) == pytest.approx(-8, abs=1e-9)
    assert lp_change(base, found, "L", -10.5) == pytest.approx(4.45, abs=1e-9)


def test_limits_with_room_left_hold_a_zero_value_down_to_their_slack(tmp_path: Path) -> None:
    base = solved(tmp_path, three_pools())
    found, rows = by_key(base)
    for key, slack in [("M", 10), ("G", 1000), ("total", 86)]:
        dual, allowable = rows[key]
        assert dual == 0
        assert allowable is not None and allowable.increase_musd is None
        assert allowable.decrease_musd == pytest.approx(slack)
        assert next(m for m in found if m.key == key).slack_musd == pytest.approx(slack)
    # Falling by its slack costs nothing; half a USD m more and the grant pays for it.
    assert lp_change(base, found, "M", -10) == 0
    assert lp_change(base, found, "M", -10.5) == pytest.approx(0.25, abs=1e-9)  # 0.5 x (1-0.5)
    assert lp_change(base, found, "M", 500) == 0


def test_sensitivity_carries_the_range_into_the_marginals_and_their_words(
        tmp_path: Path) -> None:
    base = solved(tmp_path, three_pools())
    rows = {m.limit.key: m for m in sensitivity(base, OPTIONS)}
    loan, other, grant = rows["L"], rows["M"], rows["G"]
    assert loan.allowable_increase_musd == pytest.approx(20)
    assert loan.allowable_decrease_musd == pytest.approx(10)
    assert other.allowable_increase_musd is None and grant.allowable_increase_musd is None
    assert other.allowable_decrease_musd == pytest.approx(10)
    words = loan.meaning("max_coverage")
    assert "lowers the budget cost by 0.4 USD m at the margin" in words
    assert "This marginal value holds for up to 20.00 USD m more and up to 10.00 USD m less " \
           "of it." in words
    assert "no increase of it changes anything; it could fall by 10.00 USD m before it " \
           "binds." in other.meaning("max_coverage")
    assert "could fall by 1,000.00 USD m before it binds" in grant.meaning("max_coverage")


def test_a_step_past_the_range_is_told_apart_from_the_margin(tmp_path: Path) -> None:
    # A 25 USD m step goes 5 past L's allowable increase of 20: it saves 8, not 10.
    base = solved(tmp_path, with_setting(three_pools(), sensitivity_step_musd=25))
    loan = next(m for m in sensitivity(base, OPTIONS) if m.limit.key == "L")
    assert loan.lp_step_change == pytest.approx(-8)
    assert loan.allowable_increase_musd == pytest.approx(20)
    assert "at the margin (financing moves to a cheaper pool); the whole 25 USD m step saves " \
           "8 USD m. This marginal value holds for up to 20.00 USD m more and up to 10.00 " \
           "USD m less of it." in loan.meaning("max_coverage")


def test_the_range_in_words_at_its_edges(tmp_path: Path) -> None:
    base = solved(tmp_path, three_pools())
    rows = {m.limit.key: m for m in sensitivity(base, OPTIONS)}
    loan, other = rows["L"], rows["M"]

    def words(m: Marginal, allowable: Allowable | None) -> str:
        return replace(m, allowable=allowable).meaning("max_coverage")

    assert "holds for any increase and up to 5.00 USD m less of it." in \
        words(loan, Allowable(None, 5))
    assert "holds only for up to 3.00 USD m more of it." in words(loan, Allowable(3, 0))
    assert "holds at the margin only." in words(loan, Allowable(0, 0))
    unknown = words(loan, None)
    assert "holds" not in unknown and "lowers the budget cost by 0.4 USD m" in unknown
    assert replace(loan, allowable=None).allowable_increase_musd is None
    assert "one more USD m of it changes nothing." in words(other, None)
    assert "no increase of it changes anything." in words(other, Allowable(None, 0))
    used_up = replace(other, limit=replace(other.limit, used_musd=other.limit.limit_musd))
    assert "could fall by 2.00 USD m at no extra budget cost." in \
        words(used_up, Allowable(None, 2))


def test_no_ranging_gives_no_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = solved(tmp_path, three_pools())
    monkeypatch.setattr(module, "upper_ranges", lambda prob, rows: None)
    found = limits(base)
    result = fixed_selection_lp(base, found, 1.0, OPTIONS)
    assert result is not None
    duals, _, ranges = result
    assert ranges == [None] * len(found)
    assert min(duals) == pytest.approx(-0.4)  # the duals do not depend on the ranging


def test_a_zero_dual_holds_for_any_increase_whatever_the_basis_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # HiGHS ranges a degenerate row (used up, dual 0) by its basis, which may end the range
    # above; but the least cost is convex and never rises with a limit, so a zero dual
    # holds for any increase. Stubbed: every row said to hold from rhs - 3 to rhs + 5.
    base = solved(tmp_path, three_pools())
    monkeypatch.setattr(module, "upper_ranges", lambda prob, rows: [
        (-row.constant - 3, -row.constant + 5) for row in rows])
    found = limits(base)
    result = fixed_selection_lp(base, found, 1.0, OPTIONS)
    assert result is not None
    ranges = dict(zip([limit.key for limit in found], result[2], strict=True))
    assert ranges["L"] == Allowable(5, 3)
    assert ranges["M"] == ranges["G"] == ranges["total"] == Allowable(None, 3)


def test_a_pool_no_project_can_use_keeps_its_value_down_to_nothing(tmp_path: Path) -> None:
    data = three_pools()
    data["Financing"].append(pool("X", capacity_musd=7, eligible_countries="BR"))
    base = solved(tmp_path, data)
    _, rows = by_key(base)
    assert rows["X"] == (0.0, Allowable(None, 7))


def test_ranges_on_30_synthetic_projects_hold_inside_and_break_just_past(
        tmp_path: Path) -> None:
    # Pools cut to a tenth so that cheap ones fill up and limits with a non-zero dual occur.
    data = with_setting(synthetic(30, 2), mip_gap=0)
    for row in data["Financing"]:
        row["capacity_musd"] *= 0.1
    base = solved(tmp_path, data)
    found, rows = by_key(base)
    priced = [limit for limit in found if rows[limit.key][0] < -1e-9]
    assert priced, "no limit with a marginal value: the test would check nothing"
    for limit in found:
        dual, allowable = rows[limit.key]
        assert allowable is not None
        if limit not in priced:
            assert allowable.increase_musd is None
            assert allowable.decrease_musd == pytest.approx(limit.slack_musd, abs=1e-6)
            continue
        up, down = allowable.increase_musd, allowable.decrease_musd
        assert up is not None and up > 0 and down is not None and down > 0
        for move in (0.5 * up, -0.5 * down, up, -down):
            change = lp_change(base, found, limit.key, move)
            assert change == pytest.approx(dual * move, rel=1e-7, abs=1e-9), (limit.key, move)
        for move in (up + max(0.5, 0.01 * up), -(down + max(0.5, 0.01 * down))):
            change = lp_change(base, found, limit.key, move)
            predicted = dual * move
            assert change is None or abs(change - predicted) > 1e-6 * max(1, abs(predicted)), \
                (limit.key, move, change, predicted)
