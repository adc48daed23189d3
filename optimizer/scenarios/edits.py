"""Scenarios: named what-if cases, each a set of configuration overrides (SPEC §3 keys)
and declarative edits of the input data.

A scenario file (TOML, kept in ``models/``) holds one ``[[scenario]]`` table per case::

    [[scenario]]
    name = "F0003 down in 2027H2"
    description = "the Nammo line is lost for two quarters"
    set = { "rules.max_supplier_share" = 0.6 }   # optional: configuration overrides

    [[scenario.edit]]
    kind = "scale_capacity"
    facility = "F0003"
    factor = 0
    from = "2027Q3"
    to = "2027Q4"

Edit kinds (``EDITS``) and what each does to the data as read from the workbook:

- ``scale_capacity`` (facility, [item], factor, [from], [to]): the line's capacity
  cap(ℓ,t) × factor; with a period window, only in those periods (written as Capacity
  rows, as a ramp or an outage would be), else the line's capacity and every Capacity row;
- ``remove_facility`` (facility): every line of the facility makes nothing (capacity 0
  in every period, no expansion);
- ``remove_host`` (host): every line hosted in that country makes nothing (an export
  stop);
- ``scale_budget`` ([ally], factor, [from], [to]): budget(a,t) × factor;
- ``scale_targets`` ([ally], [item], factor, [from], [to]): target(a,i,t) × factor;
- ``scale_consumption`` ([ally], [item], factor, [from], [to]): consumption × factor;
- ``scale_alliance_targets`` ([item], factor, [from], [to]): every AllianceTargets
  target(i,t) × factor (SPEC §7.2), and with it each ally's fair-share band floor
  (1 − δ)·φ_a·target(i,t);
- ``add_restriction`` ([host], [facility], [ally], [item]; at least one): one more
  Restrictions row (an export ban).
- ``remove_framework`` (framework): the joint purchase is gone (its Frameworks row and
  its FrameworkMembers rows, SPEC §7.2): its lead and members can still order from the
  line directly, at the line's unit_cost;
- ``scale_funding`` ([giver], [receiver], factor): each Funding row's cap max_amount ×
  factor (SPEC §7.2); a row without a cap stays uncapped, and factor 0 stops the funding;
- ``scale_fair_share_band`` (factor): the fair-share band δ × factor (SPEC §7.2), from
  the run's configuration after the scenario's ``set``; refused where δ·factor > 1.

Fields in brackets are optional; a blank ally or item means every one. ``from`` and
``to`` are periods of the workbook, both included. Every problem in a file is reported
at once, each with its file, line, scenario and edit.

Edits change the data, but for ``scale_fair_share_band``: the band δ is a configuration
key, so that edit changes the scenario's configuration (``Scenario.config``), as
``set = { "rules.fair_share_band" = 0.1 }`` would with a value rather than a factor
(δ ∈ [0, 1]; 1 switches the band off). A band outside [0, 1] is refused at load with the
key's own sentence, as is a band that the workbook's fair shares cannot serve (no
fair_share and no gdp for every ally).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.config import Config, read_toml
from optimizer.errors import InputError, Problem
from optimizer.files import shown_path
from optimizer.reach import beyond_reach, out_of_reach
from optimizer.tolerance import LARGEST, SMALLEST
from optimizer.workbook.data import AllianceData, table_field
from optimizer.workbook.schema import did_you_mean, nearest
from optimizer.workbook.validation import band_without_shares, configuration_problems

# kind -> (required fields, optional fields)
EDITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scale_capacity": (("facility", "factor"), ("item", "from", "to")),
    "remove_facility": (("facility",), ()),
    "remove_host": (("host",), ()),
    "scale_budget": (("factor",), ("ally", "from", "to")),
    "scale_targets": (("factor",), ("ally", "item", "from", "to")),
    "scale_consumption": (("factor",), ("ally", "item", "from", "to")),
    "scale_alliance_targets": (("factor",), ("item", "from", "to")),
    "add_restriction": ((), ("host", "facility", "ally", "item")),
    "remove_framework": (("framework",), ()),
    "scale_funding": (("factor",), ("giver", "receiver")),
    "scale_fair_share_band": (("factor",), ()),
}
# Edits that change the configuration rather than the data (``Scenario.config``).
CONFIGURING = ("scale_fair_share_band",)
# Rows a scenario adds to a table have no cell in the workbook.
ADDED_ROW = 0


# How each scaled quantity reads in a sentence (``Edit.sentence``).
_SCALED = {"scale_capacity": "Production capacity", "scale_budget": "Budgets",
           "scale_targets": "Readiness targets", "scale_consumption": "Consumption",
           "scale_alliance_targets": "Alliance targets", "scale_funding": "Funding caps",
           "scale_fair_share_band": "Fair-share band"}


@dataclasses.dataclass(frozen=True)
class Edit:
    kind: str
    fields: dict[str, object]
    where: str  # "file:line (scenario 'name', edit k)"

    @property
    def sentence(self) -> str:
        """What the edit does, e.g. "Production capacity × 0.5 at F0001 from 2027Q3 to
        2027Q4" (a scenario report's Run info)."""
        fields = self.fields
        if self.kind == "remove_facility":
            return f"Facility {fields['facility']} lost: its lines make nothing"
        if self.kind == "remove_host":
            return f"Lines hosted in {fields['host']} make nothing (an export stop)"
        if self.kind == "add_restriction":
            named = ", ".join(f"{key} {fields[key]}" for key in ("host", "facility", "ally",
                                                                 "item") if key in fields)
            return f"Restriction added ({named})"
        if self.kind == "remove_framework":
            return (f"Framework {fields['framework']} removed: its lead and members order "
                    "from the line directly")
        factor = np.format_float_positional(float(fields["factor"]), trim="-")
        text = f"{_SCALED[self.kind]} × {factor}"
        if "facility" in fields:
            text += f" at {fields['facility']}"
        if "item" in fields:
            text += f" for item {fields['item']}"
        if "giver" in fields:
            text += f" of {fields['giver']}"
        if "receiver" in fields:
            text += f" for {fields['receiver']}"
        if "ally" in fields:
            text += f" of ally {fields['ally']}"
        if "from" in fields and "to" in fields:
            text += f" from {fields['from']} to {fields['to']}"
        elif "from" in fields:
            text += f" from {fields['from']}"
        elif "to" in fields:
            text += f" until {fields['to']}"
        return text


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A what-if case: configuration settings (where, dotted key, value) and data edits."""

    name: str
    description: str = ""
    settings: tuple[tuple[str, str, object], ...] = ()
    edits: tuple[Edit, ...] = ()

    def config(self, base: Config) -> Config:
        """The base configuration with this scenario's settings applied, then its
        configuring edits (δ × factor for ``scale_fair_share_band``)."""
        where = f"scenario '{self.name}'"
        config = base.with_settings([(key, value) for _, key, value in self.settings],
                                    where=where)
        for edit in self.edits:
            if edit.kind == "scale_fair_share_band":
                band = config.rules.fair_share_band * float(edit.fields["factor"])
                config = config.with_settings([("rules.fair_share_band", band)],
                                              where=edit.where)
        return config

    def apply(self, data: AllianceData) -> AllianceData:
        """The data as this scenario changes it (the input itself is left alone)."""
        for edit in self.edits:
            if edit.kind not in CONFIGURING:
                data = _APPLY[edit.kind](data, edit.fields)
        return data

    @property
    def definition(self) -> dict[str, object]:
        """What the scenario is, without where it was written (a resumed sweep keeps a
        case only if its definition is the one recorded, ``sweep.case_key``)."""
        return {"name": self.name, "description": self.description,
                "settings": [[key, value] for _, key, value in self.settings],
                "edits": [[edit.kind, edit.fields] for edit in self.edits]}


def require_distinct_names(scenarios: list[Scenario]) -> None:
    """Raise ``InputError`` when two scenarios share a name (a sweep's rows are told apart
    by it)."""
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.name in seen:
            raise InputError(f"two scenarios share the name {scenario.name!r}; names must "
                             "differ")
        seen.add(scenario.name)


def load_scenarios(path: str | Path, data: AllianceData,
                   base_config: Config) -> list[Scenario]:
    """Read and check a scenario file against the workbook's data; raises ``InputError``
    listing every problem, each naming file, line, scenario and edit."""
    path = Path(path)
    shown = shown_path(path)
    text, document = read_toml(path, "scenario")
    tables = document.get("scenario")
    unknown = sorted(set(document) - {"scenario"})
    problems = [Problem(shown, f"unknown table '{key}'; a scenario file holds "
                                   "[[scenario]] tables") for key in unknown]
    if not isinstance(tables, list) or not tables:
        problems.append(Problem(shown, "holds no [[scenario]] table"))
        raise InputError(problems)
    scenario_lines, edit_lines = _header_lines(text)
    known = _codes(data)
    scenarios: list[Scenario] = []
    names: set[str] = set()
    for number, table in enumerate(tables):
        line = scenario_lines[number] if number < len(scenario_lines) else None
        where = f"{shown}:{line}" if line else f"{shown} (scenario {number + 1})"
        scenario, found = _scenario(table, where, shown, edit_lines.get(number, []), data,
                                    known, base_config)
        problems.extend(found)
        if scenario is not None:
            if scenario.name in names:
                problems.append(Problem(where, f"a second scenario is named '{scenario.name}'"))
            names.add(scenario.name)
            scenarios.append(scenario)
    if problems:
        raise InputError(problems)
    return scenarios


_SCENARIO_HEADER = re.compile(r"\s*\[\[\s*scenario\s*\]\]")
_EDIT_HEADER = re.compile(r"\s*\[\[\s*scenario\s*\.\s*edit\s*\]\]")


def _header_lines(text: str) -> tuple[list[int], dict[int, list[int]]]:
    """Line numbers (1-based) of each [[scenario]] header, in order, and of the
    [[scenario.edit]] headers of each scenario (by its position)."""
    scenarios: list[int] = []
    edits: dict[int, list[int]] = defaultdict(list)
    for number, line in enumerate(text.splitlines(), start=1):
        if _SCENARIO_HEADER.match(line):
            scenarios.append(number)
        elif _EDIT_HEADER.match(line):
            edits[len(scenarios) - 1].append(number)
    return scenarios, edits


def _codes(data: AllianceData) -> dict[str, set[str]]:
    """The codes an edit's field may name, by field (read once per scenario file)."""
    return {
        "facility": set(data.production["facility"]),
        "host": set(data.production["host"]),
        "ally": set(data.allies["ally"]),
        "item": set(data.items["item"]),
        "framework": set(data.frameworks["framework"]),
        "giver": set(data.funding["from"]),
        "receiver": set(data.funding["to"]),
        "from": set(data.periods),
        "to": set(data.periods),
    }


