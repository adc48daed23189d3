"""Sweeps: the base case and many scenarios solved alike, one row of results each.

Each scenario is solved by ``run_scenario``: the workbook's data as the scenario edits
it, the base configuration with the scenario's settings, the whole of ``solve_data``
(build, solve, verify), cold or (``warm_start``) from the base case's plan
(``optimizer.model.restrict``).
Scenarios are independent, so they run in parallel: in local processes (``workers``),
or on a Dask distributed cluster (``scheduler``); the results are the same either way,
as each scenario is solved by the same deterministic code from the same data. A
scenario that fails (no plan, a solver error) is a row of the results, never the end
of the sweep.

The results say, per scenario, its status and headline numbers and their change from
the base case: Δ total cost, Δ weighted shortfall (more shortfall = more damage) and
Δ share of gaps closed (percentage points).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.config import flatten
from optimizer.data import AllianceData
from optimizer.errors import InputError, StockpileError
from optimizer.excel import (
    MONEY,
    PERCENT,
    QUANTITY,
    SECONDS,
    SheetContent,
    axis_number_format,
    write_workbook,
)
from optimizer.model.restrict import BasePlan
from optimizer.model.status import ERROR, FEASIBLE, OPTIMAL
from optimizer.scenarios import Scenario

BASE = Scenario("base", "the workbook as it is, with the base configuration")
KPIS = ("total_cost", "weighted_shortfall", "gap_closed_pct")
RESULT_COLUMNS = ("scenario", "description", "status", "message", *KPIS,
                  "delta_total_cost", "delta_weighted_shortfall", "delta_gap_closed_pct",
                  "seconds", "warm_start", "report")
MOST_DAMAGING = 10  # scenarios in the chart


@dataclass
class CaseResult:
    row: dict[str, object]
    base_plan: BasePlan | None = None


def run_scenario(data: AllianceData, base_config: dict, scenario: Scenario,
                 input_path: str, report_dir: str | None = None,
                 base_plan: BasePlan | None = None, keep_plan: bool = False) -> CaseResult:
    """Solve one scenario into its row of results (never raises for a scenario's
    outcome). A scenario that changes only bounds, right-hand sides or costs of the base
    case's model (capacities, budgets, targets, consumption) starts from ``base_plan``,
    the base case's plan (``solve_model``); the row says whether it did."""
    from optimizer.report import write_report
    from optimizer.run import RunResult, solve_data

    started = time.perf_counter()
    row: dict[str, object] = {"scenario": scenario.name, "description": scenario.description}
    found = CaseResult(row)
    try:
        config = scenario.config(base_config)
        if report_dir is None:
            # Only a full report shows rule prices, ranges and how ties were broken; the
            # sweep's numbers (cost, shortfall, closure) are the same without them.
            config = {**config, "explain": {key: False for key in config["explain"]}}
        result = solve_data(scenario.apply(data), config,
                            RunResult(input_path=Path(input_path), input_sha256="",
                                      config=config),
                            base_plan=base_plan, keep_plan=keep_plan)
        row.update(status=result.status, message=result.message)
        row["warm_start"] = "yes" if result.from_base else "no"
        found.base_plan = result.base_plan
        if result.diagnosis is not None:
            row["message"] = f"{result.message}: {result.diagnosis.message}"
        if result.plan is not None:
            row.update({kpi: float(getattr(result.plan, kpi)) for kpi in KPIS})
        if report_dir is not None:
            path = Path(report_dir) / f"{_file_name(scenario.name)}_report.xlsx"
            row["report"] = str(write_report(result, path))
    except StockpileError as error:
        row.update(status=ERROR, message=str(error))
    row["seconds"] = time.perf_counter() - started
    return found


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "case"


@dataclass
class SweepProgress:
    """What a terminal display shows: cases done, without a plan, still to come."""

    total: int
    done: int = 0
    failed: int = 0

    @property
    def left(self) -> int:
        return self.total - self.done

    def __str__(self) -> str:
        return (f"sweep: {self.done}/{self.total} cases done ({self.failed} without a plan), "
                f"{self.left} to go")


def run_sweep(data: AllianceData, base_config: dict, scenarios: list[Scenario],
              input_path: str | Path, *, workers: int = 1, scheduler: str | None = None,
              report_dir: str | Path | None = None, warm_start: bool = True,
              progress: Callable[[SweepProgress], None] = lambda state: None) -> pd.DataFrame:
    """The base case and every scenario, solved; one row each (``RESULT_COLUMNS``), the
    base first and the scenarios in the order given. ``warm_start``: a scenario whose
    model has the base case's structure starts from the base case's plan
    (``optimizer.model.restrict``): the same optimum, at M with the largest facilities
    lost in a seventh of the time of a cold solve (``benchmarks/sweep.py``)."""
    state = SweepProgress(total=1 + len(scenarios))
    progress(state)
    rows: list[dict] = [{}] * (1 + len(scenarios))

    def finished(index: int, row: dict) -> None:
        rows[index] = row
        state.done += 1
        state.failed += row["status"] not in (OPTIMAL, FEASIBLE)
        progress(state)

    # The base case first, here: its numbers are what the scenarios are compared with,
    # and its plan is where they start.
    extra = (str(input_path), None if report_dir is None else str(report_dir))
    base = run_scenario(data, base_config, BASE, *extra, keep_plan=warm_start)
    finished(0, base.row)
    arguments = (data, base_config)
    if scheduler is not None:
        for index, row in _on_dask(scheduler, scenarios, arguments, extra, base.base_plan):
            finished(1 + index, row)
    elif workers <= 1:
        for index, case in enumerate(scenarios):
            finished(1 + index, run_scenario(*arguments, case, *extra, base.base_plan).row)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_scenario, *arguments, case, *extra,
                                   base.base_plan): index
                       for index, case in enumerate(scenarios)}
            for future in as_completed(futures):
                finished(1 + futures[future], future.result().row)
    return with_deltas(pd.DataFrame(rows))


