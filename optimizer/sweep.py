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

Each case's full report (``--reports``) has a file name of its own (``report_file_names``)
and is written as the case finishes; a sweep records each finished case as it goes
(``SweepRecord``), so that an interrupted sweep can be resumed where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.config import Config
from optimizer.errors import InputError, StockpileError
from optimizer.model.restrict import BasePlan
from optimizer.model.status import ERROR, WITH_PLAN, has_plan
from optimizer.outputs import write_text_atomically
from optimizer.scenarios.edits import Scenario
from optimizer.workbook.data import AllianceData
from optimizer.workbook.reader import sha256_of
from optimizer.workbook.writer import (
    MONEY,
    MONEY_UNIT,
    PERCENT,
    QUANTITY,
    SECONDS,
    Column,
    Link,
    axis_number_format,
    table_sheet,
    write_workbook,
)

BASE = Scenario("base", "the workbook as it is, with the base configuration")
KPIS = ("total_cost", "weighted_shortfall", "gap_closed_pct")
STATUS_NOTE = ("optimal; feasible (stopped by a limit, not proven optimal); infeasible "
               "(the scenario's commitments cannot all hold); error.")
# The Scenarios and Most damaging sheets, one declaration per column (RESULT_COLUMNS).
SWEEP_COLUMNS = (
    Column("scenario", "The case: base, or the scenario's name."),
    Column("description", "What the scenario changes."),
    Column("status", STATUS_NOTE),
    Column("message", "What the solver or the checks said."),
    Column("total_cost", "Total cost of the case's plan (money).", MONEY, unit=MONEY_UNIT),
    Column("weighted_shortfall", "Σ priority × shortfall of the case's plan.", QUANTITY),
    Column("gap_closed_pct", "Share of the readiness gaps closed, weighted by priority, "
                             "in percent (0-100).", PERCENT,
           header="gap closed, weighted by priority", unit="%"),
    Column("delta_total_cost", "Total cost minus the base case's (money).", MONEY,
           header="total cost − base", unit=MONEY_UNIT),
    Column("delta_weighted_shortfall", "Weighted shortfall minus the base case's: the "
                                       "damage.", QUANTITY,
           header="weighted shortfall − base"),
    Column("delta_gap_closed_pct", "Share of gaps closed minus the base case's, "
                                   "percentage points.", PERCENT,
           header="gap closed − base", unit="points"),
    Column("seconds", "Seconds the case took.", SECONDS),
    Column("warm_start", "yes: solved from the base case's plan, adding what pricing "
                         "called for (the scenario changed only capacities, budgets, "
                         "targets or consumption of a linear program); the optimum is the "
                         "same as cold."),
    Column("report", "The case's full report (sweep --reports): a link to open it."),
)
RESULT_COLUMNS = tuple(column.name for column in SWEEP_COLUMNS)
MOST_DAMAGING = 10  # scenarios in the chart


@dataclass
class CaseResult:
    row: dict[str, object]
    base_plan: BasePlan | None = None


