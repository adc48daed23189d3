"""The Dashboard sheet of a report: the plan at a glance, with native Excel charts.

On the left, the headline: status, whether the plan is proven optimal, total cost,
weighted shortfall, the share of gaps closed (weighted by priority), how many targets and
allies are fully met, and the item with the largest share of its gap left open. To the
right, four small tables (one more with alliance targets, one more with components), each
the data of one chart below
the headline. No figure adds one item's units to another's (shells to missiles):

- gap closed by ally, weighted by priority: 100 · (1 − Σ p · min(shortfall, gap) / Σ p ·
  gap) over the ally's Readiness rows (``plan.gap_closed``); with capability targets,
  beside it the share of the ally's capability targets held, 100 · (1 − Σ p ·
  min(shortfall, target) / Σ p · target) over its Capabilities rows
  (``plan.capability_met``);
- spend against budget by ally: Σ budget and Σ spent over the periods (Budgets), in the
  run's currency;
- capacity utilisation by period: the mean over the lines with capacity of each line's
  100 · used / capacity (Capacity);
- gap left open by item: 100 · Σ min(shortfall, gap) / Σ gap over allies and periods, a
  share every item reads alike, beside its shortfall and gap in the item's own unit
  (Readiness);
- with alliance targets, a fifth, fair share against stock held and spending by ally:
  each ally's fair share beside its share of the alliance's stock (weighted by the
  targets' priorities) and of the alliance's spending (``Plan.burden``, Burden by ally);
- with components (SPEC §7.3), component line utilisation: each component line's 100 ·
  used / capacity over the horizon beside its highest in any one period
  (``explain.bottlenecks``, the Bottlenecks sheet), the most valuable line first.

The tables are written here, in the sheet, so that every bar of a chart can be read as a
number next to it; the charts point at those cells. The charts stand two by two below
the headline, the tables to their right; the Dashboard prints the headline and the
charts on one page (the tables, as long as the periods or items, are left off it). Value
axes start at 0 (percentages run to 100); money reads "2.5 bn", "400 M".

A chart by period over more than ``MAX_CHART_POINTS`` periods draws blocks of
consecutive periods instead (``group_periods``), and says so in its caption ("periods
grouped in blocks of 25 (10,000 periods)"): a block's utilisation is the mean of its
lines' utilisation over its periods, so a block reads as one long period would. The
workbook's Dashboard and the HTML page draw the same blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.model.plan import capability_met, gap_closed
from optimizer.model.status import OPTIMAL
from optimizer.words import figure
from optimizer.workbook.data import item_units
from optimizer.workbook.writer import (
    COUNT,
    HEADER_FORMAT,
    ITEM_UNIT,
    MONEY,
    MONEY_UNIT,
    PERCENT,
    QUANTITY,
    Cell,
    Column,
    SheetContent,
    axis_number_format,
    finite_number,
    money_format,
    quantity_format,
    style,
)

if TYPE_CHECKING:
    from optimizer.record import RunRecord

# The charts' grid: columns A:B (the headline, 215 + 285 pixels) hold one chart, column C
# (73 characters, 516 pixels) the other, with a gap; two rows of charts below the headline.
HEADLINE_WIDTHS = {"headline": 30, "value": 40}  # characters
CHART_COLUMN = 2  # column C
CHART_COLUMN_WIDTH = 73  # characters
CHART_WIDTH, CHART_HEIGHT, CHART_GAP = 500, 320, 10  # pixels
CHART_ROWS = 17  # rows of 20 pixels from one row of charts to the next
CHART_ROW_GAP = 2  # empty rows between the headline and the first chart
FIRST_TABLE_COLUMN = 4  # column E: the chart data start here, right of the charts
MAX_CHART_POINTS = 400  # a chart by period draws at most this many blocks of periods
# (a 6-inch chart has about 1,800 pixels across at print resolution: 4 or more a bar)

# The columns of the chart tables (``chart_tables``).
CHART_COLUMNS = {column.name: column for column in (
    Column("ally", "The ally."),
    Column("closed_pct", "Share of the ally's gaps closed, weighted by priority.", PERCENT,
           header="gap closed", unit="%"),
    Column("capability_met_pct", "Share of the ally's capability targets held, weighted "
                                 "by priority (Capabilities).", PERCENT,
           header="capability held", unit="%"),
    Column("budget", "Σ budget over the periods.", MONEY, unit=MONEY_UNIT),
    Column("spent", "Σ spent over the periods.", MONEY, unit=MONEY_UNIT),
    Column("period", "The period (or block of periods)."),
    Column("lines", "Production lines with capacity in the period (in a block of "
                    "periods, summed over its periods: each line-period once).", COUNT,
           header="lines with capacity"),
    Column("utilisation_pct", "Mean over those lines of used / capacity.", PERCENT,
           header="mean utilisation", unit="%"),
    Column("item", "The item."),
    Column("shortfall", "Σ shortfall over allies and periods, in the item's unit.",
           QUANTITY, unit=ITEM_UNIT),
    Column("gap", "Σ gap over allies and periods, in the item's unit.", QUANTITY,
           unit=ITEM_UNIT),
    Column("left_open_pct", "Share of the item's gap left open: 100 · Σ min(shortfall, "
                            "gap) / Σ gap.", PERCENT, header="gap left open", unit="%"),
    Column("fair_share_pct", "The ally's fair share of every alliance target (Burden by "
                             "ally).", PERCENT, header="fair share", unit="%"),
    Column("held_share_pct", "The ally's share of the alliance's stock over the alliance "
                             "targets, weighted by priority (Burden by ally).", PERCENT,
           header="share of alliance stock held", unit="%"),
    Column("spending_share_pct", "The ally's share of the money all allies spend (Burden "
                                 "by ally).", PERCENT, header="share of alliance spending",
           unit="%"),
    Column("component_line", "The component and the facility whose line makes it "
                             "(Bottlenecks).", header="component line"),
    Column("horizon_utilisation_pct", "used / capacity of the line over the horizon "
                                      "(Bottlenecks).", PERCENT,
           header="utilisation over the horizon", unit="%"),
    Column("peak_utilisation_pct", "The line's highest used / capacity in any one period "
                                   "(Bottlenecks).", PERCENT, header="peak utilisation",
           unit="%"),
)}
BURDEN_SERIES = ("fair_share_pct", "held_share_pct", "spending_share_pct")
COMPONENT_SERIES = ("horizon_utilisation_pct", "peak_utilisation_pct")


@dataclass(frozen=True)
class ChartTable:
    """One chart's data: a small table (first column the categories) and the chart."""

    title: str
    frame: pd.DataFrame
    chart_type: str  # xlsxwriter chart type: "bar", "column"
    series: tuple[str, ...]  # the columns drawn, one series each
    axis_title: str
    grouping: str = ""  # how the categories are grouped ("periods grouped in blocks …")
    currency: str = ""  # the money unit of its money columns
    row_units: tuple[str, ...] = ()  # each row's item unit, for the ITEM_UNIT columns

    @property
    def caption(self) -> str:
        """The title, with how the categories are grouped when they are."""
        return f"{self.title}: {self.grouping}" if self.grouping else self.title

    @property
    def columns(self) -> tuple[Column, ...]:
        """The declaration of each column of ``frame`` (``CHART_COLUMNS``)."""
        return tuple(CHART_COLUMNS[name] for name in self.frame.columns)

    @property
    def formats(self) -> dict[str, str]:
        return {c.name: c.number_format for c in self.columns if c.number_format}

    def heading(self, name: str) -> str:
        """A column's readable header, money in the table's currency."""
        return CHART_COLUMNS[name].heading(self.currency)

    def row_format(self, name: str, row: int) -> str | None:
        """The number format of a column's value in a row: in the row's item unit for a
        quantity of one item, else the column's (money with the currency)."""
        column = CHART_COLUMNS[name]
        if column.kind == "quantity" and self.row_units:
            return quantity_format(self.row_units[row])
        return column.number_format


