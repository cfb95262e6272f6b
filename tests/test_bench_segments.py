"""bench/segments.py still runs end to end (at a tiny size) and prints its figures.

Speed is never asserted here: the benchmark compares against its in-process baseline (and
checks its SQL answers equal the evaluator's before timing). With AUTOMAP_DATABASE_URL on
PostgreSQL it works in a database of its own (created and dropped by the bench); otherwise
in a SQLite file of its own.
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
    r"^segments: count p95 [\d.]+ ms, first page p95 [\d.]+ ms at 1,500 contacts \| [\d,.]+x the evaluator baseline "
    r"at least \| target count ≤ 1 s, page ≤ 200 ms: (met|NOT met)$"
)


def test_the_segments_benchmark_runs_and_prints_its_figures() -> None:
    command = [sys.executable, str(ROOT / "bench" / "segments.py"), "--contacts", "1500", "--events", "3",
               "--repeat", "2", "--baseline-repeat", "1"]
    if DATABASE_URL.startswith("postgres"):
        command += ["--database-url", DATABASE_URL, "--database-name", f"automap_bench_segments_test_{os.getpid()}"]
    environment = {key: value for key, value in os.environ.items() if key != "AUTOMAP_DATABASE_URL"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    for name in ("property", "events", "combined"):
        assert re.search(rf"^ *{name}: +[\d,]+ match \| count p95 .* evaluator baseline p95", result.stdout, re.M), name
    expected = "postgresql" if DATABASE_URL.startswith("postgres") else "sqlite"
    assert lines[0].startswith(f"database {expected} | 1,500 contacts, 4,500 events")
