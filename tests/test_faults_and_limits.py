"""Faults and limits (issue 14): only regular files are read, a file name that is not
UTF-8 reads normally and is shown escaped, configuration values and scenario edits are
held to the solver's reach as cells are, and solver options are checked at load. Each
refusal is one sentence naming what to fix, exit code 2 from the command line, never a
traceback.

The command line runs in a fresh process with ``-W error::RuntimeWarning`` (a warning
would end it with a traceback) and a timeout: reading a FIFO or a device would hang or
grow memory without end, and the test must fail rather than hang with it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook as open_xlsx

from optimizer.cli import main
from optimizer.config import MAX_THREADS, load_config
from optimizer.errors import InputError
from optimizer.files import shown_path, shown_text
from optimizer.scenarios.edits import load_scenarios, scaled
from optimizer.tolerance import LARGEST, SMALLEST
from optimizer.workbook.synthetic import generate_workbook
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import valid_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 30  # a refusal takes well under a second; a hang is stopped at this
NOT_REGULAR = "not a regular file; give the path of an .xlsx workbook"


def stockpile(*args: str | bytes | Path, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess:
    """``python -m optimizer ARGS`` in a fresh process, a RuntimeWarning an error, output
    as bytes; ``env`` is added to the environment."""
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "optimizer", *args],
        capture_output=True, check=False, cwd=ROOT, timeout=SECONDS,
        env={**os.environ, **(env or {})})


def refused_by_cli(result: subprocess.CompletedProcess, *sentences: str) -> None:
    err = result.stderr.decode("utf-8", "backslashreplace")
    assert result.returncode == 2, err
    for sentence in sentences:
        assert sentence in err.splitlines(), err
    count = len(sentences)
    assert f"{count} problem{'s' * (count != 1)} found; nothing was solved or written" in err
    assert "Traceback" not in err


def undecodable(folder: Path, name: bytes) -> Path:
    """The path of a file in ``folder`` whose name holds bytes that are not UTF-8."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    workbook = open_xlsx(path, read_only=True)
    try:
        return [tuple(row) for row in workbook[sheet].values]
    finally:
        workbook.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The report of a small generated alliance, solved once for the module."""
    folder = tmp_path_factory.mktemp("report")
    workbook = generate_workbook(folder / "alliance.xlsx", 2, 2, 3, 2, seed=1)
    assert main(["solve", str(workbook), "--out", str(folder)]) == 0
    return folder / "alliance_report.xlsx"


# --------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------
# Only regular files are read: every input path


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_being_read(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    refused_by_cli(stockpile("validate", device),
                   f"{device}: is a character device, {NOT_REGULAR}")


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "plan.xlsx"
    os.mkfifo(fifo)
    refused_by_cli(stockpile("validate", fifo),
                   f"{fifo}: is a FIFO (named pipe), {NOT_REGULAR}")
    refused_by_cli(stockpile("solve", fifo, "--out", tmp_path / "out"),
                   f"{fifo}: is a FIFO (named pipe), {NOT_REGULAR}")
    assert not (tmp_path / "out").exists()


def test_a_folder_and_a_socket_are_refused(tmp_path, capsys):
    folder = tmp_path / "alliance.xlsx"
    folder.mkdir()
    assert main(["validate", str(folder)]) == 2
    assert f"{folder}: is a folder, {NOT_REGULAR}" in capsys.readouterr().err.splitlines()
    path = tmp_path / "s.xlsx"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        with pytest.raises(InputError) as caught:
            load_workbook(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: is a socket, {NOT_REGULAR}"]


def test_a_link_to_a_workbook_is_read(tmp_path):
    target = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    data, _ = load_workbook(link)
    assert list(data.allies["ally"]) == ["POL", "DEU"]


def test_model_and_scenario_files_must_be_regular_files_too(tmp_path):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    fifo = tmp_path / "model.toml"
    os.mkfifo(fifo)
    model = "not a regular file; give the path of a model configuration TOML file"
    refused_by_cli(stockpile("validate", workbook, "--model", fifo),
                   f"{fifo}: is a FIFO (named pipe), {model}")
    refused_by_cli(stockpile("validate", workbook, "--model", "/dev/zero"),
                   f"/dev/zero: is a character device, {model}")
    refused_by_cli(stockpile("solve", workbook, "--model", tmp_path, "--out", tmp_path / "o"),
                   f"{tmp_path}: is a folder, {model}")
    refused_by_cli(stockpile("sweep", workbook, "--scenarios", fifo),
                   f"{fifo}: is a FIFO (named pipe), not a regular file; give the path of a "
                   "scenario TOML file")
    assert not (tmp_path / "o").exists()


def test_reports_to_compare_or_show_must_be_regular_files(tmp_path, report):
    fifo = tmp_path / "a_report.xlsx"
    os.mkfifo(fifo)
    diff = tmp_path / "diff.xlsx"
    refused_by_cli(stockpile("compare", fifo, report, "-o", diff),
                   f"{fifo}: is a FIFO (named pipe), {NOT_REGULAR}")
    refused_by_cli(stockpile("compare", report, fifo, "-o", diff),
                   f"{fifo}: is a FIFO (named pipe), {NOT_REGULAR}")
    refused_by_cli(stockpile("compare", report, tmp_path, "-o", diff),
                   f"{tmp_path}: is a folder, {NOT_REGULAR}")
    refused_by_cli(stockpile("report", fifo, "--html", tmp_path / "page.html"),
                   f"{fifo}: is a FIFO (named pipe), {NOT_REGULAR}")
    refused_by_cli(stockpile("report", "/dev/zero", "--html", tmp_path / "page.html"),
                   f"/dev/zero: is a character device, {NOT_REGULAR}")
    assert not diff.exists() and not (tmp_path / "page.html").exists()


# --------------------------------------------------------------------------------------
# A file name that is not UTF-8


RAW_NAME = b"\xff\xfe.xlsx"


def test_shown_text_escapes_the_bytes_a_name_holds_and_nothing_else():
    assert shown_text(os.fsdecode(b"r\xc3\xa9sum\xff.xlsx")) == "résum\\xff.xlsx"
    assert shown_text("lone \ud800 surrogate") == "lone \\ud800 surrogate"
    assert shown_text("plain → text") == "plain → text"
    assert shown_path(Path(os.fsdecode(b"/a/\xff"))) == "/a/\\xff"


def test_a_workbook_whose_name_is_not_utf8_reads_normally(tmp_path):
    path = undecodable(tmp_path, RAW_NAME)
    write_workbook(path, valid_sheets())
    data, _ = load_workbook(path)
    assert list(data.production["facility"]) == ["F1", "F2", "F3"]
    assert shown_path(path) == f"{tmp_path}/\\xff\\xfe.xlsx"

    result = stockpile("validate", os.fsencode(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(os.fsencode(tmp_path) + b"/\\xff\\xfe.xlsx is valid: ")
    assert b"damaged" not in result.stderr


def test_a_workbook_whose_name_is_not_utf8_solves_and_its_report_names_it(tmp_path):
    path = undecodable(tmp_path, RAW_NAME)
    generate_workbook(path, 2, 2, 3, 2, seed=1)
    out = tmp_path / "out"
    result = stockpile("solve", os.fsencode(path), "--out", out, "--html")
    assert result.returncode == 0, result.stderr
    escaped = os.fsencode(out) + b"/\\xff\\xfe_report.xlsx"
    assert b"report: " + escaped + b"\n" in result.stdout
    report = undecodable(out, b"\xff\xfe_report.xlsx")
    run_info = [row[:3] for row in sheet_rows(report, "Run info")]
    assert ("input", "file", f"{tmp_path}/\\xff\\xfe.xlsx") in run_info
    page = report.with_suffix(".html").read_text(encoding="utf-8")
    assert "\\xff\\xfe_report.xlsx" in page


def test_a_refusal_names_a_non_utf8_file_escaped(tmp_path):
    path = os.fsencode(tmp_path) + b"/" + RAW_NAME
    with open(path, "wb") as handle:
        handle.write(b"ally,item\nPOL,155HE\n")
    result = stockpile("validate", path)
    assert result.returncode == 2
    assert result.stderr.startswith(os.fsencode(tmp_path) + b"/\\xff\\xfe.xlsx: is not an Excel "
                                    b".xlsx workbook (it is not a zip package")
    assert b"Traceback" not in result.stderr


def test_a_model_file_whose_name_is_not_utf8_is_read_and_named_escaped(tmp_path):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    model = undecodable(tmp_path, b"model-\xff.toml")
    model.write_text("[solver]\ntime_limit = 60\n", encoding="utf-8")
    assert stockpile("validate", workbook, "--model", os.fsencode(model)).returncode == 0
    model.write_text("[solver]\ntime_limt = 60\n", encoding="utf-8")
    refused_by_cli(stockpile("validate", workbook, "--model", os.fsencode(model)),
                   f"{tmp_path}/model-\\xff.toml: unknown key 'solver.time_limt' (did you mean "
                   "solver.time_limit?); the sections are [objective], [rules], [solver], "
                   "[explain], [report]")


def test_a_sweep_of_non_utf8_names_writes_them_escaped(tmp_path):
    """The workbook, the scenario file and so the folder of the scenarios' reports have
    names that are not UTF-8; the sweep workbook names them all, escaped."""
    workbook = undecodable(tmp_path, RAW_NAME)
    generate_workbook(workbook, 2, 2, 3, 2, seed=1)
    scenarios = undecodable(tmp_path, b"cases-\xff.toml")
    scenarios.write_text('[[scenario]]\nname = "lean"\n[[scenario.edit]]\n'
                         'kind = "scale_budget"\nfactor = 0.5\n', encoding="utf-8")
    out = tmp_path / "out"
    result = stockpile("sweep", os.fsencode(workbook), "--scenarios", os.fsencode(scenarios),
                       "--reports", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b"sweep: " + os.fsencode(out) + b"/\\xff\\xfe_sweep.xlsx\n")
    sweep = undecodable(out, b"\xff\xfe_sweep.xlsx")
    info = dict(row[:2] for row in sheet_rows(sweep, "Run info"))
    assert info["input"] == f"{tmp_path}/\\xff\\xfe.xlsx"
    assert info["scenario file"] == f"{tmp_path}/cases-\\xff.toml"
    header, *cases = sheet_rows(sweep, "Scenarios")
    reports = [case[header.index("Report")] for case in cases]
    assert reports == [f"{out}/\\xff\\xfe_scenarios/base_report.xlsx",
                       f"{out}/\\xff\\xfe_scenarios/lean_report.xlsx"]
    assert undecodable(out, b"\xff\xfe_scenarios/lean_report.xlsx").is_file()


def test_a_terminal_that_cannot_show_a_character_gets_an_escape(tmp_path, report):
    """Standard output in ASCII (a Latin-1 or ASCII terminal): a name with "Ü" and a byte
    that is not UTF-8, and compare's "→", print as escapes; nothing raises."""
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    workbook = undecodable(tmp_path, b"\xc3\x9cbung-\xff.xlsx")
    generate_workbook(workbook, 2, 2, 3, 2, seed=1)
    result = stockpile("solve", os.fsencode(workbook), "--out", tmp_path, env=ascii_only)
    assert result.returncode == 0, result.stderr
    assert b"stockpile solve: \\xdcbung-\\xff.xlsx" in result.stdout
    assert result.stdout.endswith(b"report: " + os.fsencode(tmp_path)
                                  + b"/\\xdcbung-\\xff_report.xlsx\n")
    result = stockpile("compare", report, report, "-o", tmp_path / "diff.xlsx", env=ascii_only)
    assert result.returncode == 0, result.stderr
    assert b"status: optimal \\u2192 optimal\n" in result.stdout
    assert b"Error" not in result.stderr


