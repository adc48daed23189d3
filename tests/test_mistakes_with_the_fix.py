"""Mistakes that would pass silently, and errors that say the fix: a sheet, column or
code spelled nearly right, a share typed as a percentage, money in the wrong unit, and
a workbook that is valid but cannot be solved (SPEC §7.7)."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.cli import main
from optimizer.config import load_config
from optimizer.errors import InputError
from optimizer.explain.prechecks import evident_conflicts
from optimizer.model.sets import build_sets
from optimizer.pipeline import solve_data
from optimizer.scenarios.edits import load_scenarios
from optimizer.workbook.numerics import money_slip_warnings
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.schema import nearest
from optimizer.workbook.synthetic import generate_tables, generate_workbook
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets, solve
from tests.conftest import write_workbook
from tests.test_sample import SAMPLE
from tests.test_scenarios import two_lines
from tests.test_validation import problems_of

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]


def shown(warnings) -> list[str]:
    return [str(w) for w in warnings]


# Names: sheets and columns ------------------------------------------------------------

def test_a_misspelled_optional_sheet_is_an_error_that_says_what_deleting_it_means(
        workbook_path, capsys):
    def edit(workbook):
        workbook["Budget"] = workbook.pop("Budgets")
        workbook["transports"] = workbook.pop("Transport")

    path = workbook_path(edit)
    found = problems_of(path)
    assert ("Budget: unknown sheet; did you mean 'Budgets'? (rename it, or delete it to "
            "plan without budgets)") in found
    assert ("transports: unknown sheet; did you mean 'Transport'? (rename it, or delete "
            "it to move every item free and without delay)") in found
    assert main(["validate", str(path)]) == 2  # was 0: the plan got unlimited money
    assert "Budget: unknown sheet; did you mean 'Budgets'?" in capsys.readouterr().err


def test_a_missing_required_sheet_names_the_sheet_that_looks_like_it(workbook_path):
    def edit(workbook):
        workbook["Ally"] = workbook.pop("Allies")
        workbook["ITEM"] = workbook.pop("Items")

    found = problems_of(workbook_path(edit))
    assert ("alliance.xlsx: required sheet 'Allies' is missing; did you mean the sheet "
            "'Ally'? (rename it 'Allies')") in found
    assert ("alliance.xlsx: required sheet 'Items' is missing; did you mean the sheet "
            "'ITEM'? (rename it 'Items')") in found
    assert not [p for p in found if p.startswith(("Ally:", "ITEM:"))]  # one sentence each
    assert not [p for p in found if "is not defined in" in p]  # nor one per code


def test_unrelated_sheets_and_copies_of_a_sheet_stay_warnings(workbook_path):
    def edit(workbook):
        workbook["Notes"] = [["anything"]]
        workbook["Pivot"] = [["x"]]
        workbook["Budgets 2"] = [list(row) for row in workbook["Budgets"]]

    _, warnings = load_workbook(workbook_path(edit))
    assert {"warning: Notes: unknown sheet is ignored",
            "warning: Pivot: unknown sheet is ignored",
            "warning: Budgets 2: unknown sheet is ignored"} <= set(shown(warnings))


def test_a_misspelled_column_is_an_error_with_the_column_meant(workbook_path):
    def edit(workbook):
        workbook["Allies"][0][4] = "work_share_mn"
        workbook["Production"][0][3] = "Capacty"
        workbook["Stocks"][0][2] = "on hand"

    found = problems_of(workbook_path(edit))
    assert "Allies!E1: unknown column 'work_share_mn'; did you mean 'work_share_min'?" in found
    assert "Production!D1: unknown column 'Capacty'; did you mean 'capacity'?" in found
    assert "Stocks!C1: unknown column 'on hand'; did you mean 'on_hand'?" in found
    # The required column the misspelling stands for gets no second sentence.
    assert not [p for p in found if "required column" in p]


def test_unrelated_columns_and_copies_of_a_column_stay_warnings(workbook_path):
    def edit(workbook):
        workbook["Production"][0].append("comment")
        workbook["Production"][0].append("capacity 2")

    _, warnings = load_workbook(workbook_path(edit))
    assert "warning: Production!G1: unknown column 'comment' is ignored" in shown(warnings)
    assert "warning: Production!H1: unknown column 'capacity 2' is ignored" in shown(warnings)


@pytest.mark.parametrize(("name", "known", "meant"), [
    ("pol", ["POL", "DEU"], "POL"),
    ("2026-Q4", ["2026Q3", "2026Q4"], "2026Q4"),
    ("Budget", ["Budgets", "Stocks"], "Budgets"),
    ("Ally", ["Allies", "Items"], "Allies"),
    ("min_gap_closur", ["min_gap_closure", "name"], "min_gap_closure"),
    ("Notes", ["Items", "Budgets", "Stocks"], None),
    ("2027Q3", ["2027Q1", "2027Q2"], None),  # another period, not a slip
    ("F0003", ["F0001", "F0002"], None),
    ("instructions", ["Restrictions"], None),
    ("pol", ["POL", "Pol"], None),  # two codes spelled alike: which is not clear
])
def test_nearest_suggests_only_a_clear_slip(name, known, meant):
    assert nearest(name, known) == meant


# Codes ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("Requirements", 1, 0, "pol",
     "Requirements!A2: ally 'pol' is not defined in Allies; did you mean 'POL'?"),
    ("Requirements", 2, 2, "2027-Q2",
     "Requirements!C3: period '2027-Q2' is not defined in Periods; did you mean '2027Q2'?"),
    ("Stocks", 1, 1, "155 HE",
     "Stocks!B2: item '155 HE' is not defined in Items; did you mean '155HE'?"),
    ("Expansion", 1, 5, "pol",
     "Expansion!F2: payer 'pol' is not defined in Allies; did you mean 'POL'?"),
    ("Restrictions", 1, 1, "f3",
     "Restrictions!B2: facility 'f3' is not defined in Production; did you mean 'F3'?"),
    ("Capacity", 1, 0, "f1",
     "Capacity!A2: line (facility 'f1', item '155HE') is not defined in Production; "
     "did you mean facility 'F1'?"),
    ("Capacity", 1, 1, "155he",
     "Capacity!A2: line (facility 'F1', item '155he') is not defined in Production; "
     "did you mean item '155HE'?"),
    ("Requirements", 1, 0, "FRA", "Requirements!A2: ally 'FRA' is not defined in Allies"),
])
def test_an_unknown_code_gets_the_nearest_defined_one(workbook_path, sheet, row, column,
                                                      value, message):
    def edit(workbook):
        workbook[sheet][row][column] = value

    found = problems_of(workbook_path(edit))
    assert message in found


def test_an_unknown_country_warning_suggests_the_country(workbook_path):
    def edit(workbook):
        workbook["Transport"][1][0] = "usa"

    _, warnings = load_workbook(workbook_path(edit))
    assert ("warning: Transport!A2: from 'usa' is neither a production host nor an ally; "
            "the row has no effect; did you mean 'USA'?") in shown(warnings)


# Shares ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("column", "value", "message"), [
    (3, 50, "Allies!D2: min_gap_closure is a share between 0 and 1, got 50 "
            "(for 50 % write 0.5)"),
    (4, 12.5, "Allies!E2: work_share_min is a share between 0 and 1, got 12.5 "
              "(for 12.5 % write 0.125)"),
    (4, 100, "Allies!E2: work_share_min is a share between 0 and 1, got 100 "
             "(for 100 % write 1)"),
    (3, 101, "Allies!D2: min_gap_closure must be a number between 0 and 1, got 101"),
])
def test_a_share_written_as_a_percentage_says_how_to_write_it(workbook_path, column, value,
                                                              message):
    def edit(workbook):
        workbook["Allies"][1][column] = value

    assert message in problems_of(workbook_path(edit))


# Money in the wrong unit ----------------------------------------------------------------

def budgets(*values) -> list[list]:
    header = ["ally", "period", "budget"]
    return [header] + [["POL", f"2027Q{q}", value] for q, value in enumerate(values, 1)]


def with_quarters(workbook: dict, count: int) -> None:
    workbook["Periods"] = [["period"]] + [[f"2027Q{q}"] for q in range(1, count + 1)]


def test_a_budget_a_millionth_of_the_others_is_warned_with_the_likely_unit(workbook_path):
    def edit(workbook):
        with_quarters(workbook, 4)
        workbook["Budgets"] = budgets(3e8, 3e8, 300, 3e8)

    _, warnings = load_workbook(workbook_path(edit))
    assert [w for w in shown(warnings) if "Budgets" in w] == [
        "warning: Budgets!C4: budget 300 is about a millionth of the other budgets "
        "(median 300,000,000); was it meant in millions?"]


def test_a_unit_cost_a_thousand_times_the_same_items_others_is_warned(workbook_path):
    def edit(workbook):
        workbook["Production"] += [["F4", "DEU", "155HE", 500, 3200, 0],
                                   ["F5", "POL", "155HE", 500, 3.4e6, 0]]

    _, warnings = load_workbook(workbook_path(edit))
    # 155HE costs 3000, 3500, 3200, 3,400,000: median 3350. PAC3 (4e6) is not compared.
    assert [w for w in shown(warnings) if "unit_cost" in w] == [
        "warning: Production!E6: unit_cost 3,400,000 is about a thousand times the other "
        "unit costs of item '155HE' (median 3,350); was it written in units while the "
        "others are in thousands?"]


@pytest.mark.parametrize("values", [
    (3e8, 300, 3e8),  # only two other budgets: too few to judge
    (3e8, 3e8, 1e6, 3e8),  # 1/300 of the others: large, but no unit slip
    (3e8, 0, 3e8, 3e8),  # 0 is meant: no money in that period
])
def test_money_near_its_peers_or_with_too_few_peers_is_not_warned(workbook_path, values):
    def edit(workbook):
        with_quarters(workbook, len(values))
        workbook["Budgets"] = budgets(*values)

    data, _ = load_workbook(workbook_path(edit))
    assert money_slip_warnings(data) == []


def test_no_money_warning_on_the_sample_or_generated_alliances(tmp_path):
    data, _ = load_workbook(SAMPLE)
    assert money_slip_warnings(data) == []
    for seed, size in enumerate([(3, 4, 6, 4), (8, 10, 30, 8), (20, 30, 100, 12)]):
        data, _ = load_workbook(generate_workbook(tmp_path / f"g{seed}.xlsx", *size,
                                                  seed=seed))
        assert money_slip_warnings(data) == [], size


# Valid, but the solve will be infeasible --------------------------------------------------

def closure_beyond_capacity(capacity: float) -> dict:
    """A must close 50 % of a gap of 100 in P1; the only line makes ``capacity``."""
    return sheets(periods=["P1"], allies=[["A", "Alpha", None, 0.5]], items=ONE_ITEM,
                  production=[["L", "H", "I", capacity, 10, 0]],
                  requirements=[["A", "I", "P1", 100]])


def validate(tmp_path, workbook: dict, *settings: str) -> int:
    """The exit code of ``stockpile validate`` on the workbook with ``--set settings``."""
    path = write_workbook(tmp_path / "alliance.xlsx", workbook)
    arguments = [argument for setting in settings for argument in ("--set", setting)]
    return main(["validate", str(path), *arguments])


def test_validate_exits_3_when_the_capacity_cannot_meet_a_minimum_gap_closure(
        tmp_path, capsys):
    code = validate(tmp_path, closure_beyond_capacity(30))
    out = capsys.readouterr().out.splitlines()
    assert code == 3
    assert out[-1] == (
        "valid, but the solve will be infeasible: Requirements!D2: A must close 50 % of its "
        "gap of 100 I in P1 (Allies!D2), but at most 30 can be delivered by then (the "
        "capacity of the lines making it, with every expansion built)")
    assert solve(tmp_path, closure_beyond_capacity(30)).status == "infeasible"


def test_validate_exits_0_when_the_capacity_just_meets_the_closure(tmp_path, capsys):
    code = validate(tmp_path, closure_beyond_capacity(50))
    assert code == 0, capsys.readouterr()
    assert "infeasible" not in capsys.readouterr().out
    assert solve(tmp_path, closure_beyond_capacity(50)).status == "optimal"


def test_expansion_counts_towards_what_can_be_delivered(tmp_path, capsys):
    workbook = closure_beyond_capacity(30)
    workbook["Expansion"] = [["facility", "item", "max_extra", "cost_per_unit", "lead_time"],
                             ["L", "I", 20, 1, 0]]
    code = validate(tmp_path, workbook)
    assert code == 0, capsys.readouterr()
    assert solve(tmp_path, workbook).status == "optimal"


def test_a_budget_left_out_for_a_period_of_consumption_is_seen(tmp_path, capsys):
    """A uses 5 in P1 and holds 2; the line delivers at once but A's budget is given for
    P2 only, so its P1 budget is 0."""
    workbook = sheets(periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
                      production=[["L", "H", "I", 100, 10, 0]],
                      requirements=[["A", "I", "P2", 10]],
                      Consumption=[["A", "I", "P1", 5]], Stocks=[["A", "I", 2]],
                      Budgets=[["A", "P2", 1000]])
    code = validate(tmp_path, workbook)
    assert code == 3
    assert capsys.readouterr().out.splitlines()[-1] == (
        "valid, but the solve will be infeasible: Consumption!D2: A uses 5 I up to P1 but "
        "holds 2 and A's budgets leave no money for it by then")
    assert solve(tmp_path, workbook).status == "infeasible"
    code = validate(tmp_path, workbook, "rules.budget_carryover=true")
    assert code == 3  # nothing to carry over into the first period
    workbook["Budgets"] = [workbook["Budgets"][0], ["A", "P1", 30]]
    code = validate(tmp_path, workbook)
    assert code == 0, capsys.readouterr()  # 30 buys the 3 missing units
    assert solve(tmp_path, workbook).status == "optimal"


def test_a_work_share_ally_hosting_no_line_can_buy_nothing(tmp_path, capsys):
    workbook = sheets(periods=["P1"], allies=[["A", "Alpha", None, 0.1, 0.2]],
                      items=ONE_ITEM, production=[["L", "H", "I", 100, 10, 0]],
                      requirements=[["A", "I", "P1", 100]])
    code = validate(tmp_path, workbook)
    assert code == 3
    assert capsys.readouterr().out.splitlines()[-1] == (
        "valid, but the solve will be infeasible: Requirements!D2: A must close 10 % of its "
        "gap of 100 I in P1 (Allies!D2), but A hosts no production line that delivers "
        "within the horizon, so its work share (Allies!E2) lets it spend nothing")
    assert solve(tmp_path, workbook).status == "infeasible"
    assert validate(tmp_path, workbook, "rules.work_share=false") == 0


def test_with_transfers_nothing_is_claimed(tmp_path, capsys):
    code = validate(tmp_path, closure_beyond_capacity(30), "rules.allow_transfers=true")
    assert code == 0
    assert "infeasible" not in capsys.readouterr().out


QUIET = ("explain.rule_prices=false", "explain.ranging=false", "explain.tie_break=false",
         "explain.clean_plan=false")


def test_every_conflict_validate_claims_is_confirmed_by_the_solver(tmp_path):
    """Soundness: generated alliances, bent at random (capacity and budgets cut, minimum
    gap closures raised, a supplier share), are claimed infeasible only when the solve
    finds them so; some are claimed, some not."""
    rng = np.random.default_rng(7)
    claimed = unclaimed = 0
    for case in range(16):
        tables = generate_tables(3, 3, 5, 4, seed=case, whole_units=False)
        tables["Production"]["capacity"] *= rng.uniform(0.05, 1.0)
        closure = tables["Allies"]["min_gap_closure"]  # the generator's are feasible
        tables["Allies"]["min_gap_closure"] = (closure * rng.uniform(1, 4)).clip(upper=1)
        tables["Budgets"]["budget"] *= rng.uniform(0.0, 1.0)
        settings = QUIET + (("rules.max_supplier_share=0.6",) if case % 4 == 0 else ())
        workbook = {name: [list(table.columns)] + table.astype(object).where(
            table.notna(), None).to_numpy().tolist() for name, table in tables.items()}
        path = write_workbook(tmp_path / f"case{case}.xlsx", workbook)
        config = load_config(None, list(settings))
        data, _ = load_workbook(path, config.rules)
        conflicts = evident_conflicts(build_sets(data, config), data, config)
        result = solve_data(data, config, input_path=path, input_sha256=sha256_of(path))
        if conflicts:  # an unclaimed infeasibility is allowed: the check is not complete
            claimed += 1
            assert result.status == "infeasible", (case, [str(c) for c in conflicts])
        else:
            unclaimed += 1
    assert claimed >= 3 and unclaimed >= 3, (claimed, unclaimed)


def test_a_feasible_generated_alliance_validates_with_exit_0(tmp_path):
    path = generate_workbook(tmp_path / "alliance.xlsx", 4, 5, 10, 6, seed=3)
    assert main(["validate", str(path)]) == 0


def test_a_scenario_naming_a_code_nearly_right_gets_the_code_meant(tmp_path):
    workbook = two_lines(tmp_path / "a.xlsx")
    path = tmp_path / "scenarios.toml"
    path.write_text('[[scenario]]\nname = "cut"\n[[scenario.edit]]\nkind = "remove_facility"\n'
                    'facility = "f1"\n', encoding="utf-8")
    config = load_config(None, [])
    data, _ = load_workbook(workbook, config.rules)
    with pytest.raises(InputError) as raised:
        load_scenarios(path, data, config)
    assert [problem.message for problem in raised.value.problems] == [
        "facility 'f1' is not a facility of the workbook; did you mean 'F1'?"]
