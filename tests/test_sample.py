"""The bundled sample alliance (``inputs/sample_alliance.xlsx``, written by
``scripts/make_sample.py``): valid, realistic in shape, consistent, and reproducible."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.config import load_config
from optimizer.run import solve_workbook
from optimizer.schema import SHEETS
from optimizer.validation import load_workbook

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "inputs" / "sample_alliance.xlsx"
SCRIPT = REPO / "scripts" / "make_sample.py"
NAMED_ITEMS = {"155HE", "120MOR", "GMLRS", "PAC3MSE", "GEMT", "AMRAAM", "STINGER", "JAVELIN"}
MISSILES = NAMED_ITEMS - {"155HE", "120MOR"}
OPTIONAL_SHEETS = [s.name for s in SHEETS if not s.required]


def load_script():
    spec = importlib.util.spec_from_file_location("make_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    data, warnings = load_workbook(SAMPLE)  # raises InputError on any error
    return data, warnings


def test_sample_loads_without_errors_or_warnings(sample):
    _, warnings = sample
    assert [str(w) for w in warnings] == []


def test_sample_has_the_alliance_items_and_quarters(sample):
    data, _ = sample
    allies = list(data.allies["ally"])
    assert len(allies) >= 8
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in allies)  # ISO 3166 alpha-3
    assert {"POL", "DEU", "FRA"} <= set(allies)
    assert data.allies["name"].notna().all() and (data.allies["gdp"] > 0).all()
    assert set(data.items["item"]) >= NAMED_ITEMS
    items = data.items.set_index("item")
    assert items.loc[sorted(MISSILES), "integer"].all()
    assert not items.loc[["155HE", "120MOR"], "integer"].any()
    assert data.periods == tuple(f"{y}Q{q}" for y in range(2027, 2031) for q in range(1, 5))


def test_every_optional_sheet_has_rows(sample):
    data, _ = sample
    for name in OPTIONAL_SHEETS:
        assert len(data.table(name)) > 0, name


def test_unit_costs_are_plausible(sample):
    data, _ = sample
    cost = data.production.groupby("item")["unit_cost"]
    low, high = cost.min(), cost.max()
    assert low["155HE"] >= 3_000 and high["155HE"] <= 8_000
    assert 500 <= low["120MOR"] <= high["120MOR"] <= 2_000
    assert low["PAC3MSE"] >= 2_000_000 and high["PAC3MSE"] <= 6_000_000
    assert low["AMRAAM"] >= 500_000 and high["AMRAAM"] <= 2_000_000


def test_consumption_never_exceeds_stock(sample):
    data, _ = sample
    on_hand = data.stocks.set_index(["ally", "item"])["on_hand"]
    order = data.period_index
    used = data.consumption.assign(t=data.consumption["period"].map(order)).sort_values("t")
    used["cumulative"] = used.groupby(["ally", "item"])["quantity"].cumsum()
    for ally, item, cumulative in used[["ally", "item", "cumulative"]].itertuples(index=False):
        assert cumulative <= on_hand.get((ally, item), 0.0), (ally, item)


def test_sample_exercises_the_rules(sample):
    data, _ = sample
    allies = set(data.allies["ally"])
    hosts = set(data.production["host"])
    assert hosts - allies, "some lines are outside the alliance"
    budgeted = set(data.budgets["ally"])
    assert len(budgeted) > len(allies) / 2 and allies - budgeted
    transport_items = data.transport["item"]
    assert transport_items.isna().any() and transport_items.notna().any()
    payers = data.expansion["payer"]
    assert payers.isna().any() and payers.notna().any()
    lines = data.production.set_index(["facility", "item"])["capacity"]
    replaced = data.capacity.set_index(["facility", "item"])["capacity"]
    base = lines.reindex(replaced.index)
    assert (replaced == 0).any(), "a ramp-up from zero"
    assert ((replaced > 0) & (replaced < base)).any(), "a reduced period"
    assert data.allies["min_gap_closure"].notna().sum() >= 2
    working = data.allies.loc[data.allies["work_share_min"].notna(), "ally"]
    assert len(working) >= 2 and set(working) <= hosts


def test_readme_says_illustrative_and_how_to_regenerate():
    workbook = openpyxl.load_workbook(SAMPLE, read_only=True)
    try:
        assert workbook.sheetnames[0] == "README"
        text = " ".join(
            str(value) for row in workbook["README"].iter_rows(values_only=True)
            for value in row if value
        )
    finally:
        workbook.close()
    assert "illustrative" in text.lower() and "not official" in text.lower()
    assert "python scripts/make_sample.py" in text


def test_regenerating_gives_the_same_tables(sample, tmp_path):
    committed, _ = sample
    path = load_script().write_sample(tmp_path / "sample.xlsx")
    regenerated, warnings = load_workbook(path)
    assert warnings == []
    assert regenerated.periods == committed.periods
    for sheet in SHEETS:
        if sheet.name == "Periods":
            continue
        pd.testing.assert_frame_equal(
            regenerated.table(sheet.name), committed.table(sheet.name), obj=sheet.name
        )


def test_sample_plan_is_interesting(sample):
    """Capacity cannot close every gap at once, expansions pay, some budgets bind."""
    result = solve_workbook(SAMPLE, load_config(None, ["solver.time_limit=120"]))
    assert result.status == "optimal", result.message
    plan = result.plan
    assert plan.weighted_shortfall > 0
    assert plan.readiness.groupby("period")["shortfall"].sum().iloc[0] > 0
    assert not plan.expansions.empty
    assert (plan.budgets["remaining"] <= 1e-6 * plan.budgets["budget"]).any()
    assert result.verification.passed
