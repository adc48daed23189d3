"""Writing workbooks: one place for the formats, the text-safety and the atomic save.

Every workbook the tool writes (template, generated inputs, reports) goes through
``write_workbook``: xlsxwriter with ``strings_to_formulas`` off, so a string such as
``=HYPERLINK(...)`` that came from someone's input is written as text and never becomes a
formula; styled, frozen header rows; column widths from the content; and an atomic save
(written to a temporary file beside the target, then renamed over it), so a failed run
leaves any earlier file intact.

Every sheet is written row by row in xlsxwriter's constant-memory mode: a row goes to disk
when the next one starts, so a report of a million orders never holds its cells in memory.
Hence nothing may write a cell above the current row: per-row number formats
(``SheetContent.cell_formats``) and cells beside the table (``SheetContent.cells``) are data
that the writer merges in row order, and ``decorate`` hooks add only what is not a cell
(conditional formats, data validation, column widths, charts).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from optimizer.files import shown_text
from optimizer.outputs import atomic_output, rows_folder

ReadmeRow = tuple[str, tuple[str, ...]]

# Number formats of every workbook the tool writes (percentages are numbers 0-100).
MONEY = "#,##0"
QUANTITY = "#,##0.##"
PERCENT = "0.0"
DUAL = "#,##0.00"
COUNT = "#,##0"
SECONDS = "0.000"
TINY = "0.00E+00"  # verifier violations: small relative numbers
WHOLE = "0"

HEADER_FORMAT = {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1}
MAX_WIDTH = 60
ROWS_AT_A_TIME = 10_000  # rows turned into Python values at once while writing a sheet


@dataclass(frozen=True)
class Cell:
    """A cell beside a sheet's table (0-based row and column): its value, its xlsxwriter
    format properties and a note."""

    row: int
    col: int
    value: object
    style: tuple[tuple[str, object], ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Link:
    """A cell that opens a file: ``target`` relative to the workbook's folder (or
    absolute), shown as ``text``. Written as text when Excel takes no more links."""

    target: str
    text: str

    def __str__(self) -> str:
        return self.text


def style(**properties: object) -> tuple[tuple[str, object], ...]:
    """xlsxwriter format properties as a ``Cell.style``."""
    return tuple(sorted(properties.items()))


@dataclass
class SheetContent:
    """A table to write as one sheet: a frame, per-column number formats and notes."""

    frame: pd.DataFrame
    number_formats: dict[str, str] = field(default_factory=dict)
    header_notes: dict[str, str] = field(default_factory=dict)
    # Called with (worksheet, workbook, frame) after the cells are written: data
    # validation, conditional formats, column widths, charts; never a cell (see above).
    decorate: Callable[[Worksheet, xlsxwriter.Workbook, pd.DataFrame], None] | None = None
    # column -> one number format per data row (None: the column's), right-aligned: for
    # key-value sheets whose rows hold different quantities. Text stays text.
    cell_formats: dict[str, list[str | None]] = field(default_factory=dict)
    # Cells beside the table, such as the Dashboard's chart data.
    cells: list[Cell] = field(default_factory=list)


class _Formats:
    """One xlsxwriter format per distinct set of properties."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._made: dict[tuple, object] = {}

    def get(self, properties: tuple[tuple[str, object], ...]):
        if not properties:
            return None
        if properties not in self._made:
            self._made[properties] = self._workbook.add_format(dict(properties))
        return self._made[properties]


def _width(values: Iterable[object], header: str) -> float:
    longest = len(header)
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        longest = max(longest, len(f"{value:,.2f}" if isinstance(value, float) else str(value)))
    return min(MAX_WIDTH, longest + 2)


