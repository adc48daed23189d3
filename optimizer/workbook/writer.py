"""Writing workbooks: one place for the formats, the text-safety, the print setup and the
atomic save.

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

Every sheet prints landscape, one page wide and as many tall as it takes, its header row
repeated on each page (``SheetContent.print_pages`` and ``print_area`` for a sheet that
prints otherwise, such as the Dashboard on one page); a text column wider than
``MAX_WIDTH`` wraps within it, so no sentence runs off the page.
"""

from __future__ import annotations

import functools
import math
import re
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
# A quantity shows a whole number without a decimal point and a fraction to two decimals.
# No one Excel format does both ("#,##0.##" shows 14,000 as "14,000."), so each cell of a
# QUANTITY column gets the format its value needs (``cell_number_format``). QUANTITY
# spells out its negative section only to stay a format of its own, apart from MONEY, and
# COUNT its zero section: the three look the same, but formats name kinds (here and in
# the HTML page): money with a fraction must not be taken for a quantity, nor a count for
# money (which gets the currency).
QUANTITY = "#,##0;-#,##0"
FRACTIONAL_QUANTITY = "#,##0.0#;-#,##0.0#"
PERCENT = "0.0"
DUAL = "#,##0.00"
COUNT = "#,##0;-#,##0;0"
SECONDS = "0.000"
TINY = "0.00E+00"  # verifier violations: small relative numbers
WHOLE = "0"

HEADER_FORMAT = {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1}
LINK_FORMAT = {"font_color": "#0563C1", "underline": 1}  # Excel's hyperlink style
MAX_WIDTH = 50  # characters; a longer text wraps within a column this wide
HEADER_WIDTH = 16  # characters; a longer header wraps, its column no wider than its values
WIDTH_SAMPLE = 2000  # a column's width (and whether it wraps) is read from its first rows
PADDING = 2  # characters of a column's width beside its text
ROW_HEIGHT = 15  # points: one line of the default font
SPACE = 0.55  # digits: a space, and each character of NARROW
NARROW = frozenset(" '.,:;!|()[]-fijlrtI")
WIDE_LETTER = 1.6  # digits: each character of WIDE
WIDE = frozenset("mwMW%@")
FOOTER = "&L&A&RPage &P of &N"  # the sheet's name; page n of N
ROWS_AT_A_TIME = 10_000  # rows turned into Python values at once while writing a sheet

# A Column's unit: "{money}" stands for the run's currency ([report] currency, blank:
# none named); ITEM_UNIT for each row's item's own unit, named in each cell, not in the
# header (a table's rows mix shells and missiles).
MONEY_UNIT = "{money}"
ITEM_UNIT = "{item}"


@dataclass(frozen=True)
class Column:
    """One column of an output table, declared once for every writer and reader: its
    field name (what scripts and ``stockpile compare`` read; the header cell's note
    names it), its readable header (blank: the field name with spaces), the unit its
    figures are in (named in the header: "%", MONEY_UNIT, "{money} per unit of
    capacity"; or ITEM_UNIT), its number format, its note, and a width in characters
    within which its text wraps (None: that of its longest value, up to MAX_WIDTH)."""

    name: str
    note: str
    number_format: str | None = None
    header: str = ""
    unit: str = ""
    width: float | None = None

    def heading(self, currency: str = "") -> str:
        """The readable header with its unit: "Total cost (EUR)"; "Total cost" with no
        currency named; "Value of relaxing (per unit of money)"."""
        readable = self.header or self.name.replace("_", " ")
        readable = readable[:1].upper() + readable[1:]
        unit = "" if self.unit == ITEM_UNIT else money_words(self.unit, currency)
        return f"{readable} ({unit})" if unit else readable

    @property
    def kind(self) -> str:
        """What the figures are: money, quantity (in an item's unit), share, or ""."""
        if MONEY_UNIT in self.unit:
            return "money"
        if self.unit == ITEM_UNIT:
            return "quantity"
        return "share" if self.unit == "%" else ""

    @property
    def comment(self) -> str:
        """The header cell's note: the field name, then what the column means."""
        return f"Field: {self.name}. {self.note}"


