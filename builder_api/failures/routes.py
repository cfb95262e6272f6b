"""`/api/failures`: dead letters — the runs, events and segment checks that failed alone, to read, retry or discard.

A batch that fails for a reason of its own is split until the item that fails alone is
found; that item is parked here with its traceback and the rest of the batch goes on
(workflow_runtime.dispatch.jobs). Retry once the cause is fixed (a contact's data, an
integration, a deploy): the item goes back where it was and its job is queued again.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.failures.schemas import (
    DiscardedSchema,
    FailureDetailSchema,
    FailureIds,
    FailureListSchema,
    FailureQuery,
    RetriedSchema,
)
from builder_api.runtime_access import job_queue, now
from workflow_runtime.dispatch import dead_letters
from workflow_runtime.storage.models import Failure, FailureKind, FailureState

blueprint = Blueprint("failures", __name__, description="Dead letters: what failed alone, with its traceback.")
blueprint.before_request(require_admin)


@blueprint.get("")
@blueprint.arguments(FailureQuery, location="query", error_status_code=400)
@blueprint.response(200, FailureListSchema)
def list_failures(query: dict[str, Any]) -> dict[str, Any]:
    """The failures, the latest first: quarantined ones unless `state` says otherwise."""
    state = None if query["state"] == "all" else FailureState(query["state"])
    kind = FailureKind(query["kind"]) if "kind" in query else None
    items, total = dead_letters.listed(db.session, state, kind, query["limit"], query["offset"])
    labels = dead_letters.node_labels(db.session, items)
    return {"items": [_with_label(failure, labels.get(failure.id)) for failure in items], "total": total}


def _with_label(failure: Failure, node_label: str | None) -> dict[str, Any]:
    """The failure's columns, and its step's name as the canvas shows it."""
    return {**{column.key: getattr(failure, column.key) for column in Failure.__table__.columns},
            "node_label": node_label}


@blueprint.get("/<int:failure_id>")
@blueprint.response(200, FailureDetailSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No failure has this id.")
def get_failure(failure_id: int) -> dict[str, Any]:
    """One failure, with its traceback."""
    failure = db.session.get(Failure, failure_id)
    if failure is None:
        raise ApiError(404, f"There is no failure {failure_id}: GET /api/failures lists them.")
    return _with_label(failure, dead_letters.node_labels(db.session, [failure]).get(failure.id))


@blueprint.post("/retry")
@blueprint.arguments(FailureIds)
@blueprint.response(200, RetriedSchema)
def retry_failures(body: dict[str, Any]) -> dict[str, Any]:
    """Put these quarantined items back and queue their jobs; one that fails again is quarantined again."""
    reopened = dead_letters.retry(db.session, body["ids"], now())
    db.session.commit()
    dead_letters.queue(job_queue(), reopened.values())
    return {"retried": list(reopened)}


@blueprint.post("/discard")
@blueprint.arguments(FailureIds)
@blueprint.response(200, DiscardedSchema)
def discard_failures(body: dict[str, Any]) -> dict[str, Any]:
    """Give up on these quarantined items: a parked run stays `errored`, an event unapplied."""
    discarded = dead_letters.discard(db.session, body["ids"], now())
    db.session.commit()
    return {"discarded": discarded}