# --------------------------------------------------------------------------------------
# Configuration values: the solver's options, and figures held to the solver's reach


THREADS = (f"solver.threads must be 0 (the solver decides) or a whole number from 1 to "
           f"{MAX_THREADS}")


def test_threads_beyond_reach_are_refused_quickly_from_the_command_line(tmp_path):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    started = time.monotonic()
    result = stockpile("solve", workbook, "--out", tmp_path / "out",
                       "--set", "solver.threads=100000")
    assert time.monotonic() - started < 15  # HiGHS trying 100,000 threads takes minutes
    refused_by_cli(result, f"--set: {THREADS}, got 100000")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["-1", "257", "2.5", "true", '"4"'])
def test_threads_must_be_a_whole_number_in_reach(value):
    with pytest.raises(InputError) as caught:
        load_config(None, [f"solver.threads={value}"])
    [problem] = caught.value.problems
    assert str(problem).startswith(f"--set: {THREADS}, got ")


@pytest.mark.parametrize("value", [0, 1, MAX_THREADS])
def test_threads_in_reach_are_accepted(value):
    assert load_config(None, [f"solver.threads={value}"]).solver.threads == value


SETTING_TOO_LARGE = "is too large for the solver (at most 1e+15); give a realistic value"
SETTING_TOO_SMALL = ("is too small to be distinguished from 0 (at least 1e-09); write 0 or a "
                     "larger value")


