"""Any solver PuLP drives (CBC, Gurobi, CPLEX, HiGHS …), and LP files: the linear model
handed to PuLP 4 as an ``LpProblem`` built from the same arrays.

Variables come from ``add_variable_matrix`` in one batch; each row is one expression
built from its (column, coefficient) arrays with ``lpSum_vars_coefs``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pulp
from pulp import LpSolveStatus

from optimizer.model.linear import LinearModel
from optimizer.model.status import ERROR, NO_PLAN, OPTIMAL, SOLVED, has_plan, stopped_by

# PuLP's LP writer refuses longer names (the LP format itself allows 255).
LP_NAME_LIMIT = 100
_KEPT = LP_NAME_LIMIT - 13

INSTALL_HINTS = {
    "COIN_CMD": "install it with: pip install 'stockpile-optimiser[cbc]'",
    "HiGHS": "install it with: pip install highspy",
    "GLPK_CMD": "install GLPK (the glpsol program) or: pip install 'pulp[glpk]'",
    "SCIP_PY": "install it with: pip install 'pulp[scip]'",
}

_LIMIT_REASONS = {
    LpSolveStatus.TimeLimit: "the time limit",
    LpSolveStatus.MemoryLimit: "the memory limit",
    LpSolveStatus.NodeLimit: "a node limit",
    LpSolveStatus.IterationLimit: "an iteration limit",
    LpSolveStatus.SolutionLimit: "a solution limit",
    LpSolveStatus.Interrupted: "an interruption",
    LpSolveStatus.Stopped: "the solver (reason not given)",
}


def classify(status: LpSolveStatus, has_solution: bool) -> tuple[str, str]:
    """A PuLP solve outcome as SPEC §4's status and a sentence; never "optimal" unless
    the solver proved it."""
    if status == LpSolveStatus.Optimal and has_solution:
        return SOLVED
    if status == LpSolveStatus.GapLimit and has_solution:
        # The MIP is proven within solver.mip_gap, the optimality the analyst asked for;
        # HiGHS reports the same outcome as optimal, and so do we.
        return OPTIMAL, "solved to optimality (within solver.mip_gap)"
    if status == LpSolveStatus.Infeasible or (status == LpSolveStatus.Undefined
                                               and not has_solution):
        return NO_PLAN
    if status in _LIMIT_REASONS:
        return stopped_by(_LIMIT_REASONS[status], has_solution)
    return ERROR, f"the solver ended with status {status.name}"


@dataclass(frozen=True)
class LpNames:
    """The column and row names of a model within ``LP_NAME_LIMIT`` characters, and
    ``shortened``: {short name: the full name it stands for}."""

    columns: list[str]
    rows: list[str]
    shortened: dict[str, str]


def lp_names(linear: LinearModel) -> LpNames:
    """The model's readable names (``capacity_F0001_155HE_2027Q1``), each longer than
    ``LP_NAME_LIMIT`` cut to its first ``_KEPT`` characters plus ``_`` and 12 hex digits
    of its SHA-1: the same short name on every run, distinct for distinct names."""
    shortened: dict[str, str] = {}

    def within_limit(names: list[str]) -> list[str]:
        out = []
        for name in names:
            if len(name) > LP_NAME_LIMIT:
                short = f"{name[:_KEPT]}_{hashlib.sha1(name.encode()).hexdigest()[:12]}"
                if shortened.setdefault(short, name) != name:
                    raise ValueError(f"two names shorten to {short}")  # 2^-48: never seen
                name = short
            out.append(name)
        return out

    return LpNames(within_limit(linear.column_names()), within_limit(linear.row_names()),
                   shortened)


def build_problem(linear: LinearModel, names: LpNames | None = None,
                  ) -> tuple[pulp.LpProblem, list, list]:
    """The ``LpProblem`` of a linear model, its variables and its constraints (both in
    the linear model's global order), named by ``names`` (default ``lp_names``)."""
    names = names or lp_names(linear)
    problem = pulp.LpProblem("stockpile_allocation", pulp.LpMinimize)
    lower, upper, integer = linear.column_bounds()
    variables = problem.add_variable_matrix("%s", names.columns, lowBound=0)
    for index in np.flatnonzero(np.isfinite(upper)):
        variables[index].upBound = float(upper[index])
    for index in np.flatnonzero(integer):
        variables[index].cat = pulp.LpInteger
    starts, columns, values = linear.matrix()
    row_lower, row_upper = linear.row_bounds()
    constraints = []
    for row in range(linear.n_rows):
        span = slice(starts[row], starts[row + 1])
        expression = pulp.lpSum_vars_coefs(
            zip([variables[c] for c in columns[span]], values[span], strict=True))
        if row_lower[row] == row_upper[row]:
            constraint = expression == float(row_lower[row])
        elif np.isfinite(row_lower[row]):
            constraint = expression >= float(row_lower[row])
        else:
            constraint = expression <= float(row_upper[row])
        constraints.append(problem.addConstraint(constraint, names.rows[row]))
    return problem, variables, constraints


class PulpSession:
    """The model in PuLP, solved with the PuLP solver named in the configuration
    (``SolverSession``)."""

    # PuLP hands over a plan and its duals, as read from the solver's solution, and no
    # basis: no ranges, no other objective's duals, no pricing of held-back columns, and
    # duals of a solution file's precision, too coarse to fix an optimal face by
    # (``optimizer.solver.session.SolverSession``).
    gives_ranging = False
    gives_basis = False
    prices_held_back = False
    keeps_optimal_face = False

    def __init__(self, linear: LinearModel, solver_name: str, *, verbose: bool,
                 mip_gap: float, threads: int) -> None:
        self.problem, self.variables, self.constraints = build_problem(linear)
        self.integer = linear.column_bounds()[2]
        self.solver_name = solver_name
        self.options = {"msg": verbose, "gapRel": float(mip_gap)}
        if threads > 0:
            self.options["threads"] = int(threads)
        self.warm_start = False
        self.held_back = np.zeros(len(self.variables), dtype=bool)  # none: see hold_back

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def set_cost(self, cost: np.ndarray) -> None:
        used = np.flatnonzero(cost)
        self.problem.setObjective(pulp.lpSum_vars_coefs(
            zip([self.variables[c] for c in used], cost[used], strict=True)))

    def run(self, time_limit: float) -> tuple[str, str, bool]:
        options = dict(self.options, timeLimit=float(time_limit))
        if self.warm_start:
            options["warmStart"] = True
        stats = self.problem.solve(pulp.getSolver(self.solver_name, **options))
        has_solution = bool(stats.has_solution)
        highs = getattr(self.problem, "solverModel", None)
        if has_solution and hasattr(highs, "getInfo"):
            # PuLP infers a HiGHS solution from a finite objective, which HiGHS also
            # reports (as 0) when a limit stopped it with nothing; ask HiGHS itself.
            has_solution = int(highs.getInfo().primal_solution_status) == 2
        status, message = classify(stats.status, has_solution)
        return status, message, has_plan(status)

    def values(self) -> np.ndarray:
        return np.array([v.varValue or 0.0 for v in self.variables], dtype=float)

    def row_duals(self) -> np.ndarray:
        return np.array([np.nan if c.pi is None else c.pi for c in self.constraints],
                        dtype=float)

    def ranging(self) -> None:
        return None  # PuLP gives no sensitivity ranges

    def row_activity(self) -> np.ndarray:
        """Σ terms of each model row at the last plan (NaN where a term has no value)."""
        return np.array([np.nan if c.value() is None else c.value() - c.constant
                         for c in self.constraints], dtype=float)

    def reduced_costs(self) -> np.ndarray:
        return np.array([np.nan if v.dj is None else v.dj for v in self.variables],
                        dtype=float)

    def add_row(self, columns: np.ndarray, coefficients: np.ndarray, lower: float,
                upper: float, name: str = "shortfall_bound") -> pulp.LpConstraint:
        """Append one row (≤ upper when finite, else ≥ lower); it is its handle for
        ``row_dual``."""
        expression = pulp.lpSum_vars_coefs(
            zip([self.variables[c] for c in columns], coefficients, strict=True))
        if np.isfinite(upper):
            return self.problem.addConstraint(expression <= float(upper), name)
        return self.problem.addConstraint(expression >= float(lower), name)

    def set_row_upper(self, row: pulp.LpConstraint, upper: float) -> None:
        """Σ terms ≤ upper. PuLP takes no infinite right-hand side: ∞ becomes 1 more than
        the most the terms can reach within their columns' bounds, which no plan meets."""
        if np.isinf(upper):
            bounds = [(coefficient, variable.upBound if coefficient > 0 else variable.lowBound)
                      for variable, coefficient in row.items()]
            if any(bound is None or not np.isfinite(bound) for _, bound in bounds):
                raise ValueError(f"row {row.name} has an unbounded term: it cannot be relaxed")
            upper = sum(coefficient * bound for coefficient, bound in bounds) + 1.0
        row.changeRHS(float(upper))

    def drop_row(self, row: pulp.LpConstraint) -> None:
        """Take an added row out of the model (its handle is then spent). PuLP deletes
        no constraint, so the row is emptied: 0 ≥ 0 binds no plan."""
        for variable, _ in list(row.items()):
            row.set_coefficient(variable, 0.0)
        row.changeRHS(0.0)

    def row_dual(self, row: pulp.LpConstraint) -> float:
        return np.nan if row.pi is None else float(row.pi)

    def basis_duals(self, cost: np.ndarray) -> None:
        return None  # PuLP hands no basis over

    def add_columns(self, count: int, lower: float, upper: float) -> np.ndarray:
        """Append ``count`` continuous columns with no terms and no cost; their positions."""
        first = len(self.variables)
        for position in range(first, first + count):
            self.variables.append(self.problem.add_variable(f"added_{position}", lower, upper))
        self.integer = np.concatenate([self.integer, np.zeros(count, dtype=bool)])
        self.held_back = np.concatenate([self.held_back, np.zeros(count, dtype=bool)])
        return np.arange(first, first + count)

    def add_rows(self, row: np.ndarray, column: np.ndarray, coefficient: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows lower ≤ Σ terms ≤ upper, given as terms (row 0 … k−1, column,
        coefficient)."""
        first = len(self.problem.constraints())
        order = np.argsort(row, kind="stable")
        bounds = np.searchsorted(row[order], np.arange(len(lower) + 1))
        for k in range(len(lower)):
            here = order[bounds[k]:bounds[k + 1]]
            expression = pulp.lpSum_vars_coefs(zip(
                [self.variables[c] for c in column[here]], coefficient[here], strict=True))
            name = f"added_{first + k}"
            if np.isfinite(upper[k]):
                self.problem.addConstraint(expression <= float(upper[k]), name + "_up")
            if np.isfinite(lower[k]):
                self.problem.addConstraint(expression >= float(lower[k]), name + "_low")

    def fix_columns(self, columns: np.ndarray, values: np.ndarray) -> None:
        self.set_column_bounds(columns, values, values)

    def set_column_bounds(self, columns: np.ndarray, lower: np.ndarray,
                          upper: np.ndarray) -> None:
        count = len(columns)
        lower = np.broadcast_to(np.asarray(lower, dtype=float), (count,))
        upper = np.broadcast_to(np.asarray(upper, dtype=float), (count,))
        for column, low, up in zip(columns, lower, upper, strict=True):
            self.variables[column].lowBound = float(low)
            self.variables[column].upBound = None if np.isinf(up) else float(up)

    def fix_rows(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Fix each model row at its value: Σ terms = value."""
        for row, value in zip(rows, values, strict=True):
            constraint = self.constraints[row]
            constraint.sense = pulp.LpConstraintEQ
            constraint.changeRHS(float(value))

    def hold_back(self, columns: np.ndarray) -> None:
        """PuLP's solvers are not priced between solves (``prices_held_back`` is False): a
        column held back could stay out of an optimum that needs it, so none may be."""
        if len(columns):
            raise ValueError("a PuLP session does not price held-back columns; "
                             "solve with every column free")

    def release_held_back(self, time_limit: float) -> tuple[str, str, bool]:
        """No column is held back (``hold_back``): solve again as the model stands."""
        return self.run(time_limit)

    def start_from(self, values: np.ndarray) -> None:
        self.warm_start = True  # PuLP passes the variables' current values as the start

    def make_continuous(self) -> None:
        for index in np.flatnonzero(self.integer):
            self.variables[index].cat = pulp.LpContinuous
        self.warm_start = False
