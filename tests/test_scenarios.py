"""Scenarios and sweeps: scenario files and their errors, hand-checked disruptions, the
sweep workbook, local processes and a Dask cluster on loopback giving the same numbers."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.config import load_config
from optimizer.errors import InputError
from optimizer.scenarios.edits import load_scenarios, outage_each_facility, scaled
from optimizer.sweep import run_sweep
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import write_workbook
from tests.printing import TABLE, print_setup
from tests.test_burden_sharing import shared_shells

ONE_ITEM = [["I", "item", "units", False, 1, 1000, 0]]
WEIGHTED = "objective.mode=weighted"


def two_lines(path):
    """A needs 150; line F1 makes 100 at 10 a unit, F2 100 at 20; A's budget is 1,500.
    Base: 100 from F1 (1,000) and 25 from F2 (500): 25 short, cost 1,500."""
    return write_workbook(path, sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["F1", "H1", "I", 100, 10, 0], ["F2", "H2", "I", 100, 20, 0]],
        requirements=[["A", "I", "P1", 150]], Budgets=[["A", "P1", 1500]]))


def scenario_file(tmp_path, text: str):
    path = tmp_path / "scenarios.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path, scenarios_path, *settings):
    config = load_config(None, [WEIGHTED, *settings])
    data, _ = load_workbook(path, config.rules)
    return data, config, load_scenarios(scenarios_path, data, config)


def test_every_problem_of_a_scenario_file_names_its_line_scenario_and_edit(tmp_path):
    workbook = two_lines(tmp_path / "a.xlsx")
    path = scenario_file(tmp_path, """
[[scenario]]
name = "cut"
set = { "rules.max_suplier_share" = 0.5 }

[[scenario.edit]]
kind = "scale_budgt"
factor = 0.5

[[scenario.edit]]
kind = "scale_capacity"
facility = "F9"
factor = -1
from = "P2"
to = "P1"

[[scenario]]
description = "no name"
""")
    with pytest.raises(InputError) as raised:
        load(workbook, path)
    messages = [str(problem) for problem in raised.value.problems]
    text = "\n".join(messages)
    assert "did you mean rules.max_supplier_share?" in text
    assert f"{path}:6 (scenario 'cut', edit 1)" in text
    assert "unknown kind 'scale_budgt' (did you mean scale_budget?)" in text
    assert f"{path}:10 (scenario 'cut', edit 2)" in text
    assert "facility 'F9' is not a facility of the workbook" in text
    assert "factor must be a number >= 0, got -1" in text
    assert "from 'P2' is not a period of the workbook" in text
    assert f"{path}:17" in text and "every scenario needs a name" in text
    assert len(messages) == 6


def test_an_edit_window_in_the_wrong_order_is_an_error(tmp_path):
    workbook = write_workbook(tmp_path / "a.xlsx", sheets(
        periods=["P1", "P2"], allies=[["A"]], items=ONE_ITEM,
        production=[["F1", "H1", "I", 100, 10, 0]], requirements=[["A", "I", "P2", 50]],
        Budgets=[["A", "P1", 100]]))
    path = scenario_file(tmp_path, """[[scenario]]
name = "late"
[[scenario.edit]]
kind = "scale_budget"
factor = 0.5
from = "P2"
to = "P1"
""")
    with pytest.raises(InputError, match="from 'P2' comes after to 'P1'"):
        load(workbook, path)


def kpis(results, name):
    row = results[results["scenario"] == name].iloc[0]
    return row


def test_hand_checked_outage_capacity_cut_and_budget_cut(tmp_path):
    """Base (see ``two_lines``): W = 25, cost 1,500.
    - F1 at half capacity: 50 at 10 and 50 at 20 (1,500): W = 50;
    - without F1: 75 from F2 (1,500): W = 75;
    - without F2: 100 from F1 (1,000): W = 50;
    - budgets x0.5 (750): 75 from F1: W = 75, cost 750."""
    workbook = two_lines(tmp_path / "a.xlsx")
    path = scenario_file(tmp_path, """
