"""A tiny run of bench/reports.py (the funnel, then revenue by source), so the benchmark cannot rot; it asserts the
report, never a speed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNNEL_LINE = re.compile(r"^reports: 4-step funnel p95 [\d.]+ ms over 10,000 events \| brute-force baseline p95 [\d.]+ ms "
                         r"\| [\d.]+x faster \| target ≤ 2 s: (met|NOT met)$")
REVENUE_LINE = re.compile(r"^revenue: [\d,]+ orders in 30 days by first-touch source, p95 [\d.]+ ms \| brute-force "
                          r"baseline p95 [\d.]+ ms \| [\d.]+x faster$")


def test_the_reports_benchmark_runs_and_prints_its_figures() -> None:
    # On the suite's database server when it is PostgreSQL (CI), else a SQLite file.
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "reports.py"), "--contacts", "2000", "--repeat", "2",
                             "--baseline-repeat", "1", "--database-name", "automap_bench_reports_test"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert REVENUE_LINE.match(lines[-1]), lines[-1]
    assert FUNNEL_LINE.match(lines[-2]), lines[-2]
    assert re.match(r"^steps: viewed_product [\d,]+ → cart_updated [\d,]+ → checkout_started [\d,]+ → order_paid [\d,]+$", lines[-3])