def _scenario(table: object, where: str, shown: str, edit_lines: list[int],
              data: AllianceData, known: dict[str, set[str]],
              base_config: Config) -> tuple[Scenario | None, list[Problem]]:
    if not isinstance(table, dict):
        return None, [Problem(where, "a scenario must be a table")]
    problems: list[Problem] = []
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        return None, [Problem(where, "every scenario needs a name (text)")]
    name = name.strip()
    where = f"{where} (scenario '{name}')"
    for key in sorted(set(table) - {"name", "description", "set", "edit"}):
        problems.append(Problem(where, f"unknown field '{key}'; a scenario has name, "
                                       "description, set and [[scenario.edit]] tables"))
    changes = _flat(table.get("set", {}))
    settings = tuple((where, key, value) for key, value in changes)
    if settings:
        try:
            applied = base_config.with_settings(changes, where=where)
        except InputError as error:
            problems.extend(error.problems)
        else:
            problems.extend(configuration_problems(data.periods, applied.rules, where))
            problems.extend(_band_problems(data, applied.rules.fair_share_band, where))
    edits = []
    edited = data  # as the edits so far leave it: two scalings of one figure compound
    raw_edits = table.get("edit", [])
    if not isinstance(raw_edits, list):
        raw_edits = [raw_edits]
    for number, raw in enumerate(raw_edits):
        line = f"{shown}:{edit_lines[number]}" if number < len(edit_lines) else shown
        edit_where = f"{line} (scenario '{name}', edit {number + 1})"
        edit, found = _edit(raw, edit_where, data, known)
        problems.extend(found)
        if edit is None:
            continue
        beyond = _beyond_reach(edit, edited)
        if beyond:
            problems.append(Problem(edit_where, beyond))
            continue
        edits.append(edit)
        if number < len(raw_edits) - 1:  # a later edit is judged on what this one leaves
            edited = _APPLY[edit.kind](edited, edit.fields)
    scenario = Scenario(name, str(table.get("description", "")), settings, tuple(edits))
    if not problems and any(edit.kind in CONFIGURING for edit in edits):
        problems.extend(_configured_band_problems(scenario, data, base_config, where))
    return scenario, problems


