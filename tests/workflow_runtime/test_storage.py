"""The schema the migrations build matches the models, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import (
    AnonymousId,
    Base,
    Channel,
    Contact,
    Event,
    Flow,
    FlowStatus,
    FlowVersion,
    ImmutableVersionError,
    MessageTemplate,
    Segment,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def test_migrations_build_exactly_the_models(session: Session) -> None:
    connection = session.connection()
    assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_real_queries_have_indexes(session: Session) -> None:
    inspector = inspect(session.connection())
    event_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("events") if not ix["unique"]}
    # Each event INSERT writes only what queries read: a contact's events of a name in time (conditions, the card,
    # funnels), and a name's events in a window across every contact (segment counts' "did X within P14D").
    assert event_indexes == {("contact_id", "name", "timestamp", "id"), ("name", "timestamp", "contact_id")}
    assert ("last_seen_at",) in {tuple(ix["column_names"]) for ix in inspector.get_indexes("contacts")}
    assert ("flow_id",) in {tuple(ix["column_names"]) for ix in inspector.get_indexes("flow_versions")}


def test_timestamps_come_back_timezone_aware_utc(session: Session) -> None:
    moscow = timezone(timedelta(hours=3))
    contact = Contact(email="anna@example.com", first_seen_at=NOW.astimezone(moscow), last_seen_at=NOW)
    session.add(contact)
    session.commit()
    session.expire_all()
    stored = session.get(Contact, contact.id)
    assert stored.first_seen_at == NOW
    assert stored.first_seen_at.tzinfo is not None
    assert stored.first_seen_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(Contact(email="naive@example.com", last_seen_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_contact_keeps_anonymous_ids_events_and_json_properties(session: Session) -> None:
    contact = Contact(
        user_id="u-1",
        email="anna@example.com",
        time_zone="Europe/Moscow",
        properties={"plan": "trial", "address": {"city": "Kazan"}, "business_type": "saas"},
        tags=["vip"],
    )
    contact.anonymous_ids.append(AnonymousId(anonymous_id="anon-1"))
    session.add(contact)
    session.flush()
    session.add(
        Event(
            contact_id=contact.id,
            name="cart_updated",
            properties={"total": 1290.5, "items": [{"sku": "A1"}]},
            timestamp=NOW,
            message_id="m-1",
            page_url="https://shop.example.com/cart",
            utm_source="newsletter",
        )
    )
    session.commit()
    session.expire_all()
    stored = session.scalar(select(Contact).where(Contact.user_id == "u-1"))
    assert stored.properties["address"]["city"] == "Kazan"
    assert [a.anonymous_id for a in stored.anonymous_ids] == ["anon-1"]
    event = session.scalar(select(Event).where(Event.contact_id == stored.id))
    assert event.properties["items"] == [{"sku": "A1"}]
    assert event.utm_source == "newsletter"
    assert stored.builtin_fields()["tags"] == ["vip"]


@pytest.mark.parametrize(
    "make_duplicate",
    [
        lambda c: Contact(user_id="u-1"),
        lambda c: Event(contact_id=c.id, name="x", timestamp=NOW, message_id="m-1"),
        lambda c: AnonymousId(anonymous_id="anon-1", contact_id=c.id),
    ],
    ids=["user_id", "event message_id", "anonymous_id"],
)
def test_identities_are_unique(session: Session, make_duplicate: Callable[[Contact], object]) -> None:
    contact = Contact(user_id="u-1")
    contact.anonymous_ids.append(AnonymousId(anonymous_id="anon-1"))
    session.add(contact)
    session.flush()
    session.add(Event(contact_id=contact.id, name="x", timestamp=NOW, message_id="m-1"))
    session.commit()
    session.add(make_duplicate(contact))
    with pytest.raises(IntegrityError):
        session.commit()


def test_deleting_a_contact_deletes_its_events_and_ids(session: Session) -> None:
    contact = Contact(user_id="gone")
    contact.anonymous_ids.append(AnonymousId(anonymous_id="anon-gone"))
    session.add(contact)
    session.flush()
    session.add(Event(contact_id=contact.id, name="page", timestamp=NOW))
    session.commit()
    session.delete(contact)
    session.commit()
    assert session.scalar(select(Event)) is None
    assert session.scalar(select(AnonymousId)) is None


def test_published_versions_are_immutable(session: Session) -> None:
    flow = Flow(name="Welcome", draft={"name": "Welcome"})
    version = FlowVersion(flow=flow, number=1, document={"name": "Welcome"})
    session.add_all([flow, version])
    session.commit()
    version.document = {"name": "changed"}
    with pytest.raises(ImmutableVersionError, match="publish a new version"):
        session.commit()


def test_version_numbers_are_unique_per_flow(session: Session) -> None:
    flow = Flow(name="Welcome", draft={})
    session.add_all([flow, FlowVersion(flow=flow, number=1, document={}), FlowVersion(flow=flow, number=1, document={})])
    with pytest.raises(IntegrityError):
        session.commit()


def test_enums_are_stored_as_their_lower_case_values(session: Session) -> None:
    session.add_all(
        [
            Flow(name="Paused one", draft={}, status=FlowStatus.PAUSED),
            MessageTemplate(name="Promo", channel=Channel.POPUP, body="<b>-10%</b>"),
            Segment(name="Trials", filter={"property": "plan", "op": "eq", "value": "trial"}),
        ]
    )
    session.commit()
    raw = session.connection().exec_driver_sql("SELECT status FROM flows").scalar_one()
    assert raw == "paused"
    assert session.connection().exec_driver_sql("SELECT channel FROM message_templates").scalar_one() == "popup"


def test_message_template_version_grows_on_every_edit(session: Session) -> None:
    template = MessageTemplate(name="Welcome", channel=Channel.EMAIL, subject="Hi", body="<mjml></mjml>")
    session.add(template)
    session.commit()
    assert template.version == 1
    template.subject = "Hello"
    session.commit()
    assert template.version == 2


def test_postgresql_keeps_no_statistics_on_unfiltered_documents(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("column statistics targets are PostgreSQL's")
    targets = dict(session.execute(text(
        "SELECT attrelid::regclass::text || '.' || attname, attstattarget FROM pg_attribute "
        "WHERE attrelid IN ('events'::regclass, 'runs'::regclass, 'messages'::regclass, 'contacts'::regclass) "
        "AND atttypid = 'jsonb'::regtype")).all())
    # Compared as wholes, so kept: the drill-down's containment test of message statuses, and the compiled segment
    # conditions' tests of contact properties (migration 0031: without them, a count probed where it should hash).
    assert targets == {"events.properties": 0, "events.context": 0, "runs.path": 0, "runs.node_state": 0,
                       "runs.context": 0, "runs.waiting_where": 0, "messages.content": 0, "contacts.properties": -1,
                       "contacts.tags": 0, "messages.statuses": -1}
