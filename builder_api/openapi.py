"""The OpenAPI 3 document at /api/openapi.json (builder_api.docs renders it at /api/docs)."""
from __future__ import annotations

from typing import Any

API_CONFIG: dict[str, Any] = {
    "API_TITLE": "automap",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    # /api/docs is builder_api.docs: Swagger UI from an installed package, never a CDN.
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Build, publish and measure automation maps. Send `Authorization: Bearer <token>`, "
            "or log in with `POST /api/session` and send the session cookie, plus `X-CSRF-Token` on writes."
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "automap_session"},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
                # The on-site widget: the site's write key as the Basic user name, then a visitor token.
                "writeKey": {"type": "http", "scheme": "basic"},
                "visitorToken": {"type": "http", "scheme": "bearer"},
                # An email provider's inbound webhook: AUTOMAP_INBOUND_SECRET as the Basic password.
                "inboundSecret": {"type": "http", "scheme": "basic"},
            }
        },
        # Either a bearer token, or the session cookie (with the CSRF header on writes).
        "security": [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}],
    },
}