@pytest.mark.parametrize(("setting", "sentence"), [
    ("solver.time_limit=0", "solver.time_limit must be > 0, got 0"),
    ("solver.time_limit=-5", "solver.time_limit must be > 0, got -5"),
    ("solver.time_limit=nan", "solver.time_limit must be > 0, got nan"),
    ("solver.time_limit=inf", f"solver.time_limit inf {SETTING_TOO_LARGE}"),
    ("solver.time_limit=1e-12", f"solver.time_limit 1e-12 {SETTING_TOO_SMALL}"),
    ("solver.mip_gap=-0.1", "solver.mip_gap must be in [0, 1], got -0.1"),
    ("solver.mip_gap=2", "solver.mip_gap must be in [0, 1], got 2.0"),
    ("solver.mip_gap=nan", "solver.mip_gap must be in [0, 1], got nan"),
    ("solver.mip_gap=inf", "solver.mip_gap must be in [0, 1], got inf"),
    ("solver.name=5", "solver.name must be one of highs, highs_cmd, cbc, glpk, gurobi, "
                      "gurobi_cmd, cplex, cplex_cmd, scip, xpress, copt, mosek (or the name of "
                      "a PuLP solver class, e.g. COIN_CMD), got 5"),
    ("explain.time_limit=inf", f"explain.time_limit inf {SETTING_TOO_LARGE}"),
])
def test_solver_options_name_their_allowed_range(setting, sentence):
    with pytest.raises(InputError) as caught:
        load_config(None, [setting])
    assert [str(p) for p in caught.value.problems] == [f"--set: {sentence}"]


