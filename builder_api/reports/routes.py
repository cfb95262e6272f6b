"""`/api/reports`: figures across flows and conversations — the inbox's response times, every message's results."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.reports.schemas import InboxReport, InboxReportQuery, MessagesReport, MessagesReportQuery
from builder_api.reports.time_range import report_range
from builder_api.runtime_access import now
from workflow_runtime.audience.contact_export import csv_lines
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.inbox import response_times
from workflow_runtime.reports.messages_report import MessagesFilter, messages_report, table
from workflow_runtime.reports.stats import DayRange

blueprint = Blueprint("reports", __name__, description="Reports across flows and conversations.")
blueprint.before_request(require_admin)



@blueprint.get("/inbox")
@blueprint.arguments(InboxReportQuery, location="query")
@blueprint.response(200, InboxReport)
def inbox_report(query: dict[str, Any]) -> dict[str, Any]:
    """How fast the team answered in a window (default: the last 30 days): first-response and reply times, overall
    and per operator (medians and 90th percentiles, in seconds)."""
    since, until = report_range(query.get("since"), query.get("until"), now())
    if since >= until:
        raise ApiError(400, "The window is empty: `from` must come before `to` (default: now).",
                       [{"field": "from", "pointer": "/from", "location": "query", "message": "After `to`."}])
    return {"since": since.isoformat(), "until": until.isoformat(),
            **response_times.report(db.session, since, until)}


MESSAGES_CSV_DESCRIPTION = (
    "A CSV file (UTF-8 with a byte order mark, so spreadsheets read accents right): a header row, then the report's "
    "rows in its order, rates as shares of `sent`. Text a spreadsheet would run as a formula (=, +, -, @ first) "
    "starts with a quote.")


def _messages_report(query: dict[str, Any]) -> dict[str, Any]:
    """The messages report for the query's filters; a flow that does not exist is a 400 naming `flow_id`."""
    filters = MessagesFilter(query.get("channel"), query.get("flow_id"), DayRange(query.get("first"), query.get("last")))
    try:
        return messages_report(db.session, filters)
    except FlowNotFound as missing:
        message = f"There is no flow with id {filters.flow_id}: pick an existing one."
        raise ApiError(400, message, [{"field": "flow_id", "pointer": "/flow_id", "location": "query",
                                       "message": message}]) from missing


@blueprint.get("/messages")
@blueprint.arguments(MessagesReportQuery, location="query", error_status_code=400)
@blueprint.response(200, MessagesReport)
def get_messages_report(query: dict[str, Any]) -> dict[str, Any]:
    """Every send node of every flow (archived ones included), a row per channel: sent, delivered, read, clicked,
    replied, unsubscribed, failed, queued, goal conversions and revenue, with rates; every version added up."""
    return _messages_report(query)


@blueprint.get("/messages.csv")
@blueprint.arguments(MessagesReportQuery, location="query", error_status_code=400)
@blueprint.doc(responses={"200": {"description": MESSAGES_CSV_DESCRIPTION,
                                  "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_messages_report(query: dict[str, Any]) -> Response:
    """Download the messages report's rows, with the same filters, as CSV (a row per send node and channel: a
    table as small as the flows, written at once)."""
    return Response("\ufeff" + csv_lines(list(table(_messages_report(query)))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="messages-{now():%Y-%m-%d}.csv"'})
