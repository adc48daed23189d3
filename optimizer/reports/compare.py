"""What changed between two report workbooks of ``stockpile solve`` (``stockpile compare``).

``compare_reports(path_a, path_b)`` reads the Summary, Allocation and Readiness sheets of
two reports (read only: the reports are never written to) and computes, with every delta
taken as B − A:

- KPIs: status, total_cost, weighted_shortfall, gap_closed_pct and each cost term of the
  Summary: the value in A and in B, the delta and the relative change
  100 · (B − A) / |A| in percent.
- By ally: the weighted gap Σ p · gap, the weighted shortfall Σ p · shortfall and the
  share of the gap closed, weighted by priority p, closed_pct = 100 · (1 − Σ p ·
  min(shortfall, gap) / Σ p · gap) over the ally's Readiness rows (100 with no gap; the
  Summary's gap_closed_pct restricted to one ally), so that no sum adds one item's units
  to another's, and the quantity and cost the ally orders (Allocation), in A, in B and
  their deltas.
- By line (facility, item) and by delivery period: quantity and cost ordered (Allocation)
  in A, in B and their deltas.

A difference the solver cannot tell from 0 (``optimizer.tolerance``) is no change: a KPI
delta within ``noise`` of the larger of A and B is shown as 0 ("no change within the
solver's tolerance"), where, when both reports are whole-unit plans (Run info: integer
variables), the noise includes the larger of their ``solver.mip_gap`` (each figure is
only proven to within it); in the three tables, rows and deltas within the solver's
round-off (``tolerance.RELATIVE``) are no change, a different plan within the MIP gap
still being a different plan. The three tables list only the rows where something
changed (``changed``) and put the largest changes first. ``write_comparison`` writes
them, with an About sheet naming both reports and their SHA-256, through
``optimizer.workbook.writer.write_workbook`` (atomic save, the report's number formats and header
notes).

Money is named in the reports' currency (their Run info's ``report.currency``; two
reports that name different currencies are not compared). The reports are read with
``optimizer.reports.readback.read_report``: a hand-edited one is refused, or read with a
warning that names what was left out (totals rows), never read into a wrong delta. The
cost terms compared are the Summary metrics declared so
(``optimizer.reports.tables.SUMMARY_METRICS``, ``cost_term``), whatever their notes say.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.files import shown_path
from optimizer.model.plan import gap_closed
from optimizer.outputs import Output, check_outputs
from optimizer.reports.readback import ReportTables, read_report
from optimizer.reports.tables import (
    COST_TERMS,
    HEADLINE_METRICS,
    UNFORMATTED_METRIC,
    Column,
    summary_metric,
    table_sheet,
)
from optimizer.tolerance import RELATIVE, negligible, snapped
from optimizer.version import __version__
from optimizer.workbook.writer import (
    ITEM_UNIT,
    MONEY,
    MONEY_UNIT,
    PERCENT,
    QUANTITY,
    money_format,
    write_workbook,
)

NO_CHANGE = "no change within the solver's tolerance"

ALLY_KEYS = ["ally"]
LINE_KEYS = ["facility", "item"]
PERIOD_KEYS = ["delivery_period"]


@dataclass(frozen=True)
class Comparison:
    """Two reports and what changed from A to B (every delta is B − A)."""

    a: ReportTables
    b: ReportTables
    kpis: pd.DataFrame  # metric, a, b, delta, change_pct
    by_ally: pd.DataFrame  # ally, closure and allocation in A and B, deltas (changed only)
    by_line: pd.DataFrame  # facility, item, allocation in A and B, deltas (changed only)
    by_period: pd.DataFrame  # delivery_period, allocation in A and B, deltas (changed only)
    mip_gap: float = 0.0  # in the noise of the KPI deltas (``comparison_mip_gap``)
    currency: str = ""  # the money unit of both reports (``comparison_currency``)

    @property
    def warnings(self) -> list[Problem]:
        """What either report had that was left out (totals rows), A's first."""
        return [*self.a.warnings, *self.b.warnings]

    def summary_lines(self, allies: int = 5) -> list[str]:
        """The terminal summary: each KPI as A → B (delta), then the ``allies`` allies
        whose gap closure changed most."""
        lines = [f"A: {shown_path(self.a.path)}", f"B: {shown_path(self.b.path)}"]
        for row in self.kpis.itertuples(index=False):
            if row.metric == "status":
                lines.append(f"status: {row.a} → {row.b}")
                continue
            spec = _terminal_format(row.metric)
            unit = (f" {self.currency}" if self.currency
                    and summary_metric(row.metric).number_format == MONEY else "")
            delta = ("" if _is_blank(row.delta)
                     else f" ({NO_CHANGE})" if row.delta == 0 and row.a != row.b
                     else f" ({row.delta:+{spec}}{unit})")
            lines.append(f"{row.metric}: {_shown(row.a, spec, unit)} → "
                         f"{_shown(row.b, spec, unit)}{delta}")
        closure = self.by_ally[changed(self.by_ally["closed_pct_a"],
                                       self.by_ally["closed_pct_b"])]
        if closure.empty:
            lines.append("no ally's gap closure changed")
            return lines
        lines.append("allies whose gap closure changed most:")
        for row in closure.head(allies).itertuples(index=False):
            delta = ("" if _is_blank(row.closed_pct_delta)
                     else f" ({row.closed_pct_delta:+.1f} points)")
            lines.append(f"  {row.ally}: {_shown(row.closed_pct_a, '.1f', '%')} → "
                         f"{_shown(row.closed_pct_b, '.1f', '%')} closed{delta}")
        return lines


