"""The report workbook of one ``stockpile solve`` run (SPEC §5).

Sheets, in order: Dashboard (the plan at a glance, with charts: ``optimizer.reports.dashboard``),
Summary, Allocation, Readiness (closure shaded red to green), Capabilities (only when the
input has capability targets, SPEC §7.1; shaded as Readiness), Burden sharing (only when
the input has alliance targets, SPEC §7.2: per ally and alliance target) and Burden by ally
(with it: per ally, the part of its fair share held shaded as Readiness), Budgets, Funding
(only when the input has a Funding sheet, SPEC §7.2), Capacity
(utilisation as a bar), Expansion, Bottlenecks (only when the input has a BillOfMaterials
sheet, SPEC §7.3: each component and final line, ranked by what one more unit of its
capacity is worth), Advice
(what relaxing each rule or limit would be worth, and up to where), Binding (the limits
the plan uses up, with the cell that set each), Rule prices (with
``explain.rule_prices``: each active rule's cost, then each ally's part of it),
Diagnosis (only for an infeasible input: the conflicting inputs), Transfers (only when
``rules.allow_transfers`` is on) and Run info. Every other sheet is written, with its
header, even when the run found no plan (infeasible, error): the
Summary and Run info sheets then say why.

Each table is declared once (``TableSpec`` in ``REPORT_TABLES``: its columns, each an
``optimizer.workbook.writer.Column``, and the codes and figures its readers type), and
made by one function named after its sheet (``summary_sheet``, ``allocation_sheet``, …,
``run_info_sheet``; ``report_sheets`` makes them all). ``report_tables(result)`` gives
the tables themselves, sheet -> frame under field names: the page of ``solve --html`` is
drawn from them, and ``optimizer.reports.readback`` reads a written report back into
them. Each Summary metric is declared once too (``SUMMARY_METRICS``), with whether it is
a headline figure or a cost term, so that readers pick rows by declaration, never by
the words of a note. Row 1 of a sheet shows readable headers, money ones naming
``[report] currency`` ("Total cost (EUR)"), each header cell's note names the field
("Field: total_cost. …"), and ``field_names`` maps headers back to fields for every
reader (compare, the HTML page, scripts). A quantity of one item shows that item's unit
in its cell ("1,200 missiles").

All writing goes through ``optimizer.workbook.writer.write_workbook``: strings are always text
(an input value such as ``=HYPERLINK(…)`` never becomes a formula), header rows are
frozen and filtered, and the save is atomic, so a failed write leaves any earlier
report intact. Tables with one value column of mixed kinds (Summary, Run info) get a
number format per cell through the sheet's ``decorate`` hook, which rewrites only
numbers and leaves every string exactly as ``write_workbook`` wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.explain.advice import UNIT_COLUMN
from optimizer.explain.binding import limit_unit
from optimizer.explain.diagnosis import COUNTED_IN, amount_unit
from optimizer.model.plan import gap_closed
from optimizer.model.status import FEASIBLE, OPTIMAL
from optimizer.outputs import Output, check_outputs
from optimizer.reports.dashboard import dashboard_sheet
from optimizer.tolerance import QUANTITY_TOLERANCE
from optimizer.workbook.data import item_units as units_of_items
from optimizer.workbook.writer import (
    COUNT,
    DUAL,
    ITEM_UNIT,
    MONEY,
    MONEY_UNIT,
    PERCENT,
    QUANTITY,
    SECONDS,
    TINY,
    WHOLE,
    Column,
    SheetContent,
    finite_number,
    money_format,
    quantity_format,
    table_sheet,
    write_workbook,
)

if TYPE_CHECKING:
    from optimizer.record import RunRecord

# --------------------------------------------------------------------------------------
# Number formats


PERCENT_NOTE = " In percent (0-100), not a fraction."
LEXICOGRAPHIC_NOTE = (" Lexicographic mode: the money saved at the new least weighted "
                      "shortfall, negative where one more unit lets the plan buy more (the "
                      "shortfall it closes is on the Binding and Advice sheets).")
DUAL_NOTE = (" A dual value of the final solve (for a problem with whole units, of the "
             "linear problem with the whole numbers fixed); blank when the solver gave none.")

# --------------------------------------------------------------------------------------
# The tables: columns in SPEC §5 order (extra columns after them), each declared once
# (``optimizer.workbook.writer.Column``): field name, readable header, unit, number format, note.
# Row 1 of a sheet shows the readable headers, with the money unit ([report] currency)
# in those of money; each header cell's note names its field, and the readers map the
# headers back to the fields (``field_names``).

ITEM = ITEM_UNIT
PER_UNIT = f"{MONEY_UNIT} per unit"

ALLOCATION = (
    Column("facility", "The production facility (from the Production sheet)."),
    Column("host", "The country where the facility is located.", header="host country"),
    Column("item", "The item ordered."),
    Column("ally", "The ally that orders, pays for and receives the units."),
    Column("order_period", "The period in which the order is placed and paid."),
    Column("delivery_period",
           "The period at whose end the units arrive in the ally's stock "
           "(order period + the line's lead time + the route's extra lead time)."),
    Column("quantity", "Units ordered, in the item's unit.", QUANTITY, unit=ITEM),
    Column("unit_cost", "Price per unit at the facility (money); for an order through a "
                        "framework, the framework's unit_price.", MONEY, unit=PER_UNIT),
    Column("transport_cost",
           "Transport cost per unit from the host country to the ally (money).", MONEY,
           unit=PER_UNIT),
    Column("total_cost", "quantity × (unit_cost + framework_fee + transport_cost), in "
                         "money: what the ally pays.", MONEY, unit=MONEY_UNIT),
    Column("framework", "The joint purchase (Frameworks) the ally orders through, at its "
                        "unit_price; blank: ordered from the line directly."),
    Column("framework_fee", "Fee per unit the ally pays the framework's lead on top of "
                            "unit_cost (0 for the lead and for direct orders; money).",
           MONEY, header="framework fee", unit=PER_UNIT),
)

READINESS = (
    Column("ally", "The ally that must hold the stock."),
    Column("item", "The item."),
    Column("period", "The period at whose end the target applies."),
    Column("target", "Stock the ally must hold at the end of the period (Requirements), "
                     "in the item's unit.", QUANTITY, unit=ITEM),
    Column("stock", "Stock the ally holds at the end of the period in this plan.", QUANTITY,
           unit=ITEM),
    Column("shortfall", "Units by which the stock misses the target (0: target met).",
           QUANTITY, unit=ITEM),
    Column("gap",
           "The readiness gap: target minus the stock the ally would hold with no new "
           "orders (0 when that stock already meets the target).", QUANTITY, unit=ITEM),
    Column("closed_pct", "Share of the gap this plan closes." + PERCENT_NOTE, PERCENT,
           header="gap closed", unit="%"),
    Column("marginal_cost",
           "How much the optimised objective worsens per extra unit of this target "
           "(in the objective's units: money in the cost phase)." + DUAL_NOTE, DUAL,
           header="cost of one more unit of target", unit=MONEY_UNIT),
    Column("priority", "The item's priority: weight of this shortfall in the weighted "
                       "shortfall.", QUANTITY),
    Column("requirements_row", "The row of this target on the input's Requirements sheet.",
           WHOLE, header="Requirements row"),
)

CAPABILITY = "units of capability"
CAPABILITIES = (
    Column("ally", "The ally that operates the platform."),
    Column("platform", "The platform (a weapon system, from the Platforms sheet)."),
    Column("period", "The period at whose end the target applies."),
    Column("target", "Capability the ally must hold at the end of the period "
                     "(CapabilityTargets): rounds the platform can fire, each item's units "
                     "counted with their Compatibility factor.", QUANTITY, unit=CAPABILITY),
    Column("held", "Capability the plan holds: Σ factor × units of each item counted toward "
                   "the platform; a unit of stock counts toward one platform only.",
           QUANTITY, unit=CAPABILITY),
    Column("shortfall", "Capability by which the plan misses the target (0: target met).",
           QUANTITY, unit=CAPABILITY),
    Column("closed_pct", "Share of the target the plan holds: 100 · (1 − shortfall / "
                         "target); 100 for a target of 0." + PERCENT_NOTE, PERCENT,
           header="target met", unit="%"),
    Column("marginal_cost",
           "How much the optimised objective worsens per extra unit of this target "
           "(in the objective's units: money in the cost phase)." + DUAL_NOTE, DUAL,
           header="cost of one more unit of target", unit=MONEY_UNIT),
    Column("items", "The units of stock counted toward the platform, item by item "
                    "(× factor where a unit counts less than one).", header="items counted",
           width=30),
    Column("priority", "The platform's priority (Platforms): weight of this shortfall in "
                       "the weighted shortfall.", QUANTITY),
    Column("capability_targets_row", "The row of this target on the input's "
                                     "CapabilityTargets sheet.", WHOLE,
           header="CapabilityTargets row"),
)

BURDEN_SHARING = (
    Column("ally", "The ally."),
    Column("item", "The item of the alliance target (AllianceTargets)."),
    Column("period", "The period at whose end the alliance target applies."),
    Column("fair_share_pct", "The ally's fair share of every alliance target "
                             "(Allies.fair_share; blank: gdp / total gdp)." + PERCENT_NOTE,
           PERCENT, header="fair share", unit="%"),
    Column("band_floor", "Stock the ally must hold to keep within the fair-share band: "
                         "(1 − rules.fair_share_band) × fair share × target; 0 with the band "
                         "off.", QUANTITY, header="band floor", unit=ITEM),
    Column("held", "Stock of the item the ally holds at the end of the period in this "
                   "plan.", QUANTITY, unit=ITEM),
    Column("held_share_pct", "The ally's share of the alliance's stock of the item at the "
                             "end of the period (0 where the alliance holds none)."
                             + PERCENT_NOTE, PERCENT, header="share of alliance stock held",
           unit="%"),
    Column("short_of_band", "Units by which the ally's stock misses its band floor, "
                            "counted in the weighted shortfall with the target's priority "
                            "(0: within the band).", QUANTITY, header="short of band",
           unit=ITEM),
    Column("alliance_shortfall", "Units by which the allies together miss the alliance "
                                 "target (the same on each ally's row).", QUANTITY,
           header="alliance shortfall", unit=ITEM),
    Column("priority", "The target's priority (AllianceTargets, blank: the item's): weight "
                       "of its shortfalls in the weighted shortfall.", QUANTITY),
)

# One row per ally (``Plan.burden``): each target counts with its priority, so that no
# item's units are added to another's.
BURDEN_BY_ALLY = (
    Column("ally", "The ally."),
    Column("fair_share_pct", "The ally's fair share of every alliance target "
                             "(Allies.fair_share; blank: gdp / total gdp)." + PERCENT_NOTE,
           PERCENT, header="fair share", unit="%"),
    Column("held_share_pct", "The ally's share of the alliance's stock at the ends of the "
                             "alliance targets' periods: 100 · Σ priority × held / Σ "
                             "priority × alliance's stock over the alliance targets (0 "
                             "where the alliance holds none)." + PERCENT_NOTE, PERCENT,
           header="share of alliance stock held", unit="%"),
    Column("spending", "Money the ally spends over the horizon: its spent on the Budgets "
                       "sheet, summed over the periods (orders, transport, transfers "
                       "received and expansions it pays for).", MONEY, unit=MONEY_UNIT),
    Column("spending_share_pct", "The ally's share of the money all allies spend (0 where "
                                 "none spends)." + PERCENT_NOTE, PERCENT,
           header="share of alliance spending", unit="%"),
    Column("funding_given", "Money the ally pays over the horizon for other allies' "
                            "purchases (Funding).", MONEY, header="funding given",
           unit=MONEY_UNIT),
    Column("funding_received", "Money other allies pay over the horizon for this ally's "
                               "purchases (Funding).", MONEY, header="funding received",
           unit=MONEY_UNIT),
    Column("framework_units", "Units the ally buys through frameworks (Frameworks) over "
                              "the horizon, of every item.", QUANTITY,
           header="units bought through frameworks"),
    Column("framework_spending", "Money the ally pays for what it buys through frameworks "
                                 "over the horizon, fees and transport included.", MONEY,
           header="spent through frameworks", unit=MONEY_UNIT),
    Column("closure_pct", "The part of its fair share of the alliance targets the ally "
                          "holds: 100 · Σ priority × min(held, fair share × target) / Σ "
                          "priority × fair share × target over the alliance targets; 100 "
                          "for a fair share of 0." + PERCENT_NOTE, PERCENT,
           header="fair share held", unit="%"),
    Column("closure_spread", "Largest − smallest fair share held across the allies, in "
                             "percentage points (the same on each ally's row; the "
                             "Summary's closure_spread): 0 when every ally holds the same "
                             "part of its fair share.", PERCENT, header="spread across allies",
           unit="points"),
)

BUDGETS = (
    Column("ally", "The ally whose budget this is."),
    Column("period", "The period."),
    Column("budget", "Money the ally can spend in the period (Budgets; 0 for a period the "
                     "ally left out).", MONEY, unit=MONEY_UNIT),
    Column("spent", "Money this plan spends in the period: orders, transport, transfers "
                    "received and expansions the ally pays for.", MONEY, unit=MONEY_UNIT),
    Column("funding_given", "Money this ally pays in the period for other allies' "
                            "purchases (Funding).", MONEY, header="funding given",
           unit=MONEY_UNIT),
    Column("funding_received", "Money other allies pay in the period for this ally's "
                               "purchases (Funding).", MONEY, header="funding received",
           unit=MONEY_UNIT),
    Column("fees_received", "Framework fees the ally receives in the period as a "
                            "framework's lead from its members' orders (Frameworks), which "
                            "its budget gains.", MONEY, header="framework fees received",
           unit=MONEY_UNIT),
    Column("remaining", "budget − spent − funding given + funding received + framework "
                        "fees received (money).", MONEY, unit=MONEY_UNIT),
    Column("marginal_value",
           "How much the optimised objective improves per extra unit of money in this "
           "budget (0: the budget does not limit the plan)." + LEXICOGRAPHIC_NOTE + DUAL_NOTE,
           DUAL, header="value of relaxing", unit=f"{MONEY_UNIT} saved per {MONEY_UNIT}"),
)

FUNDING = (
    Column("from", "The ally that pays (Funding.from)."),
    Column("to", "The ally whose purchases it pays for (Funding.to)."),
    Column("period", "The period in which the money is paid."),
    Column("amount", "Money paid: among plans of equal weighted shortfall and cost, the "
                     "least funding that reaches them.", MONEY, unit=MONEY_UNIT),
    Column("max_amount", "The most the pair may pay over the horizon (Funding.max_amount; "
                         "blank: no cap).", MONEY, header="cap", unit=MONEY_UNIT),
    Column("marginal_value",
           "How much the optimised objective improves per extra unit of money in the cap "
           "(0: the cap does not limit the plan; blank: no cap)." + LEXICOGRAPHIC_NOTE
           + DUAL_NOTE, DUAL, header="value of relaxing the cap",
           unit=f"{MONEY_UNIT} saved per {MONEY_UNIT}"),
    Column("funding_row", "The row of this pair on the input's Funding sheet.", WHOLE,
           header="Funding row"),
)

CAPACITY = (
    Column("facility", "The production facility."),
    Column("item", "The item the line makes."),
    Column("period", "The period."),
    Column("capacity", "Units the line can make in the period, including expansion "
                       "capacity online by then.", QUANTITY, unit=ITEM),
    Column("used", "Units ordered from the line in the period by all allies.", QUANTITY,
           unit=ITEM),
    Column("utilisation_pct", "used / capacity." + PERCENT_NOTE, PERCENT,
           header="utilisation", unit="%"),
    Column("marginal_value",
           "How much the optimised objective improves per extra unit of capacity on this "
           "line in this period (0: the capacity does not limit the plan)."
           + LEXICOGRAPHIC_NOTE + DUAL_NOTE, DUAL, header="value of relaxing",
           unit=f"{MONEY_UNIT} per unit of capacity"),
)

EXPANSION = (
    Column("facility", "The production facility to expand."),
    Column("item", "The item the line makes."),
    Column("period", "The period in which the investment is made and paid."),
    Column("extra_capacity", "Extra units per period built on the line.", QUANTITY,
           unit=ITEM),
    Column("cost", "extra_capacity × cost per unit of extra capacity (money).", MONEY,
           unit=MONEY_UNIT),
    Column("online_from", "The first period in which the extra capacity can be used."),
    Column("payer", "The ally whose budget pays (blank: funded outside the budgets)."),
)

TRANSFERS = (
    Column("from", "The ally that hands over stock.", header="from ally"),
    Column("to", "The ally that receives it.", header="to ally"),
    Column("item", "The item."),
    Column("period", "The period in which the stock leaves the giving ally."),
    Column("quantity", "Units handed over.", QUANTITY, unit=ITEM),
    Column("arrival_period", "The period at whose end the units arrive."),
    Column("transport_cost", "Transport cost per unit, paid by the receiving ally (money).",
           MONEY, unit=PER_UNIT),
    Column("total_transport_cost", "quantity × transport_cost (money).", MONEY,
           unit=MONEY_UNIT),
)

SIGN_NOTE = (" Positive: the plan gets better when the limit is relaxed by one step; "
             "negative: it gets worse (a cost: the step lets the plan buy more).")
FIGURE_COLUMNS = (
    Column("shortfall_closed", "Units of weighted shortfall closed per step (lexicographic "
                               "mode: phase 1's value; weighted mode: along the final "
                               "basis, blank when the solver gave none)." + SIGN_NOTE,
           QUANTITY, header="weighted shortfall closed per step"),
    Column("cost_saved", "Money saved per step (lexicographic mode: at the new least "
                         "weighted shortfall; negative: what the step costs)." + SIGN_NOTE,
           MONEY, header="cost saved per step", unit=MONEY_UNIT),
    Column("objective_improved", "Weighted mode: cost plus shortfall penalties saved per "
                                 "step." + SIGN_NOTE, MONEY,
           header="cost and penalties saved per step", unit=MONEY_UNIT),
)
HOW_NOTE = Column("how", "Where the figures come from: the dual of the linear program "
                         "(valid within holds_until), a re-solve with the limit moved one "
                         "step (whole-unit models, rule prices), or why it was not "
                         "measured.", header="how it is known", width=30)
SET_BY = "set by"

BOTTLENECKS = (
    Column("rank", "1 is the line whose one more unit of capacity is worth the most: by "
                   "weighted shortfall closed, then cost saved (lexicographic mode), or by "
                   "cost plus shortfall penalties saved (weighted mode), as Advice ranks "
                   "limits; ties by peak utilisation.", WHOLE),
    Column("role", "component: the line makes a component (an item BillOfMaterials names), "
                   "which fills the industry pool and no ally orders; final: the line makes "
                   "an item allies order and draws components for it."),
    Column("facility", "The production facility."),
    Column("host", "The country where the facility is located.", header="host country"),
    Column("item", "The item the line makes."),
    Column("draws", "The components one unit made on the line draws from the pool in the "
                    "period its production starts (BillOfMaterials), each in its unit.",
           width=30),
    Column("feeds", "For a component line: the final items its component goes into, with "
                    "the line that makes each, through every level of the bill.",
           header="goes into", width=24),
    Column("capacity", "Units the line can make over the horizon, including expansion "
                       "capacity online: summed over the periods in which what it starts "
                       "can arrive within the horizon.", QUANTITY, unit=ITEM),
    Column("used", "Units the line makes over those periods: orders from all allies (a "
                   "final line) or production into the pool (a component line).", QUANTITY,
           unit=ITEM),
    Column("utilisation_pct", "used / capacity over the horizon." + PERCENT_NOTE, PERCENT,
           header="utilisation", unit="%"),
    Column("peak_utilisation_pct", "The highest used / capacity in any one period."
           + PERCENT_NOTE, PERCENT, header="peak utilisation", unit="%"),
    Column("peak_period", "The first period of the peak utilisation (blank: the line makes "
                          "nothing).", header="peak period"),
    Column("shortfall_closed", "Weighted shortfall closed per unit of capacity more in the "
                               "most valuable period: that period's figure on the Binding "
                               "sheet (0: the line's capacity binds in no period; "
                               "blank: not known, the Binding sheet says why)."
           + SIGN_NOTE, QUANTITY, header="weighted shortfall closed per unit"),
    Column("cost_saved", "Money saved per unit of capacity more in the most valuable period "
                         "(lexicographic mode: at the new least weighted shortfall; "
                         "negative: what the unit costs), as on the Binding sheet."
           + SIGN_NOTE, DUAL, header="cost saved per unit", unit=MONEY_UNIT),
    Column("objective_improved", "Weighted mode: cost plus shortfall penalties saved per "
                                 "unit of capacity more in the most valuable period, as on "
                                 "the Binding sheet." + SIGN_NOTE, DUAL,
           header="cost and penalties saved per unit", unit=MONEY_UNIT),
    Column("period", "The period in which one more unit of the line's capacity is worth "
                     "the most (blank: in none is it worth anything).",
           header="most valuable period"),
    Column("limited_by", "The component lines worth something (a figure above 0) whose "
                         "components the line draws, at every level of the bill: the "
                         "components that limit its item.", header="limited by", width=24),
    Column("set_by", "The input cell that sets the line's capacity in the most valuable "
                     "period.", header=SET_BY),
)

STANDARDISATION = (
    Column("rank", "1 closes the most weighted shortfall, then costs least; blank: not "
                   "measured.", WHOLE),
    Column("platform", "The platform (Platforms) the item could serve once qualified."),
    Column("item", "The item of the candidate pair (Compatibility, qualified FALSE)."),
    Column("factor", "Units of capability each unit of the item would give the platform "
                     "(Compatibility), above 0 and at most 1.", DUAL),
    Column("cell", "The Compatibility cell that marks the pair a candidate.",
           header="set by (cell)"),
    Column("operators", "The allies that operate the platform."),
    Column("status", "Status of the re-solve with the pair qualified (same mode and "
                     "settings, checked by the independent verifier).",
           header="status qualified"),
    Column("value", "What qualifying the pair would do, in words; differences within the "
                    "solver's tolerance are none."),
    Column("shortfall_closed", "Weighted shortfall of the plan − with the pair qualified: "
                               "what qualifying closes (negative: leaves open).", QUANTITY,
           header="weighted shortfall closed"),
    Column("cost_more", "Total cost with the pair qualified − the plan's (money); negative: "
                        "it saves.", MONEY, header="cost more", unit=MONEY_UNIT),
    Column("units_counted", "Units of the item the re-solved plan counts toward the "
                            "platform: per ally the most in any one period, summed.",
           QUANTITY, unit=ITEM),
    Column("shortfall_closed_per_unit", "Weighted shortfall closed per unit counted.",
           DUAL, header="shortfall closed per unit counted"),
    Column("cost_more_per_unit", "Cost more per unit counted (money).", DUAL,
           header="cost more per unit counted", unit=MONEY_UNIT),
    Column("allies_gaining", "The allies whose own weighted shortfall falls.",
           header="allies gaining"),
    Column("weighted_shortfall_qualified", "Weighted shortfall of the plan with the pair "
                                           "qualified.", QUANTITY,
           header="weighted shortfall qualified"),
    Column("total_cost_qualified", "Total cost of the plan with the pair qualified "
                                   "(money).", MONEY, header="total cost qualified",
           unit=MONEY_UNIT),
)

ADVICE = (
    Column("rank", "1 is the most valuable: rule prices first, then the candidate "
                   "qualifications (Standardisation), then the limits by weighted "
                   "shortfall closed (lexicographic mode), then cost saved; in weighted "
                   "mode by cost plus shortfall penalties.", WHOLE),
    Column("kind", "rule, qualification (a candidate pair of Compatibility qualified), "
                   "or the family of the limit (capacity, budget, …)."),
    Column("advice", "What relaxing the rule or limit would be worth, in words."),
    *FIGURE_COLUMNS,
    Column("per", "The step: a unit of capacity, a million of budget (a unit of money "
                  "where the figures hold for less), a percentage point of a share, or the "
                  "whole rule.", header="step"),
    Column("holds_until", "The figures hold at least until the limit reaches this value "
                          "(HiGHS ranging), in the limit's unit; beyond it each further "
                          "step may be worth less, never more. Blank: no end within reach, "
                          "or not known.", QUANTITY),
    HOW_NOTE,
    Column("set_by", "The input cell or configuration key to change.", header=SET_BY,
           width=24),
)

BINDING = (
    Column("family", "The kind of limit: capacity, expansion limit, budget, minimum gap "
                     "closure, supplier share or work share (SPEC §4 constraints 1, 2, 5-8).",
           header="kind of limit"),
    Column("ally", "The ally the limit belongs to (blank for a production line's limits)."),
    Column("item", "The item."),
    Column("facility", "The production facility (capacity and expansion limits)."),
    Column("host", "The country hosting the facility, or whose share of the ally's "
                   "deliveries is capped (supplier share)."),
    Column("period", "The period the limit applies to (blank: the whole horizon)."),
    Column("limit", "The limit: the item's units, money, or a share in percent (0-100).",
           QUANTITY),
    Column("used", "How much of it the plan uses: equal to the limit, since it binds.",
           QUANTITY),
    Column("per", "The step of relaxing the figures are quoted for: a unit of capacity, a "
                  "million of budget, a percentage point of a share.", header="step"),
    *FIGURE_COLUMNS,
    HOW_NOTE,
    Column("set_by", "The input cell that set the limit, or the model configuration key.",
           header=SET_BY),
)

RULE_PRICES = (
    Column("rule", "A rule of the model configuration or the input that constrains this "
                   "plan: minimum gap closure, supplier share, work share, budgets without "
                   "carry-over."),
    Column("ally", "Blank: the rule's own row, for the whole plan. An ally: that ally's "
                   "part of the rule's row, one row per ally whose weighted shortfall or "
                   "cost the rule changes; the allies' rows add up to the rule's row (but "
                   "for expansions funded outside the budgets)."),
    Column("set_by", "Where the rule is set: input cells or model configuration keys.",
           header=SET_BY),
    Column("status", "Status of the solve without the rule (same mode and settings, "
                     "checked by the independent verifier).", header="status without it"),
    Column("price", "What the rule does to the plan, in words; differences within the "
                    "solver's tolerance are none."),
    Column("total_cost_without", "Total cost of the plan without the rule (money); on an "
                                 "ally's row, that ally's cost: its orders, transport, "
                                 "transfers received, expansions it pays for and holding "
                                 "of its stock.", MONEY, header="total cost without it",
           unit=MONEY_UNIT),
    Column("cost_of_rule", "Total cost with the rule − without it (money): what the rule "
                           "costs, or saves when negative; on an ally's row, the same for "
                           "that ally's cost.", MONEY, header="cost of the rule",
           unit=MONEY_UNIT),
    Column("weighted_shortfall_without", "Weighted shortfall of the plan without the rule; "
                                         "on an ally's row, that ally's.", QUANTITY,
           header="weighted shortfall without it"),
    Column("shortfall_of_rule", "Weighted shortfall with the rule − without it: the "
                                "readiness the rule gives up (negative: it gains); on an "
                                "ally's row, that ally's.", QUANTITY,
           header="weighted shortfall of the rule"),
    Column("without_the_rule", "On an ally's row: better off (its weighted shortfall falls "
                               "without the rule, or stays while its cost falls) or worse "
                               "off.", header="without the rule"),
)

DIAGNOSIS = (
    Column("kind", "conflict: a commitment of the input that cannot hold together with the "
                   "others; limit: a limit that holds the commitments back."),
    Column("rule", "The rule: stock cover of consumption, minimum gap closure, supplier "
                   "share, work share; or the limit's family."),
    Column("ally", "The ally concerned."),
    Column("item", "The item concerned."),
    Column("host", "The host country (supplier share).", header="host country"),
    Column("period", "The period concerned."),
    Column("amount", "conflict: by how much the commitment must give at the least (units, "
                     "or money for work share); limit: by how much the total that must "
                     "give falls per unit the limit is relaxed.", QUANTITY),
    Column("cell", "The input cell that made the commitment or set the limit, or the "
                   "model configuration key."),
    Column("explanation", "What conflicts, in the input's words."),
)

SUMMARY_COLUMNS = (
    Column("metric", "What is measured."),
    Column("value", "Its value in this run."),
    Column("note", "What the value means.", header="what it means"),
)

RUN_INFO_COLUMNS = (
    Column("section", "Which part of the run this line describes."),
    Column("key", "The setting or measurement."),
    Column("value", "Its value in this run."),
)

@dataclass(frozen=True)
class TableSpec:
    """One table sheet of the report, declared once for its writer and its readers: its
    columns (``Column``, in order), and the columns a reader types (``typed``): the
    codes that name a row (``keys``, read as text, never blank) and the figures readers
    add up (``figures``, read as numbers; blank only where ``blank_figures``: the report
    leaves such a figure blank for "none")."""

    columns: tuple[Column, ...]
    keys: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    blank_figures: bool = False

    def __post_init__(self) -> None:
        undeclared = set(self.typed_columns) - {column.name for column in self.columns}
        if undeclared:
            raise ValueError(f"typed columns not among the table's: {sorted(undeclared)}")

    @property
    def typed_columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.figures)

    def column(self, name: str) -> Column | None:
        """The declaration of the column ``name`` (None: the table has none)."""
        return next((column for column in self.columns if column.name == name), None)


# Every table sheet of the report, in the workbook's order (the Dashboard, no table,
# stands first), as its writer makes it (``report_tables``) and its readers find it
# (``field_names``, ``optimizer.reports.readback``).
REPORT_TABLES: dict[str, TableSpec] = {
    "Summary": TableSpec(SUMMARY_COLUMNS),
    "Allocation": TableSpec(ALLOCATION, keys=("facility", "item", "ally", "delivery_period"),
                            figures=("quantity", "total_cost")),
    "Readiness": TableSpec(READINESS, keys=("ally", "item", "period"),
                           figures=("gap", "shortfall", "priority")),
    "Capabilities": TableSpec(CAPABILITIES, keys=("ally", "platform", "period"),
                              figures=("target", "shortfall", "priority")),
    "Burden sharing": TableSpec(BURDEN_SHARING, keys=("ally", "item", "period"),
                                figures=("band_floor", "held", "short_of_band",
                                         "priority")),
    "Burden by ally": TableSpec(BURDEN_BY_ALLY, keys=("ally",),
                                figures=("fair_share_pct", "held_share_pct", "spending",
                                         "spending_share_pct", "closure_pct"),
                                blank_figures=True),
    "Budgets": TableSpec(BUDGETS, keys=("ally", "period"), figures=("budget", "spent"),
                         blank_figures=True),
    "Funding": TableSpec(FUNDING, keys=("from", "to", "period"), figures=("amount",)),
    "Capacity": TableSpec(CAPACITY, keys=("facility", "item", "period"),
                          figures=("capacity", "used"), blank_figures=True),
    "Expansion": TableSpec(EXPANSION),
    "Bottlenecks": TableSpec(BOTTLENECKS, keys=("role", "facility", "item"),
                             figures=("capacity", "used", "utilisation_pct",
                                      "peak_utilisation_pct")),
    "Advice": TableSpec(ADVICE),
    "Binding": TableSpec(BINDING),
    "Rule prices": TableSpec(RULE_PRICES),
    "Standardisation": TableSpec(STANDARDISATION, keys=("platform", "item")),
    "Diagnosis": TableSpec(DIAGNOSIS),
    "Transfers": TableSpec(TRANSFERS),
    "Run info": TableSpec(RUN_INFO_COLUMNS),
}
REPORT_SHEETS: dict[str, tuple[Column, ...]] = {
    sheet: spec.columns for sheet, spec in REPORT_TABLES.items()}
CURRENCY_KEY = ("configuration", "report.currency")  # where Run info names the currency
ITEM_UNITS = "item units"  # the Run info section: one row per item, its unit


CURRENCY_MARK = "\x00"  # stands for any currency in a heading matched by ``field_names``


def field_names(columns: tuple[Column, ...], headers: list[str]) -> list[str]:
    """The field name of each header of a sheet of ``columns``: its readable header
    (``Column.heading``, whatever money unit it names, or none) or the field name itself
    (a report written before readable headers) gives its field, in any case; any other
    header stays as it is."""
    known: dict[str, str] = {}
    patterns: list[tuple[re.Pattern, str]] = []
    for column in columns:
        for text in (column.name, column.heading()):
            known.setdefault(text.casefold(), column.name)
        if MONEY_UNIT in column.unit:
            # Any currency: the heading with a marker for it, the marker a word.
            text = re.escape(column.heading(CURRENCY_MARK).casefold())
            patterns.append((re.compile(text.replace(re.escape(CURRENCY_MARK), r"[^\s()]+")),
                             column.name))
    names = []
    for header in headers:
        text = str(header).strip().casefold()
        name = known.get(text) or next(
            (name for pattern, name in patterns if pattern.fullmatch(text)), str(header))
        names.append(name)
    return names


class SummaryMetric(NamedTuple):
    """A row of the Summary sheet: its value's number format, its note, and what its
    readers take it for: a headline figure (shown first, with status) or a cost term
    (one of the terms total_cost adds up, listed after the headline)."""

    number_format: str | None
    note: str
    headline: bool = False
    cost_term: bool = False


SUMMARY_METRICS: dict[str, SummaryMetric] = {
    "status": SummaryMetric(None, "optimal; feasible (stopped by a limit, NOT proven "
                                  "optimal); infeasible; error."),
    "message": SummaryMetric(None, "What the solver or the checks said."),
    "optimality": SummaryMetric(None, "Whether the plan is proven optimal."),
    "diagnosis": SummaryMetric(None, "Why no plan can meet every commitment: the first "
                                     "conflict; the Diagnosis sheet lists them all with "
                                     "their cells."),
    "total_cost": SummaryMetric(MONEY, "Total cost of the plan: the sum of the cost terms "
                                       "below (money).", headline=True),
    "weighted_shortfall": SummaryMetric(QUANTITY, "Σ priority × shortfall over every "
                                                  "readiness target and every capability "
                                                  "target, and over every alliance target "
                                                  "and its fair-share band (0: every "
                                                  "target met).",
                                        headline=True),
    "gap_closed_pct": SummaryMetric(PERCENT, "Share of the readiness gaps the plan closes, "
                                             "weighted by priority (a shell and a missile "
                                             "count as their priorities say): 100 · (1 − Σ "
                                             "priority × min(shortfall, gap) / Σ priority × "
                                             "gap), in percent (0-100); each item's own "
                                             "share follows.", headline=True),
    "capability_shortfall": SummaryMetric(QUANTITY, "Σ priority × shortfall over every "
                                                    "capability target (the Capabilities "
                                                    "sheet): the part of the weighted "
                                                    "shortfall the platforms leave open; the "
                                                    "rest is the readiness targets'."),
    "capability_met_pct": SummaryMetric(PERCENT, "Share of the capability targets the plan "
                                                 "holds, weighted by priority: 100 · (1 − Σ "
                                                 "priority × shortfall / Σ priority × "
                                                 "target), in percent (0-100)."),
    "alliance_shortfall": SummaryMetric(QUANTITY, "Σ priority × shortfall over every "
                                                  "alliance target and every ally's "
                                                  "fair-share band (the Burden sharing "
                                                  "sheet): the part of the weighted "
                                                  "shortfall they leave open."),
    "closure_spread": SummaryMetric(PERCENT, "Largest − smallest share of its fair share "
                                             "of the alliance targets an ally holds (the "
                                             "Burden by ally sheet), in percentage points: "
                                             "0 when every ally holds the same part of its "
                                             "fair share."),
    "equal_cost_plans": SummaryMetric(None, "Whether other plans reach the same cost and "
                                            "shortfall (found by the tie-break; "
                                            "explain.tie_break)."),
    "tie_break": SummaryMetric(None, "How this plan was chosen among plans of equal cost "
                                     "and shortfall: item by item, the largest share of any "
                                     "ally's gap left open is as small as it can be."),
    "movements": SummaryMetric(None, "What the plan moves between allies: among plans of "
                                     "equal cost and shortfall, the least any moves "
                                     "(explain.clean_plan)."),
    # The cost terms: the Summary's rows of ``Plan.cost_terms``, which total_cost adds up.
    "purchase_cost": SummaryMetric(MONEY, "Cost term: units ordered × price at the facility "
                                          "(money).", cost_term=True),
    "framework_fees": SummaryMetric(MONEY, "Cost term: fees framework members pay the "
                                           "lead on top of the framework's unit_price "
                                           "(money; the lead's budget receives them).",
                                    cost_term=True),
    "transport_cost": SummaryMetric(MONEY, "Cost term: transport of orders and transfers "
                                           "(money).", cost_term=True),
    "expansion_cost": SummaryMetric(MONEY, "Cost term: capacity expansions (money).",
                                    cost_term=True),
    "holding_cost": SummaryMetric(MONEY, "Cost term: holding cost of the stock at the end "
                                         "of every period (money).", cost_term=True),
    "component_cost": SummaryMetric(MONEY, "Cost term: what industry pays its component "
                                           "lines for the components they make (money; in "
                                           "no ally's budget, SPEC §7.3).", cost_term=True),
    "shortfall_penalty": SummaryMetric(MONEY, "Weighted mode: Σ shortfall_penalty × "
                                              "shortfall, the penalty in the objective "
                                              "(money)."),
    "allocation_rows_left_out": SummaryMetric(COUNT, "Orders left out of the Allocation "
                                                     "sheet, which holds at most Excel's "
                                                     "1,048,575 rows: the smallest by total "
                                                     "cost. Every order is in the plan."),
    "verifier_max_violation": SummaryMetric(TINY, "Largest violation of any constraint "
                                                  "found by the independent check, relative "
                                                  "to the constraint's size (0: every "
                                                  "constraint holds)."),
    "allies": SummaryMetric(COUNT, "Allies in the input."),
    "items": SummaryMetric(COUNT, "Items in the input."),
    "production_lines": SummaryMetric(COUNT, "Production lines (facility and item) in the "
                                             "input."),
    "periods": SummaryMetric(COUNT, "Planning periods."),
    "readiness_targets": SummaryMetric(COUNT, "Rows of the Requirements sheet."),
}
# The headline figures and the cost terms, in the Summary's order.
HEADLINE_METRICS = tuple(metric for metric, row in SUMMARY_METRICS.items() if row.headline)
COST_TERMS = tuple(metric for metric, row in SUMMARY_METRICS.items() if row.cost_term)

ITEM_CLOSURE = "gap_closed_pct."  # + an item code: the share of that item's gaps closed


# A metric not declared: a quantity (the Summary sheet), or of no number format (a
# reader's choice, as for the comparison's KPIs).
OTHER_METRIC = SummaryMetric(QUANTITY, "")
UNFORMATTED_METRIC = SummaryMetric(None, "")


def summary_metric(metric: str, default: SummaryMetric = OTHER_METRIC) -> SummaryMetric:
    """The declaration of a Summary metric (``SUMMARY_METRICS``; an item's
    ``gap_closed_pct.<item>``); ``default`` for any other."""
    if metric.startswith(ITEM_CLOSURE) and metric not in SUMMARY_METRICS:
        item = metric[len(ITEM_CLOSURE):]
        return SummaryMetric(PERCENT, f"Share of the gaps of {item} the plan closes, in the "
                                      "item's own unit: 100 · (1 − Σ min(shortfall, gap) / Σ "
                                      "gap) over its targets, in percent (0-100).")
    return SUMMARY_METRICS.get(metric, default)


MAX_WORST_VIOLATIONS = 20
MAX_WARNINGS = 1000


# --------------------------------------------------------------------------------------
# Where the report goes


def report_path(input_path: Path, out_dir: Path) -> Path:
    """``out_dir / "<input stem>_report.xlsx"``; an ``InputError`` when ``out_dir`` is a
    file, not a folder (``check_outputs`` checks the path itself)."""
    input_path, out_dir = Path(input_path), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"the report folder {out_dir} is a file, not a folder; "
                         "choose another folder with --out")
    return out_dir / f"{input_path.stem}_report.xlsx"


def report_output(path: Path) -> Output:
    """The report workbook as an output to check before solving."""
    return Output(Path(path), "the report", "--out")


# --------------------------------------------------------------------------------------
# Writing


def write_report(result: RunRecord, path: Path,
                 sheets: Mapping[str, SheetContent] | None = None) -> Path:
    """Write the report of ``result`` to ``path`` atomically and return the path.
    ``sheets``: its sheets when already made (``report_sheets(result)``), so that the
    workbook holds the very tables a page is drawn from (``tables_of``), its Run info's
    time written included."""
    path = Path(path)
    check_outputs([report_output(path)], {"the input workbook": result.input_path})
    return write_workbook(path, dict(sheets) if sheets is not None else report_sheets(result))


def report_tables(result: RunRecord) -> dict[str, pd.DataFrame]:
    """Every table of the report of ``result``: sheet -> frame, in the workbook's order
    (``REPORT_TABLES``; Rule prices, Diagnosis and Transfers when the run has them),
    columns under their field names, a blank None (NaN in a column of numbers). What
    ``optimizer.reports.readback.read_report`` reads back from the workbook."""
    return tables_of(report_sheets(result))


def tables_of(sheets: Mapping[str, SheetContent]) -> dict[str, pd.DataFrame]:
    """The tables of a report's sheets (``report_sheets``): every sheet's frame but the
    Dashboard's, which is no table."""
    return {sheet: content.frame for sheet, content in sheets.items() if sheet in REPORT_TABLES}


