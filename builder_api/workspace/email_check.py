"""Whether this workspace can send email, as the Settings page shows it, and a test email to prove it.

The test email goes through the same SMTP client the workers deliver with (workflow_runtime.channels.smtp) and
is built by the same `build_email`; the server's password is never shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from builder_api.mail import email_settings
from builder_api.settings import Settings, SettingsError
from workflow_runtime.channels.email import build_email, send_now
from workflow_runtime.channels.email_render import RenderedEmail
from workflow_runtime.channels.smtp import SmtpFailure, SmtpServer

TEST_SUBJECT = "automap test email"


class EmailNotConfigured(RuntimeError):
    """No usable SMTP server is configured; the message says what to set."""


class EmailRefused(RuntimeError):
    """The SMTP server did not take the test email; the message names its answer."""


@dataclass(frozen=True)
class EmailStatus:
    """What the Settings page shows about email: never the server's password."""

    configured: bool
    host: str | None
    port: int | None
    username: str | None
    encryption: str
    mail_from: str
    inbound_domain: str
    problem: str | None  # why AUTOMAP_SMTP_URL cannot be used, if it is set but malformed


def email_status(settings: Settings) -> EmailStatus:
    """The configured SMTP server (host, port, user, TLS), the sender address and the inbound reply domain."""
    server: SmtpServer | None = None
    problem = None
    if settings.smtp_url:
        try:
            server = SmtpServer.from_url(settings.smtp_url)
        except ValueError as error:
            problem = f"{error}."
    encryption = "none" if server is None else \
        "tls" if server.implicit_tls else "starttls" if server.starttls else "none"
    return EmailStatus(configured=server is not None, host=server.host if server else None,
                       port=server.port if server else None, username=server.username if server else None,
                       encryption=encryption, mail_from=settings.mail_from, inbound_domain=settings.inbound_domain,
                       problem=problem)


def send_test_email(settings: Settings, to: str) -> None:
    """Send a short test email to `to` now through the configured SMTP server.

    Raises:
        EmailNotConfigured: AUTOMAP_SMTP_URL is unset or malformed.
        EmailRefused: the server could not be reached or refused the email.
    """
    try:
        email = email_settings(settings)
    except SettingsError as error:
        raise EmailNotConfigured(f"AUTOMAP_SMTP_URL cannot be used: {error}.") from error
    if email.smtp is None:
        raise EmailNotConfigured("No SMTP server is configured: set AUTOMAP_SMTP_URL (smtp://user:password@host:587"
                                 "?starttls=true) and restart automap, then send the test again.")
    text = (f"This email was sent from automap at {settings.public_url} through {email.smtp.host}:{email.smtp.port} "
            f"to check its email settings. Emails to your contacts will come from {settings.mail_from}.")
    rendered = RenderedEmail(TEST_SUBJECT, "", f"<p>{escape(text)}</p>", text)
    message = build_email(email, rendered, to)
    try:
        send_now(email.smtp, message, email.mail_from, to)
    except SmtpFailure as error:
        raise EmailRefused(f"The test email was not sent: {error}.") from error