def _configured_band_problems(scenario: Scenario, data: AllianceData, base: Config,
                              where: str) -> list[Problem]:
    """The band a ``scale_fair_share_band`` edit leaves must be one δ ∈ [0, 1] that the
    workbook's fair shares serve. A factor taking δ above 1 is refused with the largest
    factor allowed: "factor 6 takes the fair-share band 0.2 to 1.2; δ is at most 1 (1
    switches the band off), so use a factor of at most 5"."""
    band = dataclasses.replace(scenario, edits=()).config(base).rules.fair_share_band
    for edit in scenario.edits:
        if edit.kind != "scale_fair_share_band":
            continue
        factor = float(edit.fields["factor"])
        if band * factor > 1:
            return [Problem(edit.where, f"factor {factor:g} takes the fair-share band "
                                        f"{band:g} to {band * factor:g}; δ is at most 1 (1 "
                                        "switches the band off), so use a factor of at most "
                                        f"{1 / band:g}")]
        band *= factor
    return _band_problems(data, band, where)


def _band_problems(data: AllianceData, band: float, where: str) -> list[Problem]:
    """A scenario's fair-share band must be one the workbook's fair shares can serve
    (``validation.band_without_shares``), as the workbook's own is at load."""
    unserved = (None if data.alliance_targets.empty
                else band_without_shares(data.allies, band))
    if not unserved:
        return []
    rows = data.allies["row"]
    first = data.cell("Allies", "fair_share", int(rows.min()))
    last = data.cell("Allies", "fair_share", int(rows.max())).split("!")[-1]
    return [Problem(where, f"{unserved} ({first}:{last})")]


