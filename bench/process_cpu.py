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
    """CPU seconds this process's threads spent while the block ran, and how often each was switched out (it waited
    for the interpreter lock, a lock or I/O, or the kernel took its core), by thread name (a pool's `name_0` counted
    as `name`). Sampled from /proc every `interval` seconds, because a thread's figures go when it ends, as a
    delivery job's render and ledger threads do when the job returns."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self._started: dict[int, tuple[float, int]] = {}  # (CPU seconds, switches) at the start, by native id
        self._last: dict[int, tuple[str, float, int]] = {}  # (name, CPU seconds, switches) by native id, as last sampled
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._run, name="thread-cpu", daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._sample()
        self._started = {tid: (seconds, switches) for tid, (_name, seconds, switches) in self._last.items()}
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        self._sample()

    def by_name(self) -> dict[str, tuple[float, int]]:
        """(CPU seconds, context switches) in the block by each kind of thread."""
        spent: dict[str, tuple[float, int]] = {}
        for tid, (name, seconds, switches) in self._last.items():
            kind = re.sub(r"_\d+$", "", name)
            seconds_before, switches_before = self._started.get(tid, (0.0, 0))
            total_seconds, total_switches = spent.get(kind, (0.0, 0))
            spent[kind] = (total_seconds + seconds - seconds_before, total_switches + switches - switches_before)
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
                switches = _switches(task / "status")
            except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
                continue
            name = names.get(tid) or self._last.get(tid, ("other", 0.0, 0))[0]
            self._last[tid] = (name, seconds, switches)


def _switches(status: Path) -> int:
    """How often a thread was switched out: it waited (voluntary) or the kernel gave its core to another."""
    counts = re.findall(r"^(?:non)?voluntary_ctxt_switches:\s+(\d+)$", status.read_text(), re.M)
    return sum(map(int, counts))


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
