"""Personalising one email: subject, preheader, HTML and text parts, from a compiled-once template."""
from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nodes.personalisation import PersonalisationError, render, render_template
from workflow_runtime.channels.email_sandbox import LINKS_VARIABLE
from workflow_runtime.channels.email_template import (
    COMPILED,
    CompiledCache,
    compile_email,
    inline_key,
    prepare,
    template_key,
)
from workflow_runtime.channels.tracking import MessageLinks
from workflow_runtime.storage.models import MessageTemplate

_WHITESPACE = re.compile(r"\s+")


class EmailContentError(ValueError):
    """The email cannot be rendered (its template was deleted, or the personalisation fails).

    Attributes:
        field: the part whose personalisation failed (subject, preheader or body), if one did.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EmailSource:
    """What an email is made from: subject, preheader and MJML body, and the key its compiled form is cached by."""

    key: Hashable
    subject: str
    body: str
    preheader: str = ""
    compiled_html: str | None = None


@dataclass(frozen=True)
class RenderedEmail:
    """One contact's email, ready for the transport."""

    subject: str
    preheader: str
    html: str
    text: str


def source_of(session: Session, content: Mapping[str, Any]) -> EmailSource:
    """The source of a send node's email: its saved template (current version) or its inline subject and body."""
    preheader = str(content.get("preheader", ""))
    template_id = content.get("template_id")
    if template_id is None:
        return EmailSource(inline_key(content["body"]), content["subject"], content["body"], preheader)
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise EmailContentError(f"email template {template_id} no longer exists")
    return template_source(template, preheader)


def template_source(template: MessageTemplate, preheader: str = "") -> EmailSource:
    """The source of a saved email template, with the HTML it was compiled to when saved."""
    return EmailSource(template_key(template.id, template.version, template.created_at), template.subject, template.body, preheader,
                       template.compiled_html)


def render_email(source: EmailSource, variables: Mapping[str, Any], links: MessageLinks | None,
                 cache: CompiledCache = COMPILED) -> RenderedEmail:
    """Fill the compiled template in for one contact; `links` tracks the links (None: a preview, untracked)."""
    if source.compiled_html is not None:
        compiled = cache.get(source.key, lambda: prepare(source.compiled_html or ""))
    else:
        compiled = cache.get(source.key, lambda: compile_email(source.body))
    field = "subject"
    try:
        subject = _one_line(render(source.subject, variables))
        field = "preheader"
        preheader = _one_line(render(source.preheader, variables))
        extra = {
            "preheader": preheader,
            "unsubscribe_url": links.unsubscribe_url if links else "#",
            "open_pixel_url": links.open_pixel_url if links else "",
            LINKS_VARIABLE: links,
        }
        personal = {**variables, **extra}
        field = "body"
        html, text = render_template(compiled.html, personal), render_template(compiled.text, personal)
    except PersonalisationError as error:
        raise EmailContentError(f"cannot personalise the email's {field}: {error}", field) from error
    return RenderedEmail(subject, preheader, html, text)


def _one_line(text: str) -> str:
    """A header value: no line breaks (they would inject headers), runs of space collapsed."""
    if text.isprintable() and "  " not in text:  # its only white space single ASCII spaces: nothing to collapse
        return text.strip()
    return _WHITESPACE.sub(" ", text).strip()
