"""The input workbook analysts fill in (``stockpile template``).

Everything here is derived from ``optimizer.workbook.schema``: the README sheet explains every
sheet and column from the schema's descriptions, kinds, units and defaults; each sheet
gets its header row (required columns in bold, the description as a note on every header
cell), one example row (``EXAMPLE_ROWS``: codes starting ``EXAMPLE-``, together a valid
alliance, which ``stockpile validate`` accepts with a warning per example row left) and
Excel data validation on its data cells, so that typing a negative capacity or an unknown
ally is caught in Excel already. The validation only warns: pasting a block of data is
never blocked, and ``stockpile validate`` remains the authority.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from optimizer.words import with_article
from optimizer.workbook.data import column_letter, sheet_ref
from optimizer.workbook.schema import (
    DEFINED_BY,
    EXAMPLE_PREFIX,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Kind,
    Sheet,
)
from optimizer.workbook.writer import Cell, ReadmeRow, SheetContent, write_workbook

FIRST_DATA_ROW = 2  # Excel row numbers, 1-based
LAST_DATA_ROW = 10_000
TEXT_FORMAT = "@"  # code and text columns are formatted as Text: 2027 stays "2027"

# How a kind reads in the README and in the header notes.
KIND_TEXT = {
    Kind.CODE: "code (text)",
    Kind.TEXT: "text",
    Kind.NUMBER: "number >= 0",
    Kind.WHOLE: "whole number from 0 to 10,000",
    Kind.SHARE: "share between 0 and 1",
    Kind.BOOLEAN: "TRUE or FALSE",
}

# The example row of each sheet, by column (left out: blank). Together they are a valid
# alliance of one ally, item, line, period, platform and framework; every code starts with
# EXAMPLE_PREFIX.
_ALLY, _ITEM, _LINE, _PERIOD, _PLATFORM, _FRAMEWORK = (
    f"{EXAMPLE_PREFIX}{code}" for code in ("POL", "155HE", "LINE", "2027Q1", "KRAB", "NSPA"))
EXAMPLE_ROWS: dict[str, dict[str, object]] = {
    "Periods": {"period": _PERIOD},
    "Allies": {"ally": _ALLY, "name": "Example ally: replace or delete this row",
               "gdp": 850_000_000_000, "fair_share": 1},
    "Items": {"item": _ITEM, "name": "Example item: 155 mm artillery shell",
              "unit": "rounds", "integer": False, "priority": 1, "holding_cost": 10},
    "Production": {"facility": _LINE, "host": _ALLY, "item": _ITEM, "capacity": 10_000,
                   "unit_cost": 4_000, "lead_time": 1},
    "Capacity": {"facility": _LINE, "item": _ITEM, "period": _PERIOD, "capacity": 5_000},
    "Expansion": {"facility": _LINE, "item": _ITEM, "max_extra": 5_000,
                  "cost_per_unit": 20_000, "lead_time": 2, "payer": _ALLY},
    "Requirements": {"ally": _ALLY, "item": _ITEM, "period": _PERIOD, "target": 20_000},
    "Stocks": {"ally": _ALLY, "item": _ITEM, "on_hand": 15_000},
    "Consumption": {"ally": _ALLY, "item": _ITEM, "period": _PERIOD, "quantity": 1_000},
    "Budgets": {"ally": _ALLY, "period": _PERIOD, "budget": 50_000_000},
    "Transport": {"from": _ALLY, "to": _ALLY, "cost_per_unit": 25, "lead_time": 0},
    "Restrictions": {"facility": _LINE, "ally": _ALLY, "item": _ITEM},
    "Platforms": {"ally": _ALLY, "platform": _PLATFORM, "priority": 1},
    "Compatibility": {"platform": _PLATFORM, "item": _ITEM, "factor": 1, "qualified": True},
    "CapabilityTargets": {"ally": _ALLY, "platform": _PLATFORM, "period": _PERIOD,
                          "target": 18_000},
    "AllianceTargets": {"item": _ITEM, "period": _PERIOD, "target": 20_000, "priority": 1},
    "Frameworks": {"framework": _FRAMEWORK, "facility": _LINE, "item": _ITEM, "lead": _ALLY,
                   "unit_price": 3_800, "fee_per_unit": 40},
    "FrameworkMembers": {"framework": _FRAMEWORK, "ally": _ALLY},
}
_A_COMPONENT = "they would need a component: a second item, with a line of its own"
WITHOUT_EXAMPLE: dict[str, str] = {
    "Funding": "it would need a second ally",
    "BillOfMaterials": _A_COMPONENT,
    "IndustryStocks": _A_COMPONENT,
}
"""Sheets whose example would take more than the one example row of each other sheet,
with why: headers only."""


def _without_example_text() -> str:
    """'Funding: none, as it would need a second ally; BillOfMaterials, IndustryStocks:
    none, as …', the sheets grouped by their reason."""
    grouped: dict[str, list[str]] = {}
    for name, reason in WITHOUT_EXAMPLE.items():
        grouped.setdefault(reason, []).append(name)
    return "; ".join(f"{', '.join(names)}: none, as {reason}"
                     for reason, names in grouped.items())
