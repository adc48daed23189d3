"""Synthetic alliance workbooks for demonstrations, tests and benchmarks.

``generate_tables`` builds one frame per sheet of SPEC §2, every optional sheet included,
and on request the platform sheets of §7.1, the alliance targets, joint purchases and
funding of §7.2 and the components of §7.3, reproducibly from a seed;
``generate_workbook`` writes them with a README sheet. The data are made up but shaped
like the real problem:

- allies whose economies differ by orders of magnitude; a few with a minimum gap closure,
  some line hosts with a work-share rule;
- cheap bulk items (shells, 1e3-1e4 a unit) and expensive whole-unit items (missiles,
  1e5-5e6 a unit); lines in several countries per item, some outside the alliance;
- readiness targets for every (ally, item, period), rising over the horizon, with line
  capacity sized per item to close between about half and all of the final gap, so that
  much of the gap can be closed but not all of it; budgets that bind for some allies.

Every instance is feasible by construction (SPEC §4 lists the hard constraints):
- consumption never exceeds stock on hand, cumulatively, so buying nothing covers it (3);
- an ally with a minimum gap closure has no budget limit and no work-share rule, can
  obtain every item, has no gap before the second period in which a delivery of the
  item could reach it, and no gap its rule could not close with 90 % of its even share
  of what the lines open to it can deliver by then (6, 8);
- restrictions never cut an ally off from every line of an item;
- capability targets (with platforms) are soft: their shortfall is weighed, never forced;
- so are alliance targets and their fair-share band (SPEC §7.2);
- frameworks only add ways to buy: a framework order is an order at a lower price, and
  the fees it pays add to the lead's budget;
- funding only adds ways to pay: what one ally pays for another may be 0.
- components (SPEC §7.3) limit what the lines can make, but industry holds at the start
  at least what the minimum gap closures could make the lines use of each component (at
  the line of each item that uses the most of it), so that the rules of 6 hold whatever
  the component lines make; no ally holds, targets or orders a component.

Everything is built with numpy over whole arrays; only the handful of allies, items
and restriction rows are ever looped over.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.workbook.data import ranges, route_terms
from optimizer.workbook.schema import SHEETS, SHEETS_BY_NAME, Kind
from optimizer.workbook.writer import SheetContent, write_workbook

FIRST_YEAR = 2027
EXCEL_MAX_DATA_ROWS = 1_048_575  # rows of an Excel sheet below the header

_PREFIXES = (
    "Ald", "Bor", "Cal", "Dra", "Est", "Fen", "Gal", "Hel", "Ist", "Jor", "Kar", "Lun",
    "Mor", "Nor", "Ost", "Pel", "Quar", "Ros", "Sel", "Tor", "Ulm", "Val", "Wes", "Zar",
)
_SUFFIXES = ("avia", "onia", "mark", "land", "ria", "ovia", "heim", "ard", "enia", "uria")

# (name, unit, lowest and highest unit price); bulk items are bought in fractional lots,
# expensive ones in whole units.
_BULK = (
    ("155 mm artillery shell", "rounds", 2e3, 8e3),
    ("105 mm artillery shell", "rounds", 1e3, 4e3),
    ("120 mm tank round", "rounds", 3e3, 1e4),
    ("120 mm mortar bomb", "rounds", 1e3, 3e3),
    ("81 mm mortar bomb", "rounds", 1e3, 2e3),
    ("122 mm unguided rocket", "rockets", 2e3, 8e3),
    ("30 mm cannon rounds, belt of 100", "belts", 3e3, 9e3),
    ("Anti-tank mine", "mines", 1e3, 5e3),
    ("Small-arms ammunition, case of 1000", "cases", 1e3, 3e3),
)
_EXPENSIVE = (
    ("Long-range air-defence interceptor", "missiles", 1e6, 5e6),
    ("Short-range air-defence missile", "missiles", 2e5, 8e5),
    ("Anti-tank guided missile", "missiles", 1e5, 3e5),
    ("Guided artillery rocket", "rockets", 1e5, 3e5),
    ("Cruise missile", "missiles", 1e6, 3e6),
    ("Anti-ship missile", "missiles", 1e6, 3e6),
    ("Air-to-air missile", "missiles", 5e5, 2e6),
    ("Loitering munition", "units", 1e5, 5e5),
)


def _is_whole(value: object, least: int) -> bool:
    return (not isinstance(value, bool) and isinstance(value, numbers.Integral)
            and value >= least)


def _check_arguments(allies: object, items: object, lines: object, periods: object,
                     seed: object, platforms: object = 0, frameworks: object = 0,
                     alliance_targets: object = 0, funding: object = 0,
                     components: object = 0) -> None:
    for name, value in (("allies", allies), ("items", items), ("lines", lines),
                        ("periods", periods)):
        if not _is_whole(value, 1):
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}.")
    for name, value in (("seed", seed), ("platforms", platforms), ("frameworks", frameworks),
                        ("alliance targets", alliance_targets), ("funding", funding),
                        ("components", components)):
        if not _is_whole(value, 0):
            raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}.")
    pairs = int(allies) * (int(allies) - 1) // 2
    if funding > pairs:
        raise ValueError(
            f"funding = {funding:,} is more than the {pairs:,} pairs of allies that one "
            f"can fund the other of; choose at most {pairs:,}."
        )
    cells = int(items) * int(periods)
    if alliance_targets > cells:
        raise ValueError(
            f"alliance targets = {alliance_targets:,} is more than items x periods = "
            f"{cells:,}, the (item, period) pairs a target can be set for; choose at most "
            f"{cells:,}."
        )
    requirements = int(allies) * int(items) * int(periods)
    if requirements > EXCEL_MAX_DATA_ROWS:
        raise ValueError(
            f"allies x items x periods = {requirements:,} readiness targets, more rows than "
            f"an Excel sheet holds ({EXCEL_MAX_DATA_ROWS:,}); choose smaller counts."
        )
    capability_targets = int(allies) * int(platforms) * int(periods)
    if capability_targets > EXCEL_MAX_DATA_ROWS:
        raise ValueError(
            f"allies x platforms x periods = {capability_targets:,} capability targets, more "
            f"rows than an Excel sheet holds ({EXCEL_MAX_DATA_ROWS:,}); choose smaller counts."
        )
    if lines > EXCEL_MAX_DATA_ROWS:
        raise ValueError(
            f"lines = {lines:,} is more rows than an Excel sheet holds "
            f"({EXCEL_MAX_DATA_ROWS:,}); choose a smaller count."
        )
    bill = int(lines) * min(int(components), MOST_COMPONENTS_PER_LINE)
    if bill > EXCEL_MAX_DATA_ROWS:
        raise ValueError(
            f"lines x min(components, {MOST_COMPONENTS_PER_LINE}) = {bill:,} bill-of-"
            f"materials rows at most, more than an Excel sheet holds "
            f"({EXCEL_MAX_DATA_ROWS:,}); choose fewer lines or components."
        )
    component_lines = int(lines) + MOST_LINES_PER_COMPONENT * int(components)
    if components and component_lines > EXCEL_MAX_DATA_ROWS:
        raise ValueError(
            f"lines + {MOST_LINES_PER_COMPONENT} x components = {component_lines:,} "
            f"production lines at most, more rows than an Excel sheet holds "
            f"({EXCEL_MAX_DATA_ROWS:,}); choose fewer lines or components."
        )


def _codes(prefix: str, count: int, width: int) -> np.ndarray:
    """``prefix`` and 1..count, zero-padded to ``width`` digits or more: A01, A02 ..."""
    width = max(width, len(str(count)))
    return np.array([f"{prefix}{n:0{width}d}" for n in range(1, count + 1)], dtype=object)


def _round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    """Round positive values to ``digits`` significant digits (prices, budgets). Below
    10^(digits−1) the mantissa is divided by a power of ten, which is exact, rather than
    multiplied by its inverse, which is not: 0.56 stays 0.56, not 0.5600000000000001."""
    values = np.asarray(values, dtype=float)
    safe = np.where(values > 0, values, 1.0)
    exponent = np.floor(np.log10(safe)) - digits + 1
    scale = 10.0 ** exponent
    mantissa = np.round(values / scale)
    rounded = np.where(exponent < 0, mantissa / 10.0 ** -exponent, mantissa * scale)
    return np.where(values > 0, rounded, 0.0)


def _log_uniform(rng: np.random.Generator, low, high, size=None) -> np.ndarray:
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size)


def _pick(rng: np.random.Generator, count: int, share: float, minimum: int = 0) -> np.ndarray:
    """Sorted positions of round(share * count) of ``count`` things (at least ``minimum``)."""
    chosen = min(count, max(minimum, round(share * count)))
    return np.sort(rng.permutation(count)[:chosen])


def period_codes(periods: int) -> list[str]:
    """Quarterly period codes from 2027Q1: 2027Q1, 2027Q2, 2027Q3, 2027Q4, 2028Q1 ..."""
    return [f"{FIRST_YEAR + t // 4}Q{t % 4 + 1}" for t in range(periods)]


def generate_tables(
    allies: int, items: int, lines: int, periods: int, seed: int = 0, *,
    whole_units: bool = True, platforms: int = 0, frameworks: int = 0,
    alliance_targets: int = 0, funding: int = 0, components: int = 0,
) -> dict[str, pd.DataFrame]:
    """One frame per sheet of SPEC §2, columns as in ``optimizer.workbook.schema``, from ``seed``.

    With ``whole_units`` the expensive items are bought in whole units (Items.integer,
    so the model is a MILP); without it every item is fractional and the model a linear
    program, the rest of the data unchanged. With ``platforms`` N > 0 each ally operates
    up to N platforms (SPEC §7.1: Platforms, Compatibility, CapabilityTargets, see
    ``_platform_tables``); with 0 those sheets are left out. With ``frameworks`` N > 0
    up to N joint purchases (SPEC §7.2: Frameworks, FrameworkMembers, see
    ``_framework_tables``); with 0 those sheets are left out. With ``alliance_targets``
    N > 0, N AllianceTargets rows and every ally's fair share (SPEC §7.2, see
    ``_alliance_targets``); with 0 the sheet is left out and Allies.fair_share blank.
    With ``funding`` N > 0, N Funding rows (SPEC §7.2, see ``_funding``); with 0 the
    sheet is left out. With ``components`` N > 0, N component items with lines of their
    own, appended to Items and Production, and the BillOfMaterials and IndustryStocks
    sheets (SPEC §7.3, see ``_components``); with 0 those sheets are left out.

    Each section draws from the one generator in turn, in the order below; a seed's
    workbook stays the same only while that order and every draw's arguments do. The
    platforms, the frameworks, the alliance targets, the funding and the components each
    draw from a generator of their own, after the rest, so that the other sheets (and the
    rows of Items and Production before the components') are the same whatever
    ``platforms``, ``frameworks``, ``alliance_targets``, ``funding`` and ``components``
    are."""
    _check_arguments(allies, items, lines, periods, seed, platforms, frameworks,
                     alliance_targets, funding, components)
    na, ni, nl, nt = int(allies), int(items), int(lines), int(periods)  # the counts
    rng = np.random.default_rng(int(seed))
    period = np.array(period_codes(nt), dtype=object)
    alliance = _allies(rng, na)
    catalogue = _items(rng, ni)
    stockpiles = _stockpiles(rng, alliance, catalogue, nt)
    production = _production(rng, alliance, catalogue, nl)
    transport = _transport(rng, alliance, catalogue, production)
    restrictions = _restrictions(rng, alliance, catalogue, production)
    capacity = _line_capacity(rng, stockpiles, production, nt)
    overrides = _capacity_overrides(rng, catalogue, production, capacity, period)
    target = _requirements(alliance, catalogue, stockpiles, production, restrictions.allowed,
                           transport, overrides.line_capacity)
    expansion = _expansion(rng, alliance, catalogue, production, capacity)
    budgets = _budgets(rng, alliance, catalogue, stockpiles, period)
    work_share_min = _work_share(rng, alliance, production)
    tables = {
        **_frames(period, alliance, work_share_min, catalogue, whole_units, stockpiles,
                  production, capacity, target),
        "Capacity": overrides.table,
        "Expansion": expansion,
        "Budgets": budgets,
        "Transport": transport,
        "Restrictions": restrictions.table,
    }
    if platforms:
        platform_rng = np.random.default_rng([int(seed), PLATFORM_STREAM])
        tables |= _platform_tables(platform_rng, alliance, catalogue, period, target,
                                   int(platforms))
    if frameworks:
        framework_rng = np.random.default_rng([int(seed), FRAMEWORK_STREAM])
        tables |= _framework_tables(framework_rng, alliance, catalogue, production,
                                    int(frameworks))
    if alliance_targets:
        alliance_rng = np.random.default_rng([int(seed), ALLIANCE_STREAM])
        tables["AllianceTargets"] = _alliance_targets(alliance_rng, catalogue, period, target,
                                                      int(alliance_targets))
        tables["Allies"] = tables["Allies"].assign(fair_share=rounded_shares(alliance.gdp))
    if funding:
        funding_rng = np.random.default_rng([int(seed), FUNDING_STREAM])
        tables["Funding"] = _funding(funding_rng, alliance, catalogue, stockpiles, budgets,
                                    int(funding))
    if components:
        component_rng = np.random.default_rng([int(seed), COMPONENT_STREAM])
        made = _components(component_rng, alliance, catalogue, stockpiles, production,
                           capacity, target, int(components))
        tables |= {
            "Items": pd.concat([tables["Items"], made.items], ignore_index=True),
            "Production": pd.concat([tables["Production"], made.lines], ignore_index=True),
            "BillOfMaterials": made.bill, "IndustryStocks": made.stocks}
    return {sheet.name: _in_schema_order(sheet.name, tables[sheet.name]) for sheet in SHEETS
            if sheet.name in tables}


PLATFORM_STREAM = 1
FRAMEWORK_STREAM = 2
ALLIANCE_STREAM = 3
FUNDING_STREAM = 4
COMPONENT_STREAM = 5
# The platforms' generator is seeded with (seed, PLATFORM_STREAM), the frameworks' with
# (seed, FRAMEWORK_STREAM), the alliance targets' with (seed, ALLIANCE_STREAM), the
# funding's with (seed, FUNDING_STREAM), the components' with (seed, COMPONENT_STREAM):
# streams apart from each other and from the one of the other sheets, which seed alone
# seeds.

ALLIES_PER_PLATFORM = 4  # about how many allies share a platform


def _platform_tables(rng: np.random.Generator, allies: _Allies, items: _Items,
                     period: np.ndarray, target: np.ndarray,
                     most: int) -> dict[str, pd.DataFrame]:
    """Platforms, Compatibility and CapabilityTargets (SPEC §7.1).

    A pool of ``most`` · ⌈na / ALLIES_PER_PLATFORM⌉ platforms (PL01 ...); each ally
    operates 1 to ``most`` of them, drawn without repeats, priority 1-3; only platforms
    some ally operates are kept. Each platform takes 1-4 items of one kind (bulk or
    expensive, as many as there are): the first, drawn from every item, qualified at
    factor 1, each other qualified at factor 1 (half of them), at
    0.8-1.0 to 2 decimals (three in ten), else a candidate pair (qualified FALSE). So every
    platform has a qualified item and validates without a warning.

    Capability targets for every (ally, platform operated, period): 30-80 % of the mean
    readiness target of the platform's qualified items for that ally and period
    (``target``, (ally, item, period)), rounded: sized like the Requirements."""
    na, ni, nt = len(allies.code), len(items.code), len(period)
    pool = _codes("PL", most * -(-na // ALLIES_PER_PLATFORM), 2)
    counts = rng.integers(1, most + 1, na)
    operated = [np.sort(rng.permutation(len(pool))[: min(count, len(pool))])
                for count in counts]
    used = np.unique(np.concatenate(operated))
    platform_items = {}
    for p in used:
        first = rng.integers(ni)
        alike = np.flatnonzero(items.expensive == items.expensive[first])
        others = rng.permutation(alike[alike != first])[: rng.integers(0, 4)]
        chosen = np.concatenate([[first], others]).astype(int)
        draw = rng.random(len(chosen))
        factor = np.where(draw < 0.8, np.where(draw < 0.5, 1.0,
                                               np.round(rng.uniform(0.8, 1.0, len(chosen)), 2)),
                          1.0)
        qualified = draw < 0.8
        qualified[0], factor[0] = True, 1.0
        platform_items[p] = (chosen, factor, qualified)
    platforms = pd.DataFrame({
        "ally": np.repeat(allies.code, [len(o) for o in operated]),
        "platform": pool[np.concatenate(operated)],
        "priority": rng.integers(1, 4, int(sum(len(o) for o in operated))).astype(float),
    })
    compatibility = pd.DataFrame([
        (pool[p], items.code[i], f, q)
        for p, (chosen, factor, qualified) in platform_items.items()
        for i, f, q in zip(chosen, factor, qualified, strict=True)
    ], columns=["platform", "item", "factor", "qualified"])
    compatibility["qualified"] = compatibility["qualified"].astype(bool)
    rows = []
    share = rng.uniform(0.3, 0.8, (na, len(pool)))
    for a, ally_platforms in enumerate(operated):
        for p in ally_platforms:
            chosen, _, qualified = platform_items[p]
            sized = np.round(share[a, p] * target[a, chosen[qualified]].mean(axis=0))
            rows += [(allies.code[a], pool[p], period[t], sized[t]) for t in range(nt)]
    targets = pd.DataFrame(rows, columns=["ally", "platform", "period", "target"])
    return {"Platforms": platforms, "Compatibility": compatibility,
            "CapabilityTargets": targets}


SHARE_DIGITS = 4  # decimals of a generated fair share


def _alliance_targets(rng: np.random.Generator, items: _Items, period: np.ndarray,
                      target: np.ndarray, count: int) -> pd.DataFrame:
    """AllianceTargets (SPEC §7.2): ``count`` distinct (item, period) pairs drawn without
    repeats, in item and period order; each target 60-100 % of Σ_a target(a,i,t), the
    allies' readiness targets for that item and period (``target``, (ally, item, period)),
    rounded, at least 1: about what the allies' own targets ask, so that the target binds
    where their plans fall short, and, being soft, never makes the model infeasible.
    Priority 1-5 for about half of the rows, blank (the item's) for the rest."""
    ni, nt = target.shape[1], target.shape[2]
    cells = np.sort(rng.permutation(ni * nt)[:count])
    item, when = cells // nt, cells % nt
    summed = target.sum(axis=0)[item, when]
    sized = np.maximum(1.0, np.round(rng.uniform(0.6, 1.0, count) * summed))
    priority = np.where(rng.random(count) < 0.5, rng.integers(1, 6, count), np.nan)
    return pd.DataFrame({"item": items.code[item], "period": period[when],
                         "target": sized, "priority": priority})


def rounded_shares(weights, digits: int = SHARE_DIGITS) -> np.ndarray:
    """w_a / Σ w rounded to ``digits`` decimals, the rounding's remainder given to the
    largest share, so that the shares sum to 1 (to the float's last digit: they are whole
    numbers of 10^−digits, summing to 10^digits): fair shares from gdp here, from defence
    spending in the sample. The largest takes the remainder, not the last, because it
    (up to half a unit per ally) could exceed a small ally's share and leave it below 0."""
    unit = 10 ** digits
    weights = np.asarray(weights, float)
    whole = np.round(weights / weights.sum() * unit).astype(np.int64)
    whole[int(np.argmax(whole))] += unit - int(whole.sum())
    return whole / unit


def _funding(rng: np.random.Generator, allies: _Allies, items: _Items,
             stockpiles: _Stockpiles, budgets: pd.DataFrame, count: int) -> pd.DataFrame:
    """Funding (SPEC §7.2): ``count`` distinct pairs of allies drawn without repeats, in
    giver and receiver order. Of each pair, the ally whose budget over the horizon covers
    more of what closing its own final gap costs (an ally without a budget limit covers
    all) pays for the other's purchases: money flows to where it is short, as in the
    ammunition initiative. A cap of 2-10 % of the giver's budget over the horizon (of the
    mean ally's where the giver has no budget limit), to 3 significant digits, blank (no
    cap) for about one pair in four whose giver has a budget."""
    na = len(allies.code)
    first, second = np.triu_indices(na, k=1)
    chosen = np.sort(rng.permutation(len(first))[:count])
    a, b = first[chosen], second[chosen]
    horizon = budgets.groupby("ally")["budget"].sum().reindex(allies.code).to_numpy(float)
    limited = ~np.isnan(horizon)
    gap_cost = (stockpiles.final_gap * items.price[None, :]).sum(axis=1)
    covered = np.where(limited, horizon / np.maximum(gap_cost, 1e-9), np.inf)
    richer = covered[a] >= covered[b]
    giver, receiver = np.where(richer, a, b), np.where(richer, b, a)
    mean = float(np.nanmean(horizon)) if limited.any() else 1.0
    share = rng.uniform(0.02, 0.10, count)
    cap = _round_significant(np.where(limited[giver], horizon[giver], mean) * share, 3)
    uncapped = limited[giver] & (rng.random(count) < 0.25)
    order = np.lexsort((receiver, giver))
    return pd.DataFrame({"from": allies.code[giver][order],
                         "to": allies.code[receiver][order],
                         "max_amount": np.where(uncapped, np.nan, cap)[order]})


def _framework_tables(rng: np.random.Generator, allies: _Allies, items: _Items,
                      lines: _Lines, most: int) -> dict[str, pd.DataFrame]:
    """Frameworks and FrameworkMembers (SPEC §7.2).

    min(``most``, lines) frameworks (FW01 ...), each on a line of its own drawn from every
    line, led by the line's host where that is an ally, else by an ally drawn at random;
    unit_price 80-95 % of the line's unit_cost (3 significant digits); fee_per_unit 0
    (one in four) or up to 3 % of the unit_cost (2 significant digits); and 1 to 4
    members drawn from the other allies (none when there is no other)."""
    na, nl = len(allies.code), len(lines.facility)
    count = min(most, nl)
    chosen = np.sort(rng.permutation(nl)[:count])
    drawn = rng.integers(na, size=count)
    host = lines.host_ally[chosen]
    lead = np.where(host >= 0, host, drawn)
    cost = lines.unit_cost[chosen]
    price = _round_significant(cost * rng.uniform(0.8, 0.95, count), 3)
    fee = np.where(rng.random(count) < 0.25, 0.0,
                   _round_significant(cost * rng.uniform(0.0, 0.03, count), 2))
    code = _codes("FW", count, 2)
    members = []
    for f in range(count):
        others = np.flatnonzero(np.arange(na) != lead[f])
        taken = np.sort(rng.permutation(others)[: rng.integers(1, 5)])
        members += [(code[f], allies.code[a]) for a in taken]
    return {
        "Frameworks": pd.DataFrame({
            "framework": code, "facility": lines.facility[chosen],
            "item": items.code[lines.item[chosen]], "lead": allies.code[lead],
            "unit_price": price, "fee_per_unit": fee}),
        "FrameworkMembers": pd.DataFrame(members, columns=["framework", "ally"]),
    }


# (name, unit) of the component kinds, drawn in turn: CP01 an explosive, CP02 a
# propellant …
_COMPONENTS = (("Explosive", "kg"), ("Propellant", "kg"), ("Fuze", "fuzes"),
               ("Charge", "charges"))
MOST_COMPONENTS_PER_LINE = 3
MOST_LINES_PER_COMPONENT = 2


@dataclass(frozen=True, eq=False)
class _Components:
    """The component items and their lines (rows to append to Items and Production), and
    the BillOfMaterials and IndustryStocks sheets."""

    items: pd.DataFrame
    lines: pd.DataFrame
    bill: pd.DataFrame
    stocks: pd.DataFrame


def _components(rng: np.random.Generator, allies: _Allies, items: _Items,
                stockpiles: _Stockpiles, lines: _Lines, capacity: np.ndarray,
                target: np.ndarray, count: int) -> _Components:
    """Components (SPEC §7.3): ``count`` component items CP01 … (an explosive, a
    propellant, a fuze, a charge, in turn), fractional, with no holding cost, no target
    and no stock of any ally.

    Every line of the other items uses 1 to min(``count``, 3) of them, drawn without
    repeats, and a component none of them drew is used by a line drawn at random besides
    (there are more components than the lines draw only with few lines): quantity
    q(ℓ,k) 0.5-10 units of the component a unit (log-uniform, 2 significant digits).
    The need of component k a period at the lines' full capacity is
    N(k) = Σ_ℓ q(ℓ,k) · cap(ℓ) (Production's capacity; the Capacity sheet's outages and
    ramp-ups not counted). Each component has 1 or 2 lines of its own (FC001 …), hosted
    as the other facilities are (80 % an ally drawn in proportion to the square root of
    its gdp, else a supplier outside the alliance), together making 60-120 % of N(k) a
    period (split in gamma(2, 1) shares, each line at least one unit, to 3 significant
    digits), so that the components sometimes bind; lead time 0-2; unit cost 5-20 % of
    the median over the lines using k of unit_cost(ℓ) / q(ℓ,k), 70-130 % of that per
    line, to 3 significant digits.

    Industry holds 1-2 periods of N(k) at the start (3 significant digits), and never
    less than what the minimum gap closures can force the lines to use of k:
    Σ_i Σ_a ⌈max_t ρ_a · gap(a,i,t)⌉ · max_{ℓ of i} q(ℓ,k) over the allies with a rule
    (SPEC §4, 6), so that the rules can be met whatever the component lines make."""
    na, nl = len(allies.code), len(lines.item)
    code = _codes("CP", count, 2)
    kind = np.arange(count) % len(_COMPONENTS)
    repeat = np.arange(count) // len(_COMPONENTS) + 1
    component_items = pd.DataFrame({
        "item": code,
        "name": [f"{_COMPONENTS[k][0]}, type {r}" for k, r in zip(kind, repeat, strict=True)],
        "unit": [_COMPONENTS[k][1] for k in kind],
        "integer": False, "priority": 1.0, "shortfall_penalty": np.nan, "holding_cost": 0.0,
    })

    used = rng.integers(1, min(count, MOST_COMPONENTS_PER_LINE) + 1, nl)
    order = rng.random((nl, count)).argsort(axis=1)
    taken = np.arange(count)[None, :] < used[:, None]
    bill_line, slot = np.nonzero(taken)
    bill_component = order[bill_line, slot]
    unused = np.setdiff1d(np.arange(count), bill_component)
    bill_line = np.concatenate([bill_line, rng.permutation(nl)[np.arange(len(unused)) % nl]])
    bill_component = np.concatenate([bill_component, unused])
    quantity = _round_significant(_log_uniform(rng, 0.5, 10, len(bill_line)), 2)
    sort = np.lexsort((bill_component, bill_line))
    bill_line, bill_component, quantity = (bill_line[sort], bill_component[sort],
                                           quantity[sort])
    need = np.bincount(bill_component, quantity * capacity[bill_line], minlength=count)

    n_lines = rng.integers(1, MOST_LINES_PER_COMPONENT + 1, count)
    line_component = np.repeat(np.arange(count), n_lines)
    total = len(line_component)
    made = rng.uniform(0.6, 1.2, count) * need
    spread = rng.gamma(2.0, 1.0, total)
    share = spread / np.bincount(line_component, spread, minlength=count)[line_component]
    line_capacity = np.maximum(1.0, _round_significant(made[line_component] * share, 3))
    n_suppliers = max(1, round(na / 8))
    size = np.sqrt(allies.gdp)
    host = np.where(rng.random(total) < 0.8,
                    allies.code[rng.choice(na, total, p=size / size.sum())],
                    _codes("X", n_suppliers, 2)[rng.integers(0, n_suppliers, total)])
    worth = pd.Series(lines.unit_cost[bill_line] / quantity).groupby(bill_component).median()
    price = worth.reindex(range(count)).to_numpy() * rng.uniform(0.05, 0.2, count)
    unit_cost = _round_significant(price[line_component] * rng.uniform(0.7, 1.3, total), 3)
    component_lines = pd.DataFrame({
        "facility": _codes("FC", total, 3), "host": host, "item": code[line_component],
        "capacity": line_capacity, "unit_cost": unit_cost,
        "lead_time": rng.integers(0, 3, total)})

    rule = np.nan_to_num(allies.min_gap_closure)[:, None, None]
    gap = np.maximum(0.0, target - stockpiles.no_orders_stock)
    forced = np.ceil(rule * gap).max(axis=2).sum(axis=0)  # per item
    heaviest = np.zeros((len(items.code), count))
    np.maximum.at(heaviest, (lines.item[bill_line], bill_component), quantity)
    forced_need = forced @ heaviest
    held = _round_significant(rng.uniform(1.0, 2.0, count) * need, 3)
    on_hand = np.maximum(held, np.ceil(forced_need))
    return _Components(
        items=component_items,
        lines=component_lines,
        bill=pd.DataFrame({"facility": lines.facility[bill_line],
                           "item": items.code[lines.item[bill_line]],
                           "component": code[bill_component], "quantity": quantity}),
        stocks=pd.DataFrame({"component": code, "on_hand": on_hand}))


# The sections' results hold numpy arrays, so they are compared by identity (eq=False):
# a generated __eq__ would compare arrays element-wise.


@dataclass(frozen=True, eq=False)
class _Allies:
    """The allies in code order; ``with_closure`` and ``unlimited`` are sorted positions."""

    code: np.ndarray
    name: np.ndarray
    gdp: np.ndarray
    min_gap_closure: np.ndarray  # NaN where the ally has no minimum gap closure
    with_closure: np.ndarray  # the allies with a minimum gap closure
    unlimited: np.ndarray  # the allies with no budget limit, ``with_closure`` among them


@dataclass(frozen=True, eq=False)
class _Items:
    """The items in code order."""

    code: np.ndarray
    name: np.ndarray
    unit: np.ndarray
    expensive: np.ndarray  # bool: bought in whole units when the workbook has whole units
    price: np.ndarray
    priority: np.ndarray
    shortfall_penalty: np.ndarray  # NaN where the configuration's default applies
    holding_cost: np.ndarray


@dataclass(frozen=True, eq=False)
class _Stockpiles:
    """Per (ally, item): ``goal`` and ``on_hand``; per (ally, item, period):
    ``consumption`` and ``no_orders_stock`` = P(a,i,t), the stock if nothing is bought."""

    goal: np.ndarray
    on_hand: np.ndarray
    consumption: np.ndarray
    no_orders_stock: np.ndarray

    @property
    def final_gap(self) -> np.ndarray:
        """(ally, item) -> max(0, goal − P(a,i,T)): the gap left in the last period T if
        nothing is bought."""
        return np.maximum(0.0, self.goal - self.no_orders_stock[:, :, -1])


@dataclass(frozen=True, eq=False)
class _Lines:
    """The production lines, sorted by facility and item, one entry per line."""

    item: np.ndarray  # position of the line's item
    facility: np.ndarray  # facility code
    host: np.ndarray  # host code: an ally or a supplier outside the alliance
    host_ally: np.ndarray  # position of the host ally, -1 for a supplier outside
    unit_cost: np.ndarray
    lead_time: np.ndarray


@dataclass(frozen=True, eq=False)
class _Restrictions:
    """``allowed``: (line, ally) -> whether the line may deliver to the ally; ``table``:
    the Restrictions sheet."""

    allowed: np.ndarray
    table: pd.DataFrame


@dataclass(frozen=True, eq=False)
class _CapacityOverrides:
    """``line_capacity``: (line, period) -> capacity with the overrides applied;
    ``table``: the Capacity sheet."""

    line_capacity: np.ndarray
    table: pd.DataFrame


def _allies(rng: np.random.Generator, na: int) -> _Allies:
    """The allies: codes A01, A02 ...; names drawn without repeats from the prefix+suffix
    combinations (numbered once these run out); gdp log-uniform in 2e10-5e12, to 3
    significant digits.

    Allies with a minimum gap closure of 10-30 %: a few of the smaller economies (10 %
    of the allies, at least one, when there are two allies or more), with no budget
    limit (they must be able to pay for what the rule makes them buy). Other allies
    drawn at random make the allies with no budget limit about 12 % in all."""
    code = _codes("A", na, 2)
    combos = [p + s for p in _PREFIXES for s in _SUFFIXES]
    order = rng.permutation(len(combos))
    name = np.array(
        [combos[order[k % len(combos)]] + ("" if k < len(combos) else f" {k // len(combos) + 1}")
         for k in range(na)], dtype=object)
    gdp = _round_significant(_log_uniform(rng, 2e10, 5e12, na), 3)
    n_closure = 0 if na < 2 else max(1, round(0.1 * na))
    smaller = np.argsort(gdp, kind="stable")[: max(1, (na + 1) // 2)]
    with_closure = np.sort(rng.permutation(smaller)[:n_closure])
    min_gap_closure = np.full(na, np.nan)
    min_gap_closure[with_closure] = np.round(rng.uniform(0.1, 0.3, n_closure), 2)
    n_unlimited = 0 if na < 2 else max(n_closure, round(0.12 * na))
    others = np.setdiff1d(np.arange(na), with_closure)
    unlimited = np.sort(np.concatenate(
        [with_closure, rng.permutation(others)[: n_unlimited - n_closure]]))
    return _Allies(code, name, gdp, min_gap_closure, with_closure, unlimited)


def _items(rng: np.random.Generator, ni: int) -> _Items:
    """The items: codes IT001 ...; about 35 % expensive, at least one of each kind when
    there are two items or more; each drawn from its kind's catalogue and named with a
    type number counting the repeats; price log-uniform in the catalogue's range, to 3
    significant digits; priority 1-5; holding cost 0.5-1.5 % of the price a period.

    A shortfall penalty of 10-30 times the price, to 2 significant digits, where the
    configuration's default (1e6) would be below the price (price above 2e5), and for
    about 30 % of the other items."""
    code = _codes("IT", ni, 3)
    expensive = rng.random(ni) < 0.35
    if ni >= 2 and (expensive.all() or not expensive.any()):
        expensive[0] = not expensive[0]
    kind = np.where(expensive, rng.integers(0, len(_EXPENSIVE), ni),
                    rng.integers(0, len(_BULK), ni))
    catalogue = [(_EXPENSIVE if e else _BULK)[k] for e, k in zip(expensive, kind, strict=True)]
    base_name = pd.Series([c[0] for c in catalogue])
    variant = base_name.groupby(base_name).cumcount().to_numpy() + 1
    name = np.array([f"{n}, type {v}" for n, v in zip(base_name, variant, strict=True)],
                    dtype=object)
    unit = np.array([c[1] for c in catalogue], dtype=object)
    price = _round_significant(_log_uniform(
        rng, np.array([c[2] for c in catalogue]), np.array([c[3] for c in catalogue])), 3)
    priority = rng.integers(1, 6, ni).astype(float)
    has_penalty = (price > 2e5) | (rng.random(ni) < 0.3)
    shortfall_penalty = np.where(has_penalty,
                                 _round_significant(price * rng.uniform(10, 30, ni), 2), np.nan)
    holding_cost = np.round(price * rng.uniform(0.005, 0.015, ni), 2)
    return _Items(code, name, unit, expensive, price, priority, shortfall_penalty,
                  holding_cost)


def _stockpiles(rng: np.random.Generator, allies: _Allies, items: _Items,
                nt: int) -> _Stockpiles:
    """Goals, stocks and consumption per (ally, item).

    Each item's alliance-wide goal is worth a small share (1e-4 to 1e-3, log-uniform) of
    the alliance's gdp; allies take shares that grow with their economy (gdp^0.8 times a
    lognormal factor), at least one unit each. About 85 % of the (ally, item) pairs have
    stock on hand, 15-60 % of the goal.

    Consumption falls in about 30 % of the periods, in all at most 10-40 % of the stock
    on hand; rounding down keeps every cumulative sum within the stock, so buying
    nothing covers it (SPEC §4, 3)."""
    na, ni = len(allies.code), len(items.code)
    gdp, price = allies.gdp, items.price
    goal_value = gdp.sum() * _log_uniform(rng, 1e-4, 1e-3, ni)
    weight = gdp[:, None] ** 0.8 * rng.lognormal(0.0, 0.5, (na, ni))
    goal = np.maximum(1.0, np.round(goal_value / price * weight / weight.sum(axis=0)))
    has_stock = rng.random((na, ni)) < 0.85
    on_hand = np.where(has_stock, np.round(goal * rng.uniform(0.15, 0.6, (na, ni))), 0.0)
    uses = (rng.random((na, ni, nt)) < 0.3) * rng.uniform(0.5, 1.5, (na, ni, nt))
    total_use = uses.sum(axis=2, keepdims=True)
    allowance = (on_hand * rng.uniform(0.1, 0.4, (na, ni)))[:, :, None]
    consumption = np.floor(np.divide(uses * allowance, total_use,
                                     out=np.zeros_like(uses), where=total_use > 0))
    no_orders_stock = on_hand[:, :, None] - np.cumsum(consumption, axis=2)
    return _Stockpiles(goal, on_hand, consumption, no_orders_stock)


def _production(rng: np.random.Generator, allies: _Allies, items: _Items, nl: int) -> _Lines:
    """The production lines: one for each item while lines last; the other lines go to
    items at random, bulk items 1.5 times as often as expensive ones.

    A facility makes one item, or two: a pair of neighbouring lines making different
    items shares a facility a quarter of the time. About 80 % of the facilities are
    hosted by an ally, drawn in proportion to the square root of its gdp, the others by
    one of about na/8 suppliers outside the alliance (X01 ...). Unit cost 70-130 % of the
    item's price, to 3 significant digits; lead time 1-4 periods for an expensive item,
    0-2 for a bulk one."""
    na, ni = len(allies.code), len(items.code)
    expensive = items.expensive
    line_item = rng.permutation(ni)[: min(ni, nl)]
    if nl > ni:
        share = np.where(expensive, 1.0, 1.5)
        line_item = np.concatenate([line_item, rng.choice(ni, nl - ni, p=share / share.sum())])
    line_item = rng.permutation(line_item)
    joins = np.zeros(nl, dtype=bool)
    joins[1::2] = (line_item[1::2] != line_item[0:-1:2]) & (rng.random(nl // 2) < 0.25)
    line_facility = np.cumsum(~joins) - 1
    n_facilities = int(line_facility[-1]) + 1
    n_suppliers = max(1, round(na / 8))
    supplier = _codes("X", n_suppliers, 2)
    in_alliance = rng.random(n_facilities) < 0.8
    size = np.sqrt(allies.gdp)
    facility_host = np.where(
        in_alliance, allies.code[rng.choice(na, n_facilities, p=size / size.sum())],
        supplier[rng.integers(0, n_suppliers, n_facilities)])
    order = np.lexsort((line_item, line_facility))
    line_item, line_facility = line_item[order], line_facility[order]
    line_host = facility_host[line_facility]
    facility = _codes("F", n_facilities, 4)[line_facility]
    host_ally = pd.Index(allies.code).get_indexer(line_host)
    line_expensive = expensive[line_item]
    unit_cost = _round_significant(items.price[line_item] * rng.uniform(0.7, 1.3, nl), 3)
    lead_time = np.where(line_expensive, rng.integers(1, 5, nl), rng.integers(0, 3, nl))
    return _Lines(line_item, facility, line_host, host_ally, unit_cost, lead_time)


def _transport(rng: np.random.Generator, allies: _Allies, items: _Items,
               lines: _Lines) -> pd.DataFrame:
    """The Transport sheet, sorted by (from, to, item), a route's every-item row first.

    Every-item routes from each ally, and each line host outside the alliance, to
    another ally: about 40 % of the pairs, 10-300 a unit (log-uniform, 2 significant
    digits), a lead time of one period for 60 % of the routes from outside the
    alliance and 15 % of the others, else none.

    Item routes from a line host to another ally for an item it makes: about 20 of the
    candidates (a share of them between 3 and 50 %), 0.5-3 % of the item's price a unit,
    lead time 0 or 1."""
    ally, na = allies.code, len(allies.code)
    countries = np.concatenate([ally, np.unique(lines.host[lines.host_ally < 0])])
    route_from = np.repeat(countries, na)
    route_to = np.tile(ally, len(countries))
    keep = (route_from != route_to) & (rng.random(len(route_from)) < 0.4)
    route_from, route_to = route_from[keep], route_to[keep]
    outside = ~np.isin(route_from, ally)
    every_item = pd.DataFrame({
        "from": route_from,
        "to": route_to,
        "cost_per_unit": _round_significant(_log_uniform(rng, 10, 300, len(route_from)), 2),
        "item": None,
        "lead_time": (rng.random(len(route_from)) < np.where(outside, 0.6, 0.15)).astype(int),
    })
    made = pd.DataFrame({"from": lines.host, "item_index": lines.item}).drop_duplicates()
    candidates = made.loc[made.index.repeat(na)].assign(to=np.tile(ally, len(made)))
    candidates = candidates[candidates["from"] != candidates["to"]]
    chance = min(0.5, max(0.03, 20 / max(1, len(candidates))))
    named = candidates[rng.random(len(candidates)) < chance].reset_index(drop=True)
    named_price = items.price[named["item_index"].to_numpy()]
    per_item = pd.DataFrame({
        "from": named["from"].to_numpy(),
        "to": named["to"].to_numpy(),
        "cost_per_unit": _round_significant(named_price * rng.uniform(0.005, 0.03, len(named)),
                                            2),
        "item": items.code[named["item_index"].to_numpy()],
        "lead_time": rng.integers(0, 2, len(named)),
    })
    transport = pd.concat([every_item, per_item], ignore_index=True)
    return transport.sort_values(["from", "to", "item"], na_position="first",
                                 kind="stable", ignore_index=True)


def _restrictions(rng: np.random.Generator, allies: _Allies, items: _Items,
                  lines: _Lines) -> _Restrictions:
    """A few export controls, never cutting an ally off an item: each candidate of
    ``_restriction_candidates`` is kept, in turn, only if every item made on some line
    still has a line open to every ally once it applies."""
    ally, item = allies.code, items.code
    na, ni, nl = len(ally), len(item), len(lines.item)
    allowed = np.ones((nl, na), dtype=bool)
    restrictions = []
    candidates = _restriction_candidates(rng, na, ally, item, lines.facility, lines.host,
                                         lines.item, lines.host_ally)
    for host_, facility_, ally_, item_ in candidates:
        lines_hit = np.ones(nl, dtype=bool)
        if host_ is not None:
            lines_hit &= lines.host == host_
        if facility_ is not None:
            lines_hit &= lines.facility == facility_
        if item_ is not None:
            lines_hit &= item[lines.item] == item_
        allies_hit = np.ones(na, dtype=bool) if ally_ is None else ally == ally_
        trial = allowed & ~(lines_hit[:, None] & allies_hit[None, :])
        reachable = np.zeros((ni, na), dtype=int)
        np.add.at(reachable, lines.item, trial)
        if (reachable[np.unique(lines.item)] > 0).all():
            allowed = trial
            restrictions.append((host_, facility_, ally_, item_))
    table = pd.DataFrame(restrictions, columns=["host", "facility", "ally", "item"],
                         dtype=object)
    return _Restrictions(allowed, table)


def _line_capacity(rng: np.random.Generator, stockpiles: _Stockpiles, lines: _Lines,
                   nt: int) -> np.ndarray:
    """Capacity a period per line: each item's lines together make 50-120 % of the item's
    final gap (summed over the allies) over the horizon, at least one unit a period,
    split among them in gamma(2, 1)-distributed shares, each line at least one unit."""
    final_gap = stockpiles.final_gap.sum(axis=0)
    ni = len(final_gap)
    closable = rng.uniform(0.5, 1.2, ni)
    item_capacity = np.maximum(1.0, closable * final_gap / nt)
    spread = rng.gamma(2.0, 1.0, len(lines.item))
    line_share = spread / np.bincount(lines.item, spread, minlength=ni)[lines.item]
    return np.maximum(1.0, np.round(item_capacity[lines.item] * line_share))


def _capacity_overrides(rng: np.random.Generator, items: _Items, lines: _Lines,
                        capacity: np.ndarray, period: np.ndarray) -> _CapacityOverrides:
    """Capacity overrides: ramp-ups at the start, outages somewhere.

    About 12 % of the lines (at least one) ramp up over their first n = 1-4 periods (at
    most the horizon) at 1/(n+1), 2/(n+1) ... n/(n+1) of their capacity; about 8 % (at
    least one, if a line is left) fail for 1-2 periods from a random period, within the
    horizon, down to 0, 25 or 50 % of it.
    The Capacity sheet is sorted by line and period."""
    nl, nt = len(lines.item), len(period)
    chosen = rng.permutation(nl)
    n_ramp = min(nl, max(1, round(0.12 * nl)))
    n_out = min(nl - n_ramp, max(1, round(0.08 * nl)))
    ramping = chosen[:n_ramp]
    ramp_length = rng.integers(1, min(4, nt) + 1, n_ramp)
    ramp_line = np.repeat(ramping, ramp_length)
    ramp_period = ranges(ramp_length)
    ramp_level = (ramp_period + 1) / (np.repeat(ramp_length, ramp_length) + 1)
    failing = chosen[n_ramp:n_ramp + n_out]
    start = rng.integers(0, nt, n_out)
    out_length = np.minimum(rng.integers(1, 3, n_out), nt - start)
    out_line = np.repeat(failing, out_length)
    out_period = np.repeat(start, out_length) + ranges(out_length)
    out_level = np.repeat(rng.choice([0.0, 0.25, 0.5], n_out), out_length)
    override_line = np.concatenate([ramp_line, out_line]).astype(int)
    override_period = np.concatenate([ramp_period, out_period]).astype(int)
    override_level = np.concatenate([ramp_level, out_level])
    overrides_capacity = np.round(capacity[override_line] * override_level)
    table = pd.DataFrame({
        "facility": lines.facility[override_line],
        "item": items.code[lines.item[override_line]],
        "period": period[override_period],
        "capacity": overrides_capacity,
        "_line": override_line,
        "_t": override_period,
    }).sort_values(["_line", "_t"], ignore_index=True).drop(columns=["_line", "_t"])
    line_capacity = np.repeat(capacity[:, None], nt, axis=1)
    line_capacity[override_line, override_period] = overrides_capacity
    return _CapacityOverrides(line_capacity, table)


def _requirements(allies: _Allies, items: _Items, stockpiles: _Stockpiles, lines: _Lines,
                  allowed: np.ndarray, transport: pd.DataFrame,
                  line_capacity: np.ndarray) -> np.ndarray:
    """Readiness targets, (ally, item, period): the goal, ramped linearly from 60 % in the
    first period to all of it in period ⌈0.75·T⌉ (counting from 1) and after, rounded.
    Draws nothing.

    An ally with a minimum gap closure has no gap before the second period in which a
    delivery can reach it, and never a gap larger than its rule can close with 90 % of
    what the lines open to it can deliver by then, shared evenly among the allies with
    the rule (budget, work share and other allies' targets do not bind it; SPEC §4, 6
    and 8)."""
    ally, with_closure = allies.code, allies.with_closure
    na, ni, nt = len(ally), len(items.code), line_capacity.shape[1]
    goal, no_orders_stock = stockpiles.goal, stockpiles.no_orders_stock
    end_of_ramp = max(1, int(np.ceil(0.75 * nt)) - 1)
    ramp = np.minimum(1.0, 0.6 + 0.4 * np.arange(nt) / end_of_ramp)
    target = np.round(goal[:, :, None] * ramp[None, None, :])
    offset = _arrival_offsets(na, ally, items.code, lines.host, lines.item, lines.lead_time,
                              allowed, transport)
    earliest = np.full((na, ni), np.inf)
    np.minimum.at(earliest.T, lines.item, offset)
    deliverable = _deliverable(line_capacity, lines.item, offset[:, with_closure], ni)
    rule = allies.min_gap_closure[with_closure][:, None, None]
    closable_gap = np.floor(0.9 * deliverable / (rule * max(1, len(with_closure))))
    guarded = np.zeros((na, ni, nt), dtype=bool)
    guarded[with_closure] = (np.arange(nt)[None, None, :]
                             <= earliest[with_closure][:, :, None] + 1)
    target = np.where(guarded, np.minimum(target, no_orders_stock), target)
    target[with_closure] = np.minimum(target[with_closure],
                                      no_orders_stock[with_closure] + closable_gap)
    return target


def _expansion(rng: np.random.Generator, allies: _Allies, items: _Items, lines: _Lines,
               capacity: np.ndarray) -> pd.DataFrame:
    """The Expansion sheet: about 30 % of the lines (at least one) may grow by 30-100 % of
    their capacity (at least one unit), at 2-5 times the line's unit cost (3
    significant digits), lead time 1-4 periods.

    The payer is the host ally with chance 0.7 where an ally hosts the line; otherwise
    an ally drawn in proportion to its gdp while the same draw is below 0.85, else no
    one (a blank payer)."""
    ally, na = allies.code, len(allies.code)
    growing = _pick(rng, len(lines.item), 0.3, minimum=1)
    n_grow = len(growing)
    grow_host = lines.host_ally[growing]
    draw = rng.random(n_grow)
    other_payer = ally[rng.choice(na, n_grow, p=allies.gdp / allies.gdp.sum())]
    payer = np.where((grow_host >= 0) & (draw < 0.7), lines.host[growing],
                     np.where(draw < 0.85, other_payer, None))
    return pd.DataFrame({
        "facility": lines.facility[growing],
        "item": items.code[lines.item[growing]],
        "max_extra": np.maximum(1.0, np.round(capacity[growing] * rng.uniform(0.3, 1.0, n_grow))),
        "cost_per_unit": _round_significant(
            lines.unit_cost[growing] * rng.uniform(2, 5, n_grow), 3),
        "lead_time": rng.integers(1, 5, n_grow),
        "payer": payer,
    })


def _budgets(rng: np.random.Generator, allies: _Allies, items: _Items,
             stockpiles: _Stockpiles, period: np.ndarray) -> pd.DataFrame:
    """The Budgets sheet, for every ally with a budget limit: about what closing the
    ally's final gap costs, 50-150 % of it, spread evenly over the horizon and rising
    each period by 2 % of the first period's amount, to 3 significant digits."""
    na, nt = len(allies.code), len(period)
    gap_cost = (stockpiles.final_gap * items.price[None, :]).sum(axis=1)
    generosity = rng.uniform(0.5, 1.5, na)
    growth = 1.0 + 0.02 * np.arange(nt)
    budget = _round_significant(
        (gap_cost * generosity / nt)[:, None] * growth[None, :], 3)
    limited = np.setdiff1d(np.arange(na), allies.unlimited)
    return pd.DataFrame({
        "ally": np.repeat(allies.code[limited], nt),
        "period": np.tile(period, len(limited)),
        "budget": budget[limited].ravel(),
    })


def _work_share(rng: np.random.Generator, allies: _Allies, lines: _Lines) -> np.ndarray:
    """Work-share minimum per ally, NaN where none: 5-20 % for about 35 % of the allies
    that host a line, at least one of them if any may have one; never an ally with a
    minimum gap closure."""
    na = len(allies.code)
    hosts_line = np.zeros(na, dtype=bool)
    hosts_line[lines.host_ally[lines.host_ally >= 0]] = True
    eligible = hosts_line.copy()
    eligible[allies.with_closure] = False
    with_share = eligible & (rng.random(na) < 0.35)
    if eligible.any() and not with_share.any():
        with_share[np.flatnonzero(eligible)[0]] = True
    return np.where(with_share, np.round(rng.uniform(0.05, 0.2, na), 2), np.nan)


def _frames(period: np.ndarray, allies: _Allies, work_share_min: np.ndarray, items: _Items,
            whole_units: bool, stockpiles: _Stockpiles, lines: _Lines, capacity: np.ndarray,
            target: np.ndarray) -> dict[str, pd.DataFrame]:
    """The sheets the sections leave as arrays: Periods, Allies, Items (expensive items
    integer only with ``whole_units``), Production, Requirements (every (ally, item,
    period)), Stocks (the pairs with stock on hand) and Consumption (the nonzero
    quantities). Draws nothing."""
    ally, item = allies.code, items.code
    na, ni, nt = len(ally), len(item), len(period)
    on_hand, consumption = stockpiles.on_hand, stockpiles.consumption
    ally_index = np.repeat(np.arange(na), ni)
    item_index = np.tile(np.arange(ni), na)
    stocked = on_hand.ravel() > 0
    used = consumption > 0
    a_used, i_used, t_used = np.nonzero(used)
    return {
        "Periods": pd.DataFrame({"period": period}),
        "Allies": pd.DataFrame({
            "ally": ally, "name": allies.name, "gdp": allies.gdp,
            "min_gap_closure": allies.min_gap_closure, "min_gap_closure_from": None,
            "work_share_min": work_share_min, "fair_share": np.nan,
        }),
        "Items": pd.DataFrame({
            "item": item, "name": items.name, "unit": items.unit,
            "integer": items.expensive & whole_units,
            "priority": items.priority, "shortfall_penalty": items.shortfall_penalty,
            "holding_cost": items.holding_cost,
        }),
        "Production": pd.DataFrame({
            "facility": lines.facility, "host": lines.host, "item": item[lines.item],
            "capacity": capacity, "unit_cost": lines.unit_cost, "lead_time": lines.lead_time,
        }),
        "Requirements": pd.DataFrame({
            "ally": np.repeat(ally, ni * nt),
            "item": np.tile(np.repeat(item, nt), na),
            "period": np.tile(period, na * ni),
            "target": target.ravel(),
        }),
        "Stocks": pd.DataFrame({
            "ally": ally[ally_index[stocked]], "item": item[item_index[stocked]],
            "on_hand": on_hand.ravel()[stocked],
        }),
        "Consumption": pd.DataFrame({
            "ally": ally[a_used], "item": item[i_used], "period": period[t_used],
            "quantity": consumption[used],
        }),
    }


def _in_schema_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[SHEETS_BY_NAME[name].column_names].reset_index(drop=True)
    for column in SHEETS_BY_NAME[name].columns:
        if column.kind in (Kind.CODE, Kind.TEXT):
            frame[column.name] = frame[column.name].astype(object)
            frame.loc[frame[column.name].isna(), column.name] = None
    return frame


def _restriction_candidates(rng, na, ally, item, facility, line_host, line_item, host_ally):
    """Export controls to try, in order: (host, facility, ally, item), None for blank."""
    nl = len(facility)
    many, few = max(1, na // 8), max(1, na // 16)
    rows: list[tuple] = []
    outside = np.unique(line_host[host_ally < 0])
    if len(outside):  # a supplier outside the alliance may not deliver to an ally
        for k in range(many):
            rows.append((outside[k % len(outside)], None, ally[rng.integers(na)], None))
    for line in rng.permutation(nl)[:many]:  # a facility may not deliver an item to an ally
        rows.append((None, facility[line], ally[rng.integers(na)], item[line_item[line]]))
    inside = np.flatnonzero(host_ally >= 0)
    for line in rng.permutation(inside)[:few]:  # an ally exports an item to nobody
        rows.append((line_host[line], None, None, item[line_item[line]]))
    for line in rng.permutation(inside)[:few]:  # an ally supplies nothing to another
        receiver = ally[rng.integers(na)]
        if receiver != line_host[line]:
            rows.append((line_host[line], None, receiver, None))
    return [tuple(None if v is None else str(v) for v in row) for row in dict.fromkeys(rows)]


def _arrival_offsets(na, ally, item, line_host, line_item, lead_time, allowed,
                     transport) -> np.ndarray:
    """(line, ally) -> periods from an order on the line to its arrival at the ally (line
    lead time plus route lead time); infinity where a restriction forbids the delivery."""
    nl = len(line_item)
    pairs = pd.DataFrame({
        "from": np.repeat(line_host, na),
        "to": np.tile(ally, nl),
        "item": np.repeat(item[line_item], na),
    })
    _, route = route_terms(transport, pairs["from"], pairs["to"], pairs["item"])
    offset = np.repeat(lead_time, na) + route
    return np.where(allowed.ravel(), offset, np.inf).reshape(nl, na).astype(float)


def _deliverable(line_capacity: np.ndarray, line_item: np.ndarray, offset: np.ndarray,
                 ni: int) -> np.ndarray:
    """(ally, item, period) -> D(a,i,t) = Σ_ℓ Σ_{τ ≤ t − offset(ℓ,a)} capacity(ℓ,τ) over the
    lines ℓ of item i: the most the ally could have received by the end of t, for the
    allies (columns) of ``offset``; expansions not counted."""
    nl, nt = line_capacity.shape
    cumulative = np.concatenate([np.zeros((nl, 1)), np.cumsum(line_capacity, axis=1)], axis=1)
    ordered_by = np.arange(nt)[None, None, :] - offset[:, :, None] + 1  # periods open, (ℓ,a,t)
    reach = np.clip(np.nan_to_num(ordered_by, neginf=0), 0, nt).astype(int)
    received = np.take_along_axis(cumulative[:, None, :], reach, axis=2)
    deliverable = np.zeros((offset.shape[1], ni, nt))
    np.add.at(deliverable.transpose(1, 0, 2), line_item, received)
    return deliverable


_NUMBER_FORMATS = {
    "Allies": {"gdp": "#,##0", "min_gap_closure": "0%", "work_share_min": "0%"},
    "Items": {"shortfall_penalty": "#,##0", "holding_cost": "#,##0.00"},
    "Production": {"capacity": "#,##0", "unit_cost": "#,##0"},
    "Capacity": {"capacity": "#,##0"},
    "Expansion": {"max_extra": "#,##0", "cost_per_unit": "#,##0"},
    "Requirements": {"target": "#,##0"},
    "Stocks": {"on_hand": "#,##0"},
    "Consumption": {"quantity": "#,##0"},
    "Budgets": {"budget": "#,##0"},
    "Transport": {"cost_per_unit": "#,##0.00"},
    "Platforms": {"priority": "0"},
    "Compatibility": {"factor": "0.00"},
    "CapabilityTargets": {"target": "#,##0"},
    "AllianceTargets": {"target": "#,##0", "priority": "0"},
    "Frameworks": {"unit_price": "#,##0", "fee_per_unit": "#,##0.00"},
    "Funding": {"max_amount": "#,##0"},
    "BillOfMaterials": {"quantity": "0.0#"},
    "IndustryStocks": {"on_hand": "#,##0"},
}


def generate_workbook(
    path: str | Path, allies: int, items: int, lines: int, periods: int, seed: int = 0, *,
    whole_units: bool = True, platforms: int = 0, frameworks: int = 0,
    alliance_targets: int = 0, funding: int = 0, components: int = 0,
) -> Path:
    """Write a synthetic input workbook (every sheet of SPEC §2, with ``platforms`` those of
    §7.1 too, with ``frameworks`` the joint purchases of §7.2, with ``alliance_targets``
    its alliance targets, with ``funding`` its Funding rows, with ``components`` the
    components of §7.3, and a README) to ``path``."""
    tables = generate_tables(allies, items, lines, periods, seed, whole_units=whole_units,
                             platforms=platforms, frameworks=frameworks,
                             alliance_targets=alliance_targets, funding=funding,
                             components=components)
    readme = [
        ("title", ("Synthetic alliance data",)),
        ("text", ("These data are synthetic: made up by `stockpile generate` for "
                  "demonstrations, tests and benchmarks. They describe no real nation, "
                  "facility or stockpile.",)),
        ("heading", ("parameter", "value")),
        ("text", ("allies", str(allies))),
        ("text", ("items", str(items))),
        ("text", ("lines", str(lines))),
        ("text", ("periods", str(periods))),
        ("text", ("seed", str(seed))),
        ("text", ("whole units", "expensive items" if whole_units else "none (an LP)")),
        *([("text", ("platforms", f"at most {platforms} per ally"))] if platforms else []),
        *([("text", ("frameworks", f"at most {frameworks}"))] if frameworks else []),
        *([("text", ("alliance targets", f"{alliance_targets}, fair shares by gdp"))]
          if alliance_targets else []),
        *([("text", ("funding", f"{funding} pairs of allies"))] if funding else []),
        *([("text", ("components", f"{components} component items, each line using 1 to "
                                   f"{min(components, MOST_COMPONENTS_PER_LINE)}"))]
          if components else []),
        ("text", ("",)),
        ("text", ("The same parameters and seed always give the same workbook.",)),
    ]
    sheets = {
        name: SheetContent(frame, number_formats=_NUMBER_FORMATS.get(name, {}))
        for name, frame in tables.items()
    }
    return write_workbook(path, sheets, readme=readme)
