"""What the API borrows from the runtime of its process: the clock, and the queue for background work."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from redis import Redis

from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.job_queue import JobQueue


def now() -> datetime:
    """The runtime's time (virtual in simulations and tests), else the system clock."""
    current = runtime.configured()
    return current.clock.now() if current is not None else datetime.now(UTC)


def job_queue() -> JobQueue | None:
    """The runtime's job queue, else one on the configured Redis; None for an embedded process without a worker."""
    current = runtime.configured()
    if current is not None:
        return current.jobs
    redis_url = current_app.config["AUTOMAP"].redis_url
    return JobQueue(Redis.from_url(redis_url)) if redis_url else None
