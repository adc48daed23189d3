"""Burden sharing by ally (SPEC §7.2): each ally's fair share, its shares of the alliance's
stock and spending, the part of its fair share it holds and the spread of that part
across allies, in the plan, on the report, on the Dashboard and on the page.

The known answer is ``shared_shells`` with the band δ = 0.2: fair shares BIG 0.8, S1 0.1,
S2 0.1 of a target of 100; BIG holds 56.25, S1 6.25, S2 10 (72.5 in all), spending its
whole budget of 450, 50 and 80 (580). Closure is against the fair share φ·T (80, 10, 10),
not the band floor: BIG 56.25 / 80 = 70.3125 %, S1 6.25 / 10 = 62.5 %, S2 100 %, a
spread of 37.5 points."""

from __future__ import annotations

import dataclasses

import openpyxl
import pandas as pd
import pytest

from optimizer.reports.compare import compare_reports
from optimizer.reports.html import write_html_report
from optimizer.reports.readback import read_report
from optimizer.reports.tables import report_sheets, write_report
from tests.alliances import solve
from tests.test_burden_sharing import BAND, shared_shells
from tests.test_dashboard import chart_corners, chart_references, value_axes

ALLIES = ["BIG", "S1", "S2"]
SPENDING = {"BIG": 450.0, "S1": 50.0, "S2": 80.0}
SHARE_OF_SPENDING = {ally: 100 * amount / 580 for ally, amount in SPENDING.items()}
SHARE_OF_STOCK = {"BIG": 100 * 56.25 / 72.5, "S1": 100 * 6.25 / 72.5, "S2": 100 * 10 / 72.5}
CLOSURE = {"BIG": 100 * 56.25 / 80, "S1": 100 * 6.25 / 10, "S2": 100.0}
SPREAD = 100.0 - 62.5
CHART = "Fair share against stock held and spending by ally"


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("burden")
    result = solve(tmp_path, shared_shells(), BAND, "report.currency=EUR",
                   "explain.rule_prices=false")
    return result, write_report(result, tmp_path / "report.xlsx")


def test_the_plan_holds_each_ally_s_burden(known):
    result, _ = known
    burden = result.plan.burden.set_index("ally")
    assert burden.index.tolist() == ALLIES  # the Allies order
    assert burden["fair_share_pct"].to_dict() == pytest.approx(
        {"BIG": 80, "S1": 10, "S2": 10})
    assert burden["spending"].to_dict() == pytest.approx(SPENDING)
    assert burden["spending_share_pct"].to_dict() == pytest.approx(SHARE_OF_SPENDING)
    assert [round(share, 2) for share in burden["spending_share_pct"]] == [77.59, 8.62, 13.79]
    assert burden["held_share_pct"].to_dict() == pytest.approx(SHARE_OF_STOCK)
    assert burden["closure_pct"].to_dict() == pytest.approx(CLOSURE)
    assert result.plan.closure_spread == pytest.approx(SPREAD)
    # The spending is the Budgets sheet's, summed over the periods.
    spent = result.plan.budgets.groupby("ally")["spent"].sum()
    assert burden["spending"].to_dict() == pytest.approx(spent.to_dict())
    assert result.summary()["closure_spread"] == pytest.approx(SPREAD)


def test_the_report_shows_each_ally_s_burden_and_the_spread(known):
    _, path = known
    workbook = openpyxl.load_workbook(path)
    names = workbook.sheetnames
    assert names.index("Burden by ally") == names.index("Burden sharing") + 1
    rows = list(workbook["Burden by ally"].iter_rows(values_only=True))
    assert list(rows[0]) == ["Ally", "Fair share (%)", "Share of alliance stock held (%)",
                             "Spending (EUR)", "Share of alliance spending (%)",
                             "Funding given (EUR)", "Funding received (EUR)",
                             "Fair share held (%)", "Spread across allies (points)"]
    cells = {row[0]: row[1:] for row in rows[1:]}
    assert list(cells) == ALLIES
    for ally in ALLIES:
        fair, held, spending, spending_share, given, received, closure, spread = cells[ally]
        assert (held, spending, spending_share, given, received, closure, spread) \
            == pytest.approx((SHARE_OF_STOCK[ally], SPENDING[ally], SHARE_OF_SPENDING[ally],
                              0, 0, CLOSURE[ally], SPREAD))
    assert [cells[ally][0] for ally in ALLIES] == pytest.approx([80, 10, 10])
    sheet = workbook["Burden by ally"]
    assert sheet["H1"].comment.text.startswith("Field: closure_pct. The part of its fair "
                                               "share of the alliance targets the ally holds")
    assert sheet["B2"].number_format == "0.0"
    [shading] = list(sheet.conditional_formatting)
    assert str(shading.sqref) == "H2:H4"  # closure, red to green
    summary = {row[0]: row[1:] for row in workbook["Summary"].iter_rows(values_only=True)}
    value, note = summary["closure_spread"]
    assert value == pytest.approx(SPREAD)
    assert note.startswith("Largest − smallest share of its fair share")


def test_the_burden_by_ally_reads_back_and_compares(known, tmp_path):
    result, path = known
    report = read_report(path, extra_sheets=["Burden by ally"])
    typed = report.typed("Burden by ally").set_index("ally")
    assert typed["closure_pct"].to_dict() == pytest.approx(CLOSURE)
    assert typed["spending"].to_dict() == pytest.approx(SPENDING)
    assert report.summary["closure_spread"] == pytest.approx(SPREAD)
    other = write_report(result, tmp_path / "again.xlsx")
    comparison = compare_reports(path, other)
    assert comparison.by_ally.empty  # nothing changed


