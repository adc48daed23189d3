"""One small hand-solved instance per constraint family and rule of SPEC §4: each shows the
rule binding and what it costs."""

from __future__ import annotations

import pytest

from tests.alliances import quantity, readiness, sheets, solve

WEIGHTED = "objective.mode=weighted"


def near(value):
    """Equal up to the lexicographic phase-2 slack (SPEC §4: shortfall_tolerance 1e-6)."""
    return pytest.approx(value, rel=1e-6, abs=1e-2)

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]  # shortfall penalty 1000 per unit


def one_line(capacity=100, cost=10, lead=0, host="H"):
    return [["L", host, "I", capacity, cost, lead]]


def test_capacity_binds_and_its_marginal_value_is_penalty_minus_cost(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM, production=one_line(),
        requirements=[["A", "I", "P1", 150]]), WEIGHTED)
    assert result.status == "optimal"
    assert quantity(result) == near(100)
    row = readiness(result, "A", "I", "P1")
    assert row["shortfall"] == near(50)
    assert row["closed_pct"] == near(100 * 100 / 150)
    assert row["marginal_cost"] == near(1000)  # each more unit of target is short
    assert result.plan.capacity.loc[0, "marginal_value"] == near(990)
    assert result.plan.capacity.loc[0, "utilisation_pct"] == near(100)
    assert result.plan.total_cost == near(1000)


def test_capacity_override_replaces_the_line_capacity_in_its_period(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM, production=one_line(),
        requirements=[["A", "I", "P1", 150]], Capacity=[["L", "I", "P1", 20]]))
    assert quantity(result) == near(20)
    assert readiness(result, "A", "I", "P1")["shortfall"] == near(130)


def test_lead_time_delays_delivery_and_orders_past_the_horizon_do_not_exist(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM, production=one_line(lead=1),
        requirements=[["A", "I", "P1", 50], ["A", "I", "P2", 80]]))
    orders = result.plan.orders
    assert orders[["order_period", "delivery_period"]].values.tolist() == [["P1", "P2"]]
    assert quantity(result) == near(80)
    assert readiness(result, "A", "I", "P1")["shortfall"] == near(50)
    assert readiness(result, "A", "I", "P2")["shortfall"] == near(0)


def test_expansion_comes_online_after_its_lead_time_up_to_its_limit(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
        production=one_line(capacity=10, cost=1),
        requirements=[["A", "I", "P2", 60]],
        Expansion=[["L", "I", 30, 2, 1, None]]))
    expansion = result.plan.expansions
    assert expansion[["period", "online_from"]].values.tolist() == [["P1", "P2"]]
    assert expansion["extra_capacity"].sum() == near(30)
    assert quantity(result, order_period="P2") == near(40)
    assert readiness(result, "A", "I", "P2")["shortfall"] == near(10)
    assert result.plan.cost_terms == near(
        {"purchase_cost": 50, "framework_fees": 0, "transport_cost": 0, "expansion_cost": 60,
         "holding_cost": 0})


def test_consumption_is_covered_and_only_the_gap_is_bought(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM, production=one_line(),
        requirements=[["A", "I", "P1", 80]],
        Stocks=[["A", "I", 100]], Consumption=[["A", "I", "P1", 30]]))
    row = readiness(result, "A", "I", "P1")
    assert row["gap"] == near(10)
    assert quantity(result) == near(10)
    assert row["stock"] == near(80)


def test_uncoverable_consumption_is_infeasible(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM, production=one_line(lead=1),
        requirements=[["A", "I", "P2", 10]], Consumption=[["A", "I", "P1", 5]]))
    assert result.status == "infeasible"
    assert result.plan is None


def test_budget_limits_purchases_and_has_a_marginal_value(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM, production=one_line(),
        requirements=[["A", "I", "P1", 100]], Budgets=[["A", "P1", 500]]), WEIGHTED)
    assert quantity(result) == near(50)
    budget = result.plan.budgets.iloc[0]
    assert (budget["spent"], budget["remaining"]) == near((500, 0))
    assert budget["marginal_value"] == near((1000 - 10) / 10)


def carryover_case() -> dict:
    return sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
        production=one_line(capacity=60), requirements=[["A", "I", "P2", 100]],
        Budgets=[["A", "P1", 1000]])  # P2 left out: 0


def test_a_period_left_out_of_budgets_has_no_money(tmp_path):
    result = solve(tmp_path, carryover_case())
    assert quantity(result, order_period="P2") == near(0)
    assert readiness(result, "A", "I", "P2")["shortfall"] == near(40)
    assert result.plan.budgets["budget"].tolist() == [1000, 0]


