"""An RQ worker for automap's queue, optionally with the scheduler in a thread beside it.

`automap worker` outlives its servers. RQ itself waits for Redis only while it listens for the
next job; Redis failing anywhere else (registering, a heartbeat, finishing a job) ends its work
loop, so `work_until_stopped` starts a new worker after a backoff until a signal asks it to stop.
A job that fails because the database is down rolls back and is retried by RQ (`JobQueue`'s
`Retry`), then left to the reconciler; the worker only waits a backoff before its next job, so
an outage does not burn every retry at once.
"""
from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from contextlib import suppress
from types import FrameType
from typing import Any

import redis.exceptions
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue

from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.dispatch.scheduler import Retrying, Scheduler
from workflow_runtime.engine.failures import find_outage

log = logging.getLogger(__name__)
# A worker that ran this long before RQ's loop ended starts its next backoff from the first delay.
_HEALTHY_RUN = 60.0


class DrainWorker(SimpleWorker):
    """A worker that drains the queue in many short bursts in one process (tests, benchmarks,
    simulations). It takes no commands over pub/sub: RQ waits up to a second for that listener
    to stop after every burst, a cost a long-running worker pays once."""

    def subscribe(self) -> None:
        return None

    def unsubscribe(self) -> None:
        return None


class LastingWorker(SimpleWorker):
    """The worker of `automap worker`. It remembers a stop signal, so that `work_until_stopped` tells a
    requested stop from RQ giving up on Redis, and it waits a backoff after a job that failed because the
    database is down (`retrying`, shared by the process's successive workers)."""

    retrying: Retrying | None = None
    stop_signalled: threading.Event | None = None  # set by a signal taken before this worker listened
    _job_error: BaseException | None = None

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        if self.retrying is not None:
            self.retrying.recovered()  # registered: Redis answers (the delay resets once work goes well)

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self.stop_signalled is not None and self.stop_signalled.is_set():
            self._stop_requested = True  # RQ's loop checks it before taking a job

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_signalled is not None:
            self.stop_signalled.set()
        super().request_stop(signum, frame)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        self._job_error = exc_info[1]
        super().handle_exception(job, *exc_info)

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._job_error = None
        super().execute_job(job, queue)
        if self.retrying is None:
            return
        if self._job_error is None:
            self.retrying.succeeded()
        elif (outage := find_outage(self._job_error)) is not None and outage[0] == "the database":
            time.sleep(self.retrying.failed(self._job_error))  # RQ has put the job back for its retry

    def unsubscribe(self) -> None:
        """Stop listening for RQ's commands without waiting on Redis or on the listener: redis-py's `stop`
        joins the listener thread, and one whose subscription went with a restarted Redis looks at its
        flag again only after a minute's wait, which held up a SIGTERM by as long."""
        listener, self.pubsub_thread = self.pubsub_thread, None
        if listener is None or self.pubsub is None:
            return
        with suppress(redis.exceptions.RedisError):
            self.pubsub.unsubscribe()
        try:
            listener.stop(timeout=1)
        except TypeError:  # redis-py before 8: stop() takes no timeout and does not wait
            listener.stop()
        with suppress(redis.exceptions.RedisError):
            self.pubsub.close()


def make_worker(runtime: Runtime, *, drain: bool = False) -> SimpleWorker:
    """A SimpleWorker (a job is a batch of steps, so forking per job, ~18 ms here, would dominate);
    with `drain`, one meant for repeated bursts (see DrainWorker). Registers its name with Redis."""
    worker_class = DrainWorker if drain else LastingWorker
    return worker_class([runtime.jobs.queue], connection=runtime.redis)


def freeze_startup_objects() -> None:
    """Put what the process built before its first job (modules, settings, engine, app) out of the
    garbage collector's sight. A batch allocates hundreds of thousands of objects, and each full
    collection would walk the whole heap again: in bench/runtime.py that was a fifth of the
    worker's CPU. Call once, when the process is ready to work."""
    gc.collect()
    gc.freeze()


def work_until_stopped(runtime: Runtime, retrying: Retrying | None = None) -> bool:
    """Run RQ's work loop until SIGTERM or SIGINT; whenever it ends otherwise (Redis down while it
    starts, beats or finishes a job), log it and start a new worker after `retrying`'s backoff.
    Returns whether any job was done."""
    retrying = retrying or Retrying("worker", logger=log)
    stop_signalled = threading.Event()
    worked = False
    while not stop_signalled.is_set():
        started = time.monotonic()
        worker: LastingWorker | None = None
        error: BaseException | None = None
        try:
            worker = LastingWorker([runtime.jobs.queue], connection=runtime.redis)  # registers its name with Redis
            worker.retrying, worker.stop_signalled = retrying, stop_signalled
            worked = worker.work(logging_level="WARNING") or worked
        except Exception as failure:  # noqa: BLE001 - RQ raises Redis errors from its start and teardown
            error = failure
        finally:
            if worker is not None:
                worker.unsubscribe()  # when RQ's teardown failed on Redis before it came to that
        if stop_signalled.is_set():
            break
        if time.monotonic() - started >= _HEALTHY_RUN:
            retrying.succeeded()
        if error is None:  # RQ logged why its loop quit: say whether Redis is the reason
            error = _redis_error(runtime) or RuntimeError("RQ's work loop ended on the error logged above")
        _wait_unless_signalled(retrying.failed(error), stop_signalled)
    return worked


def _redis_error(runtime: Runtime) -> Exception | None:
    """The error Redis answers a PING with, or None if it answers."""
    try:
        runtime.redis.ping()
    except Exception as error:  # noqa: BLE001 - whatever it is, it is the reason to report
        return error
    return None


def _wait_unless_signalled(seconds: float, signalled: threading.Event) -> None:
    """Sleep, ending early on SIGTERM or SIGINT, which set `signalled` (RQ's handlers went with the worker that quit)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: signalled.set())  # until the next worker installs RQ's
    signalled.wait(seconds)


def log_to_stderr() -> None:
    """Timestamped warnings on stderr for a long-running command: outages, recoveries, failed jobs (RQ's too)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_worker(runtime: Runtime, *, with_scheduler: bool = True, burst: bool = False) -> bool:
    """Process jobs until stopped, outliving Redis and database outages (or, with burst, until the queue is empty)."""
    freeze_startup_objects()
    stop = None
    if with_scheduler:
        _thread, stop = Scheduler(runtime).start_thread()
    try:
        if burst:
            return make_worker(runtime).work(burst=True, logging_level="WARNING")
        return work_until_stopped(runtime)
    finally:
        if stop is not None:
            stop.set()
