"""The Advice sheet: each figure checked against a re-solve with the limit moved."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer.report import write_report
from tests.alliances import sheets, solve

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]
WEIGHTED = "objective.mode=weighted"


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-3)


def alliance(capacity=100, budget_p1=800) -> dict:
    """A (route 5 dearer, must close 30 %) and B need 150 each by P2 from a line of
    `capacity` a period at 10; B's budgets (800, 600) limit it to 140 units."""
    return sheets(
        periods=["P1", "P2"], allies=[["A", "Alpha", None, 0.3], ["B"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P2", 150], ["B", "I", "P2", 150]],
        Capacity=[["L", "I", "P1", capacity]],
        Budgets=[["B", "P1", budget_p1], ["B", "P2", 600]], Transport=[["H", "A", 5]])


def objective(result) -> float:
    return result.plan.total_cost + 1000 * result.plan.weighted_shortfall


def advice_row(result, starts: str):
    rows = result.advice[result.advice["advice"].str.startswith(starts)]
    assert len(rows) == 1, result.advice["advice"].tolist()
    return rows.iloc[0]


def test_weighted_advice_matches_re_solves_with_the_limit_moved(tmp_path):
    base = solve(tmp_path, alliance(), WEIGHTED)
    capacity = advice_row(base, "each more unit of capacity at L (H) for I in P1")
    assert capacity["set_by"] == "Capacity!D2"
    assert capacity["holds_until"] == near(190)  # then A and B have all they can use
    moved = solve(tmp_path, alliance(capacity=150), WEIGHTED)
    assert objective(base) - objective(moved) == near(50 * capacity["objective_improved"])
    budget = advice_row(base, "each more unit of money in B's P1 budget")
    assert budget["objective_improved"] == near(0.5)  # B buys 0.1 unit, A 0.1 less: 0.1·5
    assert budget["holds_until"] == near(900)
    richer = solve(tmp_path, alliance(budget_p1=880), WEIGHTED)
    assert objective(base) - objective(richer) == near(80 * budget["objective_improved"])


def test_lexicographic_advice_quotes_shortfall_closed_then_money(tmp_path):
    base = solve(tmp_path, alliance())
    capacity = advice_row(base, "each more unit of capacity at L (H) for I in P1")
    assert capacity["shortfall_closed"] == near(1)
    assert "would close 1 unit of weighted shortfall, at least until it reaches" in \
        capacity["advice"]
    end = capacity["holds_until"]
    step = min(20.0, end - 100)
    moved = solve(tmp_path, alliance(capacity=100 + step))
    assert base.plan.weighted_shortfall - moved.plan.weighted_shortfall == near(step)
    ranks = base.advice["rank"].tolist()
    assert ranks == list(range(1, len(ranks) + 1))
    kinds = base.advice["kind"].tolist()
    assert kinds[: kinds.count("rule")] == ["rule"] * kinds.count("rule")  # rules first


def test_the_report_has_the_advice_sheet(tmp_path):
    result = solve(tmp_path, alliance(), WEIGHTED)
    path = write_report(result, tmp_path / "report.xlsx")
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook["Advice"].iter_rows(values_only=True))
    workbook.close()
    assert rows[0][:3] == ("rank", "kind", "advice")
    assert len(rows) == len(result.advice) + 1
    assert any(str(row[2]).startswith("each more unit of capacity") for row in rows[1:])
