"""`GET /api/flows/<id>/stats` and the contacts behind each number; mounted beside the flows blueprint on /api/flows."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app, jsonify
from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.stats.schemas import FlowStats, NodeContacts, NodeContactsQuery, StatsQuery
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.reports.drilldown import UnknownNode, node_contacts
from workflow_runtime.reports.stats import DayRange, StatsScope, flow_stats, stats_scope

blueprint = Blueprint("stats", __name__,
                      description="Per-node statistics of a flow (all its versions, or one), and the contacts behind them.")
blueprint.before_request(require_admin)


def _scope(flow_id: int, number: int | None) -> StatsScope | None:
    try:
        return stats_scope(db.session, flow_id, number)
    except FlowNotFound as missing:
        raise ApiError(404, f"{str(missing).capitalize()}.") from missing


@blueprint.get("/<int:flow_id>/stats")
@blueprint.arguments(StatsQuery, location="query", error_status_code=400)
@blueprint.response(200, FlowStats)
def get_flow_stats(query: dict[str, Any], flow_id: int) -> Response:
    """Per node: entered, waiting, left by port, ended there, converted, revenue; message counters; split variants;
    each version's totals; a daily series. Every version adds up unless `version` picks one.

    workflow_runtime.reports.stats already shapes plain JSON values as FlowStats documents them, so the
    response is sent as it is: re-serialising ~20 nodes and 90 days field by field through
    marshmallow cost more than reading the counters (bench/stats.py).
    """
    days = DayRange(query.get("first"), query.get("last"))
    scope = _scope(flow_id, query.get("version"))
    if scope is None:
        empty = {"entered": 0, "converted": 0, "conversion_rate": 0.0, "revenue": 0.0}
        return jsonify({"flow_id": flow_id, "version": None, "shown_version": None, "versions": [],
                        "from": _iso(days.first), "to": _iso(days.last), "totals": empty, "nodes": {},
                        "removed_nodes": [], "edges": [], "series": [], "email_configured": _email_configured()})
    return jsonify({**flow_stats(db.session, scope, days), "email_configured": _email_configured()})


def _email_configured() -> bool:
    return current_app.config["AUTOMAP"].smtp_url is not None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@blueprint.get("/<int:flow_id>/nodes/<node_id>/contacts")
@blueprint.arguments(NodeContactsQuery, location="query", error_status_code=400)
@blueprint.response(200, NodeContacts)
def get_node_contacts(query: dict[str, Any], flow_id: int, node_id: str) -> dict[str, Any]:
    """The contacts counted by one metric of one node (latest first), and how many there are."""
    scope = _scope(flow_id, query.get("version"))
    if scope is None:
        raise ApiError(404, f"Flow {flow_id} has no published version yet, so no contacts passed its nodes.")
    try:
        page = node_contacts(db.session, scope, node_id, query["metric"], query["limit"], query["offset"])
    except UnknownNode as missing:
        raise ApiError(404, str(missing)) from missing
    except ValueError as wrong:
        raise ApiError(400, str(wrong), [{"field": "metric", "pointer": "/metric", "location": "query",
                                          "message": str(wrong)}]) from wrong
    return {"contacts": page.contacts, "total": page.total}
