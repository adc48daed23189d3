"""Read, build and hand-off at every size, without solving (M and L solve for hours).

    python -m benchmarks.build_scaling [--sizes S,M,L]

For each size, in a fresh process: reading and validating the workbook, building the
index sets and the array model, handing the model to HiGHS (``HighsSession``: one CSR
``passModel``), and the process's peak resident memory; then the log-log slope of the
build time against the number of non-zeros between consecutive sizes.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

from benchmarks.instances import SIZES, workbook


def measure(path: str) -> dict:
    """One size, in this process: the phase times, model size and peak memory."""
    from optimizer.config import load_config
    from optimizer.model.build import create_model
    from optimizer.model.sets import build_sets
    from optimizer.solver.highs import HighsSession
    from optimizer.solver.phases import solver_output
    from optimizer.workbook.validation import load_workbook

    config = load_config(None, ["objective.mode=weighted"])
    started = time.perf_counter()
    data, _ = load_workbook(path)
    read = time.perf_counter()
    model = create_model(build_sets(data, config), config)
    built = time.perf_counter()
    with solver_output(False):
        HighsSession(model.linear, verbose=False, mip_gap=1e-4, threads=0)
    handed = time.perf_counter()
    return {
        "read": read - started, "build": built - read, "handoff": handed - built,
        "columns": model.linear.n_columns, "rows": model.linear.n_rows,
        "nonzeros": model.linear.n_nonzeros,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    rows = []
    for name in args.sizes.split(","):
        path = workbook(SIZES[name])
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.build_scaling", "--measure", str(path)],
            capture_output=True, text=True, check=True)
        rows.append((name, json.loads(child.stdout.strip().splitlines()[-1])))
    print("| size | columns | rows | non-zeros | read s | build s | hand-off s | peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['columns']:,} | {r['rows']:,} | {r['nonzeros']:,} | "
              f"{r['read']:.2f} | {r['build']:.2f} | {r['handoff']:.2f} | {r['peak_mib']:.0f} |")
    for (a, ra), (b, rb) in zip(rows, rows[1:], strict=False):
        slope = math.log(rb["build"] / ra["build"]) / math.log(rb["nonzeros"] / ra["nonzeros"])
        print(f"\nbuild time against non-zeros, {a} to {b}: log-log slope {slope:.2f}")


if __name__ == "__main__":
    main()
