"""The Flask application factory."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from redis import Redis

from builder_api.errors import register_error_handlers
from builder_api.extensions import api, db, migrate
from builder_api.openapi import API_CONFIG
from builder_api.settings import Settings, SettingsError, load_settings
from workflow_runtime import runtime
from workflow_runtime.database import configure_engine, engine_options

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "workflow_runtime" / "migrations"


def create_app(overrides: Mapping[str, Any] | None = None, *, settings: Settings | None = None) -> Flask:
    """Build the app from the environment; tests pass `overrides` (Settings field → value)."""
    settings = settings or load_settings(overrides=overrides)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        AUTOMAP=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url),
        JSON_SORT_KEYS=False,
        **API_CONFIG,
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        configure_engine(db.engine)

    from builder_api.health.routes import blueprint as health
    from builder_api.ingest.routes import blueprint as ingest
    from builder_api.node_types.routes import blueprint as node_types

    api.init_app(app)
    app.register_blueprint(health)
    api.register_blueprint(node_types, url_prefix="/api/node-types")
    api.register_blueprint(ingest, url_prefix="/v1")
    register_error_handlers(app)  # after api.init_app: ours answer every error in one shape
    return app


def configure_runtime(settings: Settings, connection: Redis) -> runtime.Runtime:
    """Make the runtime this process queues (and, for workers, runs) jobs with: its database, Redis and clock."""
    return runtime.configure(
        runtime.build(settings.database_url, connection, clock=settings.clock, batch_size=settings.batch_size)
    )


def create_wsgi_app() -> Flask:
    """The app a WSGI server (gunicorn) runs: the API of a real deployment, queueing work for `automap worker`s.

    Raises:
        SettingsError: in embedded mode, where no worker would ever see the queued work.
    """
    app = create_app()
    settings: Settings = app.config["AUTOMAP"]
    if settings.embedded:
        raise SettingsError(
            "AUTOMAP_REDIS_URL is not set: a WSGI server runs the API of a deployment with Redis and workers; "
            "without them run `automap serve`, which embeds the queue, worker and scheduler."
        )
    configure_runtime(settings, Redis.from_url(settings.redis_url))
    return app
