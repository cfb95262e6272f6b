"""What the channels use of the process they run in: the database, the clock and Redis.

`dispatch.runtime.Runtime` is one; the channels name only these parts, so they sit below dispatch.
"""
from __future__ import annotations

from typing import Protocol

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.clock import Clock


class Process(Protocol):
    """The database sessions, the clock, and the Redis the widgets' streams listen on."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def redis(self) -> Redis: ...
