"""Tiny hand-solvable alliances for model tests, written as workbooks."""

from __future__ import annotations

from pathlib import Path

from optimizer.config import load_config
from optimizer.pipeline import RunResult, solve_workbook
from optimizer.workbook.schema import SHEETS_BY_NAME
from tests.conftest import write_workbook

TOLERANCE = 1e-6  # relative agreement expected between solver results and hand answers


def sheets(
    *,
    periods: list[str],
    allies: list[list],
    items: list[list],
    production: list[list],
    requirements: list[list] | None = None,
    **optional: list[list],
) -> dict[str, list[list]]:
    """A workbook as {sheet: rows}; every table gets its full SPEC header row.

    allies rows: ally, name, gdp, min_gap_closure, work_share_min (may be shortened)
    items rows: item, name, unit, integer, priority, shortfall_penalty, holding_cost
    production rows: facility, host, item, capacity, unit_cost, lead_time
    """
    tables = {
        "Periods": [[p] for p in periods],
        "Allies": allies,
        "Items": items,
        "Production": production,
        "Requirements": requirements or [],
        **optional,
    }
    return {
        name: [SHEETS_BY_NAME[name].column_names] + [list(row) for row in rows]
        for name, rows in tables.items()
    }


def solve(tmp_path: Path, workbook: dict[str, list[list]], *settings: str) -> RunResult:
    """Write the workbook and solve it with the baseline configuration plus ``settings``."""
    path = write_workbook(tmp_path / "alliance.xlsx", workbook)
    return solve_workbook(path, load_config(None, settings))


def quantity(result: RunResult, **match: str) -> float:
    """Total ordered quantity over the Allocation rows matching every given column."""
    orders = result.plan.orders
    for column, value in match.items():
        orders = orders[orders[column] == value]
    return float(orders["quantity"].sum())


def readiness(result: RunResult, ally: str, item: str, period: str):
    table = result.plan.readiness
    row = table[(table["ally"] == ally) & (table["item"] == item) & (table["period"] == period)]
    assert len(row) == 1
    return row.iloc[0]