def run_scenario(data: AllianceData, base_config: Config, scenario: Scenario,
                 input_path: str, report: str | Path | None = None,
                 base_plan: BasePlan | None = None, keep_plan: bool = False, *,
                 input_sha256: str, explain: bool | None = None) -> CaseResult:
    """Solve one scenario into its row of results (never raises for a scenario's
    outcome), writing its full report to the file ``report`` when given. A scenario that
    changes only bounds, right-hand sides or costs of the base case's model (capacities,
    budgets, targets, consumption) starts from ``base_plan``, the base case's plan
    (``solve_model``); the row says whether it did. ``explain`` (default: when a report
    is written) keeps the configuration's explanations on. ``input_sha256``: the digest
    of the input workbook at ``input_path`` (``sha256_of``), which the report names."""
    from optimizer.pipeline import solve_data

    started = time.perf_counter()
    row: dict[str, object] = {"scenario": scenario.name, "description": scenario.description}
    found = CaseResult(row)
    try:
        config = scenario.config(base_config)
        if not (report is not None if explain is None else explain):
            # Only a full report shows rule prices, ranges and how ties were broken; the
            # sweep's numbers (cost, shortfall, closure) are the same without them.
            config = config.without_explanations()
        result = solve_data(scenario.apply(data), config, input_path=Path(input_path),
                            input_sha256=input_sha256, scenario=scenario,
                            base_plan=base_plan, keep_plan=keep_plan)
        row.update(status=result.status, message=result.message)
        row["warm_start"] = "yes" if result.from_base else "no"
        found.base_plan = result.base_plan
        if result.diagnosis is not None:
            row["message"] = f"{result.message}: {result.diagnosis.message}"
        if result.plan is not None:
            row.update({kpi: float(getattr(result.plan, kpi)) for kpi in KPIS})
        if report is not None:
            row["report"] = str(result.write_report(report))
    except StockpileError as error:
        row.update(status=ERROR, message=str(error))
    row["seconds"] = time.perf_counter() - started
    return found


# File names -------------------------------------------------------------------------

# A case's file name stem, in UTF-8 bytes: with a "-N" suffix, "_report.xlsx" and the
# prefix of its temporary name while it is written, far below NAME_MAX (255).
FILE_STEM_BYTES = 100
_DIGEST_CHARACTERS = 8  # of the name's SHA-256, ending a stem cut to FILE_STEM_BYTES


def report_file_names(names: Sequence[str]) -> list[str]:
    """One file name stem per case, the base case first: ``base`` for it, and for each
    scenario its name with every character but letters, digits, '-' and '_' made '_'; a
    name longer than ``FILE_STEM_BYTES`` is cut and ends in a digest of the whole name; a
    stem already taken, ignoring case (file systems may), gets the first free suffix -2,
    -3 … Never empty, never '.' or '..', never a folder; the same names in the same order
    give the same stems."""
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    stems = []
    for index, name in enumerate(names):
        stem = BASE.name if index == 0 else _file_stem(name)
        key = stem.casefold()
        candidate = stem
        if key in taken:
            number = next_suffix.get(key, 2)
            while f"{key}-{number}" in taken:
                number += 1
            next_suffix[key] = number + 1
            candidate = f"{stem}-{number}"
        taken.add(candidate.casefold())
        stems.append(candidate)
    return stems


def _file_stem(name: str) -> str:
    text = unicodedata.normalize("NFC", name)  # one spelling of é, as macOS stores it
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in text).strip("_-")
    encoded = stem.encode("utf-8")
    if len(encoded) > FILE_STEM_BYTES:
        # Long names often share their beginning; the digest keeps their stems apart.
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_DIGEST_CHARACTERS]
        cut = encoded[:FILE_STEM_BYTES - 1 - _DIGEST_CHARACTERS]
        stem = f"{cut.decode('utf-8', errors='ignore').rstrip('_-')}-{digest}"
    return stem or "case"


@dataclass(frozen=True)
class Case:
    """One case of a sweep: its scenario (``BASE`` first), the key it is recorded under
    (``case_key``) and the file of its full report (None without --reports)."""

    scenario: Scenario
    key: str
    report: Path | None


def sweep_cases(scenarios: Sequence[Scenario], report_dir: str | Path | None) -> list[Case]:
    """The base case and every scenario, in order, with their keys and report files
    (``DIR/<stem>_report.xlsx``, ``report_file_names``)."""
    scenarios = [BASE, *scenarios]
    reports: list[Path | None] = [None] * len(scenarios)
    if report_dir is not None:
        stems = report_file_names([scenario.name for scenario in scenarios])
        reports = [Path(report_dir) / f"{stem}_report.xlsx" for stem in stems]
    return [Case(scenario, case_key(scenario, base=index == 0), report)
            for index, (scenario, report) in enumerate(zip(scenarios, reports, strict=True))]


