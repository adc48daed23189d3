"""A report workbook of ``stockpile solve`` read back into the tables the run made
(``optimizer.reports.tables.report_tables``): sheet -> frame, each column under its field
name, so that ``stockpile compare`` and ``stockpile report`` read a written report as
``solve --html`` reads its own run.

``read_report(path)`` reads the Summary, Allocation, Readiness and Run info sheets and
any other sheets asked for (read only: the workbook is never written to). Each sheet's
header row holds readable headers, read back to their field names through the report's
column catalogue (``optimizer.reports.tables.field_names``), so a report reads alike
whatever its currency, and a report whose header row holds the field names reads too.

A report is read as ``stockpile solve`` wrote it; a hand-edited one is refused, or read
with a warning that names what was left out, never read into a wrong figure
(``typed_table``, ``summary_values``):

- a sheet or column read that is missing: refused, one sentence naming the file, the
  sheet and the column;
- text (or any other value that is not a number) in a figure's cell (a typed column of
  ``optimizer.reports.tables.REPORT_TABLES``, a headline figure or cost term of the
  Summary), and a blank figure where the report always writes one: refused, naming the
  cell;
- a totals row, one whose code cell reads total, totals, sum, subtotal or grand total
  (in any case): left out of every sum, with a warning naming the sheet and row;
- any other row with a blank code cell: refused, naming the cell.

``ReportTables`` holds a report's tables, whether read back or the run's own, and what
its readers take from them: the Summary as metric -> value, the Run info as (section,
key) -> value, the currency, each item's unit, and each table typed (``typed``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.files import shown_path, shown_text
from optimizer.reports.tables import (
    COST_TERMS,
    CURRENCY_KEY,
    HEADLINE_METRICS,
    ITEM_UNITS,
    REPORT_SHEETS,
    REPORT_TABLES,
    TableSpec,
    field_names,
)
from optimizer.workbook.data import column_letter, sheet_ref
from optimizer.workbook.package import open_workbook
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.writer import finite_number

# The sheets every report has that every reader reads: a workbook without one is no
# report. The Run info is read when the workbook has it.
REQUIRED_SHEETS = ("Summary", "Allocation", "Readiness")
SUMMARY_FIELDS = ("metric", "value")  # the Summary's columns a reader reads
NOT_A_REPORT = "so it is not a report written by stockpile solve"
AS_WRITTEN = "a report is read as stockpile solve wrote it"
# A code cell reading one of these (in any case, blanks and a trailing colon aside)
# marks a totals row an analyst added: left out of every sum, with a warning.
TOTAL_WORDS = frozenset({"total", "totals", "sum", "subtotal", "sub-total", "grand total"})
# The significant digits of a number as the workbook stores it (xlsxwriter writes "%.16G").
STORED_DIGITS = 16


@dataclass(frozen=True, eq=False)
class ReportTables:
    """The tables of one report, sheet -> frame as ``report_tables`` makes them and
    ``read_report`` reads them back (field-name columns, index from 0), and what its
    readers take from them."""

    tables: Mapping[str, pd.DataFrame]
    path: Path | None = None  # the report workbook (None: a run's tables, not read back)
    sha256: str = ""  # of the report workbook
    warnings: tuple[Problem, ...] = ()  # what was read but left out (totals rows)

    @cached_property
    def summary(self) -> dict[str, object]:
        """The Summary as metric -> value (None for a blank)."""
        summary = self.tables.get("Summary", pd.DataFrame(columns=list(SUMMARY_FIELDS)))
        return {str(metric): value
                for metric, value in zip(summary["metric"], summary["value"], strict=True)}

    @cached_property
    def run_info(self) -> dict[tuple[str, str], object]:
        """The Run info as (section, key) -> value (empty: the report has none)."""
        return key_values(self.tables.get("Run info", pd.DataFrame()))

    @property
    def status(self) -> str:
        return str(self.summary.get("status") or "unknown")

    @property
    def currency(self) -> str:
        """The money unit the report names (Run info; blank: none)."""
        return report_currency_of(self.run_info)

    @property
    def units(self) -> dict[str, str]:
        """Item -> its unit, as the report's Run info records them."""
        return {key: str(value) for (section, key), value in self.run_info.items()
                if section == ITEM_UNITS and value is not None}

    def typed(self, sheet: str) -> pd.DataFrame:
        """The sheet's typed columns (``typed``); no rows for a sheet the report lacks."""
        spec = REPORT_TABLES[sheet]
        frame = self.tables.get(sheet)
        if frame is None:
            frame = pd.DataFrame(columns=list(spec.typed_columns), dtype=object)
        return typed(frame, spec)

    @cached_property
    def allocation(self) -> pd.DataFrame:
        return self.typed("Allocation")

    @cached_property
    def readiness(self) -> pd.DataFrame:
        return self.typed("Readiness")


