"""Webhook: an HTTP call to an integration, with retries and a `failed` path."""
from __future__ import annotations

import enum

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.registry import register


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
            "timeout": {**ref("common.schema.json", "duration"), "title": "Time-out", "default": "PT10S"},
            "retries": {"title": "Retries", "description": "How many times to retry a failed call.", "type": "integer", "minimum": 0, "maximum": 10, "default": 3},
        },
        "examples": [{"url": "https://crm.example.com/hooks/lead", "method": "POST", "body": {"email": "{{ email }}"}}],
    }
