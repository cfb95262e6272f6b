"""Webhook: an HTTP call to an integration, with retries and a `failed` path, made through an outbox.

The node never calls out itself: a batch's transaction holds up to hundreds of runs and their contacts
locked, and a slow integration would hold them all (and a batch rolled back past RQ's time-out would
call again what it had called). So `execute`, on entering, renders the request for the contact
(a body or header whose personalisation fails, or a URL whose host is refused without a DNS look-up,
leaves by `failed` at once, with nothing recorded) and records it in the message ledger on the
`webhook` channel with `ctx.send`, in the batch's transaction; then the run holds. After the commit
the webhook deliverer (workflow_runtime.channels.webhook) claims it under a lease and calls it outside
any transaction, with the time-out capped at MAX_TIMEOUT and the same Idempotency-Key on every attempt,
retrying with backoff (`retry_delay`, `retries` times); it records `delivered` or `failed` and sets the
run's wake-up to now. Woken, the node goes on by `next` or `failed`; a run still without an outcome at
its deadline (`deadline_after`: the most the retries can take, and a margin) leaves by `failed`, and
the deliverer then no longer calls it, since the run no longer waits for it.
"""
from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flows.schemas import ref
from nodes import outbound
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.personalisation import PersonalisationError
from nodes.registry import register
from nodes.templating import template_problems
from nodes.timing import parse_duration

# The ledger channel the node records its call on (workflow_runtime's Channel.WEBHOOK).
CHANNEL = "webhook"
DEFAULT_TIMEOUT = "PT10S"
# A worker waits this long at most for one call: a slow integration must not hold a batch of runs.
MAX_TIMEOUT = timedelta(seconds=30)
DEFAULT_RETRIES = 3
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
# Beyond the retries' own schedule: the delivery queue's delay, a worker that died holding the call (its lease).
DEADLINE_MARGIN = timedelta(hours=1)

logger = logging.getLogger(__name__)


class HttpMethod(str, enum.Enum):
    """The HTTP methods a webhook may use."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


@register
class Webhook(NodeType):
    """Calls a URL; goes on by `failed` once the retries are used up."""

    type = "webhook"
    channels = ("webhook",)
    label = "Webhook"
    category = Category.ACTION
    description = "Calls another service over HTTP, e.g. to add the contact to your CRM."
    ports = ("next", "failed")
    port_labels = {"next": "Succeeded"}
    config_schema = {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "url": {"title": "URL", **ref("common.schema.json", "http_url"), "examples": ["https://crm.example.com/hooks/lead"]},
            "method": {"title": "Method", "enum": [method.value for method in HttpMethod], "default": HttpMethod.POST.value},
            "headers": {"title": "Headers", "type": "object", "additionalProperties": {"type": "string"}},
            "body": {
                "title": "Body",
                "description": "Text or a JSON object; {{ name }} and other properties are filled in per contact.",
                "type": ["string", "object"],
            },
            "timeout": {**ref("common.schema.json", "duration"), "title": "Time-out", "default": DEFAULT_TIMEOUT},
            "retries": {"title": "Retries", "description": "How many times to retry a failed call.", "type": "integer", "minimum": 0, "maximum": 10, "default": DEFAULT_RETRIES},
        },
        "examples": [{"url": "https://crm.example.com/hooks/lead", "method": "POST", "body": {"email": "{{ email }}"}}],
    }

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """The body and headers must be valid templates, the URL's host one automap may call (nodes.outbound)
        and the time-out at most MAX_TIMEOUT."""
        return (template_problems(config, ("body", "headers")) + _url_problems(config["url"])
                + _timeout_problems(config.get("timeout", DEFAULT_TIMEOUT)))

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """On entering, record the call for the webhook deliverer and hold; woken, go on by its outcome.

        A body or header whose personalisation fails for this contact (`{{ 100 / event.n }}` with n = 0),
        or a URL whose host the outbound policy refuses, leaves by `failed` at once: neither will change by
        waiting, and nothing is recorded.
        """
        deadline = ctx.state.get("deadline")
        if deadline is None:
            return _record(ctx, config)
        status = ctx.message_status(CHANNEL)
        if status == "delivered":
            return Go("next")
        if status == "failed":
            return Go("failed")
        if ctx.now >= datetime.fromisoformat(deadline):
            logger.warning("webhook %s has no outcome by its deadline %s: left by failed", ctx.idempotency_key,
                           deadline)
            return Go("failed")
        return Hold(datetime.fromisoformat(deadline))


def _record(ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
    """Render the request and record it in the ledger, then hold until its outcome (or `failed` at once)."""
    try:
        _refuse_host(config["url"])
        body, headers = ctx.render(config.get("body")), _header_values(ctx.render(config.get("headers", {})))
    except (outbound.OutboundRefused, PersonalisationError) as refused:
        # No run field holds a node's error, and the node state ends with the step: the worker's log says why.
        logger.warning("webhook %s not called: %s", ctx.idempotency_key, refused)
        return Go("failed")
    timeout = timeout_seconds(config.get("timeout", DEFAULT_TIMEOUT))
    retries = int(config.get("retries", DEFAULT_RETRIES))
    deferred = ctx.send(CHANNEL, {
        "method": config.get("method", HttpMethod.POST.value),
        "url": config["url"],
        "headers": headers,
        "body": body,
        "timeout": timeout,
        "retries": retries,
    })
    if deferred is not None:  # the runtime deferred it (it has no reason to for a webhook): record it then
        return Hold(deferred)
    deadline = ctx.now + deadline_after(retries, timeout)
    ctx.state["deadline"] = deadline.isoformat()
    return Hold(deadline)


def retry_delay(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 1 h: a flaky integration gets time to recover."""
    return min(FIRST_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)


