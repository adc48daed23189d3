"""Components (SPEC §7.3): lines draw explosive, bodies, charges and fuzes from an
alliance-wide industry pool that component lines fill; the known answer of issue 19 on
both solvers and in both objective modes."""

from __future__ import annotations

import pytest

from tests.alliances import readiness, sheets, solve
from tests.test_burden_sharing import MODES, SOLVERS, row_of

COMPONENTS = [["BODY", "shell body", "thousand", False, 1],
              ["EXPL", "explosive", "t", False, 1],
              ["CHARGE", "charge set", "thousand", False, 1],
              ["FUZE", "fuze", "thousand", False, 1]]


def shell_chain(*, expansion: bool = False, components: bool = True) -> dict:
    """Thousands of rounds, tonnes. SHELL is assembled on LAP (capacity 120 a period,
    lead time 0, 1 a thousand rounds); a thousand rounds use 1 (thousand) bodies, 10 t
    of explosive, 1 charge set and 1 fuze. Component lines, lead time 1, cost 0: bodies
    80, explosive 600 t, charges 50, fuzes 100 a period; industry holds 20 bodies, no
    explosive, 30 charges and 50 fuzes at the start. Two periods; A needs 100 SHELL at
    the end of period 2.
    - Period 1 assembles nothing: no explosive is on hand, and the first arrives at the
      end of period 1, for period 2. Period 2 assembles at most min(20 + 80, 600 / 10,
      30 + 50, 50 + 100, 120) = 60: 40 short, cost 60.
    - With up to 400 t more explosive capacity buildable in period 1 (lead time 0, 1 a
      tonne, outside the budgets): 80 assembled (charges 30 + 50 bind), 20 short; 200 t
      built, cost 80 + 200 = 280."""
    optional = {}
    if components:
        optional["BillOfMaterials"] = [["LAP", "SHELL", "BODY", 1], ["LAP", "SHELL", "EXPL", 10],
                                       ["LAP", "SHELL", "CHARGE", 1],
                                       ["LAP", "SHELL", "FUZE", 1]]
        optional["IndustryStocks"] = [["BODY", 20], ["EXPL", 0], ["CHARGE", 30], ["FUZE", 50]]
    if expansion:
        optional["Expansion"] = [["EL", "EXPL", 400, 1, 0, None]]
    return sheets(
        periods=["1", "2"],
        allies=[["A"]],
        items=[["SHELL", "155 mm", "thousand rounds", False, 1], *COMPONENTS],
        production=[["LAP", "A", "SHELL", 120, 1, 0], ["BL", "A", "BODY", 80, 0, 1],
                    ["EL", "A", "EXPL", 600, 0, 1], ["CL", "A", "CHARGE", 50, 0, 1],
                    ["FL", "A", "FUZE", 100, 0, 1]],
        requirements=[["A", "SHELL", "2", 100]],
        **optional,
    )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_explosive_holds_the_shells_to_60(tmp_path, solver, mode):
    result = solve(tmp_path, shell_chain(), f"solver.name={solver}", f"objective.mode={mode}")
    assert result.status == "optimal" and result.verification.passed
    plan = result.plan
    assert readiness(result, "A", "SHELL", "2")["shortfall"] == pytest.approx(40, abs=1e-6)
    assert plan.orders["order_period"].tolist() == ["2"]
    assert plan.orders["quantity"].tolist() == [pytest.approx(60)]
    assert plan.total_cost == pytest.approx(60)
    assert plan.cost_terms["component_cost"] == 0
    # Made no more than drawn: 40 bodies, 600 t of explosive, 30 charge sets, 10 fuzes,
    # all started in period 1 (period 2's would arrive after the horizon).
    made = plan.component_production.set_index("item")
    assert made["quantity"].to_dict() == pytest.approx(
        {"BODY": 40, "EXPL": 600, "CHARGE": 30, "FUZE": 10}, abs=1e-6)
    assert set(made["period"]) == {"1"} and set(made["arrival_period"]) == {"2"}
    pool = row_of(plan.pools, component="EXPL", period="2")
    assert (pool["opening"], pool["made"], pool["used"], pool["closing"]) == pytest.approx(
        (0, 600, 600, 0), abs=1e-6)
    capacity = row_of(plan.capacity, facility="EL", period="1")
    assert capacity["used"] == pytest.approx(600) and capacity["utilisation_pct"] == 100


