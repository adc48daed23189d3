"""The Advice sheet: each figure checked against a re-solve with the limit moved one
step, in both objective modes, for linear and whole-unit models, HiGHS and CBC."""

from __future__ import annotations

import math

import openpyxl
import pytest

from optimizer.config import load_config
from optimizer.explain.measured import weighted_objective
from optimizer.model.build import create_model
from optimizer.model.sets import build_sets
from optimizer.pipeline import RunResult, solve_data
from optimizer.reports.tables import write_report
from optimizer.tolerance import noise
from optimizer.words import figure
from tests.alliances import sheets, solve
from tests.headers import fields, headers

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]
WEIGHTED = "objective.mode=weighted"
MODES = ["lexicographic", "weighted"]


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-3)


def alliance(capacity=100, budget_p1=800) -> dict:
    """A (route 5 dearer, must close 30 %) and B need 150 each by P2 from a line of
    `capacity` a period at 10; B's budgets (800, 600) limit it to 140 units."""
    return sheets(
        periods=["P1", "P2"], allies=[["A", "Alpha", None, 0.3], ["B"]], items=ONE_ITEM,
        production=[["L", "H", "I", 100, 10, 0]],
        requirements=[["A", "I", "P2", 150], ["B", "I", "P2", 150]],
        Capacity=[["L", "I", "P1", capacity]],
        Budgets=[["B", "P1", budget_p1], ["B", "P2", 600]], Transport=[["H", "A", 5]])


def two_lines(capacity_i=10, capacity_j=10) -> dict:
    """The issue's case: LI makes I (priority 1) at 100, LJ makes J (priority 5) at 10,
    10 a period each; A is short of both. One more unit at LI closes 1 unit of weighted
    shortfall for 100 more; at LJ 5 units for 10 more."""
    return sheets(
        periods=["P1"], allies=[["A"]],
        items=[["I", "i", "units", False, 1, 1000, 0], ["J", "j", "units", False, 5, 5000, 0]],
        production=[["LI", "H", "I", capacity_i, 100, 0], ["LJ", "H", "J", capacity_j, 10, 0]],
        requirements=[["A", "I", "P1", 20], ["A", "J", "P1", 20]])


def several_limits(whole_units: bool = False) -> dict:
    """Two items, three lines, two allies with budgets in two periods, money in units of
    a million a shell: several capacities and budgets bind together."""
    return sheets(
        periods=["P1", "P2"], allies=[["A"], ["B"]],
        items=[["I", "shell", "rounds", False, 1, 5e6, 0],
               ["J", "missile", "missiles", whole_units, 3, 2e7, 0]],
        production=[["L1", "H1", "I", 30, 1e6, 0], ["L2", "H2", "I", 20, 1.5e6, 0],
                    ["L3", "H1", "J", 5, 4e6, 0]],
        requirements=[["A", "I", "P2", 80], ["B", "I", "P2", 40], ["A", "J", "P2", 8],
                      ["B", "J", "P2", 6]],
        Budgets=[["A", "P1", 50e6], ["A", "P2", 40e6], ["B", "P1", 20e6], ["B", "P2", 25e6]])


def objective(result) -> float:
    """Cost plus shortfall penalties (the weighted objective) of a solved plan."""
    return weighted_objective(result.phases)


def advice_row(result, starts: str):
    rows = result.advice[result.advice["advice"].str.startswith(starts)]
    assert len(rows) == 1, result.advice["advice"].tolist()
    return rows.iloc[0]


def relaxed_resolve(result, advice, amount: float) -> RunResult:
    """The same input with the limit of an Advice row relaxed by ``amount`` of its input
    unit, solved again the way the plan was (through the limit's own declaration)."""
    config = result.config
    model = create_model(build_sets(result.data, config), config)
    declaration = next(d for d in model.limits if d.family == advice["kind"])
    record = result.binding[(result.binding["family"] == advice["kind"])
                            & (result.binding["position"] == advice["position"])]
    assert len(record) == 1
    moved = declaration.relax(result.data, record.iloc[0].to_dict(), amount)
    again = solve_data(moved, config, input_path=result.input_path,
                       input_sha256=result.input_sha256)
    assert again.status == "optimal" and again.verification.passed
    return again


