"""Burden sharing (SPEC §7.2), its first part: alliance targets and the fair-share band, on
both solvers and in both objective modes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from optimizer.config import load_config
from optimizer.errors import InputError
from optimizer.pipeline import solve_workbook
from optimizer.reports.tables import write_report
from optimizer.verify.check import verify_plan
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets, solve
from tests.conftest import write_workbook

SOLVERS = ["highs", "cbc"]
MODES = ["lexicographic", "weighted"]
BAND = "rules.fair_share_band=0.2"
SAMPLE = Path(__file__).parent.parent / "inputs" / "sample_alliance.xlsx"


def shared_shells(**optional: list[list]) -> dict:
    """Thousands of rounds, money in M€, one period. The alliance must hold 100 SHELL at
    its end (priority 1), and no ally has a target of its own; fair shares BIG 0.8, S1
    0.1, S2 0.1, so that with the band δ = 0.2 each must hold at least 64, 8 and 8. Line
    L in BIG makes 110 at 8 a round; line M outside the alliance (host OUT) 100 at 8.
    Budgets BIG 450, S1 50, S2 80: BIG affords 56.25, S1 6.25, S2 10, 72.5 in all, so
    the alliance is 27.5 short, BIG 7.75 short of its band and S1 1.75: W = 37, cost
    580."""
    return sheets(
        periods=["1"],
        allies=[["BIG", "Big", None, None, None, None, 0.8],
                ["S1", "Small one", None, None, None, None, 0.1],
                ["S2", "Small two", None, None, None, None, 0.1]],
        items=[["SHELL", "155 mm", "thousand rounds", False, 1]],
        production=[["L", "BIG", "SHELL", 110, 8, 0], ["M", "OUT", "SHELL", 100, 8, 0]],
        Budgets=[["BIG", "1", 450], ["S1", "1", 50], ["S2", "1", 80]],
        AllianceTargets=[["SHELL", "1", 100, 1]],
        **optional,
    )


def row_of(table, **match):
    for column, value in match.items():
        table = table[table[column] == value]
    assert len(table) == 1
    return table.iloc[0].to_dict()


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_the_band_leaves_big_and_s1_short_of_their_shares(tmp_path, solver, mode):
    result = solve(tmp_path, shared_shells(), f"solver.name={solver}",
                   f"objective.mode={mode}", BAND)
    assert result.status == "optimal"
    plan = result.plan
    assert plan.total_cost == pytest.approx(580, rel=1e-9)
    assert plan.weighted_shortfall == pytest.approx(37, abs=1e-6)
    assert plan.alliance_shortfall == pytest.approx(37, abs=1e-6)
    target = row_of(plan.alliance, item="SHELL", period="1")
    assert (target["target"], target["held"], target["shortfall"]) == pytest.approx(
        (100, 72.5, 27.5), abs=1e-6)
    assert target["closed_pct"] == pytest.approx(72.5)
    assert target["priority"] == 1
    expected = {"BIG": (0.8, 64, 56.25, 7.75), "S1": (0.1, 8, 6.25, 1.75),
                "S2": (0.1, 8, 10, 0)}
    for ally, figures in expected.items():
        share = row_of(plan.fair_shares, ally=ally)
        assert (share["fair_share"], share["band_floor"], share["held"],
                share["short_of_band"]) == pytest.approx(figures, abs=1e-6)
    assert result.verification.passed
    assert result.verification.weighted_shortfall == pytest.approx(37, abs=1e-6)
    assert result.verification.total_cost == pytest.approx(580, rel=1e-9)

    assert result.summary()["alliance_shortfall"] == pytest.approx(37, abs=1e-6)

    path = write_report(result, tmp_path / "report.xlsx")
    report = openpyxl.load_workbook(path)
    summary = {row[0]: row[1:] for row in report["Summary"].iter_rows(values_only=True)}
    value, note = summary["weighted_shortfall"]
    assert value == pytest.approx(37, abs=1e-6)
    assert "alliance target and its fair-share band" in note
    sheet = report["Burden sharing"]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(cells) == {"BIG", "S1", "S2"}
    expected_cells = {  # fair share %, band floor, held, share of stock held %, short
        "BIG": (80, 64, 56.25, 100 * 56.25 / 72.5, 7.75),
        "S1": (10, 8, 6.25, 100 * 6.25 / 72.5, 1.75),
        "S2": (10, 8, 10, 100 * 10 / 72.5, 0)}
    for ally, figures in expected_cells.items():
        row = cells[ally]
        assert (row["Item"], row["Period"]) == ("SHELL", "1")
        assert [row[h] for h in ("Fair share (%)", "Band floor", "Held",
                                 "Share of alliance stock held (%)", "Short of band")] \
            == pytest.approx(figures, abs=1e-6)
        assert row["Alliance shortfall"] == pytest.approx(27.5, abs=1e-6)

    prices = result.rule_prices
    band = prices[(prices["rule"] == "fair-share band") & prices["ally"].isna()]
    assert len(band) == 1
    band = band.iloc[0]
    assert band["set_by"] == "rules.fair_share_band"
    assert band["status"] == "optimal"
    assert band["shortfall_of_rule"] == pytest.approx(9.5, abs=1e-6)  # 7.75 + 1.75
    assert band["cost_of_rule"] == pytest.approx(0, abs=1e-6)
    allies = prices[(prices["rule"] == "fair-share band") & prices["ally"].notna()]
    assert dict(zip(allies["ally"], allies["shortfall_of_rule"], strict=True)) \
        == pytest.approx({"BIG": 7.75, "S1": 1.75}, abs=1e-6)


def test_without_the_band_only_the_alliance_shortfall_counts(tmp_path):
    result = solve(tmp_path, shared_shells())
    assert result.plan.weighted_shortfall == pytest.approx(27.5, abs=1e-6)
    assert result.plan.total_cost == pytest.approx(580, rel=1e-9)
    assert result.verification.passed
    assert (result.plan.fair_shares["short_of_band"] == 0).all()
def test_blank_fair_shares_follow_gdp_and_priority_follows_the_item(tmp_path):
    """Blank fair shares: gdp / Σ gdp (BIG 8, S1 1, S2 1 of 10 gives 0.8, 0.1, 0.1, the
    same plan); a blank priority is the item's (2 here), which doubles W."""
    workbook = shared_shells()
    workbook["Allies"][1:] = [row[:2] + [gdp] + row[3:6] + [None] for row, gdp in
                              zip(workbook["Allies"][1:], [8, 1, 1], strict=True)]
    workbook["Items"][1][4] = 2
    workbook["AllianceTargets"][1][3] = None
    result = solve(tmp_path, workbook, BAND)
    shares = result.plan.fair_shares.set_index("ally")
    assert shares["fair_share"].to_dict() == pytest.approx({"BIG": 0.8, "S1": 0.1, "S2": 0.1})
    assert result.plan.alliance["priority"].tolist() == [2]
    assert result.plan.weighted_shortfall == pytest.approx(2 * 37, abs=1e-6)
    assert result.verification.passed
    assert result.verification.weighted_shortfall == pytest.approx(2 * 37, abs=1e-6)


