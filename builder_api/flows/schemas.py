"""Payloads and answers of the flows API."""
from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from builder_api.ids import MAX_ID
from flows.errors import Severity
from workflow_runtime.authoring.flow_store import NAME_LENGTH
from workflow_runtime.authoring.migration import Action, MigrationMode, Wake
from workflow_runtime.engine.version_migration import Change
from workflow_runtime.storage.models import FlowMigration, FlowStatus, MigrationStatus

STATUSES = [status.value for status in FlowStatus]
DOCUMENT = {"description": "A flow document (flows/schema/flow.schema.json); older schema_versions are upgraded."}


class FlowListArgs(Schema):
    q = fields.String(validate=validate.Length(max=NAME_LENGTH), metadata={"description": "Part of the name."})
    status = fields.String(validate=validate.OneOf(STATUSES))


class FlowSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    live_version = fields.Integer(required=True, allow_none=True)
    node_count = fields.Integer(required=True)
    entered = fields.Integer(required=True, metadata={"description": "Contacts who entered, all versions."})
    waiting = fields.Integer(required=True, metadata={
        "description": "Of them, how many wait in it now, all versions: the runs archiving would end."})
    converted = fields.Integer(required=True, metadata={"description": "Of them, how many reached the goal."})
    revenue = fields.Float(required=True, metadata={"description": "Revenue the goal brought."})
    updated_at = fields.DateTime(required=True)


class FlowListSchema(Schema):
    flows = fields.List(fields.Nested(FlowSummarySchema), required=True)


class FlowCreateArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_LENGTH))
    description = fields.String(validate=validate.Length(max=5000))
    document = fields.Dict(metadata=DOCUMENT)


class FlowUpdateArgs(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_LENGTH))
    description = fields.String(validate=validate.Length(max=5000))
    document = fields.Dict(required=True, metadata=DOCUMENT)


class FlowRenameArgs(Schema):
    name = fields.String(validate=[validate.Length(max=NAME_LENGTH),
                                   validate.Regexp(r"\s*\S", error="Give the flow a name.")])
    description = fields.String(validate=validate.Length(max=5000))


class FlowDocumentArgs(Schema):
    """A whole flow document as the request body; flows.validation checks it, not marshmallow."""

    class Meta:
        unknown = INCLUDE

    schema_version = fields.Raw()
    name = fields.Raw()
    description = fields.Raw()
    settings = fields.Raw()
    nodes = fields.Raw()
    edges = fields.Raw()


class FlowErrorSchema(Schema):
    code = fields.String(required=True)
    node_id = fields.String(required=True, allow_none=True)
    pointer = fields.String(required=True, metadata={"description": "JSON pointer into the document."})
    message = fields.String(required=True)
    severity = fields.String(validate=validate.OneOf([severity.value for severity in Severity]), metadata={
        "description": "`warning` for what does not stop publishing but is probably not meant (a message printing "
                       "a contact value with no fallback); left out for an error, which does stop it."})


class VersionSummarySchema(Schema):
    number = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)


class VersionListSchema(Schema):
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)


class VersionSchema(VersionSummarySchema):
    document = fields.Dict(required=True)


class FlowSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    live_version = fields.Integer(required=True, allow_none=True)
    document = fields.Dict(required=True, metadata={"description": "The draft."})
    validation = fields.List(fields.Nested(FlowErrorSchema), required=True, metadata={
        "description": "What stops the draft from being published, then the warnings (`severity`), which do not; "
                       "[] if nothing."})
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ValidationResultSchema(Schema):
    valid = fields.Boolean(required=True,
                           metadata={"description": "No errors: the draft can be published, warnings or not."})
    errors = fields.List(fields.Nested(FlowErrorSchema), required=True, metadata={
        "description": "The errors, then the warnings (`severity`), each by node id and JSON pointer."})


_NODE_ID = validate.Length(min=1, max=64)
_VERSION = validate.Range(min=1, max=10**9)


