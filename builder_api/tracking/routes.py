"""`/t/...`: the links inside emails — open pixel, click redirect, one-click unsubscribe.

Every URL carries a token signed for one message (and, for a click, one target URL),
so it cannot be forged or re-pointed; each records a status the node counts once. A click
redirects only to the http(s) URL its token names, so this domain vouches for no other.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, request
from markupsafe import escape

from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.runtime_access import now
from workflow_runtime.channels.messages import locked, record_status, unsubscribe
from workflow_runtime.channels.tracking import OPEN, UNSUBSCRIBE, BadToken, Tracking
from workflow_runtime.storage.models import MessageStatus

blueprint = Blueprint("tracking", __name__)

# The smallest transparent GIF: what an email client shows for the open pixel.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
NOT_CACHED = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1 style="font-size:1.4rem">{title}</h1>{body}</body></html>"""


def _tracking() -> Tracking:
    settings = current_app.config["AUTOMAP"]
    return Tracking(settings.secret_key, settings.public_url, settings.link_domains)


def _refused(error: BadToken) -> ApiError:
    """The answer to a token this server did not make for this purpose: 403, nothing recorded."""
    return ApiError(403, f"{error}: it was not made by this server for this email.")


def _read(purpose: str, token: str) -> tuple[int, str | None]:
    try:
        return _tracking().read(purpose, token)
    except BadToken as error:
        raise _refused(error) from error


def _record(message_id: int, status: MessageStatus) -> None:
    message = locked(db.session, message_id)
    if message is not None:
        record_status(db.session, message, status, now())
    db.session.commit()


@blueprint.get("/t/o/<token>")
def open_pixel(token: str) -> Response:
    """The email was displayed with images: count `read`, answer a transparent pixel."""
    message_id, _ = _read(OPEN, token)
    _record(message_id, MessageStatus.READ)
    return Response(PIXEL, mimetype="image/gif", headers=NOT_CACHED)


@blueprint.get("/t/c/<token>")
def click(token: str) -> Response:
    """A link was followed: count `clicked` (and `read`), then send the browser on to the target its token names."""
    try:
        message_id, target = _tracking().click_target(token)
    except BadToken as error:  # forged, or naming no http(s) URL: counted nowhere, redirected nowhere
        raise _refused(error) from error
    _record(message_id, MessageStatus.CLICKED)
    return redirect(target, code=302)


@blueprint.get("/t/u/<token>")
def unsubscribe_page(token: str) -> Response:
    """Ask before unsubscribing: mail scanners follow GET links, so only the button's POST unsubscribes."""
    _read(UNSUBSCRIBE, token)
    form = (f'<p>Stop receiving these emails?</p><form method="post" action="{escape(request.path)}">'
            '<button type="submit" style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button></form>')
    return Response(PAGE.format(title="Unsubscribe", body=form), mimetype="text/html", headers=NOT_CACHED)


@blueprint.post("/t/u/<token>")
def unsubscribe_now(token: str) -> Response:
    """One-click unsubscribe (RFC 8058 `List-Unsubscribe=One-Click`, or the page's button): no more marketing email."""
    message_id, _ = _read(UNSUBSCRIBE, token)
    message = locked(db.session, message_id)
    if message is None:
        raise ApiError(404, "This email no longer exists, so it cannot be unsubscribed from.")
    unsubscribe(db.session, message, now())
    db.session.commit()
    body = "<p>You will not receive these emails any more.</p>"
    return Response(PAGE.format(title="You are unsubscribed", body=body), mimetype="text/html", headers=NOT_CACHED)