def _on_dask(scheduler: str, cases: list[Scenario], arguments: tuple, extra: tuple,
             base_plan: BasePlan | None):
    """(index, row) of each case as the cluster finishes it."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError('--scheduler needs Dask: pip install ".[dask]"') from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler {scheduler}: no Dask scheduler answers there "
                         f"({error})") from None
    with client:
        # The data and the base plan go to every worker once, not once per scenario.
        shared = [client.scatter(value, broadcast=True)
                  for value in (*arguments, base_plan)]
        futures = [client.submit(run_scenario, shared[0], shared[1], case, *extra,
                                 shared[2], pure=False, key=f"scenario-{index}")
                   for index, case in enumerate(cases)]
        position = {future.key: index for index, future in enumerate(futures)}
        for future in dask_completed(futures):
            yield position[future.key], future.result().row


def with_deltas(results: pd.DataFrame) -> pd.DataFrame:
    """The results with each KPI's change from the base case (the first row)."""
    results = results.reindex(columns=[c for c in RESULT_COLUMNS if not c.startswith("delta_")])
    base = results.iloc[0]
    for kpi in KPIS:
        results[f"delta_{kpi}"] = results[kpi] - base[kpi]
    return results[list(RESULT_COLUMNS)]


def most_damaging(results: pd.DataFrame, count: int = MOST_DAMAGING) -> pd.DataFrame:
    """The scenarios that hurt most: first those with no plan (infeasible, errors), then
    by the rise in weighted shortfall, then by the rise in cost."""
    cases = results.iloc[1:].copy()
    cases["no_plan"] = ~cases["status"].isin([OPTIMAL, FEASIBLE])
    cases = cases.sort_values(["no_plan", "delta_weighted_shortfall", "delta_total_cost"],
                              ascending=False, kind="stable")
    return cases.drop(columns="no_plan").head(count).reset_index(drop=True)


_FORMATS = {"total_cost": MONEY, "delta_total_cost": MONEY,
            "weighted_shortfall": QUANTITY, "delta_weighted_shortfall": QUANTITY,
            "gap_closed_pct": PERCENT, "delta_gap_closed_pct": PERCENT, "seconds": SECONDS}
_NOTES = {
    "status": "optimal; feasible (stopped by a limit, not proven optimal); infeasible "
              "(the scenario's commitments cannot all hold); error.",
    "delta_total_cost": "Total cost minus the base case's (money).",
    "delta_weighted_shortfall": "Weighted shortfall minus the base case's: the damage.",
    "delta_gap_closed_pct": "Share of gaps closed minus the base case's, percentage points.",
    "report": "The scenario's full report (sweep --reports).",
    "warm_start": "yes: solved from the base case's plan, adding what pricing called for "
                  "(the scenario changed only capacities, budgets, targets or "
                  "consumption of a linear program); the optimum is the same as cold.",
}


def write_sweep(results: pd.DataFrame, path: Path, *, input_path: Path, input_sha256: str,
                config: dict, scenario_file: str | None) -> Path:
    """The sweep workbook: Scenarios (one row each), Most damaging (with a chart of the
    rise in weighted shortfall) and Run info."""
    worst = most_damaging(results)
    info = pd.DataFrame(
        [("input", str(input_path)), ("input SHA-256", input_sha256),
         ("scenario file", scenario_file or "(built-in sweep)"),
         ("scenarios", len(results) - 1),
         ("without a plan", int((~results["status"].isin([OPTIMAL, FEASIBLE])).sum())),
         *((f"config {key}", str(value)) for key, value in flatten(config).items())],
        columns=["key", "value"])
    sheets = {
        "Scenarios": SheetContent(results, _FORMATS, _NOTES),
        "Most damaging": SheetContent(worst, _FORMATS, _NOTES, decorate=_damage_chart),
        "Run info": SheetContent(info),
    }
    return write_workbook(path, sheets)


def _damage_chart(sheet, workbook, frame: pd.DataFrame) -> None:
    """A bar chart of the rise in weighted shortfall of the scenarios with a plan."""
    if frame.empty:
        return
    column = list(frame.columns).index("delta_weighted_shortfall")
    chart = workbook.add_chart({"type": "bar"})
    name = sheet.get_name()
    chart.add_series({
        "name": "rise in weighted shortfall",
        "categories": [name, 1, 0, len(frame), 0],
        "values": [name, 1, column, len(frame), column],
    })
    chart.set_title({"name": "Most damaging scenarios"})
    rise = pd.to_numeric(frame["delta_weighted_shortfall"], errors="coerce").abs().max()
    chart.set_x_axis({"name": "weighted shortfall above the base case",
                      "num_format": axis_number_format(rise if rise > 0 else 0.0)})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    sheet.insert_chart(len(frame) + 3, 0, chart, {"x_scale": 1.6, "y_scale": 1.2})

