"""The report workbook (SPEC §5), from a RunResult built by hand: sheets and headers,
Summary numbers, Allocation rows, text-safety of input strings, the Transfers sheet only
with transfers allowed, a report for a run with no plan, the atomic save and the refusal
to write over the input."""

from __future__ import annotations

import math
import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimizer.config import Config
from optimizer.errors import InputError, Problem
from optimizer.model.plan import Plan
from optimizer.outputs import check_outputs
from optimizer.pipeline import RunResult
from optimizer.reports.tables import report_output, report_path, write_report
from optimizer.verify.check import Verification, Violation
from optimizer.workbook.data import AllianceData, empty_table, table_field
from tests.headers import fields, headers
from tests.printing import TABLE, print_setup

NASTY = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]

HEADERS = {
    "Dashboard": ["headline", "value"],
    "Summary": ["metric", "value"],
    "Allocation": ["facility", "host", "item", "ally", "order_period", "delivery_period",
                   "quantity", "unit_cost", "transport_cost", "total_cost"],
    "Readiness": ["ally", "item", "period", "target", "stock", "shortfall", "gap",
                  "closed_pct", "marginal_cost"],
    "Budgets": ["ally", "period", "budget", "spent", "remaining", "marginal_value"],
    "Capacity": ["facility", "item", "period", "capacity", "used", "utilisation_pct",
                 "marginal_value"],
    "Expansion": ["facility", "item", "period", "extra_capacity", "cost", "online_from"],
    "Advice": ["rank", "kind", "advice", "shortfall_closed", "cost_saved",
               "objective_improved", "per", "holds_until", "how", "set_by"],
    "Binding": ["family", "ally", "item", "facility", "host", "period", "limit", "used",
                "per", "shortfall_closed", "cost_saved", "objective_improved", "how",
                "set_by"],
    "Transfers": ["from", "to", "item", "period", "quantity"],
}
SHEETS = ["Dashboard", "Summary", "Allocation", "Readiness", "Budgets", "Capacity", "Expansion",
          "Advice", "Binding", "Run info"]
SHEETS_WITH_TRANSFERS = SHEETS[:-1] + ["Transfers", "Run info"]

ORDER_COLUMNS = HEADERS["Allocation"]
# Periods P9 then P10: sorting the period codes as text would put P10 first.
ORDERS = [
    ("F2", "B", "SH", "A", "P10", "P10", 5.0, 12.0, 2.0, 70.0),
    (NASTY[0], "A", "SH", "A", "P9", "P10", 10.0, 10.0, 0.0, 100.0),
    (NASTY[1], "A", "SH", "B", "P9", "P9", 3.0, 10.0, 0.0, 30.0),
    (NASTY[2], "X", "MS", "A", "P9", "P10", 2.0, 1000.0, 100.0, 2200.0),
    (NASTY[3], "X", "MS", "B", "P10", "P10", 1.5, 1000.0, 0.0, 1500.0),
    ("F0", "A", "SH", "A", "P9", "P9", 0.0, 10.0, 0.0, 0.0),  # zero: not reported
]
# sorted by ally, item, order period (in period order), facility; the zero row dropped
EXPECTED_ORDERS = [ORDERS[3], ORDERS[1], ORDERS[0], ORDERS[4], ORDERS[2]]