def report_sheets(result: RunRecord) -> dict[str, SheetContent]:
    """Every sheet of the report workbook of ``result``, in order: the Dashboard, then
    each table, made by the function named after its sheet."""
    allocation, left_out = allocation_sheet(result)
    sheets = {
        "Dashboard": dashboard_sheet(result),
        "Summary": summary_sheet(result, left_out),
        "Allocation": allocation,
        "Readiness": readiness_sheet(result),
    }
    if not result.data.capability_targets.empty:
        sheets["Capabilities"] = capabilities_sheet(result)
    if not result.data.alliance_targets.empty:
        sheets["Burden sharing"] = burden_sharing_sheet(result)
        sheets["Burden by ally"] = burden_by_ally_sheet(result)
    sheets["Budgets"] = budgets_sheet(result)
    if not result.data.funding.empty:
        sheets["Funding"] = funding_sheet(result)
    sheets |= {
        "Capacity": capacity_sheet(result),
        "Expansion": expansion_sheet(result),
    }
    if not result.data.bill_of_materials.empty:
        sheets["Bottlenecks"] = bottlenecks_sheet(result)
    sheets |= {
        "Advice": advice_sheet(result),
        "Binding": binding_sheet(result),
    }
    if result.rule_prices is not None:
        sheets["Rule prices"] = rule_prices_sheet(result)
    if result.standardisation is not None:
        sheets["Standardisation"] = standardisation_sheet(result)
    if result.diagnosis is not None:
        sheets["Diagnosis"] = diagnosis_sheet(result)
    if result.config.rules.allow_transfers:
        sheets["Transfers"] = transfers_sheet(result)
    sheets["Run info"] = run_info_sheet(result)
    return sheets