# --------------------------------------------------------------------------------------
# Comparing


def compare_reports(path_a: str | Path, path_b: str | Path) -> Comparison:
    """Read two report workbooks and compute what changed from A to B (see the module
    docstring for every number). By ally lists the largest change of closed_pct first,
    then of cost; By line and By period the largest change of cost first, then of
    quantity. An ``InputError`` lists every file that is not a report and every cell
    refused in either (``read_report``)."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    reports: list[ReportTables] = []
    for path in (path_a, path_b):
        try:
            reports.append(read_report(path))
            warnings.extend(reports[-1].warnings)
        except InputError as error:
            problems.extend(error.problems)
            warnings.extend(error.warnings)
    if problems:
        raise InputError(problems, warnings)
    a, b = reports
    currency = comparison_currency(a, b)
    mip_gap = comparison_mip_gap(a, b)
    ally_orders = _allocation_change(a.allocation, b.allocation, ALLY_KEYS)
    by_ally = _closure_change(a.readiness, b.readiness).merge(
        ally_orders, on="ally", how="outer")
    ordered = [column for column in ally_orders.columns if column not in ALLY_KEYS]
    by_ally[ordered] = by_ally[ordered].fillna(0.0)
    return Comparison(
        a=a,
        b=b,
        kpis=_kpi_change(a.summary, b.summary, mip_gap),
        by_ally=_largest_changes_first(by_ally, ["closed_pct", "cost", "quantity"], ALLY_KEYS),
        by_line=_largest_changes_first(_allocation_change(a.allocation, b.allocation,
                                                          LINE_KEYS),
                                       ["cost", "quantity"], LINE_KEYS),
        by_period=_largest_changes_first(_allocation_change(a.allocation, b.allocation,
                                                            PERIOD_KEYS),
                                         ["cost", "quantity"], PERIOD_KEYS),
        mip_gap=mip_gap,
        currency=currency,
    )


def comparison_currency(a: ReportTables, b: ReportTables) -> str:
    """The money unit of a comparison: the one the reports name (either may name none);
    an ``InputError`` when they name two different ones, since their money figures
    cannot be subtracted."""
    named = {report.currency for report in (a, b)} - {""}
    if len(named) > 1:
        raise InputError([Problem(shown_path(b.path), f"names its money in {b.currency} "
                                                      f"and {shown_path(a.path)} in "
                                                      f"{a.currency}; compare two reports "
                                                      "in the same currency ([report] "
                                                      "currency)")])
    return named.pop() if named else ""


def report_mip_gap(report: ReportTables) -> float:
    """``solver.mip_gap`` of a report whose model had integer variables (its Run info:
    model size, configuration); 0 for a linear program or a report that does not say."""
    integers = _number(report.run_info.get(("model size", "integer variables")))
    gap = _number(report.run_info.get(("configuration", "solver.mip_gap")))
    return gap if integers and gap is not None and gap > 0 else 0.0


def comparison_mip_gap(a: ReportTables, b: ReportTables) -> float:
    """The MIP gap within which the KPIs of A and B are noise: the larger of the two
    reports' ``solver.mip_gap`` when both are whole-unit plans, else 0."""
    gap_a, gap_b = report_mip_gap(a), report_mip_gap(b)
    return max(gap_a, gap_b) if gap_a > 0 and gap_b > 0 else 0.0


