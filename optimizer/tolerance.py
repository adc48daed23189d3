"""What the solver cannot tell from zero: one place for the tolerances that decide when a
difference between two solves, or a value of one, is a result and when it is noise.

A solver meets its constraints and its optimum only to within its tolerances: HiGHS's
primal and dual feasibility tolerances are 1e-7 (of scaled values), and a MIP stops once
its incumbent is proven within ``solver.mip_gap`` (relative) of the best bound. So two
solves whose objectives differ by less than

    ``noise(reference, mip_gap) = RELATIVE · max(1, |reference|) + mip_gap · |reference|``

(``mip_gap`` 0 for a linear program) have not shown a difference, and a report says
"no change within the solver's tolerance" rather than quoting it.
"""

from __future__ import annotations

import numpy as np

RELATIVE = 1e-6  # relative agreement of two LP optima that the solver cannot improve on


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


ROUND_OFF = 1e-9  # relative: a dual or a derivative this small next to its objective is 0


def round_off(values, reference: float = 1.0):
    """``values`` with solver round-off (|v| ≤ ROUND_OFF · max(1, |reference|), e.g. a
    dual of −8.9e-16) set to exactly 0; NaN stays NaN."""
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) <= ROUND_OFF * max(1.0, abs(float(reference))), 0.0, values)
