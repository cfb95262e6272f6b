"""Signed tracking URLs for an email: open pixel, click redirect and one-click unsubscribe.

Each token is an itsdangerous signature over what it names — the message id, and for a
click the target URL — salted by purpose, so a token cannot be re-pointed at another
message or URL, nor a pixel token used to unsubscribe. Tokens do not expire: an email
can be opened years later.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

OPEN = "open"
CLICK = "click"
UNSUBSCRIBE = "unsubscribe"
_PATHS = {OPEN: "o", CLICK: "c", UNSUBSCRIBE: "u"}


class BadToken(ValueError):
    """A tracking token that was not signed by this server for this purpose."""


@dataclass(frozen=True)
class Tracking:
    """Makes and reads the `/t/...` URLs of `public_url`, signed with `secret_key`."""

    secret_key: str
    public_url: str

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret_key, salt=f"automap.email.{purpose}")

    def url(self, purpose: str, message_id: int, target: str | None = None) -> str:
        """The public URL of a `purpose` token for this message (and click target)."""
        payload = [message_id, target] if purpose == CLICK else [message_id]
        return f"{self.public_url}/t/{_PATHS[purpose]}/{self._serializer(purpose).dumps(payload)}"

    def read(self, purpose: str, token: str) -> tuple[int, str | None]:
        """The (message id, click target) a token names; BadToken if forged or for another purpose."""
        try:
            payload = self._serializer(purpose).loads(token)
        except BadSignature as error:
            raise BadToken(f"this {purpose} link is not valid") from error
        if purpose == CLICK:
            message_id, target = payload
            return int(message_id), str(target)
        return int(payload[0]), None

    def is_own(self, url: str) -> bool:
        """True for this server's tracking URLs, which are never wrapped again."""
        return url.startswith(f"{self.public_url}/t/")

    def links_for(self, message_id: int) -> MessageLinks:
        """The tracker the templates of one message use."""
        return MessageLinks(self, message_id)


@dataclass(frozen=True)
class MessageLinks:
    """One message's tracked URLs; called on a link's target, returns the redirect through `/t/c/`."""

    tracking: Tracking
    message_id: int

    def __call__(self, target: str) -> str:
        if urlsplit(target).scheme.lower() not in ("http", "https") or self.tracking.is_own(target):
            return target
        return self.tracking.url(CLICK, self.message_id, target)

    @property
    def open_pixel_url(self) -> str:
        return self.tracking.url(OPEN, self.message_id)

    @property
    def unsubscribe_url(self) -> str:
        return self.tracking.url(UNSUBSCRIBE, self.message_id)
