"""JSON errors for every 4xx/5xx the API returns, so clients never parse HTML."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, NotFound


class ApiError(Exception):
    """An error to answer with `status`, a JSON body naming what went wrong, and any `headers` (e.g. Retry-After)."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = dict(headers or {})


class ErrorDetailSchema(Schema):
    """One located problem; flow validation errors add `code` and `node_id`, query errors `location`."""

    field = fields.String(allow_none=True, metadata={"description": "The payload field, dotted."})
    pointer = fields.String(allow_none=True, metadata={"description": "JSON pointer to the problem."})
    message = fields.String(required=True)
    location = fields.String(metadata={"description": "json, query, …"})
    code = fields.String()
    node_id = fields.String(allow_none=True)


class ErrorSchema(Schema):
    """The body of every error answer (documented in OpenAPI as every operation's default response)."""

    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.List(fields.Nested(ErrorDetailSchema))


def _respond(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {"status": status, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="automap"'
    return response, status


def field_errors(messages: Mapping[str, Any], pointer: str = "") -> list[dict[str, Any]]:
    """Flatten marshmallow's nested messages into `{"field", "pointer", "message"}` entries, one per sentence."""
    found: list[dict[str, Any]] = []
    for key, value in messages.items():
        at = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if isinstance(value, Mapping):
            found.extend(field_errors(value, at))
        else:
            for message in value if isinstance(value, list) else [value]:
                if isinstance(message, Mapping):
                    found.extend(field_errors(message, at))
                else:
                    found.append({"field": at.lstrip("/").replace("/", "."), "pointer": at, "message": str(message)})
    return found


def _validation_errors(error: HTTPException) -> list[dict[str, Any]]:
    """flask-smorest puts webargs' messages under `data["messages"]`, keyed by location (json, query, …)."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    found = []
    for location, located in messages.items():
        if not isinstance(located, Mapping):  # about the whole body, e.g. ["Invalid JSON body."]
            sentences = located if isinstance(located, list) else [located]
            found += [{"field": None, "pointer": "", "message": str(m), "location": location} for m in sentences]
            continue
        for entry in field_errors(located):
            found.append({**entry, "location": location})
    return found


def register_error_handlers(app: Flask) -> None:
    """Answer ApiError and HTTP errors with `{"status", "message", "errors"?}`."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        response, status = _respond(error.status, error.message, error.errors)
        response.headers.update(error.headers)
        return response, status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        errors = _validation_errors(error)
        if errors:
            summary = "; ".join(f"{e['field'] or e['location']}: {e['message']}" for e in errors[:5])
            return _respond(error.code or 400, f"The request is not valid: {summary}", errors)
        if isinstance(error, NotFound) and error.description == NotFound.description:
            return _respond(404, f"Nothing is at {request.path}: check the address and the id in it.")
        return _respond(error.code or 500, error.description or error.name)
