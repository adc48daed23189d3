"""Fuzzing the reader: random mutations of a valid workbook — its cells, their types,
its sheet XML, the zip itself — are read or refused with sentences, never a traceback,
a hang or a crash.

CI runs a bounded campaign; a longer one runs with, for example::

    FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import write_workbook

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get(
    "FUZZ_EXAMPLES"), suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
SECONDS = 5.0  # a mutated 10 KB workbook is read or refused well within this


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """The bytes of a small valid workbook, and its parts."""
    path = write_workbook(tmp_path_factory.mktemp("fuzz") / "valid.xlsx", sheets(
        periods=["P1", "P2"], allies=[["A", "Alpha", 1e9, 0.1], ["B"]],
        items=[["I", "item", "units", True, 2, 1000, 1]],
        production=[["L", "H", "I", 100, 10, 1]],
        requirements=[["A", "I", "P2", 40], ["B", "I", "P2", 30]],
        Budgets=[["A", "P1", 500]], Consumption=[["B", "I", "P1", 0]]))
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return Valid(data, parts)


class Valid(tuple):
    """(bytes, parts) of the valid workbook, shown briefly in hypothesis's reports."""

    def __new__(cls, data: bytes, parts: dict[str, bytes]):
        return super().__new__(cls, (data, parts))

    def __repr__(self) -> str:
        return f"<valid workbook of {len(self[0]):,} bytes>"


def pack(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def read_or_refuse(tmp_path, content: bytes) -> None:
    """The contract: a result or an InputError whose problems are sentences."""
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(content)
    started = time.perf_counter()
    try:
        load_workbook(path)
    except InputError as error:
        assert error.problems and all(str(problem).strip() for problem in error.problems)
    assert time.perf_counter() - started < SECONDS
    assert path.read_bytes() == content  # only read


SHEET_PARTS = ["xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml",
               "xl/worksheets/sheet4.xml", "xl/sharedStrings.xml", "xl/workbook.xml"]


@FUZZ
@given(part=st.sampled_from(SHEET_PARTS), at=st.floats(0, 1), cut=st.integers(0, 40),
       insert=st.binary(max_size=40))
def test_mutated_sheet_xml_is_read_or_refused(tmp_path, valid, part, at, cut, insert):
    _, parts = valid
    if part not in parts:
        return
    xml = parts[part]
    position = int(at * len(xml))
    mutated = dict(parts, **{part: xml[:position] + insert + xml[position + cut:]})
    read_or_refuse(tmp_path, pack(mutated))


CELL_VALUES = st.one_of(
    # Text a workbook can hold (openpyxl refuses control characters, as Excel does).
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30),
    st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.sampled_from(["=1+1", "#N/A", "1e999", " 12 ", "2027-01-01"]))


@FUZZ
@given(sheet=st.sampled_from(["Allies", "Items", "Production", "Requirements", "Budgets"]),
       row=st.integers(1, 3), column=st.integers(0, 6), value=CELL_VALUES)
def test_a_cell_of_any_type_anywhere_is_read_or_refused(tmp_path, sheet, row, column, value):
    tables = sheets(
        periods=["P1", "P2"], allies=[["A", "Alpha", 1e9, 0.1], ["B"]],
        items=[["I", "item", "units", True, 2, 1000, 1]],
        production=[["L", "H", "I", 100, 10, 1]],
        requirements=[["A", "I", "P2", 40], ["B", "I", "P2", 30]], Budgets=[["A", "P1", 500]])
    rows = tables[sheet]
    while len(rows) <= row:
        rows.append([None] * len(rows[0]))
    cells = list(rows[row]) + [None] * max(0, column + 1 - len(rows[row]))
    cells[column] = value
    rows[row] = cells
    path = write_workbook(tmp_path / "cell.xlsx", tables)
    read_or_refuse(tmp_path, path.read_bytes())


@FUZZ
@given(at=st.floats(0, 1), flips=st.lists(st.integers(0, 255), min_size=1, max_size=8),
       truncate=st.booleans())
# Found by the fuzzing: the last bytes of the zip directory (an entry's offset) flipped.
@example(at=0.9999999999999999, flips=[0, 0], truncate=False)
def test_a_damaged_zip_is_refused(tmp_path, valid, at, flips, truncate):
    data, _ = valid
    position = int(at * (len(data) - len(flips)))
    damaged = bytearray(data)
    for offset, value in enumerate(flips):
        damaged[position + offset] ^= value or 1
    content = bytes(damaged[:position]) if truncate else bytes(damaged)
    read_or_refuse(tmp_path, content)
