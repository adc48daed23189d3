"""What a workbook evidently cannot do, seen without a solver (``stockpile validate``).

``most_deliverable`` bounds, per ally, item and period, the most that can be delivered
with full capacity and every expansion, budgets with carry-over, and the supplier-share
and work-share limits; ``evident_conflicts`` names each commitment that this bound shows
cannot hold (a consumption to cover, a minimum gap closure), as a problem at its cell.
The bound is sound: it never calls a feasible input infeasible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.errors import Problem
from optimizer.model.build import own_gap_closure_cell, stock_position
from optimizer.model.sets import ModelSets, no_order_stock
from optimizer.tolerance import GIVE
from optimizer.words import figure
from optimizer.workbook.data import AllianceData


def most_deliverable(sets: ModelSets, config: Config) -> pd.DataFrame:
    """An upper bound on what orders can bring each ally, without solving (no transfers).

    Each order x(ℓ,a,τ) is at most

        cap(ℓ,τ) + max_extra(ℓ)·[τ ≥ first period an expansion of ℓ is online]   (1, 2)

    and, with a budget, at most B(a,τ) / (c(ℓ) + k) when that price is positive, B being
    budget(a,τ), or Σ_{p≤τ} budget(a,p) with budget_carryover (5), unless a is the lead
    of a framework with a fee (whose income no budget shows). It is 0 when the ally
    can receive item i from one host country only and σ < 1, as its row of rule 7 reads
    (1 − σ)·Σ x ≤ 0; and 0 when its price is positive for an ally with a work share
    whose industry makes nothing it can sell (rule 8 then holds its spending at 0).

    With components (SPEC §7.3) an order is also at most A(k,τ) / quantity(ℓ,k) for
    every component k its line draws, A(k,τ) = on_hand(k) + Σ the bounds (1, 2) of k's
    lines' production arriving by τ: what could reach the pool by then if nothing else
    drew it (``_component_bound``).

    Returns the stock grid (ally, item, period) with ``arrivals``: the sum of these
    bounds over the orders delivered by the end of the period; ``earliest``: the first
    period an order can be delivered (NaN: none can); and the flags ``budgeted``,
    ``one_host`` (that host, or "") and ``no_work_share`` of the limits that applied,
    and ``component``, the component that bounds the pair's orders (or "").
    """
    rules = config.rules
    orders = sets.orders
    bound = _line_bound(sets, orders["line"], orders["period"])
    price = orders["price"].to_numpy(float)
    paid = price > 0

    money = sets.budgets.copy()
    if rules.budget_carryover:
        money["budget"] = money.groupby("ally")["budget"].cumsum()
    money = money.set_index(["ally", "period"])["budget"]
    budget = money.reindex(pd.MultiIndex.from_frame(orders[["ally", "period"]])).to_numpy(float)
    # A framework's lead may also spend the fees its members pay it (SPEC §7.2), which
    # no bound here foresees: its budget bounds none of its orders.
    fee_income = orders.loc[orders["fee"] > 0, "lead"].unique()
    budget = np.where(orders["ally"].isin(fee_income).to_numpy(), np.nan, budget)
    budgeted = paid & ~np.isnan(budget)
    bound = np.where(budgeted, np.minimum(bound, np.divide(budget, price, where=paid,
                                                           out=np.full_like(price, np.inf))),
                     bound)

    drawn, drawn_bound = _component_bound(sets, bound)
    limited_by_components = drawn_bound < bound - GIVE * np.maximum(1.0, bound)
    bound = np.minimum(bound, drawn_bound)

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
    # The component that holds a pair's orders back most often (SPEC §7.3), "" for none.
    held = pd.Series(np.where(limited_by_components, drawn, None), dtype=object)
    component = held.groupby(pair).agg(lambda codes: codes.dropna().mode().iloc[0]
                                       if codes.notna().any() else "")
    by_pair = np.full(pairs, "", dtype=object)
    by_pair[component.index.to_numpy(dtype=np.int64)] = component.to_numpy(dtype=object)
    grid["component"] = np.repeat(by_pair, horizon)
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


def _line_bound(sets: ModelSets, lines: pd.Series, periods: pd.Series) -> np.ndarray:
    """cap(ℓ,τ) + max_extra(ℓ)·[τ ≥ the first period an expansion of ℓ is online] for
    each (line, period) given: the most a line can make in a period (1, 2)."""
    key = pd.MultiIndex.from_arrays([lines.to_numpy(), periods.to_numpy()])
    bound = sets.capacity.set_index(["line", "period"])["capacity"].reindex(key).to_numpy(float)
    expansions = sets.expansions.groupby("line").agg(
        online=("online_from", "min"), extra=("max_extra", "first"))
    online = lines.map(expansions["online"]).to_numpy(float)
    return bound + np.where(periods.to_numpy() >= online,
                            lines.map(expansions["extra"]).to_numpy(float), 0.0)


def _component_bound(sets: ModelSets, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per order, the component that bounds it most and that bound: min over the
    components k its line draws of A(k,τ) / quantity(ℓ,k), A(k,τ) = on_hand(k) + Σ
    ``_line_bound`` of k's production arriving by τ (∞ and None for a line that draws
    none). Sound: all the draws on k by τ together never exceed A(k,τ)."""
    orders, uses, pools = sets.orders, sets.uses, sets.pools
    none = np.full(len(orders), None, dtype=object), np.full(len(orders), np.inf)
    if uses.empty or orders.empty:
        return none
    productions = sets.productions
    horizon = len(sets.periods)
    supply = np.where(pools["period"].to_numpy() == 0, pools["on_hand"].to_numpy(float), 0.0)
    supply += np.bincount(productions["pool"].to_numpy(np.int64),
                          weights=_line_bound(sets, productions["line"], productions["period"]),
                          minlength=len(pools))
    available = supply.reshape(-1, horizon).cumsum(axis=1).ravel()
    drawing = orders[["line", "period"]].reset_index(names="order").merge(
        uses[["line", "component", "quantity"]], on="line")
    ratio = (available[sets.pool_position(drawing["component"], drawing["period"])]
             / drawing["quantity"].to_numpy(float))
    tightest = drawing.assign(ratio=ratio).sort_values(["order", "ratio"], kind="mergesort") \
        .drop_duplicates("order")
    component, limit = none[0].copy(), none[1].copy()
    component[tightest["order"].to_numpy()] = tightest["component"].to_numpy(dtype=object)
    limit[tightest["order"].to_numpy()] = tightest["ratio"].to_numpy(float)
    return component, limit


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


