"""The validated, typed in-memory data model that the model builder reads.

Every table is a pandas DataFrame with exactly the columns of its sheet in SPEC §2 (see
``optimizer.workbook.schema``), defaults filled in, plus ``row``: the Excel row the record came
from, so that any later finding (a binding limit, a conflict) can name its cell.

Column types: codes and texts are ``str`` (``None`` where an optional cell is blank);
numbers and shares are ``float64`` (``NaN`` where an optional cell without default is
blank, e.g. ``Allies.min_gap_closure`` meaning "use the model configuration"); whole
numbers are ``int64``; booleans are ``bool``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.workbook.schema import SHEETS, SHEETS_BY_NAME, Kind

ROW = "row"

_DTYPES = {
    Kind.CODE: object,
    Kind.TEXT: object,
    Kind.NUMBER: "float64",
    Kind.SHARE: "float64",
    Kind.WHOLE: "int64",
    Kind.BOOLEAN: "bool",
}


def empty_table(sheet_name: str) -> pd.DataFrame:
    """A table with the sheet's columns and no rows (an optional sheet left out)."""
    sheet = SHEETS_BY_NAME[sheet_name]
    columns = {c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in sheet.columns}
    columns[ROW] = pd.Series(dtype="int64")
    return pd.DataFrame(columns)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_ref(sheet_name: str) -> str:
    """A sheet name as Excel writes it in a reference (quoted when it has spaces)."""
    if sheet_name.replace("_", "").isalnum():
        return sheet_name
    return "'" + sheet_name.replace("'", "''") + "'"


def table_field(sheet_name: str) -> str:
    """The ``AllianceData`` field of a sheet: its name in snake case
    ("CapabilityTargets" -> "capability_targets")."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", sheet_name).lower()


@dataclass(frozen=True)
class AllianceData:
    """Everything the input workbook says, validated and typed (SPEC §2)."""

    periods: tuple[str, ...]
    allies: pd.DataFrame
    items: pd.DataFrame
    production: pd.DataFrame
    capacity: pd.DataFrame
    expansion: pd.DataFrame
    requirements: pd.DataFrame
    stocks: pd.DataFrame
    consumption: pd.DataFrame
    budgets: pd.DataFrame
    transport: pd.DataFrame
    restrictions: pd.DataFrame
    # SPEC §7.1, optional: a workbook without these sheets plans as before.
    platforms: pd.DataFrame = field(default_factory=lambda: empty_table("Platforms"))
    compatibility: pd.DataFrame = field(default_factory=lambda: empty_table("Compatibility"))
    capability_targets: pd.DataFrame = field(
        default_factory=lambda: empty_table("CapabilityTargets"))
    # SPEC §7.2, optional likewise.
    alliance_targets: pd.DataFrame = field(
        default_factory=lambda: empty_table("AllianceTargets"))
    frameworks: pd.DataFrame = field(default_factory=lambda: empty_table("Frameworks"))
    framework_members: pd.DataFrame = field(
        default_factory=lambda: empty_table("FrameworkMembers"))
    funding: pd.DataFrame = field(default_factory=lambda: empty_table("Funding"))
    # SPEC §7.3, optional likewise.
    bill_of_materials: pd.DataFrame = field(
        default_factory=lambda: empty_table("BillOfMaterials"))
    industry_stocks: pd.DataFrame = field(default_factory=lambda: empty_table("IndustryStocks"))
    source: Path | None = None
    # (schema sheet, column) -> (sheet name in the workbook, column letter)
    locations: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def table(self, sheet_name: str) -> pd.DataFrame:
        """The table of a sheet by its SPEC name, e.g. ``table("Production")``."""
        return getattr(self, table_field(sheet_name))

    def cell(self, sheet_name: str, column: str, row: int) -> str:
        """The workbook cell a value came from, e.g. ``Production!D7``."""
        actual, letter = self.locations.get(
            (sheet_name, column),
            (sheet_name, column_letter(SHEETS_BY_NAME[sheet_name].column_names.index(column))),
        )
        return f"{sheet_ref(actual)}!{letter}{row}"

    @property
    def period_index(self) -> dict[str, int]:
        """Period code -> position 0 … T-1 in sheet order."""
        return {p: t for t, p in enumerate(self.periods)}


def positions(table: pd.DataFrame, columns: list[str], query: pd.DataFrame) -> np.ndarray:
    """Position in ``table`` (unique on ``columns``) of each row of ``query``; -1: none."""
    if table.empty or query.empty:
        return np.full(len(query), -1, dtype="int64")
    index = pd.MultiIndex.from_frame(table[columns].astype(object))
    return index.get_indexer(pd.MultiIndex.from_frame(query[columns].astype(object)))


def route_terms(transport: pd.DataFrame, origin, destination,
                item) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit cost k(from,to,i) and extra lead time r(from,to,i) of moving ``item`` from
    ``origin`` to ``destination`` (arrays of codes, one route each), by the Transport
    table: a row naming the item replaces the blank-item row of the same pair, whole; a
    pair with no row costs 0 and adds no lead time."""
    query = pd.DataFrame({"from": origin, "to": destination, "item": item})
    named = transport[transport["item"].notna()].reset_index(drop=True)
    every = transport[transport["item"].isna()].reset_index(drop=True)
    at_named = positions(named, ["from", "to", "item"], query)
    at_every = positions(every, ["from", "to"], query)

    def pick(column: str, dtype: str) -> np.ndarray:
        values = np.zeros(len(query))
        from_every = (at_named < 0) & (at_every >= 0)
        values[at_named >= 0] = named[column].to_numpy(float)[at_named[at_named >= 0]]
        values[from_every] = every[column].to_numpy(float)[at_every[from_every]]
        return values.astype(dtype)
    return pick("cost_per_unit", "float64"), pick("lead_time", "int64")


