"""The HTML report: one self-contained page of a report workbook, opened in a real
browser (headless Chromium through Playwright), and the two commands that write it.

The alliance: two allies, NOR and one whose code is hostile HTML, share line L (item I,
90 a period at 10) and line M (item J, 50 a period at 20, lead time 1); every gap is
larger than the lines can fill, so both charts by ally have bars, Capacity binds in P1,
and Advice and Binding have rows.

The browser tests need a chromium binary (Debian's ``chromium`` package; ``.ci/run``
installs it) and are skipped, saying so, without one. Playwright drives that binary; it
never downloads a browser of its own.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.reports.html import html_page, read_page_report, write_html, write_html_report
from optimizer.reports.readback import as_stored, read_report
from optimizer.reports.tables import (
    ALLOCATION,
    BUDGETS,
    CAPACITY,
    READINESS,
    REPORT_TABLES,
    RUN_INFO_COLUMNS,
    SUMMARY_COLUMNS,
    report_sheets,
    table_sheet,
    tables_of,
    write_report,
)
from optimizer.workbook.writer import write_workbook as excel_workbook
from tests.alliances import sheets, solve
from tests.conftest import valid_sheets, write_workbook
from tests.headers import fields

HOSTILE = '<script>window.pwned = 1</script> "Q&A" $1'
ALLIES = ["NOR", HOSTILE]
PERIODS = ["P1", "P2"]
ITEMS = ["I", "J"]
CHROMIUM = shutil.which("chromium")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH: the browser tests need Debian's "
                             "chromium package (apt-get install chromium; .ci/run installs it)")


def alliance() -> dict:
    return sheets(
        periods=PERIODS, allies=[[ally] for ally in ALLIES],
        items=[["I", "shell", "rounds", False, 1, 1000, 1],
               ["J", "missile", "units", False, 2, 1000, 0]],
        production=[["L", "H", "I", 90, 10, 0], ["M", "G", "J", 50, 20, 1]],
        requirements=[["NOR", "I", "P1", 100], [HOSTILE, "I", "P1", 50],
                      ["NOR", "J", "P2", 40], [HOSTILE, "J", "P2", 30]],
        Budgets=[["NOR", "P1", 5000], [HOSTILE, "P1", 5000], ["NOR", "P2", 5000],
                 [HOSTILE, "P2", 500]],
    )


@pytest.fixture(scope="module")
def report_xlsx(tmp_path_factory) -> Path:
    """The report workbook of the alliance (rule prices off: not needed here)."""
    folder = tmp_path_factory.mktemp("html_report")
    result = solve(folder, alliance(), "explain.rule_prices=false")
    assert result.status == "optimal"
    return write_report(result, folder / "alliance_report.xlsx")


@pytest.fixture(scope="module")
def report_html(report_xlsx) -> Path:
    return write_html_report(report_xlsx, report_xlsx.with_suffix(".html"))


def many_period_report(path: Path, periods: int, every_sheet: bool = True) -> Path:
    """A report workbook over ``periods`` periods P1, P2, … for two allies, two items and
    two lines, its sheets in the report's own columns and formats, written without
    solving (a 10,000-period solve takes minutes): every period's capacity is 100 a
    line and period n uses n mod 100 of it, so the utilisation of a block of periods is
    the mean of n mod 100 over its periods. Capacity has every period; Allocation,
    Readiness and Budgets too when ``every_sheet`` (as a solved report would), else the
    first ten (quicker to write)."""
    names = [f"P{number}" for number in range(1, periods + 1)]
    used = np.arange(1, periods + 1) % 100
    lines = [("L", "I"), ("M", "J")]
    capacity = pd.DataFrame([
        {"facility": facility, "item": item, "period": period, "capacity": 100.0,
         "used": float(use), "utilisation_pct": float(use), "marginal_value": 0.0}
        for facility, item in lines for period, use in zip(names, used, strict=True)])
    if not every_sheet:
        names, used = names[:10], used[:10]
    allocation = pd.DataFrame([
        {"facility": facility, "host": "H", "item": item, "ally": ally,
         "order_period": period, "delivery_period": period, "quantity": use / 2,
         "unit_cost": 10.0, "transport_cost": 0.0, "total_cost": 5.0 * use}
        for facility, item in lines for ally in ("A", "B")
        for period, use in zip(names, used, strict=True) if use])
    readiness = pd.DataFrame([
        {"ally": ally, "item": item, "period": period, "target": 50.0, "stock": 40.0,
         "shortfall": 10.0, "gap": 50.0, "closed_pct": 80.0, "marginal_cost": 0.0,
         "priority": 1.0, "requirements_row": 2}
        for ally in ("A", "B") for item in ("I", "J") for period in names])
    budgets = pd.DataFrame([
        {"ally": ally, "period": period, "budget": 1000.0, "spent": 10.0 * use,
         "remaining": 1000.0 - 10.0 * use, "marginal_value": 0.0}
        for ally in ("A", "B") for period, use in zip(names, used, strict=True)])
    summary = pd.DataFrame({"metric": ["status", "total_cost", "weighted_shortfall",
                                       "gap_closed_pct"],
                            "value": ["optimal", float(allocation["total_cost"].sum()),
                                      float(readiness["shortfall"].sum()), 80.0]},
                           dtype=object)
    run_info = pd.DataFrame([["input", "file", "many_periods.xlsx"]],
                            columns=["section", "key", "value"])
    return excel_workbook(path, {
        "Summary": table_sheet(SUMMARY_COLUMNS, summary),
        "Allocation": table_sheet(ALLOCATION, allocation),
        "Readiness": table_sheet(READINESS, readiness),
        "Budgets": table_sheet(BUDGETS, budgets),
        "Capacity": table_sheet(CAPACITY, capacity),
        "Run info": table_sheet(RUN_INFO_COLUMNS, run_info),
    })


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:  # a read-only workbook keeps its file open until closed
        return list(workbook[sheet].iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()


def summary_of(path: Path) -> dict[str, object]:
    return {row[0]: row[1] for row in sheet_rows(path, "Summary")}


# --------------------------------------------------------------------------------------
# The file, without a browser


def test_every_text_from_the_workbook_is_escaped(report_html):
    page = report_html.read_text(encoding="utf-8")
    assert html.escape(HOSTILE) in page
    assert HOSTILE not in page
    assert page.count("<script") == 1  # the page's own sorting script, nothing else


def test_the_page_names_no_address_outside_itself(report_html):
    page = report_html.read_text(encoding="utf-8")
    links = re.findall(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']*)""",
                       page, flags=re.IGNORECASE)
    assert links and all(link.startswith("#") for link in links)
    assert not re.search(r"https?:|ftp:|//[a-z0-9]|@import", page, flags=re.IGNORECASE)
    assert "default-src 'none'" in page  # and the browser is told to fetch nothing


