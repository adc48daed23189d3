"""What a user is told: a finding located in the input (``Problem``), the exceptions a
user can act on, and the exit code each one leads to (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Problem:
    """One finding about the input, located at a sheet and cell (or a sheet, or a file)."""

    where: str  # "Production!D7", "Production!1:1", "Periods" or a file path
    message: str
    severity: str = "error"  # "warning", or "infeasible": valid, but no plan can hold it

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{prefix}{self.where}: {self.message}"


class ExitCode(IntEnum):
    SOLVED = 0
    UNEXPECTED = 1
    INVALID_INPUT = 2
    INFEASIBLE = 3
    SOLVER_FAILURE = 4
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM


class StockpileError(Exception):
    """An error the user can act on; its message is a sentence shown without a traceback."""

    exit_code = ExitCode.UNEXPECTED


class InputError(StockpileError):
    """The input workbook or model configuration is not valid.

    ``problems`` lists every error found in one pass, each naming its sheet and cell;
    ``warnings`` lists what was accepted but deserves a look.
    """

    exit_code = ExitCode.INVALID_INPUT

    def __init__(
        self, problems: list[Problem] | str, warnings: list[Problem] | None = None
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        self.problems = problems
        self.warnings = warnings or []
        count = len(problems)
        head = str(problems[0]) if problems else "invalid input"
        super().__init__(head if count == 1 else f"{count} problems, first: {head}")


class WorkbookFormatError(InputError):
    """The file is not a readable .xlsx workbook at all."""

    def __init__(self, path: str, sentence: str) -> None:
        super().__init__([Problem(path, sentence)])


class SolverFailure(StockpileError):
    exit_code = ExitCode.SOLVER_FAILURE


class Infeasible(StockpileError):
    exit_code = ExitCode.INFEASIBLE