class MigrationChoiceSchema(Schema):
    """Where the contacts waiting at one node of an older version go: `to` a node of the new version, or `exit`."""

    version = fields.Integer(required=True, strict=True, validate=_VERSION,
                             metadata={"description": "The older version they wait in."})
    node_id = fields.String(required=True, validate=_NODE_ID, metadata={"description": "The node they wait at."})
    to = fields.String(validate=_NODE_ID, metadata={"description": "A node of the version being published."})
    exit = fields.Boolean(metadata={"description": "true: they leave the flow instead (counted `exited`, by `moved`)."})

    @validates_schema
    def _one_destination(self, data: dict[str, Any], **_: Any) -> None:
        if ("to" in data) == bool(data.get("exit")):
            raise ValidationError("Give either `to` (a node of the new version) or `exit: true`.", "_schema")


class MigrationPlanSchema(Schema):
    mode = fields.Enum(MigrationMode, by_value=True, load_default=MigrationMode.KEEP, metadata={
        "description": "keep: every contact stays on the version they entered (the default); move: the contacts "
                       "waiting in older versions move to the new one. Those at a node the new version has with the "
                       "same id and type, its wait unchanged, go there by themselves, keeping their wake-up time; "
                       "for every other node where contacts wait the map must say where they go (the preview lists "
                       "them)."})
    map = fields.List(fields.Nested(MigrationChoiceSchema), load_default=list, validate=validate.Length(max=10_000),
                      metadata={"description": "The choices, one per (version, node); only with mode move. A choice "
                                               "for an unchanged node overrides where its contacts would go."})


class PublishArgs(Schema):
    migration = fields.Nested(MigrationPlanSchema, metadata={
        "description": "What happens to the contacts of older versions; left out: keep."})


class MigrationSchema(Schema):
    id = fields.Integer(required=True)
    flow_id = fields.Integer(required=True)
    to_version = fields.Function(lambda migration: migration.to_version.number, required=True,
                                 metadata={"description": "The version moved to."})
    choices = fields.Method("_choices", required=True, metadata={"description": "The plan's map, as it was sent."})
    status = fields.Enum(MigrationStatus, by_value=True, required=True,
                         metadata={"description": "queued, running, done, or failed (see error)."})
    to_move = fields.Integer(required=True,
                             metadata={"description": "Contacts the plan moved or exited when it was published."})
    moved = fields.Integer(required=True, metadata={"description": "Contacts moved so far (a new run in the version)."})
    exited = fields.Integer(required=True, metadata={"description": "Contacts the plan's `exit` took out so far."})
    stayed = fields.Integer(allow_none=True, metadata={
        "description": "Once done: contacts left unfinished in older versions (a step away, mid-send, or at a node "
                       "the plan had no choice for)."})
    progress = fields.Method("_progress", required=True,
                             metadata={"description": "Share of `to_move` done, 0 to 1 (1 once done)."})
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)

    def _choices(self, migration: FlowMigration) -> list[dict[str, Any]]:
        return [{"version": choice["version"], "node_id": choice["node_id"],
                 **({"to": choice["to"]} if choice["to"] is not None else {"exit": True})}
                for choice in migration.choices]

    def _progress(self, migration: FlowMigration) -> float:
        if migration.status is MigrationStatus.DONE:
            return 1.0
        return min(1.0, (migration.moved + migration.exited) / migration.to_move) if migration.to_move else 0.0


class PublishResultSchema(Schema):
    version = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    migration = fields.Nested(MigrationSchema, allow_none=True, metadata={
        "description": "With a move plan: the migration its jobs apply a chunk at a time (progress at "
                       "GET /api/flows/<id>/migrations/<migration id>); null when contacts keep their versions."})


