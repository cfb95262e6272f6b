"""bench/forecast.py still runs end to end (at a tiny size) and prints its figures.

Speed is never asserted here: the benchmark compares the forecast with the live runtime on the same events, in the
same process, and checks that the forecast's counters equal the live ones. With AUTOMAP_DATABASE_URL on PostgreSQL
the live side works in a database of its own (created and dropped by the bench); otherwise in a SQLite file.
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
    r"^forecast: 400 events of 80 shoppers over 4 days replayed in steps of \d+ min on (sqlite|postgresql) in "
    r"[\d.]+ s \([\d,]+ events/s, [\d,]+ steps\), counters equal to the live ones \| live runtime on the same "
    r"events [\d.]+ s \| forecast/live [\d.]+x$"
)


def test_the_forecast_benchmark_runs_and_prints_its_figures() -> None:
    command = [sys.executable, str(ROOT / "bench" / "forecast.py"), "--events", "400", "--days", "4"]
    if DATABASE_URL.startswith("postgres"):
        command += ["--database-url", DATABASE_URL, "--database-name", f"automap_bench_forecast_test_{os.getpid()}"]
    environment = {key: value for key, value in os.environ.items() if key != "AUTOMAP_DATABASE_URL"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    assert FINAL_LINE.match(result.stdout.strip().splitlines()[-1]), result.stdout
