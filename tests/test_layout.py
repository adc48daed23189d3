"""The code's layout keeps the data flow's direction: the contracts in pyproject.toml's
[tool.importlinter], checked by import-linter as CI runs the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))")


def test_the_import_contracts_hold():
    """Run as ``lint-imports`` would be, by the interpreter running the tests (whose
    scripts folder need not be on PATH)."""
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