def _flat(table: object, prefix: str = "") -> list[tuple[str, object]]:
    """{"rules": {"work_share": false}} or {"rules.work_share": false} as dotted keys."""
    if not isinstance(table, dict):
        return [(prefix.rstrip("."), table)]
    found = []
    for key, value in table.items():
        if isinstance(value, dict):
            found.extend(_flat(value, f"{prefix}{key}."))
        else:
            found.append((f"{prefix}{key}", value))
    return found


def _edit(raw: object, where: str, data: AllianceData,
          known: dict[str, set[str]]) -> tuple[Edit | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(where, "an edit must be a table with a kind")]
    kind = raw.get("kind")
    if kind not in EDITS:
        close = difflib.get_close_matches(str(kind), EDITS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return None, [Problem(where, f"unknown kind {kind!r}{hint}; the kinds are "
                                     + ", ".join(EDITS))]
    required, optional = EDITS[kind]
    fields = {key: value for key, value in raw.items() if key != "kind"}
    problems = [Problem(where, f"{kind} needs '{key}'") for key in required
                if key not in fields]
    for key in sorted(set(fields) - set(required) - set(optional)):
        allowed = ", ".join(required + optional)
        problems.append(Problem(where, f"{kind} has no field '{key}' (it takes {allowed})"))
    if kind == "add_restriction" and not fields:
        problems.append(Problem(where, "add_restriction needs at least one of host, "
                                       "facility, ally, item"))
    for key, value in fields.items():
        if key == "factor":
            refused = _factor_problem(value)
            if refused:
                problems.append(Problem(where, refused))
        elif key in known and str(value) not in known[key]:
            what = _FIELD_IS.get(key, key)
            meant = nearest(str(value), sorted(known[key]))
            problems.append(Problem(where, f"{key} {value!r} is not a {what} of the workbook"
                                    + did_you_mean(meant)))
    if {"from", "to"} <= set(fields) and not problems:
        order = data.period_index
        if order[str(fields["from"])] > order[str(fields["to"])]:
            problems.append(Problem(where, f"from {fields['from']!r} comes after "
                                           f"to {fields['to']!r}"))
    if problems:
        return None, problems
    fields = {key: (float(value) if key == "factor" else str(value))
              for key, value in fields.items()}
    idle = (_no_alliance_target(data, fields) if kind == "scale_alliance_targets"
            else _no_funding(data, fields) if kind == "scale_funding" else None)
    if idle:
        return None, [Problem(where, idle)]
    return Edit(kind, fields, where), []


_FIELD_IS = {"from": "period", "to": "period", "giver": "paying ally of the Funding sheet",
             "receiver": "funded ally of the Funding sheet"}


def _no_funding(data: AllianceData, fields: dict) -> str | None:
    """Why a ``scale_funding`` edit would change nothing (no Funding row of its giver and
    receiver), or None."""
    if data.funding.empty:
        return ("the workbook has no Funding rows, so scale_funding would change nothing; "
                "add who pays for whom to the Funding sheet")
    if _funding_rows(data.funding, fields).any():
        return None
    pairs = ", ".join(f"{giver} → {receiver}" for giver, receiver
                      in data.funding[["from", "to"]].itertuples(index=False))
    return (f"{fields['giver']} pays for no purchases of {fields['receiver']} in the Funding "
            f"sheet, so the edit would change nothing; its rows are {pairs}")


def _funding_rows(funding: pd.DataFrame, fields: dict) -> pd.Series:
    mask = pd.Series(True, index=funding.index)
    for field, column in (("giver", "from"), ("receiver", "to")):
        if field in fields:
            mask &= funding[column] == fields[field]
    return mask


def _no_alliance_target(data: AllianceData, fields: dict) -> str | None:
    """Why a ``scale_alliance_targets`` edit would change nothing (no AllianceTargets row
    of its item and periods), or None: a mistaken item or window, said rather than
    solved."""
    targets = data.alliance_targets
    matched = _matching(targets, fields, ("item",)) & targets["period"].isin(
        _window(data, fields))
    if matched.any():
        return None
    if targets.empty:
        return ("the workbook has no AllianceTargets rows, so scale_alliance_targets would "
                "change nothing; add the alliance targets to the AllianceTargets sheet")
    named = [f"item {fields['item']!r}"] if "item" in fields else []
    named += [f"{key} {fields[key]!r}" for key in ("from", "to") if key in fields]
    present = [f"{item} in {period}"
               for item, period in targets[["item", "period"]].itertuples(index=False)]
    shown = ", ".join(present[:5]) + (" …" if len(present) > 5 else "")
    return (f"no AllianceTargets row is for {', '.join(named)}, so the edit would change "
            f"nothing; the sheet has targets for {shown}")


# Factors, and the figures an edit scales, must stay within the solver's reach -----------

FACTOR_TOO_LARGE = "use a smaller factor"
FACTOR_TOO_SMALL = "use factor 0 or a larger one"


def _factor_problem(value: object) -> str | None:
    """Why a scaling factor is refused, or None. As for a figure in a cell, it must be a
    number >= 0 (NaN is not), of size 0 or within the solver's reach
    (``optimizer.reach.out_of_reach``: "factor inf is too large for the solver (at most
    1e+15); use a smaller factor"); a factor within reach cannot overflow a figure that
    is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"factor must be a number >= 0, got {value!r}"
    if not value >= 0:  # negative, or NaN
        return f"factor must be a number >= 0, got {value:g}"
    why = out_of_reach(value, too_large=FACTOR_TOO_LARGE, too_small=FACTOR_TOO_SMALL)
    return None if why is None else f"factor {value:g} {why}"


SCALED = {
    "scale_capacity": (("Production", "capacity"), ("Capacity", "capacity")),
    "scale_budget": (("Budgets", "budget"),),
    "scale_targets": (("Requirements", "target"),),
    "scale_consumption": (("Consumption", "quantity"),),
    "scale_alliance_targets": (("AllianceTargets", "target"),),
    "scale_funding": (("Funding", "max_amount"),),
}


def _beyond_reach(edit: Edit, data: AllianceData) -> str | None:
    """Why a scaling edit is refused, or None: it would take a figure out of the solver's
    reach (``optimizer.reach.out_of_reach``). The sentence names the factor, the figure
    scaled furthest out and its cell, e.g. "factor 1e+20 scales capacity 76
    (Production!D2) to 7.6e+21, which is too large for the solver (at most 1e+15); use a
    smaller factor"."""
    if edit.kind not in SCALED:
        return None
    factor = float(edit.fields["factor"])
    if all(_stays_in_reach(data.table(sheet)[column], factor)
           for sheet, column in SCALED[edit.kind]):
        return None  # the common case, decided without applying the edit
    after = _APPLY[edit.kind](data, edit.fields)
    for sheet, column in SCALED[edit.kind]:
        table = after.table(sheet)
        values = table[column].to_numpy(float)
        beyond = beyond_reach(values)
        if not beyond.any():
            continue
        sizes = np.abs(values)
        large = beyond & (sizes > LARGEST)  # the largest of those too large, else the smallest
        at = (int(np.argmax(np.where(large, sizes, -1.0))) if large.any()
              else int(np.argmin(np.where(beyond, sizes, np.inf))))
        record = table.iloc[at]
        why = out_of_reach(values[at], too_large=FACTOR_TOO_LARGE, too_small=FACTOR_TOO_SMALL)
        return (f"factor {factor:g} scales {column} {values[at] / factor:g} "
                f"({_source_cell(data, sheet, column, record)}) to {values[at]:g}, which "
                f"{why}")
    return None


def _stays_in_reach(figures: pd.Series, factor: float) -> bool:
    """Whether every figure of a column, scaled by ``factor``, is still in reach: true when
    its largest size times |factor| is at most ``LARGEST`` and its smallest non-zero size
    times |factor| at least ``SMALLEST`` (an edit scales some of the figures, or figures
    derived from them, so this bounds them all)."""
    sizes = np.abs(figures.to_numpy(float))
    sizes = sizes[sizes > 0]
    if sizes.size == 0 or factor == 0:  # zeros stay zeros
        return True
    return sizes.max() * abs(factor) <= LARGEST and sizes.min() * abs(factor) >= SMALLEST


def _source_cell(data: AllianceData, sheet: str, column: str, record: pd.Series) -> str:
    """The workbook cell a scaled figure came from; for a Capacity row a scenario adds,
    the line's capacity in Production, which it scales."""
    if int(record["row"]) != ADDED_ROW:
        return data.cell(sheet, column, int(record["row"]))
    line = data.production[(data.production["facility"] == record["facility"])
                           & (data.production["item"] == record["item"])]
    return data.cell("Production", "capacity", int(line["row"].iloc[0]))


# Applying edits ---------------------------------------------------------------------

def _window(data: AllianceData, fields: dict) -> list[str]:
    """The periods from ``from`` to ``to`` (both included; every period by default)."""
    order = data.period_index
    first = order[fields["from"]] if "from" in fields else 0
    last = order[fields["to"]] if "to" in fields else len(data.periods) - 1
    return list(data.periods[first:last + 1])


def _matching(table: pd.DataFrame, fields: dict, keys: tuple[str, ...]) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for key in keys:
        if key in fields:
            mask &= table[key] == fields[key]
    return mask


def _scale_capacity(data: AllianceData, fields: dict) -> AllianceData:
    factor = float(fields["factor"])
    lines = data.production[_matching(data.production, fields, ("facility", "item"))]
    capacity = data.capacity.copy()
    if "from" not in fields and "to" not in fields:
        production = data.production.copy()
        production.loc[lines.index, "capacity"] *= factor
        on_line = capacity.set_index(["facility", "item"]).index.isin(
            lines.set_index(["facility", "item"]).index)
        capacity.loc[on_line, "capacity"] *= factor
        return dataclasses.replace(data, production=production, capacity=capacity)
    window = _window(data, fields)
    grid = lines[["facility", "item", "capacity"]].rename(columns={"capacity": "base"})
    grid = grid.merge(pd.DataFrame({"period": window}), how="cross")
    merged = grid.merge(capacity, on=["facility", "item", "period"], how="left")
    merged["capacity"] = merged["capacity"].fillna(merged["base"]) * factor
    merged["row"] = merged["row"].fillna(ADDED_ROW).astype("int64")
    kept = capacity.merge(grid[["facility", "item", "period"]], how="left", indicator=True,
                          on=["facility", "item", "period"])
    kept = capacity[(kept["_merge"] == "left_only").to_numpy()]
    capacity = pd.concat([kept, merged[capacity.columns]], ignore_index=True)
    return dataclasses.replace(data, capacity=capacity)


def _without_lines(data: AllianceData, gone: pd.Series) -> AllianceData:
    """The lines make nothing: capacity 0 in every period, no expansion. They stay in the
    model (with every order on them held at 0), so the scenario's model has the base
    case's structure and its solve starts from the base case's basis."""
    lines = data.production[gone].set_index(["facility", "item"]).index

    def on_lines(table: pd.DataFrame) -> np.ndarray:
        return table.set_index(["facility", "item"]).index.isin(lines)

    production, capacity, expansion = (data.production.copy(), data.capacity.copy(),
                                       data.expansion.copy())
    production.loc[on_lines(production), "capacity"] = 0.0
    capacity.loc[on_lines(capacity), "capacity"] = 0.0
    expansion.loc[on_lines(expansion), "max_extra"] = 0.0
    return dataclasses.replace(data, production=production, capacity=capacity,
                               expansion=expansion)


def _remove_facility(data: AllianceData, fields: dict) -> AllianceData:
    return _without_lines(data, data.production["facility"] == fields["facility"])


def _remove_host(data: AllianceData, fields: dict) -> AllianceData:
    return _without_lines(data, data.production["host"] == fields["host"])


def _scaler(table_name: str, column: str, keys: tuple[str, ...]):
    def scale(data: AllianceData, fields: dict) -> AllianceData:
        table = data.table(table_name).copy()
        mask = _matching(table, fields, keys)
        if "period" in table.columns:
            mask &= table["period"].isin(_window(data, fields))
        table.loc[mask, column] = table.loc[mask, column] * float(fields["factor"])
        return dataclasses.replace(data, **{table_field(table_name): table})
    return scale


def _add_restriction(data: AllianceData, fields: dict) -> AllianceData:
    row = {column: fields.get(column) for column in data.restrictions.columns}
    row["row"] = ADDED_ROW
    added = pd.DataFrame([row]).astype({"row": "int64"})
    restrictions = pd.concat([data.restrictions, added], ignore_index=True)
    return dataclasses.replace(data, restrictions=restrictions.replace({np.nan: None}))


def _scale_funding(data: AllianceData, fields: dict) -> AllianceData:
    funding = data.funding.copy()
    rows = _funding_rows(funding, fields)
    # A blank cap (NaN) stays blank: no cap times any factor is still no cap.
    funding.loc[rows, "max_amount"] = funding.loc[rows, "max_amount"] * float(fields["factor"])
    return dataclasses.replace(data, funding=funding)


def _remove_framework(data: AllianceData, fields: dict) -> AllianceData:
    framework = fields["framework"]
    return dataclasses.replace(
        data, frameworks=data.frameworks[data.frameworks["framework"] != framework],
        framework_members=data.framework_members[
            data.framework_members["framework"] != framework])


_APPLY = {
    "scale_capacity": _scale_capacity,
    "remove_facility": _remove_facility,
    "remove_host": _remove_host,
    "scale_budget": _scaler("Budgets", "budget", ("ally",)),
    "scale_targets": _scaler("Requirements", "target", ("ally", "item")),
    "scale_consumption": _scaler("Consumption", "quantity", ("ally", "item")),
    "scale_alliance_targets": _scaler("AllianceTargets", "target", ("item",)),
    "add_restriction": _add_restriction,
    "remove_framework": _remove_framework,
    "scale_funding": _scale_funding,
}


# Built-in sweeps ---------------------------------------------------------------------

def outage_each_facility(data: AllianceData) -> list[Scenario]:
    """N-1: one scenario per facility, with every line of it gone."""
    return [Scenario(f"without {facility}", f"facility {facility} is lost for the whole "
                                            "horizon",
                     edits=(Edit("remove_facility", {"facility": facility}, "--outage"),))
            for facility in sorted(set(data.production["facility"]))]


SCALED_BY_OPTION = {"scale_budget": ("budgets", "--budget-scale"),
                    "scale_targets": ("targets", "--target-scale")}


def scaled(kind: str, factors: list[float], data: AllianceData) -> list[Scenario]:
    """One scenario per factor: every budget (``scale_budget``) or every target
    (``scale_targets``) multiplied by it. Raises ``InputError`` naming the option and each
    factor refused as a scenario file's would be: not a number >= 0, out of the solver's
    reach, or taking a figure of ``data`` out of it."""
    what, option = SCALED_BY_OPTION[kind]
    scenarios, problems = [], []
    for factor in factors:
        scenario = Scenario(f"{what} x{factor:g}", f"every ally's {what} multiplied by "
                            f"{factor:g}", edits=(Edit(kind, {"factor": float(factor)}, option),))
        refused = _factor_problem(factor) or _beyond_reach(scenario.edits[0], data)
        if refused:
            problems.append(Problem(option, refused))
        scenarios.append(scenario)
    if problems:
        raise InputError(problems)
    return scenarios
