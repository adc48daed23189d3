"""One self-contained HTML page of a report (``stockpile solve --html``, ``stockpile
report REPORT.xlsx --html OUT.html``).

``write_html(tables, out_html)`` draws the page from a report's tables, sheet -> frame
under field names: a run's own (``optimizer.reports.tables.report_tables``, as ``solve
--html`` does, never reading back the workbook it has just written) or those read back
from a report workbook (``optimizer.reports.readback.read_report``, as
``write_html_report(report_xlsx, out_html)`` does: a file that is not a report is an
``InputError`` naming it). Each number is drawn as the workbook stores it
(``readback.as_stored``), so the page of a run and the page of its workbook are one.
The page is one HTML file that needs nothing else: no request
leaves the page (no external URL in any ``src`` or ``href``, and a Content Security
Policy that forbids every fetch and every script but the page's own). It shows:

- Summary: status and whether the plan is proven optimal, the headline numbers (total
  cost, weighted shortfall, share of gaps closed), the cost terms (the metrics
  ``optimizer.reports.tables.SUMMARY_METRICS`` declares ``cost_term``) and every other row
  of the Summary sheet (equal-cost plans and the tie-break, the diagnosis, the counts),
  each number in the report's own number format, money in the report's currency (its
  Run info's ``report.currency``).
- Charts, those of the workbook's Dashboard (``optimizer.reports.dashboard.chart_tables``,
  computed here from the report's sheets, so both show the same numbers): gap closed by
  ally, spend against budget by ally, capacity utilisation by period and gap left open
  by item, with alliance targets fair share against stock held and spending by ally,
  and with components component line utilisation; each an inline SVG drawn by
  matplotlib with its text as paths (no font needed), with its data in a table under
  it. Over more than ``optimizer.reports.dashboard.MAX_CHART_POINTS`` periods, the chart
  by period draws blocks of periods (``optimizer.reports.dashboard.group_periods``), and
  its caption says how many each.
- Advice (the ranked sentences) and Diagnosis (an infeasible input), when present.
- Sortable tables (click a header; a small inline script) of Allocation (the largest
  orders first, at most ``max_table_rows``, saying how many were left out), Readiness
  (the largest shortfall first), Bottlenecks (with components, in rank order), Budgets
  and Binding, under the report's readable
  headers, a quantity of one item followed by its unit (the Run info's item units).

Every text that came from the workbook is HTML-escaped: an ally named ``<script>`` shows
as that text. The page prints (``@media print``). The file is written atomically, never
over the report workbook it is made from.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from optimizer.files import shown_path
from optimizer.outputs import Output, check_outputs, write_text_atomically
from optimizer.reports.dashboard import ChartTable, chart_tables
from optimizer.reports.readback import ReportTables, as_stored, read_report
from optimizer.reports.tables import (
    ALLOCATION,
    BINDING,
    BOTTLENECKS,
    BUDGETS,
    CAPABILITIES,
    COST_TERMS,
    DIAGNOSIS,
    HEADLINE_METRICS,
    READINESS,
    STANDARDISATION,
    SUMMARY_METRICS,
    UNFORMATTED_METRIC,
    Column,
    summary_metric,
)
from optimizer.version import __version__
from optimizer.workbook.writer import (
    COUNT,
    DUAL,
    MONEY,
    PERCENT,
    QUANTITY,
    SECONDS,
    TINY,
    WHOLE,
)

MAX_TABLE_ROWS = 500  # rows shown of each table; the workbook has them all
MAX_ADVICE = 30  # advice sentences shown, the most valuable first

# The sheets the page is made from, beyond those every report has (read_report).
PAGE_SHEETS = ("Capabilities", "Burden by ally", "Budgets", "Capacity", "Bottlenecks",
               "Advice", "Binding", "Diagnosis", "Standardisation")
HEADLINE_LABELS = {"total_cost": "Total cost", "weighted_shortfall": "Weighted shortfall",
                   "gap_closed_pct": "Gaps closed, weighted by priority"}

# The Excel number formats of the report, as Python formats; QUANTITY shows up to two
# decimals, without trailing zeros (the workbook's whole and fractional quantities).
PYTHON_FORMATS = {MONEY: ",.0f", COUNT: ",.0f", QUANTITY: ",.2f", PERCENT: ".1f",
                  DUAL: ",.2f", SECONDS: ".3f", TINY: ".2E", WHOLE: ".0f"}
TRIMMED_FORMATS = {QUANTITY}
GENERAL_FORMAT = ",.6g"  # a number in a column without a report number format

# matplotlib: text as paths (no font needed by the reader), ids reproducible, and no
# "$…$" in an ally's name read as mathematics.
CHART_STYLE = {"svg.fonttype": "path", "svg.hashsalt": "stockpile", "text.parse_math": False,
               "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}  # none written
CHART_WIDTH = 6.0  # inches
SERIES_COLOURS = ("#1F3864", "#F4B183", "#70AD47")
CHART_BAR_HEIGHT = 0.28  # inches per category of a horizontal bar chart
CHART_COLUMN_HEIGHT = 2.6  # inches, a vertical column chart
ROTATED_LABELS = 8  # a column chart with more categories turns its labels
MAX_COLUMN_LABELS = 25  # a column chart labels every k-th category to show at most these
LEGEND_CHARACTERS = 60  # a legend's names side by side fit across the chart up to these


# --------------------------------------------------------------------------------------
# The page


def write_html(tables: Mapping[str, pd.DataFrame], out_html: str | Path, *,
               workbook: str | Path | None = None,
               max_table_rows: int = MAX_TABLE_ROWS) -> Path:
    """Write the page of a report's tables (sheet -> frame, as ``report_tables`` makes
    them or ``read_report`` reads them back) to ``out_html`` atomically and return its
    path. ``workbook``: the report workbook the tables are (the page names it, and is
    never written over it; None: the run's tables, with no workbook named). An
    ``InputError`` when ``out_html`` is that workbook or a folder."""
    out_html = Path(out_html)
    workbook = Path(workbook) if workbook is not None else None
    check_outputs([Output(out_html, "the HTML report", "--html")],
                  {"the report workbook": workbook} if workbook is not None else {})
    write_text_atomically(out_html, html_page(tables, workbook=workbook,
                                              max_table_rows=max_table_rows))
    return out_html


def write_html_report(report_xlsx: str | Path, out_html: str | Path, *,
                      max_table_rows: int = MAX_TABLE_ROWS) -> Path:
    """Write the HTML page of the report workbook ``report_xlsx`` to ``out_html``
    atomically and return its path. An ``InputError`` when ``report_xlsx`` is missing or
    not a report, or when ``out_html`` is the report itself or a folder."""
    report = read_page_report(report_xlsx)
    return write_html(report.tables, out_html, workbook=report.path,
                      max_table_rows=max_table_rows)


def read_page_report(report_xlsx: str | Path) -> ReportTables:
    """The report workbook with every sheet the page is made from (``read_report``:
    refused cells are an ``InputError``, totals rows left out are in its
    ``warnings``)."""
    return read_report(report_xlsx, extra_sheets=PAGE_SHEETS)


def html_page(tables: Mapping[str, pd.DataFrame], *, workbook: str | Path | None = None,
              max_table_rows: int = MAX_TABLE_ROWS) -> str:
    """The whole page of a report's tables (``write_html``), as text."""
    workbook = Path(workbook) if workbook is not None else None
    report = ReportTables(as_stored(tables), path=workbook)
    sheets = report.tables
    input_file = report.run_info.get(("input", "file"))
    name = (Path(str(input_file)).name if input_file
            else shown_path(workbook.name) if workbook is not None else "this run")
    sections = [
        ("summary", "Summary", _summary_section(report)),
        ("charts", "Charts", _charts_section(report)),
        ("advice", "Advice", _advice_section(sheets.get("Advice"))),
    ]
    if _has_rows(sheets.get("Diagnosis")):
        sections.append(("diagnosis", "Diagnosis", _table_section(
            "diagnosis", sheets["Diagnosis"], DIAGNOSIS, "conflicts and limits",
            max_table_rows, report)))
    sections += [
        ("allocation", "Allocation", _table_section(
            "allocation", sheets.get("Allocation"), ALLOCATION, "orders", max_table_rows,
            report, largest_first="quantity")),
        ("readiness", "Readiness", _table_section(
            "readiness", sheets.get("Readiness"), READINESS, "readiness targets",
            max_table_rows, report, largest_first="shortfall")),
    ]
    if _has_rows(sheets.get("Capabilities")):
        sections.append(("capabilities", "Capabilities", _table_section(
            "capabilities", sheets["Capabilities"], CAPABILITIES, "capability targets",
            max_table_rows, report, largest_first="shortfall")))
    if _has_rows(sheets.get("Bottlenecks")):
        sections.append(("bottlenecks", "Bottlenecks", _table_section(
            "bottlenecks", sheets["Bottlenecks"], BOTTLENECKS, "component and final lines",
            max_table_rows, report)))
    sections += [
        ("budgets", "Budgets", _table_section(
            "budgets", sheets.get("Budgets"), BUDGETS, "budgets", max_table_rows, report)),
        ("binding", "Binding", _table_section(
            "binding", sheets.get("Binding"), BINDING, "binding limits", max_table_rows,
            report)),
    ]
    if _has_rows(sheets.get("Standardisation")):
        sections.append(("standardisation", "Standardisation", _table_section(
            "standardisation", sheets["Standardisation"], STANDARDISATION,
            "candidate qualifications", max_table_rows, report)))
    navigation = " ".join(f'<a href="#{anchor}">{title}</a>' for anchor, title, _ in sections)
    body = "\n".join(f'<section id="{anchor}">\n<h2>{title}</h2>\n{content}\n</section>'
                     for anchor, title, content in sections)
    script_hash = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; "
              f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="stockpile {_text(__version__)}">
<title>Stockpile report: {_text(name)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Stockpile allocation report: {_text(name)}</h1>
<p class="source">{_source_line(report)}</p>
<nav>{navigation}</nav>
</header>
<main>
{body}
</main>
<script>{SORT_SCRIPT}</script>
</body>
</html>
"""


def _source_line(report: ReportTables) -> str:
    """Which report, input and solver the page was made from, and when."""
    facts = [f"From the report workbook {_text(shown_path(report.path.name))}"
             if report.path is not None else "From the run's own tables"]
    if report.currency:
        facts.append(f"money in {_text(report.currency)}")
    for (section, key), label in {("input", "file"): "input",
                                  ("input", "SHA-256"): "input SHA-256",
                                  ("solver", "version"): "solver",
                                  ("tool", "report written (UTC)"): "written (UTC)"}.items():
        value = report.run_info.get((section, key))
        if value not in (None, ""):
            facts.append(f"{label} {_text(value)}")
    return "; ".join(facts) + "."


# --------------------------------------------------------------------------------------
# Summary


def _summary_section(report: ReportTables) -> str:
    """Status and the headline numbers as cards, then the cost terms, then every other
    Summary row (metric, value, what it means)."""
    summary = report.summary
    status = report.status
    cards = [_card("Status", _text(status), SUMMARY_METRICS["status"].note,
                   f"status status-{_css_name(status)}")]
    currency = report.currency
    for metric in HEADLINE_METRICS:
        if metric in summary:
            value = summary[metric]
            shown = (_summary_value(metric, value, currency)
                     + (" %" if metric == "gap_closed_pct" else "")
                     if _is_number(value) else "–")  # no plan, no number
            cards.append(_card(HEADLINE_LABELS[metric], shown, summary_metric(metric).note,
                               f"kpi kpi-{metric}"))
    shown = {"status", *HEADLINE_METRICS}
    costs = [metric for metric in summary if metric in COST_TERMS]
    rest = [metric for metric in summary if metric not in shown and metric not in costs]
    parts = [f'<div class="cards">{"".join(cards)}</div>']
    if costs:
        parts.append('<h3>Cost terms</h3>'
                     + _metric_table("cost-terms", summary, costs, currency))
    parts.append('<h3>About the plan</h3>'
                 + _metric_table("summary-rest", summary, rest, currency))
    return "\n".join(parts)


def _card(label: str, value_html: str, note: str, css: str) -> str:
    return (f'<div class="card {css}" title="{_text(note)}"><div class="label">{label}</div>'
            f'<div class="value">{value_html}</div></div>')


def _metric_table(table_id: str, summary: dict[str, object], metrics: list[str],
                  currency: str = "") -> str:
    rows = "".join(
        f'<tr><th scope="row">{_text(metric)}</th>'
        f'<td class="{"number" if _is_number(summary[metric]) else "text"}">'
        f'{_summary_value(metric, summary[metric], currency)}</td>'
        f'<td class="note">{_text(summary_metric(metric).note)}</td></tr>'
        for metric in metrics)
    return f'<table id="{table_id}" class="metrics"><tbody>{rows}</tbody></table>'


def _summary_value(metric: str, value: object, currency: str = "") -> str:
    """A Summary value in its row's number format, money with the currency, escaped."""
    spec = summary_metric(metric, UNFORMATTED_METRIC).number_format
    text = _plain_number(value, spec)
    if spec == MONEY and currency and _is_number(value):
        text += f" {currency}"
    return _text(text)


# --------------------------------------------------------------------------------------
# Charts


def _charts_section(report: ReportTables) -> str:
    """The Dashboard's charts (``optimizer.reports.dashboard.chart_tables``) from the
    report's Readiness, Budgets, Capacity (and Capabilities, Burden by ally) tables,
    typed (``ReportTables.typed``; no rows for a sheet the report lacks), money in its
    currency:

    - Gap closed by ally, weighted by priority: 100 · (1 − Σ p · min(shortfall, gap) /
      Σ p · gap) over the ally's Readiness rows (``optimizer.model.plan.gap_closed``),
      100 with no gap; with capability targets, the share of them held beside it
      (``optimizer.model.plan.capability_met``).
    - Spend against budget by ally: Σ budget and Σ spent over the periods (Budgets).
    - Capacity utilisation by period: the mean over the lines with capacity of 100 ·
      used / capacity (Capacity); blank for a period without capacity.
    - Gap left open by item: 100 · Σ min(shortfall, gap) / Σ gap over every ally and
      period, beside Σ shortfall and Σ gap in the item's own unit (Run info).
    - With alliance targets (the report has a Burden by ally sheet): each ally's fair
      share beside its shares of the alliance's stock and spending, as that sheet holds
      them (``optimizer.model.plan.Plan.burden``).
    - With components (the report has a Bottlenecks sheet): each component line's
      utilisation over the horizon beside its peak, as that sheet holds them
      (``optimizer.explain.bottlenecks``).
    """
    burden = report.typed("Burden by ally") if "Burden by ally" in report.tables else None
    limiting = report.typed("Bottlenecks") if "Bottlenecks" in report.tables else None
    charts = chart_tables(report.readiness, report.typed("Budgets"), report.typed("Capacity"),
                          report.currency, report.units, report.typed("Capabilities"),
                          burden, limiting)
    figures = [_chart_figure(f"chart-{index}", table)
               for index, table in enumerate(charts, start=1)]
    return f'<div class="charts">{"".join(figures)}</div>'


def _chart_figure(chart_id: str, table: ChartTable) -> str:
    """One chart: its title, the SVG (or why there is none) and its data as a table."""
    frame = table.frame
    caption = f"<figcaption>{_text(table.title)} <span>({_text(table.axis_title)})</span>"
    if table.grouping:
        caption += f' <span class="grouping">{_text(table.grouping)}</span>'
    if frame.empty:
        return (f'<figure class="chart" id="{chart_id}">{caption}</figcaption>'
                f'<p class="empty">Nothing to draw: the report has no rows for this chart.</p>'
                f"</figure>")
    data = _html_table(f"{chart_id}-data", frame, table.columns, sortable=False,
                       currency=table.currency,
                       row_units=list(table.row_units) if table.row_units else None)
    return (f'<figure class="chart" id="{chart_id}">{caption}</figcaption>'
            f"{chart_svg(table, chart_id)}"
            f"<details><summary>The numbers</summary>{data}</details></figure>")


def chart_svg(table: ChartTable, id_prefix: str) -> str:
    """The chart of ``table`` as inline SVG: horizontal bars (``chart_type`` "bar",
    categories read top-down) or vertical columns ("column", labelled at every k-th
    category so that at most ``MAX_COLUMN_LABELS`` labels show), one bar per series of
    each category, drawn by matplotlib. Its ``<title>`` names the chart (with how its
    categories are grouped) and every category with its values, for screen readers and
    text search (the drawn text is paths). A chart of percentages spans 0 to 100."""
    frame = table.frame
    categories = frame.iloc[:, 0].astype(str).tolist()
    positions = np.arange(len(categories), dtype=float)
    width = 0.8 / len(table.series)
    horizontal = table.chart_type == "bar"
    with matplotlib.rc_context(CHART_STYLE):
        height = (0.9 + CHART_BAR_HEIGHT * len(categories) * (1 + 0.5 * (len(table.series) - 1))
                  if horizontal else CHART_COLUMN_HEIGHT)
        figure = Figure(figsize=(CHART_WIDTH, height), layout="constrained")
        axes = figure.add_subplot()
        for number, series in enumerate(table.series):
            offsets = positions + (number - (len(table.series) - 1) / 2) * width
            values = pd.to_numeric(frame[series], errors="coerce").fillna(0.0).to_numpy()
            draw = axes.barh if horizontal else axes.bar
            draw(offsets, values, width, label=table.heading(series),
                 color=SERIES_COLOURS[number % len(SERIES_COLOURS)])
        if horizontal:
            axes.set_yticks(positions, categories)
            axes.invert_yaxis()
            axes.set_xlabel(table.axis_title)
            axes.grid(axis="x", color="#DDDDDD")
        else:
            rotate = len(categories) > ROTATED_LABELS
            every = math.ceil(len(categories) / MAX_COLUMN_LABELS)
            axes.set_xticks(positions[::every], categories[::every],
                            rotation=45 if rotate else 0, ha="right" if rotate else "center")
            axes.set_ylabel(table.axis_title)
            axes.grid(axis="y", color="#DDDDDD")
        axes.set_axisbelow(True)
        value_axis = axes.xaxis if horizontal else axes.yaxis
        if all(table.formats.get(series) == PERCENT for series in table.series):
            largest = pd.to_numeric(frame[list(table.series)].stack(), errors="coerce").max()
            largest = largest if largest > 100.0 else 100.0  # also for no number at all
            (axes.set_xlim if horizontal else axes.set_ylim)(0, largest)
        else:
            value_axis.set_major_formatter(FuncFormatter(lambda value, _: _compact(value)))
        if len(table.series) > 1:  # above the plot, clear of the bars
            names = [table.heading(series) for series in table.series]
            # Side by side while they fit across the chart, else one under the other.
            across = sum(len(name) for name in names) <= LEGEND_CHARACTERS
            axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0),
                        ncols=len(names) if across else 1, frameon=False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=SVG_METADATA)
    described = "; ".join(
        f"{category}: " + ", ".join(
            f"{table.heading(series)} "
            f"{_plain_number(row[series], table.formats.get(series))}"
            for series in table.series)
        for category, (_, row) in zip(categories, frame.iterrows(), strict=True))
    return _inline_svg(buffer.getvalue(), id_prefix, f"{table.caption}. {described}")


