"""Components in the report (SPEC §7.3): the Bottlenecks sheet, Advice and Binding in the
component's own terms, the Dashboard's component utilisation and the page, and a
Diagnosis that names the missing component; each figure checked against a re-solve with
the limit moved.

The known answer is ``shell_chain`` (tests/test_components.py): without expansion the
explosive line EL binds in period 1 at 0.1 weighted shortfall per tonne (a thousand
rounds take 10 t), so 10 t more close one thousand rounds; with up to 400 t of explosive
capacity buildable, the charge line CL binds at 1 per thousand charge sets, for 11 more
(1 for the rounds, 10 for the 10 t of explosive capacity built to go with them)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import openpyxl
import pytest

from optimizer.reports.html import write_html_report
from optimizer.reports.readback import read_report
from optimizer.reports.tables import report_sheets, write_report
from optimizer.workbook.schema import SHEETS_BY_NAME
from tests.alliances import readiness, sheets, solve
from tests.conftest import write_workbook
from tests.headers import fields, headers
from tests.test_burden_sharing import MODES, SOLVERS, row_of
from tests.test_components import COMPONENTS, shell_chain
from tests.test_dashboard import cells, chart_corners, chart_references

CHART = "Component line utilisation"
QUIET = "explain.rule_prices=false"


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bottlenecks")
    result = solve(tmp_path, shell_chain(), QUIET, "report.currency=EUR")
    return result, write_report(result, tmp_path / "report.xlsx")


def with_capacity(workbook: dict, *rows: list) -> dict:
    """``workbook`` with a Capacity sheet of ``rows`` (facility, item, period, capacity)."""
    return {**workbook, "Capacity": [SHEETS_BY_NAME["Capacity"].column_names, *rows]}


def solved(tmp_path, name: str, workbook: dict, *settings: str):
    """``solve`` in a folder of its own, so that runs side by side keep their inputs."""
    folder = tmp_path / name
    folder.mkdir()
    return solve(folder, workbook, *settings)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_explosive_ranks_first_at_a_tenth_per_tonne(tmp_path, solver, mode):
    result = solve(tmp_path, shell_chain(), QUIET, f"solver.name={solver}",
                   f"objective.mode={mode}")
    table = result.bottlenecks
    first = table.iloc[0].to_dict()
    assert (first["rank"], first["role"], first["facility"], first["item"]) == (
        1, "component", "EL", "EXPL")
    if mode == "lexicographic":
        assert first["shortfall_closed"] == pytest.approx(0.1)
    else:  # cost plus penalties: a tenth of the penalty of a thousand rounds, less 0.1
        assert first["objective_improved"] == pytest.approx(0.1 * 1e6 - 0.1)
    assert (first["period"], first["set_by"]) == ("1", "Production!D4")
    # Its only usable period is the first (what it starts in 2 would arrive too late).
    assert (first["capacity"], first["used"]) == pytest.approx((600, 600))
    assert (first["utilisation_pct"], first["peak_utilisation_pct"]) == pytest.approx(
        (100, 100))
    assert first["feeds"] == "SHELL (LAP)" and first["limited_by"] is None
    # The figures are Binding's, which Advice quotes: the same limit, joined by position.
    binding = row_of(result.binding, family="capacity", facility="EL", period="1")
    for name in ("shortfall_closed", "cost_saved", "objective_improved"):
        assert first[name] == pytest.approx(binding[name], nan_ok=True)
    [advice] = result.advice[result.advice["position"] == binding["position"]].to_dict(
        "records")
    assert advice["shortfall_closed"] == pytest.approx(first["shortfall_closed"], nan_ok=True)
    # Every other line binds in no period: worth nothing.
    rest = table.iloc[1:]
    assert rest["shortfall_closed"].tolist() == [0, 0, 0, 0]
    assert rest["period"].isna().all()
    shells = row_of(table, facility="LAP")
    assert shells["role"] == "final" and shells["limited_by"] == "EXPL (EL)"
    assert shells["draws"] == "BODY 1 thousand, EXPL 10 t, CHARGE 1 thousand, FUZE 1 thousand"
    assert (shells["capacity"], shells["used"], shells["peak_period"]) == (
        pytest.approx(240), pytest.approx(60), "2")
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]


def test_ten_tonnes_more_explosive_close_one_thousand_rounds(tmp_path):
    """The explanation against a re-solve: EL's capacity in period 1 raised by 10 t (a
    Capacity row, as an analyst would) closes 0.1 × 10 = 1 unit of weighted shortfall."""
    before = solved(tmp_path, "before", shell_chain(), QUIET)
    after = solved(tmp_path, "after", with_capacity(shell_chain(), ["EL", "EXPL", "1", 610]),
                   QUIET)
    per_tonne = before.bottlenecks.iloc[0]["shortfall_closed"]
    assert before.plan.weighted_shortfall - after.plan.weighted_shortfall == pytest.approx(
        10 * per_tonne)
    assert after.plan.weighted_shortfall == pytest.approx(39)
    assert after.bottlenecks.iloc[0]["set_by"] == "Capacity!D2"


@pytest.mark.parametrize("solver", SOLVERS)
def test_with_expansion_the_charges_rank_first_at_one_per_unit(tmp_path, solver):
    result = solve(tmp_path, shell_chain(expansion=True), QUIET, f"solver.name={solver}")
    table = result.bottlenecks
    charges, explosive = table.iloc[0].to_dict(), table.iloc[1].to_dict()
    assert (charges["facility"], charges["item"], charges["period"]) == ("CL", "CHARGE", "1")
    assert (charges["shortfall_closed"], charges["cost_saved"]) == pytest.approx((1, -11))
    assert charges["set_by"] == "Production!D5"
    # One more tonne of base explosive capacity saves the tonne of expansion: 1.
    assert (explosive["facility"], explosive["shortfall_closed"],
            explosive["cost_saved"]) == ("EL", 0, pytest.approx(1))
    assert explosive["capacity"] == pytest.approx(800)  # 600 + 200 built
    assert row_of(table, facility="LAP")["limited_by"] == "EXPL (EL), CHARGE (CL)"


def test_one_more_charge_set_closes_one_thousand_rounds_for_11(tmp_path):
    workbook = shell_chain(expansion=True)
    before = solved(tmp_path, "before", workbook, QUIET)
    after = solved(tmp_path, "after", with_capacity(workbook, ["CL", "CHARGE", "1", 51]),
                   QUIET)
    assert before.plan.weighted_shortfall - after.plan.weighted_shortfall == pytest.approx(1)
    assert after.plan.total_cost - before.plan.total_cost == pytest.approx(11)


def test_advice_and_binding_speak_of_the_component(known):
    result, path = known
    assert result.advice["advice"].tolist() == [
        "each more t of explosive (EXPL) capacity at EL (A) in 1 would close 0.1 units of "
        "weighted shortfall, at a cost of 0.1 EUR, at least until it reaches 800 t",
        "each more t of explosive (EXPL) industry holds at the start would close 0.1 units "
        "of weighted shortfall, at a cost of 0.1 EUR, at least until it reaches 200 t"]
    binding = openpyxl.load_workbook(path)["Binding"]
    rows = list(binding.iter_rows(min_row=2, values_only=True))
    assert (rows[0][0], rows[0][2], rows[0][3], rows[0][5]) == ("capacity", "EXPL", "EL", "1")
    assert ("industry stock", "EXPL") in [(row[0], row[2]) for row in rows]


def test_a_final_line_reads_as_before(tmp_path):
    """LAP cut to 50 a period binds before the explosive does (60): its Advice is the
    final line's, in units of capacity for the item."""
    workbook = shell_chain()
    workbook["Production"][1] = ["LAP", "A", "SHELL", 50, 1, 0]
    result = solve(tmp_path, workbook, QUIET)
    advice = row_of(result.advice, kind="capacity")["advice"]
    assert advice.startswith("each more unit of capacity at LAP (A) for SHELL in 2 would "
                             "close 1 unit of weighted shortfall")
    assert result.bottlenecks.iloc[0]["facility"] == "LAP"
    assert result.bottlenecks.iloc[0]["limited_by"] is None


