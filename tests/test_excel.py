"""The workbook writer every output goes through (``optimizer.workbook.writer``): how its sheets
print, how quantities are shown and how long sentences wrap; by hand."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from optimizer.workbook.writer import (
    COUNT,
    MAX_WIDTH,
    QUANTITY,
    ROW_HEIGHT,
    Cell,
    Link,
    SheetContent,
    axis_number_format,
    quantity_format,
    style,
    write_workbook,
)
from tests.printing import TABLE, print_setup

SENTENCE = ("each more unit of capacity at RHINEHAMMER (DEU) for 155HE in 2027Q3 would close "
            "5 units of weighted shortfall, at a cost of 10, at least until it reaches 1,450")


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row(tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", {
        "Table": SheetContent(pd.DataFrame({"a": range(500), "b": ["x"] * 500})),
        "Picture": SheetContent(pd.DataFrame({"a": [1]}), print_pages=(1, 1),
                                print_area=(0, 0, 30, 2), print_gridlines=False),
    }, readme=[("title", ("About",)), ("text", ("a", "b", "c", "d"))])
    workbook = openpyxl.load_workbook(path)
    assert print_setup(workbook["Table"]) == TABLE
    assert print_setup(workbook["Picture"]) == {**TABLE, "pages": (1, 1), "gridlines": False}
    assert workbook["Picture"].print_area == "'Picture'!$A$1:$C$31"
    # The README's first row is its title, not a header to repeat.
    assert print_setup(workbook["README"]) == {**TABLE, "title_rows": None}
    for sheet in workbook:
        assert sheet.oddFooter.left.text == "&A"  # the sheet's name
        assert sheet.oddFooter.right.text == "Page &P of &N"


def test_a_whole_quantity_has_no_decimal_point_and_a_fraction_shows_two_places(tmp_path):
    values = [14000.0, 14000.5, 2.999, 0.25, -3.0, None]
    path = write_workbook(tmp_path / "book.xlsx", {
        "Column": SheetContent(pd.DataFrame({"quantity": values, "money": values}),
                               number_formats={"quantity": QUANTITY, "money": "#,##0"}),
        "Rows": SheetContent(pd.DataFrame({"value": values}).astype(object),
                             cell_formats={"value": [QUANTITY] * len(values)}),
        "Cells": SheetContent(pd.DataFrame({"a": []}), cells=[
            Cell(row, 3, value, style(num_format=QUANTITY))
            for row, value in enumerate(values[:5], start=1)]),
    })
    workbook = openpyxl.load_workbook(path)
    whole, fraction = "#,##0;-#,##0", "#,##0.0#;-#,##0.0#"
    shown = [whole, fraction, whole, fraction, whole]  # 2.999 shows as 3 at two places
    column = workbook["Column"]
    assert [column.cell(row, 1).number_format for row in range(2, 7)] == shown
    assert {column.cell(row, 2).number_format for row in range(2, 7)} == {"#,##0"}  # money
    rows = workbook["Rows"]
    assert [rows.cell(row, 1).number_format for row in range(2, 7)] == shown
    cells = workbook["Cells"]
    assert [cells.cell(row, 4).number_format for row in range(2, 7)] == shown
    with zipfile.ZipFile(path) as archive:
        assert "0.##" not in archive.read("xl/styles.xml").decode()


def test_a_long_sentence_wraps_within_its_column_and_its_row_grows(tmp_path):
    frame = pd.DataFrame({"rank": [1, 2], "advice": [SENTENCE, "short"]})
    path = write_workbook(tmp_path / "book.xlsx", {"Advice": SheetContent(frame)},
                          readme=[("title", ("About",)), ("text", ("Advice", SENTENCE))],
                          readme_widths=(18, 60))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Advice"]
    # xlsxwriter stores a width with its cell padding, 0.71 of a character.
    assert sheet.column_dimensions["B"].width == pytest.approx(MAX_WIDTH + 0.71, abs=0.01)
    assert sheet["B2"].alignment.wrap_text and sheet["B3"].alignment.wrap_text
    assert not sheet["A2"].alignment.wrap_text
    assert sheet["A2"].alignment.vertical == "top"  # a row reads across from the top
    # 157 characters, some 140 digits wide, in a column of 48: three lines, set because
    # not every reader grows a row to fit (LibreOffice does not).
    assert sheet.row_dimensions[2].height == 3 * ROW_HEIGHT
    assert sheet.row_dimensions[3].height is None
    assert workbook["README"].row_dimensions[2].height == 3 * ROW_HEIGHT  # width 60 too


def test_a_link_with_a_long_text_wraps_like_the_text(tmp_path):
    frame = pd.DataFrame({"report": [Link("case_report.xlsx", SENTENCE)]}, dtype=object)
    path = write_workbook(tmp_path / "book.xlsx", {"Scenarios": SheetContent(frame)})
    sheet = openpyxl.load_workbook(path)["Scenarios"]
    assert sheet["A2"].value == SENTENCE and sheet["A2"].hyperlink is not None
    assert sheet["A2"].alignment.wrap_text
    assert sheet.row_dimensions[2].height == 3 * ROW_HEIGHT


def test_a_declared_width_holds_and_a_longer_text_wraps_within_it(tmp_path):
    frame = pd.DataFrame({"headline": ["message"], "value": ["x " * 30]})
    path = write_workbook(tmp_path / "book.xlsx", {
        "Dashboard": SheetContent(frame, widths={"headline": 30, "value": 40})})
    sheet = openpyxl.load_workbook(path)["Dashboard"]
    assert sheet.column_dimensions["B"].width == pytest.approx(40.71, abs=0.01)
    assert sheet["B2"].alignment.wrap_text and not sheet["A2"].alignment.wrap_text
    assert sheet.row_dimensions[2].height == 2 * ROW_HEIGHT


@pytest.mark.parametrize(("largest", "expected"), [
    (7.2e9, '#,##0.0,,," bn";-#,##0.0,,," bn";0'),  # 7.2 bn
    (1.2e10, '#,##0,,," bn";-#,##0,,," bn";0'),  # 12 bn
    (4.69e6, '#,##0.0,," M";-#,##0.0,," M";0'),  # 4.7 M
    (4.7e7, '#,##0,," M";-#,##0,," M";0'),  # 47 M
    (950_000, "#,##0"), (0.0, "#,##0"),
])
def test_a_chart_axis_reads_in_millions_and_billions(largest, expected):
    assert axis_number_format(largest) == expected


def test_a_column_is_wide_enough_for_its_numbers_with_their_unit(tmp_path):
    """A quantity shown with its unit ("1,050,000 rounds") fits its column: no "###"."""
    frame = pd.DataFrame({"target": [1_050_000.0, 82_500.0], "count": [1_184_552, 3]})
    path = write_workbook(tmp_path / "book.xlsx", {"Readiness": SheetContent(
        frame, number_formats={"count": COUNT},
        cell_formats={"target": [quantity_format("rounds")] * 2})})
    sheet = openpyxl.load_workbook(path)["Readiness"]
    assert sheet.column_dimensions["A"].width >= len("1,050,000 rounds")
    assert sheet.column_dimensions["B"].width >= len("1,184,552")


def test_a_long_header_wraps_over_a_narrow_column_and_its_row_grows(tmp_path):
    """"Cost and penalties saved per step (EUR)" over numbers of six digits: the column
    stays about as wide as the numbers, the header wraps, and row 1 is as tall as it."""
    frame = pd.DataFrame({"saved": [120_000.0, 5.0]})
    path = write_workbook(tmp_path / "book.xlsx", {"Advice": SheetContent(
        frame, headers={"saved": "Cost and penalties saved per step (EUR)"})})
    sheet = openpyxl.load_workbook(path)["Advice"]
    assert sheet.column_dimensions["A"].width <= 20
    assert sheet["A1"].alignment.wrap_text
    assert sheet.row_dimensions[1].height >= 2 * ROW_HEIGHT
