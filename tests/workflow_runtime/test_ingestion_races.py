"""Concurrent batches about the same people, while event jobs apply what they stored: nothing lost, no deadlock.

Ingestion locks only the contacts it rewrites and the event jobs lock theirs FOR NO KEY
UPDATE, so batches, merges and jobs overlap; on PostgreSQL (as CI runs it) this is
where a wrong lock order would deadlock, a merge would lose an event inserted beside
it, or a job would miss one.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select

from tests.workflow_runtime.runtime_support import assert_counters_balance, document
from workflow_runtime.dispatch import jobs
from workflow_runtime.ingest.ingestion import ingest
from workflow_runtime.ingest.tracking_calls import Call
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import AnonymousId, Contact, Event, Run

PEOPLE = 10
THREADS = 4
BATCHES = 6


def _thanks_flow() -> dict[str, Any]:
    return document(
        "Thanks",
        {"start": ("trigger", {"on": "event", "event": "order_paid"}),
         "chat": ("send_chat", {"body": "Thank you!"}), "done": ("exit", {})},
        [("start", "next", "chat"), ("chat", "next", "done")],
        reentry={"mode": "always"},
    )


def _batch(rng: random.Random, thread: int, number: int) -> list[Call]:
    """Calls about every person in a random order: visits from two browsers, orders, and identifies
    that merge a browser's visitor into the user (or find it merged already)."""
    calls = []
    for person in range(PEOPLE):
        browser = f"browser-{person}-{rng.randrange(2)}"
        message = f"{thread}-{number}-{person}"
        calls += [
            Call(type="page", anonymous_id=browser, message_id=f"{message}-page",
                 context={"page": {"url": f"https://shop.example/{person}"}}),
            Call(type="track", event="order_paid", user_id=f"user-{person}", message_id=f"{message}-order",
                 properties={"amount": 10}),
        ]
        if rng.random() < 0.5:
            calls.append(Call(type="identify", user_id=f"user-{person}", anonymous_id=browser,
                              traits={"plan": rng.choice(["free", "pro"]), "thread": thread}))
    rng.shuffle(calls)
    return calls


def test_concurrent_batches_merges_and_event_jobs_lose_nothing_and_never_deadlock(harness) -> None:
    flow_id = harness.publish(_thanks_flow())
    errors: list[BaseException] = []
    deadlocks: list[str] = []  # ingestion retries after a deadlock: caught here, before the retry hides it

    def note_deadlock(context: Any) -> None:
        if "deadlock" in str(context.original_exception).lower():
            deadlocks.append(str(context.original_exception))

    sa_event.listen(harness.runtime.engine, "handle_error", note_deadlock)
    sending = threading.Event()
    sending.set()

    def send(thread: int) -> None:
        rng = random.Random(thread)
        try:
            for number in range(BATCHES):
                ingest(harness.runtime, _batch(rng, thread, number))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    def apply_events() -> None:
        """What a worker does meanwhile: run the queued event jobs as they come."""
        try:
            while sending.is_set():
                jobs.process_pending_events()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    worker = threading.Thread(target=apply_events)
    senders = [threading.Thread(target=send, args=(thread,)) for thread in range(THREADS)]
    worker.start()
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    sending.clear()
    worker.join()
    sa_event.remove(harness.runtime.engine, "handle_error", note_deadlock)
    assert errors == []
    assert deadlocks == []

    # Every browser identified at last: each person is one contact with both browsers' history.
    ingest(harness.runtime, [Call(type="identify", user_id=f"user-{person}", anonymous_id=f"browser-{person}-{n}")
                             for person in range(PEOPLE) for n in range(2)])
    harness.drain()
    with harness.session() as session:
        users = dict(session.execute(select(Contact.user_id, Contact.id)).all())
        assert sorted(users) == sorted(f"user-{person}" for person in range(PEOPLE))
        links = dict(session.execute(select(AnonymousId.anonymous_id, AnonymousId.contact_id)).all())
        assert links == {f"browser-{person}-{n}": users[f"user-{person}"] for person in range(PEOPLE) for n in range(2)}
        stored = Counter(session.execute(select(Event.contact_id, Event.name)).all())
        every = THREADS * BATCHES
        assert stored == Counter({(users[f"user-{p}"], name): every for p in range(PEOPLE)
                                  for name in ("page_viewed", "order_paid")})
        assert unapplied_events.count(session) == 0
        runs = Counter(session.scalars(select(Run.contact_id).where(Run.flow_id == flow_id)))
    assert runs == Counter({users[f"user-{p}"]: every for p in range(PEOPLE)}), "one run per order, none lost"
    assert_counters_balance(harness, flow_id)
