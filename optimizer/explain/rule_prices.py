"""The price of each rule: what the plan would cost, and who would gain or lose, without it.

For every rule of SPEC §4 that is active in a run, the same input is solved again with
only that rule lifted, in the same objective mode and through the same path as the plan
(``optimizer.pipeline.solve_data``: the same solver options and output, verified by the
independent verifier against the input without the rule), from the plan as a start:

- minimum gap closure (rule 6 with ρ > 0): every ρ_a set to 0 (rule 6 at ρ = 0 stays:
  no ally ends a period worse off than with no orders);
- supplier share (rule 7, σ < 1): σ = 1;
- work share (rule 8, some ω_a > 0): ``rules.work_share = false``;
- budgets without carry-over (rule 5 per period): ``rules.budget_carryover = true``;
- the fair-share band (SPEC §7.2, δ < 1): ``rules.fair_share_band = 1``.

Lifting a rule only relaxes the model, so the plan stays feasible: it is the first
incumbent of a whole-unit re-solve, and a linear program's re-solve starts from its
support (``optimizer.model.restrict``) where the structure allows. In a linear program
a rule none of whose limits binds in the plan needs no re-solve: near the plan the
model with and without the rule are the same, so the plan is a local and therefore (the
model being convex) a global optimum without it, in both phases of the lexicographic
mode; its price is 0 exactly.

The price is the difference (with the rule − without it) in total cost and in weighted
shortfall, positive where the rule costs money or leaves shortfall, with differences
within the solver's tolerance (``optimizer.tolerance``) shown as 0 — except, in
lexicographic mode, a shortfall difference beyond round-off that comes with a cost
difference: the cost is that of the least shortfall, so it paid for that difference,
however small (the generated S alliance: 1.5 units of 197 M, at 692,173).

The table is long: each rule's row (``ally`` blank) is followed by one row per ally
whose weighted shortfall or cost the rule changes, with the same figures for that ally
alone, so that the allies' rows add up to the rule's row (but for expansions funded
outside the budgets, which belong to no ally). An ally's cost is what the plan spends on
its behalf: its orders and their transport, the transport of transfers it receives, the
expansions it pays for and the holding cost of its stock. Each ally's changes are
rounded as the rule's are (noise next to the plan's totals is 0); where the rule's
totals are equal there are no ally rows (the two plans are equal plans that share the
gaps differently, not the rule). The re-solves keep the plan's tie-break, so that two
plans chosen alike are compared, and share ``explain.time_limit`` with the measured
limits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.explain.binding import limit_records
from optimizer.explain.measured import resolve_in_time
from optimizer.model.build import AllocationModel, active_rules
from optimizer.model.plan import Plan
from optimizer.model.restrict import BasePlan
from optimizer.model.status import OPTIMAL
from optimizer.tolerance import round_off, snapped
from optimizer.words import figure
from optimizer.workbook.data import AllianceData

COLUMNS = ("rule", "ally", "set_by", "status", "price", "total_cost_without",
           "cost_of_rule", "weighted_shortfall_without", "shortfall_of_rule",
           "without_the_rule")
BETTER_OFF, WORSE_OFF = "better off", "worse off"  # an ally without the rule
MORE_TIME = "raise explain.time_limit (or solver.time_limit) to price it"
UNPROVEN_PLAN = ("not priced: the plan itself is not proven optimal, so its difference "
                 "from a plan without the rule would mix the rule with the search left "
                 "undone; raise solver.time_limit")
NOT_BINDING = ("makes no difference: none of its limits binds in the plan, so lifting it "
               "cannot change the optimum of a linear program (no re-solve needed)")


def price_words(rule: str, cost: float, gap: float, currency: str = "") -> str:
    """What a rule does to the plan, from its price (with − without the rule; 0 where
    the difference is within the solver's tolerance), its money in ``currency``."""
    if cost == 0 and gap == 0:
        return f"the {rule} rule makes no difference within the solver's tolerance"
    spent = (f"costs {figure(cost, currency)}" if cost > 0
             else f"saves {figure(-cost, currency)}" if cost < 0 else "costs nothing")
    if gap == 0:
        return f"the {rule} rule {spent} at the same weighted shortfall"
    joint = " and" if (cost >= 0) == (gap > 0) else " but"
    units = "unit" if abs(gap) == 1 else "units"
    shortfall = (f"leaves {figure(gap)} more {units} of weighted shortfall" if gap > 0
                 else f"closes {figure(-gap)} more {units} of weighted shortfall")
    return f"the {rule} rule {spent}{joint} {shortfall}"


def rule_rows(prices: pd.DataFrame) -> pd.DataFrame:
    """The rows of the rules themselves (``ally`` blank), without the allies' rows."""
    return prices[prices["ally"].isna()]


def _by_ally(plan: Plan, holding_cost: pd.Series) -> pd.DataFrame:
    """Weighted shortfall and cost of every ally in a plan: Σ priority · shortfall over
    its targets, readiness and capability (SPEC §7.1) alike, and what it lacks of its
    fair-share bands (SPEC §7.2; an alliance target's own shortfall is no ally's); what it spends
    (``Plan.spending``: its orders with their transport, the transport of the transfers it
    receives, the expansions it pays for) and Σ holding_cost(item) · stock of its stock.
    ``holding_cost`` is per item code."""
    readiness = plan.readiness
    shortfall = (readiness["shortfall"] * readiness["priority"]).groupby(
        readiness["ally"]).sum()
    capabilities = plan.capabilities
    if not capabilities.empty:
        shortfall = pd.concat([shortfall, (
            capabilities["shortfall"].astype(float) * capabilities["priority"].astype(float)
        ).groupby(capabilities["ally"]).sum()]).groupby(level=0).sum()
    shares = plan.fair_shares
    if not shares.empty:  # SPEC §7.2: an ally's band; the alliance's own U is no ally's
        shortfall = pd.concat([shortfall, (
            shares["short_of_band"].astype(float) * shares["priority"].astype(float)
        ).groupby(shares["ally"]).sum()]).groupby(level=0).sum()
    stocks = plan.stocks
    cost = pd.concat([
        plan.spending(),
        (stocks["stock"] * stocks["item"].map(holding_cost)).groupby(stocks["ally"]).sum(),
    ]).groupby(level=0).sum()
    return pd.DataFrame({"shortfall": shortfall, "cost": cost}).fillna(0.0)


def _ally_rows(rule: str, status: str, plan: Plan, without: Plan, data: AllianceData,
               shortfall_change: Callable[[pd.Series], np.ndarray],
               mip_gap: float) -> list[dict]:
    """One row per ally whose weighted shortfall or cost differs without the rule: its
    figures with − without, the shortfall's rounded by ``shortfall_change`` as the
    rule's is and the cost's within the solver's tolerance of the plan's total cost.
    Without the rule an ally is better off when its weighted shortfall falls, or stays
    while its cost falls; worse off the other way round."""
    holding_cost = data.items.set_index("item")["holding_cost"].fillna(0.0)
    allies = data.allies["ally"]
    with_rule = _by_ally(plan, holding_cost).reindex(allies, fill_value=0.0)
    after = _by_ally(without, holding_cost).reindex(allies, fill_value=0.0)
    gap = shortfall_change(with_rule["shortfall"] - after["shortfall"])
    cost = snapped(with_rule["cost"] - after["cost"], plan.total_cost, mip_gap)
    better = (gap > 0) | ((gap == 0) & (cost > 0))
    rows = pd.DataFrame({
        "rule": rule, "ally": allies.to_numpy(), "status": status,
        # + 0.0: a solver's −0 is written as 0.
        "total_cost_without": after["cost"].to_numpy() + 0.0, "cost_of_rule": cost,
        "weighted_shortfall_without": after["shortfall"].to_numpy() + 0.0,
        "shortfall_of_rule": gap,
        "without_the_rule": np.where(better, BETTER_OFF, WORSE_OFF)})
    return rows[(gap != 0) | (cost != 0)].to_dict("records")


def rule_prices(model: AllocationModel, values: np.ndarray, data: AllianceData,
                config: Config, plan: Plan,
                resolve: Callable[[AllianceData, Config, BasePlan], object],
                deadline: float, plan_status: str = OPTIMAL,
                progress: Callable[[str], None] = lambda stage: None) -> pd.DataFrame:
    """One row per active rule (columns ``COLUMNS``, ``ally`` blank): the plan's numbers
    without it, each followed by a row per ally it moves (``_ally_rows``).
    ``model`` and ``values`` are the plan's, whose status is ``plan_status``;
    ``resolve(data, config, start)`` solves, extracts and verifies an input as the
    plan's run does (``solve_data``), starting from the plan ``start``; the re-solves
    end by ``deadline`` (``time.perf_counter``). Only two proven optima are compared:
    a plan or a re-solve stopped by a limit gives no figures, and says why."""
    if plan_status != OPTIMAL:
        return pd.DataFrame([
            {"rule": rule.name, "set_by": rule.set_by, "status": "not solved",
             "price": UNPROVEN_PLAN} for rule in active_rules(data, config)
        ]).reindex(columns=list(COLUMNS))
    rows = []
    mip_gap = config.solver.mip_gap if model.is_mip else 0.0
    lexicographic = config.objective.mode == "lexicographic"
    currency = config.report.currency
    binding = set(limit_records(model, values, data)["family"])
    start = BasePlan.of(model.linear, values)
    for rule in active_rules(data, config):
        row = {"rule": rule.name, "set_by": rule.set_by}
        if not model.is_mip and rule.family is not None and rule.family not in binding:
            rows.append({**row, "status": OPTIMAL, "price": f"the {rule.name} rule "
                         + NOT_BINDING, "total_cost_without": plan.total_cost,
                         "cost_of_rule": 0.0,
                         "weighted_shortfall_without": plan.weighted_shortfall,
                         "shortfall_of_rule": 0.0})
            continue
        lifted_data, lifted_config = rule.lift(data, config)
        moved = resolve_in_time(resolve, lifted_data, lifted_config, start, deadline,
                                what="the solve without the rule", more_time=MORE_TIME,
                                progress=progress,
                                stage=f"pricing the {rule.name} rule (a solve without it)")
        row["status"] = moved.status
        if moved.plan is None:
            rows.append({**row, "price": f"not priced: {moved.why}"})
            continue
        without = moved.plan
        cost = float(snapped(plan.total_cost - without.total_cost, plan.total_cost, mip_gap))
        if lexicographic and cost != 0 and not model.is_mip:
            # The cost is that of the least shortfall: a cost that changed paid for the
            # shortfall that changed with it, however small (beyond round-off); it is
            # not "the same".
            def shortfall_change(change):
                return round_off(change, plan.weighted_shortfall)
        else:
            def shortfall_change(change):
                return snapped(change, plan.weighted_shortfall, mip_gap)
        gap = float(shortfall_change(plan.weighted_shortfall - without.weighted_shortfall))
        rows.append({**row, "price": price_words(rule.name, cost, gap, currency),
                     "total_cost_without": without.total_cost, "cost_of_rule": cost,
                     "weighted_shortfall_without": without.weighted_shortfall,
                     "shortfall_of_rule": gap})
        if cost or gap:  # equal totals: a per-ally difference is another equal plan's
            rows += _ally_rows(rule.name, moved.status, plan, without, data,
                               shortfall_change, mip_gap)
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS))

