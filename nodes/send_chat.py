"""Send chat: a message in the on-site chat widget, forwarded by email if unread."""
from __future__ import annotations

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

# The forwarded email's ledger content: the email channel renders it from the chat message it forwards
# (workflow_runtime.channels.chat_forward), with a Reply-To that brings the answer back into the chat.
FORWARD = {"forwards": "chat"}
# The fields filled in per contact.
_PERSONALISED = ("body",)


@register
class SendChat(NodeType):
    """Posts a chat message to the contact's on-site inbox."""

    type = "send_chat"
    channels = ("chat", "email")
    label = "Send chat message"
    category = Category.MESSAGE
    description = "Sends a message into the chat on your site; it can be forwarded by email if it stays unread."
    ports = ("next",)
    config_schema = {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": personalised_text({"title": "Message", "type": "string", "minLength": 1, "maxLength": 5000, "description": (
                'Text, filled in per contact: {{ contact.name | default("there") }} is the name, or "there" without one.')}),
            "sender_name": {"title": "Sender name", "type": "string", "minLength": 1, "maxLength": 100, "examples": ["Anna from support"]},
            "forward_by_email_after": {**ref("common.schema.json", "duration"), "title": "Email it if unread after", "description": "Leave out to never forward by email."},
            "goal": GOAL_SCHEMA,
        },
        "examples": [{"body": 'Hi {{ name | default("there") }}, can I help you choose?', "forward_by_email_after": "P1D"}],
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
        """Record the chat message for the on-site widget; with `forward_by_email_after`, email it to a contact
        who has not read it by then and is away from the site (replies to that email come back into the chat)."""
        return send_with_email_fallback(ctx, "chat", config, config.get("forward_by_email_after"), FORWARD)
