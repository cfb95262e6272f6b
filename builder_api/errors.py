"""JSON errors for every 4xx/5xx the API returns, so clients never parse HTML."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error to answer with `status` and a JSON body naming what went wrong."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def _respond(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {"status": status, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="automap"'
    return response, status


def register_error_handlers(app: Flask) -> None:
    """Answer ApiError and HTTP errors with `{"status", "message", "errors"?}`."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return _respond(error.status, error.message, error.errors)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        return _respond(error.code or 500, error.description or error.name)
