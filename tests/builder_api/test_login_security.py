"""Logins are throttled before any password is hashed, and sessions end on the server: the security findings, refused.

Found on the earlier code: 200 wrong passwords in 26 s with no throttle, each costing ~100 ms
of scrypt; a session cookie copied before logout kept working for 31 days; no way to disable
a user or to change a password.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from builder_api import accounts
from builder_api.cli import main
from builder_api.login_throttle import ACCOUNT, ADDRESS, LoginThrottle
from tests.builder_api.conftest import PASSWORD
from workflow_runtime.storage.models import LoginSession, User

EMAIL = "marketer@example.com"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def user(session: Session) -> User:
    user = accounts.create_user(session, EMAIL, PASSWORD)
    session.commit()
    return user


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The emails accounts.authenticate was asked to check, in order.

    authenticate is the only code that hashes a login's password (scrypt, ~100 ms), so a request that
    never reached it cost no hashing. A spy that calls through: the view's behaviour is unchanged.
    """
    checked: list[str] = []
    real = accounts.authenticate

    def spy(session: Session, email: str, password: str) -> User | None:
        checked.append(email)
        return real(session, email, password)

    monkeypatch.setattr(accounts, "authenticate", spy)
    return checked


def log_in(client: FlaskClient, password: str, email: str = EMAIL, address: str = "127.0.0.1") -> TestResponse:
    return client.post("/api/session", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def fail_account(client: FlaskClient, times: int, **where: str) -> None:
    for _ in range(times):
        assert log_in(client, "wrong password", **where).status_code == 401


def assert_waits(response: TestResponse, seconds: int) -> None:
    assert response.status_code == 429, response.json
    assert response.headers["Retry-After"] == str(seconds)
    assert response.json["status"] == 429
    assert response.json["message"].startswith("Too many failed logins for this email or from this address")


def test_a_flood_of_wrong_passwords_is_refused_before_any_password_is_hashed(
    client: FlaskClient, user: User, throttle: LoginThrottle, password_checks: list[str]
) -> None:
    fail_account(client, ACCOUNT.free)
    assert len(password_checks) == ACCOUNT.free

    for _ in range(200):  # the finding's 200 guesses: each answered by the throttle alone
        assert_waits(log_in(client, "another guess"), 1)
    assert_waits(log_in(client, PASSWORD), 1)  # even the right password waits its turn
    assert len(password_checks) == ACCOUNT.free

    throttle.clock.now += 1  # refused attempts did not lengthen the wait
    assert log_in(client, PASSWORD).status_code == 200
    assert len(password_checks) == ACCOUNT.free + 1


def test_attempts_still_being_hashed_already_count(throttle: LoginThrottle) -> None:
    # Concurrent guesses: none has been answered yet, yet the one past the allowance already waits.
    for number in range(ACCOUNT.free):
        assert throttle.admit(EMAIL, f"203.0.113.{number}") is None
    assert throttle.admit(EMAIL, "198.51.100.1") == 1


def test_the_wait_doubles_with_each_failure_up_to_a_ceiling(
    client: FlaskClient, user: User, throttle: LoginThrottle
) -> None:
    fail_account(client, ACCOUNT.free)
    for wait in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900):
        assert_waits(log_in(client, "wrong password"), wait)
        throttle.clock.now += wait - 0.5
        assert_waits(log_in(client, "wrong password"), 1)  # half a second short
        throttle.clock.now += 0.5
        fail_account(client, 1)


def test_a_successful_login_clears_the_accounts_failures(
    client: FlaskClient, user: User, throttle: LoginThrottle
) -> None:
    fail_account(client, ACCOUNT.free - 1)
    assert log_in(client, PASSWORD).status_code == 200
    fail_account(client, ACCOUNT.free - 1)  # a fresh allowance of typos
    assert log_in(client, PASSWORD).status_code == 200


def test_an_account_guessed_at_from_many_addresses_waits(
    client: FlaskClient, user: User, throttle: LoginThrottle
) -> None:
    for number in range(ACCOUNT.free):
        fail_account(client, 1, address=f"203.0.113.{number}")
    assert_waits(log_in(client, PASSWORD, address="198.51.100.1"), 1)


def test_an_address_guessing_at_many_accounts_waits_and_others_do_not(
    client: FlaskClient, user: User, throttle: LoginThrottle
) -> None:
    guesser = "203.0.113.9"
    for number in range(ADDRESS.free):  # admitted attempts that never succeed: failures
        assert throttle.admit(f"user{number}@example.com", guesser) is None
    assert_waits(log_in(client, PASSWORD, address=guesser), 1)
    # Logging in to one's own account from there would not have reset the count of guesses at others'.
    assert log_in(client, PASSWORD, address="198.51.100.1").status_code == 200
    assert_waits(log_in(client, PASSWORD, address=guesser), 1)


