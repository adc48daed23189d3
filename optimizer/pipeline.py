"""One ``stockpile solve`` run end to end: read, build, solve, verify, report.

Each phase is timed; the timings, the effective configuration and the verifier's
findings travel in ``RunResult`` into the report's Run info sheet and the JSON summary.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer import __version__
from optimizer.config import Config
from optimizer.errors import Problem
from optimizer.explain.advice import advise
from optimizer.explain.binding import binding_limits, unvalued_limits, with_money_steps
from optimizer.explain.diagnosis import Diagnosis, diagnose
from optimizer.explain.measured import explain_time_limit, measure_limits, weighted_objective
from optimizer.explain.rule_prices import rule_prices
from optimizer.model.build import create_model
from optimizer.model.plan import Plan, extract_plan
from optimizer.model.restrict import BasePlan
from optimizer.model.sets import build_sets
from optimizer.model.status import ERROR, INFEASIBLE, OPTIMAL, has_plan
from optimizer.scenarios.edits import Scenario
from optimizer.solve.lp_file import write_lp_file
from optimizer.solve.phases import CleanPlan, TieBreak, solve_model
from optimizer.verify.check import Verification, verify_plan
from optimizer.workbook.data import AllianceData, item_units
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.validation import load_workbook


@dataclass
class RunResult:
    """Everything a report or a JSON summary says about one run."""

    input_path: Path
    input_sha256: str
    config: Config
    status: str = ERROR
    message: str = ""
    solver: str = ""
    solver_version: str = ""
    plan: Plan | None = None
    verification: Verification | None = None
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    phases: list[dict] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    weighted_shortfall_optimum: float | None = None
    tool_version: str = __version__
    data: AllianceData | None = None
    binding: pd.DataFrame | None = None  # the binding limits (optimizer.explain.binding)
    diagnosis: Diagnosis | None = None  # why an infeasible input is (explain.diagnosis)
    rule_prices: pd.DataFrame | None = None  # each active rule's price (explain.rule_prices)
    advice: pd.DataFrame | None = None  # what would relax the plan (explain.advice)
    tie_break: TieBreak | None = None  # how the plan was chosen among equal ones
    clean_plan: CleanPlan | None = None  # what the clean-plan phase saved in movements
    base_plan: BasePlan | None = None  # this run's plan, to start scenarios from (keep_plan)
    from_base: bool = False  # the solve started from a given base plan
    scenario: Scenario | None = None  # the case of a sweep this run solved

    @property
    def effective_config(self) -> dict[str, object]:
        return self.config.flat()

    def summary(self) -> dict[str, object]:
        """The headline numbers: the Summary sheet and the JSON line."""
        summary: dict[str, object] = {"status": self.status, "message": self.message}
        if self.plan is not None:
            summary["total_cost"] = self.plan.total_cost
            summary["weighted_shortfall"] = self.plan.weighted_shortfall
            summary["gap_closed_pct"] = self.plan.gap_closed_pct
            summary.update(self.plan.cost_terms)
        if self.verification is not None:
            summary["verifier_max_violation"] = self.verification.max_violation
        if self.diagnosis is not None:
            summary["diagnosis"] = self.diagnosis.message
        if self.tie_break is not None and self.plan is not None:
            summary["equal_cost_plans"] = (
                "yes: a different split between allies" if self.tie_break.other_split
                else "yes: other lines, routes or timing" if self.tie_break.other_plans
                else "none found" if self.tie_break.applied else "not checked")
            summary["tie_break"] = self.tie_break.message
        if self.clean_plan is not None and self.plan is not None:
            summary["movements"] = self.clean_plan.message
        return summary


@contextlib.contextmanager
def timed(timings: dict[str, float], phase: str):
    """Record the wall time of a phase of the run in ``timings[phase]`` (seconds)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = time.perf_counter() - started


def _silent(stage: str) -> None:
    return None


def solve_workbook(path: Path, config: Config, *, verbose: bool = False,
                   write_lp: Path | None = None,
                   progress: Callable[[str], None] = _silent) -> RunResult:
    """Read, validate, build, solve, extract and verify; raises ``InputError`` for bad
    input. The result's status follows SPEC §4; a verified violation makes it ``error``.
    ``progress`` is told each stage as it starts (for a terminal display)."""
    path = Path(path)
    result = RunResult(input_path=path, input_sha256="", config=config)
    progress("reading the workbook")
    with timed(result.timings, "read"):
        data, result.warnings = load_workbook(path, config.rules)
        result.input_sha256 = sha256_of(path)
    return solve_data(data, config, result, verbose=verbose, write_lp=write_lp,
                      progress=progress)


