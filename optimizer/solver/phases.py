"""Solving the allocation model: solver choice, the two objective modes, status, duals.

Objective modes (SPEC §4):
- weighted: minimise cost + Σ shortfall_penalty(i) · u(a,i,t);
- lexicographic: phase 1 minimises W = Σ priority(i) · u(a,i,t), giving W*; phase 2
  minimises cost over the plans whose W stays within W* · (1 + tol) + tol.

Phase 2 of an LP keeps phase 1's optimal face instead of adding a dense row, when the
session's duals allow it (``SolverSession.keeps_optimal_face``: HiGHS): by complementary
slackness, with phase 1's duals fixed, the optimal plans are exactly the feasible plans
that keep every column with a non-zero reduced cost at its bound and every row with a
non-zero dual tight. Those columns and rows are fixed and phase 2 is solved again (from
phase 1's basis when the simplex method is used; large LPs use interior point, see
``highs.method``). If W should still leave the bound (numerical tolerance), the bound
row is added and phase 2 solved again. A MIP, or any other session, gets the bound row;
a MIP starts phase 2 from phase 1's solution.

The solves of a run go through one ``PhaseRunner``: its time limit, the objective
scaling, the record of the phases and the run's status.

A MILP's plan is then made exact in its continuous part (``_resolve_with_integers_fixed``):
the integers fixed at their values, the LP of the other columns solved again in the
configured mode, so that the MIP's stopping rule leaves no shortfall a continuous item
could still close (800 of 800 shells, not 799.998).

Status (SPEC §4): ``optimal``; ``feasible`` when a limit stopped the solver with a
solution not proven optimal (never called optimal); ``infeasible``; ``error``.
Duals come from the final solve; for a MILP, from that LP with the integers fixed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from optimizer.config import KNOWN_SOLVERS, Config, ObjectiveConfig, solver_class_name
from optimizer.errors import SolverFailure
from optimizer.model.build import AllocationModel, open_share_rows
from optimizer.model.linear import dense_objective
from optimizer.model.restrict import BasePlan, held_back_columns
from optimizer.model.status import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL
from optimizer.solver import highs
from optimizer.solver.pulp import INSTALL_HINTS, PulpSession
from optimizer.solver.session import RowHandle, SolverSession, TimeBudget
from optimizer.tolerance import DUAL_TOLERANCE, RELATIVE, ROUND_OFF, with_round_off

_SEVERITY = {OPTIMAL: 0, FEASIBLE: 1, INFEASIBLE: 2, ERROR: 3}
_PHASE_TEXT = {
    "weighted": "solving (cost + shortfall penalty)",
    "shortfall": "solving phase 1 of 2 (least weighted shortfall)",
    "cost": "solving phase 2 of 2 (least cost at that shortfall)",
    "weighted, integers fixed": "whole units fixed: solving the rest (cost + shortfall "
                                "penalty)",
    "shortfall, integers fixed": "whole units fixed: least weighted shortfall of the rest",
    "cost, integers fixed": "whole units fixed: least cost at that shortfall",
    "tie-break": "choosing among plans of equal cost (neutral tie-break)",
    "clean plan, whole units": "among plans of equal cost, the one that moves fewest "
                               "whole units between allies",
    "clean plan": "among plans of equal cost, the one that moves and pays least between "
                  "allies",
}
# Phases whose objective is ours, not the data's: scaled even in a MIP (objective_scale).
_OWN_OBJECTIVE = ("tie-break", "clean plan")


def objective_scale(cost: np.ndarray, *, is_mip: bool = False) -> float:
    """The power of two by which a phase's objective is multiplied before it reaches the
    solver: it brings the largest coefficient into [32, 64). Prices of up to 5e6 and
    shortfall penalties of 1e6 a unit would otherwise meet HiGHS's absolute tolerances
    of 1e-7 (measured at M: the weighted LP unsolved after 400 s against 104 s scaled).
    A power of two changes no digit of the data; duals are divided by it on the way out.

    A MIP keeps its objective as stated (scale 1): whole-euro prices on whole units give
    an objective that only takes whole values, which HiGHS detects and prunes with;
    scaled, the sample alliance's phase 2 took 19 s instead of 0.6 s."""
    if is_mip:
        return 1.0
    largest = float(np.abs(cost).max(initial=0.0))
    if largest == 0 or not np.isfinite(largest):
        return 1.0
    return float(2.0 ** np.ceil(np.log2(32.0 / largest)))


