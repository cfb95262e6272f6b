"""Send email: an MJML email, from a stored template or written inline."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.schemas import MAX_ID
from nodes.base import Category, ConfigProblem, NodeType
from nodes.execution import Outcome, StepContext
from nodes.message_goal import GOAL_SCHEMA
from nodes.personalisation import personalised_text
from nodes.registry import register
from nodes.sending import send_then_continue
from nodes.templating import fallback_problems, template_problems

_PROPERTIES: dict[str, Any] = {
    "template_id": {"title": "Template", "description": "A saved email template.", "type": "integer", "minimum": 1, "maximum": MAX_ID},
    "subject": personalised_text({"title": "Subject", "type": "string", "minLength": 1, "maxLength": 300,
                                  "examples": ['{{ contact.name | default("Hi") }}, your cart is waiting']}),
    "body": personalised_text({"title": "Body (MJML)", "type": "string", "minLength": 1, "description": (
        'MJML markup, filled in per contact: {{ contact.name | default("there") }} is the name, or "there" without one.')}),
    "preheader": personalised_text({"title": "Preheader", "description": "The preview line shown after the subject in the inbox.",
                                    "type": "string", "maxLength": 300}),
    "from_name": {"title": "From name", "type": "string", "minLength": 1, "maxLength": 100},
    "reply_to": {"title": "Reply to", "type": "string", "format": "email"},
    "goal": GOAL_SCHEMA,
}
# The fields filled in per contact.
_PERSONALISED = ("subject", "preheader", "body")


@register
class SendEmail(NodeType):
    """Emails the contact through SMTP with open and click tracking."""

    type = "send_email"
    channels = ("email",)
    label = "Send email"
    category = Category.MESSAGE
    description = "Sends the contact an email, from a saved template or written here, with personalisation."
    ports = ("next",)
    config_schema = {
        "type": "object",
        "description": "Choose a saved template, or write a subject and body here.",
        "additionalProperties": False,
        "properties": _PROPERTIES,
        "if": {"required": ["template_id"]},
        "then": {  # a template brings its own subject and body; rejecting them names the stray key
            "properties": {name: True for name in _PROPERTIES if name not in ("subject", "body")},
            "additionalProperties": False,
        },
        "else": {"required": ["subject", "body"]},
        "examples": [
            {"template_id": 3},
            {"subject": 'Welcome, {{ name | default("friend") }}', "body": "<mjml><mj-body><mj-text>Hi!</mj-text></mj-body></mjml>"},
        ],
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
        """Record the email for delivery."""
        return send_then_continue(ctx, "email", config)
