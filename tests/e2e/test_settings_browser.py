"""The Settings page in Chromium, logged in with a password (so every write carries the CSRF token): the install
snippet with the site key, a server key rotated and shown new, a user added, and an API token made and shown once."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from builder_api import accounts
from builder_api.extensions import db
from builder_api.runtime_access import now
from builder_api.workspace.keys import Keys, load_keys
from tests.builder_api.conftest import PASSWORD
from tests.builder_api.test_workspace_keys_api import rotatable_app  # noqa: F401  (fixture)
from tests.live_server import live_server
from workflow_runtime.storage.models import ApiToken, InboxAccess, KeyName, User

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def keys_in_force(app: Flask) -> Keys:
    with app.app_context():
        return load_keys(db.session, app.config["AUTOMAP"], now())


@contextmanager
def settings_as(browser: Any, app: Flask, built_frontend: Path, email: str) -> Iterator[tuple[Any, list[str]]]:
    """A page on `app` logged in by password as `email`, on Settings; with the console errors and failed answers
    the page met."""
    with live_server(app, FRONTEND_DIST=str(built_frontend)) as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server.url)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
        page.on("response", lambda response: response.status >= 400 and not response.url.endswith("/api/session")
                and problems.append(f"{response.status} {response.url}"))
        page.goto("/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_test_id("sign-in").click()
        page.get_by_role("link", name="Settings").click()
        try:
            yield page, problems
        finally:
            context.close()


@pytest.fixture
def settings_page(browser: Any, rotatable_app: Flask, built_frontend: Path,  # noqa: F811
                  session: Session) -> Iterator[tuple[Any, list[str]]]:
    """Settings on the app whose keys live in the database (none set by a variable), as its owner."""
    accounts.create_user(session, "owner@shop.example", PASSWORD)
    session.commit()
    with settings_as(browser, rotatable_app, built_frontend, "owner@shop.example") as opened:
        yield opened


def test_an_operator_who_sees_assigned_conversations_meets_no_refusal(
        browser: Any, rotatable_app: Flask, built_frontend: Path, session: Session) -> None:  # noqa: F811
    agent = accounts.create_user(session, "agent@shop.example", PASSWORD)
    agent.inbox_access = InboxAccess.ASSIGNED
    session.commit()
    with settings_as(browser, rotatable_app, built_frontend, "agent@shop.example") as (page, problems):
        expect(page.get_by_test_id("settings-assigned-only")).to_contain_text("managed by someone who sees the whole")
        expect(page.get_by_test_id("revenue-section")).to_be_visible()
        expect(page.get_by_test_id("revenue-event-row")).to_have_count(2)
        for absent in ("keys", "users", "tokens"):
            expect(page.get_by_role("heading", name=absent, exact=False)).to_have_count(0)
        assert problems == [], "no section asked for what the API refuses them"


def test_the_owner_installs_rotates_and_adds_a_user_and_a_token(settings_page: tuple[Any, list[str]],
                                                                 rotatable_app: Flask, session: Session,  # noqa: F811
                                                                 screenshots: Path) -> None:
    page, problems = settings_page
    keys = keys_in_force(rotatable_app)
    site_key, server_key = keys[KeyName.WRITE_KEY].value, keys[KeyName.SERVER_KEY].value

    snippet = page.get_by_test_id("install-snippet")
    expect(snippet).to_contain_text(f'/widget.js","{site_key}");')
    expect(page.get_by_test_id("key-value-write_key")).to_have_text(site_key)

    masked = page.get_by_test_id("key-value-server_key")
    expect(masked).not_to_have_text(server_key)  # a secret is masked until revealed
    page.get_by_test_id("reveal-server_key").click()
    expect(masked).to_have_text(server_key)
    page.get_by_test_id("rotate-server_key").click()
    page.get_by_role("button", name="Rotate key").click()
    expect(page.get_by_test_id("key-grace-server_key")).to_contain_text("the old key works until")
    expect(masked).not_to_have_text(server_key)
    new_key = keys_in_force(rotatable_app)[KeyName.SERVER_KEY]
    assert new_key.value != server_key and new_key.previous == server_key
    expect(masked).to_have_text(new_key.value)  # shown, new, as it was shown before
    page.get_by_test_id("install-section").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "settings.png"))

    page.get_by_test_id("new-user-email").fill("boris@shop.example")
    page.get_by_test_id("new-user-password").fill("another good password")
    page.get_by_test_id("create-user").click()
    users = page.get_by_test_id("users")
    expect(users).to_contain_text("boris@shop.example")
    expect(users.get_by_role("row").filter(has_text="owner@shop.example").get_by_role("button", name="Disable")) \
        .to_be_disabled()  # nobody disables themself
    boris = session.query(User).filter_by(email="boris@shop.example").one()
    assert boris.disabled_at is None
    # Disabled, then enabled again.
    page.get_by_test_id(f"disable-user-{boris.id}").click()
    page.get_by_role("dialog").get_by_role("button", name="Disable user").click()
    expect(page.get_by_test_id(f"user-{boris.id}")).to_contain_text("disabled")
    page.get_by_test_id(f"enable-user-{boris.id}").click()
    expect(page.get_by_test_id(f"user-{boris.id}")).to_contain_text("active")
    session.expire_all()
    assert session.get(User, boris.id).disabled_at is None

    page.get_by_test_id("new-token-name").fill("nightly export")
    page.get_by_test_id("create-token").click()
    secret = page.get_by_test_id("new-token-secret").inner_text()
    assert secret.startswith("am_")
    expect(page.get_by_test_id("api-tokens")).to_contain_text("nightly export")
    [token] = session.query(ApiToken).all()
    assert accounts.find_token(session, secret).id == token.id
    page.get_by_test_id(f"revoke-token-{token.id}").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_test_id(f"token-{token.id}")).to_contain_text("revoked")
    assert problems == []
