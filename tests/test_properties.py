"""Properties every optimum must have, checked on generated alliances (hypothesis):
more capacity or budget never raises the least weighted shortfall; scaling every money
figure by k scales the cost by k and keeps the shortfall; renaming codes or reordering
rows changes nothing; HiGHS and CBC agree; a plan built by hand is never beaten by a
dearer or shorter optimum.

CI runs a few fixed examples (derandomized, so a run is reproducible); a random campaign
runs with, for example::

    PROPERTY_EXAMPLES=200 python -m pytest tests/test_properties.py -q
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optimizer.config import load_config
from optimizer.pipeline import solve_data
from optimizer.workbook.data import table_field
from optimizer.workbook.synthetic import generate_workbook
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import write_workbook

EXPLORE = os.environ.get("PROPERTY_EXAMPLES")
PROPERTY = settings(max_examples=int(EXPLORE or 4), deadline=None, derandomize=not EXPLORE,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
MONEY = {"Production": ["unit_cost"], "Transport": ["cost_per_unit"],
         "Expansion": ["cost_per_unit"], "Budgets": ["budget"],
         "Items": ["shortfall_penalty", "holding_cost"]}
# Lexicographic phase 2 may spend SPEC §4's slack on W (1e-6 relative): optima agree
# to about that.
AGREE = 1e-5


@st.composite
def alliances(draw):
    return (draw(st.integers(2, 3)), draw(st.integers(1, 2)), draw(st.integers(3, 5)),
            draw(st.integers(2, 3)), draw(st.integers(0, 10_000)))


def generated(tmp_path: Path, shape) -> tuple:
    allies, items, lines, periods, seed = shape
    path = generate_workbook(tmp_path / f"g{seed}_{allies}{items}{lines}{periods}.xlsx",
                             allies, items, lines, periods, seed=seed, whole_units=False)
    config = load_config(None, ["explain.rule_prices=false", "explain.ranging=false",
                                "explain.tie_break=false", "solver.mip_gap=0"])
    data, _ = load_workbook(path, config.rules)
    return data, config


def optimum(data, config, settings: dict[str, object] | None = None):
    if settings:
        config = config.with_settings(settings)
    result = solve_data(data, config, input_path=Path("x.xlsx"), input_sha256="")
    assert result.status == "optimal", result.message
    assert result.verification.passed
    return result.plan


def scaled(table: pd.DataFrame, columns: list[str], factor: float) -> pd.DataFrame:
    table = table.copy()
    for column in columns:
        if column in table.columns:
            table[column] = table[column] * factor
    return table


@PROPERTY
@given(shape=alliances(), factor=st.sampled_from([1.5, 2.0, 4.0]))
def test_more_capacity_or_budget_never_raises_the_least_shortfall(tmp_path, shape, factor):
    data, config = generated(tmp_path, shape)
    base = optimum(data, config).weighted_shortfall
    more_capacity = dataclasses.replace(
        data, production=scaled(data.production, ["capacity"], factor),
        capacity=scaled(data.capacity, ["capacity"], factor))
    more_budget = dataclasses.replace(data, budgets=scaled(data.budgets, ["budget"], factor))
    for richer in (more_capacity, more_budget):
        assert optimum(richer, config).weighted_shortfall <= base * (1 + AGREE) + AGREE


@PROPERTY
@given(shape=alliances(), factor=st.sampled_from([0.001, 7.0, 1000.0]))
@example(shape=(2, 1, 5, 3, 8466), factor=0.001)  # its minimum gap closure once could not hold
def test_money_in_another_unit_scales_the_cost_and_keeps_the_shortfall(
        tmp_path, shape, factor):
    data, config = generated(tmp_path, shape)
    base = optimum(data, config)
    tables = {table_field(sheet): scaled(data.table(sheet), columns, factor)
              for sheet, columns in MONEY.items()}
    other = optimum(dataclasses.replace(data, **tables), config)
    assert other.weighted_shortfall == pytest.approx(base.weighted_shortfall, rel=AGREE,
                                                     abs=AGREE)
    assert other.total_cost == pytest.approx(base.total_cost * factor, rel=AGREE)


@PROPERTY
@given(shape=alliances(), seed=st.integers(0, 1000))
def test_renamed_codes_and_shuffled_rows_give_the_same_optimum(tmp_path, shape, seed):
    data, config = generated(tmp_path, shape)
    base = optimum(data, config)
    rng = np.random.default_rng(seed)

    def shuffled(table: pd.DataFrame) -> pd.DataFrame:
        return table.iloc[rng.permutation(len(table))].reset_index(drop=True)

    renamed = {ally: f"Z{ally}" for ally in data.allies["ally"]}

    def rename(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in ("ally", "payer", "from", "to", "host"):
            if column in table.columns:  # blanks stay None, as the reader gives them
                table[column] = pd.Series([renamed.get(v, v) for v in table[column]],
                                          index=table.index, dtype=object)
        return table

    tables = {name: shuffled(rename(data.table(name))) for name in
              ("Allies", "Items", "Production", "Capacity", "Expansion", "Requirements",
               "Stocks", "Consumption", "Budgets", "Transport", "Restrictions")}
    other = optimum(dataclasses.replace(data, **{k.lower(): v for k, v in tables.items()}),
                    config)
    assert other.weighted_shortfall == pytest.approx(base.weighted_shortfall, rel=AGREE,
                                                     abs=AGREE)
    assert other.total_cost == pytest.approx(base.total_cost, rel=AGREE)


@PROPERTY
@given(shape=alliances())
def test_highs_and_cbc_agree(tmp_path, shape):
    """In weighted mode, one LP: the two solvers' optima agree to their tolerances (in
    lexicographic mode CBC's bound row may spend SPEC §4's slack on W for cost)."""
    data, config = generated(tmp_path, shape)
    highs = optimum(data, config, {"objective.mode": "weighted"})
    cbc = optimum(data, config, {"objective.mode": "weighted", "solver.name": "cbc"})
    assert cbc.weighted_shortfall == pytest.approx(highs.weighted_shortfall, rel=AGREE,
                                                   abs=AGREE)
    assert cbc.total_cost == pytest.approx(highs.total_cost, rel=AGREE)


@PROPERTY
@given(orders=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 1),
                                 st.integers(1, 40)), min_size=1, max_size=8),
       prices=st.lists(st.integers(1, 50), min_size=3, max_size=3),
       slack=st.integers(0, 500))
def test_a_plan_built_by_hand_is_never_beaten_by_a_dearer_or_shorter_optimum(
        tmp_path, orders, prices, slack):
    """Feasible by construction: a hand plan orders q units of line ℓ for ally a in
    period t; the targets are exactly the stock it gives, the capacities exactly what
    it uses (or 1 more), the budgets its spending plus a slack. The optimum must meet
    every target (W = 0) at a cost no higher than the hand plan's."""
    allies, lines, periods = ["A", "B"], ["L0", "L1", "L2"], ["P1", "P2"]
    used = np.zeros((3, 2))
    stock = np.zeros((2, 2))
    spend = np.zeros((2, 2))
    for line, ally, period, quantity in orders:
        used[line, period] += quantity
        stock[ally, period:] += quantity
        spend[ally, period] += quantity * prices[line]
    hand_cost = float(spend.sum())
    workbook = write_workbook(tmp_path / f"hand{abs(hash((tuple(orders), slack)))}.xlsx", sheets(
        periods=periods, allies=[[a] for a in allies],
        items=[["I", "item", "units", False, 1, 1e6, 0]],
        production=[[line, f"H{index}", "I", float(used[index].max()) + 1, prices[index], 0]
                    for index, line in enumerate(lines)],
        requirements=[[allies[a], "I", periods[t], float(stock[a, t])]
                      for a in range(2) for t in range(2)],
        Capacity=[[lines[index], "I", periods[t], float(used[index, t])]
                  for index in range(3) for t in range(2)],
        Budgets=[[allies[a], periods[t], float(spend[a, t]) + slack]
                 for a in range(2) for t in range(2)]))
    config = load_config(None, ["explain.rule_prices=false", "explain.tie_break=false"])
    data, _ = load_workbook(workbook, config.rules)
    plan = optimum(data, config)
    assert plan.weighted_shortfall == pytest.approx(0, abs=1e-6)
    assert plan.total_cost <= hand_cost * (1 + 1e-9) + 1e-6
