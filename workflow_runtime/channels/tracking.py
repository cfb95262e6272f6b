"""Signed tracking URLs for an email: open pixel, click redirect and one-click unsubscribe.

Each token is an itsdangerous signature over what it names — the message id, and for a
click the target URL — salted by purpose, so a token cannot be re-pointed at another
message or URL, nor a pixel token used to unsubscribe. Tokens do not expire: an email
can be opened years later. A token is `<message id>[.<base64 URL>].<signature>`: the
bare `Signer` costs a fifth of a JSON `Serializer`, and an email signs a token per link.

A click redirect makes this server vouch for its target, so only targets the template wrote
are signed, and a target personalisation filled in (a contact property anyone can set through
the public tracking API) only on an allow-listed domain (`link_domains`): otherwise the
server's own domain would send people on to any site a visitor chose (an open redirect).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import SplitResult, urlsplit

from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes

WEB_SCHEMES = ("http", "https")
# A host written plainly, which a browser reads as urlsplit does: no backslash, `@`, `%` or IDN.
_PLAIN_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")

OPEN = "open"
CLICK = "click"
UNSUBSCRIBE = "unsubscribe"
_PATHS = {OPEN: "o", CLICK: "c", UNSUBSCRIBE: "u"}


class _FastSigner(Signer):
    """itsdangerous' Signer (HMAC-SHA1 over a derived key), signing at a fraction of its cost: the key derived and
    the HMAC keyed once, each signature a copy of that OpenSSL HMAC fed the value, instead of a key derived again
    and a pure-Python HMAC (what `hmac.new` falls back to for itsdangerous' digest function). Not `hmac.digest`
    either: it lets go of the interpreter lock for every call, and the delivery's other threads take it, so each
    signature waited for them. An email signs a token per link; the tokens are the same, and are read by Signer's
    own code."""

    def __init__(self, secret_key: str, salt: str) -> None:
        super().__init__(secret_key, salt=salt)
        self._keyed = hmac.new(self.derive_key(), digestmod=hashlib.sha1)

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())


class BadToken(ValueError):
    """A tracking token that was not signed by this server for this purpose."""


def _web_parts(url: str) -> SplitResult | None:
    """The parts of an http(s) URL naming a host, or None (for a malformed URL too: a contact's value may be one)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None


def is_web(url: str) -> bool:
    """True for an http(s) URL naming a host: the only targets a click may redirect to."""
    return _web_parts(url) is not None


@dataclass(frozen=True)
class Tracking:
    """Makes and reads the `/t/...` URLs of `public_url`, signed with `secret_key`; personalised links are
    tracked only on `link_domains` (and their subdomains)."""

    secret_key: str
    public_url: str
    link_domains: tuple[str, ...] = ()

    @cached_property
    def _signers(self) -> dict[str, Signer]:
        return {purpose: _FastSigner(self.secret_key, f"automap.email.{purpose}") for purpose in _PATHS}

    @cached_property
    def _subdomain_suffixes(self) -> tuple[str, ...]:
        return tuple(f".{domain}" for domain in self.link_domains)

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

    def click_target(self, token: str) -> tuple[int, str]:
        """The (message id, target) of a click token; BadToken if forged, or if it names no http(s) URL
        (this server signs none, and a redirect to one would lend it this domain)."""
        message_id, target = self.read(CLICK, token)
        if target is None or not is_web(target):
            raise BadToken(f"this {CLICK} link is not valid")
        return message_id, target

    def allows(self, url: str) -> bool:
        """True for an http(s) URL whose host is an allow-listed domain or a subdomain of one.

        The host must be written plainly, so that the browser following the redirect reads the
        same host: `https://evil.example\\@shop.example/` is evil.example to a browser.
        """
        parts = _web_parts(url)
        if parts is None:
            return False
        host, _, port = parts.netloc.lower().partition(":")
        if not host or not _PLAIN_HOST.issuperset(host) or (port and not port.isdigit()):
            return False
        return host in self.link_domains or host.endswith(self._subdomain_suffixes)

    def is_own(self, url: str) -> bool:
        """True for this server's tracking URLs, which are never wrapped again."""
        return url.startswith(self._own_prefix)

    @cached_property
    def _own_prefix(self) -> str:
        return f"{self.public_url}/t/"

    def links_for(self, message_id: int) -> MessageLinks:
        """The tracker the templates of one message use."""
        return MessageLinks(self, message_id)


@lru_cache(maxsize=4096)
def _is_web_link(url: str) -> bool:
    """is_web for a link the template wrote: the same in every email of the template, so parsed once."""
    return is_web(url)


@dataclass(frozen=True)
class MessageLinks:
    """One message's tracked URLs: the URL put in the email for a link's target, and the pixel and unsubscribe URLs.

    Each target is signed once per message, though the HTML and the text part both link it.
    """

    tracking: Tracking
    message_id: int
    _signed: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def literal(self, target: str) -> str:
        """A target the template wrote: its redirect through `/t/c/` (other schemes and our own URLs as they are)."""
        return self._tracked(target, _is_web_link)

    def personalised(self, target: str) -> str:
        """A target personalisation filled in: tracked only on an allow-listed domain, otherwise as it is."""
        return self._tracked(target, self.tracking.allows)

    def _tracked(self, target: str, trackable: Callable[[str], bool]) -> str:
        """The click redirect of `target` if `trackable` says so, signed once for this message (a target signed
        already is tracked alike, whichever way it came), our own tracking URLs as they are."""
        signed = self._signed.get(target)
        if signed is not None:
            return signed
        if not trackable(target) or self.tracking.is_own(target):
            return target
        signed = self._signed[target] = self.tracking.url(CLICK, self.message_id, target)
        return signed

    @cached_property
    def open_pixel_url(self) -> str:
        return self.tracking.url(OPEN, self.message_id)

    @cached_property
    def unsubscribe_url(self) -> str:
        return self.tracking.url(UNSUBSCRIBE, self.message_id)
