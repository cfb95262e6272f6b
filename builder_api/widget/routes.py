"""`/widget.js` and the visitor API: a session token, statuses and replies (the message stream is served on
asyncio, builder_api.widget.stream).

Every request speaks for the visitor its token names, and touches only that visitor's
messages: another visitor's message answers 403, a forged token 403.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app
from flask_smorest import Blueprint

from builder_api.errors import ApiError
from builder_api.extensions import db, limiter
from builder_api.frontend.compressed import send_compressed
from builder_api.runtime_access import now
from builder_api.widget.schemas import (
    Conversation,
    ConversationItem,
    ReplyRequest,
    StatusReport,
    StatusResult,
    VisitorSession,
    VisitorSessionRequest,
)
from builder_api.widget.tokens import TOKEN_MAX_AGE, issue_token, request_visitor, write_key_required
from workflow_runtime.channels import onsite, onsite_push
from workflow_runtime.dispatch import runtime
from workflow_runtime.storage.models import MessageStatus

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT_MAX_AGE = 3600  # a new widget.js reaches every site within the hour
# Visitor tokens an address may ask for: a page load asks for one, so a busy office stays far below it.
SESSION_RATE = "60 per minute"
# Messages one visitor may write (answers and new messages together): a person types far fewer; a script
# flooding the team's inbox is cut off.
VISITOR_MESSAGE_RATE = "20 per minute"
# …and one address, whatever anonymous ids its browsers claim (an office or a carrier's NAT holds many visitors).
ADDRESS_MESSAGE_RATE = "200 per minute"



def _rate(key: str, default: str) -> str:
    """The app's config (tests set it), else the environment variable `key`, else `default`."""
    return current_app.config.get(key) or os.environ.get(key) or default


_VISITOR_MESSAGES = limiter.shared_limit(
    lambda: _rate("AUTOMAP_WIDGET_MESSAGE_RATE", VISITOR_MESSAGE_RATE), scope="widget-messages",
    key_func=lambda: request_visitor(),
    error_message="Too many messages from this visitor: wait the seconds Retry-After says.")
_ADDRESS_MESSAGES = limiter.shared_limit(
    lambda: _rate("AUTOMAP_WIDGET_ADDRESS_MESSAGE_RATE", ADDRESS_MESSAGE_RATE), scope="widget-address-messages",
    error_message="Too many messages from this address: wait the seconds Retry-After says.")

script = FlaskBlueprint("widget_script", __name__)
blueprint = Blueprint("widget", __name__, description="The on-site widget's visitor API (visitor tokens, not admin tokens).")


@script.get("/widget.js")
def widget_js() -> Response:
    """The script a site owner embeds, brotli- or gzip-encoded when the browser accepts it; cached by browsers and
    CDNs for an hour, then revalidated by ETag (its URL is in customers' pages, so it cannot change with its content)."""
    response = send_compressed(STATIC, "widget.js", mimetype="text/javascript", max_age=SCRIPT_MAX_AGE)
    response.cache_control.public = True
    return response


def _contact() -> int | None:
    """The contact the request's visitor token speaks for (None before its first page view); 403 without a valid token."""
    return onsite.visitor_contact(db.session, request_visitor())


@contextmanager
def _own_messages_only() -> Iterator[None]:
    """Another visitor's message answers 403, an unknown one 404."""
    try:
        yield
    except onsite.NotYourMessage as error:
        raise ApiError(403, str(error)) from error
    except onsite.UnknownMessage as error:
        raise ApiError(404, str(error)) from error


@blueprint.post("/session")
@limiter.limit(lambda: _rate("AUTOMAP_WIDGET_SESSION_RATE", SESSION_RATE),
               error_message="Too many visitor sessions asked for from this address: wait the seconds Retry-After says.")
@write_key_required
@blueprint.arguments(VisitorSessionRequest)
@blueprint.response(200, VisitorSession)
@blueprint.alt_response(429, description="Too many sessions asked for from this address: wait `Retry-After` seconds.")
@blueprint.doc(security=[{"writeKey": []}])
def create_session(body: dict[str, str]) -> dict[str, Any]:
    """A visitor token for this browser's anonymous id (the site's write key is the HTTP Basic user name), and
    where to open the visitor's event stream when another server serves it."""
    stream_url = current_app.config["AUTOMAP"].widget_stream_url
    return {"token": issue_token(body["anonymousId"]), "expires_in": TOKEN_MAX_AGE, "stream_url": stream_url}


@blueprint.get("/conversation")
@blueprint.response(200, Conversation)
@blueprint.doc(security=[{"visitorToken": []}])
def get_conversation() -> dict[str, Any]:
    """The visitor's chat so far: messages from the site and the visitor's replies, oldest first."""
    contact_id = _contact()
    return {"items": onsite.conversation(db.session, contact_id) if contact_id is not None else []}


@blueprint.post("/messages/<int:message_id>/status")
@blueprint.arguments(StatusReport)
@blueprint.response(200, StatusResult)
@blueprint.doc(security=[{"visitorToken": []}])
def report_status(body: dict[str, str], message_id: int) -> dict[str, Any]:
    """Report that a message was shown (delivered), seen (read), clicked or dismissed; counted at its node."""
    contact_id = _contact()
    with _own_messages_only():
        new = onsite.report(db.session, contact_id, message_id, MessageStatus(body["status"]), now())
    db.session.commit()
    return {"id": message_id, "new": new}


@blueprint.post("/messages/<int:message_id>/replies")
@_VISITOR_MESSAGES
@_ADDRESS_MESSAGES
@blueprint.arguments(ReplyRequest)
@blueprint.response(201, ConversationItem)
@blueprint.alt_response(429, description="Too many messages from this visitor: wait `Retry-After` seconds.")
@blueprint.doc(security=[{"visitorToken": []}])
def post_reply(body: dict[str, str], message_id: int) -> dict[str, Any]:
    """The visitor answers a chat message or popup: kept in the conversation, counted as `replied`."""
    contact_id = _contact()
    with _own_messages_only():
        written = onsite.reply(db.session, contact_id, message_id, body["body"], now())
    return _shared(written)


@blueprint.post("/messages")
@_VISITOR_MESSAGES
@_ADDRESS_MESSAGES
@blueprint.arguments(ReplyRequest)
@blueprint.response(201, ConversationItem)
@blueprint.alt_response(429, description="Too many messages from this visitor: wait `Retry-After` seconds.")
@blueprint.alt_response(409, description="The visitor's first page view is not recorded yet: try again in a moment.")
@blueprint.doc(security=[{"visitorToken": []}])
def post_message(body: dict[str, str]) -> dict[str, Any]:
    """The visitor writes to the team without answering a message: starts the conversation, or goes on with it."""
    contact_id = _contact()
    if contact_id is None:
        raise ApiError(409, "This visitor is not known yet: its first page view is still on its way. Try again in a "
                            "moment.")
    return _shared(onsite.visitor_message(db.session, contact_id, body["body"], now()))


def _shared(written: onsite.ContactMessage) -> dict[str, Any]:
    """Commit what the visitor wrote, then show it in their other tabs and tell the team."""
    db.session.commit()
    onsite_push.contact_wrote(runtime.current(), written)
    return written.view
