"""What the channels use of the process they run in: the database, the clock, Redis and the event queue.

`dispatch.runtime.Runtime` is one; the channels name only these parts, so they sit below dispatch.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.clock import Clock


class EventQueue(Protocol):
    """Hands stored events to the runtime (`dispatch.job_queue.JobQueue`): what a conversation records
    (`conversation_started`, …) reaches triggers, goals and waits like a tracked event."""

    def apply_ingested_events(self, event_ids: Sequence[int]) -> int: ...


class Process(Protocol):
    """The database sessions, the clock, the Redis the widgets' and the inbox's streams listen on, and the
    queue of events for the runtime."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def redis(self) -> Redis: ...

    @property
    def jobs(self) -> EventQueue: ...
