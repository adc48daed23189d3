"""The input workbook contract (SPEC §2) as data.

This table is the single source of truth for sheet names, columns, kinds, defaults,
ranges, keys and references. The reader validates against it, the template writes its
headers, data validation and README sheet from it, and the generator writes its columns.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from optimizer.errors import Problem


class Kind(StrEnum):
    """What a column holds, and so how its cells are read and checked."""

    CODE = "code"  # trimmed text; a number is read as its text (2027 -> "2027")
    TEXT = "text"  # free text, trimmed
    NUMBER = "number"  # number >= 0 within the solver's reach (optimizer.reach)
    WHOLE = "whole"  # whole number >= 0 (lead times, in periods)
    SHARE = "share"  # number in [0, 1]
    BOOLEAN = "boolean"  # TRUE/FALSE, yes/no, 1/0


@dataclass(frozen=True)
class Column:
    """One column of an input sheet."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    default: object = None
    unit: str = ""
    # "ally", "item", "period", "facility", "country", "platform" or "framework"
    refers_to: str | None = None
    # A share above 1 and at most 100 is reported as a percentage typed as it reads (50
    # for 50 %); not where such a number is no percentage (a factor above 1).
    percent_hint: bool = True


@dataclass(frozen=True)
class Sheet:
    """One input sheet: its columns, the columns that identify a row, and its meaning."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    must_have_rows: bool = False
    without: str = ""  # an optional sheet: what planning without it means ("... to <without>")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


EXAMPLE_PREFIX = "EXAMPLE-"
"""Codes of the template's example rows start with this; ``stockpile validate`` warns about
a row that still holds one."""

_ALLY = "Ally code, as defined in Allies."
_ITEM = "Item code, as defined in Items."
_PERIOD = "Period code, as defined in Periods."

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Periods",
        "Planning periods, in the order they follow each other (e.g. 2027Q1, 2027Q2 ...).",
        (Column("period", Kind.CODE, "Period code.", required=True),),
        key=("period",),
        required=True,
        must_have_rows=True,
    ),
    Sheet(
        "Allies",
        "The nations that buy: one row per ally.",
        (
            Column("ally", Kind.CODE, "Ally code, e.g. an ISO 3166 code such as POL.", True),
            Column("name", Kind.TEXT, "Full name, for reports."),
            Column("gdp", Kind.NUMBER, "Gross domestic product, for reference.", unit="money"),
            Column(
                "min_gap_closure",
                Kind.SHARE,
                "Share of every readiness gap this ally must close at least "
                "(blank: the model configuration's rules.min_gap_closure).",
                unit="share 0-1",
            ),
            Column(
                "work_share_min",
                Kind.SHARE,
                "Value made by this ally's own industry, as a share of its spending, at least "
                "(blank: no work-share rule).",
                unit="share 0-1",
            ),
            # Last, so that rows written by position before it existed still read.
            Column(
                "min_gap_closure_from",
                Kind.CODE,
                "First period in which this ally's min_gap_closure applies; before it, the "
                "ally need only end no period worse off than with no new orders (blank: "
                "the model configuration's rules.min_gap_closure_from).",
                refers_to="period",
            ),
            Column(
                "fair_share",
                Kind.SHARE,
                "This ally's share of every alliance target (AllianceTargets); give it for "
                "every ally or for none, the shares summing to 1 (blank for every ally: "
                "gdp / total gdp, when gdp is given for every ally).",
                unit="share 0-1",
            ),
        ),
        key=("ally",),
        required=True,
        must_have_rows=True,
    ),
    Sheet(
        "Items",
        "Munitions and equipment to stock: one row per item.",
        (
            Column("item", Kind.CODE, "Item code.", True),
            Column("name", Kind.TEXT, "Full name, for reports."),
            Column("unit", Kind.TEXT, "Unit of count, e.g. rounds, missiles."),
            Column("integer", Kind.BOOLEAN, "Whole units only.", default=False),
            Column("priority", Kind.NUMBER, "Weight of a unit of shortfall.", default=1.0),
            Column(
                "shortfall_penalty",
                Kind.NUMBER,
                "Weighted mode: cost per unit of shortfall "
                "(blank: the model configuration's objective.shortfall_penalty).",
                unit="money per unit",
            ),
            Column(
                "holding_cost",
                Kind.NUMBER,
                "Cost per unit in stock at the end of a period.",
                default=0.0,
                unit="money per unit per period",
            ),
        ),
        key=("item",),
        required=True,
        must_have_rows=True,
    ),
    Sheet(
        "Production",
        "Production lines: a facility making one item, located in a host country.",
        (
            Column("facility", Kind.CODE, "Facility code.", True),
            Column(
                "host",
                Kind.CODE,
                "Country the facility is in: an ally code, or any other code for a "
                "supplier outside the alliance.",
                True,
            ),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("capacity", Kind.NUMBER, "Units per period.", True, unit="units per period"),
            Column("unit_cost", Kind.NUMBER, "Price per unit.", True, unit="money per unit"),
            Column(
                "lead_time",
                Kind.WHOLE,
                "Whole periods from order to delivery.",
                default=0,
                unit="periods",
            ),
        ),
        key=("facility", "item"),
        required=True,
    ),
    Sheet(
        "Capacity",
        "Replaces a line's capacity in one period (ramp-up, outages).",
        (
            Column("facility", Kind.CODE, "Facility code (as in Production).", True),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("capacity", Kind.NUMBER, "Units in that period.", True, unit="units per period"),
        ),
        key=("facility", "item", "period"),
        without="keep every line's capacity the same in every period",
    ),
    Sheet(
        "Expansion",
        "Extra capacity that can be built on a line.",
        (
            Column("facility", Kind.CODE, "Facility code (as in Production).", True),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column(
                "max_extra",
                Kind.NUMBER,
                "Most extra capacity that can be built, in all.",
                True,
                unit="units per period",
            ),
            Column(
                "cost_per_unit",
                Kind.NUMBER,
                "One-off cost per unit of extra capacity per period.",
                True,
                unit="money per (unit per period)",
            ),
            Column(
                "lead_time",
                Kind.WHOLE,
                "Periods after the period of investment when the extra capacity is usable.",
                default=1,
                unit="periods",
            ),
            Column(
                "payer",
                Kind.CODE,
                "Ally whose budget pays (blank: funded outside the budgets).",
                refers_to="ally",
            ),
        ),
        key=("facility", "item"),
        without="plan without building capacity",
    ),
    Sheet(
        "Requirements",
        "Readiness targets: stock an ally must hold at the end of a period.",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("target", Kind.NUMBER, "Stock to hold at the end of the period.", True,
                   unit="units"),
        ),
        key=("ally", "item", "period"),
        required=True,
    ),
    Sheet(
        "Stocks",
        "Stock on hand at the start of the first period (missing: 0).",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("on_hand", Kind.NUMBER, "Units on hand.", True, unit="units"),
        ),
        key=("ally", "item"),
        without="start every stock at 0",
    ),
    Sheet(
        "Consumption",
        "Units that leave an ally's stock during a period (use, training, donations).",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("quantity", Kind.NUMBER, "Units used in the period.", True, unit="units"),
        ),
        key=("ally", "item", "period"),
        without="plan with no consumption",
    ),
    Sheet(
        "Budgets",
        "Money an ally can spend in a period. An ally with no row has no limit; an ally "
        "with some rows has 0 in the periods it leaves out.",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("budget", Kind.NUMBER, "Money available in the period.", True, unit="money"),
        ),
        key=("ally", "period"),
        without="plan without budgets",
    ),
    Sheet(
        "Transport",
        "Cost and extra lead time to move an item from a country to an ally. Blank item: "
        "every item; a row naming the item replaces it for that item. No row: free, no delay.",
        (
            Column(
                "from",
                Kind.CODE,
                "Country the item leaves: a line's host, or an ally giving stock.",
                True,
                refers_to="country",
            ),
            Column("to", Kind.CODE, "Receiving ally.", True, refers_to="ally"),
            Column("cost_per_unit", Kind.NUMBER, "Cost per unit moved.", True,
                   unit="money per unit"),
            Column("item", Kind.CODE, "Item code (blank: every item).", refers_to="item"),
            Column("lead_time", Kind.WHOLE, "Extra periods in transit.", default=0,
                   unit="periods"),
        ),
        key=("from", "to", "item"),
        without="move every item free and without delay",
    ),
    Sheet(
        "Restrictions",
        "Export controls: each row forbids deliveries matching all its non-blank fields. A row "
        "with a blank facility also applies to transfers, the giving ally acting as host.",
        (
            Column("host", Kind.CODE, "Host country of the line (or giving ally).",
                   refers_to="country"),
            Column("facility", Kind.CODE, "Facility code (as in Production).",
                   refers_to="facility"),
            Column("ally", Kind.CODE, "Receiving ally.", refers_to="ally"),
            Column("item", Kind.CODE, "Item code.", refers_to="item"),
        ),
        without="plan without export controls",
    ),
    Sheet(
        "Platforms",
        "Weapon systems an ally operates (e.g. POL, KRAB), whose capability targets count "
        "every item the platform can fire (SPEC §7.1).",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("platform", Kind.CODE, "Platform code (a weapon system, e.g. KRAB).", True),
            Column("priority", Kind.NUMBER, "Weight of this platform's shortfall (0 or more).",
                   default=1.0),
        ),
        key=("ally", "platform"),
        without="plan without capability targets",
    ),
    Sheet(
        "Compatibility",
        "Which items each platform can fire, and how much of its capability each unit "
        "gives; qualified FALSE marks a candidate not yet qualified, whose worth the "
        "Standardisation sheet measures.",
        (
            Column("platform", Kind.CODE, "Platform code, as defined in Platforms.", True,
                   refers_to="platform"),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("factor", Kind.SHARE, "Units of capability per unit of the item, above 0 "
                   "and at most 1 (below 1: e.g. provisional firing tables).", default=1.0,
                   unit="share 0-1", percent_hint=False),
            Column("qualified", Kind.BOOLEAN, "TRUE: the item is qualified for the platform; "
                   "FALSE: a candidate pair.", default=True),
        ),
        key=("platform", "item"),
        without="plan without capability targets",
    ),
    Sheet(
        "CapabilityTargets",
        "Units of capability (rounds a platform can fire, counted with their factors) an "
        "ally must hold at the end of a period.",
        (
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
            Column("platform", Kind.CODE, "Platform code, as defined in Platforms.", True,
                   refers_to="platform"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("target", Kind.NUMBER, "Units of capability to hold.", True,
                   unit="units of capability"),
        ),
        key=("ally", "platform", "period"),
        without="plan without capability targets",
    ),
    Sheet(
        "AllianceTargets",
        "Stock the alliance as a whole must hold at the end of a period, summed over the "
        "allies, each of which holds its fair share (Allies.fair_share) within "
        "rules.fair_share_band (SPEC §7.2).",
        (
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("period", Kind.CODE, _PERIOD, True, refers_to="period"),
            Column("target", Kind.NUMBER, "Units the allies together hold at the end of the "
                   "period.", True, unit="units"),
            Column("priority", Kind.NUMBER, "Weight of a unit of this target's shortfall "
                   "(blank: the item's priority)."),
        ),
        key=("item", "period"),
        without="plan without alliance targets",
    ),
    Sheet(
        "Frameworks",
        "Joint purchases on a line (SPEC §7.2): the lead orders through the framework at "
        "unit_price, each member (FrameworkMembers) at unit_price plus fee_per_unit, which "
        "the lead receives into its budget; ordering from the line directly still costs "
        "its unit_cost.",
        (
            Column("framework", Kind.CODE, "Framework code, e.g. NSPA-155.", True),
            Column("facility", Kind.CODE, "Facility code of the line (as in Production).",
                   True),
            Column("item", Kind.CODE, _ITEM, True, refers_to="item"),
            Column("lead", Kind.CODE, "The ally that leads the purchase.", True,
                   refers_to="ally"),
            Column("unit_price", Kind.NUMBER, "Price per unit through the framework, "
                   "typically the pooled price below what one nation pays (blank: the "
                   "line's unit_cost).", unit="money per unit"),
            Column("fee_per_unit", Kind.NUMBER, "What a member pays the lead per unit on "
                   "top of unit_price.", default=0.0, unit="money per unit"),
        ),
        key=("framework",),
        without="plan without joint purchases",
    ),
    Sheet(
        "FrameworkMembers",
        "Who may order through a framework besides its lead (SPEC §7.2).",
        (
            Column("framework", Kind.CODE, "Framework code, as defined in Frameworks.", True,
                   refers_to="framework"),
            Column("ally", Kind.CODE, _ALLY, True, refers_to="ally"),
        ),
        key=("framework", "ally"),
        without="let only each framework's lead order through it",
    ),
    Sheet(
        "Funding",
        "Which ally may pay for another ally's purchases (buying for others), and how "
        "much over the horizon (SPEC §7.2).",
        (
            Column("from", Kind.CODE, "The ally that pays.", True, refers_to="ally"),
            Column("to", Kind.CODE, "The ally whose purchases it pays for.", True,
                   refers_to="ally"),
            Column("max_amount", Kind.NUMBER, "The most it pays over the horizon (blank: no "
                   "cap).", unit="money"),
        ),
        key=("from", "to"),
        without="plan without funding between allies",
    ),
    Sheet(
        "BillOfMaterials",
        "What each unit a line makes uses up of its components (explosive, propellant, "
        "fuzes …), in the period production starts (SPEC §7.3). A component is an item "
        "made by lines of its own, from which no ally orders: they fill an alliance-wide "
        "industry pool.",
        (
            Column("facility", Kind.CODE, "Facility code of the line that uses the "
                   "component (as in Production).", True),
            Column("item", Kind.CODE, "Item the line makes.", True, refers_to="item"),
            Column("component", Kind.CODE, "Item used up, as defined in Items.", True,
                   refers_to="item"),
            Column("quantity", Kind.NUMBER, "Units of the component per unit made (more "
                   "than 0).", True, unit="component units per unit"),
        ),
        key=("facility", "item", "component"),
        without="plan without components: every line makes what its capacity allows",
    ),
    Sheet(
        "IndustryStocks",
        "Components industry holds at the start of the first period (missing: 0).",
        (
            Column("component", Kind.CODE, "Component item, as used in BillOfMaterials.",
                   True, refers_to="item"),
            Column("on_hand", Kind.NUMBER, "Units on hand.", default=0.0, unit="units"),
        ),
        key=("component",),
        without="start every component pool at 0",
    ),
)

SHEETS_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}

DEFINED_BY: dict[str, tuple[str, str]] = {
    "ally": ("Allies", "ally"),
    "item": ("Items", "item"),
    "period": ("Periods", "period"),
    "facility": ("Production", "facility"),
    "platform": ("Platforms", "platform"),
    "framework": ("Frameworks", "framework"),
}
"""The sheet and column that define the codes of each ``Column.refers_to`` kind. A country
has no single defining column: it is an ally or any production host."""

NOTE_SHEETS = ("README", "Sources")
"""Sheets of notes beside the data (the template's README, the sample's Sources): read by
no one, and ignored without a warning."""


def normalise_name(name: object) -> str:
    """Sheet and column names are matched after trimming spaces and ignoring case."""
    return str(name).strip().casefold()


CLOSE_RATIO = 0.85
# difflib's ratio 2·M/(|a|+|b|) of two names, M the characters they share in order. One
# letter left out or added in a name of six or more letters scores above 0.85
# ('capacty' 0.93, 'Budget' 0.92); one letter replaced in a short code does not
# ('2027Q3' against '2027Q2' 0.83, 'F0001' against 'F0002' 0.80), since that is more
# often another code than a slip.
_SEPARATORS = re.compile(r"[\s_\-./]+")


def _spelling(name: str) -> str:
    """A name with case and separators ignored: 'Min gap-closure' -> 'mingapclosure'."""
    return _SEPARATORS.sub("", str(name).casefold())


def _singular(spelling: str) -> str:
    """An English plural made singular: allies -> ally, budgets -> budget."""
    if spelling.endswith("ies") and len(spelling) > 4:
        return spelling[:-3] + "y"
    if spelling.endswith("s") and not spelling.endswith("ss") and len(spelling) > 3:
        return spelling[:-1]
    return spelling


class Nearest:
    """The known name that a name is most likely a slip for (``Nearest(known)(name)``).

    Compared with case and separators (spaces, _ - . /) ignored, a known name matches
    when it is spelled the same ('pol' -> 'POL', '2026-Q4' -> '2026Q4'), else when it is
    the same word in the singular or plural ('Ally' -> 'Allies'), else when difflib's
    ratio is at least ``CLOSE_RATIO`` ('min_gap_closur' -> 'min_gap_closure'). At each
    step a tie between two known names is no match: the slip is not clear.
    """

    def __init__(self, known: Iterable[str]) -> None:
        self._spelled: dict[str, list[str]] = {}
        self._singular: dict[str, list[str]] = {}
        for candidate in dict.fromkeys(known):
            spelling = _spelling(candidate)
            self._spelled.setdefault(spelling, []).append(candidate)
            self._singular.setdefault(_singular(spelling), []).append(candidate)
        self._found: dict[str, str | None] = {}
        self._comparisons_left = COMPARISON_BUDGET

    def __call__(self, name: str) -> str | None:
        if name not in self._found:
            self._found[name] = self._nearest(name)
        return self._found[name]

    def _nearest(self, name: str) -> str | None:
        spelling = _spelling(name)
        for table, key in ((self._spelled, spelling), (self._singular, _singular(spelling))):
            if key in table:
                matches = table[key]
                return matches[0] if len(matches) == 1 else None
        if self._comparisons_left < len(self._spelled):
            return None
        self._comparisons_left -= len(self._spelled)
        close = difflib.get_close_matches(spelling, self._spelled, n=2, cutoff=CLOSE_RATIO)
        if not close or len(self._spelled[close[0]]) > 1:
            return None
        if len(close) == 2 and _ratio(close[1], spelling) == _ratio(close[0], spelling):
            return None
        return self._spelled[close[0]][0]


COMPARISON_BUDGET = 2_000_000
# difflib compares a name with every known one (about 2 µs each): beyond this many
# comparisons per set of known names (a column of thousands of distinct unknown codes
# against thousands of known ones) only the spelling and singular steps are taken, so
# that a validation stays within seconds.


def nearest(name: str, known: Iterable[str]) -> str | None:
    """``Nearest(known)(name)``, for a single look-up."""
    return Nearest(known)(name)


def did_you_mean(meant: str | None) -> str:
    """The end of a sentence about an unknown code: "; did you mean 'POL'?" when a
    known one is meant (``Nearest``), else ""."""
    return f"; did you mean '{meant}'?" if meant is not None else ""


def _ratio(candidate: str, spelling: str) -> float:
    """The ratio as ``difflib.get_close_matches`` computes it."""
    return difflib.SequenceMatcher(None, candidate, spelling).ratio()


@dataclass
class Findings:
    """Problems and warnings collected in one pass over the input."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(where, message, "warning"))