@pytest.mark.parametrize(("setting", "sentence"), [
    ("objective.shortfall_penalty=inf", f"objective.shortfall_penalty inf {SETTING_TOO_LARGE}"),
    ("objective.shortfall_penalty=1e20",
     f"objective.shortfall_penalty 1e+20 {SETTING_TOO_LARGE}"),
    ("objective.shortfall_penalty=nan", "objective.shortfall_penalty must be >= 0, got nan"),
    ("objective.shortfall_penalty=1e-12",
     f"objective.shortfall_penalty 1e-12 {SETTING_TOO_SMALL}"),
    ("objective.shortfall_tolerance=1e-300",
     f"objective.shortfall_tolerance 1e-300 {SETTING_TOO_SMALL}"),
    ("rules.min_gap_closure=nan", "rules.min_gap_closure must be in [0, 1], got nan"),
    ("rules.max_supplier_share=1e-12", f"rules.max_supplier_share 1e-12 {SETTING_TOO_SMALL}"),
    ("explain.measured_limits=9000000000000000000",
     f"explain.measured_limits 9e+18 {SETTING_TOO_LARGE}"),
])
def test_a_setting_beyond_the_solvers_reach_is_refused_as_a_cell_is(setting, sentence):
    with pytest.raises(InputError) as caught:
        load_config(None, [setting])
    assert [str(p) for p in caught.value.problems] == [f"--set: {sentence}"]


@pytest.mark.parametrize("setting", [
    f"objective.shortfall_penalty={LARGEST:g}", f"objective.shortfall_tolerance={SMALLEST:g}",
    "objective.shortfall_tolerance=0", "solver.mip_gap=0", "solver.mip_gap=1",
    "rules.max_supplier_share=1"])
def test_settings_at_the_edges_of_reach_are_accepted(setting):
    load_config(None, [setting])


def test_settings_beyond_reach_exit_2_from_the_command_line_and_a_model_file(tmp_path):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    refused_by_cli(stockpile("validate", workbook, "--set", "objective.shortfall_penalty=inf",
                             "--set", "solver.mip_gap=nan"),
                   f"--set: objective.shortfall_penalty inf {SETTING_TOO_LARGE}",
                   "--set: solver.mip_gap must be in [0, 1], got nan")
    model = tmp_path / "model.toml"
    model.write_text("[solver]\ntime_limit = inf\n", encoding="utf-8")
    refused_by_cli(stockpile("validate", workbook, "--model", model),
                   f"{model}: solver.time_limit inf {SETTING_TOO_LARGE}")


@pytest.mark.parametrize("name", ["highs", "HiGHS", "cbc", "SCIP_CMD"])
def test_known_solver_names_are_accepted(name):
    assert load_config(None, [f"solver.name={name}"]).solver.name == name


# --------------------------------------------------------------------------------------
# Scenario edits: a factor, and the figures it scales, within the solver's reach