def money_words(text: str, currency: str = "") -> str:
    """``text`` with MONEY_UNIT as ``currency``: "{money} per unit" reads "EUR per unit",
    or "per unit" with none named; "per {money}" reads "per EUR", or "per unit of
    money"."""
    text = text.replace(f"per {MONEY_UNIT}", f"per {currency or 'unit of money'}")
    return " ".join(text.replace(MONEY_UNIT, currency).split())


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
    # column -> its readable header (row 1 shows it; blank: the column's name)
    headers: dict[str, str] = field(default_factory=dict)
    # Called with (worksheet, workbook, frame) after the cells are written: data
    # validation, conditional formats, column widths, charts; never a cell (see above).
    decorate: Callable[[Worksheet, xlsxwriter.Workbook, pd.DataFrame], None] | None = None
    # column -> one number format per data row (None: the column's), right-aligned: for
    # key-value sheets whose rows hold different quantities. Text stays text.
    cell_formats: dict[str, list[str | None]] = field(default_factory=dict)
    # Cells beside the table, such as the Dashboard's chart data.
    cells: list[Cell] = field(default_factory=list)
    # column -> its width in characters, instead of one read from the content; a longer
    # text wraps within it.
    widths: dict[str, float] = field(default_factory=dict)
    # Printed (pages wide, pages tall; 0: as many as it takes), and, when given, only
    # (first row, first column, last row, last column); with gridlines, for a table.
    print_pages: tuple[int, int] = (1, 0)
    print_area: tuple[int, int, int, int] | None = None
    print_gridlines: bool = True
    # column -> format properties of its header cell beyond HEADER_FORMAT, e.g.
    # {"bold": False} for an optional column of an input sheet.
    header_styles: dict[str, dict[str, object]] = field(default_factory=dict)


def table_sheet(columns: tuple[Column, ...], frame: pd.DataFrame, currency: str = "",
                units: dict[str, str] | None = None) -> SheetContent:
    """A table as a sheet: each column's readable header (money in ``currency``), its
    number format and its note naming its field; a quantity in an item's unit shows
    that unit in each cell ("1,200 missiles", from ``units``: item -> unit) when the
    table has an item column."""
    content = SheetContent(
        frame=frame,
        number_formats={c.name: c.number_format for c in columns if c.number_format},
        header_notes={c.name: c.comment for c in columns},
        headers={c.name: c.heading(currency) for c in columns},
        widths={c.name: c.width for c in columns if c.width is not None},
    )
    if units and "item" in frame.columns:
        formats = {item: quantity_format(unit) for item, unit in units.items()}
        per_row = [formats.get(str(item), QUANTITY) for item in frame["item"]]
        content.cell_formats = {c.name: per_row for c in columns
                                if c.kind == "quantity" and c.name in frame.columns}
    return content


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


def _width(values: Iterable[object], header: str, width: float | None,
           number_text: int = 0) -> tuple[float, bool]:
    """A column's width in characters (``width``, or that of its longest value, at most
    ``MAX_WIDTH``) and whether its text wraps to fit; a number is as long as its digits
    and the ``number_text`` characters its format writes after it (" rounds"). A header
    sets the width up to ``HEADER_WIDTH`` (and its longest word): beyond, it wraps."""
    longest = max(min(len(header), HEADER_WIDTH),
                  max((len(word) for word in header.split()), default=0))
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, str):
            longest = max(longest, len(value))
        else:
            if isinstance(value, float | np.floating):
                shown = f"{value:,.2f}"
            elif isinstance(value, int | np.integer) and not isinstance(value, bool):
                shown = f"{value:,}"
            else:
                shown = str(value)
            longest = max(longest, len(shown) + number_text)
    if width is None:
        width = min(MAX_WIDTH, longest + PADDING)
    return width, longest + PADDING > width


def _format_text(specs: Iterable[str | None]) -> int:
    """The most characters any of the number formats ``specs`` writes as quoted text
    beside a number (7 for '#,##0" rounds"')."""
    return max((sum(len(text) for text in re.findall(r'"([^"]*)"', section))
                for spec in specs if spec for section in spec.split(";")), default=0)


def _fit_row(sheet: Worksheet, row: int, cells: Iterable[tuple[object, float]]) -> None:
    """Make a row as tall as the most lines its wrapped ``cells`` (value, column width)
    take: not every reader grows a row to fit its text (LibreOffice does not)."""
    lines = max((_lines(value, width) for value, width in cells), default=1)
    if lines > 1:
        sheet.set_row(row, ROW_HEIGHT * lines)


def _lines(value: object, width: float) -> int:
    """The lines a value takes wrapped within a column ``width`` characters wide."""
    if isinstance(value, Link):
        value = value.text
    if not isinstance(value, str) or len(value) * WIDE_LETTER + PADDING <= width:
        return 1
    return _text_lines(value, width)