def _compact(value: float) -> str:
    """An axis label a reader takes in at a glance: 2.5 bn, 400 M, 12 k, 7.5."""
    for scale, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:,.3g}{suffix}"
    return f"{value:.3g}"


def _inline_svg(svg: str, id_prefix: str, title: str) -> str:
    """matplotlib's SVG file made fit to stand inside the page: no XML declaration or
    DOCTYPE, no namespace URLs (the HTML parser knows SVG's), no comments, every id
    prefixed (several charts share one document), and a ``<title>``."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"\s*<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\bid="', f'id="{id_prefix}-', svg)
    svg = svg.replace('href="#', f'href="#{id_prefix}-').replace("url(#", f"url(#{id_prefix}-")
    return svg.replace(
        "<svg", f'<svg role="img" aria-labelledby="{id_prefix}-title"', 1).replace(
        ">", f'><title id="{id_prefix}-title">{_text(title)}</title>', 1)


# --------------------------------------------------------------------------------------
# Advice and the tables


def _advice_section(advice: pd.DataFrame | None) -> str:
    """The Advice sheet's sentences in rank order (at most ``MAX_ADVICE``), each with
    the cell or key to change."""
    if not _has_rows(advice):
        return '<p class="empty">No advice: nothing binds the plan, or it has no plan.</p>'
    if "rank" in advice.columns:
        rank = pd.to_numeric(advice["rank"], errors="coerce")
        advice = advice.loc[rank.sort_values(kind="mergesort").index]
    items = []
    for _, row in advice.head(MAX_ADVICE).iterrows():
        kind = row.get("kind")
        set_by = row.get("set_by")
        items.append(
            "<li>" + (f'<span class="tag">{_text(kind)}</span> ' if kind else "")
            + _text(row.get("advice", ""))
            + (f' <span class="set-by">({_text(set_by)})</span>' if set_by else "")
            + "</li>")
    return (f'<ol class="advice">{"".join(items)}</ol>'
            + _left_out(len(advice), MAX_ADVICE, "sentences", "in rank order"))


def _table_section(table_id: str, sheet: pd.DataFrame | None, columns: tuple[Column, ...],
                   what: str, max_rows: int, report: ReportTables,
                   largest_first: str | None = None) -> str:
    """A sheet as a sortable table of at most ``max_rows`` rows: the rows with the
    largest ``largest_first`` when given, else the first in the sheet's order; headers
    readable, money in the report's currency, a quantity of one item in its unit."""
    if not _has_rows(sheet):
        return f'<p class="empty">No {what} in this report.</p>'
    order = "in the report's order"
    if largest_first is not None and largest_first in sheet.columns:
        size = pd.to_numeric(sheet[largest_first], errors="coerce").fillna(-np.inf)
        sheet = sheet.loc[size.sort_values(ascending=False, kind="mergesort").index]
        order = f"the largest {largest_first} first"
    known = {column.name: column for column in columns}
    shown = tuple(known.get(name, Column(name, "")) for name in sheet.columns)
    head = sheet.head(max_rows)
    units = report.units
    row_units = ([units.get(str(item), "") for item in head["item"]]
                 if units and "item" in head.columns else None)
    return (_left_out(len(sheet), max_rows, what, order)
            + _html_table(f"{table_id}-table", head, shown, sortable=True,
                          currency=report.currency, row_units=row_units))


