"""HiGHS in-process: the linear model handed over as arrays, kept across solves.

The matrix reaches HiGHS as one compressed sparse row matrix (``passModel``), with no
Python object per variable or term. The same instance serves every phase of a run, so a
phase starts from the previous phase's basis (LP) or solution (MIP).
"""

from __future__ import annotations

import time

import numpy as np

from optimizer.model.linear import LinearModel
from optimizer.model.status import (
    ERROR,
    INFEASIBLE,
    NO_PLAN,
    OPTIMAL,
    SOLVED,
    has_plan,
    stopped_by,
)
from optimizer.solver.session import TimeBudget
from optimizer.tolerance import DUAL_TOLERANCE

try:
    import highspy
except ImportError:  # pragma: no cover - highspy is a dependency; PuLP solvers still work
    highspy = None

# Each HiGHS model status, and what it means for SPEC §4's status. Anything not listed
# (including statuses a newer HiGHS may add) is an error, never "optimal".
_LIMIT_REASONS = {
    "kTimeLimit": "the time limit",
    "kIterationLimit": "an iteration limit",
    "kSolutionLimit": "a solution or node limit",
    "kObjectiveBound": "an objective bound",
    "kObjectiveTarget": "an objective target",
    "kInterrupt": "an interruption",
    "kHighsInterrupt": "an interruption",
    "kMemoryLimit": "the memory limit",
}


_INTERRUPTED = frozenset(status for status, reason in _LIMIT_REASONS.items()
                         if reason == "an interruption")
_FEASIBLE = 2  # highspy.SolutionStatus.kSolutionStatusFeasible
OVERRUN = 0.5  # seconds HiGHS may take beyond its limit before it is asked to stop
DUAL, PRIMAL = 1, 4  # HiGHS's simplex_strategy: dual (its default), primal

# From this many columns an LP is solved by interior point (with crossover, so that a
# basis and basic duals follow), every time: HiGHS's dual simplex needs many times
# longer on these models, from scratch (S, 10,219 columns: lexicographic 13.0 s against
# 2.9 s; M: over 300 s against about 100 s) and even from the previous phase's basis
# (M, lexicographic phase 2 on phase 1's optimal face: over 250 s against about 60 s).
INTERIOR_POINT_COLUMNS = 5_000


def method(n_columns: int, is_mip: bool) -> str:
    """HiGHS's ``solver`` option for the solves of a model."""
    return "ipm" if not is_mip and n_columns >= INTERIOR_POINT_COLUMNS else "choose"


# From this many columns interior point runs without crossover: at L (1,184,552
# columns) crossover failed on a singular basis after 190 s, which HiGHS reports as a
# solve error although interior point had found the optimum. Without crossover the plan
# is the interior point's, optimal within HiGHS's tolerances, with duals but no basis
# (so no ranging for the Advice sheet, and no basis for a scenario to start from).
NO_CROSSOVER_COLUMNS = 1_000_000


def crossover(n_columns: int) -> str:
    """HiGHS's ``run_crossover`` option for the solves of a model."""
    return "off" if n_columns >= NO_CROSSOVER_COLUMNS else "on"


def classify(model_status: str, has_solution: bool) -> tuple[str, str]:
    """A HiGHS model status (its enum name) as SPEC §4's status and a sentence."""
    if model_status == "kOptimal" and has_solution:
        return SOLVED
    if model_status in ("kInfeasible", "kUnboundedOrInfeasible"):
        return NO_PLAN
    if model_status in _LIMIT_REASONS:
        return stopped_by(_LIMIT_REASONS[model_status], has_solution)
    return ERROR, f"HiGHS ended with model status {model_status}"


def available() -> bool:
    return highspy is not None


def version() -> str:
    if highspy is None:
        return "HiGHS (not installed)"
    session = highspy.Highs()
    return f"HiGHS {session.versionMajor()}.{session.versionMinor()}.{session.versionPatch()}"