def test_the_bottlenecks_sheet(known):
    _, path = known
    workbook = openpyxl.load_workbook(path)
    names = workbook.sheetnames
    assert names.index("Bottlenecks") == names.index("Expansion") + 1
    assert names.index("Advice") == names.index("Bottlenecks") + 1
    sheet = workbook["Bottlenecks"]
    assert fields(sheet) == [
        "rank", "role", "facility", "host", "item", "draws", "feeds", "capacity", "used",
        "utilisation_pct", "peak_utilisation_pct", "peak_period", "shortfall_closed",
        "cost_saved", "period", "limited_by", "set_by"]  # no weighted-mode column
    assert headers(sheet)[7:15] == [
        "Capacity", "Used", "Utilisation (%)", "Peak utilisation (%)", "Peak period",
        "Weighted shortfall closed per unit", "Cost saved per unit (EUR)",
        "Most valuable period"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in rows] == ["EL", "CL", "BL", "LAP", "FL"]
    assert rows[0][7:15] == (600, 600, 100, 100, "1", pytest.approx(0.1),
                             pytest.approx(-0.1), "1")
    # Each quantity in the line's own unit, fractions shown, money per unit to cents.
    assert sheet["H2"].number_format == '#,##0" t";-#,##0" t"'
    assert sheet["H5"].number_format == '#,##0" thousand rounds";-#,##0" thousand rounds"'
    assert sheet["M2"].number_format == "#,##0.0#;-#,##0.0#"
    assert sheet["N2"].number_format == "#,##0.00"
    assert sheet["M1"].comment.text.startswith("Field: shortfall_closed. Weighted shortfall "
                                               "closed per unit of capacity more")
    [bar] = list(sheet.conditional_formatting)
    assert str(bar.sqref) == "K2:K6"


