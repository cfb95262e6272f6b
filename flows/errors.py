"""The vocabulary of validation problems: codes, located errors and JSON pointers.

Kept apart from the checks so each layer of validation can import it without
importing the others; `flows.validation` re-exports everything here.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


class ErrorCode(str, enum.Enum):
    """What kind of problem a FlowError is; stable values the API and canvas can key on.

    json: the file is not JSON; version: unknown schema_version; schema: the document
    breaks the flow schema; duration: a value is not an ISO 8601 duration longer than zero
    (or is longer than its field allows, e.g. a webhook's time-out);
    time_zone: an unknown IANA time zone; unknown_node_type: no such node type;
    config: a node's config breaks its type's schema; duplicate_id: two nodes share an id;
    missing_node: an edge names a node that does not exist; missing_port: an edge leaves
    by a port its node does not have, or names none where the node has several;
    port_used_twice: two edges leave the same port; unwired_port: an output port leads
    nowhere; no_trigger: nothing starts the flow; trigger_has_input: an edge leads into a
    trigger; unreachable: no trigger leads to a node; loop_without_wait: a cycle
    with no waiting node in it; split_weights: split weights do not add up to 100;
    duplicate_variant: two split variants share an id (these two come from
    `Split.check_config`); refused_address: a URL names an address automap does not call,
    such as a loopback or private one (nodes.outbound; from `Webhook.check_config`);
    no_fallback: a message prints a contact value with no fallback, so a contact without it
    reads a gap ("Hi !") — a warning, from the send node types' `config_warnings`.
    """

    JSON = "json"
    VERSION = "version"
    SCHEMA = "schema"
    DURATION = "duration"
    TIME_ZONE = "time_zone"
    UNKNOWN_NODE_TYPE = "unknown_node_type"
    CONFIG = "config"
    DUPLICATE_ID = "duplicate_id"
    MISSING_NODE = "missing_node"
    MISSING_PORT = "missing_port"
    PORT_USED_TWICE = "port_used_twice"
    UNWIRED_PORT = "unwired_port"
    NO_TRIGGER = "no_trigger"
    TRIGGER_HAS_INPUT = "trigger_has_input"
    UNREACHABLE = "unreachable"
    LOOP_WITHOUT_WAIT = "loop_without_wait"
    SPLIT_WEIGHTS = "split_weights"
    DUPLICATE_VARIANT = "duplicate_variant"
    REFUSED_ADDRESS = "refused_address"
    NO_FALLBACK = "no_fallback"


class Severity(str, enum.Enum):
    """How much a FlowError stops: a flow with an error cannot be published; one with only warnings can.

    error: the flow cannot run as written; warning: it runs, but what some contacts get is
    probably not what the marketer meant (flows.validation.flow_warnings finds these).
    """

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class FlowError:
    """One problem in a flow document, located by a JSON pointer into the upgraded document."""

    pointer: str
    node_id: str | None
    message: str
    code: ErrorCode
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """The error as plain JSON for the API; a warning says so in `severity`, an error leaves it out (the API's
        error bodies, which only ever carry errors, keep their shape)."""
        plain = {"pointer": self.pointer, "node_id": self.node_id, "message": self.message, "code": self.code.value}
        return plain if self.severity is Severity.ERROR else {**plain, "severity": self.severity.value}


class FlowInvalid(Exception):
    """A flow document failed validation; `errors` lists every problem found."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        count = f"{len(errors)} problems" if len(errors) != 1 else "1 problem"
        super().__init__(f"The flow has {count}. " + " ".join(error.message for error in errors[:3]))

    def to_dict(self) -> dict[str, Any]:
        """The errors as plain JSON for an API error body."""
        return {"errors": [error.to_dict() for error in self.errors]}


def pointer(path: Iterable[str | int]) -> str:
    """The RFC 6901 JSON pointer of `path`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
