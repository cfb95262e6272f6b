"""The process's SMTP event loop: one thread runs it, and every delivery and test send hands it coroutines.

SMTP sessions belong to the event loop that opened them, and a worker keeps its sessions open
from one delivery job to the next (`smtp_pool`), so the loop outlives the jobs: it starts with the
first send and runs until the process exits (a daemon thread). `run` is called from any other
thread and blocks it until the coroutine is done, and cancels the coroutine if the wait is interrupted
(an RQ job's time-out raises in the waiting thread); called from the loop's own thread it would
wait forever, so it refuses.

The loop is uvloop's (libuv): its transports, timers and cross-thread wake-ups cost the loop thread about an eighth
less CPU an email than asyncio's own loop, measured in bench/delivery.py at 64 connections.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_starting = threading.Lock()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on the SMTP loop and return its result (or raise its error)."""
    loop = _running_loop()
    if threading.current_thread() is _thread:
        coroutine.close()
        raise RuntimeError("smtp_loop.run was called from the SMTP loop itself; await the coroutine instead")
    running = asyncio.run_coroutine_threadsafe(coroutine, loop)
    try:
        return running.result()
    except BaseException:  # the caller gave up (a job's time-out, an interrupt): so does the coroutine
        running.cancel()
        raise


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread  # noqa: PLW0603 - one loop per process, started on first use
    with _starting:
        if _loop is None or _thread is None or not _thread.is_alive():
            _loop = uvloop.new_event_loop()
            _thread = threading.Thread(target=_loop.run_forever, name="smtp-loop", daemon=True)
            _thread.start()
        return _loop
