"""Write ``inputs/sample_alliance.xlsx``: a sample alliance built from public figures.

    python scripts/make_sample.py [OUT.xlsx]

Eight allies (DEU, FRA, GBR, POL, NOR, EST, LVA, LTU) rebuild stocks of 155 mm shells,
GMLRS guided rockets and two air-defence interceptors (PAC-3 MSE, IRIS-T SLM) over
sixteen quarters (2027Q1-2030Q4), from the production lines named in public reporting:
Rheinmetall Unterlüß, KNDS Bourges, BAE Glascoed, Nammo Raufoss, ZVS Snina, MSM North
America's Iowa plant, Lockheed Martin and Diehl, and PGZ Dezamet's Polish shell. The
allies' weapon systems (PzH 2000, CAESAR, Krab, K9, M109, M270, HIMARS, Patriot, IRIS-T
SLM) carry capability targets (SPEC §7.1). Capacities, unit prices, lead times and the
allies' defence spending come from /work/shared/public_figures.md, cited row by row in
the workbook's Sources sheet (``SOURCES``). READINESS TARGETS, CAPABILITY TARGETS,
STOCKS, CONSUMPTION AND BUDGETS ARE ILLUSTRATIVE: no ally's stockpile target is public;
each ally's budget for these munitions is the same share of its published defence
spending.

The data are the tables below; the functions after them only turn the tables into the
sheets of the input workbook (SPEC §2). Nothing is random: every run writes the same data,
and ``tests/test_sample.py`` checks that the bundled workbook is what this script writes.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(REPO))

from optimizer.workbook.schema import SHEETS, Kind  # noqa: E402
from optimizer.workbook.synthetic import rounded_shares  # noqa: E402
from optimizer.workbook.template import README_WIDTHS, readme_rows, sheet_content  # noqa: E402
from optimizer.workbook.writer import SheetContent, write_workbook  # noqa: E402

DEFAULT_OUT = REPO / "inputs" / "sample_alliance.xlsx"

# ==========================================================================================
# The data. Money in euro; gdp in EUR billion; periods are quarters; capacities in units
# per quarter; lead times in quarters.
# ==========================================================================================

YEARS = (2027, 2028, 2029, 2030)
PERIODS = [f"{year}Q{quarter}" for year in YEARS for quarter in (1, 2, 3, 4)]

EUR_PER_USD = 0.92  # an assumed exchange rate: dollar figures are converted with it


def eur(usd: float) -> int:
    """A dollar figure in euro, rounded to three significant digits."""
    value = usd * EUR_PER_USD
    return int(float(f"{value:.3g}"))


# Defence spending 2024, USD billion: SIPRI for the four largest, else NATO's share of
# GDP times GDP (the GDPs of NOR and the Baltic states are background figures).
# ally, name, GDP (USD bn), defence spending (USD bn)
ECONOMIES = [
    ("DEU", "Germany", 4_660, 88.5),
    ("FRA", "France", 3_080, 64.7),
    ("GBR", "United Kingdom", 3_560, 81.8),
    ("POL", "Poland", 900, 38.0),
    ("NOR", "Norway", 485, 0.0220 * 485),
    ("EST", "Estonia", 40, 0.0343 * 40),
    ("LVA", "Latvia", 43, 0.0315 * 43),
    ("LTU", "Lithuania", 79, 0.0285 * 79),
]
SPENDING_USD_BN = {ally: spending for ally, _, _, spending in ECONOMIES}

# Rules per ally (illustrative): a minimum share of every gap to close from a first
# quarter on (reachable by then despite the interceptors' lead times), and a share of
# spending to place with the ally's own industry.
# ally: (min_gap_closure, min_gap_closure_from, work_share_min)
ALLY_RULES = {
    "EST": (0.3, "2029Q4", None),
    "LVA": (0.3, "2029Q4", None),
    "FRA": (None, None, 0.5),
    "NOR": (None, None, 0.8),
}

# item, name, unit, integer, priority, shortfall_penalty (EUR per unit, weighted mode),
# holding_cost (EUR per unit in stock per quarter). priority weighs a unit of shortfall,
# roughly in proportion to the unit price (illustrative): a missing PAC-3 MSE weighs as
# much as 800 missing shells. Rockets and missiles are bought in whole units.
ITEMS = [
    ("155HE", "155 mm HE artillery shell", "rounds", False, 1, 50_000, 10),
    ("GMLRS", "GMLRS guided rocket", "rockets", True, 25, 1_500_000, 300),
    ("IRIST", "IRIS-T SLM interceptor", "missiles", True, 400, 20_000_000, 4_000),
    ("PAC3MSE", "PAC-3 MSE interceptor", "missiles", True, 800, 40_000_000, 8_000),
    ("155PL", "155 mm HE artillery shell, Polish make", "rounds", False, 1, 50_000, 10),
]
ITEM_CODES = [item[0] for item in ITEMS]
# The items with readiness targets and stocks: the columns of TARGETS_2030 and STOCKS_2027
# (155PL serves capability targets only).
STOCKPILED = ["155HE", "GMLRS", "IRIST", "PAC3MSE"]

# Production lines: capacity per quarter offered to these allies, EUR per unit at the
# factory gate, lead time in quarters from order to delivery (see SOURCES for each).
# facility, host, item, capacity, unit_cost, lead_time, producer and site
PRODUCTION = [
    ("UNTERLUESS", "DEU", "155HE", 350_000 // 4, 3_600, 4, "Rheinmetall, Unterlüß"),
    ("BOURGES", "FRA", "155HE", 400_000 // 4, 5_000, 4, "KNDS France (Nexter), Bourges"),
    ("GLASCOED", "GBR", "155HE", 80_000 // 4, 8_000, 6,
     "BAE Systems, Glascoed (filling) and Washington (bodies)"),
    ("RAUFOSS", "NOR", "155HE", 200_000 // 4, 5_500, 4, "Nammo, Raufoss"),
    ("SNINA", "SVK", "155HE", 360_000 // 4, 3_200, 2, "ZVS Holding / MSM Group, Snina"),
    ("IOWA_LAP", "USA", "155HE", 432_000 // 4, eur(5_000), 3,
     "MSM North America, Iowa Army Ammunition Plant"),
    ("LOCKHEED", "USA", "GMLRS", 14_000 // 4 // 10, eur(115_000), 6,
     "Lockheed Martin Missiles and Fire Control"),
    ("LOCKHEED", "USA", "PAC3MSE", 650 // 4 // 2, eur(4_000_000), 8,
     "Lockheed Martin Missiles and Fire Control"),
    ("DIEHL", "DEU", "IRIST", 900 * 2 // 3 // 4, 1_900_000, 10, "Diehl Defence"),
    ("NOWA_DEBA", "POL", "155PL", 150_000 // 4, 4_000, 4, "PGZ Dezamet, Nowa Dęba"),
]

# Capacity in particular quarters, replacing the line's: facility, item, first quarter,
# last quarter, capacity per quarter.
CAPACITY = [
    ("IOWA_LAP", "155HE", "2027Q1", "2029Q3", 0),  # production from September 2029
    ("RAUFOSS", "155HE", "2027Q1", "2027Q4", 25_000),  # ~200k a year only by 2028
]

# Capacity that can be built: facility, item, most extra units per quarter, EUR per unit
# of extra quarterly capacity, quarters from investment to use, payer (None: funded
# outside the national budgets, e.g. by the EU).
EXPANSION = [
    ("UNTERLUESS", "155HE", 25_000, 500_000_000 // (350_000 // 4), 8, "DEU"),
    ("GLASCOED", "155HE", 20_000, 220_000_000 // 20_000, 8, "GBR"),
    ("SNINA", "155HE", 45_000, 31_500_000 // (360_000 // 4), 4, None),
]

# The weapon systems the allies field (SPEC §7.1), from public knowledge [unverified]:
# ally, platform, priority. A platform's priority weighs a unit of its shortfall like
# that of the item it mostly fires (Items.priority).
PLATFORMS = [
    ("DEU", "PZH2000", 1), ("DEU", "M270", 25), ("DEU", "PATRIOT", 800),
    ("DEU", "IRIST_SLM", 400),
    ("FRA", "CAESAR", 1), ("FRA", "M270", 25),
    ("GBR", "AS90", 1), ("GBR", "M270", 25),
    ("POL", "KRAB", 1), ("POL", "HIMARS", 25), ("POL", "PATRIOT", 800),
    ("NOR", "K9", 1),
    ("EST", "K9", 1), ("EST", "CAESAR", 1), ("EST", "HIMARS", 25), ("EST", "IRIST_SLM", 400),
    ("LVA", "M109", 1), ("LVA", "HIMARS", 25), ("LVA", "IRIST_SLM", 400),
    ("LTU", "PZH2000", 1), ("LTU", "CAESAR", 1), ("LTU", "HIMARS", 25),
]
# What each platform fires: platform, item, factor, qualified. Every 155 mm gun fires the
# common 155HE; the 39-calibre M109 counts a round at 0.9 of a 52-calibre gun's (a
# shorter range, illustrative); the Polish 155PL is qualified for the Krab only, and a
# candidate (qualified FALSE) for the German PzH 2000 and the French CAESAR [assumption].
COMPATIBILITY = [
    ("PZH2000", "155HE", 1, True), ("PZH2000", "155PL", 1, False),
    ("CAESAR", "155HE", 1, True), ("CAESAR", "155PL", 1, False),
    ("AS90", "155HE", 1, True),
    ("KRAB", "155HE", 1, True), ("KRAB", "155PL", 1, True),
    ("K9", "155HE", 1, True),
    ("M109", "155HE", 0.9, True),
    ("M270", "GMLRS", 1, True), ("HIMARS", "GMLRS", 1, True),
    ("PATRIOT", "PAC3MSE", 1, True),
    ("IRIST_SLM", "IRIST", 1, True),
]
# ILLUSTRATIVE: capability targets for the end of 2030, in rounds the platform can fire
# (counted with their factors), about half of the ally's readiness target of the item;
# each year-end's target is the same share of it as the readiness targets' (MILESTONES).
# EST and LVA set capability targets for their guns only: their rockets and interceptors
# are bought for the minimum gap closure their Allies rows set, whose price the sample
# shows (Rule prices).
CAPABILITY_TARGETS_2030 = {
    ("DEU", "PZH2000"): 500_000, ("DEU", "M270"): 200, ("DEU", "PATRIOT"): 150,
    ("DEU", "IRIST_SLM"): 100,
    ("FRA", "CAESAR"): 350_000, ("FRA", "M270"): 150,
    ("GBR", "AS90"): 300_000, ("GBR", "M270"): 250,
    ("POL", "KRAB"): 400_000, ("POL", "HIMARS"): 400, ("POL", "PATRIOT"): 120,
    ("NOR", "K9"): 100_000,
    ("EST", "K9"): 40_000, ("EST", "CAESAR"): 20_000,
    ("LVA", "M109"): 50_000,
    ("LTU", "PZH2000"): 40_000, ("LTU", "CAESAR"): 30_000, ("LTU", "HIMARS"): 100,
}

# ILLUSTRATIVE: readiness targets for the end of 2030 (0: the ally does not field the
# item); each year-end's target is a share of it.
TARGETS_2030 = {
    #       155HE      GMLRS IRIST PAC3MSE
    "DEU": (1_000_000, 400, 200, 300),
    "FRA": (700_000, 300, 0, 0),
    "GBR": (600_000, 500, 0, 0),
    "POL": (800_000, 800, 0, 250),
    "NOR": (200_000, 0, 60, 0),
    "EST": (120_000, 150, 60, 0),
    "LVA": (110_000, 150, 60, 0),
    "LTU": (150_000, 200, 0, 0),
}
MILESTONES = {"2027Q4": 0.45, "2028Q4": 0.65, "2029Q4": 0.85, "2030Q4": 1.00}

# ILLUSTRATIVE: stock on hand at the start of 2027Q1.
STOCKS_2027 = {
    #       155HE    GMLRS IRIST PAC3MSE
    "DEU": (150_000, 120, 60, 100),
    "FRA": (100_000, 80, 0, 0),
    "GBR": (90_000, 150, 0, 0),
    "POL": (200_000, 200, 0, 40),
    "NOR": (40_000, 0, 0, 0),
    "EST": (25_000, 36, 10, 0),
    "LVA": (15_000, 36, 10, 0),
    "LTU": (20_000, 40, 0, 0),
}

# ILLUSTRATIVE: 155 mm rounds fired in training every quarter, GMLRS rockets in a live
# firing every third quarter, and one donation to a partner outside the alliance.
TRAINING_PER_QUARTER = {"DEU": 3_000, "FRA": 2_000, "GBR": 2_000, "POL": 3_000, "NOR": 800,
                        "EST": 500, "LVA": 400, "LTU": 600}
LIVE_FIRE_Q3 = {"DEU": 6, "FRA": 4, "GBR": 6, "POL": 8, "EST": 2, "LVA": 2, "LTU": 2}
DONATIONS = [("DEU", "155HE", "2027Q2", 10_000)]

# Burden sharing (SPEC §7.2). ILLUSTRATIVE: an alliance-wide stock goal of 4 million
# 155 mm rounds at the end of 2030, two years of the EU's target output of 2 million
# rounds a year by the end of 2025 (public_figures.md, "EU total": [src: gamrconnect
# (Politico); uatv.ua; eoc.org.cy]) and a little above the allies' own 2030 targets
# (3.68 million), so that the alliance must hold more than its members ask for
# themselves. item, period, target, priority (blank: the item's).
ALLIANCE_TARGETS = [("155HE", "2030Q4", 4_000_000, None)]
# Each ally's fair share of the alliance targets (SPEC §7.2's φ): its share of the allies'
# published defence spending (ECONOMIES), to 4 decimals, summing to 1.
FAIR_SHARES = {ally: float(share) for ally, share in zip(
    SPENDING_USD_BN, rounded_shares(list(SPENDING_USD_BN.values())), strict=True)}


# ILLUSTRATIVE: each ally's budget for these munitions, every quarter, is this share of
# its published yearly defence spending, a quarter of it, in euro.
MUNITIONS_SHARE = 0.08


def quarterly_budget(ally: str) -> int:
    """EUR per quarter: defence spending (USD bn) x EUR_PER_USD x MUNITIONS_SHARE / 4,
    to the EUR 100,000."""
    return int(round(SPENDING_USD_BN[ally] * 1e9 * EUR_PER_USD * MUNITIONS_SHARE / 4, -5))


# Shipping from outside the alliance (illustrative): from, item (None: every item), EUR
# per unit, extra quarters in transit; to every ally. A row naming an item replaces the
# blank-item row for that item.
OVERSEAS_SHIPPING = [
    ("USA", None, 20_000, 1),  # missiles and rockets: secured air or sea freight
    ("USA", "155HE", 90, 1),
]
# Road and rail inside Europe (illustrative): from, to, item, EUR per unit, extra quarters.
INLAND_TRANSPORT = [
    ("FRA", "EST", None, 60, 0),
    ("FRA", "LVA", None, 60, 0),
    ("FRA", "LTU", None, 55, 0),
    ("GBR", "EST", None, 70, 0),
    ("GBR", "LVA", None, 70, 0),
    ("GBR", "LTU", None, 65, 0),
    ("SVK", "GBR", None, 50, 0),
]

# Export controls (illustrative): host, facility, ally, item (None: any).
RESTRICTIONS = [
    (None, "GLASCOED", "FRA", "155HE"),  # an offset agreement reserves the line for others
]

def _line(facility: str, item: str) -> tuple:
    return next(row for row in PRODUCTION if row[0] == facility and row[2] == item)


def _capacity(facility: str, item: str) -> str:
    return f"Production {facility} {item} capacity {_line(facility, item)[3]:,} a quarter"


def _price(facility: str, item: str) -> str:
    return f"Production {facility} {item} unit_cost EUR {_line(facility, item)[4]:,}"


def _expansion(facility: str) -> str:
    row = next(row for row in EXPANSION if row[0] == facility)
    return f"Expansion {facility}: EUR {row[3]:,} per round of quarterly capacity"


# The public figures the data use, from /work/shared/public_figures.md, with where each is
# used. Labels: [src] stated in the source; [inference] derived from [src] figures;
# [unverified] background knowledge not confirmed in a source; [assumption] chosen for
# the sample; "weak" marks secondary aggregators.
# figure, value, label and source, used for
SOURCES = [
    ("Rheinmetall Unterlüß 155 mm output", "25k (2025) -> 350k a year from 2027",
     "[src: wirtschaft-tv.com; news.online.ua]", _capacity("UNTERLUESS", "155HE")),
    ("Rheinmetall Unterlüß investment", "~EUR 500 M, including a rocket-motor plant",
     "[src: 5x.news]", _expansion("UNTERLUESS") + " (EUR 500 M / the plant's quarterly "
     "capacity)"),
    ("155 mm price, Rheinmetall's German contract",
     "EUR 2,000 before Feb 2022 -> EUR >= 3,600",
     "[src: australiannationalreview.com (Welt am Sonntag)]", _price("UNTERLUESS", "155HE")),
    ("KNDS / Nexter 155 mm output (Bourges, Petit-Rœulx, Colleferro charges)",
     "50k -> 400k finished rounds a year within 3 years (from 2024)",
     "[src: news.k4s.uk; edrmagazine.eu]", _capacity("BOURGES", "155HE")),
    ("155 mm price, NSPA", "EUR 1.1 bn / ~220k rounds incl. fuzes = EUR 5,000",
     "[inference]", f"{_price('BOURGES', '155HE')}; IOWA_LAP USD 5,000 = "
     f"EUR {_line('IOWA_LAP', '155HE')[4]:,}"),
    ("BAE Systems 155 mm output (Washington bodies, Glascoed fill)",
     "3-5k a year before; <= ~80k a year after the 16x plant; 8x capacity order GBP 190 M",
     "[src: dailybeaconnews.com / united24media.com (Guardian); des.mod.uk 2023-07-11]",
     f"{_capacity('GLASCOED', '155HE')}; {_expansion('GLASCOED')} (GBP 190 M taken as "
     "EUR 220 M [assumption])"),
    ("155 mm price range", "Bauer: EUR 2,000 -> 8,000", "[src: spanish.news-pravda.com]",
     f"{_price('GLASCOED', '155HE')}; {_price('RAUFOSS', '155HE')} [assumption within "
     "the range]"),
    ("Nammo Raufoss 155 mm output",
     "~200k a year by 2028; NOK > 1 bn state deal, 10x modern 155 mm output",
     "[weak: news-pravda citing AP; src: regjeringen.no 2024-07-09]",
     f"{_capacity('RAUFOSS', '155HE')}, 25,000 in 2027 (Capacity)"),
    ("MSM / ZVS Snina 155 mm bodies line", "up to 360k a year (EUR 31.5 M)",
     "[src: czdefence.cz 2024-12-21]",
     f"{_capacity('SNINA', '155HE')} (its bodies taken as finished rounds [assumption]); "
     f"{_expansion('SNINA')}"),
    ("155 mm price, Czech initiative (German share)",
     "EUR 576 M / 180k = EUR 3,200, non-EU sourced", "[inference]",
     _price("SNINA", "155HE")),
    ("MSM North America, Iowa AAP",
     "36k rounds a month LAP (432k a year); $632 M; production from Sept 2029",
     "[src: defensemagazine.com]", f"{_capacity('IOWA_LAP', '155HE')}, 0 until 2029Q3 "
     "(Capacity)"),
    ("GMLRS rate", "7,500 a year in 2022 (capacity 10k); plan 6,000 -> 14,000 a year",
     "[src: shephardmedia.com; platoaistream.com (Defense News)]",
     f"{_capacity('LOCKHEED', 'GMLRS')}: a tenth of 14,000 a year offered to these "
     "allies [assumption]"),
    ("GMLRS price", "$1.1 bn / 11,000 rockets = $100k; Lot 14 $1.13 bn / ~9,800 = $115k",
     "[inference; src: highergroundtimes.com; jwing.net]",
     _price("LOCKHEED", "GMLRS") + " (USD 115,000)"),
    ("PAC-3 MSE rate",
     "~350 a year -> 500+ -> 600+ delivered in 2025 -> 650 a year by 2027",
     "[src: psyll.com; zona-militar.com]",
     f"{_capacity('LOCKHEED', 'PAC3MSE')}: half of 650 a year offered to these allies "
     "[assumption]"),
    ("PAC-3 MSE price",
     "$4M per missile; $9.8 bn / 1,970 missiles incl. equipment = $5.0 M",
     "[src: tectonicdefense.com; inference; src: zona-militar.com]",
     _price("LOCKHEED", "PAC3MSE") + " (USD 4,000,000)"),
    ("IRIS-T SLM rate", "400-500 missiles a year from 2024, doubling in 2025",
     "[src: devdiscourse.com 2023-09-05; hartpunkt.de]",
     f"{_capacity('DIEHL', 'IRIST')}: two thirds of 900 a year offered to these allies "
     "[assumption]"),
    ("IRIS-T SLM price", "EUR 1.26 bn / 665 missiles = EUR 1.9 M",
     "[inference; src: onvista.de Reuters 2025-10-31]", _price("DIEHL", "IRIST")),
    ("IRIS-T order lead time", "ordered Oct 2025 for delivery 2028-2030, with EUR 300 M "
     "advance payment for long-lead parts", "[src]",
     f"Production DIEHL IRIST lead_time {_line('DIEHL', 'IRIST')[5]} quarters"),
    ("NSPA 155 mm delivery", "24-36 months", "[src: defensemirror.com]",
     "155 mm lead times of 2-6 quarters from lines already running, 8 for new capacity "
     f"(Expansion) [assumption]; PAC-3 MSE {_line('LOCKHEED', 'PAC3MSE')[5]}, GMLRS "
     f"{_line('LOCKHEED', 'GMLRS')[5]} quarters [assumption]"),
    ("New plant build times",
     "new powder line < 2 years (normally 4-5); MSM LAP plant 40 months",
     "[src: cited in public_figures.md]", "Expansion lead_time 4-8 quarters"),
    ("Defence spending 2024 (SIPRI)", "Germany $88.5 bn (1.9 % GDP); UK $81.8 bn "
     "(2.3 %); France $64.7 bn (2.1 %); Poland $38 bn (4.2 %)",
     "[src: harici.com.tr; poland.news-pravda.com]", "Budgets of DEU, GBR, FRA and POL"),
    ("Defence spending, NATO 2024 estimates",
     "% GDP: Norway 2.20, Estonia 3.43, Latvia 3.15, Lithuania 2.85",
     "[src: swedenherald.com, citing NATO]",
     "Budgets of NOR, EST, LVA and LTU: the share of GDP x GDP"),
    ("Implied GDP", "US $29.3 T, DE $4.66 T, UK $3.56 T, FR $3.08 T, PL $0.90 T",
     "[inference: spend / share]", "Allies gdp of DEU, GBR, FRA and POL"),
    ("GDP of Norway and the Baltic states", "Norway ~$485 bn; Estonia ~$40 bn, Latvia "
     "~$43 bn, Lithuania ~$79 bn (Baltic ~$40-80 bn each)", "[unverified]",
     "Allies gdp, and budgets, of NOR, EST, LVA and LTU"),
    ("EU 155 mm output", "~230k a year pre-war; 1 M a year by Jan 2024; 2 M a year "
     "target by end 2025", "[src: gamrconnect (Politico); uatv.ua; eoc.org.cy]",
     "AllianceTargets: 155HE 4,000,000 at the end of 2030, two years of the 2 M target "
     "[assumption], ILLUSTRATIVE"),
    ("Fair shares of the alliance target", "each ally's share of the allies' defence "
     "spending 2024 (the SIPRI and NATO rows above)", "[inference]",
     "Allies fair_share: " + ", ".join(f"{ally} {share:.2%}"
                                      for ally, share in FAIR_SHARES.items())),
    ("Exchange rate", f"EUR {EUR_PER_USD} per USD", "[assumption]",
     "every dollar figure converted to euro"),
    ("Budgets for these munitions",
     f"{MUNITIONS_SHARE:.0%} of yearly defence spending, a quarter of it each quarter",
     "ILLUSTRATIVE", "Budgets: in proportion to published defence spending"),
    ("PGZ Dezamet 155 mm output (Nowa Dęba)", "~150k rounds a year by 2027 (Polish "
     "ammunition programme)", "[unverified]",
     f"{_capacity('NOWA_DEBA', '155PL')}; {_price('NOWA_DEBA', '155PL')} [assumption]"),
    ("Platforms the allies field", "155 mm: PzH 2000 (DEU, LTU), CAESAR (FRA, EST, LTU), "
     "AS90 (GBR), Krab (POL), K9 (NOR, EST), M109A5Ö (LVA); rocket launchers: M270 / MARS "
     "II / LRU (DEU, FRA, GBR), HIMARS (POL, EST, LVA, LTU); air defence: Patriot (DEU, "
     "POL), IRIS-T SLM (DEU, EST, LVA)", "[unverified: public knowledge]",
     "Platforms; Compatibility (which platform fires which item)"),
    ("Capability targets, factors and qualification",
     "no capability target is public; the M109's factor 0.9 and the Polish shell's "
     "qualification only for the Krab are chosen for the sample",
     "ILLUSTRATIVE [assumption]",
     "CapabilityTargets; Compatibility factor and qualified (candidates: 155PL for PZH2000 "
     "and CAESAR)"),
    ("155 mm round (Czech initiative, German share)", "EUR 576 M for ~180k rounds bought "
     "for another state", "[inference]",
     "Funding: DEU may pay up to EUR 288 M each for the purchases of EST and LTU "
     "[assumption: the German share, split]"),
    ("Readiness targets, stocks, consumption, transport, restrictions, allies' rules",
     "no per-ally stockpile target is public; NATO capability targets are classified",
     "ILLUSTRATIVE [unverified]",
     "Requirements, Stocks, Consumption, Transport, Restrictions; Allies min_gap_closure, "
     "min_gap_closure_from and work_share_min"),
]

# ==========================================================================================
# Turning the tables into sheets.
# ==========================================================================================


def _periods_between(first: str, last: str) -> list[str]:
    return PERIODS[PERIODS.index(first) : PERIODS.index(last) + 1]


def _by_item(table: dict[str, tuple], items: list[str]) -> list[tuple[str, str, int]]:
    """(ally, item, value) for every non-zero cell of an ally x item table."""
    return [
        (ally, item, value)
        for ally, values in table.items()
        for item, value in zip(items, values, strict=True)
        if value
    ]


def consumption_rows() -> list[tuple[str, str, str, int]]:
    """Training, live firing and donations, added up per ally, item and period."""
    used: dict[tuple[str, str, str], int] = defaultdict(int)
    for ally, quantity in TRAINING_PER_QUARTER.items():
        for period in PERIODS:
            used[ally, "155HE", period] += quantity
    for ally, quantity in LIVE_FIRE_Q3.items():
        for year in YEARS:
            used[ally, "GMLRS", f"{year}Q3"] += quantity
    for ally, item, period, quantity in DONATIONS:
        used[ally, item, period] += quantity
    order = {p: t for t, p in enumerate(PERIODS)}
    keys = sorted(used, key=lambda k: (k[0], ITEM_CODES.index(k[1]), order[k[2]]))
    return [(*key, used[key]) for key in keys]


def check_consumption_within_stock() -> None:
    """Consumption must never exceed the stock on hand, cumulatively, for any ally and item:
    the sample does not rely on new deliveries to cover training and donations."""
    on_hand = {(ally, item): value for ally, item, value in _by_item(STOCKS_2027, STOCKPILED)}
    total: dict[tuple[str, str], int] = defaultdict(int)
    for ally, item, _, quantity in consumption_rows():  # in period order per ally and item
        total[ally, item] += quantity
        if total[ally, item] > on_hand.get((ally, item), 0):
            raise ValueError(f"consumption of {item} by {ally} exceeds its stock on hand")


def tables() -> dict[str, list[tuple]]:
    """Every sheet's rows, in the column order of the schema (a row may leave out the
    optional columns at its end)."""
    return {
        "Periods": [(period,) for period in PERIODS],
        "Allies": [
            (ally, name, round(gdp * EUR_PER_USD), closure, work_share, first,
             FAIR_SHARES[ally])
            for ally, name, gdp, _ in ECONOMIES
            for closure, first, work_share in [ALLY_RULES.get(ally, (None, None, None))]
        ],
        "Items": ITEMS,
        "Production": [row[:6] for row in PRODUCTION],
        "Capacity": [
            (facility, item, period, capacity)
            for facility, item, first, last, capacity in CAPACITY
            for period in _periods_between(first, last)
        ],
        "Expansion": EXPANSION,
        "Requirements": [
            (ally, item, period, round(share * target))
            for ally, item, target in _by_item(TARGETS_2030, STOCKPILED)
            for period, share in MILESTONES.items()
        ],
        "Stocks": _by_item(STOCKS_2027, STOCKPILED),
        "Consumption": consumption_rows(),
        "Budgets": [
            (ally, period, quarterly_budget(ally))
            for ally, *_ in ECONOMIES
            for period in PERIODS
        ],
        "Transport": [
            (origin, ally, cost, item, lead_time)
            for origin, item, cost, lead_time in OVERSEAS_SHIPPING
            for ally, *_ in ECONOMIES
        ]
        + [
            (origin, ally, cost, item, lead_time)
            for origin, ally, item, cost, lead_time in INLAND_TRANSPORT
        ],
        "Restrictions": RESTRICTIONS,
        "Platforms": PLATFORMS,
        "Compatibility": COMPATIBILITY,
        "CapabilityTargets": [
            (ally, platform, period, round(share * target))
            for (ally, platform), target in CAPABILITY_TARGETS_2030.items()
            for period, share in MILESTONES.items()
        ],
        # Buying for others (SPEC §7.2): Germany's share of the Czech initiative, here
        # for two Baltic allies.
        "Funding": [("DEU", "EST", 288_000_000), ("DEU", "LTU", 288_000_000)],
        "AllianceTargets": ALLIANCE_TARGETS,
        # Joint purchases (SPEC §7.2): none stated, the sheets headed for an analyst to
        # fill (e.g. an NSPA 155 mm framework on a line, led by one nation for others).
        "Frameworks": [],
        "FrameworkMembers": [],
        # Components (SPEC §7.3): none stated, the sheets headed for an analyst to fill
        # (e.g. the explosive and propellant that each shell line draws).
        "BillOfMaterials": [],
        "IndustryStocks": [],
    }


def frames() -> dict[str, pd.DataFrame]:
    """Every sheet as a frame with the schema's columns, in the schema's sheet order."""
    rows = tables()
    return {
        sheet.name: pd.DataFrame(
            [tuple(row) + (None,) * (len(sheet.columns) - len(row)) for row in rows[sheet.name]],
            columns=sheet.column_names, dtype=object)
        for sheet in SHEETS
    }


def sources_frame() -> pd.DataFrame:
    """The Sources sheet: every public figure the data use, its source, and where."""
    return pd.DataFrame(SOURCES, columns=["figure", "value", "label and source", "used for"])


def _number_formats(sheet, frame: pd.DataFrame) -> dict[str, str]:
    """Thousands separators for whole numbers, percentages for shares."""
    formats = {}
    for column in sheet.columns:
        values = frame[column.name].dropna()
        if column.kind is Kind.SHARE:
            formats[column.name] = "0%"
        elif column.kind is Kind.NUMBER and all(float(v).is_integer() for v in values):
            formats[column.name] = "#,##0"
    return formats


def _listed(codes: list[str]) -> str:
    return " and ".join([", ".join(codes[:-1]), codes[-1]] if len(codes) > 1 else codes)


def readme() -> list[tuple[str, tuple[str, ...]]]:
    allies = ", ".join(f"{code} ({name})" for code, name, *_ in ECONOMIES)
    outside = sorted({row[1] for row in PRODUCTION} - {code for code, *_ in ECONOMIES})
    lines = "; ".join(f"{facility} {item}: {site}"
                      for facility, _, item, *_, site in PRODUCTION)
    closing = [f"{ally} {share:.0%} from {first}"
               for ally, (share, first, _) in ALLY_RULES.items() if share]
    working = [ally for ally, (*_, work_share) in ALLY_RULES.items() if work_share]
    return [
        ("title", ("Sample alliance: public figures, illustrative targets and budgets",)),
        ("text", ("",)),
        ("text", ("Status", "",
                  "Capacities, unit prices, lead times and defence spending are public "
                  "figures, cited row by row in the Sources sheet with their labels ([src], "
                  "[inference], [unverified], [assumption]). READINESS TARGETS AND BUDGETS "
                  "ARE ILLUSTRATIVE, as are stocks, consumption, transport costs, export "
                  "controls, capability targets and the allies' rules: no ally's stockpile "
                  "target is public, and each ally's budget for these munitions is the same share "
                  f"({MUNITIONS_SHARE:.0%}) of its published defence spending. The workbook "
                  "shows what the optimiser does; it says nothing about any nation's real "
                  "stocks or plans.")),
        ("text", ("Sources", "",
                  "The Sources sheet lists every public figure used: the figure, its value, "
                  "its label and source, and where the sample uses it. The figures are "
                  "collected in the project's public_figures.md.")),
        ("text", ("Regenerate", "",
                  "python scripts/make_sample.py   (writes inputs/sample_alliance.xlsx; the "
                  "data are the tables at the top of that script, and every run writes the "
                  "same data)")),
        ("text", ("Solve", "", "python -m optimizer solve inputs/sample_alliance.xlsx")),
        ("text", ("Units", "",
                  f"Money in euro (EUR), dollar figures at EUR {EUR_PER_USD} per USD; gdp in "
                  f"EUR billion; periods are quarters {PERIODS[0]} to {PERIODS[-1]}; "
                  "capacities in units per quarter; lead times in quarters.")),
        ("text", ("Allies", "", allies + ".")),
        ("text", ("Lines", "", lines + ".")),
        ("text", ("Priorities", "",
                  "Items.priority weighs a unit of shortfall, roughly in proportion to the "
                  "unit price: "
                  + ", ".join(f"{code} {priority:g}" for code, _, _, _, priority, *_ in ITEMS)
                  + ". Rockets and missiles are bought in whole units (Items.integer).")),
        ("text", ("Scenario", "",
                  "Readiness targets rise each year to the 2030 target ("
                  + ", ".join(f"{p}: {s:.0%}" for p, s in MILESTONES.items())
                  + "); with lead times of 2 to 10 quarters the first years' gaps cannot "
                  "all close, and the lines cannot close every gap at once. A new plant "
                  "starts in 2029 and one line ramps up (Capacity); capacity can be expanded, "
                  "paid by an ally or funded outside the budgets (Expansion); allies use "
                  "stock for training, live firing and a donation (Consumption); every ally "
                  "has a quarterly budget, and the small allies' budgets bind; shipping from "
                  f"outside the alliance ({', '.join(outside)}) costs money and time "
                  f"(Transport); one export control applies (Restrictions). "
                  f"{_listed(closing)} must close part of every gap (min_gap_closure, "
                  f"min_gap_closure_from); {_listed(working)} must place a share of their "
                  "spending with their own industry (work_share_min).")),
        ("text", ("Platforms", "",
                  "Each ally fields the weapon systems that fire its items (Platforms); "
                  "every 155 mm gun fires the common 155HE, the 39-calibre M109 at 0.9 of "
                  "a round's worth; the Polish 155PL, made at Nowa Dęba, is qualified for "
                  "the Krab only and a candidate for the PzH 2000 and the CAESAR "
                  "(Compatibility, qualified FALSE). Capability targets, about half the "
                  "readiness targets, rise with them (CapabilityTargets). Transfers between "
                  "allies carry items, so a Polish round helps another ally only once its "
                  "guns are qualified for it.")),
        ("text", ("Burden sharing", "",
                  "The alliance as a whole must hold "
                  + "; ".join(f"{target:,} {item} at the end of {period}"
                              for item, period, target, _ in ALLIANCE_TARGETS)
                  + " (AllianceTargets), more than the allies' own targets add up to; "
                  "each ally's fair share of it is its share of the allies' defence "
                  "spending (Allies.fair_share). The report's Burden sharing sheet sets "
                  "the share of the alliance's stock each ally holds beside its fair "
                  "share. The band is off by default (rules.fair_share_band = 1); "
                  "python -m optimizer solve inputs/sample_alliance.xlsx --set "
                  "rules.fair_share_band=0.1 holds each ally to at least 90 % of its "
                  "share, at a cost.")),
        ("text", ("",)),
        *readme_rows(example_rows=False),
    ]


def write_sample(path: str | Path = DEFAULT_OUT) -> Path:
    """Write the sample alliance workbook to ``path`` and return the path."""
    check_consumption_within_stock()
    sheets = {
        sheet.name: sheet_content(sheet, frame, _number_formats(sheet, frame))
        for sheet, frame in zip(SHEETS, frames().values(), strict=True)
    }
    sheets["Sources"] = SheetContent(sources_frame())
    return write_workbook(path, sheets, readme=readme(), readme_widths=README_WIDTHS)


def main(argv: list[str]) -> int:
    from optimizer.workbook.validation import load_workbook

    path = write_sample(Path(argv[0]) if argv else DEFAULT_OUT)
    data, warnings = load_workbook(path)  # raises InputError listing every problem
    for warning in warnings:
        print(warning, file=sys.stderr)
    print(
        f"wrote {path}: {len(data.allies)} allies, {len(data.items)} items, "
        f"{len(data.production)} production lines, {len(data.periods)} periods, "
        f"{len(data.requirements)} readiness targets"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
