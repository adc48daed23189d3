"""Reading the input workbook (SPEC §2) into typed tables, cell by cell accountable.

Bulk values come from python-calamine, which reads several times faster than openpyxl.
Cell-level facts that calamine does not expose — a formula with no saved value, an error
value such as ``#N/A`` — are looked up with openpyxl, and only in workbooks whose sheet
XML contains a formula or an error cell at all, so that large generated workbooks stay
on the fast path. Merged ranges come from calamine.

Before either parser sees a file, ``optimizer.workbook.package.inspect_package`` checks it as a
zip package, cheaply and in bounded memory: what it is (an old .xls, an encrypted
workbook, a CSV, an .xlsb, a truncated download) and whether it is safe to parse (zip
bombs, XML entity bombs, sheets beyond the caps).

``read_tables`` returns the converted tables and every problem found; the checks that
need several tables at once live in ``optimizer.workbook.validation``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from optimizer.errors import WorkbookFormatError
from optimizer.files import shown_path
from optimizer.reach import beyond_reach, out_of_reach
from optimizer.workbook.data import ROW, column_letter, empty_table, sheet_ref
from optimizer.workbook.package import (
    DAMAGED,
    SAVE_AGAIN,
    inspect_package,
    is_reader_failure,
    open_inspected,
)
from optimizer.workbook.schema import (
    NOTE_SHEETS,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Findings,
    Kind,
    Nearest,
    Sheet,
    normalise_name,
)

MAX_CODE_LENGTH = 64
# Codes (ally, item, period, facility, host ...) are identifiers a few characters long;
# 64 leaves room for descriptive ones, while a pasted paragraph (up to Excel's 32,767
# characters) is refused as the mistake it is rather than carried into every message.

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}
_NO_SAVED_VALUE = (
    "is a formula with no saved value; open the workbook in Excel, let it calculate and "
    "save it, or type the value"
)

_RANGE_TEXT = {
    Kind.NUMBER: "a number >= 0",
    Kind.WHOLE: "a whole number from 0 to 10,000",
    Kind.SHARE: "a number between 0 and 1",
}
# Whole numbers are lead times in periods: beyond this none is meant (and a number near
# 2**63 would not even fit the integer it is stored as).
MAX_WHOLE = 10_000


@dataclass
class RawTable:
    """One sheet as read: converted columns, Excel row numbers and column letters."""

    sheet: Sheet
    actual_name: str
    frame: pd.DataFrame
    letters: dict[str, str]



def _formula_and_error_cells(path: Path, sheet_names: list[str]) -> dict[str, dict]:
    """Per sheet: {(row, col): message} for formula cells without a saved value and error
    cells (0-based row and column)."""
    try:
        return _openpyxl_cell_facts(path, sheet_names)
    except Warning:
        raise  # a warning turned into an error (as the tests do) is not a broken file
    except Exception as exc:  # openpyxl (with defusedxml) raises many types for bad XML
        raise WorkbookFormatError(
            shown_path(path), f"{DAMAGED} and its formulas cannot be read ({exc}); {SAVE_AGAIN}"
        ) from None


def _openpyxl_cell_facts(path: Path, sheet_names: list[str]) -> dict[str, dict]:
    import openpyxl  # only loaded when the workbook has formulas or error values

    findings: dict[str, dict] = {name: {} for name in sheet_names}
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for name in sheet_names:
                _sheet_cell_facts(formulas[name], values[name], findings[name])
        finally:
            values.close()
    finally:
        formulas.close()
    return findings


def _sheet_cell_facts(formulas, values, facts: dict) -> None:
    formula_cells = set()
    for row in formulas.iter_rows():
        for cell in row:
            if getattr(cell, "data_type", None) == "f":
                formula_cells.add((cell.row - 1, cell.column - 1))
    for row in values.iter_rows():
        for cell in row:
            if not hasattr(cell, "row"):
                continue  # read-only mode's EmptyCell: nothing there
            position = (cell.row - 1, cell.column - 1)
            if cell.data_type == "e":
                facts[position] = f"is an error value ({cell.value}), not data"
            elif position in formula_cells and cell.value is None:
                facts[position] = _NO_SAVED_VALUE
            formula_cells.discard(position)
    for position in formula_cells:  # formula cells that have no value cell at all
        facts[position] = _NO_SAVED_VALUE


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    """A cell value as the user would recognise it in a message."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"the date {value.isoformat()}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return repr(value)


