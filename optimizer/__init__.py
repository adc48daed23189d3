"""Stockpile allocation optimiser: plans how an alliance rebuilds its munitions stocks.

The Python API, for scripts and notebooks: a workbook in, the run's result out::

    import optimizer

    result = optimizer.solve("inputs/sample_alliance.xlsx",
                             settings={"rules.max_supplier_share": 0.5})
    result.status, result.plan.total_cost  # "optimal", the plan's cost
    result.tables["Allocation"]          # the report's Allocation sheet, a DataFrame
    result.write_report("report.xlsx")   # the workbook ``stockpile solve`` writes
    result.to_html("report.html")        # the page ``stockpile solve --html`` writes
    optimizer.validate("alliance.xlsx")  # [Problem(where, message, severity), …]

``settings`` maps the model configuration's dotted keys (SPEC §3, as ``--set`` names
them) to values, applied over ``config`` (a model configuration TOML file; none: the
defaults). ``import optimizer`` stays light: the stages load when first called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.version import __version__

if TYPE_CHECKING:
    from optimizer.config import Config
    from optimizer.errors import Problem
    from optimizer.pipeline import RunResult

__all__ = ["__version__", "solve", "validate"]

SETTINGS = "settings"  # where a problem with a key of ``settings`` says it was given


def solve(workbook: str | Path, *, config: str | Path | Config | None = None,
          settings: Mapping[str, object] | None = None, verbose: bool = False,
          write_lp: str | Path | None = None,
          progress: Callable[[str], None] | None = None) -> RunResult:
    """Solve the input workbook at ``workbook`` as ``stockpile solve`` does and return
    the run's result (``optimizer.pipeline.RunResult``, immutable): its ``status``,
    ``plan``, ``summary()``, the report's sheets as ``tables``, ``write_report`` and
    ``to_html``.

    ``config``: a model configuration TOML file, or a configuration as
    ``optimizer.config.load_config`` returns it (``Config``); none: the defaults. ``settings``:
    dotted key -> value, applied over it, e.g. ``{"objective.mode": "weighted",
    "rules.max_supplier_share": 0.5}``. ``verbose`` shows the solver's log,
    ``write_lp`` writes the model as an LP file, ``progress`` is told each stage as it
    starts. Raises ``optimizer.errors.InputError`` (its ``problems`` name every cell
    or key) for an input or a setting that is not valid; ``validate`` returns them."""
    from optimizer.pipeline import solve_workbook

    return solve_workbook(Path(workbook), configuration(config, settings), verbose=verbose,
                          write_lp=None if write_lp is None else Path(write_lp),
                          progress=progress or (lambda stage: None))


def validate(workbook: str | Path, *, config: str | Path | Config | None = None,
             settings: Mapping[str, object] | None = None) -> list[Problem]:
    """Every problem ``stockpile validate`` finds in the workbook at ``workbook``, as
    data, without solving: ``optimizer.errors.Problem`` (``where``: "Sheet!B7", a
    sheet, the file or a configuration key's source; ``message``; ``severity``:
    "error", "warning", or "infeasible": valid, but no plan can meet every commitment).
    Empty for a valid workbook with nothing to look at; ``config`` and ``settings`` as
    for ``solve``, their own problems listed too."""
    from optimizer.errors import InputError
    from optimizer.pipeline import check_workbook

    try:
        _, warnings, conflicts = check_workbook(Path(workbook), configuration(config, settings))
        return [*warnings, *conflicts]
    except InputError as error:
        return [*error.problems, *error.warnings]


def configuration(config: str | Path | Config | None = None,
                  settings: Mapping[str, object] | None = None) -> Config:
    """The effective model configuration: the defaults, or ``config`` (a TOML file's
    keys over them, or a whole ``optimizer.config.Config``), then each of ``settings``
    (dotted key -> value) in turn (``Config.with_settings``); an ``InputError`` lists
    every unknown key and bad value, each where it was given."""
    from optimizer.config import Config, load_config

    base = config if isinstance(config, Config) else load_config(config)
    return base.with_settings(settings, where=SETTINGS) if settings else base
