"""Webhook: an HTTP call to an integration, with retries and a `failed` path."""
from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from flows.schemas import ref
from nodes import outbound
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.personalisation import PersonalisationError
from nodes.registry import register
from nodes.templating import template_problems
from nodes.timing import parse_duration

DEFAULT_TIMEOUT = "PT10S"
# A worker waits this long at most for one call: a slow integration must not hold a batch of runs.
MAX_TIMEOUT = timedelta(seconds=30)
DEFAULT_RETRIES = 3

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
        """Call the URL; retry with exponential backoff on failure, then leave by `failed`.

        An address the outbound policy refuses leaves by `failed` at once: it will not change by waiting.
        """
        attempt = ctx.state.get("attempts", 0) + 1
        try:
            if _call(ctx, config):
                return Go("next")
        except outbound.OutboundRefused as refused:
            # No run field holds a node's error, and the node state ends with the step: the worker's log says why.
            logger.warning("webhook %s not called: %s", ctx.idempotency_key, refused)
            return Go("failed")
        if attempt > config.get("retries", DEFAULT_RETRIES):
            return Go("failed")
        ctx.state["attempts"] = attempt
        return Hold(ctx.now + retry_delay(attempt))


def retry_delay(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 1 h: a flaky integration gets time to recover."""
    return min(timedelta(seconds=30 * 2 ** (attempt - 1)), timedelta(hours=1))


def timeout_seconds(text: str) -> float:
    """The time-out a call waits: `text` capped at MAX_TIMEOUT, which flows published before the cap may exceed."""
    timeout = parse_duration(text)
    return min(timeout, MAX_TIMEOUT).total_seconds() if isinstance(timeout, timedelta) else MAX_TIMEOUT.total_seconds()


def _call(ctx: StepContext, config: Mapping[str, Any]) -> bool:
    """One attempt through the outbound policy's client; True on a 2xx answer. The Idempotency-Key lets
    the receiver drop repeats.

    Raises:
        OutboundRefused: the URL, or a redirect, leads to an address the policy refuses.
    """
    try:
        body = ctx.render(config.get("body"))
        with outbound.client(timeout_seconds(config.get("timeout", DEFAULT_TIMEOUT))) as client:
            response = client.request(
                config.get("method", HttpMethod.POST.value),
                config["url"],
                headers={**ctx.render(config.get("headers", {})), "Idempotency-Key": ctx.idempotency_key},
                json=body if isinstance(body, dict) else None,
                content=body if isinstance(body, str) else None,
            )
    except outbound.OutboundRefused:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, PersonalisationError):
        return False
    return response.is_success


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
