"""``stockpile compare``: the deltas between two reports, worked out by hand, the diff
workbook, the command line, and clear errors for files that are not reports.

The alliance: one item (holding cost 1 a unit and period), lines L (90 a period at 10,
no lead time) and M (100 at 20, lead time 1). A needs 60 by P1 and B 100 by P2; B has
ample budgets, A has 600 in P1 and nothing in P2.
- Base: A buys 60 from L in P1. B buys from L too, as late as it can: 10 in P1 and 90
  in P2 (L makes 90 a period; M costs 20 against 10 + 1 of holding). Purchase 1,600.
- Half budget (A has 300 in P1): A buys 30 and misses 30 of its gap of 60 (50 % closed);
  B's plan is unchanged. Purchase 1,300: the Allocation of line L and of delivery period
  P1 falls by 30 units and 300 money, the rest does not change.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.reports import tables
from optimizer.reports.compare import compare_reports, comparison_path, write_comparison
from optimizer.reports.html import write_html_report
from optimizer.reports.tables import write_report
from tests.alliances import sheets, solve
from tests.conftest import valid_sheets, write_workbook
from tests.headers import columns, headers
from tests.printing import TABLE, print_setup

UNITS = 1e-3  # phase 2 may spend the shortfall tolerance (SPEC §4): about 1e-5 units


def alliance(budget_of_a: float) -> dict:
    return sheets(
        periods=["P1", "P2"], allies=[["A"], ["B"]],
        items=[["I", "item", "units", False, 1, 1000, 1]],
        production=[["L", "H", "I", 90, 10, 0], ["M", "G", "I", 100, 20, 1]],
        requirements=[["A", "I", "P1", 60], ["B", "I", "P2", 100]],
        Budgets=[["A", "P1", budget_of_a], ["B", "P1", 10_000], ["B", "P2", 10_000]],
    )


@pytest.fixture(scope="module")
def solved_reports(tmp_path_factory) -> tuple[Path, Path]:
    """The reports of the base case and of A's budget halved."""
    folder = tmp_path_factory.mktemp("reports")
    paths = []
    for name, budget in (("base", 600), ("half_budget", 300)):
        (folder / name).mkdir()
        result = solve(folder / name, alliance(budget))
        assert result.status == "optimal"
        paths.append(write_report(result, folder / f"{name}_report.xlsx"))
    return paths[0], paths[1]


@pytest.fixture
def reports(tmp_path, solved_reports) -> tuple[Path, Path]:
    """Copies of the two reports in this test's own folder."""
    return tuple(Path(shutil.copy(path, tmp_path)) for path in solved_reports)


def summary_sheet(path: Path) -> dict[str, object]:
    rows = openpyxl.load_workbook(path)["Summary"].iter_rows(min_row=2, values_only=True)
    return {row[0]: row[1] for row in rows}


def summary_notes(path: Path) -> dict[str, str]:
    rows = openpyxl.load_workbook(path)["Summary"].iter_rows(min_row=2, values_only=True)
    return {row[0]: row[2] for row in rows}


def kpi(comparison, metric: str):
    rows = comparison.kpis[comparison.kpis["metric"] == metric]
    assert len(rows) == 1
    return rows.iloc[0]


def test_kpi_deltas_are_b_minus_a_of_the_summary_sheets(reports):
    comparison = compare_reports(*reports)
    base, half = (summary_sheet(path) for path in reports)
    cost = kpi(comparison, "total_cost")
    assert (cost["a"], cost["b"]) == (base["total_cost"], half["total_cost"])
    assert cost["delta"] == half["total_cost"] - base["total_cost"]
    # 300 less purchase; A's stock held at the end of P1 and P2 falls by 30 twice.
    assert cost["delta"] == pytest.approx(-360, abs=10 * UNITS)
    assert cost["change_pct"] == pytest.approx(100 * cost["delta"] / base["total_cost"])
    assert kpi(comparison, "purchase_cost")["delta"] == pytest.approx(-300, abs=10 * UNITS)
    assert kpi(comparison, "holding_cost")["delta"] == pytest.approx(-60, abs=10 * UNITS)
    assert kpi(comparison, "weighted_shortfall")["delta"] == pytest.approx(30, abs=UNITS)
    # Gaps of 60 and 100; 30 of them left open: 100 · (1 − 30/160) = 81.25 %.
    assert kpi(comparison, "gap_closed_pct")["b"] == pytest.approx(81.25, abs=UNITS)
    status = kpi(comparison, "status")
    assert (status["a"], status["b"]) == ("optimal", "optimal")


def test_closure_and_allocation_deltas_list_only_what_changed(reports):
    comparison = compare_reports(*reports)
    # A closes 100 % then 50 % of its gap of 60; B's plan does not change.
    assert comparison.by_ally["ally"].tolist() == ["A"]
    ally = comparison.by_ally.iloc[0]
    assert (ally["weighted_gap_a"], ally["weighted_gap_b"]) == (60, 60)
    assert ally["closed_pct_a"] == pytest.approx(100)
    assert ally["closed_pct_b"] == pytest.approx(50, abs=UNITS)
    assert ally["closed_pct_delta"] == pytest.approx(-50, abs=UNITS)
    assert ally["weighted_shortfall_delta"] == pytest.approx(30, abs=UNITS)
    assert ally["quantity_delta"] == pytest.approx(-30, abs=UNITS)
    assert ally["cost_delta"] == pytest.approx(-300, abs=10 * UNITS)

    assert comparison.by_line[["facility", "item"]].values.tolist() == [["L", "I"]]
    line = comparison.by_line.iloc[0]
    assert line["quantity_a"] == pytest.approx(160, abs=UNITS)
    assert line["quantity_b"] == pytest.approx(130, abs=UNITS)
    assert line["quantity_delta"] == pytest.approx(-30, abs=UNITS)
    assert line["cost_delta"] == pytest.approx(-300, abs=10 * UNITS)

    assert comparison.by_period["delivery_period"].tolist() == ["P1"]
    period = comparison.by_period.iloc[0]
    assert (period["quantity_a"], period["quantity_delta"]) == pytest.approx((70, -30),
                                                                            abs=UNITS)


def test_a_report_compared_with_itself_has_no_changes(reports):
    comparison = compare_reports(reports[0], reports[0])
    assert comparison.by_ally.empty and comparison.by_line.empty
    assert comparison.by_period.empty
    assert (comparison.kpis["delta"].dropna() == 0).all()
    assert "no ally's gap closure changed" in comparison.summary_lines()


WITHOUT_COMPONENTS = tuple(term for term in tables.COST_TERMS if term != "component_cost")


def test_the_cost_terms_are_the_plans_declared_once(tmp_path):
    """The Summary's cost terms are the metrics declared ``cost_term``: exactly the terms
    the plan's total cost adds up, in the order the model makes them (component_cost only
    where the workbook has components, SPEC §7.3)."""
    result = solve(tmp_path, alliance(600))
    assert tuple(result.plan.cost_terms) == WITHOUT_COMPONENTS


def test_a_reworded_cost_term_note_keeps_its_row_in_the_comparison_and_the_page(
        monkeypatch, tmp_path):
    """Readers take a cost term by its declaration, never by the words of its note: with
    every cost term's note reworded (no "Cost term" left in any), each is still a KPI of
    the comparison and a row of the page's cost terms."""
    for metric in tables.COST_TERMS:
        monkeypatch.setitem(tables.SUMMARY_METRICS, metric, tables.SUMMARY_METRICS[metric]
                            ._replace(note=f"Money spent as {metric} (money)."))
    paths = []
    for name, budget in (("base", 600), ("half_budget", 300)):
        (tmp_path / name).mkdir()
        paths.append(write_report(solve(tmp_path / name, alliance(budget)),
                                  tmp_path / f"{name}_report.xlsx"))
    notes = summary_notes(paths[0])
    assert not any("Cost term" in note for note in notes.values())
    assert notes["purchase_cost"] == "Money spent as purchase_cost (money)."
    comparison = compare_reports(*paths)
    assert comparison.kpis["metric"].tolist()[-len(WITHOUT_COMPONENTS):] == list(
        WITHOUT_COMPONENTS)
    assert kpi(comparison, "purchase_cost")["delta"] == pytest.approx(-300, abs=10 * UNITS)
    page = write_html_report(paths[0], tmp_path / "base.html").read_text("utf-8")
    cost_terms = page.split('<table id="cost-terms"', 1)[1].split("</table>", 1)[0]
    for metric in WITHOUT_COMPONENTS:
        assert f'<th scope="row">{metric}</th>' in cost_terms
        assert f"Money spent as {metric} (money)." in cost_terms


