"""One ``stockpile solve`` run end to end: read, build, solve, verify, report.

Each phase is timed; the timings, the effective configuration and the verifier's
findings travel in ``RunResult`` into the report's Run info sheet and the JSON summary.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from optimizer.config import Config
from optimizer.errors import Problem
from optimizer.explain.advice import advise
from optimizer.explain.binding import binding_limits, unvalued_limits, with_money_steps
from optimizer.explain.bottlenecks import bottlenecks
from optimizer.explain.diagnosis import diagnose
from optimizer.explain.measured import explain_time_limit, measure_limits, weighted_objective
from optimizer.explain.prechecks import evident_conflicts
from optimizer.explain.rule_prices import rule_prices
from optimizer.explain.standardisation import candidate_pairs, standardisation
from optimizer.model.build import create_model
from optimizer.model.plan import Plan, extract_plan
from optimizer.model.restrict import BasePlan
from optimizer.model.sets import build_sets
from optimizer.model.status import ERROR, INFEASIBLE, OPTIMAL, has_plan
from optimizer.record import RunRecord
from optimizer.reports import tables as report
from optimizer.scenarios.edits import Scenario
from optimizer.solver.lp_file import write_lp_file
from optimizer.solver.phases import solve_model
from optimizer.verify.check import verify_plan
from optimizer.workbook.data import AllianceData, item_units
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.validation import load_workbook
from optimizer.workbook.writer import SheetContent


@dataclass(frozen=True)
class RunResult(RunRecord):
    """A run's record (``optimizer.record.RunRecord``) with its report: ``tables``
    holds the report's sheets as frames, ``write_report`` and ``to_html`` write the
    report workbook and its HTML page; all three come from one table generation
    (``optimizer.reports.tables.report_sheets``), so they never disagree."""

    # A frozen dataclass without slots: ``cached_property`` keeps its value in the
    # instance's ``__dict__``, past the frozen ``__setattr__``; ``replace`` starts afresh.
    @cached_property
    def sheets(self) -> Mapping[str, SheetContent]:
        """Every sheet of the report (``report.report_sheets``), made on first use and
        kept: the workbook, ``tables`` and the page all come from these."""
        return MappingProxyType(report.report_sheets(self))

    @cached_property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """Sheet name -> the report's table on that sheet, every table in the report's
        order (``report.tables_of``): ``result.tables["Allocation"]`` has the columns
        ``facility`` … ``total_cost`` and the Allocation sheet's rows."""
        return MappingProxyType(report.tables_of(self.sheets))

    def write_report(self, path: str | Path) -> Path:
        """Write the report workbook ``stockpile solve`` writes to ``path`` (atomically,
        never over the input workbook) and return its path."""
        return report.write_report(self, Path(path), self.sheets)

    def to_html(self, path: str | Path, *, report_xlsx: str | Path | None = None) -> Path:
        """Write the page ``stockpile solve --html`` writes to ``path``, drawn from
        ``tables``, and return its path; ``report_xlsx``: this result's report workbook,
        when written, which the page names (and is never written over)."""
        from optimizer.reports.html import write_html

        return write_html(self.tables, path, workbook=report_xlsx)


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
    timings: dict[str, float] = {}
    progress("reading the workbook")
    with timed(timings, "read"):
        data, warnings = load_workbook(path, config.rules)
        input_sha256 = sha256_of(path)
    result = solve_data(data, config, input_path=path, input_sha256=input_sha256,
                        verbose=verbose, write_lp=write_lp, progress=progress)
    return replace(result, warnings=warnings, timings={**timings, **result.timings})


def check_workbook(path: Path, config: Config
                   ) -> tuple[AllianceData, list[Problem], list[Problem]]:
    """Without solving (``stockpile validate``): the workbook's data, its warnings and
    the conflicts that already show the solve infeasible (``evident_conflicts``,
    severity ``infeasible``); raises ``InputError`` listing every error when the input
    is not valid."""
    data, warnings = load_workbook(Path(path), config.rules)
    return data, warnings, evident_conflicts(build_sets(data, config), data, config)


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