# --------------------------------------------------------------------------------------
# Reading


def read_report(path: str | Path, extra_sheets: Sequence[str] = ()) -> ReportTables:
    """The tables of a report workbook: the Summary, Allocation, Readiness and Run info
    sheets, and the ``extra_sheets`` it has (each table's header is its sheet's first
    row), as ``report_tables`` makes them.

    An ``InputError`` naming the file when it is missing or not an .xlsx workbook, or
    when it lacks a sheet of ``REQUIRED_SHEETS`` or a column read; naming every cell a
    report would not hold (``typed_table`` of each sheet read that has typed columns,
    ``summary_values``). Totals rows are left out of the typed tables, each with a
    warning in ``ReportTables.warnings``."""
    path = Path(path)
    workbook = open_workbook(path)  # one sentence on why a file is not an .xlsx workbook
    try:
        missing = [sheet for sheet in REQUIRED_SHEETS if sheet not in workbook.sheet_names]
        if missing:
            raise InputError([Problem(shown_path(path), f"has no {_listed(missing)} sheet, "
                                                        f"{NOT_A_REPORT}")])
        wanted = ["Run info", *REQUIRED_SHEETS, *extra_sheets]
        sheets = {sheet: read_table(workbook, sheet) for sheet in dict.fromkeys(wanted)
                  if sheet in workbook.sheet_names}
    finally:
        workbook.close()
    currency = ""
    for sheet, frame in sheets.items():  # Run info first: it names the currency
        frame.columns = field_names(REPORT_SHEETS.get(sheet, ()), list(frame.columns))
        if sheet == "Run info":
            currency = report_currency_of(key_values(frame))
    typed_sheets = [sheet for sheet in sheets
                    if sheet in REPORT_TABLES and REPORT_TABLES[sheet].typed_columns]
    expected = {"Summary": SUMMARY_FIELDS,
                **{sheet: REPORT_TABLES[sheet].typed_columns for sheet in typed_sheets}}
    for sheet, columns in expected.items():
        absent = [_column_words(sheet, column, currency) for column in columns
                  if column not in sheets[sheet].columns]
        if absent:
            raise InputError([Problem(shown_path(path), f"its {sheet} sheet has no "
                                      f"{_listed(absent)} column, {NOT_A_REPORT}")])
    problems: list[Problem] = []
    warnings: list[Problem] = []
    summary_values(path, sheets["Summary"], problems)
    for sheet in typed_sheets:
        typed_table(path, sheet, sheets[sheet], REPORT_TABLES[sheet], problems, warnings)
    if problems:
        raise InputError(problems, warnings)
    return ReportTables(
        tables={sheet: frame.reset_index(drop=True) for sheet, frame in sheets.items()},
        path=path,
        sha256=sha256_of(path),
        warnings=tuple(warnings),
    )


def key_values(run_info: pd.DataFrame) -> dict[tuple[str, str], object]:
    """A Run info table as (section, key) -> value."""
    table = run_info.reindex(columns=["section", "key", "value"])
    return {(str(section), str(key)): value
            for section, key, value in table.itertuples(index=False)}


def report_currency_of(run_info: Mapping[tuple[str, str], object]) -> str:
    """The currency a report's Run info names (blank: none)."""
    value = run_info.get(CURRENCY_KEY)
    return "" if value is None else str(value).strip()


