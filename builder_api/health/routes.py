"""`/healthz`: is the database reachable, and which backends is this process on."""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from builder_api.extensions import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    """200 when the database answers; load balancers and compose healthchecks poll it."""
    settings = current_app.config["AUTOMAP"]
    db.session.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "database": settings.database_backend,
        "queue": "embedded" if settings.embedded else "redis",
    }, 200
