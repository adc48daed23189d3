"""Solver status (SPEC §4): a limit never yields "optimal"; exit codes follow the status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook as open_xlsx
from pulp import LpSolveStatus

from optimizer.solver import highs
from optimizer.solver import pulp as pulp_backend
from optimizer.workbook.synthetic import generate_workbook


@pytest.mark.parametrize(
    ("status", "has_solution", "expected"),
    [
        (LpSolveStatus.Optimal, True, "optimal"),
        (LpSolveStatus.TimeLimit, True, "feasible"),
        (LpSolveStatus.IterationLimit, True, "feasible"),
        (LpSolveStatus.GapLimit, True, "optimal"),  # proven within solver.mip_gap
        (LpSolveStatus.GapLimit, False, "error"),
        (LpSolveStatus.TimeLimit, False, "error"),
        (LpSolveStatus.Infeasible, False, "infeasible"),
        (LpSolveStatus.Undefined, False, "infeasible"),
        (LpSolveStatus.NumericalError, False, "error"),
        (LpSolveStatus.NotSolved, False, "error"),
    ],
)
def test_every_pulp_outcome_maps_to_a_spec_status(status, has_solution, expected):
    assert pulp_backend.classify(status, has_solution)[0] == expected


@pytest.mark.parametrize(
    ("status", "has_solution", "expected"),
    [
        ("kOptimal", True, "optimal"),
        ("kTimeLimit", True, "feasible"),
        ("kSolutionLimit", True, "feasible"),
        ("kInterrupt", True, "feasible"),
        ("kTimeLimit", False, "error"),
        ("kInfeasible", False, "infeasible"),
        ("kUnboundedOrInfeasible", False, "infeasible"),
        ("kSolveError", False, "error"),
        ("kUnknown", True, "error"),
        ("kSomethingNew", True, "error"),
    ],
)
def test_every_highs_outcome_maps_to_a_spec_status(status, has_solution, expected):
    assert highs.classify(status, has_solution)[0] == expected


def test_a_limit_without_a_solution_says_so():
    assert highs.classify("kTimeLimit", False) == (
        "error", "stopped by the time limit before finding any solution")


def test_a_time_limited_solve_is_feasible_verified_and_flagged(tmp_path):
    """Integer items make phase 2 a MIP that HiGHS cannot prove optimal in a second or two;
    it starts from phase 1's solution, so it always has one to report."""
    workbook = generate_workbook(tmp_path / "alliance.xlsx", 5, 10, 40, 12, seed=1)
    seen = []
    for limit in (1, 2, 4, 8):
        run = subprocess.run(
            [sys.executable, "-m", "optimizer", "solve", str(workbook), "--out",
             str(tmp_path), "--json", "--set", f"solver.time_limit={limit}"],
            capture_output=True, text=True, check=False,
        )
        summary = json.loads(run.stdout)
        seen.append(summary["status"])
        assert summary["status"] != "optimal" or limit == 8, summary
        if summary["status"] == "feasible":
            break
        assert run.returncode == 4 and "stopped by the time limit" in summary["message"]
    assert seen[-1] == "feasible", seen
    assert run.returncode == 0
    assert summary["message"] == "stopped by the time limit with a solution not proven optimal"
    assert summary["verifier_max_violation"] < 1e-6
    report = open_xlsx(summary["report"], read_only=True)
    values = {row[0]: row[1] for row in report["Summary"].iter_rows(min_row=2,
                                                                    values_only=True)}
    report.close()
    assert values["status"] == "feasible"
    assert "NOT proven optimal" in values["optimality"]


def test_a_solver_that_is_not_installed_names_what_to_install(tmp_path, capsys):
    """SCIP through PuLP needs pyscipopt, which the project does not install."""
    import pulp

    from optimizer.cli import main

    if pulp.getSolver("SCIP_PY", msg=False).available():
        pytest.skip("SCIP is installed here")
    path = generate_workbook(tmp_path / "g.xlsx", 2, 2, 3, 2, seed=1)
    assert main(["solve", str(path), "--out", str(tmp_path), "--set", "solver.name=scip"]) == 4
    err = capsys.readouterr().err
    assert "solver 'scip' is not installed; install it with: pip install 'pulp[scip]'" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("*_report.xlsx"))


def test_a_status_is_its_own_text_and_says_whether_a_plan_was_left():
    """The report, --json and the sweep's records write a status as its text; a plan
    exists for optimal and feasible only."""
    from optimizer.model.status import Status, has_plan

    assert [str(status) for status in Status] == ["optimal", "feasible", "infeasible",
                                                  "error"]
    assert json.dumps({"status": Status.FEASIBLE}) == '{"status": "feasible"}'
    assert [status.has_plan for status in Status] == [True, True, False, False]
    assert has_plan("optimal") and not has_plan("infeasible")
