"""Compiling an MJML email once per template version into ready-to-personalise HTML and text templates.

MJML costs milliseconds a compile; personalising compiled HTML costs microseconds. So
MJML is compiled with the `{{ … }}` placeholders still in it, and Jinja (in the sandbox)
fills them in per contact afterwards. Compiling also prepares what every send needs:
links wrapped in a tracking filter, a slot for the preheader and the open pixel,
and the plain-text part derived from the HTML — all once, not per send.

Which filter is decided here, once: an href with no `{{ }}`, `{% %}` or `{# #}` in it is what
the marketer wrote (`track_link`: a tracked redirect); any other href is filled in by
personalisation, perhaps from a property a visitor set (`track_personal_link`: tracked only on
an allow-listed domain, otherwise left as it is, so our domain never vouches for it).

Caches: an in-process LRU keyed by (template id, version, created) or by a hash of an inline
body. Across workers, a saved template carries its compiled HTML (compiled when the API
saved it, which it must do anyway to validate), so no worker runs MJML for it; an
inline body is compiled once per worker process, which a shared cache would save only
at a network round trip per send.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from jinja2 import Template, TemplateError
from mjml import mjml_to_html

from workflow_runtime.channels.email_sandbox import HTML_SANDBOX, TEXT_SANDBOX

# MJML writes every attribute double-quoted, so this finds each link it produced.
_LINK = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
# Jinja's delimiters: an href with one in it is personalised, so any of it may come from a contact.
_PERSONALISED = re.compile(r"\{[{%#]")
_UNTRACKED = re.compile(r"^\s*(mailto:|tel:|sms:|#|\{\{\s*unsubscribe_url\s*\}\}\s*$)", re.IGNORECASE)
_TEXT_CONFIG = ParserConfig(display_links=True)

PREHEADER_SLOT = ('{% if preheader %}<div style="display:none;font-size:1px;line-height:1px;max-height:0;'
                  'max-width:0;opacity:0;overflow:hidden;mso-hide:all">{{ preheader }}</div>{% endif %}')
OPEN_PIXEL_SLOT = ('{% if open_pixel_url %}<img src="{{ open_pixel_url }}" width="1" height="1" alt="" '
                   'style="display:block;height:1px;width:1px;border:0">{% endif %}')


class MjmlError(ValueError):
    """The MJML could not be compiled; the message says where, for the marketer."""


@dataclass(frozen=True)
class CompiledEmail:
    """An email body compiled once: a sandboxed Jinja template for the HTML part and one for the text part."""

    html: Template
    text: Template


def compile_mjml(mjml: str) -> str:
    """MJML to HTML, placeholders untouched; MjmlError if it is not valid MJML."""
    if not re.match(r"\s*<mjml[\s>]", mjml):
        raise MjmlError("an MJML document starts with <mjml>")
    try:
        result = mjml_to_html(mjml)
    except KeyError as error:  # the mjml package's way of meeting a tag it does not know
        raise MjmlError(f"unknown MJML tag <{error.args[0]}>") from error
    except Exception as error:  # noqa: BLE001 - the mjml package raises KeyError, AttributeError, … for bad input
        raise MjmlError(f"not valid MJML ({type(error).__name__}: {error})") from error
    if result.errors:
        raise MjmlError("; ".join(str(problem) for problem in result.errors))
    return str(result.html)


def prepare(html: str) -> CompiledEmail:
    """Turn compiled HTML into the per-send templates: tracked links, preheader and pixel slots, text part."""
    linked = _LINK.sub(_wrap_link, html)
    text = _tidy(get_text(linked, _TEXT_CONFIG))
    with_slots = _BODY_CLOSE.sub(lambda end: OPEN_PIXEL_SLOT + end.group(0), linked, count=1)
    with_slots = _BODY_OPEN.sub(lambda start: start.group(0) + PREHEADER_SLOT, with_slots, count=1)
    try:
        return CompiledEmail(HTML_SANDBOX.from_string(with_slots), TEXT_SANDBOX.from_string(text))
    except TemplateError as error:
        raise MjmlError(f"the personalisation is broken: {error}") from error


def compile_email(mjml: str) -> CompiledEmail:
    """Compile an MJML body all the way, with no cache: what a send costs without compile-once."""
    return prepare(compile_mjml(mjml))


def _tidy(text: str) -> str:
    """MJML's layout tables leave indentation and blank runs in the text part: one blank line at most."""
    lines = (line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _wrap_link(match: re.Match[str]) -> str:
    """An href in the tracking filter its kind needs: a literal target, or one personalisation fills in."""
    start, href, end = match.groups()
    if _UNTRACKED.match(href) or not href.strip():
        return match.group(0)
    track = "track_personal_link" if _PERSONALISED.search(href) else "track_link"
    return f"{start}{{% filter {track} %}}{href}{{% endfilter %}}{end}"


@lru_cache(maxsize=256)
def inline_key(body: str) -> tuple[str, str]:
    """The cache key of an inline MJML body (a send node's own body): its hash, worked out once per body (the messages
    of a send node carry the same one; hashing it took OpenSSL ~30k instructions an email)."""
    return ("inline", hashlib.sha256(body.encode()).hexdigest())


def template_key(template_id: int, version: int, created_at: datetime) -> tuple[str, int, int, datetime]:
    """The cache key of a saved template: a version never changes, so neither does its compiled form.

    The creation time tells apart two templates that got the same id (a database restored or
    emptied under running workers), which would otherwise share a stale entry.
    """
    return ("template", template_id, version, created_at)


class CompiledCache:
    """A thread-safe LRU of compiled emails; a miss compiles outside the lock (two threads may both compile)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, CompiledEmail] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], CompiledEmail]) -> CompiledEmail:
        """The compiled email under `key`, building it on a miss."""
        with self._lock:
            compiled = self._entries.get(key)
            if compiled is not None:
                self._entries.move_to_end(key)
                return compiled
        compiled = build()
        with self._lock:
            self.misses += 1
            self._entries[key] = compiled
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return compiled


COMPILED = CompiledCache()
