"""The ``stockpile`` command line (SPEC §6).

Exit codes: 0 solved or valid, 2 invalid input, 3 infeasible, 4 solver failure,
1 anything unexpected. Errors are sentences on standard error; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import optimizer
from optimizer.config import DEFAULT_MODEL_FILE, Config, load_config
from optimizer.errors import ExitCode, InputError, Problem, StockpileError
from optimizer.files import shown_path, shown_text
from optimizer.model.status import ERROR, INFEASIBLE, has_plan
from optimizer.version import __version__

SHOWN_PROBLEMS = 200
# Characters a terminal would act on rather than show: C0 and C1 controls (escape
# sequences, bells, line breaks inside a name) and the bidirectional overrides.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """``text`` as the terminal should show it: each control character as its escape
    (``\\x1b``, ``\\n``, ``\\u202e``), a name's bytes that are not UTF-8 likewise
    (``shown_text``), everything else as it is."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"),
                        shown_text(str(text)))


def _print_problems(problems: list[Problem], show_all: bool) -> None:
    shown = problems if show_all else problems[:SHOWN_PROBLEMS]
    for problem in shown:
        print(terminal_text(problem), file=sys.stderr)
    if len(shown) < len(problems):
        print(
            f"... and {len(problems) - len(shown):,} more (use --all to list every one)",
            file=sys.stderr,
        )


def _model_config(args: argparse.Namespace) -> Config:
    model = args.model
    if model is None and DEFAULT_MODEL_FILE.exists():
        model = DEFAULT_MODEL_FILE
    return load_config(model, args.set or ())


def _command_validate(args: argparse.Namespace) -> int:
    """Exit 0 when the workbook is valid, 3 when it is valid but the solve can already be
    seen to be infeasible (``evident_conflicts``); invalid input raises ``InputError``."""
    from optimizer.pipeline import check_workbook

    data, warnings, conflicts = check_workbook(args.workbook, _model_config(args))
    _print_problems(warnings + conflicts, args.all)
    print(
        f"{shown_path(args.workbook)} is valid: {len(data.allies)} allies, "
        f"{len(data.items)} items, "
        f"{len(data.production)} production lines, {len(data.periods)} periods, "
        f"{len(data.requirements):,} readiness targets"
        + (f", {len(data.capability_targets):,} capability targets"
           if not data.capability_targets.empty else "")
        + (f", {len(data.alliance_targets):,} alliance targets"
           if not data.alliance_targets.empty else "")
        + (f"; {len(warnings)} warning{'s' * (len(warnings) != 1)}" if warnings else "")
    )
    if not conflicts:
        return ExitCode.SOLVED
    first = conflicts[0]
    more = len(conflicts) - 1
    print(terminal_text(f"valid, but the solve will be infeasible: {first.where}: "
                        f"{first.message}"
                        + (f" (and {more} more, listed above)" if more else "")))
    return ExitCode.INFEASIBLE


