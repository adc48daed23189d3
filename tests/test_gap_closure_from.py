"""rules.min_gap_closure_from and Allies.min_gap_closure_from (SPEC §7.7): the first
period in which the minimum gap closure applies with ρ > 0.

The alliance: allies A and B, one item SH, quarters 2027Q1 … 2028Q2. One line L (host H)
makes 150 a quarter at 10, with a lead time of 4 quarters: the first delivery arrives at
the end of 2028Q1. A's route costs 5 more a unit. Each ally needs 100 in every quarter up
to 2028Q1 and 200 in 2028Q2, and holds nothing.

With 60 % of every gap closed in every quarter the plan is impossible (nothing arrives in
2027). From 2028Q1 on: 150 arrive for 2028Q1, when each ally must hold 60; 300 by 2028Q2,
when each must hold 120 of its 200. B is cheaper, so A gets no more than its 120 and B
the other 180: cost 120·15 + 180·10 = 3,600, against 100·15 + 200·10 = 3,500 without the
rule, at the same weighted shortfall 8·100 + 50 + 100 = 950.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from optimizer.config import load_config
from optimizer.verify.check import verify_plan
from tests.alliances import readiness, sheets, solve
from tests.conftest import write_workbook

PERIODS = ["2027Q1", "2027Q2", "2027Q3", "2027Q4", "2028Q1", "2028Q2"]
RULE = "rules.min_gap_closure=0.6"
FROM_2028 = "rules.min_gap_closure_from=2028Q1"


def near(value):
    return pytest.approx(value, rel=1e-6, abs=1e-2)


def alliance(allies=(("A",), ("B",)), transport=(("H", "A", 5),), capacity=150) -> dict:
    allies = [list(a) for a in allies]
    codes = [a[0] for a in allies]
    return sheets(
        periods=PERIODS, allies=allies, items=[["SH", "shell", "rounds", False, 1, None, 0]],
        production=[["L", "H", "SH", capacity, 10, 4]],
        requirements=[[a, "SH", p, 200 if p == "2028Q2" else 100]
                      for a in codes for p in PERIODS],
        Transport=[list(t) for t in transport])


def test_sixty_percent_from_the_first_quarter_is_infeasible_because_of_lead_times(tmp_path):
    result = solve(tmp_path, alliance(), RULE)
    assert result.status == "infeasible"
    assert result.plan is None


def test_from_2028q1_every_ally_closes_sixty_percent_of_each_gap(tmp_path):
    result = solve(tmp_path, alliance(), RULE, FROM_2028)
    assert result.status == "optimal"
    for ally in ("A", "B"):
        for period in PERIODS[:4]:  # nothing can arrive: the rule does not apply yet
            assert readiness(result, ally, "SH", period)["stock"] == near(0)
        for period in ("2028Q1", "2028Q2"):
            assert readiness(result, ally, "SH", period)["closed_pct"] >= 60 - 1e-6
    assert readiness(result, "A", "SH", "2028Q2")["stock"] == near(120)
    assert readiness(result, "B", "SH", "2028Q2")["stock"] == near(180)
    assert result.plan.total_cost == near(3600)
    assert result.plan.weighted_shortfall == near(950)
    assert result.verification.passed


def test_the_verifier_checks_the_rule_from_its_first_period_only(tmp_path):
    path = write_workbook(tmp_path / "alliance.xlsx", alliance())
    from optimizer.pipeline import solve_workbook

    result = solve_workbook(path, load_config(None, [RULE, FROM_2028]))
    every_period = verify_plan(result.data, load_config(None, [RULE]), result.plan)
    assert not every_period.passed
    assert every_period.worst.startswith("minimum gap closure of A SH 2027Q1 missed by")
    later = verify_plan(result.data, load_config(None, [RULE, "rules.min_gap_closure_from="
                                                               "2028Q2"]), result.plan)
    assert later.passed


def test_binding_and_rule_price_name_the_rule_and_its_first_period(tmp_path):
    result = solve(tmp_path, alliance(), RULE, FROM_2028)
    closure = result.binding[result.binding["family"] == "minimum gap closure"]
    periods = set(closure["period"])
    assert periods and periods <= {"2028Q1", "2028Q2"}
    a = closure[(closure["ally"] == "A") & (closure["period"] == "2028Q2")].iloc[0]
    assert (a["limit"], a["used"], a["set_by"]) == (near(80), near(80),
                                                    "model: rules.min_gap_closure")
    prices = result.rule_prices
    [price] = prices[(prices["rule"] == "minimum gap closure")
                     & prices["ally"].isna()].to_dict("records")  # the rule's own row
    assert price["set_by"] == "rules.min_gap_closure, rules.min_gap_closure_from"
    assert price["cost_of_rule"] == near(100)
    assert price["shortfall_of_rule"] == near(0)


def test_an_allies_own_first_period_beats_the_configuration(tmp_path):
    """A third ally C, whose deliveries take one quarter more (its route), and 250 a
    quarter: C can be reached from 2028Q2 only, so the configuration's 2028Q1 is
    infeasible for C, and C's own 2028Q2 is not. A's own 2027Q1 brings the rule back
    where no delivery can reach: infeasible."""
    three = (("A",), ("B",), ("C",))
    slow = (("H", "A", 5), ("H", "C", 0, None, 1))
    assert solve(tmp_path, alliance(three, slow, 250), RULE, FROM_2028).status == "infeasible"
    c_later = alliance((("A",), ("B",), ("C", None, None, None, None, "2028Q2")), slow, 250)
    result = solve(tmp_path, c_later, RULE, FROM_2028)
    assert result.status == "optimal"
    assert readiness(result, "C", "SH", "2028Q1")["stock"] == near(0)
    assert readiness(result, "C", "SH", "2028Q2")["closed_pct"] >= 60 - 1e-6
    a_earlier = alliance((("A", None, None, None, None, "2027Q1"), ("B",)))
    assert solve(tmp_path, a_earlier, RULE, FROM_2028).status == "infeasible"
    # An ally's own share and first period together, with no configuration at all.
    own = alliance((("A", None, None, 0.6, None, "2028Q1"), ("B",)))
    result = solve(tmp_path, own)
    assert result.status == "optimal"
    assert readiness(result, "A", "SH", "2028Q2")["stock"] == near(120)


def validate(tmp_path, workbook: dict, *settings: str) -> subprocess.CompletedProcess:
    path = write_workbook(tmp_path / "alliance.xlsx", workbook)
    command = [sys.executable, "-m", "optimizer", "validate", str(path)]
    for setting in settings:
        command += ["--set", setting]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_a_period_code_not_in_periods_is_an_error_naming_the_cell(tmp_path):
    bad = alliance((("A", None, None, None, None, "2028Q3"), ("B",)))
    run = validate(tmp_path, bad)
    assert run.returncode == 2
    assert ("Allies!F2: min_gap_closure_from '2028Q3' is not defined in Periods"
            in run.stderr)


def test_a_config_period_not_in_periods_is_an_error_naming_the_key(tmp_path):
    run = validate(tmp_path, alliance(), RULE, "rules.min_gap_closure_from=2028q1")
    assert run.returncode == 2
    assert ("model configuration: rules.min_gap_closure_from '2028q1' is not a period of "
            "the workbook; did you mean '2028Q1'? give one of Periods (2027Q1 … 2028Q2), "
            'or "" for every period') in run.stderr
    year = load_config(None, ["rules.min_gap_closure_from=2028"]).rules
    assert year.min_gap_closure_from == "2028"  # a code, as the workbook reads 2028
    number = validate(tmp_path, alliance(), "rules.min_gap_closure_from=true")
    assert number.returncode == 2
    assert ('--set: rules.min_gap_closure_from must be a period code in quotes, e.g. '
            '"2028Q1", got True') in number.stderr


def test_validate_points_at_the_first_period_when_the_rule_cannot_be_met(tmp_path):
    run = validate(tmp_path, alliance(), RULE)
    assert run.returncode == 3
    assert ("infeasible: Requirements!D2: A must close 60 % of its gap of 100 SH in 2027Q1 "
            "(rules.min_gap_closure), but the earliest delivery arrives at the end of "
            "2028Q1; a later period in rules.min_gap_closure_from starts the rule after "
            "it") in run.stderr.splitlines()
    later = validate(tmp_path, alliance(), RULE, FROM_2028)
    assert later.returncode == 0 and later.stderr == ""
    own = alliance((("A", None, None, None, None, "2027Q4"), ("B",)))
    assert ("a later period in Allies!F2 starts the rule after it"
            in validate(tmp_path, own, RULE, FROM_2028).stderr)


def test_a_scenario_setting_a_period_not_in_periods_names_the_scenario(tmp_path):
    from optimizer.errors import InputError
    from optimizer.scenarios.edits import load_scenarios
    from optimizer.workbook.validation import load_workbook

    path = write_workbook(tmp_path / "alliance.xlsx", alliance())
    config = load_config(None, [RULE])
    data, _ = load_workbook(path, config.rules)
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text('[[scenario]]\nname = "late"\n'
                         'set = { "rules.min_gap_closure_from" = "2029Q1" }\n', "utf-8")
    with pytest.raises(InputError) as raised:
        load_scenarios(scenarios, data, config)
    [problem] = raised.value.problems
    assert str(problem).startswith(
        f"{scenarios}:1 (scenario 'late'): rules.min_gap_closure_from '2029Q1' is not a "
        "period of the workbook")
    scenarios.write_text('[[scenario]]\nname = "later"\n'
                         'set = { "rules.min_gap_closure_from" = "2028Q1" }\n', "utf-8")
    [later] = load_scenarios(scenarios, data, config)
    assert later.config(config).rules.min_gap_closure_from == "2028Q1"
