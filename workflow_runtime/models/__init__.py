"""The tables: the database is the source of truth for flows, contacts and runs."""
from workflow_runtime.models.account import ApiToken, User
from workflow_runtime.models.base import Base
from workflow_runtime.models.contact import AnonymousId, Contact, Event, UnappliedEvent
from workflow_runtime.models.counter import NodeCounter
from workflow_runtime.models.flow import (
    Flow,
    FlowStatus,
    FlowVersion,
    ImmutableVersionError,
)
from workflow_runtime.models.message import DeliveryState, Message, MessageStatus
from workflow_runtime.models.message_template import Channel, MessageTemplate
from workflow_runtime.models.reply import Reply, ReplySource
from workflow_runtime.models.run import UNFINISHED, Run, RunStatus
from workflow_runtime.models.segment import Segment, SegmentMembership
from workflow_runtime.models.trigger import FlowSegmentTrigger, FlowTrigger

__all__ = [
    "AnonymousId",
    "ApiToken",
    "Base",
    "Channel",
    "Contact",
    "Event",
    "Flow",
    "FlowStatus",
    "FlowSegmentTrigger",
    "FlowTrigger",
    "FlowVersion",
    "ImmutableVersionError",
    "DeliveryState",
    "Message",
    "MessageStatus",
    "MessageTemplate",
    "NodeCounter",
    "Reply",
    "ReplySource",
    "Run",
    "RunStatus",
    "Segment",
    "SegmentMembership",
    "UNFINISHED",
    "UnappliedEvent",
    "User",
]
