"""The independent verifier (SPEC §4) on plans written by hand: one correct plan, then
plans that break one constraint family at a time.

The alliance: allies A and B, items SH (shells, continuous, holding cost 1) and MS
(missiles, whole units, priority 10), three periods P1-P3.

    line LA in A makes SH, capacity 100 (50 in P1), price 10, no lead time
    line LB in B makes SH, capacity 100, price 12, lead time 1; route B->A for SH costs 2
         and takes 1 more period (the blank-item B->A route, 7 and no delay, is replaced)
    line LX in X (outside the alliance) makes MS, capacity 5, price 1000, lead time 1;
         route X->A costs 100; Restrictions row 2 forbids X -> B
    expansion of LA: at most 30, 5 per unit, online 1 period later, paid by A

The correct plan: A orders 50 SH from LA in P1, 40 in P2, 10 from LB in P1 (arrives in
P3), 3 MS from LX in P1 (arrives in P2), and builds 20 extra on LA in P1.
"""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.config import Config
from optimizer.model.plan import Plan
from optimizer.tolerance import VERIFIER_TOLERANCE
from optimizer.verify.check import verify_plan
from optimizer.workbook.schema import SHEETS_BY_NAME
from optimizer.workbook.validation import load_workbook
from tests.conftest import write_workbook

PERIODS = ["P1", "P2", "P3"]


def base_tables() -> dict[str, list[list]]:
    return {
        "Periods": [[p] for p in PERIODS],
        "Allies": [["A", "Aland", None, None, 0.1], ["B", "Bland", None, None, None]],
        "Items": [["SH", "shell", "rounds", False, 1, None, 1],
                  ["MS", "missile", "missiles", True, 10, None, 0]],
        "Production": [["LA", "A", "SH", 100, 10, 0], ["LB", "B", "SH", 100, 12, 1],
                       ["LX", "X", "MS", 5, 1000, 1]],
        "Capacity": [["LA", "SH", "P1", 50]],
        "Expansion": [["LA", "SH", 30, 5, 1, "A"]],
        "Requirements": [["A", "SH", "P2", 100], ["A", "MS", "P3", 3], ["B", "SH", "P3", 60]],
        "Stocks": [["A", "SH", 20], ["B", "SH", 50]],
        "Consumption": [["A", "SH", "P2", 10]],
        "Budgets": [["A", "P1", 5000], ["A", "P2", 1000]],
        "Transport": [["X", "A", 100, None, 0], ["B", "A", 2, "SH", 1], ["B", "A", 7, None, 0]],
        "Restrictions": [["X", None, "B", None]],
    }


_DATA_CACHE: dict[str, object] = {}


def load(tmp_path_factory, edit=None):
    """The alliance as AllianceData, after ``edit(tables)``."""
    tables = base_tables()
    if edit is not None:
        edit(tables)
    key = repr(tables)
    if key not in _DATA_CACHE:
        sheets = {name: [SHEETS_BY_NAME[name].column_names] + rows
                  for name, rows in tables.items()}
        path = write_workbook(tmp_path_factory.mktemp("verify") / "alliance.xlsx", sheets)
        _DATA_CACHE[key] = load_workbook(path)[0]
    return _DATA_CACHE[key]


@pytest.fixture
def data(tmp_path_factory):
    return load(tmp_path_factory)


@pytest.fixture
def edited(tmp_path_factory):
    return lambda edit: load(tmp_path_factory, edit)


def config(**rules) -> Config:
    return Config().with_settings({f"rules.{key}": value for key, value in rules.items()})


ORDER_COLUMNS = ["facility", "host", "item", "ally", "order_period", "delivery_period",
                 "quantity", "unit_cost", "transport_cost", "total_cost"]


def order(facility, host, item, ally, ordered, delivered, quantity, unit_cost=0.0, route=0.0):
    return [facility, host, item, ally, ordered, delivered, quantity, unit_cost, route,
            quantity * (unit_cost + route)]