def make_plan() -> Plan:
    orders = pd.DataFrame(ORDERS, columns=ORDER_COLUMNS)
    expansions = pd.DataFrame(
        [("F1", "SH", "P9", 20.0, 100.0, "P10", "A"),
         (NASTY[1], "SH", "P9", 5.0, 25.0, "P10", None)],
        columns=["facility", "item", "period", "extra_capacity", "cost", "online_from",
                 "payer"])
    transfers = pd.DataFrame(
        [("B", "A", "SH", "P9", "P10", 4.0, 2.0), ("A", "B", "MS", "P9", "P9", 0.0, 0.0)],
        columns=["from", "to", "item", "period", "arrival_period", "quantity",
                 "transport_cost"])
    stocks = pd.DataFrame(
        [("A", "SH", "P9", 20.0), ("A", "SH", "P10", 35.0), ("A", "MS", "P9", 0.0),
         ("A", "MS", "P10", 2.0), ("B", "SH", "P9", 3.0), ("B", "SH", "P10", 3.0)],
        columns=["ally", "item", "period", "stock"])
    readiness = pd.DataFrame(
        [("A", "SH", "P10", 40.0, 30.0, 1.0, 35.0, 5.0, 100 * 25 / 30, 10.5, 2),
         ("A", "MS", "P10", 3.0, 3.0, 10.0, 2.0, 1.0, 100 * 2 / 3, np.nan, 3),
         ("B", "SH", "P9", 3.0, 0.0, 1.0, 3.0, 0.0, 100.0, 0.0, 4)],
        columns=["ally", "item", "period", "target", "gap", "priority", "stock",
                 "shortfall", "closed_pct", "marginal_cost", "row"])
    budgets = pd.DataFrame(
        [("A", "P9", 5000.0, 4400.0, 600.0, 0.0), ("A", "P10", 1000.0, 1000.0, 0.0, np.nan)],
        columns=["ally", "period", "budget", "spent", "remaining", "marginal_value"])
    capacity = pd.DataFrame(
        [("F1", "SH", "P9", 50.0, 10.0, 20.0, 0.0),
         ("F1", "SH", "P10", 70.0, 0.0, 0.0, np.nan),
         ("F2", "SH", "P9", 100.0, 0.0, 0.0, 0.0),
         ("F2", "SH", "P10", 100.0, 5.0, 5.0, 1.25)],
        columns=["facility", "item", "period", "capacity", "used", "utilisation_pct",
                 "marginal_value"])
    cost_terms = {"purchase_cost": 3780.0, "transport_cost": 218.0, "expansion_cost": 125.0,
                  "holding_cost": 63.5}
    return Plan(orders, expansions, transfers, stocks, readiness, budgets, capacity,
                cost_terms)


def make_verification(plan: Plan, violations: list[Violation] | None = None) -> Verification:
    return Verification(
        max_violation=0.0 if not violations else 2.5e-3,
        violations=violations or [],
        cost_terms=dict(plan.cost_terms),
        total_cost=plan.total_cost,
        weighted_shortfall=plan.weighted_shortfall,
        checked={"capacity": 4, "budget": 2, "readiness": 3},
    )


def table(sheet: str, rows: list[dict] | None = None) -> pd.DataFrame:
    """The table of an input sheet, with its columns, holding ``rows``."""
    columns = empty_table(sheet).columns
    return pd.DataFrame(rows or [], columns=columns) if rows else empty_table(sheet)


def make_data(units: dict[str, str | None] | None = None) -> AllianceData:
    """The input of ``make_plan``'s plan: allies A and B, items SH and MS (in ``units``),
    the lines F1/SH and F2/SH, periods P9 and P10 and three readiness targets."""
    units = units or {"SH": None, "MS": None}
    tables = {sheet: table(sheet) for sheet in (
        "Capacity", "Expansion", "Stocks", "Consumption", "Budgets", "Transport",
        "Restrictions")}
    return AllianceData(
        periods=("P9", "P10"),
        allies=table("Allies", [{"ally": "A"}, {"ally": "B"}]),
        items=table("Items", [{"item": item, "unit": unit} for item, unit in units.items()]),
        production=table("Production", [{"facility": "F1", "item": "SH"},
                                        {"facility": "F2", "item": "SH"}]),
        requirements=table("Requirements", [
            {"ally": "A", "item": "SH", "period": "P10"},
            {"ally": "A", "item": "MS", "period": "P10"},
            {"ally": "B", "item": "SH", "period": "P9"}]),
        **{table_field(sheet): frame for sheet, frame in tables.items()})


def make_result(tmp_path: Path, *, status: str = "optimal", plan: Plan | None = None,
                transfers: bool = False, violations: list | None = None,
                with_plan: bool = True, data: AllianceData | None = None,
                currency: str = "") -> RunResult:
    config = Config().with_settings({"rules.allow_transfers": transfers,
                                     "report.currency": currency})
    input_path = tmp_path / "alliance.xlsx"
    input_path.write_bytes(b"not really a workbook")
    if with_plan and plan is None:
        plan = make_plan()
    messages = {"optimal": "solved to optimality",
                "feasible": "stopped by the time limit with a solution not proven optimal",
                "infeasible": "the hard constraints cannot all hold"}
    return RunResult(
        input_path=input_path,
        input_sha256="ab" * 32,
        config=config,
        data=data or make_data(),
        status=status,
        message=messages.get(status, "something went wrong"),
        solver="highs",
        solver_version="HiGHS 1.7.2",
        plan=plan,
        verification=make_verification(plan, violations) if plan is not None else None,
        warnings=[Problem("Items!B3", NASTY[0] + " looks like a formula", "warning")],
        timings={"read": 0.125, "build": 0.5, "solve": 1.75},
        phases=[{"phase": "shortfall", "status": status, "message": "phase one",
                 "seconds": 1.0, "objective": 15.0},
                {"phase": "cost", "status": status, "message": "phase two",
                 "seconds": 0.75, "objective": 4186.5}],
        model_size={"variables": 42, "constraints": 17},
        weighted_shortfall_optimum=15.0,
    )


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def key_values(sheet) -> dict[str, object]:
    return {row[0]: row[1] for row in rows_of(sheet)}