def _left_out(total: int, shown: int, what: str, order: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="left-out">{shown:,} of {total:,} {what} shown ({order}); the '
            f"{total - shown:,} left out are in the report workbook.</p>")


def _html_table(table_id: str, frame: pd.DataFrame, columns: Iterable[Column],
                sortable: bool, currency: str = "",
                row_units: list[str] | None = None) -> str:
    """A table with one header row of readable headers (``Column.heading``, money in
    ``currency``; each header's field and note as its tooltip); numbers in the column's
    number format, right-aligned, with the exact value to sort by; a quantity of one
    item followed by the row's unit (``row_units``)."""
    columns = tuple(columns)
    if sortable:
        header = "".join(f'<th scope="col" title="{_text(column.comment)}">'
                         f'<button type="button">{_text(column.heading(currency))}</button>'
                         f'</th>' for column in columns)
    else:
        header = "".join(f'<th scope="col" title="{_text(column.comment)}">'
                         f'{_text(column.heading(currency))}</th>' for column in columns)
    rows = []
    for number, values in enumerate(frame.itertuples(index=False)):
        cells = []
        for column, value in zip(columns, values, strict=True):
            if _is_number(value):
                unit = (f" {row_units[number]}" if row_units and row_units[number]
                        and column.kind == "quantity" else "")
                cells.append(f'<td class="number" data-value="{float(value)!r}">'
                             f"{_formatted(value, column.number_format)}{_text(unit)}</td>")
            else:
                cells.append(f"<td>{_formatted(value, column.number_format)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    css = "data sortable" if sortable else "data"
    return (f'<div class="scroll"><table id="{table_id}" class="{css}"><thead><tr>{header}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


# --------------------------------------------------------------------------------------
# Values


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool) and np.isfinite(value))


