"""The model configuration (SPEC §3): policy knobs in a TOML file, overridable per run.

Beyond SPEC §3, ``[explain]`` says which explanations a report gets that cost extra
solves: ``rule_prices`` re-solves once per active rule (``optimizer.explain.rule_prices``);
``ranging`` asks HiGHS up to where each dual holds (the Advice sheet's ranges);
``tie_break`` chooses among plans of equal cost and shortfall by a neutral rule and says
whether such plans exist (``optimizer.solve.phases.break_ties``); ``clean_plan`` then
chooses, among those, the plan that moves least between allies
(``optimizer.solve.phases.clean_plan``); ``measured_limits`` is how many limits of a
whole-unit model are measured by a re-solve with the limit relaxed
(``optimizer.explain.measured``); ``time_limit`` is what the re-solves behind the
explanations (rule prices, measured limits) may take together, 0 for half of
``solver.time_limit``. ``[report] currency`` names the money unit after every money
header and figure of every output (SPEC §7.7; blank: none named).

``DEFAULTS`` is the contract; ``models/baseline.toml`` spells it out with comments and a
test keeps the two identical. A configuration file may leave keys out (they take their
defaults); an unknown key, a wrong type, a value out of range or a number beyond the
solver's reach is an error naming the key, with a suggestion when it looks like a typo.
"""

from __future__ import annotations

import copy
import difflib
import math
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.files import not_a_regular_file, shown_path
from optimizer.reach import out_of_reach
from optimizer.words import with_article

DEFAULTS: dict[str, dict[str, object]] = {
    "objective": {
        "mode": "lexicographic",
        "shortfall_penalty": 1e6,
        "shortfall_tolerance": 1e-6,
    },
    "rules": {
        "budget_carryover": False,
        "allow_transfers": False,
        "min_gap_closure": 0.0,
        "min_gap_closure_from": "",
        "max_supplier_share": 1.0,
        "work_share": True,
    },
    "solver": {
        "name": "highs",
        "time_limit": 600,
        "mip_gap": 1e-4,
        "threads": 0,
    },
    "explain": {
        "rule_prices": True,
        "ranging": True,
        "tie_break": True,
        "clean_plan": True,
        "measured_limits": 10,
        "time_limit": 0,
    },
    "report": {
        "currency": "",
    },
}

DEFAULT_MODEL_FILE = Path("models/baseline.toml")
SETTING_TOO_LARGE = "give a realistic value"


def _number(low: float, high: float = math.inf, *, low_open: bool = False) -> Callable:
    """A check that a value is a number in [low, high] ((low, high] with ``low_open``);
    NaN is refused with that range, as in a cell. An infinite value within the range is
    left to ``apply_settings``'s reach check, which refuses it as too large."""

    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if math.isnan(value) or value < low or value > high or (low_open and value == low):
            if high == math.inf:
                return f"must be > {low:g}" if low_open else f"must be >= {low:g}"
            return f"must be in {'(' if low_open else '['}{low:g}, {high:g}]"
        return None

    return check


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _choice(options: Iterable[str]) -> Callable:
    options = tuple(options)

    def check(value: object) -> str | None:
        if value in options:
            return None
        return "must be one of " + ", ".join(f'"{o}"' for o in options)

    return check


# Short names an analyst types in solver.name, and the PuLP solver class each means.
SOLVER_NAMES = {
    "highs": "HiGHS",
    "highs_cmd": "HiGHS_CMD",
    "cbc": "COIN_CMD",
    "glpk": "GLPK_CMD",
    "gurobi": "GUROBI",
    "gurobi_cmd": "GUROBI_CMD",
    "cplex": "CPLEX_PY",
    "cplex_cmd": "CPLEX_CMD",
    "scip": "SCIP_PY",
    "xpress": "XPRESS_PY",
    "copt": "COPT",
    "mosek": "MOSEK",
}
KNOWN_SOLVERS = (", ".join(SOLVER_NAMES)
                 + " (or the name of a PuLP solver class, e.g. COIN_CMD)")


def solver_class_name(requested: str) -> str | None:
    """The PuLP solver class for a solver.name, e.g. "cbc" -> "COIN_CMD"; a name of
    ``SOLVER_NAMES`` or of a PuLP solver class, in any case; None for any other name.
    PuLP (a second to import) is asked only about names not in ``SOLVER_NAMES``."""
    name = SOLVER_NAMES.get(requested.strip().lower())
    if name is None:
        import pulp

        name = {n.lower(): n for n in pulp.listSolvers()}.get(requested.strip().lower())
    return name