def correct_plan() -> Plan:
    orders = pd.DataFrame([
        order("LA", "A", "SH", "A", "P1", "P1", 50.0, 10),
        order("LA", "A", "SH", "A", "P2", "P2", 40.0, 10),
        order("LB", "B", "SH", "A", "P1", "P3", 10.0, 12, 2),
        order("LX", "X", "MS", "A", "P1", "P2", 3.0, 1000, 100),
    ], columns=ORDER_COLUMNS)
    expansions = pd.DataFrame(
        [["LA", "SH", "P1", 20.0, 100.0, "P2", "A"]],
        columns=["facility", "item", "period", "extra_capacity", "cost", "online_from",
                 "payer"])
    transfers = pd.DataFrame(columns=["from", "to", "item", "period", "arrival_period",
                                      "quantity", "transport_cost"])
    levels = {("A", "SH"): [70, 100, 110], ("A", "MS"): [0, 3, 3],
              ("B", "SH"): [50, 50, 50], ("B", "MS"): [0, 0, 0]}
    stocks = pd.DataFrame(
        [[ally, item, period, float(level)]
         for (ally, item), row in levels.items()
         for period, level in zip(PERIODS, row, strict=True)],
        columns=["ally", "item", "period", "stock"])
    readiness = pd.DataFrame([
        ["A", "SH", "P2", 100.0, 90.0, 1.0, 100.0, 0.0, 100.0, 0.0, 2],
        ["A", "MS", "P3", 3.0, 3.0, 10.0, 3.0, 0.0, 100.0, 0.0, 3],
        ["B", "SH", "P3", 60.0, 10.0, 1.0, 50.0, 10.0, 0.0, 1.0, 4],
    ], columns=["ally", "item", "period", "target", "gap", "priority", "stock", "shortfall",
                "closed_pct", "marginal_cost", "row"])
    return Plan(orders, expansions, transfers, stocks, readiness, pd.DataFrame(),
                pd.DataFrame())


def add_orders(plan: Plan, *rows: list) -> None:
    plan.orders = pd.concat([plan.orders, pd.DataFrame(list(rows), columns=ORDER_COLUMNS)],
                            ignore_index=True)


def set_order(plan: Plan, facility: str, ordered: str, **values) -> None:
    at = (plan.orders["facility"] == facility) & (plan.orders["order_period"] == ordered)
    for column, value in values.items():
        plan.orders.loc[at, column] = value


def shift_stock(plan: Plan, ally: str, item: str, first: str, delta: float) -> None:
    """Add ``delta`` to the stock from period ``first`` on (keeps the balance whole)."""
    stocks = plan.stocks
    at = ((stocks["ally"] == ally) & (stocks["item"] == item)
          & (stocks["period"].map(PERIODS.index) >= PERIODS.index(first)))
    stocks.loc[at, "stock"] += delta


def set_shortfall(plan: Plan, ally: str, item: str, period: str, shortfall: float) -> None:
    table = plan.readiness
    at = (table["ally"] == ally) & (table["item"] == item) & (table["period"] == period)
    table.loc[at, "shortfall"] = shortfall


def found(verification) -> list[tuple[str, str, float]]:
    return [(v.family, v.where, pytest.approx(v.amount)) for v in verification.violations]


# ----------------------------------------------------------------------------------------
# The correct plan


def test_the_correct_plan_passes_with_the_hand_computed_costs(data):
    result = verify_plan(data, config(), correct_plan())
    assert result.passed
    assert result.violations == []
    assert result.max_violation == 0.0
    assert result.worst == "every constraint holds"
    # purchase 50·10 + 40·10 + 10·12 + 3·1000; transport 10·2 + 3·100; expansion 20·5;
    # holding 1 per SH: A 70 + 100 + 110, B 3 · 50
    assert result.cost_terms == {"purchase_cost": 4020.0, "framework_fees": 0.0,
                                 "transport_cost": 320.0, "expansion_cost": 100.0,
                                 "holding_cost": 430.0}
    assert result.total_cost == 4870.0
    assert result.weighted_shortfall == 10.0  # B SH P3 short by 10, priority 1
    assert result.checked["capacity"] == 9  # 3 lines × 3 periods
    assert result.checked["stock_balance"] == 12  # 2 allies × 2 items × 3 periods
    assert result.checked["readiness"] == 3
    assert result.checked["min_gap_closure"] == 3
    assert result.checked["budget"] == 3  # only A has Budgets rows
    assert result.checked["expansion_limit"] == 1
    assert result.checked["work_share"] == 1
    assert result.checked["supplier_share"] == 0  # max_supplier_share = 1: rule off


def test_derived_columns_of_the_plan_are_not_trusted(data):
    plan = correct_plan()
    for column in ("unit_cost", "transport_cost", "total_cost"):
        plan.orders[column] = -999.0
    plan.expansions["cost"] = -1.0
    plan.expansions["payer"] = "B"
    for column in ("target", "gap", "priority", "stock"):
        plan.readiness[column] = 0.0
    result = verify_plan(data, config(), plan)
    assert result.passed
    assert result.total_cost == 4870.0
    assert result.weighted_shortfall == 10.0


