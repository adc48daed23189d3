"""The Python API (``optimizer.solve``, ``optimizer.validate``): a workbook in, an
immutable result out, whose tables are the report's sheets, row for row; settings
change the run; validation gives its problems as data; the command line is a thin
layer over the same calls."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optimizer
from optimizer.cli import main
from optimizer.errors import InputError, Problem
from optimizer.reports.tables import REPORT_SHEETS, field_names, shown_columns
from tests.alliances import sheets
from tests.conftest import write_workbook
from tests.test_sample import SAMPLE
from tests.test_scenarios import ONE_ITEM

QUIET = {"explain.rule_prices": False, "explain.measured_limits": 0}
PLAN_SHEETS = ("Allocation", "Readiness", "Budgets", "Capacity", "Expansion", "Advice",
               "Binding")


def two_hosts(tmp_path: Path, target: float = 150) -> Path:
    """A needs ``target``; line F1 (host H1) makes 100 at 10 a unit, F2 (host H2) 100 at
    20; the budget does not bind. Cheapest: 100 from F1 and 50 from F2, cost 2,000; with
    at most half from one host, 75 from each, cost 2,250."""
    return write_workbook(tmp_path / "alliance.xlsx", sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["F1", "H1", "I", 100, 10, 0], ["F2", "H2", "I", 100, 20, 0]],
        requirements=[["A", "I", "P1", target]], Budgets=[["A", "P1", 1e6]]))


def read_sheet(report: Path, sheet: str) -> pd.DataFrame:
    """A report sheet as pandas reads it, its readable headers mapped back to fields."""
    frame = pd.read_excel(report, sheet_name=sheet, engine="openpyxl")
    frame.columns = field_names(REPORT_SHEETS[sheet], list(frame.columns))
    return frame


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank cells as None and numbers as floats, whichever way they were held."""
    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        return float(value) if isinstance(value, int | float | np.number) else value
    return frame.astype(object).map(cell).reset_index(drop=True)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The bundled sample solved through the API, and the report it writes."""
    result = optimizer.solve(SAMPLE, settings=QUIET)
    report = result.write_report(tmp_path_factory.mktemp("api") / "sample_report.xlsx")
    return result, report


def test_importing_the_package_loads_no_stage():
    """``import optimizer`` stays light: pandas and the pipeline load on first call."""
    code = ("import sys, optimizer; loaded = {'pandas', 'optimizer.pipeline'} & "
            "set(sys.modules); assert not loaded, loaded; print(optimizer.__version__)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr


def test_solve_is_the_function_beside_the_solver_stage():
    """``optimizer.solve`` is the API's function, however the solver stage
    (``optimizer.solver``) has been imported."""
    import inspect

    import optimizer.solver.phases as phases
    from optimizer import solve
    from optimizer.solver import highs

    assert solve is optimizer.solve and callable(solve)
    assert "settings" in inspect.signature(solve).parameters
    assert phases.solve_model.__module__ == "optimizer.solver.phases"
    assert optimizer.solver.highs is highs and optimizer.solver.phases is phases


def test_the_tables_are_the_report_s_sheets(sample_run):
    """``result.tables[sheet]`` holds the report's columns (the fields its header notes
    name) and the sheet's rows, as the written workbook holds them."""
    result, report = sample_run
    assert result.status == "optimal"
    allocation = result.tables["Allocation"]
    assert list(allocation.columns) == [  # no framework columns: the sample has none
        column.name for column in shown_columns(result, REPORT_SHEETS["Allocation"])]
    assert "framework" not in allocation.columns
    assert len(allocation) > 0
    assert allocation["total_cost"].sum() == pytest.approx(
        result.plan.cost_terms["purchase_cost"] + result.plan.cost_terms["transport_cost"],
        rel=1e-9)
    for sheet in PLAN_SHEETS:
        pd.testing.assert_frame_equal(comparable(read_sheet(report, sheet)),
                                      comparable(result.tables[sheet]), obj=sheet)
    with pd.ExcelFile(report, engine="openpyxl") as workbook:
        assert ["Dashboard", *result.tables] == workbook.sheet_names  # every table sheet
    assert result.tables is result.tables  # made once


def test_the_result_is_immutable(sample_run):
    result, _ = sample_run
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "infeasible"
    with pytest.raises(TypeError):
        result.tables["Allocation"] = pd.DataFrame()
    later = dataclasses.replace(result, message="checked again")
    assert later.message == "checked again" and result.message != later.message


def test_the_html_page_is_drawn_from_the_tables(sample_run, tmp_path):
    result, report = sample_run
    page = result.to_html(tmp_path / "page.html").read_text(encoding="utf-8")
    assert "Stockpile allocation report: sample_alliance.xlsx" in page
    assert result.input_sha256 in page
    assert "From the report workbook" not in page  # none was named
    beside = result.to_html(tmp_path / "beside.html", report_xlsx=report)
    assert "From the report workbook sample_report.xlsx" in beside.read_text(encoding="utf-8")


def test_settings_change_the_run(tmp_path):
    path = two_hosts(tmp_path)
    free = optimizer.solve(path, settings=QUIET)
    capped = optimizer.solve(path, settings={**QUIET, "rules.max_supplier_share": 0.5})
    assert free.plan.total_cost == pytest.approx(2000)
    assert capped.plan.total_cost == pytest.approx(2250)
    info = capped.tables["Run info"]
    shown = info[(info["section"] == "configuration")
                 & (info["key"] == "rules.max_supplier_share")]["value"]
    assert shown.tolist() == [0.5]


def test_a_bad_setting_names_where_it_was_given(tmp_path):
    with pytest.raises(InputError) as caught:
        optimizer.solve(two_hosts(tmp_path), settings={"rules.max_suplier_share": 0.5})
    [problem] = caught.value.problems
    assert problem.where == "settings"
    assert "did you mean rules.max_supplier_share?" in problem.message


def test_validate_gives_the_problems_as_data(workbook_path, tmp_path):
    assert optimizer.validate(workbook_path()) == []

    def slip(tables):
        tables["Production"][1][5] = 1.5  # F1's lead_time

    problems = optimizer.validate(workbook_path(slip, name="slip.xlsx"))
    assert Problem("Production!F2", "lead_time must be a whole number from 0 to 10,000, "
                                    "got 1.5") in problems
    # Valid, but no plan can close every gap of 500 from lines that make 200 at most.
    [conflict] = optimizer.validate(two_hosts(tmp_path, target=500),
                                    settings={"rules.min_gap_closure": 1.0})
    assert conflict.severity == "infeasible"
    assert conflict.where.startswith("Requirements!")


def test_the_command_line_solves_through_the_api(tmp_path, monkeypatch):
    """``stockpile solve`` is a thin layer: it calls ``optimizer.solve`` and writes the
    result's report and page, whose tables are the API's."""
    calls = []
    solve = optimizer.solve

    def recorded(*args, **kwargs):
        calls.append(solve(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(optimizer, "solve", recorded)
    path = two_hosts(tmp_path)
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out), "--html", "--set",
                 "rules.max_supplier_share=0.5", "--set", "explain.rule_prices=false"]) == 0
    [result] = calls
    assert result.plan.total_cost == pytest.approx(2250)
    report = out / "alliance_report.xlsx"
    pd.testing.assert_frame_equal(comparable(read_sheet(report, "Allocation")),
                                  comparable(result.tables["Allocation"]))
    again = result.to_html(tmp_path / "again.html", report_xlsx=report)
    assert again.read_bytes() == (out / "alliance_report.html").read_bytes()