@dataclass
class Sensitivity:
    """What the duals of one solve say, per unit of the objective and of each row as
    SPEC §4 states them: row duals, reduced costs, and (HiGHS, an LP with a basis) up to
    where each holds: a ≤ row's right-hand side may rise to ``row_up``, a column's upper
    bound to ``column_up``, both with the same dual."""

    duals: np.ndarray
    reduced_costs: np.ndarray
    row_up: np.ndarray | None = None
    column_up: np.ndarray | None = None


def sensitivity(session: SolverSession, linear, objective_scale_now: float, *, duals=None,
                reduced=None, ranging: bool = True) -> Sensitivity:
    """The session's last solve, in stated units (see RowFamily.scale, objective_scale);
    with ranges when ``ranging`` and the session gives them (``gives_ranging``)."""
    scales = linear.row_scales()
    n_rows = linear.n_rows
    duals = session.row_duals() if duals is None else duals
    reduced = session.reduced_costs() if reduced is None else reduced
    found = Sensitivity(duals[:n_rows] * scales / objective_scale_now,
                        reduced / objective_scale_now)
    ranges = session.ranging() if ranging and session.gives_ranging else None
    if ranges is not None:
        row_up, column_up = ranges
        found.row_up, found.column_up = row_up[:n_rows] / scales, column_up
    return found


@dataclass
class TieBreak:
    """What the neutral tie-break (``break_ties``) found among the optimal plans:
    whether a plan of equal cost and shortfall other than the first one found exists,
    whether it splits the gaps between allies differently, and, per item, the largest
    share of any ally's gap the chosen plan leaves open."""

    applied: bool  # the chosen plan is the tie-break's (else the first optimal one found)
    other_plans: bool
    other_split: bool
    largest_open_share: pd.Series  # item → the largest Σ_t u / Σ_t gap of any ally
    message: str
    values: np.ndarray | None = None


@dataclass
class SolveOutcome:
    """What the solves of one run gave: SPEC status, a sentence, solver, the phases, and
    the final values and reduced costs (per column) and duals (per row of the linear
    model), both per unit of the objective and of each row as SPEC §4 states them."""

    status: str
    message: str
    solver: str
    solver_version: str
    phases: list[dict] = field(default_factory=list)
    weighted_shortfall_optimum: float | None = None
    values: np.ndarray | None = None
    # Of the final solve: d(optimised objective)/d(limit), with ranges. In lexicographic
    # mode the objective is the cost at the least weighted shortfall, and the derivative
    # follows the shortfall as it moves with the limit (``_lexicographic_cost``).
    final: Sensitivity | None = None
    # An LP's split of what a limit is worth: d W / d limit (lexicographic: phase 1's
    # duals; weighted: the final basis with W as objective) and d cost / d limit.
    shortfall: Sensitivity | None = None
    cost: Sensitivity | None = None
    tie_break: TieBreak | None = None  # explain.tie_break: how the plan was chosen
    clean_plan: CleanPlan | None = None  # explain.clean_plan: what it saved in movements
    base_plan: BasePlan | None = None  # asked for with keep_plan
    from_base: bool = False  # the solve started from a given base plan (restrict.py)
    seconds: float = 0.0

    @property
    def duals(self) -> np.ndarray | None:
        return None if self.final is None else self.final.duals

    @property
    def reduced_costs(self) -> np.ndarray | None:
        return None if self.final is None else self.final.reduced_costs


@contextlib.contextmanager
def solver_output(verbose: bool):
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


def open_session(model: AllocationModel, config: Config,
                 verbose: bool) -> tuple[SolverSession, str]:
    """The solver named by ``solver.name`` holding the model, and its name and version:
    HiGHS in-process for "highs", else the PuLP solver of that name (its log, as it
    takes the model, kept off standard output: ``solver_output``). A sentence says what
    to install when it is missing."""
    settings = config.solver
    requested = settings.name.strip()
    common = {"verbose": verbose, "mip_gap": settings.mip_gap, "threads": settings.threads}
    with solver_output(verbose):
        if requested.lower() == "highs" and highs.available():
            return highs.HighsSession(model.linear, **common), highs.version()
        class_name = solver_class_name(requested)
        if class_name is None:
            raise SolverFailure(
                f"solver.name '{requested}' is not a solver PuLP can drive; use one of "
                f"{KNOWN_SOLVERS}")
        if not pulp.getSolver(class_name, msg=False).available():
            hint = INSTALL_HINTS.get(class_name, "install it and its PuLP interface")
            raise SolverFailure(f"solver '{requested}' is not installed; {hint}")
        return (PulpSession(model.linear, class_name, **common),
                f"{class_name} (through PuLP)")