def _table(result: RunRecord, columns: tuple[Column, ...], frame: pd.DataFrame
           ) -> SheetContent:
    """``table_sheet`` of ``frame``: money in the run's currency, a quantity of one item
    in that item's unit."""
    return table_sheet(columns, frame, result.config.report.currency, item_units(result))


def allocation_sheet(result: RunRecord) -> tuple[SheetContent, int]:
    """The orders of the plan (``_allocation``), as many as a worksheet holds (the
    largest by total cost), and how many were left out; the framework and its fee only
    when the input has Frameworks."""
    plan = result.plan
    allocation = _allocation(plan.orders if plan is not None else None, _period_order(result))
    allocation, left_out = _within_excel_rows(allocation, "total_cost")
    columns = shown_columns(result, ALLOCATION)
    return _table(result, columns, allocation[[column.name for column in columns]]), left_out


def readiness_sheet(result: RunRecord) -> SheetContent:
    """Every readiness target, its gap closed shaded red to green."""
    plan = result.plan
    content = _table(result, READINESS, _frame(plan.readiness if plan is not None else None,
                                               READINESS, rename={"row": "requirements_row"}))
    content.decorate = _shaded("closed_pct", CLOSURE_SCALE)
    return content


def capabilities_sheet(result: RunRecord) -> SheetContent:
    """Every capability target (SPEC §7.1), the share of it met shaded red to green."""
    plan = result.plan
    content = _table(result, CAPABILITIES,
                     _frame(plan.capabilities if plan is not None else None, CAPABILITIES,
                            rename={"row": "capability_targets_row"}))
    content.decorate = _shaded("closed_pct", CLOSURE_SCALE)
    return content


