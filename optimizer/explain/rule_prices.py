"""The price of each rule: what the plan would cost, and who would gain or lose, without it.

For every rule of SPEC §4 that is active in a run, the same input is solved again with
only that rule lifted, in the same objective mode and with the same solver settings:

- minimum gap closure (rule 6 with ρ > 0): every ρ_a set to 0 (rule 6 at ρ = 0 stays:
  no ally ends a period worse off than with no orders);
- supplier share (rule 7, σ < 1): σ = 1;
- work share (rule 8, some ω_a > 0): ``rules.work_share = false``;
- budgets without carry-over (rule 5 per period): ``rules.budget_carryover = true``.

The price is the difference (with the rule − without it) in total cost and in weighted
shortfall; per ally, the change in its weighted shortfall and its spending says who
gains and who loses from lifting the rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.data import AllianceData
from optimizer.model.build import create_model
from optimizer.model.sets import build_sets
from optimizer.model.solution import Plan, extract_plan
from optimizer.model.solve import solve_model
from optimizer.model.status import FEASIBLE, OPTIMAL

COLUMNS = ("rule", "set_by", "status", "total_cost_without", "cost_of_rule",
           "weighted_shortfall_without", "shortfall_of_rule", "better_off_without",
           "worse_off_without")
CHANGE = 1e-6  # relative: smaller per-ally changes are not reported


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    set_by: str
    lift: Callable[[AllianceData, dict], tuple[AllianceData, dict]]


def _with(config: dict, key: str, value: object) -> dict:
    section, name = key.split(".")
    return {**config, section: {**config[section], name: value}}


def active_rules(data: AllianceData, config: dict) -> list[Rule]:
    """The rules of SPEC §4 that constrain this run, each with how to lift it."""
    rules = config["rules"]
    found: list[Rule] = []
    own = data.allies["min_gap_closure"].fillna(0) > 0
    if float(rules["min_gap_closure"]) > 0 or own.any():
        set_by = ", ".join(
            (["rules.min_gap_closure"] if float(rules["min_gap_closure"]) > 0 else [])
            + [data.cell("Allies", "min_gap_closure", int(row))
               for row in data.allies.loc[own, "row"]])
        found.append(Rule("minimum gap closure", set_by, lambda d, c: (
            dataclasses.replace(d, allies=d.allies.assign(min_gap_closure=np.nan)),
            _with(c, "rules.min_gap_closure", 0.0))))
    if float(rules["max_supplier_share"]) < 1:
        found.append(Rule("supplier share", "rules.max_supplier_share", lambda d, c: (
            d, _with(c, "rules.max_supplier_share", 1.0))))
    ruled = data.allies["work_share_min"].fillna(0) > 0
    if rules["work_share"] and ruled.any():
        found.append(Rule("work share", ", ".join(
            data.cell("Allies", "work_share_min", int(row))
            for row in data.allies.loc[ruled, "row"]), lambda d, c: (
                d, _with(c, "rules.work_share", False))))
    if not rules["budget_carryover"] and not data.budgets.empty:
        found.append(Rule("budgets without carry-over", "rules.budget_carryover",
                          lambda d, c: (d, _with(c, "rules.budget_carryover", True))))
    return found


def _by_ally(plan: Plan) -> pd.DataFrame:
    """Weighted shortfall and spending of every ally in a plan."""
    readiness = plan.readiness
    shortfall = (readiness["shortfall"] * readiness["priority"]).groupby(
        readiness["ally"]).sum()
    spending = pd.concat([
        plan.orders.groupby("ally")["total_cost"].sum(),
        plan.expansions.groupby("payer")["cost"].sum(),
        (plan.transfers["quantity"] * plan.transfers["transport_cost"]).groupby(
            plan.transfers["to"]).sum(),
    ]).groupby(level=0).sum()
    return pd.DataFrame({"shortfall": shortfall, "spending": spending}).fillna(0.0)


def _describe(changes: pd.DataFrame) -> str:
    parts = []
    for ally, row in changes.iterrows():
        words = []
        if row["shortfall"]:
            words.append(f"weighted shortfall {row['shortfall']:+,.6g}")
        if row["spending"]:
            words.append(f"spending {row['spending']:+,.0f}")
        parts.append(f"{ally} ({', '.join(words)})")
    return "; ".join(parts)


def rule_prices(data: AllianceData, config: dict, plan: Plan) -> pd.DataFrame:
    """One row per active rule (columns ``COLUMNS``): the plan's numbers without it."""
    rows = []
    base = _by_ally(plan)
    for rule in active_rules(data, config):
        lifted_data, lifted_config = rule.lift(data, config)
        # The same tie-break as the plan's, so that who gains and who loses compares
        # two plans chosen alike; no ranges, which only the plan's own Advice uses.
        lifted_config = _with(lifted_config, "explain.ranging", False)
        model = create_model(build_sets(lifted_data, lifted_config), lifted_config)
        outcome = solve_model(model, lifted_config)
        row = {"rule": rule.name, "set_by": rule.set_by, "status": outcome.status}
        if outcome.status in (OPTIMAL, FEASIBLE):
            without = extract_plan(model, outcome)
            after = _by_ally(without)
            allies = base.index.union(after.index)
            change = (after.reindex(allies, fill_value=0.0)
                      - base.reindex(allies, fill_value=0.0))
            scale = np.maximum(1.0, change.abs().max())
            change = change.where(change.abs() > CHANGE * scale, 0.0)
            # Lifting the rule helps an ally whose shortfall falls, or whose shortfall
            # stays while its spending falls; it hurts the opposite way.
            gaining = (change["shortfall"] < 0) | ((change["shortfall"] == 0)
                                                   & (change["spending"] < 0))
            losing = (change["shortfall"] > 0) | ((change["shortfall"] == 0)
                                                  & (change["spending"] > 0))
            row.update({
                "total_cost_without": without.total_cost,
                "cost_of_rule": plan.total_cost - without.total_cost,
                "weighted_shortfall_without": without.weighted_shortfall,
                "shortfall_of_rule": plan.weighted_shortfall - without.weighted_shortfall,
                "better_off_without": _describe(change[gaining]),
                "worse_off_without": _describe(change[losing]),
            })
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS))