[[scenario]]
name = "F1 at half"
[[scenario.edit]]
kind = "scale_capacity"
facility = "F1"
factor = 0.5
from = "P1"
""")
    data, config, scenarios = load(workbook, path)
    scenarios += outage_each_facility(data) + scaled("scale_budget", [0.5], data)
    results = run_sweep(data, config, scenarios, workbook)
    assert results["scenario"].tolist() == ["base", "F1 at half", "without F1",
                                            "without F2", "budgets x0.5"]
    expected = {  # scenario: (weighted shortfall, total cost)
        "base": (25, 1500), "F1 at half": (50, 1500), "without F1": (75, 1500),
        "without F2": (50, 1000), "budgets x0.5": (75, 750)}
    for name, (shortfall, cost) in expected.items():
        row = kpis(results, name)
        assert (row["weighted_shortfall"], row["total_cost"]) == (
            pytest.approx(shortfall), pytest.approx(cost)), name
        assert row["delta_weighted_shortfall"] == pytest.approx(shortfall - 25)
        assert row["delta_total_cost"] == pytest.approx(cost - 1500)
    assert kpis(results, "without F1")["delta_gap_closed_pct"] == pytest.approx(
        100 * (75 / 150) - 100 * (125 / 150))


def test_an_infeasible_scenario_is_a_row_and_the_sweep_goes_on(tmp_path):
    """Consumption is a commitment: 500 used in P1 cannot be covered by 200 a period."""
    workbook = write_workbook(tmp_path / "a.xlsx", sheets(
        periods=["P1"], allies=[["A"]], items=ONE_ITEM,
        production=[["F1", "H1", "I", 200, 10, 0]], requirements=[["A", "I", "P1", 100]],
        Consumption=[["A", "I", "P1", 100]]))
    path = scenario_file(tmp_path, """
[[scenario]]
name = "war"
[[scenario.edit]]
kind = "scale_consumption"
factor = 5

[[scenario]]
name = "peace"
[[scenario.edit]]
kind = "scale_consumption"
factor = 0
""")
    data, config, scenarios = load(workbook, path)
    results = run_sweep(data, config, scenarios, workbook)
    assert results["status"].tolist() == ["optimal", "infeasible", "optimal"]
    assert "Consumption" in kpis(results, "war")["message"]
    assert kpis(results, "peace")["total_cost"] == pytest.approx(1000)


def test_local_processes_and_a_loopback_dask_cluster_give_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("distributed")
    workbook = two_lines(tmp_path / "a.xlsx")
    config = load_config(None, [WEIGHTED])
    data, _ = load_workbook(workbook, config.rules)
    scenarios = outage_each_facility(data) + scaled("scale_targets", [0.5, 2.0], data)
    alone = run_sweep(data, config, scenarios, workbook)
    in_processes = run_sweep(data, config, scenarios, workbook, workers=2)
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster:
        on_dask = run_sweep(data, config, scenarios, workbook, scheduler=cluster.scheduler_address)
    numbers = ["scenario", "status", "total_cost", "weighted_shortfall", "gap_closed_pct"]
    assert alone[numbers].equals(in_processes[numbers])
    assert alone[numbers].equals(on_dask[numbers])


def test_the_sweep_command_writes_one_workbook_and_leaves_the_input_alone(tmp_path, capsys):
    workbook = two_lines(tmp_path / "a.xlsx")
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    code = main(["sweep", str(workbook), "--outage", "each-facility", "--budget-scale",
                 "0.5,2", "--set", WEIGHTED, "--out", str(tmp_path / "out"), "--reports"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "4 scenarios, 0 without a plan" in printed
    out = tmp_path / "out" / "a_sweep.xlsx"
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Scenarios", "Most damaging", "Run info"]
    worst = [row[0] for row in book["Most damaging"].iter_rows(min_row=2, values_only=True)]
    assert worst[:3] == ["without F1", "budgets x0.5", "without F2"]  # W +50, +50, +25
    for sheet in book:
        assert print_setup(sheet) == TABLE, sheet.title
    assert len(list((tmp_path / "out" / "a_scenarios").glob("*_report.xlsx"))) == 5
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before


def test_a_scenario_report_from_the_base_plan_has_the_cold_solve_s_explanations(tmp_path):
    """With --reports the explanations run (ranging reads every column's bounds, so the
    held-back columns get theirs back first): the report matches a cold solve's."""
    from optimizer.sweep import BASE, run_scenario

    # freed_budget with a third item, K, met by FK1 (100 of the now 1,600 budget); FK2
    # makes K dearer and stays unused, held back to the end.
    workbook = write_workbook(tmp_path / "a.xlsx", sheets(
        periods=["P1"], allies=[["A"]],
        items=[["I", "item I", "units", False, 1, 1000, 0],
               ["J", "item J", "units", False, 1, 1000, 0],
               ["K", "item K", "units", False, 1, 1000, 0]],
        production=[["FI", "H1", "I", 100, 10, 0], ["FJ1", "H2", "J", 50, 10, 0],
                    ["FJ2", "H3", "J", 100, 15, 0], ["FK1", "H4", "K", 10, 10, 0],
                    ["FK2", "H5", "K", 100, 50, 0]],
        requirements=[["A", "I", "P1", 100], ["A", "J", "P1", 150], ["A", "K", "P1", 10]],
        Budgets=[["A", "P1", 1600]]))
    config = load_config(None, [WEIGHTED])
    data, _ = load_workbook(workbook, config.rules)
    outage = [case for case in outage_each_facility(data) if "FI" in case.name.split()][0]
    base = run_scenario(data, config, BASE, str(workbook), keep_plan=True,
                        input_sha256=sha256_of(workbook))
    rows = {}
    for label, plan in (("warm", base.base_plan), ("cold", None)):
        rows[label] = run_scenario(data, config, outage, str(workbook),
                                   tmp_path / label / "report.xlsx", base_plan=plan,
                                   input_sha256=sha256_of(workbook)).row
    assert rows["warm"]["warm_start"] == "yes" and rows["cold"]["warm_start"] == "no"
    books = {label: openpyxl.load_workbook(row["report"], read_only=True)
             for label, row in rows.items()}
    try:
        for sheet in ("Summary", "Advice", "Binding"):
            warm, cold = ([row for row in books[label][sheet].iter_rows(values_only=True)]
                          for label in ("warm", "cold"))
            if sheet == "Summary":  # timings differ
                warm, cold = ([row for row in table if "seconds" not in str(row[0])]
                              for table in (warm, cold))
            assert warm == cold, sheet
    finally:
        for book in books.values():
            book.close()


