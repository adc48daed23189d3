"""Alternative optima: the neutral tie-break chooses among plans of equal cost and
shortfall, and the report says whether such plans exist; worked out by hand."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer.reports.tables import write_report
from tests.alliances import quantity, sheets, solve

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]  # priority 1, penalty 1000 a unit


def short_line(**extra) -> dict:
    """A (gap 100) and B (gap 50) share one line of 90 at 10 a unit: every plan that
    uses the 90 units costs 900 and leaves 60 open, however it splits them. Leaving the
    smallest largest share open splits the shortfall in proportion to the gaps:
    u_A / 100 = u_B / 50 = 60 / 150 = 0.4, so A gets 60 units and B 30."""
    return sheets(periods=["P1"], allies=[["A"], ["B"]], items=ONE_ITEM,
                  production=[["L", "H", "I", 90, 10, 0]],
                  requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 50]], **extra)


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_a_shortfall_that_may_fall_on_either_ally_is_split_in_proportion_to_the_gaps(
        tmp_path, mode):
    result = solve(tmp_path, short_line(), f"objective.mode={mode}")
    assert result.status == "optimal"
    assert quantity(result, ally="A") == pytest.approx(60, abs=1e-6)
    assert quantity(result, ally="B") == pytest.approx(30, abs=1e-6)
    assert result.plan.total_cost == pytest.approx(900)
    assert result.tie_break.largest_open_share["I"] == pytest.approx(0.4)
    # A vertex of the optimal face (what a solver returns first) leaves one ally at a
    # bound, never 40 % each: the tie-break has found a second optimal plan.
    assert result.summary()["equal_cost_plans"] == "yes: a different split between allies"


def test_a_unique_optimum_is_reported_as_such(tmp_path):
    """A needs 50 from a line of 100: ordering exactly 50 is the only optimal plan."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 50]]))
    assert quantity(result, ally="A") == pytest.approx(50)
    assert result.summary()["equal_cost_plans"] == "none found"
    assert result.summary()["tie_break"] == (
        "no other plan of equal cost and shortfall was found")


def test_the_tie_break_keeps_whole_unit_decisions_and_the_optimum(tmp_path):
    """Whole units (a MILP): the tie-break works on the LP with the integers fixed, so
    the MILP's optimum (cost and shortfall) is kept exactly."""
    items = [["I", "item", "units", True, 1, 1000, 0]]
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"], ["B"]], items=items,
        production=[["L", "H", "I", 90, 10, 0]],
        requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 50]]))
    assert result.status == "optimal"
    assert result.plan.total_cost == pytest.approx(900)
    assert result.plan.weighted_shortfall == pytest.approx(60)
    assert result.verification.passed
    orders = result.plan.orders["quantity"]
    assert (orders == orders.round()).all()


def test_the_tie_break_can_be_turned_off(tmp_path):
    result = solve(tmp_path, short_line(), "explain.tie_break=false")
    assert result.tie_break is None
    assert "equal_cost_plans" not in result.summary()
    # Still one of the optimal plans: 90 units, 60 left open.
    assert quantity(result) == pytest.approx(90)


def test_cbc_through_pulp_applies_the_same_tie_break(tmp_path):
    """CBC gets phase 2's bound row W ≤ W*·(1 + 1e-6) + 1e-6 (SPEC §4's tolerance) and
    may spend that slack: the split agrees to about the tolerance."""
    result = solve(tmp_path, short_line(), "solver.name=cbc")
    assert result.status == "optimal"
    assert quantity(result, ally="A") == pytest.approx(60, rel=1e-5)
    assert quantity(result, ally="B") == pytest.approx(30, rel=1e-5)
    assert result.summary()["equal_cost_plans"] == "yes: a different split between allies"


def test_the_summary_sheet_says_other_plans_of_equal_cost_exist(tmp_path):
    result = solve(tmp_path, short_line())
    report = write_report(result, tmp_path / "report.xlsx")
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(report)["Summary"].iter_rows(
        min_row=2, values_only=True)}
    assert summary["equal_cost_plans"] == "yes: a different split between allies"
    assert "smallest possible largest share of any ally's gap open" in summary["tie_break"]


def test_the_same_input_gives_the_same_tie_broken_plan(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = solve(tmp_path / "one", short_line())
    second = solve(tmp_path / "two", short_line())
    assert first.plan.orders.equals(second.plan.orders)
