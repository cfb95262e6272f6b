"""bench/emails.py still runs end to end (at a tiny size, every email counted by the sink) and prints its figures;
speed is never asserted here."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(
    r"^email: [\d,]+ emails/s rendered \| [\d,.]+x compiling per send \([\d,]+ emails/s\) "
    r"\| [\d,]+ emails/s rendered \+ SMTP \| [\d,]+ emails/s over 3 connections = [\d,.]+x 1 connection "
    r"\([\d,]+ emails/s\) \| emails=40$"
)


def test_the_email_benchmark_runs_and_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "emails.py"), "--emails", "40", "--baseline-emails", "4",
         "--smtp-emails", "5", "--rounds", "2", "--sink-emails", "30", "--sink-baseline-emails", "5",
         "--connections", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    for heading in ("compile once", "compile MJML per send", "compile once + SMTP", "SMTP sink, 1 connection",
                    "SMTP sink, 3 connections", "SMTP sink alone", "target ≥ 50x", "target ≥ 2,000 emails/s"):
        assert heading in result.stdout
