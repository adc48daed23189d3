"""What a sweep leaves on disk: one report file per case and the Scenarios sheet's links to
them, each scenario report's Run info, names that would steer a terminal, loading many
scenarios, and a sweep stopped (killed, or failing) and resumed."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import optimizer.pipeline
import optimizer.sweep
from optimizer.cli import main
from optimizer.config import load_config
from optimizer.errors import ExitCode
from optimizer.scenarios.edits import scaled
from optimizer.sweep import BASE, FILE_STEM_BYTES, report_file_names, run_sweep
from optimizer.workbook.validation import load_workbook
from tests.headers import fields, headers
from tests.test_scenarios import WEIGHTED, two_lines

ROOT = Path(__file__).resolve().parents[1]
LONG = ("a long name " * 25).strip()  # 299 characters
AWKWARD = ["cut a/b", "cut a_b", "CUT A_B", "..", "//", "base", "Base", LONG, LONG + "!",
           "tab\there\x01", "../../escape", "Ünterbrechung Größe – Ørsted", "Straße"]


def scenario_toml(names: list[str], factor=lambda number: 0.5) -> str:
    """One scenario per name, each F1's capacity times ``factor(number)``; json.dumps
    writes a valid TOML basic string (\\uXXXX escapes, quotes, backslashes)."""
    return "\n".join(
        f'[[scenario]]\nname = {json.dumps(name)}\n[[scenario.edit]]\n'
        f'kind = "scale_capacity"\nfacility = "F1"\nfactor = {factor(number)}\n'
        for number, name in enumerate(names))


def text(value: object) -> object:
    """A cell's text as Excel shows it: OOXML writes a character XML cannot hold as
    _xHHHH_ (and a literal '_x' as _x005F_x), which openpyxl leaves as it is."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda found: chr(int(found.group(1), 16)), value)


def rows(path: Path, sheet: str) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(text(value) for value in row)
                for row in book[sheet].iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()


def run_info(path: Path) -> dict[tuple[str, str], object]:
    return {(section, key): value for section, key, value, *_ in rows(path, "Run info")}


def linked_reports(sweep: Path) -> list[tuple[str, Path]]:
    """(scenario, the file its report link opens) of each row of the Scenarios sheet."""
    book = openpyxl.load_workbook(sweep)
    sheet = book["Scenarios"]
    column = fields(sheet).index("report") + 1
    found = []
    for row in range(2, sheet.max_row + 1):
        link = sheet.cell(row, column).hyperlink
        assert link is not None, f"row {row} has no link"
        found.append((text(sheet.cell(row, 1).value),
                      sweep.parent / link.target.replace("\\", "/")))
    book.close()
    return found


@pytest.fixture(scope="module")
def awkward_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("awkward")
    workbook = two_lines(folder / "a.xlsx")
    scenarios = folder / "scenarios.toml"
    scenarios.write_text('[[scenario]]\nname = "cut a/b"\ndescription = "F1 at half"\n'
                         'set = { "rules.max_supplier_share" = 0.9 }\n'
                         '[[scenario.edit]]\nkind = "scale_capacity"\nfacility = "F1"\n'
                         'factor = 0.5\n[[scenario.edit]]\nkind = "scale_budget"\n'
                         'ally = "A"\nfactor = 2\nfrom = "P1"\n\n'
                         + scenario_toml(AWKWARD[1:], factor=lambda number: number / 10),
                         encoding="utf-8")
    assert main(["sweep", str(workbook), "--scenarios", str(scenarios), "--reports",
                 "--set", WEIGHTED, "--out", str(folder / "out")]) == 0
    return workbook, folder / "out" / "a_sweep.xlsx"