def test_budget_carryover_moves_unspent_money_forward(tmp_path):
    result = solve(tmp_path, carryover_case(), "rules.budget_carryover=true")
    assert quantity(result) == near(100)
    assert quantity(result, order_period="P2") >= 40 - 1e-6  # paid with P1's money
    assert readiness(result, "A", "I", "P2")["shortfall"] == near(0)


def gap_closure_case(closure=None) -> dict:
    """A and B need 100 each from one line of 100; A's route costs 5 more per unit."""
    return sheets(
        periods=["P1"], allies=[["A", "Alpha", None, closure], ["B"]], items=ONE_ITEM,
        production=one_line(), requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 100]],
        Transport=[["H", "A", 5]])


def test_minimum_gap_closure_gives_the_dearer_ally_its_share(tmp_path):
    free = solve(tmp_path, gap_closure_case())
    assert quantity(free, ally="B") == near(100)
    assert free.plan.total_cost == near(1000)
    ruled = solve(tmp_path, gap_closure_case(0.3))
    assert quantity(ruled, ally="A") == near(30)
    assert readiness(ruled, "A", "I", "P1")["shortfall"] == near(70)
    assert ruled.plan.total_cost == near(30 * 15 + 70 * 10)
    by_config = solve(tmp_path, gap_closure_case(), "rules.min_gap_closure=0.3")
    assert quantity(by_config, ally="A") == near(30)


def test_minimum_gap_closure_at_zero_stops_transfers_that_open_a_gap(tmp_path):
    """A needs its 100 in P1 only; B needs 100 in P1 and P2. Giving in P1 would lower the
    weighted shortfall but leave A worse off than with no orders; giving in P2 does not."""
    workbook = sheets(
        periods=["P1", "P2"], allies=[["A"], ["B"]], items=ONE_ITEM,
        production=one_line(capacity=0),
        requirements=[["A", "I", "P1", 100], ["B", "I", "P1", 100], ["B", "I", "P2", 100]],
        Stocks=[["A", "I", 100]])
    result = solve(tmp_path, workbook, "rules.allow_transfers=true")
    assert result.plan.transfers[["from", "to", "period"]].values.tolist() == [["A", "B", "P2"]]
    assert result.plan.transfers["quantity"].sum() == near(100)
    assert readiness(result, "A", "I", "P1")["shortfall"] == near(0)


def test_transfers_move_stock_with_route_cost_and_delay(tmp_path):
    workbook = sheets(
        periods=["P1", "P2"], allies=[["A"], ["B"]], items=ONE_ITEM,
        production=one_line(capacity=0),
        requirements=[["B", "I", "P2", 50]], Stocks=[["A", "I", 100]],
        Transport=[["A", "B", 2, None, 1]])
    result = solve(tmp_path, workbook, "rules.allow_transfers=true")
    transfers = result.plan.transfers
    assert transfers[["from", "to", "period", "arrival_period"]].values.tolist() == [
        ["A", "B", "P1", "P2"]]
    assert transfers["quantity"].sum() == near(50)
    assert result.plan.cost_terms["transport_cost"] == near(100)
    assert solve(tmp_path, workbook).plan.transfers.empty  # not allowed by default


def test_a_restriction_with_blank_facility_forbids_transfers_from_the_giving_ally(tmp_path):
    workbook = sheets(
        periods=["P1"], allies=[["A"], ["B"]], items=ONE_ITEM, production=one_line(capacity=0),
        requirements=[["B", "I", "P1", 50]], Stocks=[["A", "I", 100]],
        Restrictions=[["A", None, "B", None]])
    result = solve(tmp_path, workbook, "rules.allow_transfers=true")
    assert result.plan.transfers.empty
    assert readiness(result, "B", "I", "P1")["shortfall"] == near(50)


def test_restrictions_forbid_deliveries_matching_every_given_field(tmp_path):
    workbook = sheets(
        periods=["P1"], allies=[["A"], ["B"]], items=ONE_ITEM,
        production=[["L1", "H", "I", 100, 10], ["L2", "H", "I", 100, 20]],
        requirements=[["A", "I", "P1", 50], ["B", "I", "P1", 50]],
        Restrictions=[["H", "L1", "A", None]])
    result = solve(tmp_path, workbook)
    assert quantity(result, ally="A", facility="L1") == 0
    assert quantity(result, ally="A", facility="L2") == near(50)
    assert quantity(result, ally="B", facility="L1") == near(50)


def test_route_costs_and_delays_item_rows_replace_the_blank_item_row(tmp_path):
    workbook = sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM + [["J", "j", "u", False, 1,
                                                                  1000, 0]],
        production=[["LI", "H", "I", 100, 10], ["LJ", "H", "J", 100, 10]],
        requirements=[["A", "I", "P2", 10], ["A", "J", "P2", 10]],
        Transport=[["H", "A", 5, None, 1], ["H", "A", 1, "J", 0]])
    result = solve(tmp_path, workbook)
    orders = result.plan.orders
    item_i, item_j = orders[orders["item"] == "I"], orders[orders["item"] == "J"]
    assert item_i[["order_period", "delivery_period", "transport_cost"]].values.tolist() == [
        ["P1", "P2", 5.0]]
    assert set(item_j["transport_cost"]) == {1.0}
    assert result.plan.cost_terms["transport_cost"] == near(60)


