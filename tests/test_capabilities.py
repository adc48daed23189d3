"""Standardisation (SPEC §7.1): platforms whose capability targets count every item they can
fire, each unit of stock counted toward one platform, on both solvers and in both modes."""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pytest

from optimizer.model.build import create_model
from optimizer.model.sets import build_sets
from optimizer.reports.html import html_page
from optimizer.reports.tables import report_tables, write_report
from optimizer.verify.check import verify_plan
from tests.alliances import sheets, solve

SOLVERS = ["highs", "cbc"]
MODES = ["lexicographic", "weighted"]


def interchangeable(b_qualified_for_px: bool, **optional: list[list]) -> dict:
    """Thousands of rounds, money in M€. A standard round A (cost 4, 100 a period), a
    national variant B (3, 80) and another design C (6, 30); X operates PX, Y operates
    PY. PX fires A and C, and B at factor 0.9 once qualified; PY fires B and C. X needs
    140 of capability, Y 60, priority 1.

    B not qualified for PX: X holds A 100 + C 30 = 130 (weighted shortfall 10), Y takes
    B 60; cost 400 + 180 + 180 = 760. B qualified: Y's B is cheapest for Y, so X takes
    A 100, the other 20 B (18 of capability) and C 22; cost 400 + 240 + 132 = 772."""
    return sheets(
        periods=["1"],
        allies=[["X"], ["Y"]],
        items=[["A", "standard round"], ["B", "national variant"], ["C", "another design"]],
        production=[["FA", "X", "A", 100, 4, 0], ["FB", "Y", "B", 80, 3, 0],
                    ["FC", "X", "C", 30, 6, 0]],
        Platforms=[["X", "PX", 1], ["Y", "PY", 1]],
        Compatibility=[["PX", "A", 1, True], ["PX", "C", 1, True],
                       ["PX", "B", 0.9, b_qualified_for_px],
                       ["PY", "B", 1, True], ["PY", "C", 1, True]],
        CapabilityTargets=[["X", "PX", "1", 140], ["Y", "PY", "1", 60]],
        **optional,
    )


def capability(result, ally: str, platform: str) -> dict:
    table = result.plan.capabilities
    return table[(table["ally"] == ally) & (table["platform"] == platform)].iloc[0].to_dict()


def counted(result, ally: str) -> dict[str, float]:
    table = result.plan.counted
    rows = table[table["ally"] == ally]
    return dict(zip(rows["item"], rows["counted"], strict=True))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_without_the_qualification_x_falls_short_by_10(tmp_path, solver, mode):
    result = solve(tmp_path, interchangeable(False), f"solver.name={solver}",
                   f"objective.mode={mode}")
    assert result.status == "optimal"
    plan = result.plan
    assert plan.total_cost == pytest.approx(760, rel=1e-9)
    assert plan.weighted_shortfall == pytest.approx(10, abs=1e-6)
    x, y = capability(result, "X", "PX"), capability(result, "Y", "PY")
    assert (x["target"], x["held"], x["shortfall"]) == pytest.approx((140, 130, 10), abs=1e-6)
    assert x["closed_pct"] == pytest.approx(100 * 130 / 140)
    assert x["items"] == "A 100, C 30"
    assert (y["held"], y["shortfall"], y["items"]) == (pytest.approx(60), pytest.approx(0),
                                                       "B 60")
    assert counted(result, "X") == pytest.approx({"A": 100, "C": 30})
    assert result.verification.passed
    assert result.verification.weighted_shortfall == pytest.approx(10, abs=1e-6)
    summary = result.summary()
    assert summary["capability_shortfall"] == pytest.approx(10, abs=1e-6)
    assert summary["capability_met_pct"] == pytest.approx(100 * (1 - 10 / 200))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_qualifying_b_for_px_closes_the_shortfall(tmp_path, solver, mode):
    result = solve(tmp_path, interchangeable(True), f"solver.name={solver}",
                   f"objective.mode={mode}")
    assert result.status == "optimal"
    plan = result.plan
    assert plan.total_cost == pytest.approx(772, rel=1e-9)
    assert plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert counted(result, "X") == pytest.approx({"A": 100, "B": 20, "C": 22}, abs=1e-6)
    assert counted(result, "Y") == pytest.approx({"B": 60}, abs=1e-6)
    x = capability(result, "X", "PX")
    assert (x["held"], x["shortfall"]) == pytest.approx((140, 0), abs=1e-6)
    assert x["items"] == "A 100, B 20 (× 0.9), C 22"
    # One more unit for X is a unit of C; for Y a unit of B that X replaces by 0.9 of C.
    assert x["marginal_cost"] == pytest.approx(6, abs=1e-6)
    assert capability(result, "Y", "PY")["marginal_cost"] == pytest.approx(5.4, abs=1e-6)
    assert result.verification.passed
    assert result.verification.weighted_shortfall == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_whole_rounds_give_the_same_plan(tmp_path, solver, mode):
    """Items in whole units make the model a MIP: the shortfall phase's bound row, relaxed
    for the re-solve with the integers fixed, holds only bounded terms (v ≤ target)."""
    workbook = interchangeable(True)
    workbook["Items"][1:] = [[*row, "rounds", True] for row in workbook["Items"][1:]]
    result = solve(tmp_path, workbook, f"solver.name={solver}", f"objective.mode={mode}")
    assert result.status == "optimal"
    assert result.plan.total_cost == pytest.approx(772, rel=1e-9)
    assert counted(result, "X") == pytest.approx({"A": 100, "B": 20, "C": 22}, abs=1e-6)
    assert result.verification.passed


