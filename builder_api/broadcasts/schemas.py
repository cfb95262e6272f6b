"""What the broadcast endpoints read and answer: a broadcast and how far it has got."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from builder_api.ids import MAX_ID
from builder_api.paging import Page
from workflow_runtime.storage.models import Broadcast, BroadcastStatus


class BroadcastQuery(Page):
    flow_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "Only this flow's broadcasts."})


class BroadcastSchema(Schema):
    id = fields.Integer(required=True)
    flow_id = fields.Integer(required=True)
    segment_id = fields.Integer(allow_none=True, metadata={"description": "The segment sent to (null once deleted)."})
    segment_name = fields.String(allow_none=True)
    chosen = fields.Method("_chosen", required=True, allow_none=True,
                           metadata={"description": "Contacts chosen by id (null for a segment)."})
    status = fields.Enum(BroadcastStatus, by_value=True, required=True,
                         metadata={"description": "queued, running, done, or failed (see error)."})
    to_scan = fields.Integer(required=True, metadata={"description": "Contacts to examine."})
    scanned = fields.Integer(required=True, metadata={"description": "Contacts examined so far."})
    progress = fields.Method("_progress", required=True,
                             metadata={"description": "Share of the contacts examined, 0 to 1 (1 once done)."})
    audience = fields.Integer(required=True,
                              metadata={"description": "Contacts examined that belong to the audience."})
    enrolled = fields.Integer(required=True, metadata={"description": "Runs started."})
    kept_out = fields.Method("_kept_out", required=True,
                             metadata={"description": "Audience the flow's re-entry rule kept out."})
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)

    def _chosen(self, broadcast: Broadcast) -> int | None:
        return None if broadcast.contact_ids is None else len(broadcast.contact_ids)

    def _progress(self, broadcast: Broadcast) -> float:
        if broadcast.status is BroadcastStatus.DONE or broadcast.to_scan == 0:
            return 1.0 if broadcast.status is BroadcastStatus.DONE else 0.0
        return min(1.0, broadcast.scanned / broadcast.to_scan)

    def _kept_out(self, broadcast: Broadcast) -> int:
        return broadcast.audience - broadcast.enrolled


class BroadcastListSchema(Schema):
    items = fields.List(fields.Nested(BroadcastSchema), required=True)
    total = fields.Integer(required=True)


def location(broadcast: Broadcast) -> dict[str, Any]:
    """The header naming the broadcast's progress resource."""
    return {"Location": f"/api/broadcasts/{broadcast.id}"}
