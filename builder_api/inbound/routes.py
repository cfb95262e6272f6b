"""`POST /inbound/email`: an email provider's inbound webhook delivers an answer to a forwarded chat message.

The provider authenticates with HTTP Basic, the password being `AUTOMAP_INBOUND_SECRET` (put it in
the webhook URL, `https://inbound:SECRET@automap.example.com/inbound/email`, as Mailgun, Postmark
and SendGrid allow); without that setting the webhook is off and answers 401. The view only reads
the raw email out of the request; `workflow_runtime.channels.inbound_email` does the rest, and every
refusal is a 4xx naming the problem, so a provider does not retry what will never be taken.
"""
from __future__ import annotations

import hmac
import json
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from builder_api.errors import ApiError
from builder_api.inbound.schemas import REQUEST_BODY, InboundReply
from builder_api.mail import reply_addresses
from workflow_runtime.channels import inbound_email
from workflow_runtime.channels.inbound_email import InboundProblem, InboundRefused
from workflow_runtime.dispatch import runtime

blueprint = Blueprint("inbound", __name__, description="Email answers to forwarded chat messages (inbound-mail webhook).")

STATUS = {
    InboundProblem.TOO_LARGE: 413,
    InboundProblem.MALFORMED: 400,
    InboundProblem.NO_REPLY_ADDRESS: 422,
    InboundProblem.FORGED: 403,
    InboundProblem.UNKNOWN_MESSAGE: 404,
    InboundProblem.EMPTY: 422,
}
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
RAW_FIELDS = ("body-mime", "email")  # Mailgun, SendGrid


def _require_secret() -> None:
    secret = current_app.config["AUTOMAP"].inbound_secret
    if not secret:
        raise ApiError(401, "Inbound email is off: set AUTOMAP_INBOUND_SECRET and send it as the HTTP Basic password.")
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.password:
        raise ApiError(401, "Send AUTOMAP_INBOUND_SECRET as the HTTP Basic password.")
    if not hmac.compare_digest(auth.password.encode(), secret.encode()):
        raise ApiError(401, "This inbound secret is not valid.")


def _raw_email() -> tuple[bytes, list[str]]:
    """The email and its envelope recipients, from a message/rfc822 body or a provider's form."""
    if request.mimetype == "message/rfc822":
        return request.get_data(cache=False), request.args.getlist("recipient")
    if request.mimetype not in FORMS:
        raise ApiError(415, "Send the email as a message/rfc822 body, or in the `body-mime` or `email` field of a form.")
    uploads = {name: upload.read() for name, upload in request.files.items() if name in RAW_FIELDS}
    raw = next((uploads.get(name) or request.form.get(name, "").encode() for name in RAW_FIELDS
                if name in uploads or name in request.form), None)
    if not raw:
        raise ApiError(400, "The form has no email: put the raw message in `body-mime` or `email`.",
                       [{"field": "body-mime", "pointer": "/body-mime", "message": "Missing the raw email."}])
    return raw, request.form.getlist("recipient") + _envelope_recipients(request.form.get("envelope"))


def _envelope_recipients(envelope: str | None) -> list[str]:
    """SendGrid's `envelope` field: JSON with the `to` addresses."""
    if not envelope:
        return []
    try:
        to = json.loads(envelope).get("to", [])
    except (ValueError, AttributeError) as error:
        raise ApiError(400, "The `envelope` field is not JSON with a `to` list.",
                       [{"field": "envelope", "pointer": "/envelope", "message": str(error)}]) from error
    return [str(address) for address in (to if isinstance(to, list) else [to])]


@blueprint.before_request
def _authenticate_and_allow_large_emails() -> None:
    _require_secret()  # before the body is read: a stranger's upload is not parsed
    limit = inbound_email.MAX_EMAIL_BYTES + 64 * 1024  # the email, plus a form's other fields
    request.max_content_length = limit
    request.max_form_memory_size = limit


@blueprint.post("/email")
@blueprint.doc(security=[{"inboundSecret": []}], requestBody=REQUEST_BODY)
@blueprint.response(201, InboundReply, description="The answer is in the conversation (200: it already was).")
@blueprint.alt_response(200, schema=InboundReply, description="The same email was received before; nothing new stored.")
def receive_email() -> tuple[dict[str, Any], int]:
    """Receive an email answer to a forwarded chat message and put it into the same conversation."""
    raw, recipients = _raw_email()
    settings = current_app.config["AUTOMAP"]
    try:
        received = inbound_email.receive_reply(runtime.current(), reply_addresses(settings), raw, recipients)
    except InboundRefused as refused:
        raise ApiError(STATUS[refused.problem], f"The email is not taken: {refused}.") from refused
    body = {"contact_id": received.contact_id, "message_id": received.message_id,
            "duplicate": received.duplicate, "reply": received.reply}
    return body, 200 if received.duplicate else 201
