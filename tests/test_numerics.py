"""Numbers too far apart for a solver's precision get a warning naming both cells."""

from __future__ import annotations

from optimizer.cli import main
from optimizer.config import load_config
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import write_workbook

ITEM = [["I", "item", "units", False, 1, 1000, 0]]


def workbook(tmp_path, price: float, budget: float, target: float = 100):
    return write_workbook(tmp_path / "a.xlsx", sheets(
        periods=["P1"], allies=[["A"]], items=ITEM,
        production=[["F", "H", "I", 1e6, price, 0]], requirements=[["A", "I", "P1", target]],
        Budgets=[["A", "P1", budget]]))


def warnings_of(path):
    return [str(w) for w in load_workbook(path, load_config(None).rules)[1]]


def test_money_twelve_orders_apart_is_named_cell_by_cell(tmp_path, capsys):
    path = workbook(tmp_path, price=0.001, budget=5e9)
    [warning] = [w for w in warnings_of(path) if "money figures span" in w]
    assert warning.startswith("Production!E2: money figures span 5e+12: unit_cost 0.001 here "
                              "and budget 5e+09 at Budgets!C2")
    assert "one coarser unit (money in thousands or millions)" in warning
    assert main(["validate", str(path)]) == 0
    assert "money figures span 5e+12" in capsys.readouterr().err


def test_quantities_far_apart_are_named_and_sensible_figures_are_not(tmp_path):
    path = workbook(tmp_path, price=1000, budget=5e9, target=1e-4)
    [warning] = [w for w in warnings_of(path) if "figures span" in w]
    assert warning.startswith("Requirements!D2: quantity figures span 1e+10: target 0.0001")
    assert "capacity 1e+06 at Production!D2" in warning
    sensible = workbook(tmp_path, price=1000, budget=5e9, target=100)
    assert not [w for w in warnings_of(sensible) if "figures span" in w]