class PhaseRunner:
    """The solves of one run on one session within one time budget (the run's limit).

    Each solve's objective reaches the solver multiplied by ``objective_scale`` (a
    power of two; ``scale`` and ``held_cost`` are those of the last solve, so that its
    duals can be divided back), and its log is kept off standard output
    (``solver_output``). A named phase (``run``) is also announced (``progress``) and
    recorded (``phases``: name, SPEC status, sentence, seconds, objective as stated),
    and the run's ``status`` and ``message`` are those of the worst status any phase
    that sets the status gave (optimal < feasible < infeasible < error)."""

    def __init__(self, session: SolverSession, budget: TimeBudget, *, verbose: bool = False,
                 progress=lambda stage: None) -> None:
        self.session = session
        self.budget = budget
        self.verbose = verbose
        self.progress = progress
        self.phases: list[dict] = []
        self.status, self.message = OPTIMAL, "solved to optimality"
        self.scale = 1.0
        self.held_cost = np.zeros(0)  # the objective the solver holds (none set yet)

    def solve(self, cost: np.ndarray, *, seconds: float | None = None,
              own_objective: bool = False) -> tuple[str, str, bool]:
        """Minimise ``cost`` for at most ``seconds`` (default: what is left of the
        limit); what the session's ``run`` returns. ``own_objective``: the objective is
        the run's own, not the data's, and is scaled even in a MIP (``objective_scale``)."""
        self._hold(cost, own_objective)
        return self._solve_held(seconds)

    def run(self, name: str, cost: np.ndarray, *, sets_status: bool = True,
            seconds: float | None = None, any_solution: bool = False) -> bool:
        """The phase ``name``: minimise ``cost``; whether it gave a plan to use: one
        proven optimal, or any feasible one when the phase sets the run's status (a limit
        then makes the run ``feasible``) or ``any_solution`` (each is as good as the
        start)."""
        self.progress(_PHASE_TEXT[name])
        self._hold(cost, name in _OWN_OBJECTIVE)
        phase_started = time.perf_counter()
        status, message, has_solution = self._solve_held(seconds)
        self.phases.append({
            "phase": name, "status": status, "message": message,
            "seconds": time.perf_counter() - phase_started,
            "objective": float(cost @ self.session.values()) if has_solution else None,
        })
        if sets_status and _SEVERITY[status] > _SEVERITY[self.status]:
            self.status, self.message = status, message
        return has_solution and (sets_status or any_solution or status == OPTIMAL)

    def _hold(self, cost: np.ndarray, own_objective: bool) -> None:
        self.scale = objective_scale(cost, is_mip=self.session.is_mip and not own_objective)
        self.held_cost = cost * self.scale
        self.session.set_cost(self.held_cost)

    def _solve_held(self, seconds: float | None) -> tuple[str, str, bool]:
        with solver_output(self.verbose):
            return self.session.run(self.budget.remaining() if seconds is None else seconds)


