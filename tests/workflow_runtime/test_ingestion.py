"""Ingestion of Segment calls: identities, de-duplication, clock skew, merges, and handing events to the runtime."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.workflow_runtime.runtime_support import assert_counters_balance, document
from workflow_runtime.engine import batches
from workflow_runtime.ingest.ingestion import ingest
from workflow_runtime.ingest.tracking_calls import Call
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import (
    AnonymousId,
    Contact,
    Event,
    Message,
    Run,
    RunStatus,
    Segment,
    SegmentMembership,
)


def track(name: str, properties: dict[str, Any] | None = None, **ids: Any) -> Call:
    return Call(type="track", event=name, properties=properties or {}, **ids)


def contacts(harness) -> list[Contact]:
    with harness.session() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def events(harness) -> list[Event]:
    with harness.session() as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


def anonymous_ids(harness) -> dict[str, int]:
    with harness.session() as session:
        return dict(session.execute(select(AnonymousId.anonymous_id, AnonymousId.contact_id)).all())


def test_an_anonymous_visitor_gets_a_contact_on_first_sight_and_keeps_it(harness) -> None:
    ingest(harness.runtime, [track("cart_updated", {"total": 5}, anonymous_id="browser-1")])
    ingest(harness.runtime, [track("cart_updated", {"total": 9}, anonymous_id="browser-1")])
    [visitor] = contacts(harness)
    assert visitor.user_id is None
    assert anonymous_ids(harness) == {"browser-1": visitor.id}
    assert [(e.contact_id, e.name, e.properties) for e in events(harness)] == [
        (visitor.id, "cart_updated", {"total": 5}), (visitor.id, "cart_updated", {"total": 9}),
    ]
    assert visitor.first_seen_at == visitor.last_seen_at == harness.clock.now()


def test_a_message_id_is_stored_once_within_a_batch_and_across_batches(harness) -> None:
    call = track("order_paid", {"amount": 10}, user_id="u-1", message_id="m-1")
    first = ingest(harness.runtime, [call, call, track("order_paid", user_id="u-1", message_id="m-2")])
    again = ingest(harness.runtime, [call])
    assert (len(first.event_ids), first.duplicates) == (2, 1)
    assert (again.event_ids, again.duplicates) == ([], 1)
    assert sorted(e.message_id for e in events(harness)) == ["m-1", "m-2"]


def test_the_timestamp_is_corrected_by_the_client_clock_skew(harness) -> None:
    now = harness.clock.now()
    # The client's clock is 3 hours fast: it says it sent the call at now+3h, five minutes after it happened.
    skewed = Call(type="track", event="viewed", anonymous_id="a", message_id="skewed",
                  timestamp=now + timedelta(hours=3) - timedelta(minutes=5), sent_at=now + timedelta(hours=3))
    unsent = Call(type="track", event="viewed", anonymous_id="a", message_id="imported", timestamp=now - timedelta(days=2))
    untimed = Call(type="track", event="viewed", anonymous_id="a", message_id="untimed")
    ingest(harness.runtime, [skewed, unsent, untimed])
    stamps = {e.message_id: (e.timestamp, e.received_at) for e in events(harness)}
    assert stamps["skewed"] == (now - timedelta(minutes=5), now)
    assert stamps["imported"] == (now - timedelta(days=2), now)
    assert stamps["untimed"] == (now, now)
    [visitor] = contacts(harness)
    assert (visitor.first_seen_at, visitor.last_seen_at) == (now - timedelta(days=2), now)


def test_page_views_are_page_viewed_events_with_where_and_which_campaign(harness) -> None:
    page = Call(type="page", anonymous_id="a", name="Pricing", properties={"plan": "pro"},
                context={"page": {"url": "https://shop.example/pricing?utm_source=news&utm_medium=email&utm_campaign=spring",
                                  "title": "Pricing", "referrer": "https://mail.example/", "path": "/pricing"},
                         "ip": "203.0.113.9", "userAgent": "Firefox", "timezone": "Europe/Moscow"})
    tagged = track("signed_up", anonymous_id="a",
                   context={"campaign": {"name": "launch", "source": "ads", "medium": "cpc", "term": "crm",
                                         "content": "banner"}})
    screen = Call(type="screen", anonymous_id="a", name="Cart", properties={"items": 2})
    ingest(harness.runtime, [page, tagged, screen])
    viewed, signed_up, screened = events(harness)
    assert viewed.name == "page_viewed"
    assert viewed.properties == {"url": page.context["page"]["url"], "title": "Pricing", "referrer": "https://mail.example/",
                                 "path": "/pricing", "plan": "pro", "name": "Pricing"}
    assert (viewed.page_url, viewed.page_title, viewed.referrer) == (page.context["page"]["url"], "Pricing",
                                                                     "https://mail.example/")
    assert (viewed.utm_source, viewed.utm_medium, viewed.utm_campaign, viewed.utm_term) == ("news", "email", "spring", None)
    assert viewed.context["ip"] == "203.0.113.9" and viewed.context["userAgent"] == "Firefox"
    assert (signed_up.utm_source, signed_up.utm_medium, signed_up.utm_campaign, signed_up.utm_term,
            signed_up.utm_content) == ("ads", "cpc", "launch", "crm", "banner")
    assert (screened.name, screened.properties) == ("screen_viewed", {"items": 2, "name": "Cart"})
    [visitor] = contacts(harness)
    assert visitor.time_zone == "Europe/Moscow", "context.timezone fills an unknown time zone"


def test_identify_sets_builtin_fields_and_properties(harness) -> None:
    ingest(harness.runtime, [Call(type="identify", user_id="u-7", traits={
        "email": "anna@example.com", "firstName": "Anna", "lastName": "Petrova", "phone": "+7 900",
        "timezone": "Asia/Tokyo", "plan": "pro", "seats": 3})])
    ingest(harness.runtime, [Call(type="identify", user_id="u-7", traits={"plan": "team", "seats": None}),
                             Call(type="group", user_id="u-7", group_id="acme", traits={"industry": "retail"})])
    [anna] = contacts(harness)
    assert (anna.user_id, anna.email, anna.name, anna.phone, anna.time_zone) == (
        "u-7", "anna@example.com", "Anna Petrova", "+7 900", "Asia/Tokyo")
    assert anna.properties == {"firstName": "Anna", "lastName": "Petrova", "plan": "team",
                               "group": {"id": "acme", "industry": "retail"}}
    assert events(harness) == [], "identify and group change the contact and store no event"


def test_an_anonymous_visitor_who_signs_up_becomes_the_user(harness) -> None:
    ingest(harness.runtime, [track("viewed", anonymous_id="browser-1")])
    [visitor] = contacts(harness)
    ingest(harness.runtime, [Call(type="identify", user_id="u-1", anonymous_id="browser-1", traits={"email": "b@x.io"})])
    ingest(harness.runtime, [track("viewed", user_id="u-1")])
    [contact] = contacts(harness)
    assert (contact.id, contact.user_id, contact.email) == (visitor.id, "u-1", "b@x.io")
    assert {e.contact_id for e in events(harness)} == {visitor.id}


def test_one_batch_can_see_a_visitor_then_identify_it(harness) -> None:
    ingest(harness.runtime, [
        track("viewed", anonymous_id="browser-1"),
        track("added", user_id="u-1"),
        Call(type="identify", user_id="u-1", anonymous_id="browser-1", traits={"name": "Vera"}),
        track("paid", anonymous_id="browser-1"),
    ])
    [vera] = contacts(harness)
    assert (vera.user_id, vera.name) == ("u-1", "Vera")
    assert anonymous_ids(harness) == {"browser-1": vera.id}
    assert [e.name for e in events(harness) if e.contact_id == vera.id] == ["viewed", "added", "paid"]


def waiting_flow() -> dict[str, Any]:
    return document(
        "Cart reminder",
        {"start": ("trigger", {"on": "event", "event": "cart_updated"}),
         "wait": ("wait", {"duration": "PT1H"}),
         "chat": ("send_chat", {"body": "Still thinking about it?"}),
         "done": ("exit", {})},
        [("start", "next", "wait"), ("wait", "next", "chat"), ("chat", "next", "done")],
    )


def test_identify_merges_the_anonymous_history_into_the_known_contact(harness) -> None:
    flow_id = harness.publish(waiting_flow())
    ingest(harness.runtime, [Call(type="identify", user_id="u-1", traits={"email": "k@x.io", "plan": "pro"})])
    ingest(harness.runtime, [track("cart_updated", {"total": 30}, anonymous_id="browser-9"),
                             Call(type="identify", anonymous_id="browser-9", traits={"city": "Kazan", "plan": "free"})])
    harness.drain()
    known, visitor = contacts(harness)
    [waiting] = harness.runs(flow_id)
    assert (waiting.contact_id, waiting.status, waiting.node_id) == (visitor.id, RunStatus.WAITING, "wait")

    merged = ingest(harness.runtime, [Call(type="identify", user_id="u-1", anonymous_id="browser-9")])
    assert merged.merged_contacts == 1
    [contact] = contacts(harness)
    assert contact.id == known.id
    assert contact.properties == {"plan": "pro", "city": "Kazan"}, "the known contact's values win, the visitor's fill gaps"
    assert contact.first_seen_at == min(known.first_seen_at, visitor.first_seen_at)
    assert anonymous_ids(harness) == {"browser-9": known.id}
    assert {e.contact_id for e in events(harness)} == {known.id}
    [moved] = harness.runs(flow_id)
    assert (moved.id, moved.contact_id, moved.status) == (waiting.id, known.id, RunStatus.WAITING)

    harness.advance(timedelta(hours=1))
    [finished] = harness.runs(flow_id)
    assert (finished.contact_id, finished.status) == (known.id, RunStatus.COMPLETED)
    [chat] = harness.messages(known.id)
    assert chat.content["body"] == "Still thinking about it?"
    assert_counters_balance(harness, flow_id)


def test_events_queued_for_a_merged_visitor_are_applied_to_the_known_contact(harness) -> None:
    """An event stored but not yet applied when its visitor is merged is queued again and applied once."""
    flow_id = harness.publish(waiting_flow())
    ingest(harness.runtime, [Call(type="identify", user_id="u-1")])
    merged = ingest(harness.runtime, [track("cart_updated", anonymous_id="browser-1")])  # not drained: still queued
    outcome = ingest(harness.runtime, [Call(type="identify", user_id="u-1", anonymous_id="browser-1")])
    assert outcome.requeued_event_ids == merged.event_ids
    harness.drain()
    [known] = contacts(harness)
    [run] = harness.runs(flow_id)
    assert (run.contact_id, run.status) == (known.id, RunStatus.WAITING)
    with harness.session() as session:
        assert unapplied_events.count(session) == 0


def test_an_anonymous_id_of_another_known_user_is_not_merged(harness) -> None:
    """A shared browser: the second user's identify does not take the first user's history."""
    ingest(harness.runtime, [Call(type="identify", user_id="first", anonymous_id="shared-browser"),
                             track("viewed", anonymous_id="shared-browser")])
    ingest(harness.runtime, [Call(type="identify", user_id="second", anonymous_id="shared-browser")])
    first, second = contacts(harness)
    assert (first.user_id, second.user_id) == ("first", "second")
    assert anonymous_ids(harness) == {"shared-browser": first.id}
    assert {e.contact_id for e in events(harness)} == {first.id}


def test_alias_joins_a_previous_identity_to_the_user(harness) -> None:
    ingest(harness.runtime, [track("viewed", anonymous_id="browser-1"), Call(type="identify", user_id="crm-42")])
    ingest(harness.runtime, [Call(type="alias", previous_id="browser-1", user_id="crm-42")])
    [contact] = contacts(harness)
    assert contact.user_id == "crm-42"
    assert anonymous_ids(harness) == {"browser-1": contact.id}

    # Renaming: a user with no contact under the new id keeps its contact, the old id still resolves.
    ingest(harness.runtime, [Call(type="alias", previous_id="crm-42", user_id="email:k@x.io")])
    ingest(harness.runtime, [track("paid", user_id="crm-42"), track("paid", user_id="email:k@x.io")])
    [renamed] = contacts(harness)
    assert (renamed.id, renamed.user_id) == (contact.id, "email:k@x.io")
    assert {e.contact_id for e in events(harness)} == {contact.id}

    # An unknown previous id becomes an alias of the user.
    ingest(harness.runtime, [Call(type="alias", previous_id="old-app-id", user_id="email:k@x.io"),
                             track("opened", anonymous_id="old-app-id")])
    assert {e.contact_id for e in events(harness)} == {contact.id}


def test_alias_merges_two_known_contacts(harness) -> None:
    ingest(harness.runtime, [track("viewed", user_id="old"), track("viewed", user_id="new")])
    old, new = contacts(harness)
    ingest(harness.runtime, [Call(type="alias", previous_id="old", user_id="new")])
    [contact] = contacts(harness)
    assert contact.id == new.id
    assert {e.contact_id for e in events(harness)} == {new.id}
    ingest(harness.runtime, [track("viewed", user_id="old")])
    assert len(contacts(harness)) == 1, "the merged user id resolves to the contact it was merged into"


def test_identify_refreshes_segments_so_segment_triggers_fire(harness) -> None:
    with harness.runtime.sessions.begin() as session:
        segment = Segment(name="Pro plan", filter={"property": "plan", "op": "eq", "value": "pro"})
        session.add(segment)
        session.flush()
        segment_id = segment.id
    flow_id = harness.publish(document(
        "Welcome pros",
        {"entered": ("trigger", {"on": "segment_entered", "segment": segment_id}),
         "hello": ("send_chat", {"body": "Welcome, pro!"}), "done": ("exit", {})},
        [("entered", "next", "hello"), ("hello", "next", "done")],
    ))
    ingest(harness.runtime, [Call(type="identify", user_id="u-1", traits={"plan": "free"})])
    harness.drain()
    assert harness.runs(flow_id) == []
    ingest(harness.runtime, [Call(type="identify", user_id="u-1", traits={"plan": "pro"})])
    harness.drain()
    [run] = harness.runs(flow_id)
    assert run.status is RunStatus.COMPLETED
    with harness.session() as session:
        assert session.get(SegmentMembership, (segment_id, run.contact_id)) is not None
        assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_a_batch_costs_a_few_statements_not_one_per_event(harness) -> None:
    ingest(harness.runtime, [track("seen", user_id=f"u-{n}") for n in range(50)])
    harness.clock.advance(timedelta(minutes=1))  # the 50 known contacts are seen again: one UPDATE for all
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(harness.runtime.engine, "before_cursor_execute", count)
    try:
        calls = [track("cart_updated", {"n": n}, user_id=f"u-{n % 50}", message_id=f"m-{n}") for n in range(100)]
        calls += [track("viewed", anonymous_id=f"new-{n}") for n in range(100)]
        outcome = ingest(harness.runtime, calls)
    finally:
        event.remove(harness.runtime.engine, "before_cursor_execute", count)
    assert (len(outcome.event_ids), outcome.created_contacts) == (200, 100)
    data_statements = [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")]
    # the identity read, the lock of the 50 known contacts; contact ids, INSERT; anonymous ids; known messageIds,
    # event ids, INSERT, their unapplied marks; the seen UPDATE; on PostgreSQL also the claim of the 100 new
    # anonymous ids and the read after it.
    assert len(data_statements) <= (12 if harness.runtime.engine.dialect.name == "postgresql" else 10), statements
    with harness.session() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0


def test_concurrent_batches_about_the_same_new_people_create_each_contact_once(harness) -> None:
    """Four request threads at once, every batch naming the same 30 new people: no batch fails, no duplicates."""
    people = [{"user_id": f"user-{n}"} if n % 2 else {"anonymous_id": f"browser-{n}"} for n in range(30)]
    errors: list[BaseException] = []

    def send(thread: int) -> None:
        try:
            for batch in range(5):
                ingest(harness.runtime, [track("seen", {"thread": thread}, message_id=f"{thread}-{batch}-{n}", **ids)
                                         for n, ids in enumerate(people)])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(contacts(harness)) == 30
    assert len(anonymous_ids(harness)) == 15
    assert len(events(harness)) == 4 * 5 * 30


def test_the_events_of_many_batches_wait_in_one_list_for_one_job(harness) -> None:
    """Under load the worker applies full batches: three requests' events, one queued job."""
    flow_id = harness.publish(waiting_flow())
    for n in range(3):
        ingest(harness.runtime, [track("cart_updated", {"total": 60}, user_id=f"u-{n}-{k}") for k in range(10)])
    assert [job.func_name for job in harness.runtime.jobs.queue.get_jobs()] == [
        "workflow_runtime.dispatch.jobs.process_pending_events"]
    harness.drain()
    assert len(harness.runs(flow_id)) == 30
    with harness.session() as session:
        assert unapplied_events.count(session) == 0


def test_a_pending_batch_that_fails_becomes_a_process_events_job_and_is_applied(harness, monkeypatch) -> None:
    flow_id = harness.publish(waiting_flow())
    real = batches.process_events
    calls: list[int] = []

    def fails_once(*args: Any) -> Any:
        calls.append(len(args[1]))
        if len(calls) == 1:
            # A server's failure, not the batch's (which would be isolated item by item: test_fault_isolation).
            raise OperationalError("COMMIT", {}, ConnectionError("a transient failure (dropped connection)"))
        return real(*args)

    monkeypatch.setattr(batches, "process_events", fails_once)
    ingest(harness.runtime, [track("cart_updated", {"total": 60}, user_id=f"u-{n}") for n in range(4)])
    harness.drain()
    assert calls == [4, 4], "the failed batch was applied by the process_events job it became"
    assert len(harness.runs(flow_id)) == 4
