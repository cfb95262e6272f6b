"""What the three send node types share: record the message, or hold until it may be sent."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.execution import Go, Hold, Outcome, StepContext


def send_then_continue(ctx: StepContext, channel: str, config: Mapping[str, Any]) -> Outcome:
    """Send the node's message and go on; quiet hours or the frequency cap hold it instead, never drop it."""
    deferred = ctx.send(channel, message_content(config))
    return Hold(deferred) if deferred else Go("next")


def message_content(config: Mapping[str, Any]) -> dict[str, Any]:
    """The node config without its goal: what the channel renders and delivers."""
    return {key: value for key, value in config.items() if key != "goal"}