def test_the_capabilities_sheet_of_the_report(tmp_path):
    result = solve(tmp_path, interchangeable(False))
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    assert workbook.sheetnames.index("Capabilities") == workbook.sheetnames.index(
        "Readiness") + 1
    rows = list(workbook["Capabilities"].iter_rows(values_only=True))
    assert rows[0] == ("Ally", "Platform", "Period", "Target (units of capability)",
                       "Held (units of capability)", "Shortfall (units of capability)",
                       "Target met (%)", "Cost of one more unit of target",
                       "Items counted", "Priority", "CapabilityTargets row")
    assert rows[1][:7] == ("X", "PX", "1", 140, 130, 10, pytest.approx(100 * 130 / 140))
    assert rows[1][8:] == ("A 100, C 30", 1, 2)
    assert rows[2][:7] == ("Y", "PY", "1", 60, 60, 0, 100)
    assert rows[2][8] == "B 60"
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["weighted_shortfall"] == pytest.approx(10)
    assert summary["capability_shortfall"] == pytest.approx(10)
    page = html_page(report_tables(result))
    assert '<section id="capabilities">' in page and "A 100, C 30" in page


def test_priority_weighs_the_platforms_shortfall(tmp_path):
    workbook = interchangeable(False)
    workbook["Platforms"][1] = ["X", "PX", 2.5]
    result = solve(tmp_path, workbook)
    assert result.plan.weighted_shortfall == pytest.approx(25, abs=1e-6)
    assert result.verification.weighted_shortfall == pytest.approx(25, abs=1e-6)


def test_capability_and_readiness_targets_share_the_stock(tmp_path):
    """A unit held for a Requirements row also counts toward a platform: both are about
    the same stock s(a,i,t). Here X also needs 100 of A itself; A's 100 serve both."""
    result = solve(tmp_path, interchangeable(False, Requirements=[["X", "A", "1", 100]]))
    assert result.plan.total_cost == pytest.approx(760, rel=1e-9)
    assert result.plan.weighted_shortfall == pytest.approx(10, abs=1e-6)
    assert result.verification.passed


