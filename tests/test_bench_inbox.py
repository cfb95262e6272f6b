"""A tiny run of bench/inbox.py, so the benchmark cannot rot; it asserts the report, never a speed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(
    r"^inbox: p95 [\d.]+ ms operator→widget \| [\d.]+x baseline \(p95 [\d.]+ ms\) \| p95 [\d.]+ ms visitor→inbox "
    r"\| replies=20 visitors=3$"
)
TARGET_LINE = re.compile(r"^target: p95 <= 100 ms operator → widget: (met|NOT met)$")


def test_the_inbox_benchmark_runs_and_prints_its_figures() -> None:
    # Embedded backends (a SQLite file, the in-process Redis stand-in): the bench owns them.
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "inbox.py"), "--replies", "20", "--messages", "6", "--visitors", "3",
         "--rate", "50", "--poll-interval", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, encoding="utf-8",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert TARGET_LINE.match(lines[-2]), lines[-2]
    for phase in ("visitor → inbox: SSE + Redis pub/sub", "operator → widget: SSE + Redis pub/sub",
                  "operator → widget, baseline: polling every 0.2 s"):
        assert phase in result.stdout, result.stdout