def test_outages_start_from_the_base_plan_unless_cold_is_asked_for(tmp_path, capsys):
    import json

    workbook = freed_budget(tmp_path / "a.xlsx")
    found = {}
    for flags in ([], ["--cold"]):
        assert main(["sweep", str(workbook), "--outage", "each-facility", "--json",
                     "--out", str(tmp_path / "out"), *flags]) == 0
        found[bool(flags)] = json.loads(capsys.readouterr().out)["cases"]
    # Without FI, J's unused line FJ2 is held back; without a J line, item I (the other
    # item) has no unused column to hold back, so those solve whole.
    assert [case["warm_start"] for case in found[False]] == ["no", "yes", "no", "no"]
    assert [case["warm_start"] for case in found[True]] == ["no", "no", "no", "no"]
    for warm, cold in zip(found[False], found[True], strict=True):
        assert warm["scenario"] == cold["scenario"] and warm["status"] == cold["status"]
        assert warm["total_cost"] == pytest.approx(cold["total_cost"], rel=1e-9)
        assert warm["weighted_shortfall"] == pytest.approx(cold["weighted_shortfall"],
                                                           rel=1e-9)


def test_a_sweep_with_nothing_to_sweep_is_refused(tmp_path, capsys):
    workbook = two_lines(tmp_path / "a.xlsx")
    assert main(["sweep", str(workbook), "--out", str(tmp_path)]) == 2
    assert "nothing to sweep" in capsys.readouterr().err


