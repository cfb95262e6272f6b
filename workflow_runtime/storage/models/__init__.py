"""The tables: the database is the source of truth for flows, contacts and runs."""
from workflow_runtime.storage.models.account import ApiToken, InboxAccess, LoginSession, User
from workflow_runtime.storage.models.base import Base
from workflow_runtime.storage.models.broadcast import UNFINISHED_BROADCASTS, Broadcast, BroadcastStatus
from workflow_runtime.storage.models.contact import AnonymousId, Contact, Event, UnappliedEvent
from workflow_runtime.storage.models.conversation import (
    Conversation,
    ConversationNote,
    ConversationResponse,
    ConversationStatus,
)
from workflow_runtime.storage.models.counter import NodeCounter
from workflow_runtime.storage.models.event_tally import EventTally
from workflow_runtime.storage.models.failure import Failure, FailureKind, FailureState
from workflow_runtime.storage.models.flow import (
    Flow,
    FlowStatus,
    FlowVersion,
    ImmutableVersionError,
)
from workflow_runtime.storage.models.flow_migration import UNFINISHED_MIGRATIONS, FlowMigration, MigrationStatus
from workflow_runtime.storage.models.forecast import UNFINISHED_FORECASTS, Forecast, ForecastStatus
from workflow_runtime.storage.models.funnel import SavedFunnel
from workflow_runtime.storage.models.message import DeliveryState, Message, MessageStatus
from workflow_runtime.storage.models.message_template import ONSITE_CHANNELS, Channel, MessageTemplate
from workflow_runtime.storage.models.reply import Reply, ReplySource
from workflow_runtime.storage.models.run import UNFINISHED, Run, RunStatus
from workflow_runtime.storage.models.run_action import OperatorAction, RunAction
from workflow_runtime.storage.models.segment import Segment, SegmentMembership
from workflow_runtime.storage.models.trigger import FlowSegmentTrigger, FlowTrigger
from workflow_runtime.storage.models.workspace_key import KeyName, WorkspaceKey
from workflow_runtime.storage.models.workspace_setting import WorkspaceSetting

__all__ = [
    "AnonymousId",
    "ApiToken",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "Channel",
    "ONSITE_CHANNELS",
    "Contact",
    "Conversation",
    "ConversationNote",
    "ConversationResponse",
    "ConversationStatus",
    "Event",
    "EventTally",
    "Failure",
    "FailureKind",
    "FailureState",
    "Flow",
    "Forecast",
    "ForecastStatus",
    "FlowMigration",
    "FlowStatus",
    "FlowSegmentTrigger",
    "FlowTrigger",
    "FlowVersion",
    "ImmutableVersionError",
    "InboxAccess",
    "KeyName",
    "LoginSession",
    "DeliveryState",
    "Message",
    "MessageStatus",
    "MessageTemplate",
    "MigrationStatus",
    "NodeCounter",
    "OperatorAction",
    "Reply",
    "ReplySource",
    "Run",
    "RunAction",
    "SavedFunnel",
    "RunStatus",
    "Segment",
    "SegmentMembership",
    "UNFINISHED",
    "UNFINISHED_BROADCASTS",
    "UNFINISHED_FORECASTS",
    "UNFINISHED_MIGRATIONS",
    "UnappliedEvent",
    "User",
    "WorkspaceKey",
    "WorkspaceSetting",
]