EXAMPLE_NOTE = ("Example row: replace it with your own data or delete it. 'stockpile "
                "validate' warns while it is here.")

# Excel's limits on the texts of a data validation.
_TITLE_LIMIT = 32
_MESSAGE_LIMIT = 255


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def defining_column(refers_to: str | None) -> tuple[Sheet, int] | None:
    """The sheet and column index that define the codes a reference column refers to
    (``DEFINED_BY``: ally -> Allies, platform -> Platforms ...); None for references with
    no single defining column (a country is an ally or any production host)."""
    if refers_to not in DEFINED_BY:
        return None
    sheet_name, column = DEFINED_BY[refers_to]
    sheet = SHEETS_BY_NAME[sheet_name]
    return sheet, sheet.column_names.index(column)


def kind_text(column: Column) -> str:
    """'number >= 0 (money per unit)'."""
    text = KIND_TEXT[column.kind]
    if not column.unit or column.unit.split()[0] in text:  # "share 0-1" says nothing new
        return text
    return f"{text} ({column.unit})"


def default_text(column: Column) -> str:
    if column.required:
        return "none (required)"
    if column.default is None:
        return "blank"
    if isinstance(column.default, bool):
        return "TRUE" if column.default else "FALSE"
    if isinstance(column.default, float) and column.default.is_integer():
        return str(int(column.default))
    return str(column.default)


def header_note(column: Column) -> str:
    """The note on a header cell: what the column means and what it takes."""
    status = "Required." if column.required else f"Optional (default: {default_text(column)})."
    kind = kind_text(column)
    return f"{column.description}\n{status} {kind[0].upper()}{kind[1:]}."


def _validation(column: Column) -> dict | None:
    """The xlsxwriter data-validation options for a column's data cells, or None."""
    options: dict
    if column.kind is Kind.NUMBER:
        options = {"validate": "decimal", "criteria": ">=", "value": 0}
    elif column.kind is Kind.WHOLE:
        options = {"validate": "integer", "criteria": ">=", "value": 0}
    elif column.kind is Kind.SHARE:
        options = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
    elif column.kind is Kind.BOOLEAN:
        options = {"validate": "list", "source": ["TRUE", "FALSE"]}
    elif column.kind is Kind.CODE and (defining := defining_column(column.refers_to)):
        sheet, index = defining
        letter = column_letter(index)
        options = {
            "validate": "list",
            "source": f"={sheet_ref(sheet.name)}!${letter}${FIRST_DATA_ROW}:"
                      f"${letter}${LAST_DATA_ROW}",
        }
        expected = f"{with_article(column.refers_to)} code listed in {sheet.name}"
    else:
        return None
    if column.kind is Kind.BOOLEAN:
        expected = KIND_TEXT[column.kind]
    elif column.kind is not Kind.CODE:
        expected = with_article(KIND_TEXT[column.kind])
    status = "Required." if column.required else f"Optional; default {default_text(column)}."
    options.update(
        ignore_blank=True,
        input_title=_clip(column.name, _TITLE_LIMIT),
        input_message=_clip(f"{column.description} {status}", _MESSAGE_LIMIT),
        error_type="warning",  # warns, lets the user keep the value: pasting is not blocked
        error_title=_clip(f"Check {column.name}", _TITLE_LIMIT),
        error_message=_clip(
            f"{column.name} should be {expected}. Keep it anyway? "
            "'stockpile validate' reports every problem with its cell.",
            _MESSAGE_LIMIT,
        ),
    )
    return options


