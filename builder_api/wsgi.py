"""The WSGI entry point for gunicorn: `gunicorn builder_api.wsgi:app`."""
from redis import Redis

from builder_api.app import configure_runtime, create_app

app = create_app()
if not app.config["AUTOMAP"].embedded:
    # Runs the API starts (enrolments, resumed flows) go to the workers at once, not at the next reconcile.
    configure_runtime(app.config["AUTOMAP"], Redis.from_url(app.config["AUTOMAP"].redis_url))