def test_a_long_table_shows_its_largest_rows_and_says_how_many_were_left_out(
        report_xlsx, tmp_path):
    page = write_html_report(report_xlsx, tmp_path / "short.html", max_table_rows=2)
    text = page.read_text(encoding="utf-8")
    allocation = re.search(r'<table id="allocation-table".*?</table>', text, re.DOTALL)[0]
    shown = [float(value) for value in re.findall(
        r'<tr>(?:<td[^>]*>[^<]*</td>){6}<td class="number" data-value="([^"]+)"', allocation)]
    quantities = sorted((row[6] for row in sheet_rows(report_xlsx, "Allocation")),
                        reverse=True)
    assert shown == pytest.approx(quantities[:2])
    assert "2 of 4 orders shown (the largest quantity first)" in text


def test_a_chart_over_10_000_periods_draws_400_blocks_and_says_so(tmp_path):
    """The capacity chart of 10,000 periods: 400 blocks of 25 periods, each the mean of
    its line-periods' utilisation (block 1, P1–P25: 2 · 25 = 50 line-periods of capacity
    100, using 1 … 25 each: 13 %). Drawing a bar and a label for every period took over a minute
    and 570 MB; the whole page must now take a fraction of that."""
    report = many_period_report(tmp_path / "many_periods_report.xlsx", 10_000,
                                every_sheet=False)
    started = time.perf_counter()
    page = write_html_report(report, tmp_path / "many_periods.html").read_text("utf-8")
    assert time.perf_counter() - started < 15
    chart = re.search(r'<figure class="chart" id="chart-3">.*?</figure>', page, re.DOTALL)[0]
    assert ('<span class="grouping">periods grouped in blocks of 25 (10,000 periods)'
            '</span>') in chart
    data = re.search(r'<table id="chart-3-data".*?</table>', chart, re.DOTALL)[0]
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", data)
    assert len(rows) == 400
    assert [rows[0][0], rows[1][0], rows[-1][0]] == ["P1–P25", "P26–P50", "P9976–P10000"]
    assert re.findall(r'data-value="([^"]+)"', rows[0][1]) == ["50.0", "13.0"]
    title = re.search(r'<title id="chart-3-title">(.*?)</title>', chart)[0]
    assert title.count("Mean utilisation (%)") == 400
    # One bar (a path in a patch group) per block, and a few for the axes' frame.
    assert 400 <= chart.count('id="chart-3-patch_') <= 410