def test_without_the_components_nothing_is_short(tmp_path):
    """The contrast: a model that sees only LAP's capacity of 120 closes the whole gap."""
    result = solve(tmp_path, shell_chain(components=False))
    assert result.status == "optimal"
    assert readiness(result, "A", "SHELL", "2")["shortfall"] == pytest.approx(0, abs=1e-6)
    assert result.plan.orders["quantity"].sum() == pytest.approx(100)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_more_explosive_capacity_moves_the_bottleneck_to_charges(tmp_path, solver, mode):
    result = solve(tmp_path, shell_chain(expansion=True), f"solver.name={solver}",
                   f"objective.mode={mode}")
    assert result.status == "optimal" and result.verification.passed
    plan = result.plan
    assert readiness(result, "A", "SHELL", "2")["shortfall"] == pytest.approx(20, abs=1e-6)
    assert plan.orders["quantity"].sum() == pytest.approx(80)
    assert plan.expansions["extra_capacity"].tolist() == [pytest.approx(200)]
    assert plan.total_cost == pytest.approx(280)
    assert plan.cost_terms["expansion_cost"] == pytest.approx(200)
    charges = row_of(plan.capacity, facility="CL", period="1")
    assert charges["utilisation_pct"] == pytest.approx(100)


def test_the_verifier_recounts_the_pools_from_orders_and_production(tmp_path):
    """60 thousand rounds draw 600 t of explosive in period 2; a plan whose explosive
    line made 500 t leaves the pool 100 t short, and one that orders from a component
    line, or makes more than its capacity, is caught too."""
    import dataclasses

    from optimizer.config import load_config
    from optimizer.verify.check import verify_plan
    from optimizer.workbook.validation import load_workbook

    result = solve(tmp_path, shell_chain())
    data, _ = load_workbook(result.input_path)
    config = load_config(None, [])
    plan = result.plan
    assert plan.cost_terms["component_cost"] == result.verification.cost_terms[
        "component_cost"] == 0
    production = plan.component_production.copy()
    production.loc[production["item"] == "EXPL", "quantity"] = 500.0
    short = verify_plan(data, config, dataclasses.replace(plan, component_production=production))
    assert [v.sentence for v in short.violations] == [
        "component pool of EXPL in 2 short by 100"]
    production.loc[production["item"] == "EXPL", "quantity"] = 700.0
    over = verify_plan(data, config, dataclasses.replace(plan, component_production=production))
    assert [v.sentence for v in over.violations] == [
        "capacity of line EL/EXPL in 1 exceeded by 100"]
    orders = plan.orders.copy()
    orders.loc[0, ["facility", "item"]] = ["EL", "EXPL"]
    wrong = verify_plan(data, config, dataclasses.replace(plan, orders=orders))
    assert ("unknown reference in order of A from line EL/EXPL in 2: the line makes a "
            "component, which no ally orders (BillOfMaterials)") in [
        v.sentence for v in wrong.violations]