def chart_tables(readiness: pd.DataFrame, budgets: pd.DataFrame, capacity: pd.DataFrame,
                 currency: str = "", units: dict[str, str] | None = None,
                 capabilities: pd.DataFrame | None = None,
                 burden: pd.DataFrame | None = None,
                 bottlenecks: pd.DataFrame | None = None) -> list[ChartTable]:
    """The tables of the dashboard, from a plan's Readiness (ally, item, gap,
    shortfall, priority), Budgets (ally, budget, spent) and Capacity (period, capacity,
    used) tables, as the report or its sheets hold them (see the module docstring);
    money in ``currency``, quantities in each item's unit (``units``: item -> unit).
    With capability targets (``capabilities``: ally, target, shortfall, priority), the
    chart by ally shows the share of each ally's capability targets held beside its gaps
    closed (an ally with readiness gaps only, or capability targets only, shows 100 for
    the other). With alliance targets (``burden``: the Burden by ally table, None for an
    input without them), a fifth: each ally's fair share beside its shares of the
    alliance's stock and spending. With components (``bottlenecks``: the Bottlenecks
    table, None for an input without them), one more: each component line's utilisation
    over the horizon beside its peak, in the table's order (most valuable first)."""
    closed = gap_closed(readiness, by="ally").rename("closed_pct")
    series, title = ("closed_pct",), "Gap closed by ally, weighted by priority"
    if capabilities is not None and not capabilities.empty:
        held = capability_met(capabilities, by="ally").rename("capability_met_pct")
        closed = pd.concat([closed, held], axis=1).fillna(100.0)
        closed.index.name = "ally"
        series = ("closed_pct", "capability_met_pct")
        title = "Gap closed and capability held by ally, weighted by priority"
    closed = closed.reset_index()
    budgets = budgets.groupby("ally", sort=False)[["budget", "spent"]].sum()
    capacity = _utilisation_by_period(capacity)
    capacity, grouping = group_periods(capacity, "period", ["lines", "utilisation_sum"])
    with np.errstate(invalid="ignore", divide="ignore"):
        capacity["utilisation_pct"] = (capacity["utilisation_sum"]
                                       / capacity["lines"].where(capacity["lines"] > 0))
    capacity = capacity[["period", "lines", "utilisation_pct"]]
    items = readiness.groupby("item", sort=False)[["shortfall", "gap"]].sum()
    items["left_open_pct"] = 100.0 - gap_closed(readiness, by="item", weighted=False)
    units = units or {}
    row_units = tuple(units.get(str(item), "") for item in items.index) if units else ()
    tables = [
        ChartTable(title, closed, "bar", series,
                   "share of the ally's gaps closed" + (" and capability held"
                                                         if len(series) > 1 else "")
                   + ", weighted by priority (%)"),
        ChartTable("Spend against budget by ally", budgets.reset_index(), "bar",
                   ("budget", "spent"),
                   "money over the horizon" + (f" ({currency})" if currency else ""),
                   currency=currency),
        ChartTable("Capacity utilisation by period", capacity, "column",
                   ("utilisation_pct",), "mean used / capacity of the lines (%)", grouping),
        ChartTable("Gap left open by item", items.reset_index(), "bar", ("left_open_pct",),
                   "share of the item's gap left open (%)", row_units=row_units),
    ]
    if burden is not None:
        tables.append(ChartTable("Fair share against stock held and spending by ally",
                                 burden[["ally", *BURDEN_SERIES]].reset_index(drop=True),
                                 "bar", BURDEN_SERIES, "share of the alliance (%)"))
    if bottlenecks is not None:
        tables.append(_component_utilisation(bottlenecks))
    return tables


