"""What a node's `execute` returns, and what it may ask of the run it executes for.

The interpreter (workflow_runtime.engine.interpreter) implements StepContext; nodes only see
this protocol, so a node's behaviour is a function of (config, context) → outcome.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, Union


@dataclass(frozen=True)
class Go:
    """Leave the node by `port`; `rule`, the JSON pointer (into the node's config) of the rule that chose it,
    is kept on the run's path for its journey."""

    port: str
    rule: str | None = None


@dataclass(frozen=True)
class Hold:
    """Stay in the node until `until` (then run it again with resumed="timeout"), or until
    `event` (with `where` rules on its properties) arrives (resumed="event")."""

    until: datetime | None
    event: str | None = None
    where: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class End:
    """End the run here."""

    reason: str


Outcome = Union[Go, Hold, End]


class StepContext(Protocol):
    """One run at one node, as a node's behaviour sees it."""

    @property
    def now(self) -> datetime:
        """The injected clock's time."""

    @property
    def resumed(self) -> str | None:
        """None on entering the node; "timeout" or "event" when a Hold ended."""

    @property
    def state(self) -> dict[str, Any]:
        """Scratch space kept with the run while it stays in this node."""

    @property
    def time_zone(self) -> str | None:
        """The contact's IANA time zone, if known."""

    @property
    def idempotency_key(self) -> str:
        """Unique per (run, node, visit): effects keyed by it happen once."""

    def render(self, value: Any) -> Any:
        """`value` (a string, or JSON holding strings) with `{{ … }}` filled in for this contact."""

    def decide(self, condition: Mapping[str, Any]) -> tuple[bool, str]:
        """Whether the filter-language condition holds for the contact now, and the JSON pointer (within the
        condition) of the rule that decided it."""

    def split_point(self) -> float:
        """A number in [0, 1) fixed for this contact and node: the same contact always gets the same variant."""

    def send(self, channel: str, content: Mapping[str, Any], failure: str | None = None) -> datetime | None:
        """Record a message on `channel` in the ledger, once per (run, node, visit, channel);
        returns a later time instead if quiet hours or the frequency cap defer it. With `failure`, the
        message is recorded `failed` with that reason (counted at the node) and never delivered."""

    def message_status(self, channel: str) -> str | None:
        """The status of the message this visit recorded on `channel`, if any."""

    def contact_on_site(self) -> bool:
        """Whether the contact has the site open now (a connected widget; see workflow_runtime.channels.presence)."""

    def update_contact(
        self,
        set_properties: Mapping[str, Any],
        unset: Sequence[str],
        add_tags: Sequence[str],
        remove_tags: Sequence[str],
    ) -> None:
        """Change the contact's properties (dotted paths reach nested objects) and tags."""

    def update_conversation(self, assign_to: str | None, status: str | None) -> None:
        """Assign the contact's inbox conversation to the user with this email and/or set its status ("closed",
        "open"); nothing when the contact has no conversation. Raises ValueError for an unknown or disabled user."""

    def convert(self, revenue: Decimal | None) -> None:
        """Count a conversion for every node the run has passed (a goal node)."""
