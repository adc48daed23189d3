"""The benchmark suite: ``python -m benchmarks.run`` (see benchmarks/README.md).

For every size and objective mode, one after another (never in parallel), each in a
fresh child process:

1. ours: ``python -m optimizer solve WORKBOOK --json --out DIR --set objective.mode=MODE
   --set solver.time_limit=T``: wall time, peak memory and the phases of its JSON line;
2. the limit: ``python -m benchmarks.limit MODEL.npz`` (our model as arrays, straight
   into highspy; the arrays are exported in an untimed setup step);
3. plain PuLP: ``python -m benchmarks.plain_pulp WORKBOOK`` (SPEC §4 written the usual
   PuLP way), unless ``--skip-plain``.

The tables go to the terminal and, as Markdown, to ``--out``; the raw measurements to
the same path with the suffix ``.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from benchmarks.instances import (
    CACHE,
    EXPLANATIONS_OFF,
    ROOT,
    SIZES,
    benchmark_config,
    export_model,
    workbook,
)
from benchmarks.measure import MIB, ChildRun, run_child

MODES = ("weighted", "lexicographic")
PHASES = ("read", "build", "solve", "extract", "verify", "report")


# --- running -----------------------------------------------------------------------------


def _child(run: ChildRun) -> dict:
    return {"wall": run.wall, "peak_mib": run.peak_rss_mib, "returncode": run.returncode,
            "killed": run.killed, "json": run.json_line(),
            "stderr_tail": run.stderr.strip().splitlines()[-5:]}


def run_ours(path: Path, mode: str, args) -> dict:
    command = [sys.executable, "-m", "optimizer", "solve", str(path), "--json",
               "--out", str(CACHE / "reports"), "--set", f"objective.mode={mode}",
               "--set", f"solver.time_limit={args.time_limit:g}",
               *(part for key in EXPLANATIONS_OFF for part in ("--set", key))]
    result = _child(run_child(command, cwd=ROOT, wall_limit=args.wall_limit,
                              memory_limit=args.memory_limit_gib * 1024 * MIB))
    result["command"] = shlex.join(["python", *command[1:]])
    summary = result["json"] or {}
    result["time_limit_hit"] = "time limit" in str(summary.get("message", ""))
    result["label"] = _label(result, summary.get("status"), result["time_limit_hit"],
                             summary.get("total_cost") is not None)
    return result


def run_limit(npz: Path, mode: str, args) -> dict:
    command = [sys.executable, "-m", "benchmarks.limit", str(npz), "--mode", mode,
               "--time-limit", f"{args.time_limit:g}"]
    result = _child(run_child(command, cwd=ROOT, wall_limit=args.wall_limit,
                              memory_limit=args.memory_limit_gib * 1024 * MIB))
    summary = result["json"] or {}
    result["time_limit_hit"] = bool(summary.get("time_limit_hit"))
    status = {"kOptimal": "optimal"}.get(summary.get("status"), summary.get("status"))
    result["label"] = _label(result, status, result["time_limit_hit"],
                             bool(summary.get("has_solution")))
    return result


def run_plain(path: Path, mode: str, args) -> dict:
    command = [sys.executable, "-m", "benchmarks.plain_pulp", str(path), "--mode", mode,
               "--time-limit", f"{args.plain_time_limit:g}"]
    result = _child(run_child(command, cwd=ROOT, wall_limit=args.wall_limit,
                              memory_limit=args.memory_limit_gib * 1024 * MIB))
    summary = result["json"] or {}
    result["time_limit_hit"] = bool(summary.get("time_limit_hit"))
    status = {"Optimal": "optimal"}.get(summary.get("status"), summary.get("status"))
    result["label"] = _label(result, status, result["time_limit_hit"],
                             bool(summary.get("has_solution")))
    return result


def _label(result: dict, status, time_limit_hit: bool, has_solution: bool) -> str:
    """optimal; "TL: feasible" / "TL: no solution" when the time limit stopped it;
    "killed (wall|memory)"; "failed (exit n)"."""
    if result["killed"]:
        return f"killed ({result['killed']})"
    if result["json"] is None:
        return f"failed (exit {result['returncode']})"
    if time_limit_hit:
        return "TL: feasible" if has_solution else "TL: no solution"
    return str(status)


# --- tables ------------------------------------------------------------------------------


def _s(value) -> str:
    """Seconds (or any positive quantity) to 3 significant digits-ish."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _ratio(a, b, flagged: bool = False) -> str:
    if a is None or b is None or b <= 0 or a <= 0:
        return "–"
    return f"{a / b:.2f}" + ("*" if flagged else "")


