"""Saved message templates: checked and compiled when saved, previewed with sample data or a real contact,
test-sent; and a send node's own message previewed the same way.

An email template's MJML is compiled when it is saved — that both validates it and
stores the HTML every worker personalises, so no worker compiles it again; each edit
bumps `version`, which keys the render caches.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from nodes.personalisation import PersonalisationError, contact_variables, render, render_value, syntax_error
from workflow_runtime.authoring.flow_store import unique_name
from workflow_runtime.channels.email import EmailSettings, build_email, send_now
from workflow_runtime.channels.email_render import (
    EmailContentError,
    EmailSource,
    RenderedEmail,
    render_email,
    template_source,
)
from workflow_runtime.channels.email_template import MjmlError, compile_mjml, inline_key
from workflow_runtime.channels.smtp import SmtpFailure
from workflow_runtime.storage.models import Channel, Contact, Flow, FlowVersion, MessageTemplate

# A contact who left only an email address: what a preview shows without a chosen contact is every
# `default(…)` fallback, as the contacts who have no name read them.
DEFAULT_SAMPLE: dict[str, Any] = {
    "contact": {"email": "alex@example.com"},
    "event": {},
}


class TemplateInvalid(ValueError):
    """A template field cannot be saved or rendered; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class TemplateInUse(ValueError):
    """The template is referenced by a flow, so deleting it would break that flow's sends."""


class SendTestFailed(RuntimeError):
    """The test email could not be handed to the SMTP server (or none is configured)."""


@dataclass(frozen=True)
class Preview:
    """A template rendered for sample data."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class MessagePreview:
    """A send node's own message rendered for one contact.

    Attributes:
        content: the message's fields with every text filled in (a chat message's or popup's whole
            content; an email's subject and preheader).
        html: an email's HTML as the inbox shows it; None for a chat message or popup.
        text: an email's plain-text part; None for a chat message or popup.
    """

    content: dict[str, Any]
    html: str | None = None
    text: str | None = None


def save(session: Session, template: MessageTemplate, changes: Mapping[str, Any]) -> MessageTemplate:
    """Apply `changes` (name, channel, subject, body) after checking them; an edit bumps the version."""
    merged = {key: changes.get(key, getattr(template, key, None)) for key in ("name", "channel", "subject", "body")}
    channel = Channel(merged["channel"])
    for field in ("subject", "body"):
        if merged[field] and (error := syntax_error(merged[field])):
            raise TemplateInvalid(field, f"the personalisation is broken ({error}): fix the {{{{ … }}}}")
    compiled_html = None
    if channel is Channel.EMAIL:
        if not (merged["subject"] or "").strip():
            raise TemplateInvalid("subject", "an email template needs a subject")
        try:
            compiled_html = compile_mjml(merged["body"])
        except MjmlError as error:
            raise TemplateInvalid("body", f"the MJML does not compile: {error}") from error
    for key, value in merged.items():
        setattr(template, key, value if key != "channel" else channel)
    template.subject = merged["subject"] or ""
    template.compiled_html = compiled_html
    session.add(template)
    session.flush()
    return template


def sample_variables(sample: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a template sees for sample data `{"contact": {...}, "event": {...}}` (the default sample if none)."""
    sample = sample or DEFAULT_SAMPLE
    return contact_variables(dict(sample.get("contact") or {}), {}, {"properties": dict(sample.get("event") or {})})


def preview_variables(session: Session, sample: Mapping[str, Any] | None, contact_id: int | None) -> dict[str, Any]:
    """What a previewed message sees: the contact `contact_id`'s fields and properties, exactly as a send to them
    does, with the sample's event; without a contact, the sample (the default sample if none)."""
    if contact_id is None:
        return sample_variables(sample)
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise TemplateInvalid("contact_id", f"there is no contact {contact_id}: choose another")
    event = dict((sample or {}).get("event") or {})
    return contact_variables(contact.builtin_fields(), contact.properties or {}, {"properties": event})


def preview(template: MessageTemplate, variables: Mapping[str, Any]) -> Preview:
    """The template rendered for `variables` (see preview_variables); links are left untracked."""
    if template.channel is Channel.EMAIL:
        try:
            rendered = render_email(template_source(template), variables, links=None)
        except EmailContentError as error:
            raise _unrenderable(error.field or "body", error) from error
        return Preview(rendered.subject, rendered.html, rendered.text)
    field = "body"
    try:
        text = render(template.body, variables)
        field = "subject"
        subject = render(template.subject, variables)
    except PersonalisationError as error:
        raise _unrenderable(field, error) from error
    html = "<p>" + str(escape(text)).replace("\n", "<br>") + "</p>"
    return Preview(subject, html, text)


