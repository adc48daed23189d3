"""Infeasibility in workbook terms: the conflicting commitments with their cells, the
limits that hold them back, worked out by hand; exit 3 with a report that says why."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pytest

from tests.alliances import sheets, solve
from tests.conftest import write_workbook
from tests.headers import fields

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def consumption_before_delivery() -> dict:
    """A uses 5 in P1; the only line has lead time 1, so nothing arrives before the end
    of P2, and A holds 2."""
    return sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 1]], requirements=[["A", "I", "P2", 10]],
        Consumption=[["A", "I", "P1", 5]], Stocks=[["A", "I", 2]])


def test_consumption_before_the_earliest_delivery_names_both_cells(tmp_path):
    result = solve(tmp_path, consumption_before_delivery())
    assert result.status == "infeasible"
    table = result.diagnosis.table
    [conflict] = table.to_dict("records")
    assert (conflict["kind"], conflict["rule"]) == ("conflict", "stock cover of consumption")
    assert (conflict["ally"], conflict["item"], conflict["period"]) == ("A", "I", "P1")
    assert conflict["amount"] == near(3)  # 5 used, 2 held
    assert conflict["cell"] == "Consumption!D2"
    assert conflict["explanation"] == (
        "A uses 5 I in P1, but Stocks holds 2 (Stocks!C2) and the earliest delivery "
        "arrives at the end of P2 (Production!F2, lead time 1); 3 cannot be covered")
    assert result.diagnosis.message.startswith("Consumption!D2: A uses 5 I in P1")


def test_a_minimum_gap_closure_beyond_capacity_names_the_rule_and_the_line(tmp_path):
    """A must close 50 % of a gap of 100, the line makes 30: 20 more stay open, and each
    unit of capacity more would close one of them."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A", "Alpha", None, 0.5]], items=ONE_ITEM,
        production=[["L", "H", "I", 30, 10, 0]], requirements=[["A", "I", "P1", 100]]))
    assert result.status == "infeasible"
    table = result.diagnosis.table
    conflict = table[table["kind"] == "conflict"].iloc[0]
    assert (conflict["rule"], conflict["cell"]) == ("minimum gap closure", "Allies!D2")
    assert conflict["amount"] == near(20)
    assert "can close only 30" in conflict["explanation"]
    limit = table[table["kind"] == "limit"].iloc[0]
    assert (limit["rule"], limit["cell"]) == ("capacity", "Production!D2")
    assert limit["amount"] == near(1)


def conflicts(result) -> list[tuple]:
    table = result.diagnosis.table
    table = table[table["kind"] == "conflict"]
    return sorted(zip(table["rule"], table["ally"], table["cell"], strict=True))


def test_a_work_share_without_a_home_line_conflicts_with_closing_the_gap(tmp_path):
    """B hosts no line, so its work share lets it spend nothing; yet it must close half
    its gap. The minimal set is these two commitments of B, nothing of A."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"], ["B", "Beta", None, 0.5, 0.2]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 10], ["B", "I", "P1", 10]]))
    assert result.status == "infeasible"
    assert result.diagnosis.minimal
    assert conflicts(result) == [("minimum gap closure", "B", "Allies!D3"),
                                 ("work share", "B", "Allies!E3")]
    table = result.diagnosis.table
    work = table[table["rule"] == "work share"].iloc[0]
    assert "it hosts no production line" in work["explanation"]
    assert "2 commitments cannot all hold" in result.diagnosis.message


def test_a_single_host_item_under_a_supplier_share_conflicts_with_closing_the_gap(tmp_path):
    """Only H makes I and no host may supply over 60 %: A, which must close half its gap
    of 10 (the model's rule), can buy at most... nothing. The set is the share and the
    closure, and at the least 2 units (5 − 0.6·5) must go over the share."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]], requirements=[["A", "I", "P1", 10]]),
        "rules.max_supplier_share=0.6", "rules.min_gap_closure=0.5")
    assert result.status == "infeasible"
    assert conflicts(result) == [("minimum gap closure", "A", "model: rules.min_gap_closure"),
                                 ("supplier share", "A", "model: rules.max_supplier_share")]
    table = result.diagnosis.table
    share = table[table["rule"] == "supplier share"].iloc[0]
    assert "only H makes it" in share["explanation"]
    gives = table.loc[table["kind"] == "conflict", "amount"].sum()
    assert gives == near(2)  # the least total give: 2 over the share (or 4 gap open)


