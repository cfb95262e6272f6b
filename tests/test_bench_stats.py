"""bench/stats.py still runs end to end (at a tiny size) and prints its figures.

Speed is never asserted here: the benchmark compares against its in-process baseline.
With AUTOMAP_DATABASE_URL on PostgreSQL it works in a database of its own (created and
dropped by the bench); otherwise in a SQLite file of its own.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("AUTOMAP_DATABASE_URL", "")

FINAL_LINE = re.compile(
    r"^stats: p95 [\d.]+ ms for [\d,]+ runs' worth \| [\d,]+x the recount baseline \| target p95 ≤ 20 ms: (met|NOT met)$"
)


def test_the_stats_benchmark_runs_and_prints_its_figures() -> None:
    command = [sys.executable, str(ROOT / "bench" / "stats.py"), "--runs", "20000", "--days", "5",
               "--walks-per-day", "40", "--baseline-runs", "200", "--other-versions", "2", "--requests", "10",
               "--baseline-repeat", "2"]
    if DATABASE_URL.startswith("postgres"):
        command += ["--database-url", DATABASE_URL, "--database-name", f"automap_bench_stats_test_{os.getpid()}"]
    environment = {key: value for key, value in os.environ.items() if key != "AUTOMAP_DATABASE_URL"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert "runs' worth of counters, 10 requests: p50" in result.stdout
    assert "recounted from 200 runs" in result.stdout
    expected = "postgresql" if DATABASE_URL.startswith("postgres") else "sqlite"
    assert lines[0].startswith(f"database {expected}")
