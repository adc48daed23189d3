"""Shared test helpers: small workbooks written cell by cell with openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest


def valid_sheets() -> dict[str, list[list]]:
    """A tiny, valid and feasible alliance: every sheet of SPEC §2, one header row then
    data."""
    return {
        "Periods": [["period"], ["2027Q1"], ["2027Q2"]],
        "Allies": [
            ["ally", "name", "gdp", "min_gap_closure", "work_share_min"],
            ["POL", "Poland", 750, None, 0.1],
            ["DEU", "Germany", 4100, 0.2, None],
        ],
        "Items": [
            ["item", "name", "unit", "integer", "priority", "shortfall_penalty", "holding_cost"],
            ["155HE", "155 mm HE shell", "rounds", False, 1, None, 5],
            ["PAC3", "PAC-3 MSE", "missiles", True, 5, 1e8, None],
        ],
        "Production": [
            ["facility", "host", "item", "capacity", "unit_cost", "lead_time"],
            ["F1", "POL", "155HE", 1000, 3000, 1],
            ["F2", "DEU", "155HE", 800, 3500, None],
            ["F3", "USA", "PAC3", 10, 4e6, 0],
        ],
        "Capacity": [["facility", "item", "period", "capacity"], ["F1", "155HE", "2027Q1", 500]],
        "Expansion": [
            ["facility", "item", "max_extra", "cost_per_unit", "lead_time", "payer"],
            ["F1", "155HE", 500, 20000, None, "POL"],
        ],
        "Requirements": [
            ["ally", "item", "period", "target"],
            ["POL", "155HE", "2027Q2", 3000],
            ["DEU", "PAC3", "2027Q2", 20],
        ],
        "Stocks": [["ally", "item", "on_hand"], ["POL", "155HE", 200]],
        "Consumption": [["ally", "item", "period", "quantity"], ["POL", "155HE", "2027Q1", 50]],
        "Budgets": [["ally", "period", "budget"], ["POL", "2027Q1", 5e6]],
        "Transport": [
            ["from", "to", "cost_per_unit", "item", "lead_time"],
            ["USA", "DEU", 1000, None, 1],
        ],
        "Restrictions": [["host", "facility", "ally", "item"], ["USA", None, "POL", None]],
    }


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write rows cell by cell; a string starting with '=' becomes a formula with no value."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def workbook_path(tmp_path):
    """Write the valid alliance, edited by ``edit(sheets)``, and return its path."""

    def make(edit=None, name: str = "alliance.xlsx") -> Path:
        sheets = valid_sheets()
        if edit is not None:
            edit(sheets)
        return write_workbook(tmp_path / name, sheets)

    return make