def ranges(counts) -> np.ndarray:
    """[0, 1, …, c₀−1, 0, 1, …, c₁−1, …] for counts c: the position of each row within its
    block when a table's rows are repeated c times each (``np.repeat``)."""
    counts = np.asarray(counts, dtype="int64")
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype="int64")
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype="int64") - starts


RESTRICTED = ("host", "facility", "ally", "item")  # the fields a Restrictions row may name


def forbidding_rows(restrictions: pd.DataFrame, deliveries: pd.DataFrame, *,
                    transfers: bool) -> np.ndarray:
    """For each delivery (columns ``RESTRICTED``), the Excel row of the first Restrictions
    row that forbids it, 0 where none does. A row forbids what matches all its non-blank
    fields; for transfers only rows with a blank facility apply, the giving ally in the
    role of host."""
    found = np.zeros(len(deliveries), dtype="int64")
    for restriction in restrictions.to_dict("records"):
        if transfers and not pd.isna(restriction["facility"]):
            continue
        match = np.ones(len(deliveries), dtype=bool)
        for name in RESTRICTED:
            value = restriction[name]
            if not pd.isna(value):
                match &= deliveries[name].to_numpy(dtype=object) == value
        found = np.where((found == 0) & match, restriction[ROW], found)
    return found


def fair_shares(allies: pd.DataFrame) -> pd.Series:
    """φ_a of every ally (SPEC §7.2), indexed by ally: Allies.fair_share where it is
    given; where it is blank for every ally, gdp_a / Σ_b gdp_b when gdp is given for
    every ally and sums to more than 0; else NaN (validation rejects a mix of given
    and blank shares)."""
    given = allies["fair_share"].astype(float)
    if given.notna().any() or allies.empty:
        return pd.Series(given.to_numpy(), index=allies["ally"].to_numpy(), dtype=float)
    gdp = allies["gdp"].astype(float)
    share = (gdp / gdp.sum() if gdp.notna().all() and gdp.sum() > 0
             else pd.Series(np.nan, index=allies.index))
    return pd.Series(share.to_numpy(), index=allies["ally"].to_numpy(), dtype=float)


DEFAULT_UNIT = "units"  # an item whose unit the Items sheet leaves blank


def item_units(items: pd.DataFrame | None) -> dict[str, str]:
    """Item -> its unit of count (the Items sheet's unit column; ``DEFAULT_UNIT`` where
    it is blank or absent), in the sheet's order; empty without an Items table."""
    if not isinstance(items, pd.DataFrame) or "item" not in items.columns:
        return {}
    units = items["unit"] if "unit" in items.columns else pd.Series(None, index=items.index)
    return {str(item): unit.strip() if isinstance(unit, str) and unit.strip() else DEFAULT_UNIT
            for item, unit in zip(items["item"], units, strict=True)}


TABLE_SHEETS = tuple(s.name for s in SHEETS if s.name != "Periods")