@pytest.mark.parametrize("solver", SOLVERS)
def test_advice_prices_explosive_capacity_and_stock_as_a_re_solve_measures(tmp_path, solver):
    """One more tonne of explosive capacity at EL in period 1, or held by industry at the
    start, closes 0.1 thousand rounds of weighted shortfall (a thousand rounds take 10 t):
    re-solving with 10 t more of either closes 1."""
    result = solve(tmp_path, shell_chain(), f"solver.name={solver}")
    advice = result.advice
    capacity = row_of(advice, kind="capacity", set_by="Production!D4")
    stock = row_of(advice, kind="industry stock", set_by="IndustryStocks!B3")
    assert capacity["shortfall_closed"] == pytest.approx(0.1)
    assert stock["shortfall_closed"] == pytest.approx(0.1)
    assert stock["advice"].startswith("each more t of explosive (EXPL) industry holds at the "
                                      "start would close 0.1 units of weighted shortfall")
    more_capacity = shell_chain()
    more_capacity["Capacity"] = [["facility", "item", "period", "capacity"],
                                 ["EL", "EXPL", "1", 610]]
    more_stock = shell_chain()
    more_stock["IndustryStocks"][2] = ["EXPL", 10]
    for moved in (more_capacity, more_stock):
        again = solve(tmp_path, moved, f"solver.name={solver}")
        assert again.verification.passed
        assert result.plan.weighted_shortfall - again.plan.weighted_shortfall == pytest.approx(
            10 * 0.1)


def test_scenarios_scale_component_lines_and_the_n_1_sweep_loses_each(tmp_path):
    """Explosive capacity × 0.5 (300 t): 30 thousand rounds, W = 70. N-1: without LAP,
    EL, CL or FL nothing is assembled (W = 100; without bodies' BL the 20 in stock make
    20, W = 80)."""
    from optimizer.config import load_config
    from optimizer.scenarios.edits import load_scenarios, outage_each_facility
    from optimizer.sweep import run_sweep
    from optimizer.workbook.validation import load_workbook
    from tests.conftest import write_workbook

    path = write_workbook(tmp_path / "chain.xlsx", shell_chain())
    config = load_config(None, [])
    data, _ = load_workbook(path, config.rules)
    file = tmp_path / "scenarios.toml"
    file.write_text('[[scenario]]\nname = "half the explosive"\n[[scenario.edit]]\n'
                    'kind = "scale_capacity"\nfacility = "EL"\nfactor = 0.5\n', encoding="utf-8")
    scenarios = load_scenarios(file, data, config) + outage_each_facility(data)
    results = run_sweep(data, config, scenarios, path).set_index("scenario")
    assert results["status"].eq("optimal").all()
    assert results["weighted_shortfall"].to_dict() == pytest.approx({
        "base": 40, "half the explosive": 70, "without BL": 80, "without CL": 70,
        "without EL": 100, "without FL": 50, "without LAP": 100}, abs=1e-6)


def test_validate_sees_that_no_explosive_reaches_the_line_in_time(tmp_path, capsys):
    """A uses 3 thousand SHELL in period 1, which only LAP can make, and LAP's explosive
    first arrives at the end of period 2: validate says so before any solve (exit 3),
    naming the cells; 70 in period 2 exceed the 60 the explosive allows."""
    from optimizer.cli import main
    from tests.conftest import write_workbook

    early = shell_chain()
    early["Consumption"] = [["ally", "item", "period", "quantity"], ["A", "SHELL", "1", 3]]
    assert main(["validate", str(write_workbook(tmp_path / "early.xlsx", early))]) == 3
    assert ("Consumption!D2: A uses 3 SHELL up to 1 but holds 0 and the lines making it "
            "draw EXPL, and none can reach them by then: industry holds 0 "
            "(IndustryStocks!B3) and the first from its lines arrives at the end of 2 "
            "(Production!F4, lead time 1)") in capsys.readouterr().out
    more = shell_chain()
    more["Consumption"] = [["ally", "item", "period", "quantity"], ["A", "SHELL", "2", 70]]
    assert main(["validate", str(write_workbook(tmp_path / "more.xlsx", more))]) == 3
    assert ("A uses 70 SHELL up to 2 but holds 0 and at most 60 can be delivered by then "
            "(the capacity of the lines making it, with every expansion built, and the EXPL "
            "they draw from industry") in capsys.readouterr().out
    enough = shell_chain()
    enough["Consumption"] = [["ally", "item", "period", "quantity"], ["A", "SHELL", "2", 60]]
    assert main(["validate", str(write_workbook(tmp_path / "enough.xlsx", enough))]) == 0
