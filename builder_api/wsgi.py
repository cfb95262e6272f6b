"""The WSGI entry point for gunicorn: `gunicorn builder_api.wsgi:app` (needs AUTOMAP_REDIS_URL)."""
from builder_api.app import create_wsgi_app

app = create_wsgi_app()
