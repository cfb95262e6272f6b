"""The Flask application factory."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from redis import Redis

from builder_api import login_throttle
from builder_api.api_tokens.routes import blueprint as api_tokens
from builder_api.broadcasts.routes import blueprint as broadcasts
from builder_api.contacts.routes import blueprint as contacts
from builder_api.conversations.routes import blueprint as conversations
from builder_api.docs.routes import blueprint as docs
from builder_api.errors import register_error_handlers
from builder_api.extensions import api, cors, db, limiter
from builder_api.failures.routes import blueprint as failures
from builder_api.flows.forecast_routes import blueprint as forecasts
from builder_api.flows.routes import blueprint as flows
from builder_api.frontend.routes import blueprint as frontend
from builder_api.health.routes import blueprint as health
from builder_api.ids import bound_url_ids
from builder_api.inbound.routes import blueprint as inbound
from builder_api.ingest.routes import blueprint as ingest
from builder_api.mail import email_settings
from builder_api.message_templates.routes import blueprint as message_templates
from builder_api.node_types.routes import blueprint as node_types
from builder_api.openapi import API_CONFIG
from builder_api.reports.funnel_routes import blueprint as funnels
from builder_api.reports.revenue_routes import blueprint as revenue
from builder_api.reports.routes import blueprint as reports
from builder_api.request_values import refuse_unstorable_values
from builder_api.scenarios.routes import blueprint as scenarios
from builder_api.segments.routes import blueprint as segments
from builder_api.session.routes import blueprint as login_session
from builder_api.settings import Settings, SettingsError, load_settings
from builder_api.stats.routes import blueprint as stats
from builder_api.suggestions.routes import blueprint as suggestions
from builder_api.tracking.routes import blueprint as tracking
from builder_api.users.routes import blueprint as users
from builder_api.widget.routes import blueprint as widget
from builder_api.widget.routes import script as widget_script
from builder_api.workspace.routes import blueprint as workspace
from nodes import outbound
from workflow_runtime.dispatch import runtime
from workflow_runtime.storage.database import configure_engine, engine_options


def create_app(overrides: Mapping[str, Any] | None = None, *, settings: Settings | None = None) -> Flask:
    """Build the app from the environment; tests pass `overrides` (Settings field → value)."""
    settings = settings or load_settings(overrides=overrides)
    outbound.configure(settings.outbound_policy)  # what webhooks may call, in every process
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        AUTOMAP=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url),
        JSON_SORT_KEYS=False,
        # No request needs more (a flow document is tens of KB; /v1 sets its own, smaller limits).
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        # The builder's login cookie: out of reach of page scripts, not sent on cross-site requests.
        SESSION_COOKIE_NAME="automap_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        **API_CONFIG,
    )
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    login_throttle.install(app, settings)

    bound_url_ids(app)
    api.init_app(app)
    app.register_blueprint(health)
    app.register_blueprint(docs)
    app.register_blueprint(tracking)
    api.register_blueprint(node_types, url_prefix="/api/node-types")
    api.register_blueprint(message_templates, url_prefix="/api/message-templates")
    api.register_blueprint(login_session, url_prefix="/api/session")
    api.register_blueprint(flows, url_prefix="/api/flows")
    api.register_blueprint(scenarios, url_prefix="/api/scenarios")
    # Beside the flows blueprint on the same prefix: a blueprint of its own name, routes of its own.
    api.register_blueprint(stats, url_prefix="/api/flows")
    api.register_blueprint(forecasts, url_prefix="/api/flows")
    api.register_blueprint(contacts, url_prefix="/api/contacts")
    api.register_blueprint(segments, url_prefix="/api/segments")
    api.register_blueprint(suggestions, url_prefix="/api/suggestions")
    api.register_blueprint(failures, url_prefix="/api/failures")
    api.register_blueprint(broadcasts, url_prefix="/api/broadcasts")
    api.register_blueprint(workspace, url_prefix="/api/workspace")
    api.register_blueprint(users, url_prefix="/api/users")
    api.register_blueprint(api_tokens, url_prefix="/api/api-tokens")
    api.register_blueprint(conversations, url_prefix="/api/conversations")
    api.register_blueprint(reports, url_prefix="/api/reports")
    api.register_blueprint(funnels, url_prefix="/api/reports/funnels")
    api.register_blueprint(revenue, url_prefix="/api/reports/revenue")
    app.register_blueprint(widget_script)
    api.register_blueprint(widget, url_prefix="/widget")
    cors.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    api.register_blueprint(ingest, url_prefix="/v1")
    api.register_blueprint(inbound, url_prefix="/inbound")
    app.register_blueprint(frontend)  # last: its catch-all route serves the canvas's client-side routes
    register_error_handlers(app)  # after api.init_app: ours answer every error in one shape
    app.before_request(refuse_unstorable_values)
    return app


def configure_runtime(settings: Settings, connection: Redis) -> runtime.Runtime:
    """Make this process's runtime (database, clock, job queue and wake-ups on `connection`) the one its jobs and views use."""
    return runtime.configure(
        runtime.build(settings.database_url, connection, clock=settings.clock, batch_size=settings.batch_size,
                      email=email_settings(settings))
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
