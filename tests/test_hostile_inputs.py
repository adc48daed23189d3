"""Hostile and broken workbooks (issue 8): each is refused fast, in bounded memory, with
one sentence naming the file, exit code 2 and no traceback, and the file is left as it was.

Every hostile file is built here, from the valid alliance of ``tests.conftest``, and
kept small on disk: a zip bomb is a few kilobytes of deflated zeros, and a sheet that
reaches row 2,000,000 needs only one cell there.
"""

from __future__ import annotations

import hashlib
import resource
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.workbook import package
from optimizer.workbook.validation import load_workbook
from tests.conftest import valid_sheets, write_workbook

SECONDS = 2.0  # every refusal takes well under this, even on a busy two-core machine
PYTHON_PEAK_BYTES = 32 * 2**20  # Python allocations while refusing (tracemalloc)
PROCESS_GROWTH_BYTES = 200 * 2**20  # growth of the process's peak memory while refusing

LAUGHS = (  # the "billion laughs": ten nested entities, 10**9 copies of "lol" if expanded
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;")
                                   * 10)
        for level in range(1, 10)
    )
    + b"]>"
)


# --------------------------------------------------------------------------------------
# Helpers


def part_of(sheet: str) -> str:
    """The zip part openpyxl writes a sheet of ``valid_sheets`` to."""
    return f"xl/worksheets/sheet{list(valid_sheets()).index(sheet) + 1}.xml"


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def write_parts(path: Path, parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return path


def valid_parts(tmp_path: Path) -> dict[str, bytes]:
    return parts_of(write_workbook(tmp_path / "valid.xlsx", valid_sheets()))


def with_sheet_xml(tmp_path: Path, sheet: str, edit, name: str = "hostile.xlsx") -> Path:
    """The valid alliance with one sheet's XML replaced by ``edit(xml)``."""
    parts = valid_parts(tmp_path)
    parts[part_of(sheet)] = edit(parts[part_of(sheet)])
    return write_parts(tmp_path / name, parts)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, capsys, words: str) -> str:
    """Assert that ``path`` is refused with one sentence holding ``words``: through
    ``load_workbook`` (fast, in bounded memory) and through ``stockpile validate`` (exit
    code 2, the sentence on stderr, no traceback), the file unchanged. The sentence."""
    before = sha256(path)
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_workbook(path)
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"took {elapsed:.2f} s"
    problems = [str(problem) for problem in caught.value.problems]
    assert len(problems) == 1, problems
    sentence = problems[0]
    assert sentence.startswith(f"{path}: "), sentence
    assert words in sentence, sentence
    assert "\n" not in sentence

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            load_workbook(path)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_before
    assert python_peak < PYTHON_PEAK_BYTES, f"{python_peak / 2**20:.0f} MiB allocated"
    assert growth < PROCESS_GROWTH_BYTES, f"peak memory grew {growth / 2**20:.0f} MiB"

    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert sentence in err.splitlines()
    assert "1 problem found; nothing was solved or written" in err
    assert "Traceback" not in err
    assert sha256(path) == before
    return sentence


def patch_central_directory(path: Path, part: str, **fields: int) -> None:
    """Overwrite fields of one part's entry in the zip directory (``file_size``, ``crc``)
    without touching its data: a directory that lies."""
    content = bytearray(path.read_bytes())
    offsets = {"crc": 16, "file_size": 24}
    at = 0
    while (at := content.find(b"PK\x01\x02", at + 1)) >= 0:
        name_length = struct.unpack_from("<H", content, at + 28)[0]
        if content[at + 46:at + 46 + name_length].decode() == part:
            for field, value in fields.items():
                struct.pack_into("<I", content, at + offsets[field], value)
            path.write_bytes(bytes(content))
            return
    raise AssertionError(f"{part} not in the zip directory")


# --------------------------------------------------------------------------------------
# 1. Zip bombs: decided from the zip directory, before anything is inflated


