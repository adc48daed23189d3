"""What the explanations cost: ``stockpile solve`` with every explanation off (the bare
solve) against the defaults (rule prices, ranging, tie-break, clean plan, measured
limits), on the same generated instance, one after the other in fresh processes.

    python -m benchmarks.explain_cost [--size M] [--mode lexicographic]
                                      [--time-limit 1800] [--out benchmarks/results_explain.md]

Generated alliances have minimum gap closures, work shares and budgets, so rule prices
have three rules to price.
Reported: wall seconds and peak memory of both runs, their ratio, and the explanations'
own timings from the JSON line (seconds beyond the bare solve, as a share of it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.instances import EXPLANATIONS_OFF, ROOT, SIZES, workbook
from benchmarks.measure import solve_in_child

EXPLANATION_TIMINGS = ("rule_prices", "measured_limits", "advice")
ALL_OFF = (*EXPLANATIONS_OFF, "explain.clean_plan=false", "explain.measured_limits=0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--mode", default="lexicographic")
    parser.add_argument("--time-limit", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results_explain.md")
    args = parser.parse_args(argv)
    path = workbook(SIZES[args.size])
    common = (f"objective.mode={args.mode}",)
    scratch = ROOT / "benchmarks/.cache/explain_reports"
    known = _known_keys()
    off = tuple(s for s in ALL_OFF if s.split("=")[0] in known)
    runs = {"bare": solve_in_child(path, common + off, scratch, args.time_limit, cwd=ROOT),
            "explained": solve_in_child(path, common, scratch, args.time_limit, cwd=ROOT)}
    lines = [f"# What the explanations cost ({args.size}, {args.mode})", "",
             "| run | status | wall s | peak MiB | solve s | explanations s |",
             "|---|---|---|---|---|---|"]
    summaries = {}
    for name, run in runs.items():
        summary = run.json_line() or {}
        summaries[name] = summary
        timings = summary.get("timings", {})
        extra = sum(float(timings.get(key, 0.0)) for key in EXPLANATION_TIMINGS)
        lines.append(f"| {name} | {summary.get('status', run.killed or run.returncode)} | "
                     f"{run.wall:.1f} | {run.peak_rss_mib:.0f} | "
                     f"{float(timings.get('solve', float('nan'))):.1f} | {extra:.1f} |")
    bare, explained = runs["bare"], runs["explained"]
    lines += ["", f"explained / bare: {explained.wall / bare.wall:.2f} x wall, "
                  f"{explained.peak_rss_mib / bare.peak_rss_mib:.2f} x memory; the "
                  f"explanations add {explained.wall / bare.wall - 1:.2f} x the bare run.",
              "", "Timings of the explained run (s): "
              + json.dumps(summaries["explained"].get("timings", {}))]
    for name in ("total_cost", "weighted_shortfall"):
        values = [summaries[n].get(name) for n in runs]
        lines.append(f"{name}: bare {values[0]}, explained {values[1]}")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _known_keys() -> set[str]:
    from optimizer.config import load_config

    return set(load_config(None, []).flat())


if __name__ == "__main__":
    raise SystemExit(main())
