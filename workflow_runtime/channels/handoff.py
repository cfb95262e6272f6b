"""Items handed from a producing thread to coroutines on an event loop, with back-pressure.

A delivery renders emails on a thread of its own (rendering is CPU work that would stall the
SMTP sessions on the loop) and its sending lanes take them one by one as they are rendered, in
chunks so the loop is woken once per chunk rather than per email. `put` blocks the producer
while `capacity` items wait untaken, so a job claims and renders only a little ahead of what
its sessions can send. `end` says nothing more will come; `close`, from the loop, tells a
producer still putting that nobody takes any more (the lanes stopped), and wakes it.
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    """Items from one producing thread to the coroutines of `loop`; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int) -> None:
        self._loop = loop
        self._capacity = capacity
        self._room = threading.Semaphore(capacity)  # one slot per chunk put and not yet taken to its last item
        self._items: deque[T] = deque()
        self._left: deque[int] = deque()  # of each chunk with items untaken, how many
        self._arrived = asyncio.Event()
        self._ended = False
        self.closed = False

    def put(self, chunk: Sequence[T]) -> bool:
        """Hand `chunk` over, waiting for room (producer's thread); False once the handoff was closed."""
        self._room.acquire()
        if self.closed:
            return False
        self._loop.call_soon_threadsafe(self._arrive, list(chunk))
        return True

    def end(self) -> None:
        """Nothing more will be put (producer's thread)."""
        self._loop.call_soon_threadsafe(self._finish)

    async def take(self) -> T | None:
        """The next item, waiting for one; None once the producer ended and every item was taken (on the loop)."""
        while not self._items:
            if self._ended:
                return None
            self._arrived.clear()
            await self._arrived.wait()
        self._left[0] -= 1
        if not self._left[0]:
            self._left.popleft()
            self._room.release()
        return self._items.popleft()

    def close(self) -> None:
        """Nobody takes any more (on the loop): a producer waiting for room is woken and its `put` returns False."""
        self.closed = True
        self._room.release(self._capacity)

    def _arrive(self, chunk: list[T]) -> None:
        if not chunk:  # taken at once
            self._room.release()
            return
        self._items.extend(chunk)
        self._left.append(len(chunk))
        self._arrived.set()

    def _finish(self) -> None:
        self._ended = True
        self._arrived.set()
