"""Baseline 2, "what most users would write": SPEC §4 in plain PuLP 4.

The model is re-derived from the index frames of ``ModelSets`` (the same variables the
tool creates) the way a PuLP user writes it: dictionaries of variables keyed by codes
(``prob.add_variable_dict``), helper dictionaries of keys grouped by row, and one
``prob += lpSum(... for ... in ...) <= rhs`` per constraint. No arrays, no batching.
It is solved with ``pulp.HiGHS(msg=False)`` at the configuration's MIP gap.

Lexicographic mode is the straightforward two phases: minimise W, then add one dense
row ``W <= W*·(1 + tol) + tol``, set the cost as the objective and solve again from
scratch (PuLP hands the whole model to a new HiGHS instance). The two phases share the
time limit.

    python -m benchmarks.plain_pulp WORKBOOK --mode MODE --time-limit T

reads the workbook with the tool's reader (``load_workbook`` + ``build_sets``, timed as
"read"), builds ("build") and solves ("solve"), and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulp

if TYPE_CHECKING:
    from optimizer.config import Config


@dataclass
class PlainModel:
    prob: pulp.LpProblem
    cost: pulp.LpAffineExpression  # purchase + transport + expansion + holding
    shortfall: pulp.LpAffineExpression  # W = Σ priority · u
    penalty: pulp.LpAffineExpression  # Σ shortfall_penalty · u


def build(sets, config: Config) -> PlainModel:
    """SPEC §4 for the index sets ``sets`` (``optimizer.model.sets.ModelSets``)."""
    rules = config.rules
    periods = list(sets.periods)
    prob = pulp.LpProblem("stockpile_plain", pulp.LpMinimize)

    # --- Variables -----------------------------------------------------------------
    orders = list(sets.orders.itertuples(index=False))
    x_key = {}  # position in sets.orders -> (facility, item, ally, period)
    for n, o in enumerate(orders):
        x_key[n] = (o.facility, o.item, o.ally, periods[o.period])
    x = prob.add_variable_dict("x_%s_%s_%s_%s", list(x_key.values()), lowBound=0)
    for n, o in enumerate(orders):
        if o.integer:
            x[x_key[n]].cat = pulp.LpInteger

    expansions = list(sets.expansions.itertuples(index=False))
    e = prob.add_variable_dict(
        "e_%s_%s_%s", [(r.facility, r.item, periods[r.period]) for r in expansions],
        lowBound=0)

    transfers = list(sets.transfers.itertuples(index=False))
    y_keys = [(r.giver, r.ally, r.item, periods[int(r.period)]) for r in transfers]
    y = prob.add_variable_dict("y_%s_%s_%s_%s", y_keys, lowBound=0)
    for key, r in zip(y_keys, transfers, strict=True):
        if r.integer:
            y[key].cat = pulp.LpInteger

    stocks = list(sets.stocks.itertuples(index=False))
    s = prob.add_variable_dict(
        "s_%s_%s_%s", [(r.ally, r.item, periods[r.period]) for r in stocks], lowBound=0)

    shortfalls = list(sets.shortfalls.itertuples(index=False))
    u = prob.add_variable_dict(
        "u_%s_%s_%s", [(r.ally, r.item, periods[r.period]) for r in shortfalls], lowBound=0)
    # 6. Minimum gap closure: u(a,i,t) <= (1 - rho_a) * gap(a,i,t), as a bound.
    for r in shortfalls:
        u[r.ally, r.item, periods[r.period]].upBound = r.upper

    # --- 1. Capacity ------------------------------------------------------------------
    ordered_on = defaultdict(list)  # (facility, item, period) -> x keys
    for n, o in enumerate(orders):
        ordered_on[o.facility, o.item, periods[o.period]].append(x_key[n])
    built_on = defaultdict(list)  # (facility, item) -> (e key, first period it is usable)
    for r in expansions:
        built_on[r.facility, r.item].append(((r.facility, r.item, periods[r.period]),
                                             r.online_from))
    for c in sets.capacity.itertuples(index=False):
        used = ordered_on.get((c.facility, c.item, periods[c.period]), [])
        extra = [key for key, online in built_on.get((c.facility, c.item), [])
                 if online <= c.period]
        if used or extra:
            prob += (lpSum(x[k] for k in used) - lpSum(e[k] for k in extra)
                     <= c.capacity)

    # --- 2. Expansion limit -------------------------------------------------------------
    max_extra = {(r.facility, r.item): r.max_extra for r in expansions}
    for line, limit in max_extra.items():
        prob += lpSum(e[key] for key, _ in built_on[line]) <= limit

    # --- 3. Stock balance ---------------------------------------------------------------
    arriving = defaultdict(list)  # (ally, item, period) -> x keys delivered then
    for n, o in enumerate(orders):
        arriving[o.ally, o.item, o.delivery].append(x_key[n])
    given_to, given_by = defaultdict(list), defaultdict(list)
    for key, r in zip(y_keys, transfers, strict=True):
        given_to[r.ally, r.item, int(r.arrival)].append(key)
        given_by[r.giver, r.item, int(r.period)].append(key)
    on_hand = {(r.ally, r.item): r.on_hand for r in sets.on_hand.itertuples(index=False)}
    for r in stocks:
        a, i, t = r.ally, r.item, r.period
        before = s[a, i, periods[t - 1]] if t > 0 else on_hand[a, i]
        prob += (s[a, i, periods[t]]
                 == before
                 + lpSum(x[k] for k in arriving[a, i, t])
                 + lpSum(y[k] for k in given_to[a, i, t])
                 - lpSum(y[k] for k in given_by[a, i, t])
                 - r.consumption)

    # --- 4. Readiness ---------------------------------------------------------------------
    for r in shortfalls:
        key = (r.ally, r.item, periods[r.period])
        prob += s[key] + u[key] >= r.target

    # --- 5. Budget ------------------------------------------------------------------------
    spend = defaultdict(list)  # (ally, period) -> [(money per unit, variable)]
    for n, o in enumerate(orders):
        spend[o.ally, o.period].append((o.unit_cost + o.route_cost, x[x_key[n]]))
    for key, r in zip(y_keys, transfers, strict=True):
        spend[r.ally, int(r.period)].append((r.route_cost, y[key]))
    for r in expansions:
        if r.payer is not None and r.payer == r.payer:  # not blank (None or NaN)
            spend[r.payer, r.period].append((r.cost_per_unit,
                                             e[r.facility, r.item, periods[r.period]]))
    budget = {(r.ally, r.period): r.budget for r in sets.budgets.itertuples(index=False)}
    for (a, t), money in budget.items():
        if rules.budget_carryover:  # Σ_{τ<=t} spend(a,τ) <= Σ_{τ<=t} budget(a,τ)
            terms = [term for tau in range(t + 1) for term in spend[a, tau]]
            limit = sum(budget[a, tau] for tau in range(t + 1))
        else:
            terms, limit = spend[a, t], money
        if terms:
            prob += lpSum(price * var for price, var in terms) <= limit

    # --- 7. Supplier share ------------------------------------------------------------------
    share = rules.max_supplier_share
    if share < 1.0:
        hosts_of = defaultdict(set)  # item -> host countries of its lines
        for line in sets.lines.itertuples(index=False):
            hosts_of[line.item].add(line.host)
        bought = defaultdict(list)  # (ally, item) -> x keys
        bought_from = defaultdict(list)  # (ally, item, host) -> x keys
        for n, o in enumerate(orders):
            bought[o.ally, o.item].append(x_key[n])
            bought_from[o.ally, o.item, o.host].append(x_key[n])
        for (a, i), keys in bought.items():
            for g in sorted(hosts_of[i]):
                prob += (lpSum(x[k] for k in bought_from[a, i, g])
                         <= share * lpSum(x[k] for k in keys))

    # --- 8. Work share ----------------------------------------------------------------------
    if rules.work_share:
        made_by = defaultdict(list)  # host -> (unit cost, x key)
        for n, o in enumerate(orders):
            made_by[o.host].append((o.unit_cost, x_key[n]))
        for ally in sets.allies.itertuples(index=False):
            omega = ally.work_share_min
            if omega != omega or omega is None or omega <= 0:  # blank or 0
                continue
            spent = [term for t in range(len(periods)) for term in spend[ally.ally, t]]
            if made_by[ally.ally] or spent:
                prob += (lpSum(c * x[k] for c, k in made_by[ally.ally])
                         >= omega * lpSum(price * var for price, var in spent))

    # --- Objective terms ----------------------------------------------------------------------
    cost = (lpSum((o.unit_cost + o.route_cost) * x[x_key[n]] for n, o in enumerate(orders))
            + lpSum(r.route_cost * y[k] for k, r in zip(y_keys, transfers, strict=True))
            + lpSum(r.cost_per_unit * e[r.facility, r.item, periods[r.period]]
                    for r in expansions)
            + lpSum(r.holding_cost * s[r.ally, r.item, periods[r.period]] for r in stocks))
    shortfall = lpSum(r.priority * u[r.ally, r.item, periods[r.period]] for r in shortfalls)
    penalty = lpSum(r.penalty * u[r.ally, r.item, periods[r.period]] for r in shortfalls)
    return PlainModel(prob, cost, shortfall, penalty)


lpSum = pulp.lpSum


def solve(model: PlainModel, config: Config, time_limit: float) -> dict:
    """Solve in the configuration's objective mode; the phases share ``time_limit``."""
    mode = config.objective.mode
    gap = config.solver.mip_gap
    prob = model.prob
    phases: list[dict] = []

    def run(name: str) -> bool:
        remaining = max(1e-3, time_limit - sum(p["seconds"] for p in phases))
        started = time.perf_counter()
        stats = prob.solve(pulp.HiGHS(msg=False, timeLimit=remaining, gapRel=gap))
        phases.append({"phase": name, "status": stats.status.name,
                       "has_solution": bool(stats.has_solution),
                       "seconds": time.perf_counter() - started})
        return bool(stats.has_solution)

    if mode == "weighted":
        prob.setObjective(model.cost + model.penalty)
        solved = run("weighted")
    else:
        prob.setObjective(model.shortfall)
        solved = run("shortfall")
        if solved:
            optimum = pulp.value(model.shortfall)
            tolerance = config.objective.shortfall_tolerance
            prob += model.shortfall <= optimum * (1 + tolerance) + tolerance
            prob.setObjective(model.cost)
            solved = run("cost")
    result = {
        "status": phases[-1]["status"],
        "has_solution": solved,
        "time_limit_hit": any(p["status"] == "TimeLimit" for p in phases),
        "total_cost": pulp.value(model.cost) if solved else None,
        "weighted_shortfall": pulp.value(model.shortfall) if solved else None,
        "phases": phases,
    }
    result["objective"] = None if not solved else (
        result["total_cost"] + pulp.value(model.penalty) if mode == "weighted"
        else result["total_cost"])
    return result


def solve_workbook(path, config: Config) -> dict:
    """Read, build and solve; timings in seconds under "timings"."""
    from optimizer.model.sets import build_sets
    from optimizer.workbook.validation import load_workbook

    timings = {}
    started = time.perf_counter()
    data, _ = load_workbook(path, config.rules)
    sets = build_sets(data, config)
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    model = build(sets, config)
    timings["build"] = time.perf_counter() - started
    started = time.perf_counter()
    result = solve(model, config, config.solver.time_limit)
    timings["solve"] = time.perf_counter() - started
    result["timings"] = timings
    result["model_size"] = {"variables": model.prob.numVariables(),
                            "constraints": model.prob.numConstraints()}
    return result


def main() -> None:
    from benchmarks.instances import benchmark_config

    parser = argparse.ArgumentParser(prog="python -m benchmarks.plain_pulp")
    parser.add_argument("workbook")
    parser.add_argument("--mode", choices=("weighted", "lexicographic"), required=True)
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    config = benchmark_config(args.mode, args.time_limit)
    print(json.dumps(solve_workbook(args.workbook, config)), flush=True)


if __name__ == "__main__":
    main()
