"""What the three send node types share: record the message, or hold until it may be sent; and the email
fallback of the on-site channels (a popup or chat message the contact has not seen in time goes by email)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.personalisation import PersonalisationError
from nodes.timing import add_duration

# An on-site message counts as seen once the contact read it, clicked it, answered it or closed it.
SEEN_STATUSES = frozenset({"read", "clicked", "replied", "dismissed"})
# A contact still on the site at the deadline has the message in front of them: the email waits until
# they leave, checked this often.
ON_SITE_RECHECK = timedelta(minutes=5)


def send_then_continue(ctx: StepContext, channel: str, config: Mapping[str, Any]) -> Outcome:
    """Send the node's message and go on; quiet hours or the frequency cap hold it instead, never drop it.

    An on-site message is personalised now, for this contact: one its template cannot be filled in
    for (`{{ 100 / event.n }}` with n = 0) is recorded `failed` with the reason, and the run goes on.
    (An email is personalised by its deliverer, which fails it the same way.)"""
    content = message_content(config)
    failure = None
    if channel != "email":
        try:
            ctx.render(content)
        except PersonalisationError as error:
            failure = f"cannot personalise the {channel} message: {error}"
    deferred = ctx.send(channel, content, failure)
    return Hold(deferred) if deferred else Go("next")


def send_with_email_fallback(ctx: StepContext, channel: str, config: Mapping[str, Any], after: str | None,
                             email: Mapping[str, Any]) -> Outcome:
    """Send on the on-site `channel`; with `after` (an ISO duration), hold until then, and go on if the contact
    saw the message, else send `email` once the contact is away from the site.

    Everything is counted at this node: the on-site message and the email are each `sent` (and
    `delivered`, `read`, … by their channel); an email the contact cannot get (no address,
    unsubscribed) is `suppressed`, as for a send_email node.
    """
    sent_key = f"{channel}_sent"  # "popup_sent" is what held popup runs already carry
    if not ctx.state.get(sent_key):
        outcome = send_then_continue(ctx, channel, config)
        if isinstance(outcome, Hold) or after is None:
            return outcome
        ctx.state[sent_key] = True
        return Hold(add_duration(ctx.now, after))
    if ctx.message_status(channel) in SEEN_STATUSES:
        return Go("next")
    if ctx.contact_on_site():
        return Hold(ctx.now + ON_SITE_RECHECK)
    return send_then_continue(ctx, "email", email)


def message_content(config: Mapping[str, Any]) -> dict[str, Any]:
    """The node config without its goal: what the channel renders and delivers."""
    return {key: value for key, value in config.items() if key != "goal"}
