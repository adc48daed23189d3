"""Both solver paths give the same optimum: HiGHS in-process and CBC through PuLP."""

from __future__ import annotations

import pytest

from optimizer.config import load_config
from optimizer.pipeline import solve_workbook
from optimizer.workbook.synthetic import generate_workbook


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
@pytest.mark.parametrize("seed", [3, 4])
def test_highs_and_cbc_agree_on_generated_alliances(tmp_path, mode, seed):
    """The lexicographic methods differ within SPEC §4's tolerance: HiGHS keeps phase 1's
    optimal face (W = W*), CBC gets the bound row W ≤ W*·(1 + 1e-6) + 1e-6 and may spend
    that slack; costs then agree to about the tolerance."""
    path = generate_workbook(tmp_path / "alliance.xlsx", 3, 4, 8, 4, seed=seed)
    results = {
        solver: solve_workbook(path, load_config(None, [
            f"solver.name={solver}", f"objective.mode={mode}", "solver.mip_gap=0"]))
        for solver in ("highs", "cbc")
    }
    for result in results.values():
        assert result.status == "optimal"
        assert result.verification.passed
    highs, cbc = results["highs"].plan, results["cbc"].plan
    slack = 0.0 if mode == "weighted" else 1e-5
    assert highs.weighted_shortfall == pytest.approx(cbc.weighted_shortfall, rel=2e-6, abs=1e-6)
    assert highs.total_cost == pytest.approx(cbc.total_cost, rel=1e-6 + slack)


def test_a_plan_the_verifier_rejects_is_an_error(tmp_path, monkeypatch):
    """A solution that breaks a constraint of the input is never reported as a plan."""
    import optimizer.pipeline as run

    path = generate_workbook(tmp_path / "alliance.xlsx", 2, 2, 3, 3, seed=1)
    extract = run.extract_plan

    def tampered(model, values, duals):
        plan = extract(model, values, duals)
        plan.stocks.loc[0, "stock"] += 1000.0  # one stock off its balance
        return plan

    monkeypatch.setattr(run, "extract_plan", tampered)
    result = solve_workbook(path, load_config(None, []))
    assert result.status == "error"
    assert result.message.startswith("the independent check of the solution found a violation")
    assert result.verification.max_violation > 1e-6


def test_write_lp_names_rows_and_columns_after_the_workbook(tmp_path):
    from tests.conftest import write_workbook
    from tests.test_known_answers import gams_transport

    path = write_workbook(tmp_path / "transport.xlsx", gams_transport())
    lp_file = tmp_path / "transport.lp"
    result = solve_workbook(path, load_config(None, []), write_lp=lp_file)
    assert result.status == "optimal"
    text = lp_file.read_text()
    assert "capacity_seattle_cannery_cases_1:" in text
    assert "readiness_new_york_cases_1:" in text
    assert "x_san_diego_cannery_cases_topeka_1" in text


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_interior_point_gives_the_simplex_optimum(tmp_path, monkeypatch, mode):
    """Large LPs are solved by interior point with crossover (see
    ``optimizer.solver.highs.method``); forced here on a small one, it must give the
    simplex path's optimum, in both modes (phase 2 on phase 1's optimal face)."""
    from optimizer.solver import highs
    from optimizer.workbook.synthetic import generate_workbook as generate

    path = generate(tmp_path / "lp.xlsx", 4, 5, 12, 6, seed=2, whole_units=False)
    config = load_config(None, [f"objective.mode={mode}"])
    simplex = solve_workbook(path, config)
    monkeypatch.setattr(highs, "INTERIOR_POINT_COLUMNS", 0)
    assert highs.method(10, is_mip=False) == "ipm"
    assert highs.method(10, is_mip=True) == "choose"
    interior = solve_workbook(path, config)
    for result in (simplex, interior):
        assert result.status == "optimal"
        assert result.verification.passed
    assert interior.plan.weighted_shortfall == pytest.approx(
        simplex.plan.weighted_shortfall, rel=1e-7, abs=1e-6)
    assert interior.plan.total_cost == pytest.approx(simplex.plan.total_cost, rel=1e-7)


def test_objective_scale_is_a_power_of_two_that_brings_the_largest_cost_near_64():
    import numpy as np

    from optimizer.solver.phases import objective_scale

    for largest in (1e-3, 0.5, 1.0, 63.0, 64.0, 5e6, 6e7):
        scale = objective_scale(np.array([0.0, -largest, largest / 10]))
        assert np.log2(scale) == int(np.log2(scale))
        assert 32 <= largest * scale < 64
    assert objective_scale(np.zeros(3)) == 1.0
    assert objective_scale(np.array([5e6]), is_mip=True) == 1.0  # keeps whole-valued costs