@functools.lru_cache(maxsize=4096)  # a column's sentences repeat, row after row
def _text_lines(text: str, width: float) -> int:
    """The lines ``text`` takes wrapped at its spaces within a column ``width``
    characters wide (a word longer than a line is broken, as Excel does)."""
    room = max(1.0, width - PADDING)
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines, used = lines + 1, 0.0
        for word in paragraph.split(" "):
            size = _digits(word)
            if used and used + SPACE + size > room:
                lines, used = lines + 1, 0.0
            used += (SPACE if used else 0.0) + size
            while used > room:
                lines, used = lines + 1, used - room
    return lines


def _digits(text: str) -> float:
    """How wide ``text`` is in the default font (Calibri 11), in digits, the unit of a
    column's width, a little over rather than under: most letters about a digit,
    capitals more, spaces, punctuation and narrow letters about half (NARROW), m and w
    more again (WIDE)."""
    return sum(SPACE if c in NARROW else WIDE_LETTER if c in WIDE
               else 1.2 if c.isupper() else 1.05 for c in text)


def fractional(values: Iterable[object]) -> np.ndarray:
    """Per value: True for a number that has a fraction at two decimals (1.5, 0.25; not
    3, 2.999, text or a blank)."""
    numbers = np.array([finite_number(value) for value in values], dtype=float)  # None: NaN
    rounded = np.round(numbers, 2)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(rounded) & (rounded % 1 != 0)


def money_format(currency: str = "") -> str:
    """MONEY, with the currency after the number ("1,200 EUR") when one is named."""
    return f'{MONEY}" {currency}"' if currency else MONEY


def quantity_format(unit: str = "") -> str:
    """QUANTITY, with ``unit`` after the number ("1,200 missiles") when given; like
    QUANTITY, it spells out its negative section (money's formats do not)."""
    text = "".join(c for c in unit if c.isprintable() and c not in '"\\').strip()
    return f'#,##0" {text}";-#,##0" {text}"' if text else QUANTITY


def is_quantity_format(spec: str | None) -> bool:
    """``spec`` is QUANTITY or a ``quantity_format`` with a unit."""
    return spec == QUANTITY or (spec is not None and spec.startswith('#,##0"')
                                and ';-#,##0"' in spec)


def cell_number_format(spec: str | None, value: object,
                       has_fraction: bool | None = None) -> str | None:
    """The number format a cell of ``value`` takes in a column of format ``spec``: that
    format, except, for a quantity with a fraction (``has_fraction``, when known), the
    same to two decimals (FRACTIONAL_QUANTITY, "1.5 missiles")."""
    if not is_quantity_format(spec):
        return spec
    if has_fraction is None:
        has_fraction = bool(fractional([value])[0])
    if not has_fraction:
        return spec
    return FRACTIONAL_QUANTITY if spec == QUANTITY else spec.replace("#,##0", "#,##0.0#")


def axis_number_format(largest: float) -> str:
    """The number format of a chart's value axis that reaches ``largest``: billions as
    "2.5 bn" and millions as "400 M" (one decimal below ten of them), anything smaller
    with thousands separators; 0 as "0"."""
    for scale, commas, suffix in ((1e9, ",,,", " bn"), (1e6, ",,", " M")):
        if largest >= scale:
            digits = "#,##0.0" if largest < 10 * scale else "#,##0"
            return f'{digits}{commas}"{suffix}";-{digits}{commas}"{suffix}";0'
    return "#,##0"


def _print_setup(sheet: Worksheet, pages: tuple[int, int] = (1, 0),
                 area: tuple[int, int, int, int] | None = None, *, header: bool = True,
                 gridlines: bool = True) -> None:
    """How a sheet prints: landscape, fitted to ``pages`` (wide, tall; 0: as many as it
    takes), only ``area`` when given, the header row on every page when ``header``,
    ``gridlines``, and the sheet's name and page number in the footer."""
    sheet.set_landscape()
    sheet.fit_to_pages(*pages)
    if area is not None:
        sheet.print_area(*area)
    if header:
        sheet.repeat_rows(0)
    if gridlines:
        sheet.hide_gridlines(0)  # 0: hidden neither on screen nor on paper
    sheet.set_footer(FOOTER)