def _command_solve(args: argparse.Namespace) -> int:
    from optimizer.outputs import Output, check_outputs, remove_stale_temporaries
    from optimizer.pipeline import timed
    from optimizer.reports.tables import report_output, report_path

    config = _model_config(args)
    out = report_path(args.workbook, args.out)
    # A run without a plan writes its Diagnosis beside the report, never over it.
    diagnosis_out = out.with_name(f"{args.workbook.stem}_diagnosis.xlsx")
    html_out = out.with_suffix(".html") if args.html else None
    outputs = [report_output(out), Output(diagnosis_out, "the diagnosis", "--out")]
    if html_out is not None:
        outputs.append(Output(html_out, "the HTML report", "--out"))
    if args.write_lp is not None:
        outputs.append(Output(args.write_lp, "the LP file", "--write-lp"))
    check_outputs(outputs, {"the input workbook": args.workbook})
    remove_stale_temporaries({output.path.parent for output in outputs})
    with _progress_display(args) as progress:
        result = optimizer.solve(args.workbook, config=config,
                                 verbose=args.verbose and not args.json,
                                 write_lp=args.write_lp, progress=progress)
        if result.plan is None:
            out = diagnosis_out
        progress("writing the report")
        timings = dict(result.timings)
        with timed(timings, "report"):
            result.write_report(out)
        html = None
        if html_out is not None and result.plan is not None:
            progress("writing the HTML report")
            html = result.to_html(html_out, report_xlsx=out)  # the workbook's very tables
        result = dataclasses.replace(result, timings=timings)
    if not args.json:
        _print_problems(result.warnings, show_all=False)
    summary = result.summary()
    if args.json:
        print(json.dumps({
            "status": result.status,
            "total_cost": summary.get("total_cost"),
            "weighted_shortfall": summary.get("weighted_shortfall"),
            "gap_closed_pct": summary.get("gap_closed_pct"),
            "report": shown_path(out),
            "message": result.message,
            "solver": result.solver,
            "seconds": round(sum(result.timings.values()), 3),
            "timings": {phase: round(seconds, 3) for phase, seconds in result.timings.items()},
            "model_size": result.model_size,
            "verifier_max_violation": summary.get("verifier_max_violation"),
            "diagnosis": summary.get("diagnosis"),
            "equal_cost_plans": summary.get("equal_cost_plans"),
            **({"html_report": shown_path(html)} if html is not None else {}),
            **({"lp_file": shown_path(args.write_lp)} if args.write_lp is not None else {}),
        }))
    else:
        _print_summary(result, out)
        if html is not None:
            print(f"html report: {shown_path(html)}")
    return _exit_for_status(result.status)


@contextlib.contextmanager
def _progress_display(args: argparse.Namespace):
    """Each stage of the run as it starts, on standard error, unless ``--json`` is
    given without ``--progress``: on a terminal a spinner with the stage and the time
    elapsed; anywhere else (a pipe, a log file, a scheduler) one line per stage with the
    seconds since the run started, ``[  3.2 s] solving phase 1 of 2 …``."""
    if args.json and not args.progress:
        yield lambda stage: None
        return
    if not sys.stderr.isatty():
        started = time.perf_counter()
        yield lambda stage: print(
            f"[{time.perf_counter() - started:5.1f} s] {terminal_text(stage)}",
            file=sys.stderr, flush=True)
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as display:
        task = display.add_task("starting", total=None)
        yield lambda stage: display.update(task, description=stage)


_EXIT_WITHOUT_PLAN = {INFEASIBLE: ExitCode.INFEASIBLE, ERROR: ExitCode.SOLVER_FAILURE}


def _exit_for_status(status: str) -> ExitCode:
    """A run with a plan (``has_plan``) succeeded; one without says why by its code."""
    return ExitCode.SOLVED if has_plan(status) else _EXIT_WITHOUT_PLAN[status]


