"""Numbers that invite numerical trouble: a warning naming the inputs responsible.

A solver works to a relative precision of about 1e-9 of the largest numbers it is given
(HiGHS's feasibility and optimality tolerances are 1e-7, after scaling). When the money
figures of a workbook, or its quantities, span more than ``SPREAD_LIMIT`` — a price of a
cent next to a budget of a hundred billion, a target of a few missiles next to a stock
of millions of rounds counted one by one — the smallest can be lost in round-off and the
plan may ignore them. The cure is in the input: one consistent unit (money in thousands,
rounds in thousands), which the warning suggests, naming the two cells at the extremes.

Beyond a warning, some figures cannot be given to a solver at all: HiGHS takes any value
of at least 1e20 as infinite (a capacity of 1e20 is no limit, a cost of 1e20 makes the
model unsolvable), and a value far below its tolerances cannot be told from 0.
``out_of_reach`` says why such a figure is refused; the reader applies it to every number
cell and the scenarios to every figure an edit scales.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.data import AllianceData
from optimizer.schema import Problem

SPREAD_LIMIT = 1e9

LARGEST = 1e15
# Far below HiGHS's infinity (1e20), and far above any real figure: a budget of a
# quadrillion in any currency, or a stock of a quadrillion rounds. Within this bound and
# SMALLEST, two figures are at most 1e24 apart, so their ratio is a finite float.
SMALLEST = 1e-9
# A non-zero figure below this is lost in the solver's tolerances (1e-7 after scaling).
COARSER_UNIT = "state the column in a coarser unit (thousands, millions)"


def out_of_reach(value: float) -> str | None:
    """Why a figure cannot be given to the solver, or None when it can: its absolute value
    must be 0 or within [``SMALLEST``, ``LARGEST``] (an infinite value is too large). The
    reason reads after the figure, e.g. "capacity 1e+20 " + reason. NaN is not judged here:
    it is not a number at all."""
    size = abs(value)
    if size > LARGEST:
        return (f"is too large for the solver (at most {LARGEST:g}); give a realistic "
                f"figure, or {COARSER_UNIT}")
    if 0 < size < SMALLEST:
        return (f"is too small to be distinguished from 0 (at least {SMALLEST:g}); write 0 "
                "or a larger value")
    return None

MONEY = (("Production", "unit_cost"), ("Transport", "cost_per_unit"),
         ("Expansion", "cost_per_unit"), ("Budgets", "budget"),
         ("Items", "shortfall_penalty"), ("Items", "holding_cost"))
QUANTITIES = (("Production", "capacity"), ("Capacity", "capacity"),
              ("Expansion", "max_extra"), ("Requirements", "target"), ("Stocks", "on_hand"),
              ("Consumption", "quantity"))


def numeric_range_warnings(data: AllianceData) -> list[Problem]:
    """One warning per kind of number (money, quantities) whose non-zero values span
    more than ``SPREAD_LIMIT``, naming the cells of the smallest and the largest."""
    warnings = []
    for kind, columns, unit in (("money", MONEY, "money in thousands or millions"),
                                ("quantity", QUANTITIES, "large stocks in thousands")):
        values = _nonzero_values(data, columns)
        if values.empty:
            continue
        smallest = values.loc[values["size"].idxmin()]
        largest = values.loc[values["size"].idxmax()]
        spread = largest["size"] / smallest["size"]
        if spread > SPREAD_LIMIT:
            warnings.append(Problem(
                smallest["cell"],
                f"{kind} figures span {spread:.0e}: {smallest['column']} "
                f"{smallest['value']:g} here and {largest['column']} {largest['value']:g} at "
                f"{largest['cell']}; beyond {SPREAD_LIMIT:.0e} the solver may lose the "
                f"smallest in round-off; state them in one coarser unit ({unit})"))
    return warnings


def _nonzero_values(data: AllianceData, columns) -> pd.DataFrame:
    parts = []
    for sheet, column in columns:
        table = data.table(sheet)
        if column not in table.columns or table.empty:
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        used = values.notna() & (values != 0) & np.isfinite(values)
        if not used.any():
            continue
        rows = table.loc[used, "row"].astype(int)
        parts.append(pd.DataFrame({
            "value": values[used].to_numpy(float),
            "size": values[used].abs().to_numpy(float),
            "column": column,
            "cell": [data.cell(sheet, column, row) for row in rows],
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
