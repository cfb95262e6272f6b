"""`POST /api/flows/<id>/forecast` and `GET /api/flows/<id>/forecasts/<fid>`: a draft or version replayed on a past
window's events in a scratch database (workflow_runtime.forecast); mounted beside the flows blueprint on /api/flows.

The request answers 202 at once; a job replays the window and writes the forecast's progress and result.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.flows import service
from builder_api.flows.forecast_schemas import DEFAULT_DAYS, ForecastArgs, ForecastSchema, location
from builder_api.runtime_access import job_queue, now
from flows.validation import FlowInvalid
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.forecast import window
from workflow_runtime.forecast.forecasts import ForecastBusy, queue_forecast, request_forecast
from workflow_runtime.storage.models import Forecast

blueprint = Blueprint("forecasts", __name__,
                      description="Forecasts: a draft or version replayed on a past window's events, in isolation.")
blueprint.before_request(require_admin)


@blueprint.post("/<int:flow_id>/forecast")
@blueprint.arguments(ForecastArgs)
@blueprint.response(202, ForecastSchema, headers={"Location": {"description": "The forecast's progress resource.",
                                                                "schema": {"type": "string"}}})
@blueprint.alt_response(400, schema=ErrorSchema, description="The window cannot be replayed as given.")
@blueprint.alt_response(404, schema=ErrorSchema, description="No flow, or no such version of it.")
@blueprint.alt_response(409, schema=ErrorSchema, description="Another forecast is queued or running: one runs at a time.")
@blueprint.alt_response(422, schema=ErrorSchema, description="The draft is not valid; `errors` lists every problem by node.")
def forecast(payload: dict[str, Any], flow_id: int) -> tuple[Forecast, int, dict[str, str]]:
    """Replay the stored events of a past window (the last `days`, or `from`–`to`) through the draft or a version,
    on a virtual clock, sending nothing and writing nothing live; answers at once, and the forecast's resource
    shows the progress, then per-node figures beside the live ones."""
    moment = now()
    try:
        asked = (window.between(payload["from_"], payload["to"], moment) if "from_" in payload
                 else window.last_days(payload.get("days", DEFAULT_DAYS), moment))
        version = None if payload["version"] == "draft" else payload["version"]
        found = request_forecast(db.session, flow_id, version, asked, moment, window.step_of(payload["step_minutes"]))
    except window.ForecastRefused as refused:
        raise ApiError(400, str(refused)) from None
    except FlowNotFound as missing:
        raise ApiError(404, f"{str(missing).capitalize()}.") from None
    except FlowInvalid as invalid:
        raise service.refuse(invalid, "The draft cannot be forecast.") from None
    except ForecastBusy as busy:
        raise ApiError(409, str(busy)) from None
    db.session.commit()
    queue = job_queue()
    if queue is not None:  # else it stays queued until asked again in a process with a worker
        queue_forecast(queue, found.id)
    return found, 202, location(found)


@blueprint.get("/<int:flow_id>/forecasts/<int:forecast_id>")
@blueprint.response(200, ForecastSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No forecast of this flow has this id.")
def get_forecast(flow_id: int, forecast_id: int) -> Forecast:
    """One forecast: its status and progress, then its per-node figures, the live ones and what is not exact."""
    found = db.session.get(Forecast, forecast_id)
    if found is None or found.flow_id != flow_id:
        raise ApiError(404, f"Flow {flow_id} has no forecast {forecast_id}: POST /api/flows/{flow_id}/forecast "
                            "makes one.")
    return found