def _print_summary(result, out: Path) -> None:
    """A short table of the run on the terminal (what went wrong goes to stderr)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from optimizer.words import compact_money

    summary = result.summary()
    if not has_plan(result.status):
        print(f"{result.status}: {result.message}", file=sys.stderr)
        if result.diagnosis is not None:
            print(f"why: {result.diagnosis.message} (all conflicts: the Diagnosis sheet "
                  f"of {shown_path(out.name)})", file=sys.stderr)
        if result.plan is None:
            print(f"no plan, so the earlier report (if any) is unchanged; diagnosis: "
                  f"{shown_path(out)}")
        else:
            print(f"report: {shown_path(out)}")
        return
    table = Table(box=box.SIMPLE, show_header=False, title=f"stockpile solve: "
                  f"{shown_path(Path(result.input_path).name)}", title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("status", f"{result.status} ({result.message})")
    currency = result.config.report.currency
    table.add_row("total cost", compact_money(summary["total_cost"], currency))
    table.add_row("weighted shortfall", f"{summary['weighted_shortfall']:,.2f}")
    table.add_row("gaps closed, weighted by priority", f"{summary['gap_closed_pct']:.1f}%")
    met = result.plan.target_met
    table.add_row("targets met", f"{int(met.sum()):,} of {len(met):,}")
    if "equal_cost_plans" in summary:
        table.add_row("equal-cost plans", str(summary["equal_cost_plans"]))
    if result.advice is not None and len(result.advice):
        table.add_row("first advice", str(result.advice.iloc[0]["advice"]))
    console = Console(width=max(100, shutil.get_terminal_size().columns), highlight=False,
                      color_system=None)
    with console.capture() as captured:
        console.print(table)
    print("\n".join(line.rstrip() for line in captured.get().splitlines() if line.strip()))
    print(f"report: {shown_path(out)}")  # whole, never folded: a path to copy


def _command_template(args: argparse.Namespace) -> int:
    from optimizer.workbook.template import write_template

    path = write_template(args.out)
    print(f"wrote the input template {shown_path(path)}")
    return ExitCode.SOLVED


def _command_generate(args: argparse.Namespace) -> int:
    from optimizer.workbook.synthetic import generate_workbook

    try:
        path = generate_workbook(
            args.out, args.allies, args.items, args.lines, args.periods, seed=args.seed,
            whole_units=not args.fractional, platforms=args.platforms,
            frameworks=args.frameworks,
            alliance_targets=args.alliance_targets, funding=args.funding,
            components=args.components,
        )
    except ValueError as exc:
        raise InputError([Problem("generate", str(exc))]) from None
    print(
        f"wrote {shown_path(path)}: {args.allies} allies, {args.items} items, {args.lines} lines, "
        f"{args.periods} periods (seed {args.seed})"
        + ("; every item fractional" if args.fractional else "")
        + (f"; at most {args.platforms} platforms per ally" if args.platforms else "")
        + (f"; at most {args.frameworks} frameworks" if args.frameworks else "")
        + (f"; {args.alliance_targets} alliance targets, fair shares by gdp"
           if args.alliance_targets else "")
        + (f"; {args.funding} funding pairs" if args.funding else "")
        + (f"; {args.components} components" if args.components else "")
    )
    return ExitCode.SOLVED


def _command_compare(args: argparse.Namespace) -> int:
    from optimizer.outputs import remove_stale_temporaries
    from optimizer.reports.compare import compare_reports, comparison_path, write_comparison

    out = comparison_path(args.report_a, args.report_b, args.out)
    remove_stale_temporaries([out.parent])
    comparison = compare_reports(args.report_a, args.report_b)
    _print_problems(comparison.warnings, show_all=False)
    write_comparison(comparison, out)
    for line in comparison.summary_lines():
        print(line)
    print(f"diff: {shown_path(out)}")
    return ExitCode.SOLVED


def _command_report(args: argparse.Namespace) -> int:
    from optimizer.reports.html import read_page_report, write_html

    out = args.html if args.html is not None else args.report.with_suffix(".html")
    report = read_page_report(args.report)
    _print_problems(list(report.warnings), show_all=False)
    print(f"html report: {shown_path(write_html(report.tables, out, workbook=report.path))}")
    return ExitCode.SOLVED


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", type=Path, default=None,
        help=f"model configuration TOML (default: {DEFAULT_MODEL_FILE} when it exists)",
    )
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override one configuration key, e.g. rules.max_supplier_share=0.5 (repeatable)",
    )


def _add_progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress", action="store_true",
        help="with --json, still show each stage on standard error (shown by default "
             "without --json: a spinner on a terminal, else one line per stage)")


def _command_sweep(args: argparse.Namespace) -> int:
    from optimizer.outputs import Output, check_outputs, remove_stale_temporaries
    from optimizer.scenarios.edits import (
        load_scenarios,
        outage_each_facility,
        require_distinct_names,
        scaled,
    )
    from optimizer.sweep import (
        SweepRecord,
        most_damaging,
        record_path,
        run_sweep,
        sweep_identity,
        without_plan,
        write_sweep,
    )
    from optimizer.workbook.reader import sha256_of
    from optimizer.workbook.validation import load_workbook

    config = _model_config(args)
    data, warnings = load_workbook(args.workbook, config.rules)
    scenarios = []
    if args.scenarios is not None:
        scenarios += load_scenarios(args.scenarios, data, config)
    if args.outage == "each-facility":
        scenarios += outage_each_facility(data)
    scenarios += scaled("scale_budget", args.budget_scale or [], data)
    scenarios += scaled("scale_targets", args.target_scale or [], data)
    if not scenarios:
        raise InputError("nothing to sweep: give --scenarios FILE, --outage each-facility, "
                         "--budget-scale or --target-scale")
    require_distinct_names(scenarios)
    out = args.out / f"{args.workbook.stem}_sweep.xlsx"
    reports = args.out / f"{args.workbook.stem}_scenarios" if args.reports else None
    check_outputs([Output(out, "the sweep workbook", "--out"),
                   Output(record_path(out), "the record of the sweep's cases", "--out")],
                  {"the input workbook": args.workbook})
    remove_stale_temporaries([args.out, *([reports] if reports is not None else [])])
    input_sha256 = sha256_of(args.workbook)
    opened = SweepRecord.resume if args.resume else SweepRecord.start
    record = opened(record_path(out), sweep_identity(input_sha256, config))
    if not args.json:
        _print_problems(warnings, show_all=False)
    try:
        with _progress_display(args) as progress:
            results = run_sweep(data, config, scenarios, args.workbook,
                                workers=args.workers, scheduler=args.scheduler,
                                report_dir=reports, warm_start=not args.cold,
                                input_sha256=input_sha256, record=record,
                                progress=lambda state: progress(str(state)))
            progress("writing the sweep workbook")
            write_sweep(results, out, input_path=args.workbook, input_sha256=input_sha256,
                        config=config, scenario_file=None if args.scenarios is None
                        else str(args.scenarios))
    except (KeyboardInterrupt, Terminated):
        print(f"the cases finished so far are recorded in {terminal_text(record.path)}; "
              "the same sweep with --resume solves only the others", file=sys.stderr)
        raise
    kept = results.attrs["kept"]
    worst = most_damaging(results, 5)
    failed = int(without_plan(results).sum())
    if args.json:
        cases = results[["scenario", "status", "total_cost", "weighted_shortfall",
                         "gap_closed_pct", "seconds", "warm_start"]]
        print(json.dumps({"scenarios": len(results) - 1, "without_plan": failed,
                          "kept": kept, "report": shown_path(out),
                          "most_damaging": worst["scenario"].tolist(),
                          "cases": json.loads(cases.to_json(orient="records"))}))
        return ExitCode.SOLVED
    if args.resume:
        print(f"resumed: {kept:,} of {len(results):,} cases kept from the earlier run, "
              f"{len(results) - kept:,} solved")
    base = results.iloc[0]
    money = f" {config.report.currency}" if config.report.currency else ""
    print(f"base: {base['status']}, weighted shortfall {base['weighted_shortfall']:,.2f}, "
          f"cost {base['total_cost']:,.0f}{money}")
    print(f"{len(results) - 1} scenarios, {failed} without a plan; most damaging:")
    for _, case in worst.iterrows():
        name = terminal_text(case["scenario"])
        if has_plan(case["status"]):
            print(f"  {name}: weighted shortfall "
                  f"{case['delta_weighted_shortfall']:+,.2f}, "
                  f"cost {case['delta_total_cost']:+,.0f}{money}")
        else:
            print(f"  {name}: {case['status']} ({terminal_text(case['message'])})")
    print(f"sweep: {terminal_text(out)}")
    return ExitCode.SOLVED


def _factors(text: str) -> list[float]:
    """The factors of --budget-scale and --target-scale; ``scenarios.scaled`` judges
    their values, as it does a scenario file's."""
    try:
        factors = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        factors = []
    if not factors:
        raise argparse.ArgumentTypeError(
            f"'{text}' must be factors separated by commas, e.g. 0.8,0.9,1.1")
    return factors


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockpile",
        description="Plan how an alliance rebuilds its munitions and defence-equipment stocks.",
    )
    parser.add_argument("--version", action="version", version=f"stockpile {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check an input workbook, cell by cell")
    validate.add_argument("workbook", type=Path)
    _add_model_options(validate)
    validate.add_argument("--all", action="store_true", help="list every problem found")
    validate.set_defaults(run=_command_validate)

    solve = commands.add_parser("solve", help="plan the allocation and write the report")
    solve.add_argument("workbook", type=Path)
    _add_model_options(solve)
    solve.add_argument("--out", type=Path, default=Path("reports"),
                       help="folder for the report (default: reports)")
    solve.add_argument("--json", action="store_true",
                       help="print a one-line JSON summary on standard output")
    _add_progress_option(solve)
    solve.add_argument("--verbose", action="store_true", help="show the solver's log")
    solve.add_argument("--write-lp", type=Path, metavar="FILE",
                       help="also write the model as an LP file (weighted objective)")
    solve.add_argument("--html", action="store_true",
                       help="also write the report as one self-contained HTML page, "
                            "DIR/<workbook>_report.html")
    solve.set_defaults(run=_command_solve)

    sweep = commands.add_parser(
        "sweep", help="solve the workbook under many scenarios; one row of results each")
    sweep.add_argument("workbook", type=Path)
    _add_model_options(sweep)
    sweep.add_argument("--scenarios", type=Path, metavar="FILE",
                       help="a scenario file (TOML, see models/scenarios_example.toml)")
    sweep.add_argument("--outage", choices=["each-facility"],
                       help="N-1: one scenario per facility, with the facility lost")
    sweep.add_argument("--budget-scale", type=_factors, metavar="F,F,…",
                       help="one scenario per factor, every budget multiplied by it")
    sweep.add_argument("--target-scale", type=_factors, metavar="F,F,…",
                       help="one scenario per factor, every readiness target multiplied by it")
    sweep.add_argument("--out", type=Path, default=Path("reports"),
                       help="folder for the sweep workbook (default: reports)")
    sweep.add_argument("--reports", action="store_true",
                       help="also write every scenario's full report")
    sweep.add_argument("--workers", type=_positive, default=1,
                       help="scenarios solved at once in local processes (default 1)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="solve the scenarios on this Dask cluster instead")
    sweep.add_argument("--cold", action="store_true",
                       help="solve every scenario from scratch; by default a scenario that "
                            "changes only capacities, budgets, targets or consumption of a "
                            "linear program starts from the base case's plan (same optimum, "
                            "found several times faster)")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the earlier sweep in --out DIR: each case it "
                            "finished (with --reports: whose report is there) and whose "
                            "scenario is unchanged is kept, the others solved; the "
                            "workbook and model configuration must be the same")
    sweep.add_argument("--json", action="store_true",
                       help="print a one-line JSON summary on standard output")
    _add_progress_option(sweep)
    sweep.set_defaults(run=_command_sweep)

    template = commands.add_parser("template", help="write an empty input workbook to fill in")
    template.add_argument("out", type=Path, metavar="OUT.xlsx")
    template.set_defaults(run=_command_template)

    generate = commands.add_parser("generate", help="write a synthetic alliance workbook")
    generate.add_argument("out", type=Path, metavar="OUT.xlsx")
    generate.add_argument("--allies", type=_positive, required=True)
    generate.add_argument("--items", type=_positive, required=True)
    generate.add_argument("--lines", type=_positive, required=True)
    generate.add_argument("--periods", type=_positive, required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--fractional", action="store_true",
                          help="buy every item in fractional lots (no whole-unit items): "
                               "the model is a linear program")
    generate.add_argument("--platforms", type=int, default=0, metavar="N",
                          help="up to N platforms per ally, with the items they fire and "
                               "capability targets (Platforms, Compatibility, "
                               "CapabilityTargets); 0, the default: none")
    generate.add_argument("--frameworks", type=int, default=0, metavar="N",
                          help="up to N joint purchases through a lead nation, each on a "
                               "line of its own (Frameworks, FrameworkMembers); 0, the "
                               "default: none")
    generate.add_argument("--alliance-targets", type=int, default=0, metavar="N",
                          help="N alliance-wide stock targets (AllianceTargets), each about "
                               "what the allies' own targets of the item and period ask, "
                               "and every ally's fair share from its gdp "
                               "(Allies.fair_share); 0, the default: none")
    generate.add_argument("--funding", type=int, default=0, metavar="N",
                          help="N pairs of allies, the one with more money for its own "
                               "gaps paying for the other's purchases, most within a cap "
                               "(Funding); 0, the default: none")
    generate.add_argument("--components", type=int, default=0, metavar="N",
                          help="N components (explosive, propellant, fuzes …) with lines "
                               "of their own, each line of the other items using 1 to 3 "
                               "of them, and industry's stocks of them (BillOfMaterials, "
                               "IndustryStocks); 0, the default: none")
    generate.set_defaults(run=_command_generate)

    compare = commands.add_parser("compare", help="what changed between two reports of solve")
    compare.add_argument("report_a", type=Path, metavar="REPORT_A.xlsx")
    compare.add_argument("report_b", type=Path, metavar="REPORT_B.xlsx")
    compare.add_argument("-o", "--out", type=Path, default=None, metavar="DIFF.xlsx",
                         help="the diff workbook (default: <stem A>_vs_<stem B>.xlsx next "
                              "to REPORT_B; reports of one name add their folders, "
                              "plan_report_q1_vs_plan_report_q2.xlsx)")
    compare.set_defaults(run=_command_compare)

    report = commands.add_parser(
        "report", help="write the HTML page of a report workbook written by solve")
    report.add_argument("report", type=Path, metavar="REPORT.xlsx")
    report.add_argument("--html", type=Path, default=None, metavar="OUT.html",
                        help="the HTML page (default: REPORT.html next to the report)")
    report.set_defaults(run=_command_report)
    return parser