def _decorator(sheet: Sheet):
    def decorate(worksheet: Worksheet, workbook, frame: pd.DataFrame) -> None:
        for index, column in enumerate(sheet.columns):
            options = _validation(column)
            if options is not None:
                worksheet.data_validation(
                    FIRST_DATA_ROW - 1, index, LAST_DATA_ROW - 1, index, options
                )

    return decorate


def readme_rows(*, example_rows: bool = True) -> list[ReadmeRow]:
    """The README sheet: what the workbook is, the rules, every sheet, every column; with
    ``example_rows``, what the template's example rows are."""
    required = [s.name for s in SHEETS if s.required]
    optional = [s.name for s in SHEETS if not s.required]
    rows: list[ReadmeRow] = [
        ("title", ("Stockpile allocation optimiser: input workbook",)),
        ("text", ("",)),
        ("text", ("What", "",
                  "One sheet per table of the alliance's situation: allies, items, production "
                  "lines, readiness targets, and optionally stocks, consumption, capacity "
                  "changes, expansions, budgets, transport, export controls, and the "
                  "platforms (weapon systems) allies operate with the items each can fire "
                  "and their capability targets, alliance targets, joint purchases, "
                  "funding between allies, and the components lines use up (bills of "
                  "materials) with industry's stocks of them. Fill in the "
                  "sheets, check them with 'stockpile validate FILE', then plan with "
                  "'stockpile solve FILE'. Policy knobs (objective, rules, solver) live in the "
                  "model configuration (models/*.toml), not here.")),
        ("text", ("Sheets", "",
                  f"Required: {', '.join(required)}. Optional: {', '.join(optional)}; an "
                  "optional sheet may be left empty or deleted.")),
        ("text", ("",)),
        ("heading", ("Rules", "", "")),
        ("text", ("Headers", "",
                  "Row 1 holds the column headers; data starts in row 2. Required columns "
                  "have bold headers. Sheet and column names are matched after trimming "
                  "spaces and ignoring case; columns may be in any order and optional "
                  "columns may be left out.")),
        *([("text", ("Example rows", "",
                     f"Row 2 of every sheet is an example, its codes starting "
                     f"{EXAMPLE_PREFIX}: replace it with your own data or delete it "
                     f"({_without_example_text()}). "
                     "'stockpile validate' warns, naming the sheet and row, while an "
                     "example row is left."))] if example_rows else []),
        ("text", ("Blank rows", "", "Blank rows are skipped.")),
        ("text", ("Unknown", "",
                  "Unknown sheets and unknown columns are ignored with a warning, unless the "
                  "name is nearly that of a sheet or column missing here (a case "
                  "difference, a plural, a typo): that is an error naming the one meant. "
                  "This README sheet is ignored.")),
        ("text", ("Codes", "",
                  "Codes (ally, item, period, facility, host ...) are text, trimmed of spaces; "
                  "a number in a code column is read as its text (2027 -> \"2027\"). The code "
                  "columns of this workbook are formatted as Text. A code that refers to "
                  "another sheet (an ally, an item, a period, a facility, a platform) must be "
                  "defined there.")),
        ("text", ("Values", "",
                  "Numbers are finite and >= 0; shares are between 0 and 1; lead times are "
                  "whole numbers of periods. Booleans accept TRUE/FALSE, yes/no, 1/0. An "
                  "optional cell left blank takes the column's default. Use one currency for "
                  "every money column.")),
        ("text", ("Keys", "",
                  "The key columns of a sheet identify a row: no two rows may share a key.")),
        ("text", ("Cells", "",
                  "A formula cell must have a saved value (let Excel calculate, then save); "
                  "error cells (#N/A ...) and merged cells inside a table are errors.")),
        ("text", ("Checks", "",
                  "The drop-down lists and range checks in this workbook only warn, so pasted "
                  "data is never blocked. 'stockpile validate' reports every problem at once, "
                  "each with its sheet and cell, e.g. Production!D7: capacity must be a "
                  "number >= 0, got 'ten'.")),
        ("text", ("",)),
        ("heading", ("Sheet", "", "Meaning", "Required or optional", "Key")),
    ]
    for sheet in SHEETS:
        rows.append(("text", (
            sheet.name,
            "",
            sheet.description + (" Needs at least one row." if sheet.must_have_rows else ""),
            "required" if sheet.required else "optional",
            ", ".join(sheet.key) if sheet.key else "(none)",
        )))
    rows += [
        ("text", ("",)),
        ("heading", ("Sheet", "Column", "Meaning", "Required or optional", "Kind (unit)",
                     "Default")),
    ]
    for sheet in SHEETS:
        for column in sheet.columns:
            meaning = column.description
            defining = defining_column(column.refers_to)
            if defining and defining[0].name not in meaning:
                meaning += f" Must be defined in {defining[0].name}."
            rows.append(("text", (
                sheet.name,
                column.name,
                meaning,
                "required" if column.required else "optional",
                kind_text(column),
                default_text(column),
            )))
    return rows


