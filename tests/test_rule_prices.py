"""The price of each rule: re-solved without it, worked out by hand."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer.report import write_report
from tests.alliances import sheets, solve

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-2)


def gap_closure_case() -> dict:
    """A and B need 100 each from one line of 100 at 10; A's route costs 5 more. A must
    close 30 % of its gap: A gets 30 (at 15), B 70; without the rule B gets all 100."""
    return sheets(
        periods=["P1"], allies=[["A", "Alpha", None, 0.3], ["B"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 100]],
        Transport=[["H", "A", 5]])


def test_minimum_gap_closure_costs_150_and_moves_30_units_from_b_to_a(tmp_path):
    result = solve(tmp_path, gap_closure_case())
    [price] = result.rule_prices.to_dict("records")
    assert (price["rule"], price["set_by"], price["status"]) == (
        "minimum gap closure", "Allies!D2", "optimal")
    assert price["total_cost_without"] == near(1000)
    assert price["cost_of_rule"] == near(30 * 15 + 70 * 10 - 1000)
    assert price["shortfall_of_rule"] == near(0)  # the same 100 units are short either way
    assert price["better_off_without"] == "B (weighted shortfall -30, spending +300)"
    assert price["worse_off_without"] == "A (weighted shortfall +30, spending -450)"


def test_every_active_rule_is_priced_and_written(tmp_path):
    """Supplier share 0.6 over two hosts (10 and 20 a unit) and a budget of 2,000 per
    period: the share costs 60·10 + 40·20 − 100·10 = 400; carry-over changes nothing."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L1", "H1", "I", 100, 10, 0], ["L2", "H2", "I", 100, 20, 0]],
        requirements=[["A", "I", "P1", 100]], Budgets=[["A", "P1", 2000]]),
        "rules.max_supplier_share=0.6")
    prices = result.rule_prices.set_index("rule")
    assert list(prices.index) == ["supplier share", "budgets without carry-over"]
    assert prices.loc["supplier share", "cost_of_rule"] == near(400)
    assert prices.loc["supplier share", "better_off_without"] == "A (spending -400)"
    assert prices.loc["budgets without carry-over", "cost_of_rule"] == near(0)
    assert prices.loc["budgets without carry-over", "better_off_without"] == ""
    path = write_report(result, tmp_path / "report.xlsx")
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook["Rule prices"].iter_rows(values_only=True))
    workbook.close()
    assert rows[0][:3] == ("rule", "set_by", "status")
    assert [row[0] for row in rows[1:]] == ["supplier share", "budgets without carry-over"]


def test_rule_prices_can_be_turned_off(tmp_path):
    result = solve(tmp_path, gap_closure_case(), "explain.rule_prices=false")
    assert result.rule_prices is None
    assert "rule_prices" not in result.timings
