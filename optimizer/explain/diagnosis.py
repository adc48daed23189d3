"""Infeasibility in workbook terms: which commitments cannot all hold, and what holds them.

When SPEC §4's hard constraints (3 stock cover of consumption, 6 minimum gap closure,
7 supplier share, 8 work share) cannot all hold, the elastic model
(``create_model(..., elastic=True)``) gives each of them a slack ≥ 0:

    uncovered(a,i,t)  consumption supplied from nowhere in the period it is used (3);
    unclosed(a,i,t)   gap left open beyond rule 6's bound, at most ρ_a·gap (6);
    over_share(a,i,g) units from host g beyond the share σ (7);
    work_short(a)     home-made value missing, in millions (8).

Minimising Σ slack (every unit of each counted once) finds the least the commitments
must give; every slack left positive is a *conflict*, reported with the input cell that
made the commitment and a sentence naming the cause when it lies in the data alone (a
consumption before the earliest delivery, a single host country, an ally hosting no
line). The limits that hold the commitments back (capacity, budgets, expansion) are the
binding limits of the elastic solution with a non-zero dual: relaxing one by a unit
lowers the total that must give by ``objective_improved`` units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.explain.binding import binding_limits
from optimizer.model.build import MONEY, create_model
from optimizer.model.sets import ModelSets
from optimizer.model.status import INFEASIBLE, OPTIMAL
from optimizer.solver.phases import PhaseRunner, open_session, sensitivity
from optimizer.solver.session import TimeBudget
from optimizer.tolerance import GIVE
from optimizer.words import figure
from optimizer.workbook.data import AllianceData

COLUMNS = ("kind", "rule", "ally", "item", "host", "period", "amount", "cell", "explanation")
# Beside the columns the report shows: what a conflict's amount is counted in
# (``Commitment.counted_in``; blank for a limit, whose amount is a rate).
COUNTED_IN = "counted_in"


@dataclass
class Diagnosis:
    """The conflicts and the limits behind them, one row each (columns ``COLUMNS``);
    ``message`` is the first conflict as one sentence with the size of the set, or why
    none could be found."""

    table: pd.DataFrame
    message: str
    minimal: bool = False  # True: dropping any one conflict lets the others hold


def amount_unit(kind: object, counted_in: object, item: object, units: dict[str, str],
                currency: str = "") -> str:
    """The unit of a Diagnosis row's ``amount``: for a conflict, what its commitment is
    counted in (``counted_in``): the item's unit (``units``: item -> unit) or
    ``currency``; "" for a limit, whose amount is a rate (the total that must give, per
    unit the limit is relaxed)."""
    if kind != "conflict":
        return ""
    if counted_in == MONEY:
        return currency
    return units.get(str(item), "") if isinstance(item, str) else ""


def diagnose(sets: ModelSets, data: AllianceData, config: Config, *, time_limit: float,
             verbose: bool = False) -> Diagnosis:
    """Find a small set of commitments that cannot hold together, and explain it.

    1. Elastic filter: minimise Σ slack; every commitment whose slack stays positive is
       made hard (slack fixed at 0) and the elastic model solved again, until it is
       infeasible: the hard commitments then conflict (with the limits, always hard).
    2. Deletion filter: each hard commitment in turn is freed; if the rest still cannot
       hold, it stays out, else it goes back. What remains is minimal: freeing any one
       of its commitments lets the others hold.
    3. With only the conflict set elastic (every other commitment free), the least total
       give says how much each member gives, and the duals which limits hold them back.

    Every solve starts from the previous one's basis, through a ``PhaseRunner`` whose
    budget is ``time_limit`` seconds from the start (the elastic model's building
    included). Should the time limit end the deletion filter early, the set found so far
    is reported and said not to be minimal.
    """
    budget = TimeBudget(time_limit)
    model = create_model(sets, config, elastic=True)
    slack = np.concatenate([c for c in model.slack.values()] or [np.zeros(0, np.int64)])
    natural = model.linear.column_bounds()[1][slack]
    n_columns = model.linear.n_columns
    session, _ = open_session(model, config, verbose)
    runner = PhaseRunner(session, budget, verbose=verbose)

    def solve(elastic: np.ndarray, hard: np.ndarray) -> tuple[str, str]:
        """Slack costs 1 where ``elastic``, is fixed at 0 where ``hard``, free elsewhere."""
        session.set_column_bounds(slack, 0.0, np.where(hard, 0.0, natural))
        cost = np.zeros(n_columns)
        cost[slack[elastic]] = 1.0
        status, message, _ = runner.solve(cost)
        return status, message

    def unsolved(message: str) -> Diagnosis:
        return Diagnosis(_empty(), f"the conflicting inputs could not be found ({message})")

    hard = np.zeros(len(slack), dtype=bool)
    while True:  # 1. elastic filter
        status, message = solve(~hard, hard)
        if status == INFEASIBLE:
            break
        if status != OPTIMAL:
            return unsolved(message)
        giving = ~hard & (session.values()[slack] > GIVE * np.maximum(1.0, _natural_scale(natural)))
        if not giving.any():
            return Diagnosis(_empty(), "no conflict was found: every commitment can hold "
                                       "(a numerical difficulty of the solver?)")
        hard |= giving

    minimal = True
    nothing = np.zeros(len(slack), dtype=bool)
    for member in np.flatnonzero(hard):  # 2. deletion filter
        hard[member] = False
        status, _ = solve(nothing, hard)
        if status == OPTIMAL:  # the others can hold without it: it belongs to the set
            hard[member] = True
        elif status != INFEASIBLE:  # a limit stopped the filter
            hard[member] = True
            minimal = False
            break

    status, message = solve(hard, nothing)  # 3. how much each gives, what holds it back
    if status != OPTIMAL:
        return unsolved(message)
    values = session.values()
    found = sensitivity(session, model.linear, runner.scale, ranging=False)
    in_set = np.zeros(n_columns, dtype=bool)
    in_set[slack[hard]] = True

    rows: list[dict] = []
    for commitment in model.commitments:
        members = list(_members(model, values, in_set, commitment.slack))
        rows += [{**row, "counted_in": commitment.counted_in}
                 for row in commitment.in_words(model, members, data, config)]
    limits = binding_limits(model, values, data, objective=found)
    limits = limits[limits["holds_back"].to_numpy(dtype=bool)
                    & (limits["objective_improved"] > GIVE)]
    for limit in limits.itertuples(index=False):
        rows.append({
            "kind": "limit", "rule": limit.family, "ally": limit.ally, "item": limit.item,
            "host": limit.host, "period": limit.period, "amount": limit.objective_improved,
            "cell": limit.set_by,
            "explanation": (f"holds these commitments back: each {limit.per} more would "
                            f"let {figure(limit.objective_improved)} more of them hold"),
        })
    table = pd.DataFrame(rows).reindex(columns=[*COLUMNS, COUNTED_IN])
    count = int(hard.sum())
    if count == 1:
        summary = "this commitment cannot hold, whatever the rest of the plan does"
    elif minimal:
        summary = (f"{count} commitments cannot all hold; dropping any one of them lets "
                   "the others hold")
    else:
        summary = (f"{count} commitments cannot all hold (the time limit stopped the search "
                   "for a smaller set)")
    first = table.iloc[0]
    return Diagnosis(table, f"{first['cell']}: {first['explanation']} ({summary})",
                     minimal=minimal)


def _natural_scale(upper: np.ndarray) -> np.ndarray:
    """The size a slack is judged against: its bound where it has one, else 1."""
    return np.where(np.isfinite(upper), upper, 1.0)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in (*COLUMNS, COUNTED_IN)})


def _members(model, values: np.ndarray, in_set: np.ndarray, family: str):
    """(label, slack value) of each column of a slack family in the conflict set."""
    columns = model.slack.get(family)
    if columns is None or not len(columns):
        return
    labels = model.linear.columns[family].labels
    give = in_set[columns]
    yield from zip(labels[give].itertuples(index=False), values[columns][give], strict=True)