def sheet_content(
    sheet: Sheet, frame: pd.DataFrame | None = None, number_formats: dict[str, str] | None = None,
    cells: list[Cell] | None = None,
) -> SheetContent:
    """A sheet of the contract as ``write_workbook`` takes it: the frame (default: headers
    only), code and text columns formatted as Text, only the required columns' headers in
    bold, the description as a note on every header cell and data validation on the data
    cells. Used by the template and by the sample workbook."""
    formats = {c.name: TEXT_FORMAT for c in sheet.columns if c.kind in (Kind.CODE, Kind.TEXT)}
    formats.update(number_formats or {})
    return SheetContent(
        frame=pd.DataFrame(columns=sheet.column_names) if frame is None else frame,
        number_formats=formats,
        header_notes={c.name: header_note(c) for c in sheet.columns},
        header_styles={c.name: {"bold": False} for c in sheet.columns if not c.required},
        decorate=_decorator(sheet),
        cells=cells or [],
    )


def example_frame(sheet: Sheet) -> pd.DataFrame:
    """The sheet's example row (``EXAMPLE_ROWS``) under its headers; blank: None. A
    sheet without one (``WITHOUT_EXAMPLE``) has its headers alone."""
    if sheet.name in WITHOUT_EXAMPLE:
        return pd.DataFrame(columns=sheet.column_names, dtype=object)
    example = EXAMPLE_ROWS[sheet.name]
    return pd.DataFrame([[example.get(name) for name in sheet.column_names]],
                        columns=sheet.column_names, dtype=object)


def template_sheets() -> dict[str, SheetContent]:
    """Every sheet of the contract, in schema order, with its headers and example row
    (its first cell carries ``EXAMPLE_NOTE``)."""
    sheets = {}
    for sheet in SHEETS:
        frame = example_frame(sheet)
        if frame.empty:
            sheets[sheet.name] = sheet_content(sheet, frame)
            continue
        first = next(col for col, value in enumerate(frame.iloc[0]) if value is not None)
        sheets[sheet.name] = sheet_content(sheet, frame, cells=[
            Cell(1, first, frame.iat[0, first], note=EXAMPLE_NOTE)])
    return sheets


# README columns: sheet, column, meaning, required or optional, kind (unit), default; the
# rules above the tables put their label in the first column and their text in the third.
README_WIDTHS = (14, 18, 90, 20, 34, 12)


def write_template(path: str | Path) -> Path:
    """Write the input workbook to fill in to ``path`` (atomically) and return the path."""
    return write_workbook(
        path, template_sheets(), readme=readme_rows(), readme_widths=README_WIDTHS
    )