def test_every_case_has_a_report_file_of_its_own_and_its_link_opens_it(awkward_sweep):
    _, sweep = awkward_sweep
    out = sweep.parent
    files = sorted((out / "a_scenarios").glob("*_report.xlsx"))
    assert len(files) == 1 + len(AWKWARD)
    assert len({path.name.casefold() for path in files}) == len(files)
    # Nothing outside the output folder, nothing in it but the sweep, its record and the
    # reports (no name made a folder or climbed out of one).
    assert sorted(path.relative_to(out.parent) for path in out.parent.rglob("*")
                  if path.is_file() and path.parent != out.parent) == sorted(
        [Path("out/a_sweep.xlsx"), Path("out/a_sweep_cases.jsonl"),
         *(path.relative_to(out.parent) for path in files)])
    for path in files:
        assert len(path.name.encode("utf-8")) <= 255
        assert path.name.removesuffix("_report.xlsx") not in ("", ".", "..")
    links = linked_reports(sweep)
    assert [name for name, _ in links] == ["base", *AWKWARD]
    assert len({path.resolve() for _, path in links}) == len(links)
    for number, (name, path) in enumerate(links):
        info = run_info(path)
        assert info["scenario", "name"] == name, path
        if number == 0:
            assert path.name == "base_report.xlsx"
            assert info["scenario", "description"] == BASE.description
        else:
            assert path.name != "base_report.xlsx"
    names = {name: path.name for name, path in links}
    assert names["cut a/b"] == "cut_a_b_report.xlsx"
    assert names["../../escape"] == "escape_report.xlsx"
    assert names[LONG] != names[LONG + "!"]


def test_file_names_are_unique_ignoring_case_and_stable():
    names = ["base", "cut a/b", "cut a_b", "cut_a_b-2", "..", "//", ".", "", "base",
             "Base", "BASE-2", "é", "e\u0301", "ß" * 200, "\x1b[31m\x00\n"]
    stems = report_file_names(names)
    assert stems[:6] == ["base", "cut_a_b", "cut_a_b-2", "cut_a_b-2-2", "case", "case-2"]
    assert stems[8:11] == ["base-2", "Base-3", "BASE-2-2"]
    assert stems[11:13] == ["é", "é-2"]  # the same letter, composed or not
    assert stems[14] == "31m"
    assert len({stem.casefold() for stem in stems}) == len(stems)
    assert all(stem not in ("", ".", "..") for stem in stems)
    assert all(re.fullmatch(r"[\w-]+", stem) for stem in stems)
    assert report_file_names(names) == stems
    many = report_file_names(["base", *["?"] * 20_000])  # linear in the number of names
    assert many[-1] == "case-20000"


def test_a_long_name_is_cut_to_a_stem_that_ends_in_a_digest_of_the_whole_name():
    digest = hashlib.sha256(("Ø" * 300 + "1").encode("utf-8")).hexdigest()[:8]
    stems = report_file_names(["base", "Ø" * 300 + "1", "Ø" * 300 + "2", "x" * 100,
                               "x" * 101])
    assert stems[1].endswith(f"-{digest}") and stems[1].startswith("Ø" * 45)
    assert stems[1] != stems[2] and stems[1][:-8] == stems[2][:-8]
    assert stems[3] == "x" * 100  # at the limit: as it is
    assert stems[4].startswith("x" * 91 + "-")
    for stem in stems:
        assert len(stem.encode("utf-8")) <= FILE_STEM_BYTES
        assert len(f"{stem}-99999_report.xlsx".encode()) < 255


def test_a_scenario_report_s_run_info_names_the_scenario_its_edits_and_the_input(
        awkward_sweep):
    workbook, sweep = awkward_sweep
    digest = hashlib.sha256(workbook.read_bytes()).hexdigest()
    reports = dict(linked_reports(sweep)[:2])
    info = run_info(reports["cut a/b"])
    assert info["scenario", "name"] == "cut a/b"
    assert info["scenario", "description"] == "F1 at half"
    assert info["scenario", "setting 1"] == "rules.max_supplier_share = 0.9"
    assert info["scenario", "edit 1"] == "Production capacity × 0.5 at F1"
    assert info["scenario", "edit 2"] == "Budgets × 2 of ally A from P1"
    assert info["input", "SHA-256"] == digest
    base = run_info(reports["base"])
    assert base["input", "SHA-256"] == digest
    assert base["scenario", "changes"].startswith("none")


def test_every_case_s_report_names_the_input_s_sha256(tmp_path):
    """A sweep run from a script (``run_sweep``, no digest given) hashes the input
    itself: each case's report names the workbook's SHA-256 in its Run info."""
    workbook = two_lines(tmp_path / "a.xlsx")
    config = load_config(None, [WEIGHTED])
    data, _ = load_workbook(workbook, config.rules)
    results = run_sweep(data, config, scaled("scale_budget", [0.5], data), workbook,
                        report_dir=tmp_path / "reports")
    digest = hashlib.sha256(workbook.read_bytes()).hexdigest()
    reports = [Path(report) for report in results["report"]]
    assert len(reports) == 2 and reports[0].name == "base_report.xlsx"
    for report in reports:
        assert run_info(report)["input", "SHA-256"] == digest


