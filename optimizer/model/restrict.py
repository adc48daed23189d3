"""Re-solving a scenario from the base case's plan: column generation from its support.

A scenario that changes only bounds, right-hand sides or costs of the base case's model
(the same ``LinearModel.structure_fingerprint``) mostly moves the plan near what it
changed. Its solve therefore starts restricted: every order, transfer and expansion
column (x, y, e) that is 0 in the base plan and belongs to an item the scenario does not
touch is held back, fixed at 0. An item is touched when one of its x, y or e columns has
a term in a row, or a bound, that differs from the base model's (an outage touches the
items of the lost lines; a budget cut touches every item the ally buys).

``HighsSession.run`` then prices the held-back columns after each solve: with the duals
y of the restricted optimum, held-back column j could lower the objective when its
reduced cost c_j − a_jᵀy is below −DUAL_TOLERANCE · max|c|. Those are released (given
their bounds back) and the LP solved again by the primal simplex method from the last
basis, which stays feasible; until no reduced cost is negative. The duals are then
feasible for every column, held back or not, so the restricted optimum is an optimum of
the whole model (LP duality: primal feasible, dual feasible, complementary). A restricted
model without a plan releases every held-back column and is solved whole, so a
scenario's status never depends on the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model.linear import LinearModel
from optimizer.tolerance import ROUND_OFF
from optimizer.workbook.data import ranges

# Column families that may be held back: orders, transfers and expansions, of which a
# plan uses few. Holding back stock and shortfall columns too took many more pricing
# rounds (S: eight times as long as a cold solve).
FAMILIES = ("x", "y", "e")


@dataclass(frozen=True)
class BasePlan:
    """The base case's model bounds and optimal plan, for a scenario of the same
    structure to start from."""

    fingerprint: str
    values: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    column_lower: np.ndarray
    column_upper: np.ndarray

    @classmethod
    def of(cls, linear: LinearModel, values: np.ndarray) -> BasePlan:
        row_lower, row_upper = linear.row_bounds()
        column_lower, column_upper, _ = linear.column_bounds()
        return cls(linear.structure_fingerprint(), np.asarray(values, dtype=float).copy(),
                   row_lower, row_upper, column_lower, column_upper)


def held_back_columns(linear: LinearModel, base: BasePlan) -> np.ndarray:
    """The columns (positions) a scenario's model starts without (see the module
    docstring); none when the model's structure differs from the base case's."""
    if linear.structure_fingerprint() != base.fingerprint:
        return np.zeros(0, dtype=np.int64)
    row_lower, row_upper = linear.row_bounds()
    column_lower, column_upper, _ = linear.column_bounds()
    changed_rows = np.flatnonzero((row_lower != base.row_lower)
                                  | (row_upper != base.row_upper))
    changed_columns = (column_lower != base.column_lower) | (column_upper != base.column_upper)
    starts, columns, _ = linear.matrix()
    in_changed_rows = np.zeros(linear.n_columns, dtype=bool)
    if len(changed_rows):
        lengths = starts[changed_rows + 1] - starts[changed_rows]
        terms = np.repeat(starts[changed_rows], lengths) + ranges(lengths)
        in_changed_rows[columns[terms]] = True
    families = [linear.columns[name] for name in FAMILIES if name in linear.columns]
    item = np.full(linear.n_columns, -1, dtype=np.int64)
    if families:
        positions = np.concatenate([family.index for family in families])
        item[positions] = pd.factorize(pd.concat(
            [family.labels["item"] for family in families], ignore_index=True))[0]
    has_item = item >= 0
    touched = np.unique(item[has_item & (in_changed_rows | changed_columns)])
    candidates = (has_item & ~np.isin(item, touched) & (np.abs(base.values) <= ROUND_OFF)
                  & (column_upper > 0))
    return np.flatnonzero(candidates)