def test_the_verifier_recounts_the_capability_rows(tmp_path):
    result = solve(tmp_path, interchangeable(True))
    plan = result.plan
    twice = plan.counted.copy()
    twice.loc[(twice["ally"] == "Y") & (twice["item"] == "B"), "counted"] = 80.0
    broken = verify_plan(result.data, result.config, dataclasses.replace(plan, counted=twice))
    assert not broken.passed
    assert {v.family for v in broken.violations} == {"capability_count"}
    assert "Y B 1" in broken.worst and "20" in broken.worst

    hidden = plan.counted[plan.counted["item"] != "C"].reset_index(drop=True)
    broken = verify_plan(result.data, result.config, dataclasses.replace(plan, counted=hidden))
    assert [v.sentence for v in broken.violations] == [
        "capability target of X's PX in 1 missed by 22"]

    unqualified = dataclasses.replace(result.data, compatibility=result.data.compatibility.assign(
        qualified=result.data.compatibility["item"] != "B"))
    broken = verify_plan(unqualified, result.config, plan)
    assert any("not qualified" in v.sentence for v in broken.violations)


def test_a_workbook_without_capability_targets_plans_as_before(tmp_path):
    """Platforms and Compatibility without CapabilityTargets add no column or row: the
    model and the plan are those of the workbook without the new sheets."""
    plain = sheets(periods=["1", "2"], allies=[["X"], ["Y"]], items=[["A"], ["B"]],
                   production=[["FA", "X", "A", 100, 4, 1], ["FB", "Y", "B", 80, 3, 0]],
                   requirements=[["X", "A", "2", 90], ["Y", "B", "2", 120]],
                   Budgets=[["Y", "1", 150]])
    with_platforms = {**plain, **{name: interchangeable(True)[name]
                                  for name in ("Platforms", "Compatibility")}}
    with_platforms["Compatibility"] = [row for row in with_platforms["Compatibility"]
                                       if row[1] != "C"]
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = solve(tmp_path / "before", plain)
    after = solve(tmp_path / "after", with_platforms)
    models = [create_model(build_sets(r.data, r.config), r.config) for r in (before, after)]
    assert "c" not in models[1].linear.columns and "capability" not in models[1].linear.rows
    assert (models[0].linear.structure_fingerprint()
            == models[1].linear.structure_fingerprint())
    assert after.plan.total_cost == before.plan.total_cost
    assert after.plan.weighted_shortfall == before.plan.weighted_shortfall
    assert np.array_equal(after.plan.orders["quantity"], before.plan.orders["quantity"])
    assert "capability_shortfall" not in after.summary()
    assert after.verification.checked == before.verification.checked
    workbook = openpyxl.load_workbook(write_report(after, tmp_path / "r.xlsx"))
    assert "Capabilities" not in workbook.sheetnames
    assert 'id="capabilities"' not in html_page(report_tables(after))


def test_rule_prices_count_the_platforms_shortfall_ally_by_ally(tmp_path):
    """Budgets without carry-over hold X's capability back in the second period; the
    allies' rows of the rule's price add up to the rule's, capability shortfall included."""
    workbook = interchangeable(True, Budgets=[["Y", "1", 150], ["X", "1", 600]])
    workbook["Periods"].append(["2"])
    workbook["CapabilityTargets"] += [["X", "PX", "2", 200], ["Y", "PY", "2", 100]]
    result = solve(tmp_path, workbook)
    assert result.verification.passed
    prices = result.rule_prices
    rule = prices[prices["ally"].isna()].iloc[0]
    allies = prices[prices["ally"].notna()]
    assert rule["shortfall_of_rule"] > 1
    assert allies["shortfall_of_rule"].sum() == pytest.approx(rule["shortfall_of_rule"])
    assert rule["weighted_shortfall_without"] == pytest.approx(
        result.plan.weighted_shortfall - rule["shortfall_of_rule"])


def test_validate_counts_the_capability_targets(tmp_path, capsys):
    from optimizer.cli import main
    from tests.alliances import write_workbook

    path = write_workbook(tmp_path / "alliance.xlsx", interchangeable(False))
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("is valid: 2 allies, 3 items, 3 production lines, 1 periods, 0 readiness "
            "targets, 2 capability targets") in out