def test_solve_exits_3_says_why_and_writes_a_diagnosis_sheet(tmp_path):
    path = write_workbook(tmp_path / "alliance.xlsx", consumption_before_delivery())
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", str(path), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False)
    assert run.returncode == 3
    assert "why: Consumption!D2: A uses 5 I in P1" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "alliance_report.xlsx").exists()  # a run without a plan
    workbook = openpyxl.load_workbook(tmp_path / "alliance_diagnosis.xlsx")
    rows = list(workbook["Diagnosis"].iter_rows(values_only=True))
    summary = {r[0]: r[1] for r in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert fields(workbook["Diagnosis"])[:2] == ["kind", "rule"]
    assert rows[0][:2] == ("Kind", "Rule")
    assert rows[1][0] == "conflict"
    assert summary["status"] == "infeasible"
    assert summary["diagnosis"].startswith("Consumption!D2")


def test_validate_exits_3_with_what_it_sees_without_solving(tmp_path):
    workbook = consumption_before_delivery()
    workbook["Allies"] = [workbook["Allies"][0], ["A", "Alpha", None, 0.3]]
    # A gap before any delivery: 10 - (2 - 5) = 13.
    workbook["Requirements"].append(["A", "I", "P1", 10])
    path = write_workbook(tmp_path / "alliance.xlsx", workbook)
    run = subprocess.run([sys.executable, "-m", "optimizer", "validate", str(path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 3, run.stderr
    lines = run.stderr.splitlines()
    assert ("infeasible: Consumption!D2: A uses 5 I up to P1 but holds 2 and the earliest "
            "delivery arrives at the end of P2") in lines
    assert ("infeasible: Requirements!D3: A must close 30 % of its gap of 13 I in P1 "
            "(Allies!D2), but the earliest delivery arrives at the end of P2; a later period "
            "in rules.min_gap_closure_from starts the rule after it") in lines
    assert run.stdout.splitlines()[-1] == (
        "valid, but the solve will be infeasible: Consumption!D2: A uses 5 I up to P1 but "
        "holds 2 and the earliest delivery arrives at the end of P2 (and 1 more, listed "
        "above)")


def test_validate_is_silent_about_a_feasible_alliance(tmp_path):
    from optimizer.config import load_config
    from optimizer.explain.prechecks import evident_conflicts
    from optimizer.model.sets import build_sets
    from optimizer.workbook.synthetic import generate_workbook
    from optimizer.workbook.validation import load_workbook

    path = generate_workbook(tmp_path / "alliance.xlsx", 4, 5, 10, 6, seed=3)
    config = load_config(None, [])
    data, _ = load_workbook(path, config.rules)
    assert evident_conflicts(build_sets(data, config), data, config) == []


def test_each_diagnosis_amount_shows_its_unit(tmp_path):
    """A conflict's amount is in the item's unit, the work share's in money; a limit's
    amount is a rate and shows none."""
    path = write_workbook(tmp_path / "alliance.xlsx", sheets(
        periods=["P1"], allies=[["A"], ["B", "Beta", None, 0.5, 0.2]],
        items=[["I", "item", "rounds", False, 1, 1000, 0]],
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P1", 10], ["B", "I", "P1", 10]]))
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", str(path), "--out", str(tmp_path),
         "--set", "report.currency=EUR"], capture_output=True, text=True, check=False)
    assert run.returncode == 3, run.stderr
    sheet = openpyxl.load_workbook(tmp_path / "alliance_diagnosis.xlsx")["Diagnosis"]
    column = fields(sheet).index("amount") + 1
    formats = {(row[0].value, row[1].value): row[column - 1].number_format
               for row in sheet.iter_rows(min_row=2)}
    assert '" rounds"' in formats[("conflict", "minimum gap closure")]
    assert '" EUR"' in formats[("conflict", "work share")]
    assert all('"' not in spec for (kind, _), spec in formats.items() if kind == "limit")
