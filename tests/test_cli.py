"""The command line: exit codes (SPEC §6) and sentences instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys

from optimizer.cli import main


def test_validate_exit_codes(workbook_path, capsys):
    assert main(["validate", str(workbook_path())]) == 0
    out = capsys.readouterr().out
    assert "is valid: 2 allies, 2 items, 3 production lines, 2 periods, 2 readiness targets" in out

    def edit(sheets):
        sheets["Production"][1][3] = "ten"

    assert main(["validate", str(workbook_path(edit, "bad.xlsx"))]) == 2
    err = capsys.readouterr().err
    assert "Production!D2: capacity must be a number >= 0, got 'ten'" in err
    assert "1 problem found" in err
    assert "Traceback" not in err


def test_missing_file_is_invalid_input_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", str(tmp_path / "none.xlsx")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert f"{tmp_path / 'none.xlsx'}: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_override_is_invalid_input(workbook_path, capsys):
    code = main(["validate", str(workbook_path()), "--set", "rules.max_supplier_share=7"])
    assert code == 2
    assert "--set: rules.max_supplier_share must be in (0, 1], got 7.0" in capsys.readouterr().err


def test_policy_warnings_follow_the_overrides(workbook_path, capsys):
    path = str(workbook_path())
    assert main(["validate", path, "--set", "rules.max_supplier_share=0.5"]) == 0
    captured = capsys.readouterr()
    assert "item 'PAC3' is made in one country only (USA)" in captured.err
    assert "1 warning" in captured.out


def test_usage_errors_exit_2(capsys):
    assert main(["generate", "x.xlsx", "--allies", "0", "--items", "1", "--lines", "1",
                 "--periods", "1"]) == 2
    assert "must be at least 1" in capsys.readouterr().err
