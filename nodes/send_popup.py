"""Send popup: a small or large popup on the site, with an optional email fallback."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Outcome, StepContext
from nodes.message_goal import GOAL_SCHEMA
from nodes.personalisation import personalised_text
from nodes.registry import register
from nodes.sending import send_with_email_fallback
from nodes.templating import fallback_problems, template_problems


class PopupSize(str, enum.Enum):
    """How a popup shows: small (a corner card) or large (a centred window)."""

    SMALL = "small"
    LARGE = "large"


SIZE_LABELS = {PopupSize.SMALL: "Small: a card in a corner", PopupSize.LARGE: "Large: a window in the middle"}
# The fields filled in per contact.
_PERSONALISED = ("title", "body", "button", "email_fallback")


@register
class SendPopup(NodeType):
    """Shows a popup the next time the contact is on the site."""

    type = "send_popup"
    channels = ("popup", "email")
    label = "Show popup"
    category = Category.MESSAGE
    description = "Shows a small or large popup on your site; it can be sent by email if the contact does not see it in time."
    ports = ("next",)
    config_schema = {
        "type": "object",
        "required": ["size", "title", "body"],
        "additionalProperties": False,
        "properties": {
            "size": {"title": "Size", "enum": [size.value for size in PopupSize],
                     "enumNames": [SIZE_LABELS[size] for size in PopupSize], "default": PopupSize.SMALL.value},
            "title": personalised_text({"title": "Title", "type": "string", "minLength": 1, "maxLength": 200}),
            "body": personalised_text({"title": "Text", "type": "string", "minLength": 1, "maxLength": 5000, "description": (
                'Filled in per contact: {{ contact.name | default("there") }} is the name, or "there" without one.')}),
            "button": {
                "title": "Button",
                "type": "object",
                "required": ["text", "url"],
                "additionalProperties": False,
                "properties": {
                    "text": personalised_text({"title": "Button text", "type": "string", "minLength": 1, "maxLength": 100}),
                    "url": {"title": "Link", **ref("common.schema.json", "http_url")},
                },
            },
            "email_fallback_after": {**ref("common.schema.json", "duration"), "title": "Email it if unread after"},
            "email_fallback": {
                "title": "Fallback email",
                "type": "object",
                "required": ["subject", "body"],
                "additionalProperties": False,
                "properties": {
                    "subject": personalised_text({"title": "Subject", "type": "string", "minLength": 1, "maxLength": 300}),
                    "body": personalised_text({"title": "Body (MJML)", "type": "string", "minLength": 1}),
                },
            },
            "goal": GOAL_SCHEMA,
        },
        "dependentRequired": {"email_fallback_after": ["email_fallback"], "email_fallback": ["email_fallback_after"]},
        "examples": [{"size": "small", "title": "Forgot something?", "body": "Your cart is waiting: use CART10 for 10% off."}],
    }

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """Personalised fields must be valid templates."""
        return template_problems(config, _PERSONALISED)

    @classmethod
    def config_warnings(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """Personalised fields should give every contact value they print a fallback."""
        return fallback_problems(config, _PERSONALISED)

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Show the popup; with a fallback, hold, and email the contact if the popup was not seen in time."""
        return send_with_email_fallback(ctx, "popup", config, config.get("email_fallback_after"),
                                        config.get("email_fallback", {}))
