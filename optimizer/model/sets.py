"""Index sets of the allocation model (SPEC §4): which variables exist, with their data.

Everything here is vectorised pandas over the combinations that exist: a line is
crossed with the allies it may deliver to (after Restrictions) and the order periods
whose delivery falls inside the horizon, never a full cross product filtered afterwards
at period level. Periods are positions t = 0 … T-1 in sheet order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.workbook.data import (
    ROW,
    AllianceData,
    fair_shares,
    forbidding_rows,
    ranges,
    route_terms,
)


@dataclass(frozen=True)
class ModelSets:
    """The data of every variable and constraint family, one frame each.

    lines        ℓ: facility, host, item, unit_cost, lead_time, row (Production row)
    capacity     (ℓ, t): capacity cap(ℓ,t), source ("Production" or "Capacity") and row
    orders       x(ℓ,a,t): line, facility, host, item, ally, period, delivery, unit_cost
                 (what the line is paid a unit: c(ℓ), or a framework's unit_price),
                 route_cost, fee (a framework member's fee_per_unit, else 0), price
                 (= unit_cost + fee + k, what a unit costs the ordering ally), integer,
                 framework and its lead (None: a direct order); the direct orders
                 first, then the framework orders x_f(ℓ,a,t) of SPEC §7.2
                 (``_framework_pairs``)
    expansions   e(ℓ,t): line, facility, item, period, online_from, cost_per_unit, payer,
                 max_extra, expansion_row
    transfers    y(a,b,i,t): giver, ally, item, period, arrival, route_cost, integer
    stocks       s(a,i,t): ally, item, period, consumption, holding_cost; on_hand per (a,i)
    shortfalls   u(a,i,t): one per Requirements row: ally, item, period, target, gap,
                 priority, penalty, closure (ρ(a,t): ρ_a, or 0 before the ally's
                 min_gap_closure_from), upper (= (1 − ρ(a,t))·gap), row
    budgets      (a,t): ally, period, budget, row (NaN row: a period left out, budget 0)
    capabilities v(a,p,t) (SPEC §7.1): one per CapabilityTargets row: ally, platform,
                 period, target, priority (Platforms, 1 for a platform the ally does not
                 list), penalty (= objective.shortfall_penalty × priority), row
    counts       c(a,i,p,t): one per CapabilityTargets row (a,p,t), p among a's
                 Platforms, and qualified Compatibility pair (p,i): ally, item, platform,
                 period, factor, target (its position in ``capabilities``)
    alliance     U(i,t) (SPEC §7.2): one per AllianceTargets row: item, period, target,
                 priority (the row's, else the item's), penalty (= objective.
                 shortfall_penalty × priority), row
    bands        g(a,i,t): with rules.fair_share_band δ < 1, one per AllianceTargets row
                 and ally: ally, item, period, fair_share φ_a, floor (= (1 − δ)·φ_a·
                 target), priority, penalty, target (its position in ``alliance``)
    funding      f(a,b,t) (SPEC §7.2): one per Funding row and period: giver a, ally b
                 (whose purchases a pays for), period, max_amount (NaN: no cap), pair
                 (the row's position in the Funding sheet), row
    pools        q(k,t) (SPEC §7.3): one per component k (an item that BillOfMaterials
                 names as a component) and period: component, period, on_hand (the
                 IndustryStocks row's, 0 without one; the pool before the first period),
                 row (IndustryStocks row, 0: none)
    productions  z(ℓ,t): one per component line ℓ (a line whose item is a component;
                 no ally orders from it, so ``orders`` leaves it out) and start period t
                 whose delivery t + d(ℓ) is in the horizon: line, facility, host, item,
                 period, arrival, unit_cost, integer, pool (the position of q(i(ℓ), t +
                 d(ℓ)) in ``pools``)
    uses         one per BillOfMaterials row: line ℓ' (the line that uses the
                 component), facility, item, component, quantity, row
    """

    periods: tuple[str, ...]
    lines: pd.DataFrame
    capacity: pd.DataFrame
    orders: pd.DataFrame
    expansions: pd.DataFrame
    transfers: pd.DataFrame
    stocks: pd.DataFrame
    on_hand: pd.DataFrame
    shortfalls: pd.DataFrame
    budgets: pd.DataFrame
    allies: pd.DataFrame
    items: pd.DataFrame
    capabilities: pd.DataFrame
    counts: pd.DataFrame
    alliance: pd.DataFrame
    bands: pd.DataFrame
    funding: pd.DataFrame
    pools: pd.DataFrame
    productions: pd.DataFrame
    uses: pd.DataFrame

    def pool_position(self, component, period) -> np.ndarray:
        """Position of q(k,t) in ``pools`` (ordered component, period)."""
        codes = pd.Index(self.pools["component"].unique())
        return codes.get_indexer(component) * len(self.periods) + np.asarray(period)


def components_of(data: AllianceData) -> pd.Index:
    """The components (SPEC §7.3): the items BillOfMaterials names as a component, in
    Items order."""
    named = set(data.bill_of_materials["component"])
    return pd.Index([item for item in data.items["item"] if item in named], dtype=object)


def route_costs(data: AllianceData, routes: pd.DataFrame) -> pd.DataFrame:
    """``routes`` (columns from, to, item) with the per-unit cost ``route_cost`` and the
    extra lead time ``route_delay`` of each (``workbook.data.route_terms``)."""
    out = routes.copy()
    out["route_cost"], out["route_delay"] = route_terms(
        data.transport, routes["from"], routes["to"], routes["item"])
    return out


def build_sets(data: AllianceData, config: Config) -> ModelSets:
    """Derive every index set of SPEC §4 from the validated data and the configuration."""
    rules = config.rules
    periods = data.periods
    horizon = len(periods)
    period_of = data.period_index

    items = data.items.set_index("item")
    allies = data.allies.set_index("ally")

    lines = data.production[["facility", "host", "item", "unit_cost", "lead_time", ROW]].copy()
    lines.index.name = "line"
    lines = lines.reset_index()

    # Capacity per (line, period): the base, replaced where Capacity gives one.
    base = data.production[["facility", "item", "capacity", ROW]].copy()
    base["line"] = np.arange(len(base))
    capacity = base.loc[base.index.repeat(horizon)].reset_index(drop=True)
    capacity["period"] = np.tile(np.arange(horizon), len(base))
    capacity["source"] = "Production"
    overrides = data.capacity.assign(period=data.capacity["period"].map(period_of))
    capacity = capacity.merge(
        overrides[["facility", "item", "period", "capacity", ROW]],
        on=["facility", "item", "period"], how="left", suffixes=("", "_override"),
    )
    overridden = capacity["capacity_override"].notna()
    capacity.loc[overridden, "capacity"] = capacity.loc[overridden, "capacity_override"]
    capacity.loc[overridden, ROW] = capacity.loc[overridden, f"{ROW}_override"]
    capacity.loc[overridden, "source"] = "Capacity"
    capacity = capacity[["line", "facility", "item", "period", "capacity", "source", ROW]]
    capacity[ROW] = capacity[ROW].astype("int64")

    # Orders x(ℓ,a,t): lines crossed with allies, minus restrictions, then periods. No
    # ally orders from a component line (SPEC §7.3): it fills the industry pool.
    components = components_of(data)
    ordered = lines[~lines["item"].isin(components)]
    ally_codes = data.allies["ally"].to_numpy()
    pairs = ordered.loc[ordered.index.repeat(len(ally_codes))].reset_index(drop=True)
    pairs["ally"] = np.tile(ally_codes, len(ordered))
    pairs = pairs[forbidding_rows(data.restrictions, pairs, transfers=False) == 0]
    pairs = route_costs(data, pairs.rename(columns={"host": "from", "ally": "to"})).rename(
        columns={"from": "host", "to": "ally"}
    )
    pairs = pairs.assign(fee=0.0, framework=None, lead=None)
    pairs = pd.concat([pairs, _framework_pairs(data, pairs)], ignore_index=True)
    delay = pairs["lead_time"].to_numpy() + pairs["route_delay"].to_numpy()
    usable = np.clip(horizon - delay, 0, None)  # order periods whose delivery is in time
    orders = pairs.loc[pairs.index.repeat(usable)].reset_index(drop=True)
    orders["period"] = ranges(usable)
    orders["delivery"] = orders["period"] + np.repeat(delay, usable)
    orders["integer"] = orders["item"].map(items["integer"]).astype(bool)
    orders["price"] = orders["unit_cost"] + orders["fee"] + orders["route_cost"]
    orders = orders[
        ["line", "facility", "host", "item", "ally", "period", "delivery", "unit_cost",
         "route_cost", "fee", "price", "integer", "framework", "lead"]
    ]

    # Expansions e(ℓ,t), usable from t + lead_time, created only when that is in the horizon.
    expansion = data.expansion.merge(
        lines[["line", "facility", "item"]], on=["facility", "item"]
    ).rename(columns={ROW: "expansion_row"})
    count = np.clip(horizon - expansion["lead_time"].to_numpy(), 0, None)
    expansions = expansion.loc[expansion.index.repeat(count)].reset_index(drop=True)
    expansions["period"] = ranges(count)
    expansions["online_from"] = expansions["period"] + expansions["lead_time"]
    expansions = expansions[
        ["line", "facility", "item", "period", "online_from", "cost_per_unit", "payer",
         "max_extra", "expansion_row"]
    ]

    transfers = _transfer_set(data, horizon, items, components) if rules.allow_transfers else (
        pd.DataFrame(columns=["giver", "ally", "item", "period", "arrival", "route_cost",
                              "integer"])
    )

    # Stocks s(a,i,t) for every ally, item and period, with consumption and holding cost.
    item_codes = data.items["item"].to_numpy()
    grid = pd.MultiIndex.from_product(
        [ally_codes, item_codes, range(horizon)], names=["ally", "item", "period"]
    ).to_frame(index=False)
    use = data.consumption.assign(period=data.consumption["period"].map(period_of))
    stocks = grid.merge(use[["ally", "item", "period", "quantity"]],
                        on=["ally", "item", "period"], how="left")
    stocks["consumption"] = stocks.pop("quantity").fillna(0.0)
    stocks["holding_cost"] = stocks["item"].map(items["holding_cost"]).astype(float)
    on_hand = pd.MultiIndex.from_product([ally_codes, item_codes], names=["ally", "item"]) \
        .to_frame(index=False).merge(
            data.stocks[["ally", "item", "on_hand"]], on=["ally", "item"], how="left"
        ).fillna({"on_hand": 0.0})

    shortfalls = _shortfall_set(data, config, stocks, on_hand, items, allies, period_of)
    budgets = _budget_set(data, horizon, period_of)
    capabilities, counts = _capability_sets(data, config, period_of)
    alliance, bands = _alliance_sets(data, config, items, period_of)
    pools, productions, uses = _component_sets(data, lines, components, items, horizon)
    return ModelSets(
        periods=periods, lines=lines, capacity=capacity, orders=orders,
        expansions=expansions, transfers=transfers, stocks=stocks, on_hand=on_hand,
        shortfalls=shortfalls, budgets=budgets, allies=data.allies, items=data.items,
        capabilities=capabilities, counts=counts, alliance=alliance, bands=bands,
        funding=_funding_set(data, horizon), pools=pools, productions=productions,
        uses=uses,
    )


def _framework_pairs(data: AllianceData, pairs: pd.DataFrame) -> pd.DataFrame:
    """The (line, ally) pairs of framework orders (SPEC §7.2): for every Frameworks row
    and every ally that may order through it (its lead and its FrameworkMembers), the
    pair of the framework's line and that ally in ``pairs``, the direct pairs that
    Restrictions leave, with their route; so that Restrictions, routes, lead times and
    the horizon apply to them as to any order. unit_cost is the framework's unit_price
    (blank: the line's unit_cost), fee its fee_per_unit for a member and 0 for the
    lead; in Frameworks' row order, then Allies' order."""
    frameworks = data.frameworks.reset_index(drop=True)
    if frameworks.empty:
        return pairs.iloc[:0]
    leads = frameworks[["framework", "lead"]].rename(columns={"lead": "ally"})
    allowed = pd.concat([leads, data.framework_members[["framework", "ally"]]],
                        ignore_index=True).drop_duplicates()
    allowed = allowed.merge(frameworks.reset_index(names="position")[
        ["position", "framework", "facility", "item", "lead", "unit_price", "fee_per_unit"]],
        on="framework")
    allowed["ally_position"] = pd.Index(data.allies["ally"]).get_indexer(allowed["ally"])
    allowed = allowed.sort_values(["position", "ally_position"], kind="mergesort")
    found = allowed.merge(pairs.drop(columns=["fee", "framework", "lead"]),
                          on=["facility", "item", "ally"])
    found["unit_cost"] = found["unit_price"].fillna(found["unit_cost"]).astype(float)
    found["fee"] = np.where(found["ally"] == found["lead"], 0.0,
                            found["fee_per_unit"].astype(float))
    return found[pairs.columns].reset_index(drop=True)


def _transfer_set(data: AllianceData, horizon: int, items: pd.DataFrame,
                  components: pd.Index) -> pd.DataFrame:
    """y(a,b,i,t) for every ordered pair of allies a ≠ b, item other than a component
    (allies hold none) and period, in time."""
    codes = data.allies["ally"].to_numpy()
    givers, takers = np.meshgrid(codes, codes, indexing="ij")
    keep = givers != takers
    pairs = pd.DataFrame({"from": givers[keep], "to": takers[keep]})
    item_codes = data.items["item"].to_numpy()
    item_codes = item_codes[~np.isin(item_codes, components)]
    triples = pairs.loc[pairs.index.repeat(len(item_codes))].reset_index(drop=True)
    triples["item"] = np.tile(item_codes, len(pairs))
    check = triples.rename(columns={"from": "host", "to": "ally"}).assign(facility=None)
    triples = triples[forbidding_rows(data.restrictions, check, transfers=True) == 0].reset_index(
        drop=True)
    triples = route_costs(data, triples)
    usable = np.clip(horizon - triples["route_delay"].to_numpy(), 0, None)
    transfers = triples.loc[triples.index.repeat(usable)].reset_index(drop=True)
    transfers["period"] = ranges(usable)
    transfers["arrival"] = transfers["period"] + np.repeat(triples["route_delay"].to_numpy(),
                                                           usable)
    transfers["integer"] = transfers["item"].map(items["integer"]).astype(bool)
    return transfers.rename(columns={"from": "giver", "to": "ally"})[
        ["giver", "ally", "item", "period", "arrival", "route_cost", "integer"]
    ]


def no_order_stock(stocks: pd.DataFrame, on_hand: pd.DataFrame) -> pd.DataFrame:
    """P(a,i,t) = on_hand(a,i) − Σ_{τ≤t} consumption(a,i,τ), the stock with no orders,
    for each row of the stock grid ``stocks`` (``ModelSets.stocks``, ``on_hand``): columns
    ally, item, period, consumption, used (= Σ_{τ≤t} consumption), on_hand, no_order_stock."""
    grid = stocks[["ally", "item", "period", "consumption"]].copy()
    grid["used"] = grid.groupby(["ally", "item"])["consumption"].cumsum()
    grid = grid.merge(on_hand, on=["ally", "item"])
    grid["no_order_stock"] = grid["on_hand"] - grid["used"]
    return grid


def _shortfall_set(
    data: AllianceData, config: Config, stocks: pd.DataFrame, on_hand: pd.DataFrame,
    items: pd.DataFrame, allies: pd.DataFrame, period_of: dict[str, int],
) -> pd.DataFrame:
    """One shortfall u per Requirements row, with its gap and the bound of rule 6.

    P(a,i,t) = ``no_order_stock``; gap = max(0, target − P);
    u ≤ (1 − ρ(a,t)) · gap, where ρ(a,t) = ρ_a from the ally's first period t_a on and
    0 before it (the ρ = 0 form holds in every period); ρ_a = Allies.min_gap_closure,
    else rules.min_gap_closure; t_a = Allies.min_gap_closure_from, else
    rules.min_gap_closure_from, else the first period.
    """
    no_orders = no_order_stock(stocks, on_hand)
    requirements = data.requirements.assign(
        period=data.requirements["period"].map(period_of)
    )
    shortfalls = requirements.merge(
        no_orders[["ally", "item", "period", "no_order_stock"]],
        on=["ally", "item", "period"], how="left",
    )
    shortfalls["gap"] = (shortfalls["target"] - shortfalls["no_order_stock"]).clip(lower=0.0)
    rules = config.rules
    closure = allies["min_gap_closure"].fillna(rules.min_gap_closure)
    first = allies["min_gap_closure_from"].fillna(rules.min_gap_closure_from or
                                                   data.periods[0])
    applies = shortfalls["period"] >= shortfalls["ally"].map(first.map(period_of))
    shortfalls["closure"] = np.where(applies, shortfalls["ally"].map(closure), 0.0)
    shortfalls["upper"] = (1.0 - shortfalls["closure"]) * shortfalls["gap"]
    shortfalls["priority"] = shortfalls["item"].map(items["priority"]).astype(float)
    penalty = items["shortfall_penalty"].fillna(config.objective.shortfall_penalty)
    shortfalls["penalty"] = shortfalls["item"].map(penalty).astype(float)
    return shortfalls[
        ["ally", "item", "period", "target", "no_order_stock", "gap", "closure", "upper",
         "priority", "penalty", ROW]
    ]


def _capability_sets(data: AllianceData, config: Config, period_of: dict[str, int]
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SPEC §7.1: v(a,p,t) for every CapabilityTargets row, with priority(a,p) from
    Platforms and the weighted mode's penalty shortfall_penalty × priority(a,p); and
    c(a,i,p,t) for every such row whose platform p is among a's Platforms, crossed with
    the qualified Compatibility pairs (p,i), with factor(p,i). ``counts["target"]`` is
    the position of the row's v in ``capabilities``."""
    platforms = data.platforms[["ally", "platform", "priority"]]
    capabilities = data.capability_targets.assign(
        period=data.capability_targets["period"].map(period_of)).merge(
        platforms, on=["ally", "platform"], how="left")
    capabilities["priority"] = capabilities["priority"].fillna(1.0).astype(float)
    capabilities["penalty"] = config.objective.shortfall_penalty * capabilities["priority"]
    capabilities = capabilities[["ally", "platform", "period", "target", "priority",
                                 "penalty", ROW]].reset_index(drop=True)
    capabilities["period"] = capabilities["period"].astype("int64")

    qualified = data.compatibility[data.compatibility["qualified"].astype(bool)]
    operated = capabilities[["ally", "platform", "period"]].reset_index(names="target").merge(
        platforms[["ally", "platform"]], on=["ally", "platform"])
    counts = operated.merge(
        qualified[["platform", "item", "factor"]], on="platform")
    counts["factor"] = counts["factor"].astype(float)
    counts = counts.sort_values(["target", "item"], kind="mergesort").reset_index(drop=True)
    return capabilities, counts[["ally", "item", "platform", "period", "factor", "target"]]


def _alliance_sets(data: AllianceData, config: Config, items: pd.DataFrame,
                   period_of: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SPEC §7.2: U(i,t) for every AllianceTargets row, its priority the row's (blank:
    the item's) and the weighted mode's penalty shortfall_penalty × priority; and, with
    the band on (δ = rules.fair_share_band < 1), g(a,i,t) for every such row and ally a,
    with floor (1 − δ) · φ_a · target (φ: ``workbook.data.fair_shares``).
    ``bands["target"]`` is the position of the row's U in ``alliance``."""
    targets = data.alliance_targets
    alliance = targets.assign(period=targets["period"].map(period_of)).reset_index(drop=True)
    alliance["period"] = alliance["period"].astype("int64")
    alliance["target"] = alliance["target"].astype(float)
    alliance["priority"] = alliance["priority"].fillna(
        alliance["item"].map(items["priority"])).astype(float)
    alliance["penalty"] = config.objective.shortfall_penalty * alliance["priority"]
    alliance = alliance[["item", "period", "target", "priority", "penalty", ROW]]

    band = config.rules.fair_share_band
    shares = fair_shares(data.allies) if band < 1 else pd.Series(dtype=float)
    position = np.repeat(np.arange(len(alliance)), len(shares))
    bands = alliance.iloc[position][["item", "period", "priority", "penalty"]].reset_index(
        drop=True)
    bands.insert(0, "ally", np.tile(shares.index.to_numpy(dtype=object), len(alliance)))
    bands["fair_share"] = np.tile(shares.to_numpy(float), len(alliance))
    bands["floor"] = ((1.0 - band) * bands["fair_share"].to_numpy()
                      * alliance["target"].to_numpy()[position])
    bands["target"] = position
    return alliance, bands[["ally", "item", "period", "fair_share", "floor", "priority",
                            "penalty", "target"]]


def _component_sets(data: AllianceData, lines: pd.DataFrame, components: pd.Index,
                    items: pd.DataFrame, horizon: int
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """SPEC §7.3: q(k,t) for every component and period, opened by IndustryStocks;
    z(ℓ,t) for every component line and start period whose delivery t + d(ℓ) ≤ T − 1
    (production that would arrive after the horizon is worth nothing, so it is not
    created); and the BillOfMaterials rows with the position of the line that uses
    each component."""
    stocks = data.industry_stocks.set_index("component")
    pools = pd.DataFrame({
        "component": np.repeat(components.to_numpy(dtype=object), horizon),
        "period": np.tile(np.arange(horizon, dtype=np.int64), len(components))})
    pools["on_hand"] = pools["component"].map(stocks["on_hand"]).fillna(0.0).astype(float)
    pools[ROW] = pools["component"].map(stocks[ROW]).fillna(0).astype("int64")

    made = lines[lines["item"].isin(components)]
    count = np.clip(horizon - made["lead_time"].to_numpy(dtype=np.int64), 0, None)
    productions = made.loc[made.index.repeat(count)].reset_index(drop=True)
    productions["period"] = ranges(count)
    productions["arrival"] = productions["period"] + productions["lead_time"]
    productions["integer"] = productions["item"].map(items["integer"]).astype(bool)
    productions["pool"] = (components.get_indexer(productions["item"]) * horizon
                           + productions["arrival"].to_numpy())
    productions = productions[["line", "facility", "host", "item", "period", "arrival",
                               "unit_cost", "integer", "pool"]]

    bill = data.bill_of_materials
    uses = bill.merge(lines[["line", "facility", "item"]], on=["facility", "item"])
    uses = uses[["line", "facility", "item", "component", "quantity", ROW]]
    return pools, productions, uses.reset_index(drop=True)


def _funding_set(data: AllianceData, horizon: int) -> pd.DataFrame:
    """f(a,b,t) for every Funding row (a pays for b) and every period."""
    rows = data.funding.reset_index(drop=True)
    pair = np.repeat(np.arange(len(rows)), horizon)
    return pd.DataFrame({
        "giver": rows["from"].to_numpy(dtype=object)[pair],
        "ally": rows["to"].to_numpy(dtype=object)[pair],
        "period": np.tile(np.arange(horizon, dtype=np.int64), len(rows)),
        "max_amount": rows["max_amount"].to_numpy(dtype=float)[pair],
        "pair": pair, ROW: rows[ROW].to_numpy()[pair]})


def _budget_set(data: AllianceData, horizon: int, period_of: dict[str, int]) -> pd.DataFrame:
    """(a,t) for every ally with Budgets rows and every period; a left-out period is 0."""
    given = data.budgets.assign(period=data.budgets["period"].map(period_of))
    limited = given["ally"].unique()
    grid = pd.MultiIndex.from_product(
        [limited, range(horizon)], names=["ally", "period"]
    ).to_frame(index=False)
    budgets = grid.merge(given[["ally", "period", "budget", ROW]], on=["ally", "period"],
                         how="left")
    budgets["budget"] = budgets["budget"].fillna(0.0)
    return budgets
