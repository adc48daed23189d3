"""The code's layout keeps the data flow's direction: the contracts in pyproject.toml's
[tool.importlinter], checked by import-linter as CI runs the tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    command = shutil.which("lint-imports")
    assert command is not None, "import-linter is part of the test extra"
    run = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "broken" in run.stdout and "0 broken" in run.stdout
