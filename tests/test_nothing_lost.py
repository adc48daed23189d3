"""Nothing is lost and nothing from the input becomes a formula: a failure while a
report is written leaves the earlier report byte-identical and no temporary file; the
input is never touched; the sweep and comparison workbooks keep input text as text."""

from __future__ import annotations

import errno
import hashlib
import re
import zipfile

import pytest

from optimizer.cli import main
from tests.alliances import sheets
from tests.conftest import write_workbook

# Codes that a spreadsheet would take for formulas (a code starting with "=" is covered
# by test_report: the test workbooks write such a string as a formula).
NASTY = ["+1+1", "-2+3", "@SUM(A1)", "-A1", "\t=2+2", "\r-3+3"]
ITEM = [["I", "item", "units", False, 1, 1000, 0]]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def alliance(path, budget: float = 1500):
    """Allies named like formulas: A needs 150 from lines at 10 and 20."""
    return write_workbook(path, sheets(
        periods=["P1"], allies=[[NASTY[0]], [NASTY[1]]], items=ITEM,
        production=[[NASTY[2], NASTY[3], "I", 100, 10, 0], [NASTY[4], NASTY[5], "I", 100, 20, 0]],
        requirements=[[NASTY[0], "I", "P1", 150], [NASTY[1], "I", "P1", 20]],
        Budgets=[[NASTY[0], "P1", budget]]))


def formulas_in(path) -> list[str]:
    """The worksheets of a workbook that hold a formula cell (<f> in their XML)."""
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist()
                if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)
                and re.search(r"<f[ >]", archive.read(name).decode("utf-8"))]


@pytest.mark.parametrize("failing", ["close", "replace", "disk full"])
def test_a_failed_write_leaves_the_earlier_report_and_no_temporary_file(
        tmp_path, monkeypatch, capsys, failing):
    workbook = alliance(tmp_path / "a.xlsx")
    out = tmp_path / "out"
    assert main(["solve", str(workbook), "--out", str(out)]) == 0
    report = out / "a_report.xlsx"
    before, input_before = digest(report), digest(workbook)
    capsys.readouterr()
    import optimizer.outputs as outputs
    import optimizer.workbook.writer as excel

    if failing == "replace":
        def refuse(source, target):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        monkeypatch.setattr(outputs.os, "replace", refuse)
    else:
        error = (OSError(errno.ENOSPC, "No space left on device", str(report))
                 if failing == "disk full" else RuntimeError("the save failed"))

        def fail(self):
            raise error
        monkeypatch.setattr(excel.xlsxwriter.Workbook, "close", fail)
    code = main(["solve", str(workbook), "--out", str(out), "--set", "rules.work_share=false"])
    assert code != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if failing != "close":
        # The last line, after the stages of the run (shown when stderr is not a terminal).
        assert err.splitlines()[-1].startswith("error: ") and str(report) in err
    assert digest(report) == before
    assert sorted(p.name for p in out.iterdir()) == ["a_report.xlsx"]
    assert digest(workbook) == input_before


def test_the_sweep_and_comparison_workbooks_keep_input_text_as_text(tmp_path, capsys):
    workbook = alliance(tmp_path / "a.xlsx")
    cut = alliance(tmp_path / "b.xlsx", budget=750)
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[[scenario]]\nname = "=1+1"\ndescription = "@SUM(A1)"\n'
                         '[[scenario.edit]]\nkind = "scale_budget"\nfactor = 0.5\n'
                         f'ally = "{NASTY[0]}"\n', encoding="utf-8")
    assert main(["sweep", str(workbook), "--scenarios", str(scenarios),
                 "--out", str(tmp_path / "sweep")]) == 0
    assert main(["solve", str(workbook), "--out", str(tmp_path / "r")]) == 0
    assert main(["solve", str(cut), "--out", str(tmp_path / "r")]) == 0
    diff = tmp_path / "diff.xlsx"
    assert main(["compare", str(tmp_path / "r" / "a_report.xlsx"),
                 str(tmp_path / "r" / "b_report.xlsx"), "-o", str(diff)]) == 0
    for path in (tmp_path / "sweep" / "a_sweep.xlsx", diff, tmp_path / "r" / "a_report.xlsx"):
        assert formulas_in(path) == [], path
        text = strings_in(path)
        assert "<t>+1+1</t>" in text or "<t>=1+1</t>" in text, path
    # Codes are trimmed: a tab- or CR-prefixed formula arrives as "=2+2", and stays text.
    text = strings_in(tmp_path / "r" / "a_report.xlsx")
    assert "<t>=2+2</t>" in text and "<t>-3+3</t>" in text


def strings_in(path) -> str:
    """The XML of every text cell: shared strings and strings inline in the sheets."""
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                       if name.startswith("xl/worksheets/sheet")
                       or name == "xl/sharedStrings.xml")
