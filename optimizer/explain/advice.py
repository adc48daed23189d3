"""The Advice sheet: what holds the plan back and what relaxing it would be worth, in the
input's words and units, with where each figure stops holding.

Sources, all of the solved plan:

- the rule prices (``optimizer.explain.rule_prices``): what lifting each active rule
  would change, measured by a re-solve;
- the binding limits (``optimizer.explain.binding``), each with its figures per step of
  relaxing (one sign convention: positive is better): weighted shortfall closed and
  cost saved (lexicographic mode: the cost at the new least shortfall, which is a cost
  where the step lets the plan buy more), or cost plus shortfall penalties saved and
  its split (weighted mode). For a whole-unit model the figures are measured by
  re-solving with the limit moved (``optimizer.explain.measured``), and said so;
- HiGHS's ranging of the linear program: a dual d of a limit L holds at least while L
  rises to the end of its range R (a ≤ row's right-hand side, or a column bound, with
  the same optimal basis); beyond R the value per step may fall, never rise (the optimal
  value is convex in a right-hand side). In lexicographic mode both phases' ranges
  count.

Each limit is quoted per natural step (a unit of capacity, a million of budget, a
percentage point of a share); a budget whose figures hold for less than a million more
is quoted per unit of money. Money is named in the run's currency, and the value up to
which a figure holds in the limit's unit (``binding.limit_unit``: "1,450 missiles").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.explain.binding import DUAL, limit_unit, ranking_figures
from optimizer.explain.rule_prices import rule_rows
from optimizer.model.build import MONEY, PERCENT, AllocationModel
from optimizer.model.status import has_plan
from optimizer.solver.phases import Sensitivity
from optimizer.words import figure

COLUMNS = ("rank", "kind", "advice", "shortfall_closed", "cost_saved", "objective_improved",
           "per", "holds_until", "how", "set_by")
# Beside COLUMNS: the unit of holds_until, in words ("missiles", "EUR", "%").
UNIT_COLUMN = "holds_until_unit"
SMALL_BUDGET_STEP = "unit of money"


def _units(value: float, what: str) -> str:
    return figure(value, what if value == 1 else f"{what}s")


def _range_end(limit, upper: np.ndarray, *found: Sensitivity | None) -> float:
    """The value of the limit (as the Binding sheet states it) up to which its figures
    hold: the nearest end of the ranges of the given solves; NaN when unknown (no
    ranging, or a share, whose range is not a limit value)."""
    ranges = [f for f in found if f is not None]
    if limit["how"] != DUAL or not ranges or any(f.row_up is None for f in ranges):
        return np.nan
    position = int(limit["position"])
    if limit["counted_in"] == PERCENT:
        return np.nan
    if limit["on_rows"]:
        ends = [f.row_up[position] for f in ranges]
        # The Binding limit of a capacity adds the extra capacity online to the row's
        # right-hand side; the range moves the right-hand side.
        shift = float(limit["limit"]) - upper[position]
    else:  # a column's upper bound (the shortfall a minimum gap closure allows)
        ends, shift = [f.column_up[position] for f in ranges], 0.0
    end = min(ends)
    return np.inf if not np.isfinite(end) or end >= 1e30 else float(end + shift)


def _lexicographic_effect(closed: float, saved: float, currency: str = "") -> str:
    if closed > 0:
        effect = f"close {_units(closed, 'unit')} of weighted shortfall"
        if saved < 0:
            return f"{effect}, at a cost of {figure(-saved, currency)}"
        return f"{effect} and save {figure(saved, currency)}" if saved > 0 else effect
    return f"save {figure(saved, currency)} at the same weighted shortfall"


def _weighted_effect(improved: float, closed: float, saved: float,
                     currency: str = "") -> str:
    effect = f"improve cost plus shortfall penalties by {figure(improved, currency)}"
    if np.isnan(closed) or np.isnan(saved):
        return effect
    if closed > 0:
        spent = (f"costing {figure(-saved, currency)}" if saved < 0
                 else f"saving {figure(saved, currency)}" if saved > 0 else "at no cost")
        return f"{effect} (it closes {_units(closed, 'unit')} of weighted shortfall, {spent})"
    return f"{effect} (all of it in cost)"


def _rule_rows(rule_prices: pd.DataFrame | None) -> list[dict]:
    """Lifting a rule is relaxing it: shortfall closed = with − without, cost saved =
    with − without (the rule's price, noise already shown as 0), in the rule prices'
    words; one row per rule, not per ally it moves."""
    if rule_prices is None:
        return []
    rows = []
    for price in rule_rows(rule_prices).to_dict("records"):
        if not has_plan(price["status"]) or pd.isna(price["cost_of_rule"]):
            continue
        cost, gap = float(price["cost_of_rule"]), float(price["shortfall_of_rule"])
        rows.append({"kind": "rule", "advice": price["price"], "shortfall_closed": gap,
                     "cost_saved": cost, "per": "the rule", "how": "measured by a re-solve "
                     "without the rule", "set_by": price["set_by"]})
    return rows


def _qualification_rows(standardisation: pd.DataFrame | None) -> list[dict]:
    """Qualifying a candidate pair relaxes what a platform may fire: shortfall closed and
    cost saved (−cost more) as the Standardisation sheet measured them, in its words;
    only the pairs that would improve the plan."""
    if standardisation is None:
        return []
    rows = []
    for pair in standardisation.to_dict("records"):
        closed, more = pair["shortfall_closed"], pair["cost_more"]
        if pd.isna(closed) or not (closed > 0 or (closed == 0 and more < 0)):
            continue
        rows.append({"kind": "qualification", "advice": pair["value"],
                     "shortfall_closed": float(closed), "cost_saved": -float(more),
                     "per": "the pair qualified",
                     "how": "measured by a re-solve with the pair qualified",
                     "set_by": pair["cell"]})
    return rows


def advise(model: AllocationModel, binding: pd.DataFrame, final: Sensitivity | None,
           shortfall: Sensitivity | None, rule_prices: pd.DataFrame | None,
           mode: str, *, units: dict[str, str] | None = None,
           currency: str = "", standardisation: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Advice rows (columns ``COLUMNS``, then ``UNIT_COLUMN``): rule prices first,
    then the candidate qualifications that would improve the plan (``standardisation``,
    as ranked there), then the limits that would improve the plan, most valuable first (by weighted
    shortfall closed, then by cost saved, in lexicographic mode; by cost plus penalties
    saved in weighted mode). ``binding`` carries each limit's figures per step; ``final``
    and ``shortfall`` the ranges of the final solve and of phase 1; ``units`` (item ->
    unit) and ``currency`` name what the figures count."""
    units = units or {}
    upper = model.linear.row_bounds()[1] / model.linear.row_scales()
    ranked = []
    for limit in binding.to_dict("records"):
        closed, saved = float(limit["shortfall_closed"]), float(limit["cost_saved"])
        improved = float(limit["objective_improved"])
        if mode == "weighted":
            if not improved > 0:
                continue
            end = _range_end(limit, upper, final)
        else:
            if not (closed > 0 or saved > 0):
                continue
            end = _range_end(limit, upper, final, shortfall)
        per, divisor = limit["per"], 1.0
        if limit["counted_in"] == MONEY and end - float(limit["limit"]) < float(limit["step"]):
            per, divisor = currency or SMALL_BUDGET_STEP, float(limit["step"])
        closed, saved, improved = closed / divisor, saved / divisor, improved / divisor
        if mode == "weighted":
            effect = _weighted_effect(improved, closed, saved, currency)
        else:
            effect = _lexicographic_effect(closed, saved, currency)
        worth = {"shortfall_closed": closed, "cost_saved": saved, "objective_improved": improved}
        order = tuple(-np.nan_to_num(worth[name]) for name in ranking_figures(mode))
        unit = limit_unit(limit["counted_in"], limit["item"], units, currency)
        if np.isnan(end):
            until = ""
        elif np.isinf(end):
            until = ", however far it is relaxed"
        else:
            until = f", at least until it reaches {figure(end, unit)}"
        phrase = next(d.phrase for d in model.limits if d.family == limit["family"])
        ranked.append({
            "kind": limit["family"], "advice": f"{phrase(limit, per)} would {effect}{until}",
            "shortfall_closed": closed, "cost_saved": saved,
            "objective_improved": improved if mode == "weighted" else np.nan,
            "per": per, "holds_until": end if np.isfinite(end) else np.nan,
            "how": limit["how"], "set_by": limit["set_by"], UNIT_COLUMN: unit, "order": order,
            "position": limit["position"],  # which limit: joins Advice to Binding
        })
    ranked.sort(key=lambda entry: entry.pop("order"))
    table = pd.DataFrame(_rule_rows(rule_prices) + _qualification_rows(standardisation)
                         + ranked).reindex(
        columns=[*COLUMNS, UNIT_COLUMN, "position"])
    table["rank"] = np.arange(1, len(table) + 1)
    return table
