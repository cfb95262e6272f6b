"""CPU seconds of processes on this machine, for benchmarks that compare costs on noisy, shared cores."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from sqlalchemy import Engine


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    return _stat_seconds(Path(f"/proc/{pid}/stat"))


def _stat_seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ThreadCpu:
    """CPU seconds this process's threads spent while the block ran, by thread name (a pool's `name_0` counted as
    `name`). Sampled from /proc every `interval` seconds, because a thread's figures go when it ends, as a delivery
    job's render and ledger threads do when the job returns."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self._started: dict[int, float] = {}  # CPU seconds of the threads alive at the start, by native id
        self._last: dict[int, tuple[str, float]] = {}  # (name, CPU seconds) by native id, as last sampled
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._run, name="thread-cpu", daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._sample()
        self._started = {tid: seconds for tid, (_name, seconds) in self._last.items()}
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        self._sample()

    def by_name(self) -> dict[str, float]:
        """CPU seconds spent in the block by each kind of thread."""
        spent: dict[str, float] = {}
        for tid, (name, seconds) in self._last.items():
            kind = re.sub(r"_\d+$", "", name)
            spent[kind] = spent.get(kind, 0.0) + seconds - self._started.get(tid, 0.0)
        return spent

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        names = {thread.native_id: thread.name for thread in threading.enumerate()}
        for task in Path("/proc/self/task").iterdir():
            tid = int(task.name)
            try:
                seconds = _stat_seconds(task / "stat")
            except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
                continue
            name = names.get(tid) or self._last.get(tid, ("other", 0.0))[0]
            self._last[tid] = (name, seconds)


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
