"""CPU seconds of processes on this machine, for benchmarks that compare costs on noisy, shared cores."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the bench's database (the server must be local)."""
    with engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars().all()
    seconds = {}
    for pid in pids:
        try:
            seconds[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError, PermissionError):  # gone, or a server on another host
            continue
    return seconds