def solve_model(model: AllocationModel, config: Config, *, verbose: bool = False,
                progress=lambda stage: None, base_plan: BasePlan | None = None,
                keep_plan: bool = False) -> SolveOutcome:
    """Solve in the configured objective mode; the outcome holds the final values and
    duals (integers fixed for a MILP). An LP solved by a session that prices held-back
    columns (HiGHS) starts from ``base_plan`` when the model has its structure
    (``optimizer.model.restrict``), a MIP from its values as the first incumbent; with
    ``keep_plan`` such an LP hands its own plan back as one (``outcome.base_plan``)."""
    started = time.perf_counter()
    objective = config.objective
    time_limit = config.solver.time_limit
    explain = config.explain
    ranging = explain.ranging
    n_columns = model.linear.n_columns
    session, version = open_session(model, config, verbose)
    budget = TimeBudget(time_limit, started)
    runner = PhaseRunner(session, budget, verbose=verbose, progress=progress)
    outcome = SolveOutcome(OPTIMAL, "solved to optimality", config.solver.name, version,
                           phases=runner.phases)

    restartable = session.prices_held_back and not session.is_mip
    if restartable and base_plan is not None:
        held_back = held_back_columns(model.linear, base_plan)
        session.hold_back(held_back)
        outcome.from_base = len(held_back) > 0
    elif (session.is_mip and base_plan is not None
          and base_plan.fingerprint == model.linear.structure_fingerprint()):
        # The base plan as the first incumbent (the solver drops it if it is infeasible):
        # a limit relaxed by a step keeps it feasible.
        session.start_from(base_plan.values)
        outcome.from_base = True

    cost = dense_objective(n_columns, list(model.cost_terms.values()))
    bound_row = None
    if objective.mode == "weighted":
        solved = runner.run("weighted",
                            cost + dense_objective(n_columns, [model.shortfall_penalty]))
    else:
        shortfall = dense_objective(n_columns, [model.weighted_shortfall])
        solved = runner.run("shortfall", shortfall)
        if solved and not session.is_mip:
            outcome.shortfall = sensitivity(session, model.linear, runner.scale,
                                            ranging=ranging)
        if solved:
            optimum = float(shortfall @ session.values())
            outcome.weighted_shortfall_optimum = optimum
            tolerance = objective.shortfall_tolerance
            bound = optimum * (1 + tolerance) + tolerance
            solved, bound_row = _minimise_cost_within(runner, cost, shortfall, optimum, bound)
    if solved:
        values, duals, reduced = session.values(), session.row_duals(), session.reduced_costs()
        if ranging and restartable and session.held_back.any():
            # Ranging reads every column's bounds: give the held-back ones theirs (the
            # basis stays optimal, their reduced costs being ≥ 0).
            session.release_held_back(budget.remaining())
            values, duals, reduced = (session.values(), session.row_duals(),
                                      session.reduced_costs())
        clean_first = None
        if session.is_mip and explain.clean_plan and runner.status == OPTIMAL:
            # Whole-unit transfers are fixed with the integers below: cleaned here, in the
            # MIP, within a quarter of the time the plan took (what it finds is kept).
            clean_first = clean_whole_unit_transfers(
                runner, model, runner.held_cost, values,
                min(budget.remaining(), max(MIN_CLEAN_SECONDS, 0.25 * budget.elapsed())))
            if clean_first is not None and clean_first.applied:
                values = clean_first.values
        if session.is_mip:
            # LPs with every integer fixed are quick; together they may use a tenth of the
            # limit even when the MIP used it all, so that a limited plan still has
            # marginal values.
            fixed = _resolve_with_integers_fixed(runner, model, objective, values, bound_row,
                                                 max(budget.remaining(), 0.1 * time_limit),
                                                 ranging)
            values, duals, reduced = fixed.values, fixed.duals, fixed.reduced_costs
            if fixed.weighted_shortfall is not None:  # lexicographic
                outcome.weighted_shortfall_optimum = fixed.weighted_shortfall
                outcome.shortfall = fixed.shortfall
        # Per unit of each row as SPEC §4 states it (a euro, not a million: see RowFamily)
        # and of the objective as stated (see objective_scale).
        outcome.values = values
        outcome.final = sensitivity(session, model.linear, runner.scale, duals=duals,
                                    reduced=reduced, ranging=ranging)
        if not session.is_mip:
            if outcome.shortfall is not None:  # lexicographic
                if bound_row is not None:
                    _lexicographic_cost(outcome.final, outcome.shortfall,
                                        session.row_dual(bound_row) / runner.scale)
                outcome.cost = outcome.final
            else:
                outcome.shortfall = _basis_sensitivity(
                    session, model.linear, dense_objective(n_columns, [model.weighted_shortfall]))
                outcome.cost = _basis_sensitivity(session, model.linear, cost)
        elif outcome.shortfall is not None:  # lexicographic: the LP with the integers fixed
            outcome.cost = outcome.final
        if (explain.tie_break and runner.status == OPTIMAL
                and np.isfinite(duals).all()):
            outcome.tie_break = break_ties(runner, model, runner.held_cost, values)
            if outcome.tie_break is not None and outcome.tie_break.applied:
                outcome.values = outcome.tie_break.values
        if (explain.clean_plan and runner.status == OPTIMAL
                and np.isfinite(duals).all()
                and (outcome.tie_break is None or outcome.tie_break.applied)):
            outcome.clean_plan = clean_plan(runner, model, runner.held_cost, outcome.values,
                                            first=clean_first)
            if outcome.clean_plan is not None and outcome.clean_plan.applied:
                outcome.values = outcome.clean_plan.values
        elif clean_first is not None:
            outcome.clean_plan = clean_first
        if keep_plan and restartable:
            outcome.base_plan = BasePlan.of(model.linear, outcome.values)
    outcome.status, outcome.message = runner.status, runner.message
    outcome.seconds = budget.elapsed()
    return outcome


