"""What the canvas's tests share: npm in frontend/, with the packages of the lockfile installed, or a skip saying why."""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

Npm = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def npm() -> Npm:
    """Runs `npm ARGS` in frontend/ (stdin= feeds it input); installs the lockfile's packages first if they are missing."""
    if shutil.which("npm") is None:
        pytest.skip("Node.js/npm is not installed: the canvas's tools need it")
    if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True, capture_output=True, timeout=600)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["npm", *args], cwd=FRONTEND, input=stdin, capture_output=True, text=True, timeout=600)

    return run
