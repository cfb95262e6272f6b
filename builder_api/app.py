"""The Flask application factory."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from builder_api.errors import register_error_handlers
from builder_api.extensions import api, cors, db, migrate
from builder_api.openapi import API_CONFIG
from builder_api.settings import Settings, load_settings
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
    from builder_api.node_types.routes import blueprint as node_types
    from builder_api.widget import stream as widget_stream
    from builder_api.widget.routes import blueprint as widget
    from builder_api.widget.routes import script as widget_script

    api.init_app(app)
    app.register_blueprint(health)
    api.register_blueprint(node_types, url_prefix="/api/node-types")
    app.register_blueprint(widget_script)
    api.register_blueprint(widget, url_prefix="/widget")
    widget_stream.init_app(app)
    cors.init_app(app)
    register_error_handlers(app)  # after api.init_app: ours answer every error in one shape
    return app
