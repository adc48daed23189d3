"""Clean plans: among plans of equal weighted shortfall and cost, the report's plan moves
as little between allies as it can (explain.clean_plan), in both objective modes, for
linear and whole-unit models, with HiGHS and CBC."""

from __future__ import annotations

import itertools

import openpyxl
import pytest

from optimizer.reports.tables import write_report
from tests.alliances import sheets, solve

ALLIES = ["A", "B", "C", "D"]
TRANSFERS = "rules.allow_transfers=true"


def free_routes(whole_units: bool = False) -> dict:
    """Four allies with free routes between every pair and no production: only B is
    short (100 needed in P1 and P3, 70 in stock), and only A has stock to spare (100
    against 70), so the one movement needed is 30 from A to B. Every other plan that
    also moves stock round the ring is optimal too (the routes are free)."""
    routes = [[giver, taker, 0, None, 0] for giver, taker in itertools.permutations(ALLIES, 2)]
    return sheets(
        periods=["P1", "P2", "P3"], allies=[[ally] for ally in ALLIES],
        items=[["I", "interceptor", "missiles", whole_units, 1, 1e6, 0]],
        production=[["L", "A", "I", 0, 10, 0]],
        requirements=[["A", "I", "P1", 70], ["B", "I", "P1", 100], ["C", "I", "P2", 50],
                      ["D", "I", "P3", 20], ["A", "I", "P3", 70], ["B", "I", "P3", 100]],
        Stocks=[["A", "I", 100], ["B", "I", 70], ["C", "I", 50], ["D", "I", 20]],
        Transport=routes)


CASES = [pytest.param(whole, mode, solver, id=f"{'MILP' if whole else 'LP'}-{mode}-{solver}")
         for whole in (False, True) for mode in ("lexicographic", "weighted")
         for solver in ("highs", "cbc")]


@pytest.mark.parametrize(("whole_units", "mode", "solver"), CASES)
def test_the_plan_moves_only_the_30_units_it_needs(tmp_path, whole_units, mode, solver):
    settings = (TRANSFERS, f"objective.mode={mode}", f"solver.name={solver}")
    result = solve(tmp_path, free_routes(whole_units), *settings)
    assert result.status == "optimal"
    assert result.verification.passed
    transfers = result.plan.transfers
    assert transfers[["from", "to", "period"]].values.tolist() == [["A", "B", "P1"]]
    assert transfers["quantity"].sum() == pytest.approx(30, abs=1e-6)
    assert result.plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    # The plan is as good as the one first found: cleaning costs nothing.
    first = solve(tmp_path, free_routes(whole_units), *settings, "explain.clean_plan=false")
    assert first.plan.total_cost == pytest.approx(result.plan.total_cost, abs=1e-6)
    assert first.plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert result.summary()["movements"].startswith(
        "moves 30 units between allies: the least any plan of equal cost and shortfall "
        "can")


def test_no_ally_gives_and_receives_the_same_item(tmp_path):
    result = solve(tmp_path, free_routes(), TRANSFERS)
    transfers = result.plan.transfers
    assert not set(transfers["from"]) & set(transfers["to"])


def test_the_summary_sheet_says_what_the_plan_moves(tmp_path):
    result = solve(tmp_path, free_routes(True), TRANSFERS)
    path = write_report(result, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(path)["Summary"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert rows["movements"][0].startswith("moves 30 units between allies")
    assert "explain.clean_plan" in rows["movements"][1]


def test_a_plan_without_transfers_has_no_movements_row(tmp_path):
    result = solve(tmp_path, free_routes())
    assert result.plan.transfers.empty
    assert "movements" not in result.summary()


def test_the_tie_break_still_splits_gaps_evenly_after_cleaning(tmp_path):
    """A and B, 100 short each, share a line of 100 and free routes: the tie-break
    leaves each half its gap open, and no stock moves between them."""
    workbook = sheets(
        periods=["P1"], allies=[["A"], ["B"]],
        items=[["I", "shell", "rounds", False, 1, 1000, 0]],
        production=[["L", "A", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 100]],
        Transport=[["A", "B", 0, None, 0], ["B", "A", 0, None, 0]])
    result = solve(tmp_path, workbook, TRANSFERS)
    readiness = result.plan.readiness.set_index("ally")["shortfall"]
    assert readiness["A"] == pytest.approx(50) and readiness["B"] == pytest.approx(50)
    assert result.plan.transfers.empty