def _code_text(value: object) -> str | None:
    """A code cell as text: trimmed; a whole number read as its digits (2027 -> "2027")."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return None
    if isinstance(value, float | int):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return None


def _bad_code(text: str) -> str:
    """Why a code is refused: too long, or holding a character that cannot be seen."""
    if len(text) > MAX_CODE_LENGTH:
        return (
            f"must be a code of at most {MAX_CODE_LENGTH} characters, got {len(text):,} "
            f"characters ({_shown(text)}); type the code, not a description"
        )
    hidden = next(character for character in text if not character.isprintable())
    return (
        f"must be a code of printable characters, got {_shown(text)}, which holds the "
        f"invisible character U+{ord(hidden):04X}; retype the code"
    )


class MisreadNumber(ValueError):
    """Text that looks like a number but is not written as one that is read here (a decimal
    comma, points between thousands, commas not in groups of three). ``meaning`` is what
    it most likely means, written with a point ("4300.5"), or None when nothing can be
    guessed."""

    def __init__(self, text: str, meaning: str | None) -> None:
        super().__init__(text)
        self.text = text
        self.meaning = meaning

    def sentence(self) -> str:
        """What the user reads after the cell, e.g. "'4300,5' is not a number here; if you
        mean 4300.5, write it with a point or as a number cell"."""
        head = f"{_shown(self.text)} is not a number here"
        if self.meaning is None:
            return (f"{head}; make it a number cell, or write it with a point before the "
                    "decimals and commas only between groups of three digits (1,234.5)")
        if "." in self.meaning:
            return f"{head}; if you mean {self.meaning}, write it with a point or as a number cell"
        if self.meaning.lstrip("-").isdigit():
            grouped = f"{int(self.meaning):,}"
            return (f"{head}; if you mean {self.meaning}, write it as {self.meaning} or "
                    f"{grouped}, or as a number cell")
        return f"{head}; if you mean {self.meaning}, write it so or as a number cell"


_EXPONENT = r"(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER = re.compile(
    rf"[+-]?(?:(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|\.\d+){_EXPONENT}")
# Digits with points, commas or spaces between them: a number, written another way.
_NUMBER_LIKE = re.compile(rf"[+-]?[\d.,\s]*\d[\d.,\s]*{_EXPONENT}")
_SPACES = re.compile(r"\s+")


