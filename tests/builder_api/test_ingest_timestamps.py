"""Times a tracking client may send: an impossible one is a 400 naming its field, an absurd one is clamped, none is a 500.

A 5xx would be worse than a wrong answer: Segment's libraries retry it for ever.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import WRITE_KEY
from workflow_runtime.ingest.tracking_calls import MAX_AGE
from workflow_runtime.storage.models import Contact, Event

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
GOOD = {"type": "track", "anonymousId": "a", "event": "fine"}
OUT_OF_RANGE = "outside the years 1 to 9999"
NOT_ISO = "Not an ISO-8601 date-time"


def call_body(path: str, times: dict[str, Any]) -> dict[str, Any]:
    """A track call with these time fields, alone or as the fourth message of a batch (its pointer /batch/3/…)."""
    call = {"anonymousId": "a", "event": "timed", **times}
    return call if path == "track" else {"batch": [GOOD, GOOD, GOOD, {"type": "track", **call}]}


def count(harness, model: Any) -> int:  # noqa: ANN001
    with harness.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path", ["track", "batch"])
@pytest.mark.parametrize(("times", "field", "reason"), [
    ({"timestamp": "0001-01-01T00:00:00+05:00"}, "timestamp", OUT_OF_RANGE),  # the year 0 in UTC
    ({"timestamp": "9999-12-31T23:59:59-05:00"}, "timestamp", OUT_OF_RANGE),  # the year 10000 in UTC
    ({"sentAt": "9999-12-31T23:59:59-14:00"}, "sentAt", OUT_OF_RANGE),
    ({"timestamp": "10000-01-01T00:00:00Z"}, "timestamp", NOT_ISO),
    ({"timestamp": "2026-03-02T10:00:00+24:00"}, "timestamp", NOT_ISO),  # an offset of a day or more
    ({"timestamp": "2026-03-02T10:00:00+99:99"}, "timestamp", NOT_ISO),
    ({"timestamp": "2026-02-30T10:00:00Z"}, "timestamp", NOT_ISO),
    ({"timestamp": "NaN"}, "timestamp", NOT_ISO),
    ({"timestamp": "-Infinity"}, "timestamp", NOT_ISO),
    ({"timestamp": ""}, "timestamp", NOT_ISO),
    ({"timestamp": 1772445600}, "timestamp", NOT_ISO),  # seconds since 1970: Segment's spec asks for ISO-8601
    ({"timestamp": 1.5e300}, "timestamp", NOT_ISO),
    ({"timestamp": True}, "timestamp", NOT_ISO),
    ({"sentAt": "yesterday", "timestamp": "2026-03-02T09:00:00Z"}, "sentAt", NOT_ISO),
])
def test_an_impossible_time_is_400_naming_the_field_and_nothing_is_stored(
        client: FlaskClient, harness, path: str, times: dict[str, Any], field: str, reason: str) -> None:  # noqa: ANN001
    answer = client.post(f"/v1/{path}", json=call_body(path, times), headers=AUTH)
    assert answer.status_code == 400, answer.json
    pointer = f"/{field}" if path == "track" else f"/batch/3/{field}"
    [error] = [error for error in answer.json["errors"] if error["pointer"] == pointer]
    assert reason in error["message"]
    assert pointer.lstrip("/").replace("/", ".") in answer.json["message"]
    assert count(harness, Event) == count(harness, Contact) == 0, "a batch with one bad message stores nothing"


@pytest.mark.parametrize("path", ["track", "batch"])
def test_a_number_json_cannot_store_is_refused_by_name(client: FlaskClient, harness, path: str) -> None:  # noqa: ANN001
    """NaN and 1e999 (infinity) are refused with every value the database cannot store (422), not parsed as times."""
    for literal in ("NaN", "1e999"):
        body = json.dumps(call_body(path, {"timestamp": "TIME"})).replace('"TIME"', literal)
        answer = client.post(f"/v1/{path}", data=body, content_type="application/json", headers=AUTH)
        assert answer.status_code == 422, answer.json
        pointer = "/timestamp" if path == "track" else "/batch/3/timestamp"
        assert [error["pointer"] for error in answer.json["errors"]] == [pointer]
    assert count(harness, Event) == 0


def clamped_cases(now: datetime) -> list[tuple[dict[str, str], datetime]]:
    """(time fields, when the call is stored as having happened)."""
    iso = datetime.isoformat
    return [
        ({"timestamp": "0001-01-01T00:00:00Z"}, now - MAX_AGE),
        ({"timestamp": "9999-12-31T23:59:59Z"}, now),
        ({"timestamp": "9999-12-31T23:59:59+14:00"}, now),
        # Corrected for the skew, these would fall past the year 9999 or before the year 1.
        ({"timestamp": "9999-12-31T23:59:59.999999Z", "sentAt": "0001-01-01T00:00:00Z"}, now),
        ({"timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T23:59:59.999999Z"}, now - MAX_AGE),
        # A device whose clock stands at 1970 is corrected into the window by its sentAt.
        ({"timestamp": "1970-01-01T00:00:00Z", "sentAt": "1970-01-01T00:05:00Z"}, now - timedelta(minutes=5)),
        ({"timestamp": iso(now + timedelta(hours=1))}, now),  # a fast clock, and no sentAt to correct it
        ({"timestamp": iso(now + timedelta(hours=2)), "sentAt": iso(now + timedelta(hours=1))}, now),
        ({"timestamp": iso(now - MAX_AGE + timedelta(seconds=1))}, now - MAX_AGE + timedelta(seconds=1)),
        ({"timestamp": iso(now - timedelta(days=3))}, now - timedelta(days=3)),  # imported history, as sent
    ]


@pytest.mark.parametrize("path", ["track", "batch"])
def test_a_time_outside_the_window_is_clamped_to_it_and_stored(client: FlaskClient, harness, path: str) -> None:  # noqa: ANN001
    now = harness.clock.now()
    for times, expected in clamped_cases(now):
        answer = client.post(f"/v1/{path}", json=call_body(path, times), headers=AUTH)
        assert answer.status_code == 200, (times, answer.json)
        with harness.session() as session:
            stored = session.scalar(select(Event.timestamp).where(Event.name == "timed").order_by(Event.id.desc()))
        assert stored == expected, times
    with harness.session() as session:
        [visitor] = session.scalars(select(Contact))
    assert (visitor.first_seen_at, visitor.last_seen_at) == (now - MAX_AGE, now)


def test_a_batch_sent_at_far_off_is_clamped_for_every_message(client: FlaskClient, harness) -> None:  # noqa: ANN001
    now = harness.clock.now()
    body = {"sentAt": "0001-01-01T00:00:00Z", "batch": [{**GOOD, "timestamp": "9999-12-31T23:59:59Z"},
                                                          {**GOOD, "timestamp": "0001-01-01T00:00:00Z"}]}
    assert client.post("/v1/batch", json=body, headers=AUTH).status_code == 200
    with harness.session() as session:
        assert session.scalars(select(Event.timestamp).order_by(Event.id)).all() == [now, now]