def test_outages_of_a_linear_program_start_from_the_base_plan_and_match_cold_solves(
        tmp_path):
    from optimizer.sweep import run_scenario
    from optimizer.workbook.synthetic import generate_workbook

    workbook = generate_workbook(tmp_path / "g.xlsx", 3, 4, 8, 4, seed=2, whole_units=False)
    for mode in ("weighted", "lexicographic"):
        config = load_config(None, [f"objective.mode={mode}"])
        data, _ = load_workbook(workbook, config.rules)
        outages = outage_each_facility(data)[:3] + scaled("scale_budget", [0.7], data)
        results = run_sweep(data, config, outages, workbook, warm_start=True)
        # A budget cut touches every item the allies buy: nothing to hold back.
        assert results["warm_start"].tolist() == ["no", "yes", "yes", "yes", "no"]
        for case in outages:
            cold = run_scenario(data, config, case, str(workbook),
                                input_sha256=sha256_of(workbook)).row
            warm = kpis(results, case.name)
            assert warm["status"] == cold["status"] == "optimal"
            assert warm["total_cost"] == pytest.approx(cold["total_cost"], rel=1e-7)
            assert warm["weighted_shortfall"] == pytest.approx(cold["weighted_shortfall"],
                                                               rel=1e-7, abs=1e-6)


def freed_budget(path):
    """A has 1,500 to spend and needs 100 of I (line FI: 10 a unit) and 150 of J (FJ1:
    50 at 10, FJ2: 100 at 15). Base: I 100 and J 50 from FJ1 spend it all; FJ2 is
    unused, 100 of J short. Without FI the money goes to J: 50 from FJ1 (500) and
    66.67 from FJ2 (1,000); 100 of I and 33.33 of J short (W 133.33), cost 1,500."""
    return write_workbook(path, sheets(
        periods=["P1"], allies=[["A"]],
        items=[["I", "item I", "units", False, 1, 1000, 0],
               ["J", "item J", "units", False, 1, 1000, 0]],
        production=[["FI", "H1", "I", 100, 10, 0], ["FJ1", "H2", "J", 50, 10, 0],
                    ["FJ2", "H3", "J", 100, 15, 0]],
        requirements=[["A", "I", "P1", 100], ["A", "J", "P1", 150]],
        Budgets=[["A", "P1", 1500]]))


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_a_line_the_base_plan_left_unused_is_priced_back_in(tmp_path, mode):
    """FJ2's orders are 0 in the base plan and of an item the outage does not touch, so
    the scenario starts without them; pricing must bring them back for the optimum."""
    from optimizer.sweep import run_scenario

    workbook = freed_budget(tmp_path / "a.xlsx")
    config = load_config(None, [f"objective.mode={mode}"])
    data, _ = load_workbook(workbook, config.rules)
    outage = [case for case in outage_each_facility(data) if "FI" in case.name.split()]
    results = run_sweep(data, config, outage, workbook, warm_start=True)
    base, warm = kpis(results, "base"), kpis(results, outage[0].name)
    assert base["weighted_shortfall"] == pytest.approx(100)
    assert results["warm_start"].tolist() == ["no", "yes"]
    assert warm["status"] == "optimal"
    assert warm["weighted_shortfall"] == pytest.approx(400 / 3)
    assert warm["total_cost"] == pytest.approx(1500)
    cold = run_scenario(data, config, outage[0], str(workbook),
                        input_sha256=sha256_of(workbook)).row
    assert cold["total_cost"] == pytest.approx(warm["total_cost"])
    assert cold["weighted_shortfall"] == pytest.approx(warm["weighted_shortfall"])


def test_a_capacity_window_scales_the_period_capacity_in_force(tmp_path):
    """F1 makes 100 a period, but its Capacity row says 60 in P2; at half from P2 to P3:
    P1 stays 100 (the Production row), P2 becomes 30 (half the Capacity row), P3 50."""
    workbook = write_workbook(tmp_path / "a.xlsx", sheets(
        periods=["P1", "P2", "P3"], allies=[["A"]], items=ONE_ITEM,
        production=[["F1", "H1", "I", 100, 10, 0]], requirements=[["A", "I", "P3", 50]],
        Capacity=[["F1", "I", "P2", 60]]))
    path = scenario_file(tmp_path, """[[scenario]]
name = "half"
[[scenario.edit]]
kind = "scale_capacity"
facility = "F1"
factor = 0.5
from = "P2"
""")
    data, _, [scenario] = load(workbook, path)
    edited = scenario.apply(data)
    by_period = dict(zip(edited.capacity["period"], edited.capacity["capacity"], strict=True))
    assert by_period == {"P2": 30.0, "P3": 50.0}
    assert edited.production["capacity"].tolist() == [100.0]
    assert data.capacity["capacity"].tolist() == [60.0]  # the data as read is left alone


