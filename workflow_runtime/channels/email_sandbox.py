"""The Jinja sandboxes an email is personalised in: HTML-escaping for the HTML part, plain for the text part.

Like nodes.personalisation's sandbox (they are PersonalisationSandboxes), they refuse attribute
tricks that reach Python internals and arithmetic too large to compute; unlike it, the HTML one
escapes every value it fills in, so a contact named `<script>` arrives as text. Both carry the filters that compiling wraps around each
link, so the link is personalised first and then signed for its message: `track_link` for
a target the template wrote, `track_personal_link` for one personalisation filled in, which
is tracked only on an allow-listed domain (see `tracking`).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from nodes.personalisation import PersonalisationSandbox
from workflow_runtime.channels.tracking import MessageLinks

# The variable naming a send's link tracker (MessageLinks; None: a preview, untracked).
LINKS_VARIABLE = "automap_links"

# An attribute's character references end with ';' (a bare '&reg' in a query string is not one).
_REFERENCE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

# How a link's target becomes the URL in the email: MessageLinks.literal or MessageLinks.personalised.
Track = Callable[[MessageLinks, str], str]


def _links(context: Context) -> MessageLinks | None:
    links = context.get(LINKS_VARIABLE)
    return links if isinstance(links, MessageLinks) else None


def _html_filter(track: Track) -> Callable[[Context, Any], Markup]:
    """A filter over an href's (escaped) text: unescape the URL, `track` it, escape the result back."""
    @pass_context
    def track_link(context: Context, value: Any) -> Markup:
        links = _links(context)
        url = str(value)
        if "&" in url:
            url = _REFERENCE.sub(lambda ref: unescape(ref.group(0)), url)
        url = url.strip()
        return Markup(escape(track(links, url) if links else url, quote=True))
    return track_link


def _text_filter(track: Track) -> Callable[[Context, Any], str]:
    """A filter over a link's URL in the plain-text part: `track` it."""
    @pass_context
    def track_link(context: Context, value: Any) -> str:
        links = _links(context)
        url = str(value).strip()
        return track(links, url) if links else url
    return track_link


def _sandbox(autoescape: bool, filter_of: Callable[[Track], Callable[..., Any]]) -> PersonalisationSandbox:
    environment = PersonalisationSandbox(autoescape=autoescape, keep_trailing_newline=True)
    environment.filters["track_link"] = filter_of(MessageLinks.literal)
    environment.filters["track_personal_link"] = filter_of(MessageLinks.personalised)
    return environment


HTML_SANDBOX = _sandbox(True, _html_filter)
TEXT_SANDBOX = _sandbox(False, _text_filter)