def test_part_that_expands_more_than_the_ratio_cap_is_refused(tmp_path, capsys):
    path = write_parts(tmp_path / "bomb.xlsx", valid_parts(tmp_path))
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package,
        package.open("xl/media/padding.bin", "w") as part,
    ):
        for _ in range(64):  # 64 MiB of zeros
            part.write(bytes(2**20))
    assert path.stat().st_size < 200_000
    sentence = refused(path, capsys, "its part xl/media/padding.bin expands ")
    assert "to 64 MiB, more than the 200:1 of real workbooks (a zip bomb?)" in sentence


def test_total_expanded_size_above_the_cap_is_refused_from_the_directory_alone(
    tmp_path, capsys
):
    # The directory claims 3 GiB in three parts; the data is the small valid workbook. Only
    # the directory is read, so the claim alone is refused, whatever the data would give.
    path = write_parts(tmp_path / "big.xlsx", valid_parts(tmp_path))
    for sheet in ("Periods", "Allies", "Items"):
        patch_central_directory(path, part_of(sheet), file_size=2**30)
    refused(path, capsys, "is not read: it expands to 3,072 MiB, more than the 1,024 MiB a "
                          "workbook can reasonably hold (a zip bomb?)")


def test_part_that_expands_beyond_what_its_directory_entry_says_is_refused(tmp_path, capsys):
    # A lying directory entry would let a bomb pass the caps; the part's real bytes decide.
    parts = valid_parts(tmp_path)
    parts[part_of("Periods")] += b" " * 50_000  # still valid XML: trailing spaces
    path = write_parts(tmp_path / "lying.xlsx", parts)
    patch_central_directory(path, part_of("Periods"), file_size=1_000)
    refused(path, capsys, f"its part {part_of('Periods')} expands beyond the size its zip "
                          "directory gives")


def test_more_entries_than_the_cap_are_refused(tmp_path, capsys):
    path = write_parts(tmp_path / "many.xlsx", valid_parts(tmp_path))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as package:
        for number in range(10_001):
            package.writestr(f"customXml/item{number}.xml", b"")
    assert path.stat().st_size < 2_000_000
    sentence = refused(path, capsys, "is not read: its zip package has 10,0")
    assert "entries, more than the 10,000 a workbook can reasonably have" in sentence


