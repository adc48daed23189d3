"""Numbers that invite numerical trouble: a warning naming the inputs responsible.

A solver works to a relative precision of about 1e-9 of the largest numbers it is given
(HiGHS's feasibility and optimality tolerances are 1e-7, after scaling). When the money
figures of a workbook, or its quantities, span more than ``SPREAD_LIMIT`` — a price of a
cent next to a budget of a hundred billion, a target of a few missiles next to a stock
of millions of rounds counted one by one — the smallest can be lost in round-off and the
plan may ignore them. The cure is in the input: one consistent unit (money in thousands,
rounds in thousands), which the warning suggests, naming the two cells at the extremes.

Beyond a warning, some figures cannot be given to a solver at all (``optimizer.reach``);
the reader refuses them in every number cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.data import AllianceData
from optimizer.schema import Problem

SPREAD_LIMIT = 1e9

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
