"""`POST /v1/identify|track|page|screen|group|alias|batch`: Segment's HTTP tracking API.

Any Segment library (or the widget) can send here: the write key is the HTTP Basic
user name (or `writeKey` in a `text/plain` sendBeacon body), bodies may be gzipped, and
every origin may call it from a browser (CORS, no cookies: the write key is the
credential). The views only parse; `workflow_runtime.ingest.ingestion` stores the calls and
hands their events to the runtime.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, current_app, g, request
from flask_cors import CORS
from flask_smorest import Blueprint
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser

from builder_api.errors import ApiError
from builder_api.ingest.body import load_tracking_request
from builder_api.ingest.quick_load import quick_load
from builder_api.ingest.schemas import CALL_SCHEMAS, Acknowledged, BatchSchema
from builder_api.ingest.verification import forbidden, verify_calls
from builder_api.workspace.keys import request_keys
from workflow_runtime.dispatch import runtime
from workflow_runtime.ingest import ingestion
from workflow_runtime.ingest.identity_claims import UnverifiedClaim
from workflow_runtime.ingest.tracking_calls import Call
from workflow_runtime.storage.models import KeyName


class TrackingBodyParser(FlaskParser):
    """Validates the body `load_tracking_request` already read (any Content-Type, maybe gzipped); 400 when invalid."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: Any) -> Any:
        return g.get("tracking_body", core.missing)

    def parse(self, argmap: Any, req: Any = None, **kwargs: Any) -> Any:
        """The common well-formed call loaded by `quick_load`; anything else by the schema, with its errors."""
        loaded = quick_load(argmap, g.get("tracking_body"))
        return loaded if loaded is not None else super().parse(argmap, req, **kwargs)


class TrackingBlueprint(Blueprint):
    ARGUMENTS_PARSER = TrackingBodyParser()


blueprint = TrackingBlueprint(
    "ingest", __name__,
    description="Segment-compatible tracking: the write key is the HTTP Basic user name.",
)
CORS(blueprint, origins="*", methods=["POST", "OPTIONS"], supports_credentials=False, max_age=86400,
     allow_headers=["Authorization", "Content-Type", "Content-Encoding"])


@blueprint.before_request
def _read_and_authenticate() -> None:
    if request.method != "OPTIONS":  # a CORS preflight carries no body and no credentials
        load_tracking_request()


@blueprint.after_request
def _ask_for_basic_auth(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="automap tracking"'
    return response


def _store(calls: Sequence[Call], pointers: Sequence[str]) -> dict[str, bool]:
    """Check who vouched for each call, then hand them to the runtime; Segment takes the client's IP when
    context.ip is missing."""
    for call in calls:
        if not call.context.get("ip") and request.remote_addr:
            call.context["ip"] = request.remote_addr
    settings = current_app.config["AUTOMAP"]
    checked = verify_calls(calls, pointers, trusted=g.trusted_key,
                           identity_secrets=request_keys()[KeyName.IDENTITY_SECRET].accepted,
                           require_user_hash=settings.require_user_hash)
    try:
        ingestion.ingest(runtime.current(), checked)
    except ingestion.IngestionBusy as busy:
        raise ApiError(503, f"{busy}; send the batch again.") from None
    except UnverifiedClaim as claim:
        raise forbidden(pointers[checked.index(claim.call)] + claim.field, str(claim)) from None
    return {"success": True}


def _single_call_view(call_type: str, schema: Schema) -> None:
    """POST /v1/<call_type>: one call."""

    @blueprint.post(f"/{call_type}", endpoint=call_type)
    @blueprint.arguments(schema)
    @blueprint.response(200, Acknowledged)
    @blueprint.doc(summary=f"Record one {call_type} call", description=type(schema).__doc__)
    def view(call: Call) -> dict[str, bool]:
        return _store([call], [""])


for _call_type, _schema in CALL_SCHEMAS.items():
    _single_call_view(_call_type, _schema)


@blueprint.post("/batch")
@blueprint.arguments(BatchSchema)
@blueprint.response(200, Acknowledged)
def batch(body: dict[str, Any]) -> dict[str, bool]:
    """Record many calls in one request (at most 500 KB, each message at most 32 KB)."""
    return _store(body["batch"], [f"/batch/{index}" for index in range(len(body["batch"]))])
