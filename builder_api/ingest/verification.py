"""Identity verification for tracking calls made with the public site key, as Intercom's user_hash works.

The site key sits in every page, so a call made with it may claim a userId only when
`context.user_hash` is hex HMAC-SHA256(identity secret, userId): the site's backend computes
it for the signed-in user and the page passes it on. Calls made with the server key are trusted. For a while after the identity secret is rotated, a hash made
with the previous one still verifies (builder_api.workspace.keys), so the site's backend can deploy the new one.
What an unverified call may still do is decided where identities are resolved
(`workflow_runtime.ingest.identity_claims`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Sequence

from builder_api.errors import ApiError
from workflow_runtime.ingest.tracking_calls import Call


def user_hash(identity_secret: str, user_id: str) -> str:
    """The user_hash the site's backend sends for `user_id`: hex HMAC-SHA256 of it under the identity secret."""
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_calls(calls: Sequence[Call], pointers: Sequence[str], *, trusted: bool, identity_secrets: Sequence[str],
                 require_user_hash: bool) -> list[Call]:
    """The calls marked verified or not, their user_hash taken out of the stored context.

    Args:
        pointers: each call's JSON pointer in the request ("" for a single call, "/batch/3" in a batch).
        trusted: the request carried the server key.
        identity_secrets: the identity secrets accepted now (the current one, and its predecessor in its grace period).

    Raises:
        ApiError: 403 naming the call when a user_hash does not match its userId, or when one is required and missing.
    """
    checked = []
    for call, pointer in zip(calls, pointers, strict=True):
        sent = call.context.get("user_hash")
        context = {key: value for key, value in call.context.items() if key != "user_hash"}
        verified = trusted
        if not trusted and sent is not None:
            if call.user_id is None or not isinstance(sent, str) or not _hash_matches(sent, call.user_id,
                                                                                      identity_secrets):
                raise forbidden(f"{pointer}/context/user_hash", "context.user_hash does not match this call's userId: "
                               "the site's backend computes it as hex HMAC-SHA256(identity secret, userId), with the "
                               "identity secret the builder's Settings page shows.")
            verified = True
        if not verified and require_user_hash and call.user_id is not None:
            raise forbidden(f"{pointer}/context/user_hash", "This workspace requires identity verification: a call "
                           "with the site key and a userId must carry context.user_hash (or use the server key).")
        checked.append(dataclasses.replace(call, context=context, verified=verified))
    return checked


def _hash_matches(sent: str, user_id: str, identity_secrets: Sequence[str]) -> bool:
    """Whether `sent` is the user_hash of `user_id` under any of the accepted secrets (each compared in constant time)."""
    found = False
    for secret in identity_secrets:
        found |= hmac.compare_digest(sent.encode(), user_hash(secret, user_id).encode())
    return found


def forbidden(pointer: str, message: str) -> ApiError:
    """A 403 naming the refused field by its JSON pointer in the request."""
    return ApiError(403, message, [{"field": pointer.lstrip("/").replace("/", "."), "pointer": pointer,
                                    "location": "json", "message": message}])
