"""The command line: exit codes (SPEC §6) and sentences instead of tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import openpyxl
import pytest

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
    assert main(["validate", path]) == 0
    assert "one country only" not in capsys.readouterr().err
    assert main(["validate", path, "--set", "rules.max_supplier_share=0.5"]) == 3
    captured = capsys.readouterr()
    assert "item 'PAC3' is made in one country only (USA)" in captured.err
    # DEU must close 20 % of its PAC3 gap, but PAC3 is made in the USA only.
    assert captured.out.splitlines()[-1] == (
        "valid, but the solve will be infeasible: Requirements!D3: DEU must close 20 % of "
        "its gap of 20 PAC3 in 2027Q2 (Allies!D3), but only USA can deliver PAC3 to DEU, "
        "and rules.max_supplier_share = 0.5 lets no host country supply all of it")
    assert "1 warning" in captured.out


def test_usage_errors_exit_2(capsys):
    assert main(["generate", "x.xlsx", "--allies", "0", "--items", "1", "--lines", "1",
                 "--periods", "1"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def _solve_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", *args],
        capture_output=True, text=True, check=False,
    )


def test_solve_json_line_agrees_with_the_report(tmp_path):
    from openpyxl import load_workbook as open_xlsx

    from tests.conftest import write_workbook
    from tests.test_known_answers import gams_transport

    path = write_workbook(tmp_path / "transport.xlsx", gams_transport())
    before = path.read_bytes()
    result = _solve_cli(str(path), "--out", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["status"] == "optimal"
    assert summary["total_cost"] == pytest.approx(153.675, rel=1e-6)
    assert summary["report"] == str(tmp_path / "out" / "transport_report.xlsx")
    report = open_xlsx(summary["report"], read_only=True)
    values = {row[0]: row[1]
              for row in report["Summary"].iter_rows(min_row=2, values_only=True)}
    report.close()  # read-only workbooks hold their file open until closed
    assert values["status"] == "optimal"
    assert values["total_cost"] == pytest.approx(summary["total_cost"], rel=1e-12)
    assert values["weighted_shortfall"] == pytest.approx(summary["weighted_shortfall"],
                                                         abs=1e-12)
    assert path.read_bytes() == before  # the input is only read


def test_solve_prints_a_short_summary_table(tmp_path):
    """A needs 150 from one line of 100 at 10: cost 1,000, 50 short, a third of the gap
    open; the table names the report."""
    from tests.alliances import sheets
    from tests.conftest import write_workbook

    path = write_workbook(tmp_path / "short.xlsx", sheets(
        periods=["P1"], allies=[["A"]], items=[["I", "item", "units", False, 1, 1000, 0]],
        production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 150]]))
    result = _solve_cli(str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    rows: dict[str, str] = {}
    for line in result.stdout.splitlines()[1:]:  # the first of each (advice may wrap)
        rows.setdefault(line.split(maxsplit=1)[0], line)
    assert result.stdout.splitlines()[0] == "stockpile solve: short.xlsx"
    assert rows["status"].split()[1] == "optimal"
    assert rows["total"].split()[-1] == "1,000"
    assert rows["weighted"].split()[-1] == "50.00"
    assert rows["gaps"].split()[-1] == "66.7%"
    assert rows["targets"].endswith("0 of 1")
    assert result.stdout.splitlines()[-1] == f"report: {tmp_path / 'out' / 'short_report.xlsx'}"


def test_the_summary_table_names_the_currency_and_how_gaps_are_counted(tmp_path):
    """[report] currency = "EUR": a cost of 2.5 bn (100 at 25 M) reads "2.5 bn EUR";
    the share of gaps closed says it is weighted by priority."""
    from tests.alliances import sheets
    from tests.conftest import write_workbook

    path = write_workbook(tmp_path / "dear.xlsx", sheets(
        periods=["P1"], allies=[["A"]], items=[["I", "item", "units", False, 1, 1e9, 0]],
        production=[["L", "H", "I", 100, 25e6, 0]], requirements=[["A", "I", "P1", 150]]))
    result = _solve_cli(str(path), "--out", str(tmp_path / "out"), "--set",
                        "report.currency=EUR")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split() == ["total", "cost", "2.5", "bn", "EUR"] for line in lines), lines
    assert any(line.split()[:5] == ["gaps", "closed,", "weighted", "by", "priority"]
               and line.endswith("66.7%") for line in lines), lines


@pytest.mark.parametrize("value", ["12 EUR", "E,U", "EUROSSSSS", "=1", 5])
def test_a_currency_that_is_not_a_short_money_unit_is_refused(workbook_path, capsys, value):
    code = main(["validate", str(workbook_path()), "--set", f"report.currency={value}"])
    assert code == 2
    assert ("--set: report.currency must be blank or a short money unit: at most 8 letters "
            'or currency symbols, such as "EUR", "€" or "US$", got') in capsys.readouterr().err


def test_infeasible_solve_exits_3_and_writes_its_diagnosis_beside_the_report(tmp_path):
    from tests.alliances import sheets
    from tests.conftest import write_workbook

    path = write_workbook(tmp_path / "short.xlsx", sheets(
        periods=["P1", "P2"], allies=[["A"]], items=[["I"]],
        production=[["L", "H", "I", 100, 10, 1]], requirements=[["A", "I", "P2", 10]],
        Consumption=[["A", "I", "P1", 5]]))
    earlier = tmp_path / "short_report.xlsx"
    earlier.write_bytes(b"an earlier report with a plan")
    result = _solve_cli(str(path), "--out", str(tmp_path))
    assert result.returncode == 3
    assert "infeasible: the hard constraints cannot all hold" in result.stderr
    assert "Traceback" not in result.stderr
    diagnosis = tmp_path / "short_diagnosis.xlsx"
    assert f"diagnosis: {diagnosis}" in result.stdout
    assert "Diagnosis" in openpyxl.load_workbook(diagnosis, read_only=True).sheetnames
    assert earlier.read_bytes() == b"an earlier report with a plan"

    as_json = _solve_cli(str(path), "--out", str(tmp_path), "--json")
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout)["report"] == str(diagnosis)


def test_invalid_workbook_solve_exits_2_and_writes_nothing(tmp_path, workbook_path):
    def edit(sheets):
        sheets["Production"][1][3] = "ten"

    result = _solve_cli(str(workbook_path(edit)), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Production!D2: capacity must be a number >= 0, got 'ten'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_solver_is_refused_at_load_with_exit_2(workbook_path, tmp_path):
    """A name no solver has is a configuration error (exit 2), found before the workbook
    is read; a known solver that is not installed is a solver failure (exit 4,
    tests/test_solve_status.py)."""
    result = _solve_cli(str(workbook_path()), "--out", str(tmp_path), "--set",
                        "solver.name=nosuchsolver")
    assert result.returncode == 2
    assert ("--set: solver.name must be one of highs, highs_cmd, cbc, glpk, gurobi, "
            "gurobi_cmd, cplex, cplex_cmd, scip, xpress, copt, mosek (or the name of a PuLP "
            "solver class, e.g. COIN_CMD), got 'nosuchsolver'") in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_template_and_generate_commands_write_workbooks_that_validate(tmp_path, capsys):
    template = tmp_path / "template.xlsx"
    assert main(["template", str(template)]) == 0
    assert f"wrote the input template {template}" in capsys.readouterr().out
    assert main(["validate", str(template)]) == 0  # its example rows are a valid alliance
    assert ("warning: Periods!A2: row 2 is the template's example row"
            in capsys.readouterr().err)

    generated = tmp_path / "generated.xlsx"
    args = ["generate", str(generated), "--allies", "3", "--items", "4", "--lines", "6",
            "--periods", "4", "--seed", "7"]
    assert main(args) == 0
    assert main(["validate", str(generated)]) == 0
    first = generated.read_bytes()
    assert main(args) == 0
    assert capsys.readouterr().out.count("is valid: 3 allies, 4 items, 6 production lines") == 1
    from optimizer.workbook.validation import load_workbook

    again, _ = load_workbook(generated)
    assert len(first) > 0 and len(again.requirements) == 3 * 4 * 4


# --------------------------------------------------------------------------------------
# Progress on standard error when it is not a terminal (a pipe, a log, a scheduler)

# The seconds right-aligned in five characters, to a tenth: "[  3.2 s] ", "[ 61.0 s] ".
PROGRESS_LINE = re.compile(r"\[(?P<seconds>[ \d]{2}\d\.\d) s\] (?P<stage>.+)")


def _progress_run(tmp_path, command: str, *flags: str) -> subprocess.CompletedProcess:
    """``stockpile solve`` or ``sweep`` of a one-ally alliance, stderr piped."""
    from tests.alliances import sheets
    from tests.conftest import write_workbook

    path = tmp_path / "short.xlsx"
    if not path.exists():
        write_workbook(path, sheets(
            periods=["P1"], allies=[["A"]], items=[["I", "item", "units", False, 1, 1000, 0]],
            production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 150]]))
    sweep = ["--budget-scale", "0.5"] if command == "sweep" else []
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", command, str(path), *sweep,
         "--out", str(tmp_path / "out"), *flags],
        capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    return run


def _stages(stderr: str) -> list[tuple[float, str]]:
    """Every line of ``stderr`` as (seconds, stage); each must be a progress line."""
    found = [PROGRESS_LINE.fullmatch(line) for line in stderr.splitlines()]
    assert all(found), stderr
    return [(float(line["seconds"]), line["stage"]) for line in found]


STAGES = {"solve": ["reading the workbook", "building the model",
                    "solving phase 1 of 2 (least weighted shortfall)",
                    "solving phase 2 of 2 (least cost at that shortfall)",
                    "checking the solution against the input", "writing the report"],
          "sweep": ["sweep: 0/2 cases done (0 without a plan), 2 to go",
                    "sweep: 2/2 cases done (0 without a plan), 0 to go",
                    "writing the sweep workbook"]}


@pytest.mark.parametrize("command", ["solve", "sweep"])
def test_progress_without_a_terminal_is_one_line_per_stage_with_the_seconds(
        tmp_path, command):
    run = _progress_run(tmp_path, command)
    stages = _stages(run.stderr)
    names = [stage for _, stage in stages]
    assert [name for name in names if name in STAGES[command]] == STAGES[command]
    seconds = [elapsed for elapsed, _ in stages]
    assert seconds == sorted(seconds) and seconds[-1] < 60


@pytest.mark.parametrize("command", ["solve", "sweep"])
def test_json_prints_no_progress_unless_progress_is_given(tmp_path, command):
    quiet = _progress_run(tmp_path, command, "--json")
    assert quiet.stderr == ""
    json.loads(quiet.stdout)
    shown = _progress_run(tmp_path, command, "--json", "--progress")
    names = [stage for _, stage in _stages(shown.stderr)]
    assert [name for name in names if name in STAGES[command]] == STAGES[command]
    [line] = shown.stdout.splitlines()  # standard output is still the JSON line alone
    json.loads(line)