# ----------------------------------------------------------------------------------------
# One constraint family at a time


def test_capacity_exceeded_by_5(data):
    plan = correct_plan()
    set_order(plan, "LA", "P1", quantity=55.0)
    shift_stock(plan, "A", "SH", "P1", 5)
    result = verify_plan(data, config(), plan)
    assert found(result) == [("capacity", "line LA/SH in P1", 5)]
    assert result.worst == "capacity of line LA/SH in P1 exceeded by 5"
    assert result.max_violation == pytest.approx(5 / 50)


def test_expansion_counts_only_from_the_period_it_comes_online(data):
    plan = correct_plan()
    set_order(plan, "LA", "P2", quantity=120.0)  # 100 + the 20 built in P1: fits
    shift_stock(plan, "A", "SH", "P2", 80)
    assert verify_plan(data, config(budget_carryover=True), plan).passed
    plan.expansions["period"] = "P2"  # built in P2, online in P3: P2 is over by 20
    plan.expansions["online_from"] = "P3"
    assert found(verify_plan(data, config(budget_carryover=True), plan)) == [
        ("capacity", "line LA/SH in P2", 20)]


def test_expansion_limit_and_timing(data):
    plan = correct_plan()
    plan.expansions["extra_capacity"] = 35.0
    plan.expansions["online_from"] = "P3"
    result = verify_plan(data, config(), plan)
    assert found(result) == [  # worst first: 1 period in 1, then 5 in 30
        ("expansion_timing", "expansion of line LA/SH in P1 (online from P2, stated P3)", 1),
        ("expansion_limit", "line LA/SH", 5),
    ]
    assert result.worst == ("timing of expansion of line LA/SH in P1 (online from P2, "
                            "stated P3) off by 1 period(s)")


def test_stock_balance_off(data):
    plan = correct_plan()
    plan.stocks.loc[(plan.stocks["ally"] == "A") & (plan.stocks["item"] == "SH")
                    & (plan.stocks["period"] == "P2"), "stock"] = 101.0
    result = verify_plan(data, config(), plan)
    # P2 claims one unit too many; P3 (110) is then one short of 101 + 10
    assert found(result) == [("stock_balance", "A SH P2", 1), ("stock_balance", "A SH P3", 1)]
    assert result.worst == "stock balance of A SH P2 off by 1"


def test_negative_stock(edited):
    data = edited(lambda t: t["Consumption"].append(["B", "MS", "P1", 2]))
    plan = correct_plan()
    shift_stock(plan, "B", "MS", "P1", -2)
    result = verify_plan(data, config(), plan)
    assert found(result) == [("stock_nonnegative", f"B MS {p}", 2) for p in PERIODS]
    assert result.worst == "stock of B MS P1 negative by 2"


def test_shortfall_too_small_for_the_target(data):
    plan = correct_plan()
    set_shortfall(plan, "B", "SH", "P3", 7.0)
    result = verify_plan(data, config(), plan)
    assert found(result) == [("readiness", "B SH P3", 3)]
    assert result.worst == "readiness target of B SH P3 missed by 3"
    assert result.weighted_shortfall == 7.0


def test_negative_quantity(data):
    plan = correct_plan()
    add_orders(plan, order("LA", "A", "SH", "A", "P3", "P3", -2.0))
    shift_stock(plan, "A", "SH", "P3", -2)
    result = verify_plan(data, config(), plan)
    assert found(result) == [("nonnegative", "order of A from line LA/SH in P3", 2)]
    assert result.worst == "non-negativity of order of A from line LA/SH in P3 broken by 2"


def test_budget_overspent(edited):
    data = edited(lambda t: t["Budgets"].__setitem__(1, ["A", "P2", 300]))
    result = verify_plan(data, config(), correct_plan())
    assert found(result) == [("budget", "A in P2", 100)]  # spends 40 · 10 = 400
    assert result.worst == "budget of A in P2 overspent by 100"


