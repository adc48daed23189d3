"""Starting a scenario from the base case's plan (optimizer.model.restrict): which columns
are held back, and that pricing and the fallback give the whole model's optimum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.model.linear import GREATER, LESS, LinearModel
from optimizer.model.restrict import BasePlan, held_back_columns
from optimizer.solver.highs import HighsSession


def orders(need_i: float = 1.0, cap_a: float = 5.0) -> LinearModel:
    """x: four order columns, items I, I, J, J; rows: x0 + x1 ≥ need_i (item I),
    x2 + x3 ≥ 1 (item J), x0 ≤ cap_a (line A, item I)."""
    linear = LinearModel()
    labels = pd.DataFrame({"item": ["I", "I", "J", "J"]})
    linear.add_columns("x", labels, lambda: [labels["item"]])
    linear.add_rows("need", pd.DataFrame({"item": ["I", "J"]}), lambda: [["I", "J"]],
                    np.array([0, 0, 1, 1]), np.arange(4), np.ones(4), GREATER,
                    np.array([need_i, 1.0]))
    linear.add_rows("capacity", pd.DataFrame({"line": ["A"]}), lambda: [["A"]],
                    np.array([0]), np.array([0]), np.array([1.0]), LESS, np.array([cap_a]))
    return linear


def test_held_back_are_the_unused_columns_of_items_the_scenario_does_not_touch():
    base = BasePlan.of(orders(), np.array([1.0, 0.0, 1.0, 0.0]))
    # Line A's capacity changed: item I is touched, J's unused column 3 is held back.
    assert held_back_columns(orders(cap_a=0.0), base).tolist() == [3]
    # Nothing changed: every unused column is held back.
    assert held_back_columns(orders(), base).tolist() == [1, 3]
    # Another structure (one more row): nothing is held back.
    other = orders()
    other.add_row("extra", np.array([3]), np.array([1.0]), LESS, 9.0)
    assert held_back_columns(other, base).tolist() == []


def session(linear: LinearModel, cost: list[float]) -> HighsSession:
    found = HighsSession(linear, verbose=False, mip_gap=0.0, threads=0)
    found.set_cost(np.array(cost))
    return found


def test_pricing_releases_a_held_back_column_that_lowers_the_cost():
    solver = session(orders(), [1.0, 2.0, 5.0, 1.0])
    solver.hold_back(np.array([3]))  # the cheap way to meet J
    status, _, _ = solver.run(60)
    assert status == "optimal"
    assert solver.values() == pytest.approx([1, 0, 0, 1])
    assert solver.pricing_rounds == 1
    assert not solver.held_back.any()


def test_a_held_back_column_that_would_not_pay_stays_out_with_a_valid_optimum():
    solver = session(orders(), [1.0, 2.0, 1.0, 5.0])
    solver.hold_back(np.array([1, 3]))
    status, _, _ = solver.run(60)
    assert status == "optimal"
    assert solver.values() == pytest.approx([1, 0, 1, 0])
    assert solver.pricing_rounds == 0
    assert solver.reduced_costs()[[1, 3]] == pytest.approx([1.0, 4.0])


def test_a_restricted_model_without_a_plan_is_solved_whole():
    """Line A is lost: item I can only be met by column 1, held back."""
    solver = session(orders(cap_a=0.0), [1.0, 2.0, 1.0, 5.0])
    solver.hold_back(np.array([1, 3]))
    status, _, _ = solver.run(60)
    assert status == "optimal"
    assert solver.values() == pytest.approx([0, 1, 1, 0])
    assert not solver.held_back.any()


def test_fixing_a_held_back_column_ends_its_holding_back():
    solver = session(orders(), [1.0, 2.0, 5.0, 1.0])
    solver.hold_back(np.array([3]))
    solver.fix_columns(np.array([3]), np.array([0.0]))
    status, _, _ = solver.run(60)
    assert status == "optimal"
    assert solver.values() == pytest.approx([1, 0, 1, 0])  # fixed for good, not priced in
