"""Writing workbooks: one place for the formats, the text-safety and the atomic save.

Every workbook the tool writes (template, generated inputs, reports) goes through
``write_workbook``: xlsxwriter with ``strings_to_formulas`` off, so a string such as
``=HYPERLINK(...)`` that came from someone's input is written as text and never becomes a
formula; styled, frozen header rows; column widths from the content; and an atomic save
(written to a temporary file beside the target, then renamed over it), so a failed run
leaves any earlier file intact.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

ReadmeRow = tuple[str, tuple[str, ...]]
_UMASK = os.umask(0)
os.umask(_UMASK)
_DEFAULT_MODE = 0o666 & ~_UMASK

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


@dataclass
class SheetContent:
    """A table to write as one sheet: a frame, per-column number formats and notes."""

    frame: pd.DataFrame
    number_formats: dict[str, str] = field(default_factory=dict)
    header_notes: dict[str, str] = field(default_factory=dict)
    # Called with (worksheet, workbook, frame) after the table is written: data validation,
    # conditional formats, charts.
    decorate: Callable[[Worksheet, xlsxwriter.Workbook, pd.DataFrame], None] | None = None


def _width(values: Iterable[object], header: str) -> float:
    longest = len(header)
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        longest = max(longest, len(f"{value:,.2f}" if isinstance(value, float) else str(value)))
    return min(MAX_WIDTH, longest + 2)


def _write_table(
    workbook: xlsxwriter.Workbook, sheet: Worksheet, content: SheetContent, header_format
) -> None:
    frame = content.frame
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, str(name), header_format)
        if name in content.header_notes:
            sheet.write_comment(0, col, content.header_notes[name])
    for col, name in enumerate(frame.columns):
        fmt_spec = content.number_formats.get(name)
        cell_format = workbook.add_format({"num_format": fmt_spec}) if fmt_spec else None
        sample = frame[name].head(2000)
        sheet.set_column(col, col, _width(sample, str(name)), cell_format)
        for row, value in enumerate(frame[name].tolist(), start=1):
            write_value(sheet, row, col, value)
    sheet.freeze_panes(1, 0)
    if len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def write_value(sheet: Worksheet, row: int, col: int, value: object) -> None:
    """Strings are always written as text; numbers as numbers; blanks stay empty."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            sheet.write_number(row, col, value)
    elif hasattr(value, "item"):  # numpy scalar
        write_value(sheet, row, col, value.item())
    else:
        sheet.write_string(row, col, str(value))


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
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=path.parent)
    os.close(handle)
    os.chmod(temporary, _DEFAULT_MODE)  # mkstemp makes it private; a report is not
    try:
        workbook = xlsxwriter.Workbook(
            temporary,
            {"strings_to_formulas": False, "strings_to_urls": False,
             "strings_to_numbers": False, "nan_inf_to_errors": False},
        )
        header_format = workbook.add_format(HEADER_FORMAT)
        if readme is not None:
            _write_readme(workbook, readme_title, readme, tuple(readme_widths))
        for name, content in sheets.items():
            sheet = workbook.add_worksheet(name)
            _write_table(workbook, sheet, content, header_format)
            if content.decorate is not None:
                content.decorate(sheet, workbook, content.frame)
        workbook.close()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


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
