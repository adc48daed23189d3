"""The benchmark baselines solve the same model as ``stockpile solve``.

``benchmarks/plain_pulp.py`` re-derives SPEC §4 in plain PuLP and ``benchmarks/limit.py``
hands our exported arrays to highspy; on small generated alliances both must reach the
tool's optimum: the same total cost and weighted shortfall, in both objective modes.

Two settings make "the same optimum" exact: ``solver.mip_gap = 0`` (the instances have
whole-unit items) and ``objective.shortfall_tolerance = 0``. With the default tolerance
the baselines' phase 2 (the row W ≤ W*·(1+tol)+tol) may spend the slack on a slightly
lower cost, while the tool's LP phase 2 keeps phase 1's optimal face (W = W*): both
allowed by SPEC §4, but not equal.
"""

from __future__ import annotations

import pytest

from benchmarks import limit, plain_pulp
from benchmarks.instances import benchmark_config, model_arrays
from optimizer.pipeline import solve_workbook
from optimizer.workbook.synthetic import generate_workbook

EXACT = ("solver.mip_gap=0", "objective.shortfall_tolerance=0")


@pytest.fixture(scope="module", params=[1, 2], ids=["seed1", "seed2"])
def alliance(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("alliance") / f"alliance_{request.param}.xlsx"
    return generate_workbook(path, allies=3, items=4, lines=8, periods=4,
                             seed=request.param)


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_baselines_reach_the_tools_optimum(alliance, mode):
    config = benchmark_config(mode, 60, EXACT)
    ours = solve_workbook(alliance, config)
    assert ours.status == "optimal"
    expected = {"total_cost": ours.plan.total_cost,
                "weighted_shortfall": ours.plan.weighted_shortfall}

    plain = plain_pulp.solve_workbook(alliance, config)
    assert plain["status"] == "Optimal"
    assert plain["model_size"]["variables"] == ours.model_size["variables"]

    arrays = model_arrays(alliance, config)
    highs = limit.solve_arrays(arrays, mode, 60)
    assert highs["status"] == "kOptimal"

    for name, value in expected.items():
        assert plain[name] == pytest.approx(value, rel=1e-6, abs=1e-6), ("plain PuLP", name)
        assert highs[name] == pytest.approx(value, rel=1e-6, abs=1e-6), ("limit", name)