def test_weighted_mode_shows_cost_and_penalties_saved(tmp_path):
    result = solve(tmp_path, shell_chain(), QUIET, "objective.mode=weighted")
    sheet = report_sheets(result)["Bottlenecks"].frame
    assert "objective_improved" in sheet.columns
    first = sheet.iloc[0]
    assert first["facility"] == "EL"
    assert first["objective_improved"] == pytest.approx(
        row_of(result.binding, facility="EL", period="1")["objective_improved"])
    assert first["objective_improved"] > 0


def test_the_bottlenecks_read_back_and_the_page_draws_them(known, tmp_path):
    _, path = known
    report = read_report(path, extra_sheets=["Bottlenecks"])
    typed = report.typed("Bottlenecks")
    assert typed[["role", "facility", "item"]].values.tolist()[0] == ["component", "EL", "EXPL"]
    assert typed["peak_utilisation_pct"].tolist() == pytest.approx([100, 60, 50, 50, 10])
    page = write_html_report(path, tmp_path / "report.html").read_text("utf-8")
    assert f"<figcaption>{CHART} <span>(used / capacity of the line (%))</span>" in page
    assert ("EXPL at EL: Utilisation over the horizon (%) 100.0, Peak utilisation (%) 100.0; "
            "CHARGE at CL: Utilisation over the horizon (%) 60.0") in page
    assert '<section id="bottlenecks">' in page
    assert "Production!D4" in page.split('<section id="bottlenecks">')[1]


def test_the_dashboard_draws_component_utilisation_on_its_one_page(known):
    _, path = known
    charts = chart_references(path)
    assert [chart["title"] for chart in charts][-1] == CHART
    workbook = openpyxl.load_workbook(path)
    chart = charts[-1]
    # (categories, values) per series: over the horizon, then the peak.
    assert cells(workbook, chart["refs"][0]) == ["EXPL at EL", "CHARGE at CL", "BODY at BL",
                                                 "FUZE at FL"]
    assert cells(workbook, chart["refs"][1]) == pytest.approx([100, 60, 50, 10])
    assert cells(workbook, chart["refs"][3]) == pytest.approx([100, 60, 50, 10])
    dashboard = workbook["Dashboard"]
    last_row = int(re.fullmatch(r"'Dashboard'!\$A\$1:\$C\$(\d+)", dashboard.print_area)
                   .group(1)) - 1
    corners = chart_corners(path)
    assert len(corners) == 5 and all(row <= last_row and col <= 2 for row, col in corners)


def test_without_components_the_reports_have_none_of_it(tmp_path):
    result = solve(tmp_path, shell_chain(components=False), QUIET)
    assert result.bottlenecks is None
    sheets_made = report_sheets(result)
    assert "Bottlenecks" not in sheets_made
    path = write_report(result, tmp_path / "report.xlsx", sheets_made)
    assert CHART not in [chart["title"] for chart in chart_references(path)]
    page = write_html_report(path, tmp_path / "report.html").read_text("utf-8")
    assert CHART not in page and 'id="bottlenecks"' not in page


