"""The Binding view: every limit that the optimal plan uses up, with the cell that set it.

A limit is *binding* when the plan's use of it is within ``TIGHT`` · max(1, |limit|) of
the limit. The limits are SPEC §4's hard and soft constraints that an analyst can move:

- capacity (1): Σ_a x(ℓ,a,t) ≤ cap(ℓ,t) + extra online; set by Production!capacity or a
  Capacity row;
- expansion limit (2): Σ_t e(ℓ,t) ≤ max_extra(ℓ); set by Expansion!max_extra;
- budget (5): spend(a,t) ≤ budget(a,t) (cumulative with carry-over); set by
  Budgets!budget, or by the absence of a Budgets row (budget 0);
- minimum gap closure (6): u(a,i,t) ≤ (1 − ρ_a)·gap(a,i,t) with ρ_a > 0; set by
  Allies!min_gap_closure or ``rules.min_gap_closure``;
- supplier share (7): host g's share of ally a's deliveries of item i ≤ σ; set by
  ``rules.max_supplier_share``;
- work share (8): value made by a's industry ≥ ω_a · a's spending; set by
  Allies!work_share_min.

Readiness targets (4) are goals rather than limits; the Readiness sheet gives each one's
marginal cost. Stock balance (3) is an identity.

``value_of_relaxing`` is how much the optimised objective (cost in the cost phase, cost
+ penalties in weighted mode) improves when the limit is relaxed by one unit of ``per``:
the absolute dual of the row (reduced cost of u for rule 6), rescaled to that unit. As
for every dual it holds for small moves of the limit; the Advice sheet gives ranges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.data import AllianceData
from optimizer.model.build import AllocationModel
from optimizer.model.linear import RowFamily

TIGHT = 1e-6

COLUMNS = ("family", "ally", "item", "facility", "host", "period", "limit", "used", "per",
           "value_of_relaxing", "set_by")
# Where each limit sits in the model (for the Advice sheet's ranges): its row, or for
# rule 6 the column u whose upper bound it is.
POSITION = ("model_row", "model_column")

CAPACITY, EXPANSION, BUDGET = "capacity", "expansion limit", "budget"
GAP_CLOSURE, SUPPLIER_SHARE, WORK_SHARE = ("minimum gap closure", "supplier share",
                                           "work share")
FAMILIES = (CAPACITY, EXPANSION, BUDGET, GAP_CLOSURE, SUPPLIER_SHARE, WORK_SHARE)


def _row_parts(family: RowFamily, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of the family, as SPEC §4 states it (not as held for the solver): the sum
    of its positive terms and the sum of its negative terms at the solution."""
    local = family.row - family.start
    contribution = family.coefficient * values[family.column] / family.scale
    n = len(family.positions)
    positive = np.bincount(local, weights=np.where(contribution > 0, contribution, 0), minlength=n)
    negative = np.bincount(local, weights=np.where(contribution < 0, contribution, 0), minlength=n)
    return positive, negative


def _family_duals(model: AllocationModel, duals: np.ndarray, name: str) -> np.ndarray:
    family = model.linear.rows[name]
    return np.abs(np.nan_to_num(duals[family.start:family.stop]))


def own_gap_closure_cell(data: AllianceData, ally: str) -> str | None:
    """The Allies cell that gives ``ally`` its own minimum gap closure, or None when the
    model configuration's ``rules.min_gap_closure`` applies."""
    allies = data.allies.set_index("ally")
    if pd.isna(allies.at[ally, "min_gap_closure"]):
        return None
    return data.cell("Allies", "min_gap_closure", int(allies.at[ally, "row"]))


