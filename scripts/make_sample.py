"""Write ``inputs/sample_alliance.xlsx``: an illustrative alliance to try the optimiser on.

    python scripts/make_sample.py [OUT.xlsx]

Ten allies rebuild stocks of eight munitions over sixteen quarters (2027Q1-2030Q4) from
about twenty production lines, several of them outside the alliance (USA, KOR). Every
optional sheet is used. THE FIGURES ARE ILLUSTRATIVE, NOT OFFICIAL: prices and
capacities are rounded orders of magnitude from public reporting, stocks, targets and
budgets are invented, and every facility is fictional.

The data are the tables below; the functions after them only turn the tables into the
sheets of the input workbook (SPEC §2). Nothing is random: every run writes the same data.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(REPO))

from optimizer.excel import write_workbook  # noqa: E402
from optimizer.schema import SHEETS, Kind  # noqa: E402
from optimizer.template import README_WIDTHS, readme_rows, sheet_content  # noqa: E402

DEFAULT_OUT = REPO / "inputs" / "sample_alliance.xlsx"

# ==========================================================================================
# The data. Money in euro; gdp in EUR billion; periods are quarters; capacities in units
# per quarter; lead times in quarters.
# ==========================================================================================

YEARS = (2027, 2028, 2029, 2030)
PERIODS = [f"{year}Q{quarter}" for year in YEARS for quarter in (1, 2, 3, 4)]

# ally, name, gdp (EUR bn), min_gap_closure, work_share_min (blank: None)
ALLIES = [
    ("POL", "Poland", 850, 0.5, 0.25),
    ("DEU", "Germany", 4300, None, None),
    ("FRA", "France", 2900, None, None),
    ("GBR", "United Kingdom", 3300, None, None),
    ("ITA", "Italy", 2200, None, None),
    ("NLD", "Netherlands", 1100, None, None),
    ("NOR", "Norway", 480, None, None),
    ("ROU", "Romania", 350, None, 0.08),
    ("EST", "Estonia", 40, 0.4, None),
    ("LTU", "Lithuania", 78, None, None),
]

# item, name, unit, integer, priority, shortfall_penalty (EUR per unit, weighted mode),
# holding_cost (EUR per unit in stock per quarter). priority weighs a unit of shortfall:
# roughly in proportion to the unit cost, and per euro higher for air defence than for
# shells, so that a missing PAC-3 MSE weighs as much as 10,000 missing shells.
ITEMS = [
    ("155HE", "155 mm HE artillery shell", "rounds", False, 1, 50_000, 10),
    ("120MOR", "120 mm mortar bomb", "rounds", False, 0.25, 10_000, 2),
    ("GMLRS", "GMLRS guided rocket", "rockets", True, 150, 1_500_000, 300),
    ("PAC3MSE", "PAC-3 MSE interceptor", "missiles", True, 10_000, 40_000_000, 8_000),
    ("GEMT", "Patriot GEM-T interceptor", "missiles", True, 7_500, 30_000_000, 6_000),
    ("AMRAAM", "AIM-120 AMRAAM missile", "missiles", True, 2_000, 10_000_000, 2_000),
    ("STINGER", "FIM-92 Stinger missile", "missiles", True, 400, 4_000_000, 800),
    ("JAVELIN", "FGM-148 Javelin missile", "missiles", True, 200, 2_000_000, 400),
]
ITEM_CODES = [item[0] for item in ITEMS]

# Production lines. Every facility is fictional. Capacity: units per quarter offered to
# the alliance; unit_cost: EUR per unit at the factory gate; lead_time: quarters.
# facility, host, item, capacity, unit_cost, lead_time
PRODUCTION = [
    ("EAGLEFORGE", "POL", "155HE", 12_000, 4_300, 1),
    ("RHINEHAMMER", "DEU", "155HE", 35_000, 4_900, 1),
    ("LOIREARSENAL", "FRA", "155HE", 18_000, 5_300, 1),
    ("THAMESIDE", "GBR", "155HE", 10_000, 5_600, 2),
    ("FJORDSMITH", "NOR", "155HE", 6_000, 5_100, 1),
    ("HANBIT", "KOR", "155HE", 45_000, 3_400, 2),
    ("LIBERTYPLAINS", "USA", "155HE", 25_000, 7_600, 2),
    ("EAGLEFORGE", "POL", "120MOR", 9_000, 950, 1),
    ("CARPATHIA", "ROU", "120MOR", 8_000, 900, 1),
    ("VESUVIO", "ITA", "120MOR", 6_000, 1_150, 1),
    ("PRAIRIE", "USA", "GMLRS", 1_000, 160_000, 3),
    ("RHINEHAMMER", "DEU", "GMLRS", 150, 175_000, 2),
    ("MESAWORKS", "USA", "PAC3MSE", 110, 4_000_000, 4),
    ("DANUBEWORKS", "DEU", "PAC3MSE", 15, 4_300_000, 3),
    ("DANUBEWORKS", "DEU", "GEMT", 25, 3_000_000, 3),
    ("MESAWORKS", "USA", "GEMT", 30, 3_200_000, 4),
    ("SONORAN", "USA", "AMRAAM", 120, 1_000_000, 4),
    ("FJORDSMITH", "NOR", "AMRAAM", 12, 1_150_000, 3),
    ("CANYON", "USA", "STINGER", 120, 420_000, 3),
    ("RHINEHAMMER", "DEU", "STINGER", 40, 460_000, 2),
    ("CANYON", "USA", "JAVELIN", 500, 200_000, 2),
    ("THAMESIDE", "GBR", "JAVELIN", 60, 230_000, 2),
]

# Capacity in particular quarters, replacing the line's capacity: new lines ramping up
# and one outage. facility, item, first quarter, last quarter, capacity per quarter
CAPACITY = [
    ("RHINEHAMMER", "GMLRS", "2027Q1", "2027Q4", 0),  # new line, first rockets in 2028
    ("RHINEHAMMER", "GMLRS", "2028Q1", "2028Q2", 75),
    ("DANUBEWORKS", "PAC3MSE", "2027Q1", "2028Q3", 0),  # European PAC-3 MSE line from 2028Q4
    ("DANUBEWORKS", "PAC3MSE", "2028Q4", "2029Q2", 8),
    ("FJORDSMITH", "AMRAAM", "2027Q1", "2027Q4", 0),  # co-production starts in 2028
    ("RHINEHAMMER", "STINGER", "2027Q1", "2027Q3", 0),  # licensed production from 2027Q4
    ("THAMESIDE", "JAVELIN", "2027Q1", "2028Q2", 0),  # licensed production from 2028Q3
    ("EAGLEFORGE", "155HE", "2027Q1", "2027Q2", 8_000),  # second shift still hiring
    ("LOIREARSENAL", "155HE", "2028Q3", "2028Q3", 4_000),  # outage: propellant plant repair
]

# Capacity that can be built. cost_per_unit: EUR per unit of extra quarterly capacity;
# lead_time: quarters from investment to use; payer: the ally whose budget pays (None:
# funded outside the national budgets, e.g. by a joint fund).
# facility, item, max_extra, cost_per_unit, lead_time, payer
EXPANSION = [
    ("EAGLEFORGE", "155HE", 12_000, 20_000, 3, "POL"),
    ("RHINEHAMMER", "155HE", 25_000, 18_000, 4, "DEU"),
    ("LOIREARSENAL", "155HE", 10_000, 22_000, 4, None),
    ("CARPATHIA", "120MOR", 6_000, 3_000, 2, "ROU"),
    ("DANUBEWORKS", "PAC3MSE", 20, 25_000_000, 4, "DEU"),
    ("DANUBEWORKS", "GEMT", 20, 20_000_000, 4, "NLD"),
    ("FJORDSMITH", "AMRAAM", 15, 8_000_000, 3, None),
]

# Readiness targets for the end of 2030 (0: the ally does not field the item).
TARGETS_2030 = {
    #       155HE    120MOR  GMLRS PAC3MSE GEMT AMRAAM STINGER JAVELIN
    "POL": (400_000, 150_000, 600, 200, 0, 250, 500, 1_500),
    "DEU": (450_000, 100_000, 500, 300, 200, 400, 600, 1_200),
    "FRA": (300_000, 80_000, 300, 0, 0, 0, 0, 400),
    "GBR": (300_000, 60_000, 400, 0, 0, 500, 0, 800),
    "ITA": (200_000, 60_000, 200, 0, 0, 200, 400, 0),
    "NLD": (120_000, 40_000, 0, 150, 120, 250, 300, 0),
    "NOR": (80_000, 30_000, 0, 0, 0, 300, 0, 300),
    "ROU": (150_000, 60_000, 300, 120, 80, 60, 100, 300),
    "EST": (60_000, 40_000, 120, 0, 0, 0, 0, 400),
    "LTU": (70_000, 40_000, 120, 0, 0, 80, 300, 500),
}
# Each year's target is a share of the 2030 target, due at the end of the year.
MILESTONES = {"2027Q4": 0.55, "2028Q4": 0.70, "2029Q4": 0.85, "2030Q4": 1.00}

# Stock on hand at the start of 2027Q1.
STOCKS_2027 = {
    #       155HE    120MOR  GMLRS PAC3MSE GEMT AMRAAM STINGER JAVELIN
    "POL": (120_000, 60_000, 340, 120, 0, 150, 290, 800),
    "DEU": (100_000, 35_000, 150, 90, 80, 180, 200, 500),
    "FRA": (90_000, 30_000, 90, 0, 0, 0, 0, 150),
    "GBR": (70_000, 20_000, 120, 0, 0, 220, 0, 300),
    "ITA": (60_000, 25_000, 60, 0, 0, 90, 150, 0),
    "NLD": (30_000, 15_000, 0, 50, 50, 110, 120, 0),
    "NOR": (25_000, 12_000, 0, 0, 0, 140, 0, 150),
    "ROU": (40_000, 25_000, 80, 30, 30, 25, 40, 120),
    "EST": (20_000, 18_000, 70, 0, 0, 0, 0, 250),
    "LTU": (18_000, 15_000, 40, 0, 0, 35, 120, 220),
}

# Training use every quarter: 155HE and 120MOR rounds.
TRAINING_PER_QUARTER = {
    #       155HE  120MOR
    "POL": (2_000, 1_500),
    "DEU": (1_500, 1_000),
    "FRA": (1_200, 800),
    "GBR": (1_000, 600),
    "ITA": (800, 500),
    "NLD": (500, 300),
    "NOR": (400, 300),
    "ROU": (600, 500),
    "EST": (300, 400),
    "LTU": (300, 400),
}
# Live firing once a year, in the third quarter: Stinger and Javelin missiles.
LIVE_FIRE_Q3 = {
    #       STINGER JAVELIN
    "POL": (6, 12),
    "DEU": (6, 8),
    "FRA": (0, 4),
    "GBR": (0, 6),
    "ITA": (4, 0),
    "NLD": (4, 0),
    "NOR": (0, 4),
    "ROU": (2, 4),
    "EST": (0, 6),
    "LTU": (4, 6),
}
# One-off donations to a partner outside the alliance: ally, item, period, quantity.
DONATIONS = [
    ("NOR", "155HE", "2027Q2", 5_000),
    ("NLD", "155HE", "2027Q1", 4_000),
    ("DEU", "GMLRS", "2027Q3", 20),
]

# Procurement budgets for these munitions, EUR million per quarter in each year. NOR has
# no rows: its purchases are not limited by a budget.
BUDGET_MEUR_PER_QUARTER = {
    #      2027 2028 2029 2030
    "POL": (300, 300, 300, 300),
    "DEU": (450, 450, 450, 450),
    "FRA": (200, 200, 200, 200),
    "GBR": (250, 250, 250, 250),
    "ITA": (150, 150, 150, 150),
    "NLD": (200, 200, 200, 200),
    "ROU": (150, 150, 150, 150),
    "EST": (15, 18, 20, 20),
    "LTU": (100, 100, 100, 100),
}

# Shipping from outside the alliance to every ally: from, item (None: every item),
# EUR per unit, extra quarters in transit. A row naming an item replaces the blank-item
# row for that item.
OVERSEAS_SHIPPING = [
    ("USA", None, 5_000, 1),  # missiles and rockets: secured air or sea freight
    ("USA", "155HE", 90, 1),
    ("USA", "120MOR", 30, 1),
    ("KOR", None, 120, 1),
]
# Road and rail inside the alliance, where it costs enough to matter:
# from, to, item (None: every item), EUR per unit, extra quarters in transit.
INLAND_TRANSPORT = [
    ("FRA", "EST", None, 60, 0),
    ("FRA", "LTU", None, 55, 0),
    ("GBR", "EST", None, 70, 0),
    ("GBR", "LTU", None, 65, 0),
    ("ITA", "EST", None, 50, 0),
    ("ITA", "ROU", "120MOR", 15, 0),
    ("NOR", "ROU", None, 60, 1),
]

# Export controls: host, facility, ally, item (None: any). Every delivery matching all
# non-blank fields of a row is forbidden.
RESTRICTIONS = [
    ("KOR", None, "EST", None),  # the host's export licence does not cover this ally
    (None, "THAMESIDE", "FRA", "155HE"),  # offset agreement: line reserved for others
    ("USA", None, "ROU", "JAVELIN"),  # sale not yet approved
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
    for ally, item, quantity in _by_item(TRAINING_PER_QUARTER, ["155HE", "120MOR"]):
        for period in PERIODS:
            used[ally, item, period] += quantity
    for ally, item, quantity in _by_item(LIVE_FIRE_Q3, ["STINGER", "JAVELIN"]):
        for year in YEARS:
            used[ally, item, f"{year}Q3"] += quantity
    for ally, item, period, quantity in DONATIONS:
        used[ally, item, period] += quantity
    order = {p: t for t, p in enumerate(PERIODS)}
    keys = sorted(used, key=lambda k: (k[0], ITEM_CODES.index(k[1]), order[k[2]]))
    return [(*key, used[key]) for key in keys]


def check_consumption_within_stock() -> None:
    """Consumption must never exceed the stock on hand, cumulatively, for any ally and item:
    the sample does not rely on new deliveries to cover training and donations."""
    on_hand = {(ally, item): value for ally, item, value in _by_item(STOCKS_2027, ITEM_CODES)}
    total: dict[tuple[str, str], int] = defaultdict(int)
    for ally, item, _, quantity in consumption_rows():  # in period order per ally and item
        total[ally, item] += quantity
        if total[ally, item] > on_hand.get((ally, item), 0):
            raise ValueError(f"consumption of {item} by {ally} exceeds its stock on hand")


def tables() -> dict[str, list[tuple]]:
    """Every sheet's rows, in the column order of the schema."""
    return {
        "Periods": [(period,) for period in PERIODS],
        "Allies": ALLIES,
        "Items": ITEMS,
        "Production": PRODUCTION,
        "Capacity": [
            (facility, item, period, capacity)
            for facility, item, first, last, capacity in CAPACITY
            for period in _periods_between(first, last)
        ],
        "Expansion": EXPANSION,
        "Requirements": [
            (ally, item, period, round(share * target))
            for ally, item, target in _by_item(TARGETS_2030, ITEM_CODES)
            for period, share in MILESTONES.items()
        ],
        "Stocks": _by_item(STOCKS_2027, ITEM_CODES),
        "Consumption": consumption_rows(),
        "Budgets": [
            (ally, f"{year}Q{quarter}", millions * 1_000_000)
            for ally, per_year in BUDGET_MEUR_PER_QUARTER.items()
            for year, millions in zip(YEARS, per_year, strict=True)
            for quarter in (1, 2, 3, 4)
        ],
        "Transport": [
            (origin, ally, cost, item, lead_time)
            for origin, item, cost, lead_time in OVERSEAS_SHIPPING
            for ally, *_ in ALLIES
        ]
        + [
            (origin, ally, cost, item, lead_time)
            for origin, ally, item, cost, lead_time in INLAND_TRANSPORT
        ],
        "Restrictions": RESTRICTIONS,
    }


