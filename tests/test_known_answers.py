"""Textbook instances with published optima, on both solvers and in both objective modes."""

from __future__ import annotations

import pytest

from tests.alliances import quantity, readiness, sheets, solve

SOLVERS = ["highs", "cbc"]


def gams_transport() -> dict:
    """The GAMS model library's transport problem (Dantzig): 2 canneries, 3 markets.

    Freight is $90 per case per thousand miles, costs in thousands of dollars:
    optimum 153.675; demand duals (marginal cost of a market's requirement) 0.225 (New
    York), 0.153 (Chicago), 0.126 (Topeka). The shipment plan is not unique.
    """
    distance = {
        ("seattle", "new-york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
        ("san-diego", "new-york"): 2.5, ("san-diego", "chicago"): 1.8,
        ("san-diego", "topeka"): 1.4,
    }
    return sheets(
        periods=["1"],
        allies=[["new-york"], ["chicago"], ["topeka"]],
        items=[["cases"]],
        production=[["seattle-cannery", "seattle", "cases", 350, 0],
                    ["san-diego-cannery", "san-diego", "cases", 600, 0]],
        requirements=[["new-york", "cases", "1", 325], ["chicago", "cases", "1", 300],
                      ["topeka", "cases", "1", 275]],
        Transport=[[plant, market, 90 * miles / 1000]
                   for (plant, market), miles in distance.items()],
    )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", ["lexicographic", "weighted"])
def test_gams_transport_optimum_and_market_duals(tmp_path, solver, mode):
    result = solve(tmp_path, gams_transport(), f"solver.name={solver}", f"objective.mode={mode}")
    assert result.status == "optimal"
    assert result.plan.total_cost == pytest.approx(153.675, rel=1e-6)
    assert result.plan.weighted_shortfall == pytest.approx(0.0, abs=1e-5)
    for market, dual in (("new-york", 0.225), ("chicago", 0.153), ("topeka", 0.126)):
        assert readiness(result, market, "cases", "1")["marginal_cost"] == pytest.approx(
            dual, abs=1e-6)
    assert quantity(result) == pytest.approx(900, abs=1e-4)
    assert result.verification.passed


def sailco() -> dict:
    """Sailco (Winston, Operations Research, §3.10): demand 40, 60, 75, 25 boats by quarter,
    10 in stock, 40 a quarter at $400 in regular time, unlimited overtime at $450, $20 per
    boat held at the end of a quarter. Optimum $78,450."""
    quarters = ["Q1", "Q2", "Q3", "Q4"]
    return sheets(
        periods=quarters,
        allies=[["SAILCO"]],
        items=[["boat", "sailboat", "boats", True, 1, None, 20]],
        production=[["regular", "SAILCO", "boat", 40, 400], ["overtime", "SAILCO", "boat",
                                                              10_000, 450]],
        Stocks=[["SAILCO", "boat", 10]],
        Consumption=[["SAILCO", "boat", q, d] for q, d in zip(quarters, (40, 60, 75, 25),
                                                                strict=True)],
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_sailco_multi_period_plan_with_overtime_and_holding(tmp_path, solver):
    result = solve(tmp_path, sailco(), f"solver.name={solver}")
    assert result.status == "optimal"
    assert result.plan.total_cost == pytest.approx(78_450, rel=1e-9)
    assert result.plan.cost_terms["holding_cost"] == pytest.approx(200)
    assert quantity(result, facility="regular") == pytest.approx(145)
    assert quantity(result, facility="overtime") == pytest.approx(45)
    assert quantity(result, facility="overtime", order_period="Q3") == pytest.approx(35)
    assert result.verification.passed