def run_info(sheet) -> dict[tuple[str, str], object]:
    return {(row[0], row[1]): row[2] for row in rows_of(sheet)}


@pytest.fixture
def written(tmp_path):
    """Write the report of a hand-made result; return (result, path, openpyxl workbook)."""

    def make(**options):
        result = make_result(tmp_path, **options)
        path = write_report(result, tmp_path / "out" / "alliance_report.xlsx")
        return result, path, openpyxl.load_workbook(path)

    return make


# --------------------------------------------------------------------------------------


def test_every_sheet_in_order_with_its_header(written):
    """Row 1 shows readable headers; each header cell's note names the field a script
    reads (SPEC §5's column names)."""
    _, _, workbook = written()
    assert workbook.sheetnames == SHEETS
    for name in SHEETS[:-1]:
        assert fields(workbook[name])[: len(HEADERS[name])] == HEADERS[name], name
    assert fields(workbook["Readiness"])[9:] == ["priority", "requirements_row"]
    assert fields(workbook["Expansion"])[6] == "payer"
    assert fields(workbook["Run info"]) == ["section", "key", "value"]
    assert headers(workbook["Allocation"]) == [
        "Facility", "Host country", "Item", "Ally", "Order period", "Delivery period",
        "Quantity", "Unit cost (per unit)", "Transport cost (per unit)", "Total cost"]
    assert headers(workbook["Capacity"])[5:] == [
        "Utilisation (%)", "Value of relaxing (per unit of capacity)"]
    assert headers(workbook["Budgets"])[5] == "Value of relaxing (saved per unit of money)"
    assert headers(workbook["Run info"]) == ["Section", "Key", "Value"]


def test_money_headers_and_figures_name_the_currency(tmp_path):
    """[report] currency = "EUR": every money header says "(EUR)" (or "EUR per …"), and
    each money figure of the Summary and Run info shows it after the number; a field
    name never changes with it."""
    result = make_result(tmp_path, currency="EUR")
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    assert headers(workbook["Allocation"])[7:] == [
        "Unit cost (EUR per unit)", "Transport cost (EUR per unit)", "Total cost (EUR)"]
    assert fields(workbook["Allocation"]) == HEADERS["Allocation"]
    assert headers(workbook["Budgets"])[2:] == [
        "Budget (EUR)", "Spent (EUR)", "Remaining (EUR)",
        "Value of relaxing (EUR saved per EUR)"]
    assert headers(workbook["Capacity"])[6] == "Value of relaxing (EUR per unit of capacity)"
    assert headers(workbook["Readiness"])[8] == "Cost of one more unit of target (EUR)"
    assert headers(workbook["Expansion"])[4] == "Cost (EUR)"
    assert headers(workbook["Binding"])[10:12] == [
        "Cost saved per step (EUR)", "Cost and penalties saved per step (EUR)"]
    assert headers(workbook["Advice"])[4] == "Cost saved per step (EUR)"
    summary = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=2)}
    for metric in ("total_cost", "purchase_cost", "holding_cost"):
        assert summary[metric].number_format == '#,##0" EUR"', metric
    assert summary["weighted_shortfall"].number_format == "#,##0;-#,##0"
    for count in ("allies", "items", "production_lines", "periods", "readiness_targets"):
        assert "EUR" not in summary[count].number_format, count  # a count is not money
    info = {(row[0].value, row[1].value): row[2]
            for row in workbook["Run info"].iter_rows(min_row=2)}
    assert info[("configuration", "report.currency")].value == "EUR"
    assert info[("verifier", "total cost recomputed")].number_format == '#,##0" EUR"'
    dashboard = {row[0].value: row[1] for row in workbook["Dashboard"].iter_rows(
        min_row=2, max_col=2)}
    assert dashboard["total cost"].number_format == '#,##0" EUR"'
    assert "Budget (EUR)" in [cell.value for cell in workbook["Dashboard"][2]]


