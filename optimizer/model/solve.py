"""Solving the allocation model: solver choice, the two objective modes, status, duals.

Objective modes (SPEC §4):
- weighted: minimise cost + Σ shortfall_penalty(i) · u(a,i,t);
- lexicographic: phase 1 minimises W = Σ priority(i) · u(a,i,t), giving W* (for a MILP,
  the incumbent's W); phase 2 minimises cost subject to
  W ≤ W* · (1 + shortfall_tolerance) + shortfall_tolerance.

Status (SPEC §4): ``optimal``; ``feasible`` when a limit stopped the solver with a
solution that is not proven optimal (never called optimal); ``infeasible``; ``error``.
Duals come from the final solve; for a MILP, from the LP with the integers fixed at
their values.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import pulp
from pulp import LpSolveStatus

from optimizer.errors import SolverFailure
from optimizer.model.build import AllocationModel

# Short names an analyst types in solver.name, and the PuLP solver class they mean.
SOLVER_NAMES = {
    "highs": "HiGHS",
    "highs_cmd": "HiGHS_CMD",
    "cbc": "COIN_CMD",
    "glpk": "GLPK_CMD",
    "gurobi": "GUROBI",
    "gurobi_cmd": "GUROBI_CMD",
    "cplex": "CPLEX_PY",
    "cplex_cmd": "CPLEX_CMD",
    "scip": "SCIP_PY",
    "xpress": "XPRESS_PY",
    "copt": "COPT",
    "mosek": "MOSEK",
}
INSTALL_HINTS = {
    "COIN_CMD": "install it with: pip install 'stockpile-optimiser[cbc]'",
    "HiGHS": "install it with: pip install highspy",
    "GLPK_CMD": "install GLPK (the glpsol program) or: pip install 'pulp[glpk]'",
    "SCIP_PY": "install it with: pip install 'pulp[scip]'",
}

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

_HIGHS_FEASIBLE = 2  # highspy.SolutionStatus.kSolutionStatusFeasible
_SEVERITY = {OPTIMAL: 0, FEASIBLE: 1, INFEASIBLE: 2, ERROR: 3}

_STOPPED_BY_A_LIMIT = {
    LpSolveStatus.TimeLimit: "the time limit",
    LpSolveStatus.MemoryLimit: "the memory limit",
    LpSolveStatus.NodeLimit: "a node limit",
    LpSolveStatus.GapLimit: "a gap or objective limit",
    LpSolveStatus.IterationLimit: "an iteration limit",
    LpSolveStatus.SolutionLimit: "a solution limit",
    LpSolveStatus.Interrupted: "an interruption",
    LpSolveStatus.Stopped: "the solver (reason not given)",
}


@dataclass
class SolveOutcome:
    """What the solves of one run gave: the SPEC status, a sentence, the solver's own
    words, the phase values and timings."""

    status: str
    message: str
    solver: str
    solver_version: str
    phases: list[dict] = field(default_factory=list)
    weighted_shortfall_optimum: float | None = None
    seconds: float = 0.0


def make_solver(config: dict, *, verbose: bool = False, time_limit: float | None = None,
                warm_start: bool = False):
    """The PuLP solver named by ``solver.name``, with time limit, gap and threads passed
    through; a sentence naming what to install when it is not available."""
    settings = config["solver"]
    requested = str(settings["name"]).strip()
    class_name = SOLVER_NAMES.get(requested.lower())
    if class_name is None:
        known = {name.lower(): name for name in pulp.listSolvers()}
        class_name = known.get(requested.lower())
    if class_name is None:
        raise SolverFailure(
            f"solver.name '{requested}' is not a solver PuLP can drive; use one of "
            + ", ".join(sorted(SOLVER_NAMES))
        )
    options = {
        "msg": verbose,
        "timeLimit": float(time_limit if time_limit is not None else settings["time_limit"]),
        "gapRel": float(settings["mip_gap"]),
    }
    if warm_start:
        options["warmStart"] = True
    if int(settings["threads"]) > 0:
        options["threads"] = int(settings["threads"])
    solver = pulp.getSolver(class_name, **options)
    if not solver.available():
        hint = INSTALL_HINTS.get(class_name, "install it and its PuLP interface")
        raise SolverFailure(f"solver '{requested}' is not installed; {hint}")
    return solver


def solver_version(solver) -> str:
    name = getattr(solver, "name", type(solver).__name__)
    if name == "HiGHS":
        import highspy

        return f"HiGHS {highspy.__version__ if hasattr(highspy, '__version__') else ''}".strip()
    if name == "COIN_CMD":
        return f"CBC ({getattr(solver, 'path', '')})"
    return name


@contextlib.contextmanager
def _solver_output(verbose: bool):
    """Keep standard output for our own results (``--json`` prints one line there):
    the solver's log goes to standard error with --verbose and nowhere otherwise."""
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.dup(2) if verbose else os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(target, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(target)


def _has_solution(stats, model: AllocationModel) -> bool:
    """Whether the solver handed back a feasible solution. PuLP infers it for HiGHS from a
    finite objective value, which HiGHS also reports (as 0) when a limit stopped it with
    nothing; HiGHS's own primal solution status is asked instead."""
    highs = getattr(model.problem, "solverModel", None)
    if stats.has_solution and hasattr(highs, "getInfo"):
        return int(highs.getInfo().primal_solution_status) == _HIGHS_FEASIBLE
    return bool(stats.has_solution)


def _classify(stats, model: AllocationModel) -> tuple[str, str]:
    status = stats.status
    has_solution = _has_solution(stats, model)
    if status == LpSolveStatus.Optimal and has_solution:
        return OPTIMAL, "solved to optimality"
    if status == LpSolveStatus.Infeasible:
        return INFEASIBLE, "the hard constraints cannot all hold"
    if status == LpSolveStatus.Undefined and not has_solution:
        # Every variable is ≥ 0 and every cost ≥ 0, so the objective is bounded below by
        # 0: "infeasible or unbounded" can only be infeasible.
        return INFEASIBLE, "the hard constraints cannot all hold"
    if status in _STOPPED_BY_A_LIMIT:
        reason = _STOPPED_BY_A_LIMIT[status]
        if has_solution:
            return FEASIBLE, f"stopped by {reason} with a solution not proven optimal"
        return ERROR, f"stopped by {reason} before finding any solution"
    return ERROR, f"the solver ended with status {status.name}"


def _run(model: AllocationModel, solver, verbose: bool):
    with _solver_output(verbose):
        return model.problem.solve(solver)


def solve_model(
    model: AllocationModel, config: dict, *, verbose: bool = False
) -> SolveOutcome:
    """Solve in the configured objective mode; the variables hold the final solution and
    the constraints the duals of the final solve (integers fixed for a MILP)."""
    objective = config["objective"]
    started = time.perf_counter()
    time_limit = float(config["solver"]["time_limit"])
    solver = make_solver(config, verbose=verbose)  # fails early if it is not installed
    outcome = SolveOutcome(OPTIMAL, "", str(config["solver"]["name"]), solver_version(solver))
    problem = model.problem

    def remaining() -> float:
        # What is left of the run's limit; never zero, which solvers read as "no limit".
        return max(1e-3, time_limit - (time.perf_counter() - started))

    def phase(name: str, objective_expression, warm_start: bool = False) -> str:
        problem.setObjective(objective_expression)
        phase_started = time.perf_counter()
        solver_for_phase = make_solver(config, verbose=verbose, time_limit=remaining(),
                                       warm_start=warm_start)
        stats = _run(model, solver_for_phase, verbose)
        status, message = _classify(stats, model)
        outcome.phases.append({
            "phase": name, "status": status, "message": message,
            "seconds": time.perf_counter() - phase_started,
            "objective": (pulp.value(objective_expression)
                          if status in (OPTIMAL, FEASIBLE) else None),
        })
        if _SEVERITY[status] > _SEVERITY[outcome.status]:
            outcome.status, outcome.message = status, message
        return status

    if objective["mode"] == "weighted":
        status = phase("weighted", model.cost + model.shortfall_penalty)
    else:
        status = phase("shortfall", model.weighted_shortfall)
        if status in (OPTIMAL, FEASIBLE):
            optimum = float(pulp.value(model.weighted_shortfall) or 0.0)
            outcome.weighted_shortfall_optimum = optimum
            tolerance = float(objective["shortfall_tolerance"])
            problem.addConstraint(
                model.weighted_shortfall <= optimum * (1 + tolerance) + tolerance,
                "shortfall_bound",
            )
            # Phase 1's solution is feasible for phase 2: a MIP starts from it.
            status = phase("cost", model.cost, warm_start=model.is_mip)
    if status in (OPTIMAL, FEASIBLE) and model.is_mip:
        _fix_integers_for_duals(model, config, verbose, remaining())
    if not outcome.message:
        outcome.message = "solved to optimality"
    outcome.seconds = time.perf_counter() - started
    return outcome


def _fix_integers_for_duals(
    model: AllocationModel, config: dict, verbose: bool, time_limit: float
) -> None:
    """Re-solve the LP with every integer variable fixed at its value, so that the
    constraints carry duals (a MILP has none)."""
    variables = model.problem.variables()
    solution = [variable.varValue for variable in variables]
    for variable in variables:
        if variable.cat == pulp.LpInteger:
            value = round(variable.varValue or 0.0)
            variable.cat = pulp.LpContinuous
            variable.lowBound = value
            variable.upBound = value
    stats = _run(model, make_solver(config, verbose=verbose, time_limit=time_limit), verbose)
    if not (stats.status == LpSolveStatus.Optimal and stats.has_solution):
        # Keep the MILP's solution; the report then shows no duals rather than wrong ones.
        for variable, value in zip(variables, solution, strict=True):
            variable.varValue = value
        for constraint in model.problem.constraints():
            constraint.pi = None