# Alliance targets and the fair-share band (SPEC §7.2) ----------------------------------

ALLIANCE_SCENARIOS = """
[[scenario]]
name = "half the alliance target"
[[scenario.edit]]
kind = "scale_alliance_targets"
item = "SHELL"
factor = 0.5

[[scenario]]
name = "double, with a band"
set = { "rules.fair_share_band" = 0.2 }
[[scenario.edit]]
kind = "scale_alliance_targets"
factor = 2
to = "1"

[[scenario]]
name = "band"
set = { "rules.fair_share_band" = 0.2 }

[[scenario]]
name = "half, with a band"
set = { "rules.fair_share_band" = 0.2 }
[[scenario.edit]]
kind = "scale_alliance_targets"
factor = 0.5
from = "1"
"""


def test_alliance_targets_scaled_and_the_band_set_by_a_scenario(tmp_path):
    """``shared_shells``: the alliance must hold 100; the allies afford 56.25 (BIG), 6.25
    (S1) and 10 (S2) at 8 a round, 72.5 in all (cost 580); fair shares 0.8, 0.1, 0.1.
    - base (no band): W = 100 − 72.5 = 27.5;
    - target × 0.5 = 50: 50 rounds (cost 400), W = 0;
    - target × 2 = 200 with δ = 0.2: floors 0.8·0.8·200 = 128, 16, 16; the alliance
      127.5 short, BIG 128 − 56.25 = 71.75, S1 9.75, S2 6: W = 215, cost 580;
    - δ = 0.2 alone: floors 64, 8, 8; W = 27.5 + 7.75 + 1.75 = 37, cost 580;
    - target × 0.5 with δ = 0.2: floors 32, 4, 4 within reach; W = 0, cost 400."""
    workbook = write_workbook(tmp_path / "alliance.xlsx", shared_shells())
    data, config, scenarios = load(workbook, scenario_file(tmp_path, ALLIANCE_SCENARIOS))
    assert [edit.sentence for scenario in scenarios for edit in scenario.edits] == [
        "Alliance targets × 0.5 for item SHELL", "Alliance targets × 2 until 1",
        "Alliance targets × 0.5 from 1"]
    halved = scenarios[0].apply(data)
    assert halved.alliance_targets["target"].tolist() == [50.0]
    assert data.alliance_targets["target"].tolist() == [100.0]  # the input is left alone
    results = run_sweep(data, config, scenarios, workbook)
    expected = {  # scenario: (weighted shortfall, total cost)
        "base": (27.5, 580), "half the alliance target": (0, 400),
        "double, with a band": (215, 580), "band": (37, 580), "half, with a band": (0, 400)}
    assert results["status"].tolist() == ["optimal"] * 5
    for name, (shortfall, cost) in expected.items():
        row = kpis(results, name)
        assert (row["weighted_shortfall"], row["total_cost"]) == (
            pytest.approx(shortfall, abs=1e-6), pytest.approx(cost)), name
        assert row["delta_weighted_shortfall"] == pytest.approx(shortfall - 27.5, abs=1e-6)


def test_the_sweep_command_moves_the_band_with_set(tmp_path, capsys):
    workbook = write_workbook(tmp_path / "alliance.xlsx", shared_shells())
    path = scenario_file(tmp_path, """[[scenario]]
name = "band 0.2"
set = { "rules.fair_share_band" = 0.2 }
""")
    assert main(["sweep", str(workbook), "--scenarios", str(path), "--out",
                 str(tmp_path / "out"), "--reports"]) == 0
    assert "1 scenarios, 0 without a plan" in capsys.readouterr().out
    book = openpyxl.load_workbook(tmp_path / "out" / "alliance_sweep.xlsx")
    rows = list(book["Scenarios"].iter_rows(values_only=True))
    cases = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert cases["band 0.2"]["Status"] == "optimal"
    assert cases["base"]["Weighted shortfall"] == pytest.approx(27.5, abs=1e-6)
    assert cases["band 0.2"]["Weighted shortfall"] == pytest.approx(37, abs=1e-6)
    assert cases["band 0.2"]["Weighted shortfall − base"] == pytest.approx(9.5, abs=1e-6)
    report = openpyxl.load_workbook(tmp_path / "out" / "alliance_scenarios"
                                    / "band_0_2_report.xlsx")
    sheet = list(report["Burden sharing"].iter_rows(values_only=True))
    short = sheet[0].index("Short of band")
    assert {row[0]: row[short] for row in sheet[1:]} == pytest.approx(
        {"BIG": 7.75, "S1": 1.75, "S2": 0}, abs=1e-6)


