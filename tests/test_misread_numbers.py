"""Numbers the reader would misread are refused (issue 14): a decimal comma or points
between thousands in a number typed as text, figures beyond the solver's reach (infinite,
1e20, 1e-300), and formula or error cells reported more than once. Each refusal names
the cell and the fix, and ends ``stockpile validate`` with exit code 2, never a traceback.

Every workbook is a real .xlsx: written with openpyxl from the valid alliance of
``tests.conftest``, and, where openpyxl cannot write the cell (an infinite number, a
formula with a saved error value), with the sheet's XML edited in the zip package.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.tolerance import LARGEST, SMALLEST
from optimizer.workbook.reader import MisreadNumber, parse_number
from optimizer.workbook.validation import load_workbook
from tests.conftest import valid_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[1]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook(path)
    return [str(problem) for problem in caught.value.problems]


def production_with(tmp_path: Path, **cells: object) -> Path:
    """The valid alliance with Production cells set, e.g. ``E2="4300,5"``."""
    sheets = valid_sheets()
    for reference, value in cells.items():
        column, row = reference[0], int(reference[1:])
        sheets["Production"][row - 1]["ABCDEF".index(column)] = value
    return write_workbook(tmp_path / "alliance.xlsx", sheets)


def with_production_xml(tmp_path: Path, replacements: dict[bytes, bytes]) -> Path:
    """The valid alliance with pieces of the Production sheet's XML replaced."""
    source = write_workbook(tmp_path / "source.xlsx", valid_sheets())
    part = f"xl/worksheets/sheet{list(valid_sheets()).index('Production') + 1}.xml"
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    for old, new in replacements.items():
        assert old in parts[part], old
        parts[part] = parts[part].replace(old, new)
    path = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return path


def validate_cli(path: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *options, "-m", "optimizer", "validate", str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )


def number_cell(reference: str, text: str) -> tuple[bytes, bytes]:
    """The XML of a Production cell as openpyxl writes the valid alliance's number there,
    and the same cell holding the number ``text`` as Excel's XML would store it."""
    values = {"D2": b"1000", "D3": b"800", "D4": b"10", "E2": b"3000"}
    return (f'<c r="{reference}" t="n"><v>'.encode() + values[reference] + b"</v></c>",
            f'<c r="{reference}"><v>{text}</v></c>'.encode())


# --------------------------------------------------------------------------------------
# 1. Numbers typed as text: commas only between groups of three


DECIMAL_COMMA = [
    ("4300,5", "4300.5"),
    ("0,5", "0.5"),
    ("12,5", "12.5"),
    ("1,20", "1.20"),
    ("1.200,5", "1200.5"),
    ("4 300,5", "4300.5"),
]


@pytest.mark.parametrize(("text", "meaning"), DECIMAL_COMMA)
def test_a_decimal_comma_is_refused_with_its_likely_meaning(tmp_path, text, meaning):
    problems = problems_of(production_with(tmp_path, E2=text))
    assert problems == [f"Production!E2: '{text}' is not a number here; if you mean "
                        f"{meaning}, write it with a point or as a number cell"]


def test_points_between_thousands_are_refused_with_the_whole_number(tmp_path):
    problems = problems_of(production_with(tmp_path, D3="1.200.000"))
    assert problems == ["Production!D3: '1.200.000' is not a number here; if you mean "
                        "1200000, write it as 1200000 or 1,200,000, or as a number cell"]


@pytest.mark.parametrize("text", ["1,23,456", "1.2.3", "5,"])
def test_number_like_text_without_a_likely_meaning_still_says_how_to_fix_it(tmp_path, text):
    problems = problems_of(production_with(tmp_path, E2=text))
    assert problems == [f"Production!E2: '{text}' is not a number here; make it a number "
                        "cell, or write it with a point before the decimals and commas only "
                        "between groups of three digits (1,234.5)"]


@pytest.mark.parametrize(("text", "number"), [
    ("12,000", 12_000.0), ("1,234,567.5", 1_234_567.5), (" 3500 ", 3500.0), ("1e3", 1000.0),
    ("0.5", 0.5), (".5", 0.5), ("12,000.25", 12_000.25),
])
def test_thousands_separators_in_groups_of_three_are_read(tmp_path, text, number):
    data, _ = load_workbook(production_with(tmp_path, E2=text))
    assert data.production.loc[0, "unit_cost"] == number


def test_parse_number_is_the_one_reading_of_number_text():
    assert parse_number("-1,234") == -1234.0
    assert parse_number("ten") is None
    assert parse_number("nan") is None
    assert parse_number(True) is None
    assert parse_number("Infinity") == float("inf")
    with pytest.raises(MisreadNumber) as caught:
        parse_number("1.234.567,89")
    assert caught.value.meaning == "1234567.89"


def test_a_decimal_comma_exits_2_from_the_command_line(tmp_path):
    result = validate_cli(production_with(tmp_path, E2="4300,5"))
    assert result.returncode == 2
    assert ("Production!E2: '4300,5' is not a number here; if you mean 4300.5, write it "
            "with a point or as a number cell") in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------
# 2. Figures the solver takes as infinite, and NaN


TOO_LARGE = ("is too large for the solver (at most 1e+15); give a realistic figure, or "
             "state the column in a coarser unit (thousands, millions)")


