"""Reply-To addresses that bring an email answer back into its chat: `reply+<message id>.<signature>@<domain>`.

The signature is an itsdangerous HMAC over the chat message's id, salted for this purpose,
so nobody can write into another contact's conversation by guessing an address, and a
tracking token cannot be reused as one. It is written in lower-case base32 rather than
itsdangerous' base64 because some mail systems lower-case the local part of an address;
the whole address stays under the 64 characters a local part may have (RFC 5321).
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cached_property

from itsdangerous import Signer

_LOCAL = re.compile(r"^reply\+(?P<id>[0-9]{1,18})\.(?P<signature>[a-z2-7]{32})$")


class BadReplyAddress(ValueError):
    """The address is not a reply address this server issued."""


@dataclass(frozen=True)
class ReplyAddresses:
    """Makes and reads the reply addresses of `domain`, signed with `secret_key`."""

    secret_key: str
    domain: str

    @cached_property
    def _signer(self) -> Signer:
        return Signer(self.secret_key, salt="automap.email.reply")

    def _signature(self, message_id: int) -> bytes:
        signer = self._signer
        return signer.algorithm.get_signature(signer.derive_key(), str(message_id).encode())

    def address(self, message_id: int) -> str:
        """The Reply-To address of chat message `message_id`."""
        signature = base64.b32encode(self._signature(message_id)).decode().lower()
        return f"reply+{message_id}.{signature}@{self.domain}"

    def is_ours(self, address: str) -> bool:
        """True if the address is at this server's inbound domain and looks like a reply address (not yet verified)."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        return domain.lower() == self.domain.lower() and local.lower().startswith("reply+")

    def read(self, address: str) -> int:
        """The chat message id the address names; BadReplyAddress if it is not one this server signed."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        match = _LOCAL.match(local.lower())
        if domain.lower() != self.domain.lower() or match is None:
            raise BadReplyAddress(f"{address!r} is not a reply address of {self.domain}")
        signature = base64.b32decode(match["signature"].upper())  # 20 bytes: 32 characters, no padding
        signer = self._signer
        if not signer.algorithm.verify_signature(signer.derive_key(), match["id"].encode(), signature):
            raise BadReplyAddress(f"the reply address {address!r} was not issued by this server (its signature is wrong)")
        return int(match["id"])
