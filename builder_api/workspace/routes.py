"""`/api/workspace`: what the Settings page shows about this workspace — the widget's install snippet, the keys
(site key, server key, identity secret) with their rotation, and the email settings with a test send.

Secrets are answered only to an admin, masked in lists and revealed one at a time, never cached by the
browser; rotating is a POST, so a logged-in browser must send its CSRF token (builder_api.auth).
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint

from builder_api.auth import require_full_access
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.runtime_access import now
from builder_api.settings import Settings
from builder_api.workspace import email_check, keys, snippet
from builder_api.workspace.schemas import (
    EmailStatusSchema,
    InstallSchema,
    RevealedKeySchema,
    TestEmailRequestSchema,
    TestEmailSentSchema,
    WorkspaceKeyListSchema,
    WorkspaceKeySchema,
)
from workflow_runtime.storage.models import KeyName

blueprint = Blueprint("workspace", __name__,
                      description="The workspace's install snippet, keys (with rotation) and email settings.")
blueprint.before_request(require_full_access)

LABELS = {KeyName.WRITE_KEY: "Site key", KeyName.SERVER_KEY: "Server key", KeyName.IDENTITY_SECRET: "Identity secret"}
PUBLIC = {KeyName.WRITE_KEY}


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # keys and secrets stay out of the browser's cache
    return response


def _settings() -> Settings:
    settings: Settings = current_app.config["AUTOMAP"]
    return settings


def _key_name(name: str) -> KeyName:
    try:
        return KeyName(name)
    except ValueError:
        raise ApiError(404, f"There is no key {name!r}: the keys are "
                            f"{', '.join(key.value for key in KeyName)}.") from None


def _shown(key: keys.Key) -> dict[str, Any]:
    """A key as the list shows it: a secret only masked."""
    public = key.name in PUBLIC
    return {"name": key.name, "label": LABELS[key.name], "secret": not public, "value": key.value if public else None,
            "masked": "•" * 8 + key.value[-4:], "pinned_by": key.pinned_by, "rotated_at": key.rotated_at,
            "previous_valid_until": key.previous_valid_until}


@blueprint.get("/install")
@blueprint.response(200, InstallSchema)
def install() -> dict[str, Any]:
    """The HTML snippet that loads the widget with the site key in force, and how a site's backend vouches for
    its signed-in users (identity verification)."""
    settings = _settings()
    write_key = keys.request_keys()[KeyName.WRITE_KEY].value
    return {"snippet": snippet.install_snippet(settings.public_url, write_key),
            "script_url": snippet.script_url(settings.public_url), "write_key": write_key,
            "identify_snippet": snippet.IDENTIFY,
            "identity_examples": [{"language": language, "code": code}
                                  for language, code in snippet.IDENTITY_EXAMPLES.items()],
            "require_user_hash": settings.require_user_hash}


@blueprint.get("/keys")
@blueprint.response(200, WorkspaceKeyListSchema)
def list_keys() -> dict[str, Any]:
    """The site key, the server key and the identity secret: secrets masked, with where each is set and until
    when a rotated one's predecessor still works."""
    in_force = keys.request_keys()
    return {"items": [_shown(in_force[name]) for name in KeyName],
            "grace_hours": int(keys.GRACE_PERIOD.total_seconds() // 3600)}


@blueprint.get("/keys/<name>")
@blueprint.response(200, RevealedKeySchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No key has this name.")
def reveal_key(name: str) -> dict[str, Any]:
    """One key in full (write_key, server_key or identity_secret), for an admin to copy it."""
    key_name = _key_name(name)
    return {"name": key_name, "value": keys.request_keys()[key_name].value}


@blueprint.post("/keys/<name>/rotate")
@blueprint.response(200, WorkspaceKeySchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No key has this name.")
@blueprint.alt_response(409, schema=ErrorSchema, description="An environment variable sets this key.")
def rotate_key(name: str) -> dict[str, Any]:
    """Give the key a new random value; the old one keeps working for the grace period, so the site can deploy
    the new one."""
    key_name = _key_name(name)
    try:
        rotated = keys.rotate(db.session, _settings(), key_name, now())
    except keys.KeyPinned as error:
        raise ApiError(409, str(error)) from error
    db.session.commit()
    keys.forget_request_keys()
    return _shown(rotated)


@blueprint.get("/email")
@blueprint.response(200, EmailStatusSchema)
def email_status() -> email_check.EmailStatus:
    """Whether an SMTP server is configured (its host, port and user, never its password), the sender address
    and the domain answers to forwarded chat messages go to."""
    return email_check.email_status(_settings())


@blueprint.post("/email/test")
@blueprint.arguments(TestEmailRequestSchema)
@blueprint.response(200, TestEmailSentSchema)
@blueprint.alt_response(409, schema=ErrorSchema, description="No SMTP server is configured.")
@blueprint.alt_response(502, schema=ErrorSchema, description="The SMTP server could not be reached or refused it.")
def send_test_email(body: dict[str, Any]) -> dict[str, str]:
    """Send a short test email to an address through the configured SMTP server, now."""
    try:
        email_check.send_test_email(_settings(), body["email"])
    except email_check.EmailNotConfigured as error:
        raise ApiError(409, str(error)) from error
    except email_check.EmailRefused as error:
        raise ApiError(502, str(error)) from error
    return {"sent_to": body["email"]}