def two_periods(path: Path) -> Path:
    """One line F1 (capacity 100, a Capacity row of 80 in P2), one ally with budgets of
    1,500 in P1 and P2 and a target of 150 in P2."""
    return write_workbook(path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=[["I", "item", "units", False, 1, 1000, 0]],
        production=[["F1", "H1", "I", 100, 10, 0]], requirements=[["A", "I", "P2", 150]],
        Capacity=[["F1", "I", "P2", 80]], Budgets=[["A", "P1", 1500], ["A", "P2", 1500]]))


def scenario_problems(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = tmp_path / "scenarios.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(None)
    data, _ = load_workbook(two_periods(tmp_path / "a.xlsx"), config.rules)
    with pytest.raises(InputError) as caught:
        load_scenarios(path, data, config)
    return path, [str(problem) for problem in caught.value.problems]


TOO_LARGE = "is too large for the solver (at most 1e+15); use a smaller factor"
TOO_SMALL = ("is too small to be distinguished from 0 (at least 1e-09); use factor 0 or a "
             "larger one")


@pytest.mark.parametrize(("factor", "sentence"), [
    ("inf", f"factor inf {TOO_LARGE}"),
    ("1e16", f"factor 1e+16 {TOO_LARGE}"),
    ("1e-12", f"factor 1e-12 {TOO_SMALL}"),
    ("nan", "factor must be a number >= 0, got nan"),
    ("-1", "factor must be a number >= 0, got -1"),
    ('"2"', "factor must be a number >= 0, got '2'"),
])
def test_a_factor_beyond_reach_is_refused_as_a_cell_is(tmp_path, factor, sentence):
    path, problems = scenario_problems(tmp_path, f"""[[scenario]]
name = "odd"
[[scenario.edit]]
kind = "scale_targets"
factor = {factor}
""")
    assert problems == [f"{path}:3 (scenario 'odd', edit 1): {sentence}"]


def test_a_capacity_factor_beyond_reach_names_the_scenario_edit_and_cell(tmp_path):
    path, problems = scenario_problems(tmp_path, """[[scenario]]
name = "boom"
[[scenario.edit]]
kind = "scale_capacity"
facility = "F1"
factor = 1e14
""")
    assert problems == [f"{path}:3 (scenario 'boom', edit 1): factor 1e+14 scales capacity "
                        f"100 (Production!D2) to 1e+16, which {TOO_LARGE}"]


def test_a_windowed_capacity_factor_names_the_line_it_scales(tmp_path):
    path, problems = scenario_problems(tmp_path, """[[scenario]]
name = "ramp"
[[scenario.edit]]
kind = "scale_capacity"
facility = "F1"
factor = 1e14
from = "P1"
to = "P1"
""")
    assert problems == [f"{path}:3 (scenario 'ramp', edit 1): factor 1e+14 scales capacity "
                        f"100 (Production!D2) to 1e+16, which {TOO_LARGE}"]


def test_two_edits_that_compound_beyond_reach_are_caught_at_the_second(tmp_path):
    path, problems = scenario_problems(tmp_path, """[[scenario]]
name = "twice"
[[scenario.edit]]
kind = "scale_budget"
factor = 1e8
[[scenario.edit]]
kind = "scale_budget"
factor = 1e8
to = "P1"
""")
    assert problems == [f"{path}:6 (scenario 'twice', edit 2): factor 1e+08 scales budget "
                        f"1.5e+11 (Budgets!C2) to 1.5e+19, which {TOO_LARGE}"]


def test_two_edits_that_make_a_figure_too_small_are_refused(tmp_path):
    path, problems = scenario_problems(tmp_path, """[[scenario]]
name = "dust"
[[scenario.edit]]
kind = "scale_targets"
factor = 1e-6
[[scenario.edit]]
kind = "scale_targets"
factor = 1e-6
""")
    assert problems == [f"{path}:6 (scenario 'dust', edit 2): factor 1e-06 scales target "
                        f"0.00015 (Requirements!D2) to 1.5e-10, which {TOO_SMALL}"]


def test_a_scenario_setting_beyond_reach_names_the_scenario(tmp_path):
    path, problems = scenario_problems(tmp_path, """[[scenario]]
name = "priceless"
set = { "objective.shortfall_penalty" = 1e20, "rules.min_gap_closure" = nan }
""")
    assert problems == [
        f"{path}:1 (scenario 'priceless'): objective.shortfall_penalty 1e+20 "
        f"{SETTING_TOO_LARGE}",
        f"{path}:1 (scenario 'priceless'): rules.min_gap_closure must be in [0, 1], got nan"]


def test_a_scenario_file_beyond_reach_exits_2(tmp_path):
    workbook = two_periods(tmp_path / "a.xlsx")
    path = tmp_path / "scenarios.toml"
    path.write_text('[[scenario]]\nname = "boom"\n[[scenario.edit]]\nkind = "scale_capacity"\n'
                    'facility = "F1"\nfactor = inf\n', encoding="utf-8")
    result = stockpile("sweep", workbook, "--scenarios", path, "--out", tmp_path / "out")
    refused_by_cli(result, f"{path}:3 (scenario 'boom', edit 1): factor inf {TOO_LARGE}")
    assert not (tmp_path / "out").exists()


def test_a_budget_scale_beyond_reach_names_the_option(tmp_path):
    workbook = two_periods(tmp_path / "a.xlsx")
    data, _ = load_workbook(workbook)
    with pytest.raises(InputError) as caught:
        scaled("scale_budget", [0.5, 1e14, -2.0], data)
    assert [str(p) for p in caught.value.problems] == [
        f"--budget-scale: factor 1e+14 scales budget 1500 (Budgets!C2) to 1.5e+17, which "
        f"{TOO_LARGE}",
        "--budget-scale: factor must be a number >= 0, got -2"]
    result = stockpile("sweep", workbook, "--budget-scale", "0.5,inf,nan,1e-12",
                       "--target-scale", "1e20", "--out", tmp_path / "out")
    refused_by_cli(result, f"--budget-scale: factor inf {TOO_LARGE}",
                   "--budget-scale: factor must be a number >= 0, got nan",
                   f"--budget-scale: factor 1e-12 {TOO_SMALL}")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------
# No RuntimeWarning at the edges of the solver's reach


def at_the_edges(path: Path) -> Path:
    """Every kind of figure at LARGEST or SMALLEST, side by side: figures that spread 1e24
    apart (a warning), in every ratio and product the tool forms."""
    big, tiny = LARGEST, SMALLEST
    return write_workbook(path, sheets(
        periods=["P1", "P2"], allies=[["A"], ["B"]],
        items=[["I", "item", "units", False, 1, big, tiny], ["J", "j", "u", True, big, tiny, 0]],
        production=[["F1", "H1", "I", big, tiny, 0], ["F2", "H2", "I", tiny, big, 1],
                    ["F3", "H1", "J", big, tiny, 0]],
        requirements=[["A", "I", "P2", big], ["B", "I", "P1", tiny], ["A", "J", "P2", big],
                      ["B", "J", "P2", tiny]],
        Budgets=[["A", "P1", big], ["B", "P2", tiny]], Stocks=[["A", "I", tiny]],
        Consumption=[["B", "I", "P2", big]], Expansion=[["F1", "I", big, tiny, 0, "A"]],
        Transport=[["H1", "A", tiny]]))


@pytest.mark.slow
def test_figures_at_the_edges_of_reach_raise_no_runtime_warning(tmp_path):
    """Solve (both objective modes, with the HTML page), sweep and compare: each ends in
    sentences, with RuntimeWarnings made errors in the process."""
    workbook = at_the_edges(tmp_path / "edges.xlsx")
    for mode in ("lexicographic", "weighted"):
        result = stockpile("solve", workbook, "--out", tmp_path / mode, "--html",
                           "--set", f"objective.mode={mode}")
        err = result.stderr.decode()
        assert result.returncode in (0, 4), err  # 4: the verifier's finding, a sentence
        assert "money figures span 1e+24" in err
        assert "RuntimeWarning" not in err and "Traceback" not in err
    reports = [tmp_path / mode / "edges_report.xlsx" for mode in ("lexicographic", "weighted")]
    result = stockpile("compare", *reports, "-o", tmp_path / "diff.xlsx")
    assert result.returncode == 0, result.stderr
    result = stockpile("sweep", workbook, "--outage", "each-facility", "--budget-scale", "1",
                       "--target-scale", "1e-6", "--out", tmp_path / "sweep")
    assert b"RuntimeWarning" not in result.stderr and b"Traceback" not in result.stderr
    refused_by_cli(result, "--target-scale: factor 1e-06 scales target 1e-09 (Requirements!D3) "
                           f"to 1e-15, which {TOO_SMALL}")
    result = stockpile("sweep", workbook, "--outage", "each-facility", "--out",
                       tmp_path / "sweep")
    assert result.returncode == 0, result.stderr
    assert b"RuntimeWarning" not in result.stderr and b"Traceback" not in result.stderr