def test_with_carryover_an_earlier_unspent_budget_covers_an_overspend(edited):
    data = edited(lambda t: t["Budgets"].__setitem__(1, ["A", "P2", 300]))
    assert verify_plan(data, config(budget_carryover=True), correct_plan()).passed
    # ... but not an overspend in the first period: P1 spends 500 + 140 + 3300 + 100
    data = edited(lambda t: t["Budgets"].__setitem__(0, ["A", "P1", 4000]))
    result = verify_plan(data, config(budget_carryover=True), correct_plan())
    assert found(result) == [("budget", "A up to P1 (unspent budget carried over)", 40)]


def test_a_period_left_out_of_the_budgets_has_budget_zero(data):
    plan = correct_plan()
    add_orders(plan, order("LA", "A", "SH", "A", "P3", "P3", 1.0))
    shift_stock(plan, "A", "SH", "P3", 1)
    assert found(verify_plan(data, config(), plan)) == [("budget", "A in P3", 10)]


def test_min_gap_closure_broken(data):
    # B SH P3: no-order stock 50, target 60, gap 10; at closure 0.5 at most 5 may be short
    result = verify_plan(data, config(min_gap_closure=0.5), correct_plan())
    assert found(result) == [("min_gap_closure", "B SH P3", 5)]
    assert result.worst == "minimum gap closure of B SH P3 missed by 5"


def test_an_allies_own_min_gap_closure_overrides_the_configuration(edited):
    data = edited(lambda t: t["Allies"].__setitem__(1, ["B", "Bland", None, 0.0, None]))
    assert verify_plan(data, config(min_gap_closure=0.5), correct_plan()).passed


def test_supplier_share_broken(data):
    # A buys SH 90 from A and 10 from B; MS 3, all from X
    result = verify_plan(data, config(max_supplier_share=0.8), correct_plan())
    assert found(result) == [("supplier_share", "A's MS from X", 0.6),
                             ("supplier_share", "A's SH from A", 10)]
    assert result.worst == "supplier share of A's MS from X exceeded by 0.6"
    assert result.checked["supplier_share"] == 2 * 3  # allies × (item, host) pairs
    assert found(verify_plan(data, config(max_supplier_share=0.9), correct_plan())) == [
        ("supplier_share", "A's MS from X", 0.3)]


def test_work_share_broken(edited):
    data = edited(lambda t: t["Allies"].__setitem__(0, ["A", "Aland", None, None, 0.5]))
    # A's industry made 900 (LA); A spent 4040 + 400 = 4440, half of it is 2220
    result = verify_plan(data, config(), correct_plan())
    assert found(result) == [("work_share", "A", 1320)]
    assert result.worst == "work share of A short by 1320"
    assert verify_plan(data, config(work_share=False), correct_plan()).passed


def test_an_order_forbidden_by_a_restriction(data):
    plan = correct_plan()
    add_orders(plan, order("LX", "X", "MS", "B", "P1", "P2", 1.0))
    shift_stock(plan, "B", "MS", "P2", 1)
    result = verify_plan(data, config(), plan)
    assert found(result) == [
        ("restriction", "order of B from line LX/MS in P1 (forbidden by Restrictions row 2)", 1)]
    assert result.worst == ("restriction on order of B from line LX/MS in P1 "
                            "(forbidden by Restrictions row 2) broken by 1")


def test_a_delivery_period_inconsistent_with_the_lead_times(data):
    plan = correct_plan()
    set_order(plan, "LB", "P1", delivery_period="P2")  # 1 + route B->A for SH 1: P3
    result = verify_plan(data, config(), plan)
    assert found(result) == [
        ("delivery_in_horizon", "order of A from line LB/SH in P1 (due P3, stated P2)", 1)]
    assert result.worst == ("delivery of order of A from line LB/SH in P1 (due P3, stated P2) "
                            "off by 1 period(s)")


def test_a_delivery_after_the_horizon(data):
    plan = correct_plan()
    add_orders(plan, order("LB", "B", "SH", "A", "P2", "P3", 5.0))  # due P4: never arrives
    result = verify_plan(data, config(), plan)
    assert found(result) == [("delivery_in_horizon",
                              "order of A from line LB/SH in P2 (due 1 period(s) after P3, "
                              "stated P3)", 1)]


def test_a_fractional_quantity_of_an_integer_item(data):
    plan = correct_plan()
    set_order(plan, "LX", "P1", quantity=2.5)
    shift_stock(plan, "A", "MS", "P2", -0.5)
    set_shortfall(plan, "A", "MS", "P3", 0.5)
    result = verify_plan(data, config(), plan)
    assert found(result) == [("integrality", "order of A from line LX/MS in P1", 0.5)]
    assert result.worst == "whole units of order of A from line LX/MS in P1 off by 0.5"
    assert result.weighted_shortfall == 10 + 10 * 0.5


