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

A single money figure far from its peers is more often a slip of unit than a fact: a
budget typed in millions among budgets in units, a total price where a unit price
belongs. ``money_slip_warnings`` names such cells (see its rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.tolerance import SPREAD_LIMIT
from optimizer.words import figure
from optimizer.workbook.data import AllianceData

MONEY = (("Production", "unit_cost"), ("Transport", "cost_per_unit"),
         ("Expansion", "cost_per_unit"), ("Budgets", "budget"),
         ("Items", "shortfall_penalty"), ("Items", "holding_cost"))
QUANTITIES = (("Production", "capacity"), ("Capacity", "capacity"),
              ("Expansion", "max_extra"), ("Requirements", "target"), ("Stocks", "on_hand"),
              ("Consumption", "quantity"), ("IndustryStocks", "on_hand"))


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


SLIP_RATIO = 1_000
SLIP_PEERS = 3
# Money figures compared with their peers: (sheet, column, grouped by, what they are).
# Prices are compared item by item (a missile costs a thousand shells); Items' penalties
# and holding costs are not compared at all, for the same reason.
MONEY_PEERS = (("Budgets", "budget", None, "budgets"),
               ("Production", "unit_cost", "item", "unit costs"),
               ("Expansion", "cost_per_unit", "item", "expansion costs"),
               ("Transport", "cost_per_unit", "item", "transport costs"))
_SCALES = ("thousand", "million", "billion", "trillion")


def money_slip_warnings(data: AllianceData) -> list[Problem]:
    """A warning for each money figure v far from its peers, with the likely slip.

    The peers of v are the non-zero figures of its column (``MONEY_PEERS``): every
    budget; the unit costs, expansion costs or transport costs of the same item. With m
    the median of v and its peers, v is warned of when it has at least ``SLIP_PEERS``
    peers and v / m ≤ 1 / ``SLIP_RATIO`` or v / m ≥ ``SLIP_RATIO``. A figure of 0 is
    meant (no money, free) and is neither warned of nor counted.
    """
    warnings = []
    for sheet, column, by, what in MONEY_PEERS:
        table = data.table(sheet)
        values = table[column].astype(float)
        used = table[values > 0]
        if len(used) <= SLIP_PEERS:
            continue
        groups = used[by].fillna("") if by else pd.Series("", index=used.index)
        grouped = used[column].astype(float).groupby(groups)
        median = grouped.transform("median")
        count = grouped.transform("size")
        ratio = used[column].astype(float) / median
        far = (count > SLIP_PEERS) & ((ratio <= 1 / SLIP_RATIO) | (ratio >= SLIP_RATIO))
        for index in far[far].index:
            peers = f"the other {what}"
            if by:
                group = used.at[index, by]
                peers += f" of {by} '{group}'" if group is not None else " of every item"
            phrase, question = _slip(float(ratio[index]))
            warnings.append(Problem(
                data.cell(sheet, column, int(used.at[index, "row"])),
                f"{column} {figure(float(used.at[index, column]))} is {phrase} {peers} "
                f"(median {figure(float(median[index]))}); {question}",
                severity="warning"))
    return warnings


def _slip(ratio: float) -> tuple[str, str]:
    """How a figure compares with its peers' median, in words, and the question to ask:
    ("about a millionth of", "was it meant in millions?") for a ratio near 10⁻⁶."""
    exponent = np.log10(ratio)
    steps = int(np.round(exponent / 3))
    if 1 <= abs(steps) <= len(_SCALES) and abs(exponent - 3 * steps) <= 0.5:
        scale = _SCALES[abs(steps) - 1]
        if steps < 0:
            return f"about a {scale}th of", f"was it meant in {scale}s?"
        return (f"about a {scale} times",
                f"was it written in units while the others are in {scale}s?")
    if ratio < 1:
        return f"1/{figure(1 / ratio)} of", "check its unit"
    return f"{figure(ratio)} times", "check its unit"
