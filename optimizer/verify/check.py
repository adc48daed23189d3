"""The independent check of a solved plan against SPEC §4.

This is a second implementation, deliberately separate from ``optimizer.model``: it reads
only the validated input data and the decision quantities of the plan (orders x,
expansions e, transfers y, stocks s, shortfalls u; for SPEC §7.1 the units counted toward
platforms c and the capability shortfalls v) and recomputes every constraint of SPEC §4
and §7.1 with plain pandas and numpy. It never looks at the solver's slacks, duals or any
derived column of the plan (costs, spend, used capacity, gaps). Delivery periods,
capacities, budgets and gaps are all derived again here; what a route costs and adds to
the lead time, and which Restrictions row forbids a delivery, it reads as the input
defines them (``workbook.data.route_terms``, ``forbidding_rows``), as the model does.

Every constraint is written as ``amount = how far it is violated`` (> 0 means violated,
in the constraint's own units) together with a ``scale``: the size of its right-hand side
(for the stock balance, an equality, the largest term). A constraint fails when
``amount > VERIFIER_TOLERANCE · max(1, |scale|)``; ``max_violation`` is the largest
``amount / max(1, |scale|)`` over every constraint checked.

Periods are positions 0 … T-1 in sheet order; the grids below are numpy arrays indexed
[line, period], [ally, item, period] and [ally, period].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.config import Config, RulesConfig
from optimizer.tolerance import VERIFIER_TOLERANCE
from optimizer.workbook.data import (
    AllianceData,
    fair_shares,
    forbidding_rows,
    positions,
    route_terms,
)

if TYPE_CHECKING:
    from optimizer.model.plan import Plan

MAX_LISTED = 50
"""At most this many violations are kept, worst first."""

# family -> (what is checked, how it is broken, unit); a sentence reads
# "<what> <where> <how> <amount><unit>",
# e.g. "capacity of line F1/155HE in 2027Q2 exceeded by 12.5".
PHRASES: dict[str, tuple[str, str | None, str]] = {
    "capacity": ("capacity of", "exceeded by", ""),
    "expansion_limit": ("expansion limit of", "exceeded by", ""),
    "stock_balance": ("stock balance of", "off by", ""),
    "stock_nonnegative": ("stock of", "negative by", ""),
    "readiness": ("readiness target of", "missed by", ""),
    "budget": ("budget of", "overspent by", ""),
    "min_gap_closure": ("minimum gap closure of", "missed by", ""),
    "supplier_share": ("supplier share of", "exceeded by", ""),
    "work_share": ("work share of", "short by", ""),
    "capability_count": ("units counted toward platforms of", "exceed the stock by", ""),
    "capability": ("capability target of", "missed by", ""),
    "alliance_target": ("alliance target of", "missed by", ""),
    "fair_share_band": ("fair-share band of", "missed by", ""),
    "funding_cap": ("funding cap of", "exceeded by", ""),
    "component_pool": ("component pool of", "short by", ""),
    "delivery_in_horizon": ("delivery of", "off by", " period(s)"),
    "restriction": ("restriction on", "broken by", ""),
    "framework_membership": ("membership of", "broken by", ""),
    "integrality": ("whole units of", "off by", ""),
    "nonnegative": ("non-negativity of", "broken by", ""),
    "expansion_timing": ("timing of", "off by", " period(s)"),
    "unknown_reference": ("unknown reference in", None, ""),
}

ORDER_COLUMNS = ["facility", "host", "item", "ally", "order_period", "delivery_period",
                 "quantity"]
EXPANSION_COLUMNS = ["facility", "item", "period", "extra_capacity", "online_from"]
TRANSFER_COLUMNS = ["from", "to", "item", "period", "arrival_period", "quantity"]
STOCK_COLUMNS = ["ally", "item", "period", "stock"]
READINESS_COLUMNS = ["ally", "item", "period", "shortfall"]
CAPABILITY_COLUMNS = ["ally", "platform", "period", "shortfall"]
COUNTED_COLUMNS = ["ally", "platform", "period", "item", "counted"]
ALLIANCE_COLUMNS = ["item", "period", "shortfall"]
FAIR_SHARE_COLUMNS = ["ally", "item", "period", "short_of_band"]
FUNDING_COLUMNS = ["from", "to", "period", "amount"]
PRODUCTION_COLUMNS = ["facility", "item", "period", "quantity"]


@dataclass
class Violation:
    """One constraint that does not hold."""

    family: str
    where: str
    amount: float  # how far the constraint is violated, in its own units (> 0)
    scale: float = 1.0  # max(1, |right-hand side|): amount / scale is the scaled violation

    @property
    def scaled(self) -> float:
        return self.amount / max(1.0, abs(self.scale))

    @property
    def sentence(self) -> str:
        what, how, unit = PHRASES[self.family]
        if how is None:
            return f"{what} {self.where}"
        return f"{what} {self.where} {how} {self.amount:.10g}{unit}"


@dataclass
class Verification:
    """What the independent check found."""

    max_violation: float
    violations: list[Violation]
    cost_terms: dict[str, float]
    total_cost: float
    weighted_shortfall: float
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def worst(self) -> str:
        if not self.violations:
            return "every constraint holds"
        return self.violations[0].sentence


def verify_plan(data: AllianceData, config: Config, plan: Plan) -> Verification:
    """Recompute every constraint of SPEC §4 for ``plan`` from ``data`` and ``config``."""
    return _Checker(data, config.rules, plan).run()


# --------------------------------------------------------------------------------------
# Small helpers


def _table(frame: pd.DataFrame | None, columns: list[str], name: str) -> pd.DataFrame:
    """The plan table's columns we read (an empty table may come without columns)."""
    if frame is None or (frame.empty and not set(columns) <= set(frame.columns)):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"plan.{name} has no column(s) {', '.join(missing)}")
    return frame[columns].reset_index(drop=True)


def _take(values: pd.Series | np.ndarray, positions: np.ndarray, missing: object = None):
    """``values[positions]``, with ``missing`` where the position is -1."""
    values = np.asarray(values)
    out = values[np.where(positions >= 0, positions, 0)] if len(values) else np.full(
        len(positions), missing, dtype=object)
    return np.where(positions >= 0, out, missing)


