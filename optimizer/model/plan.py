"""The solved plan in the input's terms: the tables the report writes and the verifier
checks. Values are read from the solved model; nothing is recomputed from the model here
except sums of solution values (spend, use of capacity) that the report shows.

Dual signs: a dual is d(objective)/d(right-hand side). ``marginal_value`` of a budget or
capacity is −dual (how much the optimised objective improves per extra unit);
``marginal_cost`` of a readiness or capability target is +dual (how much it worsens per
extra unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.model.build import MILLION, AllocationModel, spending_terms
from optimizer.tolerance import QUANTITY_TOLERANCE, round_off
from optimizer.words import figure
from optimizer.workbook.data import fair_shares

CAPABILITY_COLUMNS = ["ally", "platform", "period", "target", "held", "shortfall",
                      "closed_pct", "marginal_cost", "items", "priority", "row"]
COUNTED_COLUMNS = ["ally", "platform", "period", "item", "counted", "factor", "capability"]
ALLIANCE_COLUMNS = ["item", "period", "target", "held", "shortfall", "closed_pct", "priority",
                    "row"]
FAIR_SHARE_COLUMNS = ["ally", "item", "period", "fair_share", "band_floor", "held",
                      "short_of_band", "priority"]
FUNDING_COLUMNS = ["from", "to", "period", "amount", "max_amount", "marginal_value", "row"]
PRODUCTION_COLUMNS = ["facility", "host", "item", "period", "arrival_period", "quantity",
                      "unit_cost", "cost"]
POOL_COLUMNS = ["component", "period", "opening", "made", "used", "closing",
                "marginal_value"]
ORDER_COLUMNS = ["facility", "host", "item", "ally", "order_period", "delivery_period",
                 "quantity", "unit_cost", "transport_cost", "total_cost", "framework",
                 "framework_fee", "price"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def _duals(model: AllocationModel, duals: np.ndarray, family: str) -> np.ndarray:
    """The dual of every row of a family, aligned with its labels (NaN: row not built)."""
    rows = model.linear.rows.get(family)
    if rows is None:
        return np.zeros(0)
    aligned = np.full(len(rows.labels), np.nan)
    aligned[rows.positions] = duals[rows.start:rows.stop]
    return round_off(aligned)


@dataclass
class Plan:
    """A solved plan. Period columns hold period codes."""

    # One row per order above the tolerance (ORDER_COLUMNS): unit_cost is what the line
    # is paid a unit (a framework's unit_price for a framework order), framework_fee what
    # a framework member pays its lead a unit, price = unit_cost + framework_fee +
    # transport_cost, what a unit costs the ally, total_cost = quantity × price;
    # framework blank for a direct order (SPEC §7.2).
    orders: pd.DataFrame
    expansions: pd.DataFrame
    transfers: pd.DataFrame
    stocks: pd.DataFrame
    readiness: pd.DataFrame
    budgets: pd.DataFrame
    capacity: pd.DataFrame
    cost_terms: dict[str, float] = field(default_factory=dict)
    # SPEC §7.1, one row per CapabilityTargets row: target, held = Σ_i factor · c,
    # shortfall v, closed_pct, marginal_cost, items (the units counted, in words),
    # priority, row; and the units counted, one row per (ally, platform, period, item)
    # with c > 0: counted = c, factor, capability = factor · c.
    capabilities: pd.DataFrame = field(default_factory=lambda: _empty(CAPABILITY_COLUMNS))
    counted: pd.DataFrame = field(default_factory=lambda: _empty(COUNTED_COLUMNS))
    # SPEC §7.2, one row per AllianceTargets row: target, held = Σ_a s(a,i,t), shortfall
    # U, closed_pct, priority, row; and one row per such row and ally: fair_share φ_a,
    # band_floor (1 − δ)·φ_a·target (0 with the band off), held s(a,i,t), short_of_band
    # g (0 with the band off), priority.
    alliance: pd.DataFrame = field(default_factory=lambda: _empty(ALLIANCE_COLUMNS))
    fair_shares: pd.DataFrame = field(default_factory=lambda: _empty(FAIR_SHARE_COLUMNS))
    # SPEC §7.2, one row per Funding row and period with money paid: amount f(a,b,t),
    # the pair's max_amount over the horizon (blank: no cap), the cap's marginal value
    # (per unit of money; blank without a cap) and the Funding row.
    funding: pd.DataFrame = field(default_factory=lambda: _empty(FUNDING_COLUMNS))
    # SPEC §7.3, one row per component line and start period with production above the
    # tolerance: quantity z(ℓ,t), arrival_period t + d(ℓ), cost = unit_cost · z; and one
    # row per component and period: the pool q(k,t−1) it opens with (on_hand in the
    # first period), what arrives (made) and is drawn (used) in it, q(k,t) it closes
    # with, and the marginal value of one more unit in it (−dual of the pool row).
    component_production: pd.DataFrame = field(
        default_factory=lambda: _empty(PRODUCTION_COLUMNS))
    pools: pd.DataFrame = field(default_factory=lambda: _empty(POOL_COLUMNS))

    def funding_by_ally(self, side: str) -> pd.Series:
        """Σ_{b,t} f(a,b,t) per giver a (``side`` "from") or Σ_{a,t} f(a,b,t) per
        receiver b ("to")."""
        return self.funding.groupby(side)["amount"].sum().astype(float)

    def framework_purchases(self) -> pd.DataFrame:
        """What each ally buys through frameworks (SPEC §7.2), indexed by ally: units (Σ
        x_f) and money (Σ price · x_f, its fees and transport included); allies that buy
        none are left out."""
        orders = self.orders
        if "framework" not in orders.columns:
            return pd.DataFrame({"units": pd.Series(dtype=float),
                                 "money": pd.Series(dtype=float)})
        through = orders[orders["framework"].notna()]
        return through.groupby("ally").agg(
            units=("quantity", "sum"), money=("total_cost", "sum")).astype(float)

    @property
    def total_cost(self) -> float:
        return float(sum(self.cost_terms.values()))

    @property
    def weighted_shortfall(self) -> float:
        """W = Σ priority(i) · u over the Readiness rows + Σ priority(a,p) · v over the
        Capabilities rows + Σ priority · U over the alliance targets + Σ priority · g
        over the fair-share bands (SPEC §4, §7.1, §7.2)."""
        return (self.readiness_shortfall + self.capability_shortfall
                + self.alliance_shortfall)

    @property
    def alliance_shortfall(self) -> float:
        """Σ priority · U + Σ priority · g: the part of W the alliance targets and their
        fair-share bands leave open (SPEC §7.2)."""
        alliance, shares = self.alliance, self.fair_shares
        return float((alliance["shortfall"].astype(float) * alliance["priority"].astype(float))
                     .sum() + (shares["short_of_band"].astype(float)
                               * shares["priority"].astype(float)).sum())

    @property
    def readiness_shortfall(self) -> float:
        """Σ priority(i) · u: the part of W the Readiness rows leave open."""
        return float((self.readiness["shortfall"] * self.readiness["priority"]).sum())

    @property
    def capability_shortfall(self) -> float:
        """Σ priority(a,p) · v: the part of W the Capabilities rows leave open."""
        capabilities = self.capabilities
        return float((capabilities["shortfall"].astype(float)
                      * capabilities["priority"].astype(float)).sum())

    @property
    def capability_met_pct(self) -> float:
        """The share of the capability targets held, weighted by priority
        (``capability_met``)."""
        return float(capability_met(self.capabilities))

    @property
    def target_met(self) -> pd.Series:
        """Per Readiness row: the target is met (shortfall within QUANTITY_TOLERANCE)."""
        return self.readiness["shortfall"] <= QUANTITY_TOLERANCE

    def spending(self) -> pd.Series:
        """What each ally spends in the plan (SPEC §4, constraint 5: the terms
        ``spending_terms`` puts in the budget rows), as amounts indexed by the ally, one
        per kind: its orders with their transport and framework fees, the expansions it
        pays for, and the transport of the transfers it receives (expansions funded
        outside the budgets are no ally's). Summed by ally they are Σ_t spend(a,t)."""
        transfers = self.transfers
        return pd.concat([
            self.orders.groupby("ally")["total_cost"].sum(),
            self.expansions.groupby("payer")["cost"].sum(),
            (transfers["quantity"] * transfers["transport_cost"]).groupby(transfers["to"]).sum(),
        ])

    @property
    def burden(self) -> pd.DataFrame:
        """Burden sharing by ally (SPEC §7.2): one row per ally, in the Allies order, over
        the AllianceTargets rows r (target T_r, priority p_r, the ally's stock s(a,r) at
        its end, from ``fair_shares``):

        - fair_share_pct = 100 · φ_a (blank where no fair share is known);
        - held_share_pct = 100 · Σ_r p_r · s(a,r) / Σ_r p_r · Σ_b s(b,r), the ally's share
          of the alliance's stock (0 where the alliance holds none);
        - spending = Σ_t spend(a,t), the Budgets sheet's spent summed over the periods, for
          every ally (``spending``);
        - spending_share_pct = 100 · spending(a) / Σ_b spending(b) (0 where no ally spends);
        - funding_given = Σ_{b,t} f(a,b,t), funding_received = Σ_{b,t} f(b,a,t);
        - framework_units = Σ x_f(ℓ,a,t), framework_spending = Σ price · x_f(ℓ,a,t), what
          the ally buys through frameworks (``framework_purchases``);
        - closure_pct = 100 · Σ_r p_r · min(s(a,r), φ_a · T_r) / Σ_r p_r · φ_a · T_r, the
          part of its fair share of the alliance targets the ally holds (100 where that
          share is 0; blank where φ_a is unknown).

        Each target counts with its priority, so that no item's units are added to
        another's one for one (a shell and a missile count as their priorities say). No
        rows without alliance targets."""
        shares = self.fair_shares
        key = pd.MultiIndex.from_frame(shares[["item", "period"]].astype(object))
        targets = self.alliance.set_index(["item", "period"])
        priority = shares["priority"].astype(float)
        share = shares["fair_share"].astype(float)
        held = shares["held"].astype(float)
        due = share * key.map(targets["target"]).to_numpy(float)
        sums = pd.DataFrame({
            "held": priority * held,
            "alliance_held": priority * key.map(targets["held"]).to_numpy(float),
            "kept": priority * np.minimum(held, due),
            "due": priority * due,
        }).groupby(shares["ally"].to_numpy(), sort=False).sum()
        allies = pd.Index(pd.unique(shares["ally"]))
        sums = sums.reindex(allies)
        share = share.groupby(shares["ally"].to_numpy(), sort=False).first().reindex(allies)
        spending = (self.spending().groupby(level=0).sum()
                    .reindex(allies, fill_value=0.0).astype(float))
        closure = np.where(sums["due"] > 0, _percent(sums["kept"], sums["due"]), 100.0)
        purchases = self.framework_purchases().reindex(allies, fill_value=0.0)
        return pd.DataFrame({
            "ally": allies.to_numpy(dtype=object),
            "fair_share_pct": 100.0 * share.to_numpy(float),
            "held_share_pct": _percent(sums["held"], sums["alliance_held"]),
            "spending": spending.to_numpy(),
            "spending_share_pct": _percent(spending, spending.sum()),
            "funding_given": self.funding_by_ally("from").reindex(allies, fill_value=0.0)
            .to_numpy(float),
            "funding_received": self.funding_by_ally("to").reindex(allies, fill_value=0.0)
            .to_numpy(float),
            "framework_units": purchases["units"].to_numpy(float),
            "framework_spending": purchases["money"].to_numpy(float),
            "closure_pct": np.where(share.isna(), np.nan, closure),
        })

    @property
    def closure_spread(self) -> float:
        """Largest − smallest closure_pct across the allies (``burden``), in percentage
        points: 0 when every ally holds the same part of its fair share; NaN with no
        alliance targets or no fair share known."""
        closure = self.burden["closure_pct"].astype(float)
        return float(closure.max() - closure.min())

    @property
    def gap_closed_pct(self) -> float:
        """The share of gaps closed over every Requirements row, weighted by priority
        (``gap_closed``)."""
        return float(gap_closed(self.readiness))


def _percent(part: pd.Series | np.ndarray, whole: pd.Series | np.ndarray | float
             ) -> np.ndarray:
    """100 · part / whole, element by element; 0 where whole is not above 0."""
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, 100.0 * part / whole, 0.0)