def value_binding_limits(model, outcome, plan: Plan, data: AllianceData,
                         config: Config) -> pd.DataFrame:
    """The binding limits of the plan valued per step: in weighted mode by the final
    solve (the objective) and its split along the final basis; in lexicographic mode by
    phase 1 (weighted shortfall) and the cost at the new least shortfall."""
    weighted = config.objective.mode == "weighted"
    penalty = float(model.shortfall_penalty[1] @ outcome.values[model.shortfall_penalty[0]])
    return binding_limits(
        model, outcome.values, data, objective=outcome.final if weighted else None,
        shortfall=outcome.shortfall, cost=outcome.cost if weighted else outcome.final,
        references={"shortfall_closed": plan.weighted_shortfall,
                    "cost_saved": plan.total_cost,
                    "objective_improved": plan.total_cost + penalty})


def solve_data(data: AllianceData, config: Config, result: RunResult, *,
               verbose: bool = False, write_lp: Path | None = None,
               progress: Callable[[str], None] = _silent,
               base_plan: BasePlan | None = None, keep_plan: bool = False) -> RunResult:
    """Build, solve, extract and verify ``data`` (a workbook as read, or as a scenario
    edited it) into ``result``, which names the input. ``base_plan`` and
    ``keep_plan``: see ``solve_model``."""
    result.data = data
    progress("building the model")
    with timed(result.timings, "build"):
        model = create_model(build_sets(data, config), config)
        result.model_size = {
            "variables": model.linear.n_columns,
            "constraints": model.linear.n_rows,
            "nonzeros": model.linear.n_nonzeros,
            # Read back by ``stockpile compare``: a whole-unit plan is good to solver.mip_gap.
            "integer variables": int(model.linear.column_bounds()[2].sum()),
        }
    if write_lp is not None:
        write_lp_file(model, write_lp)
    with timed(result.timings, "solve"):
        outcome = solve_model(model, config, verbose=verbose, progress=progress,
                              base_plan=base_plan, keep_plan=keep_plan)
    result.base_plan, result.from_base = outcome.base_plan, outcome.from_base
    result.status, result.message = outcome.status, outcome.message
    result.solver, result.solver_version = outcome.solver, outcome.solver_version
    result.phases = outcome.phases
    result.weighted_shortfall_optimum = outcome.weighted_shortfall_optimum
    result.tie_break = outcome.tie_break
    result.clean_plan = outcome.clean_plan
    if outcome.status == INFEASIBLE:
        progress("finding the conflicting inputs")
        with timed(result.timings, "diagnose"):
            result.diagnosis = diagnose(model.sets, data, config,
                                        time_limit=config.solver.time_limit, verbose=verbose)
    if has_plan(outcome.status):
        with timed(result.timings, "extract"):
            result.plan = extract_plan(model, outcome)
            if outcome.status != OPTIMAL:
                result.binding = unvalued_limits(model, outcome.values, data)
            elif not model.is_mip:
                result.binding = value_binding_limits(model, outcome, result.plan, data,
                                                      config)
        progress("checking the solution against the input")
        with timed(result.timings, "verify"):
            result.verification = verify_plan(data, config, result.plan)
        if not result.verification.passed:
            result.status = ERROR
            result.message = (
                "the independent check of the solution found a violation: "
                + result.verification.worst
            )
        else:
            # The explaining re-solves go the plan's way: built, solved from the plan,
            # extracted and verified, with the same output; they share one time limit.
            deadline = time.perf_counter() + explain_time_limit(config)

            def resolve(moved: AllianceData, quiet: Config, start: BasePlan) -> RunResult:
                return solve_data(moved, quiet, RunResult(
                    input_path=result.input_path, input_sha256=result.input_sha256,
                    config=quiet), verbose=verbose, base_plan=start)

            if config.explain.rule_prices:
                progress("pricing each rule (one solve without it)")
                with timed(result.timings, "rule_prices"):
                    result.rule_prices = rule_prices(model, outcome.values, data, config,
                                                     result.plan, resolve, deadline,
                                                     outcome.status, progress)
            if model.is_mip and outcome.status == OPTIMAL:
                progress("measuring what relaxing each limit is worth (re-solves)")
                with timed(result.timings, "measured_limits"):
                    result.binding = measure_limits(
                        model, outcome.values, data, config,
                        {"weighted_shortfall": result.plan.weighted_shortfall,
                         "total_cost": result.plan.total_cost,
                         "objective": weighted_objective(outcome.phases),
                         "seconds": outcome.seconds},
                        resolve, deadline, progress)
            currency = config.report.currency
            result.binding = with_money_steps(result.binding, currency)
            with timed(result.timings, "advice"):
                result.advice = advise(model, result.binding, outcome.final,
                                       outcome.shortfall, result.rule_prices,
                                       config.objective.mode,
                                       units=item_units(data.items), currency=currency)
    return result
