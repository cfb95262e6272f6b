"""A delivery worker in a process of its own, for the tests that SIGKILL it mid-send.

Usage: python -m tests.workflow_runtime.email_worker <database url> <smtp url> <now, ISO 8601>
"""
from __future__ import annotations

import sys
from datetime import datetime

from workflow_runtime.channels.email import EmailDeliverer, EmailSettings
from workflow_runtime.channels.smtp import SmtpServer
from workflow_runtime.channels.tracking import Tracking
from workflow_runtime.storage.database import make_engine, session_factory


def main(database_url: str, smtp_url: str, now: str) -> None:
    at = datetime.fromisoformat(now)
    server = SmtpServer.from_url(smtp_url)
    settings = EmailSettings(server, "shop@automap.test", Tracking("test-secret-key", "http://127.0.0.1:5000"))
    EmailDeliverer(session_factory(make_engine(database_url)), lambda: at, server, settings).deliver_due()


if __name__ == "__main__":
    main(*sys.argv[1:])