def deadline_after(retries: int, timeout: float) -> timedelta:
    """How long a run waits for its call's outcome at most: every attempt timing out (connecting, then
    answering), the backoff between them, and DEADLINE_MARGIN."""
    attempts = retries + 1
    calls = timedelta(seconds=2 * timeout) * attempts
    return calls + sum((retry_delay(attempt) for attempt in range(1, attempts)), timedelta()) + DEADLINE_MARGIN


def timeout_seconds(text: str) -> float:
    """The time-out a call waits: `text` capped at MAX_TIMEOUT, which flows published before the cap may exceed."""
    timeout = parse_duration(text)
    return min(timeout, MAX_TIMEOUT).total_seconds() if isinstance(timeout, timedelta) else MAX_TIMEOUT.total_seconds()


def _refuse_host(url: str) -> None:
    """Raise OutboundRefused if the URL's host is one the policy refuses without a DNS look-up (the deliverer
    checks the addresses a name resolves to, at each call)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return  # httpx reports it, when called
    reason = outbound.current().host_refusal(host) if host else None
    if reason is not None:
        raise outbound.OutboundRefused(f"automap does not call internal addresses: {host} is {reason}; an operator "
                                       f"can allow an on-premise integration with {outbound.ALLOW_VARIABLE}")


def _header_values(headers: Mapping[str, str]) -> dict[str, str]:
    """The rendered headers, each value one an HTTP header can carry (ASCII, on one line).

    Raises:
        PersonalisationError: a value is not (a contact's name with an accent in `{{ name }}`, say).
    """
    for name, value in headers.items():
        if not (name + value).isascii() or any(character in name + value for character in "\r\n\x00"):
            raise PersonalisationError(f"the header {name} renders to {value[:80]!r}, which an HTTP header cannot "
                                       "carry: keep headers to ASCII on one line, and personal values in the body")
    return dict(headers)


def _url_problems(url: str) -> list[ConfigProblem]:
    """A problem if the URL's host is one the process's outbound policy refuses without a DNS look-up
    (an internal address, localhost, a name without a dot); names are checked again, resolved, at each call."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return []  # the schema's uri format reports it
    reason = outbound.current().host_refusal(host) if host else None
    if reason is None:
        return []
    return [ConfigProblem(
        ("url",), "refused_address",
        f"The URL's host {host} is {reason}, and automap does not call internal addresses: use the integration's "
        f"public address, or have an operator allow this one with {outbound.ALLOW_VARIABLE}.",
    )]


def _timeout_problems(text: str) -> list[ConfigProblem]:
    """A problem if the time-out is longer than MAX_TIMEOUT."""
    timeout = parse_duration(text)
    if isinstance(timeout, timedelta) and timeout <= MAX_TIMEOUT:
        return []
    seconds = int(MAX_TIMEOUT.total_seconds())
    return [ConfigProblem(
        ("timeout",), "duration",
        f"The time-out {text} is longer than the {seconds} seconds a webhook may wait: make it PT{seconds}S or less.",
    )]
