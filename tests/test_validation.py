"""The input contract (SPEC §2): every class of bad input gets its sheet!cell sentence."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from optimizer.config import RulesConfig
from optimizer.errors import InputError
from optimizer.workbook.validation import load_workbook


def problems_of(path, rules=None) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook(path, rules)
    return [str(p) for p in caught.value.problems]


def test_valid_workbook_reads_typed_values_with_defaults(workbook_path):
    data, warnings = load_workbook(workbook_path())
    assert data.periods == ("2027Q1", "2027Q2")
    production = data.production.set_index("facility")
    assert production.loc["F2", "lead_time"] == 0  # default
    assert production.loc["F3", "unit_cost"] == 4e6
    assert data.expansion.loc[0, "lead_time"] == 1  # default
    items = data.items.set_index("item")
    assert items.loc["PAC3", "integer"] is True or items.loc["PAC3", "integer"] == True  # noqa: E712
    assert items.loc["155HE", "priority"] == 1.0
    assert items.loc["PAC3", "holding_cost"] == 0.0  # default
    assert items["shortfall_penalty"].isna().tolist() == [True, False]  # blank: from config
    assert data.transport.loc[0, "item"] is None  # blank item: every item
    assert data.requirements["row"].tolist() == [2, 3]
    assert data.cell("Production", "capacity", 4) == "Production!D4"
    assert [str(w) for w in warnings] == []


def test_names_are_matched_ignoring_case_and_spaces_and_numbers_read_as_codes(workbook_path):
    def edit(sheets):
        sheets["  periods "] = [["  PERIOD "], [2027], [2028]]
        del sheets["Periods"]
        for name in ("Requirements", "Consumption", "Capacity", "Budgets"):
            for row in sheets[name][1:]:
                row[2 if name != "Budgets" else 1] = 2027
        sheets["Stocks"][1][0] = "  POL  "

    data, _ = load_workbook(workbook_path(edit))
    assert data.periods == ("2027", "2028")
    assert set(data.requirements["period"]) == {"2027"}
    assert data.stocks.loc[0, "ally"] == "POL"


def test_booleans_accept_true_false_yes_no_one_zero(workbook_path):
    def edit(sheets):
        sheets["Items"][1][3] = "yes"
        sheets["Items"][2][3] = 0

    data, _ = load_workbook(workbook_path(edit))
    assert data.items["integer"].tolist() == [True, False]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(workbook_path):
    def edit(sheets):
        sheets["Requirements"].insert(2, [None, None, None, None])

    data, _ = load_workbook(workbook_path(edit))
    assert data.requirements["row"].tolist() == [2, 4]


def test_missing_required_sheet_and_column(workbook_path):
    def edit(sheets):
        del sheets["Items"]
        sheets["Production"][0][3] = "output"  # unrelated to any column name

    found = problems_of(workbook_path(edit))
    assert "alliance.xlsx: required sheet 'Items' is missing" in found
    assert "Production!1:1: required column 'capacity' is missing" in found


@pytest.mark.parametrize(
    ("sheet", "row", "col", "value", "message"),
    [
        ("Production", 1, 3, "ten", "Production!D2: capacity must be a number >= 0, got 'ten'"),
        ("Production", 2, 4, -5, "Production!E3: unit_cost must be a number >= 0, got -5"),
        ("Production", 1, 5, 1.5,
         "Production!F2: lead_time must be a whole number from 0 to 10,000, got 1.5"),
        ("Production", 1, 5, 9.223372036854776e18,
         "Production!F2: lead_time must be a whole number from 0 to 10,000, "
         "got 9223372036854775808"),
        ("Allies", 1, 3, 120,
         "Allies!D2: min_gap_closure must be a number between 0 and 1, got 120"),
        ("Requirements", 1, 3, "inf", "Requirements!D2: target 'inf' is too large for the "
         "solver (at most 1e+15); give a realistic figure, or state the column in a coarser "
         "unit (thousands, millions)"),
        ("Requirements", 1, 3, "nan", "Requirements!D2: target must be a number >= 0, got 'nan'"),
        ("Items", 1, 3, "maybe",
         "Items!D2: integer must be TRUE or FALSE (or yes/no, 1/0), got 'maybe'"),
        ("Stocks", 1, 2, None, "Stocks!C2: on_hand is required"),
        ("Stocks", 1, 0, True, "Stocks!A2: ally must be a code (text), got TRUE; "
         "format the column as Text"),
    ],
)
def test_bad_values_name_the_cell(workbook_path, sheet, row, col, value, message):
    def edit(sheets):
        sheets[sheet][row][col] = value

    assert message in problems_of(workbook_path(edit))


def test_dates_in_number_and_code_columns_are_errors(workbook_path):
    import datetime as dt

    def edit(sheets):
        sheets["Budgets"][1][2] = dt.datetime(2027, 1, 1)
        sheets["Budgets"][1][1] = dt.datetime(2027, 3, 31)

    found = problems_of(workbook_path(edit))
    assert "Budgets!C2: budget must be a number >= 0, got the date 2027-01-01" in found
    assert (
        "Budgets!B2: period must be a code (text), got the date 2027-03-31; "
        "format the column as Text" in found
    )


def test_numbers_stored_as_text_are_read_as_numbers(workbook_path):
    def edit(sheets):
        sheets["Requirements"][1][3] = " 3,000 "

    data, _ = load_workbook(workbook_path(edit))
    assert data.requirements.loc[0, "target"] == 3000.0


def test_duplicate_keys_name_both_rows(workbook_path):
    def edit(sheets):
        sheets["Requirements"].append(["POL", "155HE", "2027Q2", 10])
        sheets["Periods"].append(["2027Q1"])

    found = problems_of(workbook_path(edit))
    assert (
        "Requirements!A4: duplicate row for ally 'POL', item '155HE', period '2027Q2'; "
        "first given in row 2" in found
    )
    assert "Periods!A4: duplicate row for period '2027Q1'; first given in row 2" in found


def test_undefined_references(workbook_path):
    def edit(sheets):
        sheets["Requirements"].append(["FRA", "155HE", "2027Q2", 10])
        sheets["Requirements"].append(["POL", "NASAMS", "2027Q3", 10])
        sheets["Capacity"].append(["F1", "PAC3", "2027Q1", 5])
        sheets["Expansion"][1][5] = "ITA"
        sheets["Restrictions"].append([None, "F99", None, None])

    found = problems_of(workbook_path(edit))
    assert "Requirements!A4: ally 'FRA' is not defined in Allies" in found
    assert "Requirements!B5: item 'NASAMS' is not defined in Items" in found
    assert "Requirements!C5: period '2027Q3' is not defined in Periods" in found
    assert "Capacity!A3: line (facility 'F1', item 'PAC3') is not defined in Production" in found
    assert "Expansion!F2: payer 'ITA' is not defined in Allies" in found
    assert "Restrictions!B3: facility 'F99' is not defined in Production" in found


def test_all_problems_are_reported_at_once(workbook_path):
    def edit(sheets):
        sheets["Production"][1][3] = "ten"
        sheets["Stocks"][1][2] = -1
        sheets["Budgets"][1][0] = "XXX"

    assert len(problems_of(workbook_path(edit))) == 3


def test_formula_without_saved_value_and_error_cells(workbook_path):
    def edit(sheets):
        sheets["Production"][1][3] = "=500*2"
        sheets["Stocks"][1][2] = "#N/A"  # openpyxl stores known error codes as error cells

    found = problems_of(workbook_path(edit))
    assert (
        "Production!D2: capacity is a formula with no saved value; open the workbook in Excel, "
        "let it calculate and save it, or type the value" in found
    )
    assert "Stocks!C2: on_hand is an error value (#N/A), not data" in found


def test_formula_with_saved_value_is_read(tmp_path):
    from tests.conftest import valid_sheets, write_workbook

    path = write_workbook(tmp_path / "a.xlsx", valid_sheets())
    # Give F1's capacity a formula with a cached value, as Excel saves it.
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    workbook = openpyxl.load_workbook(path)
    index = workbook.sheetnames.index("Production") + 1
    part = f"xl/worksheets/sheet{index}.xml"
    parts[part] = parts[part].replace(
        b'<c r="D2" t="n"><v>1000</v></c>', b'<c r="D2"><f>500*2</f><v>1000</v></c>'
    )
    assert b"<f>500*2</f>" in parts[part]
    with zipfile.ZipFile(path, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    data, _ = load_workbook(path)
    assert data.production.loc[0, "capacity"] == 1000.0


def test_merged_cells_inside_a_table(workbook_path, tmp_path):
    path = workbook_path()
    workbook = openpyxl.load_workbook(path)
    workbook["Requirements"].merge_cells("A2:A3")
    workbook.save(path)
    found = problems_of(path)
    assert "Requirements!A2:A3: merged cells inside a table; unmerge them and fill in every cell" \
        in found


def test_restriction_with_every_field_blank(workbook_path):
    def edit(sheets):
        sheets["Restrictions"][0].append("note")
        sheets["Restrictions"].append([None, None, None, None, "forgot the fields"])

    assert "Restrictions!A3:D3: a restriction needs at least one of host, facility, ally or item" \
        in problems_of(workbook_path(edit))


def test_warnings_unknown_sheets_columns_and_policy(workbook_path):
    def edit(sheets):
        sheets["Notes"] = [["anything"]]
        sheets["Production"][0].append("comment")

    rules = RulesConfig(max_supplier_share=0.5, work_share=True)
    data, warnings = load_workbook(workbook_path(edit), rules)
    shown = [str(w) for w in warnings]
    assert "warning: Notes: unknown sheet is ignored" in shown
    assert "warning: Production!G1: unknown column 'comment' is ignored" in shown
    assert (
        "warning: Items!A3: item 'PAC3' is made in one country only (USA); with "
        "rules.max_supplier_share = 0.5 no ally can buy it from a line" in shown
    )
    assert not any("155HE" in w and "one country" in w for w in shown)  # made in POL and DEU


def test_work_share_ally_that_hosts_no_line_is_warned(workbook_path):
    def edit(sheets):
        sheets["Allies"][2][4] = 0.3  # DEU hosts F2 ...
        sheets["Production"][2][1] = "FRA"  # ... until F2 moves to France

    _, warnings = load_workbook(workbook_path(edit), RulesConfig(work_share=True))
    assert (
        "warning: Allies!E3: ally 'DEU' must place 30% of its spending with its own industry "
        "but hosts no production line, so it can spend nothing" in [str(w) for w in warnings]
    )
    _, quiet = load_workbook(workbook_path(edit), RulesConfig(work_share=False))
    assert not any("DEU" in str(w) for w in quiet)


def test_empty_required_tables(workbook_path):
    def edit(sheets):
        sheets["Allies"] = [sheets["Allies"][0]]

    found = problems_of(workbook_path(edit))
    assert "Allies!A2: sheet Allies has no rows; it needs at least one" in found


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"ally,item\nPOL,155HE\n", "is not an Excel .xlsx workbook (it is not a zip package"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "is an old-style .xls workbook"),
        (b"PK\x03\x04garbage", "is not an Excel .xlsx workbook"),
        (b"", "is not an Excel .xlsx workbook"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, content, words):
    path = tmp_path / "input.xlsx"
    path.write_bytes(content)
    found = problems_of(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}: {words}")


def test_zip_that_is_not_a_workbook_and_xlsb(tmp_path):
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain, "w") as package:
        package.writestr("hello.txt", "hi")
    assert problems_of(plain) == [
        f"{plain}: is a zip file but not an Excel .xlsx workbook (no xl/workbook.xml)"
    ]
    binary = tmp_path / "binary.xlsx"
    with zipfile.ZipFile(binary, "w") as package:
        package.writestr("xl/workbook.bin", b"\0")
    assert problems_of(binary) == [
        f"{binary}: is a binary .xlsb workbook; save it as an Excel .xlsx workbook"
    ]


def test_truncated_workbook(workbook_path):
    path = workbook_path()
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    found = problems_of(path)
    assert len(found) == 1
    assert "xlsx" in found[0] and str(path) in found[0]


def test_reading_never_writes_the_input(workbook_path):
    path = workbook_path()
    before = path.read_bytes()
    load_workbook(path)
    assert path.read_bytes() == before
