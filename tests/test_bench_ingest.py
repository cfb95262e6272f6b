"""bench/ingest.py still runs end to end (at a tiny size) and prints its figures.

Speed is never asserted here: the benchmark compares itself with its in-process
baseline. It needs the real servers (AUTOMAP_DATABASE_URL on PostgreSQL and
AUTOMAP_REDIS_URL, as CI sets them); it works in a database of its own, dropped after.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from builder_api.settings import normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("AUTOMAP_DATABASE_URL", "")
REDIS_URL = os.environ.get("AUTOMAP_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres") or not REDIS_URL,
    reason="the ingestion benchmark needs real PostgreSQL and Redis (AUTOMAP_DATABASE_URL, AUTOMAP_REDIS_URL)",
)

FINAL_LINE = re.compile(
    r"^ingest: [\d,]+ events/s applied \([\d,]+/s stored\) through /v1/batch \| [\d,.]+x baseline applied, "
    r"[\d,.]+x stored \(one call per request: [\d,]+/s\) \| events=400$"
)


@pytest.fixture
def bench_database() -> Iterator[str]:
    """A database name for this session's bench run, dropped afterwards."""
    name = f"automap_bench_ingest_test_{os.getpid()}"
    yield name
    admin = create_engine(make_url(normalise_database_url(DATABASE_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_ingestion_benchmark_runs_and_prints_its_figures(bench_database: str) -> None:
    # The Redis database is this session's own (AUTOMAP_REDIS_URL): the suite flushes it around tests too.
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest.py"), "--events", "400", "--baseline-events", "40",
         "--batch-size", "50", "--clients", "2", "--threads", "2", "--database-url", DATABASE_URL,
         "--database-name", bench_database, "--redis-url", REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert "runs started by trigger matching" in result.stdout
    for phase in ("batched: /v1/batch", "baseline: one call per request"):
        assert phase in result.stdout