def _solver_name(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and solver_class_name(value) is not None:
        return None
    return f"must be one of {KNOWN_SOLVERS}"


MAX_THREADS = 256
# Far more than any machine this runs on has cores; HiGHS asked for 100,000 threads
# aborts the process (SIGABRT) after minutes of trying to start them.


def _threads(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS:
        return f"must be 0 (the solver decides) or a whole number from 1 to {MAX_THREADS}"
    return None


def _period_code(value: object) -> str | None:
    # Which periods exist is the workbook's: ``validation.configuration_problems``.
    return None if isinstance(value, str) else 'must be a period code in quotes, e.g. "2028Q1"'


def _whole(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be a whole number >= 0"
    return None


MAX_CURRENCY = 8  # characters: "EUR", "€", "US$", "CHF"


def _currency(value: object) -> str | None:
    """A money unit to name after every money figure: blank, or at most MAX_CURRENCY
    letters and currency symbols (no spaces, digits or punctuation)."""
    if isinstance(value, str) and (value == "" or (
            len(value) <= MAX_CURRENCY
            and all(unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Sc"
                    for c in value))):
        return None
    return (f"must be blank or a short money unit: at most {MAX_CURRENCY} letters or "
            'currency symbols, such as "EUR", "€" or "US$"')


CHECKS: dict[str, Callable[[object], str | None]] = {
    "objective.mode": _choice(("lexicographic", "weighted")),
    "objective.shortfall_penalty": _number(0),
    "objective.shortfall_tolerance": _number(0),
    "rules.budget_carryover": _boolean,
    "rules.allow_transfers": _boolean,
    "rules.min_gap_closure": _number(0, 1),
    "rules.min_gap_closure_from": _period_code,
    "rules.max_supplier_share": _number(0, 1, low_open=True),
    "rules.work_share": _boolean,
    "solver.name": _solver_name,
    "solver.time_limit": _number(0, low_open=True),
    "solver.mip_gap": _number(0, 1),
    "solver.threads": _threads,
    "explain.rule_prices": _boolean,
    "explain.ranging": _boolean,
    "explain.tie_break": _boolean,
    "explain.clean_plan": _boolean,
    "explain.measured_limits": _whole,
    "explain.time_limit": _number(0),
    "report.currency": _currency,
}


# Keys that hold one of the workbook's codes (checked against it by
# ``validation.configuration_problems``).
CODE_KEYS = frozenset({"rules.min_gap_closure_from"})


def _unknown_key(where: str, key: str) -> Problem:
    close = difflib.get_close_matches(key, CHECKS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    known = ", ".join(f"[{s}]" for s in DEFAULTS)
    return Problem(where, f"unknown key '{key}'{hint}; the sections are {known}")


def parse_override(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` from ``--set``: VALUE is read as TOML (0.5, true, "x") or else as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError([Problem("--set", f"'{text}' must look like KEY=VALUE, "
                                           "e.g. rules.max_supplier_share=0.5")])
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value


def read_toml(path: Path, what: str) -> tuple[str, dict]:
    """The text and the document of the TOML file ``path``, a ``what`` ("model
    configuration", "scenario"). Raises ``InputError`` naming the file when it is not a
    regular file, does not exist, or is not UTF-8 TOML."""
    where = shown_path(path)
    try:
        kind = not_a_regular_file(path)
        if kind is not None:
            raise InputError([Problem(where, f"is {kind}, not a regular file; give the "
                                             f"path of {with_article(what)} TOML file")])
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError([Problem(where, f"no such {what} file")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(where, f"is not valid TOML ({exc})")]) from None


def load_config(
    path: str | Path | None = None, overrides: Iterable[str] = ()
) -> dict[str, dict[str, object]]:
    """The effective configuration: defaults, then the file's keys, then ``--set`` overrides.

    Raises ``InputError`` listing every unknown key and bad value.
    """
    config = copy.deepcopy(DEFAULTS)
    problems: list[Problem] = []
    settings: list[tuple[str, str, object]] = []  # (where, dotted key, value)
    if path is not None:
        path = Path(path)
        where = shown_path(path)
        _, document = read_toml(path, "model configuration")
        for section, table in document.items():
            if not isinstance(table, dict):
                problems.append(_unknown_key(where, section))
                continue
            settings.extend((where, f"{section}.{key}", value) for key, value in table.items())
    for text in overrides:
        key, value = parse_override(text)
        settings.append(("--set", key, value))
    try:
        config = apply_settings(config, settings)
    except InputError as error:
        problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return config


def apply_settings(config: dict[str, dict[str, object]],
                   settings: Iterable[tuple[str, str, object]]) -> dict[str, dict[str, object]]:
    """A copy of ``config`` with each (where, dotted key, value) applied in turn; raises
    ``InputError`` naming where every unknown key or bad value was given. Every number,
    once in its key's range, must be within the solver's reach as a cell's figure must
    (``optimizer.reach``): "objective.shortfall_penalty 1e+20 is too large for the solver
    (at most 1e+15); give a realistic value"."""
    config = copy.deepcopy(config)
    problems: list[Problem] = []
    for where, key, value in settings:
        if key not in CHECKS:
            problems.append(_unknown_key(where, key))
            continue
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(
            DEFAULTS[key.split(".")[0]][key.split(".")[1]], float
        ):
            value = float(value)
        if key in CODE_KEYS and isinstance(value, int | str) and not isinstance(value, bool):
            value = str(value).strip()  # a code, as the workbook reads it: 2028 -> "2028"
        message = CHECKS[key](value)
        if message:
            problems.append(Problem(where, f"{key} {message}, got {value!r}"))
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            beyond = out_of_reach(value, too_large=SETTING_TOO_LARGE)
            if beyond:
                problems.append(Problem(where, f"{key} {value:g} {beyond}"))
                continue
        section, name = key.split(".")
        config[section][name] = value
    if problems:
        raise InputError(problems)
    return config


def flatten(config: dict[str, dict[str, object]]) -> dict[str, object]:
    """``{"rules.work_share": True, …}``, for reports."""
    return {f"{s}.{k}": v for s, table in config.items() for k, v in table.items()}


def report_currency(config: dict | None) -> str:
    """The money unit of a run's outputs (``[report] currency``; blank: none named)."""
    return str(((config or {}).get("report", {}) or {}).get("currency", "") or "")
