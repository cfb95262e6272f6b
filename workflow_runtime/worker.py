"""An RQ worker for automap's queue, optionally with the scheduler in a thread beside it."""
from __future__ import annotations

from rq import SimpleWorker

from workflow_runtime.runtime import Runtime
from workflow_runtime.scheduler import Scheduler


def make_worker(runtime: Runtime) -> SimpleWorker:
    """A SimpleWorker: a job is a batch of steps, so forking per job (~18 ms here) would dominate."""
    return SimpleWorker([runtime.dispatcher.queue], connection=runtime.dispatcher.connection)


def run_worker(runtime: Runtime, *, with_scheduler: bool = True, burst: bool = False) -> bool:
    """Process jobs until stopped (or, with burst, until the queue is empty)."""
    stop = None
    if with_scheduler:
        _thread, stop = Scheduler(runtime).start_thread()
    try:
        return make_worker(runtime).work(burst=burst, logging_level="WARNING")
    finally:
        if stop is not None:
            stop.set()
