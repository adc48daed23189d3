"""The header row of a written sheet, as openpyxl reads it back: for tests of every
workbook whose tables have readable headers (``optimizer.workbook.writer.Column``)."""

from __future__ import annotations

import re

FIELD = re.compile(r"Field: (.+?)\. ")


def _table_header(sheet) -> list:
    """The header cells of the sheet's table: row 1 up to its first blank cell (the
    Dashboard's chart captions stand further right)."""
    cells = []
    for cell in sheet[1]:
        if cell.value is None:
            break
        cells.append(cell)
    return cells


def headers(sheet) -> list[str]:
    """The readable header of each column of the table, as row 1 shows it."""
    return [cell.value for cell in _table_header(sheet)]


def fields(sheet) -> list[str]:
    """The field name of each header cell, from its note ("Field: total_cost. …")."""
    names = []
    for cell in _table_header(sheet):
        found = FIELD.match(cell.comment.text if cell.comment is not None else "")
        assert found, (sheet.title, cell.coordinate, cell.value)
        names.append(found.group(1))
    return names


def columns(sheet) -> dict[str, int]:
    """Field name -> 0-based column position."""
    return {name: position for position, name in enumerate(fields(sheet))}