FUNDING_SCENARIOS = """
[[scenario]]
name = "cap x 1.1"
[[scenario.edit]]
kind = "scale_funding"
giver = "S2"
factor = 1.1

[[scenario]]
name = "no funding"
[[scenario.edit]]
kind = "scale_funding"
receiver = "S1"
factor = 0

[[scenario]]
name = "band x 0.5"
[[scenario.edit]]
kind = "scale_fair_share_band"
factor = 0.5

[[scenario]]
name = "band off"
set = { "rules.fair_share_band" = 0.1 }
[[scenario.edit]]
kind = "scale_fair_share_band"
factor = 10
"""


def test_funding_caps_and_the_fair_share_band_scaled_by_a_scenario(tmp_path):
    """``shared_shells`` with δ = 0.2 and S2 paying for S1 up to 10 (``test_funding``):
    S1 holds 6.25 + 10/8 = 7.5 of its floor 8, W = 27.5 + 7.75 + 0.5 = 35.75.
    - the cap × 1.1 = 11: S1 holds 7.625, W = 35.625 (Advice's 0.125 a unit of cap);
    - the cap × 0: no funding, W = 27.5 + 7.75 + 1.75 = 37;
    - δ × 0.5 = 0.1: floors 72, 9, 9; BIG 15.75 short, S1 9 − 7.5 = 1.5, S2 holds
      (80 − 10)/8 = 8.75 of 9, 0.25 short: W = 27.5 + 17.5 = 45 (S2 could pay 2 less
      for S1, which moves 0.25 between them, so any split is W 45);
    - δ set to 0.1, then × 10 = 1: the band is off, W = 27.5."""
    workbook = write_workbook(tmp_path / "funded.xlsx",
                              shared_shells(Funding=[["S2", "S1", 10]]))
    data, config, scenarios = load(workbook, scenario_file(tmp_path, FUNDING_SCENARIOS),
                                   "rules.fair_share_band=0.2")
    assert [edit.sentence for scenario in scenarios for edit in scenario.edits] == [
        "Funding caps × 1.1 of S2", "Funding caps × 0 for S1", "Fair-share band × 0.5",
        "Fair-share band × 10"]
    assert scenarios[0].apply(data).funding["max_amount"].tolist() == [pytest.approx(11)]
    assert data.funding["max_amount"].tolist() == [10]  # the input is left alone
    assert [scenario.config(config).rules.fair_share_band for scenario in scenarios] == [
        0.2, 0.2, pytest.approx(0.1), pytest.approx(1)]
    assert scenarios[2].apply(data) is data  # the band is configuration, not data
    results = run_sweep(data, config, scenarios, workbook)
    assert results["status"].tolist() == ["optimal"] * 5
    expected = {"base": 35.75, "cap x 1.1": 35.625, "no funding": 37, "band x 0.5": 45,
                "band off": 27.5}
    for name, shortfall in expected.items():
        row = kpis(results, name)
        assert row["weighted_shortfall"] == pytest.approx(shortfall, abs=1e-6), name
        assert row["total_cost"] == pytest.approx(580), name


def test_a_blank_funding_cap_stays_blank_when_scaled(tmp_path):
    workbook = write_workbook(tmp_path / "funded.xlsx", shared_shells(
        Funding=[["S2", "S1", None], ["BIG", "S1", 20]]))
    data, _, [scenario] = load(workbook, scenario_file(tmp_path, """[[scenario]]
name = "half"
[[scenario.edit]]
kind = "scale_funding"
factor = 0.5
"""))
    caps = scenario.apply(data).funding["max_amount"].tolist()
    assert caps[0] != caps[0] and caps[1] == 10  # NaN: still no cap


