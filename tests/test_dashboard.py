"""The report's Dashboard: its headline, its four native Excel charts pointing at the
right cells, and the conditional formats on closure and utilisation; by hand."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from optimizer.reports.dashboard import chart_tables, group_periods
from optimizer.reports.tables import write_report
from tests.alliances import sheets, solve
from tests.printing import TABLE, print_setup

ITEMS = [["I", "item I", "shells", False, 1, 1000, 0],
         ["J", "item J", "missiles", False, 1, 1000, 0]]


@pytest.fixture
def report(tmp_path):
    """A needs 100 I and 20 J, B 50 I; line L makes 90 I at 10, M 100 J at 5; A's
    budget is 10,000. J is met; the 60 I short are split in proportion to the gaps (the
    tie-break): A 40 short of 100, B 20 of 50. Closure: A 1 − 40/120 = 66.7 %,
    B 1 − 20/50 = 60 %. A spends 60·10 + 20·5 = 700. L is used 90 of 90 (100 %), M 20 of
    100 (20 %). I's gap of 150 is 40 % open, J's none."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"], ["B"]], items=ITEMS,
        production=[["L", "H", "I", 90, 10, 0], ["M", "H", "J", 100, 5, 0]],
        requirements=[["A", "I", "P1", 100], ["A", "J", "P1", 20], ["B", "I", "P1", 50]],
        Budgets=[["A", "P1", 10000]]), "explain.rule_prices=false")
    path = write_report(result, tmp_path / "report.xlsx")
    return result, path, openpyxl.load_workbook(path)


def chart_references(path) -> list[dict]:
    """Each chart of the workbook: its title and the ranges its series read."""
    charts = []
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist()
                        if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
                       key=lambda n: int(re.search(r"\d+", n).group()))
        for name in names:
            xml = archive.read(name).decode()
            title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("</c:title>")[0]))
            charts.append({"title": title, "refs": re.findall(r"<c:f>([^<]*)</c:f>", xml)})
    return charts


