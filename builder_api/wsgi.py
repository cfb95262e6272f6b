"""The WSGI entry point for gunicorn: `gunicorn builder_api.wsgi:app`."""
from builder_api.app import create_app

app = create_app()