def _plain_number(value: object, number_format: str | None) -> str:
    """A number in the Python format of the report's Excel ``number_format``; any
    other value as its text (not escaped); blank for None or NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if not _is_number(value):
        return str(value)
    text = f"{float(value):{PYTHON_FORMATS.get(number_format, GENERAL_FORMAT)}}"
    if number_format in TRIMMED_FORMATS and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and not any(digit in "123456789" for digit in text.split("E")[0]):
        text = text[1:]  # a tiny negative number shows as 0, not -0
    return text


def _formatted(value: object, number_format: str | None) -> str:
    """``_plain_number``, HTML-escaped: every text from the workbook goes through here."""
    return _text(_plain_number(value, number_format))


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _css_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and not frame.empty


# --------------------------------------------------------------------------------------
# Writing


# --------------------------------------------------------------------------------------
# The page's style and its one script

STYLE = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --line: #d0d7de; --head: #1F3864; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 78rem; padding: 1rem 1.5rem 3rem; color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 2px solid var(--head);
     padding-bottom: 0.2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
.source { color: var(--muted); font-size: 0.85rem; margin: 0 0 0.5rem; word-break: break-all; }
nav { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; font-size: 0.9rem; }
nav a { color: var(--head); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
         gap: 0.75rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; }
.card .label { color: var(--muted); font-size: 0.8rem; text-transform: uppercase;
               letter-spacing: 0.03em; }
.card .value { font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.status-optimal { border-left: 6px solid #2e7d32; }
.status-feasible { border-left: 6px solid #ed8c00; }
.status-infeasible, .status-error, .status-unknown { border-left: 6px solid #c62828; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr));
          gap: 1rem 2rem; }
figure.chart { margin: 0; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 0.3rem; }
figcaption span { font-weight: normal; color: var(--muted); }
figcaption .grouping { display: block; font-size: 0.85rem; }
figure svg { width: 100%; height: auto; display: block; }
details { font-size: 0.85rem; margin-top: 0.3rem; }
.scroll { overflow-x: auto; max-height: 36rem; overflow-y: auto;
          border: 1px solid var(--line); }
table { border-collapse: collapse; font-size: 0.85rem; }
table.data { width: 100%; }
table.data th { position: sticky; top: 0; background: var(--head); color: #fff;
                text-align: left; white-space: nowrap; }
table.data th, table.data td { padding: 0.25rem 0.5rem; border-bottom: 1px solid var(--line); }
table.data tbody tr:nth-child(even) { background: #f6f8fa; }
th button { all: unset; cursor: pointer; }
th button:focus-visible { outline: 2px solid #fff; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.metrics th, table.metrics td { padding: 0.2rem 0.75rem 0.2rem 0; text-align: left;
                                     vertical-align: top; }
table.metrics td.number { text-align: right; }
table.metrics td.text { max-width: 32rem; }
table.metrics td.note { color: var(--muted); max-width: 36rem; }
ol.advice li { margin-bottom: 0.3rem; }
.tag { display: inline-block; font-size: 0.75rem; padding: 0 0.4rem; border-radius: 3px;
       background: #e7ecf5; color: var(--head); }
.set-by, .left-out, .empty { color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav, details summary::marker { display: none; }
  h2 { break-after: avoid; }
  .scroll { max-height: none; overflow: visible; border: 0; }
  table.data th { position: static; color: #000; background: #dde3ee; }
  .charts { grid-template-columns: 1fr 1fr; gap: 0.5cm; }
  figure.chart, tr, .card { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""

SORT_SCRIPT = """
"use strict";
// Click a header of a sortable table: sort its rows by that column, ascending, then
// descending. Numbers sort by their exact value (data-value), texts in natural order
// ("P2" before "P10"); blank cells go last either way.
(function () {
  const collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  function key(row, column) {
    const cell = row.cells[column];
    if (cell.dataset.value !== undefined) return Number(cell.dataset.value);
    const text = cell.textContent.trim();
    return text === "" ? null : text;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return collator.compare(String(a), String(b));
  }
  function sortBy(table, header, column) {
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows, (row) => [key(row, column), row]);
    rows.sort(([a], [b]) => {
      if (a === null || b === null) return (a === null) - (b === null);
      return ascending ? compare(a, b) : compare(b, a);
    });
    body.append(...rows.map(([, row]) => row));
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    Array.from(table.tHead.rows[0].cells).forEach((header, column) => {
      header.querySelector("button").addEventListener(
        "click", () => sortBy(table, header, column));
    });
  }
})();
"""

__all__ = ["chart_svg", "html_page", "read_page_report", "write_html", "write_html_report"]