def test_holding_cost_makes_purchases_late(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=[["I", "i", "u", False, 1, None, 1]],
        production=one_line(), requirements=[["A", "I", "P2", 100]]))
    assert quantity(result, order_period="P2") == near(100)
    assert result.plan.cost_terms["holding_cost"] == near(100)
    assert result.plan.total_cost == near(1100)


def test_supplier_share_spreads_purchases_across_host_countries(tmp_path):
    workbook = sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L1", "G1", "I", 100, 10], ["L2", "G2", "I", 100, 20]],
        requirements=[["A", "I", "P1", 100]])
    assert solve(tmp_path, workbook).plan.total_cost == near(1000)
    result = solve(tmp_path, workbook, "rules.max_supplier_share=0.6")
    assert quantity(result, host="G1") == near(60)
    assert quantity(result, host="G2") == near(40)
    assert result.plan.total_cost == near(1400)


def work_share_case(buyer_b: bool = False) -> dict:
    rows = [["A", "I", "P1", 100]] + ([["B", "I", "P1", 100]] if buyer_b else [])
    return sheets(
        periods=["P1"], allies=[["A", "Alpha", None, None, 0.5], ["B"]], items=ONE_ITEM,
        production=[["LA", "A", "I", 100, 30], ["LF", "F", "I", 100, 10]],
        requirements=rows, Restrictions=[[None, "LF", "B", None]])


def test_work_share_makes_an_ally_buy_from_its_own_industry(tmp_path):
    # 30 a >= 0.5 (30 a + 10 (100 - a))  =>  a >= 25
    result = solve(tmp_path, work_share_case())
    assert quantity(result, facility="LA") == near(25)
    assert result.plan.total_cost == near(1500)
    relaxed = solve(tmp_path, work_share_case(), "rules.work_share=false")
    assert relaxed.plan.total_cost == near(1000)


def test_work_share_counts_what_the_ally_industry_makes_for_others(tmp_path):
    result = solve(tmp_path, work_share_case(buyer_b=True))
    assert quantity(result, ally="A", facility="LF") == near(100)
    assert quantity(result, ally="B", facility="LA") == near(100)
    assert result.plan.total_cost == near(4000)


def test_integer_items_are_bought_in_whole_units(tmp_path):
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=[["I", "missile", "missiles", True, 1, None, 0]],
        production=one_line(capacity=10.5, cost=10), requirements=[["A", "I", "P1", 10.5]],
        Budgets=[["A", "P1", 35]]))
    assert result.status == "optimal"
    assert quantity(result) == 3
    assert readiness(result, "A", "I", "P1")["shortfall"] == near(7.5)
    assert result.plan.budgets.iloc[0]["marginal_value"] == near(0)


def test_weighted_mode_trades_shortfall_against_cost_lexicographic_does_not(tmp_path):
    workbook = sheets(
        periods=["P1"], allies=[["A"]], items=[["I", "i", "u", False, 1, 5, 0]],
        production=one_line(cost=10), requirements=[["A", "I", "P1", 100]])
    weighted = solve(tmp_path, workbook, WEIGHTED)
    assert quantity(weighted) == 0  # a shortfall costs 5, a unit 10
    assert weighted.plan.weighted_shortfall == near(100)
    lexicographic = solve(tmp_path, workbook)
    assert quantity(lexicographic) == near(100)
    assert lexicographic.weighted_shortfall_optimum == near(0)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_lexicographic_phase_two_keeps_shortfall_within_the_tolerance(tmp_path, solver):
    """SPEC §4: W ≤ W*·(1 + tol) + tol, at a cost no higher than the cheapest plan with
    W = W*. HiGHS keeps phase 1's optimal face (W = W*); other solvers get the bound row
    and may use the slack, saving 30 per unit on the dearer line."""
    workbook = sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["L1", "H", "I", 60, 10], ["L2", "H", "I", 100, 30]],
        requirements=[["A", "I", "P1", 100]])
    result = solve(tmp_path, workbook, "objective.shortfall_tolerance=0.1",
                   f"solver.name={solver}")
    assert result.weighted_shortfall_optimum == near(0)
    assert result.plan.weighted_shortfall <= 0.1 + 1e-9
    assert result.plan.total_cost <= 600 + 40 * 30 + 1e-6
    assert result.plan.total_cost == near(1800 - 30 * result.plan.weighted_shortfall)