def frames() -> dict[str, pd.DataFrame]:
    """Every sheet as a frame with the schema's columns, in the schema's sheet order."""
    rows = tables()
    return {  # a row may leave out the optional columns at its end
        sheet.name: pd.DataFrame(
            [tuple(row) + (None,) * (len(sheet.columns) - len(row)) for row in rows[sheet.name]],
            columns=sheet.column_names, dtype=object)
        for sheet in SHEETS
    }


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
    allies = ", ".join(f"{code} ({name})" for code, name, *_ in ALLIES)
    outside = sorted({host for _, host, *_ in PRODUCTION} - {code for code, *_ in ALLIES})
    unlimited = [code for code, *_ in ALLIES if code not in BUDGET_MEUR_PER_QUARTER]
    closing = [code for code, _, _, closure, _ in ALLIES if closure]
    working = [code for code, *_, work_share in ALLIES if work_share]
    return [
        ("title", ("Sample alliance: illustrative data, not official",)),
        ("text", ("",)),
        ("text", ("Status", "",
                  "ILLUSTRATIVE DATA, NOT OFFICIAL. Prices and production capacities are "
                  "rounded orders of magnitude from public reporting; stocks, readiness "
                  "targets, consumption, budgets, transport costs and export controls are "
                  "invented; every facility is fictional. The workbook shows what the "
                  "optimiser does; it says nothing about any nation's real stocks or plans.")),
        ("text", ("Regenerate", "",
                  "python scripts/make_sample.py   (writes inputs/sample_alliance.xlsx; the "
                  "data are the tables at the top of that script, and every run writes the "
                  "same data)")),
        ("text", ("Solve", "", "python -m optimizer solve inputs/sample_alliance.xlsx")),
        ("text", ("Units", "",
                  "Money in euro (EUR); gdp in EUR billion; periods are quarters "
                  f"{PERIODS[0]} to {PERIODS[-1]}; capacities in units per quarter; lead "
                  "times in quarters.")),
        ("text", ("Allies", "", allies + ".")),
        ("text", ("Priorities", "",
                  "Items.priority weighs a unit of shortfall, roughly in proportion to the "
                  "unit cost and higher per euro for air defence than for shells: "
                  + ", ".join(f"{code} {priority:g}" for code, _, _, _, priority, *_ in ITEMS)
                  + ".")),
        ("text", ("Scenario", "",
                  f"{len(ITEMS)} items from 155 mm shells to air-defence interceptors; "
                  f"{len(PRODUCTION)} production lines, some of them outside the alliance "
                  f"({', '.join(outside)}). Readiness targets rise each year to the 2030 "
                  "target (" + ", ".join(f"{p}: {s:.0%}" for p, s in MILESTONES.items())
                  + "); the lines cannot close every gap at once. New lines ramp up and one "
                  "line has an outage (Capacity); capacity can be expanded, paid by an ally "
                  "or by a joint fund (Expansion); allies use stock for training, live "
                  "firing and donations (Consumption); every ally but "
                  f"{_listed(unlimited)} has a quarterly budget; shipping from outside the "
                  "alliance costs money and time (Transport); a few export controls apply "
                  f"(Restrictions). {_listed(closing)} must close part of every gap "
                  f"(min_gap_closure); {_listed(working)} must place a share of their "
                  "spending with their own industry (work_share_min).")),
        ("text", ("",)),
        *readme_rows(),
    ]


def write_sample(path: str | Path = DEFAULT_OUT) -> Path:
    """Write the sample alliance workbook to ``path`` and return the path."""
    check_consumption_within_stock()
    sheets = {
        sheet.name: sheet_content(sheet, frame, _number_formats(sheet, frame))
        for sheet, frame in zip(SHEETS, frames().values(), strict=True)
    }
    return write_workbook(path, sheets, readme=readme(), readme_widths=README_WIDTHS)


def main(argv: list[str]) -> int:
    from optimizer.validation import load_workbook

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
