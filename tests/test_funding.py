"""Funding between allies (SPEC §7.2): an ally pays for another's purchases, within a cap,
and among plans of equal weighted shortfall and cost the least funding is chosen; on both
solvers and in both objective modes."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest

from optimizer.errors import InputError
from optimizer.reports.tables import write_report
from optimizer.verify.check import verify_plan
from optimizer.workbook.validation import load_workbook
from tests.alliances import solve
from tests.conftest import write_workbook
from tests.test_burden_sharing import BAND, MODES, SOLVERS, row_of, shared_shells


def s2_pays_for_s1(cap: float | None = None) -> dict:
    """The known answer's alliance (``shared_shells``) with a Funding row S2 → S1. Money
    buys 72.5 rounds at 8 whoever pays, so the alliance stays 27.5 short and BIG 7.75
    short of its band; S1 reaches its 8 when S2 pays 14 of its 64, and S2 keeps 66 for
    8.25 of its own: W = 27.5 + 7.75 = 35.25, cost 580. S2 may pay up to 16 at that W
    (S2 then holds 8); the least funding that reaches it is 14."""
    return shared_shells(Funding=[["S2", "S1", cap]])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_s2_pays_14_for_s1s_purchases(tmp_path, solver, mode):
    result = solve(tmp_path, s2_pays_for_s1(), f"solver.name={solver}",
                   f"objective.mode={mode}", BAND)
    assert result.status == "optimal"
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(35.25, abs=1e-6)
    assert plan.total_cost == pytest.approx(580, abs=1e-5)  # CBC: within its round-off
    held = plan.fair_shares.set_index("ally")["held"].to_dict()
    assert held == pytest.approx({"BIG": 56.25, "S1": 8, "S2": 8.25}, abs=1e-6)
    [paid] = plan.funding.to_dict("records")
    assert (paid["from"], paid["to"], paid["period"]) == ("S2", "S1", "1")
    assert paid["amount"] == pytest.approx(14, abs=1e-6)
    budgets = plan.budgets.set_index("ally")
    assert budgets.loc["S1", ["spent", "funding_received", "remaining"]].tolist() \
        == pytest.approx([64, 14, 0], abs=1e-5)
    assert budgets.loc["S2", ["spent", "funding_given", "remaining"]].tolist() \
        == pytest.approx([66, 14, 0], abs=1e-5)
    assert result.verification.passed
    assert result.verification.weighted_shortfall == pytest.approx(35.25, abs=1e-6)
    assert result.summary()["movements"].startswith(
        "pays 14 for other allies' purchases: the least any plan of equal cost and "
        "shortfall can") or result.summary()["movements"].startswith(
        "pays 14 for other allies' purchases: no plan of equal cost and shortfall does less")


def test_without_the_clean_plan_funding_may_be_anything_up_to_16(tmp_path):
    """The least-funding choice is the clean plan's: without it, any amount in [14, 16]
    is optimal (the plan keeps W and cost)."""
    result = solve(tmp_path, s2_pays_for_s1(), BAND, "explain.clean_plan=false")
    assert result.plan.weighted_shortfall == pytest.approx(35.25, abs=1e-6)
    assert 14 - 1e-6 <= result.plan.funding["amount"].sum() <= 16 + 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_cap_of_10_leaves_s1_short_and_advice_prices_the_cap(tmp_path, solver):
    """With at most 10 of funding S1 spends 60 (7.5 rounds), 0.5 short of its band: W
    35.75. One more million of cap closes 1/8 of a round of S1's band shortfall (0.125 of
    W) up to a cap of 14, where S1 reaches its band."""
    result = solve(tmp_path, s2_pays_for_s1(cap=10), f"solver.name={solver}", BAND)
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(35.75, abs=1e-6)
    assert plan.funding["amount"].sum() == pytest.approx(10, abs=1e-6)
    assert result.verification.passed
    binding = result.binding
    cap = binding[binding["family"] == "funding cap"]
    assert len(cap) == 1
    assert cap.iloc[0]["ally"] == "S2"
    assert cap.iloc[0]["set_by"] == "Funding!C2"
    # The re-solve with the cap moved agrees.
    moved = solve(tmp_path, s2_pays_for_s1(cap=11), f"solver.name={solver}", BAND)
    assert plan.weighted_shortfall - moved.plan.weighted_shortfall == pytest.approx(
        0.125, abs=1e-6)
    # Per million, as Binding values every money limit (0.125 a unit, to first order).
    assert cap.iloc[0]["shortfall_closed"] == pytest.approx(125_000, rel=1e-6)
    advice = result.advice
    row = advice[advice["advice"].str.contains("S2 may pay for S1", na=False)]
    assert len(row) == 1
    row = row.iloc[0]
    if solver == "cbc":  # no ranging: quoted per million, as CBC quotes a budget
        assert row["advice"].startswith("each more million that S2 may pay for S1's ")
        return
    assert row["advice"].startswith("each more unit of money that S2 may pay for S1's "
                                    "purchases")
    assert (row["kind"], row["per"]) == ("funding cap", "unit of money")
    assert row["shortfall_closed"] == pytest.approx(0.125, abs=1e-6)
    assert row["holds_until"] == pytest.approx(14, abs=1e-6)


def test_the_report_shows_funding_and_budgets_net_of_it(tmp_path):
    result = solve(tmp_path, s2_pays_for_s1(), BAND)
    report = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    rows = list(report["Funding"].iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    [row] = [dict(zip(header, cells, strict=True)) for cells in rows[1:]]
    assert (row["From"], row["To"], row["Period"]) == ("S2", "S1", "1")
    assert row["Amount"] == pytest.approx(14, abs=1e-6)
    assert row["Cap"] is None
    assert row["Funding row"] == 2
    budgets = list(report["Budgets"].iter_rows(values_only=True))
    header = [str(cell) for cell in budgets[0]]
    s1 = next(dict(zip(header, cells, strict=True)) for cells in budgets[1:]
              if cells[0] == "S1")
    assert (s1["Spent"], s1["Funding given"], s1["Funding received"], s1["Remaining"]) \
        == pytest.approx((64, 0, 14, 0), abs=1e-6)


def test_a_workbook_without_funding_has_no_funding_sheet(tmp_path):
    result = solve(tmp_path, shared_shells(), BAND)
    report = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    assert "Funding" not in report.sheetnames
    assert result.plan.funding.empty


def test_the_verifier_recounts_funding_against_caps_and_budgets(tmp_path):
    result = solve(tmp_path, s2_pays_for_s1(cap=10), BAND)
    plan = result.plan
    more = plan.funding.assign(amount=12.0)
    broken = verify_plan(result.data, result.config, dataclasses.replace(plan, funding=more))
    assert sorted(v.sentence for v in broken.violations) == [
        "budget of S2 in 1 overspent by 2", "funding cap of S2 for S1 exceeded by 2"]
    reversed_pair = plan.funding.assign(**{"from": "S1", "to": "S2"})
    broken = verify_plan(result.data, result.config,
                         dataclasses.replace(plan, funding=reversed_pair))
    assert any("funding from S1 to S2 in 1: no such pair in Funding" in v.sentence
               for v in broken.violations)


def test_funding_names_two_allies(tmp_path):
    workbook = shared_shells(Funding=[["S2", "S2", None], ["S3", "S1", 5]])
    path = write_workbook(tmp_path / "funding.xlsx", workbook)
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    messages = {problem.where: problem.message for problem in raised.value.problems}
    assert "'S2' cannot fund itself" in messages["Funding!B2"]
    assert messages["Funding!A3"].startswith("from 'S3' is not defined in Allies")


def test_a_negative_cap_is_refused(tmp_path):
    path = write_workbook(tmp_path / "funding.xlsx", shared_shells(Funding=[["S2", "S1", -1]]))
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    [problem] = raised.value.problems
    assert problem.where == "Funding!C2"


def test_burden_by_ally_shows_funding_given_and_received(tmp_path):
    result = solve(tmp_path, s2_pays_for_s1(), BAND)
    burden = result.plan.burden.set_index("ally")
    assert burden["funding_given"].to_dict() == pytest.approx(
        {"BIG": 0, "S1": 0, "S2": 14}, abs=1e-6)
    assert burden["funding_received"].to_dict() == pytest.approx(
        {"BIG": 0, "S1": 14, "S2": 0}, abs=1e-6)
    # S1 holds its whole band, 8 of its fair share of 10: 80 %.
    assert burden.loc["S1", "closure_pct"] == pytest.approx(80, abs=1e-6)
    report = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    rows = list(report["Burden by ally"].iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    s2 = next(dict(zip(header, cells, strict=True)) for cells in rows[1:] if cells[0] == "S2")
    assert (s2["Funding given"], s2["Funding received"]) == pytest.approx((14, 0), abs=1e-6)


def test_diagnosis_names_the_funding_cap_that_holds_a_commitment_back(tmp_path):
    """S1 must close its whole gap of 8 (rules.min_gap_closure = 1): 64 of money, of which
    its budget gives 50 and S2 at most 10, so 0.5 round stays open; the cap and S1's
    budget are what hold the commitment back."""
    workbook = s2_pays_for_s1(cap=10)
    workbook["Requirements"].append(["S1", "SHELL", "1", 8])
    result = solve(tmp_path, workbook, "rules.min_gap_closure=1")
    assert result.status == "infeasible"
    table = result.diagnosis.table
    conflict = row_of(table, kind="conflict")
    assert (conflict["rule"], conflict["ally"]) == ("minimum gap closure", "S1")
    assert conflict["amount"] == pytest.approx(0.5, abs=1e-6)
    limits = table[table["kind"] == "limit"]
    assert set(zip(limits["rule"], limits["cell"], strict=True)) == {
        ("funding cap", "Funding!C2"), ("budget", "Budgets!C3")}
