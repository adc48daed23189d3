"""SPEC §4's solve statuses and the sentences that go with them, for every backend.

``optimal``; ``feasible`` (a limit stopped the solver with a solution not proven
optimal, never called optimal); ``infeasible`` (the hard constraints cannot all hold);
``error``. Each backend maps its solver's own statuses onto these with ``classify``
functions built from the outcomes below.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A solve's status; each is its own text ("optimal"), as the report, ``--json``
    and the sweep's records write it, and equal to that text."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"

    @property
    def has_plan(self) -> bool:
        return has_plan(self)


OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = Status
WITH_PLAN = (OPTIMAL, FEASIBLE)


def has_plan(status: str) -> bool:
    """Whether a solve of this status (a ``Status`` or its text) left a plan: optimal,
    or feasible (stopped by a limit with a solution)."""
    return status in WITH_PLAN

SOLVED = (OPTIMAL, "solved to optimality")
# Every variable is ≥ 0 and every cost ≥ 0, so the objective is bounded below by 0 and a
# solver's "infeasible or unbounded" can only mean infeasible.
NO_PLAN = (INFEASIBLE, "the hard constraints cannot all hold")


STOPPED = "stopped by"


def stopped_by(reason: str, has_solution: bool) -> tuple[str, str]:
    """A solver stopped by a limit: ``feasible`` with a solution, ``error`` without."""
    if has_solution:
        return FEASIBLE, f"{STOPPED} {reason} with a solution not proven optimal"
    return ERROR, f"{STOPPED} {reason} before finding any solution"


def was_stopped(message: str) -> bool:
    """Whether a solve's sentence is that of a limit (``stopped_by``), which more time
    may lift, rather than of an infeasible model or a failure."""
    return message.startswith(STOPPED)