def _described(frame: pd.DataFrame, template: str,
               **extra: Callable[[int], object]) -> Callable[[np.ndarray], list[str]]:
    """Readable names of some rows of ``frame``: ``template`` formatted with each row's
    columns and with ``extra`` fields computed from the row's position. Only the rows
    reported are ever formatted."""
    def describe(rows: np.ndarray) -> list[str]:
        records = frame.iloc[rows].to_dict("records")
        return [template.format(**record, **{k: f(row) for k, f in extra.items()})
                for row, record in zip(rows, records, strict=True)]
    return describe


# --------------------------------------------------------------------------------------
# The checker


class _Checker:
    """Holds the data, the plan's decision quantities on grids, and the findings."""

    def __init__(self, data: AllianceData, rules: RulesConfig, plan: Plan) -> None:
        self.data = data
        self.rules = rules
        self.plan = plan
        self.periods = pd.Index(data.periods, dtype=object)
        self.allies = pd.Index(data.allies["ally"], dtype=object)
        self.items = pd.Index(data.items["item"], dtype=object)
        self.lines = data.production.reset_index(drop=True)
        # SPEC §7.3: the items BillOfMaterials names as components, and their lines.
        named = set(data.bill_of_materials["component"])
        self.components = pd.Index([i for i in data.items["item"] if i in named], dtype=object)
        self.component_line = self.lines["item"].isin(self.components).to_numpy()
        self.T = len(self.periods)
        self.on_hand, self.consumption = self.starting_stock_and_use()
        self.found: list[Violation] = []
        self.max_violation = 0.0
        self.checked: dict[str, int] = {}

    # -- recording ---------------------------------------------------------------------

    def record(self, family: str, amount, scale, describe: Callable[[np.ndarray], list[str]],
               count: int | None = None) -> None:
        """Note ``len(amount)`` constraints of ``family`` (or ``count``) as checked, and
        every one whose violation ``amount`` exceeds VERIFIER_TOLERANCE · max(1, |scale|)."""
        amount = np.asarray(amount, dtype=float)
        scale = np.broadcast_to(np.asarray(scale, dtype=float), amount.shape).ravel()
        amount = amount.ravel()
        self.checked[family] = self.checked.get(family, 0) + (
            len(amount) if count is None else count)
        if not len(amount):
            return
        amount = np.where(np.isnan(amount), np.inf, amount)  # a NaN value never passes
        size = np.maximum(1.0, np.abs(np.nan_to_num(scale)))
        scaled = amount / size
        self.max_violation = max(self.max_violation, float(np.max(scaled, initial=0.0)))
        bad = np.flatnonzero(amount > VERIFIER_TOLERANCE * size)
        if not len(bad):
            return
        bad = bad[np.argsort(-scaled[bad], kind="stable")[:MAX_LISTED]]
        for row, where in zip(bad, describe(bad), strict=True):
            self.found.append(Violation(family, where, float(amount[row]), float(size[row])))

    def reference_problems(self, frame: pd.DataFrame, template: str,
                           problems: list[tuple[np.ndarray, str]]) -> None:
        """Report rows of a plan table that name something the data does not define (or
        repeat a row); the first problem that applies to a row is reported."""
        masks = [np.asarray(mask, dtype=bool) for mask, _ in problems]
        texts = [text for _, text in problems]
        problem = np.select(masks, list(range(1, len(texts) + 1)), default=0)
        self.record("unknown_reference", (problem > 0).astype(float), 1.0,
                    _described(frame, template + ": {problem}",
                               problem=lambda row: texts[problem[row] - 1]),
                    count=len(frame))

    # -- the run -----------------------------------------------------------------------

    def run(self) -> Verification:
        orders = self.orders()
        expansions = self.expansions()
        transfers = self.transfers()
        production = self.component_production()
        self.capacity(orders, expansions, production)
        self.component_pools(orders, production)
        self.expansion_limit(expansions)
        stock = self.stock_balance(orders, transfers)
        shortfall = self.readiness(stock)
        spend = self.spending(orders, transfers, expansions)
        self.budget(spend + self.funding() - self.fees_received(orders))
        self.supplier_share(orders)
        self.work_share(orders, spend)
        capability_shortfall = self.capabilities(stock)
        alliance_shortfall = self.alliance_targets(stock)

        cost_terms = {
            "purchase_cost": float((orders["unit_cost"] * orders["quantity"]).sum()),
            "framework_fees": float((orders["fee"] * orders["quantity"]).sum()),
            "transport_cost": float((orders["route_cost"] * orders["quantity"]).sum()
                                    + (transfers["route_cost"] * transfers["quantity"]).sum()),
            "expansion_cost": float((expansions["cost_per_unit"]
                                     * expansions["extra_capacity"]).sum()),
            "holding_cost": float((stock * self.items_column("holding_cost")[None, :, None])
                                  .sum()),
        }
        if len(self.components):
            cost_terms["component_cost"] = float(
                (production["unit_cost"] * production["quantity"]).sum())
        requirements = self.data.requirements
        priority = self.items_column("priority")[self.items.get_indexer(requirements["item"])]
        weighted_shortfall = (float((priority * shortfall).sum()) + capability_shortfall
                              + alliance_shortfall)

        violations = sorted(self.found, key=lambda v: -v.scaled)[:MAX_LISTED]
        return Verification(
            max_violation=self.max_violation,
            violations=violations,
            cost_terms=cost_terms,
            total_cost=float(sum(cost_terms.values())),
            weighted_shortfall=weighted_shortfall,
            checked=self.checked,
        )

    def items_column(self, column: str) -> np.ndarray:
        return self.data.items[column].to_numpy(dtype=float)

    # -- decision quantities -----------------------------------------------------------

    def orders(self) -> pd.DataFrame:
        """x(ℓ,a,t): references, delivery period, restrictions, sign and whole units.
        Returns the orders that name a known line, ally and period, with the line's data
        from Production, the route's cost and delay, and the recomputed delivery ``d``."""
        o = _table(self.plan.orders, ORDER_COLUMNS, "orders")
        o["quantity"] = o["quantity"].astype(float)
        stated = (self.plan.orders["framework"].reset_index(drop=True)
                  if "framework" in self.plan.orders.columns else pd.Series(None, index=o.index))
        o["framework"] = stated.where(stated.notna(), None).astype(object)
        name = "order of {ally} from line {facility}/{item} in {order_period}"
        line = positions(self.lines, ["facility", "item"], o)
        a = self.allies.get_indexer(o["ally"])
        t = self.periods.get_indexer(o["order_period"])
        host = _take(self.lines["host"], line)
        stated = self.periods.get_indexer(o["delivery_period"])
        self.reference_problems(o, name, [
            (line < 0, "no such line in Production"),
            (a < 0, "the ally is not in Allies"),
            (t < 0, "the order period is not in Periods"),
            (o["host"].to_numpy(dtype=object) != host,
             "the host is not the line's host in Production"),
            (stated < 0, "the delivery period is not in Periods"),
            (_take(self.component_line, line, False).astype(bool),
             "the line makes a component, which no ally orders (BillOfMaterials)"),
        ])
        known = (line >= 0) & (a >= 0) & (t >= 0)  # a wrong label alone does not stop checks
        o = o[known].reset_index(drop=True)
        line, a, t, stated = line[known], a[known], t[known], stated[known]
        o["line"], o["a"], o["t"] = line, a, t
        o["i"] = self.items.get_indexer(o["item"])
        o["host"] = self.lines["host"].to_numpy(dtype=object)[line]
        o["unit_cost"] = self.lines["unit_cost"].to_numpy(dtype=float)[line]
        o["route_cost"], delay = route_terms(self.data.transport, o["host"], o["ally"], o["item"])
        o["d"] = t + self.lines["lead_time"].to_numpy(dtype="int64")[line] + delay
        self.framework_terms(o, name)

        # Delivery at t + d(ℓ) + r(h,a,i), inside the horizon and as stated.
        late = o["d"].to_numpy() - (self.T - 1)
        off = np.where(late > 0, late, np.where(stated >= 0, np.abs(stated - o["d"]), 0))
        self.record("delivery_in_horizon", off, 1.0,
                    self.timing_cells(o, "d", name + " (due {due}, stated {delivery_period})"))

        self.check_quantities(o, name, forbidding=forbidding_rows(
            self.data.restrictions, o, transfers=False))
        return o

    def framework_terms(self, o: pd.DataFrame, name: str) -> None:
        """SPEC §7.2, for orders through a framework (``framework``, from the plan's
        optional column of that name; blank: a direct order): the framework is in
        Frameworks and on the order's line, and the ally is its lead or in
        FrameworkMembers (else the units break its membership). Sets ``unit_cost`` of
        each framework order to the framework's unit_price (blank: the line's
        unit_cost), ``fee`` to its fee_per_unit for a member and 0 for the lead and for
        direct orders, and ``lead`` (None for direct orders)."""
        o["fee"] = 0.0
        o["lead"] = None
        through = o["framework"].notna().to_numpy()
        if not through.any():
            return
        frameworks = self.data.frameworks.reset_index(drop=True)
        at = pd.Index(frameworks["framework"]).get_indexer(o["framework"].fillna(""))
        on_line = ((_take(frameworks["facility"], at) == o["facility"].to_numpy(dtype=object))
                   & (_take(frameworks["item"], at) == o["item"].to_numpy(dtype=object)))
        self.reference_problems(o, name + " through framework {framework}", [
            (through & (at < 0), "no such framework in Frameworks"),
            (through & (at >= 0) & ~on_line, "the framework is not on this line"),
        ])
        priced = through & (at >= 0) & on_line
        lead = _take(frameworks["lead"], at)
        member = positions(self.data.framework_members, ["framework", "ally"], o) >= 0
        allowed = (lead == o["ally"].to_numpy(dtype=object)) | member
        self.record("framework_membership",
                    np.where(priced & ~allowed, np.abs(o["quantity"].to_numpy(float)), 0.0),
                    1.0, _described(o, "framework {framework} by " + name
                                    + " (the ally is neither its lead nor a member)"),
                    count=int(through.sum()))
        price = _take(frameworks["unit_price"].to_numpy(dtype=float), at, np.nan)
        fee = _take(frameworks["fee_per_unit"].to_numpy(dtype=float), at, 0.0)
        o["unit_cost"] = np.where(priced & ~pd.isna(price), price, o["unit_cost"]).astype(float)
        o["fee"] = np.where(priced & ~(lead == o["ally"].to_numpy(dtype=object)),
                            fee, 0.0).astype(float)
        o["lead"] = np.where(priced, lead, None)

    def fees_received(self, orders: pd.DataFrame) -> np.ndarray:
        """[ally, period]: Σ fee · x_f over the framework orders each ally leads, the
        money its members pay it in the period of the order (SPEC §7.2)."""
        received = np.zeros((len(self.allies), self.T))
        lead = self.allies.get_indexer(orders["lead"].fillna(""))
        paid = (lead >= 0) & (orders["fee"].to_numpy(float) != 0)
        np.add.at(received, (lead[paid], orders["t"].to_numpy()[paid]),
                  (orders["fee"] * orders["quantity"]).to_numpy(float)[paid])
        return received

    def expansions(self) -> pd.DataFrame:
        """e(ℓ,t): references, the period it comes online, sign. Returns the expansions
        of known lines and periods with their Expansion data and recomputed ``online``."""
        e = _table(self.plan.expansions, EXPANSION_COLUMNS, "expansions")
        e["extra_capacity"] = e["extra_capacity"].astype(float)
        name = "expansion of line {facility}/{item} in {period}"
        expansion = self.data.expansion.reset_index(drop=True)
        at = positions(expansion, ["facility", "item"], e)
        t = self.periods.get_indexer(e["period"])
        stated = self.periods.get_indexer(e["online_from"])
        self.reference_problems(e, name, [
            (at < 0, "the line has no Expansion row"),
            (t < 0, "the period is not in Periods"),
            (stated < 0, "online_from is not in Periods"),
        ])
        known = (at >= 0) & (t >= 0)
        e = e[known].reset_index(drop=True)
        at, t, stated = at[known], t[known], stated[known]
        e["t"] = t
        e["line"] = positions(self.lines, ["facility", "item"], e)
        e["cost_per_unit"] = expansion["cost_per_unit"].to_numpy(dtype=float)[at]
        e["payer"] = expansion["payer"].to_numpy(dtype=object)[at]
        e["online"] = t + expansion["lead_time"].to_numpy(dtype="int64")[at]

        late = e["online"].to_numpy() - (self.T - 1)
        off = np.where(late > 0, late, np.where(stated >= 0, np.abs(stated - e["online"]), 0))
        self.record("expansion_timing", off, 1.0, self.timing_cells(
            e, "online", name + " (online from {due}, stated {online_from})"))
        self.record("nonnegative", np.maximum(0.0, -e["extra_capacity"]), 1.0,
                    _described(e, name))
        return e

    def transfers(self) -> pd.DataFrame:
        """y(a,b,i,t): allowed at all, references, arrival period, restrictions, sign and
        whole units. Returns the transfers between known allies with the route's cost and
        the recomputed arrival ``d``."""
        y = _table(self.plan.transfers, TRANSFER_COLUMNS, "transfers")
        y["quantity"] = y["quantity"].astype(float)
        name = "transfer {from}->{to} {item} in {period}"
        if not self.rules.allow_transfers:
            self.record("restriction", np.abs(y["quantity"]), 1.0,
                        _described(y, name + " (rules.allow_transfers is false)"))
        giver = self.allies.get_indexer(y["from"])
        a = self.allies.get_indexer(y["to"])
        i = self.items.get_indexer(y["item"])
        t = self.periods.get_indexer(y["period"])
        stated = self.periods.get_indexer(y["arrival_period"])
        self.reference_problems(y, name, [
            (giver < 0, "the giver is not in Allies"),
            (a < 0, "the receiver is not in Allies"),
            (i < 0, "the item is not in Items"),
            (t < 0, "the period is not in Periods"),
            (giver == a, "an ally cannot transfer to itself"),
            (stated < 0, "the arrival period is not in Periods"),
        ])
        known = (giver >= 0) & (a >= 0) & (i >= 0) & (t >= 0) & (giver != a)
        y = y[known].reset_index(drop=True)
        y["giver"], y["a"], y["i"], y["t"] = giver[known], a[known], i[known], t[known]
        stated = stated[known]
        y["route_cost"], delay = route_terms(self.data.transport, y["from"], y["to"], y["item"])
        y["d"] = y["t"] + delay

        late = y["d"].to_numpy() - (self.T - 1)
        off = np.where(late > 0, late, np.where(stated >= 0, np.abs(stated - y["d"]), 0))
        self.record("delivery_in_horizon", off, 1.0,
                    self.timing_cells(y, "d", name + " (due {due}, stated {arrival_period})"))

        roles = pd.DataFrame({"host": y["from"], "facility": None, "ally": y["to"],
                              "item": y["item"]})
        self.check_quantities(y, name, forbidding=forbidding_rows(
            self.data.restrictions, roles, transfers=True))
        return y

    def check_quantities(self, frame: pd.DataFrame, name: str, forbidding: np.ndarray) -> None:
        """Restrictions, quantity >= 0 and whole units for integer items."""
        quantity = frame["quantity"].to_numpy(dtype=float)
        self.record("restriction", np.where(forbidding > 0, np.abs(quantity), 0.0), 1.0,
                    _described(frame, name + " (forbidden by Restrictions row {restriction})",
                               restriction=lambda row: forbidding[row]))
        self.record("nonnegative", np.maximum(0.0, -quantity), 1.0, _described(frame, name))
        integer = self.data.items["integer"].to_numpy(dtype=bool)[
            self.items.get_indexer(frame["item"])]
        whole = frame[integer]
        self.record("integrality", np.abs(whole["quantity"] - np.round(whole["quantity"])),
                    1.0, _described(whole, name))

    def timing_cells(self, frame: pd.DataFrame, due: str,
                     template: str) -> Callable[[np.ndarray], list[str]]:
        """Names of rows, with ``{due}``: the period at position ``frame[due]``."""
        last = self.T - 1

        def period(row: int) -> str:
            p = int(frame[due].iat[row])
            return self.periods[p] if p <= last else f"{p - last} period(s) after " \
                f"{self.periods[last]}"
        return _described(frame, template, due=period)

    def component_production(self) -> pd.DataFrame:
        """z(ℓ,t) of SPEC §7.3: references (a component line, a period), arrival at t +
        d(ℓ) inside the horizon, sign and whole units. Returns the rows that name a known
        component line and period, with the line's unit_cost and the recomputed arrival
        ``d``."""
        z = _table(self.plan.component_production, PRODUCTION_COLUMNS,
                   "component_production")
        z["quantity"] = z["quantity"].astype(float)
        name = "production of {item} at {facility} in {period}"
        line = positions(self.lines, ["facility", "item"], z)
        t = self.periods.get_indexer(z["period"])
        self.reference_problems(z, name, [
            (line < 0, "no such line in Production"),
            (t < 0, "the period is not in Periods"),
            (~_take(self.component_line, line, True).astype(bool),
             "the line makes no component (BillOfMaterials)"),
        ])
        known = (line >= 0) & (t >= 0)
        z = z[known].reset_index(drop=True)
        z["line"], z["t"] = line[known], t[known]
        z["unit_cost"] = self.lines["unit_cost"].to_numpy(dtype=float)[z["line"]]
        z["d"] = z["t"] + self.lines["lead_time"].to_numpy(dtype="int64")[z["line"]]
        late = z["d"].to_numpy() - (self.T - 1)
        self.record("delivery_in_horizon", np.maximum(late, 0), 1.0,
                    self.timing_cells(z, "d", name + " (due {due})"))
        self.check_quantities(z, name, forbidding=np.zeros(len(z), dtype="int64"))
        return z

    def component_pools(self, orders: pd.DataFrame, production: pd.DataFrame) -> None:
        """11. q(k,t) = on_hand(k) + Σ_{τ≤t} (made(k,τ) − drawn(k,τ)) ≥ 0 for every
        component k and period t, where made(k,τ) is Σ z(ℓ,τ − d(ℓ)) over k's lines and
        drawn(k,τ) Σ quantity(ℓ',k) · (Σ_a x(ℓ',a,τ) + z(ℓ',τ)) over the lines that use
        it, both recomputed from the plan's orders and production."""
        k_count = len(self.components)
        if not k_count:
            return
        T = self.T
        on_hand = np.zeros(k_count)
        stocks = self.data.industry_stocks
        known = self.components.get_indexer(stocks["component"])
        on_hand[known[known >= 0]] = stocks["on_hand"].to_numpy(float)[known >= 0]
        made = np.zeros((k_count, T + 1))  # column T: arriving after the horizon
        arriving = production[production["d"] <= T]
        np.add.at(made, (self.components.get_indexer(arriving["item"]),
                         np.minimum(arriving["d"].to_numpy(), T)),
                  arriving["quantity"].to_numpy())
        bill = self.data.bill_of_materials.reset_index(drop=True)
        bill_line = positions(self.lines, ["facility", "item"], bill)
        drawn = np.zeros((k_count, T))
        for started in (orders[["line", "t", "quantity"]], production[["line", "t", "quantity"]]):
            per_line = np.zeros((len(self.lines), T))
            np.add.at(per_line, (started["line"].to_numpy(), started["t"].to_numpy()),
                      started["quantity"].to_numpy(dtype=float))
            used = bill_line >= 0
            np.add.at(drawn, self.components.get_indexer(bill.loc[used, "component"]),
                      bill.loc[used, "quantity"].to_numpy(float)[:, None]
                      * per_line[bill_line[used]])
        pool = on_hand[:, None] + np.cumsum(made[:, :T] - drawn, axis=1)
        cells = pd.DataFrame({
            "component": np.repeat(self.components.to_numpy(dtype=object), T),
            "period": np.tile(self.periods.to_numpy(dtype=object), k_count)})
        scale = on_hand[:, None] + np.cumsum(made[:, :T], axis=1)
        self.record("component_pool", -pool, scale,
                    _described(cells, "{component} in {period}"))

    # -- constraints 1 and 2 -----------------------------------------------------------

    def capacity(self, orders: pd.DataFrame, expansions: pd.DataFrame,
                 production: pd.DataFrame) -> None:
        """1. Σ_a x(ℓ,a,t) ≤ cap(ℓ,t) + Σ_{τ + lead ≤ t} e(ℓ,τ); for a component line
        (SPEC §7.3, 12) z(ℓ,t) ≤ cap(ℓ,t) + Σ_{τ + lead ≤ t} e(ℓ,τ)."""
        lines, T = self.lines, self.T
        cap = np.repeat(lines["capacity"].to_numpy(dtype=float)[:, None], T, axis=1)
        override = self.data.capacity
        cap[positions(lines, ["facility", "item"], override),
            self.periods.get_indexer(override["period"])] = override["capacity"].to_numpy(
                dtype=float)

        built = np.zeros((len(lines), T + 1))  # extra capacity coming online, by period
        online = expansions[expansions["online"] < T]
        np.add.at(built, (online["line"].to_numpy(), online["online"].to_numpy()),
                  online["extra_capacity"].to_numpy(dtype=float))
        extra = np.cumsum(built[:, :T], axis=1)

        used = np.zeros((len(lines), T))
        for started in (orders, production):
            np.add.at(used, (started["line"].to_numpy(), started["t"].to_numpy()),
                      started["quantity"].to_numpy(dtype=float))

        limit = cap + extra
        cells = pd.DataFrame({
            "facility": np.repeat(lines["facility"].to_numpy(dtype=object), T),
            "item": np.repeat(lines["item"].to_numpy(dtype=object), T),
            "period": np.tile(self.periods.to_numpy(dtype=object), len(lines)),
        })
        self.record("capacity", used - limit, limit,
                    _described(cells, "line {facility}/{item} in {period}"))

    def expansion_limit(self, expansions: pd.DataFrame) -> None:
        """2. Σ_t e(ℓ,t) ≤ max_extra(ℓ)."""
        expansion = self.data.expansion.reset_index(drop=True)
        total = expansions.groupby(["facility", "item"])["extra_capacity"].sum()
        built = _take(total.to_numpy(dtype=float),
                      positions(total.index.to_frame(index=False), ["facility", "item"],
                                 expansion), 0.0).astype(float)
        limit = expansion["max_extra"].to_numpy(dtype=float)
        self.record("expansion_limit", built - limit, limit,
                    _described(expansion, "line {facility}/{item}"))

    # -- constraints 3, 4 and 6 --------------------------------------------------------

    def stock_balance(self, orders: pd.DataFrame, transfers: pd.DataFrame) -> np.ndarray:
        """3. s(a,i,t) = s(a,i,t−1) + deliveries + transfers in − transfers out −
        consumption(a,i,t), s(a,i,0) = on_hand; and s ≥ 0. Returns the stock grid."""
        shape = (len(self.allies), len(self.items), self.T)
        s = _table(self.plan.stocks, STOCK_COLUMNS, "stocks")
        a = self.allies.get_indexer(s["ally"])
        i = self.items.get_indexer(s["item"])
        t = self.periods.get_indexer(s["period"])
        duplicated = s.duplicated(["ally", "item", "period"]).to_numpy()
        self.reference_problems(s, "stock of {ally} {item} in {period}", [
            (a < 0, "the ally is not in Allies"),
            (i < 0, "the item is not in Items"),
            (t < 0, "the period is not in Periods"),
            (duplicated, "a second row for the same ally, item and period"),
        ])
        known = (a >= 0) & (i >= 0) & (t >= 0) & ~duplicated
        stock = np.zeros(shape)  # a missing row reads as 0
        stock[a[known], i[known], t[known]] = s["stock"].to_numpy(dtype=float)[known]

        on_hand, consumption = self.on_hand, self.consumption
        arriving = np.zeros(shape)
        delivered = orders[orders["d"] < self.T]
        np.add.at(arriving, (delivered["a"].to_numpy(), delivered["i"].to_numpy(),
                             delivered["d"].to_numpy()), delivered["quantity"].to_numpy())
        received = np.zeros(shape)
        arrived = transfers[transfers["d"] < self.T]
        np.add.at(received, (arrived["a"].to_numpy(), arrived["i"].to_numpy(),
                             arrived["d"].to_numpy()), arrived["quantity"].to_numpy())
        given_away = np.zeros(shape)
        np.add.at(given_away, (transfers["giver"].to_numpy(), transfers["i"].to_numpy(),
                               transfers["t"].to_numpy()), transfers["quantity"].to_numpy())

        before = np.concatenate([on_hand[:, :, None], stock[:, :, :-1]], axis=2)
        expected = before + arriving + received - given_away - consumption
        terms = np.stack([stock, before, arriving, received, given_away, consumption])
        scale = np.abs(terms).max(axis=0)
        cells = self.stock_cells()
        self.record("stock_balance", np.abs(stock - expected), scale, cells)
        self.record("stock_nonnegative", -stock, 0.0, cells)
        return stock

    def starting_stock_and_use(self) -> tuple[np.ndarray, np.ndarray]:
        """on_hand[a,i] (Stocks, default 0) and consumption[a,i,t] (Consumption, default 0)."""
        on_hand = np.zeros((len(self.allies), len(self.items)))
        stocks = self.data.stocks
        on_hand[self.allies.get_indexer(stocks["ally"]),
                self.items.get_indexer(stocks["item"])] = stocks["on_hand"].to_numpy(float)
        consumption = np.zeros((len(self.allies), len(self.items), self.T))
        use = self.data.consumption
        consumption[self.allies.get_indexer(use["ally"]), self.items.get_indexer(use["item"]),
                    self.periods.get_indexer(use["period"])] = use["quantity"].to_numpy(float)
        return on_hand, consumption

    def stock_cells(self) -> Callable[[np.ndarray], list[str]]:
        shape = (len(self.allies), len(self.items), self.T)

        def describe(rows: np.ndarray) -> list[str]:
            a, i, t = np.unravel_index(rows, shape)
            return [f"{self.allies[x]} {self.items[y]} {self.periods[z]}"
                    for x, y, z in zip(a, i, t, strict=True)]
        return describe

    def readiness(self, stock: np.ndarray) -> np.ndarray:
        """4. s + u ≥ target, u ≥ 0; 6. u ≤ (1 − ρ_a)·gap from the ally's
        min_gap_closure_from (Allies, else rules; blank: the first period) on, u ≤ gap before.
        Returns the plan's shortfall u for each Requirements row (0 where it gives none)."""
        need = self.data.requirements.reset_index(drop=True)
        r = _table(self.plan.readiness, READINESS_COLUMNS, "readiness")
        r["shortfall"] = r["shortfall"].astype(float)
        duplicated = r.duplicated(["ally", "item", "period"]).to_numpy()
        self.reference_problems(r, "readiness of {ally} {item} {period}", [
            (positions(need, ["ally", "item", "period"], r) < 0,
             "no such row in Requirements"),
            (duplicated, "a second row for the same ally, item and period"),
        ])
        r = r[~duplicated].reset_index(drop=True)
        u = _take(r["shortfall"].to_numpy(dtype=float),
                  positions(r, ["ally", "item", "period"], need), 0.0).astype(float)

        a = self.allies.get_indexer(need["ally"])
        i = self.items.get_indexer(need["item"])
        t = self.periods.get_indexer(need["period"])
        target = need["target"].to_numpy(dtype=float)
        cells = _described(need, "{ally} {item} {period}")
        self.record("readiness", target - stock[a, i, t] - u, target, cells)
        self.record("nonnegative", -u, 0.0,
                    _described(need, "shortfall of {ally} {item} {period}"))

        # P(a,i,t) = on_hand − Σ_{τ≤t} consumption: the stock with no new orders
        no_orders = self.on_hand[:, :, None] - np.cumsum(self.consumption, axis=2)
        gap = np.maximum(0.0, target - no_orders[a, i, t])
        allies = self.data.allies
        closure = allies["min_gap_closure"].fillna(
            self.rules.min_gap_closure).to_numpy(dtype=float)[a]
        # Before an ally's first period of the rule only its ρ = 0 form holds.
        starts = allies["min_gap_closure_from"].where(allies["min_gap_closure_from"].notna(),
                                                      self.rules.min_gap_closure_from)
        first = np.where(starts == "", 0, self.periods.get_indexer(starts))[a]
        allowed = (1.0 - np.where(t >= first, closure, 0.0)) * gap
        self.record("min_gap_closure", u - allowed, allowed, cells)
        return u

    # -- SPEC §7.1: capability targets ---------------------------------------------------

    def capabilities(self, stock: np.ndarray) -> float:
        """9. Σ_p c(a,i,p,t) ≤ s(a,i,t); 10. Σ_i factor(p,i)·c(a,i,p,t) + v(a,p,t) ≥
        target(a,p,t); c, v ≥ 0, c only for a qualified Compatibility pair (p,i) of a
        platform among a's Platforms with a CapabilityTargets row (a,p,t). Returns the
        capability part of W: Σ priority(a,p)·v (Platforms!priority, 1 where the ally
        lists no such platform)."""
        data = self.data
        targets = data.capability_targets.reset_index(drop=True)
        plan = self.plan
        v = _table(plan.capabilities, CAPABILITY_COLUMNS, "capabilities")
        c = _table(plan.counted, COUNTED_COLUMNS, "counted")
        if targets.empty and v.empty and c.empty:
            return 0.0  # a workbook without capability targets: nothing to check
        key = ["ally", "platform", "period"]
        v_duplicated = v.duplicated(key).to_numpy()
        self.reference_problems(v, "capability of {ally}'s {platform} in {period}", [
            (positions(targets, key, v) < 0, "no such row in CapabilityTargets"),
            (v_duplicated, "a second row for the same ally, platform and period"),
        ])
        v = v[~v_duplicated].reset_index(drop=True)
        shortfall = _take(v["shortfall"].to_numpy(dtype=float), positions(v, key, targets),
                          0.0).astype(float)

        qualified = data.compatibility[data.compatibility["qualified"].astype(bool)]
        qualified = qualified.reset_index(drop=True)
        row = positions(targets, key, c)
        pair = positions(qualified, ["platform", "item"], c)
        operated = positions(data.platforms, ["ally", "platform"], c)
        a = self.allies.get_indexer(c["ally"])
        i = self.items.get_indexer(c["item"])
        t = self.periods.get_indexer(c["period"])
        c_duplicated = c.duplicated([*key, "item"]).to_numpy()
        name = "{item} counted toward {ally}'s {platform} in {period}"
        self.reference_problems(c, name, [
            (row < 0, "no such row in CapabilityTargets"),
            (operated < 0, "the platform is not among the ally's Platforms"),
            (pair < 0, "the item is not qualified for the platform in Compatibility"),
            ((a < 0) | (i < 0) | (t < 0), "the ally, item or period is not defined"),
            (c_duplicated, "a second row for the same item, ally, platform and period"),
        ])
        known = (row >= 0) & (operated >= 0) & (pair >= 0) & (a >= 0) & (i >= 0) & (t >= 0) \
            & ~c_duplicated
        counted = c["counted"].to_numpy(dtype=float)
        self.record("nonnegative", -counted, 0.0, _described(c, name))

        total = np.zeros_like(stock)
        np.add.at(total, (a[known], i[known], t[known]), counted[known])
        self.record("capability_count", total - stock, stock, self.stock_cells())

        factor = qualified["factor"].to_numpy(dtype=float)
        held = np.zeros(len(targets))
        np.add.at(held, row[known], factor[pair[known]] * counted[known])
        target = targets["target"].to_numpy(dtype=float)
        cells = _described(targets, "{ally}'s {platform} in {period}")
        self.record("capability", target - held - shortfall, target, cells)
        self.record("nonnegative", -shortfall, 0.0,
                    _described(targets, "capability shortfall of {ally}'s {platform} in "
                                        "{period}"))
        own = positions(data.platforms, ["ally", "platform"], targets)
        priority = np.where(own >= 0, _take(data.platforms["priority"].to_numpy(dtype=float),
                                            own, 1.0).astype(float), 1.0)
        return float((priority * shortfall).sum())

    # -- SPEC §7.2: alliance targets and the fair-share band ----------------------------

    def alliance_targets(self, stock: np.ndarray) -> float:
        """11. Σ_a s(a,i,t) + U(i,t) ≥ target(i,t), U ≥ 0, for every AllianceTargets row;
        with δ = rules.fair_share_band < 1, 12. s(a,i,t) + g(a,i,t) ≥ (1 − δ)·φ_a·
        target(i,t), g ≥ 0, for every row and ally (φ: ``workbook.data.fair_shares``).
        Returns their part of W: Σ priority·U + Σ priority·g, priority the row's
        (blank: the item's)."""
        targets = self.data.alliance_targets.reset_index(drop=True)
        plan = self.plan
        U = _table(getattr(plan, "alliance", None), ALLIANCE_COLUMNS, "alliance")
        g = _table(getattr(plan, "fair_shares", None), FAIR_SHARE_COLUMNS, "fair_shares")
        if targets.empty and U.empty and g.empty:
            return 0.0  # a workbook without alliance targets: nothing to check
        key = ["item", "period"]
        duplicated = U.duplicated(key).to_numpy()
        self.reference_problems(U, "alliance target of {item} in {period}", [
            (positions(targets, key, U) < 0, "no such row in AllianceTargets"),
            (duplicated, "a second row for the same item and period"),
        ])
        U = U[~duplicated].reset_index(drop=True)
        shortfall = _take(U["shortfall"].to_numpy(dtype=float), positions(U, key, targets),
                          0.0).astype(float)
        i = self.items.get_indexer(targets["item"])
        t = self.periods.get_indexer(targets["period"])
        held = stock[:, i, t].sum(axis=0)  # [ally, row] summed over the allies
        target = targets["target"].to_numpy(dtype=float)
        priority = np.where(targets["priority"].notna(), targets["priority"].to_numpy(float),
                            self.items_column("priority")[i])
        cells = _described(targets, "{item} in {period}")
        self.record("alliance_target", target - held - shortfall, target, cells)
        self.record("nonnegative", -shortfall, 0.0,
                    _described(targets, "alliance shortfall of {item} in {period}"))
        part = float((priority * shortfall).sum())

        band = self.rules.fair_share_band
        if band >= 1:  # no band: a shortfall of a band is claimed for nothing
            self.reference_problems(g, "band of {ally} for {item} in {period}", [
                (g["short_of_band"].astype(float).to_numpy() != 0,
                 "a band shortfall, but rules.fair_share_band is 1 (no band)")])
            return part
        share = fair_shares(self.data.allies).reindex(self.allies).to_numpy(float)
        rows = pd.DataFrame({
            "ally": np.tile(self.allies.to_numpy(dtype=object), len(targets)),
            "item": np.repeat(targets["item"].to_numpy(dtype=object), len(self.allies)),
            "period": np.repeat(targets["period"].to_numpy(dtype=object), len(self.allies))})
        band_key = ["ally", "item", "period"]
        g_duplicated = g.duplicated(band_key).to_numpy()
        self.reference_problems(g, "band of {ally} for {item} in {period}", [
            (positions(rows, band_key, g) < 0, "no such ally or AllianceTargets row"),
            (g_duplicated, "a second row for the same ally, item and period"),
        ])
        g = g[~g_duplicated].reset_index(drop=True)
        short = _take(g["short_of_band"].to_numpy(dtype=float), positions(g, band_key, rows),
                      0.0).astype(float)
        floor = ((1.0 - band) * share[None, :] * target[:, None]).ravel()
        own = stock[:, i, t].T.ravel()  # [row, ally]
        band_cells = _described(rows, "{ally} for {item} in {period}")
        self.record("fair_share_band", floor - own - short, floor, band_cells)
        self.record("nonnegative", -short, 0.0,
                    _described(rows, "band shortfall of {ally} for {item} in {period}"))
        return part + float((np.repeat(priority, len(self.allies)) * short).sum())

    # -- constraint 5 ------------------------------------------------------------------

    def spending(self, orders: pd.DataFrame, transfers: pd.DataFrame,
                 expansions: pd.DataFrame) -> np.ndarray:
        """spend(a,t): lines' price (a framework's unit_price, and a member's fee) and
        route cost of what a orders in t, route cost of transfers a receives in t, and the
        expansions a pays for in t."""
        spend = np.zeros((len(self.allies), self.T))
        np.add.at(spend, (orders["a"].to_numpy(), orders["t"].to_numpy()),
                  (orders["unit_cost"] + orders["fee"] + orders["route_cost"]).to_numpy()
                  * orders["quantity"].to_numpy())
        np.add.at(spend, (transfers["a"].to_numpy(), transfers["t"].to_numpy()),
                  transfers["route_cost"].to_numpy() * transfers["quantity"].to_numpy())
        payer = self.allies.get_indexer(expansions["payer"])  # -1: funded outside budgets
        paid = expansions[payer >= 0]
        np.add.at(spend, (payer[payer >= 0], paid["t"].to_numpy()),
                  (paid["cost_per_unit"] * paid["extra_capacity"]).to_numpy())
        return spend

    def funding(self) -> np.ndarray:
        """SPEC §7.2: f(a,b,t) ≥ 0 only for Funding rows (a pays for b), Σ_t f(a,b,t) ≤
        max_amount(a,b); returns, per [ally, period], what the ally pays for others less
        what others pay for it, which its budget row counts beside its spending."""
        f = _table(self.plan.funding, FUNDING_COLUMNS, "funding")
        f["amount"] = f["amount"].astype(float)
        rows = self.data.funding
        pair = positions(rows, ["from", "to"], f)
        t = self.periods.get_indexer(f["period"])
        self.reference_problems(f, "funding from {from} to {to} in {period}", [
            (pair < 0, "no such pair in Funding"),
            (t < 0, "the period is not in Periods"),
            (f.duplicated(["from", "to", "period"]).to_numpy(), "a second row for the same "
             "pair and period"),
        ])
        known = (pair >= 0) & (t >= 0)
        f, pair, t = f[known].reset_index(drop=True), pair[known], t[known]
        self.record("nonnegative", -f["amount"].to_numpy(), 0.0,
                    _described(f, "funding from {from} to {to} in {period}"))
        paid = np.bincount(pair, weights=f["amount"].to_numpy(), minlength=len(rows))
        cap = rows["max_amount"].to_numpy(dtype=float)
        capped = ~np.isnan(cap)
        self.record("funding_cap", (paid - np.nan_to_num(cap))[capped], cap[capped],
                    _described(rows[capped].reset_index(drop=True), "{from} for {to}"))
        net = np.zeros((len(self.allies), self.T))
        np.add.at(net, (self.allies.get_indexer(f["from"]), t), f["amount"].to_numpy())
        np.add.at(net, (self.allies.get_indexer(f["to"]), t), -f["amount"].to_numpy())
        return net

    def budget(self, spend: np.ndarray) -> None:
        """5. spend(a,t) ≤ budget(a,t) for allies with Budgets rows (a period left out
        is 0), ``spend`` counting funding given less funding received and less the
        framework fees the ally receives as a lead (SPEC §7.2); with
        rules.budget_carryover, Σ_{τ≤t} spend ≤ Σ_{τ≤t} budget."""
        rows = self.data.budgets
        limited = pd.Index(rows["ally"].unique(), dtype=object)
        budget = np.zeros((len(limited), self.T))
        budget[limited.get_indexer(rows["ally"]), self.periods.get_indexer(rows["period"])] \
            = rows["budget"].to_numpy(dtype=float)
        spent = spend[self.allies.get_indexer(limited)] if len(limited) else budget
        template = "{ally} in {period}"
        if self.rules.budget_carryover:
            budget, spent = np.cumsum(budget, axis=1), np.cumsum(spent, axis=1)
            template = "{ally} up to {period} (unspent budget carried over)"
        cells = pd.DataFrame({
            "ally": np.repeat(limited.to_numpy(dtype=object), self.T),
            "period": np.tile(self.periods.to_numpy(dtype=object), len(limited)),
        })
        self.record("budget", spent - budget, budget, _described(cells, template))

    # -- constraints 7 and 8 -----------------------------------------------------------

    def supplier_share(self, orders: pd.DataFrame) -> None:
        """7. Σ_t x from lines hosted in g ≤ σ · Σ_t x, per ally and item (σ < 1)."""
        share = self.rules.max_supplier_share
        if share >= 1.0:
            self.checked["supplier_share"] = 0
            return
        makers = self.lines[["item", "host"]].drop_duplicates()
        by_host = orders.groupby(["ally", "item", "host"], as_index=False)["quantity"].sum()
        total = orders.groupby(["ally", "item"])["quantity"].sum()
        by_host["allowed"] = share * _take(
            total.to_numpy(dtype=float),
            positions(total.index.to_frame(index=False), ["ally", "item"], by_host), 0.0
        ).astype(float)
        self.record("supplier_share", by_host["quantity"] - by_host["allowed"],
                    by_host["allowed"], _described(by_host, "{ally}'s {item} from {host}"),
                    count=len(self.allies) * len(makers))

    def work_share(self, orders: pd.DataFrame, spend: np.ndarray) -> None:
        """8. Σ_{ℓ hosted by a} c(ℓ)·x (to anyone) ≥ ω_a · Σ_t spend(a,t)."""
        minimum = self.data.allies["work_share_min"].fillna(0.0).to_numpy(dtype=float)
        if not self.rules.work_share:
            minimum = np.zeros_like(minimum)
        made = np.zeros(len(self.allies))
        host = self.allies.get_indexer(orders["host"])
        at_home = orders[host >= 0]
        np.add.at(made, host[host >= 0],
                  (at_home["unit_cost"] * at_home["quantity"]).to_numpy())
        required = minimum * spend.sum(axis=1)
        ruled = minimum > 0
        self.record("work_share", (required - made)[ruled], required[ruled],
                    _described(self.data.allies[ruled].reset_index(drop=True), "{ally}"))