def _component_utilisation(bottlenecks: pd.DataFrame) -> ChartTable:
    """The component lines of the Bottlenecks table (role component), each named "EXPL
    at EL", with their utilisation over the horizon and at their peak."""
    lines = bottlenecks[bottlenecks["role"] == "component"]
    frame = pd.DataFrame({
        "component_line": (lines["item"].astype(str) + " at "
                           + lines["facility"].astype(str)).to_numpy(object),
        "horizon_utilisation_pct": lines["utilisation_pct"].to_numpy(float),
        "peak_utilisation_pct": lines["peak_utilisation_pct"].to_numpy(float)})
    return ChartTable("Component line utilisation", frame, "bar", COMPONENT_SERIES,
                      "used / capacity of the line (%)")


def _utilisation_by_period(capacity: pd.DataFrame) -> pd.DataFrame:
    """Per period, in order: the lines with capacity and Σ of their 100 · used /
    capacity (so that blocks of periods sum alike)."""
    amount = capacity["capacity"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = (100.0 * capacity["used"].astype(float) / amount).where(amount > 0)
    lines = pd.DataFrame({"period": capacity["period"], "lines": utilisation.notna(),
                          "utilisation_sum": utilisation.fillna(0.0)})
    totals = lines.groupby("period", sort=False)[["lines", "utilisation_sum"]].sum()
    return totals.astype({"lines": int}).reset_index()


def group_periods(frame: pd.DataFrame, period: str, sums: list[str],
                  max_points: int = MAX_CHART_POINTS) -> tuple[pd.DataFrame, str]:
    """``frame`` (one row per period, in period order: ``period``, then the ``sums``
    columns) with its periods in blocks when there are more than ``max_points``.

    n periods make blocks of b = ⌈n / max_points⌉ consecutive periods (the last may be
    shorter), so at most ``max_points`` rows: each named "first–last", with each of the
    ``sums`` columns summed over the block's periods (flows over time: units, money).
    Returns the frame and how it is grouped, "periods grouped in blocks of 25 (10,000
    periods)"; with at most ``max_points`` periods the frame as it is and ""."""
    count = len(frame)
    if count <= max_points:
        return frame.reset_index(drop=True), ""
    block = math.ceil(count / max_points)
    blocks = pd.Series(range(count)) // block
    names = frame[period].astype(str).reset_index(drop=True)
    first, last = names.groupby(blocks).first(), names.groupby(blocks).last()
    grouped = frame[sums].reset_index(drop=True).groupby(blocks).sum()
    grouped.insert(0, period, first + "–" + last)
    shorter = count % block
    grouping = (f"periods grouped in blocks of {block:,} ({count:,} periods"
                + (f"; the last block has {shorter:,})" if shorter else ")"))
    return grouped.reset_index(drop=True), grouping


def headline(result: RunRecord) -> pd.DataFrame:
    """The headline rows: (headline, value); numbers stay numbers."""
    summary = result.summary()
    rows: list[tuple[str, object]] = [
        ("status", result.status),
        ("proven optimal", "yes" if result.status == OPTIMAL else "NO"),
        ("message", result.message),
    ]
    plan = result.plan
    if plan is not None:
        readiness = plan.readiness
        met = plan.target_met
        allies_ready = met.groupby(readiness["ally"]).all()
        rows += [
            ("total cost", plan.total_cost),
            ("weighted shortfall", plan.weighted_shortfall),
            (CLOSED_HEADLINE, plan.gap_closed_pct),
            *([(CAPABILITY_HEADLINE, plan.capability_met_pct)]
              if not plan.capabilities.empty else []),
            ("readiness targets met", f"{int(met.sum()):,} of {len(readiness):,}"),
            ("allies with every target met",
             f"{int(allies_ready.sum()):,} of {len(allies_ready):,}"),
            ("largest share of an item's gap left open",
             _most_left_open(readiness, _units(result))),
        ]
        if "equal_cost_plans" in summary:
            rows.append(("other plans of equal cost", summary["equal_cost_plans"]))
    elif result.diagnosis is not None:
        rows.append(("why", result.diagnosis.message))
    return pd.DataFrame(rows, columns=["headline", "value"]).astype(object)


CLOSED_HEADLINE = "share of gaps closed, weighted by priority (%)"
CAPABILITY_HEADLINE = "share of capability targets held, weighted by priority (%)"


def _most_left_open(readiness: pd.DataFrame, units: dict[str, str]) -> str:
    """The item with the largest share of its gap left open, with that share and its
    shortfall in its unit: "PAC3MSE: 40.0% of its gap (400 missiles short)"."""
    left = 100.0 - gap_closed(readiness, by="item", weighted=False)
    if not len(left) or left.max() <= 0:
        return "none: every gap closed"
    item = left.idxmax()
    short = float(readiness.loc[readiness["item"] == item, "shortfall"].sum())
    unit = units.get(str(item), "units")
    return f"{item}: {left.max():.1f}% of its gap ({figure(short, unit)} short)"


def _units(result: RunRecord) -> dict[str, str]:
    return item_units(result.data.items)


def dashboard_sheet(result: RunRecord) -> SheetContent:
    """The Dashboard: the headline table at A1, the chart tables and charts beside and
    below it (none when the run found no plan)."""
    frame = headline(result)
    currency = result.config.report.currency
    formats = {"total cost": money_format(currency), "weighted shortfall": QUANTITY,
               CLOSED_HEADLINE: PERCENT, CAPABILITY_HEADLINE: PERCENT}
    plan = result.plan
    burden = None if plan is None or plan.alliance.empty else plan.burden
    tables = [] if plan is None else chart_tables(plan.readiness, plan.budgets, plan.capacity,
                                                  currency, _units(result), plan.capabilities,
                                                  burden, result.bottlenecks)
    cells: list[Cell] = []
    columns = []
    column = FIRST_TABLE_COLUMN
    for table in tables:
        cells.append(Cell(0, column, table.caption, style(bold=True, font_size=12),
                          note=f"The data of the chart '{table.title}' below the "
                               f"headline: {table.axis_title}."))
        cells += _table_cells(1, column, table)
        columns.append(column)
        column += len(table.frame.columns) + 1

    chart_row = len(frame) + 1 + CHART_ROW_GAP

    def decorate(sheet, workbook, written: pd.DataFrame) -> None:
        sheet.set_column(CHART_COLUMN, CHART_COLUMN, CHART_COLUMN_WIDTH)
        for index, (table, first) in enumerate(zip(tables, columns, strict=True)):
            for offset in range(len(table.frame.columns)):
                sheet.set_column(first + offset, first + offset, 14 if offset else 16)
            chart = _chart(workbook, sheet.get_name(), 1, first, table)
            right = index % 2
            sheet.insert_chart(chart_row + CHART_ROWS * (index // 2),
                               CHART_COLUMN if right else 0, chart,
                               {"x_offset": CHART_GAP if right else 0})

    rows = len(frame) + 1 + (CHART_ROW_GAP + CHART_ROWS * math.ceil(len(tables) / 2)
                             if tables else 0)
    return SheetContent(
        frame=frame, decorate=decorate, cells=cells, widths=HEADLINE_WIDTHS,
        print_pages=(1, 1), print_area=(0, 0, rows - 1, CHART_COLUMN),
        print_gridlines=False,
        cell_formats={"value": [formats.get(name) for name in frame["headline"]]},
        headers={"headline": "Headline", "value": "Value"},
        header_notes={
            "headline": "Field: headline. The plan at a glance; the sheets that follow "
                        "give every number.",
            "value": "Field: value. Charts below; their data in the tables to the right.",
        })


def _table_cells(row: int, column: int, table: ChartTable) -> list[Cell]:
    """A chart's table with its header at (row, column): the cells it is made of, each
    header readable with its field in its note."""
    cells = []
    for offset, spec in enumerate(table.columns):
        cells.append(Cell(row, column + offset, table.heading(spec.name),
                          style(**HEADER_FORMAT), note=spec.comment))
        for line, value in enumerate(table.frame[spec.name].tolist()):
            number_format = table.row_format(spec.name, line)
            shown = (style(num_format=number_format)
                     if number_format and finite_number(value) is not None else ())
            cells.append(Cell(row + 1 + line, column + offset, value, shown))
    return cells


def chart_ranges(sheet_name: str, row: int, column: int, table: ChartTable) -> dict:
    """Where each series of a table's chart reads: (sheet, first row, first column,
    last row, last column) of its categories and of each series' values."""
    first, last = row + 1, row + len(table.frame)
    columns = list(table.frame.columns)
    return {
        "categories": [sheet_name, first, column, last, column],
        "values": {name: [sheet_name, first, column + columns.index(name), last,
                          column + columns.index(name)] for name in table.series},
    }


def _chart(workbook, sheet_name: str, row: int, column: int, table: ChartTable):
    ranges = chart_ranges(sheet_name, row, column, table)
    chart = workbook.add_chart({"type": table.chart_type})
    for name in table.series:
        chart.add_series({"name": table.heading(name),
                          "categories": ranges["categories"],
                          "values": ranges["values"][name]})
    chart.set_title({"name": table.caption, "name_font": {"size": 11}})
    chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    value_axis = {"name": table.axis_title, "num_font": {"size": 8}, **_scale(table)}
    category_axis = {"num_font": {"size": 8}}
    if table.chart_type == "bar":  # horizontal bars: the categories read top-down
        chart.set_x_axis(value_axis)
        chart.set_y_axis({**category_axis, "reverse": True})
    else:
        chart.set_y_axis(value_axis)
        chart.set_x_axis(category_axis)
    if len(table.series) == 1:
        chart.set_legend({"none": True})
    else:
        chart.set_legend({"position": "bottom"})
    return chart


def _scale(table: ChartTable) -> dict:
    """The value axis of a table's chart: from 0, to 100 for percentages; money and units
    with thousands separators, or in millions or billions (``axis_number_format``)."""
    if all(table.formats.get(name) == PERCENT for name in table.series):
        return {"min": 0, "max": 100, "num_format": "0"}
    values = pd.to_numeric(table.frame[list(table.series)].stack(), errors="coerce")
    largest = values.abs().max() if values.notna().any() else 0.0
    return {"min": 0, "num_format": axis_number_format(largest)}
