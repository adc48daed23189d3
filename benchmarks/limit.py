"""Baseline 1, "the limit": the same model handed to highspy as arrays, nothing else.

    python -m benchmarks.limit MODEL.npz --mode weighted|lexicographic --time-limit T

loads the arrays saved by ``benchmarks.instances.export_model`` (our model: bounds,
compressed sparse rows, objective vectors, integrality), builds one ``highspy.HighsLp``,
``passModel`` and ``run``, and prints one JSON line. Only numpy and highspy are
imported, so its peak memory is what HiGHS itself needs plus the arrays.

Modes:
- weighted: one solve of cost + shortfall penalty.
- lexicographic: phase 1 minimises W (weighted shortfall); phase 2 minimises cost with
  the row W ≤ W*·(1 + tol) + tol added to the same Highs object: an LP by the tool's
  method (from phase 1's basis with simplex), a MIP gets phase 1's solution as its incumbent
  (``setSolution`` after ``addRow``: HiGHS forgets a solution given before a change
  to the model). The two phases share the time limit.

Same options as ``stockpile solve``: mip_rel_gap from the model configuration,
HiGHS's default threads, no output; each objective multiplied by the same power of two
(``optimizer.solver.phases.objective_scale``) and every solve by the same method
(``optimizer.solver.highs.method``), both recorded in the arrays.
"""

from __future__ import annotations

import argparse
import json
import time


def _status(highs) -> tuple[str, bool]:
    """HiGHS's model status name and whether a feasible solution is at hand."""
    name = highs.getModelStatus().name
    return name, int(highs.getInfo().primal_solution_status) == 2


def solve_arrays(arrays, mode: str, time_limit: float) -> dict:
    """Solve the exported model; return timings (seconds), status and objective terms."""
    import highspy
    import numpy as np

    started = time.perf_counter()
    inf = highspy.kHighsInf
    n_col, n_row = len(arrays["cost"]), len(arrays["row_lower"])
    cost, shortfall = arrays["cost"], arrays["shortfall"]
    integer = np.asarray(arrays["integer"], dtype=bool)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", float(arrays["mip_gap"]))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = ((cost + arrays["penalty"]) * float(arrays["scale_weighted"])
                    if mode == "weighted" else shortfall * float(arrays["scale_shortfall"]))
    lp.col_lower_ = arrays["col_lower"]
    lp.col_upper_ = np.where(np.isinf(arrays["col_upper"]), inf, arrays["col_upper"])
    lp.row_lower_ = np.where(np.isinf(arrays["row_lower"]), -inf, arrays["row_lower"])
    lp.row_upper_ = np.where(np.isinf(arrays["row_upper"]), inf, arrays["row_upper"])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = arrays["a_start"].astype(np.int32)
    lp.a_matrix_.index_ = arrays["a_index"].astype(np.int32)
    lp.a_matrix_.value_ = arrays["a_value"]
    if integer.any():
        lp.integrality_ = np.where(integer, highspy.HighsVarType.kInteger,
                                   highspy.HighsVarType.kContinuous).tolist()
    highs.passModel(lp)
    passed = time.perf_counter()

    runs: list[dict] = []

    def run(phase: str, limit: float) -> bool:
        # As in the tool: HiGHS's limit counts every run of the instance (issue #1477).
        highs.setOptionValue("time_limit", highs.getRunTime() + max(1e-3, float(limit)))
        highs.setOptionValue("solver", str(arrays["solver"]))
        if "crossover" in arrays:
            highs.setOptionValue("run_crossover", str(arrays["crossover"]))
        begin = time.perf_counter()
        highs.run()
        seconds = time.perf_counter() - begin
        status, has_solution = _status(highs)
        runs.append({"phase": phase, "status": status, "seconds": seconds,
                     "highs_run_time": highs.getRunTime()})
        return has_solution

    def values() -> np.ndarray:
        return np.asarray(highs.getSolution().col_value, dtype=float)

    solved = run(mode if mode == "weighted" else "shortfall", time_limit)
    if mode == "lexicographic" and solved:
        x = values()
        optimum = float(shortfall @ x)
        tolerance = float(arrays["tolerance"])
        used = np.flatnonzero(shortfall).astype(np.int32)
        highs.changeColsCost(n_col, np.arange(n_col, dtype=np.int32),
                             cost * float(arrays["scale_cost"]))
        highs.addRow(-inf, optimum * (1 + tolerance) + tolerance, len(used), used,
                     shortfall[used])
        if integer.any():
            highs.setSolution(n_col, np.arange(n_col, dtype=np.int32), x)
        solved = run("cost", time_limit - sum(r["seconds"] for r in runs))
    x = values() if solved else None
    result = {
        "status": runs[-1]["status"],
        "has_solution": bool(solved),
        "time_limit_hit": any(r["status"] == "kTimeLimit" for r in runs),
        "total_cost": None if x is None else float(cost @ x),
        "weighted_shortfall": None if x is None else float(shortfall @ x),
        "objective": None if x is None else float(
            (cost + arrays["penalty"]) @ x if mode == "weighted" else cost @ x),
        "pass_seconds": passed - started,
        "run_seconds": sum(r["seconds"] for r in runs),
        "runs": runs,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.limit")
    parser.add_argument("npz")
    parser.add_argument("--mode", choices=("weighted", "lexicographic"), required=True)
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    import numpy as np

    started = time.perf_counter()
    with np.load(args.npz) as stored:
        arrays = {name: stored[name] for name in stored.files}
    loaded = time.perf_counter()
    result = solve_arrays(arrays, args.mode, args.time_limit)
    result["load_seconds"] = loaded - started
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
