"""The figures a solver can be given: the one judgement, for a cell, a configuration value
and a scenario's factor alike.

HiGHS takes any value of at least 1e20 as infinite (a capacity of 1e20 is no limit, a
cost of 1e20 makes the model unsolvable), and a value far below its tolerances cannot be
told from 0. A figure is in reach when its size is 0 or within [``SMALLEST``,
``LARGEST``]; ``out_of_reach`` says why one is not and how to fix it, ``beyond_reach``
finds such figures in an array.
"""

from __future__ import annotations

import numpy as np

from optimizer.tolerance import LARGEST, SMALLEST

COARSER_UNIT = "state the column in a coarser unit (thousands, millions)"
CELL_TOO_LARGE = f"give a realistic figure, or {COARSER_UNIT}"
CELL_TOO_SMALL = "write 0 or a larger value"


def out_of_reach(value: float, too_large: str = CELL_TOO_LARGE,
                 too_small: str = CELL_TOO_SMALL) -> str | None:
    """Why a figure cannot be given to the solver, and the fix, or None when it can (an
    infinite value is too large). The sentence reads after the figure ("capacity 1e+20 "
    + it); the fixes default to those for a cell. NaN is not judged here: it is not a
    number at all."""
    size = abs(value)
    if size > LARGEST:
        return f"is too large for the solver (at most {LARGEST:g}); {too_large}"
    if 0 < size < SMALLEST:
        return f"is too small to be distinguished from 0 (at least {SMALLEST:g}); {too_small}"
    return None


def beyond_reach(values) -> np.ndarray:
    """Where an array of figures holds one that ``out_of_reach`` refuses (NaN: nowhere)."""
    with np.errstate(invalid="ignore"):
        size = np.abs(np.asarray(values, dtype=float))
        return (size > LARGEST) | ((size > 0) & (size < SMALLEST))