def _escape_what_cannot_be_shown() -> None:
    """Standard output and error show a character their encoding lacks as an escape ("→"
    on a Latin-1 or ASCII terminal as "\\u2192") instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so that every file being written is removed
    and every earlier file stays as it was."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    _escape_what_cannot_be_shown()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2, as invalid input
        return int(exc.code or 0)
    try:
        return int(args.run(args))
    except InputError as exc:
        _print_problems(exc.problems, getattr(args, "all", False))
        if exc.warnings:
            _print_problems(exc.warnings, getattr(args, "all", False))
        count = len(exc.problems)
        print(f"{count:,} problem{'s' * (count != 1)} found; nothing was solved or written",
              file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return exc.exit_code
    except StockpileError as exc:
        print(f"error: {terminal_text(exc)}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return exc.exit_code
    except OSError as exc:  # a file that cannot be read or written: say which and why
        print(f"error: {terminal_text(exc.filename or '')}: {exc.strerror or exc}",
              file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return ExitCode.UNEXPECTED
    except (KeyboardInterrupt, Terminated) as exc:
        name = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C (SIGINT)"
        print(f"stopped by {name}: the run did not finish; nothing half-written was left "
              "and every earlier file is unchanged", file=sys.stderr)
        return ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED
    except Exception as exc:  # the last resort: a sentence, never a traceback by default
        print(
            f"unexpected error: {type(exc).__name__}: {terminal_text(exc)} (run with --debug "
            "for details)",
            file=sys.stderr,
        )
        if args.debug:
            traceback.print_exc()
        return ExitCode.UNEXPECTED
