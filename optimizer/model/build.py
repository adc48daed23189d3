"""The allocation model of SPEC §4: variables, one function per constraint family, and
the objective terms.

``create_model`` reads top to bottom like the SPEC: variables, then constraints 1-8, the
capability rows 9-10 of SPEC §7.1, then the objective terms. Every family is built from
the index frames of ``ModelSets`` as arrays of (row, column, coefficient) terms,
vectorised, and added to one ``LinearModel``: the single formulation that every solver
backend receives. Rows and columns have readable names for LP files
(``capacity_F0001_155HE_2027Q1``, ``x_F0001_155HE_POL_2027Q1``), so a file written with
``--write-lp`` can be searched for any line, ally or period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.model.linear import EQUAL, GREATER, LESS, LinearModel, RowFamily
from optimizer.model.sets import ModelSets
from optimizer.tolerance import GIVE, TIGHT
from optimizer.words import figure
from optimizer.workbook.data import ROW, AllianceData, ranges

Terms = tuple[np.ndarray, np.ndarray]  # (columns, coefficients) of a linear expression

# Money rows (budgets, work share) are held in millions: unit prices of 1e3-5e6 against
# budgets of up to 1e10 would otherwise put coefficients and right-hand sides twelve
# orders of magnitude apart, and the simplex and interior-point methods stall on that.
MILLION = 1e6


CAPACITY, EXPANSION, BUDGET = "capacity", "expansion limit", "budget"
FUNDING_CAP = "funding cap"
INDUSTRY_STOCK = "industry stock"
GAP_CLOSURE, SUPPLIER_SHARE, WORK_SHARE = ("minimum gap closure", "supplier share",
                                           "work share")
# What a limit's value is counted in: the item's unit, money, or percent.
ITEM, MONEY, PERCENT = "item", "money", "percent"


@dataclass(frozen=True)
class Limit:
    """How the rows of one constraint family read to a user, declared beside the code
    that writes them: the single source for the Binding, Advice and Diagnosis sheets.

    ``read(model, values)`` gives one record per row of the family (or per bounded
    column, for a limit written as a column bound) at a solution: the labels (ally,
    item, facility, host, period), the ``limit`` and its ``used`` part in input units,
    ``set_by`` (a (sheet, column, Excel row) triple or a configuration key), ``tight``
    (the limit binds), ``position`` (the global row, or column, that holds it) and
    ``rhs_per_unit``: how far one ``unit`` of relaxing the limit moves the row's
    right-hand side (or the column's upper bound) as SPEC §4 states the row; to first
    order, a dual y (d objective / d right-hand side) then values one unit at −y ·
    rhs_per_unit. ``step`` is the natural step of relaxing, counted in ``unit`` (a million
    of money), and ``phrase(record, step_words)`` says where the step goes, in words.
    ``relax(data, record, amount)``, where a limit is one input cell, is the input with
    that limit relaxed by ``amount`` units, as an analyst would move it (for re-solves
    that measure what a step is worth); None where a limit is a rule over many rows.
    ``counted_in`` says what the limit's value is counted in (``ITEM``: the item's unit,
    ``MONEY``, ``PERCENT``); ``holds_back`` marks a limit on what can be delivered
    (capacity, expansion, budget) as opposed to a rule the plan must keep: the Binding
    sheet lists those first, and an infeasible input's Diagnosis names them as what holds
    its commitments back."""

    family: str
    unit: str
    step: float
    step_words: str
    on_rows: bool
    read: Callable[[AllocationModel, np.ndarray], pd.DataFrame]
    phrase: Callable[[dict, str], str]
    relax: Callable[[AllianceData, dict, float], AllianceData] | None = None
    counted_in: str = ITEM
    holds_back: bool = False


@dataclass(frozen=True)
class Rule:
    """A rule of SPEC §4 that constrains a run, declared beside the rows that enforce it:
    its name, where it is set (cells and configuration keys, in words), the family of its
    limits (as Binding names them; None for a rule whose rows are goals in W, which
    no limit can show idle, so that pricing always re-solves) and ``lift(data,
    config)``: the input and configuration without the rule, for the re-solve that
    prices it (``optimizer.explain.rule_prices``)."""

    name: str
    set_by: str
    family: str | None
    lift: Callable[[AllianceData, Config], tuple[AllianceData, Config]]



@dataclass(frozen=True)
class Commitment:
    """A hard constraint of SPEC §4 as an infeasible input's Diagnosis reads it, declared
    beside its rows: in the elastic model ``slack`` names the slack family that lets its
    rows give, and ``in_words(model, members, data, config)`` gives one Diagnosis record
    (kind, rule, ally, item, host, period, amount, cell, explanation) per member of the
    conflict set, ``members`` the (label, slack value) of each of its slack columns there.
    ``counted_in`` is what a record's amount is counted in (``ITEM`` or ``MONEY``)."""

    slack: str
    counted_in: str
    in_words: Callable[[AllocationModel, list, AllianceData, Config], list[dict]]


@dataclass(frozen=True)
class CleanTerm:
    """A quantity that a plan should keep as small as its optimum allows (SPEC §4's
    clean plans, §7.2's least funding and fees), declared beside the columns it sums:
    ``terms`` sums it in ``counted_in`` (``ITEM`` units or ``MONEY``); ``weight`` is what
    one of those counts in the clean-plan phase's objective (a unit moved weighs 1, a
    million of money 1), and ``words(amount)`` says it ("moves 30 units between
    allies")."""

    terms: Terms
    counted_in: str
    weight: float
    words: Callable[[float], str]

    def measure(self, values: np.ndarray) -> float:
        columns, coefficients = self.terms
        return float(coefficients @ values[columns]) if len(columns) else 0.0


@dataclass
class AllocationModel:
    """A built model: the linear model, the column positions of each variable family
    (aligned with the index frames of ``sets``) and the objective terms."""

    linear: LinearModel
    sets: ModelSets
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    e: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    u: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # SPEC §7.1
    v: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    alliance_short: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # §7.2
    band_short: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    carry: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # §7.2, millions
    z: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # SPEC §7.3
    q: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cost_terms: dict[str, Terms] = field(default_factory=dict)
    weighted_shortfall: Terms | None = None
    shortfall_penalty: Terms | None = None
    # The elastic form (``create_model(..., elastic=True)``, for diagnosing infeasibility):
    # per hard constraint family of SPEC §4 (3, 6, 7, 8), the columns of its slack, which
    # measure by how much each of its rows would have to give.
    elastic: bool = False
    slack: dict[str, np.ndarray] = field(default_factory=dict)
    limits: list[Limit] = field(default_factory=list)  # declared by the define_* functions
    commitments: list[Commitment] = field(default_factory=list)  # of the elastic form
    clean_terms: list[CleanTerm] = field(default_factory=list)  # what a clean plan keeps least

    @property
    def cost(self) -> Terms:
        return _sum_terms(*self.cost_terms.values())

    @property
    def is_mip(self) -> bool:
        return bool(self.linear.column_bounds()[2].any())


def _sum_terms(*terms: Terms) -> Terms:
    if not terms:
        return np.zeros(0, np.int64), np.zeros(0)
    return (np.concatenate([t[0] for t in terms]).astype(np.int64),
            np.concatenate([t[1] for t in terms]).astype(float))