def test_the_verifier_recounts_the_alliance_and_band_rows(tmp_path):
    result = solve(tmp_path, shared_shells(), BAND)
    plan = result.plan
    less = plan.alliance.assign(shortfall=20.0)
    broken = verify_plan(result.data, result.config, dataclasses.replace(plan, alliance=less))
    assert [v.sentence for v in broken.violations] == [
        "alliance target of SHELL in 1 missed by 7.5"]
    hidden = plan.fair_shares.assign(short_of_band=0.0)
    broken = verify_plan(result.data, result.config,
                         dataclasses.replace(plan, fair_shares=hidden))
    assert sorted(v.sentence for v in broken.violations) == [
        "fair-share band of BIG for SHELL in 1 missed by 7.75",
        "fair-share band of S1 for SHELL in 1 missed by 1.75"]
    assert broken.weighted_shortfall == pytest.approx(27.5, abs=1e-6)


def allies_with(shares: list) -> list[list]:
    return [row[:6] + [share] for row, share in zip(shared_shells()["Allies"][1:], shares,
                                                    strict=True)]


def test_fair_shares_must_sum_to_1(tmp_path):
    workbook = shared_shells()
    workbook["Allies"][1:] = allies_with([0.8, 0.1, 0.2])
    path = write_workbook(tmp_path / "shares.xlsx", workbook)
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    [problem] = raised.value.problems
    assert problem.where == "Allies!G2:G4"
    assert "fair shares of Allies (column fair_share) sum to 1.1, not 1" in problem.message
    assert "add up to 1" in problem.message


