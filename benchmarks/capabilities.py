"""What the capability rows cost (SPEC §7.1): ``stockpile solve`` of one generated
alliance with platforms added to every ally (``generate --platforms N``) against the same
alliance without them (``--platforms 0``: the other sheets are the same, drawn first),
one after the other in fresh processes, the explanations off in both.

    python -m benchmarks.capabilities [--size M] [--platforms 3] [--mode lexicographic]
                                      [--time-limit 1800] [--out benchmarks/results_capabilities.md]

Reported: the model sizes, wall seconds, the solve's own seconds and peak memory of both
runs, and their ratios; the target is at most 1.2 × the solve without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.explain_cost import ALL_OFF
from benchmarks.instances import CACHE, ROOT, SIZES, Size
from benchmarks.measure import ChildRun, solve_in_child

TARGET_RATIO = 1.2


def _workbook(size: Size, platforms: int) -> Path:
    """The size's alliance with ``platforms`` per ally, generated unless cached."""
    from optimizer.workbook.synthetic import generate_workbook

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{size.stem}_p{platforms}.xlsx"
    if not path.exists():
        generate_workbook(path, size.allies, size.items, size.lines, size.periods,
                          seed=size.seed, whole_units=not size.fractional,
                          platforms=platforms)
    return path


def addition_report(title: str, runs: dict[str, ChildRun],
                    target: float = TARGET_RATIO) -> str:
    """A Markdown table of two runs, without the rows measured and with them (in that
    order): status, model size, wall and solve seconds, peak memory, and the ratios
    with / without, the wall time's against ``target``."""
    lines = [f"# {title}", "",
             "| run | status | variables | constraints | wall s | solve s | peak MiB |",
             "|---|---|---|---|---|---|---|"]
    summaries = {}
    for name, run in runs.items():
        summary = run.json_line() or {}
        summaries[name] = summary
        model = summary.get("model_size", {})
        lines.append(
            f"| {name} | {summary.get('status', run.killed or run.returncode)} | "
            f"{model.get('variables', '')} | {model.get('constraints', '')} | "
            f"{run.wall:.1f} | {float(summary.get('timings', {}).get('solve', 'nan')):.1f} | "
            f"{run.peak_rss_mib:.0f} |")
    without, added = runs.values()
    solve = [float(s.get("timings", {}).get("solve", "nan")) for s in summaries.values()]
    ratio = added.wall / without.wall
    lines += ["", f"with / without: {ratio:.2f} x wall "
                  f"({'within' if ratio <= target else 'above'} the "
                  f"{target} x target), {solve[1] / solve[0]:.2f} x solve, "
                  f"{added.peak_rss_mib / without.peak_rss_mib:.2f} x memory."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--platforms", type=int, default=3)
    parser.add_argument("--mode", default="lexicographic")
    parser.add_argument("--time-limit", type=float, default=1800)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results_capabilities.md")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    scratch = CACHE / "capability_reports"
    runs = {name: solve_in_child(_workbook(size, platforms),
                                 (f"objective.mode={args.mode}", *ALL_OFF), scratch,
                                 args.time_limit, cwd=ROOT)
            for name, platforms in (("without platforms", 0),
                                    (f"{args.platforms} platforms per ally",
                                     args.platforms))}
    text = addition_report(f"What the capability rows cost ({args.size}, {args.mode})", runs)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
