"""`/api/reports`: figures across flows and conversations — today the inbox's response times."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.reports.schemas import InboxReport, InboxReportQuery
from builder_api.runtime_access import now
from workflow_runtime.inbox import response_times

blueprint = Blueprint("reports", __name__, description="Reports across flows and conversations.")
blueprint.before_request(require_admin)

DEFAULT_WINDOW = timedelta(days=30)


@blueprint.get("/inbox")
@blueprint.arguments(InboxReportQuery, location="query")
@blueprint.response(200, InboxReport)
def inbox_report(query: dict[str, Any]) -> dict[str, Any]:
    """How fast the team answered in a window (default: the last 30 days): first-response and reply times, overall
    and per operator (medians and 90th percentiles, in seconds)."""
    until = query.get("until") or now()
    since = query.get("since") or until - DEFAULT_WINDOW
    if since >= until:
        raise ApiError(400, "The window is empty: `from` must come before `to` (default: now).",
                       [{"field": "from", "pointer": "/from", "location": "query", "message": "After `to`."}])
    return {"since": since.isoformat(), "until": until.isoformat(),
            **response_times.report(db.session, since, until)}
