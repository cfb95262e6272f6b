"""Flask extensions, created unbound here and bound to an app in create_app()."""
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from builder_api.errors import ErrorSchema
from workflow_runtime.storage.models import Base

# The models live in the runtime (which imports no Flask); sharing their metadata
# gives Flask-SQLAlchemy's session the tables the migrations build.
db = SQLAlchemy(metadata=Base.metadata)


class AutomapApi(Api):
    """flask-smorest's Api, documenting errors in the shape builder_api.errors answers them."""

    ERROR_SCHEMA = ErrorSchema


# flask-smorest: marshmallow-described views and the OpenAPI document built from them.
api = AutomapApi()
# Browsers on customers' sites call the widget API: any origin, credentials in headers (write key,
# visitor token), never cookies. The /v1 ingestion blueprint declares its own CORS.
cors = CORS(
    resources={r"/widget/*": {"origins": "*"}},
    allow_headers=["Authorization", "Content-Type"],
    max_age=86400,
)
# Requests per client address, where a route sets a limit (Flask-Limiter): counted in Redis, so shared by every
# API process, or in memory in embedded mode (builder_api.app sets the storage).
limiter = Limiter(get_remote_address)