def _period_codes(sets: ModelSets, period: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(sets.periods, dtype=object)[np.asarray(period, dtype=np.int64)]


def stock_position(sets: ModelSets, ally: pd.Series, item: pd.Series,
                    period: pd.Series | np.ndarray) -> np.ndarray:
    """Position of s(a,i,t) in ``sets.stocks`` (ordered ally, item, period)."""
    ally_index = pd.Index(sets.allies["ally"]).get_indexer(ally)
    item_index = pd.Index(sets.items["item"]).get_indexer(item)
    horizon = len(sets.periods)
    return (ally_index * len(sets.items) + item_index) * horizon + np.asarray(period)


def _row_parts(family: RowFamily, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of the family, as SPEC §4 states it (not as held for the solver): the sum
    of its positive terms and the sum of its negative terms at the solution."""
    local = family.row - family.start
    contribution = family.coefficient * values[family.column] / family.scale
    n = len(family.positions)
    positive = np.bincount(local, weights=np.where(contribution > 0, contribution, 0),
                           minlength=n)
    negative = np.bincount(local, weights=np.where(contribution < 0, contribution, 0),
                           minlength=n)
    return positive, negative


def _tight(used: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return np.abs(used - limit) <= TIGHT * np.maximum(1.0, np.abs(limit))


def _built_labels(family: RowFamily) -> pd.DataFrame:
    """The labels of the rows the family built, in row order."""
    return family.labels.iloc[family.positions].reset_index(drop=True)


def _cells(sheet, column: str, rows) -> list[tuple]:
    """(sheet, column, Excel row) of each record, for ``AllianceData.cell``."""
    sheets = [sheet] * len(rows) if isinstance(sheet, str) else list(sheet)
    return [(name, column, int(row)) for name, row in zip(sheets, rows, strict=True)]


def _gives(amount: float, what: str) -> str:
    """"; 3 cannot be covered" for a member of the conflict set that gives, else ""."""
    return f"; {figure(amount, what)}" if amount > GIVE else ""


def define_variables(model: AllocationModel) -> None:
    """x, e, y, s, u ≥ 0 over the index sets; x and y integer for integer items."""
    sets, linear = model.sets, model.linear
    orders, expansions, transfers = sets.orders, sets.expansions, sets.transfers
    stocks, shortfalls = sets.stocks, sets.shortfalls
    model.x = linear.add_columns(
        "x", orders, lambda: [orders["facility"], orders["item"], orders["ally"],
                              _order_period_names(sets)],
        integer=orders["integer"].to_numpy(dtype=bool))
    model.e = linear.add_columns(
        "e", expansions, lambda: [expansions["facility"], expansions["item"],
                                  _period_codes(sets, expansions["period"])])
    model.y = linear.add_columns(
        "y", transfers, lambda: [transfers["giver"], transfers["ally"], transfers["item"],
                                 _period_codes(sets, transfers["period"])],
        integer=transfers["integer"].to_numpy(dtype=bool))
    # Among optimal plans, the one that moves least: no round trips, no dust.
    model.clean_terms.append(CleanTerm(
        (model.y, np.ones(len(model.y))), ITEM, 1.0,
        lambda moved: f"moves {figure(moved)} units between allies"))
    # And the one that pays least in framework fees (SPEC §7.2): a fee moves money from a
    # member to the lead, which a plan of equal cost need not do.
    model.clean_terms.append(CleanTerm(
        (model.x, orders["fee"].to_numpy(float)), MONEY, 1 / MILLION,
        lambda paid: f"pays {figure(paid)} in framework fees"))
    model.s = linear.add_columns(
        "s", stocks, lambda: [stocks["ally"], stocks["item"],
                              _period_codes(sets, stocks["period"])])
    model.u = linear.add_columns(
        "u", shortfalls, lambda: [shortfalls["ally"], shortfalls["item"],
                                  _period_codes(sets, shortfalls["period"])])
    productions, pools = sets.productions, sets.pools
    model.z = linear.add_columns(
        "z", productions, lambda: [productions["facility"], productions["item"],
                                   _period_codes(sets, productions["period"])],
        integer=productions["integer"].to_numpy(dtype=bool))
    model.q = linear.add_columns(
        "q", pools, lambda: [pools["component"], _period_codes(sets, pools["period"])])
    # And the one that makes no more components than it draws (SPEC §7.3): a component
    # line that costs nothing could otherwise fill the pool with what no line uses.
    model.clean_terms.append(CleanTerm(
        (model.z, np.ones(len(model.z))), ITEM, 1.0,
        lambda made: f"makes {figure(made)} units of components"))


def _order_period_names(sets: ModelSets) -> np.ndarray:
    """The last part of each order's column name: its period, and for a framework order
    "_via_" and the framework (``x_L_SHELL_S1_2027Q1_via_NSPA``), so that a direct and a
    framework order of the same line, ally and period have names of their own."""
    orders = sets.orders
    names = _period_codes(sets, orders["period"]).astype(object)
    through = orders["framework"].notna().to_numpy()
    names[through] = names[through] + "_via_" + orders["framework"].to_numpy(object)[through]
    return names


def define_capacity_constraints(model: AllocationModel) -> None:
    """1. Capacity: Σ_a x(ℓ,a,t) − Σ_{τ + lead ≤ t} e(ℓ,τ) ≤ cap(ℓ,t); for a component
    line (SPEC §7.3, 12) z(ℓ,t) in place of the orders, which it has none of."""
    sets = model.sets
    horizon = len(sets.periods)
    orders, expansions, productions = sets.orders, sets.expansions, sets.productions
    # Each e(ℓ,τ) enters every row (ℓ,t) with t ≥ online_from.
    reach = horizon - expansions["online_from"].to_numpy()
    e_index = np.repeat(np.arange(len(expansions)), reach)
    e_period = expansions["online_from"].to_numpy()[e_index] + ranges(reach)
    row = np.concatenate([
        orders["line"].to_numpy() * horizon + orders["period"].to_numpy(),
        productions["line"].to_numpy() * horizon + productions["period"].to_numpy(),
        expansions["line"].to_numpy()[e_index] * horizon + e_period,
    ])
    column = np.concatenate([model.x, model.z, model.e[e_index]])
    coefficient = np.concatenate([np.ones(len(orders)), np.ones(len(productions)),
                                  -np.ones(len(e_index))])
    labels = sets.capacity
    model.linear.add_rows(
        "capacity", labels,
        lambda: [labels["facility"], labels["item"], _period_codes(sets, labels["period"])],
        row, column, coefficient, LESS, labels["capacity"].to_numpy())
    model.limits.append(Limit(
        CAPACITY, "unit of capacity", 1.0, "unit of capacity", True, _read_capacity,
        _capacity_phrase, _relax_capacity, counted_in=ITEM, holds_back=True))


def _capacity_phrase(record: dict, step: str) -> str:
    """Where a step of capacity goes, in words: "each more unit of capacity at LAP (A)
    for SHELL in 2"; for a component line (SPEC §7.3) in the component's own unit and
    name, "each more t of explosive (EXPL) capacity at EL (A) in 1"."""
    at = f"at {record['facility']} ({record['host']})"
    made = record.get("component_unit")
    if isinstance(made, str):
        return f"each more {made} capacity {at} in {record['period']}"
    return f"each more {step} {at} for {record['item']} in {record['period']}"


def component_words(sets: ModelSets) -> pd.Series:
    """Item -> how one unit of it reads where it is a component (SPEC §7.3), its unit
    then its name and code from Items: "t of explosive (EXPL)", "unit of FUZE" (no unit
    or name given); only the components are indexed."""
    items = sets.items.set_index("item")
    words = {}
    for component in sets.pools["component"].unique():
        unit, name = items.at[component, "unit"], items.at[component, "name"]
        unit = unit.strip() if isinstance(unit, str) and unit.strip() else "unit"
        name = name.strip() if isinstance(name, str) and name.strip() else ""
        words[component] = f"{unit} of {name} ({component})" if name else f"{unit} of {component}"
    return pd.Series(words, dtype=object)


def _read_capacity(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Capacity (1) as the Production or Capacity cell states it, plus the extra capacity
    online: the row's right-hand side is the cell, its negative terms the expansions.
    ``component_unit``: for a component line's row (12), what a unit of it makes in words
    (``component_words``); None for a final line."""
    family, sets = model.linear.rows["capacity"], model.sets
    labels = _built_labels(family)
    used, negative = _row_parts(family, values)
    limit = family.rhs / family.scale - negative
    made = labels["item"].map(component_words(sets))
    return pd.DataFrame({
        "item": labels["item"], "facility": labels["facility"],
        "host": labels["line"].map(sets.lines["host"]),
        "period": _period_codes(sets, labels["period"]), "limit": limit, "used": used,
        "tight": _tight(used, limit), "cell_value": family.rhs / family.scale,
        "set_by": _cells(labels["source"], "capacity", labels["row"]),
        "position": family.start + np.arange(len(labels)), "rhs_per_unit": 1.0,
        "component_unit": made.astype(object).where(made.notna(), None)})


def _relax_capacity(data: AllianceData, record: dict, amount: float) -> AllianceData:
    """The line's capacity in that period raised by ``amount``: a Capacity row (the one
    the workbook has for it, or a new one)."""
    key = ["facility", "item", "period"]
    value = float(record["cell_value"]) + amount
    capacity = data.capacity
    here = ((capacity["facility"] == record["facility"]) & (capacity["item"] == record["item"])
            & (capacity["period"] == record["period"]))
    if here.any():
        capacity = capacity.assign(capacity=capacity["capacity"].where(~here, value))
    else:
        row = int(capacity[ROW].max()) + 1 if len(capacity) else 2
        added = pd.DataFrame([{**{k: record[k] for k in key}, "capacity": value, ROW: row}])
        capacity = pd.concat([capacity, added.astype(capacity.dtypes.to_dict())],
                             ignore_index=True)
    return dataclasses.replace(data, capacity=capacity)


def define_expansion_limits(model: AllocationModel) -> None:
    """2. Expansion limit: Σ_t e(ℓ,t) ≤ max_extra(ℓ)."""
    expansions = model.sets.expansions
    labels = expansions.drop_duplicates("line")[["line", "facility", "item", "max_extra",
                                                 "expansion_row"]]
    position = pd.Index(labels["line"]).get_indexer(expansions["line"])
    model.linear.add_rows(
        "expansion_limit", labels, lambda: [labels["facility"], labels["item"]],
        position, model.e, np.ones(len(expansions)), LESS, labels["max_extra"].to_numpy())
    model.limits.append(Limit(
        EXPANSION, "unit of extra capacity", 1.0, "unit of extra capacity", True,
        _read_expansion_limit,
        lambda r, step: (f"each more {step} allowed at {r['facility']} ({r['host']}) for "
                         f"{r['item']}"), _relax_expansion_limit,
        counted_in=ITEM, holds_back=True))


def _relax_expansion_limit(data: AllianceData, record: dict, amount: float) -> AllianceData:
    """Expansion!max_extra of the line raised by ``amount``."""
    expansion = data.expansion
    here = (expansion["facility"] == record["facility"]) & (expansion["item"] == record["item"])
    return dataclasses.replace(data, expansion=expansion.assign(
        max_extra=expansion["max_extra"].where(~here, expansion["max_extra"] + amount)))


def _read_expansion_limit(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Expansion limit (2): Expansion!max_extra against the extra capacity built."""
    family, sets = model.linear.rows["expansion_limit"], model.sets
    labels = _built_labels(family)
    used, _ = _row_parts(family, values)
    limit = family.rhs / family.scale
    return pd.DataFrame({
        "item": labels["item"], "facility": labels["facility"],
        "host": labels["line"].map(sets.lines["host"]), "limit": limit, "used": used,
        "tight": _tight(used, limit),
        "set_by": _cells("Expansion", "max_extra", labels["expansion_row"]),
        "position": family.start + np.arange(len(labels)), "rhs_per_unit": 1.0})


def define_stock_balance(model: AllocationModel) -> None:
    """3. Stock balance, for every ally a, item i and period t:
    s(a,i,t) − s(a,i,t−1) − Σ x arriving at a in t − Σ y arriving at a in t
    + Σ y leaving a in t = on_hand·[t = first] − consumption(a,i,t), with s ≥ 0."""
    sets = model.sets
    stocks, orders, transfers = sets.stocks, sets.orders, sets.transfers
    here = np.arange(len(stocks))
    later = here[stocks["period"].to_numpy() > 0]
    parts = [
        (here, model.s, np.ones(len(stocks))),
        (later, model.s[later - 1], -np.ones(len(later))),
        (stock_position(sets, orders["ally"], orders["item"], orders["delivery"]),
         model.x, -np.ones(len(orders))),
        (stock_position(sets, transfers["ally"], transfers["item"],
                         transfers["arrival"].to_numpy(dtype=np.int64)),
         model.y, -np.ones(len(transfers))),
        (stock_position(sets, transfers["giver"], transfers["item"],
                         transfers["period"].to_numpy(dtype=np.int64)),
         model.y, np.ones(len(transfers))),
    ]
    on_hand = sets.on_hand.set_index(["ally", "item"])["on_hand"]
    opening = pd.MultiIndex.from_frame(stocks[["ally", "item"]]).map(on_hand).to_numpy(float)
    rhs = (np.where(stocks["period"].to_numpy() == 0, opening, 0.0)
           - stocks["consumption"].to_numpy())
    if model.elastic:
        # Consumption left uncovered: supply from nowhere in the period it is used.
        used = stocks[stocks["consumption"] > 0]
        model.slack["uncovered"] = model.linear.add_columns(
            "uncovered", used, lambda: [used["ally"], used["item"],
                                        _period_codes(sets, used["period"])])
        parts.append((used.index.to_numpy(), model.slack["uncovered"],
                      -np.ones(len(used))))
        model.commitments.append(Commitment("uncovered", ITEM, _uncovered_in_words))
    model.linear.add_rows(
        "stock_balance", stocks,
        lambda: [stocks["ally"], stocks["item"], _period_codes(sets, stocks["period"])],
        *_concat(parts), EQUAL, rhs)


def _uncovered_in_words(model: AllocationModel, members: list, data: AllianceData,
                        config: Config) -> list[dict]:
    """Stock balance (3) in words: consumption that no stock or delivery can cover, and
    why: no line delivers the item, none in time, none that has its components in time
    (``_components_missing``), or limits the Diagnosis lists."""
    sets = model.sets
    periods = np.asarray(sets.periods, dtype=object)
    consumption = data.consumption.set_index(["ally", "item", "period"])["row"]
    stocks = data.stocks.set_index(["ally", "item"])
    orders = sets.orders
    in_pools = first_in_pools(sets)
    rows = []
    for label, amount in members:
        period = periods[label.period]
        cell = data.cell("Consumption", "quantity", int(consumption[label.ally, label.item,
                                                                    period]))
        if (label.ally, label.item) in stocks.index:
            on_hand = stocks.loc[(label.ally, label.item)]
            held = (f"Stocks holds {figure(on_hand['on_hand'])} "
                    f"({data.cell('Stocks', 'on_hand', int(on_hand['row']))})")
        else:
            held = "Stocks holds none"
        reach = orders[(orders["ally"] == label.ally) & (orders["item"] == label.item)]
        if reach.empty:
            cause = (f"no production line can deliver {label.item} to {label.ally} "
                     "(Production, Restrictions)")
        elif int(reach["delivery"].min()) > label.period:
            first = reach.loc[reach["delivery"].idxmin()]
            line = sets.lines.loc[int(first["line"])]
            cause = (f"the earliest delivery arrives at the end of "
                     f"{periods[int(first['delivery'])]} "
                     f"({data.cell('Production', 'lead_time', int(line['row']))}, lead time "
                     f"{int(line['lead_time'])}"
                     + (f", route {int(first['delivery'] - first['period'] - line['lead_time'])}"
                        if first["delivery"] - first["period"] > line["lead_time"] else "")
                     + ")")
        elif (missing := _components_missing(
                sets, data, reach[reach["delivery"] <= label.period], in_pools)) is not None:
            cause = missing
        else:
            cause = "the deliveries that can arrive by then are held back by the limits listed"
        rows.append({
            "kind": "conflict", "rule": "stock cover of consumption", "ally": label.ally,
            "item": label.item, "period": period, "amount": amount, "cell": cell,
            "explanation": (f"{label.ally} uses {figure(label.consumption)} {label.item} "
                            f"in {period}, but {held} and {cause}"
                            + _gives(amount, "cannot be covered")),
        })
    return rows


def first_in_pools(sets: ModelSets) -> dict[str, tuple[float, int | None]]:
    """Component k -> (t_k, ℓ_k) (SPEC §7.3): t_k the first period in which the pool of
    k can hold any, 0 where IndustryStocks holds some, else the earliest arrival t +
    d(ℓ) of a production z(ℓ,t) of a line ℓ making k whose own components are in their
    pools by t (a multi-level bill, acyclic by validation); inf where none arrives
    within the horizon; ℓ_k that line (None: on hand at the start, or none)."""
    pools = sets.pools.drop_duplicates("component").set_index("component")
    productions, uses = sets.productions, sets.uses
    found: dict[str, tuple[float, int | None]] = {}

    def arrival(component: str) -> tuple[float, int | None]:
        if component not in found:
            found[component] = (np.inf, None)  # a cycle (refused by validation) stays out
            if pools.at[component, "on_hand"] > 0:
                found[component] = (0.0, None)
            else:
                made = productions[productions["item"] == component]
                ready = [ready_from(int(line), made) for line in made["line"].unique()]
                found[component] = min(ready, key=lambda first: first[0],
                                       default=(np.inf, None))
        return found[component]

    def ready_from(line: int, made: pd.DataFrame) -> tuple[float, int | None]:
        needs = [arrival(k)[0] for k in uses.loc[uses["line"] == line, "component"]]
        starts = made.loc[(made["line"] == line) & (made["period"] >= max(needs, default=0.0))]
        return (float(starts["arrival"].min()), line) if len(starts) else (np.inf, None)

    for component in pools.index:
        arrival(component)
    return found


def _components_missing(sets: ModelSets, data: AllianceData, orders: pd.DataFrame,
                        first: dict[str, tuple[float, int | None]]) -> str | None:
    """Why none of ``orders`` (orders in time for a commitment) can be made, when it is
    that each waits for a component (SPEC §7.3): "no EXPL is on hand
    (IndustryStocks!B3) and the first EXPL arrives at the end of 2 (Production!F4, lead
    time 1)", for the latest of them and the first component of its line's bill not in
    the pool by its period (``first``, ``first_in_pools``); None when one of them has
    all its components, or there are none."""
    if orders.empty or sets.pools.empty:
        return None
    bill = sets.uses.groupby("line")["component"].apply(list)
    waiting = [next((k for k in bill.get(int(line), []) if first[k][0] > period), None)
               for line, period in zip(orders["line"], orders["period"], strict=True)]
    if any(k is None for k in waiting):
        return None
    component = waiting[int(np.argmax(orders["period"].to_numpy()))]
    stock_row = int(sets.pools.loc[sets.pools["component"] == component, ROW].iloc[0])
    held = (f"no {component} is on hand ("
            + (data.cell("IndustryStocks", "on_hand", stock_row) if stock_row
               else "no IndustryStocks row") + ")")
    arrives, maker = first[component]
    if maker is None:
        return f"{held} and no line makes {component} in time (Production)"
    line = sets.lines.loc[maker]
    return (f"{held} and the first {component} arrives at the end of "
            f"{sets.periods[int(arrives)]} "
            f"({data.cell('Production', 'lead_time', int(line[ROW]))}, lead time "
            f"{int(line['lead_time'])})")


def define_component_pools(model: AllocationModel) -> None:
    """11. Component pool (SPEC §7.3), for every component k and period t:
    q(k,t) − q(k,t−1) − Σ_{ℓ makes k} z(ℓ, t − d(ℓ))
    + Σ_{ℓ' uses k} quantity(ℓ',k) · (Σ_a x(ℓ',a,t) + z(ℓ',t)) = on_hand(k)·[t = first],
    q ≥ 0: a line draws its components from the alliance-wide pool in the period its
    production starts, and what a component line makes fills the pool at the end of the
    period it arrives in, as a delivery fills an ally's stock. The z(ℓ',t) term is a
    component line that itself uses components (a multi-level bill, acyclic by
    validation)."""
    sets = model.sets
    pools, productions, uses = sets.pools, sets.productions, sets.uses
    if pools.empty:
        return
    here = np.arange(len(pools))
    later = here[pools["period"].to_numpy() > 0]
    drawn_by_orders = sets.orders[["line", "period"]].reset_index(names="order").merge(
        uses[["line", "component", "quantity"]], on="line")
    drawn_by_lines = productions[["line", "period"]].reset_index(names="production").merge(
        uses[["line", "component", "quantity"]], on="line")
    parts = [
        (here, model.q, np.ones(len(pools))),
        (later, model.q[later - 1], -np.ones(len(later))),
        (productions["pool"].to_numpy(), model.z, -np.ones(len(productions))),
        (sets.pool_position(drawn_by_orders["component"], drawn_by_orders["period"]),
         model.x[drawn_by_orders["order"].to_numpy()],
         drawn_by_orders["quantity"].to_numpy(float)),
        (sets.pool_position(drawn_by_lines["component"], drawn_by_lines["period"]),
         model.z[drawn_by_lines["production"].to_numpy()],
         drawn_by_lines["quantity"].to_numpy(float)),
    ]
    rhs = np.where(pools["period"].to_numpy() == 0, pools["on_hand"].to_numpy(float), 0.0)
    model.linear.add_rows(
        "component_pool", pools,
        lambda: [pools["component"], _period_codes(sets, pools["period"])],
        *_concat(parts), EQUAL, rhs)
    model.limits.append(Limit(
        INDUSTRY_STOCK, "unit of industry stock", 1.0, "unit", True, _read_industry_stock,
        lambda r, step: f"each more {r['component_unit']} industry holds at the start",
        _relax_industry_stock, counted_in=ITEM, holds_back=True))


def _read_industry_stock(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Industry stock: IndustryStocks!on_hand of each component, the right-hand side of
    its pool row (11) in the first period, against the part of it drawn: on_hand −
    min(on_hand, min_t q(k,t)). It binds when the pool runs dry in some period, for then
    one more unit at the start could be drawn there. ``component_unit``: a unit of the
    component in words (``component_words``)."""
    family, sets = model.linear.rows["component_pool"], model.sets
    pools = sets.pools
    first = np.flatnonzero(pools["period"].to_numpy() == 0)
    horizon = len(sets.periods)
    lowest = values[model.q].reshape(len(first), horizon).min(axis=1)
    on_hand = pools["on_hand"].to_numpy(float)[first]
    used = on_hand - np.minimum(on_hand, np.maximum(lowest, 0.0))
    rows = pools[ROW].to_numpy()[first]
    codes = pools["component"].to_numpy(dtype=object)[first]
    return pd.DataFrame({
        "item": codes, "period": _period_codes(sets, np.zeros(len(first), np.int64)),
        "limit": on_hand, "used": used, "tight": _tight(used, on_hand), "cell_value": on_hand,
        "set_by": [("IndustryStocks", "on_hand", int(row)) if row else
                   f"IndustryStocks (no row for {code}: none)"
                   for code, row in zip(codes, rows, strict=True)],
        "position": family.start + np.searchsorted(family.positions, first),
        "rhs_per_unit": 1.0,
        "component_unit": pd.Series(codes).map(component_words(sets)).to_numpy(object)})


def _relax_industry_stock(data: AllianceData, record: dict, amount: float) -> AllianceData:
    """IndustryStocks!on_hand of the component raised by ``amount`` (a row added where
    the sheet has none)."""
    stocks = data.industry_stocks
    here = stocks["component"] == record["item"]
    if here.any():
        return dataclasses.replace(data, industry_stocks=stocks.assign(
            on_hand=stocks["on_hand"].where(~here, stocks["on_hand"] + amount)))
    row = int(stocks[ROW].max()) + 1 if len(stocks) else 2
    added = pd.DataFrame([{"component": record["item"], "on_hand": float(amount), ROW: row}])
    return dataclasses.replace(data, industry_stocks=pd.concat(
        [stocks, added.astype(stocks.dtypes.to_dict())], ignore_index=True))


def define_readiness_constraints(model: AllocationModel) -> None:
    """4. Readiness, for every Requirements row: s(a,i,t) + u(a,i,t) ≥ target(a,i,t)."""
    sets = model.sets
    shortfalls = sets.shortfalls
    here = np.arange(len(shortfalls))
    stock = stock_position(sets, shortfalls["ally"], shortfalls["item"], shortfalls["period"])
    rows, columns = [here, here], [model.s[stock], model.u]
    if model.elastic:
        # Gap left open beyond rule 6's bound on u (see define_min_gap_closure).
        ruled = np.flatnonzero(shortfalls["upper"].to_numpy() < shortfalls["gap"].to_numpy())
        labels = shortfalls.iloc[ruled]
        model.slack["unclosed"] = model.linear.add_columns(
            "unclosed", labels, lambda: [labels["ally"], labels["item"],
                                         _period_codes(sets, labels["period"])],
            upper=(labels["gap"] - labels["upper"]).to_numpy(float))
        rows.append(ruled)
        columns.append(model.slack["unclosed"])
        model.commitments.append(Commitment("unclosed", ITEM, _unclosed_in_words))
    rows, columns = np.concatenate(rows), np.concatenate(columns)
    model.linear.add_rows(
        "readiness", shortfalls,
        lambda: [shortfalls["ally"], shortfalls["item"],
                 _period_codes(sets, shortfalls["period"])],
        rows, columns, np.ones(len(rows)), GREATER, shortfalls["target"].to_numpy())


def own_gap_closure_cell(data: AllianceData, ally: str) -> str | None:
    """The Allies cell that gives ``ally`` its own minimum gap closure, or None when the
    model configuration's ``rules.min_gap_closure`` applies."""
    allies = data.allies.set_index("ally")
    if pd.isna(allies.at[ally, "min_gap_closure"]):
        return None
    return data.cell("Allies", "min_gap_closure", int(allies.at[ally, "row"]))


def _unclosed_in_words(model: AllocationModel, members: list, data: AllianceData,
                       config: Config) -> list[dict]:
    """Readiness (4) with minimum gap closure (6) in words: a gap that cannot be closed
    as far as the rule asks, and why where no line can make the item in time for want
    of its components (``_components_missing``)."""
    periods = np.asarray(model.sets.periods, dtype=object)
    orders = model.sets.orders
    in_pools = first_in_pools(model.sets)
    rows = []
    for label, amount in members:
        cell = own_gap_closure_cell(data, label.ally) or "model: rules.min_gap_closure"
        period = periods[label.period]
        short = ""
        if amount > GIVE:
            short = f", but can close only {figure(label.gap - label.upper - amount)}"
            in_time = orders[(orders["ally"] == label.ally) & (orders["item"] == label.item)
                             & (orders["delivery"] <= label.period)]
            missing = _components_missing(model.sets, data, in_time, in_pools)
            short += f", as {missing}" if missing is not None else ""
        rows.append({
            "kind": "conflict", "rule": "minimum gap closure", "ally": label.ally,
            "item": label.item, "period": period, "amount": amount, "cell": cell,
            "explanation": (f"{label.ally} must close {100 * label.closure:g} % of its gap "
                            f"of {figure(label.gap)} {label.item} in {period}{short}"
                            + _gives(amount, "more stays open")),
        })
    return rows


def define_min_gap_closure(model: AllocationModel) -> None:
    """6. Minimum gap closure, for every Requirements row: u(a,i,t) ≤ (1 − ρ_a)·gap(a,i,t),
    gap = max(0, target − P), P = on_hand − Σ_{τ≤t} consumption (see ``ModelSets``).
    Written as the upper bound of u; it binds at ρ = 0 too, when transfers are allowed."""
    family = model.linear.columns["u"]
    family.upper[:] = model.sets.shortfalls["upper"].to_numpy(dtype=float)
    model.limits.append(Limit(
        GAP_CLOSURE, "unit of shortfall allowed", 1.0, "unit of shortfall allowed", False,
        _read_gap_closure,
        lambda r, step: (f"each more {step} to {r['ally']} for {r['item']} in "
                         f"{r['period']} (minimum gap closure)"), counted_in=ITEM))


def _read_gap_closure(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Minimum gap closure (6) with ρ_a > 0: the bound (1 − ρ_a)·gap on u, set by
    Allies!min_gap_closure or ``rules.min_gap_closure`` (in ``shortfalls["closure_cell"]``
    when the ally sets its own)."""
    sets = model.sets
    shortfalls = sets.shortfalls
    upper = shortfalls["upper"].to_numpy(float)
    ruled = ((shortfalls["closure"].to_numpy(float) > 0)
             & (upper < shortfalls["gap"].to_numpy(float)))
    picked = shortfalls[ruled]
    u = values[model.u[ruled]]
    own = sets.allies.set_index("ally")
    return pd.DataFrame({
        "ally": picked["ally"].to_numpy(), "item": picked["item"].to_numpy(),
        "period": _period_codes(sets, picked["period"]), "limit": upper[ruled], "used": u,
        "tight": _tight(u, upper[ruled]),
        "set_by": [("Allies", "min_gap_closure", int(own.at[a, "row"]))
                   if own.at[a, "min_gap_closure"] == own.at[a, "min_gap_closure"]
                   else "model: rules.min_gap_closure" for a in picked["ally"]],
        "position": model.u[ruled], "rhs_per_unit": 1.0})


def spending_terms(model: AllocationModel) -> pd.DataFrame:
    """Every term of spend(a,t) (SPEC §4, constraint 5) as rows (ally, period, column,
    coefficient): (c(ℓ) + k) x(ℓ,a,t) + Σ_b k(b,a,i) y(b,a,i,t) + cost_per_unit(ℓ) e(ℓ,t)
    for the lines whose expansion ``a`` pays."""
    sets = model.sets
    orders, transfers, expansions = sets.orders, sets.transfers, sets.expansions
    paid = expansions["payer"].notna().to_numpy()
    return pd.DataFrame({
        "ally": np.concatenate([orders["ally"].to_numpy(object),
                                transfers["ally"].to_numpy(object),
                                expansions["payer"].to_numpy(object)[paid]]),
        "period": np.concatenate([orders["period"], transfers["period"],
                                  expansions["period"].to_numpy()[paid]]).astype(np.int64),
        "column": np.concatenate([model.x, model.y, model.e[paid]]),
        "coefficient": np.concatenate([
            orders["price"].to_numpy(float),
            transfers["route_cost"].to_numpy(float),
            expansions["cost_per_unit"].to_numpy(float)[paid]]),
    })


def _gap_closure_rule(data: AllianceData, config: Config) -> Rule | None:
    """Minimum gap closure is in force where rules.min_gap_closure or an ally's own
    min_gap_closure is above 0; lifted, every ρ_a is 0."""
    own = data.allies["min_gap_closure"].fillna(0) > 0
    if not (config.rules.min_gap_closure > 0 or own.any()):
        return None
    starts = data.allies["min_gap_closure_from"].notna()
    set_by = ", ".join(
        (["rules.min_gap_closure"] if config.rules.min_gap_closure > 0 else [])
        + [data.cell("Allies", "min_gap_closure", int(row))
           for row in data.allies.loc[own, "row"]]
        + (["rules.min_gap_closure_from"] if config.rules.min_gap_closure_from else [])
        + [data.cell("Allies", "min_gap_closure_from", int(row))
           for row in data.allies.loc[starts, "row"]])
    return Rule("minimum gap closure", set_by, GAP_CLOSURE, lambda d, c: (
        dataclasses.replace(d, allies=d.allies.assign(min_gap_closure=np.nan)),
        c.with_settings({"rules.min_gap_closure": 0.0})))


def define_funding(model: AllocationModel) -> None:
    """SPEC §7.2, for the Funding rows (none: nothing is added). Columns f(a,b,t) ≥ 0,
    the money ally a pays for ally b's purchases in t, held in millions (they enter the
    budget rows, ``define_budget_constraints``), and, for a row with a cap, the row
    13. Σ_t 10⁶ f(a,b,t) ≤ max_amount(a,b), held in millions.
    Among plans of equal W and cost, the least funding is chosen (``CleanTerm``)."""
    sets = model.sets
    funding = sets.funding
    if funding.empty:
        return
    model.f = model.linear.add_columns(
        "f", funding, lambda: [funding["giver"], funding["ally"],
                               _period_codes(sets, funding["period"])])
    model.clean_terms.append(CleanTerm(
        (model.f, np.full(len(model.f), MILLION)), MONEY, 1 / MILLION,
        lambda paid: f"pays {figure(paid)} for other allies' purchases"))
    capped = funding[funding["max_amount"].notna()]
    if capped.empty:
        return
    labels = capped.drop_duplicates("pair").reset_index(drop=True)
    model.linear.add_rows(
        "funding_cap", labels, lambda: [labels["giver"], labels["ally"]],
        pd.Index(labels["pair"]).get_indexer(capped["pair"]),
        model.f[capped.index.to_numpy()], np.full(len(capped), MILLION), LESS,
        labels["max_amount"].to_numpy(float), scale=1 / MILLION)
    model.limits.append(Limit(
        FUNDING_CAP, "unit of money", MILLION, "million", True, _read_funding_cap,
        lambda r, step: (f"each more {step} that {r['ally']} may pay for {r['receiver']}'s "
                         "purchases"), _relax_funding_cap, counted_in=MONEY, holds_back=True))


def _read_funding_cap(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Funding cap (13): Funding!max_amount against what the giver (``ally``) pays for
    the receiver's purchases over the horizon."""
    family = model.linear.rows["funding_cap"]
    labels = _built_labels(family)
    used, _ = _row_parts(family, values)
    limit = family.rhs / family.scale
    return pd.DataFrame({
        "ally": labels["giver"], "receiver": labels["ally"], "limit": limit, "used": used,
        "tight": _tight(used, limit), "set_by": _cells("Funding", "max_amount", labels["row"]),
        "position": family.start + np.arange(len(labels)), "rhs_per_unit": 1.0})


def _relax_funding_cap(data: AllianceData, record: dict, amount: float) -> AllianceData:
    """Funding!max_amount of the pair raised by ``amount``."""
    funding = data.funding
    here = (funding["from"] == record["ally"]) & (funding["to"] == record["receiver"])
    return dataclasses.replace(data, funding=funding.assign(
        max_amount=funding["max_amount"].where(~here, funding["max_amount"] + amount)))


def define_budget_constraints(model: AllocationModel, carryover: bool) -> None:
    """5. Budget, for every ally with Budgets rows and every period:
    spend(a,t) + Σ_b f(a,b,t) − Σ_b f(b,a,t) ≤ budget(a,t) (funding given and received,
    SPEC §7.2, in millions); with budget_carryover, the same summed over τ ≤ t, written
    with carry-over variables carry(a,t) ≥ 0 (unspent money moved to t+1, in millions):
    … + 10⁶ carry(a,t) − 10⁶ carry(a,t−1) ≤ budget(a,t). Rows are held in millions
    (``MILLION``).
    A framework's lead gains the fees its members pay through it in t (SPEC §7.2): its row
    also holds − Σ fee · x_f(ℓ,b,t) (``_fee_credits``)."""
    sets = model.sets
    budgets = sets.budgets
    if budgets.empty:
        return
    horizon = len(sets.periods)
    terms = spending_terms(model)
    ally_index = pd.Index(budgets["ally"].unique())
    terms = terms[ally_index.get_indexer(terms["ally"]) >= 0]
    row = ally_index.get_indexer(terms["ally"]) * horizon + terms["period"].to_numpy()
    parts = [(row, terms["column"].to_numpy(), terms["coefficient"].to_numpy())]
    funding = sets.funding
    for side, sign in (("giver", 1.0), ("ally", -1.0)):
        budgeted = ally_index.get_indexer(funding[side]) >= 0
        parts.append((ally_index.get_indexer(funding.loc[budgeted, side]) * horizon
                      + funding.loc[budgeted, "period"].to_numpy(),
                      model.f[budgeted], np.full(int(budgeted.sum()), sign * MILLION)))
    if carryover:
        model.carry = model.linear.add_columns(
            "carry", budgets, lambda: [budgets["ally"], _period_codes(sets, budgets["period"])])
        here = np.arange(len(budgets))
        later = here[budgets["period"].to_numpy() > 0]
        parts += [(here, model.carry, np.full(len(budgets), MILLION)),
                  (later, model.carry[later - 1], np.full(len(later), -MILLION))]
    # -- Framework fees (SPEC §7.2): what members pay a lead enters the lead's row.
    parts.append(_fee_credits(model, ally_index, horizon))
    # --
    model.linear.add_rows(
        "budget", budgets, lambda: [budgets["ally"], _period_codes(sets, budgets["period"])],
        *_concat(parts), LESS, budgets["budget"].to_numpy(), scale=1 / MILLION)
    model.limits.append(Limit(
        BUDGET, "unit of money", MILLION, "million", True, _read_budget,
        lambda r, step: f"each more {step} in {r['ally']}'s {r['period']} budget",
        _relax_budget, counted_in=MONEY, holds_back=True))


def _fee_credits(model: AllocationModel, ally_index: pd.Index, horizon: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms −fee · x_f(ℓ,a,t) of the budget rows (lead, t) (SPEC §7.2): each fee a
    member pays through a framework is money in the lead's budget in the period of the
    order, for a lead with Budgets rows. Not part of ``spending_terms``: the lead's
    spending, which its work share counts, stays what it pays."""
    orders = model.sets.orders
    row = ally_index.get_indexer(orders["lead"])
    credited = (orders["fee"].to_numpy(float) > 0) & (row >= 0)
    return (row[credited] * horizon + orders["period"].to_numpy()[credited],
            model.x[credited], -orders["fee"].to_numpy(float)[credited])


def _relax_budget(data: AllianceData, record: dict, amount: float) -> AllianceData:
    """The ally's budget in that period raised by ``amount`` (a Budgets row for a period
    the ally left out, at 0, gets ``amount``)."""
    budgets = data.budgets
    here = (budgets["ally"] == record["ally"]) & (budgets["period"] == record["period"])
    if here.any():
        budgets = budgets.assign(budget=budgets["budget"].where(~here, budgets["budget"] + amount))
    else:
        row = int(budgets[ROW].max()) + 1 if len(budgets) else 2
        added = pd.DataFrame([{"ally": record["ally"], "period": record["period"],
                               "budget": amount, ROW: row}])
        budgets = pd.concat([budgets, added.astype(budgets.dtypes.to_dict())], ignore_index=True)
    return dataclasses.replace(data, budgets=budgets)


def _read_budget(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Budget (5): Budgets!budget (0 for a period the ally left out) against spending and
    the money carried in and out."""
    family, sets = model.linear.rows["budget"], model.sets
    labels = _built_labels(family)
    positive, negative = _row_parts(family, values)
    used = positive + negative
    limit = family.rhs / family.scale
    return pd.DataFrame({
        "ally": labels["ally"], "period": _period_codes(sets, labels["period"]),
        "limit": limit, "used": used, "tight": _tight(used, limit),
        "set_by": [("Budgets", "budget", int(row)) if row == row
                   else "Budgets: no row for this period (budget 0)" for row in labels["row"]],
        "position": family.start + np.arange(len(labels)), "rhs_per_unit": 1.0})


def _budget_rule(data: AllianceData, config: Config) -> Rule | None:
    """Budgets without carry-over are in force where there are budgets; lifted, unspent
    money carries over."""
    if config.rules.budget_carryover or data.budgets.empty:
        return None
    return Rule("budgets without carry-over", "rules.budget_carryover", BUDGET,
                lambda d, c: (d, c.with_settings({"rules.budget_carryover": True})))


def define_supplier_share_constraints(model: AllocationModel, share: float) -> None:
    """7. Supplier share (σ < 1), for every ally a, item i and host country g of a line of i:
    Σ_{ℓ: h(ℓ)=g, i(ℓ)=i} Σ_t x(ℓ,a,t) − σ · Σ_{ℓ: i(ℓ)=i} Σ_t x(ℓ,a,t) ≤ 0."""
    if share >= 1.0:
        return
    orders = model.sets.orders
    hosts = model.sets.lines[["item", "host"]].drop_duplicates()
    labels = orders[["ally", "item"]].drop_duplicates().merge(hosts, on="item")
    labels = labels.sort_values(["ally", "item", "host"]).reset_index(drop=True)
    terms = orders[["ally", "item", "host"]].reset_index().rename(
        columns={"index": "order", "host": "line_host"}
    ).merge(labels.reset_index().rename(columns={"index": "row"}), on=["ally", "item"])
    coefficient = (terms["line_host"] == terms["host"]).to_numpy(float) - share
    row, column = terms["row"].to_numpy(), model.x[terms["order"].to_numpy()]
    if model.elastic:  # units from host g beyond the share
        model.slack["over_share"] = model.linear.add_columns(
            "over_share", labels, lambda: [labels["ally"], labels["item"], labels["host"]])
        row = np.concatenate([row, np.arange(len(labels))])
        column = np.concatenate([column, model.slack["over_share"]])
        coefficient = np.concatenate([coefficient, -np.ones(len(labels))])
        model.commitments.append(Commitment("over_share", ITEM, _over_share_in_words))
    model.linear.add_rows(
        "supplier_share", labels, lambda: [labels["ally"], labels["item"], labels["host"]],
        row, column, coefficient, LESS, np.zeros(len(labels)))

    def read(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
        """Host g's share of ally a's deliveries of item i, in percent, against 100·σ;
        one more percentage point moves the row's right-hand side by total / 100."""
        family = model.linear.rows["supplier_share"]
        built = _built_labels(family)
        local = family.row - family.start
        orders = model.linear.columns["x"]
        is_order = (family.column >= orders.start) & (family.column < orders.stop)
        total = np.bincount(local, weights=np.where(is_order, values[family.column], 0.0),
                            minlength=len(built))
        positive, negative = _row_parts(family, values)
        from_host = positive + negative + share * total
        with np.errstate(invalid="ignore", divide="ignore"):
            used = np.where(total > 0, 100 * from_host / total, 0.0)
        return pd.DataFrame({
            "ally": built["ally"], "item": built["item"], "host": built["host"],
            "limit": 100 * share, "used": used,
            "tight": (total > TIGHT) & _tight(from_host, share * total),
            "set_by": "model: rules.max_supplier_share",
            "position": family.start + np.arange(len(built)), "rhs_per_unit": total / 100})

    model.limits.append(Limit(
        SUPPLIER_SHARE, "percentage point of the share", 1.0, "percentage point of share",
        True, read,
        lambda r, step: f"each more {step} for {r['host']} in {r['ally']}'s {r['item']}",
        counted_in=PERCENT))


def _over_share_in_words(model: AllocationModel, members: list, data: AllianceData,
                         config: Config) -> list[dict]:
    """Supplier share (7) in words: units that would have to come from one host beyond
    its share."""
    share = config.rules.max_supplier_share
    hosts = model.sets.lines.groupby("item")["host"].nunique()
    rows = []
    for label, amount in members:
        only = hosts.get(label.item, 0) == 1
        rows.append({
            "kind": "conflict", "rule": "supplier share", "ally": label.ally,
            "item": label.item, "host": label.host, "amount": amount,
            "cell": "model: rules.max_supplier_share",
            "explanation": (f"no host country may supply more than {100 * share:g} % of "
                            f"{label.ally}'s {label.item}"
                            + (f", but only {label.host} makes it" if only else "")
                            + _gives(amount, f"units from {label.host} are over the share")),
        })
    return rows


def _supplier_share_rule(data: AllianceData, config: Config) -> Rule | None:
    """The supplier share is in force below 1; lifted, it is 1."""
    if config.rules.max_supplier_share >= 1:
        return None
    return Rule("supplier share", "rules.max_supplier_share", SUPPLIER_SHARE,
                lambda d, c: (d, c.with_settings({"rules.max_supplier_share": 1.0})))


def define_work_share_constraints(model: AllocationModel, enforce: bool) -> None:
    """8. Work share (ω_a = Allies.work_share_min > 0, when rules.work_share), per ally a:
    Σ_{ℓ: h(ℓ)=a} Σ_{b,t} c(ℓ) x(ℓ,b,t) − ω_a · Σ_t spend(a,t) ≥ 0, held in millions."""
    minimum = model.sets.allies.set_index("ally")["work_share_min"].fillna(0.0)
    minimum = minimum[minimum > 0]
    if not enforce or minimum.empty:
        return
    orders = model.sets.orders
    labels = pd.DataFrame({"ally": minimum.index, "work_share_min": minimum.to_numpy()})
    row_of = pd.Index(labels["ally"])
    made = orders["host"].isin(row_of).to_numpy()
    spend = spending_terms(model)
    spend = spend[spend["ally"].isin(row_of)]
    row = np.concatenate([row_of.get_indexer(orders["host"][made]),
                          row_of.get_indexer(spend["ally"])])
    column = np.concatenate([model.x[made], spend["column"].to_numpy()])
    coefficient = np.concatenate([orders["unit_cost"].to_numpy()[made],
                                  -spend["ally"].map(minimum).to_numpy() * spend["coefficient"]])
    if model.elastic:  # home-made value missing, in millions
        model.slack["work_short"] = model.linear.add_columns(
            "work_short", labels, lambda: [labels["ally"]])
        row = np.concatenate([row, np.arange(len(labels))])
        column = np.concatenate([column, model.slack["work_short"]])
        coefficient = np.concatenate([coefficient, np.full(len(labels), MILLION)])
        model.commitments.append(Commitment("work_short", MONEY, _work_short_in_words))
    model.linear.add_rows("work_share", labels, lambda: [labels["ally"]], row, column,
                          coefficient, GREATER, np.zeros(len(labels)), scale=1 / MILLION)
    model.limits.append(Limit(
        WORK_SHARE, "percentage point of the work share", 1.0, "percentage point", True,
        _read_work_share, lambda r, step: f"each {step} less of {r['ally']}'s work share",
        counted_in=PERCENT))


def _read_work_share(model: AllocationModel, values: np.ndarray) -> pd.DataFrame:
    """Work share (8): the value made by a's industry as a percentage of a's spending,
    against 100·ω_a (Allies!work_share_min). One percentage point less of ω_a moves the
    row's right-hand side by −spend / 100."""
    family, sets = model.linear.rows["work_share"], model.sets
    labels = _built_labels(family)
    made, negative = _row_parts(family, values)
    omega = labels["work_share_min"].to_numpy(float)
    spend = -negative / omega
    with np.errstate(invalid="ignore", divide="ignore"):
        used = np.where(spend > 0, 100 * made / spend, 0.0)
    rows = sets.allies.set_index("ally")["row"]
    return pd.DataFrame({
        "ally": labels["ally"], "limit": 100 * omega, "used": used,
        "tight": (spend > TIGHT) & _tight(made, omega * spend),
        "set_by": _cells("Allies", "work_share_min", labels["ally"].map(rows)),
        "position": family.start + np.arange(len(labels)), "rhs_per_unit": -spend / 100})


def _work_short_in_words(model: AllocationModel, members: list, data: AllianceData,
                         config: Config) -> list[dict]:
    """Work share (8) in words: home-made value that is missing, in money."""
    allies = data.allies.set_index("ally")
    hosting = set(model.sets.lines["host"])
    rows = []
    for label, amount in members:
        rows.append({
            "kind": "conflict", "rule": WORK_SHARE, "ally": label.ally,
            "amount": amount * MILLION,
            "cell": data.cell("Allies", "work_share_min", int(allies.at[label.ally, "row"])),
            "explanation": (f"{label.ally} must have {100 * label.work_share_min:g} % of its "
                            "spending made by its own industry"
                            + (", but it hosts no production line"
                               if label.ally not in hosting else "")
                            + _gives(amount * MILLION, "of home-made value is missing")),
        })
    return rows


def _work_share_rule(data: AllianceData, config: Config) -> Rule | None:
    """Work share is in force where rules.work_share is on and an ally asks for one;
    lifted, rules.work_share is off."""
    ruled = data.allies["work_share_min"].fillna(0) > 0
    if not (config.rules.work_share and ruled.any()):
        return None
    return Rule("work share", ", ".join(
        data.cell("Allies", "work_share_min", int(row))
        for row in data.allies.loc[ruled, "row"]), WORK_SHARE, lambda d, c: (
            d, c.with_settings({"rules.work_share": False})))


def define_capability_constraints(model: AllocationModel) -> None:
    """SPEC §7.1, for the CapabilityTargets rows (none: nothing is added). Columns
    c(a,i,p,t) ≥ 0, the units of item i in a's stock counted toward platform p at the end
    of t (``ModelSets.counts``), and 0 ≤ v(a,p,t) ≤ target(a,p,t), the row's shortfall;
    and rows
    9. Σ_p c(a,i,p,t) − s(a,i,t) ≤ 0, for every (a,i,t) some c counts: each unit once;
    10. Σ_i factor(p,i) · c(a,i,p,t) + v(a,p,t) ≥ target(a,p,t).
    Rules 6-8 do not apply to these rows. A target is a goal, as a Readiness target is,
    not a limit: its price is the Capabilities sheet's marginal_cost, and what holds it
    back is read from the limits of constraints 1, 2 and 5."""
    sets = model.sets
    capabilities, counts = sets.capabilities, sets.counts
    if capabilities.empty:
        return
    model.c = model.linear.add_columns(
        "c", counts, lambda: [counts["ally"], counts["item"], counts["platform"],
                              _period_codes(sets, counts["period"])])
    # v ≤ target: row 10 always holds at v = target, so the bound removes no plan worth
    # having, and it keeps W bounded (a bound row on W must be relaxable: solver.pulp).
    model.v = model.linear.add_columns(
        "v", capabilities, lambda: [capabilities["ally"], capabilities["platform"],
                                    _period_codes(sets, capabilities["period"])],
        upper=capabilities["target"].to_numpy(dtype=float))

    held = counts[["ally", "item", "period"]].drop_duplicates().reset_index(drop=True)
    row_of = pd.MultiIndex.from_frame(held)
    stock = stock_position(sets, held["ally"], held["item"], held["period"])
    model.linear.add_rows(
        "capability_count", held,
        lambda: [held["ally"], held["item"], _period_codes(sets, held["period"])],
        *_concat([
            (row_of.get_indexer(pd.MultiIndex.from_frame(counts[["ally", "item", "period"]])),
             model.c, np.ones(len(counts))),
            (np.arange(len(held)), model.s[stock], -np.ones(len(held))),
        ]), LESS, np.zeros(len(held)))

    here = np.arange(len(capabilities))
    model.linear.add_rows(
        "capability", capabilities,
        lambda: [capabilities["ally"], capabilities["platform"],
                 _period_codes(sets, capabilities["period"])],
        *_concat([(counts["target"].to_numpy(), model.c, counts["factor"].to_numpy()),
                  (here, model.v, np.ones(len(capabilities)))]),
        GREATER, capabilities["target"].to_numpy(dtype=float))


FAIR_SHARE_BAND = "fair-share band"


def define_alliance_constraints(model: AllocationModel) -> None:
    """SPEC §7.2, for the AllianceTargets rows (none: nothing is added). Columns
    0 ≤ U(i,t) ≤ target(i,t), the row's shortfall, and rows
    11. Σ_a s(a,i,t) + U(i,t) ≥ target(i,t);
    with the fair-share band on (δ = rules.fair_share_band < 1, ``ModelSets.bands``),
    columns 0 ≤ g(a,i,t) ≤ (1 − δ)·φ_a·target(i,t), what ally a lacks of its band, and
    rows
    12. s(a,i,t) + g(a,i,t) ≥ (1 − δ)·φ_a·target(i,t), for every row and ally.
    Both are goals in W, not limits: no stock above a share is ever forbidden."""
    sets = model.sets
    alliance, bands = sets.alliance, sets.bands
    if alliance.empty:
        return
    # U ≤ target and g ≤ its floor: the rows always hold at those values, so the bounds
    # remove no plan worth having, and they keep W bounded (as v ≤ target does).
    model.alliance_short = model.linear.add_columns(
        "U", alliance, lambda: [alliance["item"], _period_codes(sets, alliance["period"])],
        upper=alliance["target"].to_numpy(dtype=float))
    horizon = len(sets.periods)
    n_allies = len(sets.allies)
    item_index = pd.Index(sets.items["item"]).get_indexer(alliance["item"])
    # s(a,i,t) of every ally for each row: positions (a·|I| + i)·T + t.
    stock = ((np.arange(n_allies)[None, :] * len(sets.items) + item_index[:, None]) * horizon
             + alliance["period"].to_numpy()[:, None]).ravel()
    here = np.arange(len(alliance))
    model.linear.add_rows(
        "alliance_target", alliance,
        lambda: [alliance["item"], _period_codes(sets, alliance["period"])],
        *_concat([(np.repeat(here, n_allies), model.s[stock], np.ones(len(stock))),
                  (here, model.alliance_short, np.ones(len(alliance)))]),
        GREATER, alliance["target"].to_numpy(dtype=float))
    if bands.empty:
        return
    model.band_short = model.linear.add_columns(
        "g", bands, lambda: [bands["ally"], bands["item"], _period_codes(sets, bands["period"])],
        upper=bands["floor"].to_numpy(dtype=float))
    rows = np.arange(len(bands))
    model.linear.add_rows(
        "fair_share_band", bands,
        lambda: [bands["ally"], bands["item"], _period_codes(sets, bands["period"])],
        *_concat([(rows, model.s[stock_position(sets, bands["ally"], bands["item"],
                                                bands["period"])], np.ones(len(bands))),
                  (rows, model.band_short, np.ones(len(bands)))]),
        GREATER, bands["floor"].to_numpy(dtype=float))


def _fair_share_band_rule(data: AllianceData, config: Config) -> Rule | None:
    """The fair-share band is in force below 1 where there are alliance targets; lifted,
    rules.fair_share_band is 1. Its rows are goals in W, not limits, so no Binding limit
    shows it idle: it is always re-solved (``Rule.family`` None)."""
    if config.rules.fair_share_band >= 1 or data.alliance_targets.empty:
        return None
    return Rule(FAIR_SHARE_BAND, "rules.fair_share_band", None,
                lambda d, c: (d, c.with_settings({"rules.fair_share_band": 1.0})))


def define_objective_terms(model: AllocationModel) -> None:
    """cost = Σ (c(ℓ) + k) x + Σ fee · x_f + Σ k y + Σ cost_per_unit · e
    + Σ holding_cost(i) · s + Σ c(ℓ) · z, c(ℓ) of a framework order x_f being its
    unit_price and fee the member's fee_per_unit (SPEC §7.2; ``framework_fees``), and
    c(ℓ) · z what industry pays a component line (SPEC §7.3; ``component_cost``, in no
    ally's budget);
    weighted shortfall W = Σ priority(i) · u + Σ priority(a,p) · v (SPEC §7.1)
    + Σ priority(i,t) · U + Σ priority(i,t) · g (SPEC §7.2);
    shortfall penalty = Σ penalty(i) · u + Σ shortfall_penalty · priority · (v, U, g)."""
    sets = model.sets

    def terms(columns: np.ndarray, weights) -> Terms:
        return columns, np.asarray(weights, dtype=float)

    model.cost_terms = {
        "purchase_cost": terms(model.x, sets.orders["unit_cost"]),
        "framework_fees": terms(model.x, sets.orders["fee"]),
        "transport_cost": _sum_terms(terms(model.x, sets.orders["route_cost"]),
                                     terms(model.y, sets.transfers["route_cost"])),
        "expansion_cost": terms(model.e, sets.expansions["cost_per_unit"]),
        "holding_cost": terms(model.s, sets.stocks["holding_cost"]),
    }
    if not sets.pools.empty:  # a workbook without components reports as before
        model.cost_terms["component_cost"] = terms(model.z, sets.productions["unit_cost"])
    capabilities, alliance, bands = sets.capabilities, sets.alliance, sets.bands
    model.weighted_shortfall = _sum_terms(
        terms(model.u, sets.shortfalls["priority"]), terms(model.v, capabilities["priority"]),
        terms(model.alliance_short, alliance["priority"]),
        terms(model.band_short, bands["priority"]))
    model.shortfall_penalty = _sum_terms(
        terms(model.u, sets.shortfalls["penalty"]), terms(model.v, capabilities["penalty"]),
        terms(model.alliance_short, alliance["penalty"]),
        terms(model.band_short, bands["penalty"]))


@dataclass
class OpenShareRows:
    """The rows of the neutral tie-break (see ``open_share_rows``): one per (ally, item)
    with a gap, as terms (row, u column, coefficient), and the item of each row, whose
    column z_i the row also holds (coefficient −1)."""

    labels: pd.DataFrame  # ally, item, gap (Σ_t gap(a,i,t))
    items: pd.Index  # the items with a gap: z_0 … z_{k−1}
    row: np.ndarray
    column: np.ndarray
    coefficient: np.ndarray

    def shares(self, values: np.ndarray) -> np.ndarray:
        """Σ_t u(a,i,t) / G(a,i) of each row, for the given column values."""
        left = np.zeros(len(self.labels))
        np.add.at(left, self.row, self.coefficient * values[self.column])
        return left

    @property
    def item_of_row(self) -> np.ndarray:
        return self.items.get_indexer(self.labels["item"])


def open_share_rows(model: AllocationModel) -> OpenShareRows:
    """The neutral tie-break among optimal plans (an addition to SPEC §4): for every ally a
    and item i with a gap G(a,i) = Σ_t gap(a,i,t) > 0, the share of it left open is
    Σ_t u(a,i,t) / G(a,i), and z_i ≥ that share for every a:
    Σ_t u(a,i,t) / G(a,i) − z_i ≤ 0, 0 ≤ z_i ≤ 1. Minimising Σ_i z_i over the optimal
    plans makes, item by item, the largest share of any ally's gap left open as small as
    it can be. The rows are not part of the model the phases solve: the tie-break adds
    them to the solver once the optimum is known (``solve.break_ties``)."""
    shortfalls = model.sets.shortfalls
    gap = shortfalls.groupby(["ally", "item"], sort=True)["gap"].sum()
    labels = gap[gap > 0].reset_index()
    key = pd.MultiIndex.from_frame(labels[["ally", "item"]])
    row = key.get_indexer(pd.MultiIndex.from_frame(shortfalls[["ally", "item"]]))
    used = row >= 0
    row = row[used]
    return OpenShareRows(
        labels=labels, items=pd.Index(labels["item"].unique()), row=row,
        column=model.u[used], coefficient=1.0 / labels["gap"].to_numpy(float)[row])


def _concat(parts: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, columns, coefficients = zip(*parts, strict=True)
    return (np.concatenate(rows).astype(np.int64), np.concatenate(columns).astype(np.int64),
            np.concatenate(coefficients).astype(float))


def create_model(sets: ModelSets, config: Config, *, elastic: bool = False) -> AllocationModel:
    """Build SPEC §4 for the given index sets and configuration. ``elastic`` adds to each
    hard constraint (3, 6, 7, 8) a slack column that lets it give (``model.slack``): the
    elastic model is always feasible, and minimising the slacks shows which must give."""
    rules = config.rules
    model = AllocationModel(linear=LinearModel(), sets=sets, elastic=elastic)
    define_variables(model)
    define_capacity_constraints(model)
    define_expansion_limits(model)
    define_stock_balance(model)
    define_component_pools(model)
    define_readiness_constraints(model)
    define_min_gap_closure(model)
    define_funding(model)
    define_budget_constraints(model, rules.budget_carryover)
    define_supplier_share_constraints(model, rules.max_supplier_share)
    define_work_share_constraints(model, rules.work_share)
    define_capability_constraints(model)
    define_alliance_constraints(model)
    define_objective_terms(model)
    return model


# The rules in SPEC order, each declared beside its rows; a new rule adds its own here.
RULES = (_gap_closure_rule, _supplier_share_rule, _work_share_rule, _budget_rule,
         _fair_share_band_rule)


def active_rules(data: AllianceData, config: Config) -> list[Rule]:
    """The rules of SPEC §4 that constrain this run, each with how to lift it."""
    return [rule for declared in RULES if (rule := declared(data, config)) is not None]
