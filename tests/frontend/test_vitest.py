"""The canvas's own unit tests (Vitest: store round trip, connection rules, duration picker) run in the one suite."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


@pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js/npm is not installed: the canvas's Vitest suite needs it")
def test_the_vitest_suite_passes() -> None:
    if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True, capture_output=True, timeout=600)
    result = subprocess.run(
        ["npm", "test", "--", "--run", "--reporter=dot"], cwd=FRONTEND, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"Vitest failed:\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout
