"""What the forecast endpoints read and answer: which document, which window; a forecast, its progress and result."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from workflow_runtime.forecast.forecasts import shown_status
from workflow_runtime.forecast.window import MAX_DAYS, MAX_STEP_MINUTES, STEP
from workflow_runtime.storage.models import Forecast, ForecastStatus

DEFAULT_DAYS = 30
DEFAULT_STEP_MINUTES = int(STEP.total_seconds() // 60)
MAX_VERSION = 2**31 - 1


class ForecastArgs(Schema):
    version = fields.Raw(load_default="draft", metadata={
        "description": 'A published version number, or "draft" (the default): the document replayed.',
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["draft"]}]})
    days = fields.Integer(validate=validate.Range(min=1, max=MAX_DAYS), metadata={
        "description": f"The last N whole days and today (default {DEFAULT_DAYS}); or give from and to."})
    from_ = fields.Date(data_key="from", metadata={"description": "The window's first day (UTC), with to."})
    to = fields.Date(metadata={"description": "The window's last day (UTC), included, with from."})
    step_minutes = fields.Integer(load_default=DEFAULT_STEP_MINUTES, validate=validate.Range(min=1, max=MAX_STEP_MINUTES),
                                  metadata={"description": "Events and wake-ups are handled at the end of their step "
                                                           f"(default {DEFAULT_STEP_MINUTES}): shorter is closer to "
                                                           "what happened, longer is faster."})

    @validates("version")
    def _version(self, value: Any, **_kwargs: Any) -> None:
        if value == "draft":
            return
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_VERSION:
            raise ValidationError('Give a published version number (1 or more) or "draft".')

    @validates_schema
    def _window(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "days" in data and ("from_" in data or "to" in data):
            raise ValidationError("Give either days or from and to, not both.", "days")
        if ("from_" in data) != ("to" in data):
            raise ValidationError("Give from and to together (both days, UTC).", "from" if "to" in data else "to")


class ForecastSchema(Schema):
    id = fields.Integer(required=True)
    flow_id = fields.Integer(required=True)
    version = fields.Integer(allow_none=True, metadata={"description": "The version replayed; null: the draft."})
    status = fields.Method("_status", required=True, metadata={
        "description": "queued, running, done (see result) or failed (see error).",
        "enum": [status.value for status in ForecastStatus]})
    error = fields.Method("_error", required=True, allow_none=True)
    progress = fields.Method("_progress", required=True,
                             metadata={"description": "Share of the window's events replayed, 0 to 1 (1 once done)."})
    events_total = fields.Integer(required=True)
    events_replayed = fields.Integer(required=True)
    window_start = fields.DateTime(required=True)
    window_end = fields.DateTime(required=True)
    step_seconds = fields.Integer(required=True, metadata={"description": "The replay's step."})
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    result = fields.Dict(allow_none=True, metadata={"description": (
        "Once done: window, events, totals; nodes (each node's figures, as the statistics give them); counters (raw, "
        "per node and metric); live (the flow's real totals and nodes over the same days, null if never published); "
        "difference (per node, forecast minus live, only what differs); estimates (message statuses estimated from "
        "the rates seen in reality); notes (what cannot be exact, as sentences).")})

    def _status(self, forecast: Forecast) -> str:
        return shown_status(forecast, datetime.now(UTC))[0].value

    def _error(self, forecast: Forecast) -> str | None:
        return shown_status(forecast, datetime.now(UTC))[1]

    def _progress(self, forecast: Forecast) -> float:
        if forecast.status is ForecastStatus.DONE:
            return 1.0
        return min(1.0, forecast.events_replayed / forecast.events_total) if forecast.events_total else 0.0


def location(forecast: Forecast) -> dict[str, str]:
    """The header naming the forecast's progress resource."""
    return {"Location": f"/api/flows/{forecast.flow_id}/forecasts/{forecast.id}"}