def test_a_run_without_a_plan_writes_the_headed_sheet(known):
    result, _ = known
    failed = dataclasses.replace(result, plan=None, bottlenecks=None)
    frame = report_sheets(failed)["Bottlenecks"].frame
    assert frame.empty and "limited_by" in frame.columns


def test_a_component_of_a_component_limits_the_final_item(tmp_path):
    """Two levels: EL makes explosive from nitrocellulose (NC, 2 kg a tonne, made on NL,
    30 a period, lead time 1; none on hand) and binds nothing; NL does. Three periods:
    NC made in 1 arrives in 2, explosive made in 2 arrives in 3, shells are made in 3 at
    most 30 / 2 / 10 = 1.5: 8.5 short, and one more kg of NC capacity closes 0.05."""
    workbook = sheets(
        periods=["1", "2", "3"], allies=[["A"]],
        items=[["SHELL", "155 mm", "thousand rounds", False, 1],
               ["EXPL", "explosive", "t", False, 1], ["NC", "nitrocellulose", "kg", False, 1]],
        production=[["LAP", "A", "SHELL", 120, 1, 0], ["EL", "A", "EXPL", 600, 0, 1],
                    ["NL", "A", "NC", 30, 0, 1]],
        requirements=[["A", "SHELL", "3", 10]],
        BillOfMaterials=[["LAP", "SHELL", "EXPL", 10], ["EL", "EXPL", "NC", 2]])
    result = solve(tmp_path, workbook, QUIET)
    assert readiness(result, "A", "SHELL", "3")["shortfall"] == pytest.approx(8.5)
    table = result.bottlenecks
    first = table.iloc[0]
    assert (first["facility"], first["period"]) == ("NL", "1")
    assert first["shortfall_closed"] == pytest.approx(0.05)
    assert first["feeds"] == "SHELL (LAP)"  # through the explosive
    explosive = row_of(table, facility="EL")
    assert explosive["role"] == "component" and explosive["draws"] == "NC 2 kg"
    assert explosive["limited_by"] == "NC (NL)"
    assert row_of(table, facility="LAP")["limited_by"] == "NC (NL)"


def no_explosive_in_time(**optional) -> dict:
    """A uses 3 thousand rounds in period 1; they can only be assembled with explosive,
    of which industry holds none, and the explosive line's first production (lead time
    1) arrives at the end of period 2."""
    return sheets(
        periods=["1", "2"], allies=[["A"]],
        items=[["SHELL", "155 mm", "thousand rounds", False, 1], *COMPONENTS[1:2]],
        production=[["LAP", "A", "SHELL", 120, 1, 0], ["EL", "A", "EXPL", 600, 0, 1]],
        requirements=[["A", "SHELL", "2", 10]],
        BillOfMaterials=[["LAP", "SHELL", "EXPL", 10]], IndustryStocks=[["EXPL", 0]],
        **optional)


def conflicts(result) -> list[dict]:
    table = result.diagnosis.table
    return table[table["kind"] == "conflict"].to_dict("records")


def test_consumption_waiting_for_explosive_names_the_component(tmp_path):
    result = solve(tmp_path, no_explosive_in_time(Consumption=[["A", "SHELL", "1", 3]]))
    assert result.status == "infeasible"
    [conflict] = conflicts(result)
    assert conflict["cell"] == "Consumption!D2"
    assert conflict["explanation"] == (
        "A uses 3 SHELL in 1, but Stocks holds none and no EXPL is on hand "
        "(IndustryStocks!B2) and the first EXPL arrives at the end of 2 (Production!F3, "
        "lead time 1); 3 cannot be covered")


