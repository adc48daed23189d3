"""The Binding view: every limit that the optimal plan uses up, what relaxing it by one
step is worth, and the cell that set it.

The limits are the constraint families that declare themselves as such in
``optimizer.model.build`` (``Limit``: capacity, expansion limit, budget, minimum gap
closure, supplier share, work share); this module reads those declarations and never
re-derives a row's algebra. A limit *binds* when its declaration says it is tight
(use within ``TIGHT`` · max(1, |limit|) of it). Readiness targets (4) are goals rather
than limits; the Readiness sheet gives each one's marginal cost. Stock balance (3) is an
identity.

What relaxing a limit by one step is worth, with one sign convention everywhere: a
positive figure is an improvement when the limit is relaxed (one more unit of capacity,
one more million of budget, one percentage point more of a share allowed).

- ``shortfall_closed``: weighted shortfall W closed per step (lexicographic mode: phase
  1's dual; weighted mode, an LP with a basis: along the final basis);
- ``cost_saved``: money saved per step (negative: the step costs money, e.g. because it
  lets the plan buy more); lexicographic mode: the cost at the new least shortfall;
- ``objective_improved`` (weighted mode): cost plus shortfall penalties saved per step.

Each is −y · rhs_per_unit · step for the dual y = d(objective)/d(right-hand side) of the
limit's row (or the reduced cost of the column whose bound it is), joined to the limit
by its row's position, never by the order of a table. As for every dual the figures hold
for moves within the ranges the Advice sheet gives. A whole-unit model's figures are
measured by re-solving instead (``optimizer.explain.measured``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.build import (
    ITEM,
    MONEY,
    PERCENT,
    AllocationModel,
)
from optimizer.solver.phases import Sensitivity
from optimizer.tolerance import round_off
from optimizer.workbook.data import AllianceData

COLUMNS = ("family", "ally", "item", "facility", "host", "period", "limit", "used", "per",
           "shortfall_closed", "cost_saved", "objective_improved", "how", "set_by")
# Where each limit sits in the model and how a step moves it (for Advice and the
# measured re-solves): the row or column, the right-hand side moved per step, and the
# labels no sheet column shows (a funding cap's receiver, its giver being the ally; a unit
# of the component a component line or industry stock counts, in words).
POSITION = ("position", "on_rows", "rhs_per_step", "step", "step_words", "cell_value",
            "counted_in", "holds_back", "declared", "receiver", "component_unit")
FIGURES = ("shortfall_closed", "cost_saved", "objective_improved")
DUAL = "dual of the linear program"
UNPROVEN = ("not valued: the plan is not proven optimal (a limit stopped the solver), so "
            "no re-solve or dual can say what a step is worth; raise solver.time_limit")



def ranking_figures(mode: str) -> tuple[str, ...]:
    """The figures that rank what relaxing a limit is worth in objective ``mode``, the
    first key first (Advice, Bottlenecks): weighted shortfall closed, then cost saved
    (lexicographic); cost plus shortfall penalties saved (weighted)."""
    return (("objective_improved",) if mode == "weighted"
            else ("shortfall_closed", "cost_saved"))


def limit_unit(counted_in: object, item: object, units: dict[str, str],
               currency: str = "") -> str:
    """The unit of a limit's value (and of up to where its figures hold), in words, from
    what its declaration says it is counted in (``Limit.counted_in``): the item's unit
    (``units``: item -> unit), ``currency`` for money, "%" for a share; "" where none is
    known."""
    if counted_in == ITEM:
        return units.get(str(item), "") if isinstance(item, str) else ""
    if counted_in == MONEY:
        return currency
    return "%" if counted_in == PERCENT else ""


def with_money_steps(binding: pd.DataFrame | None, currency: str) -> pd.DataFrame | None:
    """The binding limits with the budget's step in ``currency`` ("million EUR"), when
    one is named."""
    if binding is None or not currency or binding.empty:
        return binding
    budget = (binding["counted_in"] == MONEY).to_numpy()
    binding = binding.copy()
    binding.loc[budget, "per"] = binding.loc[budget, "per"].astype(str) + f" {currency}"
    return binding


def limit_records(model: AllocationModel, values: np.ndarray, data: AllianceData,
                  *, tight_only: bool = True) -> pd.DataFrame:
    """Every declared limit of the model at ``values`` (only the binding ones with
    ``tight_only``), one record each: columns ``COLUMNS`` (figures blank) and
    ``POSITION``, grouped by family: the limits that hold back what can be delivered
    first, then the rules, each in the order the model declares them."""
    frames = []
    for declared, limit in enumerate(model.limits):
        records = limit.read(model, values)
        if tight_only:
            records = records[records["tight"].to_numpy(dtype=bool)]
        if records.empty:
            continue
        frames.append(records.assign(
            family=limit.family, per=limit.step_words, on_rows=limit.on_rows,
            counted_in=limit.counted_in, holds_back=limit.holds_back, declared=declared,
            step=limit.step, step_words=limit.step_words,
            rhs_per_step=records["rhs_per_unit"].to_numpy(float) * limit.step,
            set_by=[data.cell(*where) if isinstance(where, tuple) else where
                    for where in records["set_by"]]))
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS + POSITION})
    return pd.concat(frames, ignore_index=True).reindex(columns=list(COLUMNS + POSITION))


def value_per_step(records: pd.DataFrame, found: Sensitivity | None,
                   reference: float = 1.0) -> np.ndarray:
    """What one step of relaxing each limit is worth to the objective whose duals are
    ``found``: −y · rhs_per_step, y the dual of the limit's row (reduced cost of its
    column); round-off next to ``reference`` (the objective's value) shown as 0; NaN
    where the solver gave no dual."""
    if found is None:
        return np.full(len(records), np.nan)
    position = records["position"].to_numpy(dtype=np.int64)
    on_rows = records["on_rows"].to_numpy(dtype=bool)
    dual = np.where(on_rows, found.duals[np.where(on_rows, position, 0)],
                    found.reduced_costs[np.where(on_rows, 0, position)])
    value = -dual * records["rhs_per_step"].to_numpy(float)
    return round_off(value, reference)


def binding_limits(model: AllocationModel, values: np.ndarray, data: AllianceData, *,
                   objective: Sensitivity | None = None, shortfall: Sensitivity | None = None,
                   cost: Sensitivity | None = None,
                   references: dict[str, float] | None = None) -> pd.DataFrame:
    """The binding limits of a solved plan (columns ``COLUMNS`` and ``POSITION``), each
    valued per step with the duals given: ``objective`` (the optimised objective: the
    weighted mode's, or an elastic model's) for ``objective_improved``, ``shortfall``
    (d W / d limit) for ``shortfall_closed`` and ``cost`` (d cost / d limit) for
    ``cost_saved``. Within a family, most valuable first."""
    references = references or {}
    binding = limit_records(model, values, data)
    for figure, found in zip(FIGURES, (shortfall, cost, objective), strict=True):
        binding[figure] = value_per_step(binding, found, references.get(figure, 1.0))
    binding["how"] = DUAL if len(binding) and any(
        found is not None for found in (objective, shortfall, cost)) else None
    return _most_valuable_first(binding)


def unvalued_limits(model: AllocationModel, values: np.ndarray,
                    data: AllianceData) -> pd.DataFrame:
    """The binding limits of a plan not proven optimal, with no figures (``UNPROVEN``):
    the duals of a stopped solve are not marginal values, and a re-solve's difference
    from such a plan would mix the limit with the search left undone."""
    return _most_valuable_first(without_figures(limit_records(model, values, data),
                                                UNPROVEN))


def without_figures(binding: pd.DataFrame, how: str) -> pd.DataFrame:
    """``binding`` with every figure blank and ``how`` saying why (in place)."""
    for figure in FIGURES:
        binding[figure] = np.nan
    binding["how"] = how
    return binding


def _most_valuable_first(binding: pd.DataFrame) -> pd.DataFrame:
    keys = [np.nan_to_num(-binding[figure].to_numpy(float)) for figure in
            ("cost_saved", "shortfall_closed", "objective_improved")]
    rule = ~binding["holds_back"].to_numpy(dtype=bool)
    ranked = np.lexsort((*keys, binding["declared"].to_numpy(dtype=float), rule))
    return binding.iloc[ranked].reset_index(drop=True)