def test_the_page_is_never_written_over_its_report(report_xlsx):
    before = report_xlsx.read_bytes()
    with pytest.raises(InputError, match="would overwrite the report workbook"):
        write_html_report(report_xlsx, report_xlsx)
    assert report_xlsx.read_bytes() == before


def test_a_run_without_a_plan_shows_its_diagnosis_and_empty_charts(tmp_path):
    """Consumption in P1 that no delivery can cover (lead time 1, no stock)."""
    result = solve(tmp_path, sheets(
        periods=PERIODS, allies=[["A"]], items=[["I"]],
        production=[["L", "H", "I", 100, 10, 1]], requirements=[["A", "I", "P2", 10]],
        Consumption=[["A", "I", "P1", 5]]))
    assert result.status == "infeasible"
    report = write_report(result, tmp_path / "infeasible_report.xlsx")
    text = write_html_report(report, tmp_path / "infeasible.html").read_text(encoding="utf-8")
    assert '<section id="diagnosis">' in text
    assert 'id="diagnosis-table"' in text
    assert text.count("Nothing to draw") == 4
    assert "No orders in this report." in text


@pytest.mark.parametrize("settings", [
    ("explain.rule_prices=false",),
    ("report.currency=EUR", "rules.allow_transfers=true"),
], ids=["plain", "euro-transfers"])
def test_the_page_of_the_run_is_the_page_of_its_read_back_workbook(tmp_path, settings):
    """``solve --html`` draws the page from the run's own tables, never reading back the
    workbook it has just written; ``stockpile report`` draws it from the tables read
    back. Both are the same tables, every number as the workbook stores it, so both
    pages are one, byte for byte."""
    result = solve(tmp_path, alliance(), *settings)
    sheets = report_sheets(result)
    workbook = write_report(result, tmp_path / "alliance_report.xlsx", sheets)
    tables = tables_of(sheets)
    read_back = read_report(workbook, extra_sheets=list(REPORT_TABLES))
    assert sorted(read_back.tables) == sorted(tables)
    stored = as_stored(tables)
    for sheet, frame in read_back.tables.items():
        pd.testing.assert_frame_equal(frame, stored[sheet], check_dtype=False, obj=sheet)

    in_process = write_html(tables, tmp_path / "run.html", workbook=workbook)
    from_workbook = write_html_report(workbook, tmp_path / "read_back.html")
    assert in_process.read_bytes() == from_workbook.read_bytes()
    assert html_page(read_page_report(workbook).tables, workbook=workbook) == (
        in_process.read_text("utf-8"))


def test_the_page_of_a_run_without_a_workbook_names_none(tmp_path):
    result = solve(tmp_path, alliance(), "explain.rule_prices=false")
    page = html_page(tables_of(report_sheets(result)))
    assert "From the run's own tables; input " in page
    assert "report workbook" not in page.split("<main>")[0]


# --------------------------------------------------------------------------------------
# The commands


def test_solve_with_html_writes_the_page_next_to_the_report(tmp_path, capsys):
    workbook = write_workbook(tmp_path / "alliance.xlsx", alliance())
    out = tmp_path / "reports"
    assert main(["solve", str(workbook), "--out", str(out), "--html",
                 "--set", "explain.rule_prices=false"]) == 0
    page = out / "alliance_report.html"
    assert (out / "alliance_report.xlsx").exists() and page.exists()
    assert f"html report: {page}" in capsys.readouterr().out
    assert "<h1>Stockpile allocation report: alliance.xlsx</h1>" in page.read_text("utf-8")