def _write_table(sheet: Worksheet, content: SheetContent, formats: _Formats) -> None:
    """The header row, then each data row with the cells beside it, top to bottom."""
    frame = content.frame
    header = formats.get(style(**HEADER_FORMAT))
    beside: dict[int, list[Cell]] = defaultdict(list)
    for cell in content.cells:
        beside[cell.row].append(cell)
    for col, name in enumerate(frame.columns):
        spec = content.number_formats.get(name)
        sheet.set_column(col, col, _width(frame[name].head(2000), str(name)),
                         formats.get(style(num_format=spec)) if spec else None)
        sheet.write_string(0, col, str(name), header)
        if name in content.header_notes:
            sheet.write_comment(0, col, content.header_notes[name])
    _write_cells(sheet, beside.pop(0, ()), formats)
    names = list(frame.columns)
    per_row = {names.index(name): specs for name, specs in content.cell_formats.items()
               if name in names}
    plain = [col for col in range(len(names)) if col not in per_row]
    for first in range(0, len(frame), ROWS_AT_A_TIME):
        chunk = frame.iloc[first:first + ROWS_AT_A_TIME]
        columns = [chunk[name].tolist() for name in names]
        for row, values in enumerate(zip(*columns, strict=True), start=first + 1):
            for col in plain:
                write_value(sheet, row, col, values[col])
            for col, specs in per_row.items():
                value, spec = values[col], specs[row - 1]
                numbered = spec is not None and finite_number(value) is not None
                write_value(sheet, row, col, value, formats.get(
                    style(num_format=spec, align="right")) if numbered else None)
            _write_cells(sheet, beside.pop(row, ()), formats)
    for row in sorted(beside):
        _write_cells(sheet, beside[row], formats)
    sheet.freeze_panes(1, 0)
    if len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _write_cells(sheet: Worksheet, cells: Iterable[Cell], formats: _Formats) -> None:
    for cell in cells:
        write_value(sheet, cell.row, cell.col, cell.value, formats.get(cell.style))
        if cell.note is not None:
            sheet.write_comment(cell.row, cell.col, cell.note)


def finite_number(value: object) -> float | int | None:
    """A finite real number as a Python number; None for anything else (text, booleans,
    blanks, NaN and infinities)."""
    if isinstance(value, bool | np.bool_) or value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    return None


def write_value(sheet: Worksheet, row: int, col: int, value: object,
                cell_format=None) -> None:
    """Strings are always written as text, a file name's bytes that are not UTF-8 escaped
    (``shown_text``: XML cannot hold them); numbers as numbers; blanks stay empty."""
    if value is None:
        return
    if isinstance(value, Link):
        text = shown_text(value.text)
        if sheet.write_url(row, col, f"external:{shown_text(value.target)}", cell_format,
                           string=text) != 0:
            sheet.write_string(row, col, text, cell_format)
    elif isinstance(value, str):
        sheet.write_string(row, col, shown_text(value), cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            sheet.write_number(row, col, value, cell_format)
    elif hasattr(value, "item"):  # numpy scalar
        write_value(sheet, row, col, value.item(), cell_format)
    else:
        sheet.write_string(row, col, shown_text(str(value)), cell_format)


def write_workbook(
    path: str | Path,
    sheets: dict[str, SheetContent],
    *,
    readme: list[ReadmeRow] | None = None,
    readme_title: str = "README",
    readme_widths: Iterable[float] = (18, 14, 22, 100),
) -> Path:
    """Write ``sheets`` (in order) to ``path`` atomically; return the path.

    ``readme``, when given, becomes a first sheet of text rows, each ``(style, cells)``
    with style ``"title"``, ``"heading"`` or ``"text"``; ``readme_widths`` are the widths
    of its columns, in characters.
    """
    path = Path(path)
    with atomic_output(path) as temporary, rows_folder() as rows_on_disk:
        # The rows of each sheet wait on disk until the workbook is zipped.
        workbook = xlsxwriter.Workbook(
            str(temporary),
            {"strings_to_formulas": False, "strings_to_urls": False,
             "strings_to_numbers": False, "nan_inf_to_errors": False,
             "constant_memory": True, "tmpdir": rows_on_disk},
        )
        try:
            formats = _Formats(workbook)
            if readme is not None:
                _write_readme(workbook, readme_title, readme, tuple(readme_widths))
            for name, content in sheets.items():
                sheet = workbook.add_worksheet(name)
                _write_table(sheet, content, formats)
                if content.decorate is not None:
                    content.decorate(sheet, workbook, content.frame)
            workbook.close()
        except BaseException:
            _release_rows(workbook)
            raise
    return path


def _release_rows(workbook: xlsxwriter.Workbook) -> None:
    """Close the row files of a workbook abandoned before or while ``close`` zipped it."""
    for sheet in workbook.worksheets():
        handle = getattr(sheet, "row_data_fh", None)  # xlsxwriter's constant-memory file
        if handle is not None and not handle.closed:
            handle.close()


def _write_readme(
    workbook: xlsxwriter.Workbook, title: str, rows: list[ReadmeRow], widths: tuple[float, ...]
) -> None:
    sheet = workbook.add_worksheet(title)
    styles = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "heading": workbook.add_format({"bold": True, "bg_color": "#D9E1F2"}),
        "text": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    for row, (style, cells) in enumerate(rows):
        for col, value in enumerate(cells):
            sheet.write_string(row, col, str(value), styles[style])