def _run_interruptibly(highs: highspy.Highs, seconds: float) -> bool:
    """``highs.run()`` in HiGHS's own thread while this one waits in 0.1 s steps, so
    that Python's signal handlers run during a long solve: on an exception (Ctrl-C,
    SIGTERM) HiGHS is asked to stop, awaited, and the exception goes on. HiGHS is also
    asked to stop once ``seconds`` (and ``OVERRUN``) have passed; whether it was.

    HiGHS's own time limit alone does not hold: its MIP solver measures the limit from
    the start of each run while the LP solvers measure it over all runs of the instance
    (HiGHS issue #1477; a 1 s phase of a MIP took 11 s), and some of its steps check the
    clock seldom."""
    deadline = time.perf_counter() + seconds + OVERRUN
    stopped = False
    highs.startSolve()
    try:
        while not highs.wait(0.1)[0]:
            if not stopped and time.perf_counter() > deadline:
                highs.cancelSolve()
                stopped = True
        return stopped
    except BaseException:
        highs.cancelSolve()
        while True:
            try:
                if highs.wait(0.1)[0]:
                    break
            except BaseException:  # a second signal while HiGHS stops: keep waiting
                continue
        raise


class HighsSession:
    """One HiGHS instance holding the model; ``run`` solves it with the current costs,
    bounds and rows and says what came of it in SPEC terms (``SolverSession``)."""

    # HiGHS hands its basis over: ranges, another objective's duals, priced columns, and
    # duals of its own precision (``optimizer.solver.session.SolverSession``).
    gives_ranging = True
    gives_basis = True
    prices_held_back = True
    keeps_optimal_face = True

    def __init__(self, linear: LinearModel, *, verbose: bool, mip_gap: float,
                 threads: int) -> None:
        self.highs = highspy.Highs()
        # Lets a signal (Ctrl-C, SIGTERM) stop HiGHS at its next iteration: see
        # ``_run_interruptibly``.
        self.highs.HandleUserInterrupt = True
        self.highs.setOptionValue("output_flag", bool(verbose))
        self.highs.setOptionValue("mip_rel_gap", float(mip_gap))
        if threads > 0:
            self.highs.setOptionValue("threads", int(threads))
        lower, upper, integer = linear.column_bounds()
        row_lower, row_upper = linear.row_bounds()
        starts, columns, values = linear.matrix()
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = linear.n_columns
        lp.num_row_ = linear.n_rows
        lp.col_cost_ = np.zeros(linear.n_columns)
        lp.col_lower_ = lower
        lp.col_upper_ = np.where(np.isinf(upper), inf, upper)
        lp.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower)
        lp.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = columns.astype(np.int32)
        lp.a_matrix_.value_ = values
        self.integer = integer
        if integer.any():
            lp.integrality_ = np.where(integer, highspy.HighsVarType.kInteger,
                                       highspy.HighsVarType.kContinuous).tolist()
        self.highs.passModel(lp)
        self.start: np.ndarray | None = None
        self.integral = self.is_mip  # the next run is a MIP: see make_continuous
        self.method = method(linear.n_columns, self.is_mip)
        self.highs.setOptionValue("run_crossover", crossover(linear.n_columns))
        self.next_method: str | None = None  # for one run only
        # Columns fixed at 0 until pricing calls for them (optimizer.model.restrict), and
        # the bounds they get back.
        self.lower, self.upper = lower.copy(), upper.copy()
        self.held_back = np.zeros(linear.n_columns, dtype=bool)
        self.largest_cost = 1.0
        self.pricing_rounds = 0

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def set_cost(self, cost: np.ndarray) -> None:
        index = np.arange(len(cost), dtype=np.int32)
        self.highs.changeColsCost(len(cost), index, np.asarray(cost, dtype=float))
        self.largest_cost = max(1.0, float(np.abs(cost).max(initial=0.0)))

    def hold_back(self, columns: np.ndarray) -> None:
        """Fix these columns at 0 until pricing calls for them (see ``run``)."""
        columns = np.asarray(columns, dtype=np.int64)
        self._change_bounds(columns, np.zeros(len(columns)), np.zeros(len(columns)))
        self.held_back[columns] = True

    def run(self, time_limit: float) -> tuple[str, str, bool]:
        """Solve; return (status, sentence, has a feasible solution). With columns held
        back, price them after each optimal solve and release those whose reduced cost
        is below −DUAL_TOLERANCE · max|cost|, then solve again by primal simplex from
        the last basis, until none is; release them all if the restricted model has no
        plan (``optimizer.model.restrict`` states why the result is the whole model's
        optimum)."""
        budget = TimeBudget(time_limit)
        while True:
            status, message, has_solution = self._run_once(budget.remaining())
            if not self.held_back.any() or status not in (OPTIMAL, INFEASIBLE):
                return status, message, has_solution
            if status == INFEASIBLE:
                entering = self.held_back.copy()
            else:
                entering = self.held_back & (
                    self.reduced_costs() < -DUAL_TOLERANCE * self.largest_cost)
                if not entering.any():
                    return status, message, has_solution
                self.next_method = "simplex"
            self.pricing_rounds += 1
            self._release(np.flatnonzero(entering))

    def release_held_back(self, time_limit: float) -> tuple[str, str, bool]:
        """Give every held-back column its bounds back and confirm the optimum (after
        pricing found none worth releasing, the last basis stays optimal)."""
        self._release(np.flatnonzero(self.held_back))
        self.next_method = "simplex"
        return self._run_once(time_limit)

    def _release(self, columns: np.ndarray) -> None:
        self.held_back[columns] = False
        self._change_bounds(columns, self.lower[columns], self.upper[columns])

    def _run_once(self, time_limit: float) -> tuple[str, str, bool]:
        # HiGHS's LP solvers hold the time limit against the run time of all runs of
        # this instance (HiGHS issue #1477), its MIP solver against this run's alone.
        earlier = 0.0 if self.integral else self.highs.getRunTime()
        self.highs.setOptionValue("time_limit", earlier + float(time_limit))
        self.highs.setOptionValue("solver", self.next_method or self.method)
        # A released column enters a basis that stays primal feasible: primal simplex.
        self.highs.setOptionValue("simplex_strategy", PRIMAL if self.next_method else DUAL)
        self.next_method = None
        if self.start is not None:
            # Given only now: HiGHS drops a solution handed over before a model change
            # (new costs, an added row).
            index = np.arange(len(self.start), dtype=np.int32)
            self.highs.setSolution(len(self.start), index, self.start)
            self.start = None
        stopped = _run_interruptibly(self.highs, time_limit)
        has_solution = int(self.highs.getInfo().primal_solution_status) == _FEASIBLE
        model_status = self.highs.getModelStatus().name
        if stopped and model_status in _INTERRUPTED:
            model_status = "kTimeLimit"
        status, message = classify(model_status, has_solution)
        return status, message, has_plan(status)

    def values(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().row_dual, dtype=float)

    def reduced_costs(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_dual, dtype=float)

    def ranging(self) -> tuple[np.ndarray, np.ndarray] | None:
        """For the last LP solve (simplex basis): up to which value each row's upper
        bound and each column's upper bound may rise with the duals unchanged; None when
        HiGHS has no ranging (no basis, a MIP)."""
        status, ranging = self.highs.getRanging()
        if status != highspy.HighsStatus.kOk or not ranging.valid:
            return None
        return (np.asarray(ranging.row_bound_up.value_, dtype=float),
                np.asarray(ranging.col_bound_up.value_, dtype=float))

    def row_activity(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().row_value, dtype=float)

    def add_row(self, columns: np.ndarray, coefficients: np.ndarray, lower: float,
                upper: float, name: str = "") -> int:
        """Append one row lower ≤ Σ terms ≤ upper; its position (for ``row_dual``)."""
        inf = highspy.kHighsInf
        position = self.highs.getNumRow()
        self.highs.addRow(-inf if np.isinf(lower) else lower, inf if np.isinf(upper) else upper,
                          len(columns), np.asarray(columns, dtype=np.int32),
                          np.asarray(coefficients, dtype=float))
        return position

    def set_row_upper(self, row: int, upper: float) -> None:
        self.highs.changeRowBounds(row, -highspy.kHighsInf, float(upper))

    def drop_row(self, row: int) -> None:
        """Make an added row free (−∞ ≤ Σ terms ≤ ∞): out of the model, while the
        positions of the rows after it stay."""
        self.highs.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)

    def row_dual(self, row: int) -> float:
        """The dual of one row (an added one, by the position ``add_row`` gave)."""
        return float(self.highs.getSolution().row_dual[row])

    def basis_duals(self, cost: np.ndarray) -> np.ndarray | None:
        """The row duals that the last optimal basis gives an objective ``cost`` (over
        every column), without solving again: y = B⁻ᵀ c_B, so that y_r = d(cost · x)/d
        (right-hand side of r) as the plan moves with that basis. None without a basis."""
        status, basic = self.highs.getBasicVariables()
        if status != highspy.HighsStatus.kOk or not self.highs.getBasis().valid:
            return None
        basic = np.asarray(basic, dtype=np.int64)
        cost_of_basic = np.where(basic >= 0, np.asarray(cost, float)[np.maximum(basic, 0)], 0.0)
        status, duals = self.highs.getBasisTransposeSolve(cost_of_basic)
        if status != highspy.HighsStatus.kOk:
            return None
        return np.asarray(duals, dtype=float)

    def add_columns(self, count: int, lower: float, upper: float) -> np.ndarray:
        """Append ``count`` continuous columns with no terms and no cost; their positions."""
        first = self.highs.getNumCol()
        self.highs.addCols(count, np.zeros(count), np.full(count, float(lower)),
                           np.full(count, float(upper)), 0, np.zeros(count, dtype=np.int32),
                           np.zeros(0, dtype=np.int32), np.zeros(0))
        self.integer = np.concatenate([self.integer, np.zeros(count, dtype=bool)])
        self.lower = np.concatenate([self.lower, np.full(count, float(lower))])
        self.upper = np.concatenate([self.upper, np.full(count, float(upper))])
        self.held_back = np.concatenate([self.held_back, np.zeros(count, dtype=bool)])
        return np.arange(first, first + count)

    def add_rows(self, row: np.ndarray, column: np.ndarray, coefficient: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows lower ≤ Σ terms ≤ upper, given as terms (row 0 … k−1, column,
        coefficient)."""
        count = len(lower)
        order = np.argsort(row, kind="stable")
        starts = np.searchsorted(row[order], np.arange(count)).astype(np.int32)
        inf = highspy.kHighsInf
        self.highs.addRows(count, np.where(np.isinf(lower), -inf, lower),
                           np.where(np.isinf(upper), inf, upper), len(order), starts,
                           np.asarray(column, dtype=np.int32)[order],
                           np.asarray(coefficient, dtype=float)[order])

    def fix_columns(self, columns: np.ndarray, values: np.ndarray) -> None:
        self.set_column_bounds(columns, values, values)

    def set_column_bounds(self, columns: np.ndarray, lower: np.ndarray,
                          upper: np.ndarray) -> None:
        """New bounds, for good: a held-back column given bounds is no longer held back."""
        columns = np.asarray(columns, dtype=np.int64)
        self.held_back[columns] = False
        self._change_bounds(columns, lower, upper)

    def _change_bounds(self, columns: np.ndarray, lower, upper) -> None:
        columns = np.asarray(columns, dtype=np.int32)
        count = len(columns)
        lower = np.broadcast_to(np.asarray(lower, dtype=float), (count,))
        upper = np.broadcast_to(np.asarray(upper, dtype=float), (count,))
        if count:
            self.highs.changeColsBounds(count, columns, np.ascontiguousarray(lower),
                                        np.where(np.isinf(upper), highspy.kHighsInf, upper))

    def fix_rows(self, rows: np.ndarray, values: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        values = np.asarray(values, dtype=float)
        if len(rows):
            self.highs.changeRowsBounds(len(rows), rows, values, values)

    def start_from(self, values: np.ndarray) -> None:
        """A MIP start for the next run: the given (feasible) solution is the first
        incumbent."""
        self.start = np.asarray(values, dtype=float).copy()

    def make_continuous(self) -> None:
        self.integral = False
        index = np.flatnonzero(self.integer).astype(np.int32)
        if len(index):
            self.highs.changeColsIntegrality(
                len(index), index,
                np.full(len(index), highspy.HighsVarType.kContinuous))
