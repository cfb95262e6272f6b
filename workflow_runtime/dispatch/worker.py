"""An RQ worker for automap's queue, optionally with the scheduler in a thread beside it."""
from __future__ import annotations

import gc

from rq import SimpleWorker

from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.dispatch.scheduler import Scheduler


class DrainWorker(SimpleWorker):
    """A worker that drains the queue in many short bursts in one process (tests, benchmarks,
    simulations). It takes no commands over pub/sub: RQ waits up to a second for that listener
    to stop after every burst, a cost a long-running worker pays once."""

    def subscribe(self) -> None:
        return None

    def unsubscribe(self) -> None:
        return None


def make_worker(runtime: Runtime, *, drain: bool = False) -> SimpleWorker:
    """A SimpleWorker (a job is a batch of steps, so forking per job, ~18 ms here, would dominate);
    with `drain`, one meant for repeated bursts (see DrainWorker)."""
    worker_class = DrainWorker if drain else SimpleWorker
    return worker_class([runtime.jobs.queue], connection=runtime.redis)


def freeze_startup_objects() -> None:
    """Put what the process built before its first job (modules, settings, engine, app) out of the
    garbage collector's sight. A batch allocates hundreds of thousands of objects, and each full
    collection would walk the whole heap again: in bench/runtime.py that was a fifth of the
    worker's CPU. Call once, when the process is ready to work."""
    gc.collect()
    gc.freeze()


def run_worker(runtime: Runtime, *, with_scheduler: bool = True, burst: bool = False) -> bool:
    """Process jobs until stopped (or, with burst, until the queue is empty)."""
    freeze_startup_objects()
    stop = None
    if with_scheduler:
        _thread, stop = Scheduler(runtime).start_thread()
    try:
        return make_worker(runtime).work(burst=burst, logging_level="WARNING")
    finally:
        if stop is not None:
            stop.set()
