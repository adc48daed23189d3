"""What the component rows cost (SPEC §7.3): ``stockpile solve`` of one generated alliance
whose every final line draws components from industry pools (``generate --components
N``: N component items with lines of their own, a bill of materials for every line that
allies order from, industry stocks) against the same alliance without them
(``--components 0``: the other sheets are the same, drawn first), one after the other
in fresh processes, the explanations off in both.

    python -m benchmarks.components [--size M] [--components 8] [--mode lexicographic]
                                    [--time-limit 1800]
                                    [--out benchmarks/results_components.md]

The rows added: a pool row (11) and its q(k,t) per component and period, z(ℓ,t) per
component line and period inside its capacity row (12), and in each pool row a term per
order that draws the component. Reported as for the capability rows
(``benchmarks.capabilities.addition_report``): model sizes, wall and solve seconds, peak
memory and the ratios; issue 19's target is at most 1.3 × the solve without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.capabilities import addition_report
from benchmarks.explain_cost import ALL_OFF
from benchmarks.instances import CACHE, ROOT, SIZES, Size
from benchmarks.measure import solve_in_child

TARGET = 1.3


def _workbook(size: Size, components: int) -> Path:
    """The size's alliance with ``components`` component items, generated unless
    cached."""
    from optimizer.workbook.synthetic import generate_workbook

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{size.stem}_components{components}.xlsx"
    if not path.exists():
        generate_workbook(path, size.allies, size.items, size.lines, size.periods,
                          seed=size.seed, whole_units=not size.fractional,
                          components=components)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--mode", default="lexicographic")
    parser.add_argument("--time-limit", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results_components.md")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    scratch = CACHE / "components_reports"
    settings = (f"objective.mode={args.mode}", *ALL_OFF)
    runs = {name: solve_in_child(_workbook(size, count), settings, scratch,
                                 args.time_limit, cwd=ROOT)
            for name, count in (("without components", 0),
                                (f"{args.components} components", args.components))}
    text = addition_report(f"What the component rows cost ({args.size}, {args.mode})", runs,
                           target=TARGET)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