def changed(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element by element, B − A is not ``negligible`` next to max(|A|, |B|) (more than
    the solver's round-off, ``tolerance.RELATIVE`` of max(1, |A|, |B|)); a value in one
    report only (NaN in the other) is a change, a value in neither is not."""
    a, b = a.astype(float), b.astype(float)
    reference = np.maximum(a.abs().fillna(0.0), b.abs().fillna(0.0))
    differs = ~negligible((b - a).fillna(0.0), reference)
    return pd.Series(differs, index=a.index) | (a.isna() != b.isna())


def deltas(a: pd.Series, b: pd.Series, mip_gap: float = 0.0) -> pd.Series:
    """B − A, with what the solver cannot tell from 0 next to max(|A|, |B|) set to 0
    (``tolerance.snapped``); NaN where either is NaN."""
    a, b = a.astype(float), b.astype(float)
    return pd.Series(snapped(b - a, np.maximum(a.abs(), b.abs()), mip_gap), index=a.index)


def _kpi_change(summary_a: dict[str, object], summary_b: dict[str, object],
                mip_gap: float = 0.0) -> pd.DataFrame:
    """status, then the headline metrics, then each cost metric either report has: value
    in A and B, delta = B − A (0 within the solver's tolerance, ``deltas``),
    change_pct = 100 · delta / |A| (blank when A is 0 or blank, unless delta is 0)."""
    rows: list[dict[str, object]] = [{
        "metric": "status", "a": summary_a.get("status"), "b": summary_b.get("status"),
        "delta": None, "change_pct": None,
    }]
    costs = [m for m in COST_TERMS if m in summary_a or m in summary_b]
    for metric in (*HEADLINE_METRICS, *costs):
        a, b = _number(summary_a.get(metric)), _number(summary_b.get(metric))
        moved = (None if a is None or b is None
                 else float(deltas(pd.Series([a]), pd.Series([b]), mip_gap).iloc[0]))
        change_pct = (None if moved is None else 0.0 if moved == 0
                      else 100.0 * moved / abs(a) if a != 0 else None)
        rows.append({"metric": metric, "a": a, "b": b, "delta": moved,
                     "change_pct": change_pct})
    return pd.DataFrame(rows, columns=["metric", "a", "b", "delta", "change_pct"],
                        dtype=object)


def _closure_by_ally(readiness: pd.DataFrame) -> pd.DataFrame:
    """ally, weighted_gap = Σ p · gap, weighted_shortfall = Σ p · shortfall, closed_pct =
    100 · (1 − Σ p · min(shortfall, gap) / Σ p · gap) with p each row's priority, 100 for
    an ally with no gap."""
    weighted = pd.DataFrame({
        "ally": readiness["ally"],
        "weighted_gap": readiness["priority"] * readiness["gap"],
        "weighted_shortfall": readiness["priority"] * readiness["shortfall"]})
    totals = weighted.groupby("ally", dropna=False)[["weighted_gap",
                                                     "weighted_shortfall"]].sum()
    return totals.assign(closed_pct=gap_closed(readiness, by="ally")).reset_index()


def _closure_change(readiness_a: pd.DataFrame, readiness_b: pd.DataFrame) -> pd.DataFrame:
    """Per ally: weighted gap, weighted shortfall and closed_pct in A and B, and the
    weighted shortfall and closed_pct deltas (NaN for an ally in one report only)."""
    joined = _closure_by_ally(readiness_a).merge(
        _closure_by_ally(readiness_b), on="ally", how="outer", suffixes=("_a", "_b"))
    for measure in ("weighted_shortfall", "closed_pct"):
        joined[f"{measure}_delta"] = deltas(joined[f"{measure}_a"], joined[f"{measure}_b"])
    return joined[["ally", "weighted_gap_a", "weighted_gap_b", "weighted_shortfall_a",
                   "weighted_shortfall_b", "weighted_shortfall_delta",
                   "closed_pct_a", "closed_pct_b", "closed_pct_delta"]]


def _allocation_change(allocation_a: pd.DataFrame, allocation_b: pd.DataFrame,
                       keys: list[str]) -> pd.DataFrame:
    """``keys``, then quantity and cost (Σ total_cost) ordered in A and B, and their
    deltas; a key with no Allocation rows in a report has 0 there."""

    def totals(allocation: pd.DataFrame) -> pd.DataFrame:
        return (allocation.groupby(keys, dropna=False)[["quantity", "total_cost"]].sum()
                .rename(columns={"total_cost": "cost"}).reset_index())

    joined = totals(allocation_a).merge(totals(allocation_b), how="outer", on=keys,
                                        suffixes=("_a", "_b")).fillna(0.0)
    for measure in ("quantity", "cost"):
        joined[f"{measure}_delta"] = deltas(joined[f"{measure}_a"], joined[f"{measure}_b"])
    return joined[[*keys, "quantity_a", "quantity_b", "quantity_delta",
                   "cost_a", "cost_b", "cost_delta"]]


def _largest_changes_first(frame: pd.DataFrame, measures: list[str],
                           keys: list[str]) -> pd.DataFrame:
    """The rows where any of ``measures`` changed (``changed``), by |delta| of the first
    measure descending (a row in one report only first), then of the next, then by key."""
    moved = np.zeros(len(frame), dtype=bool)
    for measure in measures:
        moved |= changed(frame[f"{measure}_a"], frame[f"{measure}_b"]).to_numpy()
    frame = frame[moved]
    order = pd.DataFrame({measure: -frame[f"{measure}_delta"].abs().fillna(math.inf)
                          for measure in measures}).join(frame[keys])
    order = order.sort_values([*measures, *keys], kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def _number(value: object) -> float | None:
    """A Summary value as a float; None for a blank or a text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _terminal_format(metric: str) -> str:
    """The Python format of a metric on the terminal, from its Summary number format."""
    number_format = summary_metric(metric).number_format
    return {MONEY: ",.0f", PERCENT: ".1f"}.get(number_format, ",.2f")


def _shown(value: object, spec: str, unit: str = "") -> str:
    """``value`` in the Python format ``spec``, then ``unit``; "none" for a blank."""
    return "none" if _is_blank(value) else f"{value:{spec}}{unit}"


# --------------------------------------------------------------------------------------
# Writing


def comparison_path(path_a: str | Path, path_b: str | Path,
                    out: str | Path | None = None) -> Path:
    """``out``, or ``<name A>_vs_<name B>.xlsx`` next to report B (``_report_names``); an
    ``InputError`` when it would overwrite either report or a folder."""
    path_a, path_b = Path(path_a), Path(path_b)
    name_a, name_b = _report_names(path_a, path_b)
    path = Path(out) if out is not None else path_b.parent / f"{name_a}_vs_{name_b}.xlsx"
    check_outputs([Output(path, "the comparison", "-o")],
                  {"the report A": path_a, "the report B": path_b})
    return path


def _report_names(path_a: Path, path_b: Path) -> tuple[str, str]:
    """Each report's stem; when two different files share it, each followed by its
    innermost folders, as few as tell the two apart (``runs/q1/plan_report.xlsx`` and
    ``runs/q2/plan_report.xlsx``: ``plan_report_q1`` and ``plan_report_q2``), so that
    the diffs of different pairs of reports never take one name."""
    a, b = path_a.resolve(), path_b.resolve()
    if a.stem != b.stem or a.parent == b.parent:
        return path_a.stem, path_b.stem
    folders_a = a.parent.relative_to(a.anchor).parts
    folders_b = b.parent.relative_to(b.anchor).parts
    deepest = max(len(folders_a), len(folders_b))
    depth = next((depth for depth in range(1, deepest + 1)
                  if folders_a[-depth:] != folders_b[-depth:]), deepest)
    return ("_".join((a.stem, *folders_a[-depth:])),
            "_".join((b.stem, *folders_b[-depth:])))


def _measure_columns(measure: str, what: str, number_format: str, header: str,
                     unit: str = "") -> tuple[Column, ...]:
    """``<measure>_a``, ``<measure>_b`` and ``<measure>_delta`` (B − A), headed "<header>
    in A", "… in B", "… B − A"; the About sheet names reports A and B."""
    return (Column(f"{measure}_a", f"{what}: in report A.", number_format,
                   f"{header} in A", unit),
            Column(f"{measure}_b", f"{what}: in report B.", number_format,
                   f"{header} in B", unit),
            Column(f"{measure}_delta", f"{what}: B − A.", number_format,
                   f"{header} B − A", unit))


QUANTITY_ORDERED = _measure_columns("quantity", "Units ordered, in the item's unit",
                                    QUANTITY, "quantity ordered", ITEM_UNIT)
ORDERED = (*_measure_columns("quantity", "Units ordered (of every item the key orders)",
                             QUANTITY, "units ordered"),
           *_measure_columns("cost", "Money spent on orders (Σ total_cost of Allocation)",
                             MONEY, "cost of orders", MONEY_UNIT))

KPI_COLUMNS = (
    Column("metric", "The Summary metric (status, headline numbers, cost terms)."),
    Column("a", "Its value in report A (the About sheet names the file).", header="in A"),
    Column("b", "Its value in report B.", header="in B"),
    Column("delta", "b − a; 0 where the difference is within the solver's tolerance "
                    "(the About sheet says which).", header="B − A"),
    Column("change_pct", "100 · (b − a) / |a|: the relative change in percent (0-100 "
                         "scale); blank when a is 0 or blank.", PERCENT, "change", "%"),
)

BY_ALLY_COLUMNS = (
    Column("ally", "The ally."),
    Column("weighted_gap_a", "Σ priority × readiness gap over the ally's targets: in "
                             "report A.", QUANTITY, "weighted gap in A"),
    Column("weighted_gap_b", "Σ priority × readiness gap over the ally's targets: in "
                             "report B.", QUANTITY, "weighted gap in B"),
    *_measure_columns("weighted_shortfall", "Σ priority × shortfall over the ally's "
                                            "targets", QUANTITY, "weighted shortfall"),
    *_measure_columns("closed_pct", "Share of the ally's gap closed, weighted by priority: "
                                    "100 · (1 − Σ p · min(shortfall, gap) / Σ p · gap), in "
                                    "percent (0-100)", PERCENT, "gap closed", "%"),
    *ORDERED,
)

BY_LINE_COLUMNS = (Column("facility", "The production facility."),
                   Column("item", "The item the line makes."), *QUANTITY_ORDERED,
                   *ORDERED[3:])

BY_PERIOD_COLUMNS = (Column("delivery_period", "The period at whose end the units arrive."),
                     *ORDERED)

ABOUT_COLUMNS = (
    Column("section", "report A, report B or the comparison."),
    Column("key", "What is described."),
    Column("value", "Its value."),
)


def write_comparison(comparison: Comparison, path: str | Path) -> Path:
    """Write the diff workbook (KPIs, By ally, By line, By period, About) to ``path``
    atomically and return the path."""
    currency = comparison.currency
    kpis = table_sheet(KPI_COLUMNS, comparison.kpis, currency)
    specs = [summary_metric(metric, UNFORMATTED_METRIC).number_format
             for metric in comparison.kpis["metric"]]
    value_formats = [money_format(currency) if spec == MONEY else spec for spec in specs]
    kpis.cell_formats = {column: value_formats for column in ("a", "b", "delta")}
    units = {**comparison.a.units, **comparison.b.units}
    return write_workbook(path, {
        "KPIs": kpis,
        "By ally": table_sheet(BY_ALLY_COLUMNS, comparison.by_ally, currency),
        "By line": table_sheet(BY_LINE_COLUMNS, comparison.by_line, currency, units),
        "By period": table_sheet(BY_PERIOD_COLUMNS, comparison.by_period, currency),
        "About": table_sheet(ABOUT_COLUMNS, _about(comparison)),
    })


def _about(comparison: Comparison) -> pd.DataFrame:
    rows: list[tuple[str, str, object]] = []
    for name, report in (("report A", comparison.a), ("report B", comparison.b)):
        rows += [
            (name, "file", str(report.path.resolve())),
            (name, "SHA-256", report.sha256),
            (name, "status", report.status),
            (name, "input workbook", report.run_info.get(("input", "file"))),
            (name, "input SHA-256", report.run_info.get(("input", "SHA-256"))),
            (name, "report written (UTC)", report.run_info.get(("tool",
                                                                 "report written (UTC)"))),
        ]
    rows += [
        ("comparison", "deltas", "B − A"),
        ("comparison", "currency", comparison.currency or "none named"),
        ("comparison", "rows listed", "By ally, By line and By period list only what "
                                      f"changed by more than {RELATIVE:g} relative (the "
                                      "solver's round-off)"),
        ("comparison", "KPI deltas", f"0 within the solver's tolerance: {RELATIVE:g} "
                                     "relative" + (f" plus solver.mip_gap {comparison.mip_gap:g}"
                                                   " (both reports are whole-unit plans)"
                                                   if comparison.mip_gap else "")),
        ("comparison", "tool version", __version__),
        ("comparison", "written (UTC)", datetime.now(UTC).replace(microsecond=0).isoformat()),
    ]
    return pd.DataFrame(rows, columns=["section", "key", "value"], dtype=object)


__all__ = ["Comparison", "compare_reports", "comparison_path", "write_comparison"]
