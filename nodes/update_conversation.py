"""Update conversation: assigns the contact's inbox conversation to a person, or closes or reopens it."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register


@register
class UpdateConversation(NodeType):
    """Changes the contact's conversation with the team in the inbox."""

    type = "update_conversation"
    label = "Update conversation"
    category = Category.ACTION
    description = ("Assigns the contact's inbox conversation to someone in your team, or closes or reopens it. "
                   "A contact who has no conversation yet passes through unchanged.")
    ports = ("next",)
    config_schema = {
        "type": "object",
        "description": "Give at least one change.",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "assign_to": {"title": "Assign to", "type": "string", "format": "email", "minLength": 3, "maxLength": 320,
                          "description": "The email a user of the inbox logs in with.",
                          "examples": ["anna@example.com"]},
            "status": {"title": "Status", "type": "string", "enum": ["closed", "open"],
                       "description": "closed: done until the contact writes again; open: back in the team's list."},
        },
        "examples": [{"assign_to": "anna@example.com"}, {"status": "closed"}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Assign and/or set the status of the contact's conversation (an unknown or disabled user is the run's
        error, named, and parks it)."""
        ctx.update_conversation(config.get("assign_to"), config.get("status"))
        return Go("next")