def _tight(used: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return np.abs(used - limit) <= TIGHT * np.maximum(1.0, np.abs(limit))


def binding_limits(model: AllocationModel, values: np.ndarray, duals: np.ndarray,
                   reduced_costs: np.ndarray, data: AllianceData,
                   config: dict) -> pd.DataFrame:
    """The binding limits of a solved plan, one row each (columns ``COLUMNS`` and
    ``POSITION``), grouped by family in SPEC order and, within a family, most valuable
    first."""
    sets = model.sets
    periods = np.asarray(sets.periods, dtype=object)
    rows = model.linear.rows
    frames: list[pd.DataFrame] = []

    if "capacity" in rows:
        family = rows["capacity"]
        labels = family.labels.iloc[family.positions].reset_index(drop=True)
        used, negative = _row_parts(family, values)
        limit = family.rhs / family.scale - negative  # base capacity + extra online
        tight = _tight(used, limit)
        picked = labels[tight]
        frames.append(pd.DataFrame({
            "family": CAPACITY, "item": picked["item"], "facility": picked["facility"],
            "host": picked["line"].map(sets.lines["host"]),
            "period": periods[picked["period"]], "limit": limit[tight], "used": used[tight],
            "per": "unit",
            "value_of_relaxing": _family_duals(model, duals, "capacity")[tight],
            "model_row": family.start + np.flatnonzero(tight),
            "set_by": [data.cell(source, "capacity", row)
                       for source, row in zip(picked["source"], picked["row"], strict=True)],
        }))

    if "expansion_limit" in rows:
        family = rows["expansion_limit"]
        labels = family.labels.iloc[family.positions].reset_index(drop=True)
        used, _ = _row_parts(family, values)
        limit = family.rhs / family.scale
        tight = _tight(used, limit)
        picked = labels[tight]
        frames.append(pd.DataFrame({
            "family": EXPANSION, "item": picked["item"], "facility": picked["facility"],
            "host": picked["line"].map(sets.lines["host"]), "limit": limit[tight],
            "used": used[tight], "per": "unit of extra capacity",
            "value_of_relaxing": _family_duals(model, duals, "expansion_limit")[tight],
            "model_row": family.start + np.flatnonzero(tight),
            "set_by": [data.cell("Expansion", "max_extra", int(row))
                       for row in picked["expansion_row"]],
        }))

    if "budget" in rows:
        family = rows["budget"]
        labels = family.labels.iloc[family.positions].reset_index(drop=True)
        positive, negative = _row_parts(family, values)
        used = positive + negative  # spending, and money carried in and out
        limit = family.rhs / family.scale
        tight = _tight(used, limit)
        picked = labels[tight]
        frames.append(pd.DataFrame({
            "family": BUDGET, "ally": picked["ally"], "period": periods[picked["period"]],
            "limit": limit[tight], "used": used[tight], "per": "unit of money",
            "value_of_relaxing": _family_duals(model, duals, "budget")[tight],
            "model_row": family.start + np.flatnonzero(tight),
            "set_by": [data.cell("Budgets", "budget", int(row)) if row == row
                       else "Budgets: no row for this period (budget 0)"
                       for row in picked["row"]],
        }))

    shortfalls = sets.shortfalls
    if len(model.u):
        u = values[model.u]
        upper = shortfalls["upper"].to_numpy(float)
        closure = shortfalls["closure"].to_numpy(float)
        tight = (closure > 0) & (upper < shortfalls["gap"].to_numpy(float)) & _tight(u, upper)
        picked = shortfalls[tight]
        frames.append(pd.DataFrame({
            "family": GAP_CLOSURE, "ally": picked["ally"], "item": picked["item"],
            "period": periods[picked["period"]], "limit": upper[tight], "used": u[tight],
            "per": "unit of shortfall allowed",
            "value_of_relaxing": np.abs(np.nan_to_num(reduced_costs[model.u]))[tight],
            "model_column": model.u[tight],
            "set_by": [own_gap_closure_cell(data, a) or "model: rules.min_gap_closure"
                       for a in picked["ally"]],
        }))

    if "supplier_share" in rows:
        family = rows["supplier_share"]
        labels = family.labels.iloc[family.positions].reset_index(drop=True)
        share = float(config["rules"]["max_supplier_share"])
        local = family.row - family.start
        total = np.bincount(local, weights=values[family.column], minlength=len(labels))
        positive, negative = _row_parts(family, values)
        from_host = positive + negative + share * total
        tight = (total > TIGHT) & _tight(from_host, share * total)
        frames.append(pd.DataFrame({
            "family": SUPPLIER_SHARE, "ally": labels["ally"][tight],
            "item": labels["item"][tight], "host": labels["host"][tight],
            "limit": 100 * share, "used": 100 * from_host[tight] / total[tight],
            "per": "percentage point of the share",
            "value_of_relaxing": (_family_duals(model, duals, "supplier_share")[tight]
                                  * total[tight] / 100),
            "model_row": family.start + np.flatnonzero(tight),
            "set_by": "model: rules.max_supplier_share",
        }))

    if "work_share" in rows:
        family = rows["work_share"]
        labels = family.labels.iloc[family.positions].reset_index(drop=True)
        made, negative = _row_parts(family, values)
        omega = labels["work_share_min"].to_numpy(float)
        spend = -negative / omega
        tight = (spend > TIGHT) & _tight(made, omega * spend)
        ally_rows = data.allies.set_index("ally")["row"]
        frames.append(pd.DataFrame({
            "family": WORK_SHARE, "ally": labels["ally"][tight],
            "limit": 100 * omega[tight], "used": 100 * made[tight] / spend[tight],
            "per": "percentage point of the work share",
            "value_of_relaxing": (_family_duals(model, duals, "work_share")[tight]
                                  * spend[tight] / 100),
            "model_row": family.start + np.flatnonzero(tight),
            "set_by": [data.cell("Allies", "work_share_min", int(ally_rows[a]))
                       for a in labels["ally"][tight]],
        }))

    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS + POSITION})
    binding = pd.concat(frames, ignore_index=True).reindex(columns=list(COLUMNS + POSITION))
    binding["order"] = binding["family"].map({f: k for k, f in enumerate(FAMILIES)})
    binding = binding.sort_values(["order", "value_of_relaxing"], ascending=[True, False],
                                  kind="stable")
    return binding.drop(columns="order").reset_index(drop=True)