def _minimise_cost_within(runner: PhaseRunner, cost: np.ndarray, shortfall: np.ndarray,
                          optimum: float, bound: float) -> tuple[bool, RowHandle | None]:
    """Phase 2: least cost with W ≤ bound (see the module docstring for the method: an
    LP on a session that ``keeps_optimal_face`` keeps phase 1's face). Returns whether
    it solved and the W row when one was added (else None).

    An LP's row holds W to phase 1's optimum plus round-off (``ROUND_OFF``), within the
    configured bound: phase 1's own plan meets it, and a cost phase given the whole
    ``shortfall_tolerance`` spends it all, trading shortfall for money below what the
    solver can tell apart (a plan 60.00006 short where 60 is the optimum). A MIP keeps
    the configured bound, which its integrality tolerances need."""
    session = runner.session
    used = np.flatnonzero(shortfall)
    if session.keeps_optimal_face and not session.is_mip:
        # Phase 1's duals are those of its objective as the solver held it.
        _keep_to_optimal_face(session, shortfall * objective_scale(shortfall))
        if not runner.run("cost", cost):
            return False, None
        if float(shortfall @ session.values()) <= bound:
            return True, None
        # Outside the bound after all: add it, as for any other solver.
    elif session.is_mip:
        session.start_from(session.values())
    held_to = bound if session.is_mip else min(bound, with_round_off(optimum))
    bound_row = session.add_row(used, shortfall[used], -np.inf, held_to)
    if held_to < bound:
        if runner.run("cost", cost, sets_status=False):
            return True, bound_row
        # The solver's own precision (CBC's solution file) can miss the held value.
        session.set_row_upper(bound_row, bound)
    return runner.run("cost", cost), bound_row


def _lexicographic_cost(final: Sensitivity, shortfall: Sensitivity, bound_dual: float) -> None:
    """Make phase 2's duals the derivative of the lexicographic cost C(b) = least cost at
    the least weighted shortfall W*(b), for a limit b: moving b moves W* by phase 1's
    dual y₁ = dW*/db, and the W ≤ W* row with it, so dC/db = y₂ + μ · y₁, with y₂ phase
    2's dual of b and μ that of the W row. (Where phase 2 keeps phase 1's optimal face
    instead of the W row, μ = 0: the face moves with b by itself, and y₂ is already the
    whole derivative, a cost where relaxing b buys more.)"""
    final.duals = final.duals + bound_dual * shortfall.duals
    final.reduced_costs = final.reduced_costs + bound_dual * shortfall.reduced_costs


def _basis_sensitivity(session: SolverSession, linear,
                       objective: np.ndarray) -> Sensitivity | None:
    """d(objective · x)/d(limit) as the plan moves along the final optimal basis, for an
    objective other than the one solved (a session that ``gives_basis``, an LP with a
    basis; else None): row duals y = B⁻ᵀ c_B, reduced costs c − Aᵀy, per unit of each
    row as stated."""
    duals = session.basis_duals(objective) if session.gives_basis else None
    if duals is None:
        return None
    starts, columns, values = linear.matrix()
    row_of_term = np.repeat(np.arange(linear.n_rows), np.diff(starts))
    reduced = objective - np.bincount(columns, weights=values * duals[row_of_term],
                                      minlength=linear.n_columns)
    return sensitivity(session, linear, 1.0, duals=duals, reduced=reduced, ranging=False)


def _keep_to_optimal_face(session: SolverSession, held_cost: np.ndarray) -> None:
    """Restrict the model to the optimal plans of the LP just solved, whose objective the
    solver held as ``held_cost``: by complementary slackness with its (optimal) duals,
    those are the feasible plans that keep each column with a non-zero reduced cost at
    its value and each row with a non-zero dual at its activity."""
    scale = max(1.0, float(np.abs(held_cost).max(initial=0.0)))
    reduced, duals = session.reduced_costs(), session.row_duals()
    values, activity = session.values(), session.row_activity()
    columns = np.flatnonzero(np.abs(reduced) > DUAL_TOLERANCE * scale)
    rows = np.flatnonzero(np.abs(duals) > DUAL_TOLERANCE * scale)
    session.fix_columns(columns, values[columns])
    session.fix_rows(rows, activity[rows])




