"""The email channel's settings, built from the process settings (for workers and the API's test sends)."""
from __future__ import annotations

from builder_api.settings import Settings, SettingsError
from workflow_runtime.channels.email import EmailSettings
from workflow_runtime.channels.reply_address import ReplyAddresses
from workflow_runtime.channels.smtp import SmtpServer
from workflow_runtime.channels.tracking import Tracking


def email_settings(settings: Settings) -> EmailSettings:
    """SMTP server (None when AUTOMAP_SMTP_URL is unset), sender, tracking links on the public URL, the
    reply addresses of forwarded chat messages at the inbound domain, and the connections and rate per worker."""
    try:
        smtp = SmtpServer.from_url(settings.smtp_url) if settings.smtp_url else None
    except ValueError as error:
        raise SettingsError(str(error)) from error
    return EmailSettings(smtp=smtp, mail_from=settings.mail_from,
                         tracking=Tracking(settings.secret_key, settings.public_url, settings.link_domains),
                         replies=reply_addresses(settings), connections=settings.smtp_connections,
                         rate=settings.smtp_rate)


def reply_addresses(settings: Settings) -> ReplyAddresses:
    """The `reply+…@AUTOMAP_INBOUND_DOMAIN` addresses, signed with the secret key (read by the inbound mail paths)."""
    return ReplyAddresses(settings.secret_key, settings.inbound_domain)
