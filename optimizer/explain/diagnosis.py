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
from optimizer.errors import Problem
from optimizer.explain.binding import binding_limits
from optimizer.model.build import MONEY, create_model, own_gap_closure_cell, stock_position
from optimizer.model.sets import ModelSets, no_order_stock
from optimizer.model.status import INFEASIBLE, OPTIMAL
from optimizer.solve.phases import PhaseRunner, open_session, sensitivity
from optimizer.solve.session import TimeBudget
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


def most_deliverable(sets: ModelSets, config: Config) -> pd.DataFrame:
    """An upper bound on what orders can bring each ally, without solving (no transfers).

    Each order x(ℓ,a,τ) is at most

        cap(ℓ,τ) + max_extra(ℓ)·[τ ≥ first period an expansion of ℓ is online]   (1, 2)

    and, with a budget, at most B(a,τ) / (c(ℓ) + k) when that price is positive, B being
    budget(a,τ), or Σ_{p≤τ} budget(a,p) with budget_carryover (5). It is 0 when the ally
    can receive item i from one host country only and σ < 1, as its row of rule 7 reads
    (1 − σ)·Σ x ≤ 0; and 0 when its price is positive for an ally with a work share
    whose industry makes nothing it can sell (rule 8 then holds its spending at 0).

    Returns the stock grid (ally, item, period) with ``arrivals``: the sum of these
    bounds over the orders delivered by the end of the period; ``earliest``: the first
    period an order can be delivered (NaN: none can); and the flags ``budgeted``,
    ``one_host`` (that host, or "") and ``no_work_share`` of the limits that applied.
    """
    rules = config.rules
    orders = sets.orders
    bound = sets.capacity.set_index(["line", "period"])["capacity"].reindex(
        pd.MultiIndex.from_frame(orders[["line", "period"]])).to_numpy(float)
    expansions = sets.expansions.groupby("line").agg(
        online=("online_from", "min"), extra=("max_extra", "first"))
    online = orders["line"].map(expansions["online"]).to_numpy(float)
    bound = bound + np.where(orders["period"].to_numpy() >= online,
                             orders["line"].map(expansions["extra"]).to_numpy(float), 0.0)
    price = orders["price"].to_numpy(float)
    paid = price > 0

    money = sets.budgets.copy()
    if rules.budget_carryover:
        money["budget"] = money.groupby("ally")["budget"].cumsum()
    money = money.set_index(["ally", "period"])["budget"]
    budget = money.reindex(pd.MultiIndex.from_frame(orders[["ally", "period"]])).to_numpy(float)
    budgeted = paid & ~np.isnan(budget)
    bound = np.where(budgeted, np.minimum(bound, np.divide(budget, price, where=paid,
                                                           out=np.full_like(price, np.inf))),
                     bound)

    work_share = sets.allies.set_index("ally")["work_share_min"].fillna(0.0)
    idle = set(work_share.index[work_share > 0]) - set(orders["host"])
    no_work_share = (orders["ally"].isin(idle).to_numpy() & paid if rules.work_share
                     else np.zeros(len(orders), bool))
    bound = np.where(no_work_share, 0.0, bound)

    # Positions in the stock grid (ally, item, period): pair p = position // horizon.
    horizon = len(sets.periods)
    grid = sets.stocks[["ally", "item", "period"]].copy()
    delivered = stock_position(sets, orders["ally"], orders["item"], orders["delivery"])
    pair = delivered // horizon
    pairs = len(grid) // horizon
    arrivals = np.bincount(delivered, weights=bound, minlength=len(grid))
    grid["arrivals"] = arrivals.reshape(pairs, horizon).cumsum(axis=1).ravel()

    def per_pair(flags: np.ndarray) -> np.ndarray:
        return np.repeat(np.bincount(pair, weights=flags, minlength=pairs) > 0, horizon)

    earliest = np.full(pairs, np.inf)
    np.minimum.at(earliest, pair, orders["delivery"].to_numpy(float))
    grid["earliest"] = np.repeat(np.where(np.isfinite(earliest), earliest, np.nan), horizon)
    grid["budgeted"] = per_pair(budgeted)
    grid["no_work_share"] = per_pair(no_work_share)
    # Rule 7 with one host country g: (1 − σ)·Σ x ≤ 0, so nothing arrives at all.
    host_code, host_names = pd.factorize(orders["host"])
    lowest, highest = np.full(pairs, len(host_names)), np.full(pairs, -1)
    np.minimum.at(lowest, pair, host_code)
    np.maximum.at(highest, pair, host_code)
    single = (lowest == highest) & (rules.max_supplier_share < 1.0)
    one_host = np.full(pairs, "", dtype=object)
    one_host[single] = np.asarray(host_names, dtype=object)[lowest[single]]
    grid["one_host"] = np.repeat(one_host, horizon)
    grid.loc[grid["one_host"] != "", "arrivals"] = 0.0
    return grid