def sweep_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", "sweep", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=timeout)


def test_control_characters_in_names_are_escaped_on_the_terminal_not_in_the_workbook(
        tmp_path):
    workbook = two_lines(tmp_path / "a.xlsx")
    names = ["\x1b[31mred", "a\nb", "\x07", "\u202eevil", "_x0041_ literal"]
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text(scenario_toml(names), encoding="utf-8")
    run = sweep_cli(str(workbook), "--scenarios", str(scenarios), "--reports", "--set",
                    WEIGHTED, "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    for raw in ("\x1b", "\x07", "\u202e", "a\nb"):
        assert raw not in run.stdout + run.stderr
    for escaped in ("\\x1b[31mred", "a\\nb", "\\x07", "\\u202eevil"):
        assert escaped in run.stdout
    sweep = tmp_path / "out" / "a_sweep.xlsx"
    assert [row[0] for row in rows(sweep, "Scenarios")] == ["base", *names]
    for name, report in linked_reports(sweep):
        assert run_info(report)["scenario", "name"] == name
    # Two scenarios of one name: the error names it, escaped.
    scenarios.write_text(scenario_toml(names[:1] * 2), encoding="utf-8")
    run = sweep_cli(str(workbook), "--scenarios", str(scenarios), "--out",
                    str(tmp_path / "out"))
    assert run.returncode == 2
    assert "\x1b" not in run.stderr and "\\x1b[31mred" in run.stderr


def test_thirty_thousand_scenarios_load_in_seconds(tmp_path, capsys):
    """Loading and the check that names differ are linear: each scenario's edit lines
    and the workbook's codes are looked up, not searched for, and names are counted
    once (``python -m optimizer sweep`` took 56 s to find this clash, now 4 s)."""
    workbook = two_lines(tmp_path / "a.xlsx")
    scenarios = tmp_path / "many.toml"
    names = [f"cut {number}" for number in range(29_999)] + ["budgets x0.9"]
    scenarios.write_text(scenario_toml(names, factor=lambda number: number / 30_000),
                         encoding="utf-8")
    started = time.perf_counter()
    # The built-in sweep's one scenario has the last one's name: every scenario is read
    # and checked, and the sweep stops before it solves.
    code = main(["sweep", str(workbook), "--scenarios", str(scenarios), "--budget-scale",
                 "0.9", "--set", WEIGHTED, "--out", str(tmp_path / "out")])
    seconds = time.perf_counter() - started
    assert code == 2
    assert "two scenarios share the name 'budgets x0.9'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert seconds < 20, f"{seconds:.1f} s"


# Stopped and resumed ------------------------------------------------------------------

def scenarios_sheet(sweep: Path) -> list[tuple]:
    """The Scenarios sheet without what differs from run to run (seconds, warm start,
    where the report is)."""
    book = openpyxl.load_workbook(sweep, read_only=True)
    try:
        sheet = list(book["Scenarios"].iter_rows(values_only=True))
    finally:
        book.close()
    keep = [number for number, column in enumerate(sheet[0])
            if column not in ("Seconds", "Warm start", "Report")]
    return [tuple(row[number] for number in keep) for row in sheet[1:]]


def modified(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in folder.glob("*_report.xlsx")}


def recorded(record: Path) -> list[str]:
    """The scenarios of the finished cases in a sweep's record, in the order finished."""
    return [json.loads(line)["row"]["scenario"]
            for line in record.read_text(encoding="utf-8").splitlines()[1:]]


def test_a_killed_sweep_resumes_with_only_the_cases_it_had_not_finished(tmp_path):
    workbook = two_lines(tmp_path / "a.xlsx")
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text(scenario_toml([f"cut {number}" for number in range(12)],
                                       factor=lambda number: number / 12), encoding="utf-8")
    arguments = [str(workbook), "--scenarios", str(scenarios), "--reports", "--set",
                 WEIGHTED]
    out = tmp_path / "out"
    record = out / "a_sweep_cases.jsonl"
    sweep = subprocess.Popen([sys.executable, "-m", "optimizer", "sweep", *arguments,
                              "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sweep.poll() is None:
        if record.exists() and len(recorded(record)) >= 4:
            sweep.send_signal(signal.SIGKILL)  # no clean-up at all
            break
        time.sleep(0.01)
    assert sweep.wait(60) == -signal.SIGKILL, "the sweep finished before it was killed"
    assert not (out / "a_sweep.xlsx").exists()
    finished = recorded(record)
    assert 4 <= len(finished) < 13 and finished[0] == "base"
    reports = out / "a_scenarios"
    before = modified(reports)
    # Each report is written whole as its case finishes: one for each recorded case, and
    # perhaps the one whose record line the kill prevented.
    assert len(finished) <= len(before) <= len(finished) + 1
    for path in reports.glob("*_report.xlsx"):
        openpyxl.load_workbook(path, read_only=True).close()

    run = sweep_cli(*arguments, "--out", str(out), "--resume")
    assert run.returncode == 0, run.stderr
    assert (f"resumed: {len(finished)} of 13 cases kept from the earlier run, "
            f"{13 - len(finished)} solved") in run.stdout
    after = modified(reports)
    assert len(after) == 13
    stems = dict(zip(["base", *(f"cut {number}" for number in range(12))],
                     report_file_names(["base", *(f"cut {n}" for n in range(12))]),
                     strict=True))
    for name in finished:
        file = f"{stems[name]}_report.xlsx"
        assert after[file] == before[file], f"{name} was solved again"
    solved_again = {name for name, stem in stems.items() if name not in finished}
    for name in solved_again:
        assert after[f"{stems[name]}_report.xlsx"] > max(before.values())
    assert sorted(recorded(record)[len(finished):]) == sorted(solved_again)
    # The same numbers as a sweep that was never stopped.
    assert main(["sweep", *arguments, "--out", str(tmp_path / "whole")]) == 0
    assert scenarios_sheet(out / "a_sweep.xlsx") == scenarios_sheet(
        tmp_path / "whole" / "a_sweep.xlsx")
    assert dict(rows(out / "a_sweep.xlsx", "Run info"))["cases kept from the earlier run"] \
        == len(finished)


@pytest.fixture
def solved(monkeypatch):
    """The scenarios the sweep solves, each as (name, whether it wrote a report)."""
    calls: list[tuple[str, bool]] = []
    real = optimizer.sweep.run_scenario

    def spy(data, config, scenario, input_path, report=None, *args, **kwargs):
        calls.append((scenario.name, report is not None))
        return real(data, config, scenario, input_path, report, *args, **kwargs)

    monkeypatch.setattr(optimizer.sweep, "run_scenario", spy)
    return calls


def test_a_resumed_sweep_solves_what_failed_changed_or_lost_its_report(
        tmp_path, monkeypatch, solved, capsys):
    workbook = two_lines(tmp_path / "a.xlsx")
    scenarios = tmp_path / "scenarios.toml"
    names = [f"cut {number}" for number in range(6)]
    scenarios.write_text(scenario_toml(names, factor=lambda number: number / 6),
                         encoding="utf-8")
    out = tmp_path / "out"
    arguments = ["sweep", str(workbook), "--scenarios", str(scenarios), "--reports",
                 "--set", WEIGHTED, "--out", str(out)]
    # The fourth scenario stops the whole run (Ctrl-C): the base case and three
    # scenarios are finished, their reports written.
    solve = optimizer.pipeline.solve_data

    def interrupted(data, config, **kwargs):
        if kwargs.get("scenario") is not None and kwargs["scenario"].name == "cut 3":
            raise KeyboardInterrupt
        return solve(data, config, **kwargs)

    monkeypatch.setattr(optimizer.pipeline, "solve_data", interrupted)
    assert main(arguments) == ExitCode.INTERRUPTED
    error = capsys.readouterr().err
    assert "stopped by Ctrl-C (SIGINT)" in error
    assert (f"the cases finished so far are recorded in {out / 'a_sweep_cases.jsonl'}; the "
            "same sweep with --resume solves only the others") in error
    assert not (out / "a_sweep.xlsx").exists()
    assert [name for name, _ in solved] == ["base", "cut 0", "cut 1", "cut 2", "cut 3"]
    monkeypatch.setattr(optimizer.pipeline, "solve_data", solve)
    reports = out / "a_scenarios"
    before = modified(reports)
    assert sorted(before) == sorted(f"{stem}_report.xlsx" for stem in
                                    ("base", "cut_0", "cut_1", "cut_2"))

    solved.clear()
    assert main([*arguments, "--resume"]) == 0
    assert "resumed: 4 of 7 cases kept from the earlier run, 3 solved" in \
        capsys.readouterr().out
    # The base case is solved once more for its plan (the scenarios start from it), and
    # writes no report.
    assert solved == [("base", False), ("cut 3", True), ("cut 4", True), ("cut 5", True)]
    after = modified(reports)
    assert {name: after[name] for name in before} == before

    # One scenario changed, one added, one report deleted: those three are solved.
    scenarios.write_text(scenario_toml([*names, "cut 6"],
                                       factor=lambda number: 0.9 if number == 1
                                       else number / 6), encoding="utf-8")
    (reports / "cut_4_report.xlsx").unlink()
    solved.clear()
    assert main([*arguments, "--resume"]) == 0
    assert "resumed: 5 of 8 cases kept from the earlier run, 3 solved" in \
        capsys.readouterr().out
    assert solved == [("base", False), ("cut 1", True), ("cut 4", True), ("cut 6", True)]
    assert run_info(reports / "cut_1_report.xlsx")["scenario", "edit 1"] == \
        "Production capacity × 0.9 at F1"
    assert [row[0] for row in rows(out / "a_sweep.xlsx", "Scenarios")] == \
        ["base", *names, "cut 6"]

    # Nothing left to do: nothing is solved, the sweep workbook is written again.
    solved.clear()
    assert main([*arguments, "--resume"]) == 0
    assert "resumed: 8 of 8 cases kept" in capsys.readouterr().out
    assert solved == []


def test_a_resume_against_another_workbook_or_configuration_is_refused(tmp_path, capsys):
    workbook = two_lines(tmp_path / "a.xlsx")
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text(scenario_toml(["cut"]), encoding="utf-8")
    out = tmp_path / "out"
    arguments = ["sweep", str(workbook), "--scenarios", str(scenarios), "--reports",
                 "--set", WEIGHTED, "--out", str(out)]

    assert main([*arguments, "--resume"]) == 2
    assert ("there is no earlier sweep to resume in " in capsys.readouterr().err)

    assert main(arguments) == 0
    written = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}

    assert main([*arguments, "--set", "rules.max_supplier_share=0.5", "--resume"]) == 2
    error = capsys.readouterr().err
    assert "cannot resume the sweep in" in error
    assert "the model configuration is not the earlier sweep's (rules.max_supplier_share:" \
        in error

    book = openpyxl.load_workbook(workbook)
    book["Requirements"]["D2"] = 160
    book.save(workbook)
    assert main([*arguments, "--resume"]) == 2
    error = capsys.readouterr().err
    assert "the input workbook has changed since (SHA-256 " in error
    assert "run the sweep without --resume" in error
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")
            if path.is_file()} == written

    assert main(arguments) == 0  # a new sweep of the changed workbook replaces the record
    assert run_info(out / "a_scenarios" / "base_report.xlsx")["input", "SHA-256"] == \
        hashlib.sha256(workbook.read_bytes()).hexdigest()


def test_the_sweep_workbook_has_readable_headers_and_names_the_currency(tmp_path):
    """Row 1 of Scenarios and Most damaging reads as text, money in the currency
    ([report] currency); each header's note names its field."""
    from optimizer.config import load_config
    from optimizer.sweep import RESULT_COLUMNS, with_deltas, write_sweep

    cases = pd.DataFrame([
        {"scenario": "base", "description": "as it is", "status": "optimal", "message": "",
         "total_cost": 1000.0, "weighted_shortfall": 5.0, "gap_closed_pct": 90.0,
         "seconds": 0.5, "warm_start": "no", "report": ""},
        {"scenario": "cut", "description": "less", "status": "optimal", "message": "",
         "total_cost": 900.0, "weighted_shortfall": 8.0, "gap_closed_pct": 80.0,
         "seconds": 0.4, "warm_start": "yes", "report": ""}])
    config = load_config(None, ["report.currency=EUR"])
    path = write_sweep(with_deltas(cases), tmp_path / "a_sweep.xlsx", input_path=Path("a"),
                       input_sha256="00", config=config, scenario_file=None)
    book = openpyxl.load_workbook(path)
    for name in ("Scenarios", "Most damaging"):
        assert fields(book[name]) == list(RESULT_COLUMNS), name
        shown = headers(book[name])
        assert shown[4] == "Total cost (EUR)" and shown[7] == "Total cost − base (EUR)"
        assert shown[6] == "Gap closed, weighted by priority (%)"
    assert headers(book["Run info"]) == ["Key", "Value"]
