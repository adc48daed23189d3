"""The Advice sheet: what holds the plan back and what relaxing it would be worth, in the
input's words and units, with where each figure stops holding.

Sources, all of the solved plan:

- the binding limits (``optimizer.explain.binding``) valued with the final solve's duals
  (cost in lexicographic mode, cost + shortfall penalties in weighted mode) and, in
  lexicographic mode, with phase 1's duals (weighted shortfall closed);
- HiGHS's ranging of those solves: a dual d of a limit L holds at least while L moves
  up to the end of its range R (a ≤ row's right-hand side may rise to R, a column bound
  to R, with the same optimal basis); beyond R the value per unit may fall, never rise
  (the optimal value is convex in a right-hand side);
- the rule prices (``optimizer.explain.rule_prices``): what each active rule costs.

Each limit is quoted per natural step: a unit of capacity, a million of budget, a
percentage point of a share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.explain.binding import (
    BUDGET,
    CAPACITY,
    EXPANSION,
    GAP_CLOSURE,
    SUPPLIER_SHARE,
    WORK_SHARE,
)
from optimizer.model.build import MILLION, AllocationModel
from optimizer.model.solve import Sensitivity

COLUMNS = ("rank", "kind", "advice", "shortfall_closed", "cost_saved", "objective_improved",
           "per", "holds_until", "set_by")
NEGLIGIBLE = 1e-9
# The step each family is quoted in, and how many stated units of its row make a step.
STEPS = {
    CAPACITY: ("unit of capacity", 1.0),
    EXPANSION: ("unit of extra capacity", 1.0),
    BUDGET: ("million", MILLION),
    GAP_CLOSURE: ("unit of shortfall allowed", 1.0),
    SUPPLIER_SHARE: ("percentage point of share", 1.0),
    WORK_SHARE: ("percentage point", 1.0),
}
# A budget whose figures hold for less than a million more is quoted per unit of money.
SMALL_BUDGET_STEP = ("unit of money", 1.0)


def _number(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _step_phrase(limit, step: str) -> str:
    """"each more unit of capacity at F1 (POL) for 155HE in 2027Q3" and the like."""
    family = limit["family"]
    if family == CAPACITY:
        return (f"each more {step} at {limit['facility']} ({limit['host']}) for "
                f"{limit['item']} in {limit['period']}")
    if family == EXPANSION:
        return (f"each more {step} allowed at {limit['facility']} ({limit['host']}) for "
                f"{limit['item']}")
    if family == BUDGET:
        return f"each more {step} in {limit['ally']}'s {limit['period']} budget"
    if family == GAP_CLOSURE:
        return (f"each more {step} to {limit['ally']} for {limit['item']} in "
                f"{limit['period']} (minimum gap closure)")
    if family == SUPPLIER_SHARE:
        return f"each more {step} for {limit['host']} in {limit['ally']}'s {limit['item']}"
    return f"each {step} less of {limit['ally']}'s work share"


def _units(value: float, what: str) -> str:
    return f"{_number(value)} {what}{'' if value == 1 else 's'}"


def _range_end(limit, sensitivity: Sensitivity | None) -> float:
    """The value of the limit (as the Binding sheet states it) up to which its dual
    holds; NaN when unknown (no ranging, or a share, whose range is not a limit value)."""
    if sensitivity is None or sensitivity.row_up is None:
        return np.nan
    family = limit["family"]
    if family in (CAPACITY, EXPANSION, BUDGET):
        row = int(limit["model_row"])
        end = sensitivity.row_up[row]
        if not np.isfinite(end) or end >= 1e30:
            return np.inf
        # The Binding limit of a capacity adds the extra capacity online to the row's
        # right-hand side; the range moves the right-hand side.
        return float(limit["limit"] - limit["rhs"] + end)
    if family == GAP_CLOSURE:
        end = sensitivity.column_up[int(limit["model_column"])]
        return np.inf if not np.isfinite(end) or end >= 1e30 else float(end)
    return np.nan


def advise(model: AllocationModel, binding: pd.DataFrame,
           shortfall_binding: pd.DataFrame | None, final: Sensitivity | None,
           shortfall: Sensitivity | None, rule_prices: pd.DataFrame | None,
           mode: str) -> pd.DataFrame:
    """The Advice rows (columns ``COLUMNS``): rule prices first, then the limits, most
    valuable first (by weighted shortfall closed, then by cost saved, in lexicographic
    mode; by objective improved in weighted mode). ``shortfall_binding`` is ``binding``
    valued with phase 1's duals (lexicographic LP), row for row."""
    rows: list[dict] = []
    if rule_prices is not None:
        for price in rule_prices.itertuples(index=False):
            if price.status not in ("optimal", "feasible"):
                continue
            cost, gap = float(price.cost_of_rule), float(price.shortfall_of_rule)
            if abs(cost) <= NEGLIGIBLE * max(1.0, abs(price.total_cost_without)) and \
                    abs(gap) <= NEGLIGIBLE * max(1.0, abs(price.weighted_shortfall_without)):
                words = "changes neither cost nor shortfall"
            else:
                words = (f"costs {_number(cost)}" if cost >= 0 else f"saves {_number(-cost)}")
                if abs(gap) > NEGLIGIBLE:
                    words += (f" and leaves {_number(gap)} more units of weighted shortfall"
                              if gap > 0 else
                              f" and closes {_number(-gap)} more units of weighted shortfall")
            rows.append({"kind": "rule", "advice": f"the {price.rule} rule {words}",
                         "shortfall_closed": -gap, "cost_saved": -cost, "per": "the rule",
                         "set_by": price.set_by})
    upper = model.linear.row_bounds()[1] / model.linear.row_scales()
    rows_of = binding["model_row"].to_numpy(dtype=float)
    limits = binding.assign(rhs=np.where(np.isnan(rows_of), np.nan, upper[
        np.nan_to_num(rows_of).astype(np.int64)])).reset_index(drop=True)
    closed = (shortfall_binding["value_of_relaxing"].to_numpy(float)
              if shortfall_binding is not None and len(shortfall_binding) == len(limits)
              else np.zeros(len(limits)))
    ranked = []
    for index, limit in limits.iterrows():
        per_unit, per_unit_gain = float(limit["value_of_relaxing"]), float(closed[index])
        if mode == "weighted":
            if per_unit <= NEGLIGIBLE:
                continue
            end = _range_end(limit, final)
        else:
            if per_unit_gain <= NEGLIGIBLE and per_unit <= NEGLIGIBLE:
                continue
            end = _range_end(limit, shortfall if per_unit_gain > NEGLIGIBLE else final)
        step, factor = STEPS[limit["family"]]
        if limit["family"] == BUDGET and end - float(limit["limit"]) < factor:
            step, factor = SMALL_BUDGET_STEP
        value, gain = per_unit * factor, per_unit_gain * factor
        if mode == "weighted":
            effect = f"improve cost plus shortfall penalties by {_number(value)}"
            entry = {"objective_improved": value, "order": (-value,)}
        else:
            effect = (f"close {_units(gain, 'unit')} of weighted shortfall"
                      if gain > NEGLIGIBLE else f"save {_number(value)}")
            entry = {"shortfall_closed": gain, "cost_saved": value, "order": (-gain, -value)}
        if np.isnan(end):
            until = ""
        elif np.isinf(end):
            until = ", however far it is relaxed"
        else:
            until = f", at least until it reaches {_number(end)}"
        ranked.append({
            "kind": limit["family"],
            "advice": f"{_step_phrase(limit, step)} would {effect}{until}",
            "per": step, "holds_until": end if np.isfinite(end) else np.nan,
            "set_by": limit["set_by"], **entry,
        })
    ranked.sort(key=lambda entry: entry.pop("order"))
    table = pd.DataFrame(rows + ranked).reindex(columns=list(COLUMNS))
    table["rank"] = np.arange(1, len(table) + 1)
    return table