def burden_sharing_sheet(result: RunRecord) -> SheetContent:
    """Per ally and alliance target (SPEC §7.2): its fair share, band floor, stock held,
    share of the alliance's stock held and what it lacks of its band, allies in the
    order of the Allies sheet."""
    plan = result.plan
    if plan is None:
        return _table(result, BURDEN_SHARING, _frame(None, BURDEN_SHARING))
    shares = plan.fair_shares.copy()
    alliance = plan.alliance.set_index(["item", "period"])
    key = pd.MultiIndex.from_frame(shares[["item", "period"]])
    total = key.map(alliance["held"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares["held_share_pct"] = np.where(
            total > 0, 100.0 * shares["held"].to_numpy(float) / total, 0.0)
    shares["fair_share_pct"] = 100.0 * shares["fair_share"].astype(float)
    shares["alliance_shortfall"] = key.map(alliance["shortfall"]).to_numpy(float)
    order = pd.Index(result.data.allies["ally"]).get_indexer(shares["ally"])
    shares = shares.iloc[np.argsort(order, kind="stable")]
    return _table(result, BURDEN_SHARING, _frame(shares, BURDEN_SHARING))


# Columns a sheet shows only when the input has rows in the sheet they come from (SPEC
# §7.2): a plan without funding or frameworks reads as before.
SHOWN_WITH = {"funding_given": "Funding", "funding_received": "Funding",
              "fees_received": "Frameworks", "framework": "Frameworks",
              "framework_fee": "Frameworks", "framework_units": "Frameworks",
              "framework_spending": "Frameworks"}


def shown_columns(result: RunRecord, columns: tuple[Column, ...],
                  always: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """``columns`` without those of ``SHOWN_WITH`` (but ``always``) whose sheet the input
    leaves empty."""
    return tuple(column for column in columns
                 if column.name not in SHOWN_WITH or column.name in always
                 or not result.data.table(SHOWN_WITH[column.name]).empty)


def burden_by_ally_sheet(result: RunRecord) -> SheetContent:
    """Per ally (SPEC §7.2, ``Plan.burden``): its fair share, its share of the alliance's
    stock and of its spending, the part of its fair share it holds (shaded red to green)
    and the spread of that part across the allies."""
    plan = result.plan
    # Funding given and received are part of every ally's burden (SPEC §7.2), 0 or not.
    columns = shown_columns(result, BURDEN_BY_ALLY, always=("funding_given",
                                                            "funding_received"))
    burden = _frame(plan.burden if plan is not None else None, columns)
    if plan is not None:
        burden["closure_spread"] = plan.closure_spread
    content = _table(result, columns, _blank_missing(burden))
    content.decorate = _shaded("closure_pct", CLOSURE_SCALE)
    return content


def budgets_sheet(result: RunRecord) -> SheetContent:
    """Every budget, what the plan spends of it and what is left; the funding given and
    received only when the input has a Funding sheet, the framework fees received only
    when it has Frameworks."""
    plan = result.plan
    columns = shown_columns(result, BUDGETS)
    return _table(result, columns, _frame(plan.budgets if plan is not None else None, columns))


def funding_sheet(result: RunRecord) -> SheetContent:
    """What each ally pays for another's purchases, per period (SPEC §7.2)."""
    plan = result.plan
    return _table(result, FUNDING, _frame(plan.funding if plan is not None else None, FUNDING,
                                          rename={"row": "funding_row"}))


def capacity_sheet(result: RunRecord) -> SheetContent:
    """Every line and period, its utilisation drawn as a bar."""
    plan = result.plan
    content = _table(result, CAPACITY,
                     _frame(plan.capacity if plan is not None else None, CAPACITY))
    content.decorate = _shaded("utilisation_pct", UTILISATION_BAR)
    return content


def expansion_sheet(result: RunRecord) -> SheetContent:
    """The expansions the plan builds (none of 0 extra capacity)."""
    plan = result.plan
    expansions = _frame(plan.expansions if plan is not None else None, EXPANSION)
    return _table(result, EXPANSION, _nonzero(expansions, "extra_capacity"))


def bottlenecks_sheet(result: RunRecord) -> SheetContent:
    """Every component and final line (SPEC §7.3, ``explain.bottlenecks``), most valuable
    first; cost and penalties saved only in weighted mode; utilisation drawn as a bar."""
    columns = BOTTLENECKS if result.config.objective.mode == "weighted" else tuple(
        column for column in BOTTLENECKS if column.name != "objective_improved")
    content = _table(result, columns, _frame(result.bottlenecks, columns))
    content.decorate = _shaded("peak_utilisation_pct", UTILISATION_BAR)
    return content


def advice_sheet(result: RunRecord) -> SheetContent:
    """The advice, holds_until in the unit of the limit it is about."""
    content = _table(result, ADVICE, _frame(result.advice, ADVICE))
    if result.advice is not None and UNIT_COLUMN in result.advice.columns:
        content.cell_formats["holds_until"] = [
            quantity_format(unit if isinstance(unit, str) else "")
            for unit in result.advice[UNIT_COLUMN]]
    return content


def binding_sheet(result: RunRecord) -> SheetContent:
    """The binding limits, limit and used in the unit of the limit."""
    binding = _frame(result.binding, BINDING)
    content = _table(result, BINDING, binding)
    currency, units = result.config.report.currency, item_units(result)
    counted_in = (result.binding["counted_in"] if result.binding is not None
                  else pd.Series(dtype=object))
    limit_formats = [quantity_format(limit_unit(measure, item, units, currency))
                     for measure, item in zip(counted_in, binding["item"], strict=True)]
    content.cell_formats.update(limit=limit_formats, used=limit_formats)
    return content


def rule_prices_sheet(result: RunRecord) -> SheetContent:
    return _table(result, RULE_PRICES, _frame(result.rule_prices, RULE_PRICES))


def standardisation_sheet(result: RunRecord) -> SheetContent:
    """Every candidate pair (SPEC §7.1), ranked by what qualifying it would close."""
    return _table(result, STANDARDISATION,
                  _frame(result.standardisation, STANDARDISATION))


def diagnosis_sheet(result: RunRecord) -> SheetContent:
    """The conflicting inputs of an infeasible run, each amount in its own unit."""
    diagnosis = _frame(result.diagnosis.table, DIAGNOSIS)
    content = _table(result, DIAGNOSIS, diagnosis)
    currency, units = result.config.report.currency, item_units(result)
    counted_in = result.diagnosis.table[COUNTED_IN]
    content.cell_formats["amount"] = [
        quantity_format(amount_unit(kind, measure, item, units, currency))
        for kind, measure, item in zip(diagnosis["kind"], counted_in, diagnosis["item"],
                                       strict=True)]
    return content


def transfers_sheet(result: RunRecord) -> SheetContent:
    """The transfers the plan makes (none of 0 units), with their transport cost."""
    plan = result.plan
    transfers = _nonzero(_frame(plan.transfers if plan is not None else None, TRANSFERS),
                         "quantity")
    transfers["total_transport_cost"] = _product(transfers["quantity"],
                                                 transfers["transport_cost"])
    return _table(result, TRANSFERS, transfers)


def item_units(result: RunRecord) -> dict[str, str]:
    """Item -> its unit (``optimizer.workbook.data.item_units``), from the run's input."""
    return units_of_items(result.data.items)


# Conditional formats: closure from red (0 %) through yellow to green (100 %); a bar
# for utilisation, full at 100 %.
CLOSURE_SCALE = {"type": "3_color_scale", "min_type": "num", "min_value": 0,
                 "mid_type": "num", "mid_value": 50, "max_type": "num", "max_value": 100,
                 "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"}
UTILISATION_BAR = {"type": "data_bar", "min_type": "num", "min_value": 0,
                   "max_type": "num", "max_value": 100, "bar_color": "#5B9BD5"}


def _shaded(column: str, rule: dict):
    """A sheet's decorate hook: ``rule`` (an xlsxwriter conditional format) on
    ``column``'s cells."""
    def decorate(sheet, workbook, frame: pd.DataFrame) -> None:
        if column in frame.columns and len(frame):
            index = list(frame.columns).index(column)
            sheet.conditional_format(1, index, len(frame), index, rule)
    return decorate


def _frame(source: pd.DataFrame | None, columns: tuple[Column, ...],
           rename: dict[str, str] | None = None) -> pd.DataFrame:
    """The report columns of a plan table, in order; a column the table lacks is blank;
    an absent table gives an empty, headed frame. Missing values become None."""
    names = [c.name for c in columns]
    if source is None:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    frame = source.rename(columns=rename or {}).reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    for name in names:
        out[name] = frame[name] if name in frame.columns else None
    return _blank_missing(out)


def _blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values (None, NaN, pd.NA, NaT) become blank cells: numeric columns become
    plain floats/ints with NaN, every other column objects with None."""
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiu":
            continue  # numpy numbers: NaN is written as a blank cell
        if pd.api.types.is_bool_dtype(column.dtype):
            frame[name] = column.astype(object).where(column.notna(), None)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            frame[name] = column.to_numpy(dtype=float, na_value=np.nan)
        else:
            frame[name] = column.astype(object).where(column.notna(), None)
    return frame


def _nonzero(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    values = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
    return frame[values.abs() > QUANTITY_TOLERANCE].reset_index(drop=True)


def _product(left: pd.Series, right: pd.Series) -> pd.Series:
    return pd.to_numeric(left, errors="coerce") * pd.to_numeric(right, errors="coerce")


def _period_order(result: RunRecord) -> dict[str, int]:
    """Period code -> position, in the input's sheet order."""
    return {str(period): index for index, period in enumerate(result.data.periods)}


def _allocation(orders: pd.DataFrame | None, periods: dict[str, int]) -> pd.DataFrame:
    frame = _nonzero(_frame(orders, ALLOCATION), "quantity")
    if frame.empty:
        return frame
    keys = pd.DataFrame({
        "ally": frame["ally"].astype(str),
        "item": frame["item"].astype(str),
        "order_period": frame["order_period"].astype(str).map(periods).fillna(len(periods)),
        "facility": frame["facility"].astype(str),
    })
    order = keys.sort_values(list(keys.columns), kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header row included


def _within_excel_rows(frame: pd.DataFrame, largest: str) -> tuple[pd.DataFrame, int]:
    """The rows a worksheet can hold: beyond Excel's limit, those with the largest
    ``largest`` (kept in their order); and how many were left out."""
    room = EXCEL_ROWS - 1
    if len(frame) <= room:
        return frame, 0
    kept = frame[largest].abs().nlargest(room, keep="first").index.sort_values()
    return frame.loc[kept].reset_index(drop=True), len(frame) - room


# --------------------------------------------------------------------------------------
# Summary and Run info: one value column of mixed kinds, a number format per row


def _summary_rows(result: RunRecord,
                  allocation_left_out: int = 0) -> list[tuple[str, object, str | None, str]]:
    summary = dict(result.summary())
    rows: list[tuple[str, object, str | None, str]] = []

    currency = result.config.report.currency

    def add(metric: str, value: object) -> None:
        row = summary_metric(metric)
        spec = money_format(currency) if row.number_format == MONEY else row.number_format
        rows.append((metric, value, spec, row.note))

    status = summary.pop("status", result.status)
    message = summary.pop("message", result.message)
    add("status", status)
    add("message", message)
    add("optimality", _optimality(str(status), str(message)))
    for metric in HEADLINE_METRICS:
        if metric in summary:
            add(metric, summary.pop(metric))
    if result.plan is not None:
        for item, closed in item_gap_closed(result.plan.readiness).items():
            add(f"{ITEM_CLOSURE}{item}", closed)
    for metric in ("equal_cost_plans", "tie_break", "movements"):
        if metric in summary:
            add(metric, summary.pop(metric))
    checked = "verifier_max_violation" in summary
    checks = summary.pop("verifier_max_violation", None)
    for metric, value in summary.items():  # the cost terms, and any other headline
        add(metric, value)
    if checked:
        add("verifier_max_violation", checks)
    if allocation_left_out:
        add("allocation_rows_left_out", allocation_left_out)
    for metric, value in _counts(result).items():
        add(metric, value)
    return rows


def item_gap_closed(readiness: pd.DataFrame) -> pd.Series:
    """Item -> the share of its gaps closed (``gap_closed`` unweighted: the rows of one
    item share a unit), the items in the order they first appear."""
    closed = gap_closed(readiness, by="item", weighted=False)
    return closed.reindex(pd.unique(readiness["item"]))


def _optimality(status: str, message: str) -> str:
    if status == OPTIMAL:
        return "yes: proven optimal"
    if status == FEASIBLE:
        return ("NO: the solver was stopped by a limit; this plan is feasible but NOT "
                "proven optimal" + (f" ({message})" if message else ""))
    return f"no plan: the run ended {status}; see the message"


def _counts(result: RunRecord) -> dict[str, int]:
    data = result.data
    return {
        "allies": len(data.allies),
        "items": len(data.items),
        "production_lines": len(data.production),
        "periods": len(data.periods),
        "readiness_targets": len(data.requirements),
    }


def summary_sheet(result: RunRecord, allocation_left_out: int = 0) -> SheetContent:
    rows = _summary_rows(result, allocation_left_out)
    frame = pd.DataFrame(
        {"metric": [r[0] for r in rows], "value": [r[1] for r in rows],
         "note": [r[3] for r in rows]},
        columns=["metric", "value", "note"],
    ).astype(object)
    content = table_sheet(SUMMARY_COLUMNS, frame)
    content.cell_formats = {"value": [r[2] for r in rows]}
    return content


def _run_info_rows(result: RunRecord) -> list[tuple[str, str, object, str | None]]:
    rows: list[tuple[str, str, object, str | None]] = []

    def add(section: str, key: str, value: object, spec: str | None = None) -> None:
        rows.append((section, key, value, spec))

    add("input", "file", str(Path(result.input_path).resolve()))
    add("input", "SHA-256", result.input_sha256)
    if result.scenario is not None:
        _scenario_rows(result.scenario, add)
    for key, value in result.effective_config.items():
        add("configuration", key, value)
    for item, unit in item_units(result).items():
        add(ITEM_UNITS, item, unit)
    add("solver", "name", result.solver)
    add("solver", "version", result.solver_version)
    add("result", "status", result.status)
    add("result", "message", result.message)
    for phase, seconds in result.timings.items():
        add("timings (seconds)", phase, seconds, SECONDS)
    if result.timings:
        add("timings (seconds)", "total", float(sum(result.timings.values())), SECONDS)
    for phase in result.phases:
        name = str(phase.get("phase", "solve"))
        add("solve phases", f"{name}: status", phase.get("status"))
        add("solve phases", f"{name}: message", phase.get("message"))
        add("solve phases", f"{name}: objective", phase.get("objective"), DUAL)
        add("solve phases", f"{name}: seconds", phase.get("seconds"), SECONDS)
    if result.weighted_shortfall_optimum is not None:
        add("solve phases", "weighted shortfall optimum (phase 1)",
            result.weighted_shortfall_optimum, QUANTITY)
    for key, value in result.model_size.items():
        add("model size", key, value, COUNT)
    _verification_rows(result, add)
    add("warnings", "count", len(result.warnings), COUNT)
    for problem in result.warnings[:MAX_WARNINGS]:
        add("warnings", problem.where, problem.message)
    if len(result.warnings) > MAX_WARNINGS:
        add("warnings", "…", f"{len(result.warnings) - MAX_WARNINGS} more not listed")
    add("tool", "version", result.tool_version)
    add("tool", "report written (UTC)",
        datetime.now(UTC).replace(microsecond=0).isoformat())
    return rows


def _scenario_rows(scenario, add) -> None:
    """The sweep case: its name and description as given, each setting and each edit."""
    add("scenario", "name", scenario.name)
    add("scenario", "description", scenario.description)
    for number, (_, key, value) in enumerate(scenario.settings, start=1):
        add("scenario", f"setting {number}", f"{key} = {value}")
    for number, edit in enumerate(scenario.edits, start=1):
        add("scenario", f"edit {number}", edit.sentence)
    if not scenario.settings and not scenario.edits:
        add("scenario", "changes", "none: the workbook and configuration as given")


def _verification_rows(result: RunRecord, add) -> None:
    money = money_format(result.config.report.currency)
    verification = result.verification
    if verification is None:
        add("verifier", "checked", "no: the run found no plan to check")
        return
    violations = verification.violations
    add("verifier", "passed", "yes" if verification.passed else "NO")
    add("verifier", "max violation (relative)", verification.max_violation, TINY)
    plan_cost = result.plan.total_cost if result.plan is not None else None
    add("verifier", "total cost recomputed", verification.total_cost, money)
    if plan_cost is not None:
        add("verifier", "total cost of the plan", plan_cost, money)
        add("verifier", "difference (recomputed − plan)",
            _difference(verification.total_cost, plan_cost), DUAL)
    add("verifier", "weighted shortfall recomputed", verification.weighted_shortfall, QUANTITY)
    if result.plan is not None:
        add("verifier", "weighted shortfall of the plan", result.plan.weighted_shortfall,
            QUANTITY)
    for term, value in verification.cost_terms.items():
        add("verifier", f"{term} recomputed", value, money)
    for family, count in verification.checked.items():
        add("verifier checks (count)", str(family), count, COUNT)
    add("verifier", "violations found", len(violations), COUNT)
    for number, violation in enumerate(violations[:MAX_WORST_VIOLATIONS], start=1):
        add("verifier worst violations", f"{number}", violation.sentence)


def _difference(left: object, right: object) -> float | None:
    a, b = finite_number(left), finite_number(right)
    return None if a is None or b is None else a - b


def run_info_sheet(result: RunRecord) -> SheetContent:
    rows = _run_info_rows(result)
    frame = pd.DataFrame(
        {"section": [r[0] for r in rows], "key": [r[1] for r in rows],
         "value": [r[2] for r in rows]},
        columns=["section", "key", "value"],
    ).astype(object)
    content = table_sheet(RUN_INFO_COLUMNS, frame)
    content.cell_formats = {"value": [r[3] for r in rows]}
    return content


__all__ = ["REPORT_TABLES", "SummaryMetric", "TableSpec", "report_output", "report_path",
           "report_sheets", "report_tables", "tables_of", "write_report"]