def _money(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _mib(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


NOT_RUN = {"label": "not run", "wall": None, "peak_mib": None, "json": None,
           "time_limit_hit": False, "killed": None}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _build_plus_solve(plain: dict | None) -> float | None:
    timings = ((plain or {}).get("json") or {}).get("timings")
    return None if not timings else timings["build"] + timings["solve"]


def _slopes(records: list[dict]) -> list[str]:
    """log-log slope of our build time against non-zeros, S to M and S to L."""
    build: dict[str, tuple[float, int]] = {}
    for record in records:
        timings = ((record.get("ours") or NOT_RUN)["json"] or {}).get("timings") or {}
        if "build" not in timings:
            continue
        nnz = record["model_size"]["nonzeros"]
        seconds = timings["build"]
        name = record["size"]
        if name not in build or seconds < build[name][0]:
            build[name] = (seconds, nnz)
    lines = []
    for low, high in (("S", "M"), ("S", "L"), ("M", "L")):
        if low in build and high in build:
            (t0, n0), (t1, n1) = build[low], build[high]
            slope = math.log(t1 / t0) / math.log(n1 / n0)
            lines.append(f"- build time vs non-zeros, {low} → {high}: slope **{slope:.2f}** "
                         f"({_s(t0)} s at {n0:,} nnz → {_s(t1)} s at {n1:,} nnz)")
    return lines or ["- (needs two sizes)"]


def render(meta: dict, records: list[dict]) -> str:
    out = [f"# stockpile benchmarks ({meta['date']})", "",
           f"Command: `{meta['command']}`  ", f"Machine: {meta['machine']}  ",
           f"Versions: {meta['versions']}  ",
           f"Time limit per run: {meta['time_limit']:g} s (solver)"
           + (f", plain PuLP {meta['plain_time_limit']:g} s"
              if meta.get("plain_time_limit", meta["time_limit"]) != meta["time_limit"] else "")
           + f"; a child is killed after {meta['wall_limit']:g} s wall or "
           f"{meta['memory_limit_gib']:g} GiB resident.", ""]

    out += ["## Model size", ""]
    seen, rows = set(), []
    for r in records:
        if r["size"] in seen:
            continue
        seen.add(r["size"])
        size, m = SIZES[r["size"]], r["model_size"]
        rows.append([r["size"], f"{size.allies}/{size.items}/{size.lines}/{size.periods}",
                     f"{m['variables']:,}", f"{m['constraints']:,}", f"{m['nonzeros']:,}",
                     f"{m['integers']:,}"])
    out += [_table(["size", "allies/items/lines/periods", "variables", "constraints",
                    "non-zeros", "integer columns"], rows), ""]

    out += ["## stockpile solve, end to end and per phase (seconds)", ""]
    rows = []
    for r in records:
        ours = r.get("ours") or NOT_RUN
        summary = ours["json"] or {}
        timings = summary.get("timings") or {}
        rows.append([r["size"], r["mode"], ours["label"], _s(ours["wall"]),
                     _mib(ours["peak_mib"]), *(_s(timings.get(p)) for p in PHASES)])
    out += [_table(["size", "mode", "status", "wall", "peak MiB", *PHASES], rows), ""]

    out += ["## Against the limit (highspy on arrays) and plain PuLP", ""]
    rows = []
    for r in records:
        ours, lim, plain = r.get("ours") or NOT_RUN, r.get("limit") or NOT_RUN, r.get("plain")
        lim_json = lim["json"] or {}
        plain_json = (plain or {}).get("json") or {}
        plain_t = plain_json.get("timings") or {}
        ours_t = (ours["json"] or {}).get("timings") or {}
        ours_bs = (ours_t["build"] + ours_t["solve"]) if "solve" in ours_t else None
        tl_limit = ours["time_limit_hit"] or lim["time_limit_hit"]
        tl_plain = ours["time_limit_hit"] or bool(plain and plain["time_limit_hit"])
        rows.append([
            r["size"], r["mode"], _s(ours["wall"]), _mib(ours["peak_mib"]),
            lim["label"], _s(lim["wall"]), _s(lim_json.get("run_seconds")),
            _mib(lim["peak_mib"]),
            "skipped" if plain is None else plain["label"],
            _s(plain_t.get("build")), _s(plain_t.get("solve")),
            _s(_build_plus_solve(plain)),
            "–" if plain is None else _mib(plain["peak_mib"]),
            _ratio(ours["wall"], lim["wall"], tl_limit),
            _ratio(ours["peak_mib"], lim["peak_mib"]),
            _ratio(ours_t.get("solve"), lim_json.get("run_seconds"), tl_limit),
            _ratio(ours_bs, _build_plus_solve(plain), tl_plain),
        ])
    out += [_table(["size", "mode", "ours wall", "ours MiB", "limit status", "limit wall",
                    "HiGHS run", "limit MiB", "plain status", "plain build", "plain solve",
                    "plain build+solve", "plain MiB", "ours/limit wall", "ours/limit mem",
                    "ours solve/HiGHS run", "ours/plain (build+solve)"], rows), ""]
    out += ["Times in seconds, memory as peak resident set size of the child process. "
            "A ratio marked * compares runs of which at least one stopped at the time "
            "limit.", ""]

    out += ["## Solutions found", ""]
    rows = []
    for r in records:
        cells = [r["size"], r["mode"]]
        for key in ("ours", "limit", "plain"):
            summary = (r.get(key) or {}).get("json") or {}
            cells += [_money(summary.get("total_cost")),
                      _money(summary.get("weighted_shortfall"))]
        rows.append(cells)
    out += [_table(["size", "mode", "ours cost", "ours W", "limit cost", "limit W",
                    "plain cost", "plain W"], rows), ""]

    out += ["## Build-time scaling (ours)", "", *_slopes(records), ""]
    notes = _notes(records)
    if notes:
        out += ["## Notes", "", *notes, ""]
    return "\n".join(out)


def _notes(records: list[dict]) -> list[str]:
    notes = []
    for r in records:
        for key in ("ours", "limit", "plain"):
            run = r.get(key)
            if run is None:
                continue
            summary = run["json"] or {}
            phases = summary.get("runs") or summary.get("phases")
            where = f"{r['size']} {r['mode']} {key}"
            if run.get("load_before", 0.0) > 1.0:
                notes.append(f"- {where}: the machine was busy when it started "
                             f"(load average {run['load_before']:.1f} on "
                             f"{os.cpu_count()} CPUs): its times are inflated")
            if run["json"] is None:
                notes.append(f"- {where}: {run['label']}; stderr: "
                             + " / ".join(run["stderr_tail"]))
            elif key == "ours" and summary.get("status") not in ("optimal",):
                notes.append(f"- {where}: {summary.get('status')}: {summary.get('message')}")
            elif phases and any(p["status"] not in ("kOptimal", "Optimal") for p in phases):
                notes.append(f"- {where}: phases " + ", ".join(
                    f"{p['phase']} {p['status']} {_s(p['seconds'])} s" for p in phases))
    return notes


# --- main --------------------------------------------------------------------------------


def _versions() -> str:
    from importlib.metadata import version

    return (f"Python {platform.python_version()}, highspy {version('highspy')}, "
            f"PuLP {version('pulp')}, numpy {version('numpy')}, pandas {version('pandas')}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="S,M,L",
                        help="comma-separated sizes among S, M, L (default S,M,L)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated objective modes (default weighted,lexicographic)")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="solver time limit of every run, seconds (default 600)")
    parser.add_argument("--plain-time-limit", type=float, default=None,
                        help="solver time limit of the plain-PuLP baseline, seconds (default: "
                             "--time-limit); longer shows how far behind it is at L")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results.md"),
                        help="Markdown file for the tables (default benchmarks/results.md)")
    parser.add_argument("--skip-plain", action="store_true",
                        help="skip the plain-PuLP baseline (slow at L)")
    parser.add_argument("--skip-limit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--resume", action="store_true",
                        help="keep the measurements of an interrupted run found at --out "
                             "(same time limit and model size) and run only the others")
    parser.add_argument("--refresh", action="store_true",
                        help="regenerate the cached workbooks")
    parser.add_argument("--wall-limit", type=float, default=None,
                        help="kill a child after this many seconds of wall time "
                             "(default 2 x time limit + 600)")
    parser.add_argument("--memory-limit-gib", type=float, default=20.0,
                        help="kill a child whose resident memory passes this (default 20)")
    args = parser.parse_args(argv)
    args.sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for size in args.sizes:
        if size not in SIZES:
            parser.error(f"unknown size {size!r}; choose among {', '.join(SIZES)}")
    for mode in args.modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}; choose among {', '.join(MODES)}")
    if args.plain_time_limit is None:
        args.plain_time_limit = args.time_limit
    if args.wall_limit is None:
        args.wall_limit = 2 * max(args.time_limit, args.plain_time_limit) + 600
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "benchmarks.run",
                          *(sys.argv[1:] if argv is None else argv)])
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                       f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}"
                       " GiB RAM",
            "versions": _versions(), "time_limit": args.time_limit,
            "plain_time_limit": args.plain_time_limit,
            "wall_limit": args.wall_limit, "memory_limit_gib": args.memory_limit_gib}
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    earlier = _earlier_measurements(args) if args.resume else {}
    records = []
    suite_started = time.perf_counter()
    for name in args.sizes:
        size = SIZES[name]
        started = time.perf_counter()
        path = workbook(size, refresh=args.refresh)
        npz = CACHE / f"{size.stem}.npz"
        model_size = export_model(path, benchmark_config(args.modes[0], args.time_limit), npz)
        log(f"[{name}] {path.name}: {model_size['variables']:,} variables, "
            f"{model_size['constraints']:,} constraints, {model_size['nonzeros']:,} non-zeros, "
            f"{model_size['integers']:,} integer (setup {time.perf_counter() - started:.1f} s)")
        for mode in args.modes:
            record = {"size": name, "mode": mode, "model_size": model_size}
            records.append(record)
            runs = [("ours", "ours", partial(run_ours, path, mode, args)),
                    ("limit", "limit", partial(run_limit, npz, mode, args))]
            if not args.skip_plain:
                runs.append(("plain", "plain PuLP", partial(run_plain, path, mode, args)))
            for key, title, measure in runs:
                previous = earlier.get((name, mode, key))
                if previous is not None and previous.get("model_size_check") == model_size:
                    record[key] = previous
                    log(f"[{name} {mode}] {title}: {previous['label']} (kept from the "
                        "earlier run)")
                    continue
                load = os.getloadavg()[0]
                record[key] = measure()
                record[key]["load_before"] = load
                record[key]["model_size_check"] = model_size
                log(f"[{name} {mode}] {title}: {record[key]['label']}, "
                    f"{record[key]['wall']:.2f} s, {record[key]['peak_mib']:.0f} MiB")
                # Partial results after every measurement, should the suite be interrupted.
                meta["suite_seconds"] = time.perf_counter() - suite_started
                _write(args.out, meta, records, partial=True)
    meta["suite_seconds"] = time.perf_counter() - suite_started
    print(_write(args.out, meta, records, partial=False))
    log(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


def _earlier_measurements(args) -> dict:
    """(size, mode, baseline) -> measurement, from the raw data of an interrupted run of
    the same time limit at ``--out``, for ``--resume``."""
    raw = args.out.with_suffix(".json")
    if not raw.exists():
        return {}
    stored = json.loads(raw.read_text(encoding="utf-8"))
    meta = stored["meta"]
    if (meta["time_limit"], meta.get("plain_time_limit", meta["time_limit"])) != (
            args.time_limit, args.plain_time_limit):
        return {}
    return {(r["size"], r["mode"], key): r[key] for r in stored["records"]
            for key in ("ours", "limit", "plain") if r.get(key) is not None}


def _write(out: Path, meta: dict, records: list[dict], *, partial: bool) -> str:
    """Write the Markdown tables to ``out`` and the raw data next to it; return the text."""
    text = render(meta, records) + (
        "\n(partial: the suite is still running or was interrupted)\n" if partial else
        f"\nWhole suite: {meta['suite_seconds'] / 60:.1f} min.\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "records": records},
                                                   indent=1), encoding="utf-8")
    return text


if __name__ == "__main__":
    sys.exit(main())