def preview_message(channel: Channel, content: Mapping[str, Any], variables: Mapping[str, Any]) -> MessagePreview:
    """A send node's own message (`content`: its subject, preheader and MJML body, or its chat or popup fields)
    rendered for `variables` (see preview_variables), as the contact would get it; links are left untracked."""
    if channel is Channel.EMAIL:
        body = content.get("body")
        if not isinstance(body, str) or not body.strip():
            raise TemplateInvalid("body", "an email needs a body to preview")
        source = EmailSource(inline_key(body), str(content.get("subject", "")), body, str(content.get("preheader", "")))
        try:
            rendered = render_email(source, variables, links=None)
        except MjmlError as error:
            raise TemplateInvalid("body", f"the MJML does not compile: {error}") from error
        except EmailContentError as error:
            raise _unrenderable(error.field or "body", error) from error
        return MessagePreview({"subject": rendered.subject, "preheader": rendered.preheader}, rendered.html, rendered.text)
    shown = {}
    for field, value in content.items():
        try:
            shown[field] = render_value(value, variables)
        except PersonalisationError as error:
            raise _unrenderable(field, error) from error
    return MessagePreview(shown)


def _unrenderable(field: str, error: Exception) -> TemplateInvalid:
    return TemplateInvalid(field, f"its personalisation fails for this contact ({error}): fix the {{{{ … }}}}, "
                                  "or preview it for another contact")


def make_test_email(settings: EmailSettings, template: MessageTemplate, to: str,
               sample: Mapping[str, Any] | None = None) -> EmailMessage:
    """The email a test send delivers: the sample's rendering, subject marked as a test, links untracked."""
    if template.channel is not Channel.EMAIL:
        raise TemplateInvalid("channel", f"only email templates can be sent to an address, not {template.channel.value}")
    shown = preview(template, sample_variables(sample))
    rendered = RenderedEmail(f"[Test] {shown.subject}", "", shown.html, shown.text)
    return build_email(settings, rendered, to)


def send_test_email(settings: EmailSettings, template: MessageTemplate, to: str,
              sample: Mapping[str, Any] | None = None) -> None:
    """Send the template to `to` now through the configured SMTP server."""
    email = make_test_email(settings, template, to, sample)
    if settings.smtp is None:
        raise SendTestFailed("no SMTP server is configured: set AUTOMAP_SMTP_URL")
    try:
        send_now(settings.smtp, email, settings.mail_from, to)
    except SmtpFailure as error:
        raise SendTestFailed(f"the test email was not sent: {error}") from error


@dataclass(frozen=True, order=True)
class FlowUse:
    """A flow whose draft or a published version sends a template (ordered by name, as lists show them)."""

    name: str
    id: int


def users_by_template(session: Session) -> dict[int, list[FlowUse]]:
    """For every template some flow uses, the flows (drafts or published versions) whose send nodes use it."""
    found: dict[int, set[FlowUse]] = defaultdict(set)
    for flow in session.scalars(select(Flow)):
        for template_id in _template_ids(flow.draft):
            found[template_id].add(FlowUse(flow.name, flow.id))
    query = select(Flow.id, Flow.name, FlowVersion.document).join(Flow, Flow.id == FlowVersion.flow_id)
    for flow_id, name, document in session.execute(query):
        for template_id in _template_ids(document):
            found[template_id].add(FlowUse(name, flow_id))
    return {template_id: sorted(uses) for template_id, uses in found.items()}


def users(session: Session, template_id: int) -> list[FlowUse]:
    """The flows (drafts or published versions) whose send nodes use the template, by name."""
    return users_by_template(session).get(template_id, [])


@dataclass(frozen=True)
class LibraryEntry:
    """A template as the library shows it: with the flows that use it, which cannot go on without it."""

    template: MessageTemplate
    used_by: list[FlowUse]


def library(session: Session, channel: Channel | None = None) -> list[LibraryEntry]:
    """Every template (or one channel's), oldest first, each with the flows that use it."""
    statement = select(MessageTemplate).order_by(MessageTemplate.id)
    if channel is not None:
        statement = statement.where(MessageTemplate.channel == channel)
    using = users_by_template(session)
    return [LibraryEntry(template, using.get(template.id, [])) for template in session.scalars(statement)]


def library_entry(session: Session, template: MessageTemplate) -> LibraryEntry:
    """One template with the flows that use it."""
    return LibraryEntry(template, users(session, template.id))


def delete(session: Session, template: MessageTemplate) -> None:
    """Delete the template unless a flow uses it (its sends would fail)."""
    using = users(session, template.id)
    if using:
        raise TemplateInUse(f"template {template.id} is used by the flow(s) {', '.join(repr(use.name) for use in using)}: "
                            "remove it from their send nodes first")
    session.delete(template)
    session.flush()


def duplicate(session: Session, template: MessageTemplate) -> MessageTemplate:
    """A copy of `template` (already compiled) under a name no other template has: "Welcome" → "Welcome (2)"."""
    copy = MessageTemplate(
        name=unique_name(session, template.name, MessageTemplate.name),
        channel=template.channel,
        subject=template.subject,
        body=template.body,
        compiled_html=template.compiled_html,
    )
    session.add(copy)
    session.flush()
    return copy


def _template_ids(document: Mapping[str, Any] | None) -> set[int]:
    """The templates the document's send nodes use."""
    return {config["template_id"] for config in _node_configs(document) if type(config.get("template_id")) is int}


def _node_configs(document: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    for node in (document or {}).get("nodes", []):
        if isinstance(node, Mapping) and isinstance(node.get("config"), Mapping):
            yield node["config"]
