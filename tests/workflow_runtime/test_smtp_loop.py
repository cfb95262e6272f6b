"""The process's SMTP loop runs coroutines for other threads, and gives up on one whose caller gave up; the
handoff from a producing thread to coroutines on it keeps the producer only a little ahead and lets it go."""
from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from workflow_runtime.channels import smtp_loop
from workflow_runtime.channels.handoff import Handoff


class JobTimeout(Exception):
    """What RQ's death penalty raises in a job's thread when its time is up."""


@pytest.fixture()
def alarm() -> Iterator[None]:
    def time_up(_signal: int, _frame: object) -> None:
        raise JobTimeout

    previous = signal.signal(signal.SIGALRM, time_up)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_coroutine_runs_on_the_loop_thread_and_its_result_or_error_comes_back() -> None:
    async def where() -> str:
        return threading.current_thread().name

    async def fails() -> None:
        raise ValueError("refused")

    assert smtp_loop.run(where()) == "smtp-loop"
    with pytest.raises(ValueError, match="refused"):
        smtp_loop.run(fails())

    async def nested() -> None:
        smtp_loop.run(where())

    with pytest.raises(RuntimeError, match="await the coroutine instead"):
        smtp_loop.run(nested())


def test_a_caller_interrupted_while_waiting_cancels_its_coroutine(alarm: None) -> None:
    stopped = threading.Event()

    async def delivering() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            stopped.set()

    signal.setitimer(signal.ITIMER_REAL, 0.2)
    with pytest.raises(JobTimeout):
        smtp_loop.run(delivering())
    assert stopped.wait(5)  # cancelled, not left sending behind the next job


def test_the_producer_waits_for_room_and_is_let_go_when_nobody_takes_any_more() -> None:
    async def scenario() -> tuple[list[int | None], bool]:
        handoff: Handoff[int] = Handoff(asyncio.get_running_loop(), capacity=2)
        puts: list[bool] = []

        def produce() -> None:
            for chunk in ([0, 1], [], [2, 3], [4, 5], [6, 7]):  # an empty chunk takes no room
                puts.append(handoff.put(chunk))
            handoff.end()

        producer = threading.Thread(target=produce)
        producer.start()
        await asyncio.sleep(0.2)
        ahead = len(puts)  # two chunks fill the room; the third waits for the first to be taken to its last item
        taken = [await handoff.take() for _ in range(8)]
        taken.append(await handoff.take())  # the producer ended: None
        producer.join(5)
        return [ahead, *taken], all(puts)

    taken, all_put = smtp_loop.run(scenario())
    assert taken == [3, 0, 1, 2, 3, 4, 5, 6, 7, None] and all_put

    async def closed() -> list[bool]:
        handoff: Handoff[int] = Handoff(asyncio.get_running_loop(), capacity=1)
        puts: list[bool] = []
        producer = threading.Thread(target=lambda: puts.extend([handoff.put([1, 2]), handoff.put([3, 4])]))
        producer.start()
        await asyncio.sleep(0.2)
        handoff.close()  # the lanes stopped: the producer, waiting for room, is let go
        started = time.monotonic()
        while producer.is_alive() and time.monotonic() - started < 5:
            await asyncio.sleep(0.01)
        return puts

    assert smtp_loop.run(closed()) == [True, False]