def a_transfer(plan: Plan, giver: str, taker: str, period: str, arrival: str, quantity: float):
    plan.transfers = pd.DataFrame(
        [[giver, taker, "SH", period, arrival, quantity, 0.0]],
        columns=["from", "to", "item", "period", "arrival_period", "quantity",
                 "transport_cost"])
    shift_stock(plan, giver, "SH", period, -quantity)
    shift_stock(plan, taker, "SH", arrival, quantity)


def test_a_transfer_when_transfers_are_not_allowed(data):
    plan = correct_plan()
    a_transfer(plan, "A", "B", "P3", "P3", 5.0)
    set_shortfall(plan, "B", "SH", "P3", 5.0)
    result = verify_plan(data, config(), plan)
    assert found(result) == [
        ("restriction", "transfer A->B SH in P3 (rules.allow_transfers is false)", 5)]
    assert result.worst == ("restriction on transfer A->B SH in P3 "
                            "(rules.allow_transfers is false) broken by 5")
    allowed = verify_plan(data, config(allow_transfers=True), plan)
    assert allowed.passed
    assert allowed.weighted_shortfall == 5.0


def test_a_transfer_arrives_after_its_route_delay_and_the_receiver_pays_the_route(data):
    plan = correct_plan()
    a_transfer(plan, "B", "A", "P1", "P2", 5.0)  # route B->A for SH: 2 per unit, 1 period
    set_shortfall(plan, "B", "SH", "P3", 15.0)
    result = verify_plan(data, config(allow_transfers=True), plan)
    assert result.cost_terms["transport_cost"] == 320.0 + 5 * 2
    # B gave away stock it needed: 15 short of a gap of 10 (SPEC §4 rule 6 at ρ = 0)
    assert found(result) == [("min_gap_closure", "B SH P3", 5)]


def test_restrictions_with_a_blank_facility_apply_to_transfers(edited):
    data = edited(lambda t: t["Restrictions"].append(["A", None, "B", None]))
    plan = correct_plan()
    a_transfer(plan, "A", "B", "P3", "P3", 5.0)
    set_shortfall(plan, "B", "SH", "P3", 5.0)
    assert found(verify_plan(data, config(allow_transfers=True), plan)) == [
        ("restriction", "transfer A->B SH in P3 (forbidden by Restrictions row 3)", 5)]


def test_an_order_of_an_unknown_line(data):
    plan = correct_plan()
    add_orders(plan, order("LZ", "A", "SH", "A", "P1", "P1", 1.0))
    result = verify_plan(data, config(), plan)
    assert found(result) == [("unknown_reference", "order of A from line LZ/SH in P1: "
                                                   "no such line in Production", 1)]
    assert result.worst == ("unknown reference in order of A from line LZ/SH in P1: "
                            "no such line in Production")


def test_a_violation_within_the_relative_tolerance_passes(data):
    plan = correct_plan()
    set_order(plan, "LA", "P1", quantity=50.0 * (1 + VERIFIER_TOLERANCE / 2))
    shift_stock(plan, "A", "SH", "P1", 50.0 * VERIFIER_TOLERANCE / 2)
    result = verify_plan(data, config(), plan)
    assert result.passed
    assert 0 < result.max_violation < VERIFIER_TOLERANCE


def test_at_most_50_violations_are_kept_worst_first(data):
    plan = correct_plan()
    add_orders(plan, *[order("LA", "A", "SH", "A", "P3", "P3", -float(k)) for k in range(1, 61)])
    shift_stock(plan, "A", "SH", "P3", -sum(range(1, 61)))
    result = verify_plan(data, config(), plan)
    scaled = [v.scaled for v in result.violations]
    assert len(scaled) == 50  # of 60 negative orders, a negative stock and more
    assert scaled == sorted(scaled, reverse=True)
    assert result.worst == "stock of A SH P3 negative by 1720"
    assert result.max_violation == 1720


def test_an_empty_table_may_come_without_columns(data):
    plan = correct_plan()
    plan.transfers = pd.DataFrame()
    plan.expansions = pd.DataFrame()  # LA's 40 in P2 needs no extra capacity
    result = verify_plan(data, config(), plan)
    assert result.passed
    assert result.cost_terms["expansion_cost"] == 0.0