def test_two_parts_with_the_same_name_are_refused(tmp_path, capsys):
    parts = valid_parts(tmp_path)
    path = write_parts(tmp_path / "twice.xlsx", parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: the point here
        with zipfile.ZipFile(path, "a") as package:
            package.writestr(part_of("Periods"), parts[part_of("Periods")])
    refused(path, capsys, f"its zip package holds two parts named {part_of('Periods')}")


# --------------------------------------------------------------------------------------
# 2. XML entity bombs: refused at the DTD, never expanded


@pytest.mark.parametrize("part", ["sheet", "xl/workbook.xml", "xl/sharedStrings.xml"])
def test_billion_laughs_is_refused_at_its_dtd(tmp_path, capsys, part):
    parts = valid_parts(tmp_path)
    if part == "sheet":
        part = part_of("Periods")
        parts[part] = LAUGHS + parts[part].replace(b"2027Q1", b"&lol9;")
    elif part == "xl/workbook.xml":
        parts[part] = LAUGHS + parts[part].replace(b'name="Allies"', b'name="&lol9;"')
    else:
        parts[part] = LAUGHS + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/' \
                               b'2006/main"><si><t>&lol9;</t></si></sst>'
    path = write_parts(tmp_path / "laughs.xlsx", parts)
    refused(path, capsys, f"its part {part} declares an XML DTD (<!DOCTYPE ...>), which Excel "
                          "never writes and which can hide an entity bomb")


def test_a_dtd_after_a_long_comment_is_found_too(tmp_path, capsys):
    def edit(xml):
        return b"<!--" + b"x" * 20_000 + b"-->" + LAUGHS + xml

    path = with_sheet_xml(tmp_path, "Items", edit)
    refused(path, capsys, f"its part {part_of('Items')} declares an XML DTD")


def test_openpyxl_parses_with_defusedxml_and_refuses_entities(tmp_path):
    import openpyxl.xml
    from defusedxml.common import DefusedXmlException
    from openpyxl.xml.functions import fromstring

    assert openpyxl.xml.DEFUSEDXML is True
    assert fromstring.__module__.startswith("defusedxml")
    parts = valid_parts(tmp_path)
    parts["xl/workbook.xml"] = LAUGHS + parts["xl/workbook.xml"].replace(
        b'name="Allies"', b'name="&lol9;"')
    path = write_parts(tmp_path / "laughs.xlsx", parts)
    started = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(path)
    assert isinstance(caught.value.__cause__, DefusedXmlException)
    assert time.perf_counter() - started < SECONDS


def test_utf16_sheet_is_refused_rather_than_read_as_empty(tmp_path, capsys):
    def edit(xml):
        return ('<?xml version="1.0" encoding="UTF-16"?>' + xml.decode()).encode("utf-16")

    path = with_sheet_xml(tmp_path, "Periods", edit)
    refused(path, capsys, f"its sheet part {part_of('Periods')} is UTF-16 XML")


# --------------------------------------------------------------------------------------
# 3. Sheets beyond the sheet caps, found without loading them


def far_cell(reference: str, row: int):
    """An edit that adds one cell at ``reference`` (in row ``row``) to a sheet."""

    def edit(xml: bytes) -> bytes:
        cell = f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", cell.encode() + b"</sheetData>")

    return edit


def test_sheet_reaching_row_two_million_is_refused(tmp_path, capsys):
    path = with_sheet_xml(tmp_path, "Requirements", far_cell("A2000000", 2_000_000))
    refused(path, capsys, "its sheet 'Requirements' reaches row 2,000,000, beyond the "
                          "1,048,576 rows an Excel sheet can hold")


def test_two_cells_far_apart_are_refused_before_calamine_allocates_the_grid(tmp_path, capsys):
    # A1 and XFD1048576: calamine would ask for 17 billion cells and abort the process.
    path = with_sheet_xml(tmp_path, "Periods", far_cell("XFD1048576", 1_048_576))
    assert path.stat().st_size < 20_000
    refused(path, capsys, "its sheet 'Periods' spans 1,048,576 rows by 16,384 columns "
                          "(17,179,869,184 cells counted from A1), more than the 16,777,216 "
                          "cells this program reads from one sheet")


def test_the_same_far_cell_exits_2_from_a_fresh_process(tmp_path):
    path = with_sheet_xml(tmp_path, "Periods", far_cell("XFD1048576", 1_048_576))
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", str(path)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 2, done.stderr
    assert "spans 1,048,576 rows by 16,384 columns" in done.stderr
    assert "Traceback" not in done.stderr


def test_column_beyond_xfd_is_refused(tmp_path, capsys):
    path = with_sheet_xml(tmp_path, "Allies", far_cell("XFE2", 2))
    refused(path, capsys, "its sheet 'Allies' reaches column 16,385, beyond the 16,384 columns")


def test_a_dimension_that_claims_the_whole_sheet_is_refused(tmp_path, capsys):
    # openpyxl pads every row it reads to the dimension's width.
    def edit(xml):
        return xml.replace(b'<dimension ref="A1:A3" />', b'<dimension ref="A1:XFD1048576" />')

    path = with_sheet_xml(tmp_path, "Periods", edit)
    refused(path, capsys, "its sheet 'Periods' spans 1,048,576 rows by 16,384 columns")


def test_rows_without_references_are_counted(tmp_path, capsys, monkeypatch):
    # Rows and cells may leave out r="…": they follow the row or cell before. Counting them
    # is what matters here, so the cap is lowered rather than a million rows written.
    monkeypatch.setattr(package, "MAX_SHEET_ROWS", 1_000)
    rows = b"".join(b"<row><c t=\"inlineStr\"><is><t>P%d</t></is></c></row>" % n
                    for n in range(1_500))

    def edit(xml):
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    path = with_sheet_xml(tmp_path, "Periods", edit)
    refused(path, capsys, "its sheet 'Periods' reaches row 1,503, beyond the 1,000 rows")


def test_cells_without_references_are_counted(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(package, "MAX_SHEET_CELLS", 10_000)
    cells = b"<c><v>1</v></c>" * 5_000  # one row, 5,000 cells wide, none with r="…"

    def edit(xml):
        return xml.replace(b"</sheetData>", b'<row r="3">' + cells + b"</row></sheetData>")

    path = with_sheet_xml(tmp_path, "Stocks", edit)
    refused(path, capsys, "its sheet 'Stocks' spans 3 rows by 5,000 columns")


def test_workbook_written_without_references_is_read_as_before(tmp_path):
    import re

    path = write_workbook(tmp_path / "a.xlsx", valid_sheets())
    expected, _ = load_workbook(path)
    parts = parts_of(path)
    for sheet, rows in valid_sheets().items():
        xml = re.sub(rb'<row r="[0-9]+"', b"<row", parts[part_of(sheet)])
        if not any(value is None for row in rows for value in row):  # no gaps to keep
            xml = re.sub(rb' r="[A-Z]+[0-9]+"', b"", xml)
        parts[part_of(sheet)] = xml
    assert b' r="' not in parts[part_of("Requirements")]
    data, warnings = load_workbook(write_parts(tmp_path / "b.xlsx", parts))
    for name in ("requirements", "production", "stocks", "allies"):
        assert getattr(data, name).equals(getattr(expected, name)), name
    assert data.periods == expected.periods
    assert [str(w) for w in warnings] == []


# --------------------------------------------------------------------------------------
# 4. Files that are not .xlsx workbooks, or not whole ones


def fake_ole2(*stream_names: str) -> bytes:
    """An OLE2 compound file's signature, with directory entries named as given (enough
    for the check, which looks for the EncryptionInfo stream of an encrypted .xlsx)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    entries = b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in stream_names)
    return header + entries + bytes(2048)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"ally,item\nPOL,155HE\n", "is not an Excel .xlsx workbook (it is not a zip package; "
                                    "a CSV or text file renamed to .xlsx?)"),
        (fake_ole2("Root Entry", "Workbook"), "is an old-style .xls workbook or a "
                                              "password-protected .xlsx; save it unprotected"),
        (fake_ole2("Root Entry", "EncryptionInfo", "EncryptedPackage"),
         "is a password-protected (encrypted) workbook, which cannot be read; open it in "
         "Excel, remove the password"),
    ],
    ids=["csv", "xls", "encrypted"],
)
def test_renamed_csv_xls_and_encrypted_workbooks(tmp_path, capsys, content, words):
    path = tmp_path / "input.xlsx"
    path.write_bytes(content)
    refused(path, capsys, words)


def test_renamed_xlsb(tmp_path, capsys):
    parts = {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00",
             "xl/worksheets/sheet1.bin": b"\x00" * 64}
    path = write_parts(tmp_path / "binary.xlsx", parts)
    refused(path, capsys, "is a binary .xlsb workbook; save it as an Excel .xlsx workbook")


def test_truncated_download(tmp_path, capsys):
    path = write_workbook(tmp_path / "cut.xlsx", valid_sheets())
    path.write_bytes(path.read_bytes()[:3_000])
    refused(path, capsys, "is not an Excel .xlsx workbook that can be read: it starts as one "
                          "but is cut short or damaged (its zip directory is missing)")


def test_corrupt_part(tmp_path, capsys):
    path = write_parts(tmp_path / "corrupt.xlsx", valid_parts(tmp_path))
    with zipfile.ZipFile(path) as package:
        info = package.getinfo(part_of("Production"))
    content = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename)
    for at in range(start + 10, start + 20):
        content[at] ^= 0xFF
    path.write_bytes(bytes(content))
    refused(path, capsys, f"is a damaged .xlsx file: its part {part_of('Production')} is "
                          "corrupt")


# --------------------------------------------------------------------------------------
# 5. Code cells: printable and short; numbers stored as text


def reported(path: Path, capsys, sentence: str) -> list[str]:
    """Assert that ``sentence`` is among the problems found in ``path`` (with the others
    found in the same pass), fast, and on stderr of ``stockpile validate`` with exit code 2
    and no traceback, the file unchanged. All the problems."""
    before = sha256(path)
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_workbook(path)
    assert time.perf_counter() - started < SECONDS
    problems = [str(problem) for problem in caught.value.problems]
    assert sentence in problems, problems
    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert sentence in err.splitlines()
    assert "Traceback" not in err
    assert sha256(path) == before
    return problems


def test_control_character_in_a_code_names_the_cell(tmp_path, capsys):
    # Excel writes a control character as _x0007_; calamine reads it back as \x07.
    def edit(xml):
        return xml.replace(b"155HE", b"155_x0007_HE", 1)

    reported(with_sheet_xml(tmp_path, "Items", edit), capsys,
             "Items!A2: item must be a code of printable characters, got '155\\x07HE', "
             "which holds the invisible character U+0007; retype the code")


def test_line_break_inside_a_code_names_the_cell(workbook_path, capsys):
    def edit(sheets):
        sheets["Allies"][1][0] = "PO\nL"

    reported(workbook_path(edit), capsys,
             "Allies!A2: ally must be a code of printable characters, got 'PO\\nL', which "
             "holds the invisible character U+000A; retype the code")


def test_a_32767_character_code_names_the_cell_once(workbook_path, capsys):
    def edit(sheets):
        sheets["Production"][1][0] = "F" * 32_767

    problems = reported(
        workbook_path(edit), capsys,
        "Production!A2: facility must be a code of at most 64 characters, got 32,767 "
        f"characters ('{'F' * 37}...'); type the code, not a description",
    )
    assert all(len(problem) < 300 for problem in problems)  # not repeated in full


def test_a_code_of_64_characters_is_accepted(workbook_path):
    long_code = "F1" + "-" * 62

    def edit(sheets):
        for name in ("Production", "Capacity", "Expansion"):
            for row in sheets[name][1:]:
                row[0] = long_code if row[0] == "F1" else row[0]

    data, _ = load_workbook(workbook_path(edit))
    assert len(long_code) == 64
    assert long_code in set(data.production["facility"])


def test_numbers_stored_as_text_are_read_as_numbers(workbook_path):
    def edit(sheets):
        sheets["Production"][1][3] = "100"
        sheets["Production"][2][4] = " 3500 "

    data, _ = load_workbook(workbook_path(edit))
    assert data.production.loc[0, "capacity"] == 100.0
    assert data.production.loc[1, "unit_cost"] == 3500.0


def test_a_date_stored_as_text_in_a_number_column_names_the_cell(workbook_path, capsys):
    def edit(sheets):
        sheets["Production"][1][3] = "2027-01-01"

    reported(workbook_path(edit), capsys,
             "Production!D2: capacity must be a number >= 0, got '2027-01-01'")


# --------------------------------------------------------------------------------------
# 6. A hidden required sheet is read, with a warning


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_required_sheet_is_read_with_a_warning(tmp_path, capsys, state):
    path = write_workbook(tmp_path / "hidden.xlsx", valid_sheets())
    workbook = openpyxl.load_workbook(path)
    workbook["Allies"].sheet_state = state
    workbook.save(path)
    before = sha256(path)
    started = time.perf_counter()
    data, warnings_ = load_workbook(path)
    assert time.perf_counter() - started < SECONDS
    assert list(data.allies["ally"]) == ["POL", "DEU"]
    warning = "warning: Allies: required sheet is hidden; it is read all the same"
    assert warning in [str(w) for w in warnings_]
    assert main(["validate", str(path)]) == 0
    assert warning in capsys.readouterr().err.splitlines()
    assert sha256(path) == before
