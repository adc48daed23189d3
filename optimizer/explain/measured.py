"""What relaxing a limit is worth in a whole-unit model, measured by re-solving.

A MILP has no duals; those of the LP with its integers fixed say what one more unit of
capacity is worth to the continuous part only (a binding missile line shows 0 where one
more unit of capacity lets the plan buy another missile). So for a model with integer
items the Binding and Advice figures are measured:

1. the LP relaxation (integrality dropped) is solved in the same objective mode, and
   its binding limits valued by its duals, as for an LP;
2. the ``explain.measured_limits`` limits it ranks highest (by weighted shortfall closed
   then cost saved in lexicographic mode, by objective improved in weighted mode), then
   the plan's own binding limits while places are left, of those that are one input
   cell each (capacity, expansion limit, budget: ``Limit.relax``) are
   relaxed in the input by one step (a unit of capacity, a million of budget) and the
   MILP re-solved through the same path as the plan (verified, same options); the
   figures are the plan's weighted shortfall, cost and objective minus the re-solve's,
   with differences within the solver's tolerance (``solver.mip_gap``) shown as 0;
3. the other binding limits of the plan are listed with blank figures, "not measured".

The re-solves share ``explain.time_limit`` (default: half of ``solver.time_limit``) with
the rule prices, and each may take ``SLOWER`` times the plan's solve; a limit whose
re-solve did not end optimal within that says so and shows no figures.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.explain.binding import binding_limits, limit_records, without_figures
from optimizer.model.build import AllocationModel
from optimizer.model.linear import LinearModel
from optimizer.model.plan import Plan
from optimizer.model.restrict import BasePlan
from optimizer.model.status import OPTIMAL, was_stopped
from optimizer.solver.phases import solve_model
from optimizer.tolerance import snapped
from optimizer.workbook.data import AllianceData

# One re-solve may take this many times the plan's own solve (and at least MIN_SECONDS):
# a step can make a MIP much harder (the sample alliance: 11 s against 0.6 s), and one
# such limit should not take the time of all the others.
SLOWER, MIN_SECONDS = 5.0, 2.0
RAN_OUT = "not measured: explain.time_limit ran out; raise it to measure"
NOT_MEASURED = ("not measured: whole-unit model, and the linear relaxation ranks other "
                "limits higher (explain.measured_limits)")


def as_linear_program(model: AllocationModel) -> AllocationModel:
    """The same model with every integer column continuous (its LP relaxation)."""
    columns = {name: dataclasses.replace(family, integer=np.zeros_like(family.integer))
               for name, family in model.linear.columns.items()}
    linear = LinearModel(columns=columns, rows=model.linear.rows,
                         n_columns=model.linear.n_columns, n_rows=model.linear.n_rows)
    return dataclasses.replace(model, linear=linear)


def explain_time_limit(config: Config) -> float:
    """Seconds the explanations' re-solves share: ``explain.time_limit``, or half of
    ``solver.time_limit`` where it is 0."""
    given = config.explain.time_limit
    return given if given > 0 else 0.5 * config.solver.time_limit


def quiet_config(config: Config, time_limit: float, *, keep: tuple[str, ...] = ()) -> Config:
    """The configuration of an explaining re-solve: the plan's, with its own time limit
    and none of the explanations that cost extra solves but those in ``keep``."""
    return config.without_explanations(keep).with_settings(
        {"solver.time_limit": max(1.0, time_limit)})


@dataclasses.dataclass(frozen=True)
class Resolved:
    """A re-solve behind an explanation: its status, and its plan when proven optimal;
    else ``why`` there are no figures (""; a proven optimum)."""

    status: str
    plan: Plan | None
    why: str = ""


def resolve_in_time(resolve: Callable, data: AllianceData, config: Config, start,
                    deadline: float, *, what: str, more_time: str,
                    progress: Callable[[str], None], stage: str) -> Resolved:
    """Re-solve ``data`` with ``config`` (quiet, the tie-break kept) from the plan
    ``start`` within what is left of ``deadline`` (``time.perf_counter``), telling
    ``progress`` the ``stage`` first. Only a proven optimum has figures: a stopped
    solve's plan is one plan of the changed input, not its best, and its difference from
    the plan would mix the change with the search left undone. ``what`` names the solve
    in the reason ("the solve without the rule"); ``more_time`` says how to get one."""
    left = deadline - time.perf_counter()
    if left <= 0:
        return Resolved("not solved", None, f"explain.time_limit ran out; {more_time}")
    progress(stage)
    moved = resolve(data, quiet_config(config, left, keep=("tie_break",)), start)
    if moved.status != OPTIMAL or moved.plan is None:
        return Resolved(moved.status, None, f"{what} ended {moved.status} ({moved.message})"
                        + (f"; {more_time}" if was_stopped(moved.message) else ""))
    return Resolved(moved.status, moved.plan)


def _rank(binding: pd.DataFrame, mode: str) -> pd.DataFrame:
    if mode == "weighted":
        worth = binding["objective_improved"].fillna(0) > 0
        return binding[worth].sort_values("objective_improved", ascending=False)
    worth = (binding["shortfall_closed"].fillna(0) > 0) | (binding["cost_saved"].fillna(0) > 0)
    return binding[worth].sort_values(["shortfall_closed", "cost_saved"], ascending=False)


def measure_limits(model: AllocationModel, values: np.ndarray, data: AllianceData,
                   config: Config, base: dict[str, float],
                   resolve: Callable[[AllianceData, Config, BasePlan], object],
                   deadline: float,
                   progress: Callable[[str], None] = lambda stage: None) -> pd.DataFrame:
    """The Binding table of a whole-unit plan (``values``), with measured figures (see
    the module docstring). ``base`` holds the plan's weighted_shortfall, total_cost,
    objective (cost + penalties) and the seconds its solve took;
    ``resolve(data, config, start)`` solves, extracts and
    verifies an input as the plan's run does (``optimizer.pipeline.solve_data``), starting
    from the plan ``start``; the re-solves end by ``deadline`` (``time.perf_counter``)."""
    mode = config.objective.mode
    count = config.explain.measured_limits
    mip_gap = config.solver.mip_gap
    binding = limit_records(model, values, data)
    measured = pd.DataFrame(columns=binding.columns)
    if count > 0 and deadline <= time.perf_counter():
        return without_figures(binding, RAN_OUT)
    if count > 0:
        progress("ranking the limits by the linear relaxation")
        relaxation = as_linear_program(model)
        outcome = solve_model(relaxation,
                              quiet_config(config, deadline - time.perf_counter()))
        if outcome.status == OPTIMAL:
            weighted = mode == "weighted"
            ranked = _rank(binding_limits(
                relaxation, outcome.values, data,
                objective=outcome.final if weighted else None, shortfall=outcome.shortfall,
                cost=outcome.cost if weighted else outcome.final), mode)
            relaxable = {d.family for d in model.limits if d.relax is not None}
            # The relaxation's ranking first; the plan's own binding limits fill the rest.
            ranked = pd.concat([ranked, binding])
            ranked = ranked[ranked["family"].isin(relaxable)].drop_duplicates(
                ["family", "position"]).head(count)
            everything = limit_records(model, values, data, tight_only=False)
            measured = everything[everything.set_index(["family", "position"]).index.isin(
                ranked.set_index(["family", "position"]).index)]
    start = BasePlan.of(model.linear, values)  # still feasible with a limit relaxed
    binding = pd.concat([binding, measured], ignore_index=True).drop_duplicates(
        ["family", "position"], keep="last").reset_index(drop=True)
    binding = without_figures(binding, NOT_MEASURED)
    declarations = {d.family: d for d in model.limits}
    keys = set(zip(measured["family"], measured["position"], strict=True))
    for index, record in binding.iterrows():
        if (record["family"], record["position"]) not in keys:
            continue
        left = deadline - time.perf_counter()
        declaration = declarations[record["family"]]
        if left <= 0:
            binding.loc[index, "how"] = RAN_OUT
            continue
        progress(f"measuring {declaration.phrase(record, declaration.step_words)}")
        allowed = min(left, max(MIN_SECONDS, SLOWER * base["seconds"]))
        moved = resolve(declaration.relax(data, record.to_dict(), declaration.step),
                        quiet_config(config, allowed), start)
        if moved.status != OPTIMAL or moved.plan is None:
            binding.loc[index, "how"] = (
                f"not measured: the re-solve ended {moved.status} ({moved.message}; each "
                f"may take {allowed:.3g} s)")
            continue
        after = {"shortfall_closed": moved.plan.weighted_shortfall,
                 "cost_saved": moved.plan.total_cost,
                 "objective_improved": weighted_objective(moved.phases)}
        before = {"shortfall_closed": base["weighted_shortfall"],
                  "cost_saved": base["total_cost"], "objective_improved": base["objective"]}
        for figure in ("shortfall_closed", "cost_saved") + (
                ("objective_improved",) if mode == "weighted" else ()):
            binding.loc[index, figure] = float(snapped(before[figure] - after[figure],
                                                       before[figure], mip_gap))
        binding.loc[index, "how"] = (f"measured: re-solved with the limit relaxed by one "
                                     f"{declaration.step_words}")
    return binding


def weighted_objective(phases: list[dict]) -> float:
    """Cost plus shortfall penalties of a weighted-mode run's reported plan: its last
    weighted solve (for a MILP, the one with the integers fixed)."""
    return next((float(p["objective"]) for p in reversed(phases)
                 if p["phase"].startswith("weighted") and p["objective"] is not None), np.nan)
