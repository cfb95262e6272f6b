"""The Content-Security-Policy of the pages automap serves: the canvas and the API reference.

Both run scripts from this origin only, so a string that slips into a page cannot run as
script, and no other site may frame them (clickjacking). The canvas also allows inline and
https styles, images and fonts: its email previews show compiled MJML, which carries `<style>`
blocks and the template's own images and web fonts, in sandboxed `srcdoc` frames that inherit
the page's policy. JSON answers, `/widget.js` and `/v1` get no policy: it governs documents,
not data or scripts.
"""
from __future__ import annotations

from flask import Response

# What both pages share: nothing from other origins runs, embeds or frames them.
_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# The canvas previews emails as their recipients see them: their images, stylesheets and web fonts come from
# wherever the marketer's template points (https only); their scripts never run (the frames are sandboxed).
# 'unsafe-eval': the config forms' validator (react-jsonschema-form's Ajv) compiles each JSON Schema the API
# serves into a function; without it, forms whose schema has if/then or oneOf pick the wrong fields. It lets
# the canvas's own scripts turn strings into code; scripts from anywhere but this origin still never load.
CANVAS_POLICY = {
    **_BASE,
    "script-src": "'self' 'unsafe-eval'",
    "style-src": "'self' 'unsafe-inline' https:",
    "img-src": "'self' data: https:",
    "font-src": "'self' data: https:",
}

# The API reference (Swagger UI, served from the installed package): its icons are data: URIs.
DOCS_POLICY = {
    **_BASE,
    "style-src": "'self'",
    "img-src": "'self' data:",
}


def header_value(policy: dict[str, str]) -> str:
    """The policy as a Content-Security-Policy header value."""
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def protect_page(response: Response, policy: dict[str, str]) -> Response:
    """Add `policy` (and the headers older browsers read instead) to an HTML response; other responses pass."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = header_value(policy)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response
