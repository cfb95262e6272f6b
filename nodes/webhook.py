"""Webhook: an HTTP call to an integration, with retries and a `failed` path."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from flows.schemas import ref
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.personalisation import PersonalisationError
from nodes.registry import register
from nodes.templating import template_problems
from nodes.timing import parse_duration

DEFAULT_TIMEOUT = "PT10S"
DEFAULT_RETRIES = 3


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
        """The body and headers must be valid templates."""
        return template_problems(config, ("body", "headers"))

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Call the URL; retry with exponential backoff on failure, then leave by `failed`."""
        attempt = ctx.state.get("attempts", 0) + 1
        if _call(ctx, config):
            return Go("next")
        if attempt > config.get("retries", DEFAULT_RETRIES):
            return Go("failed")
        ctx.state["attempts"] = attempt
        return Hold(ctx.now + retry_delay(attempt))


def retry_delay(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 1 h: a flaky integration gets time to recover."""
    return min(timedelta(seconds=30 * 2 ** (attempt - 1)), timedelta(hours=1))


def _call(ctx: StepContext, config: Mapping[str, Any]) -> bool:
    """One attempt; True on a 2xx answer. The Idempotency-Key lets the receiver drop repeats."""
    timeout = parse_duration(config.get("timeout", DEFAULT_TIMEOUT))
    try:
        body = ctx.render(config.get("body"))
        response = httpx.request(
            config.get("method", HttpMethod.POST.value),
            config["url"],
            headers={**ctx.render(config.get("headers", {})), "Idempotency-Key": ctx.idempotency_key},
            json=body if isinstance(body, dict) else None,
            content=body if isinstance(body, str) else None,
            timeout=timeout.total_seconds(),
        )
    except (httpx.HTTPError, PersonalisationError):
        return False
    return response.is_success