def check_every_limit_against_a_re_solve(result) -> int:
    """Every Advice row of a limit that one input cell sets, moved one step (or, where
    its figures hold for less, as far as they hold): the re-solve moves the weighted
    shortfall, the cost and the weighted objective by the figures times the move.
    Returns how many rows were checked."""
    checked = 0
    weighted = result.config.objective.mode == "weighted"
    for advice in result.advice[result.advice["kind"] != "rule"].to_dict("records"):
        if advice["kind"] not in ("capacity", "budget", "expansion limit"):
            continue
        unit = 1.0 if advice["per"] in ("unit of capacity", "unit of money") else (
            1e6 if advice["per"] == "million" else None)
        assert unit is not None, advice["per"]
        record = result.binding[result.binding["position"] == advice["position"]].iloc[0]
        reach = advice["holds_until"] - record["limit"]
        move = 1.0 if math.isnan(reach) else min(1.0, reach / unit)
        if move <= 0:
            continue
        again = relaxed_resolve(result, advice, move * unit)
        closed = result.plan.weighted_shortfall - again.plan.weighted_shortfall
        saved = result.plan.total_cost - again.plan.total_cost
        # A MIP's figures are differences of two solves, each within solver.mip_gap.
        gap = result.config.solver.mip_gap if advice["how"].startswith(
            "measured") else 0.0

        def agrees(value, reference, gap=gap):
            return pytest.approx(value, rel=1e-6, abs=max(1e-3, float(noise(reference, gap))))

        if weighted:
            assert objective(result) - objective(again) == agrees(
                move * advice["objective_improved"], objective(result)), advice["advice"]
        if not (weighted and math.isnan(advice["shortfall_closed"])):
            assert closed == agrees(move * advice["shortfall_closed"],
                                    result.plan.weighted_shortfall), advice["advice"]
            assert saved == agrees(move * advice["cost_saved"],
                                   result.plan.total_cost), advice["advice"]
        checked += 1
    return checked


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_lexicographic_figures_belong_to_their_own_limit(tmp_path, solver):
    """The issue's case: the figures were swapped between LI and LJ, and a step that
    buys more was called a saving."""
    result = solve(tmp_path, two_lines(), f"solver.name={solver}")
    li = advice_row(result, "each more unit of capacity at LI (H) for I in P1")
    lj = advice_row(result, "each more unit of capacity at LJ (H) for J in P1")
    assert (li["shortfall_closed"], li["cost_saved"]) == (near(1), near(-100))
    assert (lj["shortfall_closed"], lj["cost_saved"]) == (near(5), near(-10))
    assert "would close 5 units of weighted shortfall, at a cost of 10" in lj["advice"]
    assert result.advice["kind"].tolist()[-2:] == ["capacity", "capacity"]
    assert result.advice["advice"].tolist()[-2].startswith("each more unit of capacity at LJ")
    wider = solve(tmp_path, two_lines(capacity_i=11), f"solver.name={solver}")
    assert result.plan.weighted_shortfall - wider.plan.weighted_shortfall == near(1)
    assert result.plan.total_cost - wider.plan.total_cost == near(-100)
    assert check_every_limit_against_a_re_solve(result) == 2


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_weighted_figures_and_their_split_match_re_solves(tmp_path, solver):
    result = solve(tmp_path, two_lines(), WEIGHTED, f"solver.name={solver}")
    lj = advice_row(result, "each more unit of capacity at LJ (H) for J in P1")
    assert lj["objective_improved"] == near(5000 - 10)
    if solver == "highs":  # the split follows HiGHS's basis; PuLP hands none over
        assert (lj["shortfall_closed"], lj["cost_saved"]) == (near(5), near(-10))
        assert "(it closes 5 units of weighted shortfall, costing 10)" in lj["advice"]
    assert check_every_limit_against_a_re_solve(result) == 2


@pytest.mark.parametrize("mode", MODES)
def test_several_capacities_and_budgets_each_match_a_re_solve(tmp_path, mode):
    result = solve(tmp_path, several_limits(), f"objective.mode={mode}")
    kinds = result.advice["kind"].tolist()
    assert kinds.count("capacity") >= 2 and kinds.count("budget") >= 2, kinds
    assert check_every_limit_against_a_re_solve(result) >= 4


@pytest.mark.parametrize("mode", MODES)
def test_weighted_advice_of_the_closure_case_matches_re_solves(tmp_path, mode):
    base = solve(tmp_path, alliance(), f"objective.mode={mode}")
    capacity = advice_row(base, "each more unit of capacity at L (H) for I in P1")
    assert capacity["set_by"] == "Capacity!D2"
    assert check_every_limit_against_a_re_solve(base) >= 2
    if mode == "weighted":
        assert capacity["holds_until"] == near(190)  # then A and B have all they can use
        moved = solve(tmp_path, alliance(capacity=150), WEIGHTED)
        assert objective(base) - objective(moved) == near(50 * capacity["objective_improved"])


