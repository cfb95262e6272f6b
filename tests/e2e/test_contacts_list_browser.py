"""Issue 18: the contacts list in headless Chromium: a property picked as a column from the suggestions, the list sorted
by it on the server both ways, the view kept in the URL, and the same list downloaded as CSV — signed in with a pasted
token (the file fetched with it) and with a password (the browser fetching the file with its session cookie)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy.orm import Session

from builder_api.accounts import create_user
from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from workflow_runtime.storage.models import Contact, Event

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
PEOPLE = [  # name, plan, hours since last seen
    ("Anna", "pro", 1),
    ("Boris", "basic", 2),
    ("=Carla", "enterprise", 3),  # a name a spreadsheet would run as a formula
    ("Dmitri", None, 4),
]


@pytest.fixture
def people(session: Session) -> dict[str, int]:
    """Four contacts, one without a plan, and an event that gives the suggestions an event property."""
    contacts = {name: Contact(name=name, email=f"{name.strip('=').lower()}@example.com",
                              properties={"plan": plan} if plan else {"city": "Berlin"},
                              first_seen_at=NOW - timedelta(days=10), last_seen_at=NOW - timedelta(hours=hours))
                for name, plan, hours in PEOPLE}
    session.add_all(contacts.values())
    session.flush()
    session.add(Event(contact_id=contacts["Anna"].id, name="order_paid", properties={"amount": 20}, timestamp=NOW,
                      utm_source="newsletter"))
    session.commit()
    return {name: contact.id for name, contact in contacts.items()}


def shown_names(page) -> list[str]:
    return page.get_by_test_id("contact-row").get_by_test_id("cell-name").all_inner_texts()


def downloaded_rows(page) -> tuple[str, list[list[str]]]:
    """Click "Export CSV" and read the file the browser saved: its name and its rows."""
    with page.expect_download() as started:
        page.get_by_test_id("export-csv").click()
    download = started.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return download.suggested_filename, list(csv.reader(io.StringIO(text, newline="")))


def test_pick_a_property_column_sort_by_it_and_export_the_list(page, people: dict[str, int]) -> None:
    page, log = page
    page.goto("/contacts")
    sign_in_with_token(page)
    expect(page.get_by_test_id("contact-row")).to_have_count(4)
    assert shown_names(page) == ["Anna", "Boris", "=Carla", "Dmitri"], "the latest seen first"
    expect(page.get_by_test_id("page-label")).to_have_text("1–4 of 4")

    # The picker suggests the properties seen on contacts; "plan" becomes a column.
    page.get_by_test_id("columns-button").click()
    suggested = page.locator("#suggest-contact-properties option")
    expect(suggested).to_have_count(2)
    assert sorted(suggested.evaluate_all("options => options.map(option => option.value)")) == ["city", "plan"]
    page.get_by_test_id("column-property-input").fill("plan")
    page.get_by_test_id("column-property-add").click()
    expect(page.locator("thead th")).to_have_text(["Name", "Email", "Last seen", "City", "plan", "Id"])

    # Sorted on the server: A to Z, then Z to A; no plan comes last both ways.
    page.get_by_test_id("sort-properties.plan").click()
    expect(page.get_by_test_id("cell-properties.plan")).to_have_text(["basic", "enterprise", "pro", ""])
    assert shown_names(page) == ["Boris", "=Carla", "Anna", "Dmitri"]
    page.get_by_test_id("sort-properties.plan").click()
    expect(page.get_by_test_id("cell-properties.plan")).to_have_text(["pro", "enterprise", "basic", ""])
    query = parse_qs(urlparse(page.url).query)
    assert query["columns"] == ["name,email,last_seen_at,city,properties.plan"]
    assert query["sort"] == ["-properties.plan"]

    # The pasted token is not in any cookie: the export is fetched with it and saved from memory.
    filename, rows = downloaded_rows(page)
    assert filename.startswith("contacts-") and filename.endswith(".csv")
    assert rows[0] == ["id", "name", "email", "last_seen_at", "city", "properties.plan"]
    assert [(row[1], row[5]) for row in rows[1:]] == [
        ("Anna", "pro"), ("'=Carla", "enterprise"), ("Boris", "basic"), ("Dmitri", "")], "the list's order, defused"
    assert rows[4][4] == "Berlin" and rows[1][0] == str(people["Anna"])
    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [url for _, url in log.failed_responses if not url.endswith(tuple(EXPECTED_FAILURES))] == []


def test_a_shared_view_and_the_export_with_the_session_cookie(page, session: Session, people: dict[str, int]) -> None:
    page, log = page
    create_user(session, "marketer@shop.example", "correct horse battery")
    session.commit()
    page.goto("/contacts?columns=name,properties.plan,source&sort=properties.plan")
    page.get_by_label("Email").fill("marketer@shop.example")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_test_id("sign-in").click()

    expect(page.locator("thead th")).to_have_text(["Name", "plan", "Source", "Id"])
    expect(page.get_by_test_id("cell-name")).to_have_text(["Boris", "=Carla", "Anna", "Dmitri"])
    expect(page.get_by_test_id("cell-source")).to_have_text(["", "", "newsletter", ""])
    expect(page.get_by_test_id("page-label")).to_have_text("1–4 of 4")

    filename, rows = downloaded_rows(page)
    assert filename.startswith("contacts-") and filename.endswith(".csv")
    assert rows == [
        ["id", "name", "properties.plan", "utm_source", "utm_medium", "utm_campaign"],
        [str(people["Boris"]), "Boris", "basic", "", "", ""],
        [str(people["=Carla"]), "'=Carla", "enterprise", "", "", ""],
        [str(people["Anna"]), "Anna", "pro", "newsletter", "", ""],
        [str(people["Dmitri"]), "Dmitri", "", "", "", ""],
    ]
    assert [url for _, url in log.failed_responses if not url.endswith(tuple(EXPECTED_FAILURES))] == []


def test_node_forms_suggest_the_event_names_seen(page, client, admin_headers: dict[str, str],
                                                 people: dict[str, int]) -> None:
    page, log = page
    document = {
        "schema_version": 2,
        "name": "Thanks",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"on": "event", "event": "order"}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [{"from": "start", "port": "next", "to": "done"}],
    }
    flow_id = client.post("/api/flows", json={"name": "Thanks", "document": document}, headers=admin_headers).json["id"]
    page.goto(f"/flows/{flow_id}")
    sign_in_with_token(page)
    page.get_by_test_id("node-start").locator(".flow-node-header").click()

    event_input = page.locator('input[list$="__suggestions"]')
    expect(event_input).to_have_value("order")
    suggestions = page.locator(f'datalist#{event_input.get_attribute("list")} option')
    expect(suggestions).to_have_count(1)
    assert suggestions.get_attribute("value") == "order_paid" and suggestions.get_attribute("label") == "1 seen"
    event_input.fill("order_paid")
    expect(event_input).to_have_value("order_paid")
    assert [url for _, url in log.failed_responses if not url.endswith(tuple(EXPECTED_FAILURES))] == []