def break_ties(runner: PhaseRunner, model: AllocationModel, held_cost: np.ndarray,
               values: np.ndarray) -> TieBreak | None:
    """The neutral tie-break: among the plans of the optimum just found (same cost, same
    shortfall), the one that, item by item, leaves the smallest largest share of any
    ally's gap open: min Σ_i z_i subject to ``open_share_rows`` on the optimal face.

    The face is kept by fixing what the duals of the last LP solve fix (a session that
    ``keeps_optimal_face``; for a MILP, the LP with its integers fixed, so whole-unit
    decisions stay as found) or, with another, by a row holding the objective at its
    optimum. Comparing the chosen plan with the first one found says whether other plans
    of equal cost and shortfall exist. None when no ally has a gap to share."""
    shares = open_share_rows(model)
    if shares.labels.empty:
        return None
    session = runner.session
    n_columns = model.linear.n_columns
    first = shares.shares(values)
    _keep_optimum(session, held_cost, "objective_bound")
    z = session.add_columns(len(shares.items), 0.0, 1.0)
    k = len(shares.labels)
    session.add_rows(np.concatenate([shares.row, np.arange(k)]),
                     np.concatenate([shares.column, z[shares.item_of_row]]),
                     np.concatenate([shares.coefficient, -np.ones(k)]),
                     np.full(k, -np.inf), np.zeros(k))
    objective = np.zeros(z[-1] + 1)
    objective[z] = 1.0
    if not runner.run("tie-break", objective, sets_status=False):
        return TieBreak(False, False, False, _largest(shares, first),
                        "the tie-break among plans of equal cost did not finish "
                        f"({runner.phases[-1]['message']}); the plan is the first optimal "
                        "one found")
    chosen = session.values()[:n_columns]
    if _costs_more(held_cost[:n_columns], chosen, values):
        return TieBreak(False, False, False, _largest(shares, first),
                        "the tie-break's plan cost more than the optimum (round-off); the "
                        "plan is the first optimal one found")
    other_split = bool(np.abs(shares.shares(chosen) - first).max() > RELATIVE)
    other_plans = other_split or bool(
        (np.abs(chosen - values) > RELATIVE * np.maximum(1.0, np.abs(values))).any())
    if other_split:
        message = ("other plans of equal cost and shortfall exist that split the gaps "
                   "between allies differently; this one leaves, item by item, the "
                   "smallest possible largest share of any ally's gap open")
    elif other_plans:
        message = ("other plans of equal cost and shortfall exist (other lines, routes or "
                   "timing), all leaving the same share of each ally's gap open")
    else:
        message = "no other plan of equal cost and shortfall was found"
    return TieBreak(True, other_plans, other_split, _largest(shares, shares.shares(chosen)),
                    message, chosen)


def _keep_optimum(session: SolverSession, held_cost: np.ndarray, name: str, *,
                  face: bool = True) -> RowHandle | None:
    """Restrict the model to the optima of the LP just solved, whose objective the
    solver held as ``held_cost``: by its optimal face (``_keep_to_optimal_face``) when
    ``face`` and the session ``keeps_optimal_face``, else by a row objective ≤ optimum
    plus round-off (``with_round_off``: the slack only round-off needs, which the
    tie-break would otherwise trade cost for), whose handle is returned (None for the
    face)."""
    if face and session.keeps_optimal_face:
        _keep_to_optimal_face(session, held_cost)
        return None
    used = np.flatnonzero(held_cost)
    optimum = float(held_cost @ session.values())
    return session.add_row(used, held_cost[used], -np.inf, with_round_off(optimum), name=name)


MIN_CLEAN_SECONDS = 1.0  # the whole-unit clean-plan MIP may take at least this long


def _costs_more(economic: np.ndarray, chosen: np.ndarray, values: np.ndarray) -> bool:
    """Whether a plan chosen on the optimal face costs more than the optimum ``values``
    by more than round-off (``RELATIVE``): it left the face, and is not used."""
    optimum = float(economic @ values)
    return float(economic @ chosen) > optimum + RELATIVE * max(1.0, abs(optimum))


def _clean_objective(model: AllocationModel, n_columns: int) -> np.ndarray:
    """The clean-plan phase's objective: Σ weight · term over ``model.clean_terms``
    (every unit moved between allies, every million of funding and of fees)."""
    return dense_objective(n_columns, [
        (term.terms[0], term.weight * term.terms[1]) for term in model.clean_terms])


@dataclass
class CleanPlan:
    """What the clean-plan phase (``clean_plan``) did: each of ``model.clean_terms``
    (units moved between allies, funding, fees) in the plan first found and in the plan
    reported."""

    applied: bool  # the reported plan is the clean phase's
    first: list[float]
    chosen: list[float]
    message: str
    values: np.ndarray | None = None


def _in_words(model: AllocationModel, amounts: list[float]) -> str:
    said = [term.words(amount) for term, amount in zip(model.clean_terms, amounts, strict=True)
            if amount > ROUND_OFF]
    return ", ".join(said) or model.clean_terms[0].words(0.0)


def _cleaned(model: AllocationModel, first: list[float], values: np.ndarray) -> CleanPlan:
    chosen = [term.measure(values) for term in model.clean_terms]
    if any(now < was - RELATIVE * max(1.0, was) for now, was in zip(chosen, first, strict=True)):
        return CleanPlan(True, first, chosen,
                         f"{_in_words(model, chosen)}: the least any plan of equal cost and "
                         f"shortfall can (the first one found: {_in_words(model, first)})",
                         values)
    return CleanPlan(False, first, first,
                     f"{_in_words(model, first)}: no plan of equal cost and shortfall does "
                     "less", None)


