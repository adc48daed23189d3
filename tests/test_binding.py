"""The Binding view: the limits a plan uses up, what relaxing each is worth, and the cell
that set it; worked out by hand on tiny alliances."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer.reports.tables import write_report
from tests.alliances import sheets, solve
from tests.headers import fields, headers

WEIGHTED = "objective.mode=weighted"
ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]  # shortfall penalty 1000 per unit


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def records(result) -> list[dict]:
    return result.binding.to_dict("records")


def test_a_full_line_binds_at_penalty_minus_price_and_names_its_capacity_cell(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 150]],
        Budgets=[["A", "P1", 5000]]), WEIGHTED)
    [capacity] = records(result)  # the budget (1,000 of 5,000 spent) does not bind
    assert capacity["family"] == "capacity"
    assert (capacity["facility"], capacity["host"], capacity["item"], capacity["period"]) == (
        "L", "H", "I", "P1")
    assert (capacity["limit"], capacity["used"]) == (near(100), near(100))
    assert capacity["objective_improved"] == near(1000 - 10)
    assert (capacity["shortfall_closed"], capacity["cost_saved"]) == (near(1), near(-10))
    assert capacity["set_by"] == "Production!D2"


def test_a_capacity_row_and_a_budget_name_their_own_cells(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 40], ["A", "I", "P2", 200]],
        Capacity=[["L", "I", "P2", 50]], Budgets=[["A", "P1", 1000], ["A", "P2", 400]]),
        WEIGHTED)
    by_family = {r["family"]: r for r in records(result)}
    # P1: the budget buys 100 units (1,000 / 10): 40 for P1 and 60 kept; the line's 100
    # are used up too. P2: 400 buys 40 of the 50 the Capacity row allows.
    assert set(by_family) == {"capacity", "budget"}
    binding = result.binding
    budgets = binding[binding["family"] == "budget"]
    assert sorted(budgets["set_by"]) == ["Budgets!C2", "Budgets!C3"]
    p2 = budgets[budgets["period"] == "P2"].iloc[0]
    assert (p2["limit"], p2["used"]) == (near(400), near(400))
    assert p2["per"] == "million"
    assert p2["objective_improved"] == near(1e6 * (1000 - 10) / 10)  # per million
    capacity = binding[binding["family"] == "capacity"]
    assert capacity["set_by"].tolist() == ["Production!D2"]  # P2's Capacity row: 40 of 50


def test_supplier_share_is_quoted_per_percentage_point(tmp_path):
    """Two hosts, the cheaper at 10 a unit; σ = 0.6 caps it at 60 of 100. One more
    percentage point moves one unit from the dearer host: worth 20 - 10."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L1", "H1", "I", 100, 10, 0], ["L2", "H2", "I", 100, 20, 0]],
        requirements=[["A", "I", "P1", 100]]), "rules.max_supplier_share=0.6")
    [share] = records(result)
    assert (share["family"], share["ally"], share["item"], share["host"]) == (
        "supplier share", "A", "I", "H1")
    assert (share["limit"], share["used"]) == (near(60), near(60))
    assert share["per"] == "percentage point of share"
    assert share["cost_saved"] == near(10)
    assert share["shortfall_closed"] == near(0)
    assert share["set_by"] == "model: rules.max_supplier_share"


def test_minimum_gap_closure_binds_with_the_allies_cell(tmp_path):
    """A and B need 100 each from one line of 100; A's route costs 5 more. A must close
    30 % of its gap: its shortfall sits at the bound 70, and each unit more it may leave
    open lets B take a unit 5 cheaper."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A", "Alpha", None, 0.3], ["B"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 100]],
        Transport=[["H", "A", 5]]), WEIGHTED)
    closure = result.binding[result.binding["family"] == "minimum gap closure"]
    assert len(closure) == 1
    row = closure.iloc[0]
    assert (row["ally"], row["item"], row["period"]) == ("A", "I", "P1")
    assert (row["limit"], row["used"]) == (near(70), near(70))
    assert row["objective_improved"] == near(5)
    assert row["set_by"] == "Allies!D2"


def test_work_share_binds_with_the_allies_cell(tmp_path):
    """A must have 50 % of its spending made at home; its home line costs 12, abroad 10.
    A buys 100: x at home, 100 - x abroad; 12x ≥ 0.5 (12x + 10(100 - x)) gives x = 500/11."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A", "Alpha", None, None, 0.5]], items=ONE_ITEM,
        production=[["LA", "A", "I", 100, 12, 0], ["LH", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 100]]))
    [work] = records(result)
    assert (work["family"], work["ally"]) == ("work share", "A")
    assert (work["limit"], work["used"]) == (near(50), near(50))
    assert work["set_by"] == "Allies!E2"
    assert work["cost_saved"] > 0 and work["shortfall_closed"] == 0


def test_the_report_has_a_binding_sheet_with_the_cells(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 150]]),
        WEIGHTED)
    path = write_report(result, tmp_path / "report.xlsx")
    workbook = openpyxl.load_workbook(path)
    rows = list(workbook["Binding"].iter_rows(values_only=True))
    header = fields(workbook["Binding"])
    assert header[:3] == ["family", "ally", "item"]
    assert headers(workbook["Binding"])[:3] == ["Kind of limit", "Ally", "Item"]
    record = dict(zip(header, rows[1], strict=True))
    assert record["family"] == "capacity"
    assert record["set_by"] == "Production!D2"
    assert record["objective_improved"] == near(990)
    assert record["how"] == "dual of the linear program"
