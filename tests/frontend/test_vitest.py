"""The canvas's own unit tests (Vitest: store round trip, connection rules, duration picker) run in the one suite."""
from __future__ import annotations

from tests.frontend.conftest import Npm


def test_the_vitest_suite_passes(npm: Npm) -> None:
    result = npm("test", "--", "--run", "--reporter=dot")
    assert result.returncode == 0, f"Vitest failed:\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout
