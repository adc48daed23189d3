"""The price of not standardising (SPEC §7.1): what qualifying each candidate pair would
change, measured by a re-solve.

A candidate pair is a Compatibility row with qualified FALSE: item i could serve platform
p once qualified. For each, the input is solved again with that one pair qualified (its
factor as the row gives it), from the plan, extracted and verified as the plan's run is;
the differences of the two proven optima are the pair's value:

    shortfall_closed = W(plan) − W(qualified)      weighted shortfall closed
    cost_more        = cost(qualified) − cost(plan)

each 0 where it is within the solver's tolerance (``optimizer.tolerance.snapped``), and
per unit of the item the re-solved plan counts toward p (``units_counted``: per ally, the
most units of i counted toward p in any one period, summed over the allies): what each
qualified round is worth. ``allies_gaining`` are the allies whose own weighted shortfall
(Readiness and Capabilities rows) falls. The rows are ranked by the shortfall closed, then
by the cost, least first; a pair that could not be measured says why and ranks last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.config import Config
from optimizer.explain.measured import resolve_in_time
from optimizer.model.plan import Plan
from optimizer.model.restrict import BasePlan
from optimizer.model.status import OPTIMAL
from optimizer.tolerance import snapped
from optimizer.words import figure
from optimizer.workbook.data import AllianceData

COLUMNS = ("rank", "platform", "item", "factor", "cell", "operators", "status", "value",
           "shortfall_closed", "cost_more", "units_counted", "shortfall_closed_per_unit",
           "cost_more_per_unit", "allies_gaining", "weighted_shortfall_qualified",
           "total_cost_qualified")
MORE_TIME = "raise explain.time_limit (or solver.time_limit) to measure it"
UNPROVEN_PLAN = ("not measured: the plan itself is not proven optimal, so its difference "
                 "from a re-solve would mix the pair with the search left undone; raise "
                 "solver.time_limit")
NO_TARGET = "makes no difference: no ally operating {platform} has a capability target for it"


def candidate_pairs(data: AllianceData) -> pd.DataFrame:
    """The Compatibility rows with qualified FALSE, in sheet order, each with the allies
    that operate its platform (``operators``, sorted) and whether any of them has a
    capability target for it (``targeted``)."""
    compatibility = data.compatibility
    candidates = compatibility[~compatibility["qualified"].to_numpy(dtype=bool)]
    operators = data.platforms.groupby("platform")["ally"].agg(lambda a: sorted(set(a)))
    targeted = set(data.capability_targets["platform"])
    return candidates.assign(
        operators=[operators.get(p, []) for p in candidates["platform"]],
        targeted=[p in targeted for p in candidates["platform"]]).reset_index()


def qualified(data: AllianceData, index: object) -> AllianceData:
    """The input with the Compatibility row at ``index`` qualified."""
    compatibility = data.compatibility.copy()
    compatibility.loc[index, "qualified"] = True
    return dataclasses.replace(data, compatibility=compatibility)


def shortfall_by_ally(plan: Plan) -> pd.Series:
    """Each ally's own weighted shortfall in ``plan``: Σ priority · u over its Readiness
    rows + Σ priority · v over its Capabilities rows."""
    readiness, capabilities = plan.readiness, plan.capabilities
    return pd.concat([
        (readiness["shortfall"].astype(float) * readiness["priority"].astype(float))
        .groupby(readiness["ally"]).sum(),
        (capabilities["shortfall"].astype(float) * capabilities["priority"].astype(float))
        .groupby(capabilities["ally"]).sum(),
    ]).groupby(level=0).sum()


def units_counted(plan: Plan, platform: str, item: str) -> float:
    """Units of ``item`` the plan counts toward ``platform``: per ally the most in any
    one period, summed over the allies."""
    counted = plan.counted
    pair = counted[(counted["platform"] == platform) & (counted["item"] == item)]
    if pair.empty:
        return 0.0
    return float(pair["counted"].astype(float).groupby(pair["ally"]).max().sum())


def value_words(platform: str, item: str, closed: float, cost: float,
                gaining: list[str], currency: str = "") -> str:
    """What qualifying ``item`` for ``platform`` would do, from its measured figures."""
    if closed == 0 and cost == 0:
        return (f"qualifying {item} for {platform} makes no difference within the "
                "solver's tolerance")
    spent = (f"at {figure(cost, currency)} more" if cost > 0
             else f"and save {figure(-cost, currency)}" if cost < 0 else "at no extra cost")
    if closed > 0:
        effect = f"close {figure(closed)} units of weighted shortfall {spent}"
    elif closed < 0:  # weighted mode: a cheaper plan that leaves more open
        effect = f"leave {figure(-closed)} more units of weighted shortfall {spent}"
    else:
        effect = f"{'save' if cost < 0 else 'cost'} {figure(abs(cost), currency)} " \
                 "at the same weighted shortfall"
    who = (f" ({', '.join(gaining)} gain{'s' if len(gaining) == 1 else ''})" if gaining
           else "")
    return f"qualifying {item} for {platform} would {effect}{who}"


def standardisation(data: AllianceData, config: Config, plan: Plan, *, is_mip: bool,
                    resolve: Callable[[AllianceData, Config, BasePlan], object],
                    start: BasePlan, deadline: float, plan_status: str = OPTIMAL,
                    progress: Callable[[str], None] = lambda stage: None) -> pd.DataFrame:
    """One row per candidate pair (columns ``COLUMNS``), ranked. ``resolve(data, config,
    start)`` solves, extracts and verifies an input as the plan's run does, from the plan
    ``start``; the re-solves end by ``deadline`` (``time.perf_counter``). Only two proven
    optima are compared: a plan or a re-solve stopped by a limit gives no figures and
    says why."""
    candidates = candidate_pairs(data)
    if candidates.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    mip_gap = config.solver.mip_gap if is_mip else 0.0
    currency = config.report.currency
    before = shortfall_by_ally(plan)
    rows = []
    for pair in candidates.itertuples(index=False):
        row = {"platform": pair.platform, "item": pair.item, "factor": pair.factor,
               "cell": data.cell("Compatibility", "qualified", int(pair.row)),
               "operators": ", ".join(pair.operators)}
        if plan_status != OPTIMAL:
            rows.append({**row, "status": "not solved", "value": UNPROVEN_PLAN})
            continue
        if not pair.targeted:
            rows.append({**row, "status": OPTIMAL,
                         "value": NO_TARGET.format(platform=pair.platform),
                         "shortfall_closed": 0.0, "cost_more": 0.0, "units_counted": 0.0,
                         "weighted_shortfall_qualified": plan.weighted_shortfall,
                         "total_cost_qualified": plan.total_cost})
            continue
        moved = resolve_in_time(
            resolve, qualified(data, pair.index), config, start, deadline,
            what="the solve with the pair qualified", more_time=MORE_TIME, progress=progress,
            stage=f"measuring what qualifying {pair.item} for {pair.platform} is worth")
        row["status"] = moved.status
        if moved.plan is None:
            rows.append({**row, "value": f"not measured: {moved.why}"})
            continue
        after = moved.plan
        closed = float(snapped(plan.weighted_shortfall - after.weighted_shortfall,
                               plan.weighted_shortfall, mip_gap))
        cost = float(snapped(after.total_cost - plan.total_cost, plan.total_cost, mip_gap))
        change = before.sub(shortfall_by_ally(after), fill_value=0.0)
        gains = snapped(change.to_numpy(float), before.reindex(change.index).fillna(0.0)
                        .to_numpy(float), mip_gap) if closed else np.zeros(len(change))
        gaining = sorted(str(ally) for ally, gain in zip(change.index, gains, strict=True)
                         if gain > 0)
        units = units_counted(after, pair.platform, pair.item)
        rows.append({
            **row, "value": value_words(pair.platform, pair.item, closed, cost, gaining,
                                        currency),
            "shortfall_closed": closed, "cost_more": cost, "units_counted": units,
            "shortfall_closed_per_unit": closed / units if units > 0 else np.nan,
            "cost_more_per_unit": cost / units if units > 0 else np.nan,
            "allies_gaining": ", ".join(gaining),
            "weighted_shortfall_qualified": after.weighted_shortfall,
            "total_cost_qualified": after.total_cost})
    return _ranked(pd.DataFrame(rows).reindex(columns=list(COLUMNS)))


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Most shortfall closed first, then least cost; unmeasured pairs last, in sheet
    order; ``rank`` 1, 2, … over the measured ones."""
    measured = table["shortfall_closed"].notna().to_numpy()
    order = np.lexsort((np.nan_to_num(table["cost_more"].to_numpy(float)),
                        -np.nan_to_num(table["shortfall_closed"].to_numpy(float)),
                        ~measured))
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = [k + 1 if ok else None
                     for k, ok in enumerate(table["shortfall_closed"].notna())]
    return table
