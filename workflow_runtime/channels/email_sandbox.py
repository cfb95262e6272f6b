"""The Jinja sandboxes an email is personalised in: HTML-escaping for the HTML part, plain for the text part.

Like nodes.personalisation's sandbox, they refuse attribute tricks that reach
Python internals; unlike it, the HTML one escapes every value it fills in, so a contact
named `<script>` arrives as text. Both carry the `track_link` filter that compiling wraps
around each link, so the link is personalised first and then signed for its message.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

# The variable naming a send's link tracker: a callable from a target URL to the URL put in the email.
LINKS_VARIABLE = "automap_links"

# An attribute's character references end with ';' (a bare '&reg' in a query string is not one).
_REFERENCE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

LinkTracker = Callable[[str], str]


def _tracker(context: Context) -> LinkTracker | None:
    tracker = context.get(LINKS_VARIABLE)
    return tracker if callable(tracker) else None


@pass_context
def _track_html_link(context: Context, value: Any) -> Markup:
    """The href's (escaped) text is a URL: unescape it, track it, escape the tracked URL back."""
    tracker = _tracker(context)
    url = _REFERENCE.sub(lambda ref: unescape(ref.group(0)), str(value)).strip()
    return Markup(escape(tracker(url) if tracker else url, quote=True))


@pass_context
def _track_text_link(context: Context, value: Any) -> str:
    tracker = _tracker(context)
    url = str(value).strip()
    return tracker(url) if tracker else url


def _sandbox(autoescape: bool, track_link: Callable[..., Any]) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(autoescape=autoescape, keep_trailing_newline=True)
    environment.filters["track_link"] = track_link
    return environment


HTML_SANDBOX = _sandbox(True, _track_html_link)
TEXT_SANDBOX = _sandbox(False, _track_text_link)
