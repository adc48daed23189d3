"""What the solver cannot tell from zero: one place for the tolerances that decide when a
difference between two solves, or a value of one, is a result and when it is noise.

A solver meets its constraints and its optimum only to within its tolerances: HiGHS's
primal and dual feasibility tolerances are 1e-7 (of scaled values), and a MIP stops once
its incumbent is proven within ``solver.mip_gap`` (relative) of the best bound. So two
solves whose objectives differ by less than

    ``noise(reference, mip_gap) = RELATIVE · max(1, |reference|) + mip_gap · |reference|``

(``mip_gap`` 0 for a linear program) have not shown a difference, and a report says
"no change within the solver's tolerance" rather than quoting it.

Every stage reads its tolerances here, the verifier too (it checks the plan with its own
``VERIFIER_TOLERANCE``, not with the model's); the values below are the whole list.
"""

from __future__ import annotations

import numpy as np

RELATIVE = 1e-6  # relative agreement of two LP optima that the solver cannot improve on
ROUND_OFF = 1e-9  # relative: float round-off of a solve (duals of 1e-16), far below HiGHS's 1e-7
DUAL_TOLERANCE = 1e-7  # relative to the largest cost: HiGHS's dual feasibility tolerance
QUANTITY_TOLERANCE = 1e-7  # a planned quantity at most this is none: HiGHS's primal tolerance
TIGHT = 1e-6  # a limit binds within TIGHT · max(1, |limit|): ten times the primal tolerance
GIVE = 1e-6  # an elastic slack gives above this · max(1, commitment), as TIGHT binds
# The verifier's own judgement, not the model's: a constraint fails when broken by more
# than this · max(1, |right-hand side|), ten times what HiGHS leaves after scaling.
VERIFIER_TOLERANCE = 1e-6
# A figure's size must be 0 or within [SMALLEST, LARGEST] to be given to the solver.
# LARGEST is far below HiGHS's infinity (1e20) and far above any real figure (a budget of a
# quadrillion); within both bounds two figures are at most 1e24 apart, a finite ratio.
LARGEST = 1e15
SMALLEST = 1e-9  # a non-zero figure below this is lost in the solver's 1e-7 after scaling
SPREAD_LIMIT = 1e9  # one kind of figure spread wider than 1/ROUND_OFF loses the smallest

def noise(reference, mip_gap: float = 0.0):
    """The largest difference from ``reference`` (a scalar or an array) that is within
    the solver's tolerances: relative 1e-6 of max(1, |reference|), plus ``mip_gap`` of
    |reference| when the solves were MIPs stopped at that gap."""
    size = np.abs(np.asarray(reference, dtype=float))
    return RELATIVE * np.maximum(1.0, size) + float(mip_gap) * size


def negligible(change, reference, mip_gap: float = 0.0):
    """True where ``change`` cannot be told from 0 next to ``reference`` (see ``noise``)."""
    return np.abs(np.asarray(change, dtype=float)) <= noise(reference, mip_gap)


def snapped(change, reference, mip_gap: float = 0.0):
    """``change`` with what ``negligible`` calls noise set to exactly 0."""
    change = np.asarray(change, dtype=float)
    return np.where(negligible(change, reference, mip_gap), 0.0, change)


def round_off(values, reference=1.0):
    """``values`` with solver round-off (|v| ≤ ROUND_OFF · max(1, |reference|), e.g. a
    dual of −8.9e-16, a remaining budget of −1e-7 of 1e9) set to exactly 0; ``reference``
    is a scalar or an array of the shape of ``values``; NaN stays NaN."""
    values = np.asarray(values, dtype=float)
    size = np.fmax(1.0, np.abs(np.asarray(reference, dtype=float)))
    return np.where(np.abs(values) <= ROUND_OFF * size, 0.0, values)


def with_round_off(optimum: float) -> float:
    """``optimum`` plus the round-off a solver needs to meet it again (a row holding an
    objective at its optimum): optimum + ROUND_OFF · max(1, |optimum|)."""
    return optimum + ROUND_OFF * max(1.0, abs(optimum))
