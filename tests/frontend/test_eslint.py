"""ESLint over the canvas (typescript-eslint and the Rules of React), so a hook misuse fails the suite, not a review."""
from __future__ import annotations

from tests.frontend.conftest import Npm


def test_eslint_finds_nothing(npm: Npm) -> None:
    result = npm("run", "--silent", "lint")
    assert result.returncode == 0, f"ESLint found problems (`cd frontend && npm run lint`):\n{result.stdout}\n{result.stderr}"