class WaitingNodeSchema(Schema):
    version = fields.Integer(required=True, metadata={"description": "The older version."})
    node_id = fields.String(required=True)
    node_type = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "What the canvas calls the node."})
    change = fields.String(required=True, validate=validate.OneOf(
        [Change.UNCHANGED, Change.CHANGED, Change.WAIT_CHANGED, Change.TYPE_CHANGED, Change.REMOVED]), metadata={
        "description": "How the node stands in the new version: unchanged, changed (not its wait: its contacts go "
                       "there by themselves), wait_changed, type_changed or removed (these need a choice)."})
    waiting = fields.Integer(required=True, metadata={"description": "Contacts waiting there that the plan moves."})
    staying = fields.Integer(required=True, metadata={
        "description": "Contacts there that stay on their version whatever the plan: a step away from their next "
                       "wait, or waiting on a message's outcome (a popup's email fallback, a webhook's answer)."})
    action = fields.Enum(Action, by_value=True, required=True, metadata={
        "description": "move (to `to`), exit, stay (a keep plan), or choose: a move plan must say where they go."})
    chosen = fields.Boolean(required=True, metadata={"description": "The plan's map chose it."})
    to = fields.String(allow_none=True, metadata={"description": "The node of the new version they go to."})
    to_label = fields.String(allow_none=True)
    wake = fields.Enum(Wake, by_value=True, allow_none=True, metadata={
        "description": "kept: the same wait, the same wake-up time; recomputed: the new node's wait counted from "
                       "when they started waiting (due at once if that is past); now: the node is no wait and runs "
                       "at once."})


class NodeKeySchema(Schema):
    version = fields.Integer(required=True)
    node_id = fields.String(required=True)


class MigrationPreviewSchema(Schema):
    mode = fields.Enum(MigrationMode, by_value=True, required=True)
    to_version = fields.Integer(required=True, metadata={"description": "The number the draft would be published as."})
    nodes = fields.List(fields.Nested(WaitingNodeSchema), required=True, metadata={
        "description": "Every node of an older version where contacts are, by version and in the map's order: "
                       "\"N contacts waiting at X (v1) → Y\"."})
    moving = fields.Integer(required=True)
    exiting = fields.Integer(required=True)
    staying = fields.Integer(required=True)
    missing = fields.List(fields.Nested(NodeKeySchema), required=True,
                          metadata={"description": "The nodes where contacts wait that the map must choose for."})
    complete = fields.Boolean(required=True,
                              metadata={"description": "Nothing missing: publishing would accept this plan."})


_REVISION = validate.Regexp(r"^(draft|[1-9][0-9]{0,8})$", error="Give a version number or 'draft'.")


class DiffArgs(Schema):
    from_ = fields.String(required=True, data_key="from", validate=_REVISION)
    to = fields.String(required=True, validate=_REVISION)


class NodeRefSchema(Schema):
    id = fields.Raw(required=True)
    type = fields.Raw(required=True)
    pointer = fields.String(required=True)


class ChangeSchema(Schema):
    op = fields.String(required=True, validate=validate.OneOf(["added", "removed", "changed"]))
    pointer = fields.String(required=True)
    from_ = fields.Raw(data_key="from", attribute="from")
    to = fields.Raw()


class NodeChangeSchema(NodeRefSchema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class NodeDiffSchema(Schema):
    added = fields.List(fields.Nested(NodeRefSchema), required=True)
    removed = fields.List(fields.Nested(NodeRefSchema), required=True)
    changed = fields.List(fields.Nested(NodeChangeSchema), required=True)


class EdgeSchema(Schema):
    from_ = fields.Raw(required=True, data_key="from", attribute="from")
    port = fields.Raw(required=True)
    to = fields.Raw(required=True)


class EdgeDiffSchema(Schema):
    added = fields.List(fields.Nested(EdgeSchema), required=True)
    removed = fields.List(fields.Nested(EdgeSchema), required=True)


class DiffSchema(Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from")
    to = fields.String(required=True)
    nodes = fields.Nested(NodeDiffSchema, required=True)
    edges = fields.Nested(EdgeDiffSchema, required=True)
    settings = fields.List(fields.Nested(ChangeSchema), required=True)
    document = fields.List(fields.Nested(ChangeSchema), required=True, metadata={"description": "Name, description."})


class ExportArgs(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=10**9),
                             metadata={"description": "A published version; the draft when left out."})


class EnrolArgs(Schema):
    contact_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
                              validate=validate.Length(min=1, max=10_000))
    segment_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))

    @validates_schema
    def _one_audience(self, data: dict[str, Any], **_: Any) -> None:
        if ("contact_ids" in data) == ("segment_id" in data):
            raise ValidationError("Give either contact_ids or segment_id.", "_schema")


