"""The benchmarks that need real PostgreSQL and Redis still run end to end (at a tiny size) and print their figures.

Speed is never asserted here: each benchmark compares itself with its in-process
baseline. They need the real servers (AUTOMAP_DATABASE_URL on PostgreSQL and
AUTOMAP_REDIS_URL, as CI sets them); each works in a database of its own, dropped after.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from builder_api.settings import normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("AUTOMAP_DATABASE_URL", "")
REDIS_URL = os.environ.get("AUTOMAP_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres") or not REDIS_URL,
    reason="these benchmarks need real PostgreSQL and Redis (AUTOMAP_DATABASE_URL, AUTOMAP_REDIS_URL)",
)

RUNTIME_LINE = re.compile(
    r"^runtime: [\d,]+ steps/s per worker process \| [\d,.]+x baseline \([\d,]+ steps/s\) "
    r"\| [\d,]+ bytes per waiting run \| contacts=200$"
)
WIDGET_CAPACITY_LINE = re.compile(
    r"^capacity: 30 streams open \| API p95 [\d.]+ ms worst, [\d.]+x no streams \(target <= 100 ms: (met|NOT met)\) "
    r"\| push p95 [\d.]+ ms \(target <= 50 ms: (met|NOT met)\)$"
)
INGEST_LINE = re.compile(
    r"^ingest: [\d,]+ events/s applied \([\d,]+/s stored\) through /v1/batch \| [\d,.]+x baseline applied, "
    r"[\d,.]+x stored \(one call per request: [\d,]+/s\) \| events=400$"
)


@pytest.fixture
def run_bench() -> Iterator[Callable[..., str]]:
    """Run `bench/<script>` with these arguments in a database of its own (dropped after); returns its output."""
    name = f"automap_bench_test_{os.getpid()}"

    def run(script: str, *args: str) -> str:
        # The Redis database is this session's own (AUTOMAP_REDIS_URL): the suite flushes it around tests too.
        result = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), *args, "--database-url", DATABASE_URL,
             "--database-name", name, "--redis-url", REDIS_URL],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        return result.stdout

    yield run
    admin = create_engine(make_url(normalise_database_url(DATABASE_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_runtime_benchmark_runs_and_prints_its_figures(run_bench: Callable[..., str]) -> None:
    output = run_bench("runtime.py", "--contacts", "200", "--baseline-steps", "60", "--batch-size", "50")
    last = output.strip().splitlines()[-1]
    assert RUNTIME_LINE.match(last), last
    for heading in ("Worker phases", "Redis per waiting run", "Targets"):
        assert heading in output
    for phase in ("batched: enrol → wait", "batched: wake → exit", "baseline: enrol → wait", "baseline: wake → exit"):
        assert phase in output


def test_the_ingestion_benchmark_runs_and_prints_its_figures(run_bench: Callable[..., str]) -> None:
    output = run_bench("ingest.py", "--events", "400", "--baseline-events", "40", "--batch-size", "50",
                       "--clients", "2", "--threads", "2")
    last = output.strip().splitlines()[-1]
    assert INGEST_LINE.match(last), last
    assert "runs started by trigger matching" in output
    for phase in ("batched: /v1/batch", "baseline: one call per request"):
        assert phase in output


def test_the_widget_benchmark_runs_its_capacity_phase_on_the_production_processes(run_bench: Callable[..., str]) -> None:
    """gunicorn for the API, `automap widget-stream` for the streams, as docker-compose runs them."""
    output = run_bench("widget.py", "--events", "20", "--visitors", "3", "--rate", "50", "--poll-interval", "0.2",
                       "--open-streams", "30", "--probes", "10")
    lines = output.strip().splitlines()
    assert WIDGET_CAPACITY_LINE.match(lines[-2]), lines[-2]
    assert "gunicorn, an `automap widget-stream` and an `automap worker`" in output
