"""Signed tracking URLs for an email: open pixel, click redirect and one-click unsubscribe.

Each token is an itsdangerous signature over what it names — the message id, and for a
click the target URL — salted by purpose, so a token cannot be re-pointed at another
message or URL, nor a pixel token used to unsubscribe. Tokens do not expire: an email
can be opened years later. A token is `<message id>[.<base64 URL>].<signature>`: the
bare `Signer` costs a fifth of a JSON `Serializer`, and an email signs a token per link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode

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

    @cached_property
    def _signers(self) -> dict[str, Signer]:
        return {purpose: Signer(self.secret_key, salt=f"automap.email.{purpose}") for purpose in _PATHS}

    def url(self, purpose: str, message_id: int, target: str | None = None) -> str:
        """The public URL of a `purpose` token for this message (and click target)."""
        payload = str(message_id).encode()
        if purpose == CLICK:
            payload += b"." + base64_encode(target or "")
        return f"{self.public_url}/t/{_PATHS[purpose]}/{self._signers[purpose].sign(payload).decode()}"

    def read(self, purpose: str, token: str) -> tuple[int, str | None]:
        """The (message id, click target) a token names; BadToken if forged or for another purpose."""
        try:
            payload = self._signers[purpose].unsign(token).decode()
            message_id, _, target = payload.partition(".")
            return int(message_id), base64_decode(target).decode() if purpose == CLICK else None
        except (BadSignature, ValueError) as error:
            raise BadToken(f"this {purpose} link is not valid") from error

    def is_own(self, url: str) -> bool:
        """True for this server's tracking URLs, which are never wrapped again."""
        return url.startswith(f"{self.public_url}/t/")

    def links_for(self, message_id: int) -> MessageLinks:
        """The tracker the templates of one message use."""
        return MessageLinks(self, message_id)


@dataclass(frozen=True)
class MessageLinks:
    """One message's tracked URLs; called on a link's target, returns the redirect through `/t/c/`.

    Each target is signed once per message, though the HTML and the text part both link it.
    """

    tracking: Tracking
    message_id: int
    _signed: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, target: str) -> str:
        if urlsplit(target).scheme.lower() not in ("http", "https") or self.tracking.is_own(target):
            return target
        if target not in self._signed:
            self._signed[target] = self.tracking.url(CLICK, self.message_id, target)
        return self._signed[target]

    @cached_property
    def open_pixel_url(self) -> str:
        return self.tracking.url(OPEN, self.message_id)

    @cached_property
    def unsubscribe_url(self) -> str:
        return self.tracking.url(UNSUBSCRIBE, self.message_id)
