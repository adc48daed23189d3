"""Validation across tables: unique keys, references, and the warnings of SPEC §4.

``load_workbook`` is the one entry point: it reads the workbook, collects every problem
in one pass and either raises ``InputError`` with all of them or returns the typed
``AllianceData`` and the warnings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.config import RulesConfig
from optimizer.errors import InputError, Problem
from optimizer.workbook.data import ROW, AllianceData, empty_table, sheet_ref, table_field
from optimizer.workbook.numerics import money_slip_warnings, numeric_range_warnings
from optimizer.workbook.reader import RawTable, read_tables
from optimizer.workbook.schema import (
    DEFINED_BY,
    EXAMPLE_PREFIX,
    SHEETS,
    SHEETS_BY_NAME,
    Findings,
    Kind,
    Nearest,
    did_you_mean,
    nearest,
)


def _cell(table: RawTable, column: str, row: int) -> str:
    return f"{sheet_ref(table.actual_name)}!{table.letters.get(column, 'A')}{row}"


def _describe(sheet_key: tuple[str, ...], values: tuple) -> str:
    return ", ".join(f"{name} '{value}'" for name, value in zip(sheet_key, values, strict=True)
                     if value is not None)


def _check_unique_keys(table: RawTable, findings: Findings) -> None:
    key = list(table.sheet.key)
    frame = table.frame
    if not key or frame.empty:
        return
    complete = frame.dropna(subset=[k for k in key if table.sheet.column(k).required])
    duplicated = complete.duplicated(subset=key, keep=False)
    if not duplicated.any():
        return
    first_rows: dict[tuple, int] = {}
    for record in complete.loc[duplicated, key + [ROW]].itertuples(index=False):
        values, row = tuple(record[:-1]), record[-1]
        if values not in first_rows:
            first_rows[values] = row
            continue
        findings.error(
            _cell(table, key[0], row),
            f"duplicate row for {_describe(table.sheet.key, values)}; "
            f"first given in row {first_rows[values]}",
        )


def _check_reference(
    table: RawTable, column: str, codes: set[str], slip: Nearest, defined_in: str,
    findings: Findings, *, warn: bool = False,
) -> None:
    values = table.frame[column]
    unknown = values.notna() & ~values.isin(codes)
    for value, row in zip(values[unknown], table.frame[ROW][unknown], strict=True):
        where = _cell(table, column, row)
        if warn:
            findings.warn(where, f"{column} '{value}' is {defined_in}; the row has no effect"
                                 + did_you_mean(slip(value)))
        else:
            findings.error(where, f"{column} '{value}' is not defined in {defined_in}"
                                  + did_you_mean(slip(value)))


def _check_line_reference(table: RawTable, production: pd.DataFrame,
                          findings: Findings) -> None:
    """Capacity, Expansion and Frameworks rows name a line (facility, item) of
    Production. The suggestion is the nearest facility making the item, else the nearest item the
    facility makes."""
    frame = table.frame
    lines = pd.MultiIndex.from_frame(production[["facility", "item"]].dropna())
    pairs = pd.MultiIndex.from_frame(frame[["facility", "item"]].fillna(""))
    unknown = ~pairs.isin(lines) & frame["facility"].notna() & frame["item"].notna()
    if not unknown.any():
        return
    defined = production[["facility", "item"]].dropna()
    makers = {item: Nearest(group["facility"]) for item, group in defined.groupby("item")}
    made = {facility: Nearest(group["item"]) for facility, group in defined.groupby("facility")}
    for facility, item, row in frame.loc[unknown, ["facility", "item", ROW]].itertuples(
        index=False
    ):
        hint = ""
        if item in makers and (meant := makers[item](facility)) is not None:
            hint = f"; did you mean facility '{meant}'?"
        elif facility in made and (meant := made[facility](item)) is not None:
            hint = f"; did you mean item '{meant}'?"
        findings.error(
            _cell(table, "facility", row),
            f"line (facility '{facility}', item '{item}') is not defined in Production{hint}",
        )


def _check_restrictions(table: RawTable, findings: Findings) -> None:
    fields = ["host", "facility", "ally", "item"]
    empty = table.frame[fields].isna().all(axis=1)
    for row in table.frame.loc[empty, ROW]:
        findings.error(
            f"{sheet_ref(table.actual_name)}!A{row}:D{row}",
            "a restriction needs at least one of host, facility, ally or item",
        )


def _warn_example_rows(table: RawTable, findings: Findings) -> None:
    """A row holding a code of the template's example rows (``EXAMPLE_PREFIX``) is still
    the example: a warning names it, once per row."""
    codes = [c.name for c in table.sheet.columns
             if c.kind is Kind.CODE and c.name in table.frame]
    if not codes or table.frame.empty:
        return
    text = table.frame[codes].astype("string").apply(lambda c: c.str.upper())
    found = text.apply(lambda c: c.str.startswith(EXAMPLE_PREFIX)).fillna(False)
    for index in np.flatnonzero(found.to_numpy().any(axis=1)):
        column = codes[int(np.argmax(found.iloc[index].to_numpy()))]
        row = int(table.frame[ROW].iloc[index])
        findings.warn(
            _cell(table, column, row),
            f"row {row} is the template's example row ({column} "
            f"'{table.frame[column].iloc[index]}'); replace it with your own data or "
            "delete the row")


# whose rows name a Production line (facility, item)
LINE_SHEETS = ("Capacity", "Expansion", "Frameworks", "BillOfMaterials")


def _check_references(tables: dict[str, RawTable], findings: Findings) -> None:
    """Every code that refers to another sheet is defined there. Codes referring to a
    sheet the workbook lacks are not checked: its missing-sheet error says it all."""
    def codes(sheet: str, column: str) -> set[str]:
        return set(tables[sheet].frame[column].dropna())

    known = {}
    for kind, (sheet, column) in DEFINED_BY.items():
        if sheet in tables:
            known[kind] = (codes(sheet, column), sheet)
        elif not SHEETS_BY_NAME[sheet].required:  # an optional sheet left out defines none
            known[kind] = (set(), sheet)
    if "Allies" in tables and "Production" in tables:
        known["country"] = (codes("Allies", "ally") | codes("Production", "host"),
                            "neither a production host nor an ally")
    slips = {kind: Nearest(sorted(known_codes)) for kind, (known_codes, _) in known.items()}
    for table in tables.values():
        for column in table.sheet.columns:
            if column.name not in table.frame or column.refers_to not in known:
                continue
            if table.sheet.name in LINE_SHEETS and column.name == "item":
                continue  # checked as part of the line (facility, item) below
            codes_known, defined_in = known[column.refers_to]
            _check_reference(table, column.name, codes_known, slips[column.refers_to],
                             defined_in, findings, warn=column.refers_to == "country")
        if table.sheet.name in LINE_SHEETS and "Production" in tables:
            _check_line_reference(table, tables["Production"].frame, findings)
        if table.sheet.name == "Restrictions":
            _check_restrictions(table, findings)
        if table.sheet.name == "Funding":
            _check_funding(table, findings)


def _check_funding(table: RawTable, findings: Findings) -> None:
    """A Funding row names two different allies: paying for one's own purchases is what
    a budget already does."""
    frame = table.frame
    for giver, row in frame.loc[frame["from"] == frame["to"], ["from", ROW]].itertuples(
            index=False):
        findings.error(_cell(table, "to", row),
                       f"'{giver}' cannot fund itself; name another ally in 'to', or delete "
                       "the row")


def _check_factors(table: RawTable, findings: Findings) -> None:
    """A Compatibility factor is above 0 (the reader holds it to [0, 1]): a unit counting
    nothing toward a platform is a slip, not a pair."""
    for row in table.frame.loc[table.frame["factor"] == 0, ROW]:
        findings.error(_cell(table, "factor", row),
                       "a factor of 0 counts nothing; delete the row or give it a factor "
                       "above 0")


def _check_targets_operated(table: RawTable, platforms: pd.DataFrame, allies: set[str],
                            findings: Findings) -> None:
    """A capability target (ally, platform) needs the Platforms row (ally, platform). An
    ally or platform defined nowhere is left to the reference checks: one sentence a
    cell."""
    frame = table.frame
    operated = pd.MultiIndex.from_frame(platforms[["ally", "platform"]].dropna())
    pairs = pd.MultiIndex.from_frame(frame[["ally", "platform"]].fillna(""))
    unoperated = (~pairs.isin(operated) & frame["ally"].isin(allies)
                  & frame["platform"].isin(set(platforms["platform"].dropna())))
    for ally, platform, row in frame.loc[unoperated, ["ally", "platform", ROW]].itertuples(
            index=False):
        findings.error(
            _cell(table, "platform", row),
            f"ally '{ally}' does not operate platform '{platform}' (no Platforms row for "
            f"ally '{ally}', platform '{platform}'); add that row to Platforms, or delete "
            "this target")


def _warn_unserved_platforms(table: RawTable, compatibility: pd.DataFrame,
                             findings: Findings) -> None:
    """A platform that no qualified Compatibility row serves can count nothing toward its
    targets: a warning on each of its Platforms rows."""
    qualified = set(compatibility.loc[compatibility["qualified"].astype(bool), "platform"])
    candidates = set(compatibility["platform"].dropna()) - qualified
    frame = table.frame
    unserved = frame["platform"].notna() & ~frame["platform"].isin(qualified)
    for platform, row in frame.loc[unserved, ["platform", ROW]].itertuples(index=False):
        only = " (only candidates, qualified FALSE)" if platform in candidates else ""
        findings.warn(
            _cell(table, "platform", row),
            f"platform '{platform}' has no qualified item in Compatibility{only}, so its "
            "capability targets cannot be met; add a Compatibility row for it with "
            "qualified TRUE")


def _check_platforms(tables: dict[str, RawTable], findings: Findings) -> None:
    """SPEC §7.1 beyond codes and keys: factors above 0, targets for platforms their
    allies operate, and a warning for a platform no qualified item serves."""
    compatibility = tables.get("Compatibility")
    platforms = tables.get("Platforms")
    if compatibility is not None:
        _check_factors(compatibility, findings)
    if "CapabilityTargets" in tables and "Allies" in tables:
        _check_targets_operated(
            tables["CapabilityTargets"],
            empty_table("Platforms") if platforms is None else platforms.frame,
            set(tables["Allies"].frame["ally"].dropna()), findings)
    if platforms is not None:
        _warn_unserved_platforms(
            platforms,
            empty_table("Compatibility") if compatibility is None else compatibility.frame,
            findings)


def component_cells(bill: RawTable) -> dict[str, str]:
    """The components (SPEC §7.3): each item a BillOfMaterials row names as a component
    of another item, in row order, with the cell of its first such row (component
    column). A row naming an item as its own component makes nothing a component: it is
    an error of its own."""
    frame = bill.frame.dropna(subset=["component"])
    frame = frame[frame["component"] != frame["item"]]
    first = frame.drop_duplicates("component")
    return {component: _cell(bill, "component", row)
            for component, row in first[["component", ROW]].itertuples(index=False)}


def _check_bill_rows(bill: RawTable, findings: Findings) -> None:
    """A BillOfMaterials row uses more than 0 of a component other than the line's own
    item."""
    frame = bill.frame
    for row in frame.loc[frame["quantity"] == 0, ROW]:
        findings.error(_cell(bill, "quantity", row),
                       "a quantity of 0 uses none of the component; delete the row instead")
    for item, row in frame.loc[frame["component"] == frame["item"], ["item", ROW]].itertuples(
            index=False):
        findings.error(_cell(bill, "component", row),
                       f"'{item}' cannot be a component of itself; name what the line uses "
                       "up, or delete the row")


def _knots(needs: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected sets of more than one item in the graph item → the
    components its lines need (``needs[item]``: component → cell), by Tarjan's algorithm
    without recursion, in the order of ``needs``: each holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in needs:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(needs.get(root, {})))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(needs.get(successor, {}))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members = []
                    while not members or members[-1] != node:
                        members.append(stack.pop())
                        on_stack.discard(members[-1])
                    if len(members) > 1:
                        found.append(members)
    return found


def _cycle_through(start: str, knot: set[str], needs: dict[str, dict[str, str]]) -> list[str]:
    """A shortest cycle start → … → start within ``knot`` (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in needs.get(node, {}):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if successor in knot and successor not in came_from:
                    came_from[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError("a strongly connected set holds a cycle through each member")


def _check_component_cycles(bill: RawTable, findings: Findings) -> None:
    """No item needs itself through a chain of components (A's line uses B, B's uses
    A): none of them could be made first. One error for each set of items tied together
    so, at the first cell of one of its cycles, naming the chain and every cell in it."""
    frame = bill.frame.dropna(subset=["item", "component"])
    frame = frame[frame["item"] != frame["component"]].drop_duplicates(["item", "component"])
    needs: dict[str, dict[str, str]] = {}
    for item, component, row in frame[["item", "component", ROW]].itertuples(index=False):
        needs.setdefault(item, {})[component] = _cell(bill, "component", row)
    position = {item: k for k, item in enumerate(needs)}
    for knot in sorted(_knots(needs), key=lambda knot: min(position[i] for i in knot)):
        start = min(knot, key=position.__getitem__)
        cycle = _cycle_through(start, set(knot), needs)
        cells = [needs[a][b] for a, b in zip(cycle, cycle[1:], strict=False)]
        chain, shown = cycle, cells
        if len(cells) > CYCLE_SHOWN:
            chain = [*cycle[:CYCLE_SHOWN + 1], "…", start]
            shown = [*cells[:CYCLE_SHOWN], f"and {len(cells) - CYCLE_SHOWN} more"]
        findings.error(
            cells[0],
            f"a cycle of components: {' needs '.join(chain)} ({', '.join(shown)}), so none "
            "of them can be made before the others; delete one of these rows")


CYCLE_SHOWN = 8  # the steps of a cycle a message names; a longer one is cut short


# The sheets whose rows would have allies hold a component, and what such a row means.
HELD_BY_ALLIES = ("Requirements", "Stocks", "Consumption", "AllianceTargets",
                  "Compatibility")
NO_EFFECT_ON_COMPONENTS = ("Transport", "Restrictions")  # rows about deliveries to allies


def _check_components(tables: dict[str, RawTable], findings: Findings) -> None:
    """SPEC §7.3 beyond codes, keys and lines: quantities above 0; no cycle of
    components; each component made by a line or held by industry; no ally holds,
    targets, uses, fires or orders a component (its lines fill the industry pool);
    a warning for an IndustryStocks row, a Transport or Restrictions row naming a
    component, that has no effect."""
    bill = tables.get("BillOfMaterials")
    stocks = tables.get("IndustryStocks")
    if bill is None and stocks is None:
        return
    components = {} if bill is None else component_cells(bill)
    if bill is not None:
        _check_bill_rows(bill, findings)
        _check_component_cycles(bill, findings)
    items = set(tables["Items"].frame["item"].dropna()) if "Items" in tables else set()
    if stocks is not None:
        for component, row in stocks.frame[["component", ROW]].itertuples(index=False):
            if component in items and component not in components:
                findings.warn(_cell(stocks, "component", row),
                              f"'{component}' is not a component (no BillOfMaterials row "
                              "uses it); the row has no effect")
    components = {k: cell for k, cell in components.items() if k in items}
    if not components:
        return
    _check_component_sources(components, tables, findings)
    for name in HELD_BY_ALLIES + NO_EFFECT_ON_COMPONENTS:
        if name not in tables:
            continue
        table = tables[name]
        frame = table.frame
        for item, row in frame.loc[frame["item"].isin(components), ["item", ROW]].itertuples(
                index=False):
            if name in HELD_BY_ALLIES:
                findings.error(
                    _cell(table, "item", row),
                    f"{item} is a component ({components[item]}): allies do not hold it, "
                    "industry's pool does; delete this row, or delete the BillOfMaterials "
                    f"rows that name {item} as a component")
            else:
                findings.warn(
                    _cell(table, "item", row),
                    f"{item} is a component ({components[item]}): it is delivered to no "
                    "ally, so the row has no effect")
    if "Frameworks" in tables and "Production" in tables:
        frameworks = tables["Frameworks"]
        frame = frameworks.frame
        lines = pd.MultiIndex.from_frame(
            tables["Production"].frame[["facility", "item"]].dropna())
        on_component_line = (frame["item"].isin(components) & pd.MultiIndex.from_frame(
            frame[["facility", "item"]].fillna("")).isin(lines))
        for facility, item, row in frame.loc[
                on_component_line, ["facility", "item", ROW]].itertuples(index=False):
            findings.error(
                _cell(frameworks, "item", row),
                f"line (facility '{facility}', item '{item}') makes a component "
                f"({components[item]}), which no ally orders: a framework cannot buy from "
                "it; name a line of an item allies hold, or delete the row")


def _check_component_sources(components: dict[str, str], tables: dict[str, RawTable],
                             findings: Findings) -> None:
    """Each component is made by a Production line or held by industry (IndustryStocks
    on_hand above 0): otherwise no line using it could make anything."""
    if "Production" not in tables:
        return
    made = set(tables["Production"].frame["item"].dropna())
    held: dict[str, tuple[float, int]] = {}
    stocks = tables.get("IndustryStocks")
    if stocks is not None:
        held = {component: (on_hand, row) for component, on_hand, row in
                stocks.frame[["component", "on_hand", ROW]].itertuples(index=False)}
    for component, cell in components.items():
        on_hand, row = held.get(component, (np.nan, 0))
        if component in made or on_hand > 0:
            continue
        none = (f"industry holds none ({_cell(stocks, 'on_hand', row)} is 0)"
                if row and on_hand == 0 else "industry holds none")
        findings.error(cell, f"nothing makes {component} and {none}: add a Production line "
                             f"for {component} or an IndustryStocks row with its on_hand")


SHARE_SUM_TOLERANCE = 1e-6  # fair shares given must sum to 1 within this (SPEC §7.2)


def _check_fair_shares(tables: dict[str, RawTable], rules: RulesConfig,
                       findings: Findings) -> None:
    """SPEC §7.2: Allies.fair_share is given for every ally or for none; given, the
    shares sum to 1 (± ``SHARE_SUM_TOLERANCE``); with the band on (rules.fair_share_band
    < 1) and alliance targets, blank shares need gdp for every ally."""
    allies = tables.get("Allies")
    if allies is None or allies.frame.empty:
        return
    frame = allies.frame
    shares = (frame["fair_share"] if "fair_share" in frame
              else pd.Series(np.nan, index=frame.index)).astype(float)
    given = shares.notna()
    rows = frame[ROW].to_numpy()
    span = (f"{_cell(allies, 'fair_share', int(rows.min()))}:"
            f"{allies.letters.get('fair_share', 'A')}{int(rows.max())}")
    if given.any() and not given.all():
        blank = frame.loc[~given, "ally"].astype(str).tolist()
        findings.error(
            _cell(allies, "fair_share", int(frame.loc[~given, ROW].iloc[0])),
            f"fair_share is given for some allies but blank for {', '.join(blank)}; give "
            "a fair share for every ally, or leave the column blank for every ally to "
            "share by gdp")
        return
    if given.all():
        total = float(shares.sum())
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            findings.error(
                span, f"the fair shares of Allies (column fair_share) sum to {total:.6g}, "
                      "not 1; change them so that they add up to 1 (e.g. divide each by "
                      f"{total:.6g})")
        return
    targets = tables.get("AllianceTargets")
    if targets is None or targets.frame.empty:
        return
    why = band_without_shares(frame, rules.fair_share_band)
    if why:
        findings.error(span, why)


def band_without_shares(allies: pd.DataFrame, band: float) -> str | None:
    """Why the fair-share band ``band`` (rules.fair_share_band) cannot be applied to the
    alliance targets with these Allies rows, or None: with the band on (< 1) and
    fair_share blank for every ally, φ_a = gdp_a / Σ gdp needs gdp for every ally, summing
    to more than 0 (SPEC §7.2). Also asked of a scenario that sets the band."""
    if band >= 1 or allies.empty:
        return None
    if "fair_share" in allies and allies["fair_share"].astype(float).notna().any():
        return None
    gdp = (allies["gdp"] if "gdp" in allies else pd.Series(np.nan, index=allies.index))
    gdp = gdp.astype(float)
    if gdp.notna().all() and gdp.sum() > 0:
        return None
    missing = allies.loc[gdp.isna(), "ally"].astype(str).tolist()
    why = f"gdp is blank for {', '.join(missing)}" if missing else "gdp sums to 0"
    return (f"rules.fair_share_band = {band:g} needs each ally's fair share of the alliance "
            f"targets, but fair_share is blank and {why}; give fair_share for every ally "
            "(summing to 1), or gdp for every ally")


def configuration_problems(periods: tuple[str, ...], rules: RulesConfig,
                           where: str = "model configuration") -> list[Problem]:
    """Errors of configuration keys that name the workbook's codes:
    ``rules.min_gap_closure_from`` must be blank or a period of the Periods sheet."""
    first = rules.min_gap_closure_from
    if not first or first in periods or not periods:
        return []
    close = nearest(first, periods)
    hint = f"did you mean '{close}'? " if close else ""
    return [Problem(where, (
        f"rules.min_gap_closure_from '{first}' is not a period of the workbook; {hint}"
        f"give one of Periods ({periods[0]} … {periods[-1]}), or \"\" for every period"))]


def policy_warnings(data: AllianceData, rules: RulesConfig) -> list[Problem]:
    """Warnings that depend on the model configuration's rules (SPEC §4, rules 7 and 8)."""
    found = Findings()
    share = rules.max_supplier_share
    if share < 1.0:
        countries = data.production.groupby("item")["host"].nunique()
        demanded = set(data.requirements["item"])
        for item, row in data.items[["item", ROW]].itertuples(index=False):
            if item in demanded and countries.get(item, 0) == 1:
                host = data.production.loc[data.production["item"] == item, "host"].iloc[0]
                found.warn(
                    data.cell("Items", "item", row),
                    f"item '{item}' is made in one country only ({host}); with "
                    f"rules.max_supplier_share = {share:g} no ally can buy it from a line",
                )
    if rules.work_share:
        hosts = set(data.production["host"])
        needs_share = data.allies["work_share_min"].fillna(0) > 0
        for ally, minimum, row in data.allies.loc[
            needs_share, ["ally", "work_share_min", ROW]
        ].itertuples(index=False):
            if ally not in hosts:
                found.warn(
                    data.cell("Allies", "work_share_min", row),
                    f"ally '{ally}' must place {minimum:.0%} of its spending with its own "
                    "industry but hosts no production line, so it can spend nothing",
                )
    return found.warnings


def load_workbook(
    path: str | Path, rules: RulesConfig | None = None
) -> tuple[AllianceData, list[Problem]]:
    """Read and validate an input workbook (SPEC §2), against the model configuration's
    ``rules`` (default: ``RulesConfig()``, the defaults).

    Returns the typed data and the warnings; raises ``InputError`` listing every problem,
    each with its sheet and cell, when the workbook is not valid. The file is only read.
    """
    path = Path(path)
    rules = RulesConfig() if rules is None else rules
    findings = Findings()
    tables = read_tables(path, findings)
    for table in tables.values():
        _check_unique_keys(table, findings)
        _warn_example_rows(table, findings)
    _check_references(tables, findings)
    _check_platforms(tables, findings)
    _check_components(tables, findings)
    _check_fair_shares(tables, rules, findings)
    if "Periods" in tables:
        findings.errors += configuration_problems(
            tuple(tables["Periods"].frame["period"].dropna()), rules)
    if findings.errors:
        raise InputError(findings.errors, findings.warnings)

    def frame(name: str) -> pd.DataFrame:
        return tables[name].frame if name in tables else empty_table(name)

    locations = {
        (name, column): (table.actual_name, letter)
        for name, table in tables.items()
        for column, letter in table.letters.items()
    }
    data = AllianceData(
        periods=tuple(tables["Periods"].frame["period"]),
        **{table_field(sheet.name): frame(sheet.name) for sheet in SHEETS
           if sheet.name != "Periods"},
        source=path,
        locations=locations,
    )
    if (data.requirements.empty and data.capability_targets.empty
            and data.alliance_targets.empty):
        findings.warn(
            tables["Requirements"].actual_name, "no readiness targets; there is nothing to plan"
        )
    warnings = (findings.warnings + policy_warnings(data, rules)
                + numeric_range_warnings(data) + money_slip_warnings(data))
    return data, warnings
