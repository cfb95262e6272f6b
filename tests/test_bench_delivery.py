"""bench/delivery.py still runs end to end at a tiny size (it checks every email delivered once by the ledger, the
sink and the node's counter) and prints its figures, on the configured database; speed is never asserted here."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(
    r"^delivery: [\d,]+ emails/s ledger → SMTP per worker process \| [\d,.]+x one session lock-step "
    r"\([\d,]+ emails/s\) \| target ≥ 2,000: (met|NOT met) \| database (sqlite|postgresql) \| emails=60$"
)


def run_bench(baseline_emails: int) -> str:
    database = os.environ.get("AUTOMAP_DATABASE_URL", "")
    command = [sys.executable, str(ROOT / "bench" / "delivery.py"), "--emails", "60", "--baseline-emails",
               str(baseline_emails), "--rounds", "2", "--connections", "3",
               "--database-name", f"automap_bench_delivery_{os.getpid()}"]
    environment = {**os.environ, "AUTOMAP_DATABASE_URL": database if database.startswith("postgres") else ""}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def test_the_delivery_benchmark_runs_and_prints_its_figures() -> None:
    output = run_bench(baseline_emails=6)
    lines = output.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert "3 connections, pipelined" in output and "1 session, lock-step" in output
    assert re.search(r"switched out an email: email-render [\d.]+, smtp-loop [\d.]+, email-ledger [\d.]+", output), output


def test_without_a_baseline_only_the_deliverer_runs() -> None:
    """--baseline-emails 0, for counting the deliverer's instructions under valgrind: its threads alone."""
    output = run_bench(baseline_emails=0)
    assert "3 connections, pipelined" in output and "1 session, lock-step" not in output
    assert output.strip().splitlines()[-1].startswith("delivery: ") and "| no baseline run |" in output