def test_successful_logins_from_one_address_never_make_it_wait(
    client: FlaskClient, user: User, throttle: LoginThrottle
) -> None:
    for _ in range(2 * ADDRESS.free):  # an office behind one NAT, logging in all day
        assert throttle.admit(EMAIL, "127.0.0.1") is None
        throttle.succeeded(EMAIL, "127.0.0.1")
    assert log_in(client, PASSWORD).status_code == 200


def test_the_429_is_documented_with_its_retry_after_header(client: FlaskClient) -> None:
    answers = client.get("/api/openapi.json").json["paths"]["/api/session"]["post"]["responses"]
    assert "Retry-After" in answers["429"]["headers"]


def test_the_cookie_holds_only_a_session_id_whose_hash_is_stored(
    app: Flask, client: FlaskClient, logged_in: str, session: Session
) -> None:
    cookie = client.get_cookie("automap_session").value
    content = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert list(content) == ["session_id"]
    row = session.scalars(select(LoginSession)).one()
    assert row.token_hash == hashlib.sha256(content["session_id"].encode()).hexdigest()
    assert row.csrf_token == logged_in and content["session_id"] not in {row.token_hash, row.csrf_token}


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("automap_session", client.get_cookie("automap_session").value)
    assert thief.get("/api/flows").status_code == 200
    return thief


def assert_logged_out(*clients: FlaskClient) -> None:
    for client in clients:
        assert client.get("/api/session").status_code == 401
        assert client.get("/api/flows").status_code == 401


def test_a_cookie_copied_before_logout_no_longer_works(
    app: Flask, client: FlaskClient, logged_in: str, session: Session
) -> None:
    thief = copy_of(app, client)
    assert client.delete("/api/session", headers={"X-CSRF-Token": logged_in}).status_code == 204
    assert_logged_out(client, thief)
    assert thief.post("/api/flows", json={"name": "Stolen"}, headers={"X-CSRF-Token": logged_in}).status_code == 401
    assert session.scalars(select(LoginSession)).all() == []


def test_logging_in_again_ends_the_browsers_earlier_session(
    app: Flask, client: FlaskClient, logged_in: str, throttle: LoginThrottle
) -> None:
    earlier = copy_of(app, client)
    assert log_in(client, PASSWORD).status_code == 200
    assert_logged_out(earlier)
    assert client.get("/api/flows").status_code == 200


def invoke(app: Flask, *args: str, input: str | None = None) -> Result:
    """`automap …` against the test app, typing `input` at its prompts."""
    return CliRunner().invoke(main, list(args), input=input, obj=ScriptInfo(create_app=lambda: app),
                              catch_exceptions=False)


def test_set_password_asks_twice_and_ends_every_session(
    app: Flask, client: FlaskClient, logged_in: str, throttle: LoginThrottle
) -> None:
    thief = copy_of(app, client)
    result = invoke(app, "users", "set-password", "--email", EMAIL.upper(), input=f"{NEW_PASSWORD}\n" * 2)
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    assert "ended their sessions" in result.output
    assert_logged_out(client, thief)
    assert log_in(client, PASSWORD).status_code == 401
    assert log_in(client, NEW_PASSWORD).status_code == 200


def test_disable_ends_every_session_and_refuses_the_right_password(
    app: Flask, client: FlaskClient, logged_in: str, cli: Callable[..., Result], throttle: LoginThrottle
) -> None:
    thief = copy_of(app, client)
    result = cli("users", "disable", "--email", EMAIL)
    assert result.exit_code == 0, result.output
    assert_logged_out(client, thief)
    refused = log_in(client, PASSWORD)
    assert refused.status_code == 401
    assert refused.json["message"] == "The email or password is wrong."  # says nothing of the account
    listed = cli("users", "list").output
    assert "disabled" in listed and listed.count("UTC") == 3  # created, last login, disabled
    assert cli("users", "disable", "--email", EMAIL).exit_code == 0  # disabling twice is harmless


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("set-password", "--email", "nobody@example.com", "--password", NEW_PASSWORD), "no user with the email"),
        (("disable", "--email", "nobody@example.com"), "no user with the email"),
        (("set-password", "--email", EMAIL, "--password", "short"), "at least 8"),
    ],
    ids=["unknown for set-password", "unknown for disable", "too short"],
)
def test_account_commands_say_what_is_wrong(
    cli: Callable[..., Result], user: User, args: tuple[str, ...], said: str
) -> None:
    result = cli("users", *args)
    assert result.exit_code == 2
    assert said in result.output
