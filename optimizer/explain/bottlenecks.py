"""The Bottlenecks view (SPEC §7.3): every line that makes a component or uses one, with
its use, utilisation and what one more unit of its capacity is worth, ranked.

One row per line ℓ that makes a component (role ``component``) or draws one through
BillOfMaterials (role ``final``), over the horizon's periods t:

- capacity = Σ_t cap'(ℓ,t), the capacity including the extra capacity online
  (``Plan.capacity``), over the periods t in which the line can make something (an
  order or production started in t arrives within the horizon), and used = Σ_t (Σ_a x(ℓ,a,t) or
  z(ℓ,t)); utilisation_pct =
  100 · used / capacity; peak_utilisation_pct = max_t 100 · used(ℓ,t) / cap'(ℓ,t), in
  peak_period (the first such period);
- shortfall_closed, cost_saved, objective_improved: what one more unit of the line's
  capacity is worth in its most valuable period (``period``), the figures of that
  period's capacity limit on the Binding sheet, from which Advice quotes it too
  (``optimizer.explain.binding``; per unit of capacity, one convention: positive is
  better). The most valuable period is the one with the most weighted shortfall closed,
  then the most cost saved (lexicographic mode), or the most cost plus penalties saved
  (weighted mode). A line whose capacity binds in no period is worth 0 (the dual of a
  row that does not bind is 0), or blank where the plan is not proven optimal; blank
  too where Binding gives no figure for a period that may be worth more than the known
  ones (a whole-unit model's limits not measured);
- draws: the components one unit of the line's item uses (BillOfMaterials); feeds: for
  a component line, the final items its component goes into, through every level of the
  bill; limited_by: the component lines worth something (a positive figure) whose
  components the line draws, at any level.

Ranked most valuable first as Advice ranks limits; ties by peak utilisation, then
component lines before final lines, then the Production sheet's order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.explain.binding import FIGURES, ranking_figures
from optimizer.model.build import CAPACITY, AllocationModel
from optimizer.model.plan import Plan
from optimizer.model.sets import ModelSets
from optimizer.words import figure

COLUMNS = ("rank", "role", "facility", "host", "item", "draws", "feeds", "capacity", "used",
           "utilisation_pct", "peak_utilisation_pct", "peak_period", *FIGURES, "period",
           "limited_by", "set_by")
COMPONENT, FINAL = "component", "final"


def bottlenecks(model: AllocationModel, plan: Plan, binding: pd.DataFrame | None, mode: str,
                *, proven: bool, units: dict[str, str] | None = None) -> pd.DataFrame | None:
    """The Bottlenecks table (columns ``COLUMNS``, see the module docstring) of the plan
    of ``model`` whose limits ``binding`` gives (the Binding frame, figures per step), or
    None for a model without components. ``proven``: the plan is proven optimal, so a
    line that binds in no period is worth 0; ``units``: item -> unit, for the words of
    the bill."""
    sets = model.sets
    if sets.pools.empty:
        return None
    units = units or {}
    lines = sets.lines
    uses = sets.uses
    components = set(sets.pools["component"])
    role = np.where(lines["item"].isin(components), COMPONENT,
                    np.where(lines["line"].isin(uses["line"]), FINAL, ""))
    shown = lines[role != ""].assign(role=role[role != ""])

    # Only the periods in which the line can make something count: its capacity in a
    # period whose production would arrive after the horizon cannot be used.
    made = pd.concat([sets.orders[["line", "period"]], sets.productions[["line", "period"]]])
    usable = pd.MultiIndex.from_frame(sets.capacity[["line", "period"]]).isin(
        pd.MultiIndex.from_frame(made.drop_duplicates()))
    capacity = plan.capacity.assign(line=sets.capacity["line"].to_numpy())[usable]
    horizon = capacity.groupby("line")[["capacity", "used"]].sum()
    peak = capacity.sort_values(["line", "utilisation_pct"], ascending=[True, False],
                                kind="mergesort").drop_duplicates("line").set_index("line")
    table = shown.set_index("line")[["role", "facility", "host", "item"]].copy()
    table["capacity"] = horizon["capacity"].reindex(table.index).to_numpy(float)
    table["used"] = horizon["used"].reindex(table.index).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["utilisation_pct"] = np.where(table["capacity"] > 0,
                                            100.0 * table["used"] / table["capacity"], 0.0)
    table["peak_utilisation_pct"] = peak["utilisation_pct"].reindex(table.index).to_numpy(float)
    table["peak_period"] = peak["period"].reindex(table.index).where(
        table["peak_utilisation_pct"] > 0, None)

    order = ranking_figures(mode)
    best = _most_valuable_periods(sets, binding, order)
    bound = table.index.isin(best.index)
    for name in FIGURES:
        table[name] = np.where(bound, best[name].reindex(table.index).to_numpy(float),
                               0.0 if proven else np.nan)
    worth = np.zeros(len(table), dtype=bool)
    for name in order:
        worth |= np.nan_to_num(table[name].to_numpy(float)) > 0
    table["period"] = best["period"].reindex(table.index).where(worth, None)
    table["set_by"] = best["set_by"].reindex(table.index).where(worth, None)

    bill = _Bill(sets, components, units)
    valuable = set(table.index[worth])
    table["draws"] = [bill.draws(line) for line in table.index]
    table["feeds"] = [bill.feeds(line) if kind == COMPONENT else None
                      for line, kind in zip(table.index, table["role"], strict=True)]
    table["limited_by"] = [bill.limited_by(line, valuable) for line in table.index]

    keys = [np.nan_to_num(-table[name].to_numpy(float)) for name in order]
    ties = (-np.nan_to_num(table["peak_utilisation_pct"].to_numpy(float)),
            (table["role"] != COMPONENT).to_numpy(), table.index.to_numpy())
    ranked = table.iloc[np.lexsort((*reversed(ties), *reversed(keys)))]
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return _blank(ranked.reindex(columns=list(COLUMNS)))


def _most_valuable_periods(sets: ModelSets, binding: pd.DataFrame | None,
                           order: tuple[str, ...]) -> pd.DataFrame:
    """Per line (indexed by its position in ``sets.lines``) whose capacity binds in some
    period: that period's Binding record with the most of ``order``'s figures (NaN as 0,
    and before a known figure of as much): period, the figures and set_by."""
    columns = ["period", *FIGURES, "set_by"]
    if binding is None or binding.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="line"))
    capacity = binding[binding["family"] == CAPACITY]
    line_of = pd.MultiIndex.from_frame(sets.lines[["facility", "item"]])
    capacity = capacity.assign(line=sets.lines["line"].to_numpy()[
        line_of.get_indexer(pd.MultiIndex.from_frame(capacity[["facility", "item"]]))])
    # Among periods worth as much (NaN counted as 0), one whose figure is not known comes
    # first: a line is worth 0 only when every period is known to be worth nothing.
    known = capacity[order[0]].notna().to_numpy()
    keys = [np.nan_to_num(-capacity[name].to_numpy(float)) for name in order]
    first = capacity.iloc[np.lexsort((known, *reversed(keys)))]
    return first.drop_duplicates("line").set_index("line")[columns]


class _Bill:
    """The bill of materials as the Bottlenecks sheet words it: what a line draws, what
    a component goes into, which component lines hold a line back (at every level of
    the bill, acyclic by validation)."""

    def __init__(self, sets: ModelSets, components: set[str], units: dict[str, str]) -> None:
        self.lines = sets.lines
        self.uses = sets.uses
        self.components = components
        self.units = units
        self.makers = sets.lines.groupby("item")["line"].apply(list).to_dict()

    def draws(self, line: int) -> str | None:
        """"EXPL 10 t, FUZE 1 thousand": the components a unit made draws, in
        BillOfMaterials order; None for a line that draws none."""
        rows = self.uses[self.uses["line"] == line]
        if rows.empty:
            return None
        return ", ".join(
            f"{row.component} {figure(row.quantity, self.units.get(row.component, ''))}"
            for row in rows.itertuples(index=False))

    def feeds(self, line: int) -> str | None:
        """The final items the component of ``line`` goes into, at every level, in
        Production order: "SHELL (LAP)"."""
        found: list[int] = []
        self._users(str(self.lines.at[line, "item"]), found, set())
        return ", ".join(f"{self.lines.at[user, 'item']} ({self.lines.at[user, 'facility']})"
                         for user in sorted(set(found))) or None

    def _users(self, component: str, found: list[int], seen: set[str]) -> None:
        if component in seen:
            return
        seen.add(component)
        for user in self.uses.loc[self.uses["component"] == component, "line"]:
            made = str(self.lines.at[user, "item"])
            if made in self.components:  # a component line: up a level of the bill
                self._users(made, found, seen)
            else:
                found.append(int(user))

    def limited_by(self, line: int, valuable: set[int]) -> str | None:
        """The component lines in ``valuable`` whose components ``line`` draws, at every
        level: "EXPL (EL), CHARGE (CL)"."""
        found: list[int] = []
        self._makers_below(line, found, set())
        held = [maker for maker in dict.fromkeys(found) if maker in valuable]
        return ", ".join(f"{self.lines.at[maker, 'item']} ({self.lines.at[maker, 'facility']})"
                         for maker in held) or None

    def _makers_below(self, line: int, found: list[int], seen: set[int]) -> None:
        if line in seen:
            return
        seen.add(line)
        for component in self.uses.loc[self.uses["line"] == line, "component"]:
            for maker in self.makers.get(component, []):
                found.append(int(maker))
                self._makers_below(int(maker), found, seen)


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text as None (the sheet's blank)."""
    for name in ("draws", "feeds", "period", "limited_by", "set_by", "peak_period"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame
