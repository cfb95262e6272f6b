"""`GET /api/reports/messages` and its CSV twin over messages the real runtime sent: the same rows the runtime's
report makes, the filters passed on, and a 400 naming the field for a bad one."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.workflow_runtime.runtime_support import document, track_all
from workflow_runtime.channels import onsite
from workflow_runtime.channels.messages import record_status
from workflow_runtime.reports.messages_report import MessagesFilter, messages_report
from workflow_runtime.storage.models import Message, MessageStatus

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def flow(harness) -> int:  # noqa: ANN001 - the Harness fixture
    """A popup then an email to four visitors on day 0, one popup clicked; on day 1 one email is read and one buys."""
    flow_id = harness.publish(document(
        FORMULA,  # a name a spreadsheet would run
        {"start": ("trigger", {"event": "visited"}),
         "popup": ("send_popup", {"size": "large", "title": "@SUM(A1)", "body": "Hello"}),
         "email": ("send_email", {"subject": "Thanks, for visiting", "body": "<mjml>hi</mjml>"}),
         "end": ("exit", {})},
        [("start", "next", "popup"), ("popup", "next", "email"), ("email", "next", "end")],
        goal={"event": "order_paid", "within": "P7D", "revenue_property": "amount"},
    ))
    visitors = [harness.contact(name=f"Visitor {i}") for i in range(4)]
    track_all(harness, visitors, "visited")
    [popup] = [m for m in harness.messages(visitors[0]) if m.node_id == "popup"]
    with harness.runtime.sessions.begin() as session:
        onsite.report(session, visitors[0], popup.id, MessageStatus.CLICKED, harness.clock.now())
    harness.advance(timedelta(days=1))
    [email] = [m for m in harness.messages(visitors[1]) if m.node_id == "email"]
    with harness.runtime.sessions.begin() as session:
        record_status(session, session.get(Message, email.id), MessageStatus.READ, harness.clock.now())
    track_all(harness, visitors[:1], "order_paid", {"amount": 19.99})
    return flow_id


def test_the_report_serves_the_runtimes_rows_and_totals(client: FlaskClient, admin_headers: dict, flow: int,
                                                        harness) -> None:  # noqa: ANN001
    response = client.get("/api/reports/messages", headers=admin_headers)
    assert response.status_code == 200, response.json
    with harness.session() as session:
        assert response.json == messages_report(session, MessagesFilter())
    rows = {row["node_id"]: row for row in response.json["items"]}
    assert list(rows) == ["popup", "email"]
    assert (rows["popup"]["sent"], rows["popup"]["clicked"], rows["popup"]["rates"]["clicked"]) == (4, 1, 0.25)
    assert (rows["email"]["sent"], rows["email"]["read"], rows["email"]["queued"]) == (4, 1, 3)
    assert rows["popup"]["converted"] == rows["email"]["converted"] == 1
    assert (response.json["totals"]["converted"], response.json["totals"]["revenue"]) == (1, 19.99), \
        "the run passed both send nodes, and is counted once in the totals"

    day0 = client.get("/api/reports/messages?from=2026-03-02&to=2026-03-02", headers=admin_headers).json
    assert [(row["node_id"], row["sent"], row["read"], row["converted"]) for row in day0["items"]] == [
        ("popup", 4, 1, 0), ("email", 4, 0, 0)], "the email was read on day 1, when the order came"
    only_email = client.get(f"/api/reports/messages?channel=email&flow_id={flow}", headers=admin_headers).json
    assert [(row["node_id"], row["channel"]) for row in only_email["items"]] == [("email", "email")]


def test_the_csv_has_the_same_rows_with_formulas_defused(client: FlaskClient, admin_headers: dict, flow: int) -> None:
    response = client.get("/api/reports/messages.csv?channel=popup", headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="messages-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a byte order mark, for spreadsheets"
    header, *rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert header == [
        "flow_id", "flow_name", "flow_status", "node_id", "node_label", "node_type", "channel", "sent", "delivered",
        "read", "clicked", "replied", "unsubscribed", "failed", "queued", "converted", "revenue", "delivered_rate",
        "read_rate", "clicked_rate", "replied_rate", "unsubscribed_rate", "failed_rate", "converted_rate"]
    assert rows == [[str(flow), "'" + FORMULA, "live", "popup", "'@SUM(A1)", "send_popup", "popup", "4", "1", "1", "1",
                     "0", "0", "0", "3", "1", "19.99", "0.25", "0.25", "0.25", "0.0", "0.0", "0.0", "0.25"]]
    everything = client.get("/api/reports/messages.csv", headers=admin_headers).get_data(as_text=True)
    json_rows = client.get("/api/reports/messages", headers=admin_headers).json["items"]
    assert [[row[3], *row[5:8]] for row in list(csv.reader(io.StringIO(everything[1:], newline="")))[1:]] == [
        [row["node_id"], row["node_type"], row["channel"], str(row["sent"])] for row in json_rows]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("channel=sms", "channel"),
        ("channel=webhook", "channel"),
        ("flow_id=first", "flow_id"),
        ("flow_id=0", "flow_id"),
        ("flow_id=99999999999999999999", "flow_id"),
        ("flow_id=4242", "flow_id"),  # no such flow
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-09&to=2026-03-01", "to"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client: FlaskClient, admin_headers: dict, harness, query: str,
                                         field: str) -> None:  # noqa: ANN001
    for path in ("/api/reports/messages", "/api/reports/messages.csv"):
        response = client.get(f"{path}?{query}", headers=admin_headers)
        assert response.status_code == 400, (path, query, response.get_data(as_text=True))
        assert [error["field"] for error in response.json["errors"]] == [field], (path, query)


def test_the_report_is_for_signed_in_users_only(client: FlaskClient) -> None:
    for path in ("/api/reports/messages", "/api/reports/messages.csv"):
        assert client.get(path).status_code == 401