def _column_words(sheet: str, field: str, currency: str) -> str:
    """How a refusal names a column: its readable header and its field name."""
    spec = REPORT_TABLES.get(sheet)
    column = spec.column(field) if spec is not None else None
    if column is None:
        return f"'{field}'"
    return f"'{column.heading(currency)}' ({field})"


def read_table(workbook, sheet: str) -> pd.DataFrame:
    """A sheet as a frame: the first row is the header; blank cells are None; rows with
    no cell filled are left out; the index is each row's number on the sheet (2 for
    the first row under the header)."""
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header = [str(name).strip() for name in rows[0]] if rows else []
    numbered = [(number, [None if value == "" else value for value in row])
                for number, row in enumerate(rows[1:], start=2)
                if any(value != "" for value in row)]
    return pd.DataFrame([row for _, row in numbered], columns=header, dtype=object,
                        index=pd.Index([number for number, _ in numbered], dtype="int64"))


def typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The typed columns of a table: its codes (``spec.keys``) as text, its figures
    (``spec.figures``) as floats, NaN for a cell that holds no finite number; totals
    rows (a code cell reading one of ``TOTAL_WORDS``) left out; index from 0."""
    return _typed(frame, spec, _totals_rows(frame, spec),
                  {name: _figures(frame[name]) for name in spec.figures})


def _typed(frame: pd.DataFrame, spec: TableSpec, totals: pd.DataFrame,
           figures: dict[str, np.ndarray]) -> pd.DataFrame:
    out = pd.DataFrame({name: frame[name].astype(str) for name in spec.keys},
                       index=frame.index)
    for name in spec.figures:
        out[name] = pd.to_numeric(frame[name].where(figures[name]),
                                  errors="coerce").astype(float)
    return out[~totals.any(axis=1).to_numpy()].reset_index(drop=True)


def _totals_rows(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Whether each code cell of each row reads a total word (``_total_words``)."""
    return pd.DataFrame({key: _total_words(frame[key]) for key in spec.keys},
                        index=frame.index)


def typed_table(path: Path, sheet: str, frame: pd.DataFrame, spec: TableSpec,
                problems: list[Problem], warnings: list[Problem]) -> pd.DataFrame:
    """The typed columns of a sheet read by ``read_table`` (``typed``), its cells checked.

    Each row, in order: a totals row (a code cell reading one of ``TOTAL_WORDS``) is
    left out, with a warning naming the sheet and row; otherwise a blank code cell, a
    figure cell holding anything but a number (text, a date, true or false, an Excel
    error) and a blank figure cell (unless ``spec.blank_figures``) are each a problem
    naming the cell. Problems and warnings are appended to ``problems`` and
    ``warnings``."""
    position = {name: list(frame.columns).index(name) for name in spec.typed_columns}
    row_numbers = frame.index.to_numpy()
    totals = _totals_rows(frame, spec)
    is_total = totals.any(axis=1).to_numpy()
    figures = {name: _figures(frame[name]) for name in spec.figures}
    found: list[tuple[int, int, Problem]] = []  # (row, column, problem): in sheet order
    for row in np.flatnonzero(is_total):
        key = totals.columns[totals.iloc[row].to_numpy().argmax()]
        number = int(row_numbers[row])
        warnings.append(Problem(
            _cell(path, sheet, column_letter(position[key]), number),
            f"row {number} reads {frame[key].iloc[row]!r} in {key}: a totals row, left out "
            "of every sum (the sums are of the other rows)", "warning"))
    for name in spec.typed_columns:
        cells = frame[name]
        blank = cells.isna().to_numpy(dtype=bool)
        bad = (blank if name in spec.keys
               else ~figures[name] & ~(blank & spec.blank_figures))
        for row in np.flatnonzero(bad & ~is_total):
            number = int(row_numbers[row])
            found.append((number, position[name], Problem(
                _cell(path, sheet, column_letter(position[name]), number),
                _refusal(name, cells.iloc[row], code=name in spec.keys))))
    problems.extend(problem for *_, problem in sorted(found, key=lambda entry: entry[:2]))
    return _typed(frame, spec, totals, figures)


