"""`/api/users`: the people who log in to the builder — list, create, rename, set inbox access, disable, set a new
password.

The rules are builder_api.accounts', the same the `automap users` commands follow. Disabling a user or
setting their password ends all their sessions; nobody can disable the user they are logged in as.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from builder_api import accounts
from builder_api.account_errors import account_api_error
from builder_api.auth import SAFE_METHODS, current_login, require_admin, require_full_access
from builder_api.errors import ErrorSchema
from builder_api.extensions import db
from builder_api.users.schemas import (
    NewPasswordSchema,
    NewUserSchema,
    UserAccountListSchema,
    UserAccountSchema,
    UserChangeSchema,
)
from workflow_runtime.storage.models import InboxAccess, User

blueprint = Blueprint("users", __name__, description="People who log in to the builder.")



@blueprint.before_request
def _team_reads_managers_write() -> None:
    """Everyone who may use the API lists the team (the inbox assigns from it); changing it needs full access."""
    (require_admin if request.method in SAFE_METHODS else require_full_access)()


def _you() -> int | None:
    """The id of the user this browser is logged in as (None for a bearer token)."""
    login = current_login()
    return login.user_id if login is not None else None


def _shown(user: User, you: int | None) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "created_at": user.created_at, "last_login_at": user.last_login_at,
            "disabled_at": user.disabled_at, "is_you": user.id == you, "name": user.name,
            "inbox_access": user.inbox_access.value}


def _user(user_id: int) -> User:
    try:
        return accounts.get_user(db.session, user_id)
    except accounts.AccountError as error:
        raise account_api_error(error) from error


@blueprint.get("")
@blueprint.response(200, UserAccountListSchema)
def list_users() -> dict[str, Any]:
    """Every user, oldest first, with when they last logged in and whether they were disabled."""
    you = _you()
    return {"items": [_shown(user, you) for user in accounts.list_users(db.session)]}


@blueprint.post("")
@blueprint.arguments(NewUserSchema)
@blueprint.response(201, UserAccountSchema)
@blueprint.alt_response(409, schema=ErrorSchema, description="A user has this email already.")
def create_user(body: dict[str, Any]) -> dict[str, Any]:
    """Add a user who logs in with this email and password (at least 8 characters)."""
    try:
        user = accounts.create_user(db.session, body["email"], body["password"])
    except accounts.AccountError as error:
        raise account_api_error(error) from error
    db.session.commit()
    return _shown(user, _you())


@blueprint.patch("/<int:user_id>")
@blueprint.arguments(UserChangeSchema)
@blueprint.response(200, UserAccountSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No user has this id.")
def change_user(body: dict[str, Any], user_id: int) -> dict[str, Any]:
    """Set the user's display name (`null`: none) and which inbox conversations they see."""
    user = _user(user_id)
    if "name" in body:
        user.name = body["name"].strip() if body["name"] else None
    if "inbox_access" in body:
        user.inbox_access = InboxAccess(body["inbox_access"])
    db.session.commit()
    return _shown(user, _you())


@blueprint.post("/<int:user_id>/disable")
@blueprint.response(200, UserAccountSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No user has this id.")
@blueprint.alt_response(409, schema=ErrorSchema, description="The user is the one logged in.")
def disable_user(user_id: int) -> dict[str, Any]:
    """Stop the user from logging in and end all their sessions (not the user this browser is logged in as)."""
    try:
        user = accounts.disable_user(db.session, _user(user_id).email, by=current_login())
    except accounts.AccountError as error:
        raise account_api_error(error) from error
    db.session.commit()
    return _shown(user, _you())


@blueprint.post("/<int:user_id>/enable")
@blueprint.response(200, UserAccountSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No user has this id.")
def enable_user(user_id: int) -> dict[str, Any]:
    """Let a disabled user log in again, with the password they had."""
    user = accounts.enable_user(db.session, _user(user_id).email)
    db.session.commit()
    return _shown(user, _you())


@blueprint.post("/<int:user_id>/password")
@blueprint.arguments(NewPasswordSchema)
@blueprint.response(200, UserAccountSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No user has this id.")
def set_password(body: dict[str, Any], user_id: int) -> dict[str, Any]:
    """Give the user a new password; every browser logged in as them is logged out (this one too, if it is
    theirs)."""
    try:
        user = accounts.set_password(db.session, _user(user_id).email, body["password"])
    except accounts.AccountError as error:
        raise account_api_error(error) from error
    db.session.commit()
    return _shown(user, _you())