def test_funding_and_band_edits_are_checked_against_the_workbook(tmp_path):
    workbook = write_workbook(tmp_path / "funded.xlsx",
                              shared_shells(Funding=[["S2", "S1", 10]]))
    path = scenario_file(tmp_path, """[[scenario]]
name = "wrong"
[[scenario.edit]]
kind = "scale_funding"
giver = "S1"
factor = 2
[[scenario.edit]]
kind = "scale_funding"
giver = "S2"
receiver = "BIG"
factor = 2
[[scenario.edit]]
kind = "scale_funding"
from = "S2"
factor = 2

[[scenario]]
name = "too wide"
[[scenario.edit]]
kind = "scale_fair_share_band"
factor = 6
""")
    with pytest.raises(InputError) as raised:
        load(workbook, path, "rules.fair_share_band=0.2")
    found = [str(problem) for problem in raised.value.problems]
    text = "\n".join(found)
    assert len(found) == 5, found
    assert "scale_funding has no field 'from' (it takes factor, giver, receiver)" in text
    assert ("giver 'S1' is not a paying ally of the Funding sheet"
            in text)
    assert ("receiver 'BIG' is not a funded ally of the Funding sheet" in text)
    assert "from 'S2' is not a period of the workbook" in text
    assert (f"{path}:19 (scenario 'too wide', edit 1): factor 6 takes the fair-share band "
            "0.2 to 1.2; δ is at most 1 (1 switches the band off), so use a factor of at "
            "most 5") in text

    unfunded = write_workbook(tmp_path / "unfunded.xlsx", shared_shells())
    path = scenario_file(tmp_path, """[[scenario]]
name = "more"
[[scenario.edit]]
kind = "scale_funding"
factor = 2
""")
    with pytest.raises(InputError) as raised:
        load(unfunded, path)
    [problem] = raised.value.problems
    assert problem.message == ("the workbook has no Funding rows, so scale_funding would "
                               "change nothing; add who pays for whom to the Funding sheet")


def test_alliance_target_edits_and_the_band_are_checked_against_the_workbook(tmp_path):
    sheets_ = shared_shells()
    sheets_["Periods"].append(["2"])
    sheets_["Allies"][1:] = [row[:6] + [None] for row in sheets_["Allies"][1:]]
    workbook = write_workbook(tmp_path / "alliance.xlsx", sheets_)
    path = scenario_file(tmp_path, """[[scenario]]
name = "wrong"
set = { "rules.fair_share_band" = 0.2 }
[[scenario.edit]]
kind = "scale_alliance_targets"
item = "SHEL"
factor = -1
[[scenario.edit]]
kind = "scale_alliance_targets"
factor = 0.5
from = "2"
[[scenario.edit]]
kind = "scale_alliance_targets"
factor = 0.5
from = "2"
to = "1"
[[scenario.edit]]
kind = "scale_alliance_targets"
ally = "BIG"
factor = 0.5
""")
    with pytest.raises(InputError) as raised:
        load(workbook, path)
    found = [str(problem) for problem in raised.value.problems]
    assert len(found) == 6, found
    text = "\n".join(found)
    assert ("rules.fair_share_band = 0.2 needs each ally's fair share of the alliance "
            "targets, but fair_share is blank and gdp is blank for BIG, S1, S2") in text
    assert "(Allies!G2:G4)" in text
    assert f"{path}:4 (scenario 'wrong', edit 1)" in text
    assert "item 'SHEL' is not a item of the workbook; did you mean 'SHELL'?" in text
    assert "factor must be a number >= 0, got -1" in text
    assert (f"{path}:8 (scenario 'wrong', edit 2): no AllianceTargets row is for from "
            "'2', so the edit would change nothing; the sheet has targets for SHELL in 1"
            ) in text
    assert "from '2' comes after to '1'" in text
    assert ("scale_alliance_targets has no field 'ally' (it takes factor, item, from, to)"
            in text)
