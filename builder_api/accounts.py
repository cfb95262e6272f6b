"""Users and API tokens: create them, check a password or a token, change a password, disable a user, revoke a token.

Passwords are hashed with werkzeug's scrypt; tokens are random and kept as SHA-256
(a token has 256 bits of entropy, so a fast hash is enough and lets a look-up use the index).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from marshmallow import ValidationError
from marshmallow.validate import Email
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from builder_api import login_sessions
from workflow_runtime.storage.models import ApiToken, LoginSession, User

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "am_"
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("automap-no-such-user")


class AccountError(ValueError):
    """An email, password or token name that cannot be used; the message says why and `field` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AccountExists(AccountError):
    """The email is already a user's."""


class AccountNotFound(AccountError):
    """No user or token has this email or id."""


class CannotDisableSelf(AccountError):
    """A user tried to disable the account they are logged in with, which would lock them out mid-request."""


def normalise_email(email: str) -> str:
    """The email as stored and looked up: trimmed and lower-case."""
    return email.strip().lower()


def create_user(session: Session, email: str, password: str) -> User:
    """A new user with a hashed password (AccountError if the email is taken or either is unusable)."""
    email = normalise_email(email)
    try:
        Email()(email)
    except ValidationError:
        raise AccountError(f"{email!r} is not an email address.", "email") from None
    _check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountExists(f"There is already a user with the email {email}.", "email")
    user = User(email=email, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", "password")


def find_user(session: Session, email: str) -> User:
    """The user with this email (AccountError if there is none)."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise AccountNotFound(f"There is no user with the email {email}.", "email")
    return user


def get_user(session: Session, user_id: int) -> User:
    """The user with this id (AccountNotFound if there is none)."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountNotFound(f"There is no user with id {user_id}.")
    return user


def set_password(session: Session, email: str, password: str) -> User:
    """Give the user a new password and end all their sessions, so whoever knew the old one is logged out
    (a user changing their own from the builder logs in again with it)."""
    user = find_user(session, email)
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    login_sessions.end_all(session, user)
    return user


def disable_user(session: Session, email: str, by: LoginSession | None = None) -> User:
    """Stop the user from logging in and end all their sessions; the row stays so the list shows when.

    Raises:
        CannotDisableSelf: `by`, the login making the change, is the user's own.
    """
    user = find_user(session, email)
    if by is not None and by.user_id == user.id:
        raise CannotDisableSelf(f"You are logged in as {user.email}: you cannot disable yourself. "
                                "Ask another user to do it, or use `automap users disable`.")
    if user.disabled_at is None:
        user.disabled_at = datetime.now(timezone.utc)
    login_sessions.end_all(session, user)
    return user


def enable_user(session: Session, email: str) -> User:
    """Let a disabled user log in again, with the password they had."""
    user = find_user(session, email)
    user.disabled_at = None
    return user


def list_users(session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The enabled user with this email and password, or None (taking as long either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    matches = check_password_hash(user.password_hash, password)
    return user if matches and user.disabled_at is None else None


def password_matches(user: User, password: str) -> bool:
    """True if `password` is the user's current password."""
    return check_password_hash(user.password_hash, password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str) -> tuple[ApiToken, str]:
    """A new API token row and the token itself, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise AccountError("Give the token a name that says who or what uses it.", "name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=_digest(token), prefix=token[: len(TOKEN_PREFIX) + 6])
    session.add(row)
    session.flush()
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The unrevoked API token row for `token`, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)))


def list_tokens(session: Session) -> list[ApiToken]:
    """Every API token ever made, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Stop a token from working from now on; the row stays so the list shows when (AccountError if unknown)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountNotFound(f"There is no API token with id {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(timezone.utc)
    return row