@pytest.mark.parametrize("mode", MODES)
def test_whole_unit_figures_are_measured_by_re_solving(tmp_path, mode):
    """Missiles are whole units: the LP with integers fixed would value the missile line
    at the continuous part's worth; the figures are re-solves instead, marked so."""
    result = solve(tmp_path, several_limits(whole_units=True), f"objective.mode={mode}")
    assert result.status == "optimal"
    measured = result.binding[result.binding["how"].str.startswith("measured")]
    assert len(measured) >= 2
    missile_line = result.binding[result.binding["facility"] == "L3"]
    assert (missile_line["how"].str.startswith("measured")).all()
    assert (missile_line["shortfall_closed"] > 0).any()  # one more missile, priority 3
    assert check_every_limit_against_a_re_solve(result) >= 2
    for row in result.advice[result.advice["kind"] != "rule"].to_dict("records"):
        assert row["how"].startswith("measured")
        assert math.isnan(row["holds_until"])  # a re-solve's step, not a range


def test_limits_not_measured_say_so_and_show_no_figure(tmp_path):
    result = solve(tmp_path, several_limits(whole_units=True), "explain.measured_limits=1")
    measured = result.binding["how"].str.startswith("measured")
    assert measured.sum() == 1
    rest = result.binding[~measured]
    assert len(rest) >= 1
    assert rest["how"].str.startswith("not measured").all()
    assert rest["shortfall_closed"].isna().all() and rest["cost_saved"].isna().all()


def test_the_report_has_the_advice_sheet(tmp_path):
    result = solve(tmp_path, alliance(), WEIGHTED)
    path = write_report(result, tmp_path / "report.xlsx")
    workbook = openpyxl.load_workbook(path)
    rows = list(workbook["Advice"].iter_rows(values_only=True))
    assert fields(workbook["Advice"])[:3] == ["rank", "kind", "advice"]
    assert headers(workbook["Advice"])[:3] == ["Rank", "Kind", "Advice"]
    assert "how" in fields(workbook["Advice"])
    assert "position" not in fields(workbook["Advice"])
    assert len(rows) == len(result.advice) + 1
    assert any(str(row[2]).startswith("each more unit of capacity") for row in rows[1:])


def test_configuration_knows_the_measured_limits_key():
    assert load_config(None, ["explain.measured_limits=5"]).explain.measured_limits == 5


@pytest.mark.parametrize("value, text", [(9_999.6, "10,000"), (1_234.5, "1,234"),
                                         (999.96, "1,000"), (12.345, "12.35"),
                                         (212_000.4, "212,000")])
def test_figures_in_sentences_never_print_in_scientific_notation(value, text):

    assert figure(value) == text


def test_advice_names_the_currency_and_each_limits_unit(tmp_path):
    """[report] currency = "EUR": money in the sentences reads "… EUR", a budget's step
    "million EUR"; the value up to which a capacity's figures hold is in the item's unit
    ("rounds", "missiles"), on the sheet too."""
    result = solve(tmp_path, several_limits(), "report.currency=EUR")
    limits = result.advice[result.advice["kind"] != "rule"]
    capacity = limits[limits["kind"] == "capacity"]
    budget = limits[limits["kind"] == "budget"]
    assert len(capacity) and len(budget), limits["advice"].tolist()
    units = {"I": "rounds", "J": "missiles"}
    for row in capacity.itertuples():
        unit = units[row.advice.split(" for ")[1].split(" ")[0]]
        assert row.holds_until_unit == unit
        if math.isfinite(row.holds_until):
            assert f"at least until it reaches {figure(row.holds_until)} {unit}" in row.advice
    for row in budget.itertuples():
        assert row.per in ("million EUR", "EUR")
        assert row.advice.startswith(f"each more {row.per} in ")
        assert row.holds_until_unit == "EUR"
    for row in limits.itertuples():
        if row.cost_saved != 0:
            assert f"{figure(abs(row.cost_saved))} EUR" in row.advice, row.advice
    assert set(result.binding.loc[result.binding["family"] == "budget", "per"]) == {
        "million EUR"}
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    sheet = workbook["Advice"]
    column = fields(sheet).index("holds_until") + 1
    formats = {sheet.cell(row, 3).value: sheet.cell(row, column).number_format
               for row in range(2, sheet.max_row + 1)}
    for row in capacity.itertuples():
        if math.isfinite(row.holds_until):
            assert f'" {row.holds_until_unit}"' in formats[row.advice]
    binding = workbook["Binding"]
    limit = fields(binding).index("limit") + 1
    kinds = {binding.cell(row, 1).value: binding.cell(row, limit).number_format
             for row in range(2, binding.max_row + 1)}
    assert kinds["budget"] == '#,##0" EUR";-#,##0" EUR"'
    assert kinds["capacity"] in ('#,##0" rounds";-#,##0" rounds"',
                                 '#,##0" missiles";-#,##0" missiles"')