def evident_conflicts(sets: ModelSets, data: AllianceData, config: Config) -> list[Problem]:
    """Commitments that cannot hold whatever the plan, seen without solving (for
    ``stockpile validate``). Without transfers an ally's stock at the end of period t is

        s(a,i,t) = P(a,i,t) + Σ orders delivered to a by t,  P = on_hand − Σ_{τ≤t} consumption,

    (P: ``no_order_stock``), and the deliveries are at most ``arrivals`` of
    ``most_deliverable``. So the solve is infeasible when, for some ally, item and period,

    - P + arrivals < 0: consumption cannot be covered (constraint 3);
    - ρ_a·gap > arrivals, with ρ_a > 0: the minimum gap closure cannot be met (rule 6;
      s + u ≥ target and u ≤ (1 − ρ_a)·gap need s ≥ P + ρ_a·gap).

    With transfers other allies might help, so nothing is claimed then. At most one
    finding per (ally, item) and rule: the first period it happens. Each is a Problem of
    severity "infeasible" naming the cell of the commitment."""
    if config.rules.allow_transfers:
        return []
    periods = np.asarray(sets.periods, dtype=object)
    reach = most_deliverable(sets, config)
    found: list[Problem] = []

    stocks = no_order_stock(sets.stocks, sets.on_hand).merge(reach, on=["ally", "item", "period"])
    left = stocks["no_order_stock"] + stocks["arrivals"]
    short = stocks[left < -GIVE * np.maximum(1.0, stocks["used"])]
    consumption = data.consumption.set_index(["ally", "item", "period"])["row"]
    for row in short.drop_duplicates(["ally", "item"]).itertuples(index=False):
        period = periods[row.period]
        found.append(Problem(
            data.cell("Consumption", "quantity", int(consumption[row.ally, row.item, period])),
            f"{row.ally} uses {figure(row.used)} {row.item} up to {period} but holds "
            f"{figure(row.on_hand)} and {_what_can_arrive(row, periods, data, config)}",
            severity="infeasible"))

    gaps = sets.shortfalls.merge(reach, on=["ally", "item", "period"], how="left")
    needed = gaps["closure"] * gaps["gap"]
    unmet = gaps[(gaps["closure"] > 0) & (needed > gaps["arrivals"]
                                          + GIVE * np.maximum(1.0, needed))]
    allies = data.allies.set_index("ally")
    for row in unmet.drop_duplicates(["ally", "item"]).itertuples(index=False):
        rule = own_gap_closure_cell(data, row.ally) or "rules.min_gap_closure"
        later = ""
        if row.arrivals <= GIVE and row.earliest > row.period:  # lead times: start later
            start = ("rules.min_gap_closure_from"
                     if pd.isna(allies.at[row.ally, "min_gap_closure_from"]) else
                     data.cell("Allies", "min_gap_closure_from", int(allies.at[row.ally, "row"])))
            later = f"; a later period in {start} starts the rule after it"
        found.append(Problem(
            data.cell("Requirements", "target", int(row.row)),
            f"{row.ally} must close {100 * row.closure:g} % of its gap of "
            f"{figure(row.gap)} {row.item} in {periods[row.period]} ({rule}), but "
            f"{_what_can_arrive(row, periods, data, config)}{later}",
            severity="infeasible"))
    return found


def _what_can_arrive(row, periods: np.ndarray, data: AllianceData, config: Config) -> str:
    """What can reach ``row.ally`` of ``row.item`` by the end of ``row.period``, and the
    limit that allows no more, as the end of a sentence."""
    ally, item = row.ally, row.item
    if row.earliest != row.earliest:  # NaN: no order exists
        return f"no production line can deliver {item} to {ally}"
    if row.no_work_share:
        allies = data.allies.set_index("ally")
        work_share = (f"{ally} hosts no production line that delivers within the horizon, so "
                      f"its work share "
                      f"({data.cell('Allies', 'work_share_min', int(allies.at[ally, 'row']))}) "
                      "lets it spend nothing")
    if row.arrivals > GIVE:
        within = (f", within {ally}'s budgets" if row.budgeted else "") + (
            f"; and only free deliveries, as {work_share}" if row.no_work_share else "")
        return (f"at most {figure(row.arrivals)} can be delivered by then (the capacity "
                f"of the lines making it, with every expansion built{within})")
    if row.earliest > row.period:
        return f"the earliest delivery arrives at the end of {periods[int(row.earliest)]}"
    if row.one_host:
        share = config.rules.max_supplier_share
        return (f"only {row.one_host} can deliver {item} to {ally}, and "
                f"rules.max_supplier_share = {share:g} lets no host country supply all of it")
    if row.no_work_share:
        return work_share
    if row.budgeted:
        return f"{ally}'s budgets leave no money for it by then"
    return "the lines making it have no capacity by then"
