"""The re-solve benchmark: an N-1 outage sweep solved from the base case's plan against
the same sweep solved cold, each in a fresh child process (``python -m benchmarks.sweep``).

The instance is a size of the suite (default M, weighted mode); the scenarios are the
outages of the ``--facilities`` facilities with the most capacity (the most disruptive,
and the farthest from the base case's plan). Both sweeps are ``stockpile sweep --json``;
the per-scenario solve times come from its JSON line. Reported: per scenario the cold and
the warm time and their ratio, how far apart the two optima are (cost and weighted
shortfall: they must agree), the mean ratio (target: at most 0.3, so that an N-1 sweep
over F facilities costs at most 0.3 × F cold solves), each sweep's wall time and peak
memory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.instances import CACHE, EXPLANATIONS_OFF, ROOT, SIZES, workbook
from benchmarks.measure import run_child


def outage_file(path: Path, count: int) -> Path:
    """A scenario file with the outages of the ``count`` facilities of most capacity."""
    from optimizer.config import load_config
    from optimizer.workbook.validation import load_workbook

    data, _ = load_workbook(path, load_config(None).rules)
    largest = data.production.groupby("facility")["capacity"].sum().sort_values(
        ascending=False, kind="stable").index[:count]
    lines = []
    for facility in largest:
        lines += ["[[scenario]]", f'name = "without {facility}"', "[[scenario.edit]]",
                  'kind = "remove_facility"', f'facility = "{facility}"', ""]
    out = CACHE / f"{path.stem}_outages_{count}.toml"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--mode", default="weighted")
    parser.add_argument("--facilities", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=600)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results_sweep.md"))
    args = parser.parse_args()
    path = workbook(SIZES[args.size])
    scenarios = outage_file(path, args.facilities)
    runs = {}
    for label, extra in (("warm", []), ("cold", ["--cold"])):
        command = [sys.executable, "-m", "optimizer", "sweep", str(path), "--scenarios",
                   str(scenarios), "--json", "--out", str(CACHE / "sweeps" / label),
                   "--set", f"objective.mode={args.mode}",
                   "--set", f"solver.time_limit={args.time_limit:g}",
                   *(part for key in EXPLANATIONS_OFF for part in ("--set", key)), *extra]
        print(f"[{args.size} {label}] {' '.join(command[3:6])} …", flush=True)
        run = run_child(command, cwd=ROOT, memory_limit=20 * 1024**3,
                        wall_limit=(args.facilities + 1) * (2 * args.time_limit + 600))
        runs[label] = (run, run.json_line())
        print(f"[{args.size} {label}] {run.wall:.1f} s, {run.peak_rss_mib:.0f} MiB", flush=True)
    lines = [f"# Re-solves: N-1 outage sweep at {args.size} ({args.mode})", "",
             f"Command: `python -m benchmarks.sweep --size {args.size} --mode {args.mode} "
             f"--facilities {args.facilities} --time-limit {args.time_limit:g}`", "",
             "| scenario | status | cold (s) | from the base plan (s) | warm / cold "
             "| cost, relative difference | weighted shortfall, relative difference |",
             "|---|---|---|---|---|---|---|"]
    cold_cases = {c["scenario"]: c for c in (runs["cold"][1] or {}).get("cases", [])}
    ratios = []
    for case in (runs["warm"][1] or {}).get("cases", []):
        cold = cold_cases.get(case["scenario"], {})
        ratio = case["seconds"] / cold["seconds"] if cold.get("seconds") else float("nan")
        if case["scenario"] != "base":
            ratios.append(ratio)
        lines.append(f"| {case['scenario']} | {case['status']} "
                     f"({'warm' if case['warm_start'] == 'yes' else 'cold'}) | "
                     f"{cold.get('seconds', float('nan')):.1f} | {case['seconds']:.1f} | "
                     f"{ratio:.2f} | {_difference(case, cold, 'total_cost')} | "
                     f"{_difference(case, cold, 'weighted_shortfall')} |")
    mean = sum(ratios) / len(ratios) if ratios else float("nan")
    lines += ["", f"- mean warm / cold over the outages: **{mean:.2f}** (target ≤ 0.3)"]
    for label, (run, _) in runs.items():
        lines.append(f"- {label} sweep: {run.wall:.1f} s wall, {run.peak_rss_mib:.0f} MiB "
                     f"peak, exit {run.returncode}{' (killed)' if run.killed else ''}")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")
    return 0


def _difference(warm: dict, cold: dict, kpi: str) -> str:
    """|warm − cold| / max(1, |cold|): the two sweeps must find the same optimum."""
    a, b = warm.get(kpi), cold.get(kpi)
    if a is None or b is None:
        return "–"
    return f"{abs(a - b) / max(1.0, abs(b)):.1e}"


if __name__ == "__main__":
    raise SystemExit(main())
