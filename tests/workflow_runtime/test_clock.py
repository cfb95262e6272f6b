"""Clocks: the virtual clock in one process, the Redis-shared one across client objects, the real one."""
from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import fakeredis
import pytest
import redis

from nodes.timing import as_utc
from workflow_runtime.clock import Clock, RedisClock, SystemClock, VirtualClock

UTC = timezone.utc
START = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)
BERLIN_SUMMER = timezone(timedelta(hours=2))


def _run_in_threads(count: int, work: Callable[[int], None]) -> None:
    """Starts `count` threads together and re-raises the first failure."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:  # surfaced in the test thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_as_utc_converts_and_refuses_naive() -> None:
    assert as_utc(datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN_SUMMER)) == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert as_utc(datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN_SUMMER)).utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="no time zone"):
        as_utc(datetime(2026, 7, 1, 12, 0))


def test_system_clock_tells_the_real_time_in_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert before <= now <= after
    assert now.tzinfo is UTC


def test_every_clock_satisfies_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(VirtualClock(START), Clock)
    assert isinstance(RedisClock(fakeredis.FakeRedis()), Clock)


# --- VirtualClock -------------------------------------------------------------------------


def test_virtual_clock_starts_at_start_in_utc() -> None:
    clock = VirtualClock(datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN_SUMMER))
    assert clock.now() == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_virtual_clock_advance_returns_the_new_time() -> None:
    clock = VirtualClock(START)
    assert clock.advance(timedelta(hours=1)) == START + timedelta(hours=1)
    assert clock.advance(timedelta(0)) == START + timedelta(hours=1)
    assert clock.now() == START + timedelta(hours=1)


def test_virtual_clock_set_jumps_forward_and_to_the_same_time() -> None:
    clock = VirtualClock(START)
    clock.set(datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN_SUMMER))
    assert clock.now() == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    clock.set(clock.now())
    assert clock.now() == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_virtual_clock_refuses_to_go_backwards() -> None:
    clock = VirtualClock(START)
    with pytest.raises(ValueError, match="cannot go backwards"):
        clock.set(START - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="cannot go backwards"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_virtual_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        VirtualClock(datetime(2026, 3, 27, 18, 0))
    clock = VirtualClock(START)
    with pytest.raises(ValueError, match="no time zone"):
        clock.set(datetime(2026, 3, 28, 18, 0))
    assert clock.now() == START


def test_virtual_clock_threads_advancing_together_lose_nothing() -> None:
    clock = VirtualClock(START)
    threads, steps = 8, 2_000

    def advance(_: int) -> None:
        for _ in range(steps):
            clock.advance(timedelta(microseconds=1))

    _run_in_threads(threads, advance)
    assert clock.now() == START + timedelta(microseconds=threads * steps)


# --- RedisClock ---------------------------------------------------------------------------


@pytest.fixture
def new_connection() -> Iterator[Callable[[], object]]:
    """Makes independent client objects on one Redis: the real one at AUTOMAP_REDIS_URL, else one fakeredis server."""
    url = os.environ.get("AUTOMAP_REDIS_URL")
    made: list[object] = []
    if url:

        def make() -> object:
            made.append(redis.Redis.from_url(url))
            return made[-1]

    else:
        server = fakeredis.FakeServer()

        def make() -> object:
            made.append(fakeredis.FakeRedis(server=server))
            return made[-1]

    yield make
    for connection in made:
        connection.close()


@pytest.fixture
def key(new_connection: Callable[[], object]) -> Iterator[str]:
    """A key of this test alone, so a shared Redis is never flushed; deleted afterwards."""
    name = f"automap:test:clock:{uuid.uuid4().hex}"
    yield name
    new_connection().delete(name)


def test_redis_clock_never_set_names_the_key(new_connection: Callable[[], object], key: str) -> None:
    clock = RedisClock(new_connection(), key=key)
    with pytest.raises(RuntimeError, match=key):
        clock.now()
    with pytest.raises(RuntimeError, match=key):
        clock.advance(timedelta(seconds=1))
    assert new_connection().get(key) is None


def test_redis_clock_default_key() -> None:
    assert RedisClock(fakeredis.FakeRedis()).key == "automap:clock"


def test_redis_clock_is_shared_by_two_client_objects(new_connection: Callable[[], object], key: str) -> None:
    writer = RedisClock(new_connection(), key=key)
    reader = RedisClock(new_connection(), key=key)
    writer.set(datetime(2026, 3, 29, 3, 30, 0, 123456, tzinfo=BERLIN_SUMMER))
    assert reader.now() == datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)
    assert reader.now().utcoffset() == timedelta(0)
    assert reader.advance(timedelta(days=1, microseconds=1)) == datetime(2026, 3, 30, 1, 30, 0, 123457, tzinfo=UTC)
    assert writer.now() == datetime(2026, 3, 30, 1, 30, 0, 123457, tzinfo=UTC)


def test_redis_clock_refuses_backwards_and_naive(new_connection: Callable[[], object], key: str) -> None:
    clock = RedisClock(new_connection(), key=key)
    clock.set(START)
    other = RedisClock(new_connection(), key=key)
    with pytest.raises(ValueError, match="cannot go backwards"):
        other.set(START - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="cannot go backwards"):
        other.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="no time zone"):
        other.set(datetime(2030, 1, 1))
    other.set(START)
    assert clock.now() == START


def test_redis_clock_concurrent_advances_are_not_lost(new_connection: Callable[[], object], key: str) -> None:
    RedisClock(new_connection(), key=key).set(START)
    threads, steps = 8, 100
    clocks = [RedisClock(new_connection(), key=key) for _ in range(threads)]

    def advance(index: int) -> None:
        for _ in range(steps):
            clocks[index].advance(timedelta(seconds=1))

    _run_in_threads(threads, advance)
    assert RedisClock(new_connection(), key=key).now() == START + timedelta(seconds=threads * steps)


def test_redis_clock_concurrent_sets_never_move_it_backwards(new_connection: Callable[[], object], key: str) -> None:
    RedisClock(new_connection(), key=key).set(START)
    threads = 6
    clocks = [RedisClock(new_connection(), key=key) for _ in range(threads)]

    def set_many(index: int) -> None:
        # Threads race to set interleaved moments; whatever wins, the time only grows.
        for step in range(50):
            try:
                clocks[index].set(START + timedelta(seconds=step * threads + index))
            except ValueError:
                pass  # a later moment was already set by another thread

    _run_in_threads(threads, set_many)
    assert RedisClock(new_connection(), key=key).now() == START + timedelta(seconds=49 * threads + threads - 1)