def test_report_writes_the_page_of_an_existing_report_and_leaves_it_alone(
        report_xlsx, tmp_path, capsys):
    before = hashlib.sha256(report_xlsx.read_bytes()).hexdigest()
    out = tmp_path / "pages" / "plan.html"
    assert main(["report", str(report_xlsx), "--html", str(out)]) == 0
    assert f"html report: {out}" in capsys.readouterr().out
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert hashlib.sha256(report_xlsx.read_bytes()).hexdigest() == before
    assert not [path.name for path in out.parent.iterdir() if path.name.startswith(".")]


def test_report_on_a_file_that_is_not_a_report_exits_2_with_a_sentence(tmp_path, capsys):
    workbook = write_workbook(tmp_path / "alliance.xlsx", valid_sheets())
    out = tmp_path / "alliance.html"
    assert main(["report", str(workbook), "--html", str(out)]) == 2
    err = capsys.readouterr().err
    assert (f"{workbook}: has no Summary, Allocation or Readiness sheet, so it is not a "
            "report written by stockpile solve") in err
    assert "Traceback" not in err
    assert not out.exists()
    assert main(["report", str(tmp_path / "none.xlsx")]) == 2
    assert f"{tmp_path / 'none.xlsx'}: no such file" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# In the browser


@pytest.fixture(scope="module")
def browser_page(report_html, tmp_path_factory):
    """The page opened in headless Chromium; every request, console error and page
    error it made is recorded, any request not for the file itself is refused."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')")
    url = report_html.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []

    def refuse_all_but_the_file(route):
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", refuse_all_but_the_file)
            page.goto(url, wait_until="load")
            screenshot = tmp_path_factory.mktemp("screenshots") / "html_report.png"
            page.screenshot(path=str(screenshot), full_page=True)
            print(f"screenshot of the HTML report: {screenshot}")
            yield page, requests, errors, url
        finally:
            browser.close()


@needs_browser
def test_the_page_loads_without_errors_and_asks_for_nothing_but_itself(browser_page):
    page, requests, errors, url = browser_page
    assert errors == []
    assert requests == [url]
    assert page.evaluate("window.pwned") is None  # the hostile ally's script never ran


@needs_browser
def test_the_page_has_its_headings_and_the_report_s_headline(browser_page, report_xlsx):
    page = browser_page[0]
    summary = summary_of(report_xlsx)
    assert page.locator("h1").inner_text() == "Stockpile allocation report: alliance.xlsx"
    assert page.locator("h2").all_inner_texts() == [
        "Summary", "Charts", "Advice", "Allocation", "Readiness", "Budgets", "Binding"]
    assert page.locator(".status .value").inner_text() == "optimal"
    assert page.locator(".kpi-total_cost .value").inner_text() == (
        f"{summary['total_cost']:,.0f}")
    assert page.locator(".kpi-gap_closed_pct .value").inner_text() == (
        f"{summary['gap_closed_pct']:.1f} %")
    assert page.locator("#summary-rest").inner_text().count("yes: a different split") == 1
    assert page.locator("ol.advice li").count() == len(sheet_rows(report_xlsx, "Advice"))


@needs_browser
@pytest.mark.parametrize("sheet", ["Allocation", "Readiness", "Budgets", "Binding"])
def test_each_table_has_every_row_of_its_sheet(browser_page, report_xlsx, sheet):
    page = browser_page[0]
    rows = page.locator(f"#{sheet.lower()}-table tbody tr")
    assert rows.count() == len(sheet_rows(report_xlsx, sheet)) > 0


@needs_browser
def test_the_hostile_ally_shows_as_text(browser_page):
    page = browser_page[0]
    allies = page.locator("#budgets-table tbody td:first-child").all_inner_texts()
    assert sorted(set(allies)) == sorted(ALLIES)


@needs_browser
def test_four_charts_are_drawn_each_naming_what_it_shows(browser_page):
    page = browser_page[0]
    charts = page.locator("figure.chart svg")
    assert charts.count() == 4
    expected = [ALLIES, ALLIES, PERIODS, ITEMS]  # by ally, by ally, by period, by item
    for index, names in enumerate(expected):
        chart = charts.nth(index)
        title = chart.locator("title").text_content()
        assert all(name in title for name in names), title
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        assert chart.locator("path").count() > 10  # bars, axes and the glyphs of the text


@needs_browser
def test_clicking_a_header_sorts_its_table(browser_page):
    page = browser_page[0]
    table = page.locator("#allocation-table")
    column = [header.strip() for header in table.locator("thead th").all_inner_texts()].index(
        "Quantity") + 1

    def quantities() -> list[float]:
        cells = table.locator(f"tbody td:nth-child({column})")
        return [float(value) for value in cells.evaluate_all(
            "cells => cells.map(cell => cell.dataset.value)")]

    header = table.locator("thead th").nth(column - 1)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert quantities() == sorted(quantities())
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert quantities() == sorted(quantities(), reverse=True)
    ally = table.locator("thead th").nth(3)
    ally.locator("button").click()
    # Natural order, as a reader expects: the collator puts "<" before letters.
    assert table.locator("tbody td:nth-child(4)").all_inner_texts() == [
        HOSTILE, HOSTILE, "NOR", "NOR"]


def test_a_hand_edited_report_is_refused_naming_the_cell_or_read_with_a_warning(
        report_xlsx, tmp_path, capsys):
    """The page reads a report as compare does (``optimizer.reports.readback.read_report``): text
    in a figure its charts draw is refused; a totals row is left out, with a warning."""
    edited = Path(shutil.copy(report_xlsx, tmp_path / "edited_report.xlsx"))
    workbook = openpyxl.load_workbook(edited)
    capacity = workbook["Capacity"]
    used = fields(capacity).index("used")
    capacity.cell(row=2, column=used + 1, value="full")
    workbook.save(edited)
    out = tmp_path / "edited.html"
    assert main(["report", str(edited), "--html", str(out)]) == 2
    letter = capacity.cell(row=1, column=used + 1).column_letter
    assert (f"{edited} Capacity!{letter}2: 'full' is not a number; a report is read as "
            "stockpile solve wrote it — restore the figure or re-run solve"
            ) in capsys.readouterr().err
    assert not out.exists()

    shutil.copy(report_xlsx, edited)
    workbook = openpyxl.load_workbook(edited)
    budgets = workbook["Budgets"]
    header = fields(budgets)
    budgets.append(["Total" if name == "ally" else None for name in header])
    budgets.cell(row=budgets.max_row, column=header.index("spent") + 1, value=1e9)
    workbook.save(edited)
    assert main(["report", str(edited), "--html", str(out)]) == 0
    row = budgets.max_row
    assert (f"warning: {edited} Budgets!A{row}: row {row} reads 'Total' in ally: a totals "
            "row, left out of every sum") in capsys.readouterr().err
    spend = re.search(r'<table id="chart-2-data".*?</table>', out.read_text("utf-8"),
                      re.DOTALL)[0]
    assert "Total" not in spend and "1,000,000,000" not in spend


def test_the_page_names_the_currency_and_each_items_unit(tmp_path):
    """[report] currency = "EUR": the page reads the report's readable headers back and
    names the currency on every money header and headline figure; quantities of one item
    carry its unit; the share of gaps closed says it is weighted by priority."""
    result = solve(tmp_path, alliance(), "explain.rule_prices=false", "report.currency=EUR")
    report = write_report(result, tmp_path / "euro_report.xlsx")
    page = write_html_report(report, tmp_path / "euro.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    cost = re.search(r'<div class="card kpi kpi-total_cost".*?</div></div>', page)[0]
    assert f"{result.plan.total_cost:,.0f} EUR" in cost
    assert "Gaps closed, weighted by priority" in text
    assert "money in EUR" in text
    allocation = re.search(r'<table id="allocation-table".*?</table>', page, re.DOTALL)[0]
    headers = [html.unescape(h) for h in re.findall(r"<button[^>]*>([^<]*)</button>",
                                                    allocation)]
    assert headers[6:] == ["Quantity", "Unit cost (EUR per unit)",
                           "Transport cost (EUR per unit)", "Total cost (EUR)"]
    quantities = re.findall(r'<td class="number" data-value="[^"]+">([^<]*)</td>',
                            allocation)
    assert any(cell.endswith(" rounds") for cell in quantities)
    assert any(cell.endswith(" units") for cell in quantities)
    spend = re.search(r'<figure class="chart" id="chart-2">.*?</figure>', page, re.DOTALL)[0]
    assert "money over the horizon (EUR)" in html.unescape(spend)
    assert "Budget (EUR)" in html.unescape(spend)
    for item in ITEMS:
        assert f"gap_closed_pct.{item}" in text
