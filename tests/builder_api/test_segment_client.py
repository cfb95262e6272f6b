"""The unmodified `segment-analytics-python` client, pointed at the app served over real HTTP."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from segment.analytics import Client
from sqlalchemy import select

from tests.conftest import WRITE_KEY
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.storage.models import AnonymousId, Contact, Event, RunStatus


def segment_client(url: str, write_key: str, errors: list[Any], **options: Any) -> Client:
    return Client(write_key, host=url, on_error=lambda error, batch: errors.append(error), max_retries=0,
                  upload_interval=0.05, **options)


@pytest.mark.parametrize("gzip", [False, True])
def test_identify_track_page_and_flush_store_rows(server_url: str, harness, gzip: bool) -> None:
    errors: list[Any] = []
    analytics = segment_client(server_url, WRITE_KEY, errors, gzip=gzip)
    analytics.page(anonymous_id="browser-1", category="Shop", name="Cart",
                   properties={"url": "https://shop.example/cart?utm_source=newsletter", "title": "Your cart"})
    analytics.track(anonymous_id="browser-1", event="cart_updated", properties={"total": 42.5})
    analytics.identify(user_id="user-1", anonymous_id="browser-1",
                       traits={"email": "anna@example.com", "name": "Anna", "plan": "pro"})
    analytics.track(user_id="user-1", event="order_paid", properties={"amount": 42.5},
                    timestamp=datetime.now(UTC) - timedelta(minutes=1))  # on the client's own clock
    analytics.flush()
    analytics.join()
    assert errors == []

    with harness.session() as session:
        [anna] = session.scalars(select(Contact))
        assert (anna.user_id, anna.email, anna.name, anna.properties) == ("user-1", "anna@example.com", "Anna",
                                                                         {"plan": "pro"})
        assert session.scalars(select(AnonymousId.anonymous_id)).all() == ["browser-1"]
        stored = session.scalars(select(Event).order_by(Event.id)).all()
    assert [(e.name, e.contact_id) for e in stored] == [
        ("page_viewed", anna.id), ("cart_updated", anna.id), ("order_paid", anna.id)]
    page, cart, paid = stored
    assert (page.page_url, page.page_title, page.utm_source) == (
        "https://shop.example/cart?utm_source=newsletter", "Your cart", "newsletter")
    assert page.properties["category"] == "Shop"
    assert cart.properties == {"total": 42.5}
    assert all(e.message_id for e in stored), "the client's messageIds are kept for de-duplication"
    assert cart.context["library"]["name"] == "analytics-python"
    # The client stamps `timestamp` and `sentAt` on the machine's real clock; the server puts the
    # events on its own (virtual) clock by the difference, as Segment corrects a client's skew.
    assert abs(paid.timestamp - (harness.clock.now() - timedelta(minutes=1))) < timedelta(seconds=5)
    assert abs(cart.timestamp - harness.clock.now()) < timedelta(seconds=5)


def test_the_client_hears_a_wrong_write_key_as_an_error(server_url: str, harness) -> None:
    errors: list[Any] = []
    analytics = segment_client(server_url, "not-the-key", errors)
    analytics.track(user_id="user-1", event="order_paid")
    analytics.flush()
    analytics.join()
    assert [error.status for error in errors] == [401]
    with harness.session() as session:
        assert session.scalars(select(Event)).all() == []


def test_tracked_events_reach_the_runtime(server_url: str, harness) -> None:
    flow_id = harness.publish(document(
        "Thank you", {"paid": ("trigger", {"on": "event", "event": "order_paid"}),
                      "thanks": ("send_chat", {"body": "Thank you for your order!"}), "done": ("exit", {})},
        [("paid", "next", "thanks"), ("thanks", "next", "done")]))
    errors: list[Any] = []
    analytics = segment_client(server_url, WRITE_KEY, errors)
    analytics.track(user_id="user-1", event="order_paid", properties={"amount": 10})
    analytics.flush()
    analytics.join()
    harness.drain()
    [run] = harness.runs(flow_id)
    assert run.status is RunStatus.COMPLETED
    assert [m.content["body"] for m in harness.messages(run.contact_id)] == ["Thank you for your order!"]
