"""The direction of imports: import-linter's contracts (pyproject.toml), and no import hidden in a function."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("builder_api", "workflow_runtime", "nodes", "flows")


def test_the_import_contracts_hold() -> None:
    linted = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_no_module_imports_inside_a_function() -> None:
    """An import inside a function hides a dependency from the contracts (and usually dodges a circle)."""
    hidden = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    hidden += [f"{path.relative_to(ROOT)}:{inner.lineno}" for inner in ast.walk(node)
                               if isinstance(inner, (ast.Import, ast.ImportFrom))]
    assert hidden == [], f"imports inside functions: {hidden}"