def test_the_dashboard_draws_fair_share_against_stock_and_spending(known):
    _, path = known
    charts = chart_references(path)
    assert [chart["title"] for chart in charts][-1] == CHART
    assert len(charts) == 5
    assert value_axes(path)[-1]["min"] == 0 and value_axes(path)[-1]["max"] == 100
    dashboard = openpyxl.load_workbook(path)["Dashboard"]
    header = next(cell for cell in dashboard[1] if cell.value == CHART)
    column = header.column
    table = [[dashboard.cell(row, column + offset).value for offset in range(4)]
             for row in range(2, 6)]
    assert table[0] == ["Ally", "Fair share (%)", "Share of alliance stock held (%)",
                        "Share of alliance spending (%)"]
    assert [row[0] for row in table[1:]] == ALLIES
    assert [row[2] for row in table[1:]] == pytest.approx(list(SHARE_OF_STOCK.values()))
    assert [row[3] for row in table[1:]] == pytest.approx(list(SHARE_OF_SPENDING.values()))
    # The fifth chart prints on the Dashboard's one page, below the other four.
    last_row = int(dashboard.print_area.rsplit("$", 1)[1]) - 1
    corners = chart_corners(path)
    assert len(corners) == 5 and all(row <= last_row for row, _ in corners)


def test_the_page_draws_the_same_chart(known, tmp_path):
    _, path = known
    page = write_html_report(path, tmp_path / "report.html").read_text("utf-8")
    assert f"<figcaption>{CHART} <span>(share of the alliance (%))</span>" in page
    assert ("BIG: Fair share (%) 80.0, Share of alliance stock held (%) 77.6, Share of "
            "alliance spending (%) 77.6; S1: Fair share (%) 10.0, Share of alliance stock "
            "held (%) 8.6, Share of alliance spending (%) 8.6") in page
    assert "closure_spread" in page


def test_each_target_counts_with_its_priority():
    """Two targets: 100 of X at priority 1, of which A's share φ = 0.5 is 50 and A holds
    50; 10 of Y at priority 10, whose share 5 A does not hold. Closure is (1 · 50 + 10 ·
    0) / (1 · 50 + 10 · 5) = 50 %, not 50 / 55 one unit for one."""
    from optimizer.model.plan import Plan

    empty = pd.DataFrame({"total_cost": [], "ally": [], "cost": [], "payer": [],
                          "quantity": [], "transport_cost": [], "to": []})
    alliance = pd.DataFrame({"item": ["X", "Y"], "period": ["1", "1"],
                             "target": [100.0, 10.0], "held": [100.0, 10.0],
                             "shortfall": [0.0, 0.0], "closed_pct": [100.0, 100.0],
                             "priority": [1.0, 10.0], "row": [2, 3]})
    shares = pd.DataFrame({"ally": ["A", "B", "A", "B"], "item": ["X", "X", "Y", "Y"],
                           "period": ["1"] * 4, "fair_share": [0.5, 0.5, 0.5, 0.5],
                           "band_floor": [0.0] * 4, "held": [50.0, 50.0, 0.0, 10.0],
                           "short_of_band": [0.0] * 4, "priority": [1.0, 1.0, 10.0, 10.0]})
    plan = Plan(orders=empty, expansions=empty, transfers=empty, stocks=empty,
                readiness=empty, budgets=empty, capacity=empty, alliance=alliance,
                fair_shares=shares)
    burden = plan.burden.set_index("ally")
    assert burden["closure_pct"].to_dict() == pytest.approx({"A": 50.0, "B": 100.0})
    # Σ p · held: A 50 of (100 + 10 · 10) = 200; B 150 of 200.
    assert burden["held_share_pct"].to_dict() == pytest.approx({"A": 25.0, "B": 75.0})
    assert burden["spending_share_pct"].tolist() == [0.0, 0.0]  # nobody spends
    assert plan.closure_spread == pytest.approx(50.0)


def test_an_unknown_fair_share_leaves_closure_blank(tmp_path):
    """Band off and neither fair_share nor gdp: no ally's fair share is known, so its
    closure and the spread are blank, while its shares of stock and spending stand."""
    workbook = shared_shells()
    workbook["Allies"][1:] = [row[:6] + [None] for row in workbook["Allies"][1:]]
    result = solve(tmp_path, workbook, "explain.rule_prices=false")
    burden = result.plan.burden
    assert burden["closure_pct"].isna().all() and burden["fair_share_pct"].isna().all()
    assert burden["spending"].tolist() == pytest.approx(list(SPENDING.values()))
    assert "closure_spread" not in result.summary()
    rows = list(openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))[
        "Burden by ally"].iter_rows(min_row=2, values_only=True))
    assert [row[7] for row in rows] == [None, None, None]


def test_without_alliance_targets_the_reports_have_none_of_it(tmp_path):
    workbook = shared_shells()
    del workbook["AllianceTargets"]
    result = solve(tmp_path, workbook, "explain.rule_prices=false")
    assert result.plan.burden.empty
    assert "closure_spread" not in result.summary()
    sheets = report_sheets(result)
    assert list(sheets) == ["Dashboard", "Summary", "Allocation", "Readiness", "Budgets",
                            "Capacity", "Expansion", "Advice", "Binding", "Run info"]
    path = write_report(result, tmp_path / "report.xlsx", sheets)
    assert CHART not in [chart["title"] for chart in chart_references(path)]
    assert len(chart_references(path)) == 4
    page = write_html_report(path, tmp_path / "report.html").read_text("utf-8")
    assert CHART not in page and "closure_spread" not in page


def test_a_run_without_a_plan_writes_the_headed_sheet(known, tmp_path):
    result, _ = known
    failed = dataclasses.replace(result, plan=None)
    frame = report_sheets(failed)["Burden by ally"].frame
    assert frame.empty and "closure_pct" in frame.columns