def test_quantities_of_one_item_show_its_unit_and_no_headline_adds_items(tmp_path):
    """Items.unit (blank: "units") follows every quantity of one item; the share of gaps
    closed is weighted by priority overall and given per item in its own unit."""
    result = make_result(tmp_path, data=make_data({"SH": "shells", "MS": None}))
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    readiness = workbook["Readiness"]
    assert readiness["B2"].value == "SH" and readiness["B3"].value == "MS"
    assert readiness["D2"].number_format == '#,##0" shells";-#,##0" shells"'  # target 40
    assert readiness["D3"].number_format == '#,##0" units";-#,##0" units"'
    assert readiness["J2"].number_format == "#,##0;-#,##0"  # priority: no unit
    allocation = workbook["Allocation"]  # A's 2 MS, 10 and 5 SH; B's 1.5 MS, 3 SH
    assert [allocation[f"C{row}"].value for row in range(2, 7)] == ["MS", "SH", "SH",
                                                                     "MS", "SH"]
    assert allocation["G2"].number_format == '#,##0" units";-#,##0" units"'
    assert allocation["G3"].number_format == '#,##0" shells";-#,##0" shells"'
    assert allocation["G5"].number_format == '#,##0.0#" units";-#,##0.0#" units"'
    assert workbook["Capacity"]["D2"].number_format == '#,##0" shells";-#,##0" shells"'
    info = {(row[0], row[1]): row[2] for row in rows_of(workbook["Run info"])}
    assert (info[("item units", "SH")], info[("item units", "MS")]) == ("shells", "units")
    values = key_values(workbook["Summary"])
    # Gaps of 30 and 0 SH (priority 1), 3 MS (priority 10); 5 SH and 1 MS left open:
    # weighted 100 · (1 − (5 + 10) / (30 + 30)) = 75 (one for one it would read 1 − 6/33);
    # per item 100 · (1 − 5/30) and 100 · (1 − 1/3).
    assert values["gap_closed_pct"] == pytest.approx(75)
    assert values["gap_closed_pct.SH"] == pytest.approx(100 * (1 - 5 / 30))
    assert values["gap_closed_pct.MS"] == pytest.approx(100 * (1 - 1 / 3))
    dashboard = key_values(workbook["Dashboard"])
    assert dashboard["share of gaps closed, weighted by priority (%)"] == pytest.approx(75)
    assert dashboard["largest share of an item's gap left open"] == (
        "MS: 33.3% of its gap (1 units short)")


def test_header_notes_frozen_headers_and_formats(written):
    _, _, workbook = written()
    for name in SHEETS:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        for cell in sheet[1]:
            if cell.value is not None:  # the Dashboard leaves columns between its tables
                assert cell.comment is not None and cell.comment.text.strip(), (name,
                                                                                cell.value)
    allocation = workbook["Allocation"]
    # Quantities: whole without a decimal point ("2", not "2."), a fraction to two places,
    # each in its item's unit (blank: "units").
    assert allocation["G2"].value == 2
    assert allocation["G2"].number_format == '#,##0" units";-#,##0" units"'
    assert allocation["G5"].value == 1.5
    assert allocation["G5"].number_format == '#,##0.0#" units";-#,##0.0#" units"'
    assert allocation["J2"].number_format == "#,##0"  # total_cost
    readiness = workbook["Readiness"]
    assert readiness["H2"].number_format == "0.0"  # closed_pct
    assert "percent" in readiness["H1"].comment.text
    assert readiness["I2"].number_format == "#,##0.00"  # marginal_cost
    assert "worsens per extra unit" in readiness["I1"].comment.text
    budgets = workbook["Budgets"]
    assert "improves per extra unit" in budgets["F1"].comment.text
    capacity = workbook["Capacity"]
    assert "improves per extra unit" in capacity["G1"].comment.text
    assert capacity["F2"].number_format == "0.0"
    summary = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=2)}
    assert summary["total_cost"].number_format == "#,##0"
    assert summary["gap_closed_pct"].number_format == "0.0"