def _component_supply(component: str, periods: np.ndarray, data: AllianceData) -> str:
    """Where a component comes from, in words with its cells: what industry holds and
    when the first of it arrives from its lines (SPEC §7.3)."""
    stocks = data.industry_stocks
    held = stocks[stocks["component"] == component]
    if held.empty:
        holds = f"industry holds no {component} (no IndustryStocks row)"
    else:
        record = held.iloc[0]
        holds = (f"industry holds {figure(record['on_hand'])} "
                 f"({data.cell('IndustryStocks', 'on_hand', int(record['row']))})")
    lines = data.production[data.production["item"] == component]
    if lines.empty:
        return f"{holds} and no line makes it"
    first = lines.loc[lines["lead_time"].astype(int).idxmin()]
    lead = int(first["lead_time"])
    if lead >= len(periods):
        return f"{holds} and none of its lines delivers within the horizon"
    return (f"{holds} and the first from its lines arrives at the end of {periods[lead]} "
            f"({data.cell('Production', 'lead_time', int(first['row']))}, lead time {lead})")


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
    drawn = (f", and the {row.component} they draw from industry (IndustryStocks and "
             f"the lines making {row.component})" if row.component else "")
    if row.arrivals > GIVE:
        within = (f", within {ally}'s budgets" if row.budgeted else "") + (
            f"; and only free deliveries, as {work_share}" if row.no_work_share else "")
        return (f"at most {figure(row.arrivals)} can be delivered by then (the capacity "
                f"of the lines making it, with every expansion built{within}{drawn})")
    if row.component:
        return (f"the lines making it draw {row.component}, and none can reach them by "
                f"then: {_component_supply(row.component, periods, data)}")
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
