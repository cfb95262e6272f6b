"""The runtime a process works with: database sessions, clock, Redis (job queue and wake-up set), email.

RQ jobs take ids only and find everything else here. A process configures it once —
`automap worker`, `automap scheduler`, the embedded server, or a test — before any job runs.
"""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.channels.email import EmailSettings
from workflow_runtime.clock import Clock, RedisClock, SystemClock
from workflow_runtime.dispatch.job_queue import JobQueue
from workflow_runtime.dispatch.wakeups import WakeupSet
from workflow_runtime.storage.database import make_engine, session_factory


@dataclass
class Runtime:
    """Everything a job needs besides its arguments."""

    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    redis: Redis
    jobs: JobQueue
    wakeups: WakeupSet
    email: EmailSettings | None = None  # None: emails stay pending in the ledger


_current: Runtime | None = None


def configure(runtime: Runtime) -> Runtime:
    """Make `runtime` the one this process's jobs use."""
    global _current
    _current = runtime
    return runtime


def configured() -> Runtime | None:
    """The configured runtime, or None in a process that only serves HTTP (its work is reconciled later)."""
    return _current


def current() -> Runtime:
    """The configured runtime; a job run outside a configured process is a setup error."""
    if _current is None:
        raise RuntimeError("no runtime configured: run jobs through `automap worker` or `automap serve`")
    return _current


def build(database_url: str, connection: Redis, *, clock: str | Clock = "system", batch_size: int = 500,
          email: EmailSettings | None = None) -> Runtime:
    """A runtime on this database and Redis; `clock` is "system", "redis" or a Clock."""
    engine = make_engine(database_url)
    if clock == "system":
        clock = SystemClock()
    elif clock == "redis":
        clock = RedisClock(connection)
    return Runtime(engine, session_factory(engine), clock, connection, JobQueue(connection, batch_size),
                   WakeupSet(connection), email)
