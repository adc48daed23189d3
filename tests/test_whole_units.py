"""Whole-unit plans (a MILP): the continuous items come out exact, not within the MIP's
stopping rule, and ``stockpile compare`` shows differences within the solver's tolerance
as no change.

The alliance, one period: A needs 1,500 missiles (whole units) and 800 shells, B 1,400
missiles. Lines: MA (host A) 700 missiles at 997, MB (B) 900 at 1,013, MC (C) 500 at
1,201, SA (A) 1,000 shells at 3. Budgets: A 700,003.7, B 410,000.3.
- Shells cost 3 a unit of shortfall closed against about 1,000 for a missile: A buys all
  800 shells (2,400), which leaves 1,107,604 for missiles.
- Missiles: the LP relaxation buys MA's 700 at 997 (697,900) and 404.4 more from MB at
  1,013, so at most 1,104 whole missiles; A 699 from MA, B 1 from MA and 403 from MB fit
  the budgets. W* = 2,900 − 1,104 + 0 = 1,796; the least cost at that W is 700 · 997 +
  404 · 1,013 + 800 · 3 = 1,109,552.
The MIP's phase 2 may keep W within W* · (1 + 1e-6) + 1e-6: without the re-solve with the
integers fixed it left 0.001797 shells unbought (799.998203 of 800) to save 0.0054.
"""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.config import load_config
from optimizer.model.build import create_model
from optimizer.model.plan import extract_plan
from optimizer.model.sets import build_sets
from optimizer.reports.compare import compare_reports
from optimizer.reports.tables import write_report
from optimizer.solver.phases import solve_model
from optimizer.workbook.validation import load_workbook
from tests.alliances import quantity, readiness, sheets, solve
from tests.conftest import write_workbook
from tests.headers import fields

SOLVERS = ["highs", "cbc"]
MISSILES_NEEDED = 1_500 + 1_400


def alliance() -> dict:
    return sheets(
        periods=["P1"], allies=[["A"], ["B"]],
        items=[["missile", "missile", "units", True, 1, None, 0],
               ["shell", "155 mm shell", "rounds", False, 1, None, 0]],
        production=[["MA", "A", "missile", 700, 997, 0], ["MB", "B", "missile", 900, 1013, 0],
                    ["MC", "C", "missile", 500, 1201, 0], ["SA", "A", "shell", 1000, 3, 0]],
        requirements=[["A", "missile", "P1", 1500], ["B", "missile", "P1", 1400],
                      ["A", "shell", "P1", 800]],
        Budgets=[["A", "P1", 700_003.7], ["B", "P1", 410_000.3]],
    )


@pytest.mark.parametrize("mip_gap", [1e-4, 0.05])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", ["lexicographic", "weighted"])
def test_the_continuous_item_of_a_whole_unit_plan_is_ordered_exactly(tmp_path, mode, solver,
                                                                     mip_gap):
    result = solve(tmp_path, alliance(), f"objective.mode={mode}", f"solver.name={solver}",
                   f"solver.mip_gap={mip_gap}")
    assert result.status == "optimal"
    assert result.verification.passed
    shells = readiness(result, "A", "shell", "P1")
    assert shells["shortfall"] == 0
    assert shells["closed_pct"] == 100
    assert quantity(result, item="shell") == pytest.approx(800, abs=1e-9)
    missiles = quantity(result, item="missile")
    assert missiles == round(missiles)  # whole units
    # The weighted shortfall is the missiles' alone, a whole number: no shell noise in it.
    assert result.plan.weighted_shortfall == MISSILES_NEEDED - missiles
    if mode == "lexicographic":
        # Phase 1 with the integers fixed: the W of the plan reported.
        assert result.weighted_shortfall_optimum == pytest.approx(
            result.plan.weighted_shortfall, abs=1e-9)
    if mip_gap == 1e-4:  # proven within 0.01 %: the optimum itself (see the docstring)
        assert missiles == 1_104
        assert result.plan.total_cost == pytest.approx(1_109_552, abs=1e-6)
    else:  # stopped within 5 % of the objective, which is mostly W (1e6 a unit, weighted)
        assert 1_796 <= result.plan.weighted_shortfall <= 1.06 * 1_796