def capability_met(capabilities: pd.DataFrame, by: str | None = None) -> float | pd.Series:
    """100 · (1 − Σ priority · min(shortfall, target) / Σ priority · target) over
    Capabilities rows (columns target, shortfall, priority), in all or per value of the
    column ``by``; 100 where no target is above 0."""
    priority = capabilities["priority"].astype(float)
    target = capabilities["target"].astype(float)
    parts = pd.DataFrame({
        "wanted": priority * target,
        "left": priority * np.minimum(capabilities["shortfall"].astype(float), target)})
    if by is None:
        wanted, left = float(parts["wanted"].sum()), float(parts["left"].sum())
        return 100.0 * (1.0 - left / wanted) if wanted > 0 else 100.0
    sums = parts.groupby(capabilities[by], sort=False).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        met = 100.0 * (1.0 - sums["left"] / sums["wanted"])
    return met.where(sums["wanted"] > 0, 100.0)


def gap_closed(readiness: pd.DataFrame, by: str | None = None, *,
               weighted: bool = True) -> float | pd.Series:
    """100 · (1 − Σ p · min(shortfall, gap) / Σ p · gap) over Readiness rows (columns
    gap, shortfall and priority), in all or per value of the column ``by``; 100 where
    there is no gap. With ``weighted``, p is each row's priority, so a shell and a
    missile count as their priorities say, never one for one; without, p = 1 (the rows
    of one item, which share a unit)."""
    weight = (readiness["priority"].astype(float)
              if weighted and "priority" in readiness.columns else 1.0)
    left = pd.DataFrame({
        "gap": weight * readiness["gap"].astype(float),
        "left": weight * np.minimum(readiness["shortfall"].astype(float),
                                    readiness["gap"].astype(float))},
        index=readiness.index)
    if by is not None:
        left[by] = readiness[by]
    totals = (left[["gap", "left"]].sum() if by is None
              else left.groupby(by, dropna=False)[["gap", "left"]].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = np.where(totals["gap"] > 0, 100.0 * (1.0 - totals["left"] / totals["gap"]),
                          100.0)
    return float(closed) if by is None else pd.Series(closed, index=totals.index)


def extract_plan(model: AllocationModel, solution: np.ndarray,
                 duals: np.ndarray | None) -> Plan:
    """Read the solved model's values (per column) and its duals (per row of the linear
    model, as the solve states them; None: none given) into the input's terms."""
    sets = model.sets
    periods = np.asarray(sets.periods, dtype=object)

    def _values(columns: np.ndarray) -> np.ndarray:
        return solution[np.asarray(columns, dtype=np.int64)]

    orders = sets.orders.assign(quantity=_values(model.x))
    orders = orders[orders["quantity"] > QUANTITY_TOLERANCE].copy()
    orders["order_period"] = periods[orders["period"]]
    orders["delivery_period"] = periods[orders["delivery"]]
    orders["transport_cost"] = orders["route_cost"]
    orders["total_cost"] = orders["quantity"] * orders["price"]
    orders["framework_fee"] = orders["fee"]
    orders = orders[ORDER_COLUMNS]

    expansions = sets.expansions.assign(extra_capacity=_values(model.e))
    expansions = expansions[expansions["extra_capacity"] > QUANTITY_TOLERANCE].copy()
    expansions["cost"] = expansions["extra_capacity"] * expansions["cost_per_unit"]
    expansions["online_from"] = periods[expansions["online_from"]]
    expansions["period"] = periods[expansions["period"]]
    expansions = expansions[["facility", "item", "period", "extra_capacity", "cost",
                             "online_from", "payer"]]

    transfers = sets.transfers.assign(quantity=_values(model.y))
    transfers = transfers[transfers["quantity"] > QUANTITY_TOLERANCE].copy()
    transfers["arrival_period"] = periods[transfers["arrival"].astype("int64")]
    transfers["period"] = periods[transfers["period"].astype("int64")]
    transfers = transfers.rename(columns={"giver": "from", "ally": "to",
                                          "route_cost": "transport_cost"})[
        ["from", "to", "item", "period", "arrival_period", "quantity", "transport_cost"]]

    stocks = sets.stocks[["ally", "item", "period"]].assign(stock=_values(model.s))
    stock_of = stocks.set_index(["ally", "item", "period"])["stock"]
    stocks["period"] = periods[stocks["period"]]

    shortfalls = sets.shortfalls
    readiness = shortfalls[["ally", "item", "target", "gap", "priority"]].copy()
    readiness.insert(2, "period", periods[shortfalls["period"]])
    readiness["stock"] = pd.MultiIndex.from_frame(
        shortfalls[["ally", "item", "period"]]).map(stock_of).to_numpy(float)
    readiness["shortfall"] = _values(model.u)
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = np.where(readiness["gap"] > 0,
                          100.0 * (1 - np.minimum(readiness["shortfall"], readiness["gap"])
                                   / readiness["gap"]), 100.0)
    readiness["closed_pct"] = closed
    readiness["marginal_cost"] = _duals(model, duals, "readiness")
    readiness["row"] = shortfalls["row"].to_numpy()

    spend = spending_terms(model)
    spend["amount"] = _values(spend["column"].to_numpy()) * spend["coefficient"]
    spent = spend.groupby(["ally", "period"])["amount"].sum()
    budgets = sets.budgets.copy()
    budgets["spent"] = pd.MultiIndex.from_frame(budgets[["ally", "period"]]).map(
        spent).to_numpy(float)
    budgets["spent"] = budgets["spent"].fillna(0.0)
    funding = _funding(model, _values(model.f), _duals(model, duals, "funding_cap"))
    key = pd.MultiIndex.from_frame(budgets[["ally", "period"]].assign(
        period=periods[budgets["period"]]))
    for side, column in (("from", "funding_given"), ("to", "funding_received")):
        paid = funding.groupby([side, "period"])["amount"].sum()
        budgets[column] = key.map(paid).to_numpy(float) if len(paid) else 0.0
        budgets[column] = budgets[column].fillna(0.0)
    budgets["fees_received"] = _fees_received(model, solution, budgets)
    budgets["remaining"] = round_off(
        budgets["budget"] - budgets["spent"] - budgets["funding_given"]
        + budgets["funding_received"] + budgets["fees_received"], budgets["budget"])
    budgets["marginal_value"] = 0.0 - _duals(model, duals, "budget")
    budgets["period"] = periods[budgets["period"]]
    budgets = budgets[["ally", "period", "budget", "spent", "funding_given",
                       "funding_received", "fees_received", "remaining", "marginal_value"]]

    capacity = sets.capacity.copy()
    made = sets.productions.assign(quantity=_values(model.z))
    used = pd.concat([sets.orders.assign(quantity=_values(model.x))[
        ["line", "period", "quantity"]], made[["line", "period", "quantity"]]]).groupby(
        ["line", "period"])["quantity"].sum()
    extra = _online_extra(model, _values(model.e))
    key = pd.MultiIndex.from_frame(capacity[["line", "period"]])
    capacity["capacity"] = capacity["capacity"] + key.map(extra).to_numpy(float)
    capacity["capacity"] = capacity["capacity"].fillna(sets.capacity["capacity"])
    capacity["used"] = key.map(used).to_numpy(float)
    capacity["used"] = capacity["used"].fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        capacity["utilisation_pct"] = np.where(
            capacity["capacity"] > 0, 100.0 * capacity["used"] / capacity["capacity"], 0.0)
    capacity["marginal_value"] = 0.0 - _duals(model, duals, "capacity")
    capacity["period"] = periods[capacity["period"]]
    capacity = capacity[["facility", "item", "period", "capacity", "used", "utilisation_pct",
                         "marginal_value"]]

    cost_terms = {name: float(coefficients @ _values(columns))
                  for name, (columns, coefficients) in model.cost_terms.items()}
    capabilities, counted = _capabilities(model, _values(model.c), _values(model.v),
                                          _duals(model, duals, "capability"))
    alliance, fair_shares = _alliance(model, stock_of, _values(model.alliance_short),
                                      _values(model.band_short))
    production, pools = _components(model, made, _values(model.q),
                                    _duals(model, duals, "component_pool"))
    return Plan(orders.reset_index(drop=True), expansions.reset_index(drop=True),
                transfers.reset_index(drop=True), stocks, readiness, budgets, capacity,
                cost_terms, capabilities, counted, alliance, fair_shares, funding,
                production, pools)


def _components(model: AllocationModel, made: pd.DataFrame, pool: np.ndarray,
                pool_duals: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The component production z and the pools q of SPEC §7.3 in the input's terms
    (``Plan.component_production``, ``Plan.pools``); a pool's used is what the row's
    terms draw: opening + made − closing."""
    sets = model.sets
    periods = np.asarray(sets.periods, dtype=object)
    production = made[made["quantity"] > QUANTITY_TOLERANCE].copy()
    production["arrival_period"] = periods[production["arrival"].to_numpy(np.int64)]
    production["period"] = periods[production["period"].to_numpy(np.int64)]
    production["cost"] = production["quantity"] * production["unit_cost"]
    pools = sets.pools[["component", "period"]].copy()
    if pools.empty:
        return production[PRODUCTION_COLUMNS].reset_index(drop=True), _empty(POOL_COLUMNS)
    first = pools["period"].to_numpy() == 0
    previous = np.concatenate([[0.0], pool[:-1]])
    pools["opening"] = np.where(first, sets.pools["on_hand"].to_numpy(float), previous)
    arriving = np.bincount(made["pool"].to_numpy(np.int64), weights=made["quantity"],
                           minlength=len(pools))
    pools["made"] = round_off(arriving)
    pools["closing"] = round_off(pool)
    pools["used"] = round_off(pools["opening"] + pools["made"] - pools["closing"],
                              pools["opening"] + pools["made"])
    pools["marginal_value"] = 0.0 - pool_duals
    pools["period"] = periods[pools["period"]]
    return (production[PRODUCTION_COLUMNS].reset_index(drop=True),
            pools[POOL_COLUMNS].reset_index(drop=True))


def _funding(model: AllocationModel, amount: np.ndarray, cap_duals: np.ndarray
             ) -> pd.DataFrame:
    """The plan's funding (SPEC §7.2): f(a,b,t) in money (the model holds millions) where
    above the tolerance, with the pair's cap and its marginal value (−dual, per unit of
    money)."""
    sets = model.sets
    funding = sets.funding
    if funding.empty:
        return _empty(FUNDING_COLUMNS)
    frame = funding.rename(columns={"giver": "from", "ally": "to"}).assign(
        amount=amount * MILLION)
    capped = funding[funding["max_amount"].notna()].drop_duplicates("pair")
    value = pd.Series(0.0 - cap_duals, index=capped["pair"].to_numpy()) if len(capped) else (
        pd.Series(dtype=float))
    frame["marginal_value"] = frame["pair"].map(value)
    frame["period"] = np.asarray(sets.periods, dtype=object)[frame["period"]]
    frame = frame[frame["amount"] > QUANTITY_TOLERANCE * MILLION]
    return frame[FUNDING_COLUMNS].reset_index(drop=True)


def _fees_received(model: AllocationModel, solution: np.ndarray,
                   budgets: pd.DataFrame) -> np.ndarray:
    """Per Budgets row (ally, period as a position): Σ fee · x_f over the framework
    orders its ally leads in that period, the money members pay it (SPEC §7.2)."""
    orders = model.sets.orders
    paid = orders.assign(amount=orders["fee"] * solution[model.x])
    received = paid[paid["amount"] != 0].groupby(["lead", "period"])["amount"].sum()
    if received.empty:
        return np.zeros(len(budgets))
    key = pd.MultiIndex.from_frame(budgets[["ally", "period"]])
    return np.nan_to_num(key.map(received).to_numpy(float))


def _alliance(model: AllocationModel, stock_of: pd.Series, shortfall: np.ndarray,
              short_of_band: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's alliance targets (SPEC §7.2) from s, U and g: per AllianceTargets row
    held = Σ_a s(a,i,t), shortfall = U, closed_pct = 100 · (1 − min(U, target) /
    target) (100 for a target of 0); and per row and ally the fair share φ_a (blank
    where unknown), the band floor, the ally's stock and g (both 0 with the band off)."""
    sets = model.sets
    alliance_set = sets.alliance
    if alliance_set.empty:
        return _empty(ALLIANCE_COLUMNS), _empty(FAIR_SHARE_COLUMNS)
    periods = np.asarray(sets.periods, dtype=object)
    allies = sets.allies["ally"].to_numpy(dtype=object)
    position = np.repeat(np.arange(len(alliance_set)), len(allies))
    per_ally = pd.DataFrame({
        "ally": np.tile(allies, len(alliance_set)),
        "item": alliance_set["item"].to_numpy(dtype=object)[position],
        "period": alliance_set["period"].to_numpy()[position]})
    per_ally["held"] = pd.MultiIndex.from_frame(per_ally[["ally", "item", "period"]]).map(
        stock_of).to_numpy(float)
    held = np.bincount(position, weights=per_ally["held"].to_numpy(),
                       minlength=len(alliance_set))

    alliance = alliance_set[["item"]].copy()
    alliance["period"] = periods[alliance_set["period"]]
    alliance["target"] = alliance_set["target"].astype(float)
    alliance["held"] = round_off(held)
    alliance["shortfall"] = shortfall
    target = alliance["target"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        alliance["closed_pct"] = np.where(
            target > 0, 100.0 * (1 - np.minimum(shortfall, target) / target), 100.0)
    alliance["priority"] = alliance_set["priority"].to_numpy(float)
    alliance["row"] = alliance_set["row"].to_numpy()

    bands = sets.bands
    per_ally["fair_share"] = np.tile(
        fair_shares(sets.allies).reindex(allies).to_numpy(float), len(alliance_set))
    per_ally["band_floor"] = 0.0
    per_ally["short_of_band"] = 0.0
    if not bands.empty:  # built in the same (row, ally) order
        per_ally["band_floor"] = bands["floor"].to_numpy(float)
        per_ally["short_of_band"] = short_of_band
    per_ally["priority"] = alliance["priority"].to_numpy()[position]
    per_ally["period"] = periods[per_ally["period"]]
    return alliance, per_ally[FAIR_SHARE_COLUMNS]


def _capabilities(model: AllocationModel, counts: np.ndarray, shortfall: np.ndarray,
                  duals: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's capability rows (SPEC §7.1) from c and v: per CapabilityTargets row
    held = Σ_i factor(p,i) · c(a,i,p,t), shortfall = v, closed_pct = 100 · (1 −
    min(v, target) / target) (the share of the target met; 100 for a target of 0),
    marginal_cost = +dual of row 10, items = the units counted ("A 100, B 20 (× 0.9)");
    and the units counted, one row per c > 0."""
    sets = model.sets
    if sets.capabilities.empty:
        return _empty(CAPABILITY_COLUMNS), _empty(COUNTED_COLUMNS)
    periods = np.asarray(sets.periods, dtype=object)
    counted = sets.counts.assign(counted=counts)
    counted["capability"] = counted["factor"] * counted["counted"]
    held = np.bincount(counted["target"], weights=counted["capability"],
                       minlength=len(sets.capabilities))
    counted = counted[counted["counted"] > QUANTITY_TOLERANCE]
    words = (counted["item"].astype(str) + " " + counted["counted"].map(figure)
             + np.where(counted["factor"] < 1,
                        " (× " + counted["factor"].map(figure) + ")", ""))
    items = words.groupby(counted["target"]).agg(", ".join)

    capabilities = sets.capabilities[["ally", "platform"]].copy()
    capabilities["period"] = periods[sets.capabilities["period"]]
    capabilities["target"] = sets.capabilities["target"].astype(float)
    capabilities["held"] = round_off(held)
    capabilities["shortfall"] = shortfall
    target = capabilities["target"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        capabilities["closed_pct"] = np.where(
            target > 0, 100.0 * (1 - np.minimum(shortfall, target) / target), 100.0)
    capabilities["marginal_cost"] = duals
    capabilities["items"] = items.reindex(capabilities.index).fillna("").to_numpy(object)
    capabilities["priority"] = sets.capabilities["priority"].to_numpy(float)
    capabilities["row"] = sets.capabilities["row"].to_numpy()

    counted = counted.assign(period=periods[counted["period"]])
    return capabilities, counted[COUNTED_COLUMNS].reset_index(drop=True)


def _online_extra(model: AllocationModel, extra: np.ndarray) -> pd.Series:
    """Extra capacity online per (line, period): Σ_{τ + lead ≤ t} e(ℓ,τ)."""
    sets = model.sets
    horizon = len(sets.periods)
    built = sets.expansions[["line", "online_from"]].assign(extra=extra)
    if built.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []]))
    grid = np.zeros((len(sets.lines), horizon + 1))
    np.add.at(grid, (built["line"].to_numpy(), built["online_from"].to_numpy()),
              built["extra"].to_numpy())
    online = np.cumsum(grid[:, :horizon], axis=1)
    index = pd.MultiIndex.from_product([range(len(sets.lines)), range(horizon)])
    return pd.Series(online.ravel(), index=index)
