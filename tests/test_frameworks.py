"""Burden sharing (SPEC §7.2), joint purchases: orders through a lead nation's framework
at its pooled price, members paying a fee into the lead's budget; on both solvers and in
both objective modes."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest

from optimizer.config import load_config
from optimizer.errors import InputError
from optimizer.model.build import create_model
from optimizer.model.sets import build_sets
from optimizer.pipeline import solve_data
from optimizer.reports.tables import write_report
from optimizer.scenarios.edits import load_scenarios
from optimizer.verify.check import verify_plan
from optimizer.workbook.validation import load_workbook
from tests.alliances import solve
from tests.conftest import write_workbook
from tests.test_burden_sharing import BAND, row_of, shared_shells

SOLVERS = ["highs", "cbc"]
MODES = ["lexicographic", "weighted"]
FRAMEWORK = [["F", "L", "SHELL", "BIG", 5, 0.5]]  # on line L, led by BIG: 5 a round, fee 0.5
MEMBERS = [["F", "S1"], ["F", "S2"]]


def pooled(**optional: list[list]) -> dict:
    """``shared_shells`` with framework F on line L led by BIG for S1 and S2, unit_price 5,
    fee 0.5: BIG buys 84 at 5 (420 of its 450 and the 8 of fees), S1 and S2 8 each at
    5.5, so that every band floor (64, 8, 8) and the alliance's 100 are held: W = 0,
    cost 420 + 88 = 508 (fees 8)."""
    return shared_shells(**{"Frameworks": FRAMEWORK, "FrameworkMembers": MEMBERS, **optional})


def order_of(plan, ally: str) -> dict:
    return row_of(plan.orders, ally=ally)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_small_allies_buy_at_the_lead_nations_price(tmp_path, solver, mode):
    result = solve(tmp_path, pooled(), f"solver.name={solver}", f"objective.mode={mode}",
                   BAND)
    assert result.status == "optimal"
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert plan.total_cost == pytest.approx(508, rel=1e-9)
    assert plan.cost_terms["purchase_cost"] == pytest.approx(500, rel=1e-9)
    assert plan.cost_terms["framework_fees"] == pytest.approx(8, rel=1e-9)
    assert len(plan.orders) == 3
    expected = {  # quantity, unit_cost, framework_fee, price, total_cost
        "BIG": (84, 5, 0, 5, 420), "S1": (8, 5, 0.5, 5.5, 44), "S2": (8, 5, 0.5, 5.5, 44)}
    for ally, figures in expected.items():
        order = order_of(plan, ally)
        assert (order["facility"], order["host"], order["framework"]) == ("L", "BIG", "F")
        assert (order["quantity"], order["unit_cost"], order["framework_fee"], order["price"],
                order["total_cost"]) == pytest.approx(figures, rel=1e-9, abs=1e-6)
    held = {ally: row_of(plan.fair_shares, ally=ally)["held"] for ally in expected}
    assert held == pytest.approx({"BIG": 84, "S1": 8, "S2": 8}, abs=1e-6)

    budgets = plan.budgets.set_index("ally")
    assert budgets.loc["BIG", ["budget", "spent", "fees_received", "remaining"]].tolist() \
        == pytest.approx([450, 420, 8, 38], abs=1e-6)  # 420 of 450 + 8
    for ally, budget in (("S1", 50), ("S2", 80)):
        assert budgets.loc[ally, ["spent", "fees_received", "remaining"]].tolist() \
            == pytest.approx([44, 0, budget - 44], abs=1e-6)
    purchases = plan.framework_purchases()
    assert purchases.loc["BIG"].tolist() == pytest.approx([84, 420])
    assert purchases.loc["S1"].tolist() == pytest.approx([8, 44])
    assert purchases.loc["S2"].tolist() == pytest.approx([8, 44])
    burden = plan.burden.set_index("ally")
    assert burden["framework_units"].to_dict() == pytest.approx({"BIG": 84, "S1": 8, "S2": 8})
    assert burden["framework_spending"].to_dict() == pytest.approx(
        {"BIG": 420, "S1": 44, "S2": 44})

    verification = result.verification
    assert verification.passed
    assert verification.total_cost == pytest.approx(508, rel=1e-9)
    assert verification.cost_terms["purchase_cost"] == pytest.approx(500, rel=1e-9)
    assert verification.cost_terms["framework_fees"] == pytest.approx(8, rel=1e-9)
    assert verification.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert result.summary()["framework_fees"] == pytest.approx(8, rel=1e-9)


def test_the_report_shows_the_fees_the_orders_through_the_framework_and_the_lead_s_income(
        tmp_path):
    result = solve(tmp_path, pooled(), BAND)
    report = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    summary = {row[0]: row[1] for row in report["Summary"].iter_rows(values_only=True)}
    assert summary["framework_fees"] == pytest.approx(8)
    assert summary["total_cost"] == pytest.approx(508)
    rows = list(report["Allocation"].iter_rows(values_only=True))
    header = rows[0]
    allocation = {row[header.index("Ally")]: row for row in rows[1:]}
    framework, fee = header.index("Framework"), header.index("Framework fee (per unit)")
    total = header.index("Total cost")
    assert {ally: row[framework] for ally, row in allocation.items()} == {
        "BIG": "F", "S1": "F", "S2": "F"}
    assert {ally: (row[fee], row[total]) for ally, row in allocation.items()} == {
        "BIG": (0, pytest.approx(420)), "S1": (0.5, pytest.approx(44)),
        "S2": (0.5, pytest.approx(44))}
    rows = list(report["Budgets"].iter_rows(values_only=True))
    received = rows[0].index("Framework fees received")
    remaining = rows[0].index("Remaining")
    assert {row[0]: (row[received], row[remaining]) for row in rows[1:]} == {
        "BIG": pytest.approx((8, 38)), "S1": pytest.approx((0, 6)),
        "S2": pytest.approx((0, 36))}
    rows = list(report["Burden by ally"].iter_rows(values_only=True))
    units = rows[0].index("Units bought through frameworks")
    spent = rows[0].index("Spent through frameworks")
    assert {row[0]: (row[units], row[spent]) for row in rows[1:]} == {
        "BIG": pytest.approx((84, 420)), "S1": pytest.approx((8, 44)),
        "S2": pytest.approx((8, 44))}
    # Among plans of equal W and cost, the least fee: here no other plan exists.
    assert summary["movements"] == ("pays 8 in framework fees: no plan of equal cost and "
                                    "shortfall does less")


def test_only_members_pay_the_pooled_price(tmp_path):
    """Without FrameworkMembers only BIG orders through F: S1 and S2 pay the line's 8,
    so S1 affords 6.25 and lacks 1.75 of its band (W = 1.75); S2 buys its 8 (64) and BIG
    the other 85.75 at 5 (428.75): cost 542.75, no fees."""
    workbook = pooled()
    del workbook["FrameworkMembers"]
    result = solve(tmp_path, workbook, BAND)
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(1.75, abs=1e-6)
    assert plan.total_cost == pytest.approx(542.75, rel=1e-9)
    assert plan.cost_terms["framework_fees"] == 0
    through = plan.orders[plan.orders["framework"].notna()]
    assert through["ally"].tolist() == ["BIG"]
    assert through["quantity"].sum() == pytest.approx(85.75)
    direct = plan.orders[plan.orders["framework"].isna()]
    assert direct.groupby("ally")["quantity"].sum().to_dict() == pytest.approx(
        {"S1": 6.25, "S2": 8})
    assert (direct["unit_cost"] == 8).all()
    assert result.verification.passed


def test_restrictions_apply_to_framework_orders(tmp_path):
    """A Restrictions row forbidding line L to S1 forbids its framework orders too: S1
    buys 6.25 from M at 8 (W = 1.75); S2 8 through F (44, fee 4), BIG 85.75 at 5:
    cost 50 + 44 + 428.75 = 522.75, fees 4."""
    workbook = pooled(Restrictions=[[None, "L", "S1", None]])
    result = solve(tmp_path, workbook, BAND)
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(1.75, abs=1e-6)
    assert plan.total_cost == pytest.approx(522.75, rel=1e-9)
    assert plan.cost_terms["framework_fees"] == pytest.approx(4)
    s1 = order_of(plan, "S1")
    assert (s1["facility"], s1["framework"], s1["quantity"]) == ("M", None, pytest.approx(6.25))
    assert plan.budgets.set_index("ally").loc["BIG", "fees_received"] == pytest.approx(4)
    orders = build_sets(result.data, result.config).orders
    assert orders[(orders["ally"] == "S1") & (orders["facility"] == "L")].empty
    assert result.verification.passed

    # An order of S1 through F on L is forbidden, as a direct one would be.
    allowed = solve(tmp_path, pooled(), BAND)
    broken = verify_plan(result.data, result.config, allowed.plan)
    assert "restriction on order of S1 from line L/SHELL in 1 (forbidden by Restrictions " \
           "row 2) broken by 8" in [v.sentence for v in broken.violations]


def test_framework_orders_have_columns_and_names_of_their_own(tmp_path):
    """A framework order is a column beside the direct order of the same line, ally and
    period, named after its framework (LP files)."""
    path = write_workbook(tmp_path / "pooled.xlsx", pooled())
    config = load_config(None, [BAND])
    data, _ = load_workbook(path, config.rules)
    model = create_model(build_sets(data, config), config)
    names = model.linear.column_names()
    orders = [name for name in names if name.startswith("x_L_")]
    assert orders == ["x_L_SHELL_BIG_1", "x_L_SHELL_S1_1", "x_L_SHELL_S2_1",
                      "x_L_SHELL_BIG_1_via_F", "x_L_SHELL_S1_1_via_F", "x_L_SHELL_S2_1_via_F"]
    assert len(set(names)) == len(names)


def test_the_verifier_prices_framework_orders_and_credits_the_fees_to_the_lead(tmp_path):
    """The plan of unit_price 5 checked against other inputs: at 5.4 BIG pays 453.6,
    over its 450 but within it with the 8 of fees; at 5.5, 462 − 8 is 4 over. A member
    removed from FrameworkMembers may not order through F."""
    result = solve(tmp_path, pooled(), BAND)
    data, config, plan = result.data, result.config, result.plan

    def priced(unit_price: float):
        frameworks = data.frameworks.assign(unit_price=unit_price)
        return verify_plan(dataclasses.replace(data, frameworks=frameworks), config, plan)

    within = priced(5.4)
    assert within.passed
    assert within.cost_terms["purchase_cost"] == pytest.approx(540)
    assert within.cost_terms["framework_fees"] == pytest.approx(8)
    assert within.total_cost == pytest.approx(548)
    assert [v.sentence for v in priced(5.5).violations] == ["budget of BIG in 1 overspent by 4"]

    blank = verify_plan(dataclasses.replace(
        data, frameworks=data.frameworks.assign(unit_price=float("nan"))), config, plan)
    assert blank.cost_terms["purchase_cost"] == pytest.approx(800)  # the line's unit_cost

    members = data.framework_members[data.framework_members["ally"] != "S2"]
    broken = verify_plan(dataclasses.replace(data, framework_members=members), config, plan)
    assert [v.sentence for v in broken.violations] == [
        "membership of framework F by order of S2 from line L/SHELL in 1 (the ally is "
        "neither its lead nor a member) broken by 8"]

    elsewhere = plan.orders.assign(framework=plan.orders["framework"].where(
        plan.orders["ally"] != "BIG", "G"))
    broken = verify_plan(data, config, dataclasses.replace(plan, orders=elsewhere))
    assert "unknown reference in order of BIG from line L/SHELL in 1 through framework G: " \
           "no such framework in Frameworks" in [v.sentence for v in broken.violations]


def test_among_plans_of_equal_cost_the_least_fees_are_paid(tmp_path):
    """At unit_price 7.5 and fee 0.5 a member pays 8 through F, as it does directly:
    with BIG's budget no limit (1000) the plans cost the same (BIG 84 at 7.5, S1 and S2
    8 each at 8: 758), and the one chosen pays no fee."""
    workbook = pooled(Frameworks=[["F", "L", "SHELL", "BIG", 7.5, 0.5]])
    workbook["Budgets"][1:] = [["BIG", "1", 1000], ["S1", "1", 80], ["S2", "1", 80]]
    result = solve(tmp_path, workbook, BAND)
    plan = result.plan
    assert plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert plan.total_cost == pytest.approx(758, rel=1e-9)
    assert plan.cost_terms["framework_fees"] == pytest.approx(0, abs=1e-9)
    assert plan.orders.groupby("ally")["quantity"].sum().to_dict() == pytest.approx(
        {"BIG": 84, "S1": 8, "S2": 8})
    members = plan.orders[plan.orders["ally"] != "BIG"]
    assert members["framework"].isna().all()
    assert result.verification.passed


def invalid(tmp_path, **optional: list[list]) -> dict[str, str]:
    path = write_workbook(tmp_path / "invalid.xlsx", shared_shells(**optional))
    with pytest.raises(InputError) as raised:
        load_workbook(path)
    return {problem.where: problem.message for problem in raised.value.problems}


def test_each_mistake_in_the_framework_sheets_names_its_cell(tmp_path):
    found = invalid(
        tmp_path,
        Frameworks=[["NSPA155", "L", "SHEL", "BIG", 5, 0.5],
                    ["EDA", "K", "SHELL", "BIGG", -1, "ten"],
                    ["OK", "M", "SHELL", "S1", None, None]],
        FrameworkMembers=[["NSPA-155", "S1"], ["EDA", "s2"], ["OK", "S3"], ["OK", "S1"]])
    assert found == {
        "Frameworks!B2": "line (facility 'L', item 'SHEL') is not defined in Production; "
                         "did you mean item 'SHELL'?",
        "Frameworks!B3": "line (facility 'K', item 'SHELL') is not defined in Production",
        "Frameworks!D3": "lead 'BIGG' is not defined in Allies; did you mean 'BIG'?",
        "Frameworks!E3": "unit_price must be a number >= 0, got -1",
        "Frameworks!F3": "fee_per_unit must be a number >= 0, got 'ten'",
        "FrameworkMembers!A2": "framework 'NSPA-155' is not defined in Frameworks; did you "
                               "mean 'NSPA155'?",
        "FrameworkMembers!B3": "ally 's2' is not defined in Allies; did you mean 'S2'?",
        "FrameworkMembers!B4": "ally 'S3' is not defined in Allies",
    }


def test_a_lead_listed_as_its_own_member_and_blank_prices_are_fine(tmp_path):
    """A blank unit_price is the line's unit_cost (8), a blank fee 0: a framework that
    changes no price, through which BIG, also listed as its own member, may order."""
    path = write_workbook(tmp_path / "valid.xlsx", shared_shells(
        Frameworks=[["F", "L", "SHELL", "BIG", None, None]],
        FrameworkMembers=[["F", "BIG"], ["F", "S1"]]))
    data, _ = load_workbook(path)
    orders = build_sets(data, load_config(None, [])).orders
    through = orders[orders["framework"] == "F"]
    assert through["ally"].tolist() == ["BIG", "S1"]
    assert through["unit_cost"].tolist() == [8.0, 8.0]
    assert through["fee"].tolist() == [0.0, 0.0]


def test_remove_framework_plans_as_without_it(tmp_path):
    """Framework F removed, every round costs 8 again: W = 37, cost 580
    (``shared_shells``)."""
    path = write_workbook(tmp_path / "pooled.xlsx", pooled())
    config = load_config(None, [BAND])
    data, _ = load_workbook(path, config.rules)
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text('[[scenario]]\nname = "no F"\n[[scenario.edit]]\n'
                         'kind = "remove_framework"\nframework = "F"\n', encoding="utf-8")
    [scenario] = load_scenarios(scenarios, data, config)
    assert scenario.edits[0].sentence == ("Framework F removed: its lead and members order "
                                          "from the line directly")
    edited = scenario.apply(data)
    assert edited.frameworks.empty and edited.framework_members.empty
    assert len(data.frameworks) == 1  # the input itself is left alone
    result = solve_data(edited, config, input_path=path, input_sha256="", scenario=scenario)
    assert result.plan.weighted_shortfall == pytest.approx(37, abs=1e-6)
    assert result.plan.total_cost == pytest.approx(580, rel=1e-9)
    assert result.plan.cost_terms["framework_fees"] == 0
    assert result.verification.passed

    scenarios.write_text('[[scenario]]\nname = "no G"\n[[scenario.edit]]\n'
                         'kind = "remove_framework"\nframework = "G"\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_scenarios(scenarios, data, config)
    [problem] = raised.value.problems
    assert problem.message == "framework 'G' is not a framework of the workbook"
