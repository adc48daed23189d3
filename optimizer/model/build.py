"""The allocation model of SPEC §4 in PuLP: variables, one function per constraint family,
and the objective terms.

``create_model`` reads top to bottom like the SPEC: variables, then constraints 1-8, then
the objective terms. Every family is built from the index frames of ``ModelSets`` as
arrays of (row, variable, coefficient) terms and added through ``_add_rows``, the one
place where rows reach PuLP. Rows and variables carry readable names
(``capacity_F0001_155HE_2027Q1``, ``x_F0001_155HE_POL_2027Q1``), so an LP file written with
``--write-lp`` can be searched for any line, ally or period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp
from pulp import LpAffineExpression, LpProblem

from optimizer.model.sets import ModelSets

_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


@dataclass
class RowBlock:
    """The rows of one constraint family: its labels frame and its PuLP constraints,
    aligned by position (rows without any term are not built and have no constraint)."""

    labels: pd.DataFrame
    constraints: list = field(default_factory=list)
    built: np.ndarray | None = None  # positions in ``labels`` that have a constraint


@dataclass
class AllocationModel:
    """A built model: the PuLP problem, its variables aligned with the index frames of
    ``sets``, its constraint families and its objective terms."""

    problem: LpProblem
    sets: ModelSets
    x: np.ndarray
    e: np.ndarray
    y: np.ndarray
    s: np.ndarray
    u: np.ndarray
    carry: np.ndarray
    rows: dict[str, RowBlock] = field(default_factory=dict)
    cost_terms: dict[str, LpAffineExpression] = field(default_factory=dict)
    weighted_shortfall: LpAffineExpression | None = None
    shortfall_penalty: LpAffineExpression | None = None

    @property
    def cost(self) -> LpAffineExpression:
        return pulp.lpSum(self.cost_terms.values())

    @property
    def is_mip(self) -> bool:
        return bool(self.sets.orders["integer"].any() or self.sets.transfers["integer"].any())


def _names(prefix: str, *columns: pd.Series | np.ndarray) -> list[str]:
    """Readable, unique names for LP files: ``prefix_code_code_…`` with unsafe characters
    replaced; a position suffix is added if two labels would collide."""
    parts = [pd.Series(np.asarray(c)).astype(str) for c in columns]
    joined = parts[0] if parts else pd.Series([], dtype=str)
    for part in parts[1:]:
        joined = joined + "_" + part
    names = (prefix + "_" + joined.str.replace(_UNSAFE, "_", regex=True)).tolist()
    if len(set(names)) != len(names):
        names = [f"{name}_{i}" for i, name in enumerate(names)]
    return names


def _variables(problem: LpProblem, names: list[str], *,
               integer: np.ndarray | None = None) -> np.ndarray:
    """Non-negative variables, one per name, as an object array (positions = frame rows)."""
    variables = np.empty(len(names), dtype=object)
    if names:
        variables[:] = problem.add_variable_matrix("%s", names, lowBound=0)
    if integer is not None:
        for variable in variables[np.asarray(integer, dtype=bool)]:
            variable.cat = pulp.LpInteger
    return variables


def _add_rows(
    model: AllocationModel,
    family: str,
    labels: pd.DataFrame,
    names: list[str],
    row: np.ndarray,
    variables: np.ndarray,
    coefficients: np.ndarray,
    sense: str,
    rhs: np.ndarray,
) -> None:
    """Add one constraint family: term k puts ``coefficients[k] * variables[k]`` into
    row ``row[k]``; row r reads ``Σ terms  sense  rhs[r]``. Rows without terms are
    skipped (they hold trivially for the families of this model)."""
    row = np.asarray(row, dtype="int64")
    order = np.argsort(row, kind="stable")
    row, variables, coefficients = row[order], variables[order], np.asarray(coefficients,
                                                                            float)[order]
    bounds = np.searchsorted(row, np.arange(len(labels) + 1))
    block = RowBlock(labels=labels.reset_index(drop=True))
    built = []
    for r in range(len(labels)):
        start, stop = bounds[r], bounds[r + 1]
        if start == stop:
            continue
        expression = pulp.lpSum_vars_coefs(
            zip(variables[start:stop], coefficients[start:stop], strict=True)
        )
        bound = float(rhs[r])
        if sense == "<=":
            constraint = expression <= bound
        elif sense == ">=":
            constraint = expression >= bound
        else:
            constraint = expression == bound
        block.constraints.append(model.problem.addConstraint(constraint, names[r]))
        built.append(r)
    block.built = np.asarray(built, dtype="int64")
    model.rows[family] = block


def _stock_position(sets: ModelSets, ally: pd.Series, item: pd.Series,
                    period: pd.Series | np.ndarray) -> np.ndarray:
    """Position of s(a,i,t) in ``sets.stocks`` (ordered ally, item, period)."""
    ally_index = pd.Index(sets.allies["ally"]).get_indexer(ally)
    item_index = pd.Index(sets.items["item"]).get_indexer(item)
    horizon = len(sets.periods)
    return (ally_index * len(sets.items) + item_index) * horizon + np.asarray(period)


def define_variables(model: AllocationModel) -> None:
    """x, e, y, s, u ≥ 0 over the index sets; x and y integer for integer items."""
    sets, problem = model.sets, model.problem
    periods = np.asarray(sets.periods, dtype=object)
    orders = sets.orders
    model.x = _variables(
        problem,
        _names("x", orders["facility"], orders["item"], orders["ally"], periods[orders["period"]]),
        integer=orders["integer"].to_numpy(),
    )
    expansions = sets.expansions
    model.e = _variables(
        problem, _names("e", expansions["facility"], expansions["item"],
                        periods[expansions["period"]]),
    )
    transfers = sets.transfers
    model.y = _variables(
        problem,
        _names("y", transfers["giver"], transfers["ally"], transfers["item"],
               periods[transfers["period"].astype("int64")]),
        integer=transfers["integer"].to_numpy(dtype=bool),
    )
    stocks = sets.stocks
    model.s = _variables(
        problem, _names("s", stocks["ally"], stocks["item"], periods[stocks["period"]])
    )
    shortfalls = sets.shortfalls
    model.u = _variables(
        problem,
        _names("u", shortfalls["ally"], shortfalls["item"], periods[shortfalls["period"]]),
    )


def define_capacity_constraints(model: AllocationModel) -> None:
    """1. Capacity: Σ_a x(ℓ,a,t) − Σ_{τ + lead ≤ t} e(ℓ,τ) ≤ cap(ℓ,t)."""
    sets = model.sets
    horizon = len(sets.periods)
    orders, expansions = sets.orders, sets.expansions
    # Each e(ℓ,τ) enters every row (ℓ,t) with t ≥ online_from.
    reach = horizon - expansions["online_from"].to_numpy()
    e_index = np.repeat(np.arange(len(expansions)), reach)
    e_period = expansions["online_from"].to_numpy()[e_index] + (
        np.arange(len(e_index)) - np.repeat(np.cumsum(reach) - reach, reach)
    )
    row = np.concatenate([
        orders["line"].to_numpy() * horizon + orders["period"].to_numpy(),
        expansions["line"].to_numpy()[e_index] * horizon + e_period,
    ])
    variables = np.concatenate([model.x, model.e[e_index]])
    coefficients = np.concatenate([np.ones(len(orders)), -np.ones(len(e_index))])
    labels = sets.capacity
    periods = np.asarray(sets.periods, dtype=object)
    _add_rows(model, "capacity", labels,
              _names("capacity", labels["facility"], labels["item"], periods[labels["period"]]),
              row, variables, coefficients, "<=", labels["capacity"].to_numpy())


def define_expansion_limits(model: AllocationModel) -> None:
    """2. Expansion limit: Σ_t e(ℓ,t) ≤ max_extra(ℓ)."""
    expansions = model.sets.expansions
    labels = expansions.drop_duplicates("line")[["line", "facility", "item", "max_extra",
                                                 "expansion_row"]]
    position = pd.Index(labels["line"]).get_indexer(expansions["line"])
    _add_rows(model, "expansion_limit", labels,
              _names("expansion_limit", labels["facility"], labels["item"]),
              position, model.e, np.ones(len(expansions)), "<=",
              labels["max_extra"].to_numpy())


def define_stock_balance(model: AllocationModel) -> None:
    """3. Stock balance, for every ally a, item i and period t:
    s(a,i,t) − s(a,i,t−1) − Σ x arriving at a in t − Σ y arriving at a in t
    + Σ y leaving a in t = on_hand·[t = first] − consumption(a,i,t), with s ≥ 0."""
    sets = model.sets
    stocks, orders, transfers = sets.stocks, sets.orders, sets.transfers
    here = np.arange(len(stocks))
    has_previous = stocks["period"].to_numpy() > 0
    parts = [
        (here, model.s, np.ones(len(stocks))),
        (here[has_previous], model.s[here[has_previous] - 1], -np.ones(has_previous.sum())),
        (_stock_position(sets, orders["ally"], orders["item"], orders["delivery"]),
         model.x, -np.ones(len(orders))),
    ]
    if len(transfers):
        parts += [
            (_stock_position(sets, transfers["ally"], transfers["item"],
                             transfers["arrival"].astype("int64")),
             model.y, -np.ones(len(transfers))),
            (_stock_position(sets, transfers["giver"], transfers["item"],
                             transfers["period"].astype("int64")),
             model.y, np.ones(len(transfers))),
        ]
    on_hand = sets.on_hand.set_index(["ally", "item"])["on_hand"]
    opening = pd.MultiIndex.from_frame(stocks[["ally", "item"]]).map(on_hand).to_numpy(float)
    rhs = np.where(stocks["period"].to_numpy() == 0, opening, 0.0) - stocks[
        "consumption"].to_numpy()
    periods = np.asarray(sets.periods, dtype=object)
    _add_rows(model, "stock_balance", stocks,
              _names("stock_balance", stocks["ally"], stocks["item"], periods[stocks["period"]]),
              *_concat(parts), "=", rhs)


def define_readiness_constraints(model: AllocationModel) -> None:
    """4. Readiness, for every Requirements row: s(a,i,t) + u(a,i,t) ≥ target(a,i,t)."""
    sets = model.sets
    shortfalls = sets.shortfalls
    here = np.arange(len(shortfalls))
    stock = _stock_position(sets, shortfalls["ally"], shortfalls["item"], shortfalls["period"])
    periods = np.asarray(sets.periods, dtype=object)
    _add_rows(model, "readiness", shortfalls,
              _names("readiness", shortfalls["ally"], shortfalls["item"],
                     periods[shortfalls["period"]]),
              np.concatenate([here, here]), np.concatenate([model.s[stock], model.u]),
              np.ones(2 * len(shortfalls)), ">=", shortfalls["target"].to_numpy())


def define_min_gap_closure(model: AllocationModel) -> None:
    """6. Minimum gap closure, for every Requirements row: u(a,i,t) ≤ (1 − ρ_a)·gap(a,i,t),
    gap = max(0, target − P), P = on_hand − Σ_{τ≤t} consumption (see ``ModelSets``).
    Written as the upper bound of u; it binds at ρ = 0 too, when transfers are allowed."""
    for variable, bound in zip(model.u, model.sets.shortfalls["upper"], strict=True):
        variable.upBound = float(bound)


def spending_terms(model: AllocationModel) -> pd.DataFrame:
    """Every term of spend(a,t) (SPEC §4, constraint 5) as rows (ally, period, variable,
    coefficient): (c(ℓ) + k) x(ℓ,a,t) + Σ_b k(b,a,i) y(b,a,i,t) + cost_per_unit(ℓ) e(ℓ,t)
    for the lines whose expansion ``a`` pays."""
    sets = model.sets
    orders, transfers, expansions = sets.orders, sets.transfers, sets.expansions
    paid = expansions["payer"].notna().to_numpy()
    return pd.DataFrame({
        "ally": np.concatenate([orders["ally"], transfers["ally"],
                                expansions["payer"][paid]]),
        "period": np.concatenate([orders["period"], transfers["period"],
                                  expansions["period"][paid]]).astype("int64"),
        "variable": np.concatenate([model.x, model.y, model.e[paid]]),
        "coefficient": np.concatenate([
            orders["unit_cost"] + orders["route_cost"], transfers["route_cost"],
            expansions["cost_per_unit"][paid]]).astype(float),
    })


def define_budget_constraints(model: AllocationModel, carryover: bool) -> None:
    """5. Budget, for every ally with Budgets rows and every period:
    spend(a,t) ≤ budget(a,t); with budget_carryover, Σ_{τ≤t} spend(a,τ) ≤ Σ_{τ≤t} budget(a,τ),
    written with carry-over variables carry(a,t) ≥ 0 (unspent money moved to t+1):
    spend(a,t) + carry(a,t) − carry(a,t−1) ≤ budget(a,t)."""
    sets = model.sets
    budgets = sets.budgets
    if budgets.empty:
        return
    horizon = len(sets.periods)
    terms = spending_terms(model)
    ally_index = pd.Index(budgets["ally"].unique())
    position = ally_index.get_indexer(terms["ally"])
    terms = terms[position >= 0]
    row = ally_index.get_indexer(terms["ally"]) * horizon + terms["period"].to_numpy()
    parts = [(row, terms["variable"].to_numpy(), terms["coefficient"].to_numpy())]
    periods = np.asarray(sets.periods, dtype=object)
    if carryover:
        model.carry = _variables(
            model.problem,
            _names("carry", budgets["ally"], periods[budgets["period"]]),
        )
        here = np.arange(len(budgets))
        later = budgets["period"].to_numpy() > 0
        parts += [(here, model.carry, np.ones(len(budgets))),
                  (here[later], model.carry[here[later] - 1], -np.ones(later.sum()))]
    _add_rows(model, "budget", budgets,
              _names("budget", budgets["ally"], periods[budgets["period"]]),
              *_concat(parts), "<=", budgets["budget"].to_numpy())


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
    coefficients = (terms["line_host"] == terms["host"]).to_numpy(float) - share
    _add_rows(model, "supplier_share", labels,
              _names("supplier_share", labels["ally"], labels["item"], labels["host"]),
              terms["row"].to_numpy(), model.x[terms["order"].to_numpy()], coefficients,
              "<=", np.zeros(len(labels)))


def define_work_share_constraints(model: AllocationModel, enforce: bool) -> None:
    """8. Work share (ω_a = Allies.work_share_min > 0, when rules.work_share), per ally a:
    Σ_{ℓ: h(ℓ)=a} Σ_{b,t} c(ℓ) x(ℓ,b,t) − ω_a · Σ_t spend(a,t) ≥ 0."""
    allies = model.sets.allies
    minimum = allies.set_index("ally")["work_share_min"].fillna(0.0)
    minimum = minimum[minimum > 0]
    if not enforce or minimum.empty:
        return
    orders = model.sets.orders
    labels = pd.DataFrame({"ally": minimum.index, "work_share_min": minimum.to_numpy()})
    row_of = pd.Index(labels["ally"])
    made = orders["host"].isin(row_of).to_numpy()
    spend = spending_terms(model)
    spend = spend[spend["ally"].isin(row_of)]
    terms = pd.DataFrame({
        "row": np.concatenate([row_of.get_indexer(orders["host"][made]),
                               row_of.get_indexer(spend["ally"])]),
        "variable": np.concatenate([model.x[made], spend["variable"].to_numpy()]),
        "coefficient": np.concatenate([
            orders["unit_cost"].to_numpy()[made],
            -spend["ally"].map(minimum).to_numpy() * spend["coefficient"].to_numpy()]),
    })
    # An ally buying from its own industry appears on both sides: one term per variable.
    terms["key"] = [id(v) for v in terms["variable"]]
    merged = terms.groupby(["row", "key"], sort=False).agg(
        variable=("variable", "first"), coefficient=("coefficient", "sum")).reset_index()
    _add_rows(model, "work_share", labels, _names("work_share", labels["ally"]),
              merged["row"].to_numpy(), merged["variable"].to_numpy(),
              merged["coefficient"].to_numpy(), ">=", np.zeros(len(labels)))


def define_objective_terms(model: AllocationModel) -> None:
    """cost = Σ (c(ℓ) + k) x + Σ k y + Σ cost_per_unit · e + Σ holding_cost(i) · s;
    weighted shortfall W = Σ priority(i) · u; shortfall penalty = Σ penalty(i) · u."""
    sets = model.sets
    orders = sets.orders

    def weighted(variables: np.ndarray, weights) -> LpAffineExpression:
        weights = np.asarray(weights, dtype=float)
        keep = weights != 0
        return pulp.lpSum_vars_coefs(zip(variables[keep], weights[keep], strict=True))

    model.cost_terms = {
        "purchase_cost": weighted(model.x, orders["unit_cost"]),
        "transport_cost": pulp.lpSum([
            weighted(model.x, orders["route_cost"]),
            weighted(model.y, sets.transfers["route_cost"]),
        ]),
        "expansion_cost": weighted(model.e, sets.expansions["cost_per_unit"]),
        "holding_cost": weighted(model.s, sets.stocks["holding_cost"]),
    }
    model.weighted_shortfall = weighted(model.u, sets.shortfalls["priority"])
    model.shortfall_penalty = weighted(model.u, sets.shortfalls["penalty"])


def _concat(parts: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, variables, coefficients = zip(*parts, strict=True)
    return (np.concatenate(rows).astype("int64"), np.concatenate(variables),
            np.concatenate(coefficients).astype(float))


def create_model(sets: ModelSets, config: dict) -> AllocationModel:
    """Build SPEC §4 for the given index sets and configuration (objective set later)."""
    rules = config["rules"]
    model = AllocationModel(
        problem=LpProblem("stockpile_allocation", pulp.LpMinimize), sets=sets,
        x=np.empty(0, object), e=np.empty(0, object), y=np.empty(0, object),
        s=np.empty(0, object), u=np.empty(0, object), carry=np.empty(0, object),
    )
    define_variables(model)
    define_capacity_constraints(model)
    define_expansion_limits(model)
    define_stock_balance(model)
    define_readiness_constraints(model)
    define_min_gap_closure(model)
    define_budget_constraints(model, bool(rules["budget_carryover"]))
    define_supplier_share_constraints(model, float(rules["max_supplier_share"]))
    define_work_share_constraints(model, bool(rules["work_share"]))
    define_objective_terms(model)
    return model