def case_key(scenario: Scenario, *, base: bool) -> str:
    """The SHA-256 of what a case is: the base case or a scenario, its name,
    description, settings and edits. A resumed sweep keeps a finished case only under
    the same key: a scenario changed in the file since is solved again."""
    text = json.dumps({"base": base, **scenario.definition}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SweepProgress:
    """What a terminal display shows: cases done (``kept`` of them from the sweep
    record of an earlier run), without a plan, still to come."""

    total: int
    done: int = 0
    failed: int = 0
    kept: int = 0

    @property
    def left(self) -> int:
        return self.total - self.done

    def count(self, row: dict) -> None:
        """One more case done, with its row of results."""
        self.done += 1
        self.failed += not has_plan(row["status"])

    def __str__(self) -> str:
        kept = f", {self.kept} kept from the earlier run" if self.kept else ""
        return (f"sweep: {self.done}/{self.total} cases done ({self.failed} without a plan"
                f"{kept}), {self.left} to go")


# The record of a sweep's finished cases ----------------------------------------------

def sweep_identity(input_sha256: str, config: Config) -> dict[str, object]:
    """What a resumed sweep must share with the earlier one: the input workbook's
    SHA-256 and the model configuration (with --model and --set)."""
    return {"input_sha256": input_sha256,
            "config": json.loads(json.dumps(config.flat(), default=str))}


def record_path(sweep_path: Path) -> Path:
    """``DIR/<workbook>_sweep_cases.jsonl``, beside the sweep workbook."""
    return sweep_path.with_name(f"{sweep_path.stem}_cases.jsonl")


@dataclass
class SweepRecord:
    """A sweep's finished cases on disk, from which ``sweep --resume`` continues: a
    JSON-lines file whose first line is the sweep's identity (``sweep_identity``) and
    each further line one finished case (``{"key": case_key, "row": {…}}``), appended
    and flushed to disk as the case finishes (one line per case, never a rewrite of the
    whole). It stays when the sweep is done, so that a resume can also add scenarios to
    a finished sweep. A line cut short by an interruption is ignored. ``done``: the
    finished cases' rows by key."""

    path: Path
    done: dict[str, dict]

    @classmethod
    def start(cls, path: Path, identity: dict[str, object]) -> SweepRecord:
        """A new record (replacing any earlier one)."""
        write_text_atomically(path, json.dumps({"sweep": identity}) + "\n")
        return cls(path, {})

    @classmethod
    def resume(cls, path: Path, identity: dict[str, object]) -> SweepRecord:
        """The record of the earlier sweep at ``path``; ``InputError`` (a sentence) when
        there is none or it swept another workbook or configuration: every case it
        finished would be stale, and solving them all again is a new sweep, not a
        resume."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError(f"there is no earlier sweep to resume in {path.parent} "
                             f"(no {path.name}); run the sweep without --resume") from None
        try:
            recorded = json.loads(lines[0])["sweep"]
        except (IndexError, ValueError, KeyError, TypeError):
            raise InputError(f"{path} is not the record of a sweep; run the sweep without "
                             "--resume") from None
        difference = _difference(recorded, identity)
        if difference:
            raise InputError(f"cannot resume the sweep in {path.parent}: {difference}")
        done: dict[str, dict] = {}
        for line in lines[1:]:
            try:
                case = json.loads(line)
                done[str(case["key"])] = dict(case["row"])
            except (ValueError, KeyError, TypeError):
                continue  # the line being written when the sweep was stopped
        return cls(path, done)

    def kept(self, cases: Sequence[Case]) -> dict[int, dict]:
        """The rows of ``cases`` (by position) that a resumed sweep keeps: recorded under
        the case's key and, with --reports, with the case's report file still there."""
        kept = {}
        for index, case in enumerate(cases):
            row = self.done.get(case.key)
            if row is None:
                continue
            if case.report is not None:
                if (Path(str(row.get("report", ""))).name != case.report.name
                        or not case.report.is_file()):
                    continue
                row = {**row, "report": str(case.report)}  # the folder may have moved
            kept[index] = row
        return kept

    def add(self, case: Case, row: dict) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": case.key, "row": row}, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def _difference(then: dict, now: dict) -> str | None:
    """The first way the earlier sweep differs from this one, as a sentence."""
    if then.get("input_sha256") != now["input_sha256"]:
        return (f"the input workbook has changed since (SHA-256 "
                f"{str(then.get('input_sha256'))[:12]}… then, {now['input_sha256'][:12]}… "
                "now), so every finished case is out of date; run the sweep without "
                "--resume")
    if then.get("config") != now["config"]:
        before, after = dict(then.get("config") or {}), now["config"]
        key = next(key for key in sorted(set(before) | set(after))
                   if before.get(key) != after.get(key))
        return (f"the model configuration is not the earlier sweep's ({key}: "
                f"{before.get(key)!r} then, {after.get(key)!r} now); give the same --model "
                "and --set, or run the sweep without --resume")
    return None


# The sweep --------------------------------------------------------------------------

def run_sweep(data: AllianceData, base_config: Config, scenarios: list[Scenario],
              input_path: str | Path, *, workers: int = 1, scheduler: str | None = None,
              report_dir: str | Path | None = None, warm_start: bool = True,
              progress: Callable[[SweepProgress], None] = lambda state: None,
              input_sha256: str | None = None,
              record: SweepRecord | None = None) -> pd.DataFrame:
    """The base case and every scenario, solved; one row each (``RESULT_COLUMNS``), the
    base first and the scenarios in the order given. ``warm_start``: a scenario whose
    model has the base case's structure starts from the base case's plan
    (``optimizer.model.restrict``): the same optimum, at M with the largest facilities
    lost in a seventh of the time of a cold solve (``benchmarks/sweep.py``).
    ``report_dir``: each case's full report is written there as the case finishes
    (``sweep_cases``). ``record``: each finished case is added to it as it finishes, and
    the cases it keeps (``SweepRecord.kept``) are not solved again; how many is
    ``attrs["kept"]`` of the results."""
    cases = sweep_cases(scenarios, report_dir)
    if input_sha256 is None:
        input_sha256 = sha256_of(Path(input_path))
    done = record.kept(cases) if record is not None else {}
    rows: list[dict] = [done.get(index, {}) for index in range(len(cases))]
    state = SweepProgress(total=len(cases), kept=len(done))
    for row in done.values():
        state.count(row)
    progress(state)

    def finished(index: int, row: dict) -> None:
        rows[index] = row
        if record is not None:
            record.add(cases[index], row)
        state.count(row)
        progress(state)

    options = {"input_sha256": input_sha256, "explain": report_dir is not None}
    left = [(index, cases[index].scenario, cases[index].report)
            for index in range(1, len(cases)) if index not in done]
    # The base case first, here: its numbers are what the scenarios are compared with,
    # and its plan is where they start. A resumed sweep that has its row solves it again
    # (alike, without writing its report) only for that plan.
    base_plan = None
    if 0 not in done or (warm_start and left):
        base = run_scenario(data, base_config, BASE, str(input_path),
                            None if 0 in done else cases[0].report, keep_plan=warm_start,
                            **options)
        if 0 not in done:
            finished(0, base.row)
        base_plan = base.base_plan
    arguments = (data, base_config)
    if scheduler is not None:
        for index, row in _on_dask(scheduler, left, arguments, str(input_path), options,
                                   base_plan):
            finished(index, row)
    elif workers <= 1:
        for index, case, report in left:
            finished(index, run_scenario(*arguments, case, str(input_path), report,
                                         base_plan, **options).row)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_scenario, *arguments, case, str(input_path), report,
                                   base_plan, **options): index
                       for index, case, report in left}
            try:
                for future in as_completed(futures):
                    finished(futures[future], future.result().row)
            except BaseException:
                # Stopped (Ctrl-C, SIGTERM, an error): the cases being solved finish and
                # write their reports; the others are not started.
                pool.shutdown(cancel_futures=True)
                raise
    results = with_deltas(pd.DataFrame(rows))
    results.attrs["kept"] = len(done)
    return results


def _on_dask(scheduler: str, cases: list[tuple[int, Scenario, Path | None]],
             arguments: tuple, input_path: str, options: dict,
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
        futures = [client.submit(run_scenario, shared[0], shared[1], case, input_path,
                                 report, shared[2], pure=False, key=f"scenario-{index}",
                                 **options)
                   for index, case, report in cases]
        position = {future.key: index
                    for future, (index, _, _) in zip(futures, cases, strict=True)}
        for future in dask_completed(futures):
            yield position[future.key], future.result().row


def with_deltas(results: pd.DataFrame) -> pd.DataFrame:
    """The results with each KPI's change from the base case (the first row)."""
    results = results.reindex(columns=[c for c in RESULT_COLUMNS if not c.startswith("delta_")])
    base = results.iloc[0]
    for kpi in KPIS:
        results[f"delta_{kpi}"] = results[kpi] - base[kpi]
    return results[list(RESULT_COLUMNS)]


def without_plan(results: pd.DataFrame) -> pd.Series:
    """Per case, whether its solve left no plan (``has_plan`` false: infeasible, error)."""
    return ~results["status"].isin(WITH_PLAN)


def most_damaging(results: pd.DataFrame, count: int = MOST_DAMAGING) -> pd.DataFrame:
    """The scenarios that hurt most: first those with no plan (infeasible, errors), then
    by the rise in weighted shortfall, then by the rise in cost."""
    cases = results.iloc[1:].copy()
    cases["no_plan"] = without_plan(cases)
    cases = cases.sort_values(["no_plan", "delta_weighted_shortfall", "delta_total_cost"],
                              ascending=False, kind="stable")
    return cases.drop(columns="no_plan").head(count).reset_index(drop=True)


RUN_INFO_COLUMNS = (Column("key", "What is described."), Column("value", "Its value."))


def write_sweep(results: pd.DataFrame, path: Path, *, input_path: Path, input_sha256: str,
                config: Config, scenario_file: str | None) -> Path:
    """The sweep workbook: Scenarios (one row each, linking each case's report), Most
    damaging (with a chart of the rise in weighted shortfall) and Run info (with the
    cases a resumed sweep kept from the earlier run, ``run_sweep``)."""
    path = Path(path)
    kept = results.attrs.get("kept", 0)
    worst = most_damaging(results)
    info = pd.DataFrame(
        [("input", str(input_path)), ("input SHA-256", input_sha256),
         ("scenario file", scenario_file or "(built-in sweep)"),
         ("scenarios", len(results) - 1),
         ("without a plan", int(without_plan(results).sum())),
         *([("cases kept from the earlier run", kept)] if kept else []),
         *((f"config {key}", str(value)) for key, value in config.flat().items())],
        columns=["key", "value"])
    currency = config.report.currency
    scenarios = table_sheet(SWEEP_COLUMNS, _linked(results, path.parent), currency)
    damage = table_sheet(SWEEP_COLUMNS, worst, currency)
    damage.decorate = _damage_chart
    sheets = {"Scenarios": scenarios, "Most damaging": damage,
              "Run info": table_sheet(RUN_INFO_COLUMNS, info)}
    return write_workbook(path, sheets)


def _linked(results: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The results with each report as a link relative to the sweep workbook's folder
    (it still opens when the folder is moved)."""
    def link(report: object) -> object:
        if not isinstance(report, str) or not report:
            return report
        try:
            target = os.path.relpath(Path(report).resolve(), folder.resolve())
        except ValueError:  # another drive
            target = str(Path(report).resolve())
        return Link(target, report)

    return results.assign(report=results["report"].map(link))


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