def summary_values(path: Path, summary: pd.DataFrame,
                   problems: list[Problem]) -> dict[str, object]:
    """The Summary sheet as metric -> value (None for a blank cell). A headline metric
    or cost term holds a number, or is blank for a run without a plan: anything else in
    its value cell is a problem naming the cell, appended to ``problems``."""
    letter = column_letter(list(summary.columns).index("value"))
    values: dict[str, object] = {}
    for number, metric, value in zip(summary.index, summary["metric"], summary["value"],
                                     strict=True):
        metric = str(metric)
        if (metric in (*HEADLINE_METRICS, *COST_TERMS) and value is not None
                and finite_number(value) is None):
            problems.append(Problem(_cell(path, "Summary", letter, number),
                                    _refusal(metric, value, code=False)))
        values[metric] = value
    return values


def as_stored(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables as ``read_report`` reads them back from the workbook they make, cell by
    cell as ``optimizer.workbook.writer.write_value`` writes it: a blank (None, NaN, "")
    None; a number to the ``STORED_DIGITS`` significant digits the workbook stores; any
    other value its text, a file name's bytes that are not UTF-8 escaped
    (``shown_text``); rows with no cell filled left out; index from 0. Tables read back
    are so already."""
    return {sheet: _stored(frame) for sheet, frame in tables.items()}


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({name: [_stored_value(value) for value in frame[name].tolist()]
                        for name in frame.columns}, columns=frame.columns, dtype=object)
    filled = out.notna().any(axis=1) if len(out.columns) else pd.Series(False, out.index)
    return out[filled.to_numpy(dtype=bool)].reset_index(drop=True)


def _stored_value(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(f"{value:.{STORED_DIGITS}G}") if math.isfinite(value) else None
    text = shown_text(str(value))
    return text or None


def _refusal(column: str, value: object, code: bool) -> str:
    """Why a cell is refused, and what to do: restore it as solve wrote it."""
    what = f"the {column} is blank" if value is None else f"{_quoted(value)} is not a number"
    fix = "restore the code, delete the row if it is a total," if code else "restore the figure"
    return f"{what}; {AS_WRITTEN} — {fix} or re-run solve"


def _is_total_word(value: object) -> bool:
    return (isinstance(value, str)
            and " ".join(value.strip().rstrip(":").split()).lower() in TOTAL_WORDS)


def _total_words(cells: pd.Series) -> np.ndarray:
    """Whether each cell reads a total word (``_is_total_word``), each distinct value
    looked at once (a report's codes repeat on many rows)."""
    words = [value for value in pd.unique(cells) if _is_total_word(value)]
    return cells.isin(words).to_numpy(dtype=bool)


def _figures(cells: pd.Series) -> np.ndarray:
    """Whether each cell holds a finite number (``excel.finite_number``: not text, a
    date, true or false, or blank); a column of numbers and blanks only is checked at
    once."""
    if pd.api.types.infer_dtype(cells, skipna=True) in ("floating", "integer",
                                                         "mixed-integer-float", "empty"):
        return np.isfinite(cells.to_numpy(dtype=float, na_value=np.nan))
    return cells.map(lambda value: finite_number(value) is not None).to_numpy(dtype=bool)


def _cell(path: Path, sheet: str, letter: str, row: int) -> str:
    """Where a problem is: ``B.xlsx Allocation!F12``."""
    return f"{path} {sheet_ref(sheet)}!{letter}{row}"


def _quoted(value: object) -> str:
    """A cell's value as the reader saw it: 'abc', True, 2024-01-01 00:00:00."""
    return repr(value) if isinstance(value, str) else str(value)


def _listed(names: list[str]) -> str:
    """'Summary', 'Summary or Readiness', 'Summary, Allocation or Readiness'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


__all__ = ["ReportTables", "as_stored", "read_report", "read_table", "summary_values",
           "typed", "typed_table"]