@pytest.mark.parametrize("transfers", [False, True])
def test_every_sheet_prints_landscape_one_page_wide_with_its_header(written, transfers):
    """Tables print one page wide, as many tall as they take, the header row on every
    page; the Dashboard prints its headline and charts on one page, without gridlines."""
    _, _, workbook = written(transfers=transfers)
    assert workbook.sheetnames == (SHEETS_WITH_TRANSFERS if transfers else SHEETS)
    for sheet in workbook:
        expected = TABLE if sheet.title != "Dashboard" else {
            **TABLE, "pages": (1, 1), "gridlines": False}
        assert print_setup(sheet) == expected, sheet.title
    assert workbook["Dashboard"].print_area.startswith("'Dashboard'!$A$1:$C$")


def test_long_notes_wrap_within_their_column_and_short_ones_stay_on_a_line(written):
    _, _, workbook = written()
    summary = workbook["Summary"]
    assert summary.column_dimensions["C"].width < 51  # at most 50 characters
    notes = {row[0].value: row[2] for row in summary.iter_rows(min_row=2)}
    long_note = notes["weighted_shortfall"]  # "Σ priority × shortfall over every …"
    assert len(long_note.value) > 50 and long_note.alignment.wrap_text
    assert summary.row_dimensions[long_note.row].height >= 30  # two lines or more
    short_note = notes["allies"]  # "Allies in the input."
    assert summary.row_dimensions[short_note.row].height is None
    assert not summary["A2"].alignment.wrap_text  # metric names never wrap


def test_summary_values_equal_the_summary(written):
    result, _, workbook = written()
    values = key_values(workbook["Summary"])
    expected = result.summary()
    for metric, value in expected.items():
        if isinstance(value, str):
            assert values[metric] == value, metric
        else:
            assert values[metric] == pytest.approx(value), metric
    for term in ("purchase_cost", "transport_cost", "expansion_cost", "holding_cost"):
        assert values[term] == pytest.approx(result.plan.cost_terms[term])
    assert values["total_cost"] == pytest.approx(4186.5)
    assert values["status"] == "optimal"
    assert values["optimality"].startswith("yes")
    assert values["verifier_max_violation"] == 0
    assert values["allies"] == 2 and values["items"] == 2
    assert values["production_lines"] == 2 and values["periods"] == 2
    assert values["readiness_targets"] == 3


def test_counts_come_from_the_input_data(tmp_path):
    data = make_data()
    data = replace(data, allies=table("Allies", [{"ally": a} for a in "ABC"]),
                   items=data.items.iloc[:1],
                   production=table("Production", [{"facility": f"F{n}", "item": "SH"}
                                                   for n in range(4)]),
                   requirements=table("Requirements", [{"ally": "A", "item": "SH",
                                                        "period": "P9"}] * 7))
    result = make_result(tmp_path, data=data)
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    values = key_values(workbook["Summary"])
    assert (values["allies"], values["items"], values["production_lines"],
            values["periods"], values["readiness_targets"]) == (3, 1, 4, 2, 7)


def test_a_plan_stopped_by_a_limit_is_never_called_optimal(written):
    _, _, workbook = written(status="feasible")
    values = key_values(workbook["Summary"])
    assert values["status"] == "feasible"
    assert "NOT proven optimal" in values["optimality"]
    assert "limit" in values["optimality"]


def test_allocation_rows_are_the_nonzero_orders_sorted(written):
    _, _, workbook = written()
    rows = rows_of(workbook["Allocation"])
    assert len(rows) == len(EXPECTED_ORDERS)
    for got, want in zip(rows, EXPECTED_ORDERS, strict=True):
        assert got[:6] == want[:6]
        assert got[6:10] == pytest.approx(want[6:10])


def test_plan_tables_round_trip_and_missing_duals_stay_blank(written):
    result, _, workbook = written()
    readiness = rows_of(workbook["Readiness"])
    plan = result.plan.readiness
    assert [r[:3] for r in readiness] == list(zip(plan["ally"], plan["item"], plan["period"],
                                                  strict=True))
    assert [r[5] for r in readiness] == pytest.approx(list(plan["shortfall"]))
    assert readiness[1][8] is None  # NaN marginal_cost: a blank cell
    assert readiness[0][8] == pytest.approx(10.5)
    assert [r[10] for r in readiness] == [2, 3, 4]
    budgets = rows_of(workbook["Budgets"])
    assert budgets[1][5] is None and budgets[0][5] == 0
    capacity = rows_of(workbook["Capacity"])
    assert capacity[3] == ("F2", "SH", "P10", 100, 5, 5, 1.25)
    assert capacity[1][6] is None
    expansion = rows_of(workbook["Expansion"])
    assert expansion[0] == ("F1", "SH", "P9", 20, 100, "P10", "A")
    assert expansion[1][6] is None  # blank payer


