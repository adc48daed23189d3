"""The model as an LP file (``--write-lp``): readable row and column names, the weighted
objective (cost + shortfall penalty), written atomically."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import numpy as np
import pulp

from optimizer.model.build import AllocationModel
from optimizer.model.linear import LinearModel, dense_objective
from optimizer.outputs import TEMPORARY_SUFFIX, atomic_output
from optimizer.solver.pulp import LP_NAME_LIMIT, build_problem, lp_names


def write_lp_file(model: AllocationModel, path: str | Path) -> Path:
    """The model as an LP file, with the weighted objective (cost + shortfall penalty)."""
    n_columns = model.linear.n_columns
    return write_lp(model.linear, dense_objective(
        n_columns, [*model.cost_terms.values(), model.shortfall_penalty]), path)


def write_lp(linear: LinearModel, cost: np.ndarray, path: str | Path) -> Path:
    """The model as an LP file with readable row and column names, written atomically.

    Names longer than ``LP_NAME_LIMIT`` are shortened (``lp_names``); the file then
    opens with comment lines (``\\`` to the end of the line, which every LP reader
    skips) pairing each short name with the full one.
    """
    names = lp_names(linear)
    problem, variables, _ = build_problem(linear, names)
    used = np.flatnonzero(cost)
    problem.setObjective(pulp.lpSum_vars_coefs(
        zip([variables[c] for c in used], cost[used], strict=True)))
    path = Path(path)
    with atomic_output(path) as temporary:
        if not names.shortened:
            _write_lp_body(problem, temporary)
            return path
        body = temporary.with_name(temporary.name.removesuffix(TEMPORARY_SUFFIX)
                                   + "-body" + TEMPORARY_SUFFIX)
        try:
            _write_lp_body(problem, body)
            with open(temporary, "w", encoding="utf-8", newline="\n") as out:
                out.write(f"\\ {len(names.shortened):,} names longer than {LP_NAME_LIMIT} "
                          "characters are shortened; each short name = its full name:\n")
                for short, full in names.shortened.items():
                    out.write(f"\\ {short} = {full}\n")
                with open(body, encoding="utf-8") as lp_text:
                    shutil.copyfileobj(lp_text, out)
        finally:
            body.unlink(missing_ok=True)
    return path


def _write_lp_body(problem: pulp.LpProblem, path: Path) -> None:
    try:
        problem.writeLP(str(path), max_length=LP_NAME_LIMIT)
    except pulp.PulpError as exc:
        # PuLP's writer reports a failed write as its own error; the file system's
        # reason is in the text.
        raise OSError(errno.EIO, str(exc), str(path)) from None