def _not_cleaned(first: list[float], message: str) -> CleanPlan:
    return CleanPlan(False, first, first, message)


def clean_plan(runner: PhaseRunner, model: AllocationModel, held_cost: np.ndarray,
               values: np.ndarray, *, first: CleanPlan | None = None) -> CleanPlan | None:
    """Among the optima of the last LP solve (after the tie-break, its optima: the
    tie-break's choice holds), the cleanest plan: min Σ weight · term over
    ``model.clean_terms`` (Σ y(g,a,i,t) moved between allies, Σ f funding, Σ fees) on that
    optimal face (``_keep_optimum``). A plan in which an ally gives and receives the
    same item, moves more than its gaps need, or pays for another ally's purchases that
    it could have made itself, is optimal and useless to act on; this one moves and pays
    only what the optimum needs. For a MILP it runs on the LP with the integers fixed
    (its continuous part), after ``clean_whole_unit_transfers``. None when the plan has
    nothing to clean."""
    session = runner.session
    n_columns = model.linear.n_columns
    measured = [term.measure(values) for term in model.clean_terms]
    first_found = measured if first is None else first.first
    if all(amount <= ROUND_OFF for amount in measured):
        return None if first is None else _cleaned(model, first_found, values)
    _keep_optimum(session, held_cost, "clean_plan_bound")
    objective = _clean_objective(model, len(held_cost))
    if not runner.run("clean plan", objective, sets_status=False):
        return first or _not_cleaned(
            first_found, f"{_in_words(model, first_found)}: the search for a cleaner plan "
            "did not finish; the plan is the first optimal one found")
    chosen = session.values()[:n_columns]
    if _costs_more(held_cost[:n_columns], chosen, values):
        return first or _not_cleaned(
            first_found, f"{_in_words(model, first_found)}: the cleaner plan cost more "
            "(round-off); the plan is the first optimal one found")
    return _cleaned(model, first_found, chosen)


def clean_whole_unit_transfers(runner: PhaseRunner, model: AllocationModel,
                               held_cost: np.ndarray, values: np.ndarray,
                               seconds: float) -> CleanPlan | None:
    """A MILP's clean-plan phase over its whole-unit transfers, which fixing the
    integers would keep as found: min ``_clean_objective`` subject to the model and the
    last phase's objective held at the incumbent's value (``_keep_optimum``, a row),
    from the incumbent, for at most ``seconds``; the best plan found is kept (it is
    never worse than the incumbent). The row is lifted afterwards, for the LPs with the
    integers fixed. None when no whole-unit transfer is in the plan."""
    session = runner.session
    transfers = model.y
    whole = transfers[session.integer[transfers]] if len(transfers) else transfers
    if not len(whole) or float(values[whole].sum()) <= ROUND_OFF:
        return None
    first = [term.measure(values) for term in model.clean_terms]
    row = _keep_optimum(session, held_cost, "whole_unit_clean_plan_bound", face=False)
    objective = _clean_objective(model, len(held_cost))
    session.start_from(values)
    found = runner.run("clean plan, whole units", objective, sets_status=False,
                       seconds=seconds, any_solution=True)
    chosen = session.values() if found else values
    session.drop_row(row)
    if not found or float(objective[:len(chosen)] @ chosen) > float(
            objective[:len(values)] @ values):
        return _not_cleaned(first, f"{_in_words(model, first)}: the search for a plan that "
                            "moves fewer whole units found none in its time")
    return _cleaned(model, first, chosen)


def _largest(shares, share_of_row: np.ndarray) -> pd.Series:
    return pd.Series(share_of_row, index=shares.labels["item"]).groupby(level=0).max()


@dataclass
class IntegersFixed:
    """The plan of a MILP with its continuous part re-solved (``_resolve_with_integers_fixed``):
    values, and the duals and reduced costs of the last LP (NaN when it did not solve);
    in lexicographic mode the least weighted shortfall with the integers fixed and what
    the duals of that solve say (dW/d(limit), per unit of each row as stated)."""

    values: np.ndarray
    duals: np.ndarray
    reduced_costs: np.ndarray
    weighted_shortfall: float | None = None
    shortfall: Sensitivity | None = None