def test_each_conflict_gets_its_own_cause(tmp_path):
    """A mortar round with a line of lead time 1 and no bill, used in period 1 too: read
    as members of one conflict set, its cause is the lead time, the shell's the
    explosive (the Diagnosis itself lists a minimal set: one of them)."""
    from optimizer.config import load_config
    from optimizer.model.build import create_model
    from optimizer.model.sets import build_sets
    from optimizer.workbook.validation import load_workbook

    workbook = no_explosive_in_time(Consumption=[["A", "MORTAR", "1", 2],
                                                 ["A", "SHELL", "1", 3]])
    workbook["Items"].insert(1, ["MORTAR", "81 mm", "rounds", False, 1, None, None])
    workbook["Production"].append(["ML", "A", "MORTAR", 100, 1, 1])
    config = load_config(None, [])
    data, _ = load_workbook(write_workbook(tmp_path / "alliance.xlsx", workbook), config.rules)
    model = create_model(build_sets(data, config), config, elastic=True)
    [uncovered] = [c for c in model.commitments if c.slack == "uncovered"]
    labels = model.linear.columns["uncovered"].labels
    members = [(label, label.consumption) for label in labels.itertuples(index=False)]
    explanations = {row["item"]: row["explanation"]
                    for row in uncovered.in_words(model, members, data, config)}
    assert explanations == {
        "MORTAR": "A uses 2 MORTAR in 1, but Stocks holds none and the earliest delivery "
                  "arrives at the end of 2 (Production!F4, lead time 1); 2 cannot be covered",
        "SHELL": "A uses 3 SHELL in 1, but Stocks holds none and no EXPL is on hand "
                 "(IndustryStocks!B2) and the first EXPL arrives at the end of 2 "
                 "(Production!F3, lead time 1); 3 cannot be covered"}


def test_without_an_industry_stock_row_the_sentence_says_so(tmp_path):
    workbook = no_explosive_in_time(Consumption=[["A", "SHELL", "1", 3]])
    workbook["IndustryStocks"] = workbook["IndustryStocks"][:1]
    result = solve(tmp_path, workbook)
    [conflict] = conflicts(result)
    assert "no EXPL is on hand (no IndustryStocks row) and the first EXPL arrives" in (
        conflict["explanation"])


def test_a_gap_closure_waiting_for_explosive_names_the_component(tmp_path):
    workbook = no_explosive_in_time()
    workbook["Requirements"] = [workbook["Requirements"][0], ["A", "SHELL", "1", 10]]
    result = solve(tmp_path, workbook, "rules.min_gap_closure=1")
    assert result.status == "infeasible"
    [conflict] = conflicts(result)
    assert conflict["rule"] == "minimum gap closure" and conflict["period"] == "1"
    assert conflict["explanation"] == (
        "A must close 100 % of its gap of 10 SHELL in 1, but can close only 0, as no EXPL "
        "is on hand (IndustryStocks!B2) and the first EXPL arrives at the end of 2 "
        "(Production!F3, lead time 1); 10 more stays open")


def test_solve_exits_3_with_the_component_in_the_diagnosis_sheet(tmp_path):
    path = write_workbook(tmp_path / "alliance.xlsx",
                          no_explosive_in_time(Consumption=[["A", "SHELL", "1", 3]]))
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", str(path), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False)
    assert run.returncode == 3, run.stderr
    assert "no EXPL is on hand" in run.stderr and "Traceback" not in run.stderr
    diagnosis = openpyxl.load_workbook(tmp_path / "alliance_diagnosis.xlsx")["Diagnosis"]
    rows = list(diagnosis.iter_rows(min_row=2, values_only=True))
    explanation = rows[0][fields(diagnosis).index("explanation")]
    assert explanation.startswith("A uses 3 SHELL in 1, but Stocks holds none and no EXPL "
                                  "is on hand (IndustryStocks!B2)")


def test_a_limit_not_measured_leaves_its_line_blank(tmp_path):
    """Whole thousands of rounds (a MILP) and no limit measured: EL binds, but what one
    more tonne is worth is not known, so its figures are blank, not 0; a line that binds
    in no period is still worth 0."""
    workbook = shell_chain()
    workbook["Items"][1] = ["SHELL", "155 mm", "thousand rounds", True, 1]
    result = solve(tmp_path, workbook, QUIET, "explain.measured_limits=0")
    assert row_of(result.binding, family="capacity", facility="EL")["how"].startswith(
        "not measured")
    explosive = row_of(result.bottlenecks, facility="EL")
    assert explosive["shortfall_closed"] != explosive["shortfall_closed"]  # NaN
    assert explosive["period"] is None
    assert row_of(result.bottlenecks, facility="FL")["shortfall_closed"] == 0
