"""The model configuration (SPEC §3): policy knobs in a TOML file, overridable per run.

``Config`` holds one frozen section per TOML table (``ObjectiveConfig``, ``RulesConfig``,
``SolverConfig``, ``ExplainConfig``, ``ReportConfig``); each field is a key of that table,
with the type its check admits and its meaning in its docstring. ``load_config`` reads
defaults, then a file, then ``--set`` overrides, checks every value once and returns a
``Config``; ``Config.with_settings`` derives a changed one through the same checks (a
scenario, a rule lifted to price it, a quiet re-solve). Beyond SPEC §3, ``[explain]``
says which explanations a report gets that cost extra solves, and ``[report]`` how its
money is named.

``DEFAULTS`` (the sections' defaults, as TOML tables) is the contract;
``models/baseline.toml`` spells it out with comments and a test keeps the two identical.
A configuration file may leave keys out (they take their defaults); an unknown key, a
wrong type, a value out of range or a number beyond the solver's reach is an error
naming the key, with a suggestion when it looks like a typo.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.files import not_a_regular_file, shown_path
from optimizer.reach import out_of_reach
from optimizer.words import with_article


@dataclass(frozen=True)
class ObjectiveConfig:
    """``[objective]``: what the plan minimises (SPEC §4, the objective)."""

    mode: str = "lexicographic"
    """Either "lexicographic": least weighted shortfall first, then least cost at that
    shortfall (within ``shortfall_tolerance``); or "weighted": one sum, cost plus each
    unit of shortfall times its penalty."""
    shortfall_penalty: float = 1e6
    """Weighted mode: the cost of one unit of shortfall of an item whose
    Items.shortfall_penalty is blank."""
    shortfall_tolerance: float = 1e-6
    """Lexicographic mode: the relative slack ε allowed on the phase-1 optimum W*; the
    cost phase keeps W ≤ W*·(1 + ε) + ε."""


@dataclass(frozen=True)
class RulesConfig:
    """``[rules]``: the policy rules of SPEC §4 that a run switches or sets."""

    budget_carryover: bool = False
    """Unspent budget rolls into later periods: Σ_{τ≤t} spend ≤ Σ_{τ≤t} budget, instead
    of spend ≤ budget in each period."""
    allow_transfers: bool = False
    """Allies may hand stock to each other."""
    min_gap_closure: float = 0.0
    """In [0, 1]: every ally closes at least this share of every gap (an ally's
    Allies.min_gap_closure overrides it)."""
    min_gap_closure_from: str = ""
    """The first period in which ``min_gap_closure`` applies, a period code of the
    workbook such as "2028Q1"; "": every period (an ally's Allies.min_gap_closure_from
    overrides it)."""
    max_supplier_share: float = 1.0
    """In (0, 1]: the most of an ally's deliveries of an item that one host country may
    supply."""
    work_share: bool = True
    """Enforce Allies.work_share_min where it is given: that share of an ally's spending
    goes to its own industry."""
    fair_share_band: float = 1.0
    """δ in [0, 1] (SPEC §7.2): every ally holds at least (1 − δ) · its fair share of
    every alliance target, or the part it lacks counts as shortfall; 1: no band."""


@dataclass(frozen=True)
class SolverConfig:
    """``[solver]``: which solver runs and how long it may search."""

    name: str = "highs"
    """A name of ``SOLVER_NAMES`` or of a PuLP solver class, in any case; "highs" runs
    HiGHS in-process."""
    time_limit: float = 600
    """Seconds the whole solve (all its phases) may take, > 0. A whole number stays
    whole, so that outputs show it as written."""
    mip_gap: float = 1e-4
    """In [0, 1]: the relative MIP gap at which a solve with integer items stops."""
    threads: int = 0
    """0: the solver decides; else 1 to ``MAX_THREADS``."""


@dataclass(frozen=True)
class ExplainConfig:
    """``[explain]``: the explanations of a report that cost extra solves."""

    rule_prices: bool = True
    """Re-solve once without each active rule to show its price
    (``optimizer.explain.rule_prices``)."""
    ranging: bool = True
    """Ask HiGHS up to where each marginal value holds (the Advice sheet's ranges)."""
    tie_break: bool = True
    """Among plans of equal cost and shortfall, choose by a neutral rule (leave the
    smallest largest share of any ally's gap open) and say whether such plans exist
    (``optimizer.solver.phases.break_ties``)."""
    clean_plan: bool = True
    """Then, among those, choose the plan that moves least between allies, with no round
    trips (``optimizer.solver.phases.clean_plan``)."""
    standardisation: bool = True
    """Re-solve once with each candidate pair of Compatibility (qualified FALSE)
    qualified, to show what qualifying it is worth (``optimizer.explain.standardisation``,
    SPEC §7.1)."""
    measured_limits: int = 10
    """Whole-unit models: how many limits, those the LP relaxation ranks highest, are
    measured by a re-solve with the limit relaxed by one step
    (``optimizer.explain.measured``)."""
    time_limit: float = 0
    """Seconds the explanations' re-solves (rule prices, standardisation, measured
    limits) may take together, ≥ 0; 0: half of ``solver.time_limit``. A whole number
    stays whole."""


@dataclass(frozen=True)
class ReportConfig:
    """``[report]``: how every output names its figures."""

    currency: str = ""
    """The money unit named after every money header and figure of every output
    (SPEC §7.7), at most ``MAX_CURRENCY`` letters or currency symbols; "": none named."""


@dataclass(frozen=True)
class Config:
    """A run's effective model configuration, checked (``load_config``) and immutable:
    ``config.rules.max_supplier_share``. A changed one is derived by ``with_settings``."""

    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    def as_dict(self) -> dict[str, dict[str, object]]:
        """The configuration as TOML tables: ``{"rules": {"work_share": True, …}, …}``,
        in the order of ``models/baseline.toml``."""
        return {section.name: dataclasses.asdict(getattr(self, section.name))
                for section in dataclasses.fields(self)}

    def flat(self) -> dict[str, object]:
        """``{"rules.work_share": True, …}``: dotted key to value, for reports and run
        records."""
        return {f"{section}.{key}": value
                for section, table in self.as_dict().items() for key, value in table.items()}

    def with_settings(self, settings: Mapping[str, object] | Iterable[tuple[str, object]],
                      *, where: str = "model configuration") -> Config:
        """This configuration with each dotted key set to its value, in turn (a mapping or
        (key, value) pairs), checked as ``load_config`` checks a file's keys; raises
        ``InputError`` naming ``where`` for every unknown key or bad value."""
        pairs = settings.items() if isinstance(settings, Mapping) else settings
        return _applied(self, [(where, key, value) for key, value in pairs])

    def without_explanations(self, keep: Iterable[str] = ()) -> Config:
        """This configuration with none of the explanations that cost extra solves (every
        ``[explain]`` switch off, no measured limits) but the switches named in ``keep``."""
        keep = set(keep)
        switched_off = {f"explain.{key}": False
                        for key, value in dataclasses.asdict(self.explain).items()
                        if isinstance(value, bool) and key not in keep}
        return self.with_settings({**switched_off, "explain.measured_limits": 0})


DEFAULTS: dict[str, dict[str, object]] = Config().as_dict()

DEFAULT_MODEL_FILE = Path("models/baseline.toml")
SETTING_TOO_LARGE = "give a realistic value"


def _number(low: float, high: float = math.inf, *, low_open: bool = False) -> Callable:
    """A check that a value is a number in [low, high] ((low, high] with ``low_open``);
    NaN is refused with that range, as in a cell. An infinite value within the range is
    left to ``_applied``'s reach check, which refuses it as too large."""

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
    "rules.fair_share_band": _number(0, 1),
    "solver.name": _solver_name,
    "solver.time_limit": _number(0, low_open=True),
    "solver.mip_gap": _number(0, 1),
    "solver.threads": _threads,
    "explain.rule_prices": _boolean,
    "explain.ranging": _boolean,
    "explain.tie_break": _boolean,
    "explain.clean_plan": _boolean,
    "explain.standardisation": _boolean,
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


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> Config:
    """The effective configuration: defaults, then the file's keys, then ``--set`` overrides.

    Raises ``InputError`` listing every unknown key and bad value.
    """
    config = Config()
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
        config = _applied(config, settings)
    except InputError as error:
        problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return config


def _applied(config: Config, settings: Iterable[tuple[str, str, object]]) -> Config:
    """``config`` with each (where, dotted key, value) applied in turn; raises
    ``InputError`` naming where every unknown key or bad value was given. A whole number
    given for a key whose default is fractional becomes a float (the one cast); a code
    is read as the workbook reads it. Every number, once in its key's range, must be
    within the solver's reach as a cell's figure must (``optimizer.reach``):
    "objective.shortfall_penalty 1e+20 is too large for the solver (at most 1e+15); give
    a realistic value"."""
    tables = config.as_dict()
    problems: list[Problem] = []
    for where, key, value in settings:
        if key not in CHECKS:
            problems.append(_unknown_key(where, key))
            continue
        section, name = key.split(".")
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(
            DEFAULTS[section][name], float
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
        tables[section][name] = value
    if problems:
        raise InputError(problems)
    return dataclasses.replace(config, **{
        section: dataclasses.replace(getattr(config, section), **tables[section])
        for section in tables})