def _resolve_with_integers_fixed(runner: PhaseRunner, model: AllocationModel,
                                 objective: ObjectiveConfig, values: np.ndarray,
                                 bound_row: RowHandle | None, seconds: float,
                                 ranging: bool = False) -> IntegersFixed:
    """Fix every integer column at its value (rounded) and solve the LP of the continuous
    columns in the configured objective mode; its plan is the one reported and its duals
    the marginal values (a MILP has none).

    - weighted: min cost + Σ shortfall_penalty(i) · u(a,i,t), integers fixed;
    - lexicographic: min W = Σ priority(i) · u(a,i,t), integers fixed, giving W_c; then
      min cost with W held at W_c, by the LP path's method (a session that
      ``keeps_optimal_face``: the W solve's optimal face, ``_keep_to_optimal_face``;
      another, or W leaving the face by round-off: the W row held at W_c plus round-off,
      else at W_c · (1 + tol) + tol), the duals then made the lexicographic cost's
      derivative (``_lexicographic_cost``).

    Why: the MIP's phases stop within ``solver.mip_gap``, and its phase 2 may spend the
    whole ``shortfall_tolerance`` on the continuous items (799.998 of 800 shells to save
    their price). Minimising W again with the integers fixed closes what they can close;
    the MIP's W row is relaxed for that solve (W ≤ ∞) and holds W at W_c for the next.
    Should a solve fail, the MIP's values are kept and the duals and reduced costs left
    out (NaN) rather than wrong. In lexicographic mode the W solve's sensitivity is
    returned too (``SolveOutcome.shortfall``, as the LP path's phase 1; with its ranges
    when ``ranging``). ``bound_row``: the W row of the MIP's phase 2 (lexicographic mode);
    ``seconds``: the time these LP solves may take together."""
    session = runner.session
    together = TimeBudget(seconds)

    def solve_lp(name: str, objective_now: np.ndarray) -> bool:
        return runner.run(name, objective_now, sets_status=False,
                          seconds=together.remaining())

    integer = np.flatnonzero(session.integer)
    session.fix_columns(integer, np.round(values[integer]))
    session.make_continuous()
    n_columns = model.linear.n_columns
    cost = dense_objective(n_columns, list(model.cost_terms.values()))

    def failed() -> IntegersFixed:
        return IntegersFixed(values, np.full(len(session.row_duals()), np.nan),
                             np.full(len(values), np.nan))

    if objective.mode == "weighted":
        if not solve_lp("weighted, integers fixed",
                        cost + dense_objective(n_columns, [model.shortfall_penalty])):
            return failed()
        return IntegersFixed(session.values(), session.row_duals(), session.reduced_costs())

    shortfall = dense_objective(n_columns, [model.weighted_shortfall])
    # W_c ≤ the MIP's W ≤ its bound, yet the row would still hold the MIP's slack in: in
    # the ranges (a target's dual "holds until" 0.0018 more), in a degenerate dual, in
    # an infeasible LP should rounding the integers cost more W than the slack.
    session.set_row_upper(bound_row, np.inf)
    if not solve_lp("shortfall, integers fixed", shortfall):
        return failed()
    least = float(shortfall @ session.values())
    of_least = Sensitivity(session.row_duals(), session.reduced_costs())  # dW/d(limit)
    # In stated units (a MIP's phases are held unscaled), with ranges read before the
    # next solve replaces them.
    stated = sensitivity(session, model.linear, 1.0, ranging=ranging)
    tolerance = objective.shortfall_tolerance
    held_to = with_round_off(least)
    solved = False
    if session.keeps_optimal_face:
        # Held as stated: a MIP's phases are not scaled (``objective_scale``).
        _keep_to_optimal_face(session, shortfall)
        solved = (solve_lp("cost, integers fixed", cost)
                  and float(shortfall @ session.values()) <= held_to)
    else:
        # A shortfall column with a positive reduced cost is 0 in every plan of least W
        # (complementary slackness): fixed there, the held row's round-off cannot be
        # spent on it (a shortfall of 1.8e-6 on a target met in full).
        idle = np.flatnonzero((shortfall > 0) & (
            of_least.reduced_costs > DUAL_TOLERANCE * shortfall.max()))
        session.fix_columns(idle, np.zeros(len(idle)))
    row_held = not solved
    if row_held:
        for upper in (held_to, least * (1 + tolerance) + tolerance):
            # The solver's own precision (CBC's solution file) can miss the held value.
            session.set_row_upper(bound_row, upper)
            solved = solve_lp("cost, integers fixed", cost)
            if solved:
                break
    if not solved:
        return failed()
    final = Sensitivity(session.row_duals(), session.reduced_costs())
    if row_held:
        _lexicographic_cost(final, of_least, session.row_dual(bound_row))
    return IntegersFixed(session.values(), final.duals, final.reduced_costs, least, stated)
