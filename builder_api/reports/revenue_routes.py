"""`/api/reports/revenue`: revenue over time by first-touch source, medium, campaign or flow, and the contacts
behind a row; `/api/reports/revenue/events`: which events are orders (the workspace's setting)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.ids import MAX_ID
from builder_api.reports.revenue_schemas import (
    RevenueContacts,
    RevenueContactsQuery,
    RevenueEventList,
    RevenueReport,
    RevenueReportQuery,
)
from builder_api.runtime_access import now
from workflow_runtime.engine.revenue import SETTING, RevenueEvent, revenue_events, save_revenue_events
from workflow_runtime.reports.revenue_report import Breakdown, RevenueQuery, revenue_contacts, revenue_report
from workflow_runtime.storage.models import WorkspaceSetting

blueprint = Blueprint("revenue", __name__, description="Revenue over time, and which events are orders.")
blueprint.before_request(require_admin)

DEFAULT_DAYS = 30
MAX_PERIODS = 1000


def _query(query: dict[str, Any]) -> RevenueQuery:
    """The report's query: the range the request names, else the 30 days up to `to` (default today); at most
    MAX_PERIODS periods, so a request cannot ask for a series of millions of days."""
    last = query.get("last") or now().date()
    default_span = timedelta(days=DEFAULT_DAYS - 1)
    first = query.get("first") or (last - default_span if last - date.min > default_span else date.min)
    revenue_query = RevenueQuery(first, last, query["by"], query["interval"])
    if revenue_query.period_count > MAX_PERIODS:
        message = (f"{first} to {last} is {revenue_query.period_count} {query['interval'].value}s: at most "
                   f"{MAX_PERIODS} periods, pick a longer interval or a shorter range.")
        raise ApiError(400, message, [{"field": "interval", "pointer": "/interval", "location": "query",
                                       "message": message}])
    return revenue_query


@blueprint.get("")
@blueprint.arguments(RevenueReportQuery, location="query", error_status_code=400)
@blueprint.response(200, RevenueReport)
def get_revenue_report(query: dict[str, Any]) -> dict[str, Any]:
    """Revenue per period in the range, in all (the workspace's orders) and by the contacts' first-touch UTM
    source, medium or campaign (adding up to the total) or by what each flow's goal credited (which does not)."""
    return revenue_report(db.session, _query(query))


@blueprint.get("/contacts")
@blueprint.arguments(RevenueContactsQuery, location="query", error_status_code=400)
@blueprint.response(200, RevenueContacts)
def get_revenue_contacts(query: dict[str, Any]) -> dict[str, Any]:
    """The contacts behind a row of the report (same range and breakdown), most revenue first, a page at a time."""
    key = query["key"]
    # ASCII digits only ("²".isdigit() holds), and an id PostgreSQL's integer can hold.
    if query["by"] is Breakdown.FLOW and not (key.isascii() and key.isdigit() and int(key) <= MAX_ID):
        message = f"By flow, a row's key is the flow's id: {query['key']!r} is none."
        raise ApiError(400, message, [{"field": "key", "pointer": "/key", "location": "query", "message": message}])
    return revenue_contacts(db.session, _query(query), query["key"], query["limit"], query["offset"])


@blueprint.get("/events")
@blueprint.response(200, RevenueEventList)
def get_revenue_events() -> dict[str, Any]:
    """The events that are orders, each with the property holding its amount: what a contact's lifetime revenue
    and the report add up."""
    return {"items": [revenue.as_json() for revenue in revenue_events(db.session)],
            "default": db.session.get(WorkspaceSetting, SETTING) is None}


@blueprint.put("/events")
@blueprint.arguments(RevenueEventList, error_status_code=400)
@blueprint.response(200, RevenueEventList)
def put_revenue_events(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the events that are orders (an empty list: nothing is revenue). Every figure of revenue read from
    events follows at once: they are computed when asked for, never stored."""
    save_revenue_events(db.session, [RevenueEvent(item["event"], item["amount_property"]) for item in body["items"]],
                        now())
    db.session.commit()
    return get_revenue_events()