def solve_data(data: AllianceData, config: Config, *, input_path: Path, input_sha256: str,
               scenario: Scenario | None = None, verbose: bool = False,
               write_lp: Path | None = None, progress: Callable[[str], None] = _silent,
               base_plan: BasePlan | None = None, keep_plan: bool = False) -> RunResult:
    """Build, solve, extract and verify ``data`` (a workbook as read, or as ``scenario``
    edited it) into the run's result, which names the input (``input_path``, whose bytes
    hash to ``input_sha256``). ``base_plan`` and ``keep_plan``: see ``solve_model``."""
    timings: dict[str, float] = {}
    progress("building the model")
    with timed(timings, "build"):
        model = create_model(build_sets(data, config), config)
        model_size = {
            "variables": model.linear.n_columns,
            "constraints": model.linear.n_rows,
            "nonzeros": model.linear.n_nonzeros,
            # Read back by ``stockpile compare``: a whole-unit plan is good to solver.mip_gap.
            "integer variables": int(model.linear.column_bounds()[2].sum()),
        }
    if write_lp is not None:
        write_lp_file(model, write_lp)
    with timed(timings, "solve"):
        outcome = solve_model(model, config, verbose=verbose, progress=progress,
                              base_plan=base_plan, keep_plan=keep_plan)
    status, message = outcome.status, outcome.message
    diagnosis = plan = verification = binding = prices = advice = value = limiting = None
    if outcome.status == INFEASIBLE:
        progress("finding the conflicting inputs")
        with timed(timings, "diagnose"):
            diagnosis = diagnose(model.sets, data, config,
                                 time_limit=config.solver.time_limit, verbose=verbose)
    if has_plan(outcome.status):
        with timed(timings, "extract"):
            plan = extract_plan(model, outcome.values, outcome.duals)
            if outcome.status != OPTIMAL:
                binding = unvalued_limits(model, outcome.values, data)
            elif not model.is_mip:
                binding = value_binding_limits(model, outcome, plan, data, config)
        progress("checking the solution against the input")
        with timed(timings, "verify"):
            verification = verify_plan(data, config, plan)
        if not verification.passed:
            status = ERROR
            message = ("the independent check of the solution found a violation: "
                       + verification.worst)
        else:
            # The explaining re-solves go the plan's way: built, solved from the plan,
            # extracted and verified, with the same output; they share one time limit.
            deadline = time.perf_counter() + explain_time_limit(config)

            def resolve(moved: AllianceData, quiet: Config, start: BasePlan) -> RunResult:
                return solve_data(moved, quiet, input_path=input_path,
                                  input_sha256=input_sha256, verbose=verbose,
                                  base_plan=start)

            if config.explain.rule_prices:
                progress("pricing each rule (one solve without it)")
                with timed(timings, "rule_prices"):
                    prices = rule_prices(model, outcome.values, data, config, plan, resolve,
                                         deadline, outcome.status, progress)
            if config.explain.standardisation and not candidate_pairs(data).empty:
                progress("measuring what qualifying each candidate pair is worth")
                with timed(timings, "standardisation"):
                    value = standardisation(
                        data, config, plan, is_mip=model.is_mip, resolve=resolve,
                        start=BasePlan.of(model.linear, outcome.values), deadline=deadline,
                        plan_status=outcome.status, progress=progress)
            if model.is_mip and outcome.status == OPTIMAL:
                progress("measuring what relaxing each limit is worth (re-solves)")
                with timed(timings, "measured_limits"):
                    binding = measure_limits(
                        model, outcome.values, data, config,
                        {"weighted_shortfall": plan.weighted_shortfall,
                         "total_cost": plan.total_cost,
                         "objective": weighted_objective(outcome.phases),
                         "seconds": outcome.seconds},
                        resolve, deadline, progress)
            currency = config.report.currency
            binding = with_money_steps(binding, currency)
            with timed(timings, "advice"):
                advice = advise(model, binding, outcome.final, outcome.shortfall, prices,
                                config.objective.mode, units=item_units(data.items),
                                currency=currency, standardisation=value)
                limiting = bottlenecks(model, plan, binding, config.objective.mode,
                                       proven=outcome.status == OPTIMAL,
                                       units=item_units(data.items))
    return RunResult(
        input_path=Path(input_path), input_sha256=input_sha256, config=config, data=data,
        status=status, message=message, solver=outcome.solver,
        solver_version=outcome.solver_version, plan=plan, verification=verification,
        timings=timings, phases=outcome.phases, model_size=model_size,
        weighted_shortfall_optimum=outcome.weighted_shortfall_optimum, binding=binding,
        diagnosis=diagnosis, rule_prices=prices, standardisation=value, advice=advice,
        bottlenecks=limiting,
        tie_break=outcome.tie_break, clean_plan=outcome.clean_plan, base_plan=outcome.base_plan,
        from_base=outcome.from_base, scenario=scenario)