def _write_table(sheet: Worksheet, content: SheetContent, formats: _Formats) -> None:
    """The header row, then each data row with the cells beside it, top to bottom."""
    frame = content.frame
    beside: dict[int, list[Cell]] = defaultdict(list)
    for cell in content.cells:
        beside[cell.row].append(cell)
    headers = [content.headers.get(name) or str(name) for name in frame.columns]
    widths = [_width(frame[name].head(WIDTH_SAMPLE), header, content.widths.get(name),
                     _format_text([content.number_formats.get(name),
                                   *content.cell_formats.get(name, [])[:WIDTH_SAMPLE]]))
              for name, header in zip(frame.columns, headers, strict=True)]
    wrapped = {col: width for col, (width, wraps) in enumerate(widths) if wraps}
    _fit_row(sheet, 0, ((text, width) for text, (width, _) in zip(headers, widths,
                                                                  strict=True)))
    # Top-aligned where a row may be lines tall, so that it reads across.
    top = {"valign": "top"} if wrapped else {}
    for col, (name, (width, wraps)) in enumerate(zip(frame.columns, widths, strict=True)):
        spec = content.number_formats.get(name)
        properties = {**top, **({"num_format": spec} if spec else {}),
                      **({"text_wrap": True} if wraps else {})}
        sheet.set_column(col, col, width, formats.get(style(**properties)))
        sheet.write_string(0, col, headers[col], formats.get(
            style(**{**HEADER_FORMAT, "text_wrap": True, "valign": "top",
                     **content.header_styles.get(name, {})})))
        if name in content.header_notes:
            sheet.write_comment(0, col, content.header_notes[name])
    _write_cells(sheet, beside.pop(0, ()), formats)
    names = list(frame.columns)
    per_row = {names.index(name): specs for name, specs in content.cell_formats.items()
               if name in names}
    plain = [col for col in range(len(names)) if col not in per_row]
    quantities = [col for col in plain if content.number_formats.get(names[col]) == QUANTITY]
    fraction = formats.get(style(num_format=FRACTIONAL_QUANTITY, **top))
    wrapped_link = formats.get(style(**LINK_FORMAT, text_wrap=True, **top))
    for first in range(0, len(frame), ROWS_AT_A_TIME):
        chunk = frame.iloc[first:first + ROWS_AT_A_TIME]
        columns = [chunk[name].tolist() for name in names]
        # None: the column's format
        looks = {col: [fraction if shows else None for shows in fractional(columns[col])]
                 for col in quantities}
        fractions = {col: fractional(columns[col]) for col in per_row}
        for offset, values in enumerate(zip(*columns, strict=True)):
            row = first + 1 + offset
            if wrapped:
                _fit_row(sheet, row, ((values[col], width) for col, width in wrapped.items()))
            for col in plain:
                value = values[col]
                if col in looks:
                    cell_format = looks[col][offset]
                elif col in wrapped and isinstance(value, Link):
                    cell_format = wrapped_link  # xlsxwriter's own link format does not wrap
                else:
                    cell_format = None  # the column's
                write_value(sheet, row, col, value, cell_format)
            for col, specs in per_row.items():
                value, spec = values[col], specs[row - 1]
                numbered = spec is not None and finite_number(value) is not None
                write_value(sheet, row, col, value, formats.get(style(
                    num_format=cell_number_format(spec, value, fractions[col][offset]),
                    align="right", **top)) if numbered else None)
            _write_cells(sheet, beside.pop(row, ()), formats)
    for row in sorted(beside):
        _write_cells(sheet, beside[row], formats)
    sheet.freeze_panes(1, 0)
    if len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _write_cells(sheet: Worksheet, cells: Iterable[Cell], formats: _Formats) -> None:
    for cell in cells:
        properties = dict(cell.style)
        if "num_format" in properties:
            properties["num_format"] = cell_number_format(properties["num_format"],
                                                          cell.value)
        write_value(sheet, cell.row, cell.col, cell.value,
                    formats.get(style(**properties)))
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
                _print_setup(sheet, content.print_pages, content.print_area,
                             gridlines=content.print_gridlines)
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
    _print_setup(sheet, header=False)
    styles = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "heading": workbook.add_format({"bold": True, "bg_color": "#D9E1F2"}),
        "text": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    for row, (style, cells) in enumerate(rows):
        if style == "text":
            _fit_row(sheet, row, zip(map(str, cells), widths, strict=False))
        for col, value in enumerate(cells):
            sheet.write_string(row, col, str(value), styles[style])