def test_the_diff_workbook_has_every_sheet_and_names_both_reports(reports, tmp_path):
    comparison = compare_reports(*reports)
    path = write_comparison(comparison, tmp_path / "diff.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["KPIs", "By ally", "By line", "By period", "About"]
    kpis = {row[0]: row[1:] for row in workbook["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kpis["total_cost"][2] == pytest.approx(comparison.kpis.iloc[1]["delta"])
    line = [cell.value for cell in workbook["By line"][2]]
    assert line[:2] == ["L", "I"]
    about = {(row[0], row[1]): row[2]
             for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
    for name, report in zip(("report A", "report B"), reports, strict=True):
        assert about[(name, "file")] == str(report.resolve())
        assert about[(name, "SHA-256")] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert about[("comparison", "written (UTC)")]
    assert not list(tmp_path.glob(".diff-*"))  # the atomic save left no temporary file
    for sheet in workbook:
        assert print_setup(sheet) == TABLE, sheet.title


def test_cli_writes_the_diff_next_to_report_b_and_leaves_the_reports_alone(reports, capsys):
    before = [path.read_bytes() for path in reports]
    assert main(["compare", *map(str, reports)]) == 0
    out = capsys.readouterr().out
    diff = reports[1].parent / "base_report_vs_half_budget_report.xlsx"
    assert diff.is_file()
    assert f"diff: {diff}" in out
    assert "total_cost: 1,830 → 1,470 (-360)" in out
    assert "A: 100.0% → 50.0% closed (-50.0 points)" in out
    assert [path.read_bytes() for path in reports] == before


def test_reports_of_one_name_in_two_folders_get_a_diff_named_after_both_folders(
        reports, tmp_path, capsys, monkeypatch):
    """runs/q1 and runs/q2 each hold a plan_report.xlsx: the diff is
    runs/q2/plan_report_q1_vs_plan_report_q2.xlsx, and q3 against q2 writes another
    file beside it, never over it."""
    runs = tmp_path / "runs"
    for folder, report in (("q1", reports[0]), ("q2", reports[1]), ("q3", reports[0])):
        (runs / folder).mkdir(parents=True)
        shutil.copy(report, runs / folder / "plan_report.xlsx")
    q1, q2, q3 = (runs / folder / "plan_report.xlsx" for folder in ("q1", "q2", "q3"))
    assert main(["compare", str(q1), str(q2)]) == 0
    first = runs / "q2" / "plan_report_q1_vs_plan_report_q2.xlsx"
    assert f"diff: {first}" in capsys.readouterr().out.splitlines()
    assert main(["compare", str(q3), str(q2)]) == 0
    second = runs / "q2" / "plan_report_q3_vs_plan_report_q2.xlsx"
    assert f"diff: {second}" in capsys.readouterr().out.splitlines()
    for diff, report_a in ((first, q1), (second, q3)):
        workbook = openpyxl.load_workbook(diff, read_only=True)
        about = {(row[0], row[1]): row[2]
                 for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
        workbook.close()
        assert about[("report A", "file")] == str(report_a.resolve())
    # Relative paths, and folders that differ further out: as few folders as tell them
    # apart, the path next to REPORT_B as given.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x" / "q1").mkdir(parents=True)
    shutil.copy(q2, tmp_path / "x" / "q1" / "plan_report.xlsx")
    assert comparison_path("runs/q1/plan_report.xlsx", "x/q1/plan_report.xlsx") == Path(
        "x/q1/plan_report_runs_q1_vs_plan_report_x_q1.xlsx")
    # Reports of different names keep their stems alone.
    assert comparison_path(q1, reports[1]) == reports[1].parent / (
        "plan_report_vs_half_budget_report.xlsx")


def test_cli_writes_the_diff_where_asked(reports, tmp_path, capsys):
    out = tmp_path / "elsewhere" / "what_changed.xlsx"
    assert main(["compare", *map(str, reports), "-o", str(out)]) == 0
    assert out.is_file()
    assert f"diff: {out}" in capsys.readouterr().out


def test_cli_refuses_to_write_the_diff_over_a_report(reports, capsys):
    before = reports[1].read_bytes()
    assert main(["compare", *map(str, reports), "-o", str(reports[1])]) == 2
    assert "would overwrite the report" in capsys.readouterr().err
    assert reports[1].read_bytes() == before


def test_an_input_workbook_is_not_a_report(reports, tmp_path, capsys):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    before = workbook.read_bytes()
    assert main(["compare", str(workbook), str(reports[1])]) == 2
    err = capsys.readouterr().err
    assert (f"{workbook}: has no Summary, Allocation or Readiness sheet, so it is not a "
            "report written by stockpile solve") in err
    assert "Traceback" not in err
    assert workbook.read_bytes() == before
    assert not list(tmp_path.glob("alliance_vs_*"))


def test_a_report_without_its_readiness_sheet_is_named(reports, tmp_path):
    workbook = openpyxl.load_workbook(reports[1])
    del workbook["Readiness"]
    cut = tmp_path / "cut.xlsx"
    workbook.save(cut)
    with pytest.raises(InputError) as error:
        compare_reports(reports[0], cut)
    assert [str(problem) for problem in error.value.problems] == [
        f"{cut}: has no Readiness sheet, so it is not a report written by stockpile solve"]


def test_missing_and_non_xlsx_files_are_invalid_input(reports, tmp_path, capsys):
    text = tmp_path / "notes.xlsx"
    text.write_text("metric,value\n")
    assert main(["compare", str(tmp_path / "none.xlsx"), str(text)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'none.xlsx'}: no such file" in err
    assert f"{text}: is not an Excel .xlsx workbook" in err
    assert "Traceback" not in err


def test_a_run_without_a_plan_compares_by_status_with_blank_deltas(reports, tmp_path, capsys):
    """Consumption in P1 that no delivery can cover (lead time 1, no stock): infeasible,
    so its report has no plan, no Allocation rows and no Readiness rows."""
    result = solve(tmp_path, sheets(
        periods=["P1", "P2"], allies=[["A"]], items=[["I"]],
        production=[["L", "H", "I", 100, 10, 1]], requirements=[["A", "I", "P2", 10]],
        Consumption=[["A", "I", "P1", 5]]))
    assert result.status == "infeasible"
    infeasible = write_report(result, tmp_path / "infeasible_report.xlsx")
    comparison = compare_reports(infeasible, reports[0])
    status = kpi(comparison, "status")
    assert (status["a"], status["b"]) == ("infeasible", "optimal")
    assert kpi(comparison, "total_cost")["delta"] is None
    # Every order and every ally's closure is new in B.
    assert comparison.by_line["quantity_delta"].tolist() == pytest.approx([160], abs=UNITS)
    assert sorted(comparison.by_ally["ally"]) == ["A", "B"]
    assert main(["compare", str(infeasible), str(reports[0])]) == 0
    assert "total_cost: none → 1,830" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# Hand-edited reports: refused naming the cell, or read with a warning, never a wrong delta


def edit(path: Path, sheet: str, cells: dict[tuple[int, str], object] = (),
         append: list[dict[str, object]] = ()) -> dict[str, str]:
    """Set ``cells`` ((row, column name) -> value) of ``sheet`` and append ``append``
    rows (column name -> value), saving the workbook over ``path``, as an analyst would
    in Excel; return each column's letter."""
    workbook = openpyxl.load_workbook(path)
    table = workbook[sheet]
    letters = {name: table[1][position].column_letter
               for name, position in columns(table).items()}
    for (row, column), value in dict(cells).items():
        table[f"{letters[column]}{row}"] = value
    for values in append:
        row = table.max_row + 1
        for column, value in values.items():
            table[f"{letters[column]}{row}"] = value
    workbook.save(path)
    return letters


def row_of(path: Path, sheet: str, **match: str) -> int:
    """The sheet row number of the one row whose cells equal ``match``."""
    table = openpyxl.load_workbook(path)[sheet]
    position = columns(table)
    rows = list(table.iter_rows(values_only=True))
    found = [number for number, row in enumerate(rows[1:], start=2)
             if all(row[position[column]] == value for column, value in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_text_in_a_figure_cell_is_refused_naming_the_cell(reports, capsys):
    base, half = reports
    row = row_of(half, "Readiness", ally="A")
    letters = edit(half, "Readiness", {(row, "shortfall"): "abc"})
    out = half.parent / "diff.xlsx"
    assert main(["compare", str(base), str(half), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert (f"{half} Readiness!{letters['shortfall']}{row}: 'abc' is not a number; a report "
            "is read as stockpile solve wrote it — restore the figure or re-run solve") in err
    assert "1 problem found; nothing was solved or written" in err
    assert not out.exists()


def test_text_in_a_summary_figure_and_a_blank_figure_are_refused(reports):
    base, half = reports
    edit(half, "Summary", {(row_of(half, "Summary", metric="total_cost"), "value"): "n/a"})
    row = row_of(base, "Allocation", ally="A")
    letters = edit(base, "Allocation", {(row, "quantity"): None})
    with pytest.raises(InputError) as error:
        compare_reports(base, half)
    summary_row = row_of(half, "Summary", metric="total_cost")
    assert [str(problem) for problem in error.value.problems] == [
        f"{base} Allocation!{letters['quantity']}{row}: the quantity is blank; a report is "
        "read as stockpile solve wrote it — restore the figure or re-run solve",
        f"{half} Summary!B{summary_row}: 'n/a' is not a number; a report is read as "
        "stockpile solve wrote it — restore the figure or re-run solve"]


def test_a_blank_code_in_a_data_row_is_refused_naming_the_cell(reports, capsys):
    base, half = reports
    row = row_of(half, "Allocation", ally="B", delivery_period="P2")
    letters = edit(half, "Allocation", {(row, "facility"): None})
    assert main(["compare", str(base), str(half)]) == 2
    err = capsys.readouterr().err
    assert (f"{half} Allocation!{letters['facility']}{row}: the facility is blank; a report "
            "is read as stockpile solve wrote it — restore the code, delete the row if it "
            "is a total, or re-run solve") in err
    # A row of sums under the table with no codes at all is refused the same way.
    edit(half, "Allocation", {(row, "facility"): "L"}, append=[{"quantity": 130,
                                                                "total_cost": 1300}])
    assert main(["compare", str(base), str(half)]) == 2
    err = capsys.readouterr().err
    sums = row_of(half, "Allocation", quantity=130)
    for code in ("facility", "item", "ally", "delivery_period"):
        assert f"{half} Allocation!{letters[code]}{sums}: the {code} is blank" in err


def test_totals_rows_are_left_out_with_a_warning_and_the_deltas_are_unchanged(
        reports, tmp_path, capsys):
    base, half = reports
    untouched = compare_reports(base, half)
    copies = [Path(shutil.copy(path, tmp_path / f"edited_{path.name}")) for path in reports]
    edited_base, edited_half = copies
    # Tables summed in a row under them, a code cell saying so.
    letters = edit(edited_half, "Allocation", append=[
        {"facility": "TOTAL", "quantity": 130, "total_cost": 1300}])
    edit(edited_half, "Readiness", append=[{"ally": "Total", "gap": 160, "shortfall": 30}])
    edit(edited_base, "Readiness", append=[{"ally": "Grand total:", "item": "I",
                                            "gap": 160, "shortfall": 0}])
    allocation_total = row_of(edited_half, "Allocation", facility="TOTAL")
    readiness_total = row_of(edited_half, "Readiness", ally="Total")
    base_total = row_of(edited_base, "Readiness", ally="Grand total:")

    assert main(["compare", str(edited_base), str(edited_half)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"warning: {edited_base} Readiness!A{base_total}: row {base_total} reads "
        "'Grand total:' in ally: a totals row, left out of every sum (the sums are of the "
        "other rows)",
        f"warning: {edited_half} Allocation!{letters['facility']}{allocation_total}: row "
        f"{allocation_total} reads 'TOTAL' in facility: a totals row, left out of every "
        "sum (the sums are of the other rows)",
        f"warning: {edited_half} Readiness!A{readiness_total}: row {readiness_total} reads "
        "'Total' in ally: a totals row, left out of every sum (the sums are of the other "
        "rows)"]
    assert "A: 100.0% → 50.0% closed (-50.0 points)" in captured.out
    edited = compare_reports(edited_base, edited_half)
    assert len(edited.warnings) == 3
    for table in ("kpis", "by_ally", "by_line", "by_period"):
        pd.testing.assert_frame_equal(getattr(edited, table), getattr(untouched, table))
    assert "TOTAL" not in edited.by_line["facility"].tolist()


def test_a_missing_column_names_the_file_sheet_and_column(reports, capsys):
    base, half = reports
    edit(half, "Allocation", {(1, "quantity"): "qty"})
    assert main(["compare", str(base), str(half)]) == 2
    assert (f"{half}: its Allocation sheet has no 'Quantity' (quantity) column, so it is "
            "not a report written by stockpile solve") in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Money in a currency; readable headers read back to their fields


@pytest.fixture(scope="module")
def euro_reports(tmp_path_factory) -> tuple[Path, Path]:
    """The two reports again, with [report] currency = "EUR"."""
    folder = tmp_path_factory.mktemp("euro")
    paths = []
    for name, budget in (("base", 600), ("half_budget", 300)):
        (folder / name).mkdir()
        result = solve(folder / name, alliance(budget), "report.currency=EUR")
        paths.append(write_report(result, folder / f"{name}_report.xlsx"))
    return paths[0], paths[1]


def test_a_comparison_names_the_reports_currency(euro_reports, tmp_path, capsys):
    assert main(["compare", *map(str, euro_reports), "-o", str(tmp_path / "d.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "total_cost: 1,830 EUR → 1,470 EUR (-360 EUR)" in out
    assert "weighted_shortfall: 0.00 → 30.00 (+30.00)" in out  # not money: no currency
    workbook = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert headers(workbook["By ally"])[-3:] == [
        "Cost of orders in A (EUR)", "Cost of orders in B (EUR)", "Cost of orders B − A (EUR)"]
    assert headers(workbook["KPIs"]) == ["Metric", "In A", "In B", "B − A", "Change (%)"]
    kpis = {row[0].value: row for row in workbook["KPIs"].iter_rows(min_row=2)}
    assert kpis["total_cost"][1].number_format == '#,##0" EUR"'
    assert kpis["weighted_shortfall"][1].number_format != '#,##0" EUR"'
    line = workbook["By line"]
    assert headers(line)[2] == "Quantity ordered in A"
    assert line["C2"].number_format == '#,##0" units";-#,##0" units"'
    about = {(row[0], row[1]): row[2]
             for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
    assert about[("comparison", "currency")] == "EUR"


def test_readable_headers_read_back_without_loss_whatever_the_currency(
        reports, euro_reports, tmp_path):
    """Reports in EUR, and reports whose row 1 holds the field names (as written before
    readable headers), compare to exactly the same tables as the reports without a
    currency."""
    plain = compare_reports(*reports)
    euro = compare_reports(*euro_reports)
    assert euro.currency == "EUR" and plain.currency == ""
    old = []
    for path in reports:
        workbook = openpyxl.load_workbook(path)
        for sheet in workbook.worksheets[1:]:  # every table but the Dashboard
            for cell, field in zip(sheet[1], list(columns(sheet)), strict=False):
                cell.value = field
        old.append(tmp_path / f"old_{path.name}")
        workbook.save(old[-1])
    as_before = compare_reports(*old)
    for table in ("kpis", "by_ally", "by_line", "by_period"):
        pd.testing.assert_frame_equal(getattr(euro, table), getattr(plain, table))
        pd.testing.assert_frame_equal(getattr(as_before, table), getattr(plain, table))


def test_reports_in_two_currencies_are_not_compared(euro_reports, tmp_path, capsys):
    dollars = Path(shutil.copy(euro_reports[1], tmp_path / "dollars_report.xlsx"))
    row = row_of(dollars, "Run info", section="configuration", key="report.currency")
    edit(dollars, "Run info", {(row, "value"): "USD"})
    assert main(["compare", str(euro_reports[0]), str(dollars)]) == 2
    assert (f"{dollars}: names its money in USD and {euro_reports[0]} in EUR; compare two "
            "reports in the same currency ([report] currency)") in capsys.readouterr().err
