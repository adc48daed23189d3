"""What one run found, as data: the input it read, the plan, the verifier's findings,
the explanations and the timings (``RunRecord``). It stands below the reports, which
render it, and above the stages that fill it; ``optimizer.pipeline`` makes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.config import Config
from optimizer.errors import Problem
from optimizer.explain.diagnosis import Diagnosis
from optimizer.model.plan import Plan
from optimizer.model.restrict import BasePlan
from optimizer.model.status import ERROR
from optimizer.scenarios.edits import Scenario
from optimizer.solver.phases import CleanPlan, TieBreak
from optimizer.verify.check import Verification
from optimizer.version import __version__
from optimizer.workbook.data import AllianceData


@dataclass(frozen=True)
class RunRecord:
    """Everything a report or a JSON summary says about one run, built once when the run
    ends and never changed after: a derived run (a later phase's timing, the warnings of
    the reading) is a new one, ``dataclasses.replace(record, …)``. The reports read it;
    ``optimizer.pipeline.RunResult`` is it with its report made from it."""

    input_path: Path
    input_sha256: str
    config: Config
    data: AllianceData
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
    binding: pd.DataFrame | None = None  # the binding limits (optimizer.explain.binding)
    diagnosis: Diagnosis | None = None  # why an infeasible input is (explain.diagnosis)
    rule_prices: pd.DataFrame | None = None  # each active rule's price (explain.rule_prices)
    # each candidate pair's value (explain.standardisation)
    standardisation: pd.DataFrame | None = None
    advice: pd.DataFrame | None = None  # what would relax the plan (explain.advice)
    # each component and final line's use and worth (explain.bottlenecks; SPEC §7.3)
    bottlenecks: pd.DataFrame | None = None
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
            if not self.plan.capabilities.empty:  # SPEC §7.1: the part of W they leave open
                summary["capability_shortfall"] = self.plan.capability_shortfall
                summary["capability_met_pct"] = self.plan.capability_met_pct
            if not self.plan.alliance.empty:  # SPEC §7.2: the part of W they leave open
                summary["alliance_shortfall"] = self.plan.alliance_shortfall
                spread = self.plan.closure_spread
                if math.isfinite(spread):  # blank where no fair share is known
                    summary["closure_spread"] = spread
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