@pytest.mark.parametrize("solver", SOLVERS)
def test_lexicographic_marginal_values_of_a_whole_unit_plan_are_its_continuous_parts(
        tmp_path, solver):
    """With the missiles fixed, the LP left is the shells': phase 1 of that LP says one
    more missile needed is one more short (dW/dtarget = 1) and one more shell is bought
    (0: A has money left); its cost, the lexicographic cost, says a shell target costs 3
    a unit more and a missile target nothing (at the new least shortfall). The ranges of
    that phase 1 are not cut at the MIP's slack of 0.0018 (the MIP's W row relaxed): A's
    missile dual holds until A's shortfall reaches its gap of 1,500, the target 1,500 plus
    A's missiles."""
    path = write_workbook(tmp_path / "alliance.xlsx", alliance())
    config = load_config(None, [f"solver.name={solver}", "explain.ranging=true"])
    data, _ = load_workbook(path, config.rules)
    model = create_model(build_sets(data, config), config)
    outcome = solve_model(model, config)
    assert outcome.status == "optimal"
    assert outcome.weighted_shortfall_optimum == 1_796
    rows = model.linear.rows["readiness"]
    labels = rows.labels.iloc[rows.positions][["ally", "item"]].apply(tuple, axis=1).tolist()
    of_w = dict(zip(labels, outcome.shortfall.duals[rows.start:rows.stop], strict=True))
    assert of_w == {("A", "missile"): 1, ("B", "missile"): 1, ("A", "shell"): 0}
    assert outcome.cost is outcome.final
    plan = extract_plan(model, outcome.values, outcome.duals)
    cost_of_target = plan.readiness.set_index(["ally", "item"])["marginal_cost"]
    assert cost_of_target.to_dict() == {("A", "missile"): 0, ("B", "missile"): 0,
                                        ("A", "shell"): 3}
    assert (plan.budgets["marginal_value"] == 0).all()  # each ally has more than 3 left
    assert (plan.budgets["remaining"] >= 3).all()
    if solver == "highs":  # PuLP gives no ranges
        stock = plan.readiness.set_index(["ally", "item"])["stock"]
        holds_until = dict(zip(labels, outcome.shortfall.row_up[rows.start:rows.stop],
                               strict=True))
        assert holds_until[("A", "missile")] == pytest.approx(
            1_500 + stock[("A", "missile")], abs=1e-6)
        assert holds_until[("B", "missile")] == pytest.approx(
            1_400 + stock[("B", "missile")], abs=1e-6)


def noisy_copy(report, path, relative: float, metrics=None):
    """A copy of ``report`` with its Summary figures (only ``metrics``, when given), its
    Allocation quantity and total_cost and its Readiness shortfall each multiplied by
    1 + ``relative``: another solve's round-off."""
    shutil.copy(report, path)
    workbook = openpyxl.load_workbook(path)

    def scale(sheet, columns, rows=lambda row: True):
        header = fields(workbook[sheet])
        for row in workbook[sheet].iter_rows(min_row=2):
            if not rows(row):
                continue
            for column in columns:
                cell = row[header.index(column)]
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    cell.value = cell.value * (1 + relative)

    scale("Summary", ["value"], lambda row: metrics is None or row[0].value in metrics)
    if metrics is None:
        scale("Allocation", ["quantity", "total_cost"])
        scale("Readiness", ["shortfall"])
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def whole_unit_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole_units")
    result = solve(folder, alliance())
    assert result.status == "optimal"
    return write_report(result, folder / "whole_units_report.xlsx")


def test_reports_that_differ_by_round_off_show_no_change(whole_unit_report, tmp_path, capsys):
    noisy = noisy_copy(whole_unit_report, tmp_path / "noisy_report.xlsx", 1e-9)
    comparison = compare_reports(whole_unit_report, noisy)
    for metric in ("total_cost", "weighted_shortfall", "gap_closed_pct", "purchase_cost"):
        row = comparison.kpis[comparison.kpis["metric"] == metric].iloc[0]
        assert row["a"] != row["b"]
        assert row["delta"] == 0 and row["change_pct"] == 0
    assert comparison.by_ally.empty and comparison.by_line.empty
    assert comparison.by_period.empty
    assert main(["compare", str(whole_unit_report), str(noisy)]) == 0
    out = capsys.readouterr().out
    assert ("total_cost: 1,109,552 → 1,109,552 (no change within the solver's tolerance)"
            in out)
    assert "no ally's gap closure changed" in out


def test_whole_unit_reports_count_differences_within_the_mip_gap_as_no_change(
        whole_unit_report, tmp_path):
    """Both reports are MIPs solved to solver.mip_gap = 1e-4 (Run info): a total cost 1e-5
    higher is within what either solve proved, 11 of 1,109,552. The same difference
    between reports of linear programs is a change."""
    higher = noisy_copy(whole_unit_report, tmp_path / "higher_report.xlsx", 1e-5,
                        metrics={"total_cost"})
    comparison = compare_reports(whole_unit_report, higher)
    assert comparison.mip_gap == pytest.approx(1e-4)
    cost = comparison.kpis[comparison.kpis["metric"] == "total_cost"].iloc[0]
    assert cost["b"] - cost["a"] == pytest.approx(11.09552, rel=1e-6)
    assert cost["delta"] == 0

    as_lp = tmp_path / "as_lp_report.xlsx"
    workbook = openpyxl.load_workbook(higher)
    for row in workbook["Run info"].iter_rows(min_row=2):
        if (row[0].value, row[1].value) == ("model size", "integer variables"):
            row[2].value = 0
    workbook.save(as_lp)
    comparison = compare_reports(whole_unit_report, as_lp)
    assert comparison.mip_gap == 0
    cost = comparison.kpis[comparison.kpis["metric"] == "total_cost"].iloc[0]
    assert cost["delta"] == pytest.approx(11.09552, rel=1e-6)