def test_a_capacity_of_1e20_is_refused_at_load_naming_the_cell(tmp_path):
    assert problems_of(production_with(tmp_path, D3=1e20)) == [
        f"Production!D3: capacity 1e+20 {TOO_LARGE}"]


def test_infinite_and_nan_number_cells_are_refused(tmp_path):
    path = with_production_xml(tmp_path, dict([
        number_cell("D2", "1e400"), number_cell("D3", "NaN"), number_cell("D4", "INF")]))
    assert problems_of(path) == [
        f"Production!D2: capacity inf {TOO_LARGE}",
        "Production!D3: capacity must be a number >= 0, got nan",
        f"Production!D4: capacity inf {TOO_LARGE}",
    ]


@pytest.mark.parametrize(("text", "sentence"), [
    ("inf", f"capacity 'inf' {TOO_LARGE}"),
    ("Infinity", f"capacity 'Infinity' {TOO_LARGE}"),
    ("1e20", f"capacity '1e20' {TOO_LARGE}"),
    ("nan", "capacity must be a number >= 0, got 'nan'"),
    ("-inf", "capacity must be a number >= 0, got '-inf'"),
])
def test_inf_and_nan_typed_as_text_are_refused(tmp_path, text, sentence):
    assert problems_of(production_with(tmp_path, D2=text)) == [f"Production!D2: {sentence}"]


def test_the_largest_figure_is_accepted_and_one_above_it_is_not(tmp_path):
    data, _ = load_workbook(production_with(tmp_path, D2=LARGEST))
    assert data.production.loc[0, "capacity"] == LARGEST
    assert problems_of(production_with(tmp_path, D2=2 * LARGEST)) == [
        f"Production!D2: capacity 2e+15 {TOO_LARGE}"]


def test_a_figure_of_1e20_exits_2_from_the_command_line(tmp_path):
    result = validate_cli(production_with(tmp_path, D3=1e20))
    assert result.returncode == 2
    assert f"Production!D3: capacity 1e+20 {TOO_LARGE}" in result.stderr.splitlines()
    assert "kModelEmpty" not in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------
# 5. Figures too small to tell from 0: refused, and no RuntimeWarning escapes


TOO_SMALL = "is too small to be distinguished from 0 (at least 1e-09); write 0 or a larger value"


def test_a_cost_of_1e300_is_refused_with_a_sentence_not_a_runtime_warning(tmp_path):
    path = production_with(tmp_path, E2=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert problems_of(path) == [f"Production!E2: unit_cost 1e-300 {TOO_SMALL}"]
    result = validate_cli(path, "-W", "error::RuntimeWarning")
    assert result.returncode == 2
    assert f"Production!E2: unit_cost 1e-300 {TOO_SMALL}" in result.stderr.splitlines()
    assert "RuntimeWarning" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_extremes_the_reader_accepts_give_a_finite_spread_warning(tmp_path):
    """The smallest and the largest figure accepted are 1e24 apart: the spread warning
    states it, with no overflow on the way."""
    path = production_with(tmp_path, E2=SMALLEST, E3=LARGEST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _, found = load_workbook(path)
    assert any("money figures span 1e+24" in str(warning) for warning in found)
    result = validate_cli(path, "-W", "error::RuntimeWarning")
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr


# --------------------------------------------------------------------------------------
# 6. A formula or error cell is reported once


NO_SAVED_VALUE = ("is a formula with no saved value; open the workbook in Excel, let it "
                  "calculate and save it, or type the value")


def test_formula_without_a_saved_value_is_reported_once(tmp_path):
    sheets = valid_sheets()
    sheets["Production"][1][3] = "=A1+1"  # a required column
    sheets["Production"][2][5] = "=A1+1"  # an optional one
    problems = problems_of(write_workbook(tmp_path / "formula.xlsx", sheets))
    assert problems == [f"Production!D2: capacity {NO_SAVED_VALUE}",
                        f"Production!F3: lead_time {NO_SAVED_VALUE}"]


def test_a_formula_with_a_saved_error_value_is_reported_once(tmp_path):
    path = with_production_xml(tmp_path, {
        b'<c r="D2" t="n"><v>1000</v></c>': b'<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        b'<c r="A3" t="inlineStr"><is><t>F2</t></is></c>':
            b'<c r="A3" t="e"><v>#N/A</v></c>',
    })
    problems = problems_of(path)
    assert problems == ["Production!D2: capacity is an error value (#DIV/0!), not data",
                        "Production!A3: facility is an error value (#N/A), not data"]
    result = validate_cli(path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line for line in lines if "Production!" in line] == problems
    assert "2 problems found; nothing was solved or written" in lines
    assert "Traceback" not in result.stderr


def test_misread_text_and_a_formula_in_one_column_get_one_sentence_each(tmp_path, capsys):
    sheets = valid_sheets()
    sheets["Production"][1][4] = "=B2*2"
    sheets["Production"][2][4] = "3500,5"
    problems = problems_of(write_workbook(tmp_path / "both.xlsx", sheets))
    assert problems == [
        f"Production!E2: unit_cost {NO_SAVED_VALUE}",
        "Production!E3: '3500,5' is not a number here; if you mean 3500.5, write it with a "
        "point or as a number cell",
    ]
    assert main(["validate", str(tmp_path / "both.xlsx")]) == 2
    assert "2 problems found" in capsys.readouterr().err
