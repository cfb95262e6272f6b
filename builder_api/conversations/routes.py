"""`/api/conversations`: the operator inbox — the list, a thread, operators' messages and notes, assignment and
status, and a token for the live stream (served on asyncio: builder_api.conversations.stream).

Every request sees only the conversations its user may (workflow_runtime.inbox.access); another one
answers 404. Changes are pushed once committed: the operator's message to the contact's open widgets,
every change to the team's open inboxes.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from builder_api import accounts
from builder_api.auth import bearer_token, current_login, current_user, login_lifetime, require_admin
from builder_api.conversations.schemas import (
    ConversationChange,
    ConversationCounts,
    ConversationDetail,
    ConversationList,
    ConversationListQuery,
    NewConversation,
    StreamToken,
    TextBody,
    ThreadItem,
)
from builder_api.conversations.stream_tokens import TOKEN_MAX_AGE, StreamGrant, issue_token, login_expiry
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.runtime_access import now
from workflow_runtime.channels import team_push
from workflow_runtime.dispatch import runtime
from workflow_runtime.inbox import listing, team_actions, thread
from workflow_runtime.inbox.access import Viewer
from workflow_runtime.inbox.team_actions import BadChange, NotVisible, TeamChange
from workflow_runtime.storage.models import Conversation, ConversationStatus

blueprint = Blueprint("conversations", __name__, description="The operator inbox: every contact's conversation with the team.")
blueprint.before_request(require_admin)


@contextmanager
def _answered() -> Iterator[None]:
    """A conversation the user may not see answers 404; a change the inbox cannot make, 400 naming its field."""
    try:
        yield
    except NotVisible as error:
        raise ApiError(404, f"Not found: {error}.") from error
    except BadChange as error:
        raise ApiError(400, f"The change is not valid: {error}.",
                       [{"field": error.field, "pointer": f"/{error.field}", "location": "json",
                         "message": str(error)}]) from error


def _committed(change: TeamChange) -> TeamChange:
    db.session.commit()
    team_actions.publish(runtime.current(), change)
    return change


def _detail(conversation: Conversation) -> dict[str, Any]:
    return {**team_push.summary(db.session, conversation, now()), "items": thread.items(db.session, conversation)}


def _forward_after() -> Any:
    return current_app.config["AUTOMAP"].inbox_forward_after


@blueprint.get("")
@blueprint.arguments(ConversationListQuery, location="query")
@blueprint.response(200, ConversationList)
def list_conversations(query: dict[str, Any]) -> dict[str, Any]:
    """The conversations you see in a tab (unassigned, mine, all) and status, latest activity first."""
    listed = listing.conversations(db.session, Viewer.of(current_user()), now(), view=listing.View(query["view"]),
                                   status=listing.StatusFilter(query["status"]), search=query.get("q"),
                                   contact_id=query.get("contact_id"), limit=query["limit"], offset=query["offset"])
    return {"items": listed.items, "total": listed.total}


@blueprint.get("/counts")
@blueprint.response(200, ConversationCounts)
def conversation_counts() -> dict[str, int]:
    """Open conversations in each tab, and how many you see hold unread messages (the inbox badge)."""
    return listing.counts(db.session, Viewer.of(current_user()), now())


@blueprint.post("")
@blueprint.arguments(NewConversation)
@blueprint.response(201, ConversationDetail)
@blueprint.alt_response(404, schema=ErrorSchema, description="No such contact.")
def start_conversation(body: dict[str, Any]) -> dict[str, Any]:
    """Write to a contact first (their conversation is reused if they have one)."""
    with _answered():
        change = team_actions.start(db.session, current_user(), body["contact_id"], body["body"], now(), _forward_after())
    return _detail(_committed(change).conversation)


@blueprint.get("/<int:conversation_id>")
@blueprint.response(200, ConversationDetail)
@blueprint.alt_response(404, schema=ErrorSchema, description="No conversation you may see has this id.")
def get_conversation(conversation_id: int) -> dict[str, Any]:
    """The conversation and its thread: what the site showed the contact, what the contact wrote, the team's notes."""
    with _answered():
        conversation = team_actions.visible(db.session, Viewer.of(current_user()), conversation_id)
    return _detail(conversation)


@blueprint.post("/<int:conversation_id>/messages")
@blueprint.arguments(TextBody)
@blueprint.response(201, ThreadItem)
@blueprint.alt_response(404, schema=ErrorSchema, description="No conversation you may see has this id.")
def post_message(body: dict[str, Any], conversation_id: int) -> dict[str, Any] | None:
    """Answer the contact: shown in their open widgets at once; emailed with a reply address if still unseen after
    AUTOMAP_INBOX_FORWARD_AFTER (when they have an email address)."""
    with _answered():
        change = team_actions.send_message(db.session, current_user(), conversation_id, body["body"], now(), _forward_after())
    return _committed(change).item


@blueprint.post("/<int:conversation_id>/notes")
@blueprint.arguments(TextBody)
@blueprint.response(201, ThreadItem)
@blueprint.alt_response(404, schema=ErrorSchema, description="No conversation you may see has this id.")
def post_note(body: dict[str, Any], conversation_id: int) -> dict[str, Any] | None:
    """Leave a note only the team sees."""
    with _answered():
        change = team_actions.add_note(db.session, current_user(), conversation_id, body["body"], now())
    return _committed(change).item


@blueprint.patch("/<int:conversation_id>")
@blueprint.arguments(ConversationChange)
@blueprint.response(200, ConversationDetail)
@blueprint.alt_response(404, schema=ErrorSchema, description="No conversation you may see has this id.")
def change_conversation(body: dict[str, Any], conversation_id: int) -> dict[str, Any]:
    """Assign the conversation (`assignee_id`, null: nobody) and/or open, close or snooze it (until `snoozed_until`)."""
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["status"] = ConversationStatus(body["status"])
        changes["snoozed_until"] = body.get("snoozed_until")
    if "assignee_id" in body:
        changes["assignee_id"] = body["assignee_id"]
    with _answered():
        change = team_actions.update(db.session, current_user(), conversation_id, now(), **changes)
    return _detail(_committed(change).conversation)


@blueprint.post("/<int:conversation_id>/read")
@blueprint.response(200, ConversationDetail)
@blueprint.alt_response(404, schema=ErrorSchema, description="No conversation you may see has this id.")
def read_conversation(conversation_id: int) -> dict[str, Any]:
    """You read the conversation: nothing in it is unread any more."""
    with _answered():
        change = team_actions.read(db.session, current_user(), conversation_id, now())
    return _detail(_committed(change).conversation)


@blueprint.post("/stream-token")
@blueprint.response(200, StreamToken)
def stream_token() -> dict[str, Any]:
    """A token for the inbox's live stream (EventSource cannot send headers or the CSRF token): it names you,
    and the stream applies your access when it opens."""
    return {"token": issue_token(_grant()), "expires_in": TOKEN_MAX_AGE,
            "stream_url": current_app.config["AUTOMAP"].inbox_stream_url}


def _grant() -> StreamGrant:
    """This request's credential, for a stream token: the browser's login session, or the bearer's API token."""
    user = current_user()
    login = current_login() if user is not None else None
    if user is not None and login is not None:
        return StreamGrant(user.id, login_session_id=login.id,
                           login_expires=login_expiry(login, login_lifetime().total_seconds()))
    token = bearer_token()
    api_token = accounts.find_token(db.session, token) if token else None
    return StreamGrant(None, api_token_id=api_token.id if api_token is not None else None)