def test_fair_shares_are_given_for_every_ally_or_none(tmp_path):
    workbook = shared_shells()
    workbook["Allies"][1:] = allies_with([0.8, None, 0.2])
    path = write_workbook(tmp_path / "shares.xlsx", workbook)
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    [problem] = raised.value.problems
    assert problem.where == "Allies!G3"
    assert "given for some allies but blank for S1" in problem.message


def test_the_band_needs_fair_shares_or_gdp(tmp_path):
    workbook = shared_shells()
    workbook["Allies"][1:] = allies_with([None, None, None])
    path = write_workbook(tmp_path / "shares.xlsx", workbook)
    load_workbook(path)  # the band off: no share is needed
    with pytest.raises(InputError) as raised:
        load_workbook(path, load_config(None, [BAND]).rules)
    [problem] = raised.value.problems
    assert "gdp is blank for BIG, S1, S2" in problem.message


def test_alliance_targets_name_known_items_and_periods(tmp_path):
    workbook = shared_shells()
    workbook["AllianceTargets"].append(["SHEL", "2", 10, None])
    path = write_workbook(tmp_path / "targets.xlsx", workbook)
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    found = {p.where: p.message for p in raised.value.problems}
    assert found["AllianceTargets!A3"].startswith("item 'SHEL' is not defined in Items")
    assert "did you mean 'SHELL'?" in found["AllianceTargets!A3"]
    assert found["AllianceTargets!B3"].startswith("period '2' is not defined in Periods")


def test_the_sample_plans_as_before_without_the_new_sheet_and_column(tmp_path):
    """The sample with its AllianceTargets rows taken out (the sheet left, headed, and
    the fair shares given) with the band on plans as the sample without the sheet and
    the fair_share column: no column or row is added."""
    settings = ["explain.rule_prices=false", "explain.standardisation=false"]
    workbook = openpyxl.load_workbook(SAMPLE)
    targets = workbook["AllianceTargets"]
    targets.delete_rows(2, targets.max_row - 1)
    workbook.save(tmp_path / "after.xlsx")
    del workbook["AllianceTargets"]
    allies = workbook["Allies"]
    [fair_share] = [cell.column for cell in allies[1] if cell.value == "fair_share"]
    allies.delete_cols(fair_share)
    workbook.save(tmp_path / "before.xlsx")
    before = solve_workbook(tmp_path / "before.xlsx", load_config(None, settings))
    after = solve_workbook(tmp_path / "after.xlsx", load_config(None, [*settings, BAND]))
    assert after.status == before.status == "optimal"
    assert after.plan.total_cost == before.plan.total_cost
    assert after.plan.weighted_shortfall == before.plan.weighted_shortfall
    assert after.verification.checked == before.verification.checked
    assert after.plan.alliance.empty and "alliance_shortfall" not in after.summary()
    assert "Burden sharing" not in openpyxl.load_workbook(
        write_report(after, tmp_path / "r.xlsx")).sheetnames


def test_validate_counts_the_alliance_targets(tmp_path, capsys):
    from optimizer.cli import main

    path = write_workbook(tmp_path / "alliance.xlsx", shared_shells())
    assert main(["validate", str(path)]) == 0
    assert ("is valid: 3 allies, 1 items, 2 production lines, 1 periods, 0 readiness "
            "targets, 1 alliance targets") in capsys.readouterr().out