def test_input_strings_are_text_never_formulas(written):
    _, path, workbook = written(transfers=True)
    facilities = {}
    for row in workbook["Allocation"].iter_rows(min_row=2):
        facilities[row[0].value] = row[0].data_type
    for text in NASTY:
        assert facilities[text] == "s", text
    expansion_cells = [row[0] for row in workbook["Expansion"].iter_rows(min_row=2)]
    assert any(c.value == NASTY[1] and c.data_type == "s" for c in expansion_cells)
    warnings = [row for row in workbook["Run info"].iter_rows(min_row=2)
                if row[0].value == "warnings" and row[1].value == "Items!B3"]
    assert warnings and warnings[0][2].data_type == "s"
    assert warnings[0][2].value.startswith(NASTY[0])
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/.*\.xml", n)]
        assert len(names) == len(SHEETS_WITH_TRANSFERS)
        sheets_xml = ""
        for name in names:
            xml = archive.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
            sheets_xml += xml
        # Rows are streamed (constant memory), so text is stored inline in the sheets.
        assert '<is><t>=HYPERLINK("http://x","y")</t></is>' in sheets_xml
        for text in NASTY[1:]:
            assert f"<t>{text}</t>" in sheets_xml


def test_transfers_sheet_only_when_transfers_are_allowed(written, tmp_path):
    _, _, without = written(transfers=False)
    assert "Transfers" not in without.sheetnames
    _, _, workbook = written(transfers=True)
    assert workbook.sheetnames == SHEETS_WITH_TRANSFERS
    assert fields(workbook["Transfers"]) == HEADERS["Transfers"] + [
        "arrival_period", "transport_cost", "total_transport_cost"]
    assert rows_of(workbook["Transfers"]) == [("B", "A", "SH", "P9", 4, "P10", 2, 8)]


def test_run_info_tells_the_whole_story(written):
    violation = Violation("capacity", "line F1/SH in P9", 1.5)
    result, _, workbook = written(violations=[violation])
    info = run_info(workbook["Run info"])
    assert info[("input", "file")] == str(result.input_path.resolve())
    assert info[("input", "SHA-256")] == "ab" * 32
    for key, value in result.effective_config.items():
        assert info[("configuration", key)] == value, key
    assert info[("solver", "name")] == "highs"
    assert info[("solver", "version")] == "HiGHS 1.7.2"
    assert info[("result", "status")] == "optimal"
    assert info[("timings (seconds)", "solve")] == pytest.approx(1.75)
    assert info[("timings (seconds)", "total")] == pytest.approx(2.375)
    assert info[("solve phases", "cost: objective")] == pytest.approx(4186.5)
    assert info[("solve phases", "shortfall: status")] == "optimal"
    assert info[("model size", "variables")] == 42
    assert info[("verifier", "total cost recomputed")] == pytest.approx(4186.5)
    assert info[("verifier", "total cost of the plan")] == pytest.approx(4186.5)
    assert info[("verifier", "max violation (relative)")] == pytest.approx(2.5e-3)
    assert info[("verifier checks (count)", "capacity")] == 4
    worst = info[("verifier worst violations", "1")]
    assert "F1/SH in P9" in worst
    assert info[("tool", "version")] == result.tool_version
    written_at = info[("tool", "report written (UTC)")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", written_at)


def test_a_run_without_a_plan_still_says_why(written, tmp_path):
    result, _, workbook = written(status="infeasible", with_plan=False, transfers=True)
    assert result.plan is None
    assert workbook.sheetnames == SHEETS_WITH_TRANSFERS
    values = key_values(workbook["Summary"])
    assert values["status"] == "infeasible"
    assert values["message"] == "the hard constraints cannot all hold"
    assert "total_cost" not in values
    dashboard = key_values(workbook["Dashboard"])
    assert (dashboard["status"], dashboard["proven optimal"]) == ("infeasible", "NO")
    for name in SHEETS_WITH_TRANSFERS[2:-1]:
        sheet = workbook[name]
        assert fields(sheet)[: len(HEADERS[name])] == HEADERS[name]
        assert sheet.max_row == 1, name
    info = run_info(workbook["Run info"])
    assert info[("result", "status")] == "infeasible"
    assert info[("result", "message")] == "the hard constraints cannot all hold"


def test_report_path_and_refusing_the_input(tmp_path):
    source = tmp_path / "data" / "alliance.xlsx"
    source.parent.mkdir()
    source.write_bytes(b"input")
    assert report_path(source, tmp_path / "reports") == (
        tmp_path / "reports" / "alliance_report.xlsx")

    # the report's name is a link to the input
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "alliance_report.xlsx").symlink_to(source)
    with pytest.raises(InputError, match="overwrite the input workbook"):
        check_outputs([report_output(report_path(source, linked))],
                      {"the input workbook": source})
    hard = tmp_path / "hard"
    hard.mkdir()
    os.link(source, hard / "alliance_report.xlsx")
    with pytest.raises(InputError, match="overwrite the input workbook"):
        check_outputs([report_output(report_path(source, hard))],
                      {"the input workbook": source})

    # the input itself, named like a report, given as the report path
    named = tmp_path / "x_report.xlsx"
    named.write_bytes(b"input")
    result = replace(make_result(tmp_path), input_path=named)
    with pytest.raises(InputError, match="overwrite the input"):
        write_report(result, named)
    assert named.read_bytes() == b"input"

    # --out naming a file
    with pytest.raises(InputError, match="not a folder"):
        report_path(source, source)


