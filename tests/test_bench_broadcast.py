"""bench/broadcast.py still runs end to end (at a tiny size) and prints its figures.

Speed is never asserted here: the benchmark compares against its in-process baseline (and checks both paths enrol
the same contacts). With AUTOMAP_DATABASE_URL on PostgreSQL it works in a database of its own (created and dropped
by the bench); otherwise in a SQLite file of its own.
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
    r"^broadcast: [\d,]+ of 1,500 contacts enrolled on (sqlite|postgresql) \| members selected in SQL [\d.]+ s "
    r"\(\d+ chunks, [\d,]+ contacts/s\) \| evaluator baseline [\d.]+ s \(\d+ chunks\) \| [\d.]+x faster$"
)


def test_the_broadcast_benchmark_runs_and_prints_its_figures() -> None:
    command = [sys.executable, str(ROOT / "bench" / "broadcast.py"), "--contacts", "1500", "--events", "3"]
    if DATABASE_URL.startswith("postgres"):
        command += ["--database-url", DATABASE_URL, "--database-name", f"automap_bench_broadcast_test_{os.getpid()}"]
    environment = {key: value for key, value in os.environ.items() if key != "AUTOMAP_DATABASE_URL"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    assert FINAL_LINE.match(result.stdout.strip().splitlines()[-1]), result.stdout
