"""A tiny run of bench/widget.py, so the benchmark cannot rot; it asserts the report, never a speed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(
    r"^widget: p95 [\d.]+ ms push \| [\d.]+x baseline \(p95 [\d.]+ ms\) \| \d+ events/s \| events=20 visitors=3$"
)
CAPACITY_LINE = re.compile(
    r"^capacity: 30 streams open \| API p95 [\d.]+ ms worst, [\d.]+x no streams \(target <= 100 ms: (met|NOT met)\) "
    r"\| push p95 [\d.]+ ms \(target <= 50 ms: (met|NOT met)\)$"
)


def test_the_widget_benchmark_runs_and_prints_its_figures() -> None:
    # Embedded backends (a SQLite file, the in-process Redis stand-in): the bench owns them.
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "widget.py"), "--events", "20", "--visitors", "3", "--rate", "50",
         "--poll-interval", "0.2", "--open-streams", "30", "--probes", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert CAPACITY_LINE.match(lines[-2]), lines[-2]
    assert "push: SSE + Redis pub/sub" in result.stdout and "baseline: polling every 0.2 s" in result.stdout
