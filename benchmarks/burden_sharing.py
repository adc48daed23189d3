"""What the burden-sharing rows cost (SPEC §7.2): ``stockpile solve`` of one generated
alliance with alliance targets and the fair-share band on (``generate --alliance-targets
N``, ``rules.fair_share_band`` δ < 1), joint purchases (``--frameworks N``) and funding
between allies (``--funding N``) against the same alliance without them (0 of each: the
other sheets are the same, drawn first; δ has nothing to act on), one after the other
in fresh processes, the explanations off in both.

    python -m benchmarks.burden_sharing [--size M] [--alliance-targets 100] [--band 0.5]
                                        [--frameworks 20] [--funding 40]
                                        [--mode lexicographic] [--time-limit 1800]
                                        [--out benchmarks/results_burden_sharing.md]

The rows added: one alliance target row (11) and its U(i,t) per AllianceTargets row, and
one band row (12) and its g(a,i,t) per row and ally; a framework order column per
(framework, member or lead, period) and destination; a funding column f(a,b,t) per
Funding row and period, in both allies' budget rows, and a cap row per capped pair; the
clean-plan phase's least funding and fees. Reported as for the capability rows
(``benchmarks.capabilities.addition_report``): model sizes, wall and solve seconds, peak
memory and the ratios; the target is at most 1.2 × the solve without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.capabilities import addition_report
from benchmarks.explain_cost import ALL_OFF
from benchmarks.instances import CACHE, ROOT, SIZES, Size
from benchmarks.measure import solve_in_child


def _workbook(size: Size, alliance_targets: int, frameworks: int, funding: int) -> Path:
    """The size's alliance with ``alliance_targets`` AllianceTargets rows, ``frameworks``
    frameworks and ``funding`` Funding rows, generated unless cached."""
    from optimizer.workbook.synthetic import generate_workbook

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{size.stem}_at{alliance_targets}_fw{frameworks}_fu{funding}.xlsx"
    if not path.exists():
        generate_workbook(path, size.allies, size.items, size.lines, size.periods,
                          seed=size.seed, whole_units=not size.fractional,
                          alliance_targets=alliance_targets, frameworks=frameworks,
                          funding=funding)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--alliance-targets", type=int, default=100)
    parser.add_argument("--band", type=float, default=0.5)
    parser.add_argument("--frameworks", type=int, default=20)
    parser.add_argument("--funding", type=int, default=40)
    parser.add_argument("--mode", default="lexicographic")
    parser.add_argument("--time-limit", type=float, default=1800)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results_burden_sharing.md")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    scratch = CACHE / "burden_sharing_reports"
    settings = (f"objective.mode={args.mode}", f"rules.fair_share_band={args.band:g}",
                *ALL_OFF)
    added = (f"{args.alliance_targets} alliance targets, band {args.band:g}, "
             f"{args.frameworks} frameworks, {args.funding} funding pairs")
    runs = {name: solve_in_child(_workbook(size, *counts), settings, scratch,
                                 args.time_limit, cwd=ROOT)
            for name, counts in (("without them", (0, 0, 0)),
                                 (added, (args.alliance_targets, args.frameworks,
                                          args.funding)))}
    text = addition_report(
        f"What the burden-sharing rows cost ({args.size}, {args.mode})", runs)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