def parse_number(value: object) -> float | None:
    """A number cell's value, or the number a text cell holds; None when it holds none.

    A number cell is taken as it is: an infinite, huge, tiny or NaN value is for the
    caller to refuse. A text is read when it is a plain number: optional sign, digits with
    an optional point and decimals, optional exponent, and commas only as thousands
    separators in groups of three ("12,000", "1,234,567.5", "-1,234"); "inf" and
    "infinity" are read as infinite, for the caller to refuse as too large. Text of digits
    with points, commas or spaces in any other pattern ("4300,5", "0,5", "1.200,5",
    "12 000") raises ``MisreadNumber`` with its likely meaning, rather than being read
    wrong. Anything else ("nan", "ten", a date typed as text, a boolean) is no number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float | int):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text.replace(",", ""))
    if _NUMBER_LIKE.fullmatch(text):
        raise MisreadNumber(text, _likely_meaning(text))
    if text.casefold().lstrip("+-") in ("inf", "infinity"):
        return float(text.casefold().replace("infinity", "inf"))
    return None


def _likely_meaning(text: str) -> str | None:
    """What number-like text most likely means, written plainly ("1.200,5" -> "1200.5"),
    or None when it cannot be told."""
    sign = text[0] if text[0] in "+-" else ""
    body = text[len(sign):]
    exponent = re.search(r"[eE][+-]?\d+$", body)
    if exponent:
        body = body[:exponent.start()]
    groups = _SPACES.split(body)
    if len(groups) > 1:  # spaces between thousands (French, Nordic): "4 300,5"
        if not _thousands(groups):
            return None
        body = "".join(groups)
    if "," in body and "." in body:  # the last of the two separates the decimals
        decimal = "," if body.rindex(",") > body.rindex(".") else "."
        thousands = "." if decimal == "," else ","
    elif body.count(",") == 1:
        decimal, thousands = ",", None  # "4300,5", "0,5", "1,20": a decimal comma
    elif body.count(".") > 1:
        decimal, thousands = None, "."  # "1.200.000": points between thousands
    elif "," in body:
        return None  # commas, but not in groups of three: "1,23,456"
    else:
        decimal, thousands = ".", None  # spaces only: "12 000"
    whole, fraction = body, ""
    if decimal and decimal in body:
        whole, _, fraction = body.partition(decimal)
        if not fraction.isdigit():
            return None
    if thousands:
        parts = whole.split(thousands)
        if len(parts) > 1 and not _thousands(parts):
            return None
        whole = "".join(parts)
    if not (whole.isdigit() or (whole == "" and fraction)):
        return None
    meaning = f"{sign if sign == '-' else ''}{whole or '0'}"
    meaning += f".{fraction}" if fraction else ""
    return meaning + (exponent.group(0) if exponent else "")


def _thousands(groups: list[str]) -> bool:
    """Whether digits split at a separator are groups of thousands: 1 to 3 digits, then
    three each (the last may carry the decimals after another separator)."""
    head, *rest = groups
    *middle, last = rest
    return (1 <= len(head) <= 3 and head.isdigit()
            and all(len(group) == 3 and group.isdigit() for group in middle)
            and len(last) >= 3 and last[:3].isdigit() and not last[3:4].isdigit())


def _convert_column(
    column: Column, values: list, rows: list[int], cell: callable, findings: Findings,
    reported: frozenset[int] = frozenset(),
) -> pd.Series:
    """Convert one column's data cells to its kind, reporting every bad cell once.

    ``reported`` holds the indices of cells already reported (a formula without a saved
    value, an error value): they are read as blank and draw no second message, not even
    "is required". Number cells (``Kind.NUMBER``, ``WHOLE``, ``SHARE``) must be in their
    kind's range and within the solver's reach (``optimizer.reach.out_of_reach``);
    numbers typed as text are read by ``parse_number``.
    """
    kind = column.kind
    count = len(values)
    required = column.required
    values = [None if index in reported else value for index, value in enumerate(values)]
    if kind in (Kind.CODE, Kind.TEXT):
        out = [None] * count
        for index, value in enumerate(values):
            if _is_blank(value):
                if required and index not in reported:
                    findings.error(cell(rows[index]), f"{column.name} is required")
                continue
            text = _code_text(value) if kind is Kind.CODE else _text(value)
            if text is None:
                findings.error(
                    cell(rows[index]),
                    f"{column.name} must be a code (text), got {_shown(value)}; "
                    "format the column as Text",
                )
            elif kind is Kind.CODE and (len(text) > MAX_CODE_LENGTH or not text.isprintable()):
                findings.error(cell(rows[index]), f"{column.name} {_bad_code(text)}")
                text = None  # not compared with other codes: one sentence is enough
            out[index] = text
        return pd.Series(out, dtype=object)

    if kind is Kind.BOOLEAN:
        out = [bool(column.default)] * count
        for index, value in enumerate(values):
            if _is_blank(value):
                continue
            if isinstance(value, bool):
                out[index] = value
            elif isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
                out[index] = value.strip().casefold() in _TRUE
            elif isinstance(value, float | int) and value in (0, 1):
                out[index] = bool(value)
            else:
                findings.error(
                    cell(rows[index]),
                    f"{column.name} must be TRUE or FALSE (or yes/no, 1/0), got {_shown(value)}",
                )
        return pd.Series(out, dtype=bool)

    # Numbers: a fast path for the all-float columns that generated workbooks have.
    messages: dict[int, str] = {}  # index -> the one sentence on that cell
    misread = np.zeros(count, bool)  # number-like text, reported with its likely meaning
    if all(type(v) is float for v in values):
        numbers = np.fromiter(values, dtype=float, count=count)
    else:
        numbers = np.full(count, np.nan)
        for index, value in enumerate(values):
            if _is_blank(value):
                continue
            try:
                number = parse_number(value)
            except MisreadNumber as misreading:
                messages[index] = misreading.sentence()
                misread[index] = True
                continue
            numbers[index] = np.nan if number is None else number  # NaN: flagged below
    blank = np.array([_is_blank(v) for v in values]) if count else np.zeros(0, bool)
    given = ~blank & ~misread
    with np.errstate(invalid="ignore"):
        bad = given & (np.isnan(numbers) | (numbers < 0))
        if kind is Kind.SHARE:
            bad |= given & (numbers > 1)
        if kind is Kind.WHOLE:
            bad |= given & np.isfinite(numbers) & (numbers != np.round(numbers))
            bad |= given & (numbers > MAX_WHOLE)
    # A share of 1 < v <= 100 is a percentage typed as it reads (50 for 50 %).
    percent = (bad & (kind is Kind.SHARE and column.percent_hint) & (numbers > 1)
               & (numbers <= 100))
    for index in np.flatnonzero(bad):
        messages[index] = (
            f"{column.name} is a share between 0 and 1, got {numbers[index]:g} "
            f"(for {numbers[index]:g} % write {numbers[index] / 100:g})" if percent[index]
            else f"{column.name} must be {_RANGE_TEXT[kind]}, got {_shown(values[index])}")
    unreachable = given & ~bad & beyond_reach(numbers)
    for index in np.flatnonzero(unreachable):
        value = values[index]
        figure = _shown(value) if isinstance(value, str) else f"{numbers[index]:g}"
        messages[index] = f"{column.name} {figure} {out_of_reach(numbers[index])}"
    if required:
        for index in np.flatnonzero(blank):
            if index not in reported:
                messages[index] = f"{column.name} is required"
    for index in sorted(messages):
        findings.error(cell(rows[index]), messages[index])
    if column.default is not None:
        numbers[blank] = float(column.default)
    numbers[bad | unreachable | misread] = np.nan
    if kind is Kind.WHOLE:
        return pd.Series(np.nan_to_num(numbers, nan=0.0).astype("int64"))
    return pd.Series(numbers, dtype="float64")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return _shown(value).strip("'")


def _read_sheet(
    sheet_and_rows: tuple[python_calamine.CalamineSheet, list[list]],
    sheet: Sheet,
    actual_name: str,
    cell_facts: dict,
    findings: Findings,
) -> RawTable:
    grid, rows = sheet_and_rows
    ref = sheet_ref(actual_name)
    header = rows[0] if rows else []
    position: dict[str, int] = {}
    unknown: dict[int, str] = {}
    for index, title in enumerate(header):
        if _is_blank(title):
            continue
        name = normalise_name(title)
        where = f"{ref}!{column_letter(index)}1"
        if name in position:
            findings.error(where, f"column '{name}' appears twice (first in "
                                  f"{column_letter(position[name])}1)")
        elif name in sheet.column_names:
            position[name] = index
        else:
            unknown[index] = str(title).strip()
    # Only a column the header lacks can be meant: 'capacity 2' beside 'capacity' is a copy.
    slip = Nearest([name for name in sheet.column_names if name not in position])
    meant = {}
    for index, title in unknown.items():
        where = f"{ref}!{column_letter(index)}1"
        if (name := slip(title)) is None:
            findings.warn(where, f"unknown column '{title}' is ignored")
        else:
            meant[name] = index
            findings.error(where, f"unknown column '{title}'; did you mean '{name}'?")
    missing = [c.name for c in sheet.columns if c.required and c.name not in position]
    for name in missing:
        if name not in meant:  # else the unknown column's sentence says it all
            findings.error(f"{ref}!1:1", f"required column '{name}' is missing")
    letters = {name: column_letter(index) for name, index in position.items()}

    body = rows[1:]
    data_rows = [
        index for index, values in enumerate(body, start=2)
        if not all(_is_blank(v) for v in values)
    ]
    data_row_set = set(data_rows)
    facts = cell_facts.get(actual_name, {})
    column_at = {index: name for name, index in position.items()}
    for (row0, col0), message in sorted(facts.items()):
        if col0 in column_at and row0 + 1 in data_row_set:
            findings.error(f"{ref}!{column_letter(col0)}{row0 + 1}", f"{column_at[col0]} {message}")
    table_columns = set(position.values())
    last_row = data_rows[-1] if data_rows else 1
    for (r0, c0), (r1, c1) in grid.merged_cell_ranges or []:
        if r0 + 1 <= last_row and any(c0 <= c <= c1 for c in table_columns):
            span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
            findings.error(
                f"{ref}!{span}",
                "merged cells inside a table; unmerge them and fill in every cell",
            )

    columns: dict[str, pd.Series] = {}
    for column in sheet.columns:
        if column.name not in position:
            if column.required:
                continue
            default = column.default
            values = [default] * len(data_rows)
        else:
            index = position[column.name]
            values = [
                body[row - 2][index] if index < len(body[row - 2]) else None for row in data_rows
            ]
        # A formula or error cell is reported once, above, not again when converted.
        reported = frozenset(
            i for i, row in enumerate(data_rows) if (row - 1, position[column.name]) in facts
        ) if facts and column.name in position else frozenset()
        letter = letters.get(column.name, "?")
        columns[column.name] = _convert_column(
            column,
            values,
            data_rows,
            lambda row, letter=letter: f"{ref}!{letter}{row}",
            findings,
            reported,
        )
    if missing:
        frame = empty_table(sheet.name)
    else:
        frame = pd.DataFrame(columns)
        frame[ROW] = pd.Series(data_rows, dtype="int64")
    if sheet.must_have_rows and not data_rows:
        findings.error(f"{ref}!A2", f"sheet {sheet.name} has no rows; it needs at least one")
    return RawTable(sheet, actual_name, frame, letters)


SHEET_NAMES = {normalise_name(s.name) for s in SHEETS}
NOTE_SHEET_NAMES = {normalise_name(name) for name in NOTE_SHEETS}


def _sheets_meant(by_normal_name: dict[str, str]) -> dict[str, Sheet | None]:
    """Each unknown sheet of the workbook and the SPEC sheet it is a slip for (see
    ``schema.Nearest``), or None; only sheets the workbook lacks are meant, so that a
    copy ('Budgets 2', 'old Budgets') beside the real sheet stays a mere warning."""
    missing = [s.name for s in SHEETS if normalise_name(s.name) not in by_normal_name]
    slip = Nearest(missing)
    return {
        actual: None if (name := slip(actual)) is None else SHEETS_BY_NAME[name]
        for normal, actual in by_normal_name.items()
        if normal not in SHEET_NAMES and normal not in NOTE_SHEET_NAMES
    }


def read_tables(path: Path, findings: Findings) -> dict[str, RawTable]:
    """Read every sheet of SPEC §2 that the workbook has; problems go to ``findings``."""
    package = inspect_package(path)
    workbook = open_inspected(path)
    by_normal_name: dict[str, str] = {}
    visible = {
        m.name: m.visible == python_calamine.SheetVisibleEnum.Visible
        for m in workbook.sheets_metadata
    }
    for actual in workbook.sheet_names:
        normal = normalise_name(actual)
        if normal in by_normal_name:
            findings.error(actual, f"sheet name repeats sheet '{by_normal_name[normal]}'")
        by_normal_name.setdefault(normal, actual)
    meant = _sheets_meant(by_normal_name)
    for actual, sheet in meant.items():
        if sheet is None:
            findings.warn(actual, "unknown sheet is ignored")
        elif not sheet.required:
            findings.error(actual, f"unknown sheet; did you mean '{sheet.name}'? (rename it, "
                                   f"or delete it to {sheet.without})")
    present: dict[str, str] = {}
    for sheet in SHEETS:
        actual = by_normal_name.get(normalise_name(sheet.name))
        if actual is None:
            if sheet.required:
                close = [name for name, meant_sheet in meant.items() if meant_sheet is sheet]
                findings.error(shown_path(path.name), f"required sheet '{sheet.name}' is missing"
                               + (f"; did you mean the sheet '{close[0]}'? (rename it "
                                  f"'{sheet.name}')" if close else ""))
            continue
        if sheet.required and not visible.get(actual, True):
            findings.warn(actual, "required sheet is hidden; it is read all the same")
        present[sheet.name] = actual
    cell_facts = (
        _formula_and_error_cells(path, list(present.values()))
        if package.formula_or_error_cells
        else {}
    )
    return {
        name: _read_sheet(
            _sheet_rows(path, workbook, actual), SHEETS_BY_NAME[name], actual, cell_facts,
            findings,
        )
        for name, actual in present.items()
    }


def _sheet_rows(
    path: Path, workbook: python_calamine.CalamineWorkbook, actual_name: str
) -> tuple[python_calamine.CalamineSheet, list[list]]:
    """A sheet and its rows as calamine reads them, or one sentence if it cannot."""
    try:
        grid = workbook.get_sheet_by_name(actual_name)
        return grid, grid.to_python(skip_empty_area=False)
    except BaseException as exc:
        if not is_reader_failure(exc):
            raise
        raise WorkbookFormatError(
            shown_path(path), f"{DAMAGED}: its sheet '{actual_name}' cannot be read ({exc}); "
                       f"{SAVE_AGAIN}"
        ) from None


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes (reports name their input by it)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
