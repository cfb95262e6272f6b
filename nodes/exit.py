"""Exit: ends the run."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.base import Category, NodeType
from nodes.execution import End, Outcome, StepContext
from nodes.registry import register


@register
class Exit(NodeType):
    """Ends the contact's run through the flow."""

    type = "exit"
    label = "Exit"
    category = Category.OUTCOME
    description = "Ends the automation for the contact."
    ports = ()
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": {"title": "Reason", "description": "A note on why contacts leave here, shown in reports.", "type": "string", "maxLength": 200},
        },
        "examples": [{}, {"reason": "Already a customer"}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """End the run."""
        return End(config.get("reason") or "exit node")
