"""The empty input workbook (``optimizer.workbook.template``): sheets, headers, README, data
validation, and a round trip through openpyxl and the reader."""

from __future__ import annotations

import math
import subprocess
import sys

import openpyxl
import pytest

from optimizer.errors import InputError
from optimizer.workbook.data import column_letter
from optimizer.workbook.schema import SHEETS, SHEETS_BY_NAME, Kind
from optimizer.workbook.template import LAST_DATA_ROW, WITHOUT_EXAMPLE, write_template
from optimizer.workbook.validation import load_workbook


@pytest.fixture(scope="module")
def template_path(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


@pytest.fixture(scope="module")
def template(template_path):
    workbook = openpyxl.load_workbook(template_path)
    yield workbook
    workbook.close()


def validations(workbook, sheet_name: str) -> dict[str, object]:
    """The data validations of a sheet by the range they cover, e.g. 'C2:C10000'."""
    return {str(dv.sqref): dv for dv in workbook[sheet_name].data_validations.dataValidation}


def data_range(sheet_name: str, column: str) -> str:
    letter = column_letter(SHEETS_BY_NAME[sheet_name].column_names.index(column))
    return f"{letter}2:{letter}{LAST_DATA_ROW}"


# --- sheets, headers and README ------------------------------------------------------------


def test_every_sheet_in_schema_order_after_the_readme(template):
    assert template.sheetnames == ["README"] + [s.name for s in SHEETS]


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_exact_headers_frozen_with_notes_and_one_example_row(template, sheet):
    worksheet = template[sheet.name]
    headers = [cell.value for cell in worksheet[1]]
    assert headers == sheet.column_names
    assert worksheet.freeze_panes == "A2"
    # Headers and the example row; Funding's would need a second ally.
    assert worksheet.max_row == (1 if sheet.name in WITHOUT_EXAMPLE else 2)
    for cell, column in zip(worksheet[1], sheet.columns, strict=True):
        assert cell.comment is not None
        assert column.description in cell.comment.text
        assert ("Required" in cell.comment.text) == column.required
    if sheet.name in WITHOUT_EXAMPLE:
        return
    codes = [cell.value for cell, column in zip(worksheet[2], sheet.columns, strict=True)
             if column.kind is Kind.CODE and cell.value is not None]
    assert codes and all(code.startswith("EXAMPLE-") for code in codes)
    noted = [cell for cell in worksheet[2] if cell.comment is not None]
    assert len(noted) == 1 and "Example row: replace it" in noted[0].comment.text


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_only_the_required_columns_have_bold_headers(template, sheet):
    bold = {cell.value: bool(cell.font.b) for cell in template[sheet.name][1]}
    assert bold == {column.name: column.required for column in sheet.columns}


def test_readme_explains_every_sheet_and_column(template):
    rows = [tuple(c for c in row) for row in template["README"].iter_rows(values_only=True)]
    text = "\n".join(" | ".join(str(c) for c in row if c) for row in rows)
    assert "Blank rows are skipped" in text
    assert "Codes" in text and "read as its text" in text
    assert "TRUE/FALSE, yes/no, 1/0" in text
    for sheet in SHEETS:
        sheet_rows = [row for row in rows if row[0] == sheet.name]
        assert any(sheet.description in str(row) for row in sheet_rows), sheet.name
        for column in sheet.columns:
            matches = [row for row in sheet_rows if row[1] == column.name]
            assert len(matches) == 1, (sheet.name, column.name)
            _, _, meaning, status, kind, default = matches[0][:6]
            assert column.description in meaning
            assert status == ("required" if column.required else "optional")
            assert kind  # e.g. "number >= 0 (money per unit)"
            assert default
    production_lead = next(r for r in rows if r[:2] == ("Production", "lead_time"))
    assert production_lead[3:6] == ("optional", "whole number from 0 to 10,000 (periods)", "0")
    expansion_lead = next(r for r in rows if r[:2] == ("Expansion", "lead_time"))
    assert expansion_lead[5] == "1"
    integer = next(r for r in rows if r[:2] == ("Items", "integer"))
    assert integer[5] == "FALSE"
    assert "Required columns have bold headers." in text
    assert "Row 2 of every sheet is an example, its codes starting EXAMPLE-" in text
    assert ("(Funding: none, as it would need a second ally; BillOfMaterials, "
            "IndustryStocks: none, as they would need a component: a second item, with a "
            "line of its own)") in text
    assert "the components lines use up (bills of materials)" in text


def test_readme_rows_of_wrapped_text_are_as_tall_as_their_lines(template):
    """LibreOffice does not grow a row to fit its wrapped text: the template sets it."""
    readme = template["README"]
    widths = {cell.column_letter: readme.column_dimensions[cell.column_letter].width
              for cell in readme[1]} | {
        letter: readme.column_dimensions[letter].width for letter in "ABCDEF"}
    checked = 0
    for row in readme.iter_rows(min_row=2):
        longest = max((len(str(cell.value)) / widths[cell.column_letter]
                       for cell in row if cell.value), default=0)
        height = readme.row_dimensions[row[0].row].height
        if longest > 1.5:  # more than one line at any reading of the width
            assert height is not None and height > 15, (row[0].row, row[2].value)
            checked += 1
        elif longest < 0.5:
            assert height is None or height <= 15, row[0].row
    assert checked >= 10


def test_messages_use_the_right_article(template):
    requirements = {str(dv.sqref): dv for dv in
                    template["Requirements"].data_validations.dataValidation}
    item = requirements[data_range("Requirements", "item")]
    assert item.error.startswith("item should be an item code listed in Items.")
    ally = requirements[data_range("Requirements", "ally")]
    assert ally.error.startswith("ally should be an ally code listed in Allies.")
    target = requirements[data_range("Requirements", "target")]
    assert target.error.startswith("target should be a number >= 0.")


# --- data validation -----------------------------------------------------------------------


def test_number_column_accepts_decimals_at_least_zero(template):
    dv = validations(template, "Production")[data_range("Production", "capacity")]
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert dv.errorStyle == "warning"
    assert dv.showErrorMessage and dv.showInputMessage
    assert dv.prompt.startswith(SHEETS_BY_NAME["Production"].column("capacity").description)


def test_whole_column_accepts_whole_numbers_at_least_zero(template):
    dv = validations(template, "Expansion")[data_range("Expansion", "lead_time")]
    assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")


def test_share_column_accepts_zero_to_one(template):
    dv = validations(template, "Allies")[data_range("Allies", "min_gap_closure")]
    assert dv.type == "decimal"
    assert dv.operator in (None, "between")  # Excel's default operator is "between"
    assert (dv.formula1, dv.formula2) == ("0", "1")


def test_boolean_column_is_a_true_false_list(template):
    dv = validations(template, "Items")[data_range("Items", "integer")]
    assert dv.type == "list"
    assert dv.formula1 == '"TRUE,FALSE"'


def test_reference_column_lists_the_defining_sheet_and_only_warns(template):
    dv = validations(template, "Requirements")[data_range("Requirements", "ally")]
    assert dv.type == "list"
    assert dv.formula1 == f"Allies!$A$2:$A${LAST_DATA_ROW}"
    assert dv.errorStyle == "warning"  # pasting unknown codes is not blocked
    assert dv.promptTitle == "ally"
    expansion = validations(template, "Expansion")
    assert expansion[data_range("Expansion", "payer")].formula1.startswith("Allies!$A$2")
    assert expansion[data_range("Expansion", "item")].formula1.startswith("Items!$A$2")
    capacity = validations(template, "Capacity")
    assert capacity[data_range("Capacity", "period")].formula1.startswith("Periods!$A$2")
    targets = validations(template, "CapabilityTargets")
    platform = targets[data_range("CapabilityTargets", "platform")]
    assert platform.formula1 == f"Platforms!$B$2:$B${LAST_DATA_ROW}"  # not Platforms' key
    assert platform.error.startswith("platform should be a platform code listed in Platforms.")


def test_every_typed_column_has_its_validation(template):
    expected_type = {Kind.NUMBER: "decimal", Kind.WHOLE: "whole", Kind.SHARE: "decimal",
                     Kind.BOOLEAN: "list"}
    for sheet in SHEETS:
        found = validations(template, sheet.name)
        for column in sheet.columns:
            dv = found.get(data_range(sheet.name, column.name))
            if column.kind in expected_type:
                assert dv is not None and dv.type == expected_type[column.kind], column
            elif column.refers_to in ("ally", "item", "period", "facility", "platform",
                                          "framework"):
                assert dv is not None and dv.type == "list", column
            else:  # free codes and texts (facility names, hosts, countries) are not listed
                assert dv is None, column


# --- reading the template ------------------------------------------------------------------


def test_the_template_validates_with_a_warning_naming_each_example_row(template_path):
    run = subprocess.run([sys.executable, "-m", "optimizer", "validate", str(template_path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith(
        "1 readiness targets, 1 capability targets, 1 alliance targets; "
        f"{len(SHEETS) - len(WITHOUT_EXAMPLE)} warnings")
    warnings = run.stderr.splitlines()
    assert len(warnings) == len(SHEETS) - len(WITHOUT_EXAMPLE)
    assert warnings[1] == ("warning: Allies!A2: row 2 is the template's example row (ally "
                           "'EXAMPLE-POL'); replace it with your own data or delete the row")
    assert warnings[-4].startswith("warning: CapabilityTargets!A2: row 2 is the template's "
                                   "example row (ally 'EXAMPLE-POL')")
    assert warnings[-3].startswith("warning: AllianceTargets!A2: row 2 is the template's "
                                   "example row (item 'EXAMPLE-155HE')")
    assert warnings[-2].startswith("warning: Frameworks!A2: row 2 is the template's "
                                   "example row (framework 'EXAMPLE-NSPA')")
    assert warnings[-1].startswith("warning: FrameworkMembers!A2: row 2 is the template's "
                                   "example row (framework 'EXAMPLE-NSPA')")
    with_example = [sheet for sheet in SHEETS if sheet.name not in WITHOUT_EXAMPLE]
    for sheet, warning in zip(with_example, warnings, strict=True):
        assert warning.startswith(f"warning: {sheet.name}!"), warning


def test_an_example_row_left_among_data_is_named_by_its_row(template_path, tmp_path):
    workbook = openpyxl.load_workbook(template_path)
    workbook["Periods"].insert_rows(2)
    workbook["Periods"]["A2"] = "2026Q4"
    workbook["Budgets"].insert_rows(2)
    for cell, value in zip(workbook["Budgets"][2], ["EXAMPLE-POL", "2026Q4", 1000],
                           strict=True):
        cell.value = value  # a row that still names the example ally
    path = tmp_path / "partly.xlsx"
    workbook.save(path)
    workbook.close()
    data, warnings = load_workbook(path)
    assert data.periods == ("2026Q4", "EXAMPLE-2027Q1")
    found = {w.where: w.message for w in warnings}
    assert found["Periods!A3"].startswith("row 3 is the template's example row")
    assert "Periods!A2" not in found
    assert found["Budgets!A2"] == ("row 2 is the template's example row (ally 'EXAMPLE-POL'); "
                                   "replace it with your own data or delete the row")
    assert found["Budgets!A3"].startswith("row 3 is the template's example row")


def test_emptied_template_fails_naming_the_sheets_that_need_rows(template_path, tmp_path):
    workbook = openpyxl.load_workbook(template_path)
    for sheet in SHEETS:
        workbook[sheet.name].delete_rows(2)
    path = tmp_path / "emptied.xlsx"
    workbook.save(path)
    workbook.close()
    with pytest.raises(InputError) as caught:
        load_workbook(path)
    messages = sorted(str(p) for p in caught.value.problems)
    assert messages == sorted(
        f"{name}!A2: sheet {name} has no rows; it needs at least one"
        for name in ("Periods", "Allies", "Items")
    )


ROWS = {
    "Periods": [{"period": "2027Q1"}, {"period": "2027Q2"}],
    "Allies": [
        {"ally": "POL", "name": "Poland", "gdp": 750, "min_gap_closure": 0.5,
         "work_share_min": 0.1},
        {"ally": "DEU", "name": "Germany", "gdp": 4100},
    ],
    "Items": [
        {"item": "155HE", "name": "155 mm HE shell", "unit": "rounds"},
        {"item": "PAC3", "name": "PAC-3 MSE", "unit": "missiles", "integer": True,
         "priority": 5, "shortfall_penalty": 1e8, "holding_cost": 100},
        {"item": "TNT", "name": "TNT", "unit": "kg"},
    ],
    "Production": [
        {"facility": "F1", "host": "POL", "item": "155HE", "capacity": 1000,
         "unit_cost": 3000},
        {"facility": 101, "host": "USA", "item": "PAC3", "capacity": 10, "unit_cost": 4e6,
         "lead_time": 2},
        {"facility": "T1", "host": "POL", "item": "TNT", "capacity": 5000, "unit_cost": 8},
    ],
    "Capacity": [{"facility": "F1", "item": "155HE", "period": "2027Q1", "capacity": 500}],
    "Expansion": [{"facility": "F1", "item": "155HE", "max_extra": 500,
                   "cost_per_unit": 20000, "payer": "POL"}],
    "Requirements": [
        {"ally": "POL", "item": "155HE", "period": "2027Q2", "target": 3000},
        {"ally": "DEU", "item": "PAC3", "period": "2027Q2", "target": 20},
    ],
    "Stocks": [{"ally": "POL", "item": "155HE", "on_hand": 200}],
    "Consumption": [{"ally": "POL", "item": "155HE", "period": "2027Q1", "quantity": 50}],
    "Budgets": [{"ally": "POL", "period": "2027Q1", "budget": 5e6}],
    "Transport": [{"from": "USA", "to": "DEU", "cost_per_unit": 1000}],
    "Restrictions": [{"host": "USA", "ally": "POL"}],
    "Platforms": [{"ally": "POL", "platform": "KRAB"}, {"ally": "DEU", "platform": "PZH2000",
                                                        "priority": 2}],
    "Compatibility": [{"platform": "KRAB", "item": "155HE"},
                      {"platform": "PZH2000", "item": "155HE", "factor": 0.9},
                      {"platform": "KRAB", "item": "PAC3", "qualified": "no"}],
    "CapabilityTargets": [{"ally": "POL", "platform": "KRAB", "period": "2027Q2",
                           "target": 2500}],
    "AllianceTargets": [{"item": "155HE", "period": "2027Q2", "target": 4000}],
    "Frameworks": [{"framework": "NSPA-155", "facility": "F1", "item": "155HE",
                    "lead": "POL"}],
    "FrameworkMembers": [{"framework": "NSPA-155", "ally": "DEU"}],
    "BillOfMaterials": [{"facility": "F1", "item": "155HE", "component": "TNT",
                         "quantity": 1.8}],
    "IndustryStocks": [{"component": "TNT"}],
}


@pytest.fixture
def filled_path(template_path, tmp_path):
    """The template filled in with openpyxl, as an analyst would: the example row
    deleted, then the data, with a blank row too."""
    workbook = openpyxl.load_workbook(template_path)
    for sheet_name, records in ROWS.items():
        worksheet = workbook[sheet_name]
        worksheet.delete_rows(2)
        position = {cell.value: cell.column for cell in worksheet[1]}
        row = 2
        for record in records:
            if sheet_name == "Periods" and row == 3:
                row += 1  # a blank row between the periods: skipped
            for column, value in record.items():
                worksheet.cell(row=row, column=position[column], value=value)
            row += 1
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    workbook.close()
    return path


def test_filled_template_loads_with_typed_values_and_defaults(filled_path):
    data, warnings = load_workbook(filled_path)
    assert warnings == []
    assert data.periods == ("2027Q1", "2027Q2")

    allies = data.allies.set_index("ally")
    assert list(allies.index) == ["POL", "DEU"]
    assert allies.loc["POL", "name"] == "Poland"
    assert allies.loc["POL", "gdp"] == 750.0
    assert allies.loc["POL", "min_gap_closure"] == 0.5
    assert math.isnan(allies.loc["DEU", "min_gap_closure"])  # blank: the configuration's
    assert math.isnan(allies.loc["DEU", "work_share_min"])

    items = data.items.set_index("item")
    assert not items.loc["155HE", "integer"]  # default FALSE
    assert items.loc["PAC3", "integer"]
    assert data.items["integer"].dtype == bool
    assert items.loc["155HE", "priority"] == 1.0  # default
    assert items.loc["155HE", "holding_cost"] == 0.0  # default
    assert math.isnan(items.loc["155HE", "shortfall_penalty"])
    assert items.loc["PAC3", "shortfall_penalty"] == 1e8

    production = data.production.set_index("facility")
    assert list(production.index) == ["F1", "101", "T1"]  # a number in a code column: text
    assert all(isinstance(code, str) for code in production.index)
    assert production.loc["F1", "lead_time"] == 0  # default
    assert production.loc["101", "lead_time"] == 2
    assert data.production["lead_time"].dtype == "int64"
    assert production.loc["101", "unit_cost"] == 4e6

    assert data.capacity[["facility", "item", "period", "capacity"]].values.tolist() == [
        ["F1", "155HE", "2027Q1", 500.0]
    ]
    expansion = data.expansion.iloc[0]
    assert expansion["lead_time"] == 1  # Expansion's own default
    assert expansion["payer"] == "POL"
    assert expansion["cost_per_unit"] == 20000.0
    assert data.requirements["target"].tolist() == [3000.0, 20.0]
    assert data.stocks["on_hand"].tolist() == [200.0]
    assert data.consumption["quantity"].tolist() == [50.0]
    assert data.budgets["budget"].tolist() == [5e6]
    transport = data.transport.iloc[0]
    assert (transport["from"], transport["to"], transport["cost_per_unit"]) == ("USA", "DEU", 1000)
    assert transport["item"] is None
    assert transport["lead_time"] == 0  # default
    restriction = data.restrictions.iloc[0]
    assert (restriction["host"], restriction["ally"]) == ("USA", "POL")
    assert restriction["facility"] is None and restriction["item"] is None
    assert data.platforms["priority"].tolist() == [1.0, 2.0]  # default 1
    compatibility = data.compatibility.set_index(["platform", "item"])
    assert compatibility["factor"].tolist() == [1.0, 0.9, 1.0]  # default 1
    assert compatibility["qualified"].tolist() == [True, True, False]  # default TRUE
    assert data.capability_targets[["ally", "platform", "period", "target"]].values.tolist() == [
        ["POL", "KRAB", "2027Q2", 2500.0]]
    target = data.alliance_targets.iloc[0]
    assert (target["item"], target["period"], target["target"]) == ("155HE", "2027Q2", 4000.0)
    assert math.isnan(target["priority"])  # blank: the item's
    assert data.allies["fair_share"].isna().all()  # blank: gdp / total gdp
    framework = data.frameworks.iloc[0]
    assert (framework["framework"], framework["facility"], framework["item"],
            framework["lead"]) == ("NSPA-155", "F1", "155HE", "POL")
    assert math.isnan(framework["unit_price"])  # blank: the line's unit_cost
    assert framework["fee_per_unit"] == 0.0
    assert data.framework_members[["framework", "ally"]].values.tolist() == [
        ["NSPA-155", "DEU"]]
    assert data.bill_of_materials[["facility", "item", "component", "quantity"]] \
        .values.tolist() == [["F1", "155HE", "TNT", 1.8]]
    assert data.industry_stocks[["component", "on_hand"]].values.tolist() == [
        ["TNT", 0.0]]  # default 0


def test_filled_template_keeps_its_validation_and_readme(filled_path):
    workbook = openpyxl.load_workbook(filled_path)
    try:
        assert workbook.sheetnames[0] == "README"
        assert validations(workbook, "Production")[data_range("Production", "capacity")]
    finally:
        workbook.close()