def value_axes(path) -> list[dict]:
    """Each chart's value axis: its least and largest value (None: Excel's choice) and
    its number format."""
    axes = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted((n for n in archive.namelist()
                            if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
                           key=lambda n: int(re.search(r"\d+", n).group())):
            axis = archive.read(name).decode().split("<c:valAx>")[1].split("</c:valAx>")[0]
            least = re.search(r'<c:min val="([^"]*)"', axis)
            largest = re.search(r'<c:max val="([^"]*)"', axis)
            axes.append({"min": least and float(least.group(1)),
                         "max": largest and float(largest.group(1)),
                         "format": re.search(r'<c:numFmt formatCode="([^"]*)"', axis)
                         .group(1).replace("&quot;", '"')})
    return axes


def chart_corners(path) -> list[tuple[int, int]]:
    """The bottom-right cell (0-based row, column) of each chart on the first sheet."""
    with zipfile.ZipFile(path) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    return [(int(row), int(col)) for col, row in re.findall(
        r"<xdr:to><xdr:col>(\d+)</xdr:col><xdr:colOff>-?\d+</xdr:colOff>"
        r"<xdr:row>(\d+)</xdr:row>", drawing)]


def cells(workbook, reference: str) -> list:
    sheet, span = reference.split("!")
    first, _, last = span.replace("$", "").partition(":")
    last = last or first
    return [cell.value for row in workbook[sheet.strip("'")][first:last] for cell in row]


def test_the_dashboard_comes_first_and_states_the_headline(report):
    result, _, workbook = report
    assert workbook.sheetnames[:2] == ["Dashboard", "Summary"]
    headline = {row[0]: row[1] for row in workbook["Dashboard"].iter_rows(
        min_row=2, max_col=2, values_only=True) if row[0]}
    assert headline["status"] == "optimal"
    assert headline["proven optimal"] == "yes"
    assert headline["total cost"] == pytest.approx(90 * 10 + 20 * 5)
    assert headline["weighted shortfall"] == pytest.approx(60)
    assert headline["readiness targets met"] == "1 of 3"
    assert headline["allies with every target met"] == "0 of 2"
    assert headline["share of gaps closed, weighted by priority (%)"] == pytest.approx(
        100 * (1 - 60 / 170))
    assert headline["largest share of an item's gap left open"] == (
        "I: 40.0% of its gap (60 shells short)")


def test_four_charts_read_the_tables_beside_them(report):
    """No chart adds one item's units to another's: utilisation is the mean of the lines'
    (100 % and 20 %: 60 %, not 110 of 190), the items' gaps read as the share left open,
    beside the shortfall and gap in each item's unit."""
    _, path, workbook = report
    charts = chart_references(path)
    assert [c["title"] for c in charts] == [
        "Gap closed by ally, weighted by priority", "Spend against budget by ally",
        "Capacity utilisation by period", "Gap left open by item"]
    closure, spend, utilisation, left_open = charts
    # Series references come as (name?, categories, values) per series.
    assert cells(workbook, closure["refs"][0]) == ["A", "B"]
    assert cells(workbook, closure["refs"][1]) == pytest.approx([100 * (1 - 40 / 120), 60.0])
    assert cells(workbook, spend["refs"][0]) == ["A"]
    assert cells(workbook, spend["refs"][1]) == [10000]  # budget
    assert cells(workbook, spend["refs"][3]) == pytest.approx([700])  # spent
    assert cells(workbook, utilisation["refs"][0]) == ["P1"]
    assert cells(workbook, utilisation["refs"][1]) == pytest.approx([60])
    assert cells(workbook, left_open["refs"][0]) == ["I", "J"]
    assert cells(workbook, left_open["refs"][1]) == pytest.approx([40, 0], abs=1e-6)
    for chart in charts:
        assert all(ref.startswith("Dashboard!") for ref in chart["refs"])
    dashboard = workbook["Dashboard"]
    header = {cell.value: cell for cell in dashboard[2] if cell.value is not None}
    for text in ("Gap closed (%)", "Budget", "Spent", "Lines with capacity",
                 "Mean utilisation (%)", "Shortfall", "Gap", "Gap left open (%)"):
        assert text in header, text
    assert header["Gap left open (%)"].comment.text.startswith("Field: left_open_pct.")
    shortfall, gap = header["Shortfall"].column, header["Gap"].column
    assert dashboard.cell(3, shortfall).value == pytest.approx(60)
    assert dashboard.cell(3, shortfall).number_format == '#,##0" shells";-#,##0" shells"'
    assert dashboard.cell(4, gap).value == pytest.approx(20)
    assert dashboard.cell(4, gap).number_format == '#,##0" missiles";-#,##0" missiles"'


def test_value_axes_start_at_0_and_money_reads_in_billions(tmp_path):
    """Closure, utilisation and the gap left open run 0-100 %; A's budget of 2.5 bn (it
    spends 2.25 bn on 90 units of I at 25 M each) puts the money axis in billions,
    "2.0 bn", its title and series in the currency named ([report] currency)."""
    result = solve(tmp_path, sheets(
        periods=["P1"], allies=[["A"]], items=ITEMS[:1],
        production=[["L", "H", "I", 90, 25e6, 0]],
        requirements=[["A", "I", "P1", 100]], Budgets=[["A", "P1", 2.5e9]]),
        "explain.rule_prices=false", "report.currency=EUR")
    path = write_report(result, tmp_path / "report.xlsx")
    percent = {"min": 0.0, "max": 100.0, "format": "0"}
    closure, spend, utilisation, left_open = value_axes(path)
    assert closure == percent and utilisation == percent and left_open == percent
    assert spend == {"min": 0.0, "max": None, "format": '#,##0.0,,," bn";-#,##0.0,,," bn";0'}
    with zipfile.ZipFile(path) as archive:
        chart = archive.read("xl/charts/chart2.xml").decode()
    texts = re.findall(r"<a:t>([^<]*)</a:t>", chart) + re.findall(r"<c:v>([^<]*)</c:v>",
                                                                   chart)
    assert "money over the horizon (EUR)" in texts
    assert {"Budget (EUR)", "Spent (EUR)"} <= set(texts)


def test_the_dashboard_prints_its_headline_and_charts_on_one_page(report):
    _, path, workbook = report
    dashboard = workbook["Dashboard"]
    assert print_setup(dashboard) == {**TABLE, "pages": (1, 1), "gridlines": False}
    last_row = int(re.fullmatch(r"'Dashboard'!\$A\$1:\$C\$(\d+)", dashboard.print_area)
                   .group(1)) - 1
    corners = chart_corners(path)
    assert len(corners) == 4
    assert all(row <= last_row and col <= 2 for row, col in corners)  # within A1:C…
    # The tables the charts read stand right of the page, from column E.
    assert dashboard["E1"].value == "Gap closed by ally, weighted by priority"
    assert dashboard["D1"].value is None


def test_closure_and_utilisation_are_shaded(report):
    _, _, workbook = report
    readiness = workbook["Readiness"]
    [closure] = [rule for rule in readiness.conditional_formatting]
    assert str(closure.sqref) == "H2:H4"  # closed_pct of the three targets
    assert closure.rules[0].type == "colorScale"
    capacity = workbook["Capacity"]
    [bar] = [rule for rule in capacity.conditional_formatting]
    assert str(bar.sqref) == "F2:F3"  # utilisation_pct of the two lines
    assert bar.rules[0].type == "dataBar"


def test_more_periods_than_a_chart_draws_are_grouped_in_blocks():
    """401 periods make blocks of 2 (the last of 1): each block sums its periods."""
    frame = pd.DataFrame({"period": [f"P{n}" for n in range(1, 402)],
                          "used": [float(n) for n in range(1, 402)]})
    grouped, grouping = group_periods(frame, "period", ["used"])
    assert grouping == "periods grouped in blocks of 2 (401 periods; the last block has 1)"
    assert len(grouped) == 201
    assert grouped.iloc[0].tolist() == ["P1–P2", 3.0]
    assert grouped.iloc[-1].tolist() == ["P401–P401", 401.0]
    assert grouped["used"].sum() == frame["used"].sum()
    unchanged, none = group_periods(frame.head(400), "period", ["used"])
    assert none == "" and unchanged.equals(frame.head(400))


def test_a_block_s_utilisation_is_the_mean_of_its_lines():
    """Two lines over 800 periods, blocks of 2: in P1 both lines are full (50 of 50), in
    P2 both idle (0 of 150): the block's four line-periods average 50 %; their units are
    never added up (100 of 400 would read 25 %)."""
    periods = [f"P{n}" for n in range(1, 801)]
    capacity = pd.DataFrame({
        "period": periods * 2, "capacity": [50.0, 150.0] * 800,
        "used": [50.0, 0.0] * 800})
    empty = pd.DataFrame(columns=["ally", "item", "gap", "shortfall", "priority"])
    chart = chart_tables(empty.astype({"gap": float, "shortfall": float,
                                       "priority": float}),
                         pd.DataFrame(columns=["ally", "budget", "spent"]), capacity)[2]
    assert chart.grouping == "periods grouped in blocks of 2 (800 periods)"
    assert chart.caption == ("Capacity utilisation by period: periods grouped in blocks of "
                             "2 (800 periods)")
    assert chart.frame.iloc[0].tolist() == ["P1–P2", 4, 50.0]
    assert chart.heading("utilisation_pct") == "Mean utilisation (%)"