def test_nan_and_numpy_values_are_blank_or_numbers(tmp_path):
    plan = make_plan()
    plan.cost_terms["holding_cost"] = np.float64(63.5)
    result = make_result(tmp_path, plan=plan)
    result = replace(result, timings={**result.timings, "verify": math.nan})
    workbook = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    assert key_values(workbook["Summary"])["holding_cost"] == pytest.approx(63.5)
    assert run_info(workbook["Run info"])[("timings (seconds)", "verify")] is None


def test_the_same_input_twice_gives_byte_identical_plan_sheets(tmp_path):
    """Reproducible: two runs of one workbook write the same Allocation, Readiness,
    Budgets, Capacity, Advice and Binding sheets, byte for byte."""
    from optimizer.config import load_config
    from optimizer.pipeline import solve_workbook
    from optimizer.workbook.synthetic import generate_workbook

    path = generate_workbook(tmp_path / "alliance.xlsx", 4, 5, 10, 6, seed=5)
    sheets = {}
    for run in ("first", "second"):
        result = solve_workbook(path, load_config(None, []))
        assert result.status == "optimal"
        report = write_report(result, tmp_path / run / "report.xlsx")
        with zipfile.ZipFile(report) as archive:
            order = [n.removeprefix("xl/worksheets/") for n in archive.namelist()
                     if n.startswith("xl/worksheets/sheet")]
            sheets[run] = {name: archive.read("xl/worksheets/" + name) for name in order}
    workbook = openpyxl.load_workbook(tmp_path / "first" / "report.xlsx", read_only=True)
    titles = workbook.sheetnames
    workbook.close()
    # Every sheet but Run info (timings differ from run to run) and Summary.
    compared = [f"sheet{k + 1}.xml" for k, title in enumerate(titles)
                if title in ("Allocation", "Readiness", "Budgets", "Capacity", "Advice",
                             "Binding", "Rule prices")]
    assert len(compared) >= 6
    for name in compared:
        assert sheets["first"][name] == sheets["second"][name], name


def test_an_allocation_beyond_excels_rows_keeps_the_largest_orders(monkeypatch, written):
    """Excel holds 1,048,575 rows under a header; here the limit is lowered to 3 rows
    (2 orders): the two largest by total cost stay, in their order, and Summary counts
    the rest."""
    import optimizer.reports.tables as report

    monkeypatch.setattr(report, "EXCEL_ROWS", 3)
    result, _, workbook = written()
    orders = result.plan.orders
    kept = [row for row in rows_of(workbook["Allocation"])]
    assert len(kept) == 2
    costs = sorted((orders["quantity"] * (orders["unit_cost"] + orders["transport_cost"])
                    ).round(6).tolist(), reverse=True)
    assert sorted((row[9] for row in kept), reverse=True) == pytest.approx(costs[:2])
    left = sum(1 for q in orders["quantity"] if q > 1e-7) - 2
    assert key_values(workbook["Summary"])["allocation_rows_left_out"] == left
