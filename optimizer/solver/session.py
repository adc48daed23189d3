"""What the solve stage asks of a solver: the session protocol both solvers keep.

A session holds one linear model (``optimizer.model.linear.LinearModel``) in a solver
across the solves of a run: its objective, bounds and rows change between solves, and
each solve starts from what the previous one left (a basis, an incumbent) where the
solver keeps it. ``optimizer.solver.highs.HighsSession`` (HiGHS in-process) and
``optimizer.solver.pulp.PulpSession`` (any solver PuLP drives) keep it.

Units: a session knows nothing of the workbook's units. Costs, bounds, values and duals
are those of the model as the solver holds it: per unit of each row as scaled
(``RowFamily.scale``) and of the objective as set (``objective_scale``); callers turn
them into stated units (``optimizer.solver.phases.sensitivity``). Arrays are indexed by
column or row position, the model's columns first and those added later after them.

The solvers differ in what they can give beyond a plan and its duals; each session
states it in its capability flags, which decide the method the phases use, never the
session's class. ``TimeBudget`` is the one measure of the seconds a run or a solve has.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

# The handle ``add_row`` gives for an added row: its position (HiGHS) or the row object
# (PuLP). Only the session that gave it reads it.
RowHandle = Any


@dataclass
class TimeBudget:
    """``seconds`` to spend from ``started`` (``time.perf_counter``)."""

    seconds: float
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left; never zero, which solvers read as "no limit"."""
        return max(1e-3, self.seconds - self.elapsed())


@runtime_checkable
class SolverSession(Protocol):
    """One solver holding the model. ``run`` solves with the current objective, bounds
    and rows; the other readers describe the last ``run``."""

    integer: np.ndarray
    """Per column (added ones included): whether it must take a whole value."""

    held_back: np.ndarray
    """Per column: whether ``hold_back`` holds it at 0 until pricing calls for it."""

    gives_ranging: bool
    """Whether ``ranging`` can give ranges (of an LP solved to a basis); when False it
    always gives None."""

    gives_basis: bool
    """Whether ``basis_duals`` can give another objective's duals from the last optimal
    basis; when False it always gives None."""

    prices_held_back: bool
    """Whether columns may be held back (``hold_back``): ``run`` then prices them after
    each optimal LP solve and releases those that would improve it, so that an LP can
    start from a base plan's columns (``optimizer.model.restrict``) and its optimum is
    still the whole model's. When False, ``hold_back`` refuses."""

    keeps_optimal_face: bool
    """Whether the duals and reduced costs of an LP solve (a MIP's LP with its integers
    fixed too) are exact enough that fixing every column with a non-zero reduced cost
    at its value and every row with a non-zero dual at its activity keeps exactly that
    LP's optimal face (complementary slackness). When False, an optimum is kept by a row
    holding the objective at its value."""

    @property
    def is_mip(self) -> bool:
        """Whether the model has whole-unit columns (some column is ``integer``); it stays
        so after ``make_continuous``."""
        ...

    def set_cost(self, cost: np.ndarray) -> None:
        """Make ``cost`` (one coefficient per column) the objective to minimise."""
        ...

    def run(self, time_limit: float) -> tuple[str, str, bool]:
        """Solve within ``time_limit`` seconds. Returns SPEC §4's status
        (``optimizer.model.status``), a sentence saying what came of it, and whether
        the solve left a plan to read (a status that ``has_plan``)."""
        ...

    def values(self) -> np.ndarray:
        """The last plan: one value per column, in the column's own unit."""
        ...

    def row_duals(self) -> np.ndarray:
        """One dual per row, d(objective as set)/d(right-hand side as held): the model's
        rows, then any added rows the solver counts among them; NaN where it gave none."""
        ...

    def reduced_costs(self) -> np.ndarray:
        """One reduced cost per column, in units of the objective as set per unit of the
        column; NaN where the solver gave none."""
        ...

    def row_activity(self) -> np.ndarray:
        """Σ terms of each row of ``row_duals`` at the last plan, in the row's held
        unit."""
        ...

    def ranging(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Of the last LP solve: up to which value each row's upper bound (one per row of
        ``row_duals``, held units) and each column's upper bound may rise with the duals
        unchanged; None when there are no ranges (``gives_ranging``, no basis, a MIP)."""
        ...

    def basis_duals(self, cost: np.ndarray) -> np.ndarray | None:
        """The row duals that the last optimal basis gives the objective ``cost``
        without solving again, y = B⁻ᵀ c_B, in units of ``cost`` per held unit of each
        row; None without a basis (``gives_basis``)."""
        ...

    def add_row(self, columns: np.ndarray, coefficients: np.ndarray, lower: float,
                upper: float, name: str = ...) -> RowHandle:
        """Append the row lower ≤ Σ coefficient · column ≤ upper (one side may be
        infinite); its handle, for ``set_row_upper``, ``drop_row`` and ``row_dual``."""
        ...

    def set_row_upper(self, row: RowHandle, upper: float) -> None:
        """Give an added row the upper bound ``upper`` (∞: the row binds no plan)."""
        ...

    def drop_row(self, row: RowHandle) -> None:
        """Take an added row out of the model; its handle is then spent."""
        ...

    def row_dual(self, row: RowHandle) -> float:
        """The dual of an added row, as ``row_duals``; NaN when the solver gave none."""
        ...

    def add_columns(self, count: int, lower: float, upper: float) -> np.ndarray:
        """Append ``count`` continuous columns with bounds [lower, upper], no terms and no
        cost; their positions."""
        ...

    def add_rows(self, row: np.ndarray, column: np.ndarray, coefficient: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> None:
        """Append k rows lower ≤ Σ terms ≤ upper, given as terms (row 0 … k−1, column,
        coefficient)."""
        ...

    def fix_columns(self, columns: np.ndarray, values: np.ndarray) -> None:
        """Fix each column at its value (lower = upper = value)."""
        ...

    def set_column_bounds(self, columns: np.ndarray, lower: np.ndarray,
                          upper: np.ndarray) -> None:
        """New bounds for the columns, for good (a held-back column is no longer held
        back); scalars apply to every column."""
        ...

    def fix_rows(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Fix each row of ``row_duals`` at a value (Σ terms = value)."""
        ...

    def hold_back(self, columns: np.ndarray) -> None:
        """Hold these columns at 0 until pricing calls for them (``prices_held_back``)."""
        ...

    def release_held_back(self, time_limit: float) -> tuple[str, str, bool]:
        """Give every held-back column its bounds back and confirm the optimum within
        ``time_limit`` seconds; what ``run`` returns."""
        ...

    def start_from(self, values: np.ndarray) -> None:
        """Start the next MIP solve from this (feasible) plan as its first incumbent."""
        ...

    def make_continuous(self) -> None:
        """Solve every column as continuous from the next ``run`` on (``integer`` stays
        as it was: it says which columns were whole)."""
        ...
