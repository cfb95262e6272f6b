"""What a call nobody vouched for may not do: claim a known person, or rewrite a known person's address.

The site key is in every page, so a call made with it proves nothing about who sends it. Unless
the site's backend vouched for its userId (`context.user_hash`, checked by the HTTP layer), such a
call may create and update its own anonymous contact and name a userId nobody has yet, but not:

- name a userId that belongs to a stored contact (that would attach the caller's browser, and
  its widget token, to that person);
- alias away a stored person's identity;
- set the email or phone of a known contact its anonymous id is linked to (future emails would
  go to the caller).
"""
from __future__ import annotations

from collections.abc import Sequence

from workflow_runtime.ingest.identity import Identities
from workflow_runtime.ingest.tracking_calls import Call

ADDRESS_TRAITS = ("email", "phone")


class UnverifiedClaim(Exception):
    """A call without a valid user_hash tried to act as a known contact; nothing of its batch is stored."""

    def __init__(self, call: Call, field: str, message: str) -> None:
        super().__init__(message)
        self.call = call
        self.field = field  # the JSON pointer within the call, e.g. "/userId"


def refuse_unverified_claims(identities: Identities, calls: Sequence[Call]) -> None:
    """Raise UnverifiedClaim for the first unverified call that claims a known identity (read before any change).

    Raises:
        UnverifiedClaim: naming the call and its field.
    """
    for call in calls:
        if call.verified:
            continue
        if call.user_id is not None and identities.known_user(call.user_id):
            raise UnverifiedClaim(call, "/userId", f"userId {call.user_id!r} belongs to a known contact: a call with "
                                  "the site key may name it only with context.user_hash, which the site's backend "
                                  "computes (or send it with the server key).")
        if call.type == "alias" and call.previous_id is not None and identities.known_user(call.previous_id):
            raise UnverifiedClaim(call, "/previousId", f"previousId {call.previous_id!r} belongs to a known contact: "
                                  "only a call with a valid context.user_hash (or the server key) may alias it.")
        changed = [name for name in ADDRESS_TRAITS if name in call.traits]
        if (call.type == "identify" and changed and call.user_id is None and call.anonymous_id is not None
                and identities.known_user(call.anonymous_id)):
            raise UnverifiedClaim(call, f"/traits/{changed[0]}", f"this visitor is a known contact: its {changed[0]} "
                                  "may change only with userId and context.user_hash (or with the server key).")
